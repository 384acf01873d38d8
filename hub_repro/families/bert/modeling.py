"""google-research/bert modeling.py, rebuilt for TensorFlow 2 (Keras 3 has no tf.compat.v1.layers).

The functions follow modeling.py in order and in arithmetic: `embedding_lookup`,
`embedding_postprocessor`, `attention_layer`, `transformer_model`, `pooler`, and `bert_model` to
tie them together. Instead of creating variables inside `tf.variable_scope`s, every function reads
its weights from `params`, a mapping from modeling.py's checkpoint names
(`bert/encoder/layer_0/attention/self/query/kernel`, ...) to tensors or variables. The same code
therefore runs eagerly on weights read from a module, and in a TF1 graph on variables that the
exporter creates under exactly those names (see `variable_shapes`).

Legend for shape comments: B = batch size, S = sequence length (F = from, T = to in attention),
H = hidden size, N = attention heads, I = intermediate size.
"""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np
import tensorflow as tf

from hub_repro.config import BertConfig, guessed_heads

LAYER_NORM_EPSILON = 1e-12  # modeling.py's layer_norm (tf.contrib.layers.layer_norm)
POOLER_KERNEL = "bert/pooler/dense/kernel"
POOLER_BIAS = "bert/pooler/dense/bias"


def embedding_shapes(config: BertConfig, scope: str = "bert/embeddings") -> dict[str, tuple]:
  """The embedding tables and their LayerNorm, of width E (= H in BERT), in creation order."""
  e = config.embedding_width
  return {
      f"{scope}/word_embeddings": (config.vocab_size, e),
      f"{scope}/token_type_embeddings": (config.type_vocab_size, e),
      f"{scope}/position_embeddings": (config.max_position_embeddings, e),
      f"{scope}/LayerNorm/beta": (e,),
      f"{scope}/LayerNorm/gamma": (e,),
  }


def layer_shapes(config: BertConfig) -> dict[str, tuple[int, ...]]:
  """The variables of one encoder layer, by name inside its scope, in creation order."""
  h, i = config.hidden_size, config.intermediate_size
  shapes = {}
  for dense, (d_in, d_out) in [
      ("attention/self/query", (h, h)),
      ("attention/self/key", (h, h)),
      ("attention/self/value", (h, h)),
      ("attention/output/dense", (h, h)),
      ("intermediate/dense", (h, i)),
      ("output/dense", (i, h)),
  ]:
    shapes[f"{dense}/kernel"] = (d_in, d_out)
    shapes[f"{dense}/bias"] = (d_out,)
    if dense in ("attention/output/dense", "output/dense"):
      norm = dense.replace("dense", "LayerNorm")
      shapes[f"{norm}/beta"] = (h,)
      shapes[f"{norm}/gamma"] = (h,)
  return shapes


def variable_shapes(config: BertConfig) -> dict[str, tuple[int, ...]]:
  """Every variable of modeling.py's BertModel, by checkpoint name, in creation order."""
  shapes = embedding_shapes(config)
  for n in range(config.num_hidden_layers):
    shapes.update({f"bert/encoder/layer_{n}/{k}": v for k, v in layer_shapes(config).items()})
  shapes[POOLER_KERNEL] = (config.hidden_size, config.hidden_size)
  shapes[POOLER_BIAS] = (config.hidden_size,)
  return shapes


# ----------------------------------------------------------------------------- activations


def gelu(x):
  """modeling.py's gelu: the tanh approximation of Hendrycks & Gimpel."""
  cdf = 0.5 * (1.0 + tf.tanh((np.sqrt(2 / np.pi) * (x + 0.044715 * tf.pow(x, 3)))))
  return x * cdf


def gelu_exact(x):
  """The erf form of gelu (Hugging Face's "gelu")."""
  return 0.5 * x * (1.0 + tf.math.erf(x / tf.cast(tf.sqrt(2.0), x.dtype)))


def get_activation(name: str):
  functions = {"gelu": gelu, "gelu_exact": gelu_exact, "relu": tf.nn.relu, "tanh": tf.tanh,
               "linear": lambda x: x}
  if name not in functions:
    raise ValueError(f"unsupported activation {name!r}; expected one of {sorted(functions)}")
  return functions[name]


