"""Build the keras-hub ALBERT fixture tests/fixtures/keras_hub_albert/.

The folder is written by keras-hub itself (`AlbertBackbone.save_to_preset` and
`AlbertTokenizer.save_to_preset`), never by hub_repro: a fixture written by our own code would prove
nothing about compatibility with the presets users hold. This script does not import hub_repro.

  keras_hub_albert/  AlbertBackbone(vocabulary_size=400, num_layers=2, num_heads=4,
                     embedding_dim=16, hidden_dim=32, intermediate_dim=64, num_groups=1,
                     num_inner_repetitions=1, max_sequence_length=64, num_segments=2) and
                     AlbertTokenizer(proto=tests/fixtures/albert_spm/30k-clean.model):
                     config.json, metadata.json, model.weights.h5, tokenizer.json,
                     assets/tokenizer/vocabulary.spm; plus golden.json (what keras-hub computes on
                     this preset for testutil.SENTENCES) and README.md (exact versions, command).

Keras backend: tensorflow (KERAS_BACKEND is forced to "tensorflow" below).

Weights: keras-hub's own init, then every weight re-drawn with numpy default_rng(SEED) in
sorted-path order and `assign`ed before saving: kernels and embedding tables N(0, 0.2), biases and
LayerNorm betas N(0, 0.1), LayerNorm gammas 1 + 0.1 N(0, 1) (the scheme of
make_keras_hub_fixture.py).

Run from the repo root, in the project's .venv (requirements.txt has the whole stack), after
tests/make_albert_spm_fixture.py:

    .venv/bin/python tests/make_keras_hub_albert_fixture.py

Idempotent: the folder is built in a temporary folder beside it and renamed into place. The same
versions give the same numbers and the same bytes, except metadata.json, whose "date_saved"
keras-hub stamps with the time of the run.
"""

from __future__ import annotations

import os

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Plain Eigen kernels instead of oneDNN ones, as in make_google_fixture.py.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import hashlib  # noqa: E402
import importlib.metadata  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402

import keras  # noqa: E402
import keras_hub  # noqa: E402
import numpy as np  # noqa: E402
import sentencepiece as spm  # noqa: E402
import tensorflow as tf  # noqa: E402

SEED = 1234
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(REPO_ROOT, "tests", "fixtures")
SPM_PATH = os.path.join(FIXTURES, "albert_spm", "30k-clean.model")
NAME = "keras_hub_albert"
OUT_DIR = os.path.join(FIXTURES, NAME)

# The same as tests/testutil.py SENTENCES (copied, not imported: testutil imports hub_repro);
# a tuple is a sentence pair.
SENTENCES = ["the first token is cls", "what does the pooled output do?", "hello world",
             ("this is a test", "the hidden state")]
MAX_SEQ_LENGTH = 16

BACKBONE_ARGS = dict(vocabulary_size=400, num_layers=2, num_heads=4, embedding_dim=16,
                     hidden_dim=32, intermediate_dim=64, num_groups=1, num_inner_repetitions=1,
                     max_sequence_length=64, num_segments=2)
WRONG_HEADS = 2

PACKAGES = ["keras-hub", "keras", "tensorflow", "tensorflow-text", "sentencepiece", "numpy", "h5py"]


def versions() -> dict[str, str]:
  out = {name: importlib.metadata.version(name) for name in PACKAGES}
  out["python"] = sys.version.split()[0]
  out["keras_backend"] = keras.backend.backend()
  return out


def float32_list(array) -> list:
  """Nested lists of float32 values printed with 9 significant digits (exact for float32)."""
  array = np.asarray(array, dtype=np.float32)
  flat = np.array([float("%.9g" % v) for v in array.ravel()])
  return flat.reshape(array.shape).tolist()


def redraw_weights(backbone) -> None:
  """Every weight re-drawn from a fixed-seed numpy normal (see the module docstring)."""
  rng = np.random.default_rng(SEED)
  for variable in sorted(backbone.weights, key=lambda v: v.path):
    path, shape = variable.path, tuple(variable.shape)
    if path.endswith("/gamma"):
      value = 1.0 + 0.1 * rng.normal(0.0, 1.0, shape)
    elif path.endswith("/bias") or path.endswith("/beta"):
      value = rng.normal(0.0, 0.1, shape)
    elif path.endswith("/kernel") or path.endswith("/embeddings"):
      value = rng.normal(0.0, 0.2, shape)
    else:
      raise RuntimeError(f"no re-draw rule for the weight {path} {shape}")
    variable.assign(value.astype(np.float32))


