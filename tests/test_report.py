"""Tests of hub_repro.report's layout, on results made by hand (no module is run)."""

import tensorflow as tf

from hub_repro import compare, full, report, tolerances
import testutil


def _full_result(num_layers: int, exposes_layers: bool = True) -> full.FullResult:
  """A --full result of a BERT-like module: one encoder_outputs row per layer if it exposes them
  (TF2 SavedModels), none otherwise (TF1 Hub modules)."""
  return full.FullResult(
      handle="/m", naming="Model Garden", config=testutil.tiny_config(num_hidden_layers=num_layers),
      how_config="4 heads, gelu: the module's config", variant_errors={},
      sequence_max_abs_diff=9.54e-07, sequence_max_abs_diff_all_positions=1.19e-06,
      pooled_max_abs_diff=4.47e-08,
      layer_max_abs_diff=[1e-7 * (i + 1) for i in range(num_layers)] if exposes_layers else [])


class RenderFullTest(tf.test.TestCase):

  def test_max_diff_column_lines_up_on_every_row_of_12_layers(self):
    lines = report.render_full(_full_result(12)).splitlines()
    rows = [line for line in lines if "max |diff|" in line]
    self.assertLen(rows, 12 + 2)  # encoder_outputs[0..11], sequence_output, pooled_output
    self.assertIn("encoder_outputs[10]", rows[11])
    self.assertIn("encoder_outputs[11]", rows[12])
    columns = {row.index("max |diff|") for row in rows}
    self.assertLen(columns, 1, "\n".join(rows))
    self.assertEqual(rows[12].split("max |diff|")[1].strip(), "1.2e-06")

  def test_rows_without_encoder_outputs(self):
    rows = [line for line in report.render_full(_full_result(12, exposes_layers=False)).splitlines()
            if "max |diff|" in line]
    self.assertEqual([row.split()[0] for row in rows], ["sequence_output", "pooled_output"])
    self.assertLen({row.index("max |diff|") for row in rows}, 1)


def _check_result(cls_diffs, rebuilt_diffs, hypothesis) -> compare.Result:
  """A compare.Result made by hand: per-example max |diff| against the [CLS] state and against
  the explanation the first batch chose."""
  stats = lambda diffs: compare.Stats(list(diffs), [1.0] * len(diffs))  # noqa: E731
  return compare.Result(
      handle="/m", format="tf2-savedmodel", path="/m", hidden_size=32, max_seq_length=16,
      num_examples=len(cls_diffs), num_truncated=0, pooler=None, pooled_vs_cls=stats(cls_diffs),
      pooled_vs_rebuilt=stats(rebuilt_diffs), tolerance=tolerances.POOLER_TOLERANCE,
      hypothesis=hypothesis, named_pooler=False)


class RenderVerdictTest(tf.test.TestCase):

  def test_an_explanation_a_later_example_refutes_is_not_reproduced(self):
    """The first batch chose "cls"; a later example is off by 0.5: exit 1, not exit 0 or 3."""
    result = _check_result([0.0, 0.5], [0.0, 0.5], "cls")
    self.assertEqual((result.pooled_is, result.verdict), ("unexplained", "NOT REPRODUCED"))
    text = " ".join(report.render(result).split())
    self.assertIn("Verdict: NOT REPRODUCED (max |diff| 0.5 > tolerance 1e-05)", text)
    self.assertIn("equals sequence_output[:, 0] on the first batch but not on every example",
                  text)

  def test_every_paragraph_is_wrapped(self):
    result = _check_result([0.0, 0.0], [0.0, 0.0], "cls")
    lines = report.render(result).splitlines()
    self.assertIn("Verdict: REPRODUCED (max |diff| 0 <= tolerance 1e-05).", lines)
    self.assertTrue(all(len(line) <= report.PARAGRAPH_WIDTH for line in lines), lines)


if __name__ == "__main__":
  tf.test.main()
