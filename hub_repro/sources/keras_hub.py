"""keras-hub preset (`save_to_preset`: config.json, metadata.json, model.weights.h5, tokenizer.json,
assets/tokenizer/vocabulary.txt), computed by keras-hub's own `BertBackbone`.

keras-hub's BertBackbone hard-codes the tanh approximation of gelu (modeling.py's "gelu"), so a
preset stores every field of the config. Its attention (keras.layers.MultiHeadAttention) keeps the
heads as an axis of its own; modeling.py's dense layers are flat with the head index outer, so the
two map by a reshape, never a transpose.
"""

from __future__ import annotations

import dataclasses
import json
import os

import numpy as np

from hub_repro import naming
from hub_repro.config import BertConfig
from hub_repro.sources import HandleError, Source

# modeling.py name -> keras-hub BertBackbone weight path (`keras.Variable.path`); `{n}` is the layer.
BERT_TO_KERAS_HUB = {
    "bert/embeddings/word_embeddings": "token_embedding/embeddings",
    "bert/embeddings/token_type_embeddings": "segment_embedding/embeddings",
    "bert/embeddings/position_embeddings": "position_embedding/embeddings",
    "bert/embeddings/LayerNorm/gamma": "embeddings_layer_norm/gamma",
    "bert/embeddings/LayerNorm/beta": "embeddings_layer_norm/beta",
    "bert/encoder/layer_{n}/attention/self/query/kernel": "transformer_layer_{n}/self_attention_layer/query/kernel",
    "bert/encoder/layer_{n}/attention/self/query/bias": "transformer_layer_{n}/self_attention_layer/query/bias",
    "bert/encoder/layer_{n}/attention/self/key/kernel": "transformer_layer_{n}/self_attention_layer/key/kernel",
    "bert/encoder/layer_{n}/attention/self/key/bias": "transformer_layer_{n}/self_attention_layer/key/bias",
    "bert/encoder/layer_{n}/attention/self/value/kernel": "transformer_layer_{n}/self_attention_layer/value/kernel",
    "bert/encoder/layer_{n}/attention/self/value/bias": "transformer_layer_{n}/self_attention_layer/value/bias",
    "bert/encoder/layer_{n}/attention/output/dense/kernel": "transformer_layer_{n}/self_attention_layer/attention_output/kernel",
    "bert/encoder/layer_{n}/attention/output/dense/bias": "transformer_layer_{n}/self_attention_layer/attention_output/bias",
    "bert/encoder/layer_{n}/attention/output/LayerNorm/gamma": "transformer_layer_{n}/self_attention_layer_norm/gamma",
    "bert/encoder/layer_{n}/attention/output/LayerNorm/beta": "transformer_layer_{n}/self_attention_layer_norm/beta",
    "bert/encoder/layer_{n}/intermediate/dense/kernel": "transformer_layer_{n}/feedforward_intermediate_dense/kernel",
    "bert/encoder/layer_{n}/intermediate/dense/bias": "transformer_layer_{n}/feedforward_intermediate_dense/bias",
    "bert/encoder/layer_{n}/output/dense/kernel": "transformer_layer_{n}/feedforward_output_dense/kernel",
    "bert/encoder/layer_{n}/output/dense/bias": "transformer_layer_{n}/feedforward_output_dense/bias",
    "bert/encoder/layer_{n}/output/LayerNorm/gamma": "transformer_layer_{n}/feedforward_layer_norm/gamma",
    "bert/encoder/layer_{n}/output/LayerNorm/beta": "transformer_layer_{n}/feedforward_layer_norm/beta",
    "bert/pooler/dense/kernel": "pooled_dense/kernel",
    "bert/pooler/dense/bias": "pooled_dense/bias",
}
# Reshaped per head (see the module docstring): [H, H] <-> [H, N, H/N], [H] <-> [N, H/N], and the
# attention output kernel [H, H] <-> [N, H/N, H].
PER_HEAD = ["attention/self/query/kernel", "attention/self/key/kernel",
            "attention/self/value/kernel", "attention/self/query/bias",
            "attention/self/key/bias", "attention/self/value/bias",
            "attention/output/dense/kernel"]
