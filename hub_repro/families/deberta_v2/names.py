"""DeBERTa-v2/v3's names in every format it ships in, mapped onto its checkpoint names under
"deberta/" (hub_repro.families.deberta_v2.modeling): Hugging Face's DebertaV2Model (config.json
model_type "deberta-v2", also DeBERTa-v3's) and keras-hub's DebertaV3Backbone.
"""

from __future__ import annotations

import dataclasses

from hub_repro.config import HF_ACTIVATIONS, BertConfig
from hub_repro.errors import ConfigError
from hub_repro.families import formats
from hub_repro.families.deberta_v2 import modeling

_E, _L = modeling.EMBEDDINGS, f"{modeling.ENCODER}/layer_{{n}}"

# DebertaV2Model name -> the family's checkpoint name: every layer any config has (a copy lacks
# those its config switches off: modeling.optional_shapes).
HF_TO_DEBERTA = {
    "embeddings.word_embeddings.weight": modeling.WORD_EMBEDDINGS,
    "embeddings.position_embeddings.weight": modeling.POSITION_EMBEDDINGS,
    "embeddings.token_type_embeddings.weight": modeling.TOKEN_TYPE_EMBEDDINGS,
    "embeddings.LayerNorm.weight": f"{_E}/LayerNorm/gamma",
    "embeddings.LayerNorm.bias": f"{_E}/LayerNorm/beta",
    "encoder.rel_embeddings.weight": modeling.REL_EMBEDDINGS,
    "encoder.LayerNorm.weight": f"{modeling.REL_LAYER_NORM}/gamma",
    "encoder.LayerNorm.bias": f"{modeling.REL_LAYER_NORM}/beta",
    **{f"encoder.layer.{{n}}.attention.self.{proj}.{hf}": f"{_L}/attention/self/{proj}/{ours}"
       for proj in ("query_proj", "key_proj", "value_proj", "pos_key_proj", "pos_query_proj")
       for hf, ours in (("weight", "kernel"), ("bias", "bias"))},
    "encoder.layer.{n}.attention.output.dense.weight": f"{_L}/attention/output/dense/kernel",
    "encoder.layer.{n}.attention.output.dense.bias": f"{_L}/attention/output/dense/bias",
    "encoder.layer.{n}.attention.output.LayerNorm.weight": f"{_L}/attention/output/LayerNorm/gamma",
    "encoder.layer.{n}.attention.output.LayerNorm.bias": f"{_L}/attention/output/LayerNorm/beta",
    "encoder.layer.{n}.intermediate.dense.weight": f"{_L}/intermediate/dense/kernel",
    "encoder.layer.{n}.intermediate.dense.bias": f"{_L}/intermediate/dense/bias",
    "encoder.layer.{n}.output.dense.weight": f"{_L}/output/dense/kernel",
    "encoder.layer.{n}.output.dense.bias": f"{_L}/output/dense/bias",
    "encoder.layer.{n}.output.LayerNorm.weight": f"{_L}/output/LayerNorm/gamma",
    "encoder.layer.{n}.output.LayerNorm.bias": f"{_L}/output/LayerNorm/beta",
}
# torch.nn.Linear weights, [out, in]: every dense layer's.
HF_TRANSPOSED = tuple(f"{proj}.weight" for proj in (
    "query_proj", "key_proj", "value_proj", "pos_key_proj", "pos_query_proj", "dense"))

# config.json keys of DebertaV2Config that select what modeling.py rebuilds (BertConfig options).
OPTION_KEYS = tuple(modeling.DEFAULTS)
BERT_KEYS = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
             "intermediate_size", "hidden_dropout_prob", "attention_probs_dropout_prob",
             "max_position_embeddings", "type_vocab_size", "initializer_range")


def config_from_hf(values: dict) -> BertConfig:
  """A DebertaV2Config's config.json -> BertConfig: BERT's keys, layer_norm_eps, and DeBERTa's
  own settings as options (pos_att_type as a list: older configs write "p2c|c2p")."""
  act = values.get("hidden_act", "gelu")
  if act not in HF_ACTIVATIONS:
    raise ConfigError(f"Hugging Face hidden_act {act!r} is not one of {sorted(HF_ACTIVATIONS)}")
  if values.get("conv_kernel_size", 0) > 0:
    raise ConfigError("conv_kernel_size > 0 (DeBERTa-v2-xlarge's convolution after the first "
                      "layer) is not rebuilt by hub_repro.families.deberta_v2")
  if values.get("embedding_size", values.get("hidden_size")) != values.get("hidden_size"):
    raise ConfigError("embedding_size != hidden_size (DebertaV2Embeddings' embed_proj) is not "
                      "rebuilt by hub_repro.families.deberta_v2")
  options = {k: values[k] for k in OPTION_KEYS if k in values}
  if isinstance(options.get("pos_att_type"), str):
    options["pos_att_type"] = [t.strip() for t in options["pos_att_type"].lower().split("|")]
  return BertConfig(**{k: values[k] for k in BERT_KEYS if k in values},
                    hidden_act=HF_ACTIVATIONS[act], family=modeling.FAMILY,
                    layer_norm_eps=float(values.get("layer_norm_eps",
                                                    modeling.LAYER_NORM_EPSILON)),
                    options=options)


HUGGING_FACE = formats.HuggingFace(
    "deberta-v2", "DebertaV2Model", HF_TO_DEBERTA, HF_TRANSPOSED, None,
    config_kwargs=lambda config: {k: modeling.option(config, k) for k in OPTION_KEYS},
    # tokenizer.json first: what transformers' DebertaV2Tokenizer runs (see PACKING).
    vocab_files=("tokenizer.json", "spm.model"),
    from_config=config_from_hf)


