"""The RoBERTa, XLM-R, DistilBERT, MobileBERT and DeBERTa-v3 fixtures, loaded back by the toolchains
that wrote them.

  hf_roberta/ hf_roberta_no_pooler/ keras_hub_roberta/   tests/make_roberta_fixture.py
  hf_xlm_roberta/ keras_hub_xlm_roberta/                  tests/make_xlm_roberta_fixture.py
  hf_distilbert/ keras_hub_distilbert/                    tests/make_distilbert_fixture.py
  hf_mobilebert/ hf_mobilebert_tanh/ hf_mobilebert_layer_norm/   tests/make_mobilebert_fixture.py
  hf_deberta_v3/ keras_hub_deberta_v3/                    tests/make_deberta_v3_fixture.py

(each folder's README.md gives its versions). These tests import no hub_repro code (the paths and
sentences come from fixture_tools, the generators' stdlib-only helpers): they prove the
fixtures are intact and say what they hold before hub_repro reads them. Each folder has the files
its toolchain writes, its own tokenizer gives the stored ids, its own framework (transformers'
AutoModel, keras-hub's from_preset) reproduces the stored golden numbers, and the facts the
fixtures exist for hold: hf_roberta_no_pooler's checkpoint has no pooler and every load draws a
new one, MobileBERT's pooled_output is the [CLS] state unless classifier_activation is true.
Tests that run transformers skip without torch/transformers.
"""

from __future__ import annotations

import json
import os
import struct

import numpy as np
import tensorflow as tf
from absl.testing import parameterized

import fixture_tools

# Same framework, same weights, same ids, float32 stored exactly: on the machine that wrote
# golden.json transformers reproduces it bit-exactly (the generators check reload == in-memory with
# array_equal), and keras-hub does too under the generators' TF_ENABLE_ONEDNN_OPTS=0. Elsewhere
# only the summation order of the kernels changes (oneDNN, another CPU's vector width): a few
# float32 ulps (1.2e-7 relative) of values of size up to ~4 through 2 layers, ~1e-6. 1e-5 leaves
# room for that and is still 30x below the smallest effect the fixtures record in "sensitivity"
# (the other gelu form moves RoBERTa's pooled_output by 4.6e-4).
ATOL = 1e-5

PIP_HF = ("pip install torch==2.13.0 transformers==5.24.0 "
          "--extra-index-url https://download.pytorch.org/whl/cpu")

HF_TOKENIZER = {"tokenizer.json", "tokenizer_config.json"}
BPE_FILES = {"vocab.json", "merges.txt"}
# name: (model class, model_type, tokenizer class, files besides golden.json and README.md,
#        whether the inputs have segment_ids, what pooled_output is)
HF_FOLDERS = {
    "hf_roberta": ("RobertaModel", "roberta", "RobertaTokenizer",
                   {"config.json", "model.safetensors"} | HF_TOKENIZER | BPE_FILES, False,
                   "pooler"),
    "hf_roberta_no_pooler": ("RobertaModel", "roberta", "RobertaTokenizer",
                             {"config.json", "model.safetensors"} | HF_TOKENIZER | BPE_FILES,
                             False, "random"),
    "hf_xlm_roberta": ("XLMRobertaModel", "xlm-roberta", "XLMRobertaTokenizer",
                       {"config.json", "model.safetensors", "sentencepiece.bpe.model"}
                       | HF_TOKENIZER, False, "pooler"),
    "hf_distilbert": ("DistilBertModel", "distilbert", "DistilBertTokenizer",
                      {"config.json", "model.safetensors", "vocab.txt"} | HF_TOKENIZER, False,
                      None),
    "hf_mobilebert": ("MobileBertModel", "mobilebert", "BertTokenizer",
                      {"config.json", "model.safetensors", "vocab.txt"} | HF_TOKENIZER, True,
                      "cls"),
    "hf_mobilebert_tanh": ("MobileBertModel", "mobilebert", "BertTokenizer",
                           {"config.json", "model.safetensors", "vocab.txt"} | HF_TOKENIZER, True,
                           "pooler"),
    "hf_mobilebert_layer_norm": ("MobileBertModel", "mobilebert", "BertTokenizer",
                                 {"config.json", "model.safetensors", "vocab.txt"} | HF_TOKENIZER,
                                 True, "cls"),
    "hf_deberta_v3": ("DebertaV2Model", "deberta-v2", "DebertaV2Tokenizer",
                      {"config.json", "model.safetensors", "spm.model"} | HF_TOKENIZER, False,
                      None),
}
HF_NAMED = [(name, name) for name in HF_FOLDERS]

