"""keras-hub preset (`save_to_preset`: config.json, metadata.json, model.weights.h5, tokenizer.json,
assets/tokenizer/vocabulary.txt or vocabulary.spm), computed by keras-hub's own `BertBackbone`,
`AlbertBackbone` or `ElectraBackbone` (the family's `KERAS_HUB` names: the class, its config, its weight
paths -> the family's checkpoint names), as keras-hub keeps convert_bert.py, convert_albert.py and
convert_electra.py side by side.

keras-hub's BertBackbone hard-codes the tanh approximation of gelu (modeling.py's "gelu"), so a
preset stores every field of the config. Its attention (keras.layers.MultiHeadAttention) keeps the
heads as an axis of its own; modeling.py's dense layers are flat with the head index outer, so the
two map by a reshape, never a transpose.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sys
import threading

import numpy as np

from hub_repro import families, naming
from hub_repro.config import BertConfig
from hub_repro.errors import HandleError, WeightsError
from hub_repro.sources import Source



def keras_names(config: BertConfig):
  """What the config's family is in keras-hub (families.formats.KerasHub); None if keras-hub has
  no backbone of it."""
  return getattr(families.names(config), "KERAS_HUB", None)


def backbones() -> dict:
  """keras-hub backbone class name -> its family, for the families keras-hub has."""
  return {spec.backbone: family for family, spec in families.shipped_in("KERAS_HUB").items()}


def keras_table(config: BertConfig, present=None) -> dict:
  """The family's checkpoint names -> keras-hub weight paths for this config (the projection
  only where keras-hub makes one: ElectraBackbone not when E == H)."""
  table = naming.expand(keras_names(config).table, naming.name_ranges(config))
  if present is not None:
    table = {k: v for k, v in table.items() if v in present or "projection" not in v}
  return table
PRESET_FILES = ("config.json", "metadata.json", "model.weights.h5")


def recognizes(path: str) -> bool:
  return all(os.path.exists(os.path.join(path, f)) for f in PRESET_FILES)


def keras_activation(name: str):
  """The Keras function for one of hub_repro's activation names."""
  import keras

  if name == "gelu":
    return lambda x: keras.activations.gelu(x, approximate=True)
  if name == "gelu_exact":
    return lambda x: keras.activations.gelu(x, approximate=False)
  return keras.activations.get(name)


_ZERO_INIT_LOCK = threading.Lock()


@contextlib.contextmanager
def _zero_kernel_init(backbone_class):
  """While building `backbone_class`, its kernels and embeddings start at zero instead of
  keras-hub's truncated normal draws, which every weight overwrites right after (the map covers
  every variable: `naming.check_key_sets`). The draws are the slow part of a build: 2.6 of its
  4.4 s at BERT-base on 2 cores (110M truncated-normal samples). Each keras-hub backbone module
  takes its initializer from a function of its own (bert_backbone.bert_kernel_initializer,
  albert_..., electra_...), looked up at build time; a module without one is left as it is.
  The swap is process-wide while it lasts, so one build holds it at a time (_ZERO_INIT_LOCK):
  crosscheck builds its keras-hub peers in threads of their own, and two swaps at once would
  leave the zeros in place."""
  import keras

  module = sys.modules[backbone_class.__module__]
  name = next((n for n in vars(module) if n.endswith("_kernel_initializer")), None)
  if name is None:
    yield
    return
  with _ZERO_INIT_LOCK:
    original = getattr(module, name)
    setattr(module, name, lambda stddev=0.02: keras.initializers.Zeros())
    try:
      yield
    finally:
      setattr(module, name, original)


