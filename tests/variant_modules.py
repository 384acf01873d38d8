"""Legal BERT SavedModels that hub_repro's own exporters never write, built the way other tools do:
a TF2 `__call__` without `training`, int64 inputs, extra output keys, a Keras 3 `model.export()`
artifact, a TF1 Hub module with an extra `mlm` signature, and a module whose call fails inside
TensorFlow. Each computes modeling.py's BertModel on the given weights."""

from __future__ import annotations

import os
import shutil

import tensorflow as tf

from hub_repro.families.bert import modeling

TF2_INPUTS = ("input_word_ids", "input_mask", "input_type_ids")


class NoTrainingEncoder(tf.Module):
  """`__call__(inputs)` only, int64 ids, and an extra output key: all legal for hub.load."""

  def __init__(self, weights, fail: bool = False):
    super().__init__()
    self.config = weights.config
    self.fail = fail
    self.weights = {name: tf.Variable(value, name=name) for name, value in weights.params.items()}

  @tf.function(input_signature=[{name: tf.TensorSpec([None, None], tf.int64, name=name)
                                 for name in TF2_INPUTS}])
  def __call__(self, inputs):
    ids, mask, segments = (tf.cast(inputs[name], tf.int32) for name in TF2_INPUTS)
    if self.fail:  # a check inside the graph that every real input trips
      tf.debugging.assert_less(ids, tf.constant(0, tf.int32), message="ids out of range")
    out = modeling.bert_model(self.weights, self.config, ids, mask, segments)
    return {"pooled_output": out["pooled_output"], "sequence_output": out["sequence_output"],
            "default": out["pooled_output"], "mlm_hidden": out["sequence_output"] * 2.0}


class DefaultOnlyEncoder(tf.Module):
  """A TF2 encoder that answers `default` and sequence_output only, no pooled_output key (as
  encoders do whose page tells users to read `default`): a Model Garden export, wrapped."""

  def __init__(self, encoder_dir: str):
    super().__init__()
    self.encoder = tf.saved_model.load(encoder_dir)

  @tf.function(input_signature=[{name: tf.TensorSpec([None, None], tf.int32, name=name)
                                 for name in TF2_INPUTS}])
  def __call__(self, inputs):
    out = self.encoder(inputs, training=False)
    return {"default": out["default"], "sequence_output": out["sequence_output"]}


def with_identity_pooler(encoder_dir: str, out_dir: str) -> str:
  """A Model Garden export with its pooler set to the identity before it is saved again, as TF-Hub's
  BERT Experts were exported ("the pooling layer is replaced with an identity matrix")."""
  encoder = tf.saved_model.load(encoder_dir)
  for variable in encoder.variables:
    if variable.name.startswith("pooler_transform/kernel"):
      variable.assign(tf.eye(variable.shape[0], dtype=variable.dtype))
    elif variable.name.startswith("pooler_transform/bias"):
      variable.assign(tf.zeros_like(variable))
  tf.saved_model.save(encoder, out_dir)
  shutil.copytree(os.path.join(encoder_dir, "assets"), os.path.join(out_dir, "assets"),
                  dirs_exist_ok=True)
  return out_dir


def save_with_vocab(obj, out_dir: str, vocab_file: str) -> str:
  tf.saved_model.save(obj, out_dir)
  os.makedirs(os.path.join(out_dir, "assets"), exist_ok=True)
  shutil.copy(vocab_file, os.path.join(out_dir, "assets", "vocab.txt"))
  return out_dir


def keras_export(weights, out_dir: str, vocab_file: str) -> str:
  """keras-hub's BertBackbone holding `weights`, written by Keras 3's own `model.export()`
  (a `serve` endpoint and a `serving_default` signature over token_ids/segment_ids/padding_mask)."""
  from hub_repro.sources.keras_hub import backbone_from_params

  backbone = backbone_from_params(weights.params, weights.config)
  backbone.export(out_dir, format="tf_saved_model", verbose=False)
  os.makedirs(os.path.join(out_dir, "assets"), exist_ok=True)
  shutil.copy(vocab_file, os.path.join(out_dir, "assets", "vocab.txt"))
  return out_dir


def tf1_with_mlm_signature(weights, out_dir: str, vocab_file: str) -> str:
  """A TF1 Hub module (tfhub_module.pb) with int64 inputs and signatures tokens, mlm and
  tokenization_info, written with the tf.compat.v1 SavedModel builder."""
  config = weights.config
  graph = tf.Graph()
  with graph.as_default():
    placeholders = {name: tf.compat.v1.placeholder(tf.int64, [None, None], name=name)
                    for name in ("input_ids", "input_mask", "segment_ids")}
    ids, mask, segments = (tf.cast(placeholders[n], tf.int32)
                           for n in ("input_ids", "input_mask", "segment_ids"))
    params = {name: tf.compat.v1.get_variable(name, initializer=tf.constant(value))
              for name, value in weights.params.items()}
    out = modeling.bert_model(params, config, ids, mask, segments)
    logits = tf.einsum("bsh,vh->bsv", out["sequence_output"],
                       params["bert/embeddings/word_embeddings"])
    vocab = tf.constant(vocab_file, name="vocab_file")
    tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.ASSET_FILEPATHS, vocab)
    info = tf.compat.v1.saved_model.utils.build_tensor_info
    build = tf.compat.v1.saved_model.signature_def_utils.build_signature_def
    inputs = {name: info(t) for name, t in placeholders.items()}
    signatures = {
        "tokens": build(inputs=inputs, outputs={"pooled_output": info(out["pooled_output"]),
                                                "sequence_output": info(out["sequence_output"])}),
        "mlm": build(inputs=inputs, outputs={"mlm_logits": info(logits)}),
        "tokenization_info": build(inputs={}, outputs={
            "vocab_file": info(vocab), "do_lower_case": info(tf.constant(True))}),
    }
    with tf.compat.v1.Session(graph=graph) as sess:
      sess.run(tf.compat.v1.global_variables_initializer())
      builder = tf.compat.v1.saved_model.Builder(out_dir)
      builder.add_meta_graph_and_variables(
          sess, [], signature_def_map=signatures,
          assets_collection=tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.ASSET_FILEPATHS))
      builder.save()
  with open(os.path.join(out_dir, "tfhub_module.pb"), "wb") as f:
    f.write(b"\x08\x03")  # ModuleDef FORMAT_V3, as hub.create_module_spec writes it
  return out_dir
