"""Executes each notebook in notebooks/ top to bottom, as a reader would (cwd notebooks/), in a
kernel running this interpreter; fails on the first cell that raises. No network: the notebooks use
the fixtures and the embedded model (built into HUB_REPRO_CACHE, which the kernel inherits)."""

import json
import os
import sys
import tempfile

import tensorflow as tf
from absl.testing import parameterized
import jupyter_client
from jupyter_client.kernelspec import KernelSpecManager
import nbclient
import nbformat

import testutil  # noqa: F401 (sets HUB_REPRO_CACHE before the kernel copies os.environ)

NOTEBOOKS = os.path.join(os.path.dirname(testutil.TESTS), "notebooks")
KERNEL_NAME = "python3"
# Seconds per cell; each notebook takes well under a minute in total on 2 cores.
CELL_TIMEOUT_S = 300


def _kernel_spec_manager(folder: str) -> KernelSpecManager:
  """Kernel specs from `folder` only, where "python3" runs this interpreter (sys.executable).

  A user's own "python3" spec (in ~/.local/share/jupyter, say) may point at another Python without
  TensorFlow; this one cannot.
  """
  spec_dir = os.path.join(folder, KERNEL_NAME)
  os.makedirs(spec_dir)
  spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
          "display_name": f"Python 3 ({sys.executable})", "language": "python"}
  with open(os.path.join(spec_dir, "kernel.json"), "w", encoding="utf-8") as f:
    json.dump(spec, f)
  return KernelSpecManager(kernel_dirs=[folder], ensure_native_kernel=False)


def _png_outputs(notebook) -> int:
  return sum(1 for cell in notebook.cells if cell.cell_type == "code"
             for output in cell.get("outputs", [])
             if "image/png" in output.get("data", {}))


class NotebooksTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.named_parameters(
      ("pooled_vs_cls", "pooled_vs_cls.ipynb"),
      ("inside_the_module", "inside_the_module.ipynb"),
  )
  def test_runs_top_to_bottom(self, filename):
    path = os.path.join(NOTEBOOKS, filename)
    notebook = nbformat.read(path, as_version=4)
    self.assertEqual(notebook.metadata.kernelspec.name, KERNEL_NAME)
    specs = _kernel_spec_manager(tempfile.mkdtemp(prefix="kernelspec_", dir=self.get_temp_dir()))
    manager = jupyter_client.KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=specs)
    self.assertEqual(manager.kernel_spec.argv[0], sys.executable)
    client = nbclient.NotebookClient(
        notebook, km=manager, timeout=CELL_TIMEOUT_S, allow_errors=False,
        resources={"metadata": {"path": NOTEBOOKS}})
    try:
      client.execute()
    except nbclient.exceptions.CellExecutionError as e:
      self.fail(f"{filename}: a cell failed:\n{e}")
    self.assertGreaterEqual(_png_outputs(notebook), 1,
                            f"{filename} displayed no image/png output (no figure?)")


if __name__ == "__main__":
  tf.test.main()
