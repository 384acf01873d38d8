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

Freezing alone is not enough: CPython runs a full collection once the objects promoted since the
last one exceed a quarter of those it kept then, and after a freeze that count is small, so the
run's own new objects (a traced keras-hub backbone holds ~0.4 million) set off full collections
over themselves, each a quarter larger than the one before: seven in that crosscheck, 0.37 s in
all. Inside frozen() a full collection is considered every FULL_COLLECTION_SPACING collections of
generation 1 instead of every 10 (CPython's default threshold): none ran inside that crosscheck
(its CLI process's gen-2 time went from 0.68 s to 0.17 s, all of it during the imports). Young
collections, which free the cycles that die young, run as often as before.

An object alive when the run starts is left out of collections until it ends, even if it becomes
garbage in the meantime: a model the caller dropped just before is freed at the first full
collection after the call. A run that starts with objects already frozen (a caller's own
gc.freeze()) and a run with the collector disabled are left as they are: their owner manages the
collector.
"""

from __future__ import annotations

import contextlib
import gc
import threading

_lock = threading.Lock()
_depth = 0  # runs inside frozen() now, in any thread
_thresholds = None  # gc.get_threshold() from before the outermost froze; None: it did not
# Generation 2's threshold times this inside frozen(): a full collection every ~100 collections of
# generation 1 (~0.7 million net allocations) instead of ~10, so that a run's own long-lived objects
# are not walked again and again (see the module docstring), while a long run's old garbage cycles
# are still freed.
FULL_COLLECTION_SPACING = 10


def for_exit() -> None:
  """Freezes everything alive, for a process about to exit (the command line, after its output
  is written and its files closed). The interpreter's finalization then leaves those objects to
  the operating system instead of walking them for cycles and tearing TensorFlow's down one by
  one: `python -m hub_repro` on one sentence of the BERT-base module took 4.41-4.49 s from start
  to exit this way against 4.95-5.01 s (three runs each, alternating). Nothing written at exit
  depends on it: the CLI writes its files atomically before returning, and atexit handlers and
  the flush of sys.stdout and sys.stderr run as before."""
  gc.freeze()


@contextlib.contextmanager
def frozen():
  """Freezes the objects tracked now for the duration of the block (nested or concurrent blocks:
  the first in freezes, the last out unfreezes). Usable as a decorator."""
  global _depth, _thresholds
  with _lock:
    if _depth == 0 and gc.isenabled() and gc.get_freeze_count() == 0:
      gc.freeze()
      _thresholds = gc.get_threshold()
      gc.set_threshold(*_thresholds[:2], _thresholds[2] * FULL_COLLECTION_SPACING)
    _depth += 1
  try:
    yield
  finally:
    with _lock:
      _depth -= 1
      if _depth == 0 and _thresholds is not None:
        gc.set_threshold(*_thresholds)
        gc.unfreeze()
        _thresholds = None
