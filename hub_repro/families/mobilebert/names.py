"""MobileBERT's names in every format it ships in, mapped onto its checkpoint names
(hub_repro.families.mobilebert.modeling): Hugging Face's MobileBertModel and TF Model Garden's
MobileBERTEncoder (TF-Hub's TF2 SavedModels).
"""

from __future__ import annotations

import dataclasses
import re

from hub_repro.config import BertConfig
from hub_repro.families import formats
from hub_repro.families.mobilebert import modeling

_LAYER = "encoder.layer.{n}"
_OURS = "mobilebert/encoder/layer_{n}"


def _linear(hf: str, ours: str) -> dict[str, str]:
  """A torch.nn.Linear's weight and bias -> a dense's kernel and bias."""
  return {f"{hf}.weight": f"{ours}/kernel", f"{hf}.bias": f"{ours}/bias"}


def _norm(hf: str, ours: str) -> dict[str, str]:
  """A NoNorm's or LayerNorm's weight and bias -> gamma and beta."""
  return {f"{hf}.weight": f"{ours}/gamma", f"{hf}.bias": f"{ours}/beta"}


# MobileBertModel name -> the checkpoint name. `{n}` is the layer, `{f}` one of the feed-forward
# networks before the last (transformers' `ffn.F`, google's `ffn_layer_F`).
HF_TO_MOBILEBERT = {
    "embeddings.word_embeddings.weight": modeling.WORD_EMBEDDINGS,
    "embeddings.position_embeddings.weight": modeling.POSITION_EMBEDDINGS,
    "embeddings.token_type_embeddings.weight": f"{modeling.EMBEDDINGS}/token_type_embeddings",
    **_linear("embeddings.embedding_transformation", modeling.TRANSFORMATION),
    **_norm("embeddings.LayerNorm", f"{modeling.EMBEDDINGS}/LayerNorm"),
    **_linear(f"{_LAYER}.bottleneck.input.dense", f"{_OURS}/bottleneck/input/dense"),
    **_norm(f"{_LAYER}.bottleneck.input.LayerNorm", f"{_OURS}/bottleneck/input/LayerNorm"),
    **_linear(f"{_LAYER}.bottleneck.attention.dense", f"{_OURS}/bottleneck/attention/dense"),
    **_norm(f"{_LAYER}.bottleneck.attention.LayerNorm",
            f"{_OURS}/bottleneck/attention/LayerNorm"),
    **_linear(f"{_LAYER}.attention.self.query", f"{_OURS}/attention/self/query"),
    **_linear(f"{_LAYER}.attention.self.key", f"{_OURS}/attention/self/key"),
    **_linear(f"{_LAYER}.attention.self.value", f"{_OURS}/attention/self/value"),
    **_linear(f"{_LAYER}.attention.output.dense", f"{_OURS}/attention/output/dense"),
    **_norm(f"{_LAYER}.attention.output.LayerNorm", f"{_OURS}/attention/output/LayerNorm"),
    **_linear(f"{_LAYER}.ffn.{{f}}.intermediate.dense",
              f"{_OURS}/ffn_layer_{{f}}/intermediate/dense"),
    **_linear(f"{_LAYER}.ffn.{{f}}.output.dense", f"{_OURS}/ffn_layer_{{f}}/output/dense"),
    **_norm(f"{_LAYER}.ffn.{{f}}.output.LayerNorm", f"{_OURS}/ffn_layer_{{f}}/output/LayerNorm"),
    **_linear(f"{_LAYER}.intermediate.dense", f"{_OURS}/intermediate/dense"),
    **_linear(f"{_LAYER}.output.dense", f"{_OURS}/output/dense"),
    **_norm(f"{_LAYER}.output.LayerNorm", f"{_OURS}/output/LayerNorm"),
    **_linear(f"{_LAYER}.output.bottleneck.dense", f"{_OURS}/output/bottleneck/dense"),
    **_norm(f"{_LAYER}.output.bottleneck.LayerNorm", f"{_OURS}/output/bottleneck/LayerNorm"),
    **_linear("pooler.dense", "mobilebert/pooler/dense"),
}
# torch.nn.Linear stores weight as [out, in]; a dense's kernel is [in, out].
HF_TRANSPOSED = ("dense.weight", "query.weight", "key.weight", "value.weight",
                 "embedding_transformation.weight")
