"""DeBERTa-v3 beside BERT: in Hugging Face's format (DebertaV2Model) and keras-hub's
(DebertaV3Backbone), each computed by its own framework, tokenized by its own tokenizer, and
reproduced by hub_repro.families.deberta_v2.modeling, the rebuild of transformers'
modeling_deberta_v2.py.

The fixtures were made by the peer toolchains (tests/make_deberta_v3_fixture.py; each README.md
says which versions): hf_deberta_v3 by transformers' save_pretrained, keras_hub_deberta_v3 by
keras-hub's save_to_preset. Each golden.json holds the ids and outputs that toolchain computed.
"""

import dataclasses
import json
import os

import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from hub_repro import api, cli, crosscheck, families, model_diff, module, tolerances
from hub_repro.config import BertConfig
from hub_repro.errors import ConfigError
from hub_repro.families.deberta_v2 import modeling as deberta_modeling
from hub_repro.families.deberta_v2 import names as deberta_names
from hub_repro.sources import huggingface
from hub_repro.tokenization import tokenizer_for
import testutil

HAS_TORCH = huggingface.why_no_torch() is None
HF_DEBERTA = os.path.join(testutil.FIXTURES, "hf_deberta_v3")
KERAS_HUB_DEBERTA = os.path.join(testutil.FIXTURES, "keras_hub_deberta_v3")

# (name, folder, JSON format, who computes it)
FIXTURES = [
    ("hf_deberta_v3", HF_DEBERTA, "huggingface", "transformers DebertaV2Model"),
    ("keras_hub_deberta_v3", KERAS_HUB_DEBERTA, "keras-hub", "keras-hub DebertaV3Backbone"),
]
# The same framework on the same weights and ids as the toolchain that wrote golden.json: a few
# float32 ulps on values of size ~1-4 through 2 layers (keras-hub's golden.json was computed
# without oneDNN, which this process may use: ~1e-6); 1e4x below what a wrong setting moves
# (golden.json "sensitivity": 0.2 and more).
GOLDEN_ATOL = 1e-5

run_cli = testutil.run_cli








class DebertaFamilyTest(tf.test.TestCase, parameterized.TestCase):

  def setUp(self):
    super().setUp()
    if not HAS_TORCH and "hf_" in self._testMethodName:
      self.skipTest(f"PyTorch is missing: {huggingface.TORCH_HINT}")

  @parameterized.named_parameters(*FIXTURES)
  def test_cli_no_pooled_output_and_whole_encoder(self, folder, fmt, framework):
    path = os.path.join(self.get_temp_dir(), "out.json")
    exit_code, out, err = run_cli("--handle", folder, "--full", "--max-seq-length", "32",
                                  "--json", path)
    self.assertEqual(exit_code, cli.EXIT_NO_POOLER, out + err)
    with open(path, encoding="utf-8") as f:
      record = json.load(f)
    self.assertEqual((record["format"], record["family"], record["full"]["family"],
                      record["pooled_is"]), (fmt, "deberta_v2", "deberta_v2", "none"))
    self.assertIn(framework, record["framework"])
    config = record["full"]["config"]
    self.assertEqual((config["layer_norm_eps"], config["hidden_act"], config["type_vocab_size"]),
                     (1e-7, "gelu_exact", 0))
    self.assertEqual((config["position_buckets"], config["pos_att_type"],
                      config["position_biased_input"]), (8, ["p2c", "c2p"], False))
    # A whole forward pass in another order: see tolerances.FULL_TOLERANCE.
    self.assertLessEqual(record["sequence_vs_rebuilt"]["max_abs_diff"], tolerances.FULL_TOLERANCE)
    self.assertLen(record["full"]["layers"], 2)
    for layer in record["full"]["layers"]:
      self.assertLessEqual(layer["max_abs_diff"], tolerances.FULL_TOLERANCE, layer)
    self.assertTrue(record["full"]["reproduced"])

  @parameterized.named_parameters(*FIXTURES)
  def test_own_tokenizer_and_framework_match_the_toolchains_numbers(self, folder, fmt, framework):
    del fmt, framework
    stored = testutil.golden(folder)
    source = module.load(folder)
    self.assertEqual(source.family, "deberta_v2")
    singles, pairs = testutil.singles_and_pairs(stored)
    tokenizer = source.tokenizer()  # the folder's own files, not the toolchain's tokenizer
    inputs, length = testutil.golden_inputs(stored), stored["max_seq_length"]
    for examples, rows in ((singles, slice(0, len(singles))), (pairs, slice(len(singles), None))):
      packed = tokenizer.encode(examples, length)
      self.assertAllEqual(packed.input_ids, inputs[0][rows])
      self.assertAllEqual(packed.input_mask, inputs[1][rows])
    out = source.run(*inputs, layers=True)
    self.assertNotIn("pooled_output", out)
    self.assertAllClose(out["sequence_output"], stored["sequence_output"], atol=GOLDEN_ATOL,
                        rtol=0)
    for layer, value in zip(out["encoder_outputs"], stored["hidden_states"][1:], strict=True):
      self.assertAllClose(layer, value, atol=GOLDEN_ATOL, rtol=0)
    # The rebuild on the copy's own weights, on the toolchain's ids, real tokens (keras-hub does
    # not zero the pad rows of the embedding output, transformers does): see
    # tolerances.FULL_TOLERANCE (a whole forward pass in another order).
    config = source.config()
    rebuilt = families.get(config).model(source.params(), config, *inputs)
    real = inputs[1].astype(bool)
    self.assertNotIn("pooled_output", rebuilt)
    for ours, theirs in zip(rebuilt["encoder_outputs"], stored["hidden_states"][1:], strict=True):
      self.assertAllClose(np.asarray(ours)[real], np.asarray(theirs)[real],
                          atol=tolerances.FULL_TOLERANCE, rtol=0)

  @parameterized.named_parameters(*FIXTURES)
  def test_crosscheck_runs_the_other_framework_and_the_rebuild(self, folder, fmt, framework):
    del framework
    rows = api.crosscheck(folder, testutil.SENTENCES, max_seq_length=32)
    ran = {row["implementation"].split(",")[0]: row for row in rows[1:] if row["status"] == "ran"}
    other = ("keras-hub DebertaV3Backbone" if fmt == "huggingface"
             else "transformers DebertaV2Model")
    self.assertCountEqual(ran, [other,
                                "modeling.py rebuild (hub_repro.families.deberta_v2.modeling)"])
    for name, row in ran.items():  # float32 rounding only: see tolerances.FLOAT32_TOLERANCE
      self.assertIsNone(row["pooled_max_abs_diff"], name)
      self.assertLessEqual(row["sequence_max_abs_diff"], tolerances.FLOAT32_TOLERANCE, name)
    self.assertTrue(crosscheck.agrees(rows))


class DebertaDiffTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    if not HAS_TORCH:
      self.skipTest(f"PyTorch is missing: {huggingface.TORCH_HINT}")

  def test_diff_against_bert_names_both_families(self):
    record = model_diff.diff(HF_DEBERTA, os.path.join(testutil.FIXTURES, "hf_bert_tokenizer_json"),
                             testutil.SENTENCES, 32, log=lambda _: None)
    self.assertFalse(record["same"])
    self.assertEqual(record["explanation"],
                     "DIFFERENT: A is DeBERTa-v2/v3 (disentangled attention: p2c, c2p; relative "
                     "positions in 8 log buckets; no pooler), B is BERT")


class DebertaTokenizationTest(tf.test.TestCase):
  """Each format's own tokenizer: transformers 5's tokenizer.json normalizes with NFC, the
  SentencePiece model (keras-hub's vocabulary.spm, the folder's spm.model) with its own
  nmt_nfkc; they part only on text whose NFKC form differs (golden.json normalization_probe)."""

  def setUp(self):
    super().setUp()
    self.probe = testutil.golden(HF_DEBERTA)["normalization_probe"]

  def _ids(self, tokenizer) -> list:
    return [list(row) for row in tokenizer.tokenize(self.probe["texts"]).to_list()]

  def test_tokenizer_json_normalizes_as_transformers_does(self):
    if not HAS_TORCH:  # tokenizers comes with transformers
      self.skipTest(f"PyTorch is missing: {huggingface.TORCH_HINT}")
    tokenizer = tokenizer_for(os.path.join(HF_DEBERTA, "tokenizer.json"),
                              packing=deberta_names.PACKING)
    self.assertEqual(self._ids(tokenizer), self.probe["tokenizer_ids"])

  def test_sentencepiece_model_keeps_its_own_normalizer(self):
    for path in (os.path.join(HF_DEBERTA, "spm.model"),
                 os.path.join(KERAS_HUB_DEBERTA, "assets", "tokenizer", "vocabulary.spm")):
      tokenizer = tokenizer_for(path, packing=deberta_names.PACKING)
      self.assertEqual(self._ids(tokenizer), self.probe["sentencepiece_ids"], path)
      # Not ALBERT's lower-casing: "Hello" is not "hello" to DeBERTa-v3.
      self.assertNotAllEqual(tokenizer.encode(["Hello world"], 8).input_ids,
                             tokenizer.encode(["hello world"], 8).input_ids)

  def test_spm_model_gives_the_toolchains_ids_on_plain_text(self):
    stored = testutil.golden(HF_DEBERTA)
    singles, pairs = testutil.singles_and_pairs(stored)
    tokenizer = tokenizer_for(os.path.join(HF_DEBERTA, "spm.model"),
                              packing=deberta_names.PACKING)
    ids = np.asarray(stored["inputs"]["input_ids"])
    self.assertAllEqual(tokenizer.encode(singles, stored["max_seq_length"]).input_ids,
                        ids[:len(singles)])
    packed = tokenizer.encode(pairs, stored["max_seq_length"])
    self.assertAllEqual(packed.input_ids, ids[len(singles):])
    self.assertEqual(set(packed.segment_ids[packed.input_ids == 2].tolist()), {0, 1})


