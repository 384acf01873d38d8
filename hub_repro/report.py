"""The human report and the JSON record of a comparison."""

from __future__ import annotations

import json
import textwrap

from hub_repro import files
from hub_repro.compare import Result


# The report's paragraphs are wrapped to this width (the table above them is 70 wide).
PARAGRAPH_WIDTH = 96
ACTIVATION_TEXT = {"tanh": "tanh", "gelu": "gelu (tanh approximation)",
                   "gelu_exact": "gelu (erf form)", "none": "no activation"}


def formula(activation: str | None, inner: str = "sequence_output[:, 0] @ K + b") -> str:
  """The pooler's arithmetic as the report and the plots write it:
  tanh(sequence_output[:, 0] @ K + b)."""
  return inner if activation in (None, "none") else f"{activation}({inner})"


def _evidence_line(pooler) -> list[str]:
  evidence = pooler.untrained_evidence() if pooler is not None else None
  if evidence is None:
    return []
  return textwrap.wrap(f"untrained evidence: {evidence}, values a training step would have moved "
                       "(evidence, not proof: the numbers cannot show how a layer was trained)",
                       PARAGRAPH_WIDTH, initial_indent=" " * 11, subsequent_indent=" " * 11,
                       break_on_hyphens=False)


def verdict_line(result: Result) -> str:
  rebuilt = result.pooled_vs_rebuilt
  if result.verdict == "REPRODUCED":
    return (f"Verdict: REPRODUCED (max |diff| {rebuilt.max_abs_diff:.3g} <= tolerance "
            f"{result.tolerance:g}).")
  if result.verdict == "NOT REPRODUCED":
    return (f"Verdict: NOT REPRODUCED (max |diff| {rebuilt.max_abs_diff:.3g} > tolerance "
            f"{result.tolerance:g}).")
  if result.pooled_is == "none":
    return "Verdict: NO POOLED OUTPUT."
  return f"Verdict: UNEXPLAINED (nothing of the model within tolerance {result.tolerance:g})."


def _family(family: str | None):
  from hub_repro import families
  return families.get(family) if family in families.FAMILIES else None


def _family_note(family: str | None) -> str:
  """What a trained-looking pooler means in the model's family (its module's POOLER_NOTE)."""
  module = _family(family)
  return module.POOLER_NOTE if module is not None else (
      "Feed pooled_output to a classifier you fine-tune")


