"""Export BERT weights as a TF1 Hub module with the interface of google/bert_uncased_L-12_H-768_A-12/1.

tensorflow_hub 0.16 no longer has `hub.create_module_spec`, so the module is written the way that
function laid it out: a TF1 SavedModel with two MetaGraphs (tags `{}` for inference and `{"train"}`
with dropout), each with the signatures `tokens` and `tokenization_info`, the vocab as an asset, and
`tfhub_module.pb` (a ModuleDef proto, FORMAT_V3) beside saved_model.pb.
"""

from __future__ import annotations

import os
import shutil

import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

from hub_repro import files
from hub_repro.families.bert import modeling
from hub_repro.weights import BertWeights

TOKENS_SIGNATURE = "tokens"
TOKENIZATION_INFO_SIGNATURE = "tokenization_info"
MODULE_DEF_FILENAME = "tfhub_module.pb"
# tensorflow_hub's module_def.proto: `message ModuleDef { enum Format { FORMAT_V3 = 3; }
# Format format = 1; ... }`. The proto module left tensorflow_hub with 0.16, and the message is a
# single varint field: tag (field 1, wire type 0) = 0x08, value 3.
MODULE_DEF_V3 = b"\x08\x03"
VOCAB_ASSET = "vocab.txt"
ASSET_PLACEHOLDER = b"SAVEDMODEL-ASSET"
# (tags, training) of each MetaGraph, as bert's create_module_spec declared them.
TAGS_AND_TRAINING = [(set(), False), ({"train"}, True)]


def _build_graph(weights: BertWeights, vocab_path: str, training: bool):
  """One MetaGraph's graph: variables under modeling.py names, the encoder and its signatures."""
  config = weights.config
  graph = tf.Graph()
  with graph.as_default():
    input_ids = tf.compat.v1.placeholder(tf.int32, [None, None], name="input_ids")
    input_mask = tf.compat.v1.placeholder(tf.int32, [None, None], name="input_mask")
    segment_ids = tf.compat.v1.placeholder(tf.int32, [None, None], name="segment_ids")
    # Variables start as zeros (a small graph); the session then feeds the real values into each
    # initializer, so the weights live only in variables/, never as graph constants.
    params = {
        name: tf.compat.v1.get_variable(name, shape, tf.float32,
                                        initializer=tf.compat.v1.zeros_initializer())
        for name, shape in modeling.variable_shapes(config).items()
    }
    outputs = modeling.bert_model(params, config, input_ids, input_mask, segment_ids,
                                  training=training)
    pooled_output = tf.identity(outputs["pooled_output"], name="pooled_output")
    sequence_output = tf.identity(outputs["sequence_output"], name="sequence_output")

    vocab_file = tf.constant(vocab_path, name="vocab_file")
    tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.ASSET_FILEPATHS, vocab_file)
    do_lower_case = tf.constant(weights.do_lower_case, name="do_lower_case")

    info = tf.compat.v1.saved_model.utils.build_tensor_info
    build = tf.compat.v1.saved_model.signature_def_utils.build_signature_def
    signatures = {
        TOKENS_SIGNATURE: build(
            inputs={"input_ids": info(input_ids), "input_mask": info(input_mask),
                    "segment_ids": info(segment_ids)},
            outputs={"pooled_output": info(pooled_output),
                     "sequence_output": info(sequence_output)}),
        TOKENIZATION_INFO_SIGNATURE: build(
            inputs={},
            outputs={"vocab_file": info(vocab_file), "do_lower_case": info(do_lower_case)}),
    }
  return graph, params, signatures


def _replace_asset_paths(module_dir: str) -> None:
  """The vocab constant still holds the staging path; hub.create_module_spec stored the placeholder
  "SAVEDMODEL-ASSET" there (the loader feeds the real path), and so do we."""
  path = os.path.join(module_dir, "saved_model.pb")
  saved_model = saved_model_pb2.SavedModel()
  with open(path, "rb") as f:
    saved_model.ParseFromString(f.read())
  for meta_graph in saved_model.meta_graphs:
    for node in meta_graph.graph_def.node:
      if node.name == "vocab_file" and node.op == "Const":
        node.attr["value"].tensor.string_val[:] = [ASSET_PLACEHOLDER]
  with open(path, "wb") as f:
    f.write(saved_model.SerializeToString(deterministic=True))


def export_tf1_hub(weights: BertWeights, out_dir: str, overwrite: bool = False,
                   finalize=None) -> str:
  """Writes `weights` as a TF1 Hub module to `out_dir` and returns its path.

  The module is written into a temporary folder beside `out_dir` and renamed into place, so a crash
  leaves no half module behind. `finalize(path)`, if given, runs on the staged module just before
  the rename (the embedded cache writes its manifest there).
  """
  with files.atomic_folder(out_dir, overwrite) as module_dir:
    # The asset keeps its basename in assets/, so stage the vocab as vocab.txt beside the module.
    vocab_path = os.path.join(os.path.dirname(module_dir), VOCAB_ASSET)
    shutil.copyfile(weights.vocab_file, vocab_path)
    builder = tf.compat.v1.saved_model.Builder(module_dir)
    for i, (tags, training) in enumerate(TAGS_AND_TRAINING):
      graph, params, signatures = _build_graph(weights, vocab_path, training)
      with graph.as_default():
        assets = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.ASSET_FILEPATHS)
        if i == 0:
          with tf.compat.v1.Session(graph=graph) as sess:
            for name, var in params.items():
              sess.run(var.initializer, {var.initializer.inputs[1]: weights.params[name]})
            builder.add_meta_graph_and_variables(sess, sorted(tags), signature_def_map=signatures,
                                                 assets_collection=assets)
        else:
          builder.add_meta_graph(sorted(tags), signature_def_map=signatures,
                                 assets_collection=assets)
    builder.save()
    _replace_asset_paths(module_dir)
    with open(os.path.join(module_dir, MODULE_DEF_FILENAME), "wb") as f:
      f.write(MODULE_DEF_V3)
    if finalize is not None:
      finalize(module_dir)
  return os.path.abspath(out_dir)
