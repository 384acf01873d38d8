"""MobileBERT beside BERT: transformers' MobileBertModel folders and Model Garden's
MobileBERTEncoder exports, each computed by its own framework and reproduced by
hub_repro.families.mobilebert.modeling.

The fixtures were made by the peer toolchains (tests/fixtures/*/README.md says which, with the
versions): hf_mobilebert, hf_mobilebert_tanh and hf_mobilebert_layer_norm by transformers'
save_pretrained, model_garden_mobilebert by Model Garden's export_tfhub_lib (tf-models-official
2.20.0). Each golden.json holds the ids and outputs that toolchain computed.
"""

import json
import os

import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from hub_repro import api, cli, crosscheck, model_diff, module, tolerances
from hub_repro.config import BertConfig
from hub_repro.errors import ConfigError
from hub_repro.families.mobilebert import modeling, names
from hub_repro.sources import huggingface
import testutil

HAS_TORCH = huggingface.why_no_torch() is None
MG = os.path.join(testutil.FIXTURES, "model_garden_mobilebert")
PREPROCESS = os.path.join(MG, "preprocess")
# The same framework on the same weights and ids as the toolchain that wrote golden.json: bit-exact
# or a few float32 ulps on values of size ~1-5 through 2 blocks (~1e-6); 1e-5 is the project's
# loader tolerance and stays 20000x below what a wrong head count moves (golden.json
# "sensitivity": 0.2).
GOLDEN_ATOL = 1e-5

# (name, folder, what pooled_output is, who computes it)
FIXTURES = [
    ("hf_no_classifier_activation", os.path.join(testutil.FIXTURES, "hf_mobilebert"), "cls",
     "transformers MobileBertModel"),
    ("hf_classifier_activation", os.path.join(testutil.FIXTURES, "hf_mobilebert_tanh"), "pooler",
     "transformers MobileBertModel"),
    ("hf_layer_norm", os.path.join(testutil.FIXTURES, "hf_mobilebert_layer_norm"), "cls",
     "transformers MobileBertModel"),
    ("model_garden_encoder", os.path.join(MG, "encoder"), "cls", "TensorFlow"),
    ("model_garden_classifier_activation", os.path.join(MG, "encoder_classifier_activation"),
     "pooler", "TensorFlow"),
]

run_cli = testutil.run_cli


def golden(folder: str) -> dict:
  """The toolchain's ids and outputs: {"inputs": [ids, mask, segments], "sequence_output",
  "pooled_output", "embedding_output", "layers"} (the embedding output is Hugging Face's
  hidden_states[0], Model Garden's encoder_outputs[0]; "layers" are the blocks' outputs)."""
  if os.path.basename(folder).startswith("encoder"):
    with open(os.path.join(MG, "golden.json"), encoding="utf-8") as f:
      stored = json.load(f)
    outputs = stored["encoder"]
    inputs = [stored["inputs"][k] for k in ("input_word_ids", "input_mask", "input_type_ids")]
    states = outputs["encoder_outputs"]
    pooled = stored[os.path.basename(folder)]["pooled_output"]
  else:
    with open(os.path.join(folder, "golden.json"), encoding="utf-8") as f:
      outputs = json.load(f)
    inputs = [outputs["inputs"][k] for k in ("input_ids", "input_mask", "segment_ids")]
    states = outputs["hidden_states"]
    pooled = outputs["pooled_output"]
  return {"inputs": [np.asarray(t, np.int32) for t in inputs],
          "sequence_output": np.asarray(outputs["sequence_output"]),
          "pooled_output": np.asarray(pooled), "embedding_output": np.asarray(states[0]),
          "layers": [np.asarray(s) for s in states[1:]]}