# The family's checkpoint names -> DebertaV3Backbone's weight paths. Its query/key/value kernels
# are per head, [H, N, d] with biases [N, d]: the same bytes as [H, H] and [H] (a reshape).
_K = "disentangled_attention_encoder_layer_{n}"
DEBERTA_TO_KERAS_HUB = {
    modeling.WORD_EMBEDDINGS: "token_embedding/embeddings",
    f"{_E}/LayerNorm/gamma": "embeddings_layer_norm/gamma",
    f"{_E}/LayerNorm/beta": "embeddings_layer_norm/beta",
    modeling.REL_EMBEDDINGS: "rel_embedding/rel_embedding",
    f"{modeling.REL_LAYER_NORM}/gamma": "rel_embedding/rel_embeddings_layer_norm/gamma",
    f"{modeling.REL_LAYER_NORM}/beta": "rel_embedding/rel_embeddings_layer_norm/beta",
    **{f"{_L}/attention/self/{proj}_proj/{w}": f"{_K}/self_attention_layer/{proj}/{w}"
       for proj in ("query", "key", "value") for w in ("kernel", "bias")},
    f"{_L}/attention/output/dense/kernel": f"{_K}/self_attention_layer/attention_output/kernel",
    f"{_L}/attention/output/dense/bias": f"{_K}/self_attention_layer/attention_output/bias",
    f"{_L}/attention/output/LayerNorm/gamma": f"{_K}/self_attention_layer_norm/gamma",
    f"{_L}/attention/output/LayerNorm/beta": f"{_K}/self_attention_layer_norm/beta",
    f"{_L}/intermediate/dense/kernel": f"{_K}/feedforward_intermediate_dense/kernel",
    f"{_L}/intermediate/dense/bias": f"{_K}/feedforward_intermediate_dense/bias",
    f"{_L}/output/dense/kernel": f"{_K}/feedforward_output_dense/kernel",
    f"{_L}/output/dense/bias": f"{_K}/feedforward_output_dense/bias",
    f"{_L}/output/LayerNorm/gamma": f"{_K}/feedforward_layer_norm/gamma",
    f"{_L}/output/LayerNorm/beta": f"{_K}/feedforward_layer_norm/beta",
}

# What DebertaV3Backbone hard-codes (DeBERTa-v3's settings): a config with other values has no
# keras-hub backbone.
KERAS_HUB_OPTIONS = {"relative_attention": True, "max_relative_positions": -1,
                     "pos_att_type": ["p2c", "c2p"], "share_att_key": True,
                     "norm_rel_ebd": "layer_norm", "position_biased_input": False}


def keras_hub_kwargs(config: BertConfig) -> dict:
  fixed = {k: modeling.option(config, k) for k in KERAS_HUB_OPTIONS}
  fixed["pos_att_type"] = sorted(modeling.pos_att_type(config))  # the order does not matter
  wanted = {**KERAS_HUB_OPTIONS, "pos_att_type": ["c2p", "p2c"]}
  if (fixed != wanted or config.type_vocab_size or modeling.option(config, "position_buckets") < 1
      or config.layer_norm_eps != modeling.LAYER_NORM_EPSILON):
    raise ConfigError(f"keras-hub's DebertaV3Backbone builds DeBERTa-v3's settings only "
                      f"({KERAS_HUB_OPTIONS}, position_buckets > 0, no token types, LayerNorm "
                      f"eps 1e-7); this config has {config.options}, type_vocab_size "
                      f"{config.type_vocab_size}, layer_norm_eps {config.layer_norm_eps:g}")
  return dict(vocabulary_size=config.vocab_size, num_layers=config.num_hidden_layers,
              num_heads=config.num_attention_heads, hidden_dim=config.hidden_size,
              intermediate_dim=config.intermediate_size, dropout=config.hidden_dropout_prob,
              max_sequence_length=config.max_position_embeddings,
              bucket_size=modeling.option(config, "position_buckets"))


def keras_hub_config(c: dict) -> dict:
  """A DebertaV3Backbone preset's config -> BertConfig arguments: its max_sequence_length bounds
  the log buckets, as max_position_embeddings does with max_relative_positions -1."""
  return dict(vocab_size=c["vocabulary_size"], hidden_size=c["hidden_dim"],
              num_hidden_layers=c["num_layers"], num_attention_heads=c["num_heads"],
              intermediate_size=c["intermediate_dim"],
              max_position_embeddings=c["max_sequence_length"], type_vocab_size=0,
              hidden_dropout_prob=c.get("dropout", 0.1),
              attention_probs_dropout_prob=c.get("dropout", 0.1), family=modeling.FAMILY,
              layer_norm_eps=modeling.LAYER_NORM_EPSILON,
              options={**KERAS_HUB_OPTIONS, "position_buckets": c["bucket_size"]})


KERAS_HUB = formats.KerasHub(
    "DebertaV3Backbone", DEBERTA_TO_KERAS_HUB, keras_hub_kwargs, keras_hub_config,
    lambda config: [(_K.format(n=n), 0) for n in range(config.num_hidden_layers)],
    # keras-hub has no converter of DeBERTa folders (its utils/transformers has no convert_deberta).
    converts_hf=False, activation="gelu_exact", segment_ids=False, pooled=False,
    vocab_files=("vocabulary.spm",))

# [CLS] A [SEP] and [CLS] A [SEP] B [SEP], padded with [PAD] (0 in DeBERTa-v3's spm.model), token
# types 0 then 1 as the tokenizers give them (a model without a token type table ignores them).
# The SentencePiece model's own normalizer only (nmt_nfkc): no ALBERT-style lower-casing.
PACKING = dataclasses.replace(formats.BERT_PACKING, own_normalizer=True)
MODEL_GARDEN = None
GOOGLE_RELEASE = None
TF1_HUB = None
