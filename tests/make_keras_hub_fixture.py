"""Build the keras-hub fixture tests/fixtures/keras_hub_preset/.

The folder is written by keras-hub itself (`BertBackbone.save_to_preset` and
`BertTokenizer.save_to_preset`), never by hub_repro: a fixture written by our own code would prove
nothing about compatibility with the presets users hold. This script does not import hub_repro.

  keras_hub_preset/  BertBackbone(vocabulary_size=109, num_layers=2, num_heads=4, hidden_dim=32,
                     intermediate_dim=37, max_sequence_length=64, num_segments=2) and
                     BertTokenizer(vocabulary=<tests/fixtures/vocab.txt>, lowercase=True):
                     config.json, metadata.json, model.weights.h5, tokenizer.json,
                     assets/tokenizer/vocabulary.txt; plus golden.json (what keras-hub computes on
                     this preset for testutil.SENTENCES) and README.md (exact versions, command).

Keras backend: tensorflow (KERAS_BACKEND is forced to "tensorflow" below).

Weights: keras-hub's own init (BERT's 0.02 scale; attention would be nearly uniform and a wrong
head count would barely show), then every weight re-drawn with numpy default_rng(SEED) in
sorted-path order and `assign`ed before saving: kernels and embedding tables N(0, 0.2), biases and
LayerNorm betas N(0, 0.1), LayerNorm gammas 1 + 0.1 N(0, 1) (the scheme of make_hf_fixtures.py).

Run from the repo root, in the project's .venv (requirements.txt has the whole stack):

    .venv/bin/python tests/make_keras_hub_fixture.py

Idempotent: the folder is built in a temporary folder beside it and renamed into place. The same
versions give the same numbers and the same bytes, except metadata.json, whose "date_saved"
keras-hub stamps with the time of the run.
"""

from __future__ import annotations

import os

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Plain Eigen kernels instead of oneDNN ones, as in make_google_fixture.py: the golden numbers
# should not depend on the CPU's oneDNN code path.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import json

import keras
import keras_hub
import numpy as np
import tensorflow as tf

import fixture_tools

SEED = 1234
VOCAB_PATH = os.path.join(fixture_tools.FIXTURES, "vocab.txt")
NAME = "keras_hub_preset"
OUT_DIR = os.path.join(fixture_tools.FIXTURES, NAME)

MAX_SEQ_LENGTH = 16

BACKBONE_ARGS = dict(vocabulary_size=109, num_layers=2, num_heads=4, hidden_dim=32,
                     intermediate_dim=37, max_sequence_length=64, num_segments=2)
WRONG_HEADS = 2

PACKAGES = ["keras-hub", "keras", "tensorflow", "tensorflow-text", "numpy", "h5py"]


def encode(preprocessor) -> dict[str, list[list[int]]]:
  """testutil.SENTENCES through keras-hub's own BertTextClassifierPreprocessor (the preset's
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
  """pooled/sequence output as BertBackbone returns them, and the hidden states read from the
  backbone's own functional graph (it does not return them): the output of embeddings_dropout
  (identity at inference) and of each transformer_layer_{i}."""
  feed = {"token_ids": np.array(inputs["input_ids"], np.int32),
          "segment_ids": np.array(inputs["segment_ids"], np.int32),
          "padding_mask": np.array(inputs["input_mask"], bool)}
  layers = ["embeddings_dropout"] + [f"transformer_layer_{i}"
                                     for i in range(backbone.num_layers)]
  probe = keras.Model(backbone.inputs, {
      "outputs": backbone.outputs if isinstance(backbone.outputs, dict) else backbone.output,
      "hidden_states": [backbone.get_layer(name).output for name in layers]})
  out = probe(feed, training=False)
  return {"pooled_output": np.asarray(out["outputs"]["pooled_output"]),
          "sequence_output": np.asarray(out["outputs"]["sequence_output"]),
          "hidden_states": np.stack([np.asarray(h) for h in out["hidden_states"]])}


def wrong_heads_diff(backbone, inputs: dict, golden: dict) -> dict:
  """max |diff| when the same weights run with num_heads=WRONG_HEADS. keras-hub keeps the heads
  as an axis of the attention kernels ([H, N, H/N], [N, H/N, H], biases [N, H/N]); reshaping them
  to the other head count keeps every number in place."""
  other = keras_hub.models.BertBackbone(**dict(BACKBONE_ARGS, num_heads=WRONG_HEADS))
  by_path = {v.path: v for v in backbone.weights}
  for variable in other.weights:
    variable.assign(np.reshape(np.asarray(by_path[variable.path]), tuple(variable.shape)))
  out = run(other, inputs)
  return {f"num_heads={WRONG_HEADS}": {
      name: float("%.4g" % np.max(np.abs(out[name] - golden[name])))
      for name in ("pooled_output", "sequence_output")}}


README = """\
# keras_hub_preset: a tiny BERT preset written by keras-hub's own save_to_preset

Generated by `tests/make_keras_hub_fixture.py`; do not edit by hand. Nothing here was written by
hub_repro: `BertBackbone.save_to_preset` and `BertTokenizer.save_to_preset` wrote the preset.
Keras backend: **{backend}** (`KERAS_BACKEND=tensorflow`).

