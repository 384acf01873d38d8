"""DistilBERT beside BERT: transformers' DistilBertModel and keras-hub's DistilBertBackbone, each
computed by its own framework, tokenized by hub_repro's WordPiece with no token types, and
reproduced by hub_repro.families.distilbert.modeling (BERT's layer under distilbert/).

The fixtures were made by the peer toolchains (tests/make_distilbert_fixture.py; their README.md
says which versions): hf_distilbert by transformers' save_pretrained, keras_hub_distilbert by
keras-hub's save_to_preset, each with its own weights. Each golden.json holds the ids and outputs
that toolchain computed; neither model has a pooled_output.
"""

import json
import os

import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from hub_repro import api, cli, families, model_diff, module, tolerances
from hub_repro.config import BertConfig
from hub_repro.families.distilbert import modeling, names
from hub_repro.sources import huggingface
import testutil

HAS_TORCH = huggingface.why_no_torch() is None
HF = os.path.join(testutil.FIXTURES, "hf_distilbert")
KERAS_HUB = os.path.join(testutil.FIXTURES, "keras_hub_distilbert")
# (name, folder, JSON format, who computes it)
DISTILBERT = [
    ("hf_distilbert", HF, "huggingface", "transformers DistilBertModel"),
    ("keras_hub_distilbert", KERAS_HUB, "keras-hub", "keras-hub DistilBertBackbone"),
]
# The same framework on the same weights and ids as the toolchain that wrote golden.json: a few
# float32 ulps on values of size ~1-4 through 2 layers; 50x below what a wrong head count or gelu
# form moves (golden.json "sensitivity": 2.1-2.8 and 8e-4), as test_families' GOLDEN_ATOL.
GOLDEN_ATOL = 1e-5


def golden(folder: str) -> dict:
  """golden.json's ids, mask, sequence_output and each layer's output (hidden_states[1:]:
  hidden_states[0] is the embedding output). It has no segment ids and no pooled_output."""
  with open(os.path.join(folder, "golden.json"), encoding="utf-8") as f:
    stored = json.load(f)
  return {"input_ids": np.asarray(stored["inputs"]["input_ids"]),
          "input_mask": np.asarray(stored["inputs"]["input_mask"]),
          "max_seq_length": stored["max_seq_length"],
          "sequence_output": np.asarray(stored["sequence_output"], np.float32),
          "layers": [np.asarray(h, np.float32) for h in stored["hidden_states"][1:]],
          "keys": set(stored)}


def skip_without_torch(test, folder):
  if not HAS_TORCH and folder == HF:
    test.skipTest(f"PyTorch is missing: {huggingface.TORCH_HINT}")


