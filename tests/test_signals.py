"""An interrupted run leaves no partial output, and the next run succeeds; with real signals.

Each run is `python -m hub_repro ...` in a process of its own. The test waits until the process is
where the signal should land (its progress bar has moved, its half-written JSON or PNG is on disk,
the embedded module's build is held inside its staging folder), then sends SIGINT or SIGTERM with
os.kill. To hold a write half-done, the launcher replaces json.dump or Figure.savefig (the library
calls hub_repro's atomic writers make) by one that writes half the bytes, says so on stderr and
sleeps; to hold the build, shutil.copyfile, once it has copied the vocab into the staging folder.
hub_repro's own code, from the signal handler to the cleanup, runs unchanged.

Holding matters: a signal sent "as soon as the staging folder shows" once reached a run that had
already finished (CI, stop 31: the test process stalled for the ~3 s the build lasts, and
send_signal to an ended process does nothing, so the run exited 0). A held process cannot finish
first, and Run.finish fails plainly if it has.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import tensorflow as tf

from hub_repro import cli, embedded, files
import testutil

REPO = os.path.dirname(testutil.TESTS)
HALF_WRITTEN = "hub_repro_test: half written, sleeping"
BUILD_HELD = "hub_repro_test: build held in its staging folder, sleeping"
STAGING_PREFIX = files.staging_prefix(embedded.MODULE_NAME)

# `python -c LAUNCHER MODE ARGS...`: hub_repro's command line, where MODE "json" or "png" makes the
# library call under report.write_json or plots.save_figure stop halfway, and "build" holds the
# embedded module's export in its staging folder (see the module docstring).
LAUNCHER = f"""
import sys, time
mode = sys.argv.pop(1)

def hold(message):
  print(message, file=sys.stderr, flush=True)
  time.sleep(600)