def backbone_from_params(params: dict, config: BertConfig, activation: str | None = None):
  """The family's keras-hub backbone (BertBackbone, AlbertBackbone, ElectraBackbone) with every
  weight set from the family's checkpoint names (`params`: arrays, or a source's own tf.Variables,
  Source.tf_params).

  `activation` None keeps keras-hub's feed-forward activation (the tanh gelu, fixed in its
  backbones); an activation name replaces it (a control run with the other gelu). An ELECTRA
  without a pooler (Google's) leaves ElectraBackbone's pooled_dense as initialised: the source
  then returns no pooled_output.
  """
  import keras_hub
  import tensorflow as tf

  from hub_repro.weights import check_params

  family = keras_names(config)
  check_params(params, config, f"keras-hub {family.backbone}")
  if family.to_keras is not None:  # weights keras-hub keeps in another layout (RoBERTa's positions)
    params = family.to_keras(params, config)
  backbone_class = getattr(keras_hub.models, family.backbone)
  with _zero_kernel_init(backbone_class):
    backbone = backbone_class(**family.to_kwargs(config), dtype="float32")
  variables = {v.path: v for v in backbone.weights}
  table = keras_table(config, variables)
  naming.check_key_sets(variables, set(table.values()),
                        f"keras-hub {family.backbone} weights vs the map")
  for name, path in table.items():
    if name not in params:  # the optional pooler (ELECTRA)
      continue
    value, target = params[name], tuple(variables[path].shape)
    if int(np.prod(value.shape)) != int(np.prod(target)):
      raise WeightsError(f"{name} has shape {tuple(value.shape)}; keras-hub's {path} has {target}")
    # A tf.Variable (Source.tf_params) is read without a copy: the assign is the one copy.
    variables[path].assign(tf.reshape(tf.cast(value, tf.float32), target))
  if activation is not None:
    function = keras_activation(activation)
    for name in {name for name, _ in family.layer_calls(config)} | {
        path.split("/")[0] for path in table.values() if "feedforward" in path}:
      layer = backbone.get_layer(name)
      layer._feedforward_intermediate_dense.activation = function
  return backbone


def keras_hub_from_hf_folder(folder: str, family: str = "bert"):
  """keras-hub's own Hugging Face converter (keras_hub.src.utils.transformers.convert_bert,
  convert_albert) on a local folder of that family; it reads config.json and model.safetensors,
  offline."""
  import keras_hub

  backbone = getattr(keras_hub.models, families.names(family).KERAS_HUB.backbone)
  return backbone.from_preset(folder, dtype="float32")


class KerasHubSource(Source):
  format = "keras-hub"
  naming = "keras-hub"

  def __init__(self, handle: str, path: str | None, backbone, config: BertConfig,
               vocab_file: str | None, do_lower_case: bool = True, pooled: bool = True):
    super().__init__(handle, path)
    self.backbone = backbone
    self._config = config
    self._family = keras_names(config)
    self.framework = f"keras-hub {self._family.backbone}"
    self.config_origin = ("heads from the preset's config.json; gelu fixed by keras-hub's "
                          f"{self._family.backbone}")
    self.vocab_file = vocab_file
    self.do_lower_case = do_lower_case
    self._pooled = pooled  # False: pooled_dense holds no weights of the model's (ELECTRA)
    self._layers_model = None
    self._functions = {}  # layers (bool) -> the traced call

  @classmethod
  def from_params(cls, params: dict, config: BertConfig, activation: str | None = None,
                  handle: str | None = None, vocab_file=None, do_lower_case=True):
    """The same weights in keras-hub's backbone of their family (crosscheck's independent
    implementation)."""
    backbone = backbone_from_params(params, config, activation)
    pooled = any(k.endswith("pooler/dense/kernel") for k in params)
    handle = handle or f"keras-hub {keras_names(config).backbone}"
    config = dataclasses.replace(config, hidden_act=activation or keras_names(config).activation)
    return cls(handle, None, backbone, config, vocab_file, do_lower_case, pooled)

  def _model(self, layers: bool):
    """The backbone, or (layers) a functional model of the same graph that also returns each
    encoder layer's output (a shared ALBERT layer: the output of each call)."""
    if not layers:
      return self.backbone
    if self._layers_model is None:
      import keras

      self._layers_model = keras.Model(
          self.backbone.inputs,
          [_by_key(self.backbone.output)[key] for key in self._output_keys()]
          + [self.backbone.get_layer(name)._inbound_nodes[call].output_tensors[0]
             for name, call in self._family.layer_calls(self._config)])
    return self._layers_model

  def function(self, layers: bool = False):
    """The model as one tf.function for every batch shape (traced once), as Keras' own predict
    runs it: called eagerly, each of its ops is dispatched from Python, which on the short
    batches of length bucketing took 1.9x the TF1 module's time at BERT-base (2.73 s against
    1.44 s for a batch of 16); the graph runs the same keras-hub ops."""
    if layers not in self._functions:
      import tensorflow as tf

      model = self._model(layers)
      ids = tf.TensorSpec([None, None], tf.int32)
      self._functions[layers] = tf.function(
          lambda inputs: model(inputs, training=False), autograph=False,
          input_signature=[{name: ids for name in ("token_ids", "segment_ids", "padding_mask")
                            if name != "segment_ids" or self._family.segment_ids}])
    return self._functions[layers]

  def run(self, input_ids, input_mask, segment_ids, layers=False):
    inputs = {"token_ids": np.asarray(input_ids, np.int32),
              "padding_mask": np.asarray(input_mask, np.int32)}
    if self._family.segment_ids:
      inputs["segment_ids"] = np.asarray(segment_ids, np.int32)
    outputs = self.function(layers)(inputs)
    if not layers:
      result = {k: _by_key(outputs)[k].numpy() for k in self._output_keys()}
    else:
      values = [t.numpy() for t in outputs]
      result = dict(zip(self._output_keys(), values))
      result["encoder_outputs"] = values[len(self._output_keys()):]
    if not self._pooled and "pooled_output" in result:
      del result["pooled_output"]
    return result

  def _output_keys(self) -> tuple:
    """The backbone's outputs: pooled_output (where it has one) and sequence_output."""
    return ("pooled_output", "sequence_output") if self._family.pooled else ("sequence_output",)

  def read_variables(self):
    return {v.path: np.asarray(v.numpy()) for v in self.backbone.weights}

  def to_params(self, variables):
    family = families.get(self._config)
    shapes = {**family.optional_shapes(self._config), **family.variable_shapes(self._config)}
    table = keras_table(self._config, variables)
    naming.check_key_sets(variables, set(table.values()), f"{self.handle}: keras-hub weights")
    params = {name: variables[path] for name, path in table.items()}
    if self._family.from_keras is not None:  # weights in another layout (RoBERTa's positions)
      params = self._family.from_keras(params, self._config)
    return {name: np.reshape(value, shapes[name]) for name, value in params.items()}

  def config(self):
    return self._config


