"""One harness run in its own process, for peak RSS:

    python -m benchmarks.child N SEQ_LENGTH [--handle PATH] [--full] [--long]
                               [--rss-cap-mb MB] [--time-cap-s S]

N sentences (--long: paragraphs that fill SEQ_LENGTH tokens) through the module (default: the
embedded one), the plain check or, with --full, what `python -m hub_repro --full` computes
(`run_harness`). Prints one JSON line: {"count", "max_seq_length", "full", "wall_s", "peak_rss_mb",
"vm_hwm_mb", "reproduced", "num_truncated", "capped"}. Use vm_hwm_mb: ru_maxrss (peak_rss_mb)
carries over the parent's peak across fork + exec.

--rss-cap-mb / --time-cap-s stop the run (exit 0, "capped": "rss" or "time") once its resident
memory or wall time passes the cap, so a run that would exhaust a shared machine's memory ends with
a lower bound of its peak instead. Without caps "capped" is null.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import threading
import time


def _status_mb(field: str) -> float | None:
  """A size field of /proc/self/status (VmHWM: the kernel's peak resident set; VmRSS: now), MB."""
  try:
    with open("/proc/self/status", encoding="ascii") as f:
      for line in f:
        if line.startswith(f"{field}:"):
          return int(line.split()[1]) / 1024
  except OSError:
    pass
  return None


def vm_hwm_mb() -> float | None:
  """The kernel's peak resident set size of this process (/proc/self/status VmHWM)."""
  return _status_mb("VmHWM")


def run_harness(loaded, examples: list, max_seq_length: int, batch_size: int,
                full: bool = False, **check_kwargs):
  """What `python -m hub_repro [--full]` computes (cli.run), in-process, without the report:
  the check and, with `full`, the whole-encoder rebuild. Returns (Result, FullResult or None).

  The benchmarks time --full through this one function, so a change of the library's API is one
  change here. check_kwargs go to the check (bucket=... since issue 14 item 4).
  """
  from hub_repro import compare, embedded  # noqa: PLC0415
  from hub_repro import full as full_lib  # noqa: PLC0415

  if not full:
    return compare.check(loaded, examples, max_seq_length, batch_size, progress=False,
                         **check_kwargs), None
  known = embedded.config() if loaded.handle == embedded.HANDLE else None  # as cli.run decides
  result = full_lib.reproduce_full(loaded, examples, max_seq_length, batch_size,
                                   known_config=known, progress=False, **check_kwargs)
  return result.check, result


def _watch(started: float, record: dict, rss_cap_mb: float | None, time_cap_s: float | None,
           finished: threading.Event):
  """Ends the process with a "capped" record once VmRSS or the wall time passes its cap."""
  while not finished.wait(0.05):
    rss = _status_mb("VmRSS") or 0.0
    capped = ("rss" if rss_cap_mb is not None and rss > rss_cap_mb else
              "time" if time_cap_s is not None and time.perf_counter() - started > time_cap_s
              else None)
    if capped:
      print(json.dumps({**record, "capped": capped, "wall_s": time.perf_counter() - started,
                        "peak_rss_mb": None, "vm_hwm_mb": vm_hwm_mb(), "reproduced": None}),
            flush=True)
      os._exit(0)  # noqa: SLF001 (no clean-up: the point is to stop allocating now)


def build_parser() -> argparse.ArgumentParser:
  parser = argparse.ArgumentParser(prog="python -m benchmarks.child")
  parser.add_argument("count", type=int)
  parser.add_argument("max_seq_length", type=int)
  parser.add_argument("--handle", help="module folder (default: the embedded module)")
  parser.add_argument("--batch-size", type=int, default=32)
  parser.add_argument("--full", action="store_true", help="the --full run, not the plain check")
  parser.add_argument("--long", action="store_true",
                      help="paragraphs of at least max_seq_length words, so every example fills it")
  parser.add_argument("--diff", metavar="OTHER",
                      help="run `diff HANDLE OTHER` (model_diff.diff), not the check")
  parser.add_argument("--bare", action="store_true",
                      help="only the module's forward pass on the batches diff would run")
  parser.add_argument("--rss-cap-mb", type=float)
  parser.add_argument("--time-cap-s", type=float)
  return parser


def main(argv: list[str]) -> int:
  args = build_parser().parse_args(argv)
  os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
  from benchmarks.sentences import paragraphs, sentences  # noqa: PLC0415
  from hub_repro import module  # noqa: PLC0415

  examples = (paragraphs(args.count, args.max_seq_length, seed=0) if args.long
              else sentences(args.count, seed=0))
  record = {"count": args.count, "max_seq_length": args.max_seq_length, "full": args.full,
            "batch_size": args.batch_size, "long": args.long, "capped": None}
  start, finished = time.perf_counter(), threading.Event()
  if args.rss_cap_mb is not None or args.time_cap_s is not None:
    threading.Thread(target=_watch, daemon=True,
                     args=(start, record, args.rss_cap_mb, args.time_cap_s, finished)).start()
  if args.diff or args.bare:
    return _diff_or_bare(args, examples, record, start)
  loaded = module.load(args.handle, log=lambda msg: None)
  result, full_result = run_harness(loaded, examples, args.max_seq_length, args.batch_size,
                                    full=args.full)
  wall = time.perf_counter() - start
  finished.set()
  if result.num_examples != args.count:
    raise RuntimeError(f"the harness ran {result.num_examples} examples, expected {args.count}")
  reproduced = result.reproduced and (full_result is None or full_result.reproduced)
  print(json.dumps({**record, "wall_s": wall,
                    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                    "vm_hwm_mb": vm_hwm_mb(), "reproduced": reproduced,
                    "num_truncated": result.num_truncated}), flush=True)
  return 0


def _diff_or_bare(args, examples, record, start) -> int:
  """--diff: model_diff.diff(handle, OTHER); --bare: the module's forward on the same batches."""
  from hub_repro import compare, model_diff, module  # noqa: PLC0415

  if args.diff:
    same = model_diff.diff(args.handle, args.diff, examples, args.max_seq_length,
                           args.batch_size, log=lambda msg: None)["same"]
  else:
    loaded = module.load(args.handle, log=lambda msg: None)
    for batch in compare.batches(loaded.tokenizer(), examples, args.max_seq_length,
                                 args.batch_size):
      p = batch.packed
      loaded.run(p.input_ids, p.input_mask, p.segment_ids)
    same = None
  print(json.dumps({**record, "diff": args.diff, "bare": args.bare,
                    "wall_s": time.perf_counter() - start,
                    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                    "vm_hwm_mb": vm_hwm_mb(), "reproduced": same}), flush=True)
  return 0


if __name__ == "__main__":
  sys.exit(main(sys.argv[1:]))
