"""The models the sections run, each loaded once per process, and their packed inputs.

- "embedded": hub_repro's default, all-MiniLM-L6-v2 as a TF1 Hub module (L-6, H-384); its twin
  (the same weights in another format, diff's B) is the Hugging Face folder it was exported from.
- "bert-base": a TF1 Hub module of google/bert_uncased_L-12_H-768_A-12's exact shape with random
  weights (benchmarks.bert_base, built once into $HUB_REPRO_CACHE/bench); its twin is the same
  weights exported as a TF2 SavedModel.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

from benchmarks.timing import log

if TYPE_CHECKING:  # hub_repro's modules import TensorFlow: loaded when a section needs them
  from hub_repro.config import BertConfig
  from hub_repro.sources import Source

NAMES = ("embedded", "bert-base")


@dataclasses.dataclass
class Model:
  """One model as the sections use it."""
  name: str  # one of NAMES
  path: str  # the TF1 Hub module's folder
  config: BertConfig  # as its maker wrote it (heads and gelu included)
  source: Source  # the module, loaded; run as loaded unless a section says otherwise
  twin_path: Callable[[], str]  # the folder of the same weights in another format

  @functools.cached_property
  def params(self) -> dict:
    """The weights under modeling.py's names (float32 numpy)."""
    return self.source.params()

  @functools.cached_property
  def twin(self):
    """The twin, loaded (built first, the first time)."""
    import hub_repro
    return hub_repro.load(self.twin_path(), log=log)


@functools.cache
def load(name: str) -> Model:
  """The model `name` (NAMES), loaded the first time it is asked for."""
  import hub_repro

  if name == "bert-base":
    from benchmarks import bert_base
    path = bert_base.bert_base_module(log=log)
    return Model(name, path, bert_base.bert_base_config(), hub_repro.load(path, log=log),
                 functools.partial(bert_base.bert_base_module, fmt="tf2", log=log))
  if name == "embedded":  # by its handle None, as `hub_repro.check()` loads it
    from hub_repro import embedded
    source = hub_repro.load(None, log=log)
    return Model(name, source.path, embedded.config(), source, embedded.model_dir)
  raise ValueError(f"no benchmark model {name!r}; expected one of {NAMES}")


def batches(source, examples: list, max_seq_length: int, batch_size: int,
            bucket: bool = True) -> list[tuple]:
  """The (input_ids, input_mask, segment_ids) of each batch hub_repro's checks run on `examples`
  with the source's own tokenizer (compare.batches), packed once, before any timing."""
  from hub_repro import compare

  packed = [b.packed for b in compare.batches(source.tokenizer(), examples, max_seq_length,
                                              batch_size, bucket)]
  return [(p.input_ids, p.input_mask, p.segment_ids) for p in packed]


def forward(packed: list[tuple], *sources) -> None:
  """The bare forward pass: each batch through each source, nothing else."""
  for batch in packed:
    for source in sources:
      source.run(*batch)


def fresh(source) -> None:
  """Forgets the weights a source has read, so that a timed check reads them again as a new
  process would (the loaded graph stays: loading is not timed)."""
  source._values = source._params = None
  read = getattr(getattr(source, "_variables", None), "_read", None)  # a TF1 module's cache
  if read is not None:
    read.clear()
