"""The comparison: run the module on packed text and measure what pooled_output is: a dense layer
of the model on sequence_output[:, 0] (modeling.py's pooler, rebuilt from the module's own
weights), an identity pooler, the [CLS] state itself, or nothing the model holds.

The verdict comes from the numbers alone: the first batch chooses the explanation (pooler.explain),
and pooled_output is "reproduced" when it matches it within POOLER_TOLERANCE on every example.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses

import numpy as np
from tqdm import tqdm

from hub_repro import families
from hub_repro import pooler as pooler_lib
from hub_repro.errors import UsageError
from hub_repro.sources import Source
from hub_repro.tokenization import PackedBatch
from hub_repro.tolerances import POOLER_TOLERANCE

# Inputs with more batches than this get a progress bar on stderr.
PROGRESS_MIN_BATCHES = 4
# Batches tokenized per tokenizer call, and sorted together for length bucketing. tensorflow_text's
# ragged ops cost ~18 ms of Python dispatch per call whatever its size, ~5% of a forward pass of 32
# examples through the embedded model; 8 batches at once made that <1% (benchmarks:
# overhead_ratio). Sorting 64 batches (2,048 examples) at once instead of 8 leaves less padding:
# on the benchmark's 2,000 natural-length lines, 80,736 cells run instead of 94,112 (a ceiling of
# 3.17x over padding everything to 128, up from 2.72x) in 63 batches instead of 71. A chunk holds
# only token ids: 2,048 x max_seq_length x 3 int32, 3 MB at 128. Packing is per example, so the
# ids are the same.
ENCODE_BATCHES = 64
# Without --max-seq-length, examples are packed to this many tokens (the TF-Hub preprocessors'
# seq_length), or to the model's position count where that is smaller.
DEFAULT_MAX_SEQ_LENGTH = 128
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
  pooler: pooler_lib.PoolerWeights | None  # the dense layer compared (None: "cls" or no pooler)
  pooled_vs_cls: Stats | None  # None: the model has no pooled_output
  pooled_vs_rebuilt: Stats | None  # against the explanation; None if there is none
  tolerance: float
  framework: str = ""
  max_seq_length_from: str = "as given"  # or "the default", "the model's position embeddings"
  family: str | None = "bert"  # hub_repro.families: "bert", "albert", "electra"; None: unknown
  full: object = None  # with --full (api.check(full=True)): the whole encoder's full.FullResult
  # How the model ran (Source.execution): {"xla": bool, "how": ...}.
  execution: dict = dataclasses.field(default_factory=dict)
  # The explanation the first batch chose (pooler.Explanation.pooled_is): what every batch is
  # compared with. None: nothing fits (no pooler to compare with).
  hypothesis: str | None = "pooler"
  named_pooler: bool = True  # the model names its pooler: it is compared whether it fits or not
  candidates: list = dataclasses.field(default_factory=list)  # pooler.Explanation.candidates_json
  # The first batch's outputs, for plots: pooled_output [B, H] and sequence_output[:, :1] [B, 1, H]
  # (all the pooler reads). Later batches are not kept, so memory does not grow with the input.
  sample_pooled_output: np.ndarray | None = dataclasses.field(default=None, repr=False)
  sample_sequence_output: np.ndarray | None = dataclasses.field(default=None, repr=False)
  # The model's output compared as pooled_output ("default" where it answers only that), whether
  # its `default` equals pooled_output where it has both (None: no `default`), and the range of
  # pooled_output's row norms (a normalized embedding has all of them 1).
  pooled_output_key: str = "pooled_output"
  default_is_pooled_output: bool | None = None
  pooled_norms: tuple[float, float] | None = None

  @property
  def reproduced(self) -> bool:
    """The explanation holds on every example within the tolerance."""
    return (self.hypothesis is not None and self.pooled_vs_rebuilt is not None
            and self.pooled_vs_rebuilt.max_abs_diff <= self.tolerance)

  @property
  def pooled_is(self) -> str:
    """What pooled_output is (pooler.POOLED_IS): the explanation if it held on every example."""
    if self.pooled_vs_cls is None:
      return "none"
    return self.hypothesis if self.reproduced else "unexplained"

  @property
  def verdict(self) -> str:
    """REPRODUCED (exit 0); NOT REPRODUCED (exit 1): an explanation was compared on every example
    and missed; NO POOLER (exit 3): no pooled_output, or nothing of the model to compare it with."""
    if self.reproduced:
      return "REPRODUCED"
    return "NOT REPRODUCED" if self.hypothesis not in (None, "none") else "NO POOLER"

  def rebuild(self, sequence_output) -> np.ndarray:
    """The explanation applied to sequence_output [B, S, H] -> [B, H]."""
    if self.hypothesis == "cls" or self.pooler is None:
      return np.asarray(sequence_output)[:, 0]
    return np.asarray(self.pooler(sequence_output))

  def no_pooler_message(self) -> str:
    """The one line of exit 3 (the candidates are in the JSON)."""
    return pooler_lib.no_pooler_message(
        self.pooled_is, self.pooled_vs_cls and self.pooled_vs_cls.max_abs_diff, self.candidates,
        self.hidden_size, self.handle)

  def to_json(self) -> dict:
    pooler = (self.pooler.to_json() if self.pooler is not None else
              {"kernel": None, "bias": None, "found_by": None,
               "activation": "none" if self.hypothesis == "cls" else None,
               "untrained_evidence": None})
    pooler["candidates"] = self.candidates
    return {
        "handle": self.handle,
        "format": self.format,
        "framework": self.framework,
        "family": self.family,
        "hidden_size": self.hidden_size,
        "max_seq_length": self.max_seq_length,
        "max_seq_length_from": self.max_seq_length_from,
        "num_examples": self.num_examples,
        "num_truncated": self.num_truncated,
        "pooled_is": self.pooled_is,
        "verdict": self.verdict,
        "pooler": pooler,
        "pooled_vs_cls": self.pooled_vs_cls and self.pooled_vs_cls.to_json(),
        "pooled_vs_rebuilt": self.pooled_vs_rebuilt and self.pooled_vs_rebuilt.to_json(),
        "tolerance": self.tolerance,
        "reproduced": self.reproduced,
        "xla": bool(self.execution.get("xla")),
        "execution": self.execution,
        "pooled_output_key": self.pooled_output_key,
        "default_is_pooled_output": self.default_is_pooled_output,
        "pooled_norms": self.pooled_norms and list(self.pooled_norms),
    }


def _row_stats(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """Per-row max |a - b| and cosine similarity, in float64 so the summary adds no rounding."""
  a, b = a.astype(np.float64), b.astype(np.float64)
  max_abs = np.max(np.abs(a - b), axis=-1)
  norms = np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1)
  cosine = np.sum(a * b, axis=-1) / np.maximum(norms, np.finfo(np.float64).tiny)
  return max_abs, cosine


def position_limit(source: Source) -> int | None:
  """Rows of the position embedding table that tokens can use: the longest sequence the model
  accepts (RoBERTa's first pad_token_id + 1 rows are skipped: its family's `position_offset`)."""
  try:  # from the config: shapes, where a source can give them without reading the weights
    config = source.config()
    offset = getattr(families.get(config), "position_offset", None)
    return int(config.max_position_embeddings) - (offset(config) if offset else 0)
  except (ValueError, KeyError):  # names no source maps: look for the table by name
    for name, value in sorted(source.variable_values().items()):
      if "position_emb" in name and len(value.shape) == 2:
        return int(value.shape[0])
  return None


def sequence_length(requested: int | None, limit: int | None) -> tuple[int, str]:
  """The length to pack to, and why: `requested` as given, or DEFAULT_MAX_SEQ_LENGTH, or the model's
  position count `limit` where that is smaller. UsageError if `requested` exceeds `limit`."""
  if requested is not None:
    if limit is not None and requested > limit:
      raise UsageError(f"--max-seq-length {requested} is above the model's {limit} position "
                       f"embeddings; use at most {limit}")
    return requested, "as given"
  if limit is not None and limit < DEFAULT_MAX_SEQ_LENGTH:
    return limit, "the model's position embeddings"
  return DEFAULT_MAX_SEQ_LENGTH, "the default"


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


class PoolerCheck:
  """What pooled_output is, measured batch by batch as compare.check's pass hands the batches over
  (`observe`): the first batch chooses the explanation (pooler.explain), every batch is compared
  with it and with sequence_output[:, 0]. Only per-example statistics are kept."""

  def __init__(self, source: Source, num_examples: int, tolerance: float = POOLER_TOLERANCE):
    self.source, self.tolerance = source, tolerance
    self.found: pooler_lib.Explanation | None = None
    self.hidden_size, self.sample = None, (None, None)
    self.has_pooled = True
    self.cls = (np.zeros(num_examples), np.zeros(num_examples))  # (max |diff|, cosine)
    self.by_rebuilt = (np.zeros(num_examples), np.zeros(num_examples))
    self.norms = (np.inf, 0.0)  # (min, max) of pooled_output's row norms

  def observe(self, batch: Batch) -> None:
    pooled, sequence = batch.outputs.get("pooled_output"), batch.outputs["sequence_output"]
    if self.found is None:
      self.hidden_size = int(sequence.shape[-1])
      self.found = (pooler_lib.Explanation("none", None, False, None) if pooled is None else
                    pooler_lib.explain(self.source.variable_values(), sequence, pooled,
                                       self.tolerance, named=self.source.named_pooler()))
      self.sample = (pooled, sequence[:, :1])
    if pooled is None:
      self.has_pooled = False
      return
    found = self.found
    norms = np.linalg.norm(np.asarray(pooled, np.float64), axis=-1)
    self.norms = (min(self.norms[0], float(norms.min())), max(self.norms[1], float(norms.max())))
    compared = [(self.cls, sequence[:, 0])]
    if found.pooled_is == "cls":
      compared.append((self.by_rebuilt, sequence[:, 0]))
    elif found.pooler is not None:
      compared.append((self.by_rebuilt, np.asarray(found.pooler(sequence))))
    for (diffs, cosines), other in compared:
      diffs[batch.indices], cosines[batch.indices] = _row_stats(pooled, other)

  def result(self, max_seq_length: int, num_truncated: int) -> Result:
    found, source = self.found, self.source
    stats = lambda pair: Stats(*(a.tolist() for a in pair))  # noqa: E731
    compared = self.has_pooled and (found.pooled_is == "cls" or found.pooler is not None)
    return Result(
        handle=source.handle, format=source.format, path=source.path,
        hidden_size=self.hidden_size, max_seq_length=max_seq_length,
        num_examples=len(self.cls[0]), num_truncated=num_truncated,
        pooler=found.pooler, pooled_vs_cls=stats(self.cls) if self.has_pooled else None,
        pooled_vs_rebuilt=stats(self.by_rebuilt) if compared else None,
        tolerance=self.tolerance, framework=source.framework, family=source.family,
        hypothesis=found.pooled_is if self.has_pooled else "none",
        named_pooler=found.named, candidates=found.candidates_json(),
        sample_pooled_output=self.sample[0], sample_sequence_output=self.sample[1],
        pooled_output_key=source.pooled_output_key,
        default_is_pooled_output=source.default_is_pooled_output,
        pooled_norms=self.norms if self.has_pooled else None)


def check(source: Source, examples: list, max_seq_length: int | None = None, batch_size: int = 32,
          tolerance: float = POOLER_TOLERANCE, progress: bool | None = None, tokenizer=None,
          bucket: bool = True, also=()) -> Result:
  """Runs the reproduction on `examples` (strings or (first, second) pairs) and returns the numbers.

  One pass: each batch is tokenized once and run once; `also` are further checks (full.FullCheck)
  whose `observe(batch)` reads the same outputs.
  `tokenizer` (a tokenization.HubPreprocessor, say) defaults to the source's own. What
  pooled_output is comes back as `Result.pooled_is`, whatever it is (no pooled_output, nothing
  that explains it: `Result.verdict` "NO POOLER"). `max_seq_length` None: see sequence_length.
  """
  if not examples:
    raise UsageError("no examples to run")
  if batch_size < 1:
    raise UsageError(f"batch size must be at least 1, got {batch_size}")
  max_seq_length, length_from = sequence_length(max_seq_length, position_limit(source))
  tokenizer = tokenizer or source.tokenizer()
  num_batches = _count_batches(examples, batch_size)
  if progress is None:
    progress = num_batches > PROGRESS_MIN_BATCHES
  want_layers = any(getattr(c, "wants_layers", False) for c in also)
  pooled_check = PoolerCheck(source, len(examples), tolerance)
  num_truncated = 0
  def observe(batch: Batch) -> None:
    for consumer in (pooled_check, *also):
      consumer.observe(batch)
    batch.outputs = None  # let the outputs go before the next batch
    bar.update()

  # With further checks (--full's rebuild), a worker thread has them read a batch's outputs while
  # the model runs the next batch: two passes at once keep both cores busy (--full's ratio to one
  # forward pass, benchmarks/full.py: 2.05 against 2.23 one after the other on a 2-core Xeon). One
  # batch's outputs wait at a time; the thread starts on the first submit and is joined here.
  with tqdm(total=num_batches, desc="batches", unit="batch", disable=not progress,
            leave=False) as bar, concurrent.futures.ThreadPoolExecutor(
                1, thread_name_prefix="hub_repro-checks") as pool:
    observed = None
    for batch in batches(tokenizer, examples, max_seq_length, batch_size, bucket):
      num_truncated += batch.packed.num_truncated
      packed = batch.packed
      batch.outputs = source.run(packed.input_ids, packed.input_mask, packed.segment_ids,
                                 layers=want_layers)
      if observed is not None:
        observed.result()  # the previous batch's checks are done (and raise, if they failed)
      observed = pool.submit(observe, batch) if also else observe(batch)
    if observed is not None:
      observed.result()
  result = pooled_check.result(max_seq_length, num_truncated)
  result.max_seq_length_from = length_from
  result.execution = source.execution()
  return result


def _count_batches(examples: list, batch_size: int) -> int:
  chunk_size = batch_size * ENCODE_BATCHES
  count = 0
  for start in range(0, len(examples), chunk_size):
    pairs = sum(1 for e in examples[start:start + chunk_size] if not isinstance(e, str))
    singles = min(chunk_size, len(examples) - start) - pairs
    count += -(-pairs // batch_size) + -(-singles // batch_size)
  return count
