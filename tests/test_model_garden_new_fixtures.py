"""Model Garden's Talking-Heads BERT and MobileBERT fixtures, loaded back with tensorflow_hub.

  model_garden_talking_heads/  EncoderScaffold + TransformerScaffold(TalkingHeadsAttention,
                               GatedFeedforward), export_tfhub_lib.export_model(with_mlm=True):
                               pooled_output = tanh(cls_transform(sequence_output[:, 0])).
  model_garden_mobilebert/     MobileBERTEncoder, export_tfhub_lib.export_model(type="mobilebert"):
                               encoder/ (classifier_activation=False: pooled_output is
                               sequence_output[:, 0]) and encoder_classifier_activation/ (the
                               same weights plus a tanh pooler).

Made by tests/make_model_garden_talking_heads_fixture.py and
tests/make_model_garden_mobilebert_fixture.py in tf-models-official's own venv (TensorFlow 2.20;
the READMEs beside the fixtures give the versions). These tests prove the fixtures are intact and
describe them: the project's tensorflow / tensorflow_hub / tensorflow_text load every SavedModel,
reproduce golden.json, and run preprocess + encoder together. They use no hub_repro code.
"""

from __future__ import annotations

import json
import os

import numpy as np
import tensorflow as tf
import tensorflow_hub as hub
import tensorflow_text  # noqa: F401  (registers the ops the preprocessing models need)

import fixture_tools

TALKING_HEADS = os.path.join(fixture_tools.FIXTURES, "model_garden_talking_heads")
MOBILEBERT = os.path.join(fixture_tools.FIXTURES, "model_garden_mobilebert")
INPUT_KEYS = ("input_word_ids", "input_mask", "input_type_ids")

# The same SavedModel graphs, run by TensorFlow 2.21 instead of the generator's 2.20, perhaps with
# oneDNN kernels or another CPU: the sums are reordered, which moves float32 values of size <= 4
# by a few ulps (~1e-6; the two graph rewrites of one computation in a single SavedModel,
# __call__ and serving_default, differ by up to 2e-6, see golden.json "signatures"). 1e-5 leaves
# room for that and is still 100x below the smallest change of any used variable (>= 1e-3, see
# golden.json "dependencies"). rtol covers mlm_logits, which reach 3.2.
ATOL = 1e-5
RTOL = 1e-5


def read_golden(folder: str) -> dict:
  with open(os.path.join(folder, "golden.json"), encoding="utf-8") as f:
    return json.load(f)


def as_inputs(rows: dict) -> dict[str, tf.Tensor]:
  """The encoder inputs stored in golden.json as int32 Tensors [batch, seq_length]."""
  return {k: tf.constant(rows[k], tf.int32) for k in INPUT_KEYS}


def files_in(folder: str) -> set[str]:
  return {os.path.relpath(os.path.join(dirpath, fn), folder)
          for dirpath, _, filenames in os.walk(folder) for fn in filenames}


def saved_model_files(name: str) -> set[str]:
  """The files tf_keras' Model.save(save_format="tf") writes, with the vocab as its asset."""
  return {f"{name}/{fn}" for fn in (
      "saved_model.pb", "keras_metadata.pb", "fingerprint.pb", "assets/vocab.txt",
      "variables/variables.index", "variables/variables.data-00000-of-00001")}


def float_variables(obj) -> dict[str, np.ndarray]:
  """{name without ":0": value} of a loaded object's float32 variables."""
  return {v.name[:-2]: v.numpy() for v in obj.variables if v.dtype == tf.float32}


