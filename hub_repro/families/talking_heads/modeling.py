"""TF Model Garden's Talking-Heads BERT (TF-Hub's tensorflow/talkheads_ggelu_bert_en_base), rebuilt
for TensorFlow 2 over a `talking_heads/...` scope that mirrors BERT's checkpoint names.

Read it beside official/nlp/modeling/layers/talking_heads_attention.py (`TalkingHeadsAttention`)
and official/nlp/modeling/layers/gated_feedforward.py (`GatedFeedforward`), as
official/nlp/modeling/layers/transformer_scaffold.py and networks/encoder_scaffold.py put them
together. The encoder is BERT's (networks/bert_encoder.py: the same embeddings, post-LayerNorm
residual blocks, epsilon 1e-12) with two changes in every layer:

  - attention mixes the heads: the [B, N, F, T] logits go through an [N, N] `pre_softmax_weight`
    before the softmax and the probabilities through an [N, N] `post_softmax_weight` after it
    (einsum "BNFT,NM->BMFT", no bias); the rest is BERT's attention;
  - the feed-forward is gated: (gelu(x W1 + b1) * (x Wg + bg)) W2 + b2, then residual and
    LayerNorm. Its gelu is the tanh approximation (modeling.gelu, hub_repro's "gelu"):
    TransformerScaffold drops the encoder config's activation and passes its own default,
    tf_utils.get_activation("gelu"), i.e. tf_keras.activations.gelu(approximate=True).

The pooler is EncoderScaffold's `cls_transform`: dense(sequence_output[:, 0], H, tanh), which is
modeling.py's pooler; it is kept under `talking_heads/pooler/dense`.

Legend for shape comments: B = batch size, S = sequence length (F = from, T = to in attention),
H = hidden size, N = attention heads, D = H/N, I = intermediate size.
"""

from __future__ import annotations

import math
from typing import Mapping

import tensorflow as tf

from hub_repro.config import BertConfig, guessed_heads
from hub_repro.families.bert import modeling

FAMILY = "talking_heads"
TITLE = "Talking-Heads BERT"
MODELING = ("TF Model Garden's talking_heads_attention.py and gated_feedforward.py "
            "(EncoderScaffold)")
LAYER_NORM_EPSILON = modeling.LAYER_NORM_EPSILON  # Model Garden's LayerNormalization(1e-12)
POOLER_NOTE = ("In Talking-Heads BERT that layer is EncoderScaffold's cls_transform, which Model "
               "Garden's BERT pre-training trains for next-sentence prediction: feed "
               "pooled_output to a classifier you fine-tune")
SCOPE = "talking_heads"
EMBEDDINGS = f"{SCOPE}/embeddings"
ENCODER = f"{SCOPE}/encoder"
WORD_EMBEDDINGS = f"{EMBEDDINGS}/word_embeddings"
POSITION_EMBEDDINGS = f"{EMBEDDINGS}/position_embeddings"
POOLER_KERNEL = f"{SCOPE}/pooler/dense/kernel"
POOLER_BIAS = f"{SCOPE}/pooler/dense/bias"
# keras' Softmax with a mask adds (1 - mask) * -1e9 (BERT's modeling.py: -10000); both exp() to 0.
MASK_ADDER = -1e9


def layer_shapes(config: BertConfig) -> dict[str, tuple[int, ...]]:
  """The variables of one layer, by name inside its scope: BERT's, plus the two [N, N] head
  mixings and the gate's dense beside intermediate/dense."""
  n, h, i = config.num_attention_heads, config.hidden_size, config.intermediate_size
  shapes = modeling.layer_shapes(config)
  shapes.update({
      "attention/self/pre_softmax_weight": (n, n),
      "attention/self/post_softmax_weight": (n, n),
      "intermediate/gate/kernel": (h, i),
      "intermediate/gate/bias": (i,),
  })
  return shapes


def variable_shapes(config: BertConfig) -> dict[str, tuple[int, ...]]:
  """Every variable of the encoder and its pooler, by canonical name."""
  shapes = modeling.embedding_shapes(config, EMBEDDINGS)
  for n in range(config.num_hidden_layers):
    shapes.update({f"{ENCODER}/layer_{n}/{k}": v for k, v in layer_shapes(config).items()})
  shapes.update(optional_shapes(config))
  return shapes


def optional_shapes(config: BertConfig) -> dict[str, tuple[int, ...]]:
  """The pooler, which a copy saved without it lacks (it then has no pooled_output)."""
  return {POOLER_KERNEL: (config.hidden_size, config.hidden_size),
          POOLER_BIAS: (config.hidden_size,)}


def owns(names) -> bool:
  """Whether canonical `names` are this family's: its layers are talking_heads/encoder/layer_N."""
  return any(n.startswith(f"{ENCODER}/layer_") for n in names)


def describe(config: BertConfig) -> str:
  """The family and what sets it apart, for diff's verdict."""
  return (f"Talking-Heads BERT (talking-heads attention: {config.num_attention_heads}x"
          f"{config.num_attention_heads} head mixings before and after the softmax; gated gelu "
          "feed-forward)")


