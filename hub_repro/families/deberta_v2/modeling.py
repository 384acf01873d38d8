"""transformers' modeling_deberta_v2.py (`DebertaV2Model`, which DeBERTa-v3's checkpoints use too),
rebuilt for TensorFlow 2 over its checkpoint names under the scope "deberta" (transformers'
base_model_prefix), as electra's modeling keeps BERT's names under "electra".

DeBERTa-v2's encoder is BERT's layers (DebertaV2SelfOutput, Intermediate and Output are
BertSelfOutput, BertIntermediate and BertOutput) around another attention, with these changes:

  - embeddings (DebertaV2Embeddings): the word embeddings, plus absolute positions only where
    `position_biased_input` (false in DeBERTa-v3) and token types only where type_vocab_size > 0
    (0 in DeBERTa-v3); LayerNorm; then the output is multiplied by the attention mask, so pad
    positions enter the first layer as zeros;
  - relative positions (build_relative_position): q - k, in log buckets beyond
    position_buckets / 2 (make_log_bucket_position), bounded by max_relative_positions
    (-1: max_position_embeddings);
  - the encoder's relative position embeddings `rel_embeddings` (2 x position_buckets rows),
    normalised once by the encoder's own LayerNorm where norm_rel_ebd has "layer_norm", and given
    to every layer;
  - disentangled attention (DisentangledSelfAttention): content-to-content q.k, plus
    content-to-position ("c2p": q . key projection of the relative embedding of q - k) and
    position-to-content ("p2c": k . query projection of the relative embedding of k - q), each
    divided by sqrt(d * scale_factor), scale_factor = 1 + len(pos_att_type). With share_att_key
    the position projections are the content ones; otherwise pos_key_proj / pos_query_proj.

The activation is the erf gelu (Hugging Face's "gelu": hub_repro's "gelu_exact"); LayerNorm's
epsilon is the config's layer_norm_eps (1e-7 in DeBERTa-v3). DebertaV2Model has no pooler: the
ContextPooler (dense + gelu on h[:, 0]) exists only in its task heads, so there is no
pooled_output. Not rebuilt: the convolution of DeBERTa-v2-xlarge/xxlarge (conv_kernel_size > 0)
and a factorised embedding (embedding_size != hidden_size); their configs are refused.

Legend for shape comments: B = batch size, S = sequence length, H = hidden size, N = attention
heads, d = H/N, A = att_span (the position buckets), I = intermediate size.
"""

from __future__ import annotations

import math
from typing import Mapping

import tensorflow as tf

from hub_repro.config import BertConfig, guessed_heads
from hub_repro.families.bert import modeling

FAMILY = "deberta_v2"
TITLE = "DeBERTa-v2/v3"
MODELING = "transformers modeling_deberta_v2.py"
LAYER_NORM_EPSILON = 1e-7  # DebertaV2Config's layer_norm_eps in every released DeBERTa-v2/v3
POOLER_NOTE = ("DebertaV2Model has no pooler (its ContextPooler belongs to the task heads): this "
               "layer is trained only where the model was fine-tuned with such a head")
SCOPE = "deberta"
EMBEDDINGS = f"{SCOPE}/embeddings"
# Each table is a scope of its own (its `weight`, as nn.Embedding names it), so that a table a
# config switches off is a layer a copy lacks whole (optional_shapes).
WORD_EMBEDDINGS = f"{EMBEDDINGS}/word_embeddings/weight"
POSITION_EMBEDDINGS = f"{EMBEDDINGS}/position_embeddings/weight"  # where position_biased_input
TOKEN_TYPE_EMBEDDINGS = f"{EMBEDDINGS}/token_type_embeddings/weight"  # where type_vocab_size > 0
ENCODER = f"{SCOPE}/encoder"
REL_EMBEDDINGS = f"{ENCODER}/rel_embeddings/weight"
REL_LAYER_NORM = f"{ENCODER}/LayerNorm"  # only where norm_rel_ebd has "layer_norm"
# The relative embeddings as a layer receives them (normalised once by the encoder), under the
# layer's scope: DebertaV2Encoder passes the same tensor to every layer.
LAYER_REL_EMBEDDINGS = "rel_embeddings"

# DebertaV2Config's defaults for the keys a config.json may leave out.
DEFAULTS = {"relative_attention": False, "max_relative_positions": -1, "position_buckets": -1,
            "pos_att_type": [], "share_att_key": False, "norm_rel_ebd": "none",
            "position_biased_input": True}