class MobileBertTest(tf.test.TestCase, parameterized.TestCase):

  def setUp(self):
    super().setUp()
    if not HAS_TORCH and "hf_" in self._testMethodName:
      self.skipTest(f"PyTorch is missing: {huggingface.TORCH_HINT}")

  @parameterized.named_parameters(*FIXTURES)
  def test_cli_pooled_is_and_whole_encoder(self, folder, pooled_is, framework):
    path = os.path.join(self.get_temp_dir(), "out.json")
    preprocessor = ["--preprocessor", PREPROCESS] if folder.startswith(MG) else []
    code, out, err = run_cli("--handle", folder, *preprocessor, "--full", "--max-seq-length",
                             "32", "--json", path)
    self.assertEqual(code, cli.EXIT_REPRODUCED, out + err)
    self.assertIn(f"pooled_is: {pooled_is}", out)
    with open(path, encoding="utf-8") as f:
      record = json.load(f)
    self.assertEqual((record["family"], record["pooled_is"], record["full"]["family"]),
                     ("mobilebert", pooled_is, "mobilebert"))
    self.assertIn(framework, record["framework"])
    if pooled_is == "cls":  # no layer at all: the very same numbers
      self.assertEqual(record["pooled_vs_cls"]["max_abs_diff"], 0.0)
    else:  # float32 rounding of one tanh(dense): see tolerances.POOLER_TOLERANCE
      self.assertLessEqual(record["pooled_vs_rebuilt"]["max_abs_diff"],
                           tolerances.POOLER_TOLERANCE)
      self.assertGreater(record["pooled_vs_cls"]["max_abs_diff"], 0.1)
    # A whole forward pass in another order: see tolerances.FULL_TOLERANCE.
    self.assertLessEqual(record["sequence_vs_rebuilt"]["max_abs_diff"], tolerances.FULL_TOLERANCE)
    self.assertLen(record["full"]["layers"], 2)  # the blocks (Model Garden's embedding output
    for layer in record["full"]["layers"]:  # is left out of its encoder_outputs)
      self.assertLessEqual(layer["max_abs_diff"], tolerances.FULL_TOLERANCE)
    self.assertTrue(record["full"]["reproduced"])

  @parameterized.named_parameters(*FIXTURES)
  def test_own_framework_and_rebuild_give_the_toolchains_numbers(self, folder, pooled_is,
                                                                 framework):
    del pooled_is, framework
    expected = golden(folder)
    source = module.load(folder)
    self.assertEqual(source.family, "mobilebert")
    out = source.run(*expected["inputs"], layers=True)
    self.assertAllClose(out["sequence_output"], expected["sequence_output"], atol=GOLDEN_ATOL,
                        rtol=0)
    self.assertAllClose(out["pooled_output"], expected["pooled_output"], atol=GOLDEN_ATOL, rtol=0)
    self.assertLen(out["encoder_outputs"], len(expected["layers"]))
    for layer, value in zip(out["encoder_outputs"], expected["layers"]):
      self.assertAllClose(layer, value, atol=GOLDEN_ATOL, rtol=0)
    # The rebuild from the folder's own weights, the embedding output included (a whole forward
    # pass in another order: see tolerances.FULL_TOLERANCE; padding positions too).
    params = {k: tf.constant(v) for k, v in source.params().items()}
    rebuilt = modeling.model(params, source.config(), *expected["inputs"])
    for key in ("embedding_output", "sequence_output", "pooled_output"):
      self.assertAllClose(rebuilt[key], expected[key], atol=tolerances.FULL_TOLERANCE, rtol=0,
                          msg=key)
    for layer, value in zip(rebuilt["encoder_outputs"], expected["layers"]):
      self.assertAllClose(layer, value, atol=tolerances.FULL_TOLERANCE, rtol=0)


class MobileBertConfigTest(tf.test.TestCase):

  def test_hugging_face_config_json_gives_the_options(self):
    path = os.path.join(testutil.FIXTURES, "hf_mobilebert_layer_norm", "config.json")
    with open(path, encoding="utf-8") as f:
      config = names.hf_config(json.load(f))
    self.assertEqual((config.family, config.embedding_width, config.hidden_act),
                     ("mobilebert", 16, "relu"))
    self.assertEqual(config.options, {
        "intra_bottleneck_size": 16, "num_feedforward_networks": 2,
        "normalization_type": "layer_norm", "use_bottleneck": True,
        "key_query_shared_bottleneck": True, "use_bottleneck_attention": False,
        "classifier_activation": False, "trigram_input": True, "unset_norm_eps": 1e-5})
    self.assertEqual(modeling.option(config, "true_hidden_size"), 16)
    self.assertEqual(BertConfig.from_dict(config.to_dict()), config)  # its own keys round trip

  def test_layer_shapes_follow_the_bottleneck(self):
    config = BertConfig(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=37, hidden_act="relu", family="mobilebert",
                        embedding_size=8, options={"intra_bottleneck_size": 16,
                                                   "num_feedforward_networks": 3})
    shapes = modeling.variable_shapes(config)
    layer = "mobilebert/encoder/layer_1"
    self.assertEqual(shapes[f"{modeling.TRANSFORMATION}/kernel"], (24, 32))  # trigram: 3E -> H
    self.assertEqual(shapes[f"{layer}/attention/self/value/kernel"], (32, 16))  # from the input
    self.assertEqual(shapes[f"{layer}/ffn_layer_1/output/dense/kernel"], (37, 16))
    self.assertNotIn(f"{layer}/ffn_layer_2/output/dense/kernel", shapes)  # the last: output/
    self.assertEqual(shapes[f"{layer}/output/bottleneck/dense/kernel"], (16, 32))
    self.assertNotIn(modeling.POOLER_KERNEL, shapes)  # classifier_activation false by default
    out = modeling.model({k: tf.ones(v) * 0.01 for k, v in shapes.items()}, config,
                         tf.constant([[1, 2, 3, 0]]), tf.constant([[1, 1, 1, 0]]))
    self.assertEqual({k: tuple(v.shape) for k, v in out.items() if k != "encoder_outputs"},
                     {"sequence_output": (1, 4, 32), "pooled_output": (1, 32),
                      "embedding_output": (1, 4, 32)})
    self.assertAllEqual(out["pooled_output"], out["sequence_output"][:, 0])

  def test_heads_must_divide_the_bottleneck(self):
    config = BertConfig(vocab_size=99, hidden_size=32, num_hidden_layers=1, num_attention_heads=4,
                        family="mobilebert", options={"intra_bottleneck_size": 6})
    with self.assertRaisesRegex(ConfigError, r"true_hidden_size \(6\) is not a multiple of "
                                             r"num_attention_heads \(4\)"):
      modeling.variable_shapes(config)


