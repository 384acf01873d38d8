"""What the two TF-Hub formats share: loading a SavedModel through tensorflow_hub, finding its
vocab among its assets, and running a signature or `__call__` to numpy."""

from __future__ import annotations

import collections.abc
import os

import numpy as np

from hub_repro.errors import HandleError
from hub_repro.sources import graph_ops


def hub_load(handle: str, path: str, tags=None, *, trust_model_code: bool = False):
  """hub.load(path), with TensorFlow's many exceptions for a broken SavedModel as one line.

  A SavedModel is a program: unless `trust_model_code`, its graph is read first and a model whose
  load or run would touch files, the network or the process is refused (UnsafeModelError, from
  graph_ops.check_model_code) before anything of it runs."""
  import tensorflow_hub as hub
  import tensorflow_text  # noqa: F401 (registers the ops preprocessing models use)

  if not trust_model_code:
    graph_ops.check_model_code(path, handle, tags=tags)
  try:
    return hub.load(path, tags=tags)
  except Exception as e:  # noqa: BLE001
    first_line = str(e).splitlines()[0] if str(e) else ""
    raise HandleError(f"{handle}: tensorflow_hub could not load the module: "
                      f"{type(e).__name__}: {first_line}") from None


def declared_asset(path: str, signature: str, output: str) -> str | None:
  """The asset file a TF1 SavedModel's `signature` returns as `output` (a TF1 Hub module's
  tokenization_info/vocab_file), as its MetaGraph declares it: the output tensor, followed through
  Identity ops to the asset path constant, named in the `saved_model_assets` collection
  (AssetFileDef: tensor -> file name in assets/). None where the module declares none."""
  from tensorflow.core.protobuf import meta_graph_pb2

  saved_model = graph_ops.read_saved_model(path)
  for meta_graph in saved_model.meta_graphs if saved_model is not None else []:
    if signature not in meta_graph.signature_def:
      continue
    nodes = {node.name: node for node in meta_graph.graph_def.node}
    tensor = meta_graph.signature_def[signature].outputs[output].name
    while nodes.get(tensor.split(":")[0]) is not None and nodes[tensor.split(":")[0]].op in (
        "Identity", "IdentityN"):
      tensor = nodes[tensor.split(":")[0]].input[0]
    files = {}
    for value in meta_graph.collection_def["saved_model_assets"].any_list.value:
      asset = meta_graph_pb2.AssetFileDef()
      value.Unpack(asset)
      files[asset.tensor_info.name] = asset.filename
    name = files.get(tensor if ":" in tensor else f"{tensor}:0")
    if name and os.path.isfile(os.path.join(path, "assets", name)):
      return os.path.join(path, "assets", name)
  return None


def find_asset(path: str, reported: str, default: str = "vocab.txt") -> str | None:
  """The asset file in path/assets named like `reported` (TF1 modules loaded by TF2 report
  b'SAVEDMODEL-ASSET' or a stale build path for their vocab), else `default`."""
  assets = os.path.join(path, "assets")
  for name in (os.path.basename(reported), default):
    if name and os.path.isfile(os.path.join(assets, name)):
      return os.path.join(assets, name)
  return reported if os.path.isfile(reported) else None


def is_saved_model(path: str) -> bool:
  return any(os.path.exists(os.path.join(path, f)) for f in ("saved_model.pb", "saved_model.pbtxt"))


def to_numpy(outputs: dict, layers: bool) -> dict:
  """A SavedModel's output dict as float32 numpy arrays: pooled_output (if any), sequence_output
  and, if `layers`, encoder_outputs (when the module returns them)."""
  result = {key: np.asarray(outputs[key]) for key in ("pooled_output", "sequence_output")
            if key in outputs}  # an encoder without a pooler returns no pooled_output
  if layers and "encoder_outputs" in outputs:
    result["encoder_outputs"] = [np.asarray(t) for t in outputs["encoder_outputs"]]
  return result


def numpy_view(value) -> np.ndarray:
  """A tf.Variable's (or tf.Tensor's) value as a read-only numpy view of its buffer, no copy:
  `variable.numpy()` copies (BERT-base's 199 variables, 440 MB: 0.8 s against 6 ms). The view
  keeps what it saw: an assign to the variable while a read of it is alive writes a new buffer
  (TensorFlow copies on write)."""
  if isinstance(value, np.ndarray):
    return value
  import tensorflow as tf

  return np.asarray(tf.convert_to_tensor(value))


class VariableValues(collections.abc.Mapping):
  """tf.Variables by name without the ':0' suffix, each read when first looked up, as a read-only
  numpy view (numpy_view): finding the pooler by name reads 2 of BERT-base's 199 variables."""

  def __init__(self, variables):
    self.variables = {v.name.split(":")[0]: v for v in variables}
    self._read: dict[str, np.ndarray] = {}

  def __getitem__(self, name: str) -> np.ndarray:
    if name not in self._read:
      self._read[name] = numpy_view(self.variables[name])
    return self._read[name]

  def __iter__(self):
    return iter(self.variables)

  def __len__(self) -> int:
    return len(self.variables)


def modeling_variables(variables: dict) -> dict | None:
  """A module's own float32 tf.Variables under its family's checkpoint names ('bert/...',
  'electra/...'; heads such as ALBERT's cls/predictions left out), for the rebuild to compute with
  as they are (no copy); None if it names them otherwise (Model Garden keeps attention kernels as
  [H, N, H/N]: those go through params())."""
  import tensorflow as tf

  from hub_repro import naming

  if naming.is_model_garden(variables):
    return None
  params = naming.checkpoint_names_only(variables)
  if not params or any(v.dtype != tf.float32 for v in params.values()):
    return None
  return params
