"""Build the keras-hub ELECTRA fixture tests/fixtures/keras_hub_electra/.

The folder is written by keras-hub itself (`ElectraBackbone.save_to_preset` and
`ElectraTokenizer.save_to_preset`), never by hub_repro: a fixture written by our own code would prove
nothing about compatibility with the presets users hold. This script does not import hub_repro.

  keras_hub_electra/  ElectraBackbone(vocab_size=109, num_layers=2, num_heads=4, hidden_dim=32,
                      embedding_dim=16, intermediate_dim=64, max_sequence_length=64,
                      num_segments=2): embedding_dim 16 < hidden_dim 32, so it has
                      `embeddings_projection`; and its `pooled_dense` (Dense(32, tanh) on
                      sequence_output[:, 0]); ElectraTokenizer(vocabulary=<tests/fixtures/vocab.txt>,
                      lowercase=True): config.json, metadata.json, model.weights.h5, tokenizer.json,
                      assets/tokenizer/vocabulary.txt; plus golden.json (what keras-hub computes on
                      this preset for testutil.SENTENCES) and README.md (exact versions, command).
                      keras-hub 0.32 has no Electra preprocessor class: the inputs are packed by
                      keras_hub.layers.MultiSegmentPacker as BertTextClassifierPreprocessor packs.

Keras backend: tensorflow (KERAS_BACKEND is forced to "tensorflow" below).

Weights: keras-hub's own init (BERT's 0.02 scale; attention would be nearly uniform and a wrong
head count would barely show), then every weight re-drawn with numpy default_rng(SEED) in
sorted-path order and `assign`ed before saving: kernels and embedding tables N(0, 0.2), biases and
LayerNorm betas N(0, 0.1), LayerNorm gammas 1 + 0.1 N(0, 1) (the scheme of make_hf_fixtures.py).

Run from the repo root, in the project's .venv (requirements.txt has the whole stack):

    .venv/bin/python tests/make_keras_hub_electra_fixture.py

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
NAME = "keras_hub_electra"
OUT_DIR = os.path.join(fixture_tools.FIXTURES, NAME)

MAX_SEQ_LENGTH = 16

BACKBONE_ARGS = dict(vocab_size=109, num_layers=2, num_heads=4, hidden_dim=32, embedding_dim=16,
                     intermediate_dim=64, max_sequence_length=64, num_segments=2)
WRONG_HEADS = 2

PACKAGES = ["keras-hub", "keras", "tensorflow", "tensorflow-text", "numpy", "h5py"]


def encode(tokenizer) -> dict[str, list[list[int]]]:
  """testutil.SENTENCES through the preset's own ElectraTokenizer and keras-hub's
  MultiSegmentPacker, configured as BertTextClassifierPreprocessor configures it ([CLS] a [SEP]
  b [SEP], round-robin truncation, padded with [PAD] to MAX_SEQ_LENGTH), one call per example."""
  packer = keras_hub.layers.MultiSegmentPacker(
      start_value=tokenizer.cls_token_id, end_value=tokenizer.sep_token_id,
      pad_value=tokenizer.pad_token_id, truncate="round_robin", sequence_length=MAX_SEQ_LENGTH)
  rows = {"input_ids": [], "input_mask": [], "segment_ids": []}
  for sentence in fixture_tools.SENTENCES:
    parts = [sentence] if isinstance(sentence, str) else list(sentence)
    token_ids, segment_ids = packer(tuple(tokenizer(part) for part in parts))
    token_ids = [int(v) for v in np.asarray(token_ids)]
    rows["input_ids"].append(token_ids)
    rows["input_mask"].append([int(v != tokenizer.pad_token_id) for v in token_ids])
    rows["segment_ids"].append([int(v) for v in np.asarray(segment_ids)])
  return rows


def run(backbone, inputs: dict) -> dict[str, np.ndarray]:
  """pooled/sequence output as ElectraBackbone returns them, and the hidden states read from the
  backbone's own functional graph (it does not return them): the output of embeddings_projection
  (16 -> 32) and of each transformer_layer_{i}."""
  feed = {"token_ids": np.array(inputs["input_ids"], np.int32),
          "segment_ids": np.array(inputs["segment_ids"], np.int32),
          "padding_mask": np.array(inputs["input_mask"], np.int32)}
  layers = ["embeddings_projection"] + [f"transformer_layer_{i}"
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
  other = keras_hub.models.ElectraBackbone(**dict(BACKBONE_ARGS, num_heads=WRONG_HEADS))
  by_path = {v.path: v for v in backbone.weights}
  for variable in other.weights:
    variable.assign(np.reshape(np.asarray(by_path[variable.path]), tuple(variable.shape)))
  out = run(other, inputs)
  return {f"num_heads={WRONG_HEADS}": {
      name: float("%.4g" % np.max(np.abs(out[name] - golden[name])))
      for name in ("pooled_output", "sequence_output")}}


README = """\
# keras_hub_electra: a tiny ELECTRA preset written by keras-hub's own save_to_preset

