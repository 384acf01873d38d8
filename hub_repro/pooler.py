"""Find the pooler's dense layer among a module's variables: by name in each known naming, else by
its numbers (the [H, H] kernel and [H] bias whose tanh(seq0 K + b) reproduces pooled_output)."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import tensorflow as tf

from hub_repro import modeling

# (who names it so, pattern of the kernel's name); the bias is the kernel's sibling "bias".
KNOWN_NAMES = [
    ("modeling.py", r"(.*/)?pooler/dense/kernel"),
    ("Model Garden", r"(.*/)?pooler_transform/kernel"),
    ("keras-hub", r"(.*/)?pooled_dense/kernel"),
]


class NoPoolerError(LookupError):
  """No dense layer of the module explains pooled_output."""


@dataclasses.dataclass
class PoolerWeights:
  kernel_name: str
  bias_name: str
  kernel: np.ndarray  # [H, H]
  bias: np.ndarray  # [H]
  found_by: str  # how it was found, for the report

  def __call__(self, sequence_output):
    """modeling.py's pooler with these weights: tanh(sequence_output[:, 0] @ kernel + bias)."""
    return modeling.pooler(sequence_output, self.kernel, self.bias)


def _scope(name: str) -> str:
  return name.rsplit("/", 1)[0] if "/" in name else ""


def named_candidates(variables: dict[str, np.ndarray], hidden_size: int) -> list[PoolerWeights]:
  found = []
  for who, pattern in KNOWN_NAMES:
    for name in sorted(variables):
      if not re.fullmatch(pattern, name):
        continue
      bias_name = f"{_scope(name)}/bias"
      kernel, bias = variables[name], variables.get(bias_name)
      if bias is None or kernel.shape != (hidden_size, hidden_size) or bias.shape != (hidden_size,):
        continue
      found.append(PoolerWeights(name, bias_name, kernel, bias, f"by name ({who}: {name})"))
  return found


def dense_candidates(variables: dict[str, np.ndarray], hidden_size: int) -> list[PoolerWeights]:
  """Every [H, H] matrix paired with the [H] vector of the same scope."""
  vectors: dict[str, list[str]] = {}
  for name, value in variables.items():
    if value.shape == (hidden_size,):
      vectors.setdefault(_scope(name), []).append(name)
  found = []
  for name in sorted(variables):
    if variables[name].shape != (hidden_size, hidden_size):
      continue
    for bias_name in sorted(vectors.get(_scope(name), [])):
      found.append(PoolerWeights(name, bias_name, variables[name], variables[bias_name],
                                 f"by its numbers ({name} + {bias_name})"))
  return found


def max_error(candidate: PoolerWeights, sequence_output, pooled_output) -> float:
  rebuilt = candidate(tf.convert_to_tensor(sequence_output))
  return float(np.max(np.abs(np.asarray(rebuilt, np.float64) - np.asarray(pooled_output,
                                                                           np.float64))))


def find_pooler(variables: dict[str, np.ndarray], sequence_output, pooled_output,
                tolerance: float, named: list[PoolerWeights] | None = None) -> PoolerWeights:
  """The pooler's weights, by name if the module names them, else by their numbers.

  `named` are candidates a source names itself (a format whose names no pattern here fits).
  A named pooler is returned even if it does not reproduce pooled_output: that is the finding
  ("not reproduced"), and the comparison reports it. Without a named pooler, the [H, H] + [H] pair
  that reproduces pooled_output within `tolerance` is returned; if none does, NoPoolerError.
  """
  hidden_size = int(np.shape(pooled_output)[-1])
  named = named or named_candidates(variables, hidden_size)
  if named:
    return min(named, key=lambda c: max_error(c, sequence_output, pooled_output))
  candidates = dense_candidates(variables, hidden_size)
  errors = [(max_error(c, sequence_output, pooled_output), c) for c in candidates]
  good = [(e, c) for e, c in errors if e <= tolerance]
  if good:
    return min(good, key=lambda ec: ec[0])[1]
  considered = ", ".join(f"{c.kernel_name} + {c.bias_name} (max |diff| {e:.3g})"
                         for e, c in sorted(errors, key=lambda ec: ec[0])[:10]) or "none"
  raise NoPoolerError(
      f"no pooler found: no variable is named like {[p for _, p in KNOWN_NAMES]}, and no "
      f"[{hidden_size}, {hidden_size}] kernel + [{hidden_size}] bias pair reproduces pooled_output "
      f"within {tolerance:g}; candidates considered ({len(candidates)}): {considered}")