def option(config: BertConfig, key: str):
  return config.options.get(key, DEFAULTS[key])


def pos_att_type(config: BertConfig) -> list[str]:
  return [t.strip() for t in option(config, "pos_att_type") or []]


def max_relative_positions(config: BertConfig) -> int:
  """The bound of the log buckets: max_relative_positions, or max_position_embeddings if < 1."""
  value = option(config, "max_relative_positions")
  return value if value >= 1 else config.max_position_embeddings


def att_span(config: BertConfig) -> int:
  """A: position_buckets where > 0, else max_relative_positions (pos_ebd_size)."""
  buckets = option(config, "position_buckets")
  return buckets if buckets > 0 else max_relative_positions(config)


def norm_rel_ebd(config: BertConfig) -> list[str]:
  return [x.strip() for x in str(option(config, "norm_rel_ebd")).lower().split("|")]


# ----------------------------------------------------------------------------- names and shapes


def _layer_shapes(config: BertConfig) -> dict[str, tuple[int, ...]]:
  h = config.hidden_size
  shapes = {}
  for proj in ("query_proj", "key_proj", "value_proj"):
    shapes.update({f"attention/self/{proj}/kernel": (h, h), f"attention/self/{proj}/bias": (h,)})
  shapes.update({k: v for k, v in modeling.layer_shapes(config).items()
                 if not k.startswith("attention/self/")})
  return shapes


def _switched_shapes(config: BertConfig) -> dict[str, dict[str, tuple[int, ...]]]:
  """The layers DeBERTa's config switches on and off, each {name: shape}, by its switch."""
  h = config.hidden_size
  layers = {
      "position_biased_input": {POSITION_EMBEDDINGS: (config.max_position_embeddings, h)},
      "type_vocab_size": {TOKEN_TYPE_EMBEDDINGS: (config.type_vocab_size, h)},
      "relative_attention": {REL_EMBEDDINGS: (2 * att_span(config), h)},
      "layer_norm": {f"{REL_LAYER_NORM}/gamma": (h,), f"{REL_LAYER_NORM}/beta": (h,)},
  }
  for n in range(config.num_hidden_layers):
    for proj in ("pos_key_proj", "pos_query_proj"):
      scope = f"{ENCODER}/layer_{n}/attention/self/{proj}"
      layers.setdefault(proj, {}).update({f"{scope}/kernel": (h, h), f"{scope}/bias": (h,)})
  return layers


def _switched_on(config: BertConfig) -> dict[str, bool]:
  relative = bool(option(config, "relative_attention"))
  separate = relative and not option(config, "share_att_key")
  return {"position_biased_input": bool(option(config, "position_biased_input")),
          "type_vocab_size": config.type_vocab_size > 0,
          "relative_attention": relative,
          "layer_norm": relative and "layer_norm" in norm_rel_ebd(config),
          "pos_key_proj": separate and "c2p" in pos_att_type(config),
          "pos_query_proj": separate and "p2c" in pos_att_type(config)}


def variable_shapes(config: BertConfig) -> dict[str, tuple[int, ...]]:
  """Every variable of DebertaV2Model under this config, by checkpoint name."""
  shapes = {WORD_EMBEDDINGS: (config.vocab_size, config.hidden_size),
            f"{EMBEDDINGS}/LayerNorm/gamma": (config.hidden_size,),
            f"{EMBEDDINGS}/LayerNorm/beta": (config.hidden_size,)}
  on = _switched_on(config)
  for switch, layer in _switched_shapes(config).items():
    if on[switch]:
      shapes.update(layer)
  for n in range(config.num_hidden_layers):
    shapes.update({f"{ENCODER}/layer_{n}/{k}": v for k, v in _layer_shapes(config).items()})
  return shapes


def optional_shapes(config: BertConfig) -> dict[str, tuple[int, ...]]:
  """The layers other DeBERTa configs have and this one switches off (absolute positions, token
  types, separate position projections, ...): a format's name table lists every layer any config
  has, and a copy under this config lacks these, whole. There is no pooler."""
  on = _switched_on(config)
  return {k: v for switch, layer in _switched_shapes(config).items() if not on[switch]
          for k, v in layer.items()}


def owns(names) -> bool:
  return any(n.startswith(f"{ENCODER}/layer_") for n in names)


