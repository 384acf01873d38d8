"""The committed notebooks are current: they carry the outputs of their own code (`make notebooks`
writes them, tests/notebook_tools.py).

Two checks, both of which `make test` runs:
  1. the code cells are those that produced the stored outputs (the sha256 stamp that
     `make notebooks` writes in the notebook's metadata);
  2. nbval executes each notebook again, top to bottom (cwd notebooks/, a kernel running this
     interpreter) and compares every cell's text outputs with the stored ones, numbers to their first
     3 significant digits (tests/nbval_sanitize.cfg); figures are not compared.
No network: the notebooks use the fixtures and the embedded model (built into HUB_REPRO_CACHE, which
the kernels inherit).
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

import nbformat
from nbval.plugin import get_sanitize_patterns
import tensorflow as tf
from absl.testing import parameterized

from hub_repro import embedded
import notebook_tools
import testutil  # noqa: F401 (sets HUB_REPRO_CACHE before the kernels copy os.environ)

SANITIZE = os.path.join(testutil.TESTS, "nbval_sanitize.cfg")
# Every notebook in notebooks/, as (test name suffix, file name).
NOTEBOOKS = [(os.path.splitext(os.path.basename(path))[0], os.path.basename(path))
             for path in notebook_tools.notebook_paths()]
FIX = "run `make notebooks` and commit the notebooks"


def _nbval(path: str, *args: str) -> subprocess.CompletedProcess:
  """`pytest --nbval` on one notebook in its own process, without the repository's pytest config."""
  command = [sys.executable, "-m", "pytest", "-c", os.devnull, "--rootdir", os.path.dirname(path),
             "-p", "no:cacheprovider", "-vv", "--color=no", "--nbval", "--nbval-current-env",
             "--nbval-sanitize-with", SANITIZE, *args, path]
  return subprocess.run(command, env=notebook_tools.kernel_env(), capture_output=True, text=True,
                        timeout=notebook_tools.CELL_TIMEOUT_S * 4, check=False)


def _sanitize(text: str) -> str:
  """What nbval does to every text output with --nbval-sanitize-with SANITIZE."""
  with open(SANITIZE, encoding="utf-8") as f:
    for regex, replace in get_sanitize_patterns(f.read()):
      text = re.sub(regex, replace, text)
  return text


def _code_cell(notebook, cell_id: str):
  (cell,) = [cell for cell in notebook.cells if cell.get("id") == cell_id]
  return cell