GELU = "gelu"  # keras_hub.src.utils.keras_utils.gelu_approximate: the tanh approximation
PRESET_FILES = ("config.json", "metadata.json", "model.weights.h5")


def recognizes(path: str) -> bool:
  return all(os.path.exists(os.path.join(path, f)) for f in PRESET_FILES)


def keras_activation(name: str):
  """The Keras function for one of hub_repro's activation names."""
  import keras  # noqa: PLC0415

  if name == "gelu":
    return lambda x: keras.activations.gelu(x, approximate=True)
  if name == "gelu_exact":
    return lambda x: keras.activations.gelu(x, approximate=False)
  return keras.activations.get(name)


def backbone_from_params(params: dict, config: BertConfig, activation: str | None = None):
  """keras_hub.models.BertBackbone with every weight set from modeling.py's names.

  `activation` None keeps keras-hub's feed-forward activation (the tanh gelu, fixed in
  BertBackbone); an activation name replaces it (a control run with the other gelu).
  """
  import keras_hub  # noqa: PLC0415

  from hub_repro.weights import check_params  # noqa: PLC0415

  check_params(params, config, "keras-hub BertBackbone")
  backbone = keras_hub.models.BertBackbone(
      vocabulary_size=config.vocab_size, num_layers=config.num_hidden_layers,
      num_heads=config.num_attention_heads, hidden_dim=config.hidden_size,
      intermediate_dim=config.intermediate_size, dropout=config.hidden_dropout_prob,
      max_sequence_length=config.max_position_embeddings, num_segments=config.type_vocab_size,
      dtype="float32")
  variables = {v.path: v for v in backbone.weights}
  table = naming.expand_layers(BERT_TO_KERAS_HUB, config.num_hidden_layers)
  naming.check_key_sets(variables, set(table.values()), "keras-hub BertBackbone weights vs the map")
  for name, path in table.items():
    value, target = np.asarray(params[name], np.float32), tuple(variables[path].shape)
    if value.size != int(np.prod(target)):
      raise ValueError(f"{name} has shape {value.shape}; keras-hub's {path} has {target}")
    variables[path].assign(value.reshape(target))
  if activation is not None:
    function = keras_activation(activation)
    for n in range(config.num_hidden_layers):
      layer = backbone.get_layer(f"transformer_layer_{n}")
      layer._feedforward_intermediate_dense.activation = function  # noqa: SLF001
  return backbone


def keras_hub_from_hf_folder(folder: str):
  """keras-hub's own Hugging Face converter (keras_hub.src.utils.transformers.convert_bert) on a
  local BertModel folder; it reads config.json and model.safetensors, offline."""
  import keras_hub  # noqa: PLC0415

  return keras_hub.models.BertBackbone.from_preset(folder, dtype="float32")