def describe(config: BertConfig) -> str:
  types = ", ".join(pos_att_type(config)) or "none"
  return (f"DeBERTa-v2/v3 (disentangled attention: {types}; relative positions in "
          f"{att_span(config)} log buckets; no pooler)")


def config_from_params(params: Mapping, num_attention_heads: int | None = None,
                       hidden_act: str = "gelu_exact") -> BertConfig:
  """A config from these weights' shapes (heads guessed from H if not given; the erf gelu and
  DeBERTa-v3's settings unless the weights say otherwise: its buckets from rel_embeddings'
  rows; max_relative_positions -1 with max_position_embeddings 512, as deberta-v3-base's)."""
  word = params[WORD_EMBEDDINGS].shape
  kernel = params[f"{ENCODER}/layer_0/intermediate/dense/kernel"].shape
  layers = sum(1 for k in params if k.endswith("/attention/self/query_proj/kernel"))
  separate = f"{ENCODER}/layer_0/attention/self/pos_key_proj/kernel" in params or (
      f"{ENCODER}/layer_0/attention/self/pos_query_proj/kernel" in params)
  options = {"relative_attention": REL_EMBEDDINGS in params,
             "position_buckets": int(params[REL_EMBEDDINGS].shape[0]) // 2
             if REL_EMBEDDINGS in params else -1,
             "max_relative_positions": -1, "pos_att_type": ["p2c", "c2p"],
             "share_att_key": not separate,
             "norm_rel_ebd": "layer_norm" if f"{REL_LAYER_NORM}/gamma" in params else "none",
             "position_biased_input": POSITION_EMBEDDINGS in params}
  return BertConfig(
      family=FAMILY, vocab_size=int(word[0]), hidden_size=int(word[1]), num_hidden_layers=layers,
      num_attention_heads=int(num_attention_heads or guessed_heads(int(word[1]))),
      intermediate_size=int(kernel[1]), hidden_act=hidden_act,
      max_position_embeddings=int(params[POSITION_EMBEDDINGS].shape[0])
      if POSITION_EMBEDDINGS in params else 512,
      type_vocab_size=int(params[TOKEN_TYPE_EMBEDDINGS].shape[0])
      if TOKEN_TYPE_EMBEDDINGS in params else 0,
      layer_norm_eps=LAYER_NORM_EPSILON, options=options)


# ----------------------------------------------------------------------------- embeddings


def deberta_embeddings(input_ids, token_type_ids, input_mask, params: Mapping,
                       config: BertConfig, training: bool):
  """DebertaV2Embeddings: word (+ position, + token type) embeddings, LayerNorm, times the mask,
  dropout. -> [B, S, H]"""
  embeddings = tf.gather(params[WORD_EMBEDDINGS], input_ids)  # [B, S, H]
  if option(config, "position_biased_input"):  # positions 0 .. S-1
    seq_length = tf.shape(input_ids)[1]
    embeddings += tf.expand_dims(params[POSITION_EMBEDDINGS][:seq_length], 0)
  if config.type_vocab_size > 0:
    embeddings += tf.gather(params[TOKEN_TYPE_EMBEDDINGS], token_type_ids)
  embeddings = modeling.layer_norm(embeddings, params, f"{EMBEDDINGS}/LayerNorm",
                                   config.layer_norm_eps)
  # Pad positions enter the encoder as zeros (keras-hub's DebertaV3Backbone leaves them).
  embeddings *= tf.cast(tf.expand_dims(input_mask, -1), embeddings.dtype)
  return modeling.dropout(embeddings, config.hidden_dropout_prob, training)


# ----------------------------------------------------------------------------- relative positions


def make_log_bucket_position(relative_pos, bucket_size: int, max_position: int):
  """modeling_deberta_v2.py's: |q - k| below bucket_size / 2 as it is, beyond it in log buckets
  reaching bucket_size / 2 - 1 more at max_position. int [..] -> int32 [..]"""
  sign = tf.sign(relative_pos)
  mid = bucket_size // 2
  abs_pos = tf.where((relative_pos < mid) & (relative_pos > -mid), mid - 1, tf.abs(relative_pos))
  # In float32 and in this order, as torch computes it (a bucket edge is a ceil of a float).
  log_pos = tf.math.ceil(
      tf.math.log(tf.cast(abs_pos, tf.float32) / mid)
      / tf.math.log(tf.constant((max_position - 1) / mid, tf.float32)) * (mid - 1)) + mid
  bucket_pos = tf.where(abs_pos <= mid, tf.cast(relative_pos, tf.float32),
                        log_pos * tf.cast(sign, tf.float32))
  return tf.cast(bucket_pos, tf.int32)