def encode(preprocessor) -> dict[str, list[list[int]]]:
  """testutil.SENTENCES through keras-hub's own AlbertTextClassifierPreprocessor (the preset's
  tokenizer + its MultiSegmentPacker), one call per example, padded to MAX_SEQ_LENGTH. Called with
  x= because a positional 2-tuple would be unpacked as (x, y)."""
  rows = {"input_ids": [], "input_mask": [], "segment_ids": []}
  for sentence in SENTENCES:
    out = preprocessor(x=sentence if isinstance(sentence, str) else tuple(sentence))
    rows["input_ids"].append([int(v) for v in np.asarray(out["token_ids"])])
    rows["input_mask"].append([int(v) for v in np.asarray(out["padding_mask"])])
    rows["segment_ids"].append([int(v) for v in np.asarray(out["segment_ids"])])
  return rows


def check_against_sentencepiece(inputs: dict) -> None:
  """The preprocessor's ids are [CLS] + sentencepiece's ids + [SEP] (+ pair + [SEP]) then <pad>."""
  sp = spm.SentencePieceProcessor(model_file=SPM_PATH)
  for row, sentence in zip(inputs["input_ids"], SENTENCES):
    parts = [sentence] if isinstance(sentence, str) else list(sentence)
    expected = [2]
    for part in parts:
      expected += sp.encode(part) + [3]
    expected += [0] * (MAX_SEQ_LENGTH - len(expected))
    if row != expected:
      raise RuntimeError(f"keras-hub gave {row} for {sentence!r}, sentencepiece {expected}")


def run(backbone, inputs: dict) -> dict[str, np.ndarray]:
  """pooled/sequence output as AlbertBackbone returns them, and the hidden states. ALBERT calls
  one shared TransformerEncoder layer num_layers times, so its output is not one tensor of the
  functional graph; the hidden states are the output of the backbone's own embedding_projection
  layer, then the shared layer called on it again and again, as AlbertBackbone calls it."""
  feed = {"token_ids": np.array(inputs["input_ids"], np.int32),
          "segment_ids": np.array(inputs["segment_ids"], np.int32),
          "padding_mask": np.array(inputs["input_mask"], np.int32)}
  out = backbone(feed, training=False)
  probe = keras.Model(backbone.inputs, backbone.get_layer("embedding_projection").output)
  x = probe(feed, training=False)
  hidden = [np.asarray(x)]
  calls = backbone.num_layers // backbone.num_groups
  for group in range(backbone.num_groups):
    for _ in range(calls):
      for inner in range(backbone.num_inner_repetitions):
        layer = backbone.get_layer(f"group_{group}_inner_layer_{inner}")
        x = layer(x, padding_mask=feed["padding_mask"], training=False)
        hidden.append(np.asarray(x))
  return {"pooled_output": np.asarray(out["pooled_output"]),
          "sequence_output": np.asarray(out["sequence_output"]),
          "hidden_states": np.stack(hidden)}


def wrong_heads_diff(backbone, inputs: dict, golden: dict) -> dict:
  """max |diff| when the same weights run with num_heads=WRONG_HEADS (the attention kernels keep
  the heads as an axis; reshaping them keeps every number in place)."""
  other = keras_hub.models.AlbertBackbone(**dict(BACKBONE_ARGS, num_heads=WRONG_HEADS))
  by_path = {v.path: v for v in backbone.weights}
  for variable in other.weights:
    variable.assign(np.reshape(np.asarray(by_path[variable.path]), tuple(variable.shape)))
  out = run(other, inputs)
  return {f"num_heads={WRONG_HEADS}": {
      name: float("%.4g" % np.max(np.abs(out[name] - golden[name])))
      for name in ("pooled_output", "sequence_output")}}


