"""A SavedModel's code, read before it runs: the ops of every function that loading and running it
would execute, and a refusal of those that reach outside the model (files, network, process).

A SavedModel or TF1 Hub module is a program, and TensorFlow's security guidance is to treat an
untrusted model as untrusted code. This module reads `saved_model.pb` as a protobuf (it loads and
runs nothing) and walks what hub.load and hub_repro would execute, in one of three contexts:

  run         what a caller runs: a TF2 model's `__call__` (and a preprocessor's `tokenize` and
              `bert_pack_inputs`), every signature (a TF1 Hub module's `tokens`,
              `tokenization_info`, ...): each signature's outputs walked back through node inputs
              and control inputs, stopping at the tensors the signature feeds.
  initialize  what the loader runs to set the model up: the init op (`__saved_model_init_op`,
              `saved_model_main_op`, `legacy_init_op`), table initializers and local variables'
              initializers, and every resource's `_create_resource` / `_initialize` /
              `_destroy_resource` functions. These may read the model's own assets (a vocab file).
  restore     what the loader runs to read the variables: the saver's restore op and the restore
              functions of saveable objects. These may read a checkpoint.

In each, every function a node calls is followed, transitively: a node whose op names a library
function, and every attr of type func or list(func) (PartitionedCall's `f`, If's branches, While's
cond and body, Case's branches, a dataset's map function, ...). A TF2 SavedModel's save function
(`_traced_save`, SaveV2) is reached from none of them: loading never saves.
"""

from __future__ import annotations

import dataclasses
import os

from hub_repro.errors import HandleError, UnsafeModelError

RUN, INITIALIZE, RESTORE = "run", "initialize", "restore"

# Ops that reach outside the model, by group: (what the op does, its names). Drawn from TensorFlow's
# op registry (every op whose inputs or attrs name a file, path, URL, address or stream, every
# reader, writer, saver and Python op): a name here must stay a registered op (a test checks).
OUTSIDE_OPS = (
    ("writes a file", (
        "WriteFile", "DumpTensor", "CalibrationStatisticsSaver")),
    ("reads a file the graph names (allowed only while the model initializes its tables and "
     "assets)", (
        "ReadFile", "InitializeTableFromTextFile", "InitializeTableFromTextFileV2")),
    ("reads files or lists the file system", (
        "MatchingFiles", "FileSystemSetConfiguration", "GenerateVocabRemapping",
        "LoadAndRemapMatrix", "Skipgram", "RecordInput")),
    ("writes a checkpoint (only a saver uses it; loading never saves)", (
        "Save", "SaveV2", "SaveSlices", "MergeV2Checkpoints", "ShardedFilename",
        "ShardedFilespec")),
    ("reads a checkpoint (allowed only in the loader's restore of the model's variables)", (
        "Restore", "RestoreV2", "RestoreSlice", "DTensorRestoreV2")),
    ("writes summaries or events to a log folder or database", (
        "SummaryWriter", "CreateSummaryFileWriter", "CreateSummaryDbWriter", "FlushSummaryWriter",
        "CloseSummaryWriter", "WriteSummary", "WriteScalarSummary", "WriteHistogramSummary",
        "WriteImageSummary", "WriteAudioSummary", "WriteGraphSummary", "WriteRawProtoSummary",
        "ImportEvent", "StatsAggregatorSetSummaryWriter")),
    ("is a dataset that reads, writes or caches files", (
        "TFRecordDataset", "TFRecordDatasetV2", "TextLineDataset", "FixedLengthRecordDataset",
        "FixedLengthRecordDatasetV2", "CSVDataset", "CSVDatasetV2", "ExperimentalCSVDataset",
        "LMDBDataset", "ExperimentalLMDBDataset", "SqlDataset", "ExperimentalSqlDataset",
        "MatchingFilesDataset", "ExperimentalMatchingFilesDataset", "DatasetToTFRecord",
        "ExperimentalDatasetToTFRecord", "SaveDataset", "SaveDatasetV2", "LoadDataset",
        "SnapshotDataset", "SnapshotDatasetV2", "SnapshotDatasetReader",
        "SnapshotNestedDatasetReader", "SnapshotChunkDataset", "ListSnapshotChunksDataset",
        "DistributedSave", "CacheDataset", "CacheDatasetV2")),
    ("is a TF1 reader of files", (
        "WholeFileReader", "WholeFileReaderV2", "TFRecordReader", "TFRecordReaderV2",
        "TextLineReader", "TextLineReaderV2", "FixedLengthRecordReader",
        "FixedLengthRecordReaderV2", "LMDBReader")),
    ("dumps tensors to files or gRPC URLs (tfdbg)", (
        "DebugIdentity", "DebugIdentityV2", "DebugIdentityV3", "DebugNanCount",
        "DebugNumericSummary")),
    ("talks to other hosts over the network", (
        "DataServiceDataset", "DataServiceDatasetV2", "DataServiceDatasetV3",
        "DataServiceDatasetV4", "RegisterDataset", "RegisterDatasetV2", "RpcServer",
        "RpcServerRegister", "RpcServerStart", "RpcClient", "RpcCall", "RpcCheckStatus",
        "RpcGetValue", "RemoteCall")),
    ("runs code this check cannot read (Python, or a graph given as data)", (
        "PyFunc", "PyFuncStateless", "EagerPyFunc", "DatasetFromGraph")),
    ("can end or shut down the process", (
        "Abort", "WorkerHeartbeat")),
)
OUTSIDE_REASONS = {op: reason for reason, ops in OUTSIDE_OPS for op in ops}

