"""What the fixture generators tests/make_*.py share: paths, the example sentences and their
packing, versions, JSON, README lines, and building a fixture folder beside the old one.

Each generator runs in the environment of the toolchain it exercises (TensorFlow 2.15 + tf-slim for
the TF1 modules, tf-models-official for Model Garden's SavedModels, the project's .venv for
transformers and keras-hub), so this module uses the Python standard library only and imports
nothing from hub_repro. A generator is run as `python tests/make_x.py`, which puts tests/ first on
sys.path: `import fixture_tools` finds this file with no path setup.

Arrays, tensors, random generators and protobuf classes come in from the toolchain and are used
through their own methods (`tolist()`, `numpy()`, `normal()`, `ParseFromString()`), so that no
numpy, TensorFlow or protobuf is imported here.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import math
import os
import re
import shutil
import struct
import sys
import tempfile
import types

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(REPO_ROOT, "tests", "fixtures")

# The same as tests/testutil.py SENTENCES (not imported from there: testutil imports hub_repro);
# a tuple is a sentence pair. tests/test_fixture_tools.py checks that the two still agree.
SENTENCES = ["the first token is cls", "what does the pooled output do?", "hello world",
             ("this is a test", "the hidden state")]

# Descriptions that golden.json files give in their "schema" key.
SENTENCES_SCHEMA = "tests/testutil.py SENTENCES; a 2-list is a sentence pair"
FLOATS_SCHEMA = "float32 values printed with 9 significant digits (exact round trip)"

# ALBERT's SentencePiece ids (albert_spm/30k-clean.model has google-research/albert's).
_ALBERT_CLS, _ALBERT_SEP, _ALBERT_PAD = 2, 3, 0

_SENSITIVITY_LABELS = {"pooled_output": "pooled", "sequence_output": "sequence",
                       "hidden_states": "hidden states"}


def versions(packages: list[str], python: bool = True) -> dict[str, str]:
  """The installed version of each distribution in `packages`, in that order.

  Args:
    packages: distribution names as pip knows them ("tensorflow-hub", "tf-slim").
    python: whether to add "python" (the interpreter's version) as the last key.

  Returns:
    {name: version}, the "versions" of a golden.json and the "Generated with:" line of a README.
  """
  out = {name: importlib.metadata.version(name) for name in packages}
  if python:
    out["python"] = sys.version.split()[0]
  return out


def sentences_as_stored() -> list:
  """SENTENCES as golden.json stores them: a pair as a 2-list (JSON has no tuples)."""
  return [s if isinstance(s, str) else list(s) for s in SENTENCES]


def float32_list(values) -> list | float:
  """Nested lists of float32 values, each printed with 9 significant digits (exact for float32).

  Args:
    values: a numpy array, a TensorFlow or PyTorch tensor, or (nested) lists of them; a value that
      is not a float32 already is rounded to one.

  Returns:
    Nested lists of Python floats of the same shape (a float for a scalar).
  """
  if hasattr(values, "numpy"):  # tensors; numpy arrays have tolist() only
    values = values.numpy()
  if hasattr(values, "tolist"):
    values = values.tolist()
  if isinstance(values, (list, tuple)):
    return [float32_list(v) for v in values]
  as_float32 = struct.unpack("f", struct.pack("f", values))[0]
  return float("%.9g" % as_float32)


def ragged_to_list(tensor) -> list:
  """Nested lists from a tf.RaggedTensor (`to_list()`) or a dense tensor (`numpy().tolist()`)."""
  return tensor.to_list() if hasattr(tensor, "to_list") else tensor.numpy().tolist()


def read_lines(path: str) -> list[str]:
  """The lines of a UTF-8 text file (a vocab.txt) without their line ends."""
  with open(path, encoding="utf-8") as f:
    return [line.rstrip("\n") for line in f]


def pack_tokens(tokenize, tokens_to_ids, max_seq_length: int) -> dict[str, list[list[int]]]:
  """SENTENCES packed as google-research's BERT, ALBERT and ELECTRA classifiers pack them.

  `[CLS] a [SEP]` or `[CLS] a [SEP] b [SEP]`, segment 0 for the first part and 1 for the second,
  padded with 0 to max_seq_length.

  Args:
    tokenize: text -> list of token strings (the toolchain's own tokenizer).
    tokens_to_ids: list of token strings -> list of ids.
    max_seq_length: the padded length.

  Returns:
    {"input_ids", "input_mask", "segment_ids"}: int [batch, max_seq_length] as nested lists.
  """
  rows = {"input_ids": [], "input_mask": [], "segment_ids": []}
  for sentence in SENTENCES:
    parts = [sentence] if isinstance(sentence, str) else list(sentence)
    tokens, segment_ids = ["[CLS]"], [0]
    for i, part in enumerate(parts):
      pieces = tokenize(part)
      tokens += pieces + ["[SEP]"]
      segment_ids += [i] * (len(pieces) + 1)
    ids = tokens_to_ids(tokens)
    pad = max_seq_length - len(ids)
    rows["input_ids"].append(ids + [0] * pad)
    rows["input_mask"].append([1] * len(ids) + [0] * pad)
    rows["segment_ids"].append(segment_ids + [0] * pad)
  return rows


def hf_encode(tokenizer, max_seq_length: int, segments: bool = True) -> dict[str, list[list[int]]]:
  """SENTENCES through a transformers tokenizer, one call per example (singles and a pair).

  Args:
    tokenizer: the folder's own tokenizer (AutoTokenizer.from_pretrained).
    max_seq_length: every example is padded (and truncated) to this length.
    segments: True asks for token_type_ids explicitly (BertTokenizerLegacy's model_input_names
      leave them out) and returns them as segment_ids; False is for models without segments
      (RoBERTa, DistilBERT): the tokenizer's own choice, checked to return none.

  Returns:
    {"input_ids", "input_mask"} (and "segment_ids" with segments): int [batch, max_seq_length] as
    nested lists.

  Raises:
    RuntimeError: without segments, the tokenizer returned token_type_ids.
  """
  rows = {"input_ids": [], "input_mask": [], **({"segment_ids": []} if segments else {})}
  ask = {"return_token_type_ids": True} if segments else {}
  for sentence in SENTENCES:
    first, second = (sentence, None) if isinstance(sentence, str) else sentence
    enc = tokenizer(first, second, padding="max_length", max_length=max_seq_length, truncation=True,
                    return_attention_mask=True, **ask)
    if not segments and "token_type_ids" in enc:
      raise RuntimeError(f"{type(tokenizer).__name__} returned token_type_ids")
    rows["input_ids"].append(list(enc["input_ids"]))
    rows["input_mask"].append(list(enc["attention_mask"]))
    if segments:
      rows["segment_ids"].append(list(enc["token_type_ids"]))
  return rows


def check_packed_ids(input_ids: list[list[int]], encode, max_seq_length: int, special: tuple,
                     tokenizer_name: str, reference: str = "sentencepiece",
                     double_sep: bool = False) -> None:
  """Checks each row is cls + encode(a) + sep (+ encode(b) + sep) then pad, for SENTENCES.

  Args:
    input_ids: one row per sentence of SENTENCES, as a toolchain's tokenizer packed them.
    encode: text -> ids, the reference tokenizer (sentencepiece, tokenizers) without specials.
    max_seq_length: the padded length of a row.
    special: (cls, sep, pad) ids.
    tokenizer_name: who made the rows, for the error message.
    reference: who made `encode`, for the error message.
    double_sep: RoBERTa's packing, a second sep before the pair's second part.

  Raises:
    RuntimeError: a row differs from what `encode` gives.
  """
  cls, sep, pad = special
  for row, sentence in zip(input_ids, SENTENCES):
    parts = [sentence] if isinstance(sentence, str) else list(sentence)
    expected = [cls]
    for i, part in enumerate(parts):
      expected += ([sep] if i and double_sep else []) + encode(part) + [sep]
    expected += [pad] * (max_seq_length - len(expected))
    if row != expected:
      raise RuntimeError(f"{tokenizer_name} gave {row} for {sentence!r}, {reference} {expected}")


def check_albert_ids(input_ids: list[list[int]], sp_encode, max_seq_length: int,
                     tokenizer_name: str) -> None:
  """Checks each row is [CLS] + sentencepiece's ids + [SEP] (+ the pair's + [SEP]) then <pad>.

  Args:
    input_ids: one row per sentence of SENTENCES, as a toolchain's ALBERT tokenizer packed them.
    sp_encode: text -> ids, SentencePieceProcessor.encode with the toolchain's own lowercasing.
    max_seq_length: the padded length of a row.
    tokenizer_name: who made the rows, for the error message.

  Raises:
    RuntimeError: a row differs from what sentencepiece gives.
  """
  check_packed_ids(input_ids, sp_encode, max_seq_length, (_ALBERT_CLS, _ALBERT_SEP, _ALBERT_PAD),
                   tokenizer_name)


def train_sentencepiece(trainer, text_path: str, out_dir: str, model_name: str, **args) -> str:
  """Trains a SentencePiece model on a copy of text_path into out_dir/model_name.

  Trained from inside out_dir with relative names, so that the trainer spec stored in the model
  holds no path of this machine.

  Args:
    trainer: sentencepiece.SentencePieceTrainer.
    text_path: the training text.
    out_dir: where the model (and its .vocab) are written; the copy of the text is removed.
    model_name: the model's file name, ending in ".model".
    **args: the trainer's options (vocab_size, model_type, special pieces...).

  Returns:
    The model's path.
  """
  shutil.copyfile(text_path, os.path.join(out_dir, "train.txt"))
  cwd = os.getcwd()
  os.chdir(out_dir)
  try:
    trainer.train(input="train.txt", model_prefix=model_name[:-len(".model")], minloglevel=2,
                  **args)
  finally:
    os.chdir(cwd)
  os.remove(os.path.join(out_dir, "train.txt"))
  return os.path.join(out_dir, model_name)


def gelu_variant(activation) -> str:
  """Which gelu `activation` is: "tanh_approx" (BERT's) or "exact_erf" (ELECTRA's, PyTorch's).

  Args:
    activation: list of floats -> list of floats, the toolchain's activation run in float32.

  Returns:
    "tanh_approx" or "exact_erf".

  Raises:
    RuntimeError: it is neither (within 1e-6, float32 rounding on [-4, 4]).
  """
  # The inputs are rounded to float32 first, so both references see what the toolchain sees.
  xs = [struct.unpack("f", struct.pack("f", -4 + 8 * i / 80))[0] for i in range(81)]
  ys = activation(xs)
  c = math.sqrt(2 / math.pi)
  d_tanh = max(abs(y - 0.5 * x * (1 + math.tanh(c * (x + 0.044715 * x**3))))
               for x, y in zip(xs, ys))
  d_erf = max(abs(y - 0.5 * x * (1 + math.erf(x / math.sqrt(2)))) for x, y in zip(xs, ys))
  # The two forms differ by up to ~5e-4 on [-4, 4]: 1e-4 tells them apart, 1e-6 is float32 noise.
  if d_tanh < 1e-6 and d_erf > 1e-4:
    return "tanh_approx"
  if d_erf < 1e-6 and d_tanh > 1e-4:
    return "exact_erf"
  raise RuntimeError(f"unrecognized gelu: max |diff| {d_tanh:g} from the tanh approximation, "
                     f"{d_erf:g} from the erf form")


def install_tf_contrib(layers) -> None:
  """Registers a stand-in `tensorflow.contrib` module, which TF2 no longer has.

  Google's TF1 code (bert-tensorflow, albert-tensorflow, google-research/electra) imports
  `tensorflow.contrib` and uses only `contrib.layers.layer_norm`; tf_slim.layers is the maintained
  fork of tf.contrib.layers (the same layer_norm, the same variable names LayerNorm/beta and
  LayerNorm/gamma). `cluster_resolver`, `data` and `tpu` are empty modules: albert imports them
  and never calls them on the paths the generators take.

  Args:
    layers: tf_slim.layers.
  """
  contrib = types.ModuleType("tensorflow.contrib")
  contrib.layers = layers
  for name in ("cluster_resolver", "data", "tpu"):
    setattr(contrib, name, types.ModuleType("tensorflow.contrib." + name))
  sys.modules.setdefault("tensorflow.contrib", contrib)


def redraw_keras_weights(weights, rng) -> None:
  """Re-draws every weight of a Keras model, in sorted-path order, and assigns it.

  Kernels and embedding tables N(0, 0.2), biases and LayerNorm betas N(0, 0.1), LayerNorm gammas
  1 + 0.1 N(0, 1): the libraries' own init (BERT's 0.02 scale, zero biases, unit gammas) makes the
  attention nearly uniform and would let a loader that drops a bias or a head pass.

  Args:
    weights: the model's weights (`backbone.weights`).
    rng: a seeded numpy Generator (`np.random.default_rng(SEED)`).

  Raises:
    RuntimeError: a weight matches none of the rules.
  """
  for variable in sorted(weights, key=lambda v: v.path):
    path, shape = variable.path, tuple(variable.shape)
    if path.endswith("/gamma"):
      value = 1.0 + 0.1 * rng.normal(0.0, 1.0, shape)
    elif path.endswith("/bias") or path.endswith("/beta"):
      value = rng.normal(0.0, 0.1, shape)
    elif path.endswith("/kernel") or path.endswith("/embeddings"):
      value = rng.normal(0.0, 0.2, shape)
    else:
      raise RuntimeError(f"no re-draw rule for the weight {path} {shape}")
    variable.assign(value.astype("float32"))


def redraw_biases_and_norms(variables, rng) -> list[str]:
  """Re-draws the biases and norms of TF variables, in sorted-name order; kernels stay as built.

  Every `*/bias` and `*/beta` N(0, 0.1), every `*/gamma` 1 + 0.1 N(0, 1) (float32): with the
  libraries' zero biases and unit gammas a loader that drops one would still pass.

  Args:
    variables: tf.Variables named "scope/.../bias:0" (Model Garden's encoders).
    rng: a seeded numpy Generator, continued across calls.

  Returns:
    The names of the variables it set, in that order.
  """
  overwritten = []
  for v in sorted(variables, key=lambda v: v.name):
    if v.name.endswith("/bias:0") or v.name.endswith("/beta:0"):
      value = rng.normal(0.0, 0.1, v.shape)
    elif v.name.endswith("/gamma:0"):
      value = 1.0 + 0.1 * rng.normal(0.0, 1.0, v.shape)
    else:
      continue
    v.assign(value.astype("float32"))
    overwritten.append(v.name)
  return overwritten


def canonicalize_proto_file(path: str, message_class) -> None:
  """Rewrites a serialized protobuf message with deterministic serialization.

  tensorflow_hub writes the maps of saved_model.pb (node attrs, collections, signatures) in an
  arbitrary order, so its bytes change from run to run although the message is the same;
  serialized with sorted map keys, the same message gives the same bytes.

  Args:
    path: the file, such as a module's saved_model.pb.
    message_class: its message type, such as saved_model_pb2.SavedModel.

  Raises:
    RuntimeError: the rewritten bytes would parse to another message.
  """
  proto = message_class()
  with open(path, "rb") as f:
    proto.ParseFromString(f.read())
  data = proto.SerializeToString(deterministic=True)
  check = message_class()
  check.ParseFromString(data)
  if check != proto:
    raise RuntimeError(f"deterministic serialization changed {os.path.basename(path)}")
  with open(path, "wb") as f:
    f.write(data)


def tree_listing(root: str) -> list[tuple[str, int, str]]:
  """(path relative to root, size in bytes, first 12 hex digits of its sha256) of every file.

  The order is os.walk's, sorted: a folder's files before its subfolders' files.
  """
  rows = []
  for dirpath, _, filenames in sorted(os.walk(root)):
    for fn in sorted(filenames):
      path = os.path.join(dirpath, fn)
      with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
      rows.append((os.path.relpath(path, root), os.path.getsize(path), digest))
  return rows


def check_written(work: str, expected: list[str], who: str) -> None:
  """Raises unless the files under work (relative paths, sorted) are exactly `expected`."""
  written = sorted(rel for rel, _, _ in tree_listing(work))
  if written != expected:
    raise RuntimeError(f"{who} wrote {written}, expected {expected}")


def file_rows(root: str, width: int) -> str:
  """The "Files" block of a fixture's README: one `    <path> <size> bytes` line per file.

  Args:
    root: the folder as it will be shipped, before its README.md is written.
    width: the width of the path column (the fixture's longest path fits).
  """
  return "\n".join("    %-*s %8d bytes" % (width, rel, size) for rel, size, _ in tree_listing(root))


def write_fixture_readme(work: str, template: str, width: int, sens: dict, vers: dict,
                         **fields) -> None:
  """Writes work/README.md from template, filling {files} (file_rows at width), {sensitivity}
  (sensitivity_line), {versions} (versions_line) and the fields given.

  Called last, once every other file of the fixture is written: the README lists them.
  """
  write_text(os.path.join(work, "README.md"), template.format(
      files=file_rows(work, width), sensitivity=sensitivity_line(sens),
      versions=versions_line(vers), **fields))


def print_listing(root: str, width: int) -> None:
  """Prints every file of a written fixture with its size and sha256 prefix, then the total."""
  print("\nwrote %s:" % os.path.relpath(root, REPO_ROOT))
  total = 0
  for rel, size, digest in tree_listing(root):
    total += size
    print("  %-*s %8d  sha256:%s" % (width, rel, size, digest))
  print("  total %d bytes" % total)


def files_containing(root: str, paths: list[str]) -> list[tuple[str, str]]:
  """(file relative to root, path) for every file under root whose bytes contain one of paths."""
  found = []
  for rel, _, _ in tree_listing(root):
    with open(os.path.join(root, rel), "rb") as f:
      data = f.read()
    found += [(rel, path) for path in paths if path.encode() in data]
  return found


def check_no_paths(work: str, name: str, *paths: str) -> None:
  """Raises if a file of the fixture being built names a path of this machine.

  A fixture is shipped and loaded elsewhere: a path that leaked into it (the build folder, the
  repository, a temporary folder) would make it depend on where it was made.

  Args:
    work: the folder being built.
    name: the fixture's name, for the error message.
    *paths: other paths to look for besides work and REPO_ROOT.

  Raises:
    RuntimeError: naming the first such file and path.
  """
  found = files_containing(work, [work, REPO_ROOT, *paths])
  if found:
    raise RuntimeError("%s/%s contains the path %s" % (name, *found[0]))


def move_noting_paths(stage: str, out_dir: str, tmp: str) -> None:
  """Moves a built fixture from stage (inside tmp) to out_dir, replacing it, after printing a note
  for each file that names tmp or the repository.

  For Model Garden's exports, whose preprocess/saved_model.pb is known to name the temporary vocab
  copy export_preprocessing made: noted, not fatal (check_no_paths raises instead).
  """
  found = files_containing(stage, [tmp, REPO_ROOT])
  for rel in sorted({rel for rel, _ in found}):
    print(f"note: {rel} contains a temporary path")
  if os.path.exists(out_dir):
    shutil.rmtree(out_dir)
  shutil.move(stage, out_dir)


def replace_folder(work: str, out_dir: str) -> None:
  """Renames work to out_dir, replacing a previous out_dir only once the new one is complete."""
  old = None
  if os.path.exists(out_dir):
    old = tempfile.mkdtemp(prefix=".%s.old-" % os.path.basename(out_dir),
                           dir=os.path.dirname(out_dir))
    os.rename(out_dir, os.path.join(old, "previous"))
  os.rename(work, out_dir)
  if old:
    shutil.rmtree(old)


@contextlib.contextmanager
def staged_folder(out_dir: str):
  """Yields an empty folder beside out_dir, which replaces out_dir if the block completes.

  Beside, so that the final rename is on the same file system (atomic); whatever happens, the
  staging folder is gone afterwards.

  Args:
    out_dir: the fixture folder to (re)build.

  Yields:
    The staging folder's path, mode 0755 (mkdtemp makes it 0700, which would ship).
  """
  work = tempfile.mkdtemp(prefix=".%s.tmp-" % os.path.basename(out_dir),
                          dir=os.path.dirname(out_dir))
  os.chmod(work, 0o755)
  try:
    yield work
    replace_folder(work, out_dir)
  finally:
    if os.path.exists(work):
      shutil.rmtree(work)


def write_text(path: str, text: str) -> None:
  """Writes text to path as UTF-8 (a README.md)."""
  with open(path, "w", encoding="utf-8") as f:
    f.write(text)


def write_json(path: str, obj, ensure_ascii: bool = True) -> None:
  """obj as JSON indented by 1, with a final newline (golden.json files)."""
  write_text(path, json.dumps(obj, indent=1, ensure_ascii=ensure_ascii) + "\n")


def compact_json(obj) -> str:
  """Stable JSON: sorted keys, indented by 1, innermost numeric lists on one line.

  Raises:
    RuntimeError: the compaction changed the data (it must only move whitespace).
  """
  text = json.dumps(obj, indent=1, sort_keys=True)
  num = r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false"
  pattern = re.compile(r"\[\s*((?:%s)(?:,\s*(?:%s))*)\s*\]" % (num, num))
  text = pattern.sub(lambda m: "[" + re.sub(r",\s*", ", ", m.group(1)) + "]", text)
  if json.loads(text) != obj:
    raise RuntimeError("JSON compaction changed the data")
  return text + "\n"


def call_args(kwargs: dict) -> str:
  """`name=value, ...` with each value's repr, as a config is written in a README's call."""
  return ", ".join("%s=%r" % kv for kv in kwargs.items())


def versions_line(vers: dict[str, str]) -> str:
  """`name version, ...`: the "Generated with:" line of a fixture's README."""
  return ", ".join("%s %s" % kv for kv in vers.items())


def sensitivity_line(sensitivity: dict[str, dict[str, float]]) -> str:
  """golden.json's "sensitivity" for a README: "`num_heads=2`: pooled 0.1, sequence 0.2; ..."."""
  return "; ".join(
      "`%s`: %s" % (wrong, ", ".join("%s %s" % (_SENSITIVITY_LABELS.get(name, name), diff)
                                     for name, diff in diffs.items()))
      for wrong, diffs in sensitivity.items())
