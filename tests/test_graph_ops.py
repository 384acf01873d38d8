"""A model's graph is read before it runs: a SavedModel or TF1 Hub module whose load or run would
touch files, the network or the process is refused, naming the op, the node and the function, and
nothing of it runs; every real model passes."""

import os
import time

import numpy as np
import tensorflow as tf
from absl.testing import parameterized
from google.protobuf import text_format
from tensorflow.python.framework import op_def_registry

import hub_repro
from hub_repro import errors, export_tf1, export_tf2
from hub_repro.sources import graph_ops, saved_model
import testutil
import variant_modules

VOCAB_SIZE, HIDDEN = 11, 8
TF2_SPEC = {name: tf.TensorSpec([None, None], tf.int32, name=name)
            for name in ("input_word_ids", "input_mask", "input_type_ids")}
TF1_INPUTS = ("input_ids", "input_mask", "segment_ids")

# Every SavedModel among the fixtures: what hub_repro loads in its own tests.
FIXTURE_MODELS = [
    (name.replace("/", "_"), os.path.join(testutil.FIXTURES, name))
    for name in ("google_tf1/module", "albert_tf1/module", "electra_tf1/module",
                 "model_garden_tf2/encoder", "model_garden_tf2/preprocess",
                 "model_garden_albert/encoder", "model_garden_albert/preprocess",
                 "model_garden_electra/encoder", "model_garden_electra/preprocess")
]
# An op of each fixture's own computation: the walk reached the model, not only its edges.
COMPUTE_OPS = {"MatMul", "BatchMatMulV2", "Einsum", "WordpieceTokenizeWithOffsets",
               "SentencepieceTokenizeOp"}


class TinyEncoder(tf.Module):
  """sequence_output = embeddings[ids], pooled_output = tanh(sequence_output[:, 0] @ K + b), and
  `side_effect(ids)`, if given, traced into `__call__`."""

  def __init__(self, side_effect=None):
    super().__init__()
    rng = np.random.default_rng(0)
    self.embeddings = tf.Variable(rng.normal(size=[VOCAB_SIZE, HIDDEN]).astype(np.float32))
    self.kernel = tf.Variable(rng.normal(size=[HIDDEN, HIDDEN]).astype(np.float32))
    self.bias = tf.Variable(np.zeros([HIDDEN], np.float32))
    self.side_effect = side_effect

  @tf.function(input_signature=[TF2_SPEC])
  def __call__(self, inputs):
    ids = inputs["input_word_ids"]
    if self.side_effect is not None:
      self.side_effect(ids)
    sequence_output = tf.gather(self.embeddings, ids)
    pooled_output = tf.tanh(tf.matmul(sequence_output[:, 0], self.kernel) + self.bias)
    return {"sequence_output": sequence_output, "pooled_output": pooled_output}


def save_tf2(out_dir: str, side_effect=None) -> str:
  tf.saved_model.save(TinyEncoder(side_effect), out_dir)
  return out_dir


def write_file(target: str):
  return lambda ids: tf.io.write_file(target, "written by the model")


def write_file_in_nested_function(target: str):
  @tf.function
  def nested():
    tf.io.write_file(target, "written by the model")
  return lambda ids: nested()


def write_file_in_cond_branch(target: str):
  def write():
    tf.io.write_file(target, "written by the model")
    return tf.constant(0)
  return lambda ids: tf.cond(tf.size(ids) > 0, write, lambda: tf.constant(0))


def print_to_file(target: str):
  return lambda ids: tf.print(ids, output_stream=f"file://{target}")


def restore_a_checkpoint(target: str):
  return lambda ids: tf.raw_ops.RestoreV2(prefix=target, tensor_names=["x"],
                                          shape_and_slices=[""], dtypes=[tf.float32])


def python_function(target: str):
  return lambda ids: tf.py_function(lambda: open(target, "w").close(), [], [])