def _by_key(outputs) -> dict:
  """A backbone's outputs by name: its dict, or sequence_output where it returns one tensor
  (DistilBertBackbone, RobertaBackbone: no pooled_output)."""
  return outputs if isinstance(outputs, dict) else {"sequence_output": outputs}


def _read_json(path: str) -> dict:
  try:
    with open(path, encoding="utf-8") as f:
      return json.load(f)
  except (OSError, ValueError) as e:
    raise HandleError(f"{path} cannot be read as JSON: {e}") from None


def load(handle: str, path: str, trust_model_code: bool = False) -> Source:
  del trust_model_code  # weights and configs only: nothing of the folder runs
  preset = _read_json(os.path.join(path, "config.json"))
  shipped = backbones()
  if preset.get("class_name") not in shipped:
    raise HandleError(f"{handle} is a keras-hub preset of {preset.get('class_name')!r}; expected "
                      f"one of {sorted(shipped)}")
  family = families.names(shipped[preset["class_name"]]).KERAS_HUB
  config = BertConfig(**{"hidden_act": family.activation, **family.from_config(preset["config"])})
  vocab_file, do_lower_case = None, True
  tokenizer_json = os.path.join(path, "tokenizer.json")
  if os.path.exists(tokenizer_json):
    tokenizer = _read_json(tokenizer_json).get("config", {})
    do_lower_case = bool(tokenizer.get("lowercase", True))
  found = [os.path.join(path, "assets", "tokenizer", name) for name in family.vocab_files
           if os.path.exists(os.path.join(path, "assets", "tokenizer", name))]
  vocab_file = found[0] if found else None
  import keras_hub

  try:
    backbone = getattr(keras_hub.models, family.backbone).from_preset(path, dtype="float32")
  except Exception as e:  # noqa: BLE001 (keras raises many kinds for a broken preset)
    raise HandleError(f"{handle}: keras-hub could not load the preset: {type(e).__name__}: "
                      f"{str(e).splitlines()[0] if str(e) else ''}") from None
  return KerasHubSource(handle, path, backbone, config, vocab_file, do_lower_case)
