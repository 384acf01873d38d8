import os

import tensorflow as tf

from hub_repro import compare, module, pooler
import fake_modules
import testutil


class PoolerDiscoveryTest(tf.test.TestCase):
  """The pooler is found by name in each naming, else by its numbers, and a fake one is refused."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.weights = testutil.random_weights(seed=3)

  def _check(self, encoder_class):
    path = fake_modules.export(encoder_class, self.weights,
                               os.path.join(self.get_temp_dir(), encoder_class.__name__))
    return compare.check(module.load(path), testutil.SENTENCES, max_seq_length=16)

  def test_modeling_py_names(self):
    result = self._check(fake_modules.ModelingNamedEncoder)
    self.assertEqual(result.pooler.kernel_name, "bert/pooler/dense/kernel")
    self.assertIn("by name (modeling.py", result.pooler.found_by)
    self.assertTrue(result.reproduced)

  def test_found_by_numbers_under_an_unknown_name(self):
    result = self._check(fake_modules.RenamedPoolerEncoder)
    self.assertEqual((result.pooler.kernel_name, result.pooler.bias_name),
                     ("head/projection/kernel", "head/projection/bias"))
    self.assertIn("by its numbers", result.pooler.found_by)
    self.assertTrue(result.reproduced)
    self.assertLessEqual(result.pooled_vs_rebuilt.max_abs_diff, compare.TOLERANCE)

  def test_named_pooler_that_does_not_explain_pooled_output_is_not_reproduced(self):
    result = self._check(fake_modules.MeanPooledEncoder)
    self.assertEqual(result.pooler.kernel_name, "bert/pooler/dense/kernel")
    self.assertFalse(result.reproduced)
    self.assertGreater(result.pooled_vs_rebuilt.max_abs_diff, 100 * compare.TOLERANCE)
    self.assertFalse(result.to_json()["reproduced"])

  def test_no_dense_layer_explains_pooled_output(self):
    with self.assertRaisesRegex(pooler.NoPoolerError,
                                r"candidates considered \(\d+\): .*head/projection/kernel"):
      self._check(fake_modules.RenamedMeanPooledEncoder)

  def test_model_garden_naming(self):
    result = compare.check(module.load(os.path.join(testutil.MODEL_GARDEN, "encoder")),
                           testutil.SENTENCES, max_seq_length=16)
    self.assertEqual(result.pooler.kernel_name, "pooler_transform/kernel")
    self.assertIn("Model Garden", result.pooler.found_by)
    self.assertTrue(result.reproduced)


if __name__ == "__main__":
  tf.test.main()
