"""hub_repro.autotune: a TensorFlow module as loaded or under XLA, the same numbers either way."""

import collections
import os
from unittest import mock

import numpy as np
import tensorflow as tf

from hub_repro import api, autotune, cli, model_diff
from hub_repro.export_tf2 import export_tf2
import testutil


class ForcedPathsTest(tf.test.TestCase):
  """Both ways forced: the same verdict, outputs within XLA's rounding. Which is faster on the
  machine running the test does not matter here."""

  def test_tf1_module_each_way(self):
    ways = (False, True, autotune.BETWEEN_MATMULS)
    results = {xla: api.check(testutil.GOOGLE_MODULE, testutil.SENTENCES, max_seq_length=32,
                              xla=xla) for xla in ways}
    for xla, result in results.items():
      self.assertEqual(result.to_json()["xla"], bool(xla))
      self.assertEqual(result.execution["way"], autotune.WAYS[xla])
      self.assertEqual(result.execution["chosen_by"], "forced")
      self.assertEqual((result.pooled_is, result.verdict), ("pooler", "REPRODUCED"))
      # The same rebuilt pooler on each way's own sequence_output: within compare.TOLERANCE.
      self.assertLessEqual(result.pooled_vs_rebuilt.max_abs_diff, result.tolerance)
    self.assertIn("under XLA (jit_compile), forced (--xla)", results[True].execution["how"])
    self.assertIn("XLA between the matmuls, forced (--xla-between-matmuls)",
                  results[autotune.BETWEEN_MATMULS].execution["how"])

  def test_outputs_agree_within_float32_rounding(self):
    source = api.load(testutil.GOOGLE_MODULE)
    packed = source.tokenizer().encode(testutil.SENTENCES[:3], 32)
    ids = (packed.input_ids, packed.input_mask, packed.segment_ids)
    outputs = {}
    for xla in (False, True, autotune.BETWEEN_MATMULS):
      source.use_xla(xla)
      outputs[xla] = source.run(*ids)
    for xla in (True, autotune.BETWEEN_MATMULS):
      for key in ("pooled_output", "sequence_output"):
        # XLA fuses and reorders the same float32 ops: a few ulps (autotune.XLA_ROUNDING).
        self.assertAllClose(outputs[False][key], outputs[xla][key], atol=autotune.XLA_ROUNDING,
                            rtol=0)

  def test_between_the_matmuls_xla_compiles_no_matmul(self):
    source = api.load(testutil.GOOGLE_MODULE)
    graph = autotune.xla_between_matmuls(source.runner.graph).graph
    marked = collections.Counter()
    for op in graph.get_operations():
      try:
        marked[op.type, op.get_attr("_XlaCompile")] += 1
      except ValueError:  # no such attr: left to TensorFlow
        marked[op.type, False] += 1
    self.assertGreater(marked["Tanh", True], 0)  # gelu's and the pooler's
    self.assertGreater(marked["Rsqrt", True], 0)  # LayerNorm's
    self.assertEqual(sum(n for (kind, xla), n in marked.items() if "MatMul" in kind and xla), 0)
    self.assertGreater(sum(n for (kind, xla), n in marked.items() if "MatMul" in kind), 0)

  def test_tf2_savedmodel_and_diff_record(self):
    tf2 = export_tf2(testutil.random_weights(seed=3), os.path.join(self.get_temp_dir(), "tf2"))
    record = model_diff.diff(testutil.GOOGLE_MODULE, testutil.GOOGLE_MODULE, testutil.SENTENCES,
                             32, log=lambda _: None, xla=True)
    self.assertTrue(record["same"], record["explanation"])
    self.assertEqual((record["a"]["xla"], record["b"]["xla"]), (True, True))
    for xla in (True, autotune.BETWEEN_MATMULS):
      result = api.check(tf2, testutil.SENTENCES, max_seq_length=32, xla=xla)
      self.assertTrue(result.to_json()["xla"])
      self.assertEqual(result.execution["way"], autotune.WAYS[xla])
      self.assertEqual(result.verdict, "REPRODUCED")

  def test_cli_flags(self):
    for flag, expected in (("--xla", True), ("--no-xla", False),
                           ("--xla-between-matmuls", autotune.BETWEEN_MATMULS), (None, None)):
      args = cli.parse_args(["check", *([flag] if flag else [])])
      self.assertEqual(args.xla, expected)
    with self.assertRaises(SystemExit):
      cli.parse_args(["check", "--xla", "--no-xla"])


class Clock:
  """A fake perf_counter the fake functions advance: timings without the host's speed."""

  def __init__(self):
    self.now = 0.0

  def __call__(self):
    return self.now


