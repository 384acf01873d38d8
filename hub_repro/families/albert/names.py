"""ALBERT's names in every format it ships in, mapped onto google-research/albert's checkpoint
names (hub_repro.families.albert.modeling): Hugging Face's AlbertModel, keras-hub's AlbertBackbone,
TF Model Garden's AlbertEncoder, Google's release folders (albert_base_v2.tar.gz) and TF1 Hub
modules (google/albert_base/3).
"""

from __future__ import annotations

from hub_repro.config import BertConfig
from hub_repro.families import formats
from hub_repro.families.albert import modeling
from hub_repro.families.bert import names as bert

# AlbertModel name -> albert's checkpoint name (hub_repro.families.albert.modeling); `{g}` is the group,
# `{i}` the inner group (albert_layer_groups.{g}.albert_layers.{i}).
HF_TO_ALBERT = {
    "embeddings.word_embeddings.weight": "bert/embeddings/word_embeddings",
    "embeddings.token_type_embeddings.weight": "bert/embeddings/token_type_embeddings",
    "embeddings.position_embeddings.weight": "bert/embeddings/position_embeddings",
    "embeddings.LayerNorm.weight": "bert/embeddings/LayerNorm/gamma",
    "embeddings.LayerNorm.bias": "bert/embeddings/LayerNorm/beta",
    "encoder.embedding_hidden_mapping_in.weight": "bert/encoder/embedding_hidden_mapping_in/kernel",
    "encoder.embedding_hidden_mapping_in.bias": "bert/encoder/embedding_hidden_mapping_in/bias",
    **{f"encoder.albert_layer_groups.{{g}}.albert_layers.{{i}}.{hf}":
       f"bert/encoder/transformer/group_{{g}}/inner_group_{{i}}/{albert}" for hf, albert in [
           ("attention.query.weight", "attention_1/self/query/kernel"),
           ("attention.query.bias", "attention_1/self/query/bias"),
           ("attention.key.weight", "attention_1/self/key/kernel"),
           ("attention.key.bias", "attention_1/self/key/bias"),
           ("attention.value.weight", "attention_1/self/value/kernel"),
           ("attention.value.bias", "attention_1/self/value/bias"),
           ("attention.dense.weight", "attention_1/output/dense/kernel"),
           ("attention.dense.bias", "attention_1/output/dense/bias"),
           ("attention.LayerNorm.weight", "LayerNorm/gamma"),
           ("attention.LayerNorm.bias", "LayerNorm/beta"),
           ("ffn.weight", "ffn_1/intermediate/dense/kernel"),
           ("ffn.bias", "ffn_1/intermediate/dense/bias"),
           ("ffn_output.weight", "ffn_1/intermediate/output/dense/kernel"),
           ("ffn_output.bias", "ffn_1/intermediate/output/dense/bias"),
           ("full_layer_layer_norm.weight", "LayerNorm_1/gamma"),
           ("full_layer_layer_norm.bias", "LayerNorm_1/beta")]},
    "pooler.weight": "bert/pooler/dense/kernel",
    "pooler.bias": "bert/pooler/dense/bias",
}
ALBERT_TRANSPOSED = ("attention.query.weight", "attention.key.weight", "attention.value.weight",
                     "attention.dense.weight", "ffn.weight", "ffn_output.weight",
                     "embedding_hidden_mapping_in.weight", "pooler.weight")
HUGGING_FACE = formats.HuggingFace(
    "albert", "AlbertModel", HF_TO_ALBERT, ALBERT_TRANSPOSED, ("pooler.weight", "pooler.bias"),
    config_kwargs=lambda config: {"embedding_size": config.embedding_width,
                                  "num_hidden_groups": config.num_hidden_groups,
                                  "inner_group_num": config.inner_group_num},
    vocab_files=("spiece.model", "tokenizer.json"))

# ALBERT: modeling's names -> AlbertBackbone's. Its layers are BertBackbone's
# TransformerEncoder, one per (group g, inner layer i), named group_{g}_inner_layer_{i}.
ALBERT_TO_KERAS_HUB = {
    **{k: v for k, v in bert.BERT_TO_KERAS_HUB.items() if "/encoder/" not in k},
    "bert/encoder/embedding_hidden_mapping_in/kernel": "embedding_projection/kernel",
    "bert/encoder/embedding_hidden_mapping_in/bias": "embedding_projection/bias",
    **{modeling.GROUP + "/" + modeling.LAYER_NAMES[k.split("/", 3)[3]]:
       v.replace("transformer_layer_{n}/", "group_{g}_inner_layer_{i}/")
       for k, v in bert.BERT_TO_KERAS_HUB.items() if k.startswith("bert/encoder/layer_{n}/")},
}
def _albert_layer_calls(config: BertConfig) -> list:
  calls = config.num_hidden_layers // config.num_hidden_groups
  last = config.inner_group_num - 1
  return [(f"group_{g}_inner_layer_{last}", c) for g in range(config.num_hidden_groups)
          for c in range(calls)]


KERAS_HUB = formats.KerasHub(
    "AlbertBackbone", ALBERT_TO_KERAS_HUB,
    lambda config: {**bert.keras_hub_kwargs(config), "embedding_dim": config.embedding_width,
                    "num_groups": config.num_hidden_groups,
                    "num_inner_repetitions": config.inner_group_num},
    lambda c: {**bert.keras_hub_config(c), "family": "albert", "embedding_size": c["embedding_dim"],
               "num_hidden_groups": c.get("num_groups", 1),
               "inner_group_num": c.get("num_inner_repetitions", 1)},
    _albert_layer_calls, converts_hf=True)

# ALBERT (Model Garden's AlbertEncoder): one shared `transformer` layer, the projection, and
# BertEncoder's embedding and pooler names.
MODEL_GARDEN_TO_ALBERT = {
    **{mg: ours for mg, ours in bert.MODEL_GARDEN_TO_BERT.items()
       if not mg.startswith("transformer/")},
    "embedding_projection/kernel": "bert/encoder/embedding_hidden_mapping_in/kernel",
    "embedding_projection/bias": "bert/encoder/embedding_hidden_mapping_in/bias",
    **{mg.replace("transformer/layer_{n}/", "transformer/"):
       "bert/encoder/transformer/group_0/inner_group_0/"
       + modeling.LAYER_NAMES[ours[len("bert/encoder/layer_{n}/"):]]
       for mg, ours in bert.MODEL_GARDEN_TO_BERT.items() if mg.startswith("transformer/")},
}
MODEL_GARDEN = formats.ModelGarden(
    MODEL_GARDEN_TO_ALBERT, owns=lambda names: "transformer/self_attention/query/kernel" in names,
    layers_in_weights=False)

# [CLS] A [SEP] B [SEP], as BERT, with SentencePiece's <pad>.
PACKING = formats.Packing(pad="<pad>")

# albert_base_v2.tar.gz and its kin: albert_config.json, model.ckpt-best.*, 30k-clean.model.
GOOGLE_RELEASE = formats.GoogleRelease("albert_config.json", "model.ckpt-best", "30k-clean.model")
# TensorFlow names the reused group's scope group_0, group_0_1, ...: the layer_N is albert's own.
TF1_HUB = formats.Tf1Hub(layer_scope=r"/group_\d+(?:_\d+)?/layer_(\d+)/")
