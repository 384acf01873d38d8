"""tests/fixture_tools.py and tests/hf_fixture_tools.py, the helpers of the fixture generators,
and the generators' imports.

The generators (tests/make_*.py) run in other environments than this one and are not run here; the
helpers they share are, and the generators are parsed to check that each imports only the standard
library, fixture_tools (hf_fixture_tools for the transformers and keras-hub ones) and its own
toolchain, and redefines none of the helpers.
"""

import ast
import contextlib
import glob
import hashlib
import io
import importlib.metadata
import json
import os
import shutil
import sys

import keras
import numpy as np
import sentencepiece as spm
import tensorflow as tf
import torch
from absl.testing import parameterized
from tensorflow.core.framework import node_def_pb2

import fixture_tools
import hf_fixture_tools
import testutil

TESTS = os.path.dirname(os.path.abspath(__file__))

_TF1 = {"numpy", "tensorflow", "tensorflow_hub", "tf_slim"}
_HF = {"numpy", "torch", "transformers"}
_KERAS_HUB = {"keras", "keras_hub", "numpy", "tensorflow"}
# The .venv generators written with hf_fixture_tools (transformers, and keras-hub beside it).
_HF_TOOLS = {"hf_fixture_tools"}
# What hf_fixture_tools itself imports besides the standard library and fixture_tools.
HF_TOOLS_IMPORTS = {"keras", "numpy", "tensorflow", "torch", "transformers"}
_MODEL_GARDEN = {"numpy", "official", "tensorflow", "tensorflow_hub", "tensorflow_text", "tf_keras"}
# Each generator's toolchain: the top-level packages it may import besides the standard library.
TOOLCHAINS = {
    "make_albert_spm_fixture.py": {"sentencepiece"},
    "make_albert_tf1_fixture.py": _TF1,  # albert-tensorflow comes in through importlib
    "make_electra_tf1_fixture.py": _TF1,  # ELECTRA's code is read from a git mirror
    "make_google_fixture.py": _TF1 | {"bert"},
    "make_hf_fixtures.py": _HF,
    "make_hf_albert_fixture.py": _HF | {"sentencepiece"},
    "make_hf_electra_fixture.py": _HF,
    "make_keras_hub_fixture.py": _KERAS_HUB,
    "make_keras_hub_albert_fixture.py": _KERAS_HUB | {"sentencepiece"},
    "make_keras_hub_electra_fixture.py": _KERAS_HUB,
    "make_model_garden_fixture.py": _MODEL_GARDEN,
    "make_model_garden_albert_fixture.py": _MODEL_GARDEN | {"sentencepiece"},
    "make_model_garden_electra_fixture.py": _MODEL_GARDEN,
    # It reads the SavedModel helpers of the talking-heads script (same toolchain).
    "make_model_garden_mobilebert_fixture.py": _MODEL_GARDEN | {"make_model_garden_talking_heads_fixture"},
    "make_model_garden_talking_heads_fixture.py": _MODEL_GARDEN | {"gin"},  # gin selects the layers
    "make_roberta_fixture.py": _HF | _KERAS_HUB | _HF_TOOLS | {"tokenizers"},
    "make_xlm_roberta_fixture.py": _HF | _KERAS_HUB | _HF_TOOLS | {"sentencepiece"},
    "make_distilbert_fixture.py": _HF | _KERAS_HUB | _HF_TOOLS,
    "make_mobilebert_fixture.py": _HF | _HF_TOOLS,
    "make_deberta_v3_fixture.py": _HF | _KERAS_HUB | _HF_TOOLS | {"sentencepiece"},
}

# The width of the path column in each README's file list, as its generator writes it.
README_LISTINGS = {"albert_spm": 18, "hf_bert_tokenizer_json": 24, "hf_bert_head16_gelu_new": 24,
                   "hf_albert": 24, "hf_electra": 24, "keras_hub_preset": 34,
                   "keras_hub_albert": 34, "keras_hub_electra": 34}


def _sha12(data: bytes) -> str:
  return hashlib.sha256(data).hexdigest()[:12]