class KerasHubSource(Source):
  format = "keras-hub"
  framework = "keras-hub BertBackbone"
  naming = "keras-hub"
  config_origin = "heads from the preset's config.json; gelu fixed by keras-hub's BertBackbone"

  def __init__(self, handle: str, path: str | None, backbone, config: BertConfig,
               vocab_file: str | None, do_lower_case: bool = True):
    super().__init__(handle, path)
    self.backbone = backbone
    self._config = config
    self.vocab_file = vocab_file
    self.do_lower_case = do_lower_case
    self._layers_model = None

  @classmethod
  def from_params(cls, params: dict, config: BertConfig, activation: str | None = None,
                  handle: str = "keras-hub BertBackbone", vocab_file=None, do_lower_case=True):
    """The same weights in keras-hub's BertBackbone (crosscheck's independent implementation)."""
    backbone = backbone_from_params(params, config, activation)
    config = dataclasses.replace(config, hidden_act=activation or GELU)
    return cls(handle, None, backbone, config, vocab_file, do_lower_case)

  def run(self, input_ids, input_mask, segment_ids, layers=False):
    import keras  # noqa: PLC0415

    inputs = {"token_ids": np.asarray(input_ids, np.int32),
              "segment_ids": np.asarray(segment_ids, np.int32),
              "padding_mask": np.asarray(input_mask, np.int32)}
    if not layers:
      outputs = self.backbone(inputs, training=False)
      return {k: keras.ops.convert_to_numpy(outputs[k])
              for k in ("pooled_output", "sequence_output")}
    if self._layers_model is None:  # BertBackbone is functional: expose each layer's output
      self._layers_model = keras.Model(
          self.backbone.inputs,
          [self.backbone.output["pooled_output"], self.backbone.output["sequence_output"]]
          + [self.backbone.get_layer(f"transformer_layer_{n}").output
             for n in range(self._config.num_hidden_layers)])
    pooled, sequence, *encoder = [keras.ops.convert_to_numpy(t)
                                  for t in self._layers_model(inputs, training=False)]
    return {"pooled_output": pooled, "sequence_output": sequence, "encoder_outputs": encoder}

  def read_variables(self):
    return {v.path: np.asarray(v.numpy()) for v in self.backbone.weights}

  def to_params(self, variables):
    from hub_repro import modeling  # noqa: PLC0415

    shapes = modeling.variable_shapes(self._config)
    table = naming.expand_layers(BERT_TO_KERAS_HUB, self._config.num_hidden_layers)
    naming.check_key_sets(variables, set(table.values()), f"{self.handle}: keras-hub weights")
    return {name: np.reshape(variables[path], shapes[name]) for name, path in table.items()}

  def config(self):
    return self._config


def _read_json(path: str) -> dict:
  try:
    with open(path, encoding="utf-8") as f:
      return json.load(f)
  except (OSError, ValueError) as e:
    raise HandleError(f"{path} cannot be read as JSON: {e}") from None


def load(handle: str, path: str) -> Source:
  preset = _read_json(os.path.join(path, "config.json"))
  if preset.get("class_name") != "BertBackbone":
    raise HandleError(f"{handle} is a keras-hub preset of {preset.get('class_name')!r}; expected "
                      "a BertBackbone")
  c = preset["config"]
  config = BertConfig(
      vocab_size=c["vocabulary_size"], hidden_size=c["hidden_dim"], num_hidden_layers=c["num_layers"],
      num_attention_heads=c["num_heads"], intermediate_size=c["intermediate_dim"], hidden_act=GELU,
      max_position_embeddings=c["max_sequence_length"], type_vocab_size=c["num_segments"],
      hidden_dropout_prob=c.get("dropout", 0.1), attention_probs_dropout_prob=c.get("dropout", 0.1))
  vocab_file, do_lower_case = None, True
  tokenizer_json = os.path.join(path, "tokenizer.json")
  if os.path.exists(tokenizer_json):
    tokenizer = _read_json(tokenizer_json).get("config", {})
    do_lower_case = bool(tokenizer.get("lowercase", True))
  candidate = os.path.join(path, "assets", "tokenizer", "vocabulary.txt")
  if os.path.exists(candidate):
    vocab_file = candidate
  import keras_hub  # noqa: PLC0415

  try:
    backbone = keras_hub.models.BertBackbone.from_preset(path, dtype="float32")
  except Exception as e:  # noqa: BLE001 (keras raises many kinds for a broken preset)
    raise HandleError(f"{handle}: keras-hub could not load the preset: {type(e).__name__}: "
                      f"{str(e).splitlines()[0] if str(e) else ''}") from None
  return KerasHubSource(handle, path, backbone, config, vocab_file, do_lower_case)