def build_relative_position(seq_length, config: BertConfig):
  """R[q, k] = q - k, in log buckets where position_buckets > 0. -> int32 [S, S]"""
  ids = tf.range(seq_length)
  relative_pos = ids[:, None] - ids[None, :]
  buckets, max_position = option(config, "position_buckets"), max_relative_positions(config)
  if buckets > 0 and max_position > 0:
    relative_pos = make_log_bucket_position(relative_pos, buckets, max_position)
  return relative_pos


def rel_embeddings(params: Mapping, config: BertConfig):
  """DebertaV2Encoder.get_rel_embedding: the table, under the encoder's LayerNorm where
  norm_rel_ebd has "layer_norm". -> [2A, H]"""
  table = params[REL_EMBEDDINGS]
  if "layer_norm" in norm_rel_ebd(config):
    table = modeling.layer_norm(table, params, REL_LAYER_NORM, config.layer_norm_eps)
  return table


# ----------------------------------------------------------------------------- attention


def _heads(x_2d, batch_size, seq_length, config: BertConfig):
  """[B*S, H] -> [B, N, S, d] (transpose_for_scores)."""
  x = tf.reshape(x_2d, [batch_size, seq_length, config.num_attention_heads, config.size_per_head])
  return tf.transpose(x, [0, 2, 1, 3])


def disentangled_attention_bias(query, key, relative_pos, rel_table, params: Mapping, scope: str,
                                config: BertConfig, scale):
  """The c2p and p2c terms, each divided by `scale`. query, key: [B, N, S, d]; relative_pos:
  int32 [S, S]; rel_table: [2A, H] -> [B, N, S, S]"""
  span = att_span(config)
  rel_table = rel_table[:2 * span]  # [2A, H]
  n, d = config.num_attention_heads, config.size_per_head

  def positions(proj):  # [2A, H] -> [N, 2A, d]
    return tf.transpose(tf.reshape(modeling.dense(rel_table, params, f"{scope}/{proj}"),
                                   [2 * span, n, d]), [1, 0, 2])

  shape = tf.shape(query)  # indices for every batch row and head, as keras-hub gathers them
  every = lambda pos: tf.broadcast_to(pos, [shape[0], shape[1], shape[2], shape[2]])  # noqa: E731
  share = option(config, "share_att_key")
  types = pos_att_type(config)
  score = 0.0
  if "c2p" in types:
    pos_key = positions("key_proj" if share else "pos_key_proj")
    c2p_att = tf.einsum("bnqd,npd->bnqp", query, pos_key)  # [B, N, S, 2A]
    c2p_pos = tf.clip_by_value(relative_pos + span, 0, 2 * span - 1)  # [S, S]
    # c2p[b, n, q, k] = c2p_att[b, n, q, c2p_pos[q, k]]
    score += tf.gather(c2p_att, every(c2p_pos), axis=3, batch_dims=3) / scale
  if "p2c" in types:
    pos_query = positions("query_proj" if share else "pos_query_proj")
    p2c_att = tf.einsum("bnkd,npd->bnkp", key, pos_query)  # [B, N, S, 2A]
    p2c_pos = tf.clip_by_value(-relative_pos + span, 0, 2 * span - 1)  # [S, S], rows: keys
    # p2c[b, n, q, k] = p2c_att[b, n, k, p2c_pos[k, q]]
    p2c = tf.gather(p2c_att, every(p2c_pos), axis=3, batch_dims=3)  # [B, N, S(k), S(q)]
    score += tf.transpose(p2c, [0, 1, 3, 2]) / scale
  return score