def _toy_pieces(text: str) -> list[int]:
  """A stand-in for SentencePieceProcessor.encode: one id per word."""
  return [10 + len(word) for word in text.split()]


def _write(path: str, data: bytes) -> None:
  os.makedirs(os.path.dirname(path), exist_ok=True)
  with open(path, "wb") as f:
    f.write(data)


def _imported_modules(tree: ast.AST) -> set[str]:
  """The top-level package of every import statement, at any depth."""
  names = set()
  for node in ast.walk(tree):
    if isinstance(node, ast.Import):
      names.update(alias.name.split(".")[0] for alias in node.names)
    elif isinstance(node, ast.ImportFrom) and node.level == 0:
      names.add(node.module.split(".")[0])
  return names


def _parse(path: str) -> ast.Module:
  with open(path, encoding="utf-8") as f:
    return ast.parse(f.read(), filename=path)


def _functions(module: str) -> set[str]:
  """The top-level function names of tests/<module>."""
  return {node.name for node in _parse(os.path.join(TESTS, module)).body
          if isinstance(node, ast.FunctionDef)}


class FolderToolsTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    self.root = os.path.join(self.get_temp_dir(), "tree")
    _write(os.path.join(self.root, "z.txt"), b"abc")
    _write(os.path.join(self.root, "a.json"), b"{}\n")
    _write(os.path.join(self.root, "sub", "deeper", "c.bin"), b"\x00" * 1000)
    _write(os.path.join(self.root, "sub", "b.txt"), b"")

  def test_tree_listing_puts_a_folders_files_before_its_subfolders(self):
    self.assertEqual(fixture_tools.tree_listing(self.root), [
        ("a.json", 3, _sha12(b"{}\n")),
        ("z.txt", 3, "ba7816bf8f01"),  # sha256("abc"), FIPS 180-2's example
        (os.path.join("sub", "b.txt"), 0, _sha12(b"")),
        (os.path.join("sub", "deeper", "c.bin"), 1000, _sha12(b"\x00" * 1000)),
    ])

  def test_file_rows_is_a_readme_listing(self):
    self.assertEqual(fixture_tools.file_rows(self.root, 18).splitlines(), [
        "    a.json                    3 bytes",
        "    z.txt                     3 bytes",
        "    sub/b.txt                 0 bytes",
        "    sub/deeper/c.bin       1000 bytes",
    ])

  def test_replace_folder_swaps_in_the_new_folder_and_leaves_nothing_behind(self):
    out_dir = os.path.join(self.get_temp_dir(), "fixture")
    _write(os.path.join(out_dir, "old.txt"), b"old")
    work = os.path.join(self.get_temp_dir(), ".fixture.tmp-1")
    _write(os.path.join(work, "new.txt"), b"new")
    fixture_tools.replace_folder(work, out_dir)
    self.assertEqual(os.listdir(out_dir), ["new.txt"])
    self.assertCountEqual(os.listdir(self.get_temp_dir()), ["tree", "fixture"])

  def test_replace_folder_into_a_new_place(self):
    out_dir = os.path.join(self.get_temp_dir(), "fixture")
    fixture_tools.replace_folder(self.root, out_dir)
    self.assertLen(fixture_tools.tree_listing(out_dir), 4)
    self.assertFalse(os.path.exists(self.root))

  def test_staged_folder_replaces_the_fixture_when_the_block_completes(self):
    out_dir = os.path.join(self.get_temp_dir(), "fixture")
    _write(os.path.join(out_dir, "old.txt"), b"old")
    with fixture_tools.staged_folder(out_dir) as work:
      self.assertEqual(os.path.dirname(work), self.get_temp_dir())  # beside: rename is atomic
      self.assertEqual(os.listdir(work), [])
      self.assertEqual(os.listdir(out_dir), ["old.txt"])  # untouched while building
      _write(os.path.join(work, "new.txt"), b"new")
    self.assertEqual(os.listdir(out_dir), ["new.txt"])
    self.assertEqual(os.stat(out_dir).st_mode & 0o777, 0o755)
    self.assertCountEqual(os.listdir(self.get_temp_dir()), ["tree", "fixture"])

  def test_staged_folder_keeps_the_old_fixture_when_the_block_fails(self):
    out_dir = os.path.join(self.get_temp_dir(), "fixture")
    _write(os.path.join(out_dir, "old.txt"), b"old")
    with self.assertRaisesRegex(RuntimeError, "generator failed"):
      with fixture_tools.staged_folder(out_dir) as work:
        _write(os.path.join(work, "half.txt"), b"half")
        raise RuntimeError("generator failed")
    self.assertEqual(os.listdir(out_dir), ["old.txt"])
    self.assertCountEqual(os.listdir(self.get_temp_dir()), ["tree", "fixture"])

  def test_check_no_paths_names_the_file_and_the_path(self):
    fixture_tools.check_no_paths(self.root, "tree", "/some/other/place")
    _write(os.path.join(self.root, "sub", "leak.txt"), b"vocab at %s/x" % self.root.encode())
    with self.assertRaisesRegex(RuntimeError, "tree/sub/leak.txt contains the path .*/tree$"):
      fixture_tools.check_no_paths(self.root, "tree")
    self.assertEqual(fixture_tools.files_containing(self.root, ["/nowhere", self.root]),
                     [(os.path.join("sub", "leak.txt"), self.root)])

  def test_check_written_names_what_was_written(self):
    fixture_tools.check_written(self.root, ["a.json", "sub/b.txt", "sub/deeper/c.bin", "z.txt"],
                                "toy")
    with self.assertRaisesRegex(RuntimeError, r"toy wrote \['a.json', .*\], expected \['a.json'\]"):
      fixture_tools.check_written(self.root, ["a.json"], "toy")

  def test_move_noting_paths_replaces_the_fixture_and_notes_temporary_paths(self):
    out_dir = os.path.join(self.get_temp_dir(), "fixture")
    _write(os.path.join(out_dir, "old.txt"), b"old")
    _write(os.path.join(self.root, "sub", "leak.txt"), b"vocab at %s/x" % self.root.encode())
    with contextlib.redirect_stdout(io.StringIO()) as printed:
      fixture_tools.move_noting_paths(self.root, out_dir, self.root)
    self.assertEqual(printed.getvalue(), "note: sub/leak.txt contains a temporary path\n")
    self.assertFalse(os.path.exists(self.root))
    self.assertNotIn("old.txt", os.listdir(out_dir))
    self.assertLen(fixture_tools.tree_listing(out_dir), 5)

  def test_train_sentencepiece_leaves_no_path_in_the_model(self):
    text = os.path.join(self.get_temp_dir(), "text.txt")
    _write(text, "\n".join(" ".join(s) if isinstance(s, tuple) else s
                           for s in fixture_tools.SENTENCES * 20).encode())
    out_dir = os.path.join(self.get_temp_dir(), "spm")
    os.makedirs(out_dir)
    cwd = os.getcwd()
    path = fixture_tools.train_sentencepiece(spm.SentencePieceTrainer, text, out_dir, "m.model",
                                             vocab_size=16, model_type="word")
    self.assertEqual(os.getcwd(), cwd)
    self.assertEqual(path, os.path.join(out_dir, "m.model"))
    self.assertCountEqual(os.listdir(out_dir), ["m.model", "m.vocab"])
    self.assertEmpty(fixture_tools.files_containing(out_dir, [self.get_temp_dir()]))
    self.assertEqual(spm.SentencePieceProcessor(model_file=path).get_piece_size(), 16)

  def test_write_fixture_readme_fills_the_shared_fields(self):
    fixture_tools.write_fixture_readme(
        self.root, "# {name}\n{files}\n{sensitivity}\nGenerated with: {versions}.\n", 18,
        {"num_heads=2": {"pooled_output": 0.5}}, {"numpy": "2.4.6"}, name="tree")
    with open(os.path.join(self.root, "README.md"), encoding="utf-8") as f:
      lines = f.read().splitlines()
    self.assertEqual(lines[0], "# tree")
    self.assertEqual(lines[1], "    a.json                    3 bytes")
    self.assertEqual(lines[-2:], ["`num_heads=2`: pooled 0.5", "Generated with: numpy 2.4.6."])

  def test_write_json(self):
    path = os.path.join(self.root, "golden.json")
    fixture_tools.write_json(path, {"b": [1, 2], "a": "é"}, ensure_ascii=False)
    with open(path, encoding="utf-8") as f:
      self.assertEqual(f.read(), '{\n "b": [\n  1,\n  2\n ],\n "a": "é"\n}\n')


