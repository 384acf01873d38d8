"""google-research/albert modeling.py, rebuilt for TensorFlow 2 over its checkpoint names.

ALBERT is BERT with two changes, both in `transformer_model` and the embeddings:

  - factorized embeddings: the tables have width E = embedding_size (128 in every release), and
    `bert/encoder/embedding_hidden_mapping_in` projects them to H before the first layer (only if
    E != H, as in albert's modeling.py);
  - shared layers: the L layers use the weights of `num_hidden_groups` groups (group
    int(l / L * G) for layer l), each group `inner_group_num` layers of its own
    (`bert/encoder/transformer/group_G/inner_group_I/...`). Every release has 1 group of 1: one
    layer's weights applied L times.

One layer (albert's `attention_ffn_block`) is BERT's encoder layer to the operation: self-attention,
dense, residual + LayerNorm, feed-forward with gelu (the tanh form, as in BERT's modeling.py;
Hugging Face calls it gelu_new), residual + LayerNorm. Only the variable scopes differ
(`attention_1/...`, `ffn_1/...`, `LayerNorm`, `LayerNorm_1`), so it is `modeling.transformer_layer`
called on ALBERT's names through `LAYER_NAMES`. The embeddings, the attention and the pooler are
modeling.py's functions, called by name.

Legend for shape comments: B = batch size, S = sequence length, E = embedding width, H = hidden.
"""

from __future__ import annotations

from typing import Mapping

import tensorflow as tf

from hub_repro.families.bert import modeling
from hub_repro.config import BertConfig, guessed_heads

FAMILY = "albert"
TITLE = "ALBERT"
MODELING = "google-research/albert modeling.py"
LAYER_NORM_EPSILON = modeling.LAYER_NORM_EPSILON  # BERT's LayerNorm
POOLER_NOTE = ("In ALBERT that layer is trained for sentence-order prediction (run_pretraining.py's "
               "get_sentence_order_output reads it): feed pooled_output to a classifier you "
               "fine-tune")
EMBEDDINGS = "bert/embeddings"
WORD_EMBEDDINGS = f"{EMBEDDINGS}/word_embeddings"
POSITION_EMBEDDINGS = f"{EMBEDDINGS}/position_embeddings"
MAPPING_IN = "bert/encoder/embedding_hidden_mapping_in"  # dense E -> H
GROUP = "bert/encoder/transformer/group_{g}/inner_group_{i}"
POOLER_KERNEL, POOLER_BIAS = modeling.POOLER_KERNEL, modeling.POOLER_BIAS

# BERT's name inside an encoder layer -> ALBERT's inside inner_group_I (attention_ffn_block's
# scopes; tf.contrib's layer_norm names its first call LayerNorm, its second LayerNorm_1).
LAYER_NAMES = {
    "attention/self/query/kernel": "attention_1/self/query/kernel",
    "attention/self/query/bias": "attention_1/self/query/bias",
    "attention/self/key/kernel": "attention_1/self/key/kernel",
    "attention/self/key/bias": "attention_1/self/key/bias",
    "attention/self/value/kernel": "attention_1/self/value/kernel",
    "attention/self/value/bias": "attention_1/self/value/bias",
    "attention/output/dense/kernel": "attention_1/output/dense/kernel",
    "attention/output/dense/bias": "attention_1/output/dense/bias",
    "attention/output/LayerNorm/beta": "LayerNorm/beta",
    "attention/output/LayerNorm/gamma": "LayerNorm/gamma",
    "intermediate/dense/kernel": "ffn_1/intermediate/dense/kernel",
    "intermediate/dense/bias": "ffn_1/intermediate/dense/bias",
    "output/dense/kernel": "ffn_1/intermediate/output/dense/kernel",
    "output/dense/bias": "ffn_1/intermediate/output/dense/bias",
    "output/LayerNorm/beta": "LayerNorm_1/beta",
    "output/LayerNorm/gamma": "LayerNorm_1/gamma",
}


def _mapping_shapes(config: BertConfig) -> dict[str, tuple[int, ...]]:
  return {f"{MAPPING_IN}/kernel": (config.embedding_width, config.hidden_size),
          f"{MAPPING_IN}/bias": (config.hidden_size,)}


def variable_shapes(config: BertConfig) -> dict[str, tuple[int, ...]]:
  """Every variable of albert's AlbertModel, by checkpoint name, in creation order."""
  shapes = modeling.embedding_shapes(config, EMBEDDINGS)
  if config.embedding_width != config.hidden_size:
    shapes.update(_mapping_shapes(config))
  layer = modeling.layer_shapes(config)
  for g in range(config.num_hidden_groups):
    for i in range(config.inner_group_num):
      scope = GROUP.format(g=g, i=i)
      shapes.update({f"{scope}/{LAYER_NAMES[k]}": v for k, v in layer.items()})
  shapes[POOLER_KERNEL] = (config.hidden_size, config.hidden_size)
  shapes[POOLER_BIAS] = (config.hidden_size,)
  return shapes


