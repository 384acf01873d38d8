"""transformers' modeling_roberta.py (`RobertaModel`), rebuilt for TensorFlow 2 over its checkpoint
names under the scope "roberta" (as electra's modeling keeps BERT's names under "electra").

RoBERTa's encoder is BERT's with three changes, all in the embeddings and the config:

  - position ids start at padding_idx + 1 and count only non-pad tokens
    (`create_position_ids_from_input_ids`): the first real token has position pad_token_id + 1
    (2 in roberta-base), and pad tokens get position pad_token_id. The table therefore has
    pad_token_id + 1 more rows than the longest sequence (roberta-base: 514 = 512 + 2);
  - one token type (type_vocab_size 1), whose row is added to every token;
  - LayerNorm's epsilon is the config's layer_norm_eps, 1e-5 (BERT's is 1e-12).

Its layers are BERT's (`RobertaLayer` is `BertLayer`), under `roberta/encoder/layer_N/` with
BERT's names; its gelu is the erf form (Hugging Face's "gelu": hub_repro's "gelu_exact"). Its
pooler is BERT's, tanh(dense(h[:, 0])), where the weights hold one: fairseq's RoBERTa was
pretrained without next-sentence prediction, so roberta-base's checkpoint has none and
`RobertaModel` makes a random one each time it loads it.

Legend for shape comments: B = batch size, S = sequence length, H = hidden size.
"""

from __future__ import annotations

from typing import Mapping

import tensorflow as tf

from hub_repro.config import BertConfig, guessed_heads
from hub_repro.families.bert import modeling

FAMILY = "roberta"
TITLE = "RoBERTa"
MODELING = "transformers modeling_roberta.py"
LAYER_NORM_EPSILON = 1e-5  # RobertaConfig's layer_norm_eps
PAD_TOKEN_ID = 1  # fairseq's <pad>: RobertaConfig's pad_token_id in every released model
POOLER_NOTE = ("RoBERTa is pretrained without next-sentence prediction (fairseq's checkpoints have "
               "no pooler): this layer is trained only where the model was fine-tuned with it")


def scoped(scope: str) -> dict[str, str]:
  """The names of RoBERTa's tables under `scope` ("roberta"; XLM-R's "xlm_roberta")."""
  return {"embeddings": f"{scope}/embeddings", "encoder": f"{scope}/encoder",
          "pooler_kernel": f"{scope}/pooler/dense/kernel",
          "pooler_bias": f"{scope}/pooler/dense/bias"}


EMBEDDINGS = f"{FAMILY}/embeddings"
WORD_EMBEDDINGS = f"{EMBEDDINGS}/word_embeddings"
POSITION_EMBEDDINGS = f"{EMBEDDINGS}/position_embeddings"
ENCODER = f"{FAMILY}/encoder"
POOLER_KERNEL = f"{FAMILY}/pooler/dense/kernel"
POOLER_BIAS = f"{FAMILY}/pooler/dense/bias"


def pad_token_id(config: BertConfig) -> int:
  return PAD_TOKEN_ID if config.pad_token_id is None else config.pad_token_id


def position_offset(config: BertConfig) -> int:
  """Rows of the position table before the first token's (pad_token_id + 1): the longest
  sequence is max_position_embeddings less these."""
  return pad_token_id(config) + 1


def scoped_variable_shapes(config: BertConfig, scope: str) -> dict[str, tuple[int, ...]]:
  """Every variable of RobertaModel but the pooler, by checkpoint name under `scope`."""
  names = scoped(scope)
  shapes = modeling.embedding_shapes(config, names["embeddings"])
  for n in range(config.num_hidden_layers):
    shapes.update({f"{names['encoder']}/layer_{n}/{k}": v
                   for k, v in modeling.layer_shapes(config).items()})
  return shapes


def scoped_optional_shapes(config: BertConfig, scope: str) -> dict[str, tuple[int, ...]]:
  """The pooler, which a copy may lack (saved with add_pooling_layer=False, as fairseq's
  checkpoints converted to transformers; keras-hub's RobertaBackbone has none)."""
  names = scoped(scope)
  return {names["pooler_kernel"]: (config.hidden_size, config.hidden_size),
          names["pooler_bias"]: (config.hidden_size,)}


def variable_shapes(config: BertConfig) -> dict[str, tuple[int, ...]]:
  return scoped_variable_shapes(config, FAMILY)


def optional_shapes(config: BertConfig) -> dict[str, tuple[int, ...]]:
  return scoped_optional_shapes(config, FAMILY)


def owns(names) -> bool:
  return any(n.startswith(f"{ENCODER}/layer_") for n in names)


def describe(config: BertConfig) -> str:
  return (f"RoBERTa (positions from pad_token_id + 1 = {pad_token_id(config) + 1}, "
          f"LayerNorm eps {config.layer_norm_eps:g})")


