"""overhead: the pooler check (hub_repro.check, tokenization included) over a bare forward pass of
the embedded module as loaded on the same batches, every batch padded to max_seq_length on both
sides (what bucketing saves is the bucketing section's to measure)."""

from __future__ import annotations

from benchmarks import models, timing
from benchmarks.sentences import sentences

METRICS = ("overhead_ratio",)


def measure(settings) -> dict:
  import hub_repro

  source = models.load("embedded").source
  examples = sentences(settings.overhead_sentences, seed=0)
  seq, batch = settings.max_seq_length, settings.batch_size
  packed = models.batches(source, examples, seq, batch, bucket=False)

  def check():
    hub_repro.check(source, examples, max_seq_length=seq, batch_size=batch, bucket=False,
                    xla=False)

  timing.log(f"overhead: check vs bare forward, embedded module, {len(examples)} sentences")
  times = timing.interleaved({"check": check, "forward": lambda: models.forward(packed, source)},
                             settings.repeats)
  return {"sentences": len(examples), "max_seq_length": seq, "batch_size": batch, "times": times,
          "overhead_ratio": timing.ratio(times, "check", "forward")}