# ----------------------------------------------------------------------------- small layers


def dropout(x, prob: float, training: bool, seed: int | None = None):
  if not training or prob == 0.0:
    return x
  return tf.nn.dropout(x, rate=prob, seed=seed)


def layer_norm(x, params: Mapping, scope: str, epsilon: float = LAYER_NORM_EPSILON):
  """tf.contrib.layers.layer_norm over the last axis, as modeling.py calls it (`epsilon`: the
  config's layer_norm_eps, modeling.py's 1e-12 unless a family says otherwise)."""
  mean, variance = tf.nn.moments(x, axes=[-1], keepdims=True)
  return tf.nn.batch_normalization(
      x, mean, variance, offset=params[f"{scope}/beta"], scale=params[f"{scope}/gamma"],
      variance_epsilon=epsilon)


def dense(x, params: Mapping, scope: str, activation=None):
  """tf.layers.dense on a rank-2 input: x @ kernel + bias, then the activation."""
  y = tf.nn.bias_add(tf.matmul(x, params[f"{scope}/kernel"]), params[f"{scope}/bias"])
  return activation(y) if activation is not None else y


# ----------------------------------------------------------------------------- embeddings


def embedding_lookup(input_ids, params: Mapping, scope: str = "bert/embeddings"):
  """Word embeddings by tf.gather (modeling.py with use_one_hot_embeddings=False). -> [B, S, E]
  (E = H in BERT; ALBERT's and ELECTRA's tables are narrower, under their own `scope`)."""
  return tf.gather(params[f"{scope}/word_embeddings"], input_ids)


def embedding_postprocessor(word_embeddings, token_type_ids, params: Mapping,
                            config: BertConfig, training: bool, scope: str = "bert/embeddings"):
  """Adds token-type and position embeddings, then LayerNorm and dropout. -> [B, S, E]"""
  shape = tf.shape(word_embeddings)
  batch_size, seq_length, width = shape[0], shape[1], word_embeddings.shape[-1]
  # Token types go through a one-hot matmul in modeling.py (the table is small).
  flat_token_type_ids = tf.reshape(token_type_ids, [-1])
  one_hot_ids = tf.one_hot(flat_token_type_ids, depth=config.type_vocab_size,
                           dtype=word_embeddings.dtype)
  token_type_embeddings = tf.matmul(one_hot_ids, params[f"{scope}/token_type_embeddings"])
  token_type_embeddings = tf.reshape(token_type_embeddings, [batch_size, seq_length, width])
  output = word_embeddings + token_type_embeddings
  # Positions are the first S rows of the table, broadcast over the batch.
  position_embeddings = tf.slice(params[f"{scope}/position_embeddings"], [0, 0],
                                 [seq_length, -1])
  output += tf.expand_dims(position_embeddings, 0)
  output = layer_norm(output, params, f"{scope}/LayerNorm", config.layer_norm_eps)
  return dropout(output, config.hidden_dropout_prob, training)


# ----------------------------------------------------------------------------- transformer


def create_attention_mask_from_input_mask(input_mask, dtype=tf.float32):
  """[B, T] mask of real tokens -> [B, F, T] float mask, as modeling.py builds it."""
  from_seq_length = tf.shape(input_mask)[1]
  to_mask = tf.cast(tf.expand_dims(input_mask, 1), dtype)  # [B, 1, T]
  broadcast_ones = tf.ones(tf.stack([tf.shape(input_mask)[0], from_seq_length, 1]), dtype)
  return broadcast_ones * to_mask  # [B, F, T]


