import numpy as np
import tensorflow as tf

from hub_repro.families.bert import modeling
from hub_repro.weights import read_google_checkpoint
import testutil


class ModelingTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    self.weights = testutil.random_weights()
    self.params = {k: tf.constant(v) for k, v in self.weights.params.items()}
    rng = np.random.default_rng(1)
    # modeling_test.py's sizes: batch 13, sequence 7.
    self.input_ids = tf.constant(rng.integers(0, 109, (13, 7)), tf.int32)
    self.input_mask = tf.constant(rng.integers(0, 2, (13, 7)), tf.int32)
    self.token_type_ids = tf.constant(rng.integers(0, 2, (13, 7)), tf.int32)

  def test_output_shapes(self):
    outputs = modeling.bert_model(self.params, self.weights.config, self.input_ids,
                                  self.input_mask, self.token_type_ids)
    self.assertEqual({k: tuple(outputs[k].shape) for k in ("sequence_output", "pooled_output")},
                     {"sequence_output": (13, 7, 32), "pooled_output": (13, 32)})
    self.assertLen(outputs["encoder_outputs"], 2)

  def test_pooled_output_is_the_pooler_of_the_first_token(self):
    outputs = modeling.bert_model(self.params, self.weights.config, self.input_ids)
    first = outputs["sequence_output"][:, 0]
    expected = np.tanh(first.numpy() @ self.weights.params[modeling.POOLER_KERNEL]
                       + self.weights.params[modeling.POOLER_BIAS])
    # numpy vs TensorFlow matmul of 32 terms: a few float32 ulps.
    self.assertAllClose(outputs["pooled_output"], expected, atol=1e-6, rtol=0)

  def test_gelu_variants(self):
    x = tf.constant([-3.0, -1.0, 0.0, 0.5, 2.0])
    exact = 0.5 * x.numpy() * (1 + np.vectorize(__import__("math").erf)(x.numpy() / np.sqrt(2)))
    self.assertAllClose(modeling.gelu_exact(x), exact, atol=1e-6)
    # The tanh approximation is off by up to ~1e-3 from the erf form: close, but not equal.
    diff = np.max(np.abs(modeling.gelu(x).numpy() - exact))
    self.assertBetween(diff, 1e-5, 2e-3)

  def test_training_applies_dropout(self):
    a = modeling.bert_model(self.params, self.weights.config, self.input_ids, training=True)
    b = modeling.bert_model(self.params, self.weights.config, self.input_ids, training=False)
    self.assertGreater(np.max(np.abs(a["pooled_output"] - b["pooled_output"])), 1e-3)

  def test_reproduces_googles_module_from_its_checkpoint(self):
    """The rebuild on Google's weights gives Google's outputs (bert-tensorflow 1.0.4, TF 2.15)."""
    weights = read_google_checkpoint(testutil.GOOGLE_CHECKPOINT)
    golden = testutil.google_golden()
    inputs = [tf.constant(golden["inputs"][k], tf.int32)
              for k in ("input_ids", "input_mask", "segment_ids")]
    outputs = modeling.bert_model({k: tf.constant(v) for k, v in weights.params.items()},
                                  weights.config, *inputs)
    # Different TF versions and kernels (einsum there, matmul here): float32 rounding through
    # two layers of values up to ~4 stays under 2e-6 (measured 7e-7).
    self.assertAllClose(outputs["sequence_output"], golden["sequence_output"], atol=2e-6, rtol=0)
    self.assertAllClose(outputs["pooled_output"], golden["pooled_output"], atol=1e-6, rtol=0)


if __name__ == "__main__":
  tf.test.main()
