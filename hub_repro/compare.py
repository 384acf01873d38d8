"""The comparison: run the module on packed text, rebuild modeling.py's pooler from the module's own
weights, apply it to sequence_output[:, 0], and measure both against pooled_output.

The verdict comes from the numbers alone: pooled_output is "reproduced" when the rebuilt pooler
matches it within TOLERANCE on every example.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from tqdm import tqdm

from hub_repro import pooler as pooler_lib
from hub_repro.module import Module
from hub_repro.tokenization import Tokenizer

# float32 has a 2^-24 ~ 6e-8 relative rounding step. The module and the rebuild compute the same
# tanh(x K + b), but possibly with a different summation order in the H-term dot product (a
# different kernel, batch shape or graph), which moves each pre-activation by up to ~sqrt(H) ulps
# of its magnitude: ~2e-6 for H = 768 and |x K| ~ 1. tanh' <= 1 does not enlarge that. 1e-5 leaves
# a 5x margin at H = 768 and stays four orders of magnitude below the gap to sequence_output[:, 0]
# (0.1 to 10), so no "almost" pooler can pass.
TOLERANCE = 1e-5
# Inputs with more batches than this get a progress bar on stderr.
PROGRESS_MIN_BATCHES = 4
# Batches tokenized per tokenizer call. tensorflow_text's ragged ops cost ~18 ms of Python dispatch
# per call whatever its size, ~5% of a forward pass of 32 examples through the embedded model;
# tokenizing 8 batches at once makes that <1% (benchmarks: overhead_ratio). Packing is per example,
# so the ids are the same.
ENCODE_BATCHES = 8


@dataclasses.dataclass
class Stats:
  """One comparison against pooled_output, per example and summarized."""
  per_example_max_abs_diff: list[float]
  per_example_cosine: list[float]

  @property
  def max_abs_diff(self) -> float:
    return max(self.per_example_max_abs_diff)

  @property
  def mean_cosine(self) -> float:
    return float(np.mean(self.per_example_cosine))

  def to_json(self) -> dict:
    return {"max_abs_diff": self.max_abs_diff, "mean_cosine": self.mean_cosine,
            "min_cosine": min(self.per_example_cosine)}


@dataclasses.dataclass
class Result:
  handle: str
  format: str
  path: str
  hidden_size: int
  max_seq_length: int
  num_examples: int
  num_truncated: int
  pooler: pooler_lib.PoolerWeights
  pooled_vs_cls: Stats
  pooled_vs_rebuilt: Stats
  tolerance: float
  # The first batch's outputs, for plots: pooled_output [B, H] and sequence_output[:, :1] [B, 1, H]
  # (all the pooler reads). Later batches are not kept, so memory does not grow with the input.
  sample_pooled_output: np.ndarray | None = dataclasses.field(default=None, repr=False)
  sample_sequence_output: np.ndarray | None = dataclasses.field(default=None, repr=False)

  @property
  def reproduced(self) -> bool:
    return self.pooled_vs_rebuilt.max_abs_diff <= self.tolerance

  def to_json(self) -> dict:
    return {
        "handle": self.handle,
        "format": self.format,
        "hidden_size": self.hidden_size,
        "max_seq_length": self.max_seq_length,
        "num_examples": self.num_examples,
        "num_truncated": self.num_truncated,
        "pooler": {"kernel": self.pooler.kernel_name, "bias": self.pooler.bias_name,
                   "found_by": self.pooler.found_by},
        "pooled_vs_cls": self.pooled_vs_cls.to_json(),
        "pooled_vs_rebuilt": self.pooled_vs_rebuilt.to_json(),
        "tolerance": self.tolerance,
        "reproduced": self.reproduced,
    }


def _row_stats(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """Per-row max |a - b| and cosine similarity, in float64 so the summary adds no rounding."""
  a, b = a.astype(np.float64), b.astype(np.float64)
  max_abs = np.max(np.abs(a - b), axis=-1)
  norms = np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1)
  cosine = np.sum(a * b, axis=-1) / np.maximum(norms, np.finfo(np.float64).tiny)
  return max_abs, cosine


def position_limit(variables: dict) -> int | None:
  """Rows of the position embedding table: the longest sequence the module accepts."""
  for name, value in sorted(variables.items()):
    if "position_emb" in name and len(value.shape) == 2:
      return int(value.shape[0])
  return None


def make_batches(examples: list, batch_size: int) -> list[list]:
  """Consecutive batches of at most batch_size; single sentences and pairs never share a batch
  (they pack differently), and the order of examples is kept."""
  batches = []
  for example in examples:
    if (batches and len(batches[-1]) < batch_size
        and isinstance(batches[-1][0], str) == isinstance(example, str)):
      batches[-1].append(example)
    else:
      batches.append([example])
  return batches


def packed_batches(tokenizer, chunks: list[list], batch_size: int, max_seq_length: int):
  """Yields a PackedBatch of at most batch_size examples at a time, tokenizing a chunk at once."""
  for chunk in chunks:
    packed = tokenizer.encode(chunk, max_seq_length)
    for start in range(0, len(chunk), batch_size):
      yield packed[start:start + batch_size]


def check(module: Module, examples: list, max_seq_length: int = 128, batch_size: int = 32,
          tolerance: float = TOLERANCE, progress: bool | None = None,
          tokenizer=None) -> Result:
  """Runs the reproduction on `examples` (strings or (first, second) pairs) and returns the numbers.

  `tokenizer` (a tokenization.HubPreprocessor, say) defaults to tensorflow_text's BertTokenizer over
  the module's own vocab. Raises pooler.NoPoolerError if the module has no dense layer that
  explains pooled_output.
  """
  if not examples:
    raise ValueError("no examples to run")
  if batch_size < 1:
    raise ValueError(f"batch size must be at least 1, got {batch_size}")
  if tokenizer is None:
    if module.vocab_file is None:
      raise ValueError(f"{module.handle} has no vocab file among its assets; pass a preprocessor")
    tokenizer = Tokenizer(module.vocab_file, module.do_lower_case)
  variables = module.variable_values()
  chunks = make_batches(examples, batch_size * ENCODE_BATCHES)
  num_batches = sum(-(-len(chunk) // batch_size) for chunk in chunks)
  if progress is None:
    progress = num_batches > PROGRESS_MIN_BATCHES
  found, hidden_size, num_truncated = None, None, 0
  cls, by_rebuilt = ([], []), ([], [])  # (per-example max |diff|, cosine) against pooled_output
  with tqdm(total=num_batches, desc="batches", unit="batch", disable=not progress,
            leave=False) as bar:
    for packed in packed_batches(tokenizer, chunks, batch_size, max_seq_length):
      num_truncated += packed.num_truncated
      outputs = module(packed.input_ids, packed.input_mask, packed.segment_ids)
      pooled = outputs["pooled_output"].numpy()
      sequence = outputs["sequence_output"]
      if found is None:
        hidden_size = int(pooled.shape[-1])
        found = pooler_lib.find_pooler(variables, sequence, pooled, tolerance)
        sample = (pooled, sequence[:, :1].numpy())
      rebuilt = found(sequence).numpy()
      for (diffs, cosines), other in ((cls, sequence[:, 0].numpy()), (by_rebuilt, rebuilt)):
        max_abs, cosine = _row_stats(pooled, other)
        diffs.extend(max_abs.tolist())
        cosines.extend(cosine.tolist())
      bar.update()
  return Result(
      handle=module.handle, format=module.format, path=module.path, hidden_size=hidden_size,
      max_seq_length=max_seq_length, num_examples=len(examples), num_truncated=num_truncated,
      pooler=found, pooled_vs_cls=Stats(*cls), pooled_vs_rebuilt=Stats(*by_rebuilt),
      tolerance=tolerance,
      sample_pooled_output=sample[0], sample_sequence_output=sample[1])
