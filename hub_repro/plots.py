"""Figures of a comparison and of a full rebuild. Plotting only: every number comes from a
compare.Result, a full.FullResult, or module outputs passed in.

`comparison_figure(result)`: the per-example max |diff| of pooled_output against
sequence_output[:, 0] (the [CLS] state) and against the rebuilt pooler, on a log scale with the
tolerance line; below it the per-example cosine similarity. Given the module's `pooled_output` and
`sequence_output` of a batch, the lower row shows instead every value of sequence_output[:, 0] and
of the rebuilt pooler against pooled_output (a rebuild that matches sits on the diagonal); their
titles say which batch, how many examples and how many values.

`layer_error_figure(full_result)`: the max |diff| of the whole-encoder rebuild per layer (TF2
modules expose encoder_outputs), and of sequence_output and pooled_output, on a log scale.

`layer_divergence_figure(records, labels)`: for several `diff` records (two copies of a model
each), the max |A - B| of every layer's output on a log scale, one line per comparison, then of the
two models' own sequence_output and pooled_output, with the tolerance line and each comparison's
first divergent layer marked.

Figures are made with matplotlib's object API on an Agg canvas: no pyplot, no GUI backend, so this
works without a display and leaves pyplot's global state alone. In a notebook, after
`%matplotlib inline`, a returned Figure displays as a PNG.
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from hub_repro import files

# A max |diff| of exactly 0 has no place on a log axis; it is drawn at this floor and labelled.
LOG_FLOOR = 1e-10
CLS_COLOR = "tab:red"  # pooled_output vs sequence_output[:, 0]
REBUILT_COLOR = "tab:blue"  # pooled_output vs the rebuilt pooler
TOLERANCE_COLOR = "0.3"
CLS_LABEL = "vs sequence_output[:, 0]  (the [CLS] state)"


def _rebuilt_formula(result) -> str:
  """What the rebuilt side computes, with the pooler's own activation (tanh in BERT, none for an
  identity pooler, gelu where the numbers found gelu), as the report writes it."""
  from hub_repro import report  # report imports TensorFlow; plots does not

  if result.pooler is None:  # pooled_is "cls": the explanation is the [CLS] state itself
    return "sequence_output[:, 0]"
  return report.formula(result.pooler.activation)


def _rebuilt_label(result) -> str:
  return f"vs {_rebuilt_formula(result)}  (rebuilt pooler)"
# Above this many examples the per-example panels drop the connecting lines and shrink the markers.
MANY_EXAMPLES = 50


def _new_figure(width: float, height: float) -> Figure:
  figure = Figure(figsize=(width, height), layout="constrained")
  FigureCanvasAgg(figure)
  return figure


def _on_log_axis(values) -> tuple[np.ndarray, bool]:
  """Values floored at LOG_FLOOR for a log axis, and whether any was floored."""
  values = np.asarray(values, np.float64)
  return np.maximum(values, LOG_FLOOR), bool(np.any(values < LOG_FLOOR))


def _per_example_style(num_examples: int) -> dict:
  if num_examples > MANY_EXAMPLES:
    return {"linestyle": "none", "marker": ".", "markersize": 3}
  return {"linestyle": "-", "linewidth": 1, "marker": "o", "markersize": 5}


def _max_abs_diff_panel(ax, result) -> None:
  n = len(result.pooled_vs_cls.per_example_max_abs_diff)
  x = np.arange(1, n + 1)
  style = _per_example_style(n)
  floored_any = False
  for stats, color, label in ((result.pooled_vs_cls, CLS_COLOR, CLS_LABEL),
                              (result.pooled_vs_rebuilt, REBUILT_COLOR, _rebuilt_label(result))):
    values, floored = _on_log_axis(stats.per_example_max_abs_diff)
    floored_any |= floored
    ax.plot(x, values, color=color, label=f"{label}: max {stats.max_abs_diff:.2g}", **style)
  ax.axhline(result.tolerance, color=TOLERANCE_COLOR, linestyle="--", linewidth=1,
             label=f"tolerance {result.tolerance:g}")
  ax.set_yscale("log")
  ax.set_xlabel("example")
  ax.set_ylabel("max |pooled_output - x| over the hidden units")
  if n <= 20:
    ax.set_xticks(x)
  ax.set_xlim(0.5, n + 0.5)
  if not result.reproduced:
    verdict = "NOT REPRODUCED: the rebuilt pooler misses pooled_output beyond the tolerance"
  elif result.pooled_vs_cls.max_abs_diff > result.tolerance:
    verdict = "REPRODUCED: pooled_output is the pooler applied to the [CLS] state, not the state"
  else:
    verdict = "REPRODUCED (and here the [CLS] state itself is within the tolerance too)"
  ax.set_title(f"{verdict}\n{result.handle}  ({result.format}, H = {result.hidden_size}, "
               f"{result.num_examples} examples)", fontsize=10)
  if floored_any:
    ax.text(0.01, 0.02, f"exact 0 drawn at {LOG_FLOOR:g}", transform=ax.transAxes, fontsize=8,
            color=TOLERANCE_COLOR)
  ax.grid(True, which="major", axis="y", alpha=0.3)
  ax.legend(loc="best", fontsize=8, framealpha=0.9)


def _cosine_panel(ax, result) -> None:
  n = len(result.pooled_vs_cls.per_example_cosine)
  x = np.arange(1, n + 1)
  style = _per_example_style(n)
  ax.plot(x, result.pooled_vs_cls.per_example_cosine, color=CLS_COLOR,
          label=f"{CLS_LABEL}: mean {result.pooled_vs_cls.mean_cosine:.3f}", **style)
  ax.plot(x, result.pooled_vs_rebuilt.per_example_cosine, color=REBUILT_COLOR,
          label=f"{_rebuilt_label(result)}: mean {result.pooled_vs_rebuilt.mean_cosine:.6f}",
          **style)
  ax.axhline(0.0, color=TOLERANCE_COLOR, linewidth=0.5)
  ax.set_ylim(-1.05, 1.05)
  ax.set_xlim(0.5, n + 0.5)
  if n <= 20:
    ax.set_xticks(x)
  ax.set_xlabel("example")
  ax.set_ylabel("cosine similarity with pooled_output")
  ax.set_title("Cosine similarity with pooled_output, per example (1: same direction)",
               fontsize=10)
  ax.grid(True, alpha=0.3)
  ax.legend(loc="best", fontsize=8, framealpha=0.9)


def _values_panel(ax, pooled, other, color, title, ylabel, batch) -> None:
  """Every value of `other` [B, H] against the same entry of pooled_output [B, H], with the
  diagonal y = x; the title's second line says what is drawn: `batch`, B examples, B * H values."""
  low = min(float(pooled.min()), float(other.min()))
  high = max(float(pooled.max()), float(other.max()))
  ax.plot([low, high], [low, high], color=TOLERANCE_COLOR, linestyle="--", linewidth=1,
          label="y = x (equal)", zorder=1)
  ax.scatter(pooled.ravel(), other.ravel(), s=4 if pooled.size > 1000 else 10, alpha=0.5,
             color=color, linewidths=0, zorder=2)
  max_abs = float(np.max(np.abs(pooled.astype(np.float64) - other.astype(np.float64))))
  ax.text(0.03, 0.97, f"max |diff| {max_abs:.2g}", transform=ax.transAxes,
          va="top", fontsize=9, bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "0.8"})
  ax.set_xlabel("pooled_output (module)")
  ax.set_ylabel(ylabel)
  ax.set_title(f"{title}\n{batch}: {pooled.shape[0]} examples, {pooled.size} values "
               f"({pooled.shape[0]} x {pooled.shape[1]})", fontsize=10)
  ax.grid(True, alpha=0.3)
  ax.legend(loc="lower right", fontsize=8)


