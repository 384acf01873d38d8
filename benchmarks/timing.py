"""Interleaved best-of-N timing (of calls, or of whole processes), and the host and packages that
ran it.

Every ratio compares two runs timed in one process on the same inputs, interleaved (A, B, A, B, ...)
so that both meet the same moments of load, and takes each side's best wall time: on a shared
machine the minimum is the run least disturbed by other processes.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import statistics
import subprocess
import sys
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = ("tensorflow", "tensorflow-hub", "tensorflow-text", "keras", "keras-hub", "numpy",
            "torch", "transformers", "hub_repro")
# Vector extensions by /proc/cpuinfo flag, widest first: the first present is the host's `isa`.
VECTOR_ISAS = (("avx512f", "AVX-512"), ("avx2", "AVX2"), ("sse4_2", "SSE4.2"))
# Matrix and dot-product extensions oneDNN uses where present, listed beside the vector ISA.
EXTRA_ISAS = (("avx512_vnni", "AVX512-VNNI"), ("avx512_bf16", "AVX512-BF16"), ("amx_tile", "AMX"))


def log(message: str) -> None:
  """Progress on stderr: stdout holds only the table."""
  print(message, file=sys.stderr, flush=True)


def interleaved(runs: dict, repeats: int, warm_up: bool = True) -> dict:
  """Times each callable of `runs` (name -> callable()) `repeats` times, interleaved, after one
  untimed call of each (warm_up=False: each run's first call counts, for runs that build all they
  need anew every time). Returns name -> {"best_s", "median_s", "cpu_best_s", "times_s"}; CPU
  time is this process's, all threads."""
  for run in runs.values() if warm_up else ():
    run()
  wall = {name: [] for name in runs}
  cpu = {name: [] for name in runs}
  for _ in range(repeats):
    for name, run in runs.items():
      start, start_cpu = time.perf_counter(), time.process_time()
      run()
      wall[name].append(time.perf_counter() - start)
      cpu[name].append(time.process_time() - start_cpu)
  return {name: {"best_s": min(wall[name]), "median_s": statistics.median(wall[name]),
                 "cpu_best_s": min(cpu[name]), "times_s": [round(t, 4) for t in wall[name]]}
          for name in runs}


def python(*args: str):
  """A callable that runs `python ARGS` in a process of its own, from the repository root with the
  repository importable, and returns its stdout; it raises if the process fails."""
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL=os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3"),
             PYTHONPATH=os.pathsep.join(filter(None, [REPO_ROOT, os.environ.get("PYTHONPATH")])))

  def run():
    done = subprocess.run([sys.executable, *args], env=env, cwd=REPO_ROOT, capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
      raise RuntimeError(f"python {' '.join(args[:2])} failed ({done.returncode}): "
                         f"{done.stderr.strip().splitlines()[-1:]}")
    return done.stdout

  return run


def ratio(times: dict, numerator: str, denominator: str) -> float:
  """The best time of one run of `interleaved` over another's."""
  return times[numerator]["best_s"] / times[denominator]["best_s"]


def cpuinfo(text: str | None = None) -> dict:
  """The first processor's fields of /proc/cpuinfo (or of `text`); {} where there is none."""
  if text is None:
    try:
      with open("/proc/cpuinfo", encoding="utf-8") as f:
        text = f.read()
    except OSError:
      return {}
  fields = {}
  for line in text.split("\n\n")[0].splitlines():
    key, _, value = line.partition(":")
    fields[key.strip()] = value.strip()
  return fields


def isa(flags: set) -> tuple[str, list[str]]:
  """The widest vector ISA among /proc/cpuinfo `flags` ("AVX-512", "AVX2", ...; "other"), and the
  matrix and dot-product extensions present (EXTRA_ISAS)."""
  widest = next((name for flag, name in VECTOR_ISAS if flag in flags), "other")
  return widest, [name for flag, name in EXTRA_ISAS if flag in flags]


def host() -> dict:
  """The machine: CPU model name with its family and model numbers (a VM's name is often generic),
  vector ISA, cores this process may use, oneDNN on or off, Python, the OS."""
  info = cpuinfo()
  widest, extras = isa(set(info.get("flags", "").split()))
  onednn = os.environ.get("TF_ENABLE_ONEDNN_OPTS")
  return {"cpu": info.get("model name") or platform.processor() or "unknown",
          "cpu_family_model": (f"family {info['cpu family']}, model {info['model']}"
                               if "cpu family" in info and "model" in info else None),
          "isa": widest, "isa_extras": extras, "cores": os.cpu_count(),
          "cores_usable": len(os.sched_getaffinity(0)),
          "onednn": ("on (TensorFlow's default)" if onednn is None else
                     f"{'off' if onednn.strip().lower() in ('0', 'false') else 'on'} "
                     f"(TF_ENABLE_ONEDNN_OPTS={onednn})"),
          "python": platform.python_version(), "platform": platform.platform()}


def versions() -> dict:
  """The installed version of each of PACKAGES (None where it is not installed)."""
  found = {}
  for name in PACKAGES:
    try:
      found[name] = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
      found[name] = None
  return found
