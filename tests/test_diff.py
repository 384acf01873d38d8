"""`hub_repro diff A B`: the same function or not, and where two copies of a model part."""

import dataclasses
import json
import os
import shutil
from unittest import mock

import tensorflow as tf

from hub_repro import cli, compare, embedded, errors, full, model_diff
from hub_repro.export_tf1 import export_tf1_hub
from hub_repro.export_tf2 import export_tf2
from hub_repro.sources import huggingface, tf1_hub, tf2_savedmodel
from hub_repro.sources.google_checkpoint import ModelingSource
from hub_repro.weights import BertWeights
import fake_modules
import testutil

HF_HEAD16 = os.path.join(testutil.FIXTURES, "hf_bert_head16_gelu_new")
KERAS_HUB = os.path.join(testutil.FIXTURES, "keras_hub_preset")
CASED_SENTENCES = ["The Cat sat on the Mat", "Hello World", "what does the pooled output do?"]


def run_diff(*argv):
  return testutil.run_cli("diff", *argv)


class DiffTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.root = testutil.tempfile.mkdtemp(prefix="hub_repro_diff_")
    cls.weights = testutil.random_weights(seed=7)  # 4 heads, scale 0.2: heads and gelu matter
    cls.tf1 = export_tf1_hub(cls.weights, os.path.join(cls.root, "tf1"))

  @classmethod
  def tearDownClass(cls):
    shutil.rmtree(cls.root, ignore_errors=True)
    super().tearDownClass()

  def diff(self, a, b, *extra, sentences=testutil.SENTENCES):
    path = os.path.join(self.get_temp_dir(), "diff.json")
    args = [a, b, *[s if isinstance(s, str) else "|||".join(s) for s in sentences],
            "--max-seq-length", "32", "--json", path, *extra]
    code, out, err = run_diff(*args)
    self.assertIn(code, (errors.EXIT_SAME, errors.EXIT_DIFFERENT), out + err)
    with open(path, encoding="utf-8") as f:
      record = json.load(f)
    self.assertEqual(code == errors.EXIT_SAME, record["same"])
    return record, out

  def test_google_module_vs_the_checkpoint_it_came_from(self):
    record, out = self.diff(testutil.GOOGLE_MODULE, testutil.GOOGLE_CHECKPOINT)
    self.assertTrue(record["same"], record["explanation"])
    self.assertTrue(record["weights"]["same"])
    self.assertEqual(record["weights"]["max_abs_diff"], 0.0)
    self.assertIn("Verdict: SAME FUNCTION", out)

  def test_same_weights_as_tf1_hub_and_tf2_savedmodel(self):
    tf2 = export_tf2(self.weights, os.path.join(self.root, "tf2"))
    record, _ = self.diff(self.tf1, tf2)
    self.assertTrue(record["same"], record["explanation"])
    self.assertEqual((record["a"]["format"], record["b"]["format"]), ("tf1-hub", "tf2-savedmodel"))
    self.assertLessEqual(record["outputs"]["sequence_output"]["max_abs_diff"],
                         record["outputs"]["tolerance"])

  def test_a_same_pair_runs_one_forward_pass_each_and_no_layers(self):
    """Outputs that agree settle the verdict: no run with layers, no rebuild, no config search."""
    tf2 = export_tf2(self.weights, os.path.join(self.root, "tf2_spied"))
    runs = []

    def spy(cls):
      original = cls.run

      def run(source, *ids, layers=False):
        runs.append((cls.__name__, layers))
        return original(source, *ids, layers=layers)
      return mock.patch.object(cls, "run", run)

    with spy(tf1_hub.Tf1HubSource), spy(tf2_savedmodel.Tf2SavedModelSource), \
        mock.patch.object(full, "FullCheck", side_effect=AssertionError("rebuild made")), \
        mock.patch.object(ModelingSource, "forward", side_effect=AssertionError("rebuild run")):
      record, out = self.diff(self.tf1, tf2)
    self.assertTrue(record["same"], record["explanation"])
    num_batches = compare._count_batches(testutil.SENTENCES, 32)  # singles, pairs
    self.assertCountEqual(runs, [("Tf1HubSource", False), ("Tf2SavedModelSource", False)]
                          * num_batches)
    outputs = record["outputs"]
    self.assertEqual((outputs["layers"], outputs["layers_compared"]), ([], False))
    self.assertIn("agree within the tolerance on every batch", outputs["layers_on"])
    self.assertIn("not searched: the outputs agree", record["config"]["how_a"])
    self.assertEqual(record["config"]["undetermined"], ["hidden_act", "num_attention_heads"])
    self.assertIn("layers not compared", record["explanation"])
    self.assertIn("layers not compared: pooled_output and sequence_output agree", out)

  def test_embedded_module_vs_its_hugging_face_folder(self):
    if huggingface.why_no_torch():
      self.skipTest(f"PyTorch is missing: {huggingface.TORCH_HINT}")
    record, _ = self.diff(embedded.embedded_module(log=lambda _: None), embedded.model_dir())
    self.assertTrue(record["same"], record["explanation"])
    self.assertEqual(record["b"]["format"], "huggingface")
    self.assertIn("transformers", record["b"]["framework"])

  def test_models_of_two_widths_are_different_and_the_report_names_both(self):
    """A 48-wide TF1 module against the 32-wide encoder Model Garden exported: a question with an
    answer (DIFFERENT, exit 1), not bad input; the outputs are not subtracted."""
    wide = testutil.random_weights(testutil.tiny_config(hidden_size=48, num_attention_heads=4))
    tf1 = export_tf1_hub(wide, os.path.join(self.root, "tf1_48"))
    record, out = self.diff(tf1, os.path.join(testutil.MODEL_GARDEN, "encoder"))
    self.assertFalse(record["same"])
    self.assertEqual(record["config"]["differences"]["hidden_size"], [48, 32])
    self.assertIsNone(record["outputs"]["sequence_output"]["max_abs_diff"])
    self.assertIn("A's outputs are 48 wide, B's 32", record["outputs"]["not_run"])
    self.assertIn("hidden_size: A 48, B 32", record["explanation"])
    self.assertIn("tensor(s) of other shapes", record["explanation"])
    self.assertNotIn("weights differ: ;", record["explanation"])
    self.assertIn("Verdict: DIFFERENT", out)

  def test_the_report_prints_no_guessed_head_count(self):
    """A TF1 module stores no head count: where the outputs agree and nothing is searched, the
    report says so instead of printing hidden_size // 64."""
    record, out = self.diff(embedded.embedded_module(log=lambda _: None), embedded.model_dir())
    self.assertTrue(record["same"], record["explanation"])
    self.assertIsNone(record["config"]["a"]["num_attention_heads"])
    self.assertEqual(record["config"]["b"]["num_attention_heads"], 12)
    self.assertNotIn("6 heads", out)
    self.assertIn("A: heads and gelu not stored by the tf1-hub copy, and not searched", out)

  def test_identical_weights_different_head_count(self):
    """The kind of export bug tensorflow/hub#661 found in 6 of 24 small BERTs."""
    two_heads = BertWeights(dataclasses.replace(self.weights.config, num_attention_heads=2),
                            self.weights.params, testutil.VOCAB)
    other = export_tf1_hub(two_heads, os.path.join(self.root, "tf1_2heads"))
    record, out = self.diff(self.tf1, other)
    self.assertFalse(record["same"])
    self.assertTrue(record["weights"]["same"])
    self.assertEqual(record["config"]["differences"], {"num_attention_heads": [4, 2]})
    self.assertEqual(record["outputs"]["first_divergent_layer"], 0)
    self.assertTrue(record["outputs"]["layers_compared"])
    self.assertRegex(record["outputs"]["layers_on"], r"^batch 1 .*the first whose outputs differ")
    self.assertIn("weights identical; A computes 4 attention heads, B 2", record["explanation"])
    self.assertIn("Verdict: DIFFERENT", out)

  def test_one_kernel_stored_transposed(self):
    name = "bert/encoder/layer_1/attention/output/dense/kernel"
    params = dict(self.weights.params, **{name: self.weights.params[name].T.copy()})
    other = export_tf1_hub(dataclasses.replace(self.weights, params=params),
                           os.path.join(self.root, "tf1_transposed"))
    record, _ = self.diff(self.tf1, other)
    self.assertFalse(record["same"])
    self.assertEqual(record["weights"]["transposed_or_reshaped"], {name: "transposed"})
    self.assertEqual(list(record["weights"]["differing"]), [name])
    self.assertEqual(record["outputs"]["first_divergent_layer"], 1)
    self.assertIn(f"{name} of B is A's transposed", record["explanation"])

  def test_weights_compared_bit_for_bit_between_variables_and_numpy(self):
    # A TF1 module's weights are its tf.Variables, a TF2 export's (Keras names) numpy params:
    # compare_weights meets both kinds. One float32 ulp in one tensor must be found either way.
    import numpy as np

    a = tf1_hub.Tf1HubSource(self.tf1, self.tf1)
    variables = model_diff._weights(a)
    name = "bert/encoder/layer_1/intermediate/dense/bias"
    self.assertIsInstance(variables[name], tf.Variable)
    numpy_side = {k: np.array(v) for k, v in self.weights.params.items()}
    self.assertTrue(model_diff.compare_weights(variables, numpy_side)["same"])
    numpy_side[name] = numpy_side[name].copy()
    numpy_side[name][3] = np.nextafter(numpy_side[name][3], np.float32(np.inf))
    other = {k: tf.Variable(v) for k, v in numpy_side.items()}  # and two variables
    for first, second in ((variables, numpy_side), (numpy_side, variables), (variables, other)):
      record = model_diff.compare_weights(first, second)
      self.assertFalse(record["same"])
      self.assertEqual(list(record["differing"]), [name])
      self.assertGreater(record["max_abs_diff"], 0.0)

  def test_a_different_gelu_form(self):
    if huggingface.why_no_torch():
      self.skipTest(f"PyTorch is missing: {huggingface.TORCH_HINT}")
    other = os.path.join(self.get_temp_dir(), "hf_gelu_erf")
    shutil.copytree(HF_HEAD16, other)
    with open(os.path.join(other, "config.json"), encoding="utf-8") as f:
      config = json.load(f)
    config["hidden_act"] = "gelu"  # Hugging Face's "gelu" is the erf form
    with open(os.path.join(other, "config.json"), "w", encoding="utf-8") as f:
      json.dump(config, f)
    record, _ = self.diff(HF_HEAD16, other)
    self.assertFalse(record["same"])
    self.assertTrue(record["weights"]["same"])
    self.assertEqual(record["config"]["differences"], {"hidden_act": ["gelu", "gelu_exact"]})
    self.assertIn("A uses gelu 'gelu', B 'gelu_exact'", record["explanation"])
    self.assertEqual(record["outputs"]["first_divergent_layer"], 0)

  def test_cased_vs_uncased_vocab(self):
    other = os.path.join(self.get_temp_dir(), "keras_hub_cased")
    shutil.copytree(KERAS_HUB, other)
    with open(os.path.join(other, "tokenizer.json"), encoding="utf-8") as f:
      tokenizer = json.load(f)
    tokenizer["config"]["lowercase"] = False
    with open(os.path.join(other, "tokenizer.json"), "w", encoding="utf-8") as f:
      json.dump(tokenizer, f)
    record, _ = self.diff(KERAS_HUB, other, sentences=CASED_SENTENCES)
    self.assertFalse(record["same"])
    self.assertFalse(record["tokenization"]["same"])
    self.assertEqual(record["tokenization"]["first_differing_example"], 0)
    self.assertEqual(record["tokenization"]["do_lower_case"], [True, False])
    self.assertTrue(record["weights"]["same"])
    self.assertIn("cased vs uncased", record["explanation"])
    self.assertIn("[UNK]", record["tokenization"]["tokens_b"])

  def test_identity_pooler_vs_no_pooler_differs_in_pooled_output_only(self):
    """TF-Hub's ELECTRA (an identity pooler, tanh) against google-research's (no pooler:
    pooled_output = sequence_output[:, 0]), on the same encoder."""
    identity = fake_modules.export(fake_modules.ModelingNamedEncoder,
                                   fake_modules.identity_pooler(self.weights),
                                   os.path.join(self.root, "identity_pooler"))
    cls = fake_modules.export(fake_modules.ClsPooledEncoder, self.weights,
                              os.path.join(self.root, "cls"))
    record, out = self.diff(identity, cls)
    self.assertFalse(record["same"])
    self.assertEqual({k: record["pooled_is"][k] for k in ("a", "b", "same")},
                     {"a": "identity_pooler", "b": "cls", "same": False})
    self.assertLessEqual(record["outputs"]["sequence_output"]["max_abs_diff"],
                         record["outputs"]["tolerance"])
    self.assertIsNone(record["outputs"]["first_divergent_layer"])
    self.assertGreater(record["outputs"]["pooled_output"]["max_abs_diff"], 0.01)
    self.assertEqual(record["weights"]["only_in_a"],
                     ["bert/pooler/dense/bias", "bert/pooler/dense/kernel"])
    self.assertRegex(record["explanation"],
                     r"^DIFFERENT in pooled_output only: A's pooled_output is an identity pooler, "
                     r"tanh\(sequence_output\[:, 0\]\) \(bert/pooler/dense/kernel\), B's is "
                     r"sequence_output\[:, 0\] itself \(the \[CLS\] state\) \(max \|diff\| "
                     r"[0-9.e-]+\); sequence_output and every layer agree .*; weights identical "
                     r"but for the pooler: bert/pooler/dense/bias only in A, "
                     r"bert/pooler/dense/kernel only in A$")
    self.assertNotIn("\n", record["explanation"])
    self.assertIn("5 pooled_is     DIFFERENT: A identity_pooler, B cls", out)

  def test_bad_handle_exits_2(self):
    code, _, err = run_diff(testutil.GOOGLE_MODULE, os.path.join(self.get_temp_dir(), "nope"))
    self.assertEqual(code, cli.EXIT_BAD_INPUT)
    self.assertIn("does not exist", err)


if __name__ == "__main__":
  tf.test.main()