KERAS_PRESET = {"config.json", "metadata.json", "model.weights.h5", "tokenizer.json"}
# name: (backbone, tokenizer and preprocessor class name prefix, tokenizer asset files, the layer
#        whose output is the embedding output, the transformer layers' name before the index)
KERAS_FOLDERS = {
    "keras_hub_roberta": ("Roberta", {"merges.txt", "vocabulary.json"}, "embeddings_dropout",
                          "transformer_layer_"),
    "keras_hub_xlm_roberta": ("XLMRoberta", {"vocabulary.spm"}, "embeddings_dropout",
                              "transformer_layer_"),
    "keras_hub_distilbert": ("DistilBert", {"vocabulary.txt"}, "embeddings_dropout",
                             "transformer_layer_"),
    "keras_hub_deberta_v3": ("DebertaV3", {"vocabulary.spm"}, "embeddings_dropout",
                             "disentangled_attention_encoder_layer_"),
}
KERAS_NAMED = [(name, name) for name in KERAS_FOLDERS]

# Folders whose two toolchains tokenize the same text with the same vocabulary and packing.
SAME_IDS = [("roberta", "hf_roberta", "keras_hub_roberta"),
            ("roberta_no_pooler", "hf_roberta_no_pooler", "keras_hub_roberta"),
            ("xlm_roberta", "hf_xlm_roberta", "keras_hub_xlm_roberta"),
            ("distilbert", "hf_distilbert", "keras_hub_distilbert"),
            ("deberta_v3", "hf_deberta_v3", "keras_hub_deberta_v3")]
POOLER_KEYS = ["pooler.dense.bias", "pooler.dense.weight"]


def folder(name: str) -> str:
  return os.path.join(fixture_tools.FIXTURES, name)


def read_json(name: str, filename: str = "golden.json") -> dict:
  with open(os.path.join(folder(name), filename), encoding="utf-8") as f:
    return json.load(f)


def files_in(path: str) -> set[str]:
  return {os.path.relpath(os.path.join(dirpath, fn), path)
          for dirpath, _, filenames in os.walk(path) for fn in filenames}


def safetensors_header(name: str) -> dict:
  """The JSON header of <name>/model.safetensors: {key: {dtype, shape, data_offsets}} (the
  format's first 8 bytes are the header's little-endian length)."""
  with open(os.path.join(folder(name), "model.safetensors"), "rb") as f:
    (length,) = struct.unpack("<Q", f.read(8))
    header = json.loads(f.read(length))
  header.pop("__metadata__", None)
  return header


def safetensors_tensor(name: str, key: str) -> np.ndarray:
  """One float32 tensor of <name>/model.safetensors, read with numpy alone."""
  header = safetensors_header(name)
  with open(os.path.join(folder(name), "model.safetensors"), "rb") as f:
    (length,) = struct.unpack("<Q", f.read(8))
    data = f.read()[length:]
  entry = header[key]
  if entry["dtype"] != "F32":
    raise ValueError(f"{name}/model.safetensors: {key} is {entry['dtype']}, expected F32")
  begin, end = entry["data_offsets"]
  return np.frombuffer(data[begin:end], "<f4").reshape(entry["shape"])


def require_transformers(test: tf.test.TestCase) -> None:
  try:
    import torch  # noqa: F401
    import transformers
  except ImportError as e:
    test.skipTest(f"the Hugging Face fixtures are checked with transformers on PyTorch ({e}); "
                  f"{PIP_HF}")
  transformers.logging.set_verbosity_error()