def scoped_config_from_params(params: Mapping, scope: str, family: str,
                              num_attention_heads: int | None = None,
                              hidden_act: str = "gelu_exact") -> BertConfig:
  """A config from these weights' shapes (heads guessed from H if not given; the erf gelu and
  fairseq's pad id 1 unless given)."""
  names = scoped(scope)
  word = params[f"{names['embeddings']}/word_embeddings"].shape
  kernel = params[f"{names['encoder']}/layer_0/intermediate/dense/kernel"].shape
  layers = sum(1 for k in params if k.endswith("/attention/self/query/kernel"))
  return BertConfig(
      family=family, vocab_size=int(word[0]), hidden_size=int(word[1]), num_hidden_layers=layers,
      num_attention_heads=int(num_attention_heads or guessed_heads(int(word[1]))),
      intermediate_size=int(kernel[1]), hidden_act=hidden_act,
      max_position_embeddings=int(params[f"{names['embeddings']}/position_embeddings"].shape[0]),
      type_vocab_size=int(params[f"{names['embeddings']}/token_type_embeddings"].shape[0]),
      layer_norm_eps=LAYER_NORM_EPSILON, pad_token_id=PAD_TOKEN_ID)


def config_from_params(params: Mapping, num_attention_heads: int | None = None,
                       hidden_act: str = "gelu_exact") -> BertConfig:
  return scoped_config_from_params(params, FAMILY, FAMILY, num_attention_heads, hidden_act)


# ----------------------------------------------------------------------------- embeddings


def create_position_ids_from_input_ids(input_ids, padding_idx: int):
  """modeling_roberta.py's: non-pad tokens count up from padding_idx + 1, pad tokens get
  padding_idx. [B, S] int -> [B, S] int32."""
  mask = tf.cast(tf.not_equal(input_ids, padding_idx), tf.int32)
  incremental_indices = tf.cumsum(mask, axis=1) * mask
  return incremental_indices + padding_idx


def roberta_embeddings(input_ids, token_type_ids, params: Mapping, config: BertConfig,
                       training: bool, scope: str):
  """RobertaEmbeddings: word + token type + position embeddings, LayerNorm, dropout. -> [B, S, H]"""
  inputs_embeds = modeling.embedding_lookup(input_ids, params, scope)  # [B, S, H]
  token_type_embeddings = tf.gather(params[f"{scope}/token_type_embeddings"], token_type_ids)
  embeddings = inputs_embeds + token_type_embeddings
  position_ids = create_position_ids_from_input_ids(input_ids, pad_token_id(config))
  embeddings += tf.gather(params[f"{scope}/position_embeddings"], position_ids)
  embeddings = modeling.layer_norm(embeddings, params, f"{scope}/LayerNorm", config.layer_norm_eps)
  return modeling.dropout(embeddings, config.hidden_dropout_prob, training)


# ----------------------------------------------------------------------------- the model

transformer_layer = modeling.transformer_layer  # BertLayer, under roberta/encoder/layer_N


def scoped_model(params: Mapping, config: BertConfig, input_ids, input_mask=None,
                 token_type_ids=None, training: bool = False,
                 layer_fn=modeling.transformer_layer, scope: str = FAMILY) -> dict:
  """RobertaModel's forward pass on the weights under `scope`; arguments and result as
  modeling.bert_model's. pooled_output only where the weights hold a pooler."""
  names = scoped(scope)
  input_mask = tf.ones_like(input_ids) if input_mask is None else input_mask
  token_type_ids = tf.zeros_like(input_ids) if token_type_ids is None else token_type_ids
  embedding_output = roberta_embeddings(input_ids, token_type_ids, params, config, training,
                                        names["embeddings"])
  attention_mask = modeling.create_attention_mask_from_input_mask(input_mask,
                                                                  embedding_output.dtype)
  all_layers = modeling.transformer_model(embedding_output, attention_mask, params, config,
                                          training, layer_fn, scope=names["encoder"])
  sequence_output = all_layers[-1]
  outputs = {"sequence_output": sequence_output, "encoder_outputs": all_layers}
  if names["pooler_kernel"] in params:  # RobertaPooler is BertPooler
    outputs["pooled_output"] = modeling.pooler(sequence_output, params[names["pooler_kernel"]],
                                               params[names["pooler_bias"]])
  return outputs


def roberta_model(params: Mapping, config: BertConfig, input_ids, input_mask=None,
                  token_type_ids=None, training: bool = False,
                  layer_fn=modeling.transformer_layer) -> dict:
  """RobertaModel's forward pass (see scoped_model)."""
  return scoped_model(params, config, input_ids, input_mask, token_type_ids, training, layer_fn,
                      FAMILY)


model = roberta_model