def answer(result: Result) -> str:
  """One plain paragraph: what pooled_output is, measured, then what that means."""
  cls, rebuilt, pooler = result.pooled_vs_cls, result.pooled_vs_rebuilt, result.pooler
  is_ = result.pooled_is
  if is_ == "none":
    return ("This model has no pooled_output: it returns sequence_output only, with no pooler "
            "layer. Its [CLS] state is sequence_output[:, 0]; take that (or a mean over the token "
            "states) where another model would give pooled_output.")
  if is_ == "cls":
    return (f"Yes: this model's pooled_output is the [CLS] state, sequence_output[:, 0], within "
            f"float32 rounding (max |diff| {cls.max_abs_diff:.3g}). No layer stands between "
            "them: either output gives the same vector.")
  if is_ == "identity_pooler":
    return (f"pooled_output is {formula(pooler.activation, 'sequence_output[:, 0]')}: the "
            f"model's pooler ({pooler.kernel_name}, {pooler.bias_name}) has an identity kernel "
            f"and a zero bias, so it applies {ACTIVATION_TEXT[pooler.activation]} to the [CLS] "
            f"state value by value and nothing else (max |diff| {rebuilt.max_abs_diff:.3g}). "
            f"pooled_output is not the [CLS] state itself (max |diff| {cls.max_abs_diff:.3g}) "
            "but a fixed function of it, element by element; take sequence_output[:, 0] for "
            "the state. Exporters put such a pooler where the model has none that was trained "
            "(TF-Hub's ELECTRA) or replace a trained one by it (TF-Hub's BERT Experts).")
  if is_ == "pooler":
    text = (f"pooled_output is not the [CLS] hidden state (max |diff| {cls.max_abs_diff:.3g}): "
            f"it is one more layer on top of it, pooled_output = {formula(pooler.activation)} "
            f"with the model's own dense layer K, b ({pooler.kernel_name}, {pooler.bias_name}; "
            f"{ACTIVATION_TEXT[pooler.activation]}), as in the pooler of google-research/bert "
            "modeling.py.")
    if not pooler.stored:
      return text + (" That layer is not in the model's files: the framework made it from random "
                     "numbers when it loaded the model, so pooled_output is a fresh random "
                     "projection of the [CLS] state, another on every load. Take "
                     "sequence_output[:, 0] (or a pooling you train) instead.")
    if pooler.untrained_evidence() is None:
      return text + f" {_family_note(result.family)}; take sequence_output[:, 0] when you need the " \
                    "[CLS] hidden state itself."
    return text + (f" Its weights show evidence that it was never trained "
                   f"({pooler.untrained_evidence()}): if so, pooled_output is a fixed "
                   "projection of the [CLS] state rather than a representation trained for a "
                   "task, and the arithmetic above holds all the same. Take sequence_output[:, 0] "
                   "for the [CLS] state itself.")
  if result.verdict == "NOT REPRODUCED" and pooler is not None:
    whose = ("the pooler it names" if result.named_pooler
             else "the dense layer the first batch chose")
    return (f"This model's pooled_output is not {formula('act')} with {whose} "
            f"({pooler.kernel_name}, {pooler.bias_name}) for any act of tanh, gelu or none "
            f"(nearest: {pooler.activation}, max |diff| {rebuilt.max_abs_diff:.3g}), nor the "
            f"[CLS] state sequence_output[:, 0] (max |diff| {cls.max_abs_diff:.3g}): it is "
            "computed some other way.")
  if result.verdict == "NOT REPRODUCED":  # the [CLS] state on the first batch only
    return (f"This model's pooled_output equals sequence_output[:, 0] on the first batch but not "
            f"on every example (max |diff| {rebuilt.max_abs_diff:.3g}): it is computed some "
            "other way.")
  return (f"This model's pooled_output is neither the [CLS] state sequence_output[:, 0] (max "
          f"|diff| {cls.max_abs_diff:.3g}) nor act(sequence_output[:, 0] @ K + b) for any "
          "[H, H] kernel and [H] bias of the model with tanh, gelu or no activation: it is "
          "computed some other way. The candidates tried are in the JSON (pooler.candidates).")


def _output_line(result: Result) -> list[str]:
  """Which of the model's outputs was compared as pooled_output, where it has a `default`."""
  if result.pooled_norms is None or (result.pooled_output_key == "pooled_output"
                                     and result.default_is_pooled_output is None):
    return []
  low, high = result.pooled_norms
  normalized = (f"not a normalized embedding: its rows' norms run {low:.3g} to {high:.3g}"
                if abs(low - 1) > 1e-3 or abs(high - 1) > 1e-3 else
                f"its rows have norm 1 (within {max(abs(low - 1), abs(high - 1)):.1g})")
  if result.pooled_output_key == "default":
    what = ("the model's `default` output, compared as pooled_output (Model Garden's exporter "
            "makes `default` an alias of pooled_output)")
  elif result.default_is_pooled_output:
    what = "pooled_output; the model's `default` is the same tensor (an alias)"
  else:
    what = "pooled_output; the model's `default` is another tensor, not compared"
  return textwrap.wrap(f"{what}; {normalized}", PARAGRAPH_WIDTH - 11,
                       initial_indent="  output   ", subsequent_indent=" " * 11)