def hf_run(model, inputs: dict) -> dict[str, np.ndarray]:
  """The model's outputs on golden.json's inputs (token_type_ids only where stored)."""
  import torch
  feed = {"input_ids": torch.tensor(inputs["input_ids"]),
          "attention_mask": torch.tensor(inputs["input_mask"])}
  if "segment_ids" in inputs:
    feed["token_type_ids"] = torch.tensor(inputs["segment_ids"])
  with torch.no_grad():
    out = model(**feed, output_hidden_states=True)
  got = {"sequence_output": out.last_hidden_state.numpy(),
         "hidden_states": np.stack([h.numpy() for h in out.hidden_states])}
  if getattr(out, "pooler_output", None) is not None:
    got["pooled_output"] = out.pooler_output.numpy()
  return got


class HuggingFaceFixtureTest(parameterized.TestCase, tf.test.TestCase):
  """The file checks read JSON only; the tokenizer and model checks need transformers on torch."""

  @parameterized.named_parameters(HF_NAMED)
  def test_files_are_what_transformers_writes(self, name):
    self.assertEqual(files_in(folder(name)), HF_FOLDERS[name][3] | {"golden.json", "README.md"})

  @parameterized.named_parameters(HF_NAMED)
  def test_config(self, name):
    model_class, model_type = HF_FOLDERS[name][:2]
    config, golden = read_json(name, "config.json"), read_json(name)
    self.assertEqual(config["architectures"], [model_class])
    self.assertEqual(config["model_type"], model_type)
    # Every value the generator set is what config.json says.
    self.assertEqual({k: config[k] for k in golden["config"]}, golden["config"])

  @parameterized.named_parameters(HF_NAMED)
  def test_golden_shapes(self, name):
    golden = read_json(name)
    self.assertEqual(golden["sentences"], fixture_tools.sentences_as_stored())
    keys = {"input_ids", "input_mask"} | ({"segment_ids"} if HF_FOLDERS[name][4] else set())
    self.assertEqual(set(golden["inputs"]), keys)
    config = read_json(name, "config.json")
    hidden = config.get("hidden_size", config.get("dim"))
    layers = config.get("num_hidden_layers", config.get("n_layers"))
    batch, seq = len(fixture_tools.SENTENCES), golden["max_seq_length"]
    shapes = {"sequence_output": (batch, seq, hidden),
              "hidden_states": (layers + 1, batch, seq, hidden)}
    if HF_FOLDERS[name][5] in ("pooler", "cls"):
      shapes["pooled_output"] = (batch, hidden)
    self.assertEqual({k: np.shape(golden[k]) for k in shapes}, shapes)
    self.assertNotIn("pooled_output", set(golden) - set(shapes))

  @parameterized.named_parameters(HF_NAMED)
  def test_wrong_config_would_show(self, name):
    # Stored by the generator: how far the outputs move with a wrong head count, activation,
    # normalization, position ids or relative-attention setting.
    sensitivity = read_json(name)["sensitivity"]
    self.assertGreaterEqual(len(sensitivity), 2)
    for wrong, diffs in sensitivity.items():
      self.assertGreater(min(diffs.values()), 30 * ATOL, msg=wrong)

  @parameterized.named_parameters(HF_NAMED)
  def test_own_tokenizer_gives_the_stored_ids(self, name):
    require_transformers(self)
    from transformers import AutoTokenizer
    golden = read_json(name)
    tokenizer = AutoTokenizer.from_pretrained(folder(name))
    self.assertEqual(type(tokenizer).__name__, HF_FOLDERS[name][2])
    self.assertLen(tokenizer, golden["config"]["vocab_size"])
    rows = {key: [] for key in golden["inputs"]}
    for sentence in fixture_tools.SENTENCES:
      first, second = (sentence, None) if isinstance(sentence, str) else sentence
      enc = tokenizer(first, second, padding="max_length", max_length=golden["max_seq_length"],
                      truncation=True, return_token_type_ids=True)
      rows["input_ids"].append(list(enc["input_ids"]))
      rows["input_mask"].append(list(enc["attention_mask"]))
      if "segment_ids" in rows:
        rows["segment_ids"].append(list(enc["token_type_ids"]))
    self.assertEqual(rows, golden["inputs"])

  @parameterized.named_parameters(HF_NAMED)
  def test_automodel_reproduces_golden(self, name):
    require_transformers(self)
    from transformers import AutoModel
    golden = read_json(name)
    model, info = AutoModel.from_pretrained(folder(name), output_loading_info=True)
    self.assertEqual(type(model).__name__, HF_FOLDERS[name][0])
    missing = POOLER_KEYS if HF_FOLDERS[name][5] == "random" else []
    self.assertEqual({k: sorted(v) for k, v in info.items() if v},
                     {"missing_keys": missing} if missing else {})
    got = hf_run(model.eval(), golden["inputs"])
    for key in ("sequence_output", "hidden_states", "pooled_output"):
      if key in golden:
        self.assertAllClose(got[key], np.array(golden[key], np.float32), atol=ATOL, rtol=0,
                            msg=key)
    self.assertEqual("pooled_output" in got, HF_FOLDERS[name][5] is not None)