def optional_shapes(config: BertConfig) -> dict[str, tuple[int, ...]]:
  """Variables a copy may lack: the pooler (a model saved without it has no pooled_output); and
  with E == H the mapping, which albert's modeling.py does not make (Hugging Face and keras-hub
  always do)."""
  shapes = modeling.optional_shapes(config)
  if config.embedding_width == config.hidden_size:
    shapes.update(_mapping_shapes(config))
  return shapes


def owns(names) -> bool:
  return any(n.startswith("bert/encoder/transformer/") for n in names)


def describe(config: BertConfig) -> str:
  groups = config.num_hidden_groups * config.inner_group_num
  shared = ("one shared layer" if groups == 1 else
            f"{groups} layers' weights shared by {config.num_hidden_layers} layers")
  return f"ALBERT ({shared}, embedding width {config.embedding_width})"


def config_from_params(params: Mapping, num_attention_heads: int | None = None,
                       hidden_act: str = "gelu") -> BertConfig:
  """A config from these weights' shapes. Shapes do not tell the number of layers (the weights
  are shared): the groups' count is taken, so pass num_hidden_layers yourself where it is stored."""
  word = params[WORD_EMBEDDINGS].shape
  groups = {k.split("/")[3] for k in params if k.startswith("bert/encoder/transformer/")}
  inner = {k.split("/")[4] for k in params if k.startswith("bert/encoder/transformer/group_0/")}
  kernel = params[f"{GROUP.format(g=0, i=0)}/{LAYER_NAMES['intermediate/dense/kernel']}"].shape
  return BertConfig(
      family=FAMILY, vocab_size=int(word[0]), embedding_size=int(word[1]),
      hidden_size=int(kernel[0]), num_hidden_layers=len(groups), num_hidden_groups=len(groups),
      inner_group_num=len(inner),
      num_attention_heads=int(num_attention_heads or guessed_heads(int(kernel[0]))),
      intermediate_size=int(kernel[1]), hidden_act=hidden_act,
      max_position_embeddings=int(params[POSITION_EMBEDDINGS].shape[0]),
      type_vocab_size=int(params[f"{EMBEDDINGS}/token_type_embeddings"].shape[0]))


def attention_ffn_block(layer_input, attention_mask, params: Mapping, scope: str,
                        config: BertConfig, batch_size, seq_length, training: bool):
  """One ALBERT layer on [B*S, H] (its weights under `scope`, an inner group): BERT's encoder
  layer on ALBERT's names. Returns [B*S, H]."""
  weights = {f"layer/{bert}": params[f"{scope}/{albert}"] for bert, albert in LAYER_NAMES.items()}
  return modeling.transformer_layer(layer_input, attention_mask, weights, "layer", config,
                                    batch_size, seq_length, training)


transformer_layer = attention_ffn_block  # the family interface's name for one layer


def transformer_model(input_tensor, attention_mask, params: Mapping, config: BertConfig,
                      training: bool, layer_fn=attention_ffn_block) -> list:
  """The encoder on the embeddings [B, S, E]: the mapping to H, then L layers over the shared
  groups. Returns every layer's output, each [B, S, H]. (albert's modeling.py appends an output
  after every inner group; with inner_group_num 1, every release, that is the same list.)"""
  shape = tf.shape(input_tensor)
  batch_size, seq_length, width = shape[0], shape[1], config.hidden_size
  prev_output = tf.reshape(input_tensor, [-1, config.embedding_width])  # [B*S, E]
  if f"{MAPPING_IN}/kernel" in params:
    prev_output = modeling.dense(prev_output, params, MAPPING_IN)  # [B*S, H]
  all_layer_outputs = []
  for layer_idx in range(config.num_hidden_layers):
    group_idx = int(layer_idx / config.num_hidden_layers * config.num_hidden_groups)
    for inner_group_idx in range(config.inner_group_num):
      prev_output = layer_fn(prev_output, attention_mask, params,
                             GROUP.format(g=group_idx, i=inner_group_idx), config, batch_size,
                             seq_length, training)
    all_layer_outputs.append(tf.reshape(prev_output, [batch_size, seq_length, width]))
  return all_layer_outputs


def albert_model(params: Mapping, config: BertConfig, input_ids, input_mask=None,
                 token_type_ids=None, training: bool = False, layer_fn=attention_ffn_block) -> dict:
  """AlbertModel's forward pass; arguments and result as modeling.bert_model's."""
  input_mask = tf.ones_like(input_ids) if input_mask is None else input_mask
  token_type_ids = tf.zeros_like(input_ids) if token_type_ids is None else token_type_ids
  embedding_output = modeling.embedding_postprocessor(  # [B, S, E]
      modeling.embedding_lookup(input_ids, params, EMBEDDINGS), token_type_ids, params, config,
      training, EMBEDDINGS)
  attention_mask = modeling.create_attention_mask_from_input_mask(input_mask,
                                                                  embedding_output.dtype)
  all_layers = transformer_model(embedding_output, attention_mask, params, config, training,
                                 layer_fn)
  outputs = {"sequence_output": all_layers[-1], "encoder_outputs": all_layers}
  if POOLER_KERNEL in params:  # an encoder saved without its pooler has no pooled_output
    outputs["pooled_output"] = modeling.pooler(all_layers[-1], params[POOLER_KERNEL],
                                               params[POOLER_BIAS])
  return outputs


model = albert_model
