"""Executes the committed notebooks in place (`make notebooks`) and checks that they are not stale.

`python tests/notebook_tools.py [NOTEBOOK ...]` (default: every notebooks/*.ipynb) runs each notebook
top to bottom with nbclient, as a reader would (cwd notebooks/), in a kernel running this interpreter,
and writes it back with its outputs, so that a reader browsing the repository sees the numbers and
the figures without running anything. The written file is deterministic: no execution timing
metadata, and the metadata `hub_repro.code_sha256` records the code cells that produced the outputs.

`make test` checks a committed notebook two ways (tests/test_notebooks.py):
  1. its code cells are those that produced its outputs: code_sha256(notebook) equals the stamp;
  2. re-executing it gives the same text outputs, numbers compared to SIGNIFICANT_DIGITS
     significant digits (nbval with the sanitize file notebooks/nbval_sanitize.cfg).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time

import jupyter_client
from jupyter_client.kernelspec import KernelSpecManager
import nbclient
import nbformat

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = os.path.join(REPO, "notebooks")
# The kernel `make` registers for .venv (ipykernel install --sys-prefix --name hub-repro), named in
# every notebook's metadata, so that any Jupyter (JupyterLab from `make lab`, a system Jupyter)
# starts the notebooks in the venv's Python.
KERNEL_NAME = "hub-repro"
KERNEL_DISPLAY_NAME = "hub_repro (.venv)"
# Seconds per cell; each notebook takes well under a minute in total on 2 cores.
CELL_TIMEOUT_S = 300
STAMP_KEY = "hub_repro"


def notebook_paths() -> list[str]:
  return sorted(os.path.join(NOTEBOOKS, name) for name in os.listdir(NOTEBOOKS)
                if name.endswith(".ipynb"))


def code_sha256(notebook) -> str:
  """sha256 of the code cells' sources, in order: what produced the outputs stored beside them."""
  sources = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
  return hashlib.sha256(json.dumps(sources).encode("utf-8")).hexdigest()


def stamped_code_sha256(notebook) -> str | None:
  return notebook.metadata.get(STAMP_KEY, {}).get("code_sha256")


def kernel_spec_manager(folder: str) -> KernelSpecManager:
  """Kernel specs from `folder` only, where KERNEL_NAME runs this interpreter (sys.executable).

  A user's own spec of that name (in ~/.local/share/jupyter, say) may point at another Python
  without TensorFlow; this one cannot.
  """
  spec_dir = os.path.join(folder, KERNEL_NAME)
  os.makedirs(spec_dir)
  spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
          "display_name": KERNEL_DISPLAY_NAME, "language": "python"}
  with open(os.path.join(spec_dir, "kernel.json"), "w", encoding="utf-8") as f:
    json.dump(spec, f)
  return KernelSpecManager(kernel_dirs=[folder], ensure_native_kernel=False)


def kernel_env() -> dict[str, str]:
  """The environment of a kernel that runs the notebooks as a reader's JupyterLab would.

  Without TF_CPP_MIN_LOG_LEVEL (tests set it): with it, hub_repro.quiet_tensorflow() leaves TensorFlow's
  start-up logs (timestamps, process ids) on stderr, in the outputs.
  """
  env = dict(os.environ)
  env.pop("TF_CPP_MIN_LOG_LEVEL", None)
  return env


def build_embedded_module(env: dict[str, str]) -> None:
  """Builds the embedded module into HUB_REPRO_CACHE first, in its own process, so that no notebook
  prints the one-time build (with its cache path) among its outputs."""
  subprocess.run([sys.executable, "-c", "from hub_repro import embedded; embedded.embedded_module()"],
                 cwd=REPO, env=env, check=True)


def execute(notebook, folder: str = NOTEBOOKS) -> None:
  """Runs `notebook` (a NotebookNode) in place, cwd `folder`; raises CellExecutionError on a failure.

  Leaves it as `make notebooks` commits it: kernelspec KERNEL_NAME, outputs, no timing metadata,
  the code stamp.
  """
  with tempfile.TemporaryDirectory(prefix="hub_repro_kernelspec_") as specs:
    manager = jupyter_client.KernelManager(kernel_name=KERNEL_NAME,
                                           kernel_spec_manager=kernel_spec_manager(specs))
    client = nbclient.NotebookClient(
        notebook, km=manager, timeout=CELL_TIMEOUT_S, allow_errors=False, record_timing=False,
        coalesce_streams=True,  # one stdout output per cell, however the kernel flushed it
        resources={"metadata": {"path": folder}})
    client.execute(env=kernel_env())
  notebook.metadata["kernelspec"] = {"display_name": KERNEL_DISPLAY_NAME, "language": "python",
                                     "name": KERNEL_NAME}
  for cell in notebook.cells:
    cell.metadata.pop("execution", None)
  notebook.metadata[STAMP_KEY] = {"code_sha256": code_sha256(notebook)}


def png_sizes(notebook) -> list[int]:
  """Bytes of every image/png output (base64 decoded)."""
  import base64
  return [len(base64.b64decode(output["data"]["image/png"]))
          for cell in notebook.cells if cell.cell_type == "code"
          for output in cell.get("outputs", []) if "image/png" in output.get("data", {})]


def main(argv: list[str]) -> int:
  paths = [os.path.abspath(p) for p in argv] or notebook_paths()
  build_embedded_module(kernel_env())
  for path in paths:
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    try:
      execute(notebook, os.path.dirname(path))
    except nbclient.exceptions.CellExecutionError as e:
      print(f"{path}: a cell failed, notebook not written:\n{e}", file=sys.stderr)
      return 1
    nbformat.write(notebook, path)
    sizes = png_sizes(notebook)
    print(f"{os.path.relpath(path)}: executed in {time.perf_counter() - start:.1f} s, "
          f"{len(sizes)} figures ({', '.join(f'{s / 1024:.0f} KiB' for s in sizes)}), "
          f"{os.path.getsize(path) / 1024:.0f} KiB on disk")
  return 0


if __name__ == "__main__":
  sys.exit(main(sys.argv[1:]))
