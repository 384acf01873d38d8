"""google-research/mobilebert modeling.py, rebuilt for TensorFlow 2 over its checkpoint names (read
beside transformers' models/mobilebert/modeling_mobilebert.py, the same code in PyTorch, and Model
Garden's official/nlp/modeling/layers/mobile_bert_layers.py).

MobileBERT is BERT made narrow inside each block, with its own settings in the config's `options`
(OPTIONS below: their meaning and google/mobilebert-uncased's values):

  - embeddings of width E (128); with trigram_input the embeddings of tokens i+1, i and i-1 are
    concatenated to 3E and `embeddings/embedding_transformation` projects them to H (512) before
    positions and token types (both H wide) are added and the embedding norm applied;
  - per block, `bottleneck/input` (dense H -> K = intra_bottleneck_size, then norm) gives the
    K-wide state the block works on; with key_query_shared_bottleneck `bottleneck/attention`
    (another dense H -> K and norm) feeds query and key while value reads the H-wide block input;
    attention has N heads of K/N; `attention/output` adds the bottleneck state back and norms;
  - num_feedforward_networks feed-forward networks one after another, each dense K -> I, the
    activation (relu), dense I -> K, residual and norm: the first F - 1 under `ffn_layer_F/`, the
    last under BERT's `intermediate/` and `output/`; `output/bottleneck` then projects K -> H,
    adds the block input and norms;
  - normalization_type "no_norm" (every release): each norm is NoNorm, x * gamma + beta
    elementwise with no statistics; "layer_norm" is BERT's LayerNorm;
  - the pooler: with classifier_activation false (google's checkpoints) pooled_output is
    sequence_output[:, 0] itself; true, it is BERT's tanh(dense) under `mobilebert/pooler/dense`.

Names: google's checkpoint names with `bert/` renamed `mobilebert/` (as transformers' converter
does), so that BERT's `bert/encoder/layer_N` never claims them, and every norm, NoNorm or not,
under `LayerNorm/{gamma,beta}` (google's checkpoints write a NoNorm as `FakeLayerNorm`).

Legend for shape comments: B = batch size, S = sequence length (F = from, T = to in attention),
E = embedding width, H = hidden size (between blocks), K = true hidden size (inside a block),
N = attention heads, I = intermediate size.
"""

from __future__ import annotations

import math
from typing import Mapping

import tensorflow as tf

from hub_repro.config import BertConfig, guessed_heads
from hub_repro.errors import ConfigError, WeightsError
from hub_repro.families.bert import modeling

FAMILY = "mobilebert"
TITLE = "MobileBERT"
MODELING = "google-research/mobilebert modeling.py"
LAYER_NORM_EPSILON = modeling.LAYER_NORM_EPSILON  # its layer_norm, where normalization_type says so
POOLER_NOTE = ("MobileBERT's released checkpoints have no such layer (classifier_activation false: "
               "pooled_output is the [CLS] state); this one comes with classifier_activation true, "
               "and is trained only where the model was fine-tuned with it")
EMBEDDINGS = "mobilebert/embeddings"
WORD_EMBEDDINGS = f"{EMBEDDINGS}/word_embeddings"
POSITION_EMBEDDINGS = f"{EMBEDDINGS}/position_embeddings"
TRANSFORMATION = f"{EMBEDDINGS}/embedding_transformation"  # dense 3E (or E) -> H
ENCODER = "mobilebert/encoder"
POOLER_KERNEL = "mobilebert/pooler/dense/kernel"  # only with classifier_activation true
POOLER_BIAS = "mobilebert/pooler/dense/bias"