# What each context may do besides computing: the model's own assets and its own checkpoint.
ALLOWED = {
    RUN: frozenset(),
    INITIALIZE: frozenset({"ReadFile", "InitializeTableFromTextFile",
                           "InitializeTableFromTextFileV2"}),
    RESTORE: frozenset({"Restore", "RestoreV2", "RestoreSlice", "DTensorRestoreV2"}),
}


def _print_to_file(attrs) -> str | None:
  stream = attrs["output_stream"].s.decode() if "output_stream" in attrs else ""
  return f"prints to a file ({stream})" if stream.startswith("file://") else None


def _vocab_file(attrs) -> str | None:
  vocab = attrs["vocab_file"].s.decode() if "vocab_file" in attrs else ""
  return f"reads a vocab file ({vocab})" if vocab else None


def _descriptor_file(attrs) -> str | None:
  source = attrs["descriptor_source"].s.decode() if "descriptor_source" in attrs else ""
  if source in ("", "local://") or source.startswith("bytes://"):
    return None
  return f"reads a proto descriptor file ({source})"


# Ops that reach outside only with some attrs: (op, attrs) -> what it does, or None.
OUTSIDE_WITH_ATTRS = {
    "PrintV2": _print_to_file,  # stderr, stdout and the log are fine; "file://..." is not
    "FixedUnigramCandidateSampler": _vocab_file,  # its unigrams can come from a file instead
    "DecodeProtoV2": _descriptor_file,  # "local://" and "bytes://" read no file
    "EncodeProto": _descriptor_file,
}

TRUST_FIX = "pass --trust-model-code if you trust this model's code"
KINDS = ("tf1-hub", "tf2-savedmodel")
# The callables of a TF2 model that hub_repro calls: an encoder's __call__, a preprocessor's two.
CALLED_ATTRIBUTES = ("__call__", "tokenize", "bert_pack_inputs")
RESOURCE_FUNCTIONS = ("_create_resource", "_initialize", "_destroy_resource")
# Walked first, so that a node they share with another signature is named as reached from them.
PRIMARY_SIGNATURES = ("tokens", "serving_default")
INIT_OP_SIGNATURE = "__saved_model_init_op"
INIT_COLLECTIONS = ("saved_model_main_op", "legacy_init_op", "table_initializer")


@dataclasses.dataclass(frozen=True)
class OpUse:
  """One node that a load or a run of the model executes."""
  op: str  # the op type: "MatMul", "WriteFile", ...
  node: str  # the node's name
  function: str | None  # the library function holding the node; None: the MetaGraph's graph
  entry: str  # where the walk started: "__call__", "signature 'tokens'", "restore", ...
  context: str  # RUN, INITIALIZE or RESTORE

  @property
  def where(self) -> str:
    inside = f"function '{self.function}'" if self.function else "the MetaGraph's graph"
    return f"node '{self.node}' in {inside}, reached from {self.entry}"