def save_tf1(out_dir: str, side_effect=None) -> str:
  """A TF1 Hub module (tfhub_module.pb; MetaGraph tags []) with signatures tokens and
  tokenization_info, its vocab an asset that a table reads when the module initializes (the
  tables initializer as main op), written with the tf.compat.v1 SavedModel builder.
  `side_effect(vocab_file)` becomes a control input of pooled_output."""
  graph = tf.Graph()
  with graph.as_default():
    placeholders = {name: tf.compat.v1.placeholder(tf.int32, [None, None], name=name)
                    for name in TF1_INPUTS}
    embeddings = tf.compat.v1.get_variable(
        "bert/embeddings/word_embeddings", [VOCAB_SIZE, HIDDEN],
        initializer=tf.compat.v1.random_normal_initializer(seed=0))
    sequence_output = tf.gather(embeddings, placeholders["input_ids"], name="sequence_output")
    vocab_file = tf.constant(testutil.VOCAB, name="vocab_file")
    tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.ASSET_FILEPATHS, vocab_file)
    table = tf.lookup.StaticHashTable(tf.lookup.TextFileInitializer(
        vocab_file, tf.string, tf.lookup.TextFileIndex.WHOLE_LINE,
        tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER), -1)
    effects = [side_effect(vocab_file)] if side_effect is not None else []
    with tf.control_dependencies(effects):
      pooled_output = tf.tanh(sequence_output[:, 0], name="pooled_output")
    info = tf.compat.v1.saved_model.utils.build_tensor_info
    build = tf.compat.v1.saved_model.signature_def_utils.build_signature_def
    signatures = {
        "tokens": build(inputs={name: info(t) for name, t in placeholders.items()},
                        outputs={"pooled_output": info(pooled_output),
                                 "sequence_output": info(sequence_output)}),
        "tokenization_info": build(inputs={}, outputs={
            "vocab_file": info(vocab_file), "do_lower_case": info(tf.constant(True)),
            "cls_id": info(table.lookup(tf.constant("[CLS]")))}),
    }
    with tf.compat.v1.Session(graph=graph) as sess:
      sess.run(tf.compat.v1.global_variables_initializer())
      builder = tf.compat.v1.saved_model.Builder(out_dir)
      builder.add_meta_graph_and_variables(
          sess, [], signature_def_map=signatures,
          assets_collection=tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.ASSET_FILEPATHS),
          main_op=tf.compat.v1.tables_initializer())
      builder.save()
  with open(os.path.join(out_dir, "tfhub_module.pb"), "wb") as f:
    f.write(export_tf1.MODULE_DEF_V3)
  return out_dir


def vocab_index(token: str) -> int:
  with open(testutil.VOCAB, encoding="utf-8") as f:
    return [line.rstrip("\n") for line in f].index(token)