class DebertaModelingTest(tf.test.TestCase):

  def test_log_buckets_are_transformers(self):
    if not HAS_TORCH:
      self.skipTest(f"PyTorch is missing: {huggingface.TORCH_HINT}")
    import torch
    from transformers.models.deberta_v2 import modeling_deberta_v2

    relative = np.arange(-600, 601)
    for buckets, max_position in ((8, 64), (256, 512), (256, 64)):
      theirs = modeling_deberta_v2.make_log_bucket_position(torch.tensor(relative), buckets,
                                                            max_position).long().numpy()
      ours = deberta_modeling.make_log_bucket_position(tf.constant(relative, tf.int32), buckets,
                                                       max_position)
      self.assertAllEqual(ours, theirs)

  def test_each_setting_moves_the_outputs_as_golden_json_says(self):
    """The rebuild under the wrong value of a setting moves about as far as the toolchain's own
    model under it (golden.json "sensitivity"): every option is read, and read the same way."""
    if not HAS_TORCH:
      self.skipTest(f"PyTorch is missing: {huggingface.TORCH_HINT}")
    stored = testutil.golden(HF_DEBERTA)
    source = module.load(HF_DEBERTA)
    config, params, inputs = source.config(), source.params(), testutil.golden_inputs(stored)
    wrong = {"num_attention_heads=2": dataclasses.replace(config, num_attention_heads=2),
             "pos_att_type=['c2p']": dataclasses.replace(
                 config, options={**config.options, "pos_att_type": ["c2p"]}),
             "max_relative_positions=512": dataclasses.replace(
                 config, options={**config.options, "max_relative_positions": 512})}
    for name, candidate in wrong.items():
      out = deberta_modeling.deberta_model(params, candidate, *inputs)["sequence_output"]
      # Over every position, pads included, as the toolchain measured it.
      moved = np.max(np.abs(np.asarray(out) - np.asarray(stored["sequence_output"])))
      # golden.json prints 4 significant digits: rtol 1e-3.
      self.assertAllClose(moved, stored["sensitivity"][name]["sequence_output"], rtol=1e-3,
                          atol=tolerances.FULL_TOLERANCE, msg=name)

  def test_config_json_keys_become_options_and_back(self):
    with open(os.path.join(HF_DEBERTA, "config.json"), encoding="utf-8") as f:
      values = json.load(f)
    config = deberta_names.config_from_hf(values)
    self.assertEqual(config.options["pos_att_type"], ["p2c", "c2p"])
    self.assertEqual(BertConfig.from_dict(config.to_dict()), config)
    legacy = deberta_names.config_from_hf({**values, "pos_att_type": "p2c|c2p"})
    self.assertEqual(legacy.options["pos_att_type"], ["p2c", "c2p"])
    with self.assertRaisesRegex(ConfigError, "conv_kernel_size"):
      deberta_names.config_from_hf({**values, "conv_kernel_size": 3})

  def test_the_config_decides_which_layers_a_copy_has(self):
    config = deberta_names.config_from_hf(
        {"vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2,
         "intermediate_size": 5, "type_vocab_size": 2, "relative_attention": True,
         "position_buckets": -1, "max_relative_positions": 16, "pos_att_type": "c2p",
         "share_att_key": False, "position_biased_input": True})
    shapes = deberta_modeling.variable_shapes(config)
    self.assertEqual(shapes[deberta_modeling.REL_EMBEDDINGS], (32, 8))  # 2 x max_relative
    self.assertIn(deberta_modeling.POSITION_EMBEDDINGS, shapes)
    self.assertEqual(shapes[deberta_modeling.TOKEN_TYPE_EMBEDDINGS], (2, 8))
    self.assertIn("deberta/encoder/layer_0/attention/self/pos_key_proj/kernel", shapes)
    self.assertNotIn("deberta/encoder/layer_0/attention/self/pos_query_proj/kernel", shapes)
    self.assertNotIn("deberta/encoder/LayerNorm/gamma", shapes)  # norm_rel_ebd "none"
    with self.assertRaisesRegex(ConfigError, "DebertaV3Backbone"):
      deberta_names.keras_hub_kwargs(config)


if __name__ == "__main__":
  tf.test.main()
