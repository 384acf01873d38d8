"""RoBERTa and XLM-R beside BERT: each in Hugging Face's and keras-hub's format, computed by its own
framework, tokenized by its own tokenizer (byte-level BPE; XLM-R's SentencePiece in fairseq's
ids) and reproduced by hub_repro.families.roberta.modeling, the rebuild of transformers'
modeling_roberta.py.

The fixtures were made by the peer toolchains (tests/make_roberta_fixture.py and
tests/make_xlm_roberta_fixture.py; each README.md says which versions): hf_roberta,
hf_roberta_no_pooler and hf_xlm_roberta by transformers' save_pretrained, keras_hub_roberta and
keras_hub_xlm_roberta by keras-hub's save_to_preset. Each golden.json holds the ids and outputs
that toolchain computed.
"""

import json
import os
import shutil

import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from hub_repro import api, cli, families, module, tolerances
from hub_repro.families.roberta import modeling as roberta_modeling
from hub_repro.families.roberta import names as roberta_names
from hub_repro.sources import huggingface
from hub_repro.tokenization import tokenizer_for
import testutil

HAS_TORCH = huggingface.why_no_torch() is None
HF_ROBERTA = os.path.join(testutil.FIXTURES, "hf_roberta")
HF_NO_POOLER = os.path.join(testutil.FIXTURES, "hf_roberta_no_pooler")
KERAS_HUB_ROBERTA = os.path.join(testutil.FIXTURES, "keras_hub_roberta")
HF_XLM_R = os.path.join(testutil.FIXTURES, "hf_xlm_roberta")
KERAS_HUB_XLM_R = os.path.join(testutil.FIXTURES, "keras_hub_xlm_roberta")

# (name, folder, JSON format, family, who computes it, pooled_is, exit code)
FIXTURES = [
    ("hf_roberta", HF_ROBERTA, "huggingface", "roberta", "transformers RobertaModel", "pooler",
     cli.EXIT_REPRODUCED),
    ("hf_roberta_no_pooler", HF_NO_POOLER, "huggingface", "roberta", "transformers RobertaModel",
     "pooler", cli.EXIT_REPRODUCED),
    ("keras_hub_roberta", KERAS_HUB_ROBERTA, "keras-hub", "roberta", "keras-hub RobertaBackbone",
     "none", cli.EXIT_NO_POOLER),
    ("hf_xlm_roberta", HF_XLM_R, "huggingface", "xlm_roberta", "transformers XLMRobertaModel",
     "pooler", cli.EXIT_REPRODUCED),
    ("keras_hub_xlm_roberta", KERAS_HUB_XLM_R, "keras-hub", "xlm_roberta",
     "keras-hub XLMRobertaBackbone", "none", cli.EXIT_NO_POOLER),
]
# The same framework on the same weights and ids as the toolchain that wrote golden.json: bit-exact
# or a few float32 ulps on values of size ~1-4 through 2 layers, ~1e-6; 50x below what a wrong
# gelu form moves (golden.json "sensitivity": 4.6e-4 and more).
GOLDEN_ATOL = 1e-5

run_cli = testutil.run_cli