class GraphOpsTest(tf.test.TestCase, parameterized.TestCase):

  def setUp(self):
    super().setUp()
    # The folder a model must not write into: not the model's own.
    self.outside = os.path.join(self.get_temp_dir(), f"outside_{self._testMethodName}")
    os.makedirs(self.outside, exist_ok=True)
    self.target = os.path.join(self.outside, "written.txt")

  def model_dir(self, name: str) -> str:
    return os.path.join(self.get_temp_dir(), f"{self._testMethodName}_{name}")

  # -- refused ----------------------------------------------------------------------------------

  @parameterized.named_parameters(
      ("write_file", write_file, "WriteFile", "writes a file"),
      ("write_file_in_nested_function", write_file_in_nested_function, "WriteFile",
       "writes a file"),
      ("write_file_in_cond_branch", write_file_in_cond_branch, "WriteFile", "writes a file"),
      ("print_to_file", print_to_file, "PrintV2", "prints to a file"),
      ("restore_a_checkpoint", restore_a_checkpoint, "RestoreV2", "reads a checkpoint"),
      ("python_function", python_function, "EagerPyFunc", "runs code this check cannot read"),
  )
  def test_tf2_model_reaching_outside_is_refused_before_it_runs(self, effect, op, reason):
    path = save_tf2(self.model_dir("model"), effect(self.target))
    with self.assertRaisesRegex(errors.UnsafeModelError,
                                rf"^my-model: .*op {op} \(node '[^']+' in function '[^']+', "
                                rf"reached from __call__\) {reason}.*"
                                r"pass --trust-model-code if you trust this model's code$"):
      graph_ops.check_model_code(path, "my-model", "tf2-savedmodel")
    with self.assertRaises(errors.UnsafeModelError):
      saved_model.hub_load("my-model", path)
    self.assertEqual(os.listdir(self.outside), [])

  def test_the_nested_function_is_named(self):
    path = save_tf2(self.model_dir("model"), write_file_in_nested_function(self.target))
    (use, _), = graph_ops.unsafe_ops(path)
    callers = {u.function for u in graph_ops.model_ops(path)
               if u.op == "StatefulPartitionedCall" and u.function}
    self.assertIn("nested", use.function)  # the nested tf.function, not __call__'s own
    self.assertEqual((use.op, use.entry, use.context), ("WriteFile", "__call__", graph_ops.RUN))
    self.assertTrue(any("__call__" in name for name in callers), callers)

  def test_the_refusal_is_what_keeps_the_file_unwritten(self):
    path = save_tf2(self.model_dir("model"), write_file(self.target))
    encoder = saved_model.hub_load("my-model", path, trust_model_code=True)
    encoder({name: tf.ones([1, 3], tf.int32) for name in TF2_SPEC})
    self.assertEqual(os.listdir(self.outside), ["written.txt"])

  def test_the_command_line_refuses_it_with_exit_2_and_runs_it_when_trusted(self):
    path = save_tf2(self.model_dir("model"), write_file(self.target))
    code, _, err = testutil.run_cli("--handle", path, "hello world", "--max-seq-length", "8")
    self.assertEqual(code, errors.EXIT_BAD_INPUT, err)
    self.assertRegex(err.strip().splitlines()[-1],
                     r"^hub_repro: error: .*op WriteFile .*--trust-model-code")
    self.assertEqual(os.listdir(self.outside), [])
    code, _, err = testutil.run_cli("--handle", path, "hello world", "--max-seq-length", "8",
                                    "--trust-model-code")
    self.assertNotIn("--trust-model-code", err)  # past the refusal (this toy has no vocab file)
    source = hub_repro.load(path, trust_model_code=True)  # and the API runs it, as asked
    ids = np.ones([1, 3], np.int32)
    source.run(ids, ids, np.zeros_like(ids))
    self.assertEqual(os.listdir(self.outside), ["written.txt"])

  def test_tf1_hub_module_writing_in_tokens_is_refused(self):
    path = save_tf1(self.model_dir("module"), lambda vocab: tf.io.write_file(self.target, "x"))
    with self.assertRaisesRegex(errors.UnsafeModelError,
                                r"op WriteFile \(node '[^']+' in the MetaGraph's graph, reached "
                                r"from signature 'tokens'\) writes a file.*--trust-model-code"):
      saved_model.hub_load("my-module", path)
    self.assertEqual(os.listdir(self.outside), [])

  def test_tf1_hub_module_reading_a_file_in_tokens_is_refused(self):
    path = save_tf1(self.model_dir("module"), tf.io.read_file)
    with self.assertRaisesRegex(errors.UnsafeModelError,
                                r"op ReadFile .* signature 'tokens'\) reads a file the graph "
                                r"names \(allowed only while the model initializes"):
      graph_ops.check_model_code(path, "my-module", "tf1-hub")

  # -- let through --------------------------------------------------------------------------------

  def test_clean_tf2_model_passes_and_loads(self):
    path = save_tf2(self.model_dir("model"))
    graph_ops.check_model_code(path, "my-model")
    ops = {use.op for use in graph_ops.model_ops(path) if use.context == graph_ops.RUN}
    self.assertContainsSubset({"ResourceGather", "MatMul", "Tanh"}, ops)
    encoder = saved_model.hub_load("my-model", path)
    outputs = encoder({name: tf.ones([2, 7], tf.int32) for name in TF2_SPEC})
    self.assertEqual({k: tuple(v.shape) for k, v in outputs.items()},
                     {"sequence_output": (2, 7, HIDDEN), "pooled_output": (2, HIDDEN)})

  def test_tf1_hub_module_reads_its_vocab_only_while_it_initializes(self):
    path = save_tf1(self.model_dir("module"))
    uses = graph_ops.model_ops(path)
    contexts = {use.op: use.context for use in uses
                if use.op in ("InitializeTableFromTextFileV2", "RestoreV2")}
    self.assertEqual(contexts, {"InitializeTableFromTextFileV2": graph_ops.INITIALIZE,
                                "RestoreV2": graph_ops.RESTORE})
    module = saved_model.hub_load("my-module", path)
    self.assertEqual(int(module.signatures["tokenization_info"]()["cls_id"]),
                     vocab_index("[CLS]"))
    outputs = module.signatures["tokens"](**{name: tf.ones([2, 7], tf.int32)
                                             for name in TF1_INPUTS})
    self.assertEqual(tuple(outputs["pooled_output"].shape), (2, HIDDEN))

  @parameterized.named_parameters(*FIXTURE_MODELS)
  def test_every_fixture_passes(self, path):
    start = time.perf_counter()
    uses = graph_ops.model_ops(path)
    seconds = time.perf_counter() - start
    self.assertEqual(graph_ops.unsafe_ops(path), [])
    graph_ops.check_model_code(path, path)
    self.assertNotEmpty({use.op for use in uses if use.context == graph_ops.RUN} & COMPUTE_OPS)
    # Reading a graph is parsing a proto and a walk: far below one forward pass (not a benchmark).
    self.assertLess(seconds, 10.0)

  def test_model_garden_restore_and_table_are_allowed_where_the_loader_runs_them(self):
    uses = graph_ops.model_ops(os.path.join(testutil.MODEL_GARDEN, "preprocess"))
    io = {(use.op, use.context) for use in uses if use.op in graph_ops.OUTSIDE_REASONS}
    self.assertEqual(io, {("InitializeTableFromTextFileV2", graph_ops.INITIALIZE),
                          ("RestoreV2", graph_ops.RESTORE)})
    # The save function is in the library but nothing a load runs reaches it.
    self.assertNotIn("SaveV2", {use.op for use in uses})

  def test_hub_repros_own_exports_and_other_tools_models_pass(self):
    weights = testutil.random_weights()
    folders = [
        export_tf1.export_tf1_hub(weights, self.model_dir("tf1")),
        export_tf2.export_tf2(weights, self.model_dir("tf2")),
        export_tf2.export_preprocessing(testutil.VOCAB, True, self.model_dir("preprocess")),
        variant_modules.keras_export(weights, self.model_dir("keras"), testutil.VOCAB),
        variant_modules.tf1_with_mlm_signature(weights, self.model_dir("mlm"), testutil.VOCAB),
    ]
    for folder in folders:
      self.assertEqual(graph_ops.unsafe_ops(folder), [], folder)

  # -- the list ---------------------------------------------------------------------------------

  def test_every_listed_op_is_a_registered_op(self):
    import tensorflow_text  # noqa: F401 (registers its ops, as hub_load does)

    listed = set(graph_ops.OUTSIDE_REASONS) | set(graph_ops.OUTSIDE_WITH_ATTRS)
    self.assertEqual({op for op in listed if op_def_registry.get(op) is None}, set())

  def test_print_to_stderr_is_fine(self):
    path = save_tf2(self.model_dir("model"), lambda ids: tf.print(ids))
    graph_ops.check_model_code(path, "my-model")
    self.assertIn("PrintV2", {use.op for use in graph_ops.model_ops(path)})

  def test_a_text_saved_model_is_read_too(self):
    path = save_tf2(self.model_dir("model"), write_file(self.target))
    proto = graph_ops.read_saved_model(path)
    os.remove(os.path.join(path, "saved_model.pb"))
    with open(os.path.join(path, "saved_model.pbtxt"), "w", encoding="utf-8") as f:
      f.write(text_format.MessageToString(proto))
    with self.assertRaisesRegex(errors.UnsafeModelError, r"op WriteFile"):
      graph_ops.check_model_code(path, "my-model")

  def test_unreadable_saved_model_is_a_handle_error(self):
    path = self.model_dir("broken")
    os.makedirs(path)
    with open(os.path.join(path, "saved_model.pb"), "wb") as f:
      f.write(b"\xff not a proto")
    with self.assertRaisesRegex(errors.HandleError, r"^my-model: .*saved_model.pb is not a "
                                                    r"SavedModel proto"):
      graph_ops.check_model_code(path, "my-model")


if __name__ == "__main__":
  tf.test.main()