class VersionsTest(tf.test.TestCase):

  def test_versions_of_installed_packages_then_python(self):
    self.assertEqual(fixture_tools.versions(["numpy", "tensorflow"]),
                     {"numpy": importlib.metadata.version("numpy"),
                      "tensorflow": importlib.metadata.version("tensorflow"),
                      "python": sys.version.split()[0]})
    self.assertEqual(list(fixture_tools.versions(["numpy"], python=False)), ["numpy"])

  def test_readme_lines(self):
    self.assertEqual(fixture_tools.versions_line({"numpy": "2.4.6", "python": "3.11.7"}),
                     "numpy 2.4.6, python 3.11.7")
    self.assertEqual(fixture_tools.call_args(dict(hidden_act="gelu", initializer_range=0.2)),
                     "hidden_act='gelu', initializer_range=0.2")
    self.assertEqual(
        fixture_tools.sensitivity_line({
            "num_heads=2": {"pooled_output": 0.5, "sequence_output": 1.25},
            "hidden_act=gelu": {"sequence_output": 0.001, "hidden_states": 0.002}}),
        "`num_heads=2`: pooled 0.5, sequence 1.25; "
        "`hidden_act=gelu`: sequence 0.001, hidden states 0.002")


class ReadmeFormatTest(parameterized.TestCase, tf.test.TestCase):
  """The shared helpers write what the generators wrote before them: the fixtures' READMEs."""

  @parameterized.named_parameters((name, name) for name in README_LISTINGS)
  def test_readme_lines_are_what_the_helpers_write(self, name):
    folder = os.path.join(fixture_tools.FIXTURES, name)
    with open(os.path.join(folder, "README.md"), encoding="utf-8") as f:
      readme = f.read()
    with open(os.path.join(folder, "golden.json"), encoding="utf-8") as f:
      golden = json.load(f)
    # The listing was written before README.md itself.
    copy = os.path.join(self.get_temp_dir(), name)
    shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("README.md"))
    self.assertIn("\n%s\n" % fixture_tools.file_rows(copy, README_LISTINGS[name]), readme)
    self.assertIn("Generated with: %s.\n" % fixture_tools.versions_line(golden["versions"]), readme)
    if "sensitivity" in golden:
      self.assertIn(fixture_tools.sensitivity_line(golden["sensitivity"]), readme)
    if "config" in golden:
      self.assertIn(fixture_tools.call_args(golden["config"]), readme)
    if "sentences" in golden:
      self.assertEqual(golden["sentences"], fixture_tools.sentences_as_stored())