def _check_outputs(pooled_output, sequence_output) -> tuple[np.ndarray, np.ndarray]:
  if (pooled_output is None) != (sequence_output is None):
    raise ValueError("give both pooled_output and sequence_output (of the same batch), or neither")
  pooled = np.asarray(pooled_output, np.float32)
  sequence = np.asarray(sequence_output, np.float32)
  if (pooled.ndim != 2 or sequence.ndim != 3 or pooled.shape[0] != sequence.shape[0]
      or pooled.shape[1] != sequence.shape[2]):
    raise ValueError(f"expected pooled_output [B, H] and sequence_output [B, S, H] of one batch, "
                     f"got {list(pooled.shape)} and {list(sequence.shape)}")
  return pooled, sequence


def comparison_figure(result, pooled_output=None, sequence_output=None,
                      batch: str = "the first batch") -> Figure:
  """The main figure of a compare.Result.

  Args:
    result: compare.Result of compare.check.
    pooled_output: optional float32 [B, H], the module's pooled_output for one batch.
    sequence_output: optional float32 [B, S, H], the module's sequence_output for the same batch.
    batch: which batch that is, for the scatter panels' titles (the CLI's --plot draws the first
      batch of compare.check, `result.sample_pooled_output`).

  Returns:
    A Figure. Top: per-example max |diff| on a log scale with the tolerance. Bottom: with the
    outputs, two scatters of values against pooled_output (sequence_output[:, 0], then the rebuilt
    pooler `result.pooler(sequence_output)`); without them, the per-example cosine similarity.
  """
  figure = _new_figure(12, 8.5)
  if pooled_output is None and sequence_output is None:
    top, bottom = figure.subplots(2, 1, height_ratios=[3, 2])
    _max_abs_diff_panel(top, result)
    _cosine_panel(bottom, result)
  else:
    pooled, sequence = _check_outputs(pooled_output, sequence_output)
    grid = figure.add_gridspec(2, 2, height_ratios=[1, 1])
    _max_abs_diff_panel(figure.add_subplot(grid[0, :]), result)
    cls = sequence[:, 0]
    rebuilt = np.asarray(result.rebuild(sequence), np.float32)
    _values_panel(figure.add_subplot(grid[1, 0]), pooled, cls, CLS_COLOR,
                  "The [CLS] state against pooled_output, value by value",
                  "sequence_output[:, 0]  (the [CLS] state)", batch)
    _values_panel(figure.add_subplot(grid[1, 1]), pooled, rebuilt, REBUILT_COLOR,
                  "The rebuilt pooler against pooled_output, value by value",
                  _rebuilt_formula(result), batch)
  figure.suptitle("Is BERT's pooled_output the [CLS] hidden state sequence_output[:, 0]?",
                  fontsize=13)
  return figure


