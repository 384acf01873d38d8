"""benchmarks: interleaved timing on a fake clock, the host's ISA, each metric scored against its
target, the tables, and the sections themselves run once on tiny inputs (--smoke)."""

import contextlib
import importlib
import io
import json
import os
from unittest import mock

import pytest
import tensorflow as tf
from absl.testing import parameterized

from benchmarks import run, timing


class FakeClock:
  """time.perf_counter and time.process_time that move only when a run says it took so long."""

  def __init__(self):
    self.now = 0.0
    self.calls = []

  def __call__(self):
    return self.now

  def run(self, name: str, seconds: list):
    """A run that takes seconds[0], then seconds[1], ... (the last one again once they end)."""
    def call():
      self.now += seconds[min(sum(1 for n in self.calls if n == name), len(seconds) - 1)]
      self.calls.append(name)
    return call


class InterleavedTest(tf.test.TestCase):

  def _time(self, seconds: dict, repeats: int, warm_up: bool = True):
    clock = FakeClock()
    runs = {name: clock.run(name, s) for name, s in seconds.items()}
    with mock.patch.object(timing.time, "perf_counter", clock), \
         mock.patch.object(timing.time, "process_time", clock):
      return timing.interleaved(runs, repeats, warm_up=warm_up), clock.calls

  def test_one_untimed_call_each_then_the_runs_take_turns(self):
    times, calls = self._time({"a": [9.0, 1.0], "b": [9.0, 2.0]}, repeats=2)
    self.assertEqual(calls, ["a", "b", "a", "b", "a", "b"])
    self.assertEqual(times["a"]["times_s"], [1.0, 1.0])  # the warm-up's 9 s is not timed
    self.assertEqual(timing.ratio(times, "b", "a"), 2.0)

  def test_without_warm_up_the_first_call_counts(self):
    times, calls = self._time({"a": [3.0, 1.0, 2.0]}, repeats=3, warm_up=False)
    self.assertLen(calls, 3)
    self.assertEqual(times["a"]["times_s"], [3.0, 1.0, 2.0])
    self.assertEqual((times["a"]["best_s"], times["a"]["median_s"], times["a"]["cpu_best_s"]),
                     (1.0, 2.0, 1.0))


class HostTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.named_parameters(
      ("sapphire_rapids", "fpu sse4_2 avx2 avx512f avx512_vnni avx512_bf16 amx_tile",
       ("AVX-512", ["AVX512-VNNI", "AVX512-BF16", "AMX"])),
      ("epyc_zen2", "fpu sse4_2 avx2 fma", ("AVX2", [])),
      ("none", "fpu", ("other", [])))
  def test_isa_is_the_widest_vector_extension_and_the_matrix_ones_beside_it(self, flags, expected):
    self.assertEqual(timing.isa(set(flags.split())), expected)

  def test_cpuinfo_reads_the_first_processor_only(self):
    text = ("processor\t: 0\nmodel name\t: Xeon A\ncpu family\t: 6\n\n"
            "processor\t: 1\nmodel name\t: B\n")
    self.assertEqual(timing.cpuinfo(text),
                     {"processor": "0", "model name": "Xeon A", "cpu family": "6"})


def _record() -> dict:
  """A record as run.run writes it, with two metrics and the throughput of two runs."""
  return {"mode": "quick", "commit": "abc1234", "total_s": 301.0, "section_s": {"overhead": 30.0},
          "host": {"cpu": "Intel(R) Xeon(R) Processor", "cpu_family_model": "family 6, model 143",
                   "isa": "AVX-512", "isa_extras": ["AMX"], "cores_usable": 2, "onednn": "on",
                   "python": "3.11.9", "load_average_before": [0.5, 0.4, 0.3]},
          "versions": {"tensorflow": "2.21.0", "keras-hub": "0.32.0", "torch": None,
                       "transformers": None},
          "metrics": {"overhead_ratio": {"section": "overhead",
                                         **run.score("overhead_ratio", 1.06)},
                      "module_xla_speedup": {"section": "throughput",
                                             **run.score("module_xla_speedup", 0.91)}},
          "sections": {"throughput": {"model": "bert-base", "batch_size": 16,
                                      "max_seq_length": 128,
                                      "times": {"module": {"sequences_per_s": 11.43},
                                                "keras-hub": {"sequences_per_s": 10.0}}}}}


class RecordTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.named_parameters(
      ("at_most_met", "overhead_ratio", 1.04, "<= 1.05", True),
      ("at_most_missed", "overhead_ratio", 1.06, "<= 1.05", False),
      ("at_least_met", "throughput_vs_keras_hub_xla", 0.95, ">= 0.95", True),
      ("at_least_missed", "bucketing_speedup", 2.4, ">= 2.5", False),
      ("reported", "throughput_vs_transformers", 0.8, None, None),
      ("not_measured", "overhead_ratio", None, "<= 1.05", None))
  def test_score(self, metric, value, target, met):
    self.assertEqual(run.score(metric, value), {"value": value, "target": target, "met": met})

  def test_every_target_is_a_metric_of_a_section_and_every_metric_is_in_the_record(self):
    metrics = [m for name in run.SECTIONS
               for m in importlib.import_module(f"benchmarks.{name}").METRICS]
    self.assertLen(set(metrics), len(metrics))
    self.assertEmpty(set(run.TARGETS) - set(metrics))

  def test_text_table(self):
    text = run.table(_record())
    self.assertIn("Intel(R) Xeon(R) Processor (family 6, model 143), AVX-512 + AMX, 2 cores", text)
    self.assertRegex(text, r"overhead_ratio +1\.060  <= 1\.05 +NO")
    self.assertRegex(text, r"module_xla_speedup +0\.910  reported")
    self.assertRegex(text, r"module +11\.4")

  def test_markdown_table(self):
    text = run.table(_record(), markdown=True)
    self.assertIn("| metric | value | target | met |\n|---|---:|---|---|", text)
    self.assertIn("| overhead_ratio | 1.060 | <= 1.05 | NO |", text)
    self.assertIn("| module | 11.4 |", text)
    self.assertIn("torch -, transformers -; mode quick at abc1234, 301 s", text)


class SmokeTest(tf.test.TestCase):
  """The sections on tiny inputs with the embedded module (--smoke), in this process."""

  def _main(self, *argv) -> dict:
    path = os.path.join(self.get_temp_dir(), "record.json")
    with contextlib.redirect_stdout(io.StringIO()) as out:
      self.assertEqual(run.main(["--smoke", *argv, "--json", path]), 0)
    with open(path, encoding="utf-8") as f:
      record = json.load(f)
    with contextlib.redirect_stdout(io.StringIO()) as rendered:
      run.main(["--from-json", path])
    self.assertEqual(rendered.getvalue(), out.getvalue())  # the record holds all the table shows
    return record

  def test_one_section_and_the_record(self):
    record = self._main("--only", "overhead")
    self.assertEqual(record["mode"], "smoke")
    self.assertNotEmpty(record["host"]["cpu"])
    self.assertIn(record["host"]["isa"], ("AVX-512", "AVX2", "SSE4.2", "other"))
    self.assertNotEmpty(record["versions"]["tensorflow"])
    self.assertEqual(record["metrics"]["overhead_ratio"]["target"], "<= 1.05")
    self.assertIn(record["metrics"]["overhead_ratio"]["met"], (True, False))

  @pytest.mark.slow
  def test_every_section_runs(self):
    record = self._main()
    self.assertEqual(list(record["sections"]), list(run.SECTIONS))
    self.assertEqual({m["section"] for m in record["metrics"].values()}, set(run.SECTIONS))
    for metric in run.TARGETS:
      self.assertIsNotNone(record["metrics"][metric]["value"], metric)


if __name__ == "__main__":
  tf.test.main()