class DistilBertFormatsTest(parameterized.TestCase, tf.test.TestCase):

  @parameterized.named_parameters(*DISTILBERT)
  def test_cli_no_pooled_output_and_whole_encoder_reproduced(self, folder, fmt, framework):
    skip_without_torch(self, folder)
    path = os.path.join(self.get_temp_dir(), "out.json")
    code, out, err = testutil.run_cli("--handle", folder, "--full", "--max-seq-length", "32",
                                      "--json", path)
    self.assertEqual(code, cli.EXIT_NO_POOLER, out + err)
    with open(path, encoding="utf-8") as f:
      record = json.load(f)
    self.assertEqual((record["format"], record["family"], record["pooled_is"]),
                     (fmt, "distilbert", "none"))
    self.assertIn(framework, record["framework"])
    self.assertIn("pooled_is: none", out)
    self.assertIn("no pooled_output", out)
    self.assertIn("rebuilt from transformers modeling_distilbert.py", out)
    self.assertLen([line for line in err.splitlines() if line.strip()], 1, msg=err)
    self.assertIn("has no pooled_output", err)
    full = record["full"]
    self.assertEqual((full["family"], full["config"]["num_attention_heads"],
                      full["config"]["hidden_act"]), ("distilbert", 4, "gelu_exact"))
    self.assertIsNone(full["pooled_vs_full_rebuild"]["max_abs_diff"])
    self.assertLen(full["layers"], 2)
    # A whole forward pass in another order: see tolerances.FULL_TOLERANCE.
    for layer in full["layers"]:
      self.assertLessEqual(layer["max_abs_diff"], tolerances.FULL_TOLERANCE)
    self.assertLessEqual(full["sequence_vs_rebuilt"]["max_abs_diff"], tolerances.FULL_TOLERANCE)
    self.assertTrue(full["reproduced"])
    self.assertIn("Full verdict: REPRODUCED", out)

  @parameterized.named_parameters(*DISTILBERT)
  def test_own_tokenizer_and_framework_match_the_toolchains_numbers(self, folder, fmt, framework):
    del fmt, framework
    skip_without_torch(self, folder)
    expected = golden(folder)
    self.assertNotIn("pooled_output", expected["keys"])
    source = module.load(folder)
    self.assertEqual(source.family, "distilbert")
    singles = [s for s in testutil.SENTENCES if isinstance(s, str)]
    pair = [tuple(s) for s in testutil.SENTENCES if not isinstance(s, str)]
    tokenizer = source.tokenizer()  # WordPiece over the model's own vocab, not the toolchain's
    ids, length = expected["input_ids"], expected["max_seq_length"]
    packed_singles, packed_pair = tokenizer.encode(singles, length), tokenizer.encode(pair, length)
    self.assertAllEqual(packed_singles.input_ids, ids[:len(singles)])
    self.assertAllEqual(packed_pair.input_ids, ids[len(singles):])  # [CLS] A [SEP] B [SEP]
    self.assertAllEqual(packed_pair.input_mask, expected["input_mask"][len(singles):])
    self.assertAllEqual(packed_pair.segment_ids, np.zeros_like(packed_pair.segment_ids))
    # Segment ids that are not zero change nothing: neither model takes them.
    out = source.run(ids, expected["input_mask"], np.ones_like(ids), layers=True)
    self.assertNotIn("pooled_output", out)
    self.assertAllClose(out["sequence_output"], expected["sequence_output"], atol=GOLDEN_ATOL,
                        rtol=0)
    self.assertLen(out["encoder_outputs"], len(expected["layers"]))
    for layer, value in zip(out["encoder_outputs"], expected["layers"]):
      self.assertAllClose(layer, value, atol=GOLDEN_ATOL, rtol=0)

  @parameterized.named_parameters(*DISTILBERT)
  def test_rebuild_on_the_copy_s_weights_gives_the_toolchains_numbers(self, folder, fmt,
                                                                      framework):
    del fmt, framework
    skip_without_torch(self, folder)
    expected = golden(folder)
    source = module.load(folder)
    params = source.params()
    self.assertCountEqual(params, modeling.variable_shapes(source.config()))
    self.assertNotIn("distilbert/embeddings/token_type_embeddings", params)
    out = modeling.model(params, source.config(), tf.constant(expected["input_ids"], tf.int32),
                         tf.constant(expected["input_mask"], tf.int32))
    self.assertNotIn("pooled_output", out)
    # The rebuild against another framework: see tolerances.FULL_TOLERANCE.
    self.assertAllClose(out["sequence_output"], expected["sequence_output"],
                        atol=tolerances.FULL_TOLERANCE, rtol=0)
    for layer, value in zip(out["encoder_outputs"], expected["layers"]):
      self.assertAllClose(layer, value, atol=tolerances.FULL_TOLERANCE, rtol=0)


