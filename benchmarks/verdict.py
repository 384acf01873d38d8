"""verdict: time to verdict, `python -m hub_repro --handle MODULE "hello world"` from process start
to its report, over a script that only loads the module with tensorflow_hub and calls it once;
each its own process."""

from __future__ import annotations

from benchmarks import models, timing

METRICS = ("time_to_verdict_ratio",)
BARE_SCRIPT = """
import sys
import tensorflow as tf
import tensorflow_hub as hub
tokens = hub.load(sys.argv[1]).signatures["tokens"]
ids = tf.constant([[101, 7592, 2088, 102]], tf.int32)  # [CLS] hello world [SEP]
out = tokens(input_ids=ids, input_mask=tf.ones_like(ids), segment_ids=tf.zeros_like(ids))
print(float(out["pooled_output"][0, 0]))
"""


def measure(settings) -> dict:
  model = models.load(settings.base)
  runs = {"hub_repro": timing.python("-m", "hub_repro", "--handle", model.path, "hello world"),
          "bare": timing.python("-c", BARE_SCRIPT, model.path)}
  timing.log(f"verdict: python -m hub_repro vs hub.load + one call, {model.name}, own processes")
  # The warm-up processes bring the module's files and Python's bytecode into the page cache,
  # which the sections before may have pushed out.
  times = timing.interleaved(runs, settings.repeats)
  return {"model": model.name, "times": times,
          "time_to_verdict_ratio": timing.ratio(times, "hub_repro", "bare")}
