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
from hub_repro.sources import Source
from hub_repro.tokenization import PackedBatch

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
# With length bucketing, a batch is padded to its longest example rounded up to this: few distinct
# shapes (each compiled function is traced once per shape) and matmul-friendly widths.
BUCKET_MULTIPLE = 16


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
  framework: str = ""
  family: str | None = "bert"  # hub_repro.families: "bert", "albert", "electra"; None: unknown
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
        "framework": self.framework,
        "family": self.family,
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


def position_limit(source: Source) -> int | None:
  """Rows of the position embedding table: the longest sequence the model accepts."""
  try:  # from the config: shapes, where a source can give them without reading the weights
    return int(source.config().max_position_embeddings)
  except (ValueError, KeyError):  # names no source maps: look for the table by name
    for name, value in sorted(source.variable_values().items()):
      if "position_emb" in name and len(value.shape) == 2:
        return int(value.shape[0])
  return None


def round_up(length: int, multiple: int = BUCKET_MULTIPLE) -> int:
  return -(-length // multiple) * multiple


@dataclasses.dataclass
class Batch:
  """One batch on its way through the checks: which examples, their packed ids, the outputs."""
  indices: np.ndarray  # [B] positions of the examples in the input, for the report's order
  packed: PackedBatch  # numpy-convertible int32 ids, [B, S]
  outputs: dict | None = None  # what the source returned for it


def batches(tokenizer, examples: list, max_seq_length: int, batch_size: int,
            bucket: bool = True):
  """Yields Batches of at most batch_size examples, each tokenized once.

  Examples are tokenized ENCODE_BATCHES batches at a time, single sentences and pairs apart (they
  pack differently), and packed to max_seq_length. With `bucket`, the examples of a chunk are
  sorted by length, shortest first, and each batch is cut to its longest example, rounded up to
  BUCKET_MULTIPLE: padding sits at the end, so this drops only padding columns. Without it every
  batch keeps max_seq_length, exactly as a TF-Hub preprocessor pads.
  """
  chunk_size = batch_size * ENCODE_BATCHES
  for start in range(0, len(examples), chunk_size):
    chunk = examples[start:start + chunk_size]
    for is_pair in (False, True):
      rows = [i for i, e in enumerate(chunk) if isinstance(e, str) != is_pair]
      if not rows:
        continue
      packed = tokenizer.encode([chunk[i] for i in rows], max_seq_length)
      lengths = np.asarray(packed.input_mask).sum(axis=1)
      # Shortest first: measured on the embedded module, 2,000 natural-length lines run 4-13%
      # faster (wall and CPU) than longest first.
      order = np.argsort(lengths, kind="stable") if bucket else np.arange(len(rows))
      for first in range(0, len(rows), batch_size):
        take = order[first:first + batch_size]
        width = (min(max_seq_length, round_up(int(lengths[take].max()))) if bucket
                 else max_seq_length)
        yield Batch(np.asarray(rows)[take] + start, packed.take(take, width))


def check(source: Source, examples: list, max_seq_length: int = 128, batch_size: int = 32,
          tolerance: float = TOLERANCE, progress: bool | None = None, tokenizer=None,
          bucket: bool = True, also=()) -> Result:
  """Runs the reproduction on `examples` (strings or (first, second) pairs) and returns the numbers.

  One pass: each batch is tokenized once and run once; `also` are further checks (full.FullCheck)
  whose `observe(batch)` reads the same outputs. `tokenizer` (a tokenization.HubPreprocessor, say)
  defaults to the source's own. Raises pooler.NoPoolerError if no dense layer of the model
  explains pooled_output.
  """
  if not examples:
    raise ValueError("no examples to run")
  if batch_size < 1:
    raise ValueError(f"batch size must be at least 1, got {batch_size}")
  tokenizer = tokenizer or source.tokenizer()
  num_batches = _count_batches(examples, batch_size)
  if progress is None:
    progress = num_batches > PROGRESS_MIN_BATCHES
  want_layers = any(getattr(c, "wants_layers", False) for c in also)
  found, hidden_size, num_truncated, sample = None, None, 0, None
  n = len(examples)
  cls = (np.zeros(n), np.zeros(n))  # (per-example max |diff|, cosine) against pooled_output
  by_rebuilt = (np.zeros(n), np.zeros(n))
  with tqdm(total=num_batches, desc="batches", unit="batch", disable=not progress,
            leave=False) as bar:
    for batch in batches(tokenizer, examples, max_seq_length, batch_size, bucket):
      packed = batch.packed
      num_truncated += packed.num_truncated
      batch.outputs = source.run(packed.input_ids, packed.input_mask, packed.segment_ids,
                                 layers=want_layers)
      pooled, sequence = batch.outputs["pooled_output"], batch.outputs["sequence_output"]
      if found is None:
        hidden_size = int(pooled.shape[-1])
        found = pooler_lib.find_pooler(source.variable_values(), sequence, pooled, tolerance,
                                       named=source.named_pooler())
        sample = (pooled, sequence[:, :1])
      rebuilt = np.asarray(found(sequence))
      for (diffs, cosines), other in ((cls, sequence[:, 0]), (by_rebuilt, rebuilt)):
        diffs[batch.indices], cosines[batch.indices] = _row_stats(pooled, other)
      for consumer in also:
        consumer.observe(batch)
      batch.outputs = None  # let the outputs go before the next batch
      bar.update()
  return Result(
      handle=source.handle, format=source.format, path=source.path, hidden_size=hidden_size,
      max_seq_length=max_seq_length, num_examples=n, num_truncated=num_truncated,
      pooler=found, pooled_vs_cls=Stats(*(a.tolist() for a in cls)),
      pooled_vs_rebuilt=Stats(*(a.tolist() for a in by_rebuilt)), tolerance=tolerance,
      framework=source.framework, family=source.family,
      sample_pooled_output=sample[0], sample_sequence_output=sample[1])


def _count_batches(examples: list, batch_size: int) -> int:
  chunk_size = batch_size * ENCODE_BATCHES
  count = 0
  for start in range(0, len(examples), chunk_size):
    pairs = sum(1 for e in examples[start:start + chunk_size] if not isinstance(e, str))
    singles = min(chunk_size, len(examples) - start) - pairs
    count += -(-pairs // batch_size) + -(-singles // batch_size)
  return count
