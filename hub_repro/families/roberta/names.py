"""RoBERTa's names in every format it ships in, mapped onto its checkpoint names under "roberta/"
(hub_repro.families.roberta.modeling): Hugging Face's RobertaModel and keras-hub's RobertaBackbone.
XLM-R's tables (hub_repro.families.xlm_roberta.names) are these under its own scope.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from hub_repro.config import HF_ACTIVATIONS, BertConfig
from hub_repro.errors import ConfigError
from hub_repro.families import formats
from hub_repro.families.bert import names as bert
from hub_repro.families.roberta import modeling


def hf_table(scope: str) -> dict:
  """RobertaModel's names (BertModel's) -> the family's checkpoint names under `scope`."""
  return {hf: ours.replace("bert/", f"{scope}/", 1) for hf, ours in bert.HF_TO_BERT.items()}


def config_from_hf(values: dict, family: str) -> BertConfig:
  """A RobertaConfig's (XLMRobertaConfig's) config.json -> BertConfig: BERT's keys, and the
  family's own layer_norm_eps and pad_token_id."""
  act = values.get("hidden_act", "gelu")
  if act not in HF_ACTIVATIONS:
    raise ConfigError(f"Hugging Face hidden_act {act!r} is not one of {sorted(HF_ACTIVATIONS)}")
  if values.get("position_embedding_type", "absolute") != "absolute":
    raise ConfigError("only absolute position embeddings exist in modeling_roberta.py's "
                      f"RobertaModel, got {values['position_embedding_type']!r}")
  keys = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
          "intermediate_size", "hidden_dropout_prob", "attention_probs_dropout_prob",
          "max_position_embeddings", "type_vocab_size", "initializer_range")
  return BertConfig(**{k: values[k] for k in keys if k in values},
                    hidden_act=HF_ACTIVATIONS[act], family=family,
                    layer_norm_eps=float(values.get("layer_norm_eps", modeling.LAYER_NORM_EPSILON)),
                    pad_token_id=int(values.get("pad_token_id", modeling.PAD_TOKEN_ID)))


def hugging_face(model_type: str, model_class: str, family: str, vocab_files: tuple):
  """RoBERTa's HuggingFace spec for `model_class`, its names under the family's scope."""
  return formats.HuggingFace(
      model_type, model_class, hf_table(family), bert.HF_TRANSPOSED,
      ("pooler.dense.weight", "pooler.dense.bias"),
      config_kwargs=lambda config: {"pad_token_id": modeling.pad_token_id(config)},
      vocab_files=vocab_files,
      token_types=True,
      # roberta-base's checkpoint has no pooler; its users get one made at load time.
      loads_missing_pooler=True,
      from_config=lambda values: config_from_hf(values, family))


# tokenizer.json (all transformers 5 saves), else the byte-level BPE's vocab.json + merges.txt.
HUGGING_FACE = hugging_face("roberta", "RobertaModel", modeling.FAMILY,
                            ("tokenizer.json", "vocab.json"))


# RobertaBackbone keeps its embedding tables inside its `embeddings` layer.
KERAS_EMBEDDINGS = {"token_embedding/embeddings": "embeddings/token_embedding/embeddings",
                    "position_embedding/embeddings": "embeddings/position_embedding/embeddings"}


def keras_table(scope: str) -> dict:
  """The family's checkpoint names -> RobertaBackbone's weight paths: BertBackbone's, less the
  token type table and the pooler RobertaBackbone has not, its embeddings under `embeddings/`."""
  table = {}
  for ours, path in bert.BERT_TO_KERAS_HUB.items():
    if "token_type" in ours or "pooler" in ours:
      continue
    table[ours.replace("bert/", f"{scope}/", 1)] = KERAS_EMBEDDINGS.get(path, path)
  return table


def from_keras(scope: str):
  """keras-hub's weights (the family's names, keras-hub's layout) -> the family's: keras-hub's
  positions count from 0, where the family's table has pad_token_id + 1 rows first (row
  pad_token_id is only ever a pad token's, and keras-hub's converter drops them: zeros here), and
  it has no token type table (one row of zeros adds nothing)."""
  names = modeling.scoped(scope)
  positions = f"{names['embeddings']}/position_embeddings"
  token_types = f"{names['embeddings']}/token_type_embeddings"

  def port(params: dict, config: BertConfig) -> dict:
    table = np.asarray(params[positions])
    skipped = np.zeros([modeling.position_offset(config), table.shape[1]], table.dtype)
    return {**params, positions: np.concatenate([skipped, table]),
            token_types: np.zeros([1, table.shape[1]], table.dtype)}
  return port


def to_keras(scope: str):
  """The family's weights -> keras-hub's layout: the position rows real tokens use, with the one
  token type row (added to every token, as the position's row is) folded in."""
  names = modeling.scoped(scope)
  positions = f"{names['embeddings']}/position_embeddings"
  token_types = f"{names['embeddings']}/token_type_embeddings"

  def port(params: dict, config: BertConfig) -> dict:
    rows = np.asarray(params[positions], np.float32)[modeling.position_offset(config):]
    rows = rows + np.asarray(params[token_types], np.float32)[0]
    return {**{k: v for k, v in params.items() if k != token_types}, positions: rows}
  return port


def keras_hub(backbone: str, family: str, vocab_files: tuple):
  """RoBERTa's KerasHub spec for `backbone`, its names under the family's scope."""
  def to_kwargs(config: BertConfig) -> dict:
    kwargs = bert.keras_hub_kwargs(config)
    del kwargs["num_segments"]
    kwargs["max_sequence_length"] = (config.max_position_embeddings
                                     - modeling.position_offset(config))
    return kwargs

  def from_config(c: dict) -> dict:
    values = bert.keras_hub_config({**c, "num_segments": 1})
    # keras-hub's position table holds the real tokens' rows only.
    values["max_position_embeddings"] = c["max_sequence_length"] + modeling.PAD_TOKEN_ID + 1
    return {**values, "family": family, "layer_norm_eps": modeling.LAYER_NORM_EPSILON,
            "pad_token_id": modeling.PAD_TOKEN_ID}

  return formats.KerasHub(
      backbone, keras_table(family), to_kwargs, from_config,
      lambda config: [(f"transformer_layer_{n}", 0) for n in range(config.num_hidden_layers)],
      # Its converter (convert_roberta.py) drops token_type_embeddings: right only where that
      # row is zero (fairseq's models), so crosscheck does not take it as the same weights.
      converts_hf=False, activation="gelu_exact", segment_ids=False, pooled=False,
      vocab_files=vocab_files, from_keras=from_keras(family), to_keras=to_keras(family))


KERAS_HUB = keras_hub("RobertaBackbone", modeling.FAMILY, ("vocabulary.json",))

# <s> A </s> and <s> A </s></s> B </s>, padded with <pad> (id 1), one token type.
PACKING = formats.Packing(start="<s>", sep="</s>", pad="<pad>", double_sep=True,
                          segment_ids=False)
# XLM-R's: the same, in fairseq's ids over its SentencePiece model (where no tokenizer.json is).
FAIRSEQ_PACKING = dataclasses.replace(PACKING, fairseq_ids=True)
MODEL_GARDEN = None
GOOGLE_RELEASE = None
TF1_HUB = None
