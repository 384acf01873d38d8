"""The fixtures written by the other toolchains' own save functions, loaded back by those toolchains.

  hf_bert_tokenizer_json/   transformers BertModel.save_pretrained + BertTokenizer.save_pretrained:
                            hidden 32, 4 heads, gelu; tokenizer.json only, no vocab.txt.
  hf_bert_head16_gelu_new/  the same with hidden 48, 3 heads (head size 16), gelu_new; vocab.txt
                            (legacy format), no tokenizer.json.
  keras_hub_preset/         keras-hub BertBackbone + BertTokenizer .save_to_preset (backend tensorflow).

Made by tests/make_hf_fixtures.py and tests/make_keras_hub_fixture.py (READMEs beside them give the
versions). These tests prove the fixtures are intact and describe them: each folder has the files
its framework writes, its own tokenizer gives the stored ids, and its own framework reproduces the
stored golden numbers. They use no hub_repro code. The Hugging Face tokenizer and model tests
skip without torch/transformers.
"""

from __future__ import annotations

import json
import os

import numpy as np
import tensorflow as tf
from absl.testing import parameterized

import testutil

HF_TOKENIZER_JSON = os.path.join(testutil.FIXTURES, "hf_bert_tokenizer_json")
HF_HEAD16 = os.path.join(testutil.FIXTURES, "hf_bert_head16_gelu_new")
KERAS_HUB = os.path.join(testutil.FIXTURES, "keras_hub_preset")

# Same framework, same weights, same ids, float32 stored exactly: on the machine that wrote
# golden.json transformers reproduces it bit-exactly; keras-hub does too with the generator's
# TF_ENABLE_ONEDNN_OPTS=0 and differs by ~1e-6 under TensorFlow's default oneDNN kernels (another
# summation order: a few float32 ulps of values of size ~1-4, through 2 layers). 1e-5, the
# project's loader tolerance, leaves room for that and for another CPU, and is still 50x below the
# smallest effect the fixtures are made to show (the other gelu form moves the outputs by 5e-4 or
# more; see golden.json "sensitivity").
ATOL = 1e-5

PIP_HF = ("pip install torch==2.13.0 transformers==5.24.0 "
          "--extra-index-url https://download.pytorch.org/whl/cpu")


def read_golden(folder: str) -> dict:
  with open(os.path.join(folder, "golden.json"), encoding="utf-8") as f:
    return json.load(f)


def read_json(folder: str, name: str) -> dict:
  with open(os.path.join(folder, name), encoding="utf-8") as f:
    return json.load(f)


def files_in(folder: str) -> set[str]:
  return {os.path.relpath(os.path.join(dirpath, fn), folder)
          for dirpath, _, filenames in os.walk(folder) for fn in filenames}


def sentences_as_stored() -> list:
  return [s if isinstance(s, str) else list(s) for s in testutil.SENTENCES]


