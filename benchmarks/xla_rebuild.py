"""xla_rebuild: whether XLA pays for the modeling.py rebuild (what --full, crosscheck and the
google-checkpoint format compute with): the embedded model's rebuild on one fixed-shape batch as
the plain tf.function it is, over the same under jit_compile=True. Below 1, XLA is slower here and
the rebuild rightly stays a plain tf.function.

    python -m benchmarks.xla_rebuild [--quick | --smoke]      (benchmarks --only xla_rebuild)
"""

from __future__ import annotations

import sys

from benchmarks import models, timing
from benchmarks.sentences import sentences

METRICS = ("rebuild_xla_speedup",)


def measure(settings) -> dict:
  import numpy as np
  import tensorflow as tf

  from hub_repro.sources.google_checkpoint import ModelingSource

  model = models.load("embedded")
  plain = ModelingSource.from_params(model.params, model.config).forward()
  compiled = tf.function(lambda *ids: plain(*ids), jit_compile=True, autograph=False)
  seq, batch = settings.max_seq_length, settings.batch_size
  ids = [tf.constant(t, tf.int32) for t in models.batches(
      model.source, sentences(batch, seed=0), seq, batch, bucket=False)[0]]
  outputs = {}

  def run(name, function):
    return lambda: outputs.__setitem__(name, function(*ids)["sequence_output"].numpy())

  timing.log(f"xla_rebuild: the embedded model's rebuild, plain vs XLA, [{batch}, {seq}]")
  times = timing.interleaved({"plain": run("plain", plain), "xla": run("xla", compiled)},
                             settings.repeats)
  return {"max_seq_length": seq, "batch_size": batch, "times": times,
          "sequence_output_max_abs_diff": float(np.max(np.abs(outputs["plain"]
                                                              - outputs["xla"]))),
          "rebuild_xla_speedup": timing.ratio(times, "plain", "xla")}


if __name__ == "__main__":
  from benchmarks import run as run_lib

  sys.exit(run_lib.main(["--only", "xla_rebuild", *sys.argv[1:]]))
