"""hub_repro.gcfreeze: the objects a run starts with are left out of Python's collections while it
runs; what the run makes is collected as before, and everything is back in place afterwards."""

import contextlib
import gc
import os
import subprocess
import sys
import threading
import weakref
from unittest import mock

import tensorflow as tf

from hub_repro import api, cli, crosscheck, gcfreeze, model_diff
from hub_repro.config import BertConfig
from hub_repro.sources import keras_hub, tf1_hub
import testutil


def _tracked(obj) -> bool:
  """Whether a collection would look at `obj` (gc.get_objects() leaves frozen objects out)."""
  return any(o is obj for o in gc.get_objects())


class _Node:
  """A weak-referenceable object to build reference cycles with."""


class FrozenTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    self.assertEqual(gc.get_freeze_count(), 0)  # nothing frozen by the test runner

  def test_objects_alive_at_entry_are_skipped_until_exit(self):
    before = [1, 2, 3]
    with gcfreeze.frozen():
      made_inside = [4, 5, 6]
      self.assertGreater(gc.get_freeze_count(), 0)
      self.assertFalse(_tracked(before))
      self.assertTrue(_tracked(made_inside))
    self.assertEqual(gc.get_freeze_count(), 0)
    self.assertTrue(_tracked(before))
    self.assertTrue(any(o is before for o in gc.get_objects(generation=2)))

  def test_cycles_made_inside_are_still_collected(self):
    with gcfreeze.frozen():
      node = _Node()
      node.self = node
      alive = weakref.ref(node)
      del node
      gc.collect()
      self.assertIsNone(alive())

  def test_full_collections_are_spaced_inside_and_the_thresholds_restored(self):
    thresholds = gc.get_threshold()
    with gcfreeze.frozen():
      self.assertEqual(gc.get_threshold(), (*thresholds[:2],
                                            thresholds[2] * gcfreeze.FULL_COLLECTION_SPACING))
    self.assertEqual(gc.get_threshold(), thresholds)

  def test_an_error_inside_unfreezes(self):
    thresholds = gc.get_threshold()
    with self.assertRaises(KeyError):
      with gcfreeze.frozen():
        raise KeyError("x")
    self.assertEqual((gc.get_freeze_count(), gc.get_threshold()), (0, thresholds))

  def test_nested_blocks_unfreeze_at_the_outermost_exit(self):
    with gcfreeze.frozen():
      with gcfreeze.frozen():
        pass
      self.assertGreater(gc.get_freeze_count(), 0)
    self.assertEqual(gc.get_freeze_count(), 0)

  def test_concurrent_blocks_unfreeze_when_the_last_one_exits(self):
    entered, release = threading.Event(), threading.Event()

    def other():
      with gcfreeze.frozen():
        entered.set()
        release.wait(10)

    thread = threading.Thread(target=other)
    thread.start()
    self.assertTrue(entered.wait(10))
    with gcfreeze.frozen():
      pass
    self.assertGreater(gc.get_freeze_count(), 0)  # the other thread's block is still running
    release.set()
    thread.join(10)
    self.assertEqual(gc.get_freeze_count(), 0)

  def test_a_callers_own_freeze_is_left_as_it_is(self):
    before = [1, 2, 3]
    gc.freeze()
    try:
      after = [4, 5, 6]  # made after the caller's freeze: tracked, and stays so
      thresholds = gc.get_threshold()
      with gcfreeze.frozen():
        self.assertEqual(gc.get_threshold(), thresholds)
        self.assertTrue(_tracked(after))
      self.assertTrue(_tracked(after))
      self.assertFalse(_tracked(before))  # still the caller's to unfreeze
    finally:
      gc.unfreeze()

  def test_a_disabled_collector_is_left_as_it_is(self):
    gc.disable()
    try:
      with gcfreeze.frozen():
        self.assertEqual(gc.get_freeze_count(), 0)
    finally:
      gc.enable()


class EntryPointsTest(tf.test.TestCase):
  """check, crosscheck and diff run their models with the heap frozen (each batch's run sees it),
  and leave nothing frozen behind."""

  def _assert_frozen_while_running(self, call, *classes):
    """Every run() of `classes` during call() sees the heap frozen; nothing is frozen after."""
    seen = []
    with contextlib.ExitStack() as patches:
      for cls in classes:

        def run(source, *args, _original=cls.run, **kwargs):
          seen.append(gc.get_freeze_count())
          return _original(source, *args, **kwargs)

        patches.enter_context(mock.patch.object(cls, "run", run))
      call()
    self.assertNotEmpty(seen)
    self.assertTrue(all(count > 0 for count in seen), seen)
    self.assertEqual(gc.get_freeze_count(), 0)

  def test_check(self):
    self._assert_frozen_while_running(
        lambda: api.check(testutil.GOOGLE_MODULE, testutil.SENTENCES, max_seq_length=16),
        tf1_hub.Tf1HubSource)

  def test_crosscheck(self):
    heads = BertConfig.from_json_file(testutil.TINY_CONFIG).num_attention_heads
    self._assert_frozen_while_running(
        lambda: crosscheck.crosscheck(testutil.GOOGLE_MODULE, testutil.SENTENCES, 16,
                                      num_heads=heads, hidden_act="gelu", log=lambda _: None),
        tf1_hub.Tf1HubSource, keras_hub.KerasHubSource)

  def test_diff(self):
    self._assert_frozen_while_running(
        lambda: model_diff.diff(testutil.GOOGLE_MODULE, testutil.GOOGLE_MODULE,
                                testutil.SENTENCES, 16, log=lambda _: None),
        tf1_hub.Tf1HubSource)


class ConsoleTest(tf.test.TestCase):
  """The program (not main(), which tests and notebooks call in their own process) exits with
  everything frozen, with main's exit code and all of its output."""

  def test_console_returns_mains_code_with_everything_frozen(self):
    self.assertEqual(gc.get_freeze_count(), 0)
    with mock.patch.object(cli, "main", return_value=3):
      try:
        self.assertEqual(cli.console(), 3)
        self.assertGreater(gc.get_freeze_count(), 0)
      finally:
        gc.unfreeze()

  def test_main_leaves_nothing_frozen(self):
    code, _, _ = testutil.run_cli("--version")
    self.assertEqual((code, gc.get_freeze_count()), (0, 0))

  def test_python_m_hub_repro_exits_with_its_code_and_all_its_output(self):
    # (the console script is hub_repro.cli:console too: tests/test_packaging.py)
    json_path = os.path.join(self.get_temp_dir(), "out.json")
    done = subprocess.run([sys.executable, "-m", "hub_repro", "--handle", testutil.GOOGLE_MODULE,
                           "--max-seq-length", "16", "--json", json_path, "hello world"],
                          capture_output=True, text=True, check=False,
                          cwd=os.path.dirname(testutil.TESTS))
    self.assertEqual(done.returncode, cli.EXIT_REPRODUCED, done.stderr)
    self.assertIn("REPRODUCED", done.stdout)
    self.assertIn(f"wrote {json_path}", done.stdout)  # the last line, flushed at exit
    self.assertTrue(os.path.isfile(json_path))


if __name__ == "__main__":
  tf.test.main()
