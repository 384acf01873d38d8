"""ALBERT and ELECTRA beside BERT: each family in each format is computed by its own framework,
tokenized by its own tokenizer, and reproduced by its family's rebuild (hub_repro.families.albert.modeling,
hub_repro.families.electra.modeling).

The fixtures were made by the peer toolchains (tests/fixtures/*/README.md says which, with the
versions): hf_albert and hf_electra by transformers' save_pretrained, keras_hub_albert and
keras_hub_electra by keras-hub's save_to_preset, albert_tf1 by google-research/albert's own code
(albert-tensorflow 1.1) and tensorflow_hub's create_module_spec, electra_tf1 by
google-research/electra's modeling.py, model_garden_albert and model_garden_electra by Model
Garden's export_tfhub_lib (tf-models-official 2.20.0). Each golden.json holds the ids and outputs
that toolchain computed.
"""

import json
import os
import shutil

import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from hub_repro import api, cli, compare, full, module, tolerances
from hub_repro.config import BertConfig
from hub_repro.sources import huggingface
import testutil

HAS_TORCH = huggingface.why_no_torch() is None
ALBERT_TF1 = os.path.join(testutil.FIXTURES, "albert_tf1")
MG_ALBERT = os.path.join(testutil.FIXTURES, "model_garden_albert")
MG_ELECTRA = os.path.join(testutil.FIXTURES, "model_garden_electra")

# (name, folder, JSON format, who computes it)
ALBERT = [
    ("hf_albert", os.path.join(testutil.FIXTURES, "hf_albert"), "huggingface",
     "transformers AlbertModel"),
    ("keras_hub_albert", os.path.join(testutil.FIXTURES, "keras_hub_albert"), "keras-hub",
     "keras-hub AlbertBackbone"),
    ("albert_tf1_module", os.path.join(ALBERT_TF1, "module"), "tf1-hub", "TensorFlow"),
    ("albert_checkpoint", os.path.join(ALBERT_TF1, "checkpoint"), "google-checkpoint",
     "hub_repro.families.albert.modeling"),
    ("model_garden_albert", os.path.join(MG_ALBERT, "encoder"), "tf2-savedmodel", "TensorFlow"),
]
ELECTRA = [
    ("hf_electra", os.path.join(testutil.FIXTURES, "hf_electra"), "huggingface",
     "transformers ElectraModel"),
    ("keras_hub_electra", os.path.join(testutil.FIXTURES, "keras_hub_electra"), "keras-hub",
     "keras-hub ElectraBackbone"),
    ("electra_tf1", os.path.join(testutil.FIXTURES, "electra_tf1", "module"), "tf1-hub",
     "TensorFlow"),
    ("model_garden_electra", os.path.join(MG_ELECTRA, "encoder"), "tf2-savedmodel", "TensorFlow"),
]
# The same framework on the same weights and ids as the toolchain that wrote golden.json: bit-exact
# or a few float32 ulps (oneDNN's blocking; TF 2.21 against the TF 2.15 graph that made
# albert_tf1) on values of size ~1-4 through 2 layers, ~1e-6. 1e-5 is the project's loader
# tolerance (test_sources) and stays 50x below what a wrong head count or gelu form moves
# (golden.json "sensitivity").
GOLDEN_ATOL = 1e-5


run_cli = testutil.run_cli


def golden(folder: str) -> dict:
  """The folder's golden.json as {"inputs": [ids, mask, segments], "max_seq_length", and the
  outputs: "sequence_output", "pooled_output" (where the model has one), "layers"}. The
  toolchains store them under their own keys: Model Garden's under "encoder", Hugging Face's
  layers as hidden_states[1:] (hidden_states[0] is the embedding output), albert's and electra's
  as all_encoder_layers."""
  path = os.path.join(folder, "golden.json")
  if not os.path.exists(path):  # a module and checkpoint, or encoder and preprocess, share one
    path = os.path.join(os.path.dirname(folder), "golden.json")
  with open(path, encoding="utf-8") as f:
    stored = json.load(f)
  outputs = stored.get("encoder", stored)
  inputs = stored["inputs"]
  names = (("input_word_ids", "input_mask", "input_type_ids") if "input_word_ids" in inputs
           else ("input_ids", "input_mask", "segment_ids"))
  layers = (outputs.get("encoder_outputs") or outputs.get("all_encoder_layers")
            or outputs["hidden_states"][1:])
  return {"inputs": [np.asarray(inputs[k]) for k in names],
          "max_seq_length": stored.get("max_seq_length") or inputs["seq_length"],
          "sequence_output": outputs["sequence_output"], "layers": layers,
          **({"pooled_output": outputs["pooled_output"]} if "pooled_output" in outputs else {})}