def stall(f, data):
  f.write(data[:len(data) // 2])
  f.flush()
  hold({HALF_WRITTEN!r})

if mode == "json":
  import json
  real_dump = json.dump
  def dump(obj, f, **kwargs):
    if isinstance(obj, dict) and "pooled_vs_rebuilt" in obj:
      stall(f, json.dumps(obj, **kwargs))
    real_dump(obj, f, **kwargs)
  json.dump = dump
elif mode == "png":
  import io
  from matplotlib.figure import Figure
  real_savefig = Figure.savefig
  def savefig(self, f, **kwargs):
    data = io.BytesIO()
    real_savefig(self, data, **kwargs)
    stall(f, data.getvalue())
  Figure.savefig = savefig
elif mode == "build":
  import os, shutil
  real_copyfile = shutil.copyfile
  def copyfile(src, dst, **kwargs):
    result = real_copyfile(src, dst, **kwargs)
    if os.path.basename(os.path.dirname(os.path.abspath(dst))).startswith({STAGING_PREFIX!r}):
      hold({BUILD_HELD!r})
    return result
  shutil.copyfile = copyfile
from hub_repro import cli
sys.exit(cli.main(sys.argv[1:]))
"""


def _default_sigint():
  # A process started in the background inherits SIGINT ignored, and Python then leaves it so;
  # the child must get Python's KeyboardInterrupt as from a terminal.
  signal.signal(signal.SIGINT, signal.SIG_DFL)


class Run:
  """A hub_repro process whose stderr goes to a file the test can poll."""

  def __init__(self, argv, log_path, cache):
    self.log_path = log_path
    env = dict(os.environ, HUB_REPRO_CACHE=cache)
    with open(log_path, "wb") as log:
      self.process = subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.PIPE,
                                      stderr=log, preexec_fn=_default_sigint)

  def stderr(self) -> str:
    with open(self.log_path, encoding="utf-8", errors="replace") as f:
      return f.read()

  def wait_until(self, ready, what: str, timeout: float = 240.0) -> None:
    """Polls `ready()` until it holds; fails if the process ends first or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while not ready():
      if self.process.poll() is not None:
        raise AssertionError(f"the process ended (exit {self.process.returncode}) before {what}; "
                             f"stderr:\n{self.stderr()}")
      if time.monotonic() > deadline:
        self.process.kill()
        raise AssertionError(f"no {what} after {timeout} s; stderr:\n{self.stderr()}")
      time.sleep(0.05)

  def finish(self, sig=None):
    if sig is not None:
      if self.process.poll() is not None:  # send_signal would do nothing: say so, not "0 != 143"
        raise AssertionError(f"the process ended (exit {self.process.returncode}) before the "
                             f"signal was sent; stderr:\n{self.stderr()}")
      self.process.send_signal(sig)
    stdout, _ = self.process.communicate(timeout=240)
    return self.process.returncode, stdout.decode(errors="replace"), self.stderr()


@pytest.mark.slow
class InterruptedRunTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    self.out = os.path.join(self.get_temp_dir(), "out")
    self.logs = os.path.join(self.get_temp_dir(), "logs")
    self.cache = os.path.join(self.get_temp_dir(), "cache")
    for folder in (self.out, self.logs, self.cache):
      os.makedirs(folder, exist_ok=True)
    self.json = os.path.join(self.out, "out.json")
    self.png = os.path.join(self.out, "out.png")

  def start(self, name, *argv, mode=None):
    launcher = [sys.executable, "-c", LAUNCHER, mode] if mode else [sys.executable, "-m",
                                                                    "hub_repro"]
    return Run(launcher + list(argv), os.path.join(self.logs, f"{name}.log"), self.cache)

  def assertOutputFolder(self, names):
    """Nothing but `names` in the output folder: no half file, no temporary file."""
    self.assertCountEqual(os.listdir(self.out), names)

  def test_interrupted_forward_pass_json_and_png_writes(self):
    text = os.path.join(self.logs, "text.txt")
    with open(text, "w", encoding="utf-8") as f:
      f.writelines(f"sentence number {i} is the first token\n" for i in range(3000))
    outputs = ["--json", self.json, "--plot", self.png]
    check = ["--handle", testutil.GOOGLE_MODULE, "--max-seq-length", "16"]

    # SIGINT during the forward pass: 3000 batches of 1, signalled once the progress bar moves.
    run = self.start("forward", *check, "--text-file", text, "--batch-size", "1", *outputs)
    run.wait_until(lambda: re.search(r"batches: .*\b[1-9]\d*/3000", run.stderr()),
                   "progress bar past its first batch")
    code, stdout, stderr = run.finish(signal.SIGINT)
    self.assertEqual(code, cli.EXIT_SIGINT, msg=stderr)
    self.assertNotIn("Verdict", stdout)
    self.assertIn("interrupted (SIGINT)", stderr)
    self.assertNotIn("Traceback", stderr)
    self.assertOutputFolder([])

    # SIGTERM while the JSON is half written: the previous JSON stays as it was.
    with open(self.json, "w", encoding="utf-8") as f:
      f.write('{"previous": true}\n')
    run = self.start("json", *check, "--json", self.json, mode="json")
    run.wait_until(lambda: HALF_WRITTEN in run.stderr(), "half-written JSON")
    self.assertLen(os.listdir(self.out), 2)  # out.json and the half-written temporary file
    code, _, stderr = run.finish(signal.SIGTERM)
    self.assertEqual(code, cli.EXIT_SIGTERM, msg=stderr)
    self.assertIn("terminated (SIGTERM)", stderr)
    self.assertOutputFolder(["out.json"])
    with open(self.json, encoding="utf-8") as f:
      self.assertEqual(json.load(f), {"previous": True})

    # SIGTERM while the PNG is half written: no PNG at all.
    os.remove(self.json)
    run = self.start("png", *check, "--plot", self.png, mode="png")
    run.wait_until(lambda: HALF_WRITTEN in run.stderr(), "half-written PNG")
    self.assertLen(os.listdir(self.out), 1)  # the half-written temporary file
    code, _, stderr = run.finish(signal.SIGTERM)
    self.assertEqual(code, cli.EXIT_SIGTERM, msg=stderr)
    self.assertOutputFolder([])

    # The next run succeeds and writes both, whole.
    code, stdout, stderr = self.start("next", *check, *outputs).finish()
    self.assertEqual(code, cli.EXIT_REPRODUCED, msg=stderr)
    self.assertOutputFolder(["out.json", "out.png"])
    with open(self.json, encoding="utf-8") as f:
      self.assertTrue(json.load(f)["reproduced"])
    with open(self.png, "rb") as f:
      self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
    self.assertIn(f"wrote {self.json}", stdout)

  def test_sigterm_while_the_embedded_module_is_built(self):
    target = os.path.join(self.cache, embedded.MODULE_NAME)
    staging = lambda: [n for n in os.listdir(self.cache)  # noqa: E731
                       if n.startswith(STAGING_PREFIX)]
    argv = ["--max-seq-length", "16", "--json", self.json]
    run = self.start("build", *argv, mode="build")
    run.wait_until(lambda: BUILD_HELD in run.stderr(), "the build held in its staging folder")
    self.assertLen(staging(), 1)
    self.assertFalse(os.path.exists(target))
    code, stdout, stderr = run.finish(signal.SIGTERM)
    self.assertEqual(code, cli.EXIT_SIGTERM, msg=stderr)
    self.assertIn("building the embedded TF1 Hub module", stderr)
    self.assertNotIn("Verdict", stdout)
    self.assertFalse(os.path.exists(target), "a half-built module was left under its name")
    self.assertEqual(staging(), [], "the staging folder was left behind")
    self.assertOutputFolder([])

    code, stdout, stderr = self.start("rebuild", *argv).finish()
    self.assertEqual(code, cli.EXIT_REPRODUCED, msg=stderr)
    self.assertTrue(embedded.is_complete(target))
    self.assertOutputFolder(["out.json"])
    self.assertIn("Verdict: REPRODUCED", stdout)


if __name__ == "__main__":
  tf.test.main()