def attention_layer(x_2d, attention_mask, params: Mapping, scope: str, config: BertConfig,
                    batch_size, seq_length, training: bool):
  """Multi-headed self-attention on x_2d [B*S, H]; returns the context as [B*S, H]."""
  n, d = config.num_attention_heads, config.size_per_head

  def split_heads(t):
    t = tf.reshape(t, [batch_size, seq_length, n, d])  # [B, S, N, H/N]
    return tf.transpose(t, [0, 2, 1, 3])  # [B, N, S, H/N]

  query = split_heads(dense(x_2d, params, f"{scope}/query"))
  key = split_heads(dense(x_2d, params, f"{scope}/key"))
  value = split_heads(dense(x_2d, params, f"{scope}/value"))

  scores = tf.matmul(query, key, transpose_b=True)  # [B, N, F, T]
  scores = tf.multiply(scores, 1.0 / math.sqrt(float(d)))
  # Masked positions get -10000 before the softmax, as in modeling.py.
  adder = (1.0 - tf.cast(tf.expand_dims(attention_mask, 1), scores.dtype)) * -10000.0  # [B, 1, F, T]
  scores += adder
  probs = tf.nn.softmax(scores)
  probs = dropout(probs, config.attention_probs_dropout_prob, training)

  context = tf.matmul(probs, value)  # [B, N, F, H/N]
  context = tf.transpose(context, [0, 2, 1, 3])  # [B, F, N, H/N]
  return tf.reshape(context, [batch_size * seq_length, n * d])  # [B*F, H]


def transformer_layer(layer_input, attention_mask, params: Mapping, scope: str, config: BertConfig,
                      batch_size, seq_length, training: bool):
  """One encoder layer (the body of modeling.py's loop) on [B*S, H]; returns [B*S, H]."""
  attention_output = attention_layer(layer_input, attention_mask, params,
                                     f"{scope}/attention/self", config, batch_size,
                                     seq_length, training)
  attention_output = dense(attention_output, params, f"{scope}/attention/output/dense")
  attention_output = dropout(attention_output, config.hidden_dropout_prob, training)
  attention_output = layer_norm(attention_output + layer_input, params,
                                f"{scope}/attention/output/LayerNorm", config.layer_norm_eps)
  intermediate_output = dense(attention_output, params, f"{scope}/intermediate/dense",
                              get_activation(config.hidden_act))
  layer_output = dense(intermediate_output, params, f"{scope}/output/dense")
  layer_output = dropout(layer_output, config.hidden_dropout_prob, training)
  return layer_norm(layer_output + attention_output, params, f"{scope}/output/LayerNorm",
                    config.layer_norm_eps)


def transformer_model(input_tensor, attention_mask, params: Mapping, config: BertConfig,
                      training: bool, layer_fn=transformer_layer, scope: str = "bert/encoder") -> list:
  """The encoder stack; returns every layer's output, each [B, S, H]. `layer_fn` computes one
  layer, with transformer_layer's arguments (a compiled rebuild passes one traced function);
  layer n's weights are under `{scope}/layer_{n}` (ELECTRA's scope is electra/encoder)."""
  shape = tf.shape(input_tensor)
  batch_size, seq_length, width = shape[0], shape[1], config.hidden_size
  if input_tensor.shape[-1] is not None and input_tensor.shape[-1] != width:
    raise ValueError(f"The width of the input tensor ({input_tensor.shape[-1]}) != "
                     f"hidden size ({width})")
  prev_output = tf.reshape(input_tensor, [-1, width])  # [B*S, H]
  all_layer_outputs = []
  for n in range(config.num_hidden_layers):
    prev_output = layer_fn(prev_output, attention_mask, params, f"{scope}/layer_{n}", config,
                           batch_size, seq_length, training)
    all_layer_outputs.append(tf.reshape(prev_output, [batch_size, seq_length, width]))
  return all_layer_outputs


# ----------------------------------------------------------------------------- pooler


def pooler(sequence_output, kernel, bias):
  """modeling.py's pooler: dense(sequence_output[:, 0], H, activation=tanh). -> [B, H]

  Args:
    sequence_output: float32 Tensor of shape [batch_size, seq_length, hidden_size].
    kernel: [hidden_size, hidden_size], the module's `bert/pooler/dense/kernel`.
    bias: [hidden_size], the module's `bert/pooler/dense/bias`.
  """
  first_token_tensor = tf.squeeze(sequence_output[:, 0:1, :], axis=1)  # [B, H]
  return tf.tanh(tf.nn.bias_add(tf.matmul(first_token_tensor, kernel), bias))