def full_pass(source, max_seq_length=32) -> full.FullResult:
  """--full's rebuild over testutil.SENTENCES, batch by batch, without the pooler check (a model
  without pooled_output, ElectraModel, has none to check)."""
  check = full.FullCheck(source)
  for batch in compare.batches(source.tokenizer(), testutil.SENTENCES, max_seq_length, 32):
    packed = batch.packed
    batch.outputs = source.run(packed.input_ids, packed.input_mask, packed.segment_ids,
                               layers=True)
    check.observe(batch)
  return check.result()


class FamilyTest(tf.test.TestCase, parameterized.TestCase):

  def setUp(self):
    super().setUp()
    if not HAS_TORCH and "hf_" in self._testMethodName:
      self.skipTest(f"PyTorch is missing: {huggingface.TORCH_HINT}")

  @parameterized.named_parameters(*ALBERT)
  def test_albert_cli_reproduces_pooler_and_whole_encoder(self, folder, fmt, framework):
    path = os.path.join(self.get_temp_dir(), "out.json")
    preprocessor = (["--preprocessor", os.path.join(MG_ALBERT, "preprocess")]
                    if fmt == "tf2-savedmodel" else [])
    code, out, err = run_cli("--handle", folder, *preprocessor, "--full", "--max-seq-length",
                             "32", "--json", path)
    self.assertEqual(code, cli.EXIT_REPRODUCED, out + err)
    with open(path, encoding="utf-8") as f:
      record = json.load(f)
    self.assertEqual((record["format"], record["family"], record["full"]["family"]),
                     (fmt, "albert", "albert"))
    self.assertIn(framework, record["framework"])
    # float32 rounding of one tanh(dense): see tolerances.POOLER_TOLERANCE.
    self.assertLessEqual(record["pooled_vs_rebuilt"]["max_abs_diff"], tolerances.POOLER_TOLERANCE)
    self.assertGreater(record["pooled_vs_cls"]["max_abs_diff"], 0.1)
    # A whole forward pass in another order: see tolerances.FULL_TOLERANCE.
    self.assertLessEqual(record["sequence_vs_rebuilt"]["max_abs_diff"], tolerances.FULL_TOLERANCE)
    self.assertEqual(record["full"]["config"]["embedding_size"], 16)
    self.assertTrue(record["full"]["reproduced"])

  @parameterized.named_parameters(*ALBERT, *ELECTRA)
  def test_own_tokenizer_and_framework_match_the_toolchains_numbers(self, folder, fmt, framework):
    del fmt, framework
    expected = golden(folder)
    source = module.load(folder)
    self.assertEqual(source.family, "albert" if folder in [a[1] for a in ALBERT] else "electra")
    singles = [s for s in testutil.SENTENCES if isinstance(s, str)]
    pair = [tuple(s) for s in testutil.SENTENCES if not isinstance(s, str)]
    tokenizer = source.tokenizer()  # the model's own vocab or SentencePiece model, not theirs
    ids, length = expected["inputs"][0], expected["max_seq_length"]
    self.assertAllEqual(tokenizer.encode(singles, length).input_ids, ids[:len(singles)])
    self.assertAllEqual(tokenizer.encode(pair, length).input_ids, ids[len(singles):])
    out = source.run(*expected["inputs"], layers=True)
    self.assertAllClose(out["sequence_output"], expected["sequence_output"], atol=GOLDEN_ATOL,
                        rtol=0)
    if "pooled_output" in expected:
      self.assertAllClose(out["pooled_output"], expected["pooled_output"], atol=GOLDEN_ATOL,
                          rtol=0)
    else:  # transformers' ElectraModel: no pooler, and the source says so by leaving it out
      self.assertNotIn("pooled_output", out)
    if "encoder_outputs" in out:
      self.assertLen(out["encoder_outputs"], len(expected["layers"]))
      for layer, value in zip(out["encoder_outputs"], expected["layers"]):
        self.assertAllClose(layer, value, atol=GOLDEN_ATOL, rtol=0)

  @parameterized.named_parameters(*ELECTRA)
  def test_electra_whole_encoder_with_its_embedding_projection(self, folder, fmt, framework):
    source = module.load(folder)
    self.assertEqual((source.format, source.family), (fmt, "electra"))
    self.assertIn(framework, source.framework)
    self.assertIn("electra/embeddings_project/kernel", source.params())
    result = full_pass(source)
    self.assertEqual((result.config.family, result.config.embedding_size), ("electra", 16))
    self.assertLen(result.layer_max_abs_diff, 0 if fmt == "tf1-hub" else 2)  # TF1: none exposed
    # A whole forward pass in another order: see tolerances.FULL_TOLERANCE.
    for diff in result.layer_max_abs_diff + [result.sequence_max_abs_diff]:
      self.assertLessEqual(diff, tolerances.FULL_TOLERANCE)
    if fmt == "huggingface":  # ElectraModel has no pooled_output to compare
      self.assertIsNone(result.pooled_max_abs_diff)
    else:  # keras-hub's pooled_dense, Model Garden's identity pooler: modeling.py's pooler;
      # Google's TF1 module: sequence_output[:, 0], as electra's modeling.py returns it
      self.assertLessEqual(result.pooled_max_abs_diff, tolerances.FULL_TOLERANCE)
    if fmt == "tf1-hub":  # the module stores neither: found by the numbers, erf as in electra's
      self.assertEqual((result.config.num_attention_heads, result.config.hidden_act),
                       (4, "gelu_exact"))
      self.assertNotIn("electra/pooler/dense/kernel", source.params())
    self.assertTrue(result.reproduced)

  def test_the_checkpoint_rebuild_gives_albert_s_own_layers(self):
    # golden.json's all_encoder_layers come from albert's AlbertModel on the checkpoint itself.
    source = module.load(os.path.join(ALBERT_TF1, "checkpoint"))
    expected = golden(source.path)
    out = source.run(*expected["inputs"], layers=True)
    self.assertEqual({k: np.shape(v) for k, v in out.items() if k != "encoder_outputs"},
                     {"pooled_output": (4, 32), "sequence_output": (4, 16, 32)})
    for layer, value in zip(out["encoder_outputs"], expected["layers"]):
      self.assertAllClose(layer, value, atol=GOLDEN_ATOL, rtol=0)