class ValuesTest(tf.test.TestCase):

  def test_sentences_are_testutils(self):
    self.assertEqual(fixture_tools.SENTENCES, testutil.SENTENCES)

  def test_float32_list_is_numpys_float32_printed_with_9_digits(self):
    values = np.random.default_rng(0).normal(0.0, 3.0, (2, 3, 5))
    expected = np.array([float("%.9g" % v) for v in values.astype(np.float32).ravel()])
    expected = expected.reshape(values.shape).tolist()
    self.assertEqual(fixture_tools.float32_list(values), expected)  # float64 rounded to float32
    self.assertEqual(fixture_tools.float32_list(values.astype(np.float32)), expected)
    self.assertEqual(fixture_tools.float32_list(tf.constant(values, tf.float32)), expected)
    self.assertEqual(fixture_tools.float32_list([tf.constant(v, tf.float32) for v in values]),
                     expected)
    self.assertEqual(fixture_tools.float32_list(np.float32(0.1)), 0.100000001)
    # Exact: a float32 printed with 9 significant digits reads back as the same float32.
    self.assertAllEqual(np.array(expected, np.float32), values.astype(np.float32))

  def test_ragged_to_list(self):
    self.assertEqual(fixture_tools.ragged_to_list(tf.ragged.constant([[1, 2], [3]])),
                     [[1, 2], [3]])
    self.assertEqual(fixture_tools.ragged_to_list(tf.constant([[1, 2]])), [[1, 2]])

  def test_compact_json_puts_innermost_numeric_lists_on_one_line(self):
    obj = {"b": {"x": [[1, 2.5e-07], [-3, 4]], "ok": [True, False]}, "a": ["t", 1]}
    text = fixture_tools.compact_json(obj)
    self.assertEqual(json.loads(text), obj)
    self.assertIn('"x": [\n   [1, 2.5e-07],\n   [-3, 4]\n  ]', text)
    self.assertIn('"ok": [true, false]', text)
    self.assertIn('"a": [\n  "t",\n  1\n ]', text)  # not numeric: one item a line
    self.assertLess(text.index('"a"'), text.index('"b"'))

  def test_pack_tokens(self):
    vocab = {"[CLS]": 2, "[SEP]": 3}
    rows = fixture_tools.pack_tokens(str.split, lambda tokens: [vocab.get(t, 9) for t in tokens],
                                     max_seq_length=12)
    self.assertEqual(rows["input_ids"][2], [2, 9, 9, 3] + [0] * 8)  # "hello world"
    self.assertEqual(rows["input_ids"][3], [2, 9, 9, 9, 9, 3, 9, 9, 9, 3, 0, 0])
    self.assertEqual(rows["segment_ids"][3], [0] * 6 + [1] * 4 + [0] * 2)
    self.assertEqual(rows["input_mask"][3], [1] * 10 + [0] * 2)

  def test_hf_encode_asks_for_every_input(self):
    calls = []

    def tokenizer(first, second, **kwargs):
      calls.append((first, second, kwargs["max_length"], kwargs["return_token_type_ids"]))
      return {"input_ids": (1, 2), "attention_mask": (1, 1), "token_type_ids": (0, 0)}

    rows = fixture_tools.hf_encode(tokenizer, 2)
    self.assertEqual(calls[3], ("this is a test", "the hidden state", 2, True))
    self.assertEqual(rows["segment_ids"], [[0, 0]] * 4)

  def test_hf_encode_without_segments_checks_the_tokenizer_returns_none(self):
    calls = []

    def tokenizer(first, second, **kwargs):
      calls.append(kwargs)
      return {"input_ids": (1, 2), "attention_mask": (1, 1), **extra}

    extra = {}
    rows = fixture_tools.hf_encode(tokenizer, 2, segments=False)
    self.assertEqual(list(rows), ["input_ids", "input_mask"])
    self.assertNotIn("return_token_type_ids", calls[0])  # the tokenizer's own choice
    extra = {"token_type_ids": (0, 0)}
    with self.assertRaisesRegex(RuntimeError, "function returned token_type_ids"):
      fixture_tools.hf_encode(tokenizer, 2, segments=False)

  def test_check_packed_ids_with_roberta_double_sep(self):
    rows = []
    for sentence in fixture_tools.SENTENCES:
      parts = [sentence] if isinstance(sentence, str) else sentence
      row = [0] + _toy_pieces(parts[0]) + [2]
      if len(parts) == 2:
        row += [2] + _toy_pieces(parts[1]) + [2]
      rows.append(row + [1] * (16 - len(row)))
    fixture_tools.check_packed_ids(rows, _toy_pieces, 16, (0, 2, 1), "toy", "bpe", double_sep=True)
    with self.assertRaisesRegex(RuntimeError, r"toy gave .* for \('this is a test', .*\), bpe "):
      fixture_tools.check_packed_ids(rows, _toy_pieces, 16, (0, 2, 1), "toy", "bpe")

  def test_redraw_biases_and_norms_of_tf_variables(self):
    variables = [tf.Variable(tf.zeros([2]), name=name) for name in
                 ("layer/kernel", "norm/gamma", "layer/bias", "norm/beta")]
    names = fixture_tools.redraw_biases_and_norms(variables, np.random.default_rng(3))
    self.assertEqual(names, ["layer/bias:0", "norm/beta:0", "norm/gamma:0"])  # sorted, no kernel
    rng = np.random.default_rng(3)
    self.assertAllEqual(variables[2], rng.normal(0.0, 0.1, [2]).astype(np.float32))
    self.assertAllEqual(variables[3], rng.normal(0.0, 0.1, [2]).astype(np.float32))
    self.assertAllEqual(variables[1], (1.0 + 0.1 * rng.normal(0.0, 1.0, [2])).astype(np.float32))
    self.assertAllEqual(variables[0], [0.0, 0.0])

  def test_check_albert_ids(self):
    rows = []
    for sentence in fixture_tools.SENTENCES:
      parts = [sentence] if isinstance(sentence, str) else sentence
      row = [2] + [i for part in parts for i in _toy_pieces(part) + [3]]
      rows.append(row + [0] * (16 - len(row)))
    fixture_tools.check_albert_ids(rows, _toy_pieces, 16, "toy")
    rows[1][1] += 1
    with self.assertRaisesRegex(RuntimeError, "toy gave .* for 'what does the pooled output do"):
      fixture_tools.check_albert_ids(rows, _toy_pieces, 16, "toy")

  def test_redraw_keras_weights_in_sorted_path_order(self):
    dense, norm = keras.layers.Dense(3, name="dense"), keras.layers.LayerNormalization(name="ln")
    dense.build((None, 2))
    norm.build((None, 3))
    fixture_tools.redraw_keras_weights(norm.weights + dense.weights, np.random.default_rng(7))
    rng = np.random.default_rng(7)
    # Sorted by path: dense/bias, dense/kernel, ln/beta, ln/gamma.
    expected = {"dense/bias": rng.normal(0.0, 0.1, (3,)),
                "dense/kernel": rng.normal(0.0, 0.2, (2, 3)),
                "ln/beta": rng.normal(0.0, 0.1, (3,)),
                "ln/gamma": 1.0 + 0.1 * rng.normal(0.0, 1.0, (3,))}
    got = {v.path: np.asarray(v) for v in dense.weights + norm.weights}
    self.assertEqual(set(got), set(expected))
    for path, value in got.items():
      self.assertEqual(value.dtype, np.float32)
      self.assertAllEqual(value, expected[path].astype(np.float32), msg=path)
    batch_norm = keras.layers.BatchNormalization(name="bn")
    batch_norm.build((None, 3))
    with self.assertRaisesRegex(RuntimeError, "no re-draw rule for the weight bn/moving_mean"):
      fixture_tools.redraw_keras_weights(batch_norm.weights, np.random.default_rng(7))

  def test_canonicalize_proto_file_sorts_map_keys(self):
    node = node_def_pb2.NodeDef(name="n", op="Const")
    for key in ("zeta", "alpha", "mid", "beta"):
      node.attr[key].s = key.encode()
    path = os.path.join(self.get_temp_dir(), "node.pb")
    _write(path, node.SerializeToString())
    fixture_tools.canonicalize_proto_file(path, node_def_pb2.NodeDef)
    with open(path, "rb") as f:
      data = f.read()
    self.assertEqual(data, node.SerializeToString(deterministic=True))
    self.assertEqual(node_def_pb2.NodeDef.FromString(data), node)

  def test_gelu_variant(self):
    def gelu(approximate):
      return lambda x: tf.nn.gelu(tf.constant(x), approximate=approximate).numpy().tolist()

    self.assertEqual(fixture_tools.gelu_variant(gelu(True)), "tanh_approx")
    self.assertEqual(fixture_tools.gelu_variant(gelu(False)), "exact_erf")
    with self.assertRaisesRegex(RuntimeError, "unrecognized gelu"):
      fixture_tools.gelu_variant(lambda x: tf.nn.relu(tf.constant(x)).numpy().tolist())