def outside_reason(use: OpUse, attrs) -> str | None:
  """What `use` does outside the model, or None if it computes only (or its context allows it)."""
  if use.op in ALLOWED[use.context]:
    return None
  if use.op in OUTSIDE_REASONS:
    return OUTSIDE_REASONS[use.op]
  check = OUTSIDE_WITH_ATTRS.get(use.op)
  return check(attrs) if check else None


def detect_kind(path: str) -> str:
  """"tf1-hub" if `path` holds tfhub_module.pb beside its SavedModel, else "tf2-savedmodel"."""
  return "tf1-hub" if os.path.exists(os.path.join(path, "tfhub_module.pb")) else "tf2-savedmodel"


def read_saved_model(path: str, handle: str | None = None):
  """path/saved_model.pb (or .pbtxt) as a SavedModel proto; None if neither file exists."""
  from google.protobuf import message, text_format
  from tensorflow.core.protobuf import saved_model_pb2

  saved_model = saved_model_pb2.SavedModel()
  for name, parse in (("saved_model.pb", saved_model.ParseFromString),
                      ("saved_model.pbtxt", lambda data: text_format.Parse(data, saved_model))):
    file = os.path.join(path, name)
    if os.path.isfile(file):
      try:
        with open(file, "rb") as f:
          parse(f.read())
      except (message.DecodeError, text_format.ParseError, UnicodeDecodeError) as e:
        raise HandleError(f"{handle or path}: {file} is not a SavedModel proto ({e}); expected "
                          "the saved_model.pb of a TF-Hub module or TF2 SavedModel") from None
      return saved_model
  return None


def model_ops(path: str, kind: str | None = None, tags=None) -> list[OpUse]:
  """Every node that hub.load(path, tags=tags) and a run of the loaded model would execute, read
  from the SavedModel's proto (nothing is loaded or run).

  Args:
    path: the folder of saved_model.pb (or saved_model.pbtxt).
    kind: "tf1-hub" or "tf2-savedmodel"; None: detect_kind(path). A TF1 Hub module without tags
      is loaded with tags [] (as hub.load does), so only that MetaGraph is read.
    tags: the MetaGraph's tags, as given to hub.load; None: the one hub.load would pick.

  Returns:
    One OpUse per (node, context), in walk order; empty if `path` holds no SavedModel.
  """
  return [use for use, _ in _walk(path, kind, tags)]


def unsafe_ops(path: str, kind: str | None = None, tags=None,
               handle: str | None = None) -> list[tuple[OpUse, str]]:
  """The nodes of model_ops(...) that reach outside the model, each with what it does."""
  return [(use, reason) for use, attrs in _walk(path, kind, tags, handle)
          if (reason := outside_reason(use, attrs))]


def check_model_code(path: str, handle: str, kind: str | None = None, tags=None) -> None:
  """Raises UnsafeModelError if loading or running the SavedModel at `path` would execute an op
  that reaches outside the model (OUTSIDE_OPS, OUTSIDE_WITH_ATTRS); returns None otherwise.
  Arguments as for model_ops; `handle` is what the user named the model by, for the message."""
  found = unsafe_ops(path, kind, tags, handle)
  if not found:
    return
  described = [f"op {use.op} ({use.where}) {reason}" for use, reason in found[:4]]
  more = f" and {len(found) - 4} more" if len(found) > 4 else ""
  raise UnsafeModelError(f"{handle}: the model's code reaches outside the model: "
                         f"{'; '.join(described)}{more}. Not run; {TRUST_FIX}")


def _walk(path: str, kind: str | None, tags, handle: str | None = None):
  """(OpUse, the node's attrs) for every node a load and a run execute."""
  kind = kind or detect_kind(path)
  if kind not in KINDS:
    raise ValueError(f"kind {kind!r} is not one of {KINDS}")
  saved_model = read_saved_model(path, handle)
  if saved_model is None:
    return
  for meta_graph in _loaded_meta_graphs(saved_model, kind, tags):
    yield from _MetaGraphWalk(meta_graph).uses()


