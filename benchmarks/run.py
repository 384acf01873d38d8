"""`python -m benchmarks`: runs the sections, prints the table of metrics, writes the record.

    python -m benchmarks [--quick | --smoke] [--only SECTION,...] [--json PATH] [--markdown]
    python -m benchmarks --from-json PATH [--markdown]      (renders a record, runs nothing)
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import importlib
import json
import os
import subprocess
import sys
import time

from benchmarks import timing

# In the order they run: the BERT-base sections after the cheap ones on the embedded module, and
# throughput first among them, so that the module has met its batch shape before full times it.
SECTIONS = ("overhead", "bucketing", "rss", "xla_rebuild", "throughput", "full", "diff",
            "crosscheck", "verdict")
# metric -> (comparison, target). A section's other metrics are reported without one.
TARGETS = {
    "overhead_ratio": ("<=", 1.05),
    "full_overhead_ratio": ("<=", 2.2),
    "diff_overhead_ratio": ("<=", 1.2),
    "crosscheck_overhead_ratio": ("<=", 1.2),
    "time_to_verdict_ratio": ("<=", 1.1),
    "throughput_vs_keras_hub": (">=", 0.95),
    "throughput_vs_keras_hub_xla": (">=", 0.95),
    "rss_ratio_10k_vs_100": ("<=", 1.2),
    "bucketing_speedup": (">=", 2.5),
}


@dataclasses.dataclass(frozen=True)
class Settings:
  """How much each section runs. The defaults are --quick's, which aims at 8 minutes on 2 cores."""
  base: str = "bert-base"  # the model of throughput, full, diff, crosscheck and verdict
  repeats: int = 3  # timed runs of each side, interleaved; a ratio takes each side's best
  slow_repeats: int = 2  # the same for full, diff and bucketing, whose runs are the longest
  max_seq_length: int = 128
  batch_size: int = 32  # the embedded module's batches (overhead, bucketing, xla_rebuild)
  # BERT-base's: rows of 2,048 tokens keep its GEMMs at their peak rate as well as 4,096 do.
  base_batch_size: int = 16
  # The check's fixed cost per run (one chunk packed by eager ops) would weigh 4x more on 64.
  overhead_sentences: int = 256
  throughput_sentences: int = 16
  # Several batches each: fixed costs are part of these ratios, and fewer tokens would raise them.
  full_sentences: int = 64
  diff_sentences: int = 32
  crosscheck_sentences: int = 64
  rss_counts: tuple = (100, 10_000)  # sentences of the small and the large peak-RSS run
  rss_max_seq_length: int = 16
  bucketing_lines: int = 500


MODES = {
    "quick": Settings(),
    "full": Settings(repeats=5, slow_repeats=3, base_batch_size=32, overhead_sentences=1024,
                     throughput_sentences=64, full_sentences=128, diff_sentences=128,
                     crosscheck_sentences=128, rss_max_seq_length=128, bucketing_lines=2000),
    # Every section once on tiny inputs, the embedded module standing in for BERT-base: checks
    # that the sections run (the figures mean nothing).
    "smoke": Settings(base="embedded", repeats=1, slow_repeats=1, max_seq_length=32, batch_size=4,
                      base_batch_size=4, overhead_sentences=8, throughput_sentences=4,
                      full_sentences=4, diff_sentences=4, crosscheck_sentences=4,
                      rss_counts=(10, 100), bucketing_lines=40),
}


def score(metric: str, value) -> dict:
  """A metric's value, its target ("<= 1.05"; None: reported only) and whether it is met."""
  op, target = TARGETS.get(metric, (None, None))
  met = None
  if target is not None and value is not None:
    met = value <= target if op == "<=" else value >= target
  return {"value": value, "target": f"{op} {target}" if target is not None else None, "met": met}


def commit() -> str | None:
  """The checked-out commit of the repository (None outside a git work tree)."""
  done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=timing.REPO_ROOT,
                        capture_output=True, text=True, check=False)
  return done.stdout.strip() or None


