"""diff: `diff` (hub_repro.diff) of the module against its twin, the same weights in another
format, over the two bare forward passes on diff's own batches; both loaded once (loading is not
timed), each diff reading the weights anew."""

from __future__ import annotations

from benchmarks import models, timing
from benchmarks.sentences import sentences

METRICS = ("diff_overhead_ratio",)


def measure(settings) -> dict:
  import hub_repro

  model = models.load(settings.base)
  a, b = model.source, model.twin
  examples = sentences(settings.diff_sentences, seed=0)
  seq, batch = settings.max_seq_length, settings.base_batch_size
  packed = models.batches(a, examples, seq, batch)  # diff runs both models on A's ids
  records = []

  def diff():
    models.fresh(a)
    models.fresh(b)
    records.append(hub_repro.diff(a, b, examples, max_seq_length=seq, batch_size=batch,
                                  xla=False))

  timing.log(f"diff: {model.name} {a.format} vs {b.format} over both bare forwards, "
             f"{len(examples)} sentences")
  times = timing.interleaved({"diff": diff, "forward": lambda: models.forward(packed, a, b)},
                             settings.slow_repeats)
  return {"model": model.name, "formats": [a.format, b.format], "sentences": len(examples),
          "batches": len(packed), "times": times, "same": records[-1]["same"],
          "diff_overhead_ratio": timing.ratio(times, "diff", "forward")}