class CommittedNotebooksTest(tf.test.TestCase, parameterized.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    # Built here once, so that no notebook prints the one-time build among its outputs.
    embedded.embedded_module(log=lambda _: None)

  @parameterized.named_parameters(*NOTEBOOKS)
  def test_shows_its_outputs_and_a_figure(self, filename):
    notebook = nbformat.read(os.path.join(notebook_tools.NOTEBOOKS, filename), as_version=4)
    self.assertEqual(notebook.metadata.kernelspec.name, notebook_tools.KERNEL_NAME)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    self.assertEqual([cell.execution_count for cell in code], list(range(1, len(code) + 1)),
                     f"{filename} was not executed top to bottom: {FIX}")
    self.assertGreaterEqual(len(notebook_tools.png_sizes(notebook)), 1, f"{filename}: no figure")
    for cell in code:
      self.assertNotIn("execution", cell.metadata, f"{filename}: timing metadata: {FIX}")

  @parameterized.named_parameters(*NOTEBOOKS)
  def test_code_cells_are_those_that_produced_the_outputs(self, filename):
    notebook = nbformat.read(os.path.join(notebook_tools.NOTEBOOKS, filename), as_version=4)
    self.assertEqual(notebook_tools.code_sha256(notebook),
                     notebook_tools.stamped_code_sha256(notebook),
                     f"{filename}: its code cells changed after its outputs were made: {FIX}")

  @parameterized.named_parameters(*NOTEBOOKS)
  def test_executing_again_gives_the_stored_outputs(self, filename):
    run = _nbval(os.path.join(notebook_tools.NOTEBOOKS, filename))
    self.assertEqual(run.returncode, 0,
                     f"{filename} is stale or fails ({FIX}); nbval says:\n{run.stdout[-6000:]}"
                     f"\n{run.stderr[-2000:]}")


class StaleNotebookTest(tf.test.TestCase):
  """A copy of a committed notebook whose code is edited without running it again fails both checks."""

  def setUp(self):
    super().setUp()
    embedded.embedded_module(log=lambda _: None)
    # The copy runs anywhere: hub_repro is installed in .venv (pip install -e . by `make`).
    folder = tempfile.mkdtemp(prefix="stale_notebook_", dir=self.get_temp_dir())
    self.path = os.path.join(folder, "pooled_vs_cls.ipynb")
    shutil.copyfile(os.path.join(notebook_tools.NOTEBOOKS, "pooled_vs_cls.ipynb"), self.path)

  def test_an_edit_that_changes_a_printed_number_fails(self):
    notebook = nbformat.read(self.path, as_version=4)
    cell = _code_cell(notebook, "cell-05")  # prints sequence_output's shape, (4, 128, 384)
    self.assertIn("sequence_output (4, 128, 384)", "".join(o.get("text", "") for o in cell.outputs))
    self.assertEqual(cell.source.count("MAX_SEQ_LENGTH = 128"), 1)
    cell.source = cell.source.replace("MAX_SEQ_LENGTH = 128", "MAX_SEQ_LENGTH = 64")
    nbformat.write(notebook, self.path)

    self.assertNotEqual(notebook_tools.code_sha256(notebook),
                        notebook_tools.stamped_code_sha256(notebook))
    # -x: nbval stops at the first cell whose outputs differ, this one.
    run = _nbval(self.path, "-x")
    self.assertEqual(run.returncode, 1, run.stdout[-6000:])
    self.assertIn("1 failed", run.stdout)
    self.assertIn("pooled_vs_cls.ipynb::Cell 2", run.stdout)
    self.assertIn("(4, 64, 384)", run.stdout)

  def test_an_edit_that_changes_no_output_fails_the_code_check(self):
    notebook = nbformat.read(self.path, as_version=4)
    cell = _code_cell(notebook, "cell-16")
    cell.source += "\n# a comment"
    self.assertNotEqual(notebook_tools.code_sha256(notebook),
                        notebook_tools.stamped_code_sha256(notebook))


class SanitizeTest(parameterized.TestCase):
  """Numbers are compared to their first 3 significant digits."""

  @parameterized.named_parameters(
      ("digits_after_the_third", "std of K 0.009098196402192116", "std of K 0.00909"),
      ("scientific", "max |diff| 1.49011612e-08", "max |diff| 1.49e-08"),
      ("between_1_and_10", "cosine 1.0000000", "cosine 1.00"),
      ("tens", "12.3456", "12.3"),
      ("hundreds", "123.456", "123.4"),
      ("numpy_padding", "[-0.0164  0.0072 -0.018 ]", "[-0.0164 0.0072 -0.018 ]"),
      ("cache_folder", "path: /root/.cache/hub_repro/m", "path: /tmp/x/m"),
  )
  def test_equal(self, stored, executed):
    self.assertEqual(_sanitize(stored), _sanitize(executed))

  @parameterized.named_parameters(
      ("third_digit", "max |diff| 6.03", "max |diff| 6.04"),
      ("small_third_digit", "0.0164", "0.0165"),
      ("exponent", "1.49e-08", "1.49e-07"),
      ("integer", "(4, 128, 384)", "(4, 64, 384)"),
      ("integer_digit", "30522", "30523"),
      ("sign", "cosine -0.039", "cosine 0.039"),
      ("word", "reproduced: True", "reproduced: False"),
  )
  def test_different(self, stored, executed):
    self.assertNotEqual(_sanitize(stored), _sanitize(executed))


if __name__ == "__main__":
  tf.test.main()