class DistilBertConfigTest(tf.test.TestCase):

  def test_distilbert_config_json_is_read_under_its_own_keys(self):
    with open(os.path.join(HF, "config.json"), encoding="utf-8") as f:
      config = names.HUGGING_FACE.from_config(json.load(f))
    self.assertEqual(
        (config.family, config.vocab_size, config.hidden_size, config.num_hidden_layers,
         config.num_attention_heads, config.intermediate_size, config.hidden_act,
         config.max_position_embeddings, config.layer_norm_eps),
        ("distilbert", 109, 32, 2, 4, 37, "gelu_exact", 64, 1e-12))
    self.assertEqual(BertConfig.from_dict(config.to_dict()), config)

  def test_canonical_names_are_owned_by_distilbert_alone(self):
    config = testutil.tiny_config(family="distilbert", type_vocab_size=1, hidden_act="gelu_exact")
    params = {k: np.zeros(v, np.float32) for k, v in modeling.variable_shapes(config).items()}
    self.assertEqual(families.of_names(params), "distilbert")
    self.assertEqual(families.config_from_params(params, 4), config)
    self.assertEqual(set(names.HF_TO_DISTILBERT.values()) | set(names.DISTILBERT_TO_KERAS_HUB),
                     {k.replace("_0/", "_{n}/") for k in modeling.variable_shapes(
                         testutil.tiny_config(family="distilbert", num_hidden_layers=1))})

  def test_token_type_ids_are_ignored_by_the_rebuild(self):
    config = testutil.tiny_config(family="distilbert", type_vocab_size=1)
    rng = np.random.default_rng(0)
    params = {k: tf.constant(rng.normal(0.0, 0.2, v), tf.float32)
              for k, v in modeling.variable_shapes(config).items()}
    ids = tf.constant([[2, 70, 82, 3, 0]], tf.int32)
    mask = tf.constant([[1, 1, 1, 1, 0]], tf.int32)
    zeros = modeling.model(params, config, ids, mask)["sequence_output"]
    ones = modeling.model(params, config, ids, mask, tf.ones_like(ids))["sequence_output"]
    self.assertAllEqual(zeros, ones)


class DistilBertChecksTest(tf.test.TestCase):
  """crosscheck and diff see only the Source interface: DistilBERT goes through them as BERT
  does."""

  def setUp(self):
    super().setUp()
    if not HAS_TORCH:
      self.skipTest(f"PyTorch is missing: {huggingface.TORCH_HINT}")

  def test_crosscheck_runs_keras_hub_and_the_rebuild_on_the_hf_weights(self):
    from hub_repro import crosscheck

    rows = api.crosscheck(HF, testutil.SENTENCES, max_seq_length=32)
    ran = {row["implementation"]: row for row in rows[1:] if row["status"] == "ran"}
    self.assertCountEqual(ran, ["keras-hub DistilBertBackbone",
                                "modeling.py rebuild (hub_repro.families.distilbert.modeling)"])
    for name, row in ran.items():  # float32 rounding only: see tolerances.FLOAT32_TOLERANCE
      self.assertIsNone(row["pooled_max_abs_diff"], name)  # no pooled_output on either side
      self.assertLessEqual(row["sequence_max_abs_diff"], tolerances.FLOAT32_TOLERANCE, name)
      self.assertEqual(row["gelu"], "erf (exact)")
    self.assertTrue(crosscheck.agrees(rows))

  def test_diff_of_the_two_fixtures_finds_their_different_weights(self):
    # The READMEs: transformers' init under torch seed 1234 against numpy default_rng(1234)
    # draws, on the same vocab and config.
    record = model_diff.diff(HF, KERAS_HUB, testutil.SENTENCES, 32, log=lambda _: None)
    self.assertFalse(record["same"])
    self.assertFalse(record["weights"]["same"])
    self.assertStartsWith(record["explanation"], "DIFFERENT: weights differ")
    self.assertEqual([record["families"][side]["family"] for side in "ab"],
                     ["distilbert", "distilbert"])

  def test_diff_distilbert_against_bert_names_the_families_in_one_line(self):
    record = model_diff.diff(HF, os.path.join(testutil.FIXTURES, "hf_bert_tokenizer_json"),
                             testutil.SENTENCES, 32, log=lambda _: None)
    self.assertFalse(record["same"])
    self.assertEqual(record["explanation"], "DIFFERENT: A is DistilBERT (2 layers, no token type "
                                            "embedding, no pooler), B is BERT")


if __name__ == "__main__":
  tf.test.main()
