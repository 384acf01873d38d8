"""`--full`: rebuild the whole encoder (embeddings, every layer, pooler) from the loaded module's own
variables with the modeling.py rebuild, run it on the same inputs, and compare every output the
module returns: sequence_output, each layer where the module exposes encoder_outputs, pooled_output.

A TF1 module does not store its number of heads or its gelu variant. Both are found by the numbers:
every candidate (the config's, the usual ones, then other divisors of H, at most `max_candidates`)
is run on the first batch, and the one closest to sequence_output is kept. The report says which,
and with what margin over the runner-up.

sequence_output is compared on real tokens (input_mask == 1). Padding positions are computed too,
but nothing uses them, and there LayerNorm divides by a small variance: float32 rounding reaches
~1e-4 at padding on the embedded model while real tokens stay at ~2e-6. Their maximum is recorded
as `max_abs_diff_all_positions`.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow as tf

from hub_repro import modeling, naming
from hub_repro.compare import ENCODE_BATCHES, make_batches, packed_batches
from hub_repro.config import BertConfig
from hub_repro.module import Module
from hub_repro.tokenization import Tokenizer

# A full forward pass adds rounding at every layer: matmuls with a different summation order than
# the module's graph (einsum vs matmul, oneDNN blocking) move each value by a few ulps per layer,
# and LayerNorm rescales that. Measured on real tokens: 1e-6 on the 2-layer fixtures, 2.2e-6 on
# the 6-layer embedded model (values up to 6). 1e-4 leaves a wide margin yet is far below what a
# wrong gelu variant (0.1 on the embedded model) or a wrong head split (5.7) gives.
FULL_TOLERANCE = 1e-4
GELU_VARIANTS = ("gelu", "gelu_exact")


@dataclasses.dataclass
class FullResult:
  handle: str
  naming: str  # "modeling.py" or "Model Garden"
  config: BertConfig
  how_config: str  # how heads and gelu were decided
  variant_errors: dict  # "heads=N, act" -> max |sequence diff| on the first batch
  sequence_max_abs_diff: float  # real tokens
  sequence_max_abs_diff_all_positions: float  # padding included
  pooled_max_abs_diff: float
  layer_max_abs_diff: list  # per layer, [] if the module does not expose encoder_outputs
  gelu_determined: bool = True  # False if both gelu forms reproduce the module within tolerance
  tolerance: float = FULL_TOLERANCE

  @property
  def reproduced(self) -> bool:
    return (self.sequence_max_abs_diff <= self.tolerance
            and self.pooled_max_abs_diff <= self.tolerance
            and all(d <= self.tolerance for d in self.layer_max_abs_diff))

  def to_json(self) -> dict:
    return {
        "naming": self.naming,
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
                hidden_act: str | None) -> list[tuple[int, str]]:
  """(heads, activation) pairs to try, the likeliest first."""
  if num_heads:  # given: known, not searched
    heads = [num_heads]
  else:
    heads = [known.num_attention_heads] if known is not None else []
    heads += [hidden_size // 64, 12, 16, 8, 4, 2, 1]
    heads += [h for h in range(1, hidden_size + 1) if hidden_size % h == 0]
  acts = [hidden_act] if hidden_act else list(GELU_VARIANTS)
  pairs = []
  for h in heads:
    for act in acts:
      if h >= 1 and hidden_size % h == 0 and (h, act) not in pairs:
        pairs.append((h, act))
  return pairs


def _masked_max_abs(a, b, mask) -> float:
  """max |a - b| over the positions where mask == 1; a, b: [B, S, H], mask: [B, S]."""
  d = np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))
  return float(np.max(d[np.asarray(mask).astype(bool)]))


def _max_abs(a, b) -> float:
  return float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))


def reproduce_full(module: Module, examples: list, max_seq_length: int = 128,
                   batch_size: int = 32, num_heads: int | None = None,
                   hidden_act: str | None = None, known_config: BertConfig | None = None,
                   tokenizer=None, max_candidates: int = 40) -> FullResult:
  """Rebuilds the whole encoder from `module`'s variables and compares every output."""
  tokenizer = tokenizer or Tokenizer(module.vocab_file, module.do_lower_case)
  params, naming_name, known_heads = naming.to_bert_params(module.variable_values())
  tensors = {k: tf.constant(v) for k, v in params.items()}
  base = naming.infer_config(params, known_heads or 1)
  chunks = make_batches(examples, batch_size * ENCODE_BATCHES)
  first = next(packed_batches(tokenizer, chunks, batch_size, max_seq_length))
  first_out = module(first.input_ids, first.input_mask, first.segment_ids)

  errors = {}
  candidates = _candidates(base.hidden_size, known_config, num_heads, hidden_act)
  if known_heads is not None:  # Model Garden stores the heads in its kernel shapes
    candidates = [(h, a) for h, a in candidates if h == known_heads]
  for heads, act in candidates[:max_candidates]:
    candidate = dataclasses.replace(base, num_attention_heads=heads, hidden_act=act)
    out = _rebuild(tensors, candidate, first)
    errors[(heads, act)] = _masked_max_abs(out["sequence_output"], first_out["sequence_output"],
                                           first.input_mask)
  ranked = sorted(errors, key=errors.get)
  heads, act = ranked[0]
  config = dataclasses.replace(base, num_attention_heads=heads, hidden_act=act)
  variant = "gelu tanh approximation" if act == "gelu" else (
      "gelu erf form" if act == "gelu_exact" else act)
  runner_up = (f"; next best {ranked[1][0]} heads, {ranked[1][1]}: {errors[ranked[1]]:.2g}"
               if len(ranked) > 1 else "")
  matches_known = known_config is not None and (heads, act) == (
      known_config.num_attention_heads, known_config.hidden_act)
  how = (f"{heads} heads, {act} ({variant}): "
         + ("the model's config, confirmed by the numbers" if matches_known else
            f"closest of {len(errors)} candidate(s) tried on the first batch")
         + f" (max |diff| {errors[ranked[0]]:.2g}{runner_up})")
  gelu_determined = not (len(ranked) > 1 and ranked[1][0] == heads
                         and errors[ranked[1]] <= FULL_TOLERANCE)
  if not gelu_determined:
    how += ("; both gelu forms reproduce this module within tolerance (its pre-activations are "
            "small), so its gelu variant is not determined by these numbers")

  seq_diff, seq_diff_all, pooled_diff, layer_diff = 0.0, 0.0, 0.0, []
  for packed in packed_batches(tokenizer, chunks, batch_size, max_seq_length):
    out = module(packed.input_ids, packed.input_mask, packed.segment_ids)
    rebuilt = _rebuild(tensors, config, packed)
    seq_diff = max(seq_diff, _masked_max_abs(rebuilt["sequence_output"], out["sequence_output"],
                                             packed.input_mask))
    seq_diff_all = max(seq_diff_all, _max_abs(rebuilt["sequence_output"],
                                              out["sequence_output"]))
    pooled_diff = max(pooled_diff, _max_abs(rebuilt["pooled_output"], out["pooled_output"]))
    if "encoder_outputs" in out:
      diffs = [_masked_max_abs(r, m, packed.input_mask)
               for r, m in zip(rebuilt["encoder_outputs"], out["encoder_outputs"])]
      layer_diff = [max(a, b) for a, b in zip(layer_diff, diffs)] if layer_diff else diffs
  return FullResult(module.handle, naming_name, config, how,
                    {f"heads={h}, {a}": e for (h, a), e in errors.items()}, seq_diff,
                    seq_diff_all, pooled_diff, layer_diff, gelu_determined)


def _rebuild(tensors: dict, config: BertConfig, packed) -> dict:
  return modeling.bert_model(tensors, config, packed.input_ids, packed.input_mask,
                             packed.segment_ids)
