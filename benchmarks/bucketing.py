"""bucketing: the pooler check on a natural-length text file (sentences and tab-separated pairs,
log-normal lengths: sentences.natural_lines) with every batch padded to max_seq_length, over the
same check with length bucketing (hub_repro.check bucket=False / True), embedded module."""

from __future__ import annotations

from benchmarks import models, timing
from benchmarks.sentences import natural_lines

METRICS = ("bucketing_speedup",)


def measure(settings) -> dict:
  import hub_repro

  source = models.load("embedded").source
  examples = [tuple(line.split("\t")) if "\t" in line else line
              for line in natural_lines(settings.bucketing_lines, seed=0)]
  seq, batch = settings.max_seq_length, settings.batch_size

  def check(bucket: bool):
    return lambda: hub_repro.check(source, examples, max_seq_length=seq, batch_size=batch,
                                   bucket=bucket, xla=False)

  # Token cells each way: the padded run computes this many times more, a ceiling for the speedup.
  cells = {bucket: sum(ids.size for ids, _, _ in models.batches(source, examples, seq, batch,
                                                                 bucket))
           for bucket in (False, True)}
  timing.log(f"bucketing: padded vs bucketed, embedded module, {len(examples)} lines")
  times = timing.interleaved({"padded": check(False), "bucketed": check(True)},
                             settings.slow_repeats, warm_up=False)
  return {"lines": len(examples), "pairs": sum(isinstance(e, tuple) for e in examples),
          "max_seq_length": seq, "batch_size": batch, "times": times,
          "cell_ratio": cells[False] / cells[True],
          "bucketing_speedup": timing.ratio(times, "padded", "bucketed")}