class HfToolsTest(tf.test.TestCase):
  """hf_fixture_tools on toy torch modules and keras-hub-like outputs."""

  def test_redraw_torch_biases_and_norms_by_module_type_in_sorted_name_order(self):
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.LayerNorm(3))
    hf_fixture_tools.redraw_torch_biases_and_norms(model, 5)
    self.assertFalse(model.training)
    generator = torch.Generator().manual_seed(5)
    # Sorted: 0.bias, 0.weight (a Linear's: kept), 1.bias, 1.weight (the LayerNorm's).
    expected_bias0 = 0.1 * torch.randn((3,), generator=generator)
    expected_bias1 = 0.1 * torch.randn((3,), generator=generator)
    expected_gamma = 1.0 + 0.1 * torch.randn((3,), generator=generator)
    self.assertAllEqual(model[0].bias.detach().numpy(), expected_bias0.numpy())
    self.assertAllEqual(model[1].bias.detach().numpy(), expected_bias1.numpy())
    self.assertAllEqual(model[1].weight.detach().numpy(), expected_gamma.numpy())

  def test_wrong_config_diffs_and_max_diffs(self):
    golden = {"pooled_output": np.zeros((2, 3), np.float32),
              "sequence_output": np.ones((2, 4, 3), np.float32)}

    def run(config):
      return {"pooled_output": golden["pooled_output"] + config["shift"],
              "sequence_output": golden["sequence_output"] - 2 * config["shift"]}

    sens = hf_fixture_tools.wrong_config_diffs(lambda config: config, {"shift": 0.0},
                                               [{"shift": 0.123456}], run, golden)
    self.assertEqual(sens, {"shift=0.123456": {"pooled_output": 0.1235,
                                               "sequence_output": 0.2469}})

  def test_keras_golden_json_replaces_schema_texts_in_place(self):
    golden = {"sequence_output": np.zeros((1, 2, 1), np.float32),
              "hidden_states": np.zeros((2, 1, 2, 1), np.float32)}
    out = hf_fixture_tools.keras_golden_json("Toy", {"a": 1}, 2, {"input_ids": [[1, 2]]}, golden,
                                             {}, {}, inputs="no inputs")
    self.assertEqual(list(out["schema"])[:3], ["framework", "sentences", "inputs"])
    self.assertEqual(out["schema"]["inputs"], "no inputs")
    self.assertIn("keras-hub ToyBackbone.from_preset(folder)", out["schema"]["framework"])
    self.assertEqual(list(out)[-4:], ["sequence_output", "hidden_states", "sensitivity",
                                      "versions"])