# MobileBertConfig's own keys, as BertConfig options (true_hidden_size is not one: transformers
# derives it from use_bottleneck whatever config.json says).
HF_OPTIONS = ("intra_bottleneck_size", "num_feedforward_networks", "normalization_type",
              "use_bottleneck", "key_query_shared_bottleneck", "use_bottleneck_attention",
              "classifier_activation", "trigram_input")


def hf_config(values: dict) -> BertConfig:
  """A MobileBertModel's config.json -> BertConfig (MobileBertConfig's defaults where it is
  silent: classifier_activation True there, false in google's checkpoints)."""
  hf_defaults = {**modeling.OPTIONS, "classifier_activation": True}
  options = {k: values.get(k, hf_defaults[k]) for k in HF_OPTIONS}
  if options["normalization_type"] == "layer_norm":
    # torch.nn.LayerNorm's default epsilon, where transformers does not pass layer_norm_eps.
    options["unset_norm_eps"] = 1e-5
  core = {k: v for k, v in values.items() if k not in HF_OPTIONS and k != "true_hidden_size"}
  core.setdefault("hidden_act", "relu")  # MobileBertConfig's default
  config = BertConfig.from_hf_dict(core)
  config = dataclasses.replace(config, embedding_size=values.get("embedding_size", 128),
                               options=options)
  modeling.check_config(config)
  return config


def hf_kwargs(config: BertConfig) -> dict:
  """BertConfig -> MobileBertConfig's own arguments."""
  return {"embedding_size": config.embedding_width,
          **{k: modeling.option(config, k) for k in HF_OPTIONS}}


HUGGING_FACE = formats.HuggingFace(
    "mobilebert", "MobileBertModel", HF_TO_MOBILEBERT, HF_TRANSPOSED,
    ("pooler.dense.weight", "pooler.dense.bias"), config_kwargs=hf_kwargs,
    vocab_files=("vocab.txt", "tokenizer.json"), from_config=hf_config,
    weightless_pooler=lambda config: not modeling.option(config, "classifier_activation"))

PACKING = formats.BERT_PACKING  # [CLS] A [SEP] B [SEP], segment ids 0 then 1
GOOGLE_RELEASE = None  # google-research/mobilebert's checkpoints: not a format hub_repro reads yet
TF1_HUB = None
KERAS_HUB = None  # keras-hub has no MobileBERT

# Model Garden's MobileBERTEncoder (TF-Hub's tensorflow/mobilebert_en_uncased_*): its names ->
# the checkpoint names. Its num_feedforward_networks FFNs are all `ffn_layer_F`: `{f}` the ones
# before the last, `{last}` the last (google's `intermediate` and `output`). Attention kernels are
# per head, [K, N, K/N] (value [H, N, K/N]) and [N, K/N, K]: the same bytes as [K, K], reshaped.
_MG = "transformer_layer_{n}"


def _mg(source: str, target: str, norm: bool = False) -> dict[str, str]:
  """A Model Garden dense (kernel, bias) or norm (gamma, beta) -> the checkpoint's."""
  return {f"{source}/{end}": f"{target}/{end}"
          for end in (("gamma", "beta") if norm else ("kernel", "bias"))}


