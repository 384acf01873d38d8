"""Every legal variant of a BERT SavedModel loads, or is refused with exit 2 and one line."""

import os

import tensorflow as tf
from absl.testing import parameterized

from hub_repro import cli, compare, module
import testutil
import variant_modules


run_cli = testutil.run_cli


class VariantsTest(tf.test.TestCase, parameterized.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.weights = testutil.random_weights(seed=11)

  def path(self, name):
    return os.path.join(self.get_temp_dir(), name)

  def assertReproduced(self, handle, *extra):
    code, out, err = run_cli("--handle", handle, "--max-seq-length", "16", *extra)
    self.assertEqual(code, cli.EXIT_REPRODUCED, out + err)
    self.assertNotIn("Traceback", err)
    return out

  def test_call_without_training_int64_inputs_and_extra_output_keys(self):
    handle = variant_modules.save_with_vocab(variant_modules.NoTrainingEncoder(self.weights),
                                             self.path("no_training"), testutil.VOCAB)
    source = module.load(handle)
    self.assertFalse(source._training)  # what hub.KerasLayer checks too
    self.assertReproduced(handle, "--full")

  def test_an_encoder_that_answers_default_only(self):
    encoder = os.path.join(testutil.MODEL_GARDEN, "encoder")
    handle = variant_modules.save_with_vocab(variant_modules.DefaultOnlyEncoder(encoder),
                                             self.path("default_only"), testutil.VOCAB)
    result = compare.check(module.load(handle), testutil.SENTENCES, 16)
    self.assertEqual((result.pooled_is, result.pooled_output_key), ("pooler", "default"))
    out = self.assertReproduced(handle)
    self.assertIn("the model's `default` output, compared as pooled_output", out)
    self.assertIn("not a normalized embedding", " ".join(out.split()))

  def test_default_beside_pooled_output_is_named_an_alias(self):
    result = compare.check(module.load(os.path.join(testutil.MODEL_GARDEN, "encoder")),
                           testutil.SENTENCES, 16)
    self.assertEqual((result.pooled_output_key, result.default_is_pooled_output),
                     ("pooled_output", True))
    self.assertGreater(abs(result.pooled_norms[1] - 1), 0.01)  # the fixture's rows: ~0.6

  def test_bert_experts_identity_pooler(self):
    handle = variant_modules.with_identity_pooler(os.path.join(testutil.MODEL_GARDEN, "encoder"),
                                                  self.path("identity_pooler"))
    result = compare.check(module.load(handle), testutil.SENTENCES, 16)
    self.assertEqual((result.pooled_is, result.family), ("identity_pooler", "bert"))
    out = " ".join(self.assertReproduced(handle).split())
    self.assertIn("has an identity kernel and a zero bias", out)
    self.assertIn("BERT Experts", out)

  def test_keras3_model_export_artifact(self):
    handle = variant_modules.keras_export(self.weights, self.path("keras_export"),
                                          testutil.VOCAB)
    source = module.load(handle)
    self.assertIn("serving_default", source.framework)
    result = compare.check(source, testutil.SENTENCES, max_seq_length=16)
    self.assertTrue(result.reproduced)

  def test_tf1_module_with_an_extra_mlm_signature_and_int64_inputs(self):
    handle = variant_modules.tf1_with_mlm_signature(self.weights, self.path("tf1_mlm"),
                                                    testutil.VOCAB)
    self.assertIn("mlm", module.load(handle).obj.signatures)
    self.assertReproduced(handle, "--full")

  def test_a_call_that_fails_inside_tensorflow_is_one_line(self):
    handle = variant_modules.save_with_vocab(
        variant_modules.NoTrainingEncoder(self.weights, fail=True), self.path("failing"),
        testutil.VOCAB)
    code, out, err = run_cli("--handle", handle, "--max-seq-length", "16")
    self.assertIn(code, (cli.EXIT_BAD_INPUT, cli.EXIT_INTERNAL))
    self.assertNotIn("Traceback", err)
    lines = [line for line in err.splitlines() if line.startswith("hub_repro")]
    self.assertLen(lines, 1)
    self.assertIn("ids out of range", lines[0])

  def test_a_preprocessor_passed_as_handle_says_where_it_belongs(self):
    code, _, err = run_cli("--handle", os.path.join(testutil.MODEL_GARDEN, "preprocess"))
    self.assertEqual(code, cli.EXIT_BAD_INPUT)
    self.assertEqual(len(err.strip().splitlines()), 1, err)
    self.assertIn("is a BERT preprocessing model", err)
    self.assertIn("pass it as --preprocessor", err)


if __name__ == "__main__":
  tf.test.main()
