"""benchmarks.run's timing helpers, on a fake clock: which runs are timed, and what is reported."""

from unittest import mock

import tensorflow as tf

from benchmarks import run


class FakeClock:
  """time.perf_counter and time.process_time that move only when a run says it took so long."""

  def __init__(self):
    self.now = 0.0

  def __call__(self):
    return self.now

  def run(self, seconds: float, calls: list, name: str):
    def call(i):
      calls.append((name, i))
      self.now += seconds
    return call


class InterleavedBatchesTest(tf.test.TestCase):

  def _time(self, seconds: dict, repeats: int = 3, **kwargs):
    clock, calls = FakeClock(), []
    runs = {name: clock.run(s, calls, name) for name, s in seconds.items()}
    with mock.patch.object(run.time, "perf_counter", clock), \
         mock.patch.object(run.time, "process_time", clock):
      times = run.interleaved_batches(runs, 2, repeats, **kwargs)
    return times, calls

  def test_a_rival_far_behind_the_fastest_is_timed_once(self):
    times, calls = self._time({"module": 1.0, "keras xla": 1.0, "keras": 1.3},
                              rivals=["keras xla", "keras"])
    counts = {name: sum(1 for n, _ in calls if n == name) for name in times}
    # Warm-up (2 batches) + repeats x 2 batches; "keras" (30% behind) stops after the first repeat.
    self.assertEqual(counts, {"module": 8, "keras xla": 8, "keras": 4})
    self.assertEqual(times["keras"]["repeats"], 1)
    self.assertEqual(times["keras xla"]["repeats"], 3)
    self.assertAlmostEqual(times["keras"]["best_s"], 2.6)
    self.assertLen(times["keras"]["times_s"], 1)

  def test_rivals_within_the_margin_are_both_timed_throughout(self):
    times, _ = self._time({"module": 1.0, "keras xla": 1.0, "keras": 1.05},
                          rivals=["keras xla", "keras"])
    self.assertEqual({name: t["repeats"] for name, t in times.items()},
                     {"module": 3, "keras xla": 3, "keras": 3})

  def test_runs_that_are_not_rivals_are_never_dropped(self):
    # The module is 50% behind, but the figure is the module against the best rival: it stays.
    times, _ = self._time({"module": 1.5, "keras xla": 1.0, "keras": 1.3},
                          rivals=["keras xla", "keras"])
    self.assertEqual(times["module"]["repeats"], 3)
    self.assertEqual(times["keras"]["repeats"], 1)

  def test_warm_runs_skip_the_warm_up(self):
    _, calls = self._time({"module": 1.0, "keras": 1.0}, repeats=1, warm={"module"})
    self.assertEqual(calls, [("keras", 0), ("keras", 1), ("module", 0), ("keras", 0),
                             ("module", 1), ("keras", 1)])

  def test_fixed_shapes_warm_up_on_the_first_batch_only(self):
    _, calls = self._time({"module": 1.0, "keras": 1.0}, repeats=1, warm={"module"},
                          warm_up_batches=1)
    self.assertEqual(calls, [("keras", 0), ("module", 0), ("keras", 0), ("module", 1),
                             ("keras", 1)])


if __name__ == "__main__":
  tf.test.main()