class PooledOutputFactsTest(parameterized.TestCase, tf.test.TestCase):
  """What each fixture says pooled_output is, from its files (and, where marked, transformers)."""

  def test_roberta_checkpoint_without_pooler_has_no_pooler_tensors(self):
    with_pooler, without = safetensors_header("hf_roberta"), safetensors_header(
        "hf_roberta_no_pooler")
    self.assertEqual(sorted(k for k in with_pooler if k.startswith("pooler.")), POOLER_KEYS)
    self.assertEqual([k for k in without if k.startswith("pooler.")], [])
    self.assertEqual(set(with_pooler) - set(without), set(POOLER_KEYS))
    evidence = read_json("hf_roberta_no_pooler")["random_pooler_evidence"]
    self.assertEqual(evidence["checkpoint_pooler_keys"], [])
    self.assertEqual(evidence["checkpoint_keys"], len(without))
    self.assertEqual(evidence["missing_keys_at_load"], POOLER_KEYS)

  def test_roberta_recorded_loads_drew_different_poolers(self):
    golden = read_json("hf_roberta_no_pooler")
    self.assertNotIn("pooled_output", golden)  # a random pooler has no golden value
    evidence = golden["random_pooler_evidence"]
    first = np.array(evidence["pooled_output_load_1"], np.float32)
    second = np.array(evidence["pooled_output_load_2"], np.float32)
    diff = float(np.max(np.abs(first - second)))
    self.assertAllClose(diff, evidence["max_abs_diff"], atol=1e-3, rtol=0)
    self.assertGreater(diff, 0.1)
    # The encoder is hf_roberta's: only the pooler was dropped.
    self.assertEqual(golden["sequence_output"], read_json("hf_roberta")["sequence_output"])

  def test_roberta_every_load_draws_a_new_pooler(self):
    require_transformers(self)
    from transformers import AutoModel
    inputs = read_json("hf_roberta_no_pooler")["inputs"]
    runs = [hf_run(AutoModel.from_pretrained(folder("hf_roberta_no_pooler")).eval(), inputs)
            for _ in range(2)]
    self.assertAllEqual(runs[0]["sequence_output"], runs[1]["sequence_output"])
    self.assertGreater(np.max(np.abs(runs[0]["pooled_output"] - runs[1]["pooled_output"])), 0.1)

  def test_mobilebert_pooled_output_is_the_cls_state(self):
    for name in ("hf_mobilebert", "hf_mobilebert_layer_norm"):
      golden = read_json(name)
      self.assertFalse(golden["config"]["classifier_activation"])
      self.assertEqual(golden["pooled_output"], [row[0] for row in golden["sequence_output"]],
                       msg=name)  # bit for bit: MobileBertPooler returns the slice itself
      self.assertEqual(golden["pooled_minus_cls_max_abs_diff"], 0.0)
      self.assertEqual([k for k in safetensors_header(name) if k.startswith("pooler.")], [])

  def test_mobilebert_tanh_pooled_output_is_tanh_of_dense(self):
    golden = read_json("hf_mobilebert_tanh")
    self.assertTrue(golden["config"]["classifier_activation"])
    cls = np.array(golden["sequence_output"], np.float32)[:, 0]
    weight = safetensors_tensor("hf_mobilebert_tanh", "pooler.dense.weight")  # [out, in]
    bias = safetensors_tensor("hf_mobilebert_tanh", "pooler.dense.bias")
    # A 32-term float32 dot product and tanh, recomputed in another order: ~1e-6.
    self.assertAllClose(np.tanh(cls @ weight.T + bias), golden["pooled_output"], atol=ATOL, rtol=0)
    self.assertGreater(np.max(np.abs(cls - np.array(golden["pooled_output"]))), 0.1)
    # The same encoder weights as hf_mobilebert: only the pooler differs.
    self.assertEqual(golden["sequence_output"], read_json("hf_mobilebert")["sequence_output"])

  def test_mobilebert_layer_norm_changes_the_encoder(self):
    no_norm, layer_norm = read_json("hf_mobilebert"), read_json("hf_mobilebert_layer_norm")
    self.assertEqual((no_norm["config"]["normalization_type"],
                      layer_norm["config"]["normalization_type"]), ("no_norm", "layer_norm"))
    diff = np.max(np.abs(np.array(no_norm["sequence_output"])
                         - np.array(layer_norm["sequence_output"])))
    self.assertGreater(diff, 0.1)

  @parameterized.parameters(*SAME_IDS)
  def test_both_toolchains_give_the_same_ids(self, family, hf_name, keras_name):
    self.assertEqual(read_json(hf_name)["inputs"], read_json(keras_name)["inputs"], msg=family)

  def test_wordpiece_folders_give_bert_ids(self):
    # vocab.txt is the BERT fixtures' vocab: the same ids as hf_bert_tokenizer_json's.
    bert = read_json("hf_bert_tokenizer_json")["inputs"]
    for name in ("hf_distilbert", "keras_hub_distilbert", "hf_mobilebert"):
      inputs = read_json(name)["inputs"]
      self.assertEqual({k: inputs[k] for k in ("input_ids", "input_mask")},
                       {k: bert[k] for k in ("input_ids", "input_mask")}, msg=name)
    self.assertEqual(read_json("hf_mobilebert")["inputs"]["segment_ids"], bert["segment_ids"])

  def test_deberta_tokenizer_normalizes_unlike_its_sentencepiece_model(self):
    probe = read_json("hf_deberta_v3")["normalization_probe"]
    import sentencepiece as spm
    sp = spm.SentencePieceProcessor(model_file=os.path.join(folder("hf_deberta_v3"), "spm.model"))
    self.assertEqual([sp.encode(t) for t in probe["texts"]], probe["sentencepiece_ids"])
    for text, ids, sp_ids in zip(probe["texts"], probe["tokenizer_ids"],
                                 probe["sentencepiece_ids"]):
      self.assertNotEqual(ids, sp_ids, msg=text)
    require_transformers(self)
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(folder("hf_deberta_v3"))
    self.assertEqual([tokenizer(t, add_special_tokens=False)["input_ids"] for t in probe["texts"]],
                     probe["tokenizer_ids"])