class PreprocessChecks:
  """Checks of a fixture's preprocess/ against its golden.json (both fixtures have the same)."""

  def check_preprocess(self, pre, golden):
    one_shot = pre(tf.constant(golden["texts_one_shot"]))
    stored = golden["preprocess_one_shot"]
    for k in INPUT_KEYS:
      self.assertEqual(one_shot[k].dtype, tf.int32, k)
      self.assertAllEqual(one_shot[k], stored[k], msg=k)
    self.assertEqual(one_shot["input_word_ids"].shape[1], stored["seq_length"])

    tokenized = pre.tokenize(tf.constant(golden["texts_tokenized"]))
    self.assertEqual(tokenized.to_list(), golden["tokenize"])
    special = {k: int(t) for k, t in pre.tokenize.get_special_tokens_dict().items()}
    self.assertEqual(special, golden["special_tokens"])

    # The encoder inputs: each SENTENCES example through tokenize + bert_pack_inputs.
    self.assertEqual(golden["sentences"], fixture_tools.sentences_as_stored())
    rows = {k: [] for k in INPUT_KEYS}
    for sentence in golden["sentences"]:
      parts = [sentence] if isinstance(sentence, str) else sentence
      packed = pre.bert_pack_inputs([pre.tokenize(tf.constant([p])) for p in parts],
                                    seq_length=tf.constant(golden["inputs"]["seq_length"]))
      for k in INPUT_KEYS:
        rows[k].append(packed[k].numpy()[0].tolist())
    for k in INPUT_KEYS:
      self.assertEqual(rows[k], golden["inputs"][k], k)

  def check_signatures(self, obj, inputs, stored):
    """The call's inputs and each signature's outputs as golden.json "signatures" lists them."""
    call_inputs = obj.__call__.concrete_functions[0].structured_input_signature[0][0]
    self.assertEqual(sorted(call_inputs), sorted(stored["call"]["inputs"]))
    self.assertEqual(sorted(getattr(obj, "signatures", {})), sorted(stored["signatures"]))
    called = obj(inputs, training=False)
    for name, sig in stored["signatures"].items():
      result = obj.signatures[name](**inputs)
      self.assertEqual(sorted(result), sorted(sig["outputs"]))
      for out_name, call_name in sig["outputs"].items():
        key, _, index = call_name.partition("[")
        expected = called[key][int(index[:-1])] if index else called[key]
        self.assertAllClose(result[out_name], expected, atol=ATOL, rtol=RTOL,
                            msg=f"{name}/{out_name} = {call_name}")


