"""A BERT-base module for benchmarks and tests: exactly google/bert_uncased_L-12_H-768_A-12's shape
(L-12, H-768, A-12, intermediate 3072, 512 positions, 2 token types, the 30522-token uncased vocab),
random weights from a fixed seed, written by hub_repro's own exporters and cached.

    from benchmarks.bert_base import bert_base_module
    path = bert_base_module()              # $HUB_REPRO_CACHE/bench/bert_base_L12_H768_A12.tf1-hub
    path = bert_base_module(fmt="tf2")     # the same weights as a TF2 SavedModel (.tf2)

The weights: every tensor drawn from a normal distribution of stddev INIT_STDDEV = 0.02 truncated
at two standard deviations (modeling.py's `create_initializer`, tf.truncated_normal_initializer),
in `modeling.variable_shapes` order from one numpy PCG64 generator seeded with SEED; LayerNorm
gammas are 1 + that draw. Unlike BERT's init, biases and LayerNorm betas are drawn too instead of
zeros, so a check that dropped a bias (the pooler's, say) could not pass by accident. The vocab is
the embedded package's vocab.txt, which is bert-base-uncased's.

A build takes ~1 minute and ~2 GB of memory, runs once under a file lock, and leaves a manifest of
its files and of the recipe; a half-written module or one made by another recipe is rebuilt.
"""

from __future__ import annotations

import json
import os

import numpy as np

SEED = 0
INIT_STDDEV = 0.02
RECIPE = "truncated normal (2 sigma) stddev 0.02 for all tensors, LayerNorm gamma = 1 + draw; v1"
MODULE_BASENAME = "bert_base_L12_H768_A12"
FORMATS = ("tf1-hub", "tf2")
BENCH_FOLDER = "bench"
VOCAB_SIZE = 30522  # bert-base-uncased's vocab.txt


def bert_base_config():
  """google/bert_uncased_L-12_H-768_A-12's bert_config.json."""
  from hub_repro.config import BertConfig

  return BertConfig(vocab_size=VOCAB_SIZE, hidden_size=768, num_hidden_layers=12,
                    num_attention_heads=12, intermediate_size=3072, hidden_act="gelu",
                    max_position_embeddings=512, type_vocab_size=2)


def _truncated_normal(rng: np.random.Generator, shape: tuple, stddev: float) -> np.ndarray:
  """float32 normal draws of `stddev`, those beyond 2 stddev redrawn (tf.truncated_normal)."""
  values = rng.standard_normal(shape, dtype=np.float32)
  outside = np.abs(values) > 2.0
  while outside.any():
    values[outside] = rng.standard_normal(int(outside.sum()), dtype=np.float32)
    outside = np.abs(values) > 2.0
  values *= stddev
  return values


def random_weights(seed: int = SEED):
  """BertWeights of BERT-base's shape with the vocab of the embedded package (see the docstring)."""
  from hub_repro import embedded
  from hub_repro.families.bert import modeling
  from hub_repro.weights import BertWeights, check_params

  config = bert_base_config()
  vocab_file = os.path.join(embedded.model_dir(), "vocab.txt")
  with open(vocab_file, encoding="utf-8") as f:
    vocab_size = sum(1 for _ in f)
  if vocab_size != config.vocab_size:
    raise ValueError(f"{vocab_file} has {vocab_size} tokens, expected bert-base-uncased's "
                     f"{config.vocab_size}")
  rng = np.random.Generator(np.random.PCG64(seed))
  params = {}
  for name, shape in modeling.variable_shapes(config).items():
    value = _truncated_normal(rng, shape, INIT_STDDEV)
    params[name] = value + 1.0 if name.endswith("LayerNorm/gamma") else value
  check_params(params, config, "benchmarks.bert_base")
  return BertWeights(config, params, vocab_file, do_lower_case=True,
                     source=f"benchmarks.bert_base seed {seed}")


def module_path(cache_dir: str | None = None, fmt: str = "tf1-hub", seed: int = SEED) -> str:
  """Where bert_base_module keeps the module: <cache>/bench/bert_base_L12_H768_A12.<fmt>
  (..._seed<N>.<fmt> for another seed)."""
  from hub_repro import embedded

  if fmt not in FORMATS:
    raise ValueError(f"format {fmt!r} is not one of {FORMATS}")
  name = MODULE_BASENAME + ("" if seed == SEED else f"_seed{seed}")
  return os.path.join(cache_dir or embedded.cache_dir(), BENCH_FOLDER, f"{name}.{fmt}")


def _source(seed: int, fmt: str) -> dict:
  return {"recipe": RECIPE, "seed": seed, "format": fmt, "numpy": np.__version__,
          "config": bert_base_config().to_dict()}


def _is_current(path: str, source: dict) -> bool:
  """Complete (every file of the manifest at its size) and made by this recipe."""
  from hub_repro import embedded

  if not embedded.is_complete(path):
    return False
  with open(os.path.join(path, embedded.MANIFEST), encoding="utf-8") as f:
    return json.load(f).get("source") == source


def bert_base_module(cache_dir: str | None = None, fmt: str = "tf1-hub", seed: int = SEED,
                     log=print) -> str:
  """The path of the BERT-base module in `fmt` ("tf1-hub" or "tf2"), building it first if needed.

  cache_dir defaults to $HUB_REPRO_CACHE (else ~/.cache/hub_repro); the module lives in its
  bench/ folder (module_path). Two processes asking at once build it once: the second waits on the
  lock and reuses the first one's module.
  """
  from hub_repro import embedded

  source = _source(seed, fmt)

  def build(target):
    log(f"benchmarks: building the BERT-base module (random weights, seed {seed}) into {target} "
        "(once, ~1 minute)")
    weights = random_weights(seed)
    if fmt == "tf1-hub":
      from hub_repro.export_tf1 import export_tf1_hub
      export_tf1_hub(weights, target,
                     finalize=lambda path: embedded.write_manifest(path, source))
    else:
      from hub_repro.export_tf2 import export_tf2
      # export_tf2 renames the folder into place itself; the manifest comes right after, so a
      # crash in between leaves a module without one, which the next call rebuilds.
      export_tf2(weights, target)
      embedded.write_manifest(target, source)

  return embedded.build_once(module_path(cache_dir, fmt, seed),
                             lambda path: _is_current(path, source), build, log)
