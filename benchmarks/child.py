"""One harness run in its own process, for peak RSS: `python -m benchmarks.child N SEQ_LENGTH`.

Prints one JSON line: {"count", "max_seq_length", "wall_s", "peak_rss_mb", "vm_hwm_mb"}. Use
vm_hwm_mb: ru_maxrss (peak_rss_mb) carries over the parent's peak across fork + exec.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time


def vm_hwm_mb() -> float | None:
  """The kernel's peak resident set size of this process (/proc/self/status VmHWM)."""
  try:
    with open("/proc/self/status", encoding="ascii") as f:
      for line in f:
        if line.startswith("VmHWM:"):
          return int(line.split()[1]) / 1024
  except OSError:
    pass
  return None


def main(argv: list[str]) -> int:
  count, max_seq_length = int(argv[0]), int(argv[1])
  os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
  from benchmarks.sentences import sentences  # noqa: PLC0415
  from hub_repro import compare, module  # noqa: PLC0415

  examples = sentences(count, seed=0)
  start = time.perf_counter()
  loaded = module.load(None, log=lambda msg: None)
  result = compare.check(loaded, examples, max_seq_length, 32, progress=False)
  wall = time.perf_counter() - start
  if result.num_examples != count:
    raise RuntimeError(f"the harness ran {result.num_examples} examples, expected {count}")
  print(json.dumps({"count": count, "max_seq_length": max_seq_length, "wall_s": wall,
                    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                    "vm_hwm_mb": vm_hwm_mb(), "reproduced": result.reproduced}))
  return 0


if __name__ == "__main__":
  sys.exit(main(sys.argv[1:]))