class TalkingHeadsFixtureTest(tf.test.TestCase, PreprocessChecks):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.golden = read_golden(TALKING_HEADS)
    cls.encoder = hub.load(os.path.join(TALKING_HEADS, "encoder"))
    cls.preprocess = hub.load(os.path.join(TALKING_HEADS, "preprocess"))
    cls.inputs = as_inputs(cls.golden["inputs"])
    cls.outputs = cls.encoder(cls.inputs, training=False)

  def test_files(self):
    self.assertEqual(files_in(TALKING_HEADS),
                     {"README.md", "golden.json"} | saved_model_files("encoder")
                     | saved_model_files("preprocess"))

  def test_preprocess_reproduces_golden(self):
    self.check_preprocess(self.preprocess, self.golden)

  def test_encoder_reproduces_golden(self):
    out, stored = self.outputs, self.golden["encoder"]
    batch, seq = np.shape(self.golden["inputs"]["input_word_ids"])
    self.assertEqual(set(out), {"default", "pooled_output", "sequence_output", "encoder_outputs"})
    self.assertEqual({k: tuple(out[k].shape) for k in ("pooled_output", "sequence_output")},
                     {"pooled_output": (batch, 32), "sequence_output": (batch, seq, 32)})
    self.assertAllClose(out["pooled_output"], stored["pooled_output"], atol=ATOL, rtol=RTOL)
    self.assertAllClose(out["sequence_output"], stored["sequence_output"], atol=ATOL, rtol=RTOL)
    self.assertLen(out["encoder_outputs"], 2)  # one per layer
    for i, (got, want) in enumerate(zip(out["encoder_outputs"], stored["encoder_outputs"])):
      self.assertAllClose(got, want, atol=ATOL, rtol=RTOL, msg=f"encoder_outputs[{i}]")
    self.assertAllEqual(out["default"], out["pooled_output"])
    self.assertAllEqual(out["encoder_outputs"][-1], out["sequence_output"])

  def test_pooled_output_is_cls_transform_of_first_token(self):
    v = float_variables(self.encoder)
    first = self.outputs["sequence_output"].numpy()[:, 0]
    self.assertAllClose(self.outputs["pooled_output"],
                        np.tanh(first @ v["cls_transform/kernel"] + v["cls_transform/bias"]),
                        atol=ATOL, rtol=RTOL)

  def test_mlm_reproduces_golden(self):
    stored = self.golden["mlm"]
    mlm = self.encoder.mlm(dict(self.inputs, masked_lm_positions=tf.constant(
        stored["masked_lm_positions"], tf.int32)), training=False)
    self.assertAllClose(mlm["mlm_logits"], stored["mlm_logits"], atol=ATOL, rtol=RTOL)
    self.assertAllClose(mlm["pooled_output"], self.outputs["pooled_output"], atol=ATOL, rtol=RTOL)

  def test_preprocess_and_encoder_run_together(self):
    texts = self.golden["texts_one_shot"]
    out = self.encoder(self.preprocess(tf.constant(texts)), training=False)
    self.assertEqual(tuple(out["sequence_output"].shape),
                     (len(texts), self.golden["preprocess_one_shot"]["seq_length"], 32))
    self.assertAllClose(out["pooled_output"], self.golden["encoder_one_shot_pooled_output"],
                        atol=ATOL, rtol=RTOL)

  def test_variables(self):
    got = [[v.name, v.shape.as_list()] for v in self.encoder.variables]
    self.assertEqual(got, [[r["name"], r["shape"]] for r in self.golden["encoder_variables"]])
    names = {v.name for v in self.encoder.variables}
    self.assertEqual([[v.name, v.shape.as_list()] for v in self.encoder.mlm.variables
                      if v.name not in names],
                     [[r["name"], r["shape"]] for r in self.golden["mlm_only_variables"]])
    checkpoint = tf.train.list_variables(os.path.join(TALKING_HEADS, "encoder", "variables",
                                                      "variables"))
    self.assertEqual([[k, s] for k, s in sorted(checkpoint)], self.golden["checkpoint_keys"])

  def test_signatures(self):
    stored = self.golden["signatures"]
    self.check_signatures(self.encoder, self.inputs, stored["encoder"])
    mlm_inputs = dict(self.inputs, masked_lm_positions=tf.constant(
        self.golden["mlm"]["masked_lm_positions"], tf.int32))
    self.check_signatures(self.encoder.mlm, mlm_inputs, stored["encoder.mlm"])