class AlbertConfigTest(tf.test.TestCase):

  def test_albert_config_json(self):
    path = os.path.join(ALBERT_TF1, "checkpoint", "albert_config.json")
    config = BertConfig.from_json_file(path)
    self.assertEqual((config.family, config.embedding_size, config.num_hidden_groups,
                      config.inner_group_num, config.num_hidden_layers), ("albert", 16, 1, 1, 2))
    with open(path, encoding="utf-8") as f:
      stored = json.load(f)
    del stored["down_scale_factor"]  # a fixed key of albert's config: read, not kept
    self.assertEqual({k: v for k, v in config.to_dict().items() if k != "family"}, stored)
    self.assertEqual(BertConfig.from_dict(config.to_dict()), config)
    # BERT's stays exactly bert_config.json's: the families' fields are not written
    self.assertNotIn("family", testutil.tiny_config().to_dict())
    self.assertNotIn("embedding_size", testutil.tiny_config().to_dict())

  def test_experimental_albert_structures_are_refused(self):
    with self.assertRaisesRegex(ValueError, "sets net_structure_type"):
      BertConfig.from_dict({"vocab_size": 99, "hidden_size": 32, "num_attention_heads": 4,
                            "num_hidden_groups": 1, "net_structure_type": 1})

  def test_tf1_module_without_config_asset_counts_its_layers_and_finds_its_heads(self):
    # Google's modules need not ship albert_config.json: the shared layer's weights then do not
    # tell how often it runs, the graph's layer_N scopes do; heads and gelu are found as for BERT.
    folder = os.path.join(self.get_temp_dir(), "module")
    shutil.copytree(os.path.join(ALBERT_TF1, "module"), folder)
    os.remove(os.path.join(folder, "assets", "albert_config.json"))
    source = module.load(folder)
    self.assertNotIn("num_attention_heads", source.config_stored)
    self.assertEqual(source.config().num_hidden_layers, 2)
    result = full.reproduce_full(source, testutil.SENTENCES, 16)
    self.assertEqual(result.config.num_attention_heads, 4)
    self.assertTrue(result.reproduced)



