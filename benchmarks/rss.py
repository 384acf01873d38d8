"""rss: peak resident memory of the pooler check on many sentences over few (the embedded module,
each run in its own process): batches are streamed and only per-example statistics kept, so the
peak should barely grow with the input.

The child: `python -m benchmarks.rss COUNT MAX_SEQ_LENGTH` runs hub_repro.check on COUNT sentences
and prints one JSON line, {"count", "max_seq_length", "wall_s", "vm_hwm_mb", "reproduced"}.
"""

from __future__ import annotations

import json
import sys
import time

from benchmarks import timing
from benchmarks.sentences import sentences

METRICS = ("rss_ratio_10k_vs_100",)


def vm_hwm_mb() -> float:
  """This process's peak resident set (/proc/self/status VmHWM), MB. Not ru_maxrss: a child forked
  from a large process carries the parent's peak in it across exec."""
  with open("/proc/self/status", encoding="ascii") as f:
    for line in f:
      if line.startswith("VmHWM:"):
        return int(line.split()[1]) / 1024
  raise RuntimeError("/proc/self/status has no VmHWM line")


def measure(settings) -> dict:
  seq = settings.rss_max_seq_length
  runs = {}
  for count in settings.rss_counts:
    timing.log(f"rss: the check on {count} sentences at {seq} tokens, own process")
    out = timing.python("-m", "benchmarks.rss", str(count), str(seq))()
    runs[count] = json.loads(out.strip().splitlines()[-1])
  small, large = (runs[count]["vm_hwm_mb"] for count in settings.rss_counts)
  return {"runs": list(runs.values()), "rss_ratio_10k_vs_100": large / small}


def main(argv: list[str]) -> int:
  import hub_repro

  count, seq = int(argv[0]), int(argv[1])
  hub_repro.quiet_tensorflow()
  start = time.perf_counter()
  result = hub_repro.check(None, sentences(count, seed=0), max_seq_length=seq, xla=False)
  print(json.dumps({"count": count, "max_seq_length": seq, "wall_s": time.perf_counter() - start,
                    "vm_hwm_mb": vm_hwm_mb(), "reproduced": result.reproduced}))
  return 0


if __name__ == "__main__":
  sys.exit(main(sys.argv[1:]))
