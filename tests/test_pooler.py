import dataclasses
import os
import shutil

import numpy as np
import tensorflow as tf

from hub_repro import compare, full, module, pooler, report, tolerances
from hub_repro.sources import huggingface
from hub_repro.sources.google_checkpoint import ModelingSource
import fake_modules
import testutil


class PoolerDiscoveryTest(tf.test.TestCase):
  """The pooler is found by name in each naming, else by its numbers, and a fake one is refused."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.weights = testutil.random_weights(seed=3)

  def _check(self, encoder_class):
    path = fake_modules.export(encoder_class, self.weights,
                               os.path.join(self.get_temp_dir(), encoder_class.__name__))
    return compare.check(module.load(path), testutil.SENTENCES, max_seq_length=16)

  def test_modeling_py_names(self):
    result = self._check(fake_modules.ModelingNamedEncoder)
    self.assertEqual(result.pooler.kernel_name, "bert/pooler/dense/kernel")
    self.assertIn("by name (modeling.py", result.pooler.found_by)
    self.assertTrue(result.reproduced)

  def test_found_by_numbers_under_an_unknown_name(self):
    result = self._check(fake_modules.RenamedPoolerEncoder)
    self.assertEqual((result.pooler.kernel_name, result.pooler.bias_name),
                     ("head/projection/kernel", "head/projection/bias"))
    self.assertIn("by its numbers", result.pooler.found_by)
    self.assertTrue(result.reproduced)
    self.assertLessEqual(result.pooled_vs_rebuilt.max_abs_diff, tolerances.POOLER_TOLERANCE)

  def test_named_pooler_that_does_not_explain_pooled_output_is_not_reproduced(self):
    result = self._check(fake_modules.MeanPooledEncoder)
    self.assertEqual(result.pooler.kernel_name, "bert/pooler/dense/kernel")
    self.assertFalse(result.reproduced)
    self.assertGreater(result.pooled_vs_rebuilt.max_abs_diff, 100 * tolerances.POOLER_TOLERANCE)
    self.assertFalse(result.to_json()["reproduced"])

  def test_no_dense_layer_explains_pooled_output(self):
    result = self._check(fake_modules.RenamedMeanPooledEncoder)
    self.assertEqual((result.pooled_is, result.verdict), ("unexplained", "NO POOLER"))
    self.assertIsNone(result.pooler)
    candidates = result.to_json()["pooler"]["candidates"]
    self.assertIn("head/projection/kernel", {c["kernel"] for c in candidates})
    self.assertEqual(candidates, sorted(candidates, key=lambda c: c["max_abs_diff"]))
    self.assertRegex(result.no_pooler_message(), r"^no pooler explains pooled_output of .*: it "
                     r"is neither sequence_output\[:, 0\] .*nearest .*pooler.candidates\)$")

  def test_model_garden_naming(self):
    result = compare.check(module.load(os.path.join(testutil.MODEL_GARDEN, "encoder")),
                           testutil.SENTENCES, max_seq_length=16)
    self.assertEqual(result.pooler.kernel_name, "pooler_transform/kernel")
    self.assertIn("Model Garden", result.pooler.found_by)
    self.assertTrue(result.reproduced)


def _unwrapped(text: str) -> str:
  """The report with its paragraphs' line breaks (and the table's runs of spaces) as one space."""
  return " ".join(text.split())


class PooledIsTest(tf.test.TestCase):
  """What pooled_output is, from the numbers: a pooler (and its activation), an identity pooler,
  the [CLS] state, none, or unexplained; and the evidence that a pooler was never trained."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.weights = testutil.random_weights(seed=3)

  def _check(self, encoder_class, weights=None):
    path = fake_modules.export(encoder_class, weights or self.weights,
                               os.path.join(self.get_temp_dir(), encoder_class.__name__))
    result = compare.check(module.load(path), testutil.SENTENCES, max_seq_length=16)
    return result, result.to_json(), _unwrapped(report.render(result))

  def test_a_trained_looking_pooler(self):
    result, record, text = self._check(fake_modules.ModelingNamedEncoder)
    self.assertEqual((record["pooled_is"], record["verdict"]), ("pooler", "REPRODUCED"))
    self.assertEqual(record["pooler"]["activation"], "tanh")
    self.assertIsNone(record["pooler"]["untrained_evidence"])
    self.assertIn("pooled_is: pooler", text)
    self.assertIn("In BERT that layer is trained for next-sentence prediction", text)
    self.assertNotIn("untrained evidence", text)

  def test_the_activation_is_found_by_the_numbers(self):
    result, record, text = self._check(fake_modules.GeluPooledEncoder)
    self.assertEqual((record["pooled_is"], record["pooler"]["activation"]), ("pooler", "gelu"))
    self.assertTrue(result.reproduced)
    # modeling.py's gelu on both sides: float32 rounding only (tolerances.POOLER_TOLERANCE's reasoning).
    self.assertLessEqual(result.pooled_vs_rebuilt.max_abs_diff, tolerances.POOLER_TOLERANCE)
    self.assertIn("gelu(sequence_output[:, 0] @ K + b)", text)

  def test_identity_pooler(self):
    result, record, text = self._check(fake_modules.ModelingNamedEncoder,
                                       fake_modules.identity_pooler(self.weights))
    self.assertEqual((record["pooled_is"], record["verdict"]), ("identity_pooler", "REPRODUCED"))
    self.assertEqual(record["pooler"]["activation"], "tanh")
    self.assertEqual(record["pooler"]["untrained_evidence"],
                     "the kernel is exactly the 32x32 identity and the bias is exactly 0 in all "
                     "32 entries")
    self.assertIn("pooled_output is tanh(sequence_output[:, 0])", text)
    self.assertIn("untrained evidence: the kernel is exactly the 32x32 identity", text)
    self.assertNotIn("next-sentence", text)
    self.assertGreater(result.pooled_vs_cls.max_abs_diff, 0.1)

  def test_zero_bias_is_evidence_of_an_untrained_pooler(self):
    weights = fake_modules.with_pooler(self.weights, bias=np.zeros(32))
    _, record, text = self._check(fake_modules.ModelingNamedEncoder, weights)
    self.assertEqual(record["pooled_is"], "pooler")
    self.assertEqual(record["pooler"]["untrained_evidence"],
                     "the bias is exactly 0 in all 32 entries")
    self.assertIn("untrained evidence: the bias is exactly 0 in all 32 entries", text)
    self.assertIn("evidence, not proof", text)
    self.assertNotIn("next-sentence", text)

  def test_identity_is_exact(self):
    """One float32 ulp off the identity is no identity: an exporter writes 0 and 1 exactly."""
    kernel = np.eye(4, dtype=np.float32)
    kernel[1, 2] = np.nextafter(np.float32(0), np.float32(1))
    layer = pooler.PoolerWeights("k", "b", kernel, np.zeros(4, np.float32), "test")
    self.assertFalse(layer.is_identity)
    self.assertEqual(layer.untrained_evidence(), "the bias is exactly 0 in all 4 entries")
    self.assertTrue(dataclasses.replace(layer, kernel=np.eye(4, dtype=np.float32)).is_identity)

  def test_pooled_output_is_the_cls_state(self):
    result, record, text = self._check(fake_modules.ClsPooledEncoder)
    self.assertEqual((record["pooled_is"], record["verdict"]), ("cls", "REPRODUCED"))
    self.assertIsNone(result.pooler)
    self.assertLessEqual(result.pooled_vs_cls.max_abs_diff, tolerances.POOLER_TOLERANCE)
    self.assertIn("Yes: this model's pooled_output is the [CLS] state", text)

  def test_a_source_without_pooled_output(self):
    weights = fake_modules.without_pooler(self.weights)
    source = ModelingSource.from_params(weights.params, weights.config, vocab_file=testutil.VOCAB)
    result = compare.check(source, testutil.SENTENCES, max_seq_length=16)
    record = result.to_json()
    self.assertEqual((record["pooled_is"], record["verdict"]), ("none", "NO POOLER"))
    self.assertIsNone(record["pooled_vs_cls"])
    self.assertFalse(record["reproduced"])
    self.assertIn("This model has no pooled_output", _unwrapped(report.render(result)))
    self.assertRegex(result.no_pooler_message(), "has no pooled_output")

  def test_named_pooler_that_does_not_explain_pooled_output(self):
    _, record, text = self._check(fake_modules.MeanPooledEncoder)
    self.assertEqual((record["pooled_is"], record["verdict"]), ("unexplained", "NOT REPRODUCED"))
    self.assertEqual(record["pooler"]["kernel"], "bert/pooler/dense/kernel")
    self.assertIn("Verdict: NOT REPRODUCED", text)
    self.assertIn("with the pooler it names", text)

  def test_hugging_face_model_saved_without_its_pooler(self):
    if huggingface.why_no_torch():
      self.skipTest(f"PyTorch is missing: {huggingface.TORCH_HINT}")
    import transformers

    config = testutil.tiny_config()
    folder = os.path.join(self.get_temp_dir(), "hf_no_pooler")
    transformers.BertModel(transformers.BertConfig(
        vocab_size=config.vocab_size, hidden_size=config.hidden_size,
        num_hidden_layers=config.num_hidden_layers,
        num_attention_heads=config.num_attention_heads,
        intermediate_size=config.intermediate_size,
        max_position_embeddings=config.max_position_embeddings,
        type_vocab_size=config.type_vocab_size), add_pooling_layer=False).save_pretrained(folder)
    shutil.copy(testutil.VOCAB, os.path.join(folder, "vocab.txt"))
    result = compare.check(module.load(folder), testutil.SENTENCES, max_seq_length=16)
    self.assertEqual((result.pooled_is, result.verdict), ("none", "NO POOLER"))
    # --full rebuilds the encoder without the pooler the family's names make optional.
    full_result = full.reproduce_full(module.load(folder), testutil.SENTENCES, max_seq_length=16)
    self.assertEqual(full_result.check.pooled_is, "none")
    self.assertIsNone(full_result.pooled_max_abs_diff)
    self.assertTrue(full_result.reproduced)
    self.assertLessEqual(full_result.sequence_max_abs_diff, tolerances.FULL_TOLERANCE)


if __name__ == "__main__":
  tf.test.main()