def _loaded_meta_graphs(saved_model, kind: str, tags) -> list:
  """The MetaGraphs hub.load(path, tags) reads: the one with the given tags (hub.load gives a TF1
  Hub module tags [] when none are given); all of them if none matches, or if tags is None (the
  loader then takes the only one, and refuses several)."""
  graphs = list(saved_model.meta_graphs)
  if tags is None and kind == "tf1-hub":
    tags = ()
  if tags is None:
    return graphs
  chosen = [graph for graph in graphs if set(graph.meta_info_def.tags) == set(tags)]
  return chosen or graphs


def _node_name(tensor: str) -> str:
  """'^name', 'name' or 'name:1' -> 'name'."""
  return tensor.lstrip("^").split(":")[0]


def _tensor_key(tensor: str) -> str:
  """'name' or 'name:1' -> 'name:0' or 'name:1' (how a feed is matched)."""
  return tensor if ":" in tensor else f"{tensor}:0"


def _tensor_names(info) -> list[str]:
  """The graph tensors of a signature's TensorInfo (dense, COO sparse or composite)."""
  encoding = info.WhichOneof("encoding")
  if encoding == "name":
    return [info.name]
  if encoding == "coo_sparse":
    sparse = info.coo_sparse
    return [sparse.values_tensor_name, sparse.indices_tensor_name,
            sparse.dense_shape_tensor_name]
  if encoding == "composite_tensor":
    return [name for component in info.composite_tensor.components
            for name in _tensor_names(component)]
  return []


def _object_paths(children: list[dict]) -> list[str]:
  """Each object-graph node's first path from the root ("tokenize.layer-0."; "" for the root)."""
  paths = {0: ""}
  queue = [0]
  for node_id in queue:
    for local_name, child in children[node_id].items():
      if child not in paths:
        paths[child] = f"{paths[node_id]}{local_name}."
        queue.append(child)
  return [paths.get(node_id, f"object {node_id}.") for node_id in range(len(children))]