README = """\
# keras_hub_albert: a tiny ALBERT preset written by keras-hub's own save_to_preset

Generated by `tests/make_keras_hub_albert_fixture.py`; do not edit by hand. Nothing here was written
by hub_repro: `AlbertBackbone.save_to_preset` and `AlbertTokenizer.save_to_preset` wrote the preset.
Keras backend: **{backend}** (`KERAS_BACKEND=tensorflow`).

Files (as keras-hub {keras_hub} writes them, plus golden.json and this README):

{files}

- Backbone: `keras_hub.models.AlbertBackbone({backbone_args})`.
  `config.json` is Keras' serialized layer (`"class_name": "AlbertBackbone"`) with the constructor
  arguments under `"config"`. There is no activation key: keras-hub's ALBERT always uses the
  tanh-approximate gelu (`gelu_approximate`), layer_norm_epsilon 1e-12. Weights in
  `model.weights.h5` under Keras paths: `token_embedding`, `position_embedding`,
  `segment_embedding` (width 16), `embeddings_layer_norm`, `embedding_projection` (16 -> 32), one
  shared `group_0_inner_layer_0` (a TransformerEncoder, called 2 times), `pooled_dense`.
  `pooled_output` is `pooled_dense(sequence_output[:, 0])`, a Dense(32) with tanh.
- Tokenizer: `keras_hub.models.AlbertTokenizer(proto=tests/fixtures/albert_spm/30k-clean.model)`;
  `tokenizer.json` is its serialized config, the proto is `assets/tokenizer/vocabulary.spm`
  (byte-identical to 30k-clean.model). keras-hub's AlbertTokenizer does not lowercase (the
  SentencePiece model has no lowercasing normalizer); testutil.SENTENCES are lowercase already.
- Weights: keras-hub's init, then every weight re-drawn with numpy `default_rng({seed})` in
  sorted-path order and `assign`ed: kernels/embeddings N(0, 0.2), biases and LayerNorm betas
  N(0, 0.1), LayerNorm gammas 1 + 0.1 N(0, 1).
- `golden.json`: what keras-hub computes on this preset (`AlbertBackbone.from_preset` +
  `AlbertTokenizer.from_preset` inside `AlbertTextClassifierPreprocessor(sequence_length=16)`,
  float32, TF_ENABLE_ONEDNN_OPTS=0): see its `schema` key. hidden_states: the output of the
  backbone's `embedding_projection`, then its shared layer applied again and again (the backbone
  does not return them). Outputs move this much with a wrong head count (max |diff|):
  {sensitivity}

Regenerate (from the repo root; keras-hub==0.32.0 tensorflow==2.21.0 keras==3.15.1
tensorflow-text==2.21.1, all in requirements.txt):

    .venv/bin/python tests/make_keras_hub_albert_fixture.py

Generated with: {versions}.
"""


def tree_listing(root: str) -> list[tuple[str, int, str]]:
  rows = []
  for dirpath, _, filenames in sorted(os.walk(root)):
    for fn in sorted(filenames):
      path = os.path.join(dirpath, fn)
      with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
      rows.append((os.path.relpath(path, root), os.path.getsize(path), digest))
  return rows


def replace_folder(work: str, out_dir: str) -> None:
  """Renames work to out_dir, replacing a previous out_dir only once the new one is complete."""
  old = None
  if os.path.exists(out_dir):
    old = tempfile.mkdtemp(prefix=".%s.old-" % os.path.basename(out_dir), dir=FIXTURES)
    os.rename(out_dir, os.path.join(old, "previous"))
  os.rename(work, out_dir)
  if old:
    shutil.rmtree(old)


