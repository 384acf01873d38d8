"""Tests of hub_repro.plots on real comparisons of the fixtures (no network): the PNG the CLI's
--plot writes, and the axes, scales and reference lines of each figure."""

import dataclasses
import os
import shutil
import tempfile

import numpy as np
import tensorflow as tf
from matplotlib import image as mpl_image

from hub_repro import compare, full, model_diff, module, plots, weights
from hub_repro.export_tf1 import export_tf1_hub
from hub_repro.tokenization import Tokenizer
import testutil

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SEQ_LENGTH = 16  # the fixtures have 64 position embeddings; short keeps the tests fast


def _quiet(_):
  pass


def _tolerance_lines(ax, tolerance):
  """The horizontal lines of `ax` drawn at y = tolerance."""
  return [line for line in ax.get_lines()
          if len(set(line.get_ydata())) == 1 and line.get_ydata()[0] == tolerance]


class PlotsTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.google = module.load(testutil.GOOGLE_MODULE, log=_quiet)
    cls.result = compare.check(cls.google, testutil.SENTENCES, SEQ_LENGTH)
    sentences = [s for s in testutil.SENTENCES if isinstance(s, str)]
    packed = Tokenizer(cls.google.vocab_file, cls.google.do_lower_case).encode(sentences,
                                                                                SEQ_LENGTH)
    cls.outputs = cls.google(packed.input_ids, packed.input_mask, packed.segment_ids)
    cls.batch_size = len(sentences)

  def test_save_comparison_plot_writes_a_png(self):
    path = os.path.join(self.get_temp_dir(), "comparison.png")
    plots.save_comparison_plot(self.result, path)
    with open(path, "rb") as f:
      self.assertEqual(f.read(len(PNG_SIGNATURE)), PNG_SIGNATURE)
    self.assertGreater(os.path.getsize(path), 10_000)
    pixels = mpl_image.imread(path)  # decodes the whole file: a truncated PNG fails here
    self.assertEqual(pixels.ndim, 3)
    self.assertGreater(pixels.shape[0], 400)
    self.assertGreater(pixels.shape[1], 400)
    self.assertEqual(os.listdir(os.path.dirname(path)), ["comparison.png"])  # no temp file left

  def test_save_comparison_plot_replaces_an_existing_file(self):
    path = os.path.join(self.get_temp_dir(), "replaced.png")
    with open(path, "wb") as f:
      f.write(b"old")
    plots.save_comparison_plot(self.result, path, self.outputs["pooled_output"],
                               self.outputs["sequence_output"])
    with open(path, "rb") as f:
      self.assertEqual(f.read(len(PNG_SIGNATURE)), PNG_SIGNATURE)

  def test_save_into_a_missing_folder_creates_it(self):
    path = os.path.join(self.get_temp_dir(), "no_such_folder", "deeper", "x.png")
    plots.save_comparison_plot(self.result, path)
    with open(path, "rb") as f:
      self.assertEqual(f.read(len(PNG_SIGNATURE)), PNG_SIGNATURE)
    self.assertEqual(os.listdir(os.path.dirname(path)), ["x.png"])

  def test_comparison_figure_from_result_alone(self):
    figure = plots.comparison_figure(self.result)
    top, bottom = figure.axes
    self.assertEqual(top.get_yscale(), "log")
    self.assertEqual(bottom.get_yscale(), "linear")
    self.assertLen(_tolerance_lines(top, self.result.tolerance), 1)
    labels = [t.get_text() for t in top.get_legend().get_texts()]
    self.assertTrue(any("sequence_output[:, 0]" in label for label in labels), labels)
    self.assertTrue(any("rebuilt pooler" in label for label in labels), labels)
    self.assertTrue(any("tolerance" in label for label in labels), labels)
    self.assertIn("REPRODUCED", top.get_title())
    # One point per example in each comparison, on both panels.
    for ax in (top, bottom):
      data_lines = [line for line in ax.get_lines() if line.get_marker() not in (None, "None")]
      self.assertLen(data_lines, 2)
      for line in data_lines:
        self.assertLen(line.get_xdata(), len(testutil.SENTENCES))

  def test_the_rebuilt_line_names_the_poolers_own_activation(self):
    legend = lambda result: [t.get_text() for t in  # noqa: E731
                             plots.comparison_figure(result).axes[0].get_legend().get_texts()]
    self.assertTrue(any(label.startswith("vs tanh(sequence_output[:, 0] @ K + b)")
                        for label in legend(self.result)), legend(self.result))
    for activation, expected in (("gelu", "vs gelu(sequence_output[:, 0] @ K + b)"),
                                 ("none", "vs sequence_output[:, 0] @ K + b  (rebuilt")):
      result = dataclasses.replace(
          self.result, pooler=dataclasses.replace(self.result.pooler, activation=activation))
      labels = legend(result)
      self.assertTrue(any(label.startswith(expected) for label in labels), labels)
      self.assertFalse(any("tanh" in label for label in labels), labels)

  def test_comparison_figure_with_outputs_has_the_value_scatters(self):
    figure = plots.comparison_figure(self.result, self.outputs["pooled_output"],
                                     self.outputs["sequence_output"])
    top, cls_panel, rebuilt_panel = figure.axes
    self.assertEqual(top.get_yscale(), "log")
    hidden_size = self.result.hidden_size
    for panel in (cls_panel, rebuilt_panel):
      (points,) = panel.collections
      self.assertEqual(points.get_offsets().shape, (self.batch_size * hidden_size, 2))
      self.assertIn("pooled_output", panel.get_xlabel())
      # The title says what the scatter shows.
      self.assertIn(f"the first batch: {self.batch_size} examples, "
                    f"{self.batch_size * hidden_size} values", panel.get_title())
    self.assertIn("[CLS]", cls_panel.get_ylabel())
    # The rebuilt pooler's points sit on the diagonal (float32 rounding, see tolerances.POOLER_TOLERANCE).
    offsets = rebuilt_panel.collections[0].get_offsets()
    self.assertAllClose(offsets[:, 0], offsets[:, 1], atol=self.result.tolerance, rtol=0)
    offsets = cls_panel.collections[0].get_offsets()
    self.assertGreater(np.max(np.abs(offsets[:, 0] - offsets[:, 1])), 0.1)

  def test_comparison_figure_names_the_batch_it_was_given(self):
    figure = plots.comparison_figure(self.result, self.outputs["pooled_output"],
                                     self.outputs["sequence_output"], batch="the batch of section 2")
    for panel in figure.axes[1:]:
      self.assertIn(f"the batch of section 2: {self.batch_size} examples", panel.get_title())

  def test_comparison_figure_wants_both_outputs(self):
    with self.assertRaisesRegex(ValueError, "both pooled_output and sequence_output"):
      plots.comparison_figure(self.result, pooled_output=self.outputs["pooled_output"])
    with self.assertRaisesRegex(ValueError, r"expected pooled_output \[B, H\]"):
      plots.comparison_figure(self.result, self.outputs["sequence_output"],
                              self.outputs["pooled_output"])

  def test_layer_error_figure_of_a_tf2_module(self):
    encoder = module.load(os.path.join(testutil.MODEL_GARDEN, "encoder"), log=_quiet)
    full_result = full.reproduce_full(encoder, testutil.SENTENCES, SEQ_LENGTH)
    num_layers = full_result.config.num_hidden_layers
    self.assertLen(full_result.layer_max_abs_diff, num_layers)
    figure = plots.layer_error_figure(full_result)
    (ax,) = figure.axes
    self.assertEqual(ax.get_yscale(), "log")
    self.assertLen(ax.patches, num_layers + 3)  # layers, sequence (real, padded), pooled
    self.assertLen(_tolerance_lines(ax, full_result.tolerance), 1)
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    self.assertEqual(ticks[0], "encoder_outputs[0]")
    self.assertIn("pooled_output", ticks[-1])
    heights = [bar.get_height() for bar in ax.patches]
    self.assertAllClose(heights[:num_layers], full_result.layer_max_abs_diff, rtol=1e-12, atol=0)
    path = os.path.join(self.get_temp_dir(), "layers.png")
    plots.save_figure(figure, path)
    self.assertGreater(os.path.getsize(path), 0)

  def test_layer_error_figure_draws_an_exact_zero_at_the_floor(self):
    encoder = module.load(os.path.join(testutil.MODEL_GARDEN, "encoder"), log=_quiet)
    full_result = full.reproduce_full(encoder, testutil.SENTENCES[:2], SEQ_LENGTH)
    exact = dataclasses.replace(full_result, pooled_max_abs_diff=0.0, layer_max_abs_diff=[])
    (ax,) = plots.layer_error_figure(exact).axes
    self.assertLen(ax.patches, 3)
    self.assertEqual(ax.patches[-1].get_height(), plots.LOG_FLOOR)
    self.assertEqual(ax.get_yscale(), "log")