# The family's own config keys (BertConfig.options) and google/mobilebert-uncased's values, which
# are also transformers' MobileBertConfig defaults except classifier_activation (True there).
# true_hidden_size is K: intra_bottleneck_size with a bottleneck, else H.
OPTIONS = {
    "intra_bottleneck_size": 128,  # K: the width inside a block
    "true_hidden_size": None,  # None: derived from use_bottleneck (see above)
    "num_feedforward_networks": 4,  # feed-forward networks per block
    "normalization_type": "no_norm",  # "no_norm" (x * gamma + beta) or "layer_norm"
    "use_bottleneck": True,  # blocks narrow to K and back
    "key_query_shared_bottleneck": True,  # query and key from a second bottleneck of their own
    "use_bottleneck_attention": False,  # query, key and value from the input bottleneck
    "classifier_activation": False,  # pooled_output = tanh(dense(first token)), else the token
    "trigram_input": True,  # the embeddings of i+1, i, i-1 concatenated before the projection
    # The epsilon of the two LayerNorms transformers' MobileBERT builds without passing
    # layer_norm_eps (the embedding norm, and each block's `output/LayerNorm`), where torch's
    # default 1e-5 applies; None: layer_norm_eps for every norm. Computing those two with 1e-12
    # instead moves the tiny hf_mobilebert_layer_norm fixture's outputs by 1.2e-4, above
    # tolerances.FULL_TOLERANCE.
    "unset_norm_eps": None,
}
NORMALIZATION_TYPES = ("no_norm", "layer_norm")
# The options that only choose the pooler (diff leaves them to pooled_is).
POOLER_OPTIONS = ("classifier_activation",)


def option(config: BertConfig, key: str):
  """The config's value of one of OPTIONS (its default where the config leaves it out)."""
  if key == "true_hidden_size":
    value = config.options.get(key)
    if value is not None:
      return value
    return (option(config, "intra_bottleneck_size") if option(config, "use_bottleneck")
            else config.hidden_size)
  return config.options.get(key, OPTIONS[key])


def check_config(config: BertConfig) -> None:
  """ConfigError where MobileBERT's settings contradict one another."""
  k, n = option(config, "true_hidden_size"), config.num_attention_heads
  if k % n:
    raise ConfigError(f"true_hidden_size ({k}) is not a multiple of num_attention_heads ({n})")
  if option(config, "normalization_type") not in NORMALIZATION_TYPES:
    raise ConfigError(f"normalization_type {option(config, 'normalization_type')!r} is not one "
                      f"of {NORMALIZATION_TYPES}")
  if option(config, "num_feedforward_networks") < 1:
    raise ConfigError("num_feedforward_networks must be at least 1")


# ----------------------------------------------------------------------------- names and shapes


def _norm_shapes(scope: str, width: int) -> dict[str, tuple[int, ...]]:
  return {f"{scope}/LayerNorm/beta": (width,), f"{scope}/LayerNorm/gamma": (width,)}


def _dense_shapes(scope: str, d_in: int, d_out: int) -> dict[str, tuple[int, ...]]:
  return {f"{scope}/dense/kernel": (d_in, d_out), f"{scope}/dense/bias": (d_out,)}


def embedding_shapes(config: BertConfig) -> dict[str, tuple[int, ...]]:
  """The embedding tables, the projection and the embedding norm."""
  e, h = config.embedding_width, config.hidden_size
  shapes = {WORD_EMBEDDINGS: (config.vocab_size, e)}
  if option(config, "trigram_input") or e != h:
    width = 3 * e if option(config, "trigram_input") else e
    shapes.update({f"{TRANSFORMATION}/kernel": (width, h), f"{TRANSFORMATION}/bias": (h,)})
  shapes.update({f"{EMBEDDINGS}/token_type_embeddings": (config.type_vocab_size, h),
                 POSITION_EMBEDDINGS: (config.max_position_embeddings, h),
                 **_norm_shapes(EMBEDDINGS, h)})
  return shapes


def layer_shapes(config: BertConfig) -> dict[str, tuple[int, ...]]:
  """The variables of one block, by name inside its scope."""
  h, k, i = config.hidden_size, option(config, "true_hidden_size"), config.intermediate_size
  shapes = {}
  if option(config, "use_bottleneck"):
    shapes.update({**_dense_shapes("bottleneck/input", h, k),
                   **_norm_shapes("bottleneck/input", k)})
    if option(config, "key_query_shared_bottleneck"):
      shapes.update({**_dense_shapes("bottleneck/attention", h, k),
                     **_norm_shapes("bottleneck/attention", k)})
  bottleneck_attention = option(config, "use_bottleneck_attention")
  for name, d_in in (("query", k), ("key", k), ("value", k if bottleneck_attention else h)):
    shapes.update({f"attention/self/{name}/kernel": (d_in, k), f"attention/self/{name}/bias": (k,)})
  shapes.update({**_dense_shapes("attention/output", k, k), **_norm_shapes("attention/output", k)})
  for f in range(option(config, "num_feedforward_networks") - 1):
    shapes.update({**_dense_shapes(f"ffn_layer_{f}/intermediate", k, i),
                   **_dense_shapes(f"ffn_layer_{f}/output", i, k),
                   **_norm_shapes(f"ffn_layer_{f}/output", k)})
  shapes.update({**_dense_shapes("intermediate", k, i), **_dense_shapes("output", i, k),
                 **_norm_shapes("output", k)})
  if option(config, "use_bottleneck"):
    shapes.update({**_dense_shapes("output/bottleneck", k, h),
                   **_norm_shapes("output/bottleneck", h)})
  return shapes


