"""The Python API (hub_repro.check, hub_repro.diff, hub_repro.render) and hub_repro.testing, as a
user's own test suite calls them."""

import contextlib
import dataclasses
import gc
import io
import os
import shutil
import subprocess
import sys
import tempfile

import tensorflow as tf

import hub_repro
from hub_repro import cli, testing
from hub_repro.export_tf1 import export_tf1_hub
import fake_modules
import testutil


class ApiTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.root = tempfile.mkdtemp(prefix="hub_repro_api_")
    cls.weights = testutil.random_weights(seed=7)  # 4 heads, scale 0.2: the head split matters
    cls.tf1 = export_tf1_hub(cls.weights, os.path.join(cls.root, "tf1"))
    two_heads = dataclasses.replace(cls.weights, config=dataclasses.replace(
        cls.weights.config, num_attention_heads=2))
    cls.tf1_two_heads = export_tf1_hub(two_heads, os.path.join(cls.root, "tf1_2_heads"))

  @classmethod
  def tearDownClass(cls):
    shutil.rmtree(cls.root, ignore_errors=True)
    super().tearDownClass()

  def test_import_hub_repro_imports_no_tensorflow(self):
    probe = "import sys, hub_repro; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         cwd=os.path.dirname(testutil.TESTS)).stdout
    self.assertEqual(out.strip(), "False")

  def test_the_calls_leave_the_garbage_collector_alone(self):
    """A library call runs inside the caller's process: the collector's thresholds, its freeze
    and whether it is on stay as they were, during the run (read in the model's own call) and
    after."""
    def state():
      return gc.get_threshold(), gc.get_freeze_count(), gc.isenabled()

    seen = []
    source = hub_repro.load(testutil.GOOGLE_MODULE)
    run = source.run

    def recording_run(*args, **kwargs):
      seen.append(state())
      return run(*args, **kwargs)

    source.run = recording_run
    before = state()
    hub_repro.check(source, testutil.SENTENCES, max_seq_length=16, full=True)
    hub_repro.diff(source, testutil.GOOGLE_CHECKPOINT, testutil.SENTENCES, max_seq_length=16)
    self.assertNotEmpty(seen)
    self.assertEqual(set(seen), {before})
    self.assertEqual(state(), before)

  def test_the_api_leaves_tensorflows_logging_alone(self):
    probe = ("import os, hub_repro\n"
             f"hub_repro.check({testutil.GOOGLE_MODULE!r}, 'hello', max_seq_length=16)\n"
             "print(os.environ.get('TF_CPP_MIN_LOG_LEVEL'))")
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         cwd=os.path.dirname(testutil.TESTS), env=env).stdout
    self.assertEqual(out.strip().splitlines()[-1], "None")

  def test_a_long_run_computes_the_module_as_loaded(self):
    """100 batches: the model runs as its authors shipped it, on every batch (no timing trial
    that would switch to XLA part way); --xla is the one way to ask for XLA."""
    source = hub_repro.load(testutil.GOOGLE_MODULE)
    calls = []
    function = source.function
    source.function = lambda *args, **kwargs: calls.append(1) or function(*args, **kwargs)
    result = hub_repro.check(source, [f"sentence number {i}" for i in range(100)],
                             max_seq_length=16, batch_size=1)
    self.assertLen(calls, 100)  # every batch through the loaded function itself
    self.assertEqual(result.execution, {"xla": False, "how": "as loaded"})
    self.assertFalse(result.to_json()["xla"])
    self.assertIn("run as loaded", hub_repro.render(result))

  def test_no_api_name_is_shadowed_by_a_module(self):
    import pkgutil
    modules = {m.name for m in pkgutil.iter_modules(hub_repro.__path__)}
    self.assertEqual(set(hub_repro.API) & modules, set())
    for name, module in hub_repro.MODULES.items():  # each names a module that imports
      self.assertEqual(getattr(hub_repro, name).__name__, module)

  def test_check_returns_the_result_the_cli_renders(self):
    result = hub_repro.check(testutil.GOOGLE_MODULE, ["hello world", ("this is", "a pair")],
                             max_seq_length=16)
    self.assertTrue(result.reproduced)
    self.assertEqual((result.format, result.num_examples, result.max_seq_length), ("tf1-hub", 2, 16))
    self.assertLessEqual(result.pooled_vs_rebuilt.max_abs_diff, result.tolerance)
    self.assertGreater(result.pooled_vs_cls.max_abs_diff, 100 * result.tolerance)
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(io.StringIO()):
      code = cli.main(["--handle", testutil.GOOGLE_MODULE, "--max-seq-length", "16",
                       "hello world", "this is|||a pair"])
    self.assertEqual(code, cli.EXIT_REPRODUCED)
    self.assertEqual(stdout.getvalue().strip(), hub_repro.render(result).strip())

  def test_check_of_a_loaded_source_with_the_whole_encoder(self):
    source = hub_repro.load(testutil.GOOGLE_MODULE)
    result = hub_repro.check(source, "the first token is cls", full=True)
    self.assertEqual(result.max_seq_length_from, "the model's position embeddings")
    self.assertTrue(result.full.reproduced)
    self.assertIn("Full verdict: REPRODUCED", hub_repro.render(result))

  def test_diff_returns_the_record_and_its_one_line(self):
    record = hub_repro.diff(testutil.GOOGLE_MODULE, testutil.GOOGLE_CHECKPOINT, "hello world")
    self.assertTrue(record["same"], record["explanation"])
    self.assertIn("Verdict: SAME FUNCTION", hub_repro.render(record))

  def test_assert_same_function_passes_on_two_copies(self):
    record = testing.assert_same_function(testutil.GOOGLE_MODULE, testutil.GOOGLE_CHECKPOINT,
                                          testutil.SENTENCES, max_seq_length=32)
    self.assertTrue(record["same"])

  def test_assert_same_function_fails_with_diffs_one_line(self):
    with self.assertRaises(AssertionError) as caught:
      testing.assert_same_function(self.tf1, self.tf1_two_heads, testutil.SENTENCES,
                                   max_seq_length=32)
    message = str(caught.exception)
    record = hub_repro.diff(self.tf1, self.tf1_two_heads, testutil.SENTENCES, max_seq_length=32)
    self.assertEqual(message, record["explanation"])
    self.assertRegex(message, r"^DIFFERENT: weights identical; A computes 4 attention heads, B 2; "
                     r"outputs part at layer 0")
    self.assertNotIn("\n", message)

  def test_assert_pooler_reproduced(self):
    result = testing.assert_pooler_reproduced(testutil.GOOGLE_MODULE, max_seq_length=16)
    self.assertTrue(result.reproduced)

  def test_assert_pooler_reproduced_fails_on_a_mean_pooled_module(self):
    path = fake_modules.export(fake_modules.MeanPooledEncoder, testutil.random_weights(seed=5),
                               os.path.join(self.get_temp_dir(), "mean"))
    with self.assertRaisesRegex(AssertionError, r"pooled_output NOT REPRODUCED by "
                                r".*pooler.*max \|diff\| .* > tolerance 1e-05"):
      testing.assert_pooler_reproduced(path, testutil.SENTENCES, max_seq_length=16)

  def test_bad_input_is_an_error_not_a_failure(self):
    with self.assertRaisesRegex(ValueError, "does not exist"):
      testing.assert_pooler_reproduced("/nowhere/at/all")

  def test_in_a_users_test_case(self):
    """The README's example: a conversion test in a user's own tf.test.TestCase."""

    class ConversionTest(tf.test.TestCase):

      def test_the_tf1_copy_is_the_checkpoint(self):
        testing.assert_same_function(testutil.GOOGLE_MODULE, testutil.GOOGLE_CHECKPOINT)

      def test_a_wrong_head_count_fails(self):
        testing.assert_same_function(ApiTest.tf1, ApiTest.tf1_two_heads)

    import unittest
    outcome = unittest.TestResult()
    unittest.defaultTestLoader.loadTestsFromTestCase(ConversionTest).run(outcome)
    self.assertEqual(outcome.testsRun, 3)  # tf.test.TestCase adds test_session
    self.assertEqual(outcome.errors, [])
    self.assertLen(outcome.failures, 1)
    self.assertIn("A computes 4 attention heads, B 2", outcome.failures[0][1])


if __name__ == "__main__":
  tf.test.main()
