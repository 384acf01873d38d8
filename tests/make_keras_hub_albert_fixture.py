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

import json

import keras
import keras_hub
import numpy as np
import sentencepiece as spm
import tensorflow as tf

import fixture_tools

SEED = 1234
SPM_PATH = os.path.join(fixture_tools.FIXTURES, "albert_spm", "30k-clean.model")
NAME = "keras_hub_albert"
OUT_DIR = os.path.join(fixture_tools.FIXTURES, NAME)

MAX_SEQ_LENGTH = 16

BACKBONE_ARGS = dict(vocabulary_size=400, num_layers=2, num_heads=4, embedding_dim=16,
                     hidden_dim=32, intermediate_dim=64, num_groups=1, num_inner_repetitions=1,
                     max_sequence_length=64, num_segments=2)
WRONG_HEADS = 2

PACKAGES = ["keras-hub", "keras", "tensorflow", "tensorflow-text", "sentencepiece", "numpy",
            "h5py"]


def encode(preprocessor) -> dict[str, list[list[int]]]:
  """testutil.SENTENCES through keras-hub's own AlbertTextClassifierPreprocessor (the preset's
  tokenizer + its MultiSegmentPacker), one call per example, padded to MAX_SEQ_LENGTH. Called with
  x= because a positional 2-tuple would be unpacked as (x, y)."""
  rows = {"input_ids": [], "input_mask": [], "segment_ids": []}
  for sentence in fixture_tools.SENTENCES:
    out = preprocessor(x=sentence if isinstance(sentence, str) else tuple(sentence))
    rows["input_ids"].append([int(v) for v in np.asarray(out["token_ids"])])
    rows["input_mask"].append([int(v) for v in np.asarray(out["padding_mask"])])
    rows["segment_ids"].append([int(v) for v in np.asarray(out["segment_ids"])])
  return rows


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


def main() -> None:
  tf.config.threading.set_intra_op_parallelism_threads(1)  # the machine is shared
  tf.config.threading.set_inter_op_parallelism_threads(1)
  vers = dict(fixture_tools.versions(PACKAGES), keras_backend=keras.backend.backend())
  print("versions: %s" % json.dumps(vers))
  if vers["keras_backend"] != "tensorflow":
    raise RuntimeError(f"Keras backend is {vers['keras_backend']}, expected tensorflow")

  with fixture_tools.staged_folder(OUT_DIR) as work:
    keras.utils.set_random_seed(SEED)
    backbone = keras_hub.models.AlbertBackbone(**BACKBONE_ARGS)
    fixture_tools.redraw_keras_weights(backbone.weights, np.random.default_rng(SEED))
    tokenizer = keras_hub.models.AlbertTokenizer(proto=SPM_PATH)
    if tokenizer.vocabulary_size() != BACKBONE_ARGS["vocabulary_size"]:
      raise RuntimeError(f"the tokenizer has {tokenizer.vocabulary_size()} pieces")
    backbone.save_to_preset(work)
    tokenizer.save_to_preset(work)
    written = sorted(rel for rel, _, _ in fixture_tools.tree_listing(work))
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
    # keras-hub's AlbertTokenizer does not lowercase; SENTENCES are lowercase already.
    sp = spm.SentencePieceProcessor(model_file=SPM_PATH)
    fixture_tools.check_albert_ids(inputs["input_ids"], sp.encode, MAX_SEQ_LENGTH, "keras-hub")
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
            "sentences": fixture_tools.SENTENCES_SCHEMA,
            "inputs": "input_ids (token_ids), input_mask (padding_mask as 0/1), segment_ids: "
                      "int [batch, max_seq_length]",
            "pooled_output": "AlbertBackbone's pooled_output (pooled_dense on "
                             "sequence_output[:, 0], tanh), float [batch, hidden]",
            "sequence_output": "AlbertBackbone's sequence_output, float [batch, max_seq_length, "
                               "hidden]",
            "hidden_states": "the output of embedding_projection, then of each call of the shared "
                             "group_0_inner_layer_0: float [num_layers + 1, batch, max_seq_length, "
                             "hidden]; hidden_states[-1] == sequence_output (checked to 1e-6; "
                             "bit-identical on the generating machine)",
            "floats": fixture_tools.FLOATS_SCHEMA,
            "sensitivity": "max |diff| of the outputs if the same weights ran with a wrong value",
        },
        "framework": "keras-hub",
        "config": BACKBONE_ARGS,
        "sentences": fixture_tools.sentences_as_stored(),
        "max_seq_length": MAX_SEQ_LENGTH,
        "inputs": inputs,
        "pooled_output": fixture_tools.float32_list(golden["pooled_output"]),
        "sequence_output": fixture_tools.float32_list(golden["sequence_output"]),
        "hidden_states": fixture_tools.float32_list(golden["hidden_states"]),
        "sensitivity": sens,
        "versions": vers,
    }
    fixture_tools.write_json(os.path.join(work, "golden.json"), golden_json)

    fixture_tools.write_text(os.path.join(work, "README.md"), README.format(
        backend=vers["keras_backend"], keras_hub=vers["keras-hub"],
        files=fixture_tools.file_rows(work, 34),
        backbone_args=fixture_tools.call_args(BACKBONE_ARGS), seed=SEED,
        sensitivity=fixture_tools.sensitivity_line(sens),
        versions=fixture_tools.versions_line(vers)))
    fixture_tools.check_no_paths(work, NAME)

  fixture_tools.print_listing(OUT_DIR, 34)
  print("  inputs: %s" % json.dumps(inputs["input_ids"]))
  print("  sensitivity: %s" % json.dumps(sens))


if __name__ == "__main__":
  main()