class RobertaFamilyTest(tf.test.TestCase, parameterized.TestCase):

  def setUp(self):
    super().setUp()
    if not HAS_TORCH and "hf_" in self._testMethodName:
      self.skipTest(f"PyTorch is missing: {huggingface.TORCH_HINT}")

  @parameterized.named_parameters(*FIXTURES)
  def test_cli_verdict_and_whole_encoder(self, folder, fmt, family, framework, pooled_is, code):
    path = os.path.join(self.get_temp_dir(), "out.json")
    exit_code, out, err = run_cli("--handle", folder, "--full", "--max-seq-length", "32",
                                  "--json", path)
    self.assertEqual(exit_code, code, out + err)
    with open(path, encoding="utf-8") as f:
      record = json.load(f)
    self.assertEqual((record["format"], record["family"], record["full"]["family"],
                      record["pooled_is"]), (fmt, family, family, pooled_is))
    self.assertIn(framework, record["framework"])
    self.assertEqual(record["full"]["config"]["layer_norm_eps"], 1e-5)
    self.assertEqual(record["full"]["config"]["hidden_act"], "gelu_exact")
    # A whole forward pass in another order: see tolerances.FULL_TOLERANCE.
    self.assertLessEqual(record["sequence_vs_rebuilt"]["max_abs_diff"], tolerances.FULL_TOLERANCE)
    self.assertLen(record["full"]["layers"], 2)
    for layer in record["full"]["layers"]:
      self.assertLessEqual(layer["max_abs_diff"], tolerances.FULL_TOLERANCE, layer)
    self.assertTrue(record["full"]["reproduced"])
    if pooled_is == "pooler":
      # float32 rounding of one tanh(dense): see tolerances.POOLER_TOLERANCE.
      self.assertLessEqual(record["pooled_vs_rebuilt"]["max_abs_diff"],
                           tolerances.POOLER_TOLERANCE)
      self.assertGreater(record["pooled_vs_cls"]["max_abs_diff"], 0.1)

  @parameterized.named_parameters(*FIXTURES)
  def test_own_tokenizer_and_framework_match_the_toolchains_numbers(
      self, folder, fmt, family, framework, pooled_is, code):
    del fmt, framework, pooled_is, code
    stored = testutil.golden(folder)
    source = module.load(folder)
    self.assertEqual(source.family, family)
    singles, pairs = testutil.singles_and_pairs(stored)
    tokenizer = source.tokenizer()  # the folder's own files, not the toolchain's tokenizer
    inputs, length = testutil.golden_inputs(stored), stored["max_seq_length"]
    for examples, rows in ((singles, slice(0, len(singles))), (pairs, slice(len(singles), None))):
      packed = tokenizer.encode(examples, length)
      self.assertAllEqual(packed.input_ids, inputs[0][rows])
      self.assertAllEqual(packed.input_mask, inputs[1][rows])
      self.assertAllEqual(packed.segment_ids, inputs[2][rows])  # one token type
    out = source.run(*inputs, layers=True)
    self.assertAllClose(out["sequence_output"], stored["sequence_output"], atol=GOLDEN_ATOL,
                        rtol=0)
    if "pooled_output" in stored:
      self.assertAllClose(out["pooled_output"], stored["pooled_output"], atol=GOLDEN_ATOL, rtol=0)
    for layer, value in zip(out["encoder_outputs"], stored["hidden_states"][1:], strict=True):
      self.assertAllClose(layer, value, atol=GOLDEN_ATOL, rtol=0)
    # The rebuild on the copy's own weights, on the toolchain's ids: see
    # tolerances.FULL_TOLERANCE (a whole forward pass in another order).
    config = source.config()
    rebuilt = families.get(config).model(source.params(), config, *inputs)
    real = inputs[1].astype(bool)
    self.assertAllClose(np.asarray(rebuilt["sequence_output"])[real],
                        np.asarray(stored["sequence_output"])[real],
                        atol=tolerances.FULL_TOLERANCE, rtol=0)


class PoolerNotStoredTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    if not HAS_TORCH:
      self.skipTest(f"PyTorch is missing: {huggingface.TORCH_HINT}")

  def test_a_pooler_made_at_load_time_is_marked_not_stored(self):
    path = os.path.join(self.get_temp_dir(), "out.json")
    code, out, err = run_cli("--handle", HF_NO_POOLER, "--max-seq-length", "32", "--json", path)
    self.assertEqual(code, cli.EXIT_REPRODUCED, out + err)
    with open(path, encoding="utf-8") as f:
      record = json.load(f)
    self.assertEqual(record["pooled_is"], "pooler")
    self.assertFalse(record["pooler"]["stored"])
    self.assertIn("not in the model's files", record["pooler"]["untrained_evidence"])
    self.assertIn("not in the model's files", out)
    # The toolchain's own evidence: the checkpoint holds no pooler.* tensor.
    self.assertEqual(testutil.golden(HF_NO_POOLER)["random_pooler_evidence"]["checkpoint_pooler_keys"], [])

  def test_a_stored_pooler_is_marked_stored(self):
    source = module.load(HF_ROBERTA)
    self.assertTrue(source.named_pooler()[0].stored)


