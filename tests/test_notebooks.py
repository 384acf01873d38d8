"""The committed notebooks are current: they carry the outputs of their own code (`make notebooks`
writes them, tests/notebook_tools.py).

Two checks, both of which `make test` runs:
  1. the code cells are those that produced the stored outputs (the sha256 stamp that
     `make notebooks` writes in the notebook's metadata);
  2. each notebook is executed again, top to bottom (cwd notebooks/, a kernel running this
     interpreter), and every cell's text outputs are compared with the stored ones by
     tests/stale_outputs.py: words, verdicts, shapes and integers exactly, numbers to 3 significant
     digits, and numbers at float32 rounding level (below 1e-5) only as "below tolerance", so a
     committed notebook passes on every host. Figures are not compared.
No network: the notebooks use the fixtures and the embedded model (built into HUB_REPRO_CACHE, which
the kernels inherit).
"""

import copy
import os
import re

import nbformat
import pytest
import tensorflow as tf
from absl.testing import parameterized

from hub_repro import embedded
import notebook_tools
import stale_outputs
import testutil  # noqa: F401 (sets HUB_REPRO_CACHE before the kernels copy os.environ)

# Every notebook in notebooks/, as (test name suffix, file name).
NOTEBOOKS = [(os.path.splitext(os.path.basename(path))[0], os.path.basename(path))
             for path in notebook_tools.notebook_paths()]
FIX = "run `make notebooks` and commit the notebooks"


def cell_text(cell) -> str:
  """A code cell's text outputs as a reader sees them: stdout, text/plain results, errors. Not
  stderr: that is the run's log (progress bars with their timings, warnings of the libraries), and
  test_shows_no_warnings keeps warnings out of the committed notebooks."""
  parts = []
  for output in cell.get("outputs", []):
    if output.output_type == "stream" and output.name == "stdout":
      parts.append(output.text)
    elif output.output_type in ("execute_result", "display_data"):
      parts.append(output.get("data", {}).get("text/plain", ""))
    elif output.output_type == "error":
      parts.append(f"{output.ename}: {output.evalue}")
  return "\n".join(parts)


def stale_cells(stored, executed) -> list[str]:
  """Where the executed notebook's text outputs differ from the stored ones ([] if nowhere)."""
  found = []
  pairs = zip((c for c in stored.cells if c.cell_type == "code"),
              (c for c in executed.cells if c.cell_type == "code"))
  for number, (a, b) in enumerate(pairs, start=1):
    found += stale_outputs.differences(cell_text(a), cell_text(b),
                                       where=f"cell {number} ({a.get('id')}) ")
  return found


def executed_copy(notebook, last_cell_id: str | None = None):
  """`notebook` executed again in notebooks/ (up to the cell `last_cell_id`, if given)."""
  fresh = copy.deepcopy(notebook)
  if last_cell_id is not None:
    ids = [cell.get("id") for cell in fresh.cells]
    fresh.cells = fresh.cells[:ids.index(last_cell_id) + 1]
  notebook_tools.execute(fresh, notebook_tools.NOTEBOOKS)
  return fresh


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
  def test_shows_no_warnings(self, filename):
    """A reader sees no library's warning (AutoGraph's, tqdm's "IProgress not found")."""
    notebook = nbformat.read(os.path.join(notebook_tools.NOTEBOOKS, filename), as_version=4)
    for cell in notebook.cells:
      for output in cell.get("outputs", []):
        if output.output_type == "stream":
          self.assertNotRegex(output.text, r"(?i)warning", f"{filename} {cell.get('id')}: {FIX}")

  @parameterized.named_parameters(*NOTEBOOKS)
  def test_uses_the_python_api_only(self, filename):
    import hub_repro
    notebook = nbformat.read(os.path.join(notebook_tools.NOTEBOOKS, filename), as_version=4)
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    public = {*hub_repro.API, *hub_repro.MODULES, "quiet_tensorflow"}
    self.assertIn("import hub_repro\n", code)
    self.assertEqual(set(re.findall(r"\bhub_repro\.(\w+)", code)) - public, set())
    for line in re.findall(r"^\s*from hub_repro[\w.]* import .*$", code, re.M):
      self.fail(f"{filename} imports from hub_repro's internals: {line.strip()}")

  @parameterized.named_parameters(*NOTEBOOKS)
  def test_code_cells_are_those_that_produced_the_outputs(self, filename):
    notebook = nbformat.read(os.path.join(notebook_tools.NOTEBOOKS, filename), as_version=4)
    self.assertEqual(notebook_tools.code_sha256(notebook),
                     notebook_tools.stamped_code_sha256(notebook),
                     f"{filename}: its code cells changed after its outputs were made: {FIX}")

  @parameterized.named_parameters(*NOTEBOOKS)
  @pytest.mark.slow
  def test_executing_again_gives_the_stored_outputs(self, filename):
    stored = nbformat.read(os.path.join(notebook_tools.NOTEBOOKS, filename), as_version=4)
    stale = stale_cells(stored, executed_copy(stored))
    self.assertEmpty(stale, f"{filename} is stale ({FIX}):\n" + "\n".join(stale[:10]))


