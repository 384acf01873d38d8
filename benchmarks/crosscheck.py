"""crosscheck: `crosscheck` (hub_repro.api.crosscheck; heads and gelu given, as a user who knows
them would) over the sum of each implementation's bare forward pass on the same batches: the
module and every peer crosscheck runs (keras-hub, transformers, the modeling.py rebuild), built
once beforehand; each crosscheck builds its peers anew, which is part of what it costs."""

from __future__ import annotations

from benchmarks import models, timing
from benchmarks.sentences import sentences

METRICS = ("crosscheck_overhead_ratio",)


def measure(settings) -> dict:
  from hub_repro import api, crosscheck

  model = models.load(settings.base)
  source, config = model.source, model.config
  examples = sentences(settings.crosscheck_sentences, seed=0)
  seq, batch = settings.max_seq_length, settings.base_batch_size
  packed = models.batches(source, examples, seq, batch)
  # crosscheck's own list of peers, so that the bare side runs exactly the implementations it runs.
  peers = crosscheck._peers(source, model.params, config)
  for peer in peers:
    peer.build()
  peers = [peer.source for peer in peers if peer.source is not None]
  rows = []

  def run():
    models.fresh(source)
    rows[:] = api.crosscheck(source, examples, max_seq_length=seq, batch_size=batch,
                             num_heads=config.num_attention_heads, hidden_act=config.hidden_act,
                             xla=False)

  timing.log(f"crosscheck: vs the sum of {1 + len(peers)} bare forwards, {model.name}, "
             f"{len(examples)} sentences")
  # No warm-up: each crosscheck builds and warms up its peers anew; the forward side's first run
  # meets these shapes for the first time, and its best is a later one.
  times = timing.interleaved({"crosscheck": run,
                              "forward": lambda: models.forward(packed, source, *peers)},
                             settings.repeats, warm_up=False)
  return {"model": model.name, "sentences": len(examples), "batches": len(packed),
          "implementations": 1 + len(peers), "times": times,
          "agrees": crosscheck.agrees(rows),
          "crosscheck_overhead_ratio": timing.ratio(times, "crosscheck", "forward")}