class AcrossFamiliesTest(tf.test.TestCase):
  """diff and crosscheck see only the Source interface: ALBERT and ELECTRA go through them as
  BERT does."""

  def test_diff_albert_module_against_its_own_checkpoint_is_the_same_function(self):
    from hub_repro import model_diff

    record = model_diff.diff(os.path.join(ALBERT_TF1, "module"), os.path.join(ALBERT_TF1, "checkpoint"),
                       testutil.SENTENCES, 32, log=lambda _: None)
    self.assertTrue(record["same"], record["explanation"])
    self.assertTrue(record["weights"]["same"])
    self.assertEqual(record["families"]["a"]["family"], "albert")
    self.assertStartsWith(record["explanation"], "SAME FUNCTION")

  def test_a_module_whose_sentencepiece_model_has_another_name(self):
    """albert-tensorflow's export of an ALBERT from spm_uncased_v2.model: the module declares the
    asset its tokenization_info returns, and that is the tokenizer, whatever its name."""
    from hub_repro import model_diff, module

    other = os.path.join(testutil.FIXTURES, "albert_tf1_other_spm", "module")
    self.assertNotIn("30k-clean.model", os.listdir(os.path.join(other, "assets")))
    source = module.load(other)
    self.assertEqual(os.path.basename(source.vocab_file), "spm_uncased_v2.model")
    with open(os.path.join(os.path.dirname(other), "golden.json"), encoding="utf-8") as f:
      golden = json.load(f)
    examples = [tuple(e) if isinstance(e, list) else e for e in golden["sentences"]]
    packed = source.tokenizer().encode(examples[:3], golden["max_seq_length"])
    self.assertAllEqual(packed.input_ids, golden["inputs"]["input_ids"][:3])
    result = compare.check(source, testutil.SENTENCES, 32)
    self.assertEqual((result.pooled_is, result.verdict), ("pooler", "REPRODUCED"))
    record = model_diff.diff(other, os.path.join(ALBERT_TF1, "checkpoint"), testutil.SENTENCES, 32,
                             log=lambda _: None)
    self.assertTrue(record["same"], record["explanation"])

  def test_diff_albert_against_bert_names_the_families_in_one_line(self):
    from hub_repro import model_diff

    record = model_diff.diff(os.path.join(ALBERT_TF1, "module"), testutil.GOOGLE_MODULE,
                       testutil.SENTENCES, 32, log=lambda _: None)
    self.assertFalse(record["same"])
    self.assertEqual(record["explanation"], "DIFFERENT: A is ALBERT (one shared layer, embedding "
                                            "width 16), B is BERT")

  def test_crosscheck_runs_keras_hub_and_transformers_on_albert_weights(self):
    if not HAS_TORCH:
      self.skipTest(f"PyTorch is missing: {huggingface.TORCH_HINT}")
    from hub_repro import crosscheck

    rows = api.crosscheck(os.path.join(ALBERT_TF1, "module"), testutil.SENTENCES,
                          max_seq_length=32)
    ran = {row["implementation"].split(",")[0]: row for row in rows[1:] if row["status"] == "ran"}
    self.assertCountEqual(ran, ["keras-hub AlbertBackbone", "transformers AlbertModel",
                                "modeling.py rebuild (hub_repro.families.albert.modeling)"])
    for name, row in ran.items():  # float32 rounding only: see tolerances.FLOAT32_TOLERANCE
      self.assertLessEqual(row["pooled_max_abs_diff"], tolerances.FLOAT32_TOLERANCE, name)
      self.assertLessEqual(row["sequence_max_abs_diff"], tolerances.FLOAT32_TOLERANCE, name)
    self.assertTrue(crosscheck.agrees(rows))

  def test_crosscheck_electra_without_a_pooler_in_transformers(self):
    if not HAS_TORCH:
      self.skipTest(f"PyTorch is missing: {huggingface.TORCH_HINT}")
    from hub_repro import crosscheck

    rows = api.crosscheck(os.path.join(testutil.FIXTURES, "keras_hub_electra"), testutil.SENTENCES,
                          max_seq_length=32)
    hf = next(r for r in rows if r["implementation"].startswith("transformers ElectraModel"))
    self.assertIsNone(hf["pooled_max_abs_diff"])  # ElectraModel has no pooler to compare
    # float32 rounding only: see tolerances.FLOAT32_TOLERANCE
    self.assertLessEqual(hf["sequence_max_abs_diff"], tolerances.FLOAT32_TOLERANCE)
    self.assertTrue(crosscheck.agrees(rows))