class StaleNotebookTest(tf.test.TestCase):
  """A copy of a committed notebook whose code is edited without running it again fails both checks."""

  def setUp(self):
    super().setUp()
    embedded.embedded_module(log=lambda _: None)
    path = os.path.join(notebook_tools.NOTEBOOKS, "pooled_vs_cls.ipynb")
    self.notebook = nbformat.read(path, as_version=4)

  @pytest.mark.slow
  def test_an_edit_that_changes_a_printed_number_fails(self):
    cell = _code_cell(self.notebook, "cell-05")  # prints sequence_output's shape, (4, 128, 384)
    self.assertIn("sequence_output (4, 128, 384)", cell_text(cell))
    self.assertEqual(cell.source.count("MAX_SEQ_LENGTH = 128"), 1)
    edited = copy.deepcopy(self.notebook)
    edited_cell = _code_cell(edited, "cell-05")
    edited_cell.source = edited_cell.source.replace("MAX_SEQ_LENGTH = 128", "MAX_SEQ_LENGTH = 64")

    self.assertNotEqual(notebook_tools.code_sha256(edited),
                        notebook_tools.stamped_code_sha256(edited))
    stale = stale_cells(edited, executed_copy(edited, last_cell_id="cell-05"))
    self.assertNotEmpty(stale)
    self.assertIn("(cell-05)", stale[0])
    self.assertIn("128 is now 64", stale[0])

  def test_an_edit_that_changes_no_output_fails_the_code_check(self):
    edited = copy.deepcopy(self.notebook)
    _code_cell(edited, "cell-16").source += "\n# a comment"
    self.assertNotEqual(notebook_tools.code_sha256(edited),
                        notebook_tools.stamped_code_sha256(edited))


class StaleOutputsTest(parameterized.TestCase):
  """What the checker lets through (float32 rounding, as it differs between hosts) and what not."""

  @parameterized.named_parameters(
      ("zero_vs_rounding", "max |diff| 0", "max |diff| 1.49e-08"),
      ("rounding_vs_rounding", "max |diff| 9.54e-07   (padding included: 7.15e-07)",
       "max |diff| 7.15e-07   (padding included: 9.54e-07)"),
      ("rival_rounding", "rival 9.5e-07", "rival 7.2e-07"),
      ("cosine_near_1", "cosine 1.0000000", "cosine 0.99999994"),
      ("digits_after_the_third", "std of K 0.009098196402192116", "std of K 0.0090984"),
      ("numpy_padding", "[-0.0164  0.0072 -0.018 ]", "[-0.0164  0.0072 -0.0180]"),
      ("cache_folder", "path: /root/.cache/hub_repro/m", "path: /tmp/x/m"),
      ("sentence_end", "tolerance 1e-05.", "tolerance 1e-05."),
      ("object_address", "<function f at 0x7f373a68fd80>", "<function f at 0x7f378996fd80>"),
      ("another_clone", "/work/main/.venv/lib/tqdm/auto.py:21: W",
       "/check/work/main/.venv/lib/tqdm/auto.py:21: W"),
  )
  def test_agree(self, stored, fresh):
    self.assertEqual(stale_outputs.differences(stored, fresh), [])

  @parameterized.named_parameters(
      ("verdict", "Verdict: REPRODUCED", "Verdict: NOT REPRODUCED"),
      ("bool", "reproduced: True", "reproduced: False"),
      ("third_digit", "max |diff| 6.03", "max |diff| 6.04"),
      ("small_third_digit", "0.0164", "0.0165"),
      ("crosses_the_rounding_level", "max |diff| 2.98e-08", "max |diff| 2.1e-05"),
      ("exponent", "0.00136", "0.0136"),
      ("shape", "(4, 128, 384)", "(4, 64, 384)"),
      ("heads", "4 heads, gelu", "2 heads, gelu"),
      ("integer_digit", "30522", "30523"),
      ("sign", "cosine -0.039", "cosine 0.039"),
      ("a_line_more", "a\nb", "a\nb\nc"),
      ("another_file", "/work/main/hub_repro/cli.py:21", "/work/main/hub_repro/api.py:21"),
  )
  def test_differ(self, stored, fresh):
    self.assertNotEmpty(stale_outputs.differences(stored, fresh))

  def test_the_difference_names_the_line_and_both_values(self):
    (why,) = stale_outputs.differences("ok\nmax |diff| 6.03", "ok\nmax |diff| 5.1", where="cell 3 ")
    self.assertEqual(why, "cell 3 line 2: 6.03 is now 5.1\n  stored: max |diff| 6.03\n"
                     "  now:    max |diff| 5.1")


if __name__ == "__main__":
  tf.test.main()