def run(mode: str, sections: list[str]) -> dict:
  """Runs `sections` in `mode`; returns the record (see build_parser's --json)."""
  import hub_repro

  hub_repro.quiet_tensorflow()
  settings = MODES[mode]
  started, load_before = time.perf_counter(), os.getloadavg()
  details, metrics, seconds = {}, {}, {}
  for name in sections:
    section = importlib.import_module(f"benchmarks.{name}")
    # What an earlier section let go of can sit in reference cycles (a BERT-base model's 0.4 GB);
    # collected now, untimed, its pages are reused instead of fresh ones zeroed on first touch.
    gc.collect()
    start = time.perf_counter()
    details[name] = section.measure(settings)
    seconds[name] = round(time.perf_counter() - start, 1)
    metrics.update({metric: {"section": name, **score(metric, details[name].get(metric))}
                    for metric in section.METRICS})
  return {"mode": mode, "commit": commit(),
          "host": {**timing.host(), "load_average_before": load_before,
                   "load_average_after": os.getloadavg()},
          "versions": timing.versions(), "settings": dataclasses.asdict(settings),
          "metrics": metrics, "sections": details, "section_s": seconds,
          "total_s": round(time.perf_counter() - started, 1)}


def table(record: dict, markdown: bool = False) -> str:
  """The host, then one row per metric (value, target, met) and the throughput of each run: as
  text after a run, or as Markdown for docs/benchmarks.md."""
  h, v = record["host"], record["versions"]
  cpu = f"{h['cpu']} ({h['cpu_family_model']})" if h.get("cpu_family_model") else h["cpu"]
  lines = [f"{cpu}, {' + '.join([h['isa'], *h['isa_extras']])}, {h['cores_usable']} cores, "
           f"oneDNN {h['onednn']}; Python {h['python']}, TensorFlow {v['tensorflow']}, keras-hub "
           f"{v['keras-hub']}, torch {v['torch'] or '-'}, transformers {v['transformers'] or '-'}; "
           f"mode {record['mode']} at {record.get('commit') or '?'}, {record['total_s']:.0f} s, "
           f"load average {h['load_average_before'][0]:.1f}", ""]
  row = "| {} | {} | {} | {} |" if markdown else "{:<30} {:>8}  {:<9} {}"
  lines.append(row.format("metric", "value", "target", "met"))
  if markdown:
    lines.append("|---|---:|---|---|")
  lines += [row.format(metric, "n/a" if m["value"] is None else f"{m['value']:.3f}",
                       m["target"] or "reported", {True: "yes", False: "NO", None: ""}[m["met"]])
            for metric, m in record["metrics"].items()]
  t = record["sections"].get("throughput")
  if t is not None:
    row = "| {} | {:.1f} |" if markdown else "  {:<16} {:>8.1f}"
    lines += ["", f"throughput, sequences/s ({t['model']}, batches of {t['batch_size']} x "
              f"{t['max_seq_length']}):"]
    if markdown:
      lines += ["", "| run | sequences/s |", "|---|---:|"]
    lines += [row.format(name, run["sequences_per_s"]) for name, run in t["times"].items()]
  if not markdown:
    lines += ["", "seconds: " + ", ".join(f"{name} {seconds:.0f}"
                                  for name, seconds in record["section_s"].items())]
  return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
  parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                   description="hub_repro's benchmarks: see benchmarks/__init__.py")
  mode = parser.add_mutually_exclusive_group()
  mode.add_argument("--quick", action="store_true", help="fewer inputs and repeats (~8 minutes "
                    "on 2 cores)")
  mode.add_argument("--smoke", action="store_true", help="every section once on tiny inputs: "
                    "checks that they run (the figures mean nothing)")
  mode.add_argument("--from-json", metavar="PATH", help="render the record of an earlier run "
                    "(--json) instead of running")
  parser.add_argument("--only", metavar="SECTION[,SECTION]",
                      help=f"run only these sections, of: {', '.join(SECTIONS)}")
  parser.add_argument("--json", metavar="PATH", help="write the record to PATH: mode, commit, "
                      "host (CPU model, ISA), package versions, each metric with its target and "
                      "whether it is met, each section's timings")
  parser.add_argument("--markdown", action="store_true",
                      help="print the table as Markdown (for docs/benchmarks.md)")
  return parser


def main(argv: list[str] | None = None) -> int:
  parser = build_parser()
  args = parser.parse_args(argv)
  if args.from_json:
    with open(args.from_json, encoding="utf-8") as f:
      record = json.load(f)
  else:
    sections = args.only.split(",") if args.only else list(SECTIONS)
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
      parser.error(f"--only: unknown section(s) {unknown}; expected some of {list(SECTIONS)}")
    mode = "quick" if args.quick else "smoke" if args.smoke else "full"
    record = run(mode, [name for name in SECTIONS if name in sections])
  print(table(record, markdown=args.markdown))
  if args.json:
    with open(args.json, "w", encoding="utf-8") as f:
      json.dump(record, f, indent=2, default=lambda o: o.item())  # numpy scalars
      f.write("\n")
  return 0


if __name__ == "__main__":
  sys.exit(main())
