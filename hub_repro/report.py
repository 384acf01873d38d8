"""The human report and the JSON record of a comparison."""

from __future__ import annotations

import json
import os
import tempfile

from hub_repro.compare import Result


def render(result: Result) -> str:
  """A short report a newcomer can read: what was compared, the two numbers, the verdict."""
  cls, rebuilt = result.pooled_vs_cls, result.pooled_vs_rebuilt
  lines = [
      "Is BERT's pooled_output the hidden state of [CLS], sequence_output[:, 0]?",
      "",
      f"  model    {result.handle}  ({result.format}, hidden size {result.hidden_size})",
      f"           computed by {result.framework}",
      f"  inputs   {result.num_examples} examples, max_seq_length {result.max_seq_length}, "
      f"{result.num_truncated} truncated",
      f"  pooler   {result.pooler.kernel_name}, {result.pooler.bias_name}",
      f"           found {result.pooler.found_by}",
      "",
      f"  {'pooled_output compared with':<44}{'max |diff|':>12}{'mean cosine':>14}",
      f"  {'sequence_output[:, 0]   (the [CLS] state)':<44}{cls.max_abs_diff:>12.3g}"
      f"{cls.mean_cosine:>14.6f}",
      f"  {'tanh(sequence_output[:, 0] @ K + b)':<44}{rebuilt.max_abs_diff:>12.3g}"
      f"{rebuilt.mean_cosine:>14.6f}",
      "     (modeling.py pooler, module weights)",
      "",
  ]
  if result.reproduced:
    lines += [
        f"Verdict: REPRODUCED (max |diff| {rebuilt.max_abs_diff:.3g} <= tolerance "
        f"{result.tolerance:g}).",
        "pooled_output is not the [CLS] hidden state. It is one more layer on top of it, the",
        "pooler of google-research/bert modeling.py: pooled_output = tanh(dense(sequence_output[:, 0]))",
        "with the module's own pooler weights (in BERT, trained for next-sentence prediction).",
        "Feed pooled_output to a classifier you fine-tune; take sequence_output[:, 0] when you",
        "need the [CLS] hidden state itself.",
    ]
  else:
    lines += [
        f"Verdict: NOT REPRODUCED (max |diff| {rebuilt.max_abs_diff:.3g} > tolerance "
        f"{result.tolerance:g}).",
        "This module's pooled_output is not tanh(dense(sequence_output[:, 0])) with the weights",
        f"found ({result.pooler.kernel_name}); it is computed some other way.",
    ]
  return "\n".join(lines)


# Width of the output-name column of render_full, so that "max |diff|" lines up on every row
# (encoder_outputs[10] and up included).
FULL_NAME_WIDTH = 32


def render_full(full) -> str:
  """The --full section: every output of the module against the whole encoder rebuilt."""

  def row(name: str, diff: float) -> str:
    return f"  {name:<{FULL_NAME_WIDTH}}max |diff| {diff:.3g}"

  lines = [
      "The whole encoder, rebuilt from modeling.py with the module's own variables "
      f"({full.naming} naming):",
      f"  config   {full.config.num_hidden_layers} layers, hidden {full.config.hidden_size}, "
      f"intermediate {full.config.intermediate_size}",
      f"           {full.how_config}",
      row("sequence_output (real tokens)", full.sequence_max_abs_diff)
      + f"   (padding included: {full.sequence_max_abs_diff_all_positions:.3g})",
  ]
  lines += [row(f"encoder_outputs[{i}]", diff) for i, diff in enumerate(full.layer_max_abs_diff)]
  if full.pooled_max_abs_diff is not None:  # None: the model has no pooled_output
    lines.append(row("pooled_output", full.pooled_max_abs_diff))
  verdict = "REPRODUCED" if full.reproduced else "NOT REPRODUCED"
  lines.append(f"Full verdict: {verdict} (tolerance {full.tolerance:g}).")
  return "\n".join(lines)


def write_json(record: dict, path: str) -> None:
  """Writes `record` atomically: a crash leaves the old file or none, never half a file."""
  path = os.path.abspath(path)
  folder = os.path.dirname(path)
  if not os.path.isdir(folder):
    raise FileNotFoundError(f"cannot write {path}: folder {folder} does not exist")
  fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", dir=folder)
  try:
    with os.fdopen(fd, "w", encoding="utf-8") as f:
      json.dump(record, f, indent=2, sort_keys=True)
      f.write("\n")
    os.replace(tmp, path)
  except BaseException:
    os.unlink(tmp)
    raise
