"""benchmarks.run's timing helpers, on a fake clock: which runs are timed, and what is reported;
and how the side-by-side peak-RSS sections start their children."""

import json
import os
import tempfile
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


class SideBySideTest(tf.test.TestCase):
  """rss and rss_512 run side by side; each child then gets half the cores for TensorFlow."""

  def _children(self, only: str, cores: int) -> list:
    started = []

    def fake_child(argv, env, **kwargs):
      del kwargs
      args = argv[3:]  # python -m benchmarks.child ARGS
      started.append((args, env.get("TF_NUM_INTRAOP_THREADS"), env.get("TF_NUM_INTEROP_THREADS")))
      record = {"vm_hwm_mb": 1000.0, "peak_rss_mb": 1000.0, "wall_s": 1.0, "capped": None,
                "num_truncated": int(args[0])}
      return mock.Mock(returncode=0, stdout=json.dumps(record) + "\n", stderr="")

    with tempfile.TemporaryDirectory() as folder, \
         mock.patch.object(run.subprocess, "run", fake_child), \
         mock.patch.object(run.os, "sched_getaffinity", lambda pid: set(range(cores))), \
         mock.patch("benchmarks.bert_base.bert_base_module", lambda log: "/bert-base"), \
         mock.patch("sys.stdout", new_callable=lambda: open(os.devnull, "w")):
      self.assertEqual(run.main(["--smoke", "--only", only, "--json",
                                 os.path.join(folder, "out.json")]), 0)
    return started

  def test_side_by_side_children_get_half_the_cores_each(self):
    started = self._children("rss,rss_512", cores=4)
    self.assertLen(started, 4)  # 2 counts for rss, the check and --full for rss_512
    self.assertEqual({(intra, inter) for _, intra, inter in started}, {("2", "2")})

  def test_at_least_one_thread_on_one_core(self):
    started = self._children("rss,rss_512", cores=1)
    self.assertEqual({(intra, inter) for _, intra, inter in started}, {("1", "1")})

  def test_a_child_alone_keeps_tensorflows_default(self):
    with mock.patch.dict(os.environ):
      os.environ.pop("TF_NUM_INTRAOP_THREADS", None)
      os.environ.pop("TF_NUM_INTEROP_THREADS", None)
      started = self._children("rss", cores=4)
    self.assertLen(started, 2)
    self.assertEqual({(intra, inter) for _, intra, inter in started}, {(None, None)})


if __name__ == "__main__":
  tf.test.main()