Generated by `tests/make_keras_hub_electra_fixture.py`; do not edit by hand. Nothing here was
written by hub_repro: `ElectraBackbone.save_to_preset` and `ElectraTokenizer.save_to_preset` wrote
the preset. Keras backend: **{backend}** (`KERAS_BACKEND=tensorflow`).

Files (as keras-hub {keras_hub} writes them, plus golden.json and this README):

{files}

- Backbone: `keras_hub.models.ElectraBackbone({backbone_args})` (dropout left at its default 0.1;
  inference ignores it). `config.json` is Keras' serialized layer (`"class_name":
  "ElectraBackbone"`) with the constructor arguments under `"config"`; no activation key
  (keras-hub's ELECTRA always uses the tanh-approximate gelu, layer_norm_epsilon 1e-12). Weights in
  `model.weights.h5` under Keras paths: `token_embedding`, `position_embedding`,
  `segment_embedding` (width 16), `embeddings_layer_norm`, `embeddings_projection` (Dense 16 -> 32,
  present because embedding_dim != hidden_dim), `transformer_layer_0..1`, and `pooled_dense`.
- pooled_output: keras-hub's ElectraBackbone computes `pooled_dense(sequence_output[:, 0])`, a
  Dense(32) with **tanh**, i.e. a BERT-style pooler (its weights here are random). This differs from
  Google's TF1 ELECTRA code, whose "pooled" output is `sequence_output[:, 0]` itself, and from
  TF-Hub's `google/electra_*/2`, whose pooler is a Dense initialised to the identity.
- Tokenizer: `keras_hub.models.ElectraTokenizer(vocabulary=<the lines of tests/fixtures/vocab.txt>,
  lowercase=True)`; `tokenizer.json` is its serialized config, the vocabulary is
  `assets/tokenizer/vocabulary.txt` (byte-identical to vocab.txt). keras-hub 0.32 has no ELECTRA
  preprocessor, so golden.json's inputs are packed by `keras_hub.layers.MultiSegmentPacker` the way
  BertTextClassifierPreprocessor packs (`[CLS] a [SEP] b [SEP]`, `[PAD]` = 0).
- Weights: keras-hub's init, then every weight re-drawn with numpy `default_rng({seed})` in
  sorted-path order and `assign`ed: kernels/embeddings N(0, 0.2), biases and LayerNorm betas
  N(0, 0.1), LayerNorm gammas 1 + 0.1 N(0, 1).
- `golden.json`: what keras-hub computes on this preset (`ElectraBackbone.from_preset` +
  `ElectraTokenizer.from_preset`, float32, TF_ENABLE_ONEDNN_OPTS=0): see its `schema` key.
  Outputs move this much with a wrong head count (max |diff|):
  {sensitivity}

Regenerate (from the repo root; keras-hub==0.32.0 tensorflow==2.21.0 keras==3.15.1, in
requirements.txt):

    .venv/bin/python tests/make_keras_hub_electra_fixture.py

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
    backbone = keras_hub.models.ElectraBackbone(**BACKBONE_ARGS)
    fixture_tools.redraw_keras_weights(backbone.weights, np.random.default_rng(SEED))
    vocabulary = fixture_tools.read_lines(VOCAB_PATH)
    tokenizer = keras_hub.models.ElectraTokenizer(vocabulary=vocabulary, lowercase=True)
    backbone.save_to_preset(work)
    tokenizer.save_to_preset(work)
    written = sorted(rel for rel, _, _ in fixture_tools.tree_listing(work))
    expected = ["assets/tokenizer/vocabulary.txt", "config.json", "metadata.json",
                "model.weights.h5", "tokenizer.json"]
    if written != expected:
      raise RuntimeError(f"keras-hub wrote {written}, expected {expected}")

    # The golden numbers come from the preset as a user would load it.
    loaded = keras_hub.models.ElectraBackbone.from_preset(work)
    loaded_tokenizer = keras_hub.models.ElectraTokenizer.from_preset(work)
    if "embeddings_projection" not in [layer.name for layer in loaded.layers]:
      raise RuntimeError("ElectraBackbone has no embeddings_projection")
    inputs = encode(loaded_tokenizer)
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
            "framework": "keras-hub ElectraBackbone.from_preset(folder), Keras backend "
                         "tensorflow, CPU, float32; tokenized by "
                         "ElectraTokenizer.from_preset(folder), packed by "
                         "keras_hub.layers.MultiSegmentPacker(sequence_length=max_seq_length)",
            "sentences": fixture_tools.SENTENCES_SCHEMA,
            "inputs": "input_ids (token_ids), input_mask (padding_mask as 0/1), segment_ids: "
                      "int [batch, max_seq_length]",
            "pooled_output": "ElectraBackbone's pooled_output: pooled_dense (Dense, tanh) on "
                             "sequence_output[:, 0], float [batch, hidden]",
            "sequence_output": "ElectraBackbone's sequence_output, "
                               "float [batch, max_seq_length, hidden]",
            "hidden_states": "outputs of the backbone's layers embeddings_projection, "
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
