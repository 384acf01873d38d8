"""`--full`: rebuild the whole encoder (embeddings, every layer, pooler) from the loaded module's own
variables with the modeling.py rebuild, run it on the same inputs, and compare every output the
module returns: sequence_output, each layer where the module exposes encoder_outputs, pooled_output.

A TF1 module does not store its number of heads or its gelu variant. Both are found by the numbers
on a few examples of the first batch: the likeliest (H/64 heads, modeling.py's gelu) first, which
for a usual BERT fits within float32 rounding and is kept; otherwise every candidate in turn (the
usual head counts, then every other divisor of H, each with both gelu forms). The chosen config is
confirmed on every batch, and the report says which, with its margin over the runner-up. Formats
that store their config (keras-hub, Hugging Face, Google checkpoints, Model Garden's heads) are not
searched.

The rebuild computes with the module's own variables where it can (no copy of the weights) and is
compiled once for every batch shape; compare.check's pass hands it each batch with the module's
outputs (`observe`), and it runs the same ids.

sequence_output is compared on real tokens (input_mask == 1). Padding positions are computed too,
but nothing uses them, and there LayerNorm divides by a small variance: float32 rounding reaches
~1e-4 at padding on the embedded model while real tokens stay at ~2e-6. Their maximum is recorded
as `max_abs_diff_all_positions`.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from hub_repro import compare
from hub_repro.config import BertConfig
from hub_repro.sources import Source
from hub_repro.sources.google_checkpoint import ModelingSource
from hub_repro.tolerances import FULL_TOLERANCE, SEARCH_FIT

GELU_VARIANTS = ("gelu", "gelu_exact")
GELU_NAMES = {"gelu": "gelu tanh approximation", "gelu_exact": "gelu erf form"}
# The heads/gelu search runs on this many examples of at most this many tokens (or the longest cut
# to it, if the first batch has none that short): enough positions that a wrong head split or
# gelu form shows (0.1 to 5 on trained models, >1e-4 on the tiny fixtures), few enough that each
# candidate costs ~1/30 of a forward pass of a batch of 32 x 128.
SEARCH_EXAMPLES = 2
SEARCH_LENGTH = 64
# A rival candidate "fits" as well as the best when its error on the search examples is within
# 10x of the best's, or below SEARCH_FIT (float32 rounding of a whole forward pass): then the
# numbers cannot tell the two apart, and the report says so.


def _fits(error: float, best: float) -> bool:
  return error <= max(SEARCH_FIT, 10 * best)


@dataclasses.dataclass
class FullResult:
  handle: str
  naming: str  # "modeling.py", "Model Garden", "keras-hub", "Hugging Face"
  config: BertConfig  # its `family` says whose modeling.py the rebuild follows
  how_config: str  # how heads and gelu were decided
  variant_errors: dict  # "heads=N, act" -> max |sequence diff| on the first batch
  sequence_max_abs_diff: float  # real tokens
  sequence_max_abs_diff_all_positions: float  # padding included
  pooled_max_abs_diff: float | None  # None: the model has no pooled_output
  layer_max_abs_diff: list  # per layer, [] if the module does not expose encoder_outputs
  gelu_determined: bool = True  # False if both gelu forms reproduce the module within tolerance
  tolerance: float = FULL_TOLERANCE
  check: object = dataclasses.field(default=None, repr=False)  # the same pass's compare.Result

  @property
  def reproduced(self) -> bool:
    return (self.sequence_max_abs_diff <= self.tolerance
            and (self.pooled_max_abs_diff is None or self.pooled_max_abs_diff <= self.tolerance)
            and all(d <= self.tolerance for d in self.layer_max_abs_diff))

  def to_json(self) -> dict:
    return {
        "naming": self.naming,
        "family": self.config.family,
        "config": self.config.to_dict(),
        "how_config": self.how_config,
        "gelu_determined": self.gelu_determined,
        "variant_errors": self.variant_errors,
        "sequence_vs_rebuilt": {
            "max_abs_diff": self.sequence_max_abs_diff,
            "max_abs_diff_all_positions": self.sequence_max_abs_diff_all_positions},
        "pooled_vs_full_rebuild": {"max_abs_diff": self.pooled_max_abs_diff},
        "layers": [{"layer": i, "max_abs_diff": d} for i, d in enumerate(self.layer_max_abs_diff)],
        "tolerance": self.tolerance,
        "reproduced": self.reproduced,
    }


def _candidates(hidden_size: int, known: BertConfig | None, num_heads: int | None,
                hidden_act: str | None, guess: str = "gelu") -> tuple[list[int], list[str]]:
  """Head counts and activations to try, the likeliest first (`guess`: the family's gelu)."""
  if num_heads:  # given or stored: known, not searched
    heads = [num_heads]
  else:
    heads = [known.num_attention_heads] if known is not None else []
    heads += [hidden_size // 64, 12, 16, 8, 4, 2, 1]
    heads += [h for h in range(1, hidden_size + 1) if hidden_size % h == 0]
  heads = list(dict.fromkeys(h for h in heads if h >= 1 and hidden_size % h == 0))
  if hidden_act:
    acts = [hidden_act]
  else:
    first = known.hidden_act if known is not None and known.hidden_act in GELU_VARIANTS else guess
    acts = [first] + [a for a in GELU_VARIANTS if a != first]
  return heads, acts


def _position_max_abs(a, b) -> np.ndarray:
  """max |a - b| over the hidden axis: [B, S, H] -> [B, S]. In float32: rounding the difference
  moves it by at most 6e-8 of itself, far below every tolerance, and a batch of 32 x 512 x 768 is
  not copied to float64 (0.1 s per batch at BERT-base)."""
  return np.max(np.abs(np.subtract(a, b, dtype=np.float32)), axis=-1)


def masked_max_abs(a, b, mask) -> float:
  """max |a - b| over the positions where mask == 1; a, b: [B, S, H], mask: [B, S]."""
  return float(np.max(_position_max_abs(a, b)[np.asarray(mask).astype(bool)]))


def max_abs(a, b) -> float:
  return float(np.max(np.abs(np.subtract(a, b, dtype=np.float32))))


class FullCheck:
  """The whole encoder rebuilt with modeling.py from `source`'s own weights, compared with every
  output the source returns, batch by batch, as compare.check's pass hands the batches over
  (`observe`). Only maxima are kept; each batch's outputs are dropped once compared."""

  def __init__(self, source: Source, num_heads: int | None = None, hidden_act: str | None = None,
               known_config: BertConfig | None = None, search_examples: int = SEARCH_EXAMPLES,
               search_length: int = SEARCH_LENGTH, layers: bool | None = None):
    """`layers`: whether the rebuild returns every layer's output (None: where the source exposes
    them). crosscheck's search, which compares sequence_output only, passes False, so that the
    rebuild it hands on (crosscheck._peers) is traced for the pass it runs there."""
    self.source = source
    self.base = source.config()
    stored = source.config_stored
    self.num_heads = num_heads or (self.base.num_attention_heads
                                   if "num_attention_heads" in stored else None)
    self.hidden_act = hidden_act or (self.base.hidden_act if "hidden_act" in stored else None)
    given = [what for what, value in (("heads", num_heads), ("gelu", hidden_act)) if value]
    self.origin = ("given (" + ", ".join(given) + ")" if given else
                   getattr(source, "config_origin", f"stored by the {source.format} copy"))
    self.known_config = known_config
    self.search_examples, self.search_length = search_examples, search_length
    self.wants_layers = True
    self.heads, self.acts = _candidates(self.base.hidden_size, known_config, self.num_heads,
                                        self.hidden_act, self.base.hidden_act)
    self.config = None
    self.rebuild = None
    self.errors: dict = {}
    self.search_rows = ""  # which examples the search ran on, for the report
    self.seq, self.seq_all, self.pooled, self.layers = 0.0, 0.0, None, []
    self._layers = getattr(source, "exposes_layers", True) if layers is None else layers
    self._prepared = None  # (the weights, the rebuild under the likeliest config), made once
    self._search = None  # (the search examples, their rows in the first batch or None)
    self._target = None  # the source's sequence_output for the search examples (decide_config)

  def _prepare(self):
    """The rebuild on the source's own variables where it has them (a TF-Hub module named like
    modeling.py), else on variables made once from its params; and the same weights under the
    likeliest config. Made on first use."""
    if self._prepared is None:
      variables = self.source.tf_params()
      weights = ModelingSource.from_params(None if variables else self.source.params(),
                                           self.base, variables=variables)
      likeliest = weights.reconfigured(dataclasses.replace(
          self.base, num_attention_heads=self.heads[0], hidden_act=self.acts[0]))
      self._prepared = weights, likeliest
    return self._prepared

  def _search_inputs(self, batch):
    """The examples the search runs on, and their rows in the batch: the `search_examples`
    longest examples of at most `search_length` tokens in the first batch, cut to their longest
    (rounded up to 16), whose outputs the batch will hold (padding does not change real tokens'
    outputs). If every example is longer, the longest are cut to `search_length` (rows: None),
    and the source runs them once more (_search_target)."""
    lengths = batch.packed.input_mask.sum(axis=1)
    short = np.flatnonzero(lengths <= self.search_length)
    if short.size:
      rows = np.sort(short[np.argsort(lengths[short], kind="stable")[-self.search_examples:]])
      width = min(compare.round_up(int(lengths[rows].max())), batch.packed.input_ids.shape[1])
      self.search_rows = (f"the {len(rows)} longest examples of at most {self.search_length} "
                          "tokens in the first batch")
      return batch.packed.take(rows, width), rows
    rows = np.sort(np.argsort(lengths, kind="stable")[-self.search_examples:])
    self.search_rows = (f"the {len(rows)} longest examples of the first batch cut to "
                        f"{self.search_length} tokens")
    return batch.packed.take(rows, self.search_length), None

  def _search_target(self, batch):
    """The source's sequence_output for the search examples: from the first batch's outputs
    where it holds them, else one more run of the source on them."""
    small, rows = self._search
    if rows is not None and batch.outputs is not None:
      return batch.outputs["sequence_output"][rows, :small.input_ids.shape[1]]
    return self.source.run(small.input_ids, small.input_mask,
                           small.segment_ids)["sequence_output"]

  def _margin(self) -> list[tuple[int, str]]:
    """The next head count with the likeliest gelu: how far the next one is, for the report."""
    return [(self.heads[1], self.acts[0])] if len(self.heads) > 1 else []

  def _rivals_every_search_runs(self) -> list[tuple[int, str]]:
    """The candidates the search measures whatever the likeliest gives: the likeliest heads with
    the other gelu form, and the margin (the report's rivals when the likeliest fits; tried in
    turn by the search when it does not). None when heads and gelu are both known."""
    return [(self.heads[0], act) for act in self.acts[1:]] + self._margin()

  def _rival_error(self, candidate) -> float:
    """The candidate's max |diff| from the source on the search examples, measured once."""
    if candidate not in self.errors:
      small = self._search[0]
      weights = self._prepare()[0]
      out = weights.reconfigured(dataclasses.replace(
          self.base, num_attention_heads=candidate[0], hidden_act=candidate[1])).run_once(
              small.input_ids, small.input_mask, small.segment_ids)
      self._error(candidate, out)
    return self.errors[candidate]

  def _error(self, candidate, out) -> None:
    """Records the candidate's max |diff| from the source on the search examples."""
    self.errors[candidate] = masked_max_abs(out, self._target, self._search[0].input_mask)

  def decide_config(self, batch, rebuilt: dict | None = None) -> None:
    """Heads and gelu, where the source does not store them, found on a few short examples of
    the first batch (`_search_inputs`) against the source's own outputs for them.

    The likeliest candidate (the config's heads or H/64, the config's gelu or modeling.py's) is
    measured first: on `rebuilt`, the compiled rebuild's outputs for the whole first batch under
    that config, where the caller has them (observe), so it costs nothing more. If it fits within
    float32 rounding (SEARCH_FIT), it is the config; the report's rivals (the other gelu form,
    the next head count, measured when it is written) give its margin. If not,
    head counts go likeliest first (then the usual ones, then every divisor of H), each with both
    gelu forms, until one fits, plus one more head count for the margin: every candidate only for
    a model nothing usual explains. Either way the chosen config is then confirmed on every
    batch."""
    heads, acts = self.heads, self.acts
    weights, self.rebuild = self._prepare()
    likeliest = self.config = self.rebuild.config()
    if not self._rivals_every_search_runs():  # heads and gelu both known: nothing to search
      return
    self._search = self._search_inputs(batch)
    small, rows = self._search
    self._target = self._search_target(batch)  # what each candidate is measured against
    ids = (small.input_ids, small.input_mask, small.segment_ids)
    width = small.input_ids.shape[1]

    def error(h, act):
      if (h, act) not in self.errors:
        candidate = dataclasses.replace(self.base, num_attention_heads=h, hidden_act=act)
        if candidate == likeliest and rebuilt is not None and rows is not None:
          out = rebuilt["sequence_output"][rows, :width]  # this batch's rebuild, these rows
        elif candidate == likeliest:  # the forward pass traced by _prepare, not another
          out = self.rebuild.run(*ids, layers=self._layers)["sequence_output"]
        else:
          return self._rival_error((h, act))
        self._error((h, act), out)
      return self.errors[(h, act)]

    if error(heads[0], acts[0]) <= SEARCH_FIT:
      return  # the rivals' errors, the report's margin, are measured when it is written
    tried = []
    for h in heads:  # the likeliest first; stop at the first that fits within float32 rounding
      tried.append(h)
      if min(error(h, act) for act in acts) <= SEARCH_FIT:
        break
    if len(tried) == 1:
      for rival in self._margin():
        error(*rival)
    best = min(self.errors, key=self.errors.get)
    likely = (best[0], acts[0])
    if likely in self.errors and _fits(self.errors[likely], self.errors[best]):
      best = likely  # both gelu forms fit: keep the likelier, and say so (how())
    config = dataclasses.replace(self.base, num_attention_heads=best[0], hidden_act=best[1])
    if config != likeliest:
      self.config, self.rebuild = config, weights.reconfigured(config)

  def observe(self, batch) -> None:
    packed, out = batch.packed, batch.outputs
    ids = (packed.input_ids, packed.input_mask, packed.segment_ids)
    layers = "encoder_outputs" in out
    rebuilt = None
    if self.config is None:  # the first batch, rebuilt under the likeliest config: the search's
      rebuilt = self._prepare()[1].run(*ids, layers=layers)  # first candidate, at no extra cost
      self.decide_config(batch, rebuilt)
      if self.rebuild is not self._prepared[1]:  # another config won: this batch again, with it
        rebuilt = None
    if rebuilt is None:
      rebuilt = self.rebuild.run(*ids, layers=layers)
    real = packed.input_mask.astype(bool)
    positions = _position_max_abs(rebuilt["sequence_output"], out["sequence_output"])
    self.seq = max(self.seq, float(np.max(positions[real])))
    self.seq_all = max(self.seq_all, float(np.max(positions)))
    if "pooled_output" in out and "pooled_output" in rebuilt:  # not if the model has no pooler
      self.pooled = max(self.pooled or 0.0, max_abs(rebuilt["pooled_output"],
                                                    out["pooled_output"]))
    if layers:
      diffs = [masked_max_abs(r, m, real) for r, m in zip(rebuilt["encoder_outputs"],
                                                           out["encoder_outputs"])]
      self.layers = [max(a, b) for a, b in zip(self.layers, diffs)] if self.layers else diffs

  def how(self) -> tuple[str, bool]:
    """How heads and gelu were decided, and whether the gelu form is determined."""
    if self._search is not None:  # the rivals that give the report its margin
      for rival in self._rivals_every_search_runs():
        self._rival_error(rival)
    heads, act = self.config.num_attention_heads, self.config.hidden_act
    variant = GELU_NAMES.get(act, act)
    if not self.errors:
      return f"{heads} heads, {act} ({variant}): {self.origin}", True
    # The chosen config's error, then the closest other candidate's: where both gelu forms fit,
    # the likelier is kept even if the other measured a few ulps closer (which of two errors at
    # float32 rounding is the smaller depends on the CPU's kernels), and the report names both.
    others = sorted((k for k in self.errors if k != (heads, act)), key=self.errors.get)
    runner_up = (f"; next best {others[0][0]} heads, {others[0][1]}: {self.errors[others[0]]:.2g}"
                 if others else "")
    matches_known = self.known_config is not None and (heads, act) == (
        self.known_config.num_attention_heads, self.known_config.hidden_act)
    how = (f"{heads} heads, {act} ({variant}): "
           + ("the model's config, confirmed by the numbers" if matches_known else
              f"closest of {len(self.errors)} candidate(s) tried on {self.search_rows}")
           + f" (max |diff| {self.errors[(heads, act)]:.2g}{runner_up})")
    best = self.errors[(heads, act)]
    determined = not any(h == heads and a != act and _fits(e, best)
                         for (h, a), e in self.errors.items())
    if not determined:
      how += ("; both gelu forms reproduce this model within tolerance (its pre-activations are "
              "small), so its gelu variant is not determined by these numbers")
    return how, determined

  def result(self) -> "FullResult":
    how, determined = self.how()
    return FullResult(self.source.handle, self.source.naming, self.config, how,
                      {f"heads={h}, {a}": e for (h, a), e in self.errors.items()}, self.seq,
                      self.seq_all, self.pooled, self.layers, determined)


def reproduce_full(source: Source, examples: list, max_seq_length: int | None = None,
                   batch_size: int = 32, num_heads: int | None = None,
                   hidden_act: str | None = None, known_config: BertConfig | None = None,
                   tokenizer=None, bucket: bool = True, progress: bool | None = None):
  """The pooler check and the whole-encoder rebuild in one pass (compare.check with a FullCheck);
  returns the FullResult, with the pooler check's compare.Result as its `check`."""
  full = FullCheck(source, num_heads, hidden_act, known_config)
  result = compare.check(source, examples, max_seq_length, batch_size, tokenizer=tokenizer,
                         bucket=bucket, progress=progress, also=[full])
  return dataclasses.replace(full.result(), check=result)
