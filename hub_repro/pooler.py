"""What pooled_output is, by its numbers: a dense layer of the model applied to the [CLS] state
(found by name in each known naming, else among the model's [H, H] kernels + [H] biases), with the
activation that reproduces it (tanh, else gelu or none); the [CLS] state itself; or nothing the
model holds.

`explain` measures it on one batch and returns an Explanation: the hypothesis that the comparison
(compare.PoolerCheck) then confirms, or refutes, on every batch.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import tensorflow as tf

from hub_repro.families.bert import modeling

# (who names it so, pattern of the kernel's name); the bias is the kernel's sibling "bias".
KNOWN_NAMES = [
    ("modeling.py", r"(.*/)?pooler/dense/kernel"),
    ("Model Garden", r"(.*/)?pooler_transform/kernel"),
    ("Model Garden EncoderScaffold", r"(.*/)?cls_transform/kernel"),
    ("keras-hub", r"(.*/)?pooled_dense/kernel"),
]
# The pooler's activation, tried in this order: modeling.py's tanh (BERT, ALBERT) first, the others
# only if tanh does not reproduce pooled_output. "gelu" is modeling.py's tanh approximation,
# "gelu_exact" the erf form; they differ by up to ~1e-3, far above the tolerance.
ACTIVATIONS = ("tanh", "gelu", "gelu_exact", "none")
# What pooled_output is (the JSON `pooled_is`), in the order the verdict tells them apart.
POOLED_IS = ("pooler", "identity_pooler", "cls", "none", "unexplained")


@dataclasses.dataclass
class PoolerWeights:
  kernel_name: str
  bias_name: str
  kernel: np.ndarray  # [H, H]
  bias: np.ndarray  # [H]
  found_by: str  # how it was found, for the report
  activation: str = "tanh"  # one of ACTIVATIONS
  # False: the model's files hold no such weights; the framework made them at load time (a fresh
  # random layer on every load: transformers' RobertaModel on roberta-base's checkpoint).
  stored: bool = True

  def __call__(self, sequence_output):
    """act(sequence_output[:, 0] @ kernel + bias); with tanh, modeling.py's pooler itself."""
    if self.activation == "tanh":
      return modeling.pooler(sequence_output, self.kernel, self.bias)
    first_token_tensor = tf.convert_to_tensor(sequence_output)[:, 0]  # [B, H]
    dense = tf.nn.bias_add(tf.matmul(first_token_tensor, self.kernel), self.bias)
    return dense if self.activation == "none" else modeling.get_activation(self.activation)(dense)

  def with_activation(self, activation: str) -> "PoolerWeights":
    return dataclasses.replace(self, activation=activation)

  @property
  def is_identity(self) -> bool:
    """The kernel is exactly the identity and the bias exactly 0. Exact, not within a tolerance:
    0 and 1 are exact in float32, so an exporter that writes an identity writes it bit for bit,
    and a single gradient step moves the entries by far more than float32 rounding."""
    return _identity_kernel(self.kernel) and not np.any(self.bias)

  def untrained_evidence(self) -> str | None:
    """What in these weights is evidence that the layer was never trained, or None.

    A bias exactly 0 in every entry is what a dense layer's zeros initializer leaves (modeling.py,
    Keras and torch.nn.Linear in transformers all start there) and any gradient step moves off 0;
    an identity kernel is what an exporter writes for a layer it does not use. Evidence, not
    proof: the numbers cannot tell how a layer was trained. A layer that is not in the model's
    files at all was made at load time: that is said first, and it is more than evidence."""
    facts = []
    if not self.stored:
      facts.append("it is not in the model's files: the framework made it at load time, so "
                   "pooled_output is a fresh random projection on every load")
    if _identity_kernel(self.kernel):
      facts.append(f"the kernel is exactly the {self.kernel.shape[0]}x{self.kernel.shape[1]} "
                   "identity")
    if not np.any(self.bias):
      facts.append(f"the bias is exactly 0 in all {self.bias.shape[0]} entries")
    return " and ".join(facts) or None

  def to_json(self) -> dict:
    return {"kernel": self.kernel_name, "bias": self.bias_name, "found_by": self.found_by,
            "activation": self.activation, "untrained_evidence": self.untrained_evidence(),
            "stored": self.stored}


def _identity_kernel(kernel: np.ndarray) -> bool:
  return (kernel.ndim == 2 and kernel.shape[0] == kernel.shape[1]
          and np.array_equal(kernel, np.eye(kernel.shape[0], dtype=kernel.dtype)))