class _MetaGraphWalk:
  """The walk over one MetaGraph: its graph, its function library and (TF2) its object graph."""

  def __init__(self, meta_graph):
    self.meta_graph = meta_graph
    self.library = {f.signature.name: f for f in meta_graph.graph_def.library.function}
    self.nodes = {node.name: node for node in meta_graph.graph_def.node}
    self._seen = set()  # (function or None, node name, context)

  def uses(self):
    if self.meta_graph.object_graph_def.nodes:  # first: a node is named by its first entry
      yield from self._object_graph()
    yield from self._signatures()
    yield from self._init_ops()
    yield from self._restore()

  # -- the entry points ----------------------------------------------------------------------

  def _signatures(self):
    ordered = sorted(self.meta_graph.signature_def.items(),
                     key=lambda item: (item[0] not in PRIMARY_SIGNATURES, item[0]))
    for name, signature in ordered:
      context = INITIALIZE if name == INIT_OP_SIGNATURE else RUN
      fetches = [t for info in signature.outputs.values() for t in _tensor_names(info)]
      feeds = [t for info in signature.inputs.values() for t in _tensor_names(info)]
      yield from self._graph(fetches, feeds, f"signature '{name}'", context)

  def _init_ops(self):
    """Every init op a loader may run: the collections', and local variables' initializers."""
    from tensorflow.core.framework import variable_pb2

    collections_ = self.meta_graph.collection_def
    for key in INIT_COLLECTIONS:
      if key in collections_:
        yield from self._graph(list(collections_[key].node_list.value), [],
                               f"the init op collection '{key}'", INITIALIZE)
    if "local_variables" in collections_:
      for data in collections_["local_variables"].bytes_list.value:
        variable = variable_pb2.VariableDef.FromString(data)
        yield from self._graph([variable.initializer_name], [],
                               f"the initializer of local variable '{variable.variable_name}'",
                               INITIALIZE)

  def _restore(self):
    saver = self.meta_graph.saver_def
    if saver.restore_op_name:
      feeds = [saver.filename_tensor_name] if saver.filename_tensor_name else []
      yield from self._graph([saver.restore_op_name], feeds, "the saver's restore op", RESTORE)

  def _object_graph(self):
    """A TF2 SavedModel's callables (CALLED_ATTRIBUTES, the signatures), its resources' functions
    and its saveable objects' restore functions."""
    objects = self.meta_graph.object_graph_def.nodes
    children = [{child.local_name: child.node_id for child in node.children} for node in objects]
    for attribute in CALLED_ATTRIBUTES:
      if attribute in children[0]:
        for name in self._callable(children[0][attribute], children):
          yield from self._function(name, attribute, RUN)
    signatures = children[0].get("signatures")
    if signatures is not None:
      for key, node_id in sorted(children[signatures].items()):
        for name in self._callable(node_id, children):
          yield from self._function(name, f"signature '{key}'", RUN)
    paths = _object_paths(children)
    for node_id, node in enumerate(objects):
      for local_name in RESOURCE_FUNCTIONS:
        if local_name in children[node_id]:
          for name in self._functions_of(children[node_id][local_name]):
            yield from self._function(name, f"{paths[node_id]}{local_name}", INITIALIZE)
      for key, saveable in sorted(node.saveable_objects.items()):
        for name in self._functions_of(saveable.restore_function):
          yield from self._function(name, f"the restore of {paths[node_id]}{key}", RESTORE)

  def _functions_of(self, node_id: int) -> list[str]:
    """The concrete functions an object-graph node of kind function or bare_concrete_function
    stands for; [] for any other kind."""
    node = self.meta_graph.object_graph_def.nodes[node_id]
    kind = node.WhichOneof("kind")
    if kind == "function":
      return list(node.function.concrete_functions)
    if kind == "bare_concrete_function":
      return [node.bare_concrete_function.concrete_function_name]
    return []

  def _callable(self, node_id: int, children: list, depth: int = 0) -> list[str]:
    """The concrete functions that calling an object runs: a function's own, or a user object's
    (a Keras layer) `__call__`."""
    functions = self._functions_of(node_id)
    if not functions and "__call__" in children[node_id] and depth < len(children):
      return self._callable(children[node_id]["__call__"], children, depth + 1)
    return functions

  # -- the walks -----------------------------------------------------------------------------

  def _graph(self, fetches: list[str], feeds: list[str], entry: str, context: str):
    """The nodes of the MetaGraph's graph that `fetches` depend on (inputs and control inputs),
    the tensors in `feeds` cut off, and the functions they call."""
    fed = {_tensor_key(t) for t in feeds}
    stack = [_node_name(t) for t in fetches]
    called = []
    while stack:
      name = stack.pop()
      key = (None, name, context)
      if key in self._seen or name not in self.nodes:
        continue
      self._seen.add(key)
      node = self.nodes[name]
      yield OpUse(node.op, name, None, entry, context), node.attr
      called.extend(self._called(node))
      for tensor in node.input:
        if tensor.startswith("^") or _tensor_key(tensor) not in fed:
          stack.append(_node_name(tensor))
    for function in called:
      yield from self._function(function, entry, context)

  def _function(self, name: str, entry: str, context: str):
    """Every node of library function `name` and of the functions it calls, transitively. All
    nodes count, not only those the outputs need: a function runs its stateful ops regardless."""
    stack = [name]
    while stack:
      function_name = stack.pop()
      key = (function_name, None, context)
      if key in self._seen or function_name not in self.library:
        continue
      self._seen.add(key)
      for node in self.library[function_name].node_def:
        yield OpUse(node.op, node.name, function_name, entry, context), node.attr
        stack.extend(self._called(node))

  def _called(self, node) -> list[str]:
    """The library functions a node calls: its op, if the op is one, and its func attrs."""
    called = [node.op] if node.op in self.library else []
    for value in node.attr.values():
      field = value.WhichOneof("value")
      if field == "func":
        called.append(value.func.name)
      elif field == "list":
        called.extend(f.name for f in value.list.func)
    return called