def render(result: Result) -> str:
  """A short report a newcomer can read: what was compared, the numbers, the verdict."""
  cls, rebuilt, pooler = result.pooled_vs_cls, result.pooled_vs_rebuilt, result.pooler
  lines = [
      "Is this model's pooled_output the hidden state of [CLS], sequence_output[:, 0]?",
      "",
      f"  model    {result.handle}  ({result.format}, hidden size {result.hidden_size})",
      f"           computed by {result.framework}",
  ]
  if result.execution:
    lines.append(f"           run {result.execution['how']}")
  lines += [
      f"  inputs   {result.num_examples} examples, {result.num_truncated} truncated, "
      f"max_seq_length {result.max_seq_length}: {result.max_seq_length_from}",
  ]
  lines += _output_line(result)
  if pooler is not None:
    lines += [f"  pooler   {pooler.kernel_name}, {pooler.bias_name}, "
              f"{ACTIVATION_TEXT[pooler.activation]}",
              f"           found {pooler.found_by}"]
    lines += _evidence_line(pooler)
  elif result.pooled_is == "none":
    lines.append("  pooler   none: the model returns no pooled_output")
  else:
    lines.append("  pooler   none of the model's dense layers explains pooled_output"
                 if result.pooled_is != "cls" else "  pooler   none: pooled_output is "
                 "sequence_output[:, 0]")
  if cls is not None:
    lines += ["", f"  {'pooled_output compared with':<44}{'max |diff|':>12}{'mean cosine':>14}",
              f"  {'sequence_output[:, 0]   (the [CLS] state)':<44}{cls.max_abs_diff:>12.3g}"
              f"{cls.mean_cosine:>14.6f}"]
  if rebuilt is not None and pooler is not None:
    lines += [f"  {formula(pooler.activation):<44}{rebuilt.max_abs_diff:>12.3g}"
              f"{rebuilt.mean_cosine:>14.6f}",
              "     (modeling.py pooler, module weights)" if pooler.activation == "tanh" else
              "     (the module's dense layer and weights)"]
  lines += ["", f"pooled_is: {result.pooled_is}", verdict_line(result)]
  lines += textwrap.wrap(answer(result), PARAGRAPH_WIDTH, break_on_hyphens=False)
  return "\n".join(lines)


# Width of the output-name column of render_full, so that "max |diff|" lines up on every row
# (encoder_outputs[10] and up included).
FULL_NAME_WIDTH = 32


def render_full(full) -> str:
  """The --full section: every output of the module against the whole encoder rebuilt."""

  def row(name: str, diff: float) -> str:
    return f"  {name:<{FULL_NAME_WIDTH}}max |diff| {diff:.3g}"

  lines = [
      f"The whole encoder, rebuilt from {_family(full.config.family).MODELING} with the module's "
      "own variables "
      f"({full.naming} naming):",
      f"  config   {full.config.num_hidden_layers} layers, hidden {full.config.hidden_size}, "
      f"intermediate {full.config.intermediate_size}",
      f"           {full.how_config}",
      row("sequence_output (real tokens)", full.sequence_max_abs_diff)
      + f"   (padding included: {full.sequence_max_abs_diff_all_positions:.3g})",
  ]
  lines += [row(f"encoder_outputs[{i}]", diff) for i, diff in enumerate(full.layer_max_abs_diff)]
  if full.pooled_max_abs_diff is not None:  # a model without pooled_output has no such row
    lines.append(row("pooled_output", full.pooled_max_abs_diff))
  verdict = "REPRODUCED" if full.reproduced else "NOT REPRODUCED"
  lines.append(f"Full verdict: {verdict} (tolerance {full.tolerance:g}).")
  return "\n".join(lines)


def write_json(record: dict, path: str) -> None:
  """Writes `record` atomically (files.atomic_file): a crash leaves the old file or none."""
  with files.atomic_file(path) as f:
    json.dump(record, f, indent=2, sort_keys=True)
    f.write("\n")
