"""hub_repro's TF2 export against Model Garden's (tf-models-official 2.20.0 export_tfhub_lib)."""

import json
import os
import tempfile

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_hub as hub

from hub_repro import embedded, export, export_tf2, module, naming
from hub_repro.weights import read_google_checkpoint, read_huggingface
import testutil

MG_ENCODER = os.path.join(testutil.MODEL_GARDEN, "encoder")
MG_PREPROCESS = os.path.join(testutil.MODEL_GARDEN, "preprocess")
OUTPUT_KEYS = {"pooled_output", "sequence_output", "encoder_outputs", "default"}


def mg_golden():
  with open(os.path.join(testutil.MODEL_GARDEN, "golden.json")) as f:
    return json.load(f)


class EncoderInterfaceTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.out = tempfile.mkdtemp(prefix="export_tf2_test_")
    cls.ours = export_tf2.export_tf2(read_google_checkpoint(testutil.GOOGLE_CHECKPOINT),
                                     os.path.join(cls.out, "encoder"))

  def _inputs(self):
    ids = tf.constant([[2, 40, 41, 3, 0], [2, 50, 3, 60, 3]], tf.int32)
    return {"input_word_ids": ids, "input_mask": tf.cast(ids != 0, tf.int32),
            "input_type_ids": tf.constant([[0] * 5, [0, 0, 0, 1, 1]], tf.int32)}

  def test_same_call_interface_and_outputs_as_model_garden(self):
    for path in (self.ours, MG_ENCODER):
      encoder = hub.load(path)
      outputs = encoder(self._inputs())
      self.assertEqual(set(outputs), OUTPUT_KEYS, msg=path)
      self.assertEqual(tuple(outputs["pooled_output"].shape), (2, 32))
      self.assertEqual(tuple(outputs["sequence_output"].shape), (2, 5, 32))
      self.assertLen(outputs["encoder_outputs"], 2)
      self.assertAllEqual(outputs["default"], outputs["pooled_output"])
      self.assertAllEqual(outputs["encoder_outputs"][-1], outputs["sequence_output"])
      self.assertIsInstance(encoder.vocab_file, tf.saved_model.Asset)
      self.assertTrue(bool(encoder.do_lower_case.numpy()))
      self.assertEmpty(list(encoder.regularization_losses))
      self.assertLen(encoder.trainable_variables, 39)

  def test_same_variable_names_and_shapes_as_model_garden(self):
    def shapes(path):
      return {v.name: tuple(v.shape) for v in hub.load(path).trainable_variables}
    self.assertEqual(shapes(self.ours), shapes(MG_ENCODER))
    self.assertIn("pooler_transform/kernel:0", shapes(self.ours))

  def test_training_flag_and_keras_layer(self):
    encoder = hub.load(self.ours)
    inference = encoder(self._inputs(), training=False)["pooled_output"]
    self.assertGreater(np.max(np.abs(encoder(self._inputs(), training=True)["pooled_output"]
                                     - inference)), 1e-4)  # dropout 0.1
    layer = hub.KerasLayer(self.ours, trainable=True)
    self.assertAllClose(layer(self._inputs())["pooled_output"], inference, atol=1e-6)
    self.assertLen(layer.trainable_weights, 39)

  def test_model_garden_name_map_round_trips(self):
    weights = read_google_checkpoint(testutil.GOOGLE_CHECKPOINT)
    mg = naming.bert_to_model_garden(weights.params, weights.config)
    self.assertEqual(mg["transformer/layer_0/self_attention/query/kernel"].shape, (32, 4, 8))
    back = naming.model_garden_to_bert(mg, weights.config)
    for name, value in weights.params.items():
      self.assertAllEqual(back[name], value, msg=name)
    del mg["pooler_transform/bias"]
    mg["pooler/bias"] = np.zeros(32, np.float32)
    with self.assertRaisesRegex(ValueError, r"missing \['pooler_transform/bias'\], unexpected "
                                r"\['pooler/bias'\]"):
      naming.model_garden_to_bert(mg, weights.config)


class PreprocessingTest(tf.test.TestCase):
  """Same ids as Model Garden's preprocessing model for the same vocab and text."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.ours = hub.load(export_tf2.export_preprocessing(
        testutil.VOCAB, True, os.path.join(tempfile.mkdtemp(), "preprocess"), 128))
    cls.theirs = hub.load(MG_PREPROCESS)
    cls.golden = mg_golden()

  def assertSameInputs(self, a, b):
    self.assertEqual(set(a), {"input_word_ids", "input_mask", "input_type_ids"})
    for key in a:
      self.assertAllEqual(a[key], b[key], msg=key)

  def test_single_sentences_at_the_default_length(self):
    texts = tf.constant(self.golden["texts_a"])
    ours = self.ours(texts)
    self.assertSameInputs(ours, self.theirs(texts))
    self.assertEqual(tuple(ours["input_word_ids"].shape), (3, 128))
    self.assertAllEqual(ours["input_word_ids"][:, :16],
                        np.array(self.golden["preprocess_a"]["input_word_ids"])[:, :16])

  def test_pairs_with_truncation(self):
    a, b = (tf.constant(self.golden[k]) for k in ("texts_a", "texts_b"))
    for seq_length in (10, 7, 40):
      packed = [m.bert_pack_inputs([m.tokenize(a), m.tokenize(b)], seq_length=seq_length)
                for m in (self.ours, self.theirs)]
      self.assertSameInputs(*packed)
    ours = self.ours.bert_pack_inputs([self.ours.tokenize(a), self.ours.tokenize(b)],
                                      seq_length=10)
    self.assertAllEqual(ours["input_word_ids"], self.golden["pack_pairs"]["input_word_ids"])

  def test_unicode_punctuation_and_unknown_words(self):
    texts = tf.constant(["Héllo, World!! Unbelievable tokenization", "ÇA VA? xyzzy ##s",
                         "", "a" * 300])
    self.assertAllEqual(self.ours.tokenize(texts).to_list(),
                        self.theirs.tokenize(texts).to_list())
    self.assertSameInputs(self.ours.bert_pack_inputs([self.ours.tokenize(texts)] * 2, 12),
                          self.theirs.bert_pack_inputs([self.theirs.tokenize(texts)] * 2, 12))


@pytest.mark.slow
class EmbeddedBothFormatsTest(tf.test.TestCase):

  def test_same_pooled_output_in_both_formats(self):
    weights = read_huggingface(embedded.model_dir(), expected_sha256=embedded.MODEL_SHA256)
    out = tempfile.mkdtemp(prefix="embedded_tf2_")
    tf2_encoder, _ = export.export(weights, "tf2", os.path.join(out, "pair"))
    tf1 = module.load(None)
    tf2 = module.load(tf2_encoder)
    ids = tf.constant([[101, 7592, 2088, 102, 0], [101, 2023, 2003, 102, 1037]], tf.int32)
    mask = tf.constant([[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]], tf.int32)
    segments = tf.constant([[0] * 5, [0, 0, 0, 0, 1]], tf.int32)
    # The same weights through the same modeling.py ops, once in a TF1 graph and once in a TF2
    # function: float32 rounding only (see tolerances.POOLER_TOLERANCE for why 1e-5).
    self.assertAllClose(tf1(ids, mask, segments)["pooled_output"],
                        tf2(ids, mask, segments)["pooled_output"], atol=1e-5, rtol=0)


if __name__ == "__main__":
  tf.test.main()