MODEL_GARDEN_TO_MOBILEBERT = {
    "mobile_bert_embedding/word_embedding/embeddings": modeling.WORD_EMBEDDINGS,
    "mobile_bert_embedding/type_embedding/embeddings":
        f"{modeling.EMBEDDINGS}/token_type_embeddings",
    "mobile_bert_embedding/position_embedding/embeddings": modeling.POSITION_EMBEDDINGS,
    **_mg("mobile_bert_embedding/embedding_projection", modeling.TRANSFORMATION),
    **_mg("mobile_bert_embedding/embedding_norm", f"{modeling.EMBEDDINGS}/LayerNorm", True),
    **_mg(f"{_MG}/bottleneck_input/dense", f"{_OURS}/bottleneck/input/dense"),
    **_mg(f"{_MG}/bottleneck_input/norm", f"{_OURS}/bottleneck/input/LayerNorm", True),
    **_mg(f"{_MG}/kq_shared_bottleneck/dense", f"{_OURS}/bottleneck/attention/dense"),
    **_mg(f"{_MG}/kq_shared_bottleneck/norm", f"{_OURS}/bottleneck/attention/LayerNorm", True),
    **_mg(f"{_MG}/attention/query", f"{_OURS}/attention/self/query"),
    **_mg(f"{_MG}/attention/key", f"{_OURS}/attention/self/key"),
    **_mg(f"{_MG}/attention/value", f"{_OURS}/attention/self/value"),
    **_mg(f"{_MG}/attention/attention_output", f"{_OURS}/attention/output/dense"),
    **_mg(f"{_MG}/attention/norm", f"{_OURS}/attention/output/LayerNorm", True),
    **_mg(f"{_MG}/ffn_layer_{{f}}/intermediate_dense",
          f"{_OURS}/ffn_layer_{{f}}/intermediate/dense"),
    **_mg(f"{_MG}/ffn_layer_{{f}}/output_dense", f"{_OURS}/ffn_layer_{{f}}/output/dense"),
    **_mg(f"{_MG}/ffn_layer_{{f}}/norm", f"{_OURS}/ffn_layer_{{f}}/output/LayerNorm", True),
    **_mg(f"{_MG}/ffn_layer_{{last}}/intermediate_dense", f"{_OURS}/intermediate/dense"),
    **_mg(f"{_MG}/ffn_layer_{{last}}/output_dense", f"{_OURS}/output/dense"),
    **_mg(f"{_MG}/ffn_layer_{{last}}/norm", f"{_OURS}/output/LayerNorm", True),
    **_mg(f"{_MG}/bottleneck_output/dense", f"{_OURS}/output/bottleneck/dense"),
    **_mg(f"{_MG}/bottleneck_output/norm", f"{_OURS}/output/bottleneck/LayerNorm", True),
    **_mg("pooler", "mobilebert/pooler/dense"),  # classifier_activation true only
}


def _count(names, pattern: str) -> int:
  return len({m.group(1) for name in names if (m := re.fullmatch(pattern, name))})


def model_garden_config(variables, hidden_act: str | None = None) -> BertConfig:
  """A config from Model Garden variables: the blocks and FFNs counted by name, the heads read
  from the per-head query kernel, the rest from shapes (modeling.config_from_params)."""
  layers = _count(variables, r"transformer_layer_(\d+)/.*")
  ffns = _count(variables, r"transformer_layer_0/ffn_layer_(\d+)/.*")
  from hub_repro import naming  # naming reads this module through the registry

  ranges = {"n": layers, "f": ffns - 1, "last": (ffns - 1,)}
  table = naming.expand(MODEL_GARDEN_TO_MOBILEBERT, ranges)
  params = {table[k]: v for k, v in variables.items() if k in table}
  heads = int(variables["transformer_layer_0/attention/query/kernel"].shape[1])
  return modeling.config_from_params(params, heads, hidden_act or "relu")


MODEL_GARDEN = formats.ModelGarden(
    MODEL_GARDEN_TO_MOBILEBERT,
    owns=lambda names: "transformer_layer_0/bottleneck_input/dense/kernel" in names,
    config_from_variables=model_garden_config, embedding_output_first=True)
