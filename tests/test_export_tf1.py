import os
import tempfile

import numpy as np
import tensorflow as tf
import tensorflow_hub as hub
from tensorflow.core.protobuf import meta_graph_pb2
from tensorflow.core.protobuf import saved_model_pb2

from hub_repro import errors, export_tf1
from hub_repro.weights import read_google_checkpoint
import testutil


def module_interface(path):
  """Tags, signatures (inputs/outputs with dtype and rank), assets and variables of a TF1 module."""
  saved_model = saved_model_pb2.SavedModel()
  with open(os.path.join(path, "saved_model.pb"), "rb") as f:
    saved_model.ParseFromString(f.read())
  graphs = {}
  for meta_graph in saved_model.meta_graphs:
    signatures = {}
    def describe(infos):
      return {k: (v.dtype, len(v.tensor_shape.dim)) for k, v in infos.items()}

    for name, sig in meta_graph.signature_def.items():
      signatures[name] = (describe(sig.inputs), describe(sig.outputs))
    assets = []
    if "saved_model_assets" in meta_graph.collection_def:
      for any_proto in meta_graph.collection_def["saved_model_assets"].any_list.value:
        asset = meta_graph_pb2.AssetFileDef()
        any_proto.Unpack(asset)
        assets.append((asset.tensor_info.name, asset.filename))
    graphs[frozenset(meta_graph.meta_info_def.tags)] = (signatures, sorted(assets))
  reader = tf.train.load_checkpoint(os.path.join(path, "variables", "variables"))
  variables = reader.get_variable_to_shape_map()
  with open(os.path.join(path, "tfhub_module.pb"), "rb") as f:
    module_def = f.read()
  return graphs, variables, module_def


class ExportTf1Test(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.google_weights = read_google_checkpoint(testutil.GOOGLE_CHECKPOINT)
    cls.ours = export_tf1.export_tf1_hub(
        cls.google_weights, os.path.join(tempfile.mkdtemp(prefix="export_tf1_test_"), "ours"))

  def test_same_interface_as_googles_module(self):
    ours = module_interface(self.ours)
    google = module_interface(testutil.GOOGLE_MODULE)
    self.assertEqual(ours[0], google[0])  # tags, signatures, assets
    self.assertEqual(ours[1], google[1])  # variable names and shapes
    self.assertEqual(ours[2], google[2])  # ModuleDef FORMAT_V3
    self.assertEqual(set(ours[0]), {frozenset(), frozenset({"train"})})

  def test_googles_weights_give_googles_outputs(self):
    golden = testutil.google_golden()
    inputs = {k: tf.constant(v, tf.int32) for k, v in golden["inputs"].items()}
    ours = hub.load(self.ours).signatures["tokens"](**inputs)
    google = hub.load(testutil.GOOGLE_MODULE).signatures["tokens"](**inputs)
    # Google's graph (bert-tensorflow 1.0.4) computes attention with einsum, ours with matmul as
    # in the 2018 modeling.py: float32 rounding through 2 layers, measured ~7e-7.
    self.assertAllClose(ours["sequence_output"], google["sequence_output"], atol=2e-6, rtol=0)
    self.assertAllClose(ours["pooled_output"], google["pooled_output"], atol=1e-6, rtol=0)
    self.assertAllClose(ours["pooled_output"], golden["pooled_output"], atol=1e-6, rtol=0)

  def test_tokenization_info_and_assets(self):
    info = hub.load(self.ours).signatures["tokenization_info"]()
    google = hub.load(testutil.GOOGLE_MODULE).signatures["tokenization_info"]()
    self.assertEqual(info["vocab_file"].numpy(), google["vocab_file"].numpy())
    self.assertTrue(bool(info["do_lower_case"].numpy()))
    with open(os.path.join(self.ours, "assets", "vocab.txt")) as f, open(testutil.VOCAB) as g:
      self.assertEqual(f.read(), g.read())

  def test_keras_layer_and_train_tag(self):
    golden = testutil.google_golden()
    inputs = {k: tf.constant(v, tf.int32) for k, v in golden["inputs"].items()}
    layer = hub.KerasLayer(self.ours, signature="tokens", signature_outputs_as_dict=True)
    outputs = layer(inputs)
    self.assertEqual({k: tuple(v.shape) for k, v in outputs.items()},
                     {"pooled_output": (2, 32), "sequence_output": (2, 7, 32)})
    train = hub.load(self.ours, tags={"train"}).signatures["tokens"]
    # Dropout 0.1 is active in the train graph: two calls differ.
    self.assertGreater(np.max(np.abs(train(**inputs)["pooled_output"]
                                     - train(**inputs)["pooled_output"])), 1e-4)

  def test_crash_leaves_no_half_module(self):
    out = os.path.join(self.get_temp_dir(), "crashed")

    def crash(path):
      raise KeyboardInterrupt("simulated kill before the rename")

    with self.assertRaises(KeyboardInterrupt):
      export_tf1.export_tf1_hub(self.google_weights, out, finalize=crash)
    self.assertFalse(os.path.exists(out))
    self.assertEqual([n for n in os.listdir(self.get_temp_dir()) if "crashed" in n], [])

  def test_refuses_to_overwrite(self):
    with self.assertRaisesRegex(errors.UsageError, "exists; choose another --out"):
      export_tf1.export_tf1_hub(self.google_weights, self.ours)


if __name__ == "__main__":
  tf.test.main()
