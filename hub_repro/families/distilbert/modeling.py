"""transformers' models/distilbert/modeling_distilbert.py (`DistilBertModel`), rebuilt for
TensorFlow 2 over canonical names of its own: the `distilbert/...` scope, mirroring BERT's.

DistilBERT has no Google checkpoint; its names here are BERT's under `distilbert/`, as
modeling_distilbert.py's modules are BERT's under other names:

  - `Embeddings`: word embeddings plus learned position embeddings (no token type table), then
    LayerNorm (eps 1e-12) and dropout. A config with sinusoidal_pos_embds writes its fixed table
    into position_embeddings.weight, so the same lookup computes it;
  - `TransformerBlock`: `MultiHeadSelfAttention` (q_lin, k_lin, v_lin, out_lin), `sa_layer_norm`
    on the residual sum, `FFN` (lin1, the activation, lin2) and `output_layer_norm` on the
    residual sum: BERT's post-LN layer in the same arithmetic, so bert.modeling's
    `transformer_layer` computes it under `distilbert/encoder/layer_N/` with BERT's names;
  - no pooler: DistilBertModel returns last_hidden_state (and hidden states) only, so the model
    has no pooled_output.

Its activation is config.json's `activation`, "gelu" (the erf form: hub_repro's "gelu_exact")
in every released DistilBERT.

Legend for shape comments: B = batch size, S = sequence length, H = hidden size.
"""

from __future__ import annotations

from typing import Mapping

import tensorflow as tf

from hub_repro.config import BertConfig, guessed_heads
from hub_repro.families.bert import modeling

FAMILY = "distilbert"
TITLE = "DistilBERT"
MODELING = "transformers modeling_distilbert.py"
LAYER_NORM_EPSILON = modeling.LAYER_NORM_EPSILON  # nn.LayerNorm(dim, eps=1e-12)
POOLER_NOTE = ("DistilBERT has no pooler (DistilBertModel returns the hidden states only; its "
               "classifiers put a head of their own on the [CLS] state): this layer was added "
               "around the encoder, and is trained only where the model was fine-tuned with it")
EMBEDDINGS = "distilbert/embeddings"
WORD_EMBEDDINGS = f"{EMBEDDINGS}/word_embeddings"
POSITION_EMBEDDINGS = f"{EMBEDDINGS}/position_embeddings"
ENCODER = "distilbert/encoder"


def embedding_shapes(config: BertConfig) -> dict[str, tuple[int, ...]]:
  """modeling_distilbert.py's `Embeddings`: BERT's tables less the token type one."""
  return {k: v for k, v in modeling.embedding_shapes(config, EMBEDDINGS).items()
          if not k.endswith("/token_type_embeddings")}


def variable_shapes(config: BertConfig) -> dict[str, tuple[int, ...]]:
  """Every variable of DistilBertModel, by canonical name, in creation order."""
  shapes = embedding_shapes(config)
  for n in range(config.num_hidden_layers):
    shapes.update({f"{ENCODER}/layer_{n}/{k}": v for k, v in modeling.layer_shapes(config).items()})
  return shapes


def optional_shapes(config: BertConfig) -> dict[str, tuple[int, ...]]:
  """None: no format of DistilBERT adds a pooler."""
  del config
  return {}


def owns(names) -> bool:
  """Whether canonical `names` are this family's: its layers are distilbert/encoder/layer_N."""
  return any(n.startswith(f"{ENCODER}/layer_") for n in names)


def describe(config: BertConfig) -> str:
  """The family and what sets it apart, for diff's verdict."""
  return (f"DistilBERT ({config.num_hidden_layers} layers, no token type embedding, "
          "no pooler)")


def config_from_params(params: Mapping, num_attention_heads: int | None = None,
                       hidden_act: str = "gelu_exact") -> BertConfig:
  """A config from these weights' shapes (heads guessed from H if not given; the erf gelu of
  every released DistilBERT unless given). type_vocab_size is 1: there is no token type table."""
  word = params[WORD_EMBEDDINGS].shape
  layers = sum(1 for k in params if k.endswith("/attention/self/query/kernel"))
  return BertConfig(
      family=FAMILY, vocab_size=int(word[0]), hidden_size=int(word[1]), num_hidden_layers=layers,
      num_attention_heads=int(num_attention_heads or guessed_heads(int(word[1]))),
      intermediate_size=int(params[f"{ENCODER}/layer_0/intermediate/dense/kernel"].shape[1]),
      hidden_act=hidden_act, max_position_embeddings=int(params[POSITION_EMBEDDINGS].shape[0]),
      type_vocab_size=1)


def embeddings(input_ids, params: Mapping, config: BertConfig, training: bool):
  """modeling_distilbert.py's `Embeddings.forward`: word + position embeddings, LayerNorm,
  dropout. -> [B, S, H]"""
  word_embeddings = modeling.embedding_lookup(input_ids, params, EMBEDDINGS)  # [B, S, H]
  seq_length = tf.shape(input_ids)[1]
  # Positions 0..S-1 (its position_ids buffer), the first S rows, broadcast over the batch.
  position_embeddings = tf.slice(params[POSITION_EMBEDDINGS], [0, 0], [seq_length, -1])  # [S, H]
  output = word_embeddings + tf.expand_dims(position_embeddings, 0)
  output = modeling.layer_norm(output, params, f"{EMBEDDINGS}/LayerNorm", config.layer_norm_eps)
  return modeling.dropout(output, config.hidden_dropout_prob, training)


transformer_layer = modeling.transformer_layer  # TransformerBlock: BERT's post-LN layer


def distilbert_model(params: Mapping, config: BertConfig, input_ids, input_mask=None,
                     token_type_ids=None, training: bool = False,
                     layer_fn=modeling.transformer_layer) -> dict:
  """DistilBertModel's forward pass; arguments as modeling.bert_model's, of which
  `token_type_ids` is ignored (DistilBERT has no token types).

  Returns:
    {"sequence_output": [B, S, H], "encoder_outputs": list of [B, S, H]}: no pooled_output.
  """
  del token_type_ids  # DistilBertModel.forward takes none
  input_mask = tf.ones_like(input_ids) if input_mask is None else input_mask
  embedding_output = embeddings(input_ids, params, config, training)  # [B, S, H]
  # modeling_distilbert.py fills masked scores with the dtype's minimum, BERT's modeling.py adds
  # -10000: both give those keys a softmax weight of exactly 0 in float32.
  attention_mask = modeling.create_attention_mask_from_input_mask(input_mask,
                                                                  embedding_output.dtype)
  all_layers = modeling.transformer_model(embedding_output, attention_mask, params, config,
                                          training, layer_fn, scope=ENCODER)
  return {"sequence_output": all_layers[-1], "encoder_outputs": all_layers}


model = distilbert_model
