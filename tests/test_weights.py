import json
import os
import shutil

import numpy as np
import tensorflow as tf
from absl.testing import parameterized
from safetensors.numpy import save_file

from hub_repro import errors, weights as weights_lib
from hub_repro.families.bert import names as bert_names
from hub_repro.naming import expand_layers
import testutil


def save_hf_folder(weights, folder, hidden_act="gelu_new", extra=None):
  """Writes BertWeights as a Hugging Face BertModel folder, inverting the reader's name map."""
  os.makedirs(folder, exist_ok=True)
  tensors = {}
  bert_to_hf = {bert: hf for hf, bert in
                expand_layers(bert_names.HF_TO_BERT, weights.config.num_hidden_layers).items()}
  for name, value in weights.params.items():
    hf_name = bert_to_hf[name]
    if any(hf_name.endswith(t) for t in bert_names.HF_TRANSPOSED):
      value = value.T
    tensors[hf_name] = np.ascontiguousarray(value)
  tensors["embeddings.position_ids"] = np.arange(weights.config.max_position_embeddings)[None]
  tensors.update(extra or {})
  save_file(tensors, os.path.join(folder, "model.safetensors"))
  config = {**weights.config.to_dict(), "model_type": "bert", "hidden_act": hidden_act,
            "layer_norm_eps": 1e-12}
  with open(os.path.join(folder, "config.json"), "w") as f:
    json.dump(config, f)
  shutil.copy(weights.vocab_file, os.path.join(folder, "vocab.txt"))
  return folder


class HuggingFaceReaderTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    self.weights = testutil.random_weights()
    self.folder = save_hf_folder(self.weights, os.path.join(self.get_temp_dir(), "hf"))

  def test_round_trip_transposes_linear_weights(self):
    read = weights_lib.read_huggingface(self.folder)
    self.assertEqual(read.config, self.weights.config)
    self.assertEqual(set(read.params), set(self.weights.params))
    for name, value in self.weights.params.items():
      self.assertAllEqual(read.params[name], value, msg=name)

  def test_hf_gelu_maps_to_erf_form(self):
    read = weights_lib.read_huggingface(save_hf_folder(
        self.weights, os.path.join(self.get_temp_dir(), "hf_gelu"), hidden_act="gelu"))
    self.assertEqual(read.config.hidden_act, "gelu_exact")

  def test_unexpected_key_is_named(self):
    folder = save_hf_folder(self.weights, os.path.join(self.get_temp_dir(), "hf_mlm"),
                            extra={"cls.predictions.bias": np.zeros(109, np.float32)})
    with self.assertRaisesRegex(weights_lib.WeightsError, r"unexpected keys \['cls.predictions.bias'\]"):
      weights_lib.read_huggingface(folder)

  def test_sha256_mismatch_is_refused(self):
    with self.assertRaisesRegex(weights_lib.WeightsError, "has sha256 [0-9a-f]{64}, expected 0+"):
      weights_lib.read_huggingface(self.folder, expected_sha256="0" * 64)

  def test_missing_file_is_named(self):
    os.remove(os.path.join(self.folder, "vocab.txt"))
    with self.assertRaisesRegex(errors.HandleError, r"missing \['vocab.txt'\]"):
      weights_lib.read_huggingface(self.folder)


class CheckParamsTest(parameterized.TestCase, tf.test.TestCase):

  def setUp(self):
    super().setUp()
    self.weights = testutil.random_weights()

  def test_missing_and_unexpected_keys_are_named(self):
    params = dict(self.weights.params)
    del params["bert/pooler/dense/bias"]
    params["bert/pooler/dense/bias_typo"] = np.zeros(32, np.float32)
    with self.assertRaisesRegex(weights_lib.WeightsError,
                                r"missing keys \['bert/pooler/dense/bias'\], unexpected keys "
                                r"\['bert/pooler/dense/bias_typo'\]"):
      weights_lib.check_params(params, self.weights.config, "test")

  @parameterized.named_parameters(
      ("kernel", "bert/encoder/layer_1/intermediate/dense/kernel", (37, 32), r"\(32, 37\)"),
      ("embeddings", "bert/embeddings/word_embeddings", (108, 32), r"\(109, 32\)"))
  def test_shape_is_checked_by_name(self, name, shape, expected):
    params = dict(self.weights.params)
    params[name] = np.zeros(shape, np.float32)
    with self.assertRaisesRegex(weights_lib.WeightsError, f"{name} has shape .* expected {expected}"):
      weights_lib.check_params(params, self.weights.config, "test")


class GoogleCheckpointReaderTest(tf.test.TestCase):

  def test_reads_googles_checkpoint(self):
    read = weights_lib.read_google_checkpoint(testutil.GOOGLE_CHECKPOINT)
    self.assertEqual(read.config, testutil.tiny_config())
    self.assertLen(read.params, 39)

  def test_not_a_checkpoint_folder(self):
    with self.assertRaisesRegex(errors.HandleError, "missing .*bert_model.ckpt.index"):
      weights_lib.read_google_checkpoint(testutil.GOOGLE_MODULE)


if __name__ == "__main__":
  tf.test.main()