@dataclasses.dataclass
class Explanation:
  """What pooled_output is on the batch `explain` measured: the hypothesis to confirm."""
  pooled_is: str | None  # "pooler", "identity_pooler", "cls", "none", or None: nothing fits
  pooler: PoolerWeights | None  # the layer to compare with (named, or the one that fits)
  named: bool  # the model names its pooler: its layer is compared whether it fits or not
  cls_max_abs_diff: float | None  # pooled_output vs sequence_output[:, 0] on this batch
  candidates: list = dataclasses.field(default_factory=list)  # (max |diff|, PoolerWeights)

  def candidates_json(self) -> list:
    """Every (layer, activation) tried, nearest first: the JSON's pooler.candidates."""
    return [{"kernel": c.kernel_name, "bias": c.bias_name, "activation": c.activation,
             "max_abs_diff": e} for e, c in self.candidates]


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


def max_error(candidate, sequence_output, pooled_output) -> float:
  rebuilt = candidate(tf.convert_to_tensor(sequence_output))
  return float(np.max(np.abs(np.asarray(rebuilt, np.float64) - np.asarray(pooled_output,
                                                                           np.float64))))


def fit_activation(candidate: PoolerWeights, sequence_output, pooled_output,
                   tolerance: float) -> list[tuple[float, PoolerWeights]]:
  """(max |diff|, the layer with that activation): tanh alone if it reproduces pooled_output
  within `tolerance`, else every activation of ACTIVATIONS."""
  tried = []
  for activation in ACTIVATIONS:
    weights = candidate.with_activation(activation)
    tried.append((max_error(weights, sequence_output, pooled_output), weights))
    if activation == "tanh" and tried[0][0] <= tolerance:
      break
  return tried


def explain(variables: dict[str, np.ndarray], sequence_output, pooled_output, tolerance: float,
            named: list[PoolerWeights] | None = None) -> Explanation:
  """What pooled_output [B, H] (None: the model has none) is, from sequence_output [B, S, H].

  In this order: no pooled_output ("none"); pooled_output = sequence_output[:, 0] within
  `tolerance` ("cls"); a named pooler (`named`, a format's own, else KNOWN_NAMES), compared
  whether it fits or not (that is the finding: "not reproduced"); else the [H, H] + [H] pair and
  activation that reproduces pooled_output within `tolerance`. A layer that fits is an
  "identity_pooler" if its kernel is the identity and its bias 0, else a "pooler". If nothing
  fits, pooled_is is None and `candidates` holds what was tried, nearest first.
  """
  if pooled_output is None:
    return Explanation("none", None, False, None)
  hidden_size = int(np.shape(pooled_output)[-1])
  cls_error = float(np.max(np.abs(np.asarray(pooled_output, np.float64)
                                  - np.asarray(sequence_output, np.float64)[:, 0])))
  named = named or named_candidates(variables, hidden_size)
  layers = named or dense_candidates(variables, hidden_size)
  tried = sorted((t for layer in layers
                  for t in fit_activation(layer, sequence_output, pooled_output, tolerance)),
                 key=lambda t: t[0])
  best = tried[0] if tried else None
  fits = best is not None and best[0] <= tolerance
  if cls_error <= tolerance:
    return Explanation("cls", best[1] if fits else None, bool(named), cls_error, tried)
  if fits or named:
    kind = "identity_pooler" if best[1].is_identity else "pooler"
    return Explanation(kind, best[1], bool(named), cls_error, tried)
  return Explanation(None, None, False, cls_error, tried)


def no_pooler_message(pooled_is: str | None, cls_max_abs_diff: float | None, candidates: list,
                      hidden_size: int, handle: str = "the model") -> str:
  """One line for exit 3: what pooled_output is not, and the nearest candidate (`candidates`:
  Explanation.candidates_json(); all of them go to the JSON, not to this line)."""
  if pooled_is == "none":
    return (f"{handle} has no pooled_output (it returns sequence_output only): there is no "
            "pooler to compare with the [CLS] state, sequence_output[:, 0]")
  h = hidden_size
  if candidates:
    c = candidates[0]
    nearest = (f"nearest {c['kernel']} + {c['bias']} with {c['activation']}, max |diff| "
               f"{c['max_abs_diff']:.3g}; all {len(candidates)} in --json's pooler.candidates")
  else:
    nearest = f"it has no [{h}, {h}] kernel beside an [{h}] bias"
  return (f"no pooler explains pooled_output of {handle}: it is neither sequence_output[:, 0] "
          f"(max |diff| {cls_max_abs_diff:.3g}) nor act(sequence_output[:, 0] @ K + b) for any "
          f"[{h}, {h}] kernel K + [{h}] bias b of the model and act in {', '.join(ACTIVATIONS)} "
          f"({nearest})")