class RobertaTokenizationTest(tf.test.TestCase):

  def test_vocab_json_and_merges_alone_give_the_toolchains_ids(self):
    stored = testutil.golden(HF_ROBERTA)
    singles, pairs = testutil.singles_and_pairs(stored)
    folder = self.get_temp_dir()
    for name in ("vocab.json", "merges.txt"):  # a folder of transformers 4 without tokenizer.json
      shutil.copy(os.path.join(HF_ROBERTA, name), folder)
    tokenizer = tokenizer_for(os.path.join(folder, "vocab.json"),
                              packing=roberta_names.PACKING)
    ids = np.asarray(stored["inputs"]["input_ids"])
    self.assertAllEqual(tokenizer.encode(singles, stored["max_seq_length"]).input_ids,
                        ids[:len(singles)])
    self.assertAllEqual(tokenizer.encode(pairs, stored["max_seq_length"]).input_ids,
                        ids[len(singles):])

  def test_xlm_r_sentencepiece_model_in_fairseq_ids(self):
    stored = testutil.golden(HF_XLM_R)
    singles, pairs = testutil.singles_and_pairs(stored)
    xlm_packing = families.names("xlm_roberta").PACKING
    tokenizer = tokenizer_for(os.path.join(HF_XLM_R, "sentencepiece.bpe.model"),
                              packing=xlm_packing)
    ids = np.asarray(stored["inputs"]["input_ids"])
    self.assertAllEqual(tokenizer.encode(singles, stored["max_seq_length"]).input_ids,
                        ids[:len(singles)])
    self.assertAllEqual(tokenizer.encode(pairs, stored["max_seq_length"]).input_ids,
                        ids[len(singles):])
    self.assertEqual(tokenizer.vocab_size, 402)  # fairseq's dictionary: config.json's vocab_size
    with open(os.path.join(HF_XLM_R, "tokenizer.json"), encoding="utf-8") as f:
      by_id = [token for token, _ in json.load(f)["model"]["vocab"]]
    self.assertEqual(tokenizer.vocab, by_id)  # transformers' tokens, id by id
    unknown = tokenizer.tokenize(["\u4e2d"]).flat_values.numpy()  # a character it never saw
    self.assertIn(3, unknown)  # fairseq's <unk>, not SentencePiece's 0 (<s> here)


class RobertaModelingTest(tf.test.TestCase):

  def test_positions_count_real_tokens_from_pad_id_plus_one(self):
    ids = tf.constant([[0, 47, 48, 2, 1, 1], [0, 2, 2, 5, 2, 1]])
    self.assertAllEqual(roberta_modeling.create_position_ids_from_input_ids(ids, 1),
                        [[2, 3, 4, 5, 1, 1], [2, 3, 4, 5, 6, 1]])

  def test_keras_hub_layout_round_trip(self):
    config = families.config_from_params({
        "roberta/embeddings/word_embeddings": np.zeros([10, 8]),
        "roberta/embeddings/position_embeddings": np.zeros([6, 8]),
        "roberta/embeddings/token_type_embeddings": np.zeros([1, 8]),
        "roberta/encoder/layer_0/attention/self/query/kernel": np.zeros([8, 8]),
        "roberta/encoder/layer_0/intermediate/dense/kernel": np.zeros([8, 12])})
    self.assertEqual((config.family, config.pad_token_id, config.layer_norm_eps),
                     ("roberta", 1, 1e-5))
    rng = np.random.default_rng(0)
    positions, token_type = rng.normal(size=[6, 8]), rng.normal(size=[1, 8])
    spec = roberta_names.KERAS_HUB
    keras = spec.to_keras({"roberta/embeddings/position_embeddings": positions,
                           "roberta/embeddings/token_type_embeddings": token_type}, config)
    # keras-hub's positions 0..S-1 are the family's rows 2..S+1, the token type row folded in.
    self.assertNotIn("roberta/embeddings/token_type_embeddings", keras)
    self.assertAllClose(keras["roberta/embeddings/position_embeddings"],
                        positions[2:] + token_type[0])
    back = spec.from_keras(keras, config)
    self.assertAllClose(back["roberta/embeddings/position_embeddings"][2:],
                        positions[2:] + token_type[0])
    self.assertAllEqual(back["roberta/embeddings/token_type_embeddings"], np.zeros([1, 8]))
    self.assertEqual(spec.to_kwargs(config)["max_sequence_length"], 4)


class RobertaAcrossToolsTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    if not HAS_TORCH:
      self.skipTest(f"PyTorch is missing: {huggingface.TORCH_HINT}")

  def test_crosscheck_runs_keras_hub_and_the_rebuild_on_roberta_weights(self):
    from hub_repro import crosscheck

    rows = api.crosscheck(HF_ROBERTA, testutil.SENTENCES, max_seq_length=32)
    ran = {row["implementation"].split(",")[0]: row for row in rows[1:] if row["status"] == "ran"}
    self.assertCountEqual(ran, ["keras-hub RobertaBackbone",
                                "modeling.py rebuild (hub_repro.families.roberta.modeling)"])
    # RobertaBackbone has no pooler: its row compares sequence_output only.
    self.assertIsNone(ran["keras-hub RobertaBackbone"]["pooled_max_abs_diff"])
    for name, row in ran.items():  # float32 rounding only: see tolerances.FLOAT32_TOLERANCE
      self.assertLessEqual(row["sequence_max_abs_diff"], tolerances.FLOAT32_TOLERANCE, name)
    self.assertTrue(crosscheck.agrees(rows))

  def test_crosscheck_runs_transformers_without_a_pooler_on_keras_hub_weights(self):
    from hub_repro import crosscheck

    rows = api.crosscheck(KERAS_HUB_XLM_R, testutil.SENTENCES, max_seq_length=32)
    hf = next(r for r in rows if r["implementation"].startswith("transformers XLMRobertaModel"))
    self.assertEqual(hf["status"], "ran")
    self.assertIsNone(hf["pooled_max_abs_diff"])  # built without a pooler, as the preset has none
    # float32 rounding only: see tolerances.FLOAT32_TOLERANCE
    self.assertLessEqual(hf["sequence_max_abs_diff"], tolerances.FLOAT32_TOLERANCE)
    self.assertTrue(crosscheck.agrees(rows))

  def test_diff_transformers_and_keras_hub_fixtures_are_different_weights(self):
    from hub_repro import model_diff

    # The two fixtures were drawn from different seeds (their READMEs): same tokenizer and
    # config, different weights.
    record = model_diff.diff(HF_ROBERTA, KERAS_HUB_ROBERTA, testutil.SENTENCES, 32,
                             log=lambda _: None)
    self.assertFalse(record["same"])
    self.assertTrue(record["tokenization"]["same"])
    self.assertTrue(record["config"]["same"])
    self.assertTrue(record["explanation"].startswith("DIFFERENT: weights differ"),
                    record["explanation"])

  def test_diff_of_a_folder_without_pooler_against_itself_names_the_load_time_pooler(self):
    from hub_repro import model_diff

    record = model_diff.diff(HF_NO_POOLER, HF_NO_POOLER, testutil.SENTENCES, 32,
                             log=lambda _: None)
    self.assertFalse(record["same"])
    self.assertEqual(record["pooled_is"]["stored"], [False, False])
    explanation = record["explanation"]
    self.assertTrue(explanation.startswith("DIFFERENT in pooled_output only"), explanation)
    self.assertIn("not in the model files of A and B", explanation)
    self.assertIn("each load has a pooled_output of its own", explanation)

  def test_diff_roberta_against_bert_names_both_families(self):
    from hub_repro import model_diff

    record = model_diff.diff(HF_ROBERTA, testutil.GOOGLE_MODULE, testutil.SENTENCES, 32,
                             log=lambda _: None)
    self.assertFalse(record["same"])
    self.assertEqual(record["explanation"],
                     "DIFFERENT: A is RoBERTa (positions from pad_token_id + 1 = 2, LayerNorm eps "
                     "1e-05), B is BERT")

  def test_the_longest_sequence_leaves_out_the_skipped_position_rows(self):
    from hub_repro import compare

    self.assertEqual(compare.position_limit(module.load(HF_ROBERTA)), 64)