def variable_shapes(config: BertConfig) -> dict[str, tuple[int, ...]]:
  """Every variable of the encoder, by checkpoint name (the pooler with classifier_activation)."""
  check_config(config)
  shapes = embedding_shapes(config)
  for n in range(config.num_hidden_layers):
    shapes.update({f"{ENCODER}/layer_{n}/{k}": v for k, v in layer_shapes(config).items()})
  if option(config, "classifier_activation"):
    shapes.update(optional_shapes(config))
  return shapes


def optional_shapes(config: BertConfig) -> dict[str, tuple[int, ...]]:
  """The pooler, which only classifier_activation true gives."""
  return {POOLER_KERNEL: (config.hidden_size, config.hidden_size),
          POOLER_BIAS: (config.hidden_size,)}


def name_ranges(config: BertConfig) -> dict:
  """The templated indices of its names besides the layer `{n}`: `{f}`, the feed-forward
  networks under ffn_layer_F (all but the last), and `{last}`, the last one's index (Model
  Garden names it ffn_layer_F too; google names it intermediate and output)."""
  count = option(config, "num_feedforward_networks")
  return {"f": count - 1, "last": (count - 1,)}


def owns(names) -> bool:
  return any(n.startswith(f"{ENCODER}/layer_") for n in names)


def describe(config: BertConfig) -> str:
  return (f"MobileBERT (bottleneck {option(config, 'true_hidden_size')} inside "
          f"{config.hidden_size}, {option(config, 'num_feedforward_networks')} feed-forward "
          f"networks, {option(config, 'normalization_type')}, "
          + ("tanh pooler" if option(config, "classifier_activation")
             else "pooled_output is the [CLS] state") + ")")


def config_from_params(params: Mapping, num_attention_heads: int | None = None,
                       hidden_act: str = "relu") -> BertConfig:
  """A config from these weights' shapes. What shapes do not tell: heads (guessed from K if not
  given), the activation (relu, every release's, unless given), and the norm (NoNorm: the
  weights are the same for a LayerNorm)."""
  word = params[WORD_EMBEDDINGS].shape
  layer = f"{ENCODER}/layer_0"
  hidden = int(params[POSITION_EMBEDDINGS].shape[1])
  inner = int(params[f"{layer}/intermediate/dense/kernel"].shape[0])
  ffns = 1 + sum(1 for k in params if k.startswith(f"{layer}/ffn_layer_")
                 and k.endswith("/intermediate/dense/kernel"))
  bottleneck = f"{layer}/bottleneck/input/dense/kernel" in params
  transformation = params.get(f"{TRANSFORMATION}/kernel")
  options = {
      "intra_bottleneck_size": inner if bottleneck else OPTIONS["intra_bottleneck_size"],
      "num_feedforward_networks": ffns,
      "normalization_type": "no_norm",
      "use_bottleneck": bottleneck,
      "key_query_shared_bottleneck": f"{layer}/bottleneck/attention/dense/kernel" in params,
      "use_bottleneck_attention": (
          int(params[f"{layer}/attention/self/value/kernel"].shape[0]) == inner != hidden),
      "classifier_activation": POOLER_KERNEL in params,
      "trigram_input": (transformation is not None
                        and int(transformation.shape[0]) == 3 * int(word[1])),
  }
  return BertConfig(
      family=FAMILY, vocab_size=int(word[0]), embedding_size=int(word[1]), hidden_size=hidden,
      num_hidden_layers=sum(1 for k in params if k.endswith("/attention/self/query/kernel")),
      num_attention_heads=int(num_attention_heads or guessed_heads(inner)),
      intermediate_size=int(params[f"{layer}/intermediate/dense/kernel"].shape[1]),
      hidden_act=hidden_act, max_position_embeddings=int(params[POSITION_EMBEDDINGS].shape[0]),
      type_vocab_size=int(params[f"{EMBEDDINGS}/token_type_embeddings"].shape[0]),
      options=options)