class HuggingFaceFixtureTest(parameterized.TestCase, tf.test.TestCase):
  """The file checks read JSON only; the tokenizer and model checks need transformers on torch."""

  def require_transformers(self):
    try:
      import torch  # noqa: F401
      import transformers  # noqa: F401
    except ImportError as e:
      self.skipTest(f"the Hugging Face fixtures are checked with transformers on PyTorch ({e}); "
                    f"{PIP_HF}")

  @parameterized.named_parameters(
      ("tokenizer_json", HF_TOKENIZER_JSON,
       {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"}),
      ("head16_gelu_new", HF_HEAD16,
       {"config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json"}))
  def test_files_are_what_transformers_writes(self, folder, written):
    self.assertEqual(files_in(folder), written | {"golden.json", "README.md"})

  def test_tokenizer_json_folder_has_no_vocab_txt(self):
    # transformers 5 saves a BERT tokenizer as tokenizer.json only: loaders must not need vocab.txt.
    self.assertFalse(os.path.exists(os.path.join(HF_TOKENIZER_JSON, "vocab.txt")))
    self.assertTrue(os.path.exists(os.path.join(HF_TOKENIZER_JSON, "tokenizer.json")))

  @parameterized.named_parameters(
      ("tokenizer_json", HF_TOKENIZER_JSON, 32, 4, 37, "gelu"),
      ("head16_gelu_new", HF_HEAD16, 48, 3, 61, "gelu_new"))
  def test_config(self, folder, hidden, heads, intermediate, act):
    config = read_json(folder, "config.json")
    self.assertEqual(
        {k: config[k] for k in ("model_type", "hidden_size", "num_attention_heads",
                                "intermediate_size", "hidden_act", "num_hidden_layers",
                                "vocab_size", "max_position_embeddings", "type_vocab_size")},
        {"model_type": "bert", "hidden_size": hidden, "num_attention_heads": heads,
         "intermediate_size": intermediate, "hidden_act": act, "num_hidden_layers": 2,
         "vocab_size": 109, "max_position_embeddings": 64, "type_vocab_size": 2})

  @parameterized.named_parameters(("tokenizer_json", HF_TOKENIZER_JSON),
                                  ("head16_gelu_new", HF_HEAD16))
  def test_own_tokenizer_gives_the_stored_ids(self, folder):
    self.require_transformers()
    from transformers import AutoTokenizer
    golden = read_golden(folder)
    self.assertEqual(golden["sentences"], sentences_as_stored())
    tokenizer = AutoTokenizer.from_pretrained(folder)
    self.assertLen(tokenizer, 109)
    rows = {"input_ids": [], "input_mask": [], "segment_ids": []}
    for sentence in testutil.SENTENCES:
      first, second = (sentence, None) if isinstance(sentence, str) else sentence
      enc = tokenizer(first, second, padding="max_length", max_length=golden["max_seq_length"],
                      truncation=True, return_token_type_ids=True, return_attention_mask=True)
      rows["input_ids"].append(list(enc["input_ids"]))
      rows["input_mask"].append(list(enc["attention_mask"]))
      rows["segment_ids"].append(list(enc["token_type_ids"]))
    self.assertEqual(rows, golden["inputs"])

  @parameterized.named_parameters(("tokenizer_json", HF_TOKENIZER_JSON),
                                  ("head16_gelu_new", HF_HEAD16))
  def test_own_model_reproduces_golden(self, folder):
    self.require_transformers()
    import torch
    from transformers import BertModel
    golden = read_golden(folder)
    model, info = BertModel.from_pretrained(folder, output_loading_info=True)
    self.assertEqual({k: v for k, v in info.items() if v}, {})  # no missing/unexpected keys
    model.eval()
    inputs = golden["inputs"]
    with torch.no_grad():
      out = model(input_ids=torch.tensor(inputs["input_ids"]),
                  attention_mask=torch.tensor(inputs["input_mask"]),
                  token_type_ids=torch.tensor(inputs["segment_ids"]),
                  output_hidden_states=True)
    config = golden["config"]
    batch, seq, hidden = len(testutil.SENTENCES), golden["max_seq_length"], config["hidden_size"]
    got = {"pooled_output": out.pooler_output.numpy(),
           "sequence_output": out.last_hidden_state.numpy(),
           "hidden_states": np.stack([h.numpy() for h in out.hidden_states])}
    self.assertEqual({k: v.shape for k, v in got.items()},
                     {"pooled_output": (batch, hidden), "sequence_output": (batch, seq, hidden),
                      "hidden_states": (config["num_hidden_layers"] + 1, batch, seq, hidden)})
    for key, value in got.items():
      self.assertAllClose(value, np.array(golden[key], np.float32), atol=ATOL, rtol=0, msg=key)

  @parameterized.named_parameters(("tokenizer_json", HF_TOKENIZER_JSON),
                                  ("head16_gelu_new", HF_HEAD16))
  def test_wrong_heads_or_gelu_would_show(self, folder):
    # Stored by the generator: how far the outputs move with a wrong head count or the other gelu.
    sensitivity = read_golden(folder)["sensitivity"]
    self.assertLen(sensitivity, 2)
    for wrong, diffs in sensitivity.items():
      self.assertGreater(min(diffs.values()), 30 * ATOL, msg=wrong)


class KerasHubFixtureTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    import keras_hub
    self.keras_hub = keras_hub
    self.golden = read_golden(KERAS_HUB)

  def test_files_are_what_keras_hub_writes(self):
    self.assertEqual(files_in(KERAS_HUB),
                     {"config.json", "metadata.json", "model.weights.h5", "tokenizer.json",
                      os.path.join("assets", "tokenizer", "vocabulary.txt"),
                      "golden.json", "README.md"})
    with open(os.path.join(KERAS_HUB, "assets", "tokenizer", "vocabulary.txt"), "rb") as a, \
         open(testutil.VOCAB, "rb") as b:
      self.assertEqual(a.read(), b.read())

  def test_config(self):
    config = read_json(KERAS_HUB, "config.json")
    self.assertEqual(config["class_name"], "BertBackbone")
    self.assertEqual(config["registered_name"], "keras_hub>BertBackbone")
    self.assertEqual({k: config["config"][k] for k in self.golden["config"]}, self.golden["config"])
    tokenizer = read_json(KERAS_HUB, "tokenizer.json")
    self.assertEqual(tokenizer["class_name"], "BertTokenizer")
    self.assertTrue(tokenizer["config"]["lowercase"])

  def test_own_tokenizer_gives_the_stored_ids(self):
    self.assertEqual(self.golden["sentences"], sentences_as_stored())
    tokenizer = self.keras_hub.models.BertTokenizer.from_preset(KERAS_HUB)
    preprocessor = self.keras_hub.models.BertTextClassifierPreprocessor(
        tokenizer, sequence_length=self.golden["max_seq_length"])
    rows = {"input_ids": [], "input_mask": [], "segment_ids": []}
    for sentence in testutil.SENTENCES:
      # x= because a positional 2-tuple would be unpacked as (x, y).
      out = preprocessor(x=sentence if isinstance(sentence, str) else tuple(sentence))
      rows["input_ids"].append(np.asarray(out["token_ids"]).tolist())
      rows["input_mask"].append(np.asarray(out["padding_mask"]).astype(int).tolist())
      rows["segment_ids"].append(np.asarray(out["segment_ids"]).tolist())
    self.assertEqual(rows, self.golden["inputs"])

  def test_own_backbone_reproduces_golden(self):
    import keras
    backbone = self.keras_hub.models.BertBackbone.from_preset(KERAS_HUB)
    inputs = self.golden["inputs"]
    feed = {"token_ids": np.array(inputs["input_ids"], np.int32),
            "segment_ids": np.array(inputs["segment_ids"], np.int32),
            "padding_mask": np.array(inputs["input_mask"], bool)}
    # BertBackbone returns pooled/sequence output only; the hidden states are read from its own
    # functional graph, as the generator did.
    layers = ["embeddings_dropout"] + [f"transformer_layer_{i}" for i in range(backbone.num_layers)]
    probe = keras.Model(backbone.inputs, [backbone.get_layer(name).output for name in layers])
    outputs = backbone(feed, training=False)
    got = {"pooled_output": np.asarray(outputs["pooled_output"]),
           "sequence_output": np.asarray(outputs["sequence_output"]),
           "hidden_states": np.stack([np.asarray(h) for h in probe(feed, training=False)])}
    batch, seq, hidden = len(testutil.SENTENCES), self.golden["max_seq_length"], 32
    self.assertEqual({k: v.shape for k, v in got.items()},
                     {"pooled_output": (batch, hidden), "sequence_output": (batch, seq, hidden),
                      "hidden_states": (3, batch, seq, hidden)})
    for key, value in got.items():
      self.assertAllClose(value, np.array(self.golden[key], np.float32), atol=ATOL, rtol=0, msg=key)

  def test_wrong_heads_would_show(self):
    for wrong, diffs in self.golden["sensitivity"].items():
      self.assertGreater(min(diffs.values()), 30 * ATOL, msg=wrong)


if __name__ == "__main__":
  tf.test.main()
