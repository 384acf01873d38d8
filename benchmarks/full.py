"""full: `--full` (the pooler check and the whole encoder rebuilt by modeling.py, hub_repro.check
with full=True) over ONE bare forward pass of the module as loaded, on the same batches padded to
max_seq_length."""

from __future__ import annotations

from benchmarks import models, timing
from benchmarks.sentences import sentences

METRICS = ("full_overhead_ratio",)


def measure(settings) -> dict:
  import hub_repro

  model = models.load(settings.base)
  source = model.source
  examples = sentences(settings.full_sentences, seed=0)
  seq, batch = settings.max_seq_length, settings.base_batch_size
  packed = models.batches(source, examples, seq, batch, bucket=False)
  results = []

  def full():
    results.append(hub_repro.check(source, examples, max_seq_length=seq, batch_size=batch,
                                   full=True, bucket=False, xla=False))

  timing.log(f"full: --full vs one bare forward, {model.name}, {len(examples)} sentences")
  # No warm-up: every --full run makes, traces and searches its rebuild anew, and its first is as
  # long as any; the forward side's best is a warm one from the second run on.
  times = timing.interleaved({"full": full, "forward": lambda: models.forward(packed, source)},
                             settings.slow_repeats, warm_up=False)
  return {"model": model.name, "sentences": len(examples), "max_seq_length": seq,
          "batch_size": batch, "times": times, "reproduced": results[-1].reproduced,
          "full_reproduced": results[-1].full.reproduced,
          "full_overhead_ratio": timing.ratio(times, "full", "forward")}