def main() -> None:
  tf.config.threading.set_intra_op_parallelism_threads(1)  # the machine is shared
  tf.config.threading.set_inter_op_parallelism_threads(1)
  vers = versions()
  print("versions: %s" % json.dumps(vers))
  if vers["keras_backend"] != "tensorflow":
    raise RuntimeError(f"Keras backend is {vers['keras_backend']}, expected tensorflow")

  work = tempfile.mkdtemp(prefix=".%s.tmp-" % NAME, dir=FIXTURES)
  os.chmod(work, 0o755)  # mkdtemp makes it 0700
  try:
    keras.utils.set_random_seed(SEED)
    backbone = keras_hub.models.AlbertBackbone(**BACKBONE_ARGS)
    redraw_weights(backbone)
    tokenizer = keras_hub.models.AlbertTokenizer(proto=SPM_PATH)
    if tokenizer.vocabulary_size() != BACKBONE_ARGS["vocabulary_size"]:
      raise RuntimeError(f"the tokenizer has {tokenizer.vocabulary_size()} pieces")
    backbone.save_to_preset(work)
    tokenizer.save_to_preset(work)
    written = sorted(rel for rel, _, _ in tree_listing(work))
    expected = ["assets/tokenizer/vocabulary.spm", "config.json", "metadata.json",
                "model.weights.h5", "tokenizer.json"]
    if written != expected:
      raise RuntimeError(f"keras-hub wrote {written}, expected {expected}")

    # The golden numbers come from the preset as a user would load it.
    loaded = keras_hub.models.AlbertBackbone.from_preset(work)
    loaded_tokenizer = keras_hub.models.AlbertTokenizer.from_preset(work)
    preprocessor = keras_hub.models.AlbertTextClassifierPreprocessor(
        loaded_tokenizer, sequence_length=MAX_SEQ_LENGTH)
    inputs = encode(preprocessor)
    check_against_sentencepiece(inputs)
    golden = run(loaded, inputs)
    in_memory = run(backbone, inputs)
    for key, value in golden.items():
      diff = float(np.max(np.abs(value - in_memory[key])))
      print("  reloaded vs in-memory %s max |diff| %g" % (key, diff))
      if diff != 0.0:
        raise RuntimeError(f"the saved preset does not reproduce the backbone ({key}: {diff})")
    last = float(np.max(np.abs(golden["hidden_states"][-1] - golden["sequence_output"])))
    print("  last hidden state vs sequence_output max |diff| %g" % last)
    if last > 1e-6:
      raise RuntimeError(f"the last hidden state is not sequence_output ({last})")
    sens = wrong_heads_diff(loaded, inputs, golden)

    golden_json = {
        "schema": {
            "framework": "keras-hub AlbertBackbone.from_preset(folder), Keras backend tensorflow, "
                         "CPU, float32; tokenized by AlbertTokenizer.from_preset(folder) inside "
                         "AlbertTextClassifierPreprocessor(sequence_length=max_seq_length)",
            "sentences": "tests/testutil.py SENTENCES; a 2-list is a sentence pair",
            "inputs": "input_ids (token_ids), input_mask (padding_mask as 0/1), segment_ids: "
                      "int [batch, max_seq_length]",
            "pooled_output": "AlbertBackbone's pooled_output (pooled_dense on sequence_output[:, 0], "
                             "tanh), float [batch, hidden]",
            "sequence_output": "AlbertBackbone's sequence_output, float [batch, max_seq_length, "
                               "hidden]",
            "hidden_states": "the output of embedding_projection, then of each call of the shared "
                             "group_0_inner_layer_0: float [num_layers + 1, batch, max_seq_length, "
                             "hidden]; hidden_states[-1] == sequence_output (checked to 1e-6; "
                             "bit-identical on the generating machine)",
            "floats": "float32 values printed with 9 significant digits (exact round trip)",
            "sensitivity": "max |diff| of the outputs if the same weights ran with a wrong value",
        },
        "framework": "keras-hub",
        "config": BACKBONE_ARGS,
        "sentences": [s if isinstance(s, str) else list(s) for s in SENTENCES],
        "max_seq_length": MAX_SEQ_LENGTH,
        "inputs": inputs,
        "pooled_output": float32_list(golden["pooled_output"]),
        "sequence_output": float32_list(golden["sequence_output"]),
        "hidden_states": float32_list(golden["hidden_states"]),
        "sensitivity": sens,
        "versions": vers,
    }
    with open(os.path.join(work, "golden.json"), "w", encoding="utf-8") as f:
      json.dump(golden_json, f, indent=1)
      f.write("\n")

    file_rows = "\n".join("    %-34s %8d bytes" % (rel, size) for rel, size, _ in tree_listing(work))
    with open(os.path.join(work, "README.md"), "w", encoding="utf-8") as f:
      f.write(README.format(
          backend=vers["keras_backend"], keras_hub=vers["keras-hub"], files=file_rows,
          backbone_args=", ".join("%s=%r" % kv for kv in BACKBONE_ARGS.items()), seed=SEED,
          sensitivity="; ".join("`%s`: pooled %s, sequence %s"
                                % (k, v["pooled_output"], v["sequence_output"])
                                for k, v in sens.items()),
          versions=", ".join("%s %s" % kv for kv in vers.items())))

    for rel, _, _ in tree_listing(work):  # no path of this machine may leak into the fixture
      with open(os.path.join(work, rel), "rb") as f:
        data = f.read()
      for leak in (work, REPO_ROOT):
        if leak.encode() in data:
          raise RuntimeError(f"{NAME}/{rel} contains the path {leak}")

    replace_folder(work, OUT_DIR)
  finally:
    if os.path.exists(work):
      shutil.rmtree(work)

  print("\nwrote %s:" % os.path.relpath(OUT_DIR, REPO_ROOT))
  total = 0
  for rel, size, digest in tree_listing(OUT_DIR):
    total += size
    print("  %-34s %8d  sha256:%s" % (rel, size, digest))
  print("  total %d bytes" % total)
  print("  inputs: %s" % json.dumps(inputs["input_ids"]))
  print("  sensitivity: %s" % json.dumps(sens))


if __name__ == "__main__":
  main()
