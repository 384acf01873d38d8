"""transformers' modeling_xlm_roberta.py (`XLMRobertaModel`), which is modeling_roberta.py's
RobertaModel under another name: the rebuild is hub_repro.families.roberta.modeling's, over XLM-R's
checkpoint names under the scope "xlm_roberta".

XLM-R differs from RoBERTa only in its data and its tokenizer (a SentencePiece model of 100
languages, with fairseq's ids: `<s>` 0, `<pad>` 1, `</s>` 2, `<unk>` 3, then each piece's id + 1).
"""

from __future__ import annotations

from typing import Mapping

from hub_repro.config import BertConfig
from hub_repro.families.bert import modeling as bert_modeling
from hub_repro.families.roberta import modeling as roberta

FAMILY = "xlm_roberta"
TITLE = "XLM-R"
MODELING = "transformers modeling_xlm_roberta.py (modeling_roberta.py's RobertaModel)"
LAYER_NORM_EPSILON = roberta.LAYER_NORM_EPSILON
PAD_TOKEN_ID = roberta.PAD_TOKEN_ID
POOLER_NOTE = ("XLM-R is pretrained by masked language modelling alone (fairseq's checkpoints have "
               "no pooler): this layer is trained only where the model was fine-tuned with it")
_NAMES = roberta.scoped(FAMILY)
EMBEDDINGS = _NAMES["embeddings"]
WORD_EMBEDDINGS = f"{EMBEDDINGS}/word_embeddings"
POSITION_EMBEDDINGS = f"{EMBEDDINGS}/position_embeddings"
ENCODER = _NAMES["encoder"]
POOLER_KERNEL = _NAMES["pooler_kernel"]
POOLER_BIAS = _NAMES["pooler_bias"]


position_offset = roberta.position_offset


def variable_shapes(config: BertConfig) -> dict[str, tuple[int, ...]]:
  return roberta.scoped_variable_shapes(config, FAMILY)


def optional_shapes(config: BertConfig) -> dict[str, tuple[int, ...]]:
  return roberta.scoped_optional_shapes(config, FAMILY)


def owns(names) -> bool:
  return any(n.startswith(f"{ENCODER}/layer_") for n in names)


def describe(config: BertConfig) -> str:
  return "XLM-R, " + roberta.describe(config)


def config_from_params(params: Mapping, num_attention_heads: int | None = None,
                       hidden_act: str = "gelu_exact") -> BertConfig:
  return roberta.scoped_config_from_params(params, FAMILY, FAMILY, num_attention_heads,
                                           hidden_act)


transformer_layer = bert_modeling.transformer_layer  # BertLayer, under xlm_roberta/encoder/layer_N


def xlm_roberta_model(params: Mapping, config: BertConfig, input_ids, input_mask=None,
                      token_type_ids=None, training: bool = False,
                      layer_fn=bert_modeling.transformer_layer) -> dict:
  """XLMRobertaModel's forward pass: RobertaModel's (roberta.scoped_model) on XLM-R's names."""
  return roberta.scoped_model(params, config, input_ids, input_mask, token_type_ids, training,
                              layer_fn, FAMILY)


model = xlm_roberta_model