class LayerDivergenceFigureTest(tf.test.TestCase):
  """layer_divergence_figure on two real diff records: the Google module against the checkpoint it
  came from (the same function), and against an export of that checkpoint with 2 heads instead of 4
  (the tensorflow/hub#661 kind of bug: identical weights, outputs part at layer 0)."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    checkpoint = weights.read_google_checkpoint(testutil.GOOGLE_CHECKPOINT)
    two_heads = dataclasses.replace(
        checkpoint, config=dataclasses.replace(checkpoint.config, num_attention_heads=2))
    cls.root = tempfile.mkdtemp(prefix="hub_repro_plots_")
    wrong = export_tf1_hub(two_heads, os.path.join(cls.root, "two_heads"))
    cls.same = model_diff.diff(testutil.GOOGLE_MODULE, testutil.GOOGLE_CHECKPOINT, testutil.SENTENCES,
                         SEQ_LENGTH, log=_quiet, layers=True)  # a SAME pair's layers, asked for
    cls.different = model_diff.diff(testutil.GOOGLE_MODULE, wrong, testutil.SENTENCES, SEQ_LENGTH,
                              log=_quiet)

  @classmethod
  def tearDownClass(cls):
    shutil.rmtree(cls.root, ignore_errors=True)
    super().tearDownClass()

  def test_one_line_per_comparison_and_the_tolerance(self):
    self.assertTrue(self.same["same"])
    self.assertFalse(self.different["same"])
    figure = plots.layer_divergence_figure([self.same, self.different], ["checkpoint", "2 heads"])
    (ax,) = figure.axes
    self.assertEqual(ax.get_yscale(), "log")
    tolerance = self.same["outputs"]["tolerance"]
    self.assertLen(_tolerance_lines(ax, tolerance), 1)
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    self.assertEqual(legend, ["checkpoint: SAME", "2 heads: DIFFERENT", f"tolerance {tolerance:g}"])
    lines = {line.get_label(): line for line in ax.get_lines()}
    for label, record in (("checkpoint: SAME", self.same), ("2 heads: DIFFERENT", self.different)):
      layers = record["outputs"]["layers"]
      self.assertLen(layers, 2)
      self.assertEqual(list(lines[label].get_xdata()), [0, 1])
      self.assertAllClose(lines[label].get_ydata(),
                          np.maximum([entry["max_abs_diff"] for entry in layers], plots.LOG_FLOOR),
                          rtol=1e-12, atol=0)
      # A TF1 module exposes no per-layer outputs: its side's layers are rebuilt, drawn dashed.
      self.assertEqual(lines[label].get_linestyle(), "--")
    self.assertIn("dashed: a side's layers rebuilt", "".join(text.get_text() for text in ax.texts))
    # Right of the layers: both models' own sequence_output and pooled_output, squares.
    ticks = [tick.get_text() for tick in ax.get_xticklabels()]
    self.assertEqual(ticks, ["0", "1", "sequence_output", "pooled_output"])
    (ends,) = [line for line in ax.get_lines() if line.get_marker() == "s"
               and line.get_color() == lines["2 heads: DIFFERENT"].get_color()]
    self.assertAllClose(ends.get_ydata(),
                        [self.different["outputs"]["sequence_output"]["max_abs_diff"],
                         self.different["outputs"]["pooled_output"]["max_abs_diff"]],
                        rtol=1e-12, atol=0)
    # The same function stays below the line everywhere; the wrong head count is above it from
    # layer 0 on, which the figure circles and labels.
    self.assertLess(max(lines["checkpoint: SAME"].get_ydata()), tolerance)
    self.assertGreater(min(lines["2 heads: DIFFERENT"].get_ydata()), tolerance)
    (circle,) = [line for line in ax.get_lines() if line.get_markersize() == 13]
    self.assertEqual(list(circle.get_xdata()), [0])
    self.assertIn("parts at layer 0", [text.get_text() for text in ax.texts])
    path = os.path.join(self.get_temp_dir(), "divergence.png")
    plots.save_figure(figure, path)
    self.assertGreater(os.path.getsize(path), 10_000)

  def test_an_exact_zero_is_drawn_at_the_floor(self):
    exact = dict(self.same, outputs=dict(self.same["outputs"], layers=[
        {"layer": 0, "max_abs_diff": 0.0}, {"layer": 1, "max_abs_diff": 1e-7}]))
    (ax,) = plots.layer_divergence_figure([exact], ["bit-exact"]).axes
    self.assertEqual(list(ax.get_lines()[0].get_ydata()), [plots.LOG_FLOOR, 1e-7])
    self.assertIn(f"exact 0 drawn at {plots.LOG_FLOOR:g}", "".join(text.get_text()
                                                                   for text in ax.texts))

  def test_one_label_per_record(self):
    with self.assertRaisesRegex(ValueError, "2 records but 1 labels"):
      plots.layer_divergence_figure([self.same, self.different], ["checkpoint"])

if __name__ == "__main__":
  tf.test.main()