class FakeRuns:
  """Fake functions timed by a fake clock, for the autotuner's schedule."""

  def tuned(self, as_loaded_s, xla_s, compile_s=5.0):
    clock, calls = Clock(), []

    def plain(x):
      clock.now += as_loaded_s
      calls.append("as loaded")
      return x

    tuned = autotune.Autotuned(plain)
    tuned._compiled = self.fake_compiled(clock, calls, "xla", compile_s, xla_s)  # noqa: SLF001
    return tuned, clock, calls

  @staticmethod
  def fake_compiled(clock, calls, name, compile_s, run_s, fails=False):
    """A way under XLA: `compile_s` more on each shape's first call, or an op it cannot compile."""
    compiled_shapes = set()

    def compiled(x):
      if fails:
        raise ValueError("an op XLA cannot compile")
      if x.shape not in compiled_shapes:
        compiled_shapes.add(x.shape)
        clock.now += compile_s
      clock.now += run_s
      calls.append(name)
      return x

    return compiled

  def run_batches(self, tuned, clock, shapes):
    with mock.patch.object(autotune.time, "perf_counter", clock):
      for shape in shapes:
        tuned(np.zeros(shape))


class TrialTest(FakeRuns, tf.test.TestCase):
  """The autotuner's schedule without the third way (no graph given)."""

  def test_too_few_batches_run_as_loaded(self):
    tuned, clock, calls = self.tuned(1.0, 0.5)
    tuned.plan(3)
    self.run_batches(tuned, clock, [(32, 128)] * 3)
    self.assertEqual(calls, ["as loaded"] * 3)
    self.assertFalse(tuned.to_json()["xla"])
    self.assertIn("too few", tuned.how())

  def test_xla_measured_faster_is_kept(self):
    tuned, clock, calls = self.tuned(1.0, 0.5)
    tuned.plan(12)
    self.run_batches(tuned, clock, [(32, 128)] * 6 + [(32, 64), (32, 64), (32, 128)])
    # 1st untimed, 2nd timed as loaded, 3rd XLA with its compile, 4th XLA timed; then XLA, but a
    # new shape as loaded until its time so reaches the compile cost (5 s; 2 s here).
    self.assertEqual(calls, ["as loaded", "as loaded", "xla", "xla", "xla", "xla",
                             "as loaded", "as loaded", "xla"])
    self.assertEqual(tuned.to_json()["chosen_by"], "measured")
    self.assertTrue(tuned.xla)
    self.assertEqual(tuned.times, {"as_loaded": 1.0, "xla_compile_and_run": 5.5, "xla": 0.5})
    self.assertIn("under XLA (jit_compile), measured on batches of 32x128", tuned.how())

  def test_a_new_shape_is_compiled_once_the_savings_it_missed_reach_the_compile_cost(self):
    # The ski-rental rule: compile cost 5 s (5.5 s compile and run, 0.5 s a run), XLA saving 50%
    # of a batch's time (0.5 s against 1.0 s as loaded); a batch of the new shape takes 2 s as
    # loaded, so each one run so misses 1 s: it rents 5 batches (5 s >= 5 s), then is compiled. A
    # shape that comes back twice only (2 s missed) is never compiled.
    tuned, clock, calls = self.tuned(1.0, 0.5)
    tuned.plan(40)
    self.run_batches(tuned, clock, [(32, 128)] * 4)
    calls.clear()
    tuned.function = lambda x: (setattr(clock, "now", clock.now + 2.0), calls.append("as loaded"),
                                x)[2]
    self.run_batches(tuned, clock, [(32, 256)] * 7 + [(8, 256)] * 2)
    self.assertEqual(calls, ["as loaded"] * 5 + ["xla"] * 2 + ["as loaded"] * 2)
    self.assertEqual(tuned.compiled_shapes, {(32, 128), (32, 256)})
    self.assertEqual(tuned.to_json()["shapes_compiled"], 2)

  def test_a_small_gain_never_pays_for_compiling_a_rare_shape(self):
    # XLA saves 10% (0.9 s against 1.0 s): six batches of a new shape run as loaded for 6 s, more
    # than the 5 s compile, but miss only 0.6 s of savings, so the shape is never compiled.
    tuned, clock, calls = self.tuned(1.0, 0.9)
    tuned.plan(40)
    self.run_batches(tuned, clock, [(32, 128)] * 4)
    calls.clear()
    self.run_batches(tuned, clock, [(32, 64)] * 6)
    self.assertTrue(tuned.xla)
    self.assertEqual(calls, ["as loaded"] * 6)
    self.assertEqual(tuned.compiled_shapes, {(32, 128)})

  def test_xla_not_faster_is_dropped(self):
    tuned, clock, calls = self.tuned(1.0, 0.99)  # within MIN_GAIN: a tie keeps it as loaded
    tuned.plan(12)
    self.run_batches(tuned, clock, [(32, 128)] * 6)
    self.assertEqual(calls, ["as loaded", "as loaded", "xla", "xla", "as loaded", "as loaded"])
    self.assertFalse(tuned.xla)
    self.assertRegex(tuned.how(), r"^as loaded, measured")