# ----------------------------------------------------------------------------- small layers


def unset_norm_eps(config: BertConfig) -> float:
  """The LayerNorm epsilon of the embedding norm and of each block's `output/LayerNorm`."""
  value = option(config, "unset_norm_eps")
  return config.layer_norm_eps if value is None else value


def norm(x, params: Mapping, scope: str, config: BertConfig, epsilon: float | None = None):
  """The normalization at `scope`/LayerNorm: NoNorm (x * gamma + beta) or LayerNorm (epsilon:
  layer_norm_eps unless given)."""
  if option(config, "normalization_type") == "no_norm":
    return x * params[f"{scope}/LayerNorm/gamma"] + params[f"{scope}/LayerNorm/beta"]
  epsilon = config.layer_norm_eps if epsilon is None else epsilon
  return modeling.layer_norm(x, params, f"{scope}/LayerNorm", epsilon)


def dense_norm(x, residual, params: Mapping, scope: str, config: BertConfig, training: bool,
               epsilon: float | None = None):
  """norm(dense(x) + residual) at `scope` (residual None: no residual), as mobilebert's
  output layers."""
  y = modeling.dense(x, params, f"{scope}/dense")
  y = modeling.dropout(y, config.hidden_dropout_prob, training)
  return norm(y if residual is None else y + residual, params, scope, config, epsilon)


# ----------------------------------------------------------------------------- embeddings


def embedding(input_ids, token_type_ids, params: Mapping, config: BertConfig, training: bool):
  """Word embeddings (trigram), projection, positions, token types, norm. -> [B, S, H]"""
  word = modeling.embedding_lookup(input_ids, params, EMBEDDINGS)  # [B, S, E]
  if option(config, "trigram_input"):
    # Token i sees the embeddings of i+1, i and i-1, zeros past either end.
    word = tf.concat([tf.pad(word[:, 1:], [[0, 0], [0, 1], [0, 0]]), word,
                      tf.pad(word[:, :-1], [[0, 0], [1, 0], [0, 0]])], axis=2)  # [B, S, 3E]
  if f"{TRANSFORMATION}/kernel" in params:
    word = tf.einsum("bse,eh->bsh", word, params[f"{TRANSFORMATION}/kernel"])
    word = word + params[f"{TRANSFORMATION}/bias"]  # [B, S, H]
  seq_length = tf.shape(input_ids)[1]
  positions = tf.slice(params[POSITION_EMBEDDINGS], [0, 0], [seq_length, -1])  # [S, H]
  types = tf.gather(params[f"{EMBEDDINGS}/token_type_embeddings"], token_type_ids)  # [B, S, H]
  output = norm(word + tf.expand_dims(positions, 0) + types, params, EMBEDDINGS, config,
                unset_norm_eps(config))
  return modeling.dropout(output, config.hidden_dropout_prob, training)


# ----------------------------------------------------------------------------- transformer


def attention_layer(query_2d, key_2d, value_2d, attention_mask, params: Mapping, scope: str,
                    config: BertConfig, batch_size, seq_length, training: bool):
  """Multi-headed attention of N heads of K/N; query and key [B*S, K], value [B*S, H] (or K).
  Returns the context [B*S, K]."""
  n = config.num_attention_heads
  d = option(config, "true_hidden_size") // n

  def split_heads(t):
    t = tf.reshape(t, [batch_size, seq_length, n, d])  # [B, S, N, K/N]
    return tf.transpose(t, [0, 2, 1, 3])  # [B, N, S, K/N]

  query = split_heads(modeling.dense(query_2d, params, f"{scope}/query"))
  key = split_heads(modeling.dense(key_2d, params, f"{scope}/key"))
  value = split_heads(modeling.dense(value_2d, params, f"{scope}/value"))
  scores = tf.matmul(query, key, transpose_b=True) * (1.0 / math.sqrt(float(d)))  # [B, N, F, T]
  scores += (1.0 - tf.cast(tf.expand_dims(attention_mask, 1), scores.dtype)) * -10000.0
  probs = modeling.dropout(tf.nn.softmax(scores), config.attention_probs_dropout_prob, training)
  context = tf.transpose(tf.matmul(probs, value), [0, 2, 1, 3])  # [B, F, N, K/N]
  return tf.reshape(context, [batch_size * seq_length, n * d])  # [B*F, K]