class AlbertTokenizationTest(tf.test.TestCase):
  """SentencePiece over the model's own .model with ALBERT's normalization, or the model's
  tokenizer.json where it ships only that."""

  def setUp(self):
    super().setUp()
    if not HAS_TORCH:  # the folder is opened with transformers; tokenizers comes with it
      self.skipTest(f"PyTorch is missing: {huggingface.TORCH_HINT}")

  def test_tokenizer_json_only_folder_gives_the_toolchains_ids(self):
    folder = os.path.join(self.get_temp_dir(), "hf_albert")
    shutil.copytree(os.path.join(testutil.FIXTURES, "hf_albert"), folder)
    os.remove(os.path.join(folder, "spiece.model"))
    source = module.load(folder)
    self.assertEqual(os.path.basename(source.vocab_file), "tokenizer.json")
    expected = golden(os.path.join(testutil.FIXTURES, "hf_albert"))
    singles = [s for s in testutil.SENTENCES if isinstance(s, str)]
    packed = source.tokenizer().encode(singles, expected["max_seq_length"])
    self.assertAllEqual(packed.input_ids, expected["inputs"][0][:len(singles)])

  def test_accents_and_case_are_normalized_as_albert_s_own_tokenizer_does(self):
    from hub_repro import tokenization

    folder = os.path.join(testutil.FIXTURES, "hf_albert")
    ours = tokenization.tokenizer_for(os.path.join(folder, "spiece.model"))
    theirs = tokenization.tokenizer_for(os.path.join(folder, "tokenizer.json"))  # `tokenizers`
    texts = ["Héllo WORLD", "The Café's ÖUTPUT"]
    self.assertAllEqual(ours.encode(texts, 24).input_ids, theirs.encode(texts, 24).input_ids)
    self.assertAllEqual(ours.encode(["Héllo WORLD"], 24).input_ids,
                        ours.encode(["hello world"], 24).input_ids)


class FamilyWordingTest(tf.test.TestCase):
  """The verdict is measured the same way for every family; what it means is said per family."""

  def test_albert_pooler_is_trained_for_sentence_order(self):
    import hub_repro
    result = hub_repro.check(os.path.join(ALBERT_TF1, "module"), testutil.SENTENCES)
    self.assertEqual((result.family, result.pooled_is), ("albert", "pooler"))
    self.assertIn("In ALBERT that layer is trained for sentence-order prediction",
                  hub_repro.answer(result))
    self.assertNotIn("next-sentence", hub_repro.answer(result))

  def test_keras_hub_electra_pooler_is_not_electras_pretraining(self):
    import hub_repro
    result = hub_repro.check(os.path.join(testutil.FIXTURES, "keras_hub_electra"),
                             testutil.SENTENCES, full=True)
    self.assertEqual((result.family, result.pooled_is), ("electra", "pooler"))
    self.assertIn("ELECTRA's pre-training has no such layer", hub_repro.answer(result))
    self.assertIn("rebuilt from google-research/electra modeling.py", hub_repro.render(result))


class ElectraPooledIsTest(parameterized.TestCase, tf.test.TestCase):
  """What pooled_output is in each ELECTRA artifact, from the numbers, and its exit code."""

  @parameterized.named_parameters(
      ("google_research_code_tf1", "electra_tf1/module", None, "cls", cli.EXIT_REPRODUCED),
      ("tfhub_model_garden", "model_garden_electra/encoder", "model_garden_electra/preprocess",
       "identity_pooler", cli.EXIT_REPRODUCED),
      ("keras_hub_backbone", "keras_hub_electra", None, "pooler", cli.EXIT_REPRODUCED),
      ("hf_electra_model", "hf_electra", None, "none", cli.EXIT_NO_POOLER))
  def test_pooled_is_and_exit_code(self, folder, preprocessor, pooled_is, expected_code):
    if not HAS_TORCH and folder.startswith("hf_"):
      self.skipTest(f"PyTorch is missing: {huggingface.TORCH_HINT}")
    path = os.path.join(self.get_temp_dir(), "out.json")
    extra = ["--preprocessor", os.path.join(testutil.FIXTURES, preprocessor)] if preprocessor else []
    code, out, err = run_cli("--handle", os.path.join(testutil.FIXTURES, folder), *extra,
                             "--json", path)
    self.assertEqual(code, expected_code, msg=out + err)
    with open(path, encoding="utf-8") as f:
      record = json.load(f)
    self.assertEqual((record["family"], record["pooled_is"]), ("electra", pooled_is))
    self.assertIn(f"pooled_is: {pooled_is}", out)
    if expected_code == cli.EXIT_NO_POOLER:  # one line on stderr, not a candidate list
      self.assertLen([line for line in err.splitlines() if line.strip()], 1, msg=err)
    if pooled_is == "identity_pooler":
      self.assertIn("identity", record["pooler"]["untrained_evidence"])
    if pooled_is == "cls":
      self.assertIn("Yes: this model's pooled_output is the [CLS] state", out)


if __name__ == "__main__":
  tf.test.main()