class ThreeWayTrialTest(FakeRuns, tf.test.TestCase):
  """The trial with the third way (a graph to rewrite): five timed calls, the fastest kept."""

  def tuned3(self, as_loaded_s, xla_s, between_s, compile_s=5.0, between_compile_s=8.0,
             between_fails=False):
    tuned, clock, calls = self.tuned(as_loaded_s, xla_s, compile_s)
    tuned.graph = object()  # a graph is given: the third way is tried (its runner is faked)
    tuned._between = self.fake_compiled(clock, calls, "between", between_compile_s,  # noqa: SLF001
                                        between_s, fails=between_fails)
    return tuned, clock, calls

  def test_between_the_matmuls_measured_fastest_is_kept(self):
    tuned, clock, calls = self.tuned3(1.0, 0.95, 0.8)
    tuned.plan(autotune.MIN_BETWEEN_TRIAL_BATCHES)
    self.run_batches(tuned, clock, [(32, 128)] * 11)
    # 1st untimed; then as loaded, XLA twice (the first compiling), between the matmuls twice
    # (likewise), and each way once more; then the fastest.
    self.assertEqual(calls, ["as loaded", "as loaded", "xla", "xla", "between", "between",
                             "as loaded", "xla", "between", "between", "between"])
    self.assertEqual(tuned.choice, autotune.BETWEEN_MATMULS)
    self.assertTrue(tuned.to_json()["xla"])
    self.assertEqual(tuned.to_json()["way"], "XLA between the matmuls")
    self.assertAlmostEqual(tuned.times["between_matmuls_compile_and_run"], 8.8)
    # The ski-rental rule prices its own compile (8 s) and gain (20%) for a new shape.
    self.assertAlmostEqual(tuned.compile_cost(), 8.0)
    self.assertAlmostEqual(tuned.gain(), 0.2)
    self.assertIn("0.8 s with XLA between the matmuls", tuned.how())

  def test_the_other_ways_kept_when_the_third_is_not_faster(self):
    # (whole-graph XLA s, between the matmuls s) -> the way kept and what runs the next batch.
    for (xla_s, between_s), (choice, then) in {(0.7, 0.8): (True, "xla"),
                                               (0.99, 0.98): (False, "as loaded")}.items():
      with self.subTest(xla_s=xla_s, between_s=between_s):  # a tie within MIN_GAIN: as loaded
        tuned, clock, calls = self.tuned3(1.0, xla_s, between_s)
        tuned.plan(autotune.MIN_BETWEEN_TRIAL_BATCHES)
        self.run_batches(tuned, clock, [(32, 128)] * 10)
        self.assertEqual(calls[-1], then)
        self.assertIs(tuned.choice, choice)
        # The ways not kept are let go of (and what XLA compiled for them with them).
        self.assertIsNone(tuned._between)  # noqa: SLF001
        self.assertEqual(tuned._compiled is None, not choice)  # noqa: SLF001

  def test_a_third_way_that_cannot_compile_is_no_candidate(self):
    tuned, clock, calls = self.tuned3(1.0, 0.5, 0.1, between_fails=True)
    tuned.plan(autotune.MIN_BETWEEN_TRIAL_BATCHES)
    self.run_batches(tuned, clock, [(32, 128)] * 10)
    # Its failed call runs as loaded; its later turns are not timed as if it had run.
    self.assertEqual(calls, ["as loaded", "as loaded", "xla", "xla", "as loaded", "as loaded",
                             "as loaded", "xla", "as loaded", "xla"])
    self.assertIs(tuned.choice, True)
    self.assertNotIn("between_matmuls", tuned.times)
    self.assertIn("XLA between the matmuls could not run (ValueError", tuned.how())

  def test_each_way_counts_its_best_of_two(self):
    # As loaded is fast on its first timing and slow on its second (a disturbed call): 0.9 s
    # counts, so the third way (0.88 s, within MIN_GAIN of it) is not chosen.
    tuned, clock, calls = self.tuned3(1.0, 0.95, 0.88)
    as_loaded = iter([0.0, 0.9, 1.3])  # untimed first call, then its two timings
    tuned.function = lambda x: (setattr(clock, "now", clock.now + next(as_loaded, 0.9)),
                                calls.append("as loaded"), x)[2]
    tuned.plan(autotune.MIN_BETWEEN_TRIAL_BATCHES)
    self.run_batches(tuned, clock, [(32, 128)] * 9)
    self.assertAlmostEqual(tuned.times["as_loaded"], 0.9)
    self.assertIs(tuned.choice, False)

  def test_a_run_too_short_for_the_third_way_times_two(self):
    tuned, clock, calls = self.tuned3(1.0, 0.95, 0.1)
    tuned.plan(autotune.MIN_BETWEEN_TRIAL_BATCHES - 1)
    self.run_batches(tuned, clock, [(32, 128)] * 6)
    self.assertEqual(calls, ["as loaded", "as loaded", "xla", "xla", "xla", "xla"])
    self.assertIs(tuned.choice, True)
    self.assertIn(f"XLA between the matmuls not tried: {autotune.MIN_BETWEEN_TRIAL_BATCHES - 1} "
                  "batches", tuned.how())

  def test_forcing_the_third_way_without_a_graph_says_so(self):
    tuned = autotune.Autotuned(lambda x: x, xla=autotune.BETWEEN_MATMULS)
    with self.assertRaisesRegex(ValueError, "needs the function's graph"):
      tuned(np.zeros((2, 8)))


if __name__ == "__main__":
  tf.test.main()
