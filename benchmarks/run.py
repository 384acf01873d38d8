"""The benchmark run: `python -m benchmarks [--quick] [--json PATH]` (see benchmarks/__init__.py).

Every ratio compares two things measured in this one process, on the same inputs, interleaved
(A, B, A, B, ...) after a warm-up, and each side's best (minimum) wall time is used: the machine is
shared, and the minimum is the run least disturbed by other processes. Throughput interleaves per
batch and sums each batch's best time. Medians and CPU-time ratios are recorded beside the figures,
and the overhead is also measured decomposed (the harness with its forward pass replayed, timed
alone), which a busy machine disturbs far less than the ratio of two 3-second runs.

RSS runs and the end-to-end runs happen in subprocesses (benchmarks.child, python -m hub_repro).
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.metadata
import json
import os
import platform
import pstats
import subprocess
import sys
import tempfile
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# --quick keeps the whole run under 5 minutes on 2 cores; the full run measures more of the same.
SETTINGS = {
    "quick": {"sentences": 256, "repeats": 5, "throughput_sentences": 128, "keras_eager": False,
              "max_seq_length": 128, "batch_size": 32, "rss_counts": (100, 10_000),
              "rss_max_seq_length": 32},
    "full": {"sentences": 1024, "repeats": 7, "throughput_sentences": 512, "keras_eager": True,
             "max_seq_length": 128, "batch_size": 32, "rss_counts": (100, 10_000),
             "rss_max_seq_length": 128},
}
TARGETS = {  # metric -> (comparison, target)
    "overhead_ratio": ("<=", 1.05),
    "throughput_vs_keras_hub": (">=", 1.0),
    "throughput_vs_transformers": (">=", 1.0),
    "rss_ratio_10k_vs_100": ("<=", 1.2),
}
LENGTH_BUCKET = 16  # batching by length pads each batch to a multiple of this
PACKAGES = ["tensorflow", "tensorflow-hub", "tensorflow-text", "keras", "keras-hub", "numpy",
            "torch", "transformers"]


def log(message: str) -> None:
  print(message, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- machine


def machine() -> dict:
  cpu = platform.processor() or ""
  try:
    with open("/proc/cpuinfo", encoding="utf-8") as f:
      cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")),
                 cpu)
  except OSError:
    pass
  versions = {}
  for name in PACKAGES:
    try:
      versions[name] = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
      versions[name] = None
  return {"cpu": cpu, "cores": os.cpu_count(),
          "cores_usable": len(os.sched_getaffinity(0)),
          "python": platform.python_version(), "platform": platform.platform(),
          "versions": versions}


# ----------------------------------------------------------------------------- timing


def _summary(wall: list, cpu: list) -> dict:
  return {"best_s": min(wall), "median_s": sorted(wall)[len(wall) // 2],
          "cpu_best_s": min(cpu), "times_s": [round(t, 4) for t in wall]}


def interleaved(runs: dict, repeats: int) -> dict:
  """Times each callable `repeats` times, interleaved (A, B, A, B, ...), after one warm-up call
  of each. Returns name -> {"best_s", "median_s", "cpu_best_s", "times_s"}; cpu is this process's
  CPU time (all threads), which other processes on the machine disturb less than wall time."""
  for run in runs.values():
    run()
  wall = {name: [] for name in runs}
  cpu = {name: [] for name in runs}
  for _ in range(repeats):
    for name, run in runs.items():
      start, start_cpu = time.perf_counter(), time.process_time()
      run()
      wall[name].append(time.perf_counter() - start)
      cpu[name].append(time.process_time() - start_cpu)
  return {name: _summary(wall[name], cpu[name]) for name in runs}


def interleaved_batches(runs: dict, num_batches: int, repeats: int) -> dict:
  """Like `interleaved`, but each callable takes a batch index and the interleaving is per batch
  (A0, B0, A1, B1, ...), so every implementation meets the same moments of machine load; a run's
  time is the sum over batches of each batch's best time (the least disturbed call)."""
  for run in runs.values():
    for i in range(num_batches):
      run(i)
  wall = {name: [[] for _ in range(num_batches)] for name in runs}
  cpu = {name: [[] for _ in range(num_batches)] for name in runs}
  for _ in range(repeats):
    for i in range(num_batches):
      for name, run in runs.items():
        start, start_cpu = time.perf_counter(), time.process_time()
        run(i)
        wall[name][i].append(time.perf_counter() - start)
        cpu[name][i].append(time.process_time() - start_cpu)
  out = {}
  for name in runs:
    totals = [sum(wall[name][i][r] for i in range(num_batches)) for r in range(repeats)]
    out[name] = {"best_s": sum(min(t) for t in wall[name]),
                 "median_s": sorted(totals)[len(totals) // 2],
                 "cpu_best_s": sum(min(t) for t in cpu[name]),
                 "times_s": [round(t, 4) for t in totals]}
  return out


# ----------------------------------------------------------------------------- inputs


def packed_batches(tokenizer, examples, max_seq_length, batch_size, by_length=False):
  """Packed (ids, mask, segments) tf.Tensors per batch of consecutive examples. by_length: the
  examples sorted by token count, each batch padded to its longest rounded up to LENGTH_BUCKET."""
  if by_length:
    lengths = tokenizer.encode(examples, max_seq_length).input_mask.numpy().sum(axis=1)
    order = sorted(range(len(examples)), key=lambda i: int(lengths[i]))
    examples, lengths = [examples[i] for i in order], [int(lengths[i]) for i in order]
  batches = []
  for start in range(0, len(examples), batch_size):
    chunk = examples[start:start + batch_size]
    seq_length = max_seq_length
    if by_length:
      longest = max(lengths[start:start + batch_size])
      seq_length = min(max_seq_length, -(-longest // LENGTH_BUCKET) * LENGTH_BUCKET)
    packed = tokenizer.encode(chunk, seq_length)
    batches.append((packed.input_ids, packed.input_mask, packed.segment_ids))
  return batches


# ----------------------------------------------------------------------------- 1. overhead


def harness_breakdown(run_harness) -> dict:
  """Where one harness run spends its time, by cProfile (which slows Python-heavy parts)."""
  profile = cProfile.Profile()
  profile.enable()
  run_harness()
  profile.disable()
  stats = pstats.Stats(profile).stats
  phases = {
      "forward (Module.__call__)": ("module.py", "__call__"),
      "tokenize + pack (Tokenizer.encode)": ("tokenization.py", "encode"),
      "tokenizer setup (Tokenizer.__init__)": ("tokenization.py", "__init__"),
      "read variables (Module.variable_values)": ("module.py", "variable_values"),
      "find pooler (pooler.find_pooler)": ("pooler.py", "find_pooler"),
      "rebuilt pooler (PoolerWeights.__call__)": ("pooler.py", "__call__"),
      "statistics (compare._row_stats)": ("compare.py", "_row_stats"),
      "check total (compare.check)": ("compare.py", "check"),
  }
  out = {}
  for label, (file_end, function) in phases.items():
    seconds = [cumulative for (filename, _, name), (_, _, _, cumulative, _) in stats.items()
               if filename.endswith(file_end) and name == function]
    if seconds:
      out[label] = max(seconds)  # the outermost frame of a recursive call holds the total
  return out


class _Replay:
  """The loaded module with its forward pass replaced by replaying recorded outputs, batch after
  batch: compare.check on it costs everything of the harness except the forward pass."""

  def __init__(self, loaded, outputs: list):
    self._loaded, self._outputs, self._next = loaded, outputs, 0
    for name in ("handle", "path", "format", "vocab_file", "do_lower_case"):
      setattr(self, name, getattr(loaded, name))

  def variable_values(self):
    return self._loaded.variable_values()

  def __call__(self, input_ids, input_mask, segment_ids):
    outputs = self._outputs[self._next % len(self._outputs)]
    self._next += 1
    return outputs


def measure_overhead(loaded, examples, settings) -> dict:
  from hub_repro import compare  # noqa: PLC0415
  from hub_repro.tokenization import Tokenizer  # noqa: PLC0415

  seq, batch = settings["max_seq_length"], settings["batch_size"]
  tokenizer = Tokenizer(loaded.vocab_file, loaded.do_lower_case)
  batches = packed_batches(tokenizer, examples, seq, batch)
  replay = _Replay(loaded, [loaded(*b) for b in batches])

  def forward():
    for ids, mask, segments in batches:
      loaded(ids, mask, segments)

  def harness():
    compare.check(loaded, examples, seq, batch, progress=False)

  def harness_without_forward():
    compare.check(replay, examples, seq, batch, progress=False)

  log(f"overhead: harness vs bare forward, {len(examples)} sentences x {settings['repeats']}")
  times = interleaved({"harness": harness, "forward": forward,
                       "harness without forward": harness_without_forward}, settings["repeats"])
  breakdown = harness_breakdown(harness)
  rest, forward_time = times["harness without forward"], times["forward"]
  return {
      "sentences": len(examples), "max_seq_length": seq, "batch_size": batch,
      "overhead_ratio": times["harness"]["best_s"] / forward_time["best_s"],
      "overhead_ratio_median": times["harness"]["median_s"] / forward_time["median_s"],
      "overhead_ratio_cpu_time": times["harness"]["cpu_best_s"] / forward_time["cpu_best_s"],
      # The harness's own work timed alone (outputs replayed), over the forward pass: the same
      # ratio, less exposed to the machine's load since the small part is timed by itself.
      "overhead_ratio_decomposed": 1 + rest["best_s"] / forward_time["best_s"],
      "harness": times["harness"], "forward": forward_time, "harness_without_forward": rest,
      "harness_breakdown_s_under_cprofile": breakdown,
  }


# ----------------------------------------------------------------------------- 2. throughput


def keras_hub_variants(make_backbone, batches, with_eager: bool) -> dict:
  """keras-hub's BertBackbone called each way worth trying: name -> callable(batch index).

  Every variant sees the same fixed-shape batches and is warmed up (traced, compiled) before it is
  timed. predict_on_batch is Keras' compiled predict step without predict()'s per-call iterator
  set-up; `compile(jit_compile=...)` decides whether that step is XLA-compiled ("auto" means no
  XLA on a CPU-only machine)."""
  import tensorflow as tf  # noqa: PLC0415

  inputs = [{"token_ids": ids, "segment_ids": segments, "padding_mask": mask}
            for ids, mask, segments in batches]
  backbone = make_backbone()
  call = tf.function(lambda x: backbone(x, training=False))
  call_xla = tf.function(lambda x: backbone(x, training=False), jit_compile=True)
  compiled, compiled_xla = make_backbone(), make_backbone()
  compiled.compile(jit_compile=False)
  compiled_xla.compile(jit_compile=True)
  variants = {
      "tf.function": lambda i: call(inputs[i]),
      "tf.function + XLA (jit_compile=True)": lambda i: call_xla(inputs[i]),
      "predict_on_batch (compiled, no XLA)": lambda i: compiled.predict_on_batch(inputs[i]),
      "predict_on_batch (compiled, XLA)": lambda i: compiled_xla.predict_on_batch(inputs[i]),
  }
  if with_eager:
    variants = {"eager call": lambda i: backbone(inputs[i], training=False), **variants}
  return variants


def measure_throughput(loaded, examples, settings, config, params) -> dict:
  import tensorflow as tf  # noqa: PLC0415

  from hub_repro import crosscheck  # noqa: PLC0415
  from hub_repro.tokenization import Tokenizer  # noqa: PLC0415

  seq, batch, repeats = settings["max_seq_length"], settings["batch_size"], settings["repeats"]
  examples = examples[:settings["throughput_sentences"]]
  count = len(examples)
  tokenizer = Tokenizer(loaded.vocab_file, loaded.do_lower_case)
  fixed = packed_batches(tokenizer, examples, seq, batch)
  by_length = packed_batches(tokenizer, examples, seq, batch, by_length=True)
  out = {"sentences": count, "max_seq_length": seq, "batch_size": batch, "variants": {}}

  def module_call(batches):
    return lambda i: loaded(*batches[i])

  log(f"throughput: module vs keras-hub, {count} sentences, fixed shapes [{batch}, {seq}], "
      f"{repeats} repeats")
  runs = {"module": module_call(fixed)}
  for name, run in keras_hub_variants(lambda: crosscheck.keras_hub_backbone(params, config), fixed,
                                      settings["keras_eager"]).items():
    runs[f"keras-hub {name}"] = run
  times = interleaved_batches(runs, len(fixed), repeats)
  out["variants"]["module through tensorflow_hub (signature 'tokens')"] = times.pop("module")
  module_fixed = out["variants"]["module through tensorflow_hub (signature 'tokens')"]
  out["variants"].update(times)
  best_name = min(times, key=lambda name: times[name]["best_s"])
  out["keras_hub_best_variant"] = best_name
  out["throughput_vs_keras_hub"] = times[best_name]["best_s"] / module_fixed["best_s"]
  out["throughput_vs_keras_hub_cpu_time"] = (times[best_name]["cpu_best_s"]
                                             / module_fixed["cpu_best_s"])

  log("  batching by length (each batch padded to its longest, in steps of "
      f"{LENGTH_BUCKET}): module and keras-hub tf.function + XLA")
  backbone = crosscheck.keras_hub_backbone(params, config)
  xla = tf.function(lambda x: backbone(x, training=False), jit_compile=True)

  def keras_by_length(i):
    ids, mask, segments = by_length[i]
    xla({"token_ids": ids, "segment_ids": segments, "padding_mask": mask})

  times = interleaved_batches({"module": module_call(by_length), "keras": keras_by_length},
                              len(by_length), repeats)
  out["variants"]["module, batched by length"] = times["module"]
  out["variants"]["keras-hub tf.function + XLA, batched by length"] = times["keras"]
  out["throughput_vs_keras_hub_by_length"] = times["keras"]["best_s"] / times["module"]["best_s"]

  if crosscheck.why_no_torch() is None:
    import torch  # noqa: PLC0415

    log(f"  transformers BertModel (torch {torch.__version__}, inference_mode)")
    model = crosscheck.hf_bert_model(params, config)
    torch_batches = [tuple(torch.from_numpy(t.numpy().astype("int64")) for t in b) for b in fixed]

    def hf_call(i):
      ids, mask, segments = torch_batches[i]
      with torch.inference_mode():
        model(input_ids=ids, attention_mask=mask, token_type_ids=segments)

    times = interleaved_batches({"module": module_call(fixed), "hf": hf_call}, len(fixed),
                                repeats)
    out["variants"][f"transformers BertModel (torch {torch.__version__}, "
                    f"{torch.get_num_threads()} threads, inference_mode)"] = times["hf"]
    out["throughput_vs_transformers"] = times["hf"]["best_s"] / times["module"]["best_s"]
    out["throughput_vs_transformers_cpu_time"] = (times["hf"]["cpu_best_s"]
                                                  / times["module"]["cpu_best_s"])
  else:
    out["throughput_vs_transformers"] = None
    out["transformers_skipped"] = crosscheck.why_no_torch()
  for t in out["variants"].values():
    t["sequences_per_s"] = count / t["best_s"]
  return out


# ----------------------------------------------------------------------------- 3. memory, runs


def _env(**extra) -> dict:
  env = dict(os.environ, **extra)
  env["PYTHONPATH"] = os.pathsep.join(filter(None, [REPO_ROOT, os.environ.get("PYTHONPATH")]))
  env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
  return env


def measure_rss(settings) -> dict:
  small, large = settings["rss_counts"]
  seq = settings["rss_max_seq_length"]
  runs = {}
  for count in (small, large):
    log(f"peak RSS: the harness on {count} sentences (max_seq_length {seq}), own process")
    done = subprocess.run([sys.executable, "-m", "benchmarks.child", str(count), str(seq)],
                          env=_env(), cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
      raise RuntimeError(f"benchmarks.child {count} failed ({done.returncode}): "
                         f"{done.stderr.strip().splitlines()[-1:]}")
    runs[count] = json.loads(done.stdout.strip().splitlines()[-1])
  # VmHWM, not ru_maxrss: a child forked from this large process inherits its ru_maxrss across exec.
  peak = lambda run: run["vm_hwm_mb"] or run["peak_rss_mb"]  # noqa: E731
  return {"rss_ratio_10k_vs_100": peak(runs[large]) / peak(runs[small]),
          "runs": {str(k): v for k, v in runs.items()}}


def time_cli(cache_dir: str) -> float:
  start = time.perf_counter()
  done = subprocess.run([sys.executable, "-m", "hub_repro"], env=_env(HUB_REPRO_CACHE=cache_dir),
                        cwd=REPO_ROOT, capture_output=True, text=True, check=False)
  wall = time.perf_counter() - start
  if done.returncode != 0:
    raise RuntimeError(f"python -m hub_repro failed ({done.returncode}): "
                       f"{done.stderr.strip().splitlines()[-1:]}")
  return wall


def measure_runs() -> dict:
  from hub_repro import embedded  # noqa: PLC0415

  log("warm run: python -m hub_repro with the embedded module cached")
  warm = time_cli(embedded.cache_dir())
  with tempfile.TemporaryDirectory(prefix="hub_repro_cold_") as cold_cache:
    log("cold run: python -m hub_repro with a fresh HUB_REPRO_CACHE (export included)")
    cold = time_cli(cold_cache)
  return {"warm_run_s": warm, "cold_run_s": cold}


# ----------------------------------------------------------------------------- report


def verdict(metric: str, value) -> str:
  if value is None:
    return "n/a"
  if metric not in TARGETS:
    return ""
  op, target = TARGETS[metric]
  ok = value <= target if op == "<=" else value >= target
  return "ok" if ok else "MISSED"


def render(record: dict) -> str:
  m = record["machine"]
  overhead, throughput = record["details"]["overhead"], record["details"]["throughput"]
  secondary = {  # the same ratio from CPU time, less disturbed by other processes
      "overhead_ratio": overhead["overhead_ratio_cpu_time"],
      "throughput_vs_keras_hub": throughput["throughput_vs_keras_hub_cpu_time"],
      "throughput_vs_transformers": throughput.get("throughput_vs_transformers_cpu_time"),
  }
  lines = [f"machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, "
           f"TensorFlow {m['versions']['tensorflow']}, keras-hub {m['versions']['keras-hub']}, "
           f"torch {m['versions']['torch'] or '-'}; load average "
           f"{m['load_average_before'][0]:.1f} before, {m['load_average_after'][0]:.1f} after",
           f"mode: {record['mode']}", "",
           "| metric                     |   value | (CPU time) | target  |        |",
           "|----------------------------|---------|------------|---------|--------|"]
  for metric, value in record["metrics"].items():
    target = " ".join(map(str, TARGETS[metric])) if metric in TARGETS else ""
    shown = "null" if value is None else f"{value:.3f}" if metric in TARGETS else f"{value:.1f} s"
    cpu = secondary.get(metric)
    cpu = "" if cpu is None else f"{cpu:.3f}"
    lines.append(f"| {metric:<26} | {shown:>7} | {cpu:>10} | {target:<7} | "
                 f"{verdict(metric, value):<6} |")
  lines += ["", f"overhead_ratio ({overhead['sentences']} sentences): best wall "
            f"{overhead['overhead_ratio']:.3f}, median wall "
            f"{overhead['overhead_ratio_median']:.3f}, CPU time "
            f"{overhead['overhead_ratio_cpu_time']:.3f}, decomposed (the harness with its forward "
            f"pass replayed, timed alone) {overhead['overhead_ratio_decomposed']:.3f}"]
  lines += ["", f"throughput, sequences/s ({throughput['sentences']} sentences, batches of "
            f"{throughput['batch_size']}, max_seq_length {throughput['max_seq_length']}; "
            "sum of each batch's best time):", ""]
  for name, t in throughput["variants"].items():
    lines.append(f"  {name:<66} {t['sequences_per_s']:8.1f}")
  breakdown = overhead["harness_breakdown_s_under_cprofile"]
  lines += ["", f"harness time by phase ({overhead['sentences']} sentences, one run under "
            "cProfile, seconds):", ""]
  lines += [f"  {name:<44} {seconds:7.3f}" for name, seconds in breakdown.items()]
  return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
  parser = argparse.ArgumentParser(
      prog="python -m benchmarks",
      description="Benchmarks of hub_repro: every figure is a ratio measured in one process on "
                  "the same inputs (see benchmarks/__init__.py).")
  parser.add_argument("--quick", action="store_true",
                      help="fewer sentences and repeats, short sequences for the RSS runs "
                           "(under 5 minutes on 2 cores)")
  parser.add_argument("--json", metavar="PATH", help="also write the record as JSON to PATH")
  return parser


def main(argv: list[str] | None = None) -> int:
  args = build_parser().parse_args(argv)
  mode = "quick" if args.quick else "full"
  settings = SETTINGS[mode]
  sys.path.insert(0, REPO_ROOT)
  from hub_repro import cli  # noqa: PLC0415

  cli.quiet_tensorflow()
  from benchmarks.sentences import sentences  # noqa: PLC0415
  from hub_repro import crosscheck, embedded, module  # noqa: PLC0415

  started = time.perf_counter()
  loaded = module.load(None, log=log)
  config = embedded.config()
  params, _, _ = crosscheck.module_params(loaded.variable_values(), loaded.handle)
  examples = sentences(settings["sentences"], seed=0)
  load_before = os.getloadavg()
  details, section_s = {}, {}
  for name, measure in [
      ("overhead", lambda: measure_overhead(loaded, examples, settings)),
      ("throughput", lambda: measure_throughput(loaded, examples, settings, config, params)),
      ("rss", lambda: measure_rss(settings)),
      ("runs", measure_runs)]:
    start = time.perf_counter()
    details[name] = measure()
    section_s[name] = round(time.perf_counter() - start, 1)
  metrics = {
      "overhead_ratio": details["overhead"]["overhead_ratio"],
      "throughput_vs_keras_hub": details["throughput"]["throughput_vs_keras_hub"],
      "throughput_vs_transformers": details["throughput"]["throughput_vs_transformers"],
      "rss_ratio_10k_vs_100": details["rss"]["rss_ratio_10k_vs_100"],
      "warm_run_s": details["runs"]["warm_run_s"],
      "cold_run_s": details["runs"]["cold_run_s"],
  }
  record = {"mode": mode, "settings": {k: list(v) if isinstance(v, tuple) else v
                                       for k, v in settings.items()},
            "machine": {**machine(), "load_average_before": load_before,
                        "load_average_after": os.getloadavg()},
            "metrics": metrics, "details": details, "section_s": section_s,
            "total_s": time.perf_counter() - started}
  print(render(record))
  sections = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in section_s.items())
  print(f"\ntotal {record['total_s']:.0f} s ({sections})")
  if args.json:
    from hub_repro import report  # noqa: PLC0415
    report.write_json(record, args.json)
  return 0


if __name__ == "__main__":
  sys.exit(main())