def disentangled_self_attention(x_2d, attention_mask, rel_table, params: Mapping, scope: str,
                                config: BertConfig, batch_size, seq_length, training: bool):
  """DisentangledSelfAttention on [B*S, H]; attention_mask: bool [B, 1, S, S]; rel_table: the
  encoder's relative embeddings [2A, H] (None without relative_attention). -> [B*S, H]"""
  query = _heads(modeling.dense(x_2d, params, f"{scope}/query_proj"), batch_size, seq_length,
                 config)  # [B, N, S, d]
  key = _heads(modeling.dense(x_2d, params, f"{scope}/key_proj"), batch_size, seq_length, config)
  value = _heads(modeling.dense(x_2d, params, f"{scope}/value_proj"), batch_size, seq_length,
                 config)
  scale_factor = 1 + sum(t in pos_att_type(config) for t in ("c2p", "p2c"))
  scale = math.sqrt(config.size_per_head * scale_factor)
  scores = tf.matmul(query, key / scale, transpose_b=True)  # [B, N, S, S]
  if option(config, "relative_attention"):
    rel_table = modeling.dropout(rel_table, config.hidden_dropout_prob, training)
    relative_pos = build_relative_position(seq_length, config)
    scores += disentangled_attention_bias(query, key, relative_pos, rel_table, params, scope,
                                          config, scale)
  # masked_fill with the float minimum: a pad query (all masked) attends to every key evenly.
  scores = tf.where(attention_mask, scores, tf.float32.min)
  probs = modeling.dropout(tf.nn.softmax(scores, axis=-1), config.attention_probs_dropout_prob,
                           training)
  context = tf.transpose(tf.matmul(probs, value), [0, 2, 1, 3])  # [B, S, N, d]
  return tf.reshape(context, [-1, config.hidden_size])  # [B*S, H]


def attention_mask_from_input_mask(input_mask):
  """DebertaV2Encoder.get_attention_mask: m[q] * m[k]. [B, S] -> bool [B, 1, S, S]"""
  mask = tf.cast(input_mask, tf.bool)
  return tf.logical_and(mask[:, None, :, None], mask[:, None, None, :])


# ----------------------------------------------------------------------------- the model


def transformer_layer(layer_input, attention_mask, params: Mapping, scope: str, config: BertConfig,
                      batch_size, seq_length, training: bool):
  """DebertaV2Layer on [B*S, H]; returns [B*S, H]. The encoder's relative embeddings come as
  `{scope}/rel_embeddings` (deberta_model hands them to each layer)."""
  attention_output = disentangled_self_attention(
      layer_input, attention_mask, params.get(f"{scope}/{LAYER_REL_EMBEDDINGS}"), params,
      f"{scope}/attention/self", config, batch_size, seq_length, training)
  # DebertaV2SelfOutput, DebertaV2Intermediate, DebertaV2Output: BERT's.
  attention_output = modeling.dense(attention_output, params, f"{scope}/attention/output/dense")
  attention_output = modeling.dropout(attention_output, config.hidden_dropout_prob, training)
  attention_output = modeling.layer_norm(attention_output + layer_input, params,
                                         f"{scope}/attention/output/LayerNorm",
                                         config.layer_norm_eps)
  intermediate_output = modeling.dense(attention_output, params, f"{scope}/intermediate/dense",
                                       modeling.get_activation(config.hidden_act))
  layer_output = modeling.dense(intermediate_output, params, f"{scope}/output/dense")
  layer_output = modeling.dropout(layer_output, config.hidden_dropout_prob, training)
  return modeling.layer_norm(layer_output + attention_output, params, f"{scope}/output/LayerNorm",
                             config.layer_norm_eps)


def deberta_model(params: Mapping, config: BertConfig, input_ids, input_mask=None,
                  token_type_ids=None, training: bool = False,
                  layer_fn=transformer_layer) -> dict:
  """DebertaV2Model's forward pass; arguments as modeling.bert_model's. Returns
  {"sequence_output", "encoder_outputs"}: there is no pooled_output."""
  input_mask = tf.ones_like(input_ids) if input_mask is None else input_mask
  token_type_ids = tf.zeros_like(input_ids) if token_type_ids is None else token_type_ids
  embedding_output = deberta_embeddings(input_ids, token_type_ids, input_mask, params, config,
                                        training)
  attention_mask = attention_mask_from_input_mask(input_mask)
  if option(config, "relative_attention"):  # normalised once, given to every layer
    table = rel_embeddings(params, config)
    params = {**params, **{f"{ENCODER}/layer_{n}/{LAYER_REL_EMBEDDINGS}": table
                           for n in range(config.num_hidden_layers)}}
  all_layers = modeling.transformer_model(embedding_output, attention_mask, params, config,
                                          training, layer_fn, scope=ENCODER)
  return {"sequence_output": all_layers[-1], "encoder_outputs": all_layers}


model = deberta_model