class GeneratorsTest(parameterized.TestCase, tf.test.TestCase):
  """Each generator runs in its own environment: what it may import, what it may not redefine."""

  def test_every_generator_has_a_toolchain(self):
    found = {os.path.basename(path) for path in glob.glob(os.path.join(TESTS, "make_*.py"))}
    self.assertEqual(found, set(TOOLCHAINS))

  def test_fixture_tools_imports_the_standard_library_only(self):
    tree = _parse(os.path.join(TESTS, "fixture_tools.py"))
    self.assertEmpty(_imported_modules(tree) - sys.stdlib_module_names - {"__future__"})

  def test_hf_fixture_tools_imports_its_toolchain_only(self):
    tree = _parse(os.path.join(TESTS, "hf_fixture_tools.py"))
    self.assertEmpty(_imported_modules(tree) - sys.stdlib_module_names
                     - {"__future__", "fixture_tools"} - HF_TOOLS_IMPORTS)

  def test_shared_modules_do_not_overlap(self):
    self.assertEmpty(_functions("fixture_tools.py") & _functions("hf_fixture_tools.py"))

  @parameterized.named_parameters((name[:-3], name) for name in sorted(TOOLCHAINS))
  def test_imports_and_definitions(self, name):
    tree = _parse(os.path.join(TESTS, name))
    imported = _imported_modules(tree)
    self.assertIn("fixture_tools", imported)
    self.assertEmpty(imported - sys.stdlib_module_names - {"__future__", "fixture_tools"}
                     - TOOLCHAINS[name])
    defined = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    for shared in ("fixture_tools.py", "hf_fixture_tools.py"):
      self.assertEmpty(defined & _functions(shared), f"{name} redefines helpers of {shared}")


if __name__ == "__main__":
  tf.test.main()
