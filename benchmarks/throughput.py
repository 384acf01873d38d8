"""throughput: the module against keras-hub's backbone on the same weights and fixed-shape batches,
like against like: as loaded against keras-hub's plain tf.function (throughput_vs_keras_hub), and
under --xla (Source.use_xla(True)) against keras-hub's tf.function(jit_compile=True)
(throughput_vs_keras_hub_xla); transformers' model in eager torch beside them
(throughput_vs_transformers, reported). Each figure is the other side's best time over the
module's: above 1 the module is faster. module_xla_speedup: the module as loaded over --xla."""

from __future__ import annotations

import os

from benchmarks import models, timing
from benchmarks.sentences import sentences

METRICS = ("throughput_vs_keras_hub", "throughput_vs_keras_hub_xla", "throughput_vs_transformers",
           "module_xla_speedup")


def keras_hub_runs(model, packed: list) -> dict:
  """keras-hub's backbone of the model's family holding its weights, in a plain tf.function and
  in one with jit_compile=True (one backbone: both run the same variables)."""
  import tensorflow as tf

  from hub_repro.sources import keras_hub

  backbone = keras_hub.backbone_from_params(model.params, model.config)
  inputs = [{"token_ids": ids, "segment_ids": segments, "padding_mask": mask}
            for ids, mask, segments in packed]

  def run(jit_compile: bool):
    call = tf.function(lambda x: backbone(x, training=False), jit_compile=jit_compile)
    return lambda: [call(x) for x in inputs]

  return {"keras-hub": run(False), "keras-hub XLA": run(True)}


def transformers_run(model, packed: list):
  """transformers' model of the family on the same weights, laid out as from_pretrained lays them
  out, as its users run it on CPU: eager, torch.inference_mode, int64 inputs."""
  import numpy as np
  import torch

  from hub_repro.sources import huggingface

  # torch's default is the physical cores; TensorFlow's pools use every core this process may.
  torch.set_num_threads(len(os.sched_getaffinity(0)))
  hf_model = huggingface.model_from_params(model.params, model.config, copy=True)
  inputs = [[torch.from_numpy(np.asarray(t, np.int64)) for t in batch] for batch in packed]

  def run():
    with torch.inference_mode():
      for ids, mask, segments in inputs:
        hf_model(input_ids=ids, attention_mask=mask, token_type_ids=segments)

  return run


def measure(settings) -> dict:
  from hub_repro.sources import huggingface

  model = models.load(settings.base)
  source = model.source
  examples = sentences(settings.throughput_sentences, seed=0)
  seq, batch = settings.max_seq_length, settings.base_batch_size
  packed = models.batches(source, examples, seq, batch, bucket=False)

  def module(xla: bool):
    def run():
      source.use_xla(xla)
      models.forward(packed, source)
    return run

  runs = {"module": module(False), "module --xla": module(True), **keras_hub_runs(model, packed)}
  why_not = huggingface.why_no_torch()
  if why_not is None:
    runs["transformers"] = transformers_run(model, packed)
  timing.log(f"throughput: {', '.join(runs)}; {model.name}, {len(examples)} sentences, "
             f"[{batch}, {seq}]")
  try:
    times = timing.interleaved(runs, settings.repeats)  # the warm-up call compiles under XLA
  finally:
    source.use_xla(False)
  for t in times.values():
    t["sequences_per_s"] = len(examples) / t["best_s"]
  return {"model": model.name, "sentences": len(examples), "max_seq_length": seq,
          "batch_size": batch, "times": times, "transformers_skipped": why_not,
          "throughput_vs_keras_hub": timing.ratio(times, "keras-hub", "module"),
          "throughput_vs_keras_hub_xla": timing.ratio(times, "keras-hub XLA", "module --xla"),
          "throughput_vs_transformers": (timing.ratio(times, "transformers", "module")
                                         if why_not is None else None),
          "module_xla_speedup": timing.ratio(times, "module", "module --xla")}