class KerasHubFixtureTest(parameterized.TestCase, tf.test.TestCase):

  def classes(self, name: str):
    import keras_hub
    prefix = KERAS_FOLDERS[name][0]
    return (getattr(keras_hub.models, prefix + "Backbone"),
            getattr(keras_hub.models, prefix + "Tokenizer"),
            getattr(keras_hub.models, prefix + "TextClassifierPreprocessor"))

  @parameterized.named_parameters(KERAS_NAMED)
  def test_files_are_what_keras_hub_writes(self, name):
    assets = {os.path.join("assets", "tokenizer", fn) for fn in KERAS_FOLDERS[name][1]}
    self.assertEqual(files_in(folder(name)),
                     KERAS_PRESET | assets | {"golden.json", "README.md"})

  @parameterized.named_parameters(KERAS_NAMED)
  def test_config(self, name):
    prefix = KERAS_FOLDERS[name][0]
    config, golden = read_json(name, "config.json"), read_json(name)
    self.assertEqual(config["registered_name"], f"keras_hub>{prefix}Backbone")
    self.assertEqual({k: config["config"][k] for k in golden["config"]}, golden["config"])
    self.assertEqual(read_json(name, "tokenizer.json")["class_name"], f"{prefix}Tokenizer")

  @parameterized.named_parameters(KERAS_NAMED)
  def test_golden_has_no_pooled_output(self, name):
    # None of these backbones has a pooler: the task models build their own head.
    golden = read_json(name)
    self.assertNotIn("pooled_output", golden)
    self.assertEqual(set(golden["inputs"]), {"input_ids", "input_mask"})

  @parameterized.named_parameters(KERAS_NAMED)
  def test_wrong_heads_would_show(self, name):
    for wrong, diffs in read_json(name)["sensitivity"].items():
      self.assertGreater(min(diffs.values()), 30 * ATOL, msg=wrong)

  @parameterized.named_parameters(KERAS_NAMED)
  def test_own_tokenizer_gives_the_stored_ids(self, name):
    _, tokenizer_class, preprocessor_class = self.classes(name)
    golden = read_json(name)
    self.assertEqual(golden["sentences"], fixture_tools.sentences_as_stored())
    tokenizer = tokenizer_class.from_preset(folder(name))
    self.assertEqual(tokenizer.vocabulary_size(), golden["config"]["vocabulary_size"])
    preprocessor = preprocessor_class(tokenizer, sequence_length=golden["max_seq_length"])
    rows = {"input_ids": [], "input_mask": []}
    for sentence in fixture_tools.SENTENCES:
      # x= because a positional 2-tuple would be unpacked as (x, y).
      out = preprocessor(x=sentence if isinstance(sentence, str) else tuple(sentence))
      self.assertEqual(set(out), {"token_ids", "padding_mask"})
      rows["input_ids"].append(np.asarray(out["token_ids"]).tolist())
      rows["input_mask"].append(np.asarray(out["padding_mask"]).astype(int).tolist())
    self.assertEqual(rows, golden["inputs"])

  @parameterized.named_parameters(KERAS_NAMED)
  def test_own_backbone_reproduces_golden(self, name):
    import keras
    backbone_class = self.classes(name)[0]
    _, _, first, prefix = KERAS_FOLDERS[name]
    golden = read_json(name)
    backbone = backbone_class.from_preset(folder(name))
    feed = {"token_ids": np.array(golden["inputs"]["input_ids"], np.int32),
            "padding_mask": np.array(golden["inputs"]["input_mask"], np.int32)}
    # The backbone returns sequence_output only; the hidden states are read from its own
    # functional graph, as the generator did.
    layers = [first] + [f"{prefix}{i}" for i in range(backbone.num_layers)]
    probe = keras.Model(backbone.inputs, [backbone.get_layer(layer).output for layer in layers])
    got = {"sequence_output": np.asarray(backbone(feed, training=False)),
           "hidden_states": np.stack([np.asarray(h) for h in probe(feed, training=False)])}
    batch, seq, hidden = len(fixture_tools.SENTENCES), golden["max_seq_length"], backbone.hidden_dim
    self.assertEqual({k: v.shape for k, v in got.items()},
                     {"sequence_output": (batch, seq, hidden),
                      "hidden_states": (backbone.num_layers + 1, batch, seq, hidden)})
    for key, value in got.items():
      self.assertAllClose(value, np.array(golden[key], np.float32), atol=ATOL, rtol=0, msg=key)

  def test_deberta_tokenizer_keeps_its_sentencepiece_normalization(self):
    # keras-hub runs the SentencePiece model itself: its ids are sentencepiece's, where
    # transformers' DebertaV2Tokenizer differs (see hf_deberta_v3/README.md).
    probe = read_json("hf_deberta_v3")["normalization_probe"]
    tokenizer = self.classes("keras_hub_deberta_v3")[1].from_preset(
        folder("keras_hub_deberta_v3"))
    self.assertEqual([np.asarray(tokenizer(t)).tolist() for t in probe["texts"]],
                     probe["sentencepiece_ids"])


if __name__ == "__main__":
  tf.test.main()