def config_from_params(params: Mapping, num_attention_heads: int | None = None,
                       hidden_act: str = "gelu") -> BertConfig:
  """A config from these weights' shapes. The heads are the [N, N] mixings' size where not given;
  the activation, which shapes do not tell, is the tanh gelu TransformerScaffold passes."""
  word = params[WORD_EMBEDDINGS].shape
  mixing = params.get(f"{ENCODER}/layer_0/attention/self/pre_softmax_weight")
  heads = num_attention_heads or (int(mixing.shape[0]) if mixing is not None
                                  else guessed_heads(int(word[1])))
  layers = sum(1 for k in params if k.endswith("/attention/self/query/kernel"))
  return BertConfig(
      family=FAMILY, vocab_size=int(word[0]), hidden_size=int(word[1]), num_hidden_layers=layers,
      num_attention_heads=int(heads),
      intermediate_size=int(params[f"{ENCODER}/layer_0/intermediate/dense/kernel"].shape[1]),
      hidden_act=hidden_act,
      max_position_embeddings=int(params[POSITION_EMBEDDINGS].shape[0]),
      type_vocab_size=int(params[f"{EMBEDDINGS}/token_type_embeddings"].shape[0]))


# ----------------------------------------------------------------------------- the layer


def talking_heads_attention(x_2d, attention_mask, params: Mapping, scope: str, config: BertConfig,
                            batch_size, seq_length, training: bool):
  """TalkingHeadsAttention._compute_attention on x_2d [B*S, H] (self-attention); returns the
  context as [B*S, H], before the output projection."""
  n, d = config.num_attention_heads, config.size_per_head

  def split_heads(t):
    return tf.reshape(t, [batch_size, seq_length, n, d])  # [B, S, N, D], EinsumDense's layout

  query = split_heads(modeling.dense(x_2d, params, f"{scope}/query"))
  key = split_heads(modeling.dense(x_2d, params, f"{scope}/key"))
  value = split_heads(modeling.dense(x_2d, params, f"{scope}/value"))

  # MultiHeadAttention's _dot_product_equation "aecd,abcd->acbe" (key, query).
  scores = tf.einsum("btnd,bfnd->bnft", key, query)  # [B, N, F, T]
  scores = tf.multiply(scores, 1.0 / math.sqrt(float(d)))
  # The talking-heads projection "abcd,be->aecd": logits of head n feed head m, before softmax.
  scores = tf.einsum("bnft,nm->bmft", scores, params[f"{scope}/pre_softmax_weight"])
  mask = tf.cast(tf.expand_dims(attention_mask, 1), scores.dtype)  # [B, 1, F, T]
  probs = tf.nn.softmax(scores + (1.0 - mask) * MASK_ADDER)
  # ... and the probabilities mixed again after it (rows no longer sum to 1).
  probs = tf.einsum("bnft,nm->bmft", probs, params[f"{scope}/post_softmax_weight"])
  probs = modeling.dropout(probs, config.attention_probs_dropout_prob, training)

  context = tf.einsum("bnft,btnd->bfnd", probs, value)  # [B, F, N, D], _combine_equation
  return tf.reshape(context, [batch_size * seq_length, n * d])  # [B*F, H]


def gated_feedforward(x_2d, params: Mapping, scope: str, config: BertConfig, training: bool):
  """GatedFeedforward.call (one block, dropout before the residual) on [B*S, H]: the gelu
  intermediate times a linear gate, projected back, added to the input and normalised."""
  intermediate = modeling.dense(x_2d, params, f"{scope}/intermediate/dense",
                                modeling.get_activation(config.hidden_act))  # [B*S, I]
  gate = modeling.dense(x_2d, params, f"{scope}/intermediate/gate")  # [B*S, I]
  output = modeling.dense(intermediate * gate, params, f"{scope}/output/dense")  # [B*S, H]
  output = modeling.dropout(output, config.hidden_dropout_prob, training)
  return modeling.layer_norm(output + x_2d, params, f"{scope}/output/LayerNorm",
                             config.layer_norm_eps)


def transformer_layer(layer_input, attention_mask, params: Mapping, scope: str, config: BertConfig,
                      batch_size, seq_length, training: bool):
  """TransformerScaffold.call (post-LayerNorm, a feed-forward block that does its own residual
  and LayerNorm) on [B*S, H]; returns [B*S, H]."""
  attention_output = talking_heads_attention(layer_input, attention_mask, params,
                                             f"{scope}/attention/self", config, batch_size,
                                             seq_length, training)
  attention_output = modeling.dense(attention_output, params, f"{scope}/attention/output/dense")
  attention_output = modeling.dropout(attention_output, config.hidden_dropout_prob, training)
  attention_output = modeling.layer_norm(attention_output + layer_input, params,
                                         f"{scope}/attention/output/LayerNorm",
                                         config.layer_norm_eps)
  return gated_feedforward(attention_output, params, scope, config, training)


def talking_heads_model(params: Mapping, config: BertConfig, input_ids, input_mask=None,
                        token_type_ids=None, training: bool = False,
                        layer_fn=transformer_layer) -> dict:
  """EncoderScaffold's forward pass; arguments and result as modeling.bert_model's
  ("pooled_output" only if `params` hold the pooler)."""
  input_mask = tf.ones_like(input_ids) if input_mask is None else input_mask
  token_type_ids = tf.zeros_like(input_ids) if token_type_ids is None else token_type_ids
  embedding_output = modeling.embedding_postprocessor(  # [B, S, H]
      modeling.embedding_lookup(input_ids, params, EMBEDDINGS), token_type_ids, params, config,
      training, EMBEDDINGS)
  attention_mask = modeling.create_attention_mask_from_input_mask(input_mask,
                                                                  embedding_output.dtype)
  all_layers = modeling.transformer_model(embedding_output, attention_mask, params, config,
                                          training, layer_fn, scope=ENCODER)
  sequence_output = all_layers[-1]
  outputs = {"sequence_output": sequence_output, "encoder_outputs": all_layers}
  if POOLER_KERNEL in params:
    outputs["pooled_output"] = modeling.pooler(sequence_output, params[POOLER_KERNEL],
                                               params[POOLER_BIAS])
  return outputs


model = talking_heads_model