def bert_model(params: Mapping, config: BertConfig, input_ids, input_mask=None,
               token_type_ids=None, training: bool = False, layer_fn=transformer_layer) -> dict:
  """BertModel's forward pass.

  Args:
    params: modeling.py checkpoint name -> tensor, with every name of `variable_shapes(config)`
      (the pooler's may be missing).
    input_ids: int32 Tensor of shape [batch_size, seq_length].
    input_mask: int32 Tensor [batch_size, seq_length], 1 for real tokens (default all ones).
    token_type_ids: int32 Tensor [batch_size, seq_length] (default all zeros).
    training: apply dropout (the "train" graph of a TF1 Hub module).
    layer_fn: computes one encoder layer (see transformer_model).

  Returns:
    {"sequence_output": [B, S, H], "pooled_output": [B, H], "encoder_outputs": list of [B, S, H]}
    ("pooled_output" only if `params` hold the pooler's weights).
  """
  if input_mask is None:
    input_mask = tf.ones_like(input_ids)
  if token_type_ids is None:
    token_type_ids = tf.zeros_like(input_ids)
  embedding_output = embedding_postprocessor(embedding_lookup(input_ids, params), token_type_ids,
                                             params, config, training)
  attention_mask = create_attention_mask_from_input_mask(input_mask, embedding_output.dtype)
  all_layers = transformer_model(embedding_output, attention_mask, params, config, training,
                                 layer_fn)
  sequence_output = all_layers[-1]
  outputs = {"sequence_output": sequence_output, "encoder_outputs": all_layers}
  if POOLER_KERNEL in params:  # an encoder saved without its pooler has no pooled_output
    outputs["pooled_output"] = pooler(sequence_output, params[POOLER_KERNEL], params[POOLER_BIAS])
  return outputs


# ----------------------------------------------------------------------------- the family interface
# hub_repro.families picks a family's module by config.family; ALBERT's and ELECTRA's modeling
# give the same names.

FAMILY = "bert"
TITLE = "BERT"
MODELING = "google-research/bert modeling.py"  # what the rebuild is read beside
# What a trained-looking pooler means in this family, for the report.
POOLER_NOTE = ("In BERT that layer is trained for next-sentence prediction: feed pooled_output to a "
               "classifier you fine-tune")
WORD_EMBEDDINGS = "bert/embeddings/word_embeddings"
POSITION_EMBEDDINGS = "bert/embeddings/position_embeddings"
model = bert_model


def optional_shapes(config: BertConfig) -> dict[str, tuple[int, ...]]:
  """Variables a copy of this family may lack: the pooler (transformers' BertModel saved with
  add_pooling_layer=False; the model then has no pooled_output)."""
  return {POOLER_KERNEL: (config.hidden_size, config.hidden_size), POOLER_BIAS: (config.hidden_size,)}


def owns(names) -> bool:
  """Whether canonical `names` are this family's: BERT's encoder layers are bert/encoder/layer_N."""
  return any(n.startswith("bert/encoder/layer_") for n in names)


def describe(config: BertConfig) -> str:
  """The family and what sets it apart, for diff's verdict."""
  del config
  return "BERT"


def config_from_params(params: Mapping, num_attention_heads: int | None = None,
                       hidden_act: str = "gelu") -> BertConfig:
  """A BertConfig from these weights' shapes; heads and activation, which shapes do not tell, as
  given (heads guessed from H if not)."""
  word = params[WORD_EMBEDDINGS].shape
  layers = sum(1 for k in params if k.endswith("/attention/self/query/kernel"))
  return BertConfig(
      vocab_size=int(word[0]), hidden_size=int(word[1]), num_hidden_layers=layers,
      num_attention_heads=int(num_attention_heads or guessed_heads(int(word[1]))),
      intermediate_size=int(params["bert/encoder/layer_0/intermediate/dense/kernel"].shape[1]),
      hidden_act=hidden_act,
      max_position_embeddings=int(params[POSITION_EMBEDDINGS].shape[0]),
      type_vocab_size=int(params["bert/embeddings/token_type_embeddings"].shape[0]))