def layer_error_figure(full_result) -> Figure:
  """The whole-encoder rebuild of a full.FullResult: max |diff| per output on a log scale.

  Bars: encoder_outputs[i] for each layer the module exposes (TF2 SavedModels), sequence_output on
  real tokens and with padding included, and pooled_output; the dashed line is the tolerance.
  """
  names = [f"encoder_outputs[{i}]" for i in range(len(full_result.layer_max_abs_diff))]
  values = list(full_result.layer_max_abs_diff)
  colors = ["tab:green"] * len(names)
  names += ["sequence_output\n(real tokens)", "sequence_output\n(with padding)", "pooled_output"]
  values += [full_result.sequence_max_abs_diff, full_result.sequence_max_abs_diff_all_positions,
             full_result.pooled_max_abs_diff]
  colors += ["tab:purple", "plum", REBUILT_COLOR]
  floored, floored_any = _on_log_axis(values)

  figure = _new_figure(max(9.0, 1.4 * len(names) + 2.0), 5.5)
  ax = figure.subplots()
  x = np.arange(len(names))
  bars = ax.bar(x, floored, color=colors, width=0.6)
  for bar, value in zip(bars, values):
    ax.annotate(f"{value:.2g}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                xytext=(0, 2), textcoords="offset points", ha="center", va="bottom", fontsize=8)
  ax.axhline(full_result.tolerance, color=TOLERANCE_COLOR, linestyle="--", linewidth=1,
             label=f"tolerance {full_result.tolerance:g}")
  ax.set_yscale("log")
  ax.set_ylim(float(np.min(floored)) / 10, max(full_result.tolerance, float(np.max(floored))) * 10)
  ax.set_xticks(x, names, fontsize=8)
  ax.set_ylabel("max |module - rebuild|")
  if not full_result.layer_max_abs_diff:
    ax.text(0.01, 0.97, "no per-layer bars: this module does not expose encoder_outputs",
            transform=ax.transAxes, va="top", fontsize=8, color=TOLERANCE_COLOR)
  if floored_any:
    ax.text(0.01, 0.02, f"exact 0 drawn at {LOG_FLOOR:g}", transform=ax.transAxes, fontsize=8,
            color=TOLERANCE_COLOR)
  verdict = "REPRODUCED" if full_result.reproduced else "NOT REPRODUCED"
  config = full_result.config
  ax.set_title(f"Whole encoder rebuilt from modeling.py with the module's own variables: "
               f"{verdict}\n{full_result.handle}\n{full_result.naming} naming, "
               f"{config.num_hidden_layers} layers, H = {config.hidden_size}, "
               f"{config.num_attention_heads} heads, {config.hidden_act}", fontsize=10)
  ax.grid(True, which="major", axis="y", alpha=0.3)
  ax.legend(loc="upper right", fontsize=8)
  return figure


def layer_divergence_figure(records: list, labels: list) -> Figure:
  """Where copies of a model part: per-layer max |A - B| of several `diff.diff` records.

  Args:
    records: diff records (hub_repro.model_diff.diff, hub_repro.diff); each gives
      outputs.layers, [{layer, max_abs_diff}],
      outputs.layers_from, outputs.first_divergent_layer, outputs.{sequence,pooled}_output and
      outputs.tolerance.
    labels: one short label per record, for the legend (the verdict is appended).

  Returns:
    A Figure on a log y axis: per record, the max |diff| of each layer's output (a solid line where
    both formats expose their layers, dashed where a side's layers are rebuilt with modeling.py from
    its own weights and config), then, right of the layers, of the two models' own sequence_output
    and pooled_output; the first divergent layer circled; a dashed line at each distinct tolerance.
    Two copies of one function stay below the line; a different function crosses it where they part.
  """
  if len(records) != len(labels):
    raise ValueError(f"{len(records)} records but {len(labels)} labels; give one label per record")
  num_layers = max([len(record["outputs"]["layers"]) for record in records], default=0)
  output_x = [num_layers + 0.5, num_layers + 1.5]  # sequence_output, pooled_output
  figure = _new_figure(10.0, 6.0)
  ax = figure.subplots()
  floored_any, rebuilt_any = False, False
  for index, (record, label) in enumerate(zip(records, labels)):
    outputs = record["outputs"]
    zorder = 2 + len(records) - index  # earlier records on top where lines coincide
    layers = [entry["layer"] for entry in outputs["layers"]]
    values, floored = _on_log_axis([entry["max_abs_diff"] for entry in outputs["layers"]])
    ends, ends_floored = _on_log_axis([outputs["sequence_output"]["max_abs_diff"],
                                       outputs["pooled_output"]["max_abs_diff"]])
    floored_any |= floored or ends_floored
    rebuilt = any("rebuilt" in how for how in outputs.get("layers_from", {}).values())
    rebuilt_any |= rebuilt
    verdict = "SAME" if record["same"] else "DIFFERENT"
    (line,) = ax.plot(layers, values, marker="o", markersize=5, linewidth=1.5, zorder=zorder,
                      linestyle="--" if rebuilt else "-", label=f"{label}: {verdict}")
    ax.plot(output_x, ends, marker="s", markersize=6, linestyle="none", color=line.get_color(),
            zorder=zorder)
    first = outputs["first_divergent_layer"]
    if first is not None:
      y = values[layers.index(first)]
      ax.plot([first], [y], marker="o", markersize=13, markerfacecolor="none",
              markeredgecolor=line.get_color(), linestyle="none")
      ax.annotate(f"parts at layer {first}", (first, y), xytext=(8, -14),
                  textcoords="offset points", fontsize=8, color=line.get_color())
  for tolerance in sorted({record["outputs"]["tolerance"] for record in records}):
    ax.axhline(tolerance, color=TOLERANCE_COLOR, linestyle="--", linewidth=1,
               label=f"tolerance {tolerance:g}")
  ax.axvline(num_layers - 0.25, color="0.8", linewidth=1)
  ax.set_yscale("log")
  ax.set_xticks(list(range(num_layers)) + output_x,
                [str(i) for i in range(num_layers)] + ["sequence_output", "pooled_output"])
  ax.set_xlabel("layer (encoder output)  |  the models' own outputs")
  ax.set_ylabel("max |A - B| over real tokens")
  notes = []
  if rebuilt_any:
    notes.append("dashed: a side's layers rebuilt with modeling.py from its own weights and config "
                 "(its format exposes no per-layer outputs)")
  if floored_any:
    notes.append(f"exact 0 drawn at {LOG_FLOOR:g}")
    ax.set_ylim(bottom=LOG_FLOOR / 100)  # room for the notes below the floor
  if notes:
    ax.text(0.01, 0.02, "\n".join(notes), transform=ax.transAxes, fontsize=8,
            color=TOLERANCE_COLOR)
  ax.set_title("Where two copies of a model part: each layer's output, A against B", fontsize=11)
  ax.grid(True, which="major", axis="y", alpha=0.3)
  ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=8, frameon=False)
  return figure


def save_figure(figure: Figure, path: str) -> None:
  """Writes `figure` as a PNG atomically (files.atomic_file): never half a file."""
  with files.atomic_file(path, "wb") as f:
    figure.savefig(f, format="png", dpi=100)


def save_comparison_plot(result, path: str, pooled_output=None, sequence_output=None,
                         batch: str = "the first batch") -> None:
  """comparison_figure(result, ...) written to `path` as a PNG, atomically (the CLI's --plot)."""
  save_figure(comparison_figure(result, pooled_output, sequence_output, batch), path)