def ffn_layer(x, params: Mapping, scope: str, config: BertConfig, training: bool,
              epsilon: float | None = None):
  """One feed-forward network on [B*S, K]: norm(dense(act(dense(x))) + x). -> [B*S, K]"""
  intermediate = modeling.dense(x, params, f"{scope}/intermediate/dense",
                                modeling.get_activation(config.hidden_act))
  return dense_norm(intermediate, x, params, f"{scope}/output", config, training, epsilon)


def transformer_layer(layer_input, attention_mask, params: Mapping, scope: str, config: BertConfig,
                      batch_size, seq_length, training: bool):
  """One block on [B*S, H] (bottlenecks, attention, the feed-forward networks, the output
  bottleneck); returns [B*S, H]."""
  if option(config, "use_bottleneck"):
    inner = dense_norm(layer_input, None, params, f"{scope}/bottleneck/input", config,
                       False)  # [B*S, K]
    if option(config, "use_bottleneck_attention"):
      query = key = value = inner
    elif option(config, "key_query_shared_bottleneck"):
      query = key = dense_norm(layer_input, None, params, f"{scope}/bottleneck/attention",
                               config, False)  # [B*S, K]
      value = layer_input  # [B*S, H]
    else:
      query = key = value = layer_input
  else:
    inner = query = key = value = layer_input
  context = attention_layer(query, key, value, attention_mask, params, f"{scope}/attention/self",
                            config, batch_size, seq_length, training)
  # mobilebert drops out the attention output only without a bottleneck.
  output = dense_norm(context, inner, params, f"{scope}/attention/output", config,
                      training and not option(config, "use_bottleneck"))  # [B*S, K]
  for f in range(option(config, "num_feedforward_networks") - 1):  # no dropout in mobilebert's
    output = ffn_layer(output, params, f"{scope}/ffn_layer_{f}", config, False)
  output = ffn_layer(output, params, scope, config,
                     training and not option(config, "use_bottleneck"),
                     unset_norm_eps(config))  # [B*S, K]
  if option(config, "use_bottleneck"):
    output = dense_norm(output, layer_input, params, f"{scope}/output/bottleneck", config,
                        training)  # [B*S, H]
  return output


def mobilebert_model(params: Mapping, config: BertConfig, input_ids, input_mask=None,
                     token_type_ids=None, training: bool = False,
                     layer_fn=transformer_layer) -> dict:
  """MobileBERT's forward pass; arguments and result as modeling.bert_model's. pooled_output is
  sequence_output[:, 0] itself, or with classifier_activation tanh(dense) of it."""
  check_config(config)
  input_mask = tf.ones_like(input_ids) if input_mask is None else input_mask
  token_type_ids = tf.zeros_like(input_ids) if token_type_ids is None else token_type_ids
  embedding_output = embedding(input_ids, token_type_ids, params, config, training)  # [B, S, H]
  attention_mask = modeling.create_attention_mask_from_input_mask(input_mask,
                                                                  embedding_output.dtype)
  all_layers = modeling.transformer_model(embedding_output, attention_mask, params, config,
                                          training, layer_fn, scope=ENCODER)
  sequence_output = all_layers[-1]
  if not option(config, "classifier_activation"):
    pooled_output = sequence_output[:, 0]
  elif POOLER_KERNEL in params:
    pooled_output = modeling.pooler(sequence_output, params[POOLER_KERNEL], params[POOLER_BIAS])
  else:
    raise WeightsError(f"classifier_activation is true but the weights have no {POOLER_KERNEL}")
  return {"sequence_output": sequence_output, "pooled_output": pooled_output,
          "encoder_outputs": all_layers, "embedding_output": embedding_output}


model = mobilebert_model