Files (as keras-hub {keras_hub} writes them, plus golden.json and this README):

{files}

- Backbone: `keras_hub.models.BertBackbone({backbone_args})`.
  `config.json` is Keras' serialized layer (`"class_name": "BertBackbone"`,
  `"registered_name": "keras_hub>BertBackbone"`) with the constructor arguments under `"config"`:
  `vocabulary_size`, `num_layers`, `num_heads`, `hidden_dim`, `intermediate_dim`, `dropout`,
  `max_sequence_length`, `num_segments` (plus name/trainable/dtype). There is no activation key:
  keras-hub's BERT always uses the tanh-approximate gelu, and layer_norm_epsilon 1e-12.
  `metadata.json`: keras/keras-hub versions, parameter count, `date_saved`, tasks.
  Weights in `model.weights.h5` under Keras paths such as
  `transformer_layer_0/self_attention_layer/query/kernel` `[32, 4, 8]` (heads are an axis), the pooler
  is `pooled_dense`.
- Tokenizer: `keras_hub.models.BertTokenizer(vocabulary=<the lines of tests/fixtures/vocab.txt>,
  lowercase=True)`; `tokenizer.json` is its serialized config (`"vocabulary": null`, `"lowercase":
  true`), the vocabulary is `assets/tokenizer/vocabulary.txt` (byte-identical to vocab.txt).
- Weights: keras-hub's init, then every weight re-drawn with numpy `default_rng({seed})` in sorted-path
  order and `assign`ed: kernels/embeddings N(0, 0.2), biases and LayerNorm betas N(0, 0.1),
  LayerNorm gammas 1 + 0.1 N(0, 1). (0.02, BERT's scale, makes attention nearly uniform.)
- `golden.json`: what keras-hub computes on this preset (`BertBackbone.from_preset` +
  `BertTokenizer.from_preset` inside `BertTextClassifierPreprocessor(sequence_length=16)`,
  float32, TF_ENABLE_ONEDNN_OPTS=0): see its `schema` key. hidden_states are read from the
  backbone's own functional graph (BertBackbone does not return them).
  Outputs move this much with a wrong head count (max |diff|, the loader tolerance is 1e-5):
  {sensitivity}

Regenerate (from the repo root; the stack is `torch==2.13.0 transformers==5.24.0 keras-hub==0.32.0
tensorflow==2.21.0 keras==3.15.1`, of which this fixture needs the last three, all in
requirements.txt):

    .venv/bin/python tests/make_keras_hub_fixture.py

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
    backbone = keras_hub.models.BertBackbone(**BACKBONE_ARGS)
    fixture_tools.redraw_keras_weights(backbone.weights, np.random.default_rng(SEED))
    vocabulary = fixture_tools.read_lines(VOCAB_PATH)
    tokenizer = keras_hub.models.BertTokenizer(vocabulary=vocabulary, lowercase=True)
    backbone.save_to_preset(work)
    tokenizer.save_to_preset(work)
    written = sorted(rel for rel, _, _ in fixture_tools.tree_listing(work))
    expected = ["assets/tokenizer/vocabulary.txt", "config.json", "metadata.json",
                "model.weights.h5", "tokenizer.json"]
    if written != expected:
      raise RuntimeError(f"keras-hub wrote {written}, expected {expected}")

    # The golden numbers come from the preset as a user would load it.
    loaded = keras_hub.models.BertBackbone.from_preset(work)
    loaded_tokenizer = keras_hub.models.BertTokenizer.from_preset(work)
    preprocessor = keras_hub.models.BertTextClassifierPreprocessor(
        loaded_tokenizer, sequence_length=MAX_SEQ_LENGTH)
    inputs = encode(preprocessor)
    golden = run(loaded, inputs)
    in_memory = run(backbone, inputs)
    for key, value in golden.items():
      diff = float(np.max(np.abs(value - in_memory[key])))
      print("  reloaded vs in-memory %s max |diff| %g" % (key, diff))
      if diff != 0.0:
        raise RuntimeError(f"the saved preset does not reproduce the backbone ({key}: {diff})")
    if not np.array_equal(golden["hidden_states"][-1], golden["sequence_output"]):
      raise RuntimeError("the last transformer layer's output is not sequence_output")
    sens = wrong_heads_diff(loaded, inputs, golden)

    golden_json = {
        "schema": {
            "framework": "keras-hub BertBackbone.from_preset(folder), Keras backend tensorflow, "
                         "CPU, float32; tokenized by BertTokenizer.from_preset(folder) inside "
                         "BertTextClassifierPreprocessor(sequence_length=max_seq_length)",
            "sentences": fixture_tools.SENTENCES_SCHEMA,
            "inputs": "input_ids (token_ids), input_mask (padding_mask as 0/1), segment_ids: "
                      "int [batch, max_seq_length]",
            "pooled_output": "BertBackbone's pooled_output (pooled_dense, tanh), "
                             "float [batch, hidden]",
            "sequence_output": "BertBackbone's sequence_output, "
                               "float [batch, max_seq_length, hidden]",
            "hidden_states": "outputs of the backbone's layers embeddings_dropout, "
                             "transformer_layer_0..: float [num_layers + 1, batch, max_seq_length, "
                             "hidden]; hidden_states[-1] == sequence_output",
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
