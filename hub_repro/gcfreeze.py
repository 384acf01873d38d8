"""Python's cycle collector kept off the objects a run starts with (`gc.freeze`, for the run).

TensorFlow, Keras, torch and a loaded model leave 0.4-0.9 million objects tracked by Python's
garbage collector, and a full (generation 2) collection walks every one of them while it holds the
GIL: 0.43 s at 0.9 million objects (one crosscheck at BERT-base after the benchmarks' other
sections; `python -m benchmarks`). Tracing keras-hub's backbone and the modeling.py rebuild makes
enough new objects to set off such collections in the middle of a check: three of them, 0.43 s in
all, in one `hub_repro crosscheck` of the BERT-base module. Frozen, those objects are skipped by
every collection (CPython moves them to a permanent generation); the objects a run makes are
collected as before, so its garbage cycles are freed as they would be, and on exit from the
outermost `frozen()` everything frozen goes back to the oldest generation.

A run that starts with objects already frozen (a caller's own gc.freeze()) and a run with the
collector disabled are left as they are: their owner manages the collector.
"""

from __future__ import annotations

import contextlib
import gc
import threading

_lock = threading.Lock()
_depth = 0  # runs inside frozen() now, in any thread
_froze = False  # whether the outermost of them froze the heap
_thresholds = []
FULL_COLLECTION_SPACING = 10


def for_exit() -> None:
  """Freezes everything alive, for a process about to exit (the command line, after its output
  is written and its files closed). The interpreter's finalization then leaves those objects to
  the operating system instead of walking them for cycles and tearing TensorFlow's down one by
  one: `python -m hub_repro` on one sentence of the BERT-base module took 4.41-4.49 s to exit
  this way against 4.95-5.01 s (three runs each, alternating). Nothing is written at exit that
  depends on it: the CLI writes its files atomically before returning, and atexit handlers and
  the flush of sys.stdout and sys.stderr run as before."""
  gc.freeze()


@contextlib.contextmanager
def frozen():
  """Freezes the objects tracked now for the duration of the block (nested or concurrent blocks:
  the first in freezes, the last out unfreezes). Usable as a decorator."""
  global _depth, _froze
  with _lock:
    if _depth == 0:
      _froze = gc.isenabled() and gc.get_freeze_count() == 0
      if _froze:
        gc.freeze()
        _thresholds[:] = gc.get_threshold()
        gc.set_threshold(*_thresholds[:2], _thresholds[2] * FULL_COLLECTION_SPACING)
    _depth += 1
  try:
    yield
  finally:
    with _lock:
      _depth -= 1
      if _depth == 0 and _froze:
        gc.set_threshold(*_thresholds)
        gc.unfreeze()
        _froze = False