class MobileBertFixtureTest(tf.test.TestCase, PreprocessChecks):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.golden = read_golden(MOBILEBERT)
    cls.encoders = {name: hub.load(os.path.join(MOBILEBERT, name))
                    for name in ("encoder", "encoder_classifier_activation")}
    cls.preprocess = hub.load(os.path.join(MOBILEBERT, "preprocess"))
    cls.inputs = as_inputs(cls.golden["inputs"])
    cls.outputs = {name: e(cls.inputs, training=False) for name, e in cls.encoders.items()}

  def test_files(self):
    self.assertEqual(files_in(MOBILEBERT),
                     {"README.md", "golden.json"} | saved_model_files("encoder")
                     | saved_model_files("encoder_classifier_activation")
                     | saved_model_files("preprocess"))

  def test_preprocess_reproduces_golden(self):
    self.check_preprocess(self.preprocess, self.golden)

  def test_encoder_reproduces_golden(self):
    out, stored = self.outputs["encoder"], self.golden["encoder"]
    batch, seq = np.shape(self.golden["inputs"]["input_word_ids"])
    self.assertEqual(set(out), {"default", "pooled_output", "sequence_output", "encoder_outputs",
                                "attention_scores"})
    self.assertEqual({k: tuple(out[k].shape) for k in ("pooled_output", "sequence_output")},
                     {"pooled_output": (batch, 32), "sequence_output": (batch, seq, 32)})
    self.assertAllClose(out["pooled_output"], stored["pooled_output"], atol=ATOL, rtol=RTOL)
    self.assertAllClose(out["sequence_output"], stored["sequence_output"], atol=ATOL, rtol=RTOL)
    self.assertLen(out["encoder_outputs"], 3)  # the embedding output, then one per block
    for i, (got, want) in enumerate(zip(out["encoder_outputs"], stored["encoder_outputs"])):
      self.assertAllClose(got, want, atol=ATOL, rtol=RTOL, msg=f"encoder_outputs[{i}]")
    self.assertLen(out["attention_scores"], 2)
    for i, (got, want) in enumerate(zip(out["attention_scores"], stored["attention_scores"])):
      self.assertEqual(tuple(got.shape), (batch, 4, seq, seq))
      self.assertAllClose(got, want, atol=ATOL, rtol=RTOL, msg=f"attention_scores[{i}]")
    self.assertAllEqual(out["default"], out["pooled_output"])
    self.assertAllEqual(out["encoder_outputs"][-1], out["sequence_output"])

  def test_pooled_output_is_first_token_state(self):
    # classifier_activation=False: no pooler at all, bit for bit the [CLS] position's state.
    out = self.outputs["encoder"]
    self.assertAllEqual(out["pooled_output"], out["sequence_output"][:, 0])

  def test_classifier_activation_adds_tanh_pooler(self):
    out, plain = self.outputs["encoder_classifier_activation"], self.outputs["encoder"]
    self.assertAllClose(out["pooled_output"],
                        self.golden["encoder_classifier_activation"]["pooled_output"],
                        atol=ATOL, rtol=RTOL)
    for k in ("sequence_output", "encoder_outputs", "attention_scores"):
      self.assertAllClose(out[k], plain[k], atol=ATOL, rtol=RTOL, msg=k)
    v = float_variables(self.encoders["encoder_classifier_activation"])
    first = out["sequence_output"].numpy()[:, 0]
    self.assertAllClose(out["pooled_output"],
                        np.tanh(first @ v["pooler/kernel"] + v["pooler/bias"]),
                        atol=ATOL, rtol=RTOL)

  def test_preprocess_and_encoder_run_together(self):
    texts = self.golden["texts_one_shot"]
    for name, encoder in self.encoders.items():
      out = encoder(self.preprocess(tf.constant(texts)), training=False)
      self.assertEqual(tuple(out["sequence_output"].shape),
                       (len(texts), self.golden["preprocess_one_shot"]["seq_length"], 32))
      self.assertAllClose(out["pooled_output"], self.golden["one_shot_pooled_output"][name],
                          atol=ATOL, rtol=RTOL, msg=name)

  def test_variables(self):
    for name, encoder in self.encoders.items():
      stored = self.golden["encoders"][name]
      self.assertEqual([[v.name, v.shape.as_list()] for v in encoder.variables],
                       [[r["name"], r["shape"]] for r in stored["variables"]], name)
      checkpoint = tf.train.list_variables(os.path.join(MOBILEBERT, name, "variables",
                                                        "variables"))
      self.assertEqual([[k, s] for k, s in sorted(checkpoint)], stored["checkpoint_keys"], name)
    plain = {v.name for v in self.encoders["encoder"].variables}
    pooled = {v.name for v in self.encoders["encoder_classifier_activation"].variables}
    self.assertEqual(pooled - plain, {"pooler/kernel:0", "pooler/bias:0"})
    self.assertEqual(plain - pooled, set())

  def test_signatures(self):
    for name, encoder in self.encoders.items():
      self.check_signatures(encoder, self.inputs, self.golden["encoders"][name]["signatures"])


if __name__ == "__main__":
  tf.test.main()
