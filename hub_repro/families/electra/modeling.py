"""google-research/electra modeling.py (its `BertModel` under the scope "electra"), rebuilt for
TensorFlow 2 over its checkpoint names.

ELECTRA's encoder is BERT's with two changes:

  - the embeddings have width E = embedding_size (128 in ELECTRA-Small) and, if E != H,
    `electra/embeddings_project` (a tf.layers.dense) projects them to H before the first layer;
  - there is no pooler: electra's modeling.py sets pooled_output = sequence_output[:, 0].

Its layers are BERT's, under `electra/encoder/layer_N/` with BERT's names. Its gelu is the erf form
(electra's `modeling.gelu`; Hugging Face's "gelu"), which is hub_repro's "gelu_exact" and the
guess where a copy does not store it; Model Garden's and keras-hub's ELECTRA use the tanh form.

Copies in other formats that add a pooler (keras-hub's ElectraBackbone `pooled_dense`, Model
Garden's `pooler_transform`, identity-initialised by TF-Hub) keep it under
`electra/pooler/dense/{kernel,bias}`, a name of this table only (Google's checkpoints have no
pooler), and the rebuild then applies modeling.py's pooler, as those formats do.

Legend for shape comments: B = batch size, S = sequence length, E = embedding width, H = hidden.
"""

from __future__ import annotations

from typing import Mapping

import tensorflow as tf

from hub_repro.families.bert import modeling
from hub_repro.config import BertConfig, guessed_heads

FAMILY = "electra"
TITLE = "ELECTRA"
MODELING = "google-research/electra modeling.py"
LAYER_NORM_EPSILON = modeling.LAYER_NORM_EPSILON  # BERT's LayerNorm
POOLER_NOTE = ("ELECTRA's pre-training has no such layer (google-research/electra returns "
               "sequence_output[:, 0] as pooled_output): this one was added around the encoder, "
               "and is trained only where the model was fine-tuned with it")
EMBEDDINGS = "electra/embeddings"
WORD_EMBEDDINGS = f"{EMBEDDINGS}/word_embeddings"
POSITION_EMBEDDINGS = f"{EMBEDDINGS}/position_embeddings"
PROJECT = "electra/embeddings_project"  # dense E -> H
ENCODER = "electra/encoder"
POOLER_KERNEL = "electra/pooler/dense/kernel"  # only in formats that add a pooler
POOLER_BIAS = "electra/pooler/dense/bias"


def _project_shapes(config: BertConfig) -> dict[str, tuple[int, ...]]:
  return {f"{PROJECT}/kernel": (config.embedding_width, config.hidden_size),
          f"{PROJECT}/bias": (config.hidden_size,)}


def variable_shapes(config: BertConfig) -> dict[str, tuple[int, ...]]:
  """Every variable of electra's BertModel (the discriminator), by checkpoint name."""
  shapes = modeling.embedding_shapes(config, EMBEDDINGS)
  if config.embedding_width != config.hidden_size:
    shapes.update(_project_shapes(config))
  for n in range(config.num_hidden_layers):
    shapes.update({f"{ENCODER}/layer_{n}/{k}": v for k, v in modeling.layer_shapes(config).items()})
  return shapes


def optional_shapes(config: BertConfig) -> dict[str, tuple[int, ...]]:
  """The pooler some formats add (see the module docstring)."""
  return {POOLER_KERNEL: (config.hidden_size, config.hidden_size),
          POOLER_BIAS: (config.hidden_size,)}


def owns(names) -> bool:
  return any(n.startswith(f"{ENCODER}/layer_") for n in names)


def describe(config: BertConfig) -> str:
  return f"ELECTRA (embedding width {config.embedding_width}, no pooler in Google's checkpoint)"


def config_from_params(params: Mapping, num_attention_heads: int | None = None,
                       hidden_act: str = "gelu_exact") -> BertConfig:
  """A config from these weights' shapes (heads guessed from H if not given; electra's erf gelu
  unless given)."""
  word = params[WORD_EMBEDDINGS].shape
  kernel = params[f"{ENCODER}/layer_0/intermediate/dense/kernel"].shape
  layers = sum(1 for k in params if k.endswith("/attention/self/query/kernel"))
  return BertConfig(
      family=FAMILY, vocab_size=int(word[0]), embedding_size=int(word[1]),
      hidden_size=int(kernel[0]), num_hidden_layers=layers,
      num_attention_heads=int(num_attention_heads or guessed_heads(int(kernel[0]))),
      intermediate_size=int(kernel[1]), hidden_act=hidden_act,
      max_position_embeddings=int(params[POSITION_EMBEDDINGS].shape[0]),
      type_vocab_size=int(params[f"{EMBEDDINGS}/token_type_embeddings"].shape[0]))


transformer_layer = modeling.transformer_layer  # BERT's layer, under electra/encoder/layer_N


def electra_model(params: Mapping, config: BertConfig, input_ids, input_mask=None,
                  token_type_ids=None, training: bool = False,
                  layer_fn=modeling.transformer_layer) -> dict:
  """electra's BertModel forward pass; arguments and result as modeling.bert_model's.
  pooled_output is modeling.py's pooler where the weights have one, else sequence_output[:, 0]."""
  input_mask = tf.ones_like(input_ids) if input_mask is None else input_mask
  token_type_ids = tf.zeros_like(input_ids) if token_type_ids is None else token_type_ids
  embedding_output = modeling.embedding_postprocessor(  # [B, S, E]
      modeling.embedding_lookup(input_ids, params, EMBEDDINGS), token_type_ids, params, config,
      training, EMBEDDINGS)
  if f"{PROJECT}/kernel" in params:
    shape = tf.shape(embedding_output)
    projected = modeling.dense(tf.reshape(embedding_output, [-1, config.embedding_width]), params,
                               PROJECT)  # [B*S, H]
    embedding_output = tf.reshape(projected, [shape[0], shape[1], config.hidden_size])
  attention_mask = modeling.create_attention_mask_from_input_mask(input_mask,
                                                                  embedding_output.dtype)
  all_layers = modeling.transformer_model(embedding_output, attention_mask, params, config,
                                          training, layer_fn, scope=ENCODER)
  sequence_output = all_layers[-1]
  pooled_output = (modeling.pooler(sequence_output, params[POOLER_KERNEL], params[POOLER_BIAS])
                   if POOLER_KERNEL in params else sequence_output[:, 0])
  return {"sequence_output": sequence_output, "pooled_output": pooled_output,
          "encoder_outputs": all_layers}


model = electra_model