class MobileBertAcrossTest(tf.test.TestCase):

  def test_crosscheck_of_a_hugging_face_folder_runs_the_rebuild(self):
    if not HAS_TORCH:
      self.skipTest(f"PyTorch is missing: {huggingface.TORCH_HINT}")
    rows = api.crosscheck(os.path.join(testutil.FIXTURES, "hf_mobilebert_tanh"),
                          testutil.SENTENCES, max_seq_length=32)
    ran = [row for row in rows[1:] if row["status"] == "ran"]
    self.assertEqual([row["implementation"] for row in ran],
                     ["modeling.py rebuild (hub_repro.families.mobilebert.modeling)"])
    for row in ran:  # float32 rounding only: see tolerances.FLOAT32_TOLERANCE
      self.assertLessEqual(row["pooled_max_abs_diff"], tolerances.FLOAT32_TOLERANCE)
      self.assertLessEqual(row["sequence_max_abs_diff"], tolerances.FLOAT32_TOLERANCE)
    self.assertTrue(crosscheck.agrees(rows))

  def test_crosscheck_runs_transformers_on_model_garden_weights(self):
    if not HAS_TORCH:
      self.skipTest(f"PyTorch is missing: {huggingface.TORCH_HINT}")
    # Without classifier_activation transformers' pooler has no weights, and still runs.
    for folder in ("encoder", "encoder_classifier_activation"):
      rows = api.crosscheck(os.path.join(MG, folder), testutil.SENTENCES, max_seq_length=32)
      ran = {row["implementation"].split(",")[0]: row for row in rows[1:]
             if row["status"] == "ran"}
      self.assertCountEqual(ran, ["transformers MobileBertModel",
                                  "modeling.py rebuild (hub_repro.families.mobilebert.modeling)"])
      for name, row in ran.items():  # float32 rounding only: see tolerances.FLOAT32_TOLERANCE
        self.assertLessEqual(row["pooled_max_abs_diff"], tolerances.FLOAT32_TOLERANCE, name)
        self.assertLessEqual(row["sequence_max_abs_diff"], tolerances.FLOAT32_TOLERANCE, name)
      self.assertTrue(crosscheck.agrees(rows), folder)

  def test_diff_against_bert_names_both_families(self):
    record = model_diff.diff(os.path.join(MG, "encoder"),
                             os.path.join(testutil.FIXTURES, "model_garden_tf2", "encoder"),
                             testutil.SENTENCES, 32, log=lambda _: None)
    self.assertFalse(record["same"])
    self.assertEqual(record["explanation"],
                     "DIFFERENT: A is MobileBERT (bottleneck 16 inside 32, 3 feed-forward "
                     "networks, no_norm, pooled_output is the [CLS] state), B is BERT")

  def test_diff_of_the_two_pooler_settings_is_pooled_output_only(self):
    record = model_diff.diff(os.path.join(MG, "encoder"),
                             os.path.join(MG, "encoder_classifier_activation"),
                             testutil.SENTENCES, 32, log=lambda _: None)
    self.assertFalse(record["same"])
    self.assertTrue(record["config"]["same"])  # classifier_activation: pooled_is tells it
    self.assertEqual((record["pooled_is"]["a"], record["pooled_is"]["b"]), ("cls", "pooler"))
    self.assertStartsWith(record["explanation"], "DIFFERENT in pooled_output only: A's "
                          "pooled_output is sequence_output[:, 0] itself")

  def test_diff_names_the_normalization(self):
    if not HAS_TORCH:
      self.skipTest(f"PyTorch is missing: {huggingface.TORCH_HINT}")
    record = model_diff.diff(os.path.join(testutil.FIXTURES, "hf_mobilebert"),
                             os.path.join(testutil.FIXTURES, "hf_mobilebert_layer_norm"),
                             testutil.SENTENCES, 32, log=lambda _: None)
    self.assertFalse(record["same"])
    self.assertIn("normalization_type: A no_norm, B layer_norm", record["explanation"])


if __name__ == "__main__":
  tf.test.main()
