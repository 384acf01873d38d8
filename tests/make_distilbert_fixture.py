"""Build the DistilBERT fixtures tests/fixtures/hf_distilbert/ and keras_hub_distilbert/.

Every folder is written by its toolchain's own save function (transformers' `save_pretrained`,
keras-hub's `save_to_preset`), never by hub_repro: a fixture written by our own code would prove
nothing about compatibility with the folders users hold. This script does not import hub_repro.

  hf_distilbert/  DistilBertModel(DistilBertConfig(vocab_size=109, dim=32, n_layers=2, n_heads=4,
                  hidden_dim=37, max_position_embeddings=64, activation="gelu",
                  sinusoidal_pos_embds=False)), save_pretrained (safetensors). DistilBertModel has
                  NO pooler and no token type embedding. Tokenizer: DistilBertTokenizer(vocab=
                  tests/fixtures/vocab.txt, do_lower_case=True).save_pretrained (tokenizer.json +
                  tokenizer_config.json; transformers 5 writes no vocab.txt), plus vocab.txt copied
                  beside them, as the Hub's distilbert/distilbert-base-uncased has both.
  keras_hub_distilbert/  DistilBertBackbone(vocabulary_size=109, num_layers=2, num_heads=4,
                  hidden_dim=32, intermediate_dim=37, max_sequence_length=64) +
                  DistilBertTokenizer(vocabulary=<vocab.txt>, lowercase=True), save_to_preset.
                  No pooled output either.

Each folder also holds golden.json (what its own toolchain computes on it for testutil.SENTENCES,
packed `[CLS] A [SEP]` and `[CLS] A [SEP] B [SEP]`, no token type ids) and README.md. The two
toolchains give the same ids (checked), and the ids of hf_bert_tokenizer_json (same vocab.txt).

Weights: transformers' own init under torch.manual_seed(SEED) with initializer_range=0.2, then
every bias and LayerNorm bias re-drawn from N(0, 0.1) and every LayerNorm weight from
1 + 0.1 N(0, 1) (torch.Generator seeded with SEED, sorted parameter names; DistilBERT's norms are
`sa_layer_norm` / `output_layer_norm`, found by module type). keras-hub: its own init, then every
weight re-drawn with numpy default_rng(SEED) in sorted-path order by
fixture_tools.redraw_keras_weights (kernels/embeddings N(0, 0.2), biases/betas N(0, 0.1), gammas
1 + 0.1 N(0, 1)).

Keras backend: tensorflow (KERAS_BACKEND is forced below), TF_ENABLE_ONEDNN_OPTS=0.

Run from the repo root, in the project's .venv (torch==2.13.0 CPU, transformers==5.24.0,
keras-hub==0.32.0, tensorflow==2.21.0):

    .venv/bin/python tests/make_distilbert_fixture.py

Idempotent: each folder is built in a temporary folder beside it and renamed into place. The same
versions give the same bytes, except keras_hub_distilbert/metadata.json ("date_saved").
"""

from __future__ import annotations

import os

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Plain Eigen kernels instead of oneDNN ones, as in make_google_fixture.py.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import json
import shutil

import keras
import keras_hub
import numpy as np
import tensorflow as tf
import torch
import transformers
from transformers import AutoTokenizer, DistilBertConfig, DistilBertModel, DistilBertTokenizer

import fixture_tools

SEED = 1234
VOCAB_PATH = os.path.join(fixture_tools.FIXTURES, "vocab.txt")
MAX_SEQ_LENGTH = 16

HF_CONFIG = dict(vocab_size=109, dim=32, n_layers=2, n_heads=4, hidden_dim=37,
                 max_position_embeddings=64, activation="gelu", sinusoidal_pos_embds=False,
                 initializer_range=0.2)
HF_WRONG = [dict(n_heads=2), dict(activation="gelu_new")]
KERAS_ARGS = dict(vocabulary_size=109, num_layers=2, num_heads=4, hidden_dim=32,
                  intermediate_dim=37, max_sequence_length=64)
WRONG_HEADS = 2

HF_PACKAGES = ["torch", "transformers", "tokenizers", "safetensors", "numpy"]
KERAS_PACKAGES = ["keras-hub", "keras", "tensorflow", "tensorflow-text", "numpy", "h5py"]


def max_diffs(out: dict, golden: dict, names=("sequence_output", "hidden_states")) -> dict:
  return {name: float("%.4g" % np.max(np.abs(out[name] - golden[name]))) for name in names}


# --- transformers ------------------------------------------------------------------------------


def build_hf_model(config: DistilBertConfig) -> DistilBertModel:
  """transformers' own init, then biases and LayerNorms re-drawn (see the module docstring)."""
  torch.manual_seed(SEED)
  model = DistilBertModel(config)
  norms = {name for name, module in model.named_modules()
           if isinstance(module, torch.nn.LayerNorm)}
  generator = torch.Generator().manual_seed(SEED)
  with torch.no_grad():
    for name, param in sorted(model.named_parameters()):
      module, _, kind = name.rpartition(".")
      if kind == "bias":
        param.copy_(0.1 * torch.randn(param.shape, generator=generator))
      elif module in norms and kind == "weight":
        param.copy_(1.0 + 0.1 * torch.randn(param.shape, generator=generator))
  return model.eval()


def hf_tokenize(tokenizer) -> dict[str, list[list[int]]]:
  """SENTENCES through the folder's own tokenizer, one call per example, padded to
  MAX_SEQ_LENGTH. DistilBertTokenizer returns no token_type_ids (model_input_names)."""
  rows = {"input_ids": [], "input_mask": []}
  for sentence in fixture_tools.SENTENCES:
    first, second = (sentence, None) if isinstance(sentence, str) else sentence
    enc = tokenizer(first, second, padding="max_length", max_length=MAX_SEQ_LENGTH,
                    truncation=True)
    if "token_type_ids" in enc:
      raise RuntimeError("DistilBertTokenizer returned token_type_ids")
    rows["input_ids"].append(list(enc["input_ids"]))
    rows["input_mask"].append(list(enc["attention_mask"]))
  return rows


def hf_run(model: DistilBertModel, inputs: dict) -> dict[str, np.ndarray]:
  with torch.no_grad():
    out = model(input_ids=torch.tensor(inputs["input_ids"]),
                attention_mask=torch.tensor(inputs["input_mask"]), output_hidden_states=True)
  if getattr(out, "pooler_output", None) is not None:
    raise RuntimeError("DistilBertModel returned a pooler_output")
  return {"sequence_output": out.last_hidden_state.numpy(),
          "hidden_states": np.stack([h.numpy() for h in out.hidden_states])}


def hf_sensitivity(model: DistilBertModel, inputs: dict, golden: dict) -> dict:
  """max |diff| of the outputs when the same weights run with a wrong config value."""
  sens = {}
  for wrong in HF_WRONG:
    other = DistilBertModel(DistilBertConfig(**dict(HF_CONFIG, **wrong)))
    other.load_state_dict(model.state_dict(), strict=True)
    key = ",".join("%s=%s" % kv for kv in wrong.items())
    sens[key] = max_diffs(hf_run(other.eval(), inputs), golden)
  return sens


HF_README = """\
# hf_distilbert: a tiny DistilBERT folder written by transformers' own save_pretrained

Generated by `tests/make_distilbert_fixture.py`; do not edit by hand. Nothing here was written by
hub_repro: `DistilBertModel.save_pretrained` wrote the model, `DistilBertTokenizer.save_pretrained`
the tokenizer; vocab.txt is a byte copy of tests/fixtures/vocab.txt.

Files (as transformers {transformers} writes them, plus vocab.txt, golden.json and this README):

{files}

- Model: `DistilBertModel(DistilBertConfig({config_args}))`, saved with `save_pretrained`
  (safetensors). DistilBERT's names: `embeddings.{{word,position}}_embeddings`,
  `embeddings.LayerNorm`, `transformer.layer.N.attention.{{q,k,v,out}}_lin`, `sa_layer_norm`,
  `ffn.lin1/lin2`, `output_layer_norm`; learned positions, exact-erf gelu, LayerNorm eps 1e-12.
  **No token type embedding** and **no pooler**: DistilBertModel returns `last_hidden_state` (and
  hidden states) only; there is no `pooled_output` in golden.json.
  (`DistilBertForSequenceClassification` puts its own `pre_classifier` Linear + ReLU on
  `last_hidden_state[:, 0]`; that head is not part of a DistilBertModel folder.)
- Tokenizer: `DistilBertTokenizer(vocab="tests/fixtures/vocab.txt", do_lower_case=True)
  .save_pretrained(dir)`: transformers 5 writes `tokenizer.json` + `tokenizer_config.json`
  (`"tokenizer_class": "DistilBertTokenizer"`) and no vocab.txt; `vocab.txt` is copied beside them
  (the Hub's distilbert-base-uncased has both). Packing `[CLS] A [SEP]`, `[CLS] A [SEP] B [SEP]`,
  `[PAD]` = 0, no token type ids (`model_input_names` = input_ids, attention_mask). The ids equal
  hf_bert_tokenizer_json's and keras_hub_distilbert's.
- Weights: transformers' own init under `torch.manual_seed({seed})` with `initializer_range=0.2`;
  then every bias (LayerNorm biases included) re-drawn from N(0, 0.1) and every LayerNorm weight
  from 1 + 0.1 N(0, 1) (torch.Generator seed {seed}, sorted parameter names).
- `golden.json`: what transformers computes on this folder (`DistilBertModel.from_pretrained` +
  `AutoTokenizer.from_pretrained`, eval mode, PyTorch CPU, float32): see its `schema` key.
  Outputs move this much with a wrong value (max |diff|):
  {sensitivity}

Regenerate (from the repo root; torch==2.13.0 transformers==5.24.0, in the project's .venv; the
script writes hf_distilbert and keras_hub_distilbert):

    .venv/bin/python tests/make_distilbert_fixture.py

Generated with: {versions}.
"""


# --- keras-hub ---------------------------------------------------------------------------------


def keras_encode(preprocessor) -> dict[str, list[list[int]]]:
  """SENTENCES through keras-hub's DistilBertTextClassifierPreprocessor, one call per example.
  x= because a positional 2-tuple would be unpacked as (x, y)."""
  rows = {"input_ids": [], "input_mask": []}
  for sentence in fixture_tools.SENTENCES:
    out = preprocessor(x=sentence if isinstance(sentence, str) else tuple(sentence))
    if set(out) != {"token_ids", "padding_mask"}:
      raise RuntimeError(f"the preprocessor returned {sorted(out)}")
    rows["input_ids"].append([int(v) for v in np.asarray(out["token_ids"])])
    rows["input_mask"].append([int(v) for v in np.asarray(out["padding_mask"])])
  return rows


def keras_run(backbone, inputs: dict) -> dict[str, np.ndarray]:
  """sequence_output as DistilBertBackbone returns it, and the hidden states read from its own
  functional graph: embeddings_dropout (after embeddings_layer_norm), transformer_layer_{i}."""
  feed = {"token_ids": np.array(inputs["input_ids"], np.int32),
          "padding_mask": np.array(inputs["input_mask"], np.int32)}
  layers = ["embeddings_dropout"] + [f"transformer_layer_{i}" for i in range(backbone.num_layers)]
  probe = keras.Model(backbone.inputs, {
      "sequence_output": backbone.output,
      "hidden_states": [backbone.get_layer(name).output for name in layers]})
  out = probe(feed, training=False)
  return {"sequence_output": np.asarray(out["sequence_output"]),
          "hidden_states": np.stack([np.asarray(h) for h in out["hidden_states"]])}


def keras_wrong_heads(backbone, inputs: dict, golden: dict) -> dict:
  """max |diff| when the same weights run with num_heads=WRONG_HEADS (kernels reshaped)."""
  other = keras_hub.models.DistilBertBackbone(**dict(KERAS_ARGS, num_heads=WRONG_HEADS))
  by_path = {v.path: v for v in backbone.weights}
  for variable in other.weights:
    variable.assign(np.reshape(np.asarray(by_path[variable.path]), tuple(variable.shape)))
  return {f"num_heads={WRONG_HEADS}": max_diffs(keras_run(other, inputs), golden)}


KERAS_README = """\
# keras_hub_distilbert: a tiny DistilBERT preset written by keras-hub's own save_to_preset

Generated by `tests/make_distilbert_fixture.py`; do not edit by hand. Nothing here was written by
hub_repro: `DistilBertBackbone.save_to_preset` and `DistilBertTokenizer.save_to_preset` wrote the
preset. Keras backend: **{backend}** (`KERAS_BACKEND=tensorflow`).

Files (as keras-hub {keras_hub} writes them, plus golden.json and this README):

{files}

- Backbone: `keras_hub.models.DistilBertBackbone({backbone_args})`: exact-erf gelu,
  layer_norm_epsilon 1e-12, learned positions, no segment input. Weights in `model.weights.h5`:
  `token_and_position_embedding` (token_embedding, position_embedding), `embeddings_layer_norm`,
  `transformer_layer_0..1`.
- **No pooled output**: the backbone returns `sequence_output` alone (a tensor).
  `DistilBertTextClassifier` builds its own head on `sequence_output[:, 0]` (Dense(hidden, relu)
  `pooled_dense`, then logits), part of the task model, not of a backbone preset.
- Tokenizer: `keras_hub.models.DistilBertTokenizer(vocabulary=<tests/fixtures/vocab.txt>,
  lowercase=True)`; `assets/tokenizer/vocabulary.txt` is byte-identical to vocab.txt. golden.json's
  inputs come from `DistilBertTextClassifierPreprocessor(sequence_length=16)`: `[CLS] A [SEP]`,
  `[CLS] A [SEP] B [SEP]`, `[PAD]` = 0, no segment ids; they equal hf_distilbert's.
- Weights: keras-hub's init, then every weight re-drawn with numpy `default_rng({seed})` in
  sorted-path order and `assign`ed: kernels/embeddings N(0, 0.2), biases and LayerNorm betas
  N(0, 0.1), LayerNorm gammas 1 + 0.1 N(0, 1).
- `golden.json`: what keras-hub computes on this preset (`DistilBertBackbone.from_preset` +
  `DistilBertTokenizer.from_preset`, float32, TF_ENABLE_ONEDNN_OPTS=0): see its `schema` key.
  Outputs move this much with a wrong head count (max |diff|):
  {sensitivity}

Regenerate (from the repo root; keras-hub==0.32.0 tensorflow==2.21.0 keras==3.15.1 and, for the
Hugging Face folder, torch==2.13.0 transformers==5.24.0):

    .venv/bin/python tests/make_distilbert_fixture.py

Generated with: {versions}.
"""


# --- main --------------------------------------------------------------------------------------


def make_hf() -> dict:
  vers = fixture_tools.versions(HF_PACKAGES)
  name = "hf_distilbert"
  out_dir = os.path.join(fixture_tools.FIXTURES, name)
  with fixture_tools.staged_folder(out_dir) as work:
    model = build_hf_model(DistilBertConfig(**HF_CONFIG))
    model.save_pretrained(work)
    tokenizer = DistilBertTokenizer(vocab=VOCAB_PATH, do_lower_case=True)
    if len(tokenizer) != HF_CONFIG["vocab_size"]:
      raise RuntimeError(f"DistilBertTokenizer has {len(tokenizer)} tokens")
    tokenizer.save_pretrained(work)
    shutil.copyfile(VOCAB_PATH, os.path.join(work, "vocab.txt"))
    files = sorted(os.listdir(work))
    expected = ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                "vocab.txt"]
    if files != expected:
      raise RuntimeError(f"{name}: transformers wrote {files}, expected {expected}")

    loaded, info = DistilBertModel.from_pretrained(work, output_loading_info=True)
    problems = {k: v for k, v in info.items() if v}
    if problems:
      raise RuntimeError(f"from_pretrained reported {problems}")
    loaded.eval()
    loaded_tokenizer = AutoTokenizer.from_pretrained(work)
    if type(loaded_tokenizer).__name__ != "DistilBertTokenizer":
      raise RuntimeError(f"AutoTokenizer loaded a {type(loaded_tokenizer).__name__}")
    inputs = hf_tokenize(loaded_tokenizer)
    golden = hf_run(loaded, inputs)
    for key, value in hf_run(model, inputs).items():
      if not np.array_equal(value, golden[key]):
        raise RuntimeError(f"{name}: the saved folder does not reproduce the model ({key})")
    if not np.array_equal(golden["hidden_states"][-1], golden["sequence_output"]):
      raise RuntimeError("the last hidden state is not sequence_output")
    sens = hf_sensitivity(loaded, inputs, golden)
    fixture_tools.write_json(os.path.join(work, "golden.json"), {
        "schema": {
            "framework": "transformers DistilBertModel.from_pretrained(folder), eval mode, "
                         "PyTorch CPU, float32; tokenized by AutoTokenizer.from_pretrained(folder) "
                         "(DistilBertTokenizer)",
            "sentences": fixture_tools.SENTENCES_SCHEMA,
            "inputs": "input_ids, input_mask (attention_mask): int [batch, max_seq_length]; "
                      "`[CLS] A [SEP]` / `[CLS] A [SEP] B [SEP]`, padded with [PAD] = 0. No "
                      "segment_ids: DistilBERT has no token type embedding",
            "pooled_output": "absent: DistilBertModel has no pooler",
            "sequence_output": "last_hidden_state, float [batch, max_seq_length, hidden]",
            "hidden_states": "output_hidden_states: the embedding output, then each layer's "
                             "output, float [num_layers + 1, batch, max_seq_length, hidden]; "
                             "hidden_states[-1] == sequence_output",
            "floats": fixture_tools.FLOATS_SCHEMA,
            "sensitivity": "max |diff| of the outputs if the same weights ran with a wrong value",
        },
        "framework": "transformers",
        "config": HF_CONFIG,
        "sentences": fixture_tools.sentences_as_stored(),
        "max_seq_length": MAX_SEQ_LENGTH,
        "inputs": inputs,
        "sequence_output": fixture_tools.float32_list(golden["sequence_output"]),
        "hidden_states": fixture_tools.float32_list(golden["hidden_states"]),
        "sensitivity": sens,
        "versions": vers,
    })
    fixture_tools.write_text(os.path.join(work, "README.md"), HF_README.format(
        transformers=vers["transformers"], files=fixture_tools.file_rows(work, 24),
        config_args=fixture_tools.call_args(HF_CONFIG), seed=SEED,
        sensitivity=fixture_tools.sensitivity_line(sens),
        versions=fixture_tools.versions_line(vers)))
    fixture_tools.check_no_paths(work, name)
  fixture_tools.print_listing(out_dir, 24)
  print("  inputs: %s" % json.dumps(inputs["input_ids"]))
  print("  sensitivity: %s" % json.dumps(sens))
  return inputs


def make_keras_hub() -> dict:
  vers = dict(fixture_tools.versions(KERAS_PACKAGES), keras_backend=keras.backend.backend())
  if vers["keras_backend"] != "tensorflow":
    raise RuntimeError(f"Keras backend is {vers['keras_backend']}, expected tensorflow")
  name = "keras_hub_distilbert"
  out_dir = os.path.join(fixture_tools.FIXTURES, name)
  with fixture_tools.staged_folder(out_dir) as work:
    keras.utils.set_random_seed(SEED)
    backbone = keras_hub.models.DistilBertBackbone(**KERAS_ARGS)
    fixture_tools.redraw_keras_weights(backbone.weights, np.random.default_rng(SEED))
    tokenizer = keras_hub.models.DistilBertTokenizer(
        vocabulary=fixture_tools.read_lines(VOCAB_PATH), lowercase=True)
    backbone.save_to_preset(work)
    tokenizer.save_to_preset(work)
    written = sorted(rel for rel, _, _ in fixture_tools.tree_listing(work))
    expected = ["assets/tokenizer/vocabulary.txt", "config.json", "metadata.json",
                "model.weights.h5", "tokenizer.json"]
    if written != expected:
      raise RuntimeError(f"keras-hub wrote {written}, expected {expected}")

    loaded = keras_hub.models.DistilBertBackbone.from_preset(work)
    preprocessor = keras_hub.models.DistilBertTextClassifierPreprocessor(
        keras_hub.models.DistilBertTokenizer.from_preset(work), sequence_length=MAX_SEQ_LENGTH)
    inputs = keras_encode(preprocessor)
    golden = keras_run(loaded, inputs)
    for key, value in keras_run(backbone, inputs).items():
      if not np.array_equal(value, golden[key]):
        raise RuntimeError(f"the saved preset does not reproduce the backbone ({key})")
    if not np.array_equal(golden["hidden_states"][-1], golden["sequence_output"]):
      raise RuntimeError("the last transformer layer's output is not sequence_output")
    sens = keras_wrong_heads(loaded, inputs, golden)
    fixture_tools.write_json(os.path.join(work, "golden.json"), {
        "schema": {
            "framework": "keras-hub DistilBertBackbone.from_preset(folder), Keras backend "
                         "tensorflow, CPU, float32; tokenized by "
                         "DistilBertTokenizer.from_preset(folder) inside "
                         "DistilBertTextClassifierPreprocessor(sequence_length=max_seq_length)",
            "sentences": fixture_tools.SENTENCES_SCHEMA,
            "inputs": "input_ids (token_ids), input_mask (padding_mask as 0/1): "
                      "int [batch, max_seq_length]; no segment_ids (no segment input)",
            "pooled_output": "absent: DistilBertBackbone returns sequence_output only",
            "sequence_output": "the backbone's output, float [batch, max_seq_length, hidden]",
            "hidden_states": "outputs of the backbone's layers embeddings_dropout (after "
                             "embeddings_layer_norm), transformer_layer_0..: float "
                             "[num_layers + 1, batch, max_seq_length, hidden]; "
                             "hidden_states[-1] == sequence_output",
            "floats": fixture_tools.FLOATS_SCHEMA,
            "sensitivity": "max |diff| of the outputs if the same weights ran with a wrong value",
        },
        "framework": "keras-hub",
        "config": KERAS_ARGS,
        "sentences": fixture_tools.sentences_as_stored(),
        "max_seq_length": MAX_SEQ_LENGTH,
        "inputs": inputs,
        "sequence_output": fixture_tools.float32_list(golden["sequence_output"]),
        "hidden_states": fixture_tools.float32_list(golden["hidden_states"]),
        "sensitivity": sens,
        "versions": vers,
    })
    fixture_tools.write_text(os.path.join(work, "README.md"), KERAS_README.format(
        backend=vers["keras_backend"], keras_hub=vers["keras-hub"],
        files=fixture_tools.file_rows(work, 34),
        backbone_args=fixture_tools.call_args(KERAS_ARGS), seed=SEED,
        sensitivity=fixture_tools.sensitivity_line(sens),
        versions=fixture_tools.versions_line(vers)))
    fixture_tools.check_no_paths(work, name)
  fixture_tools.print_listing(out_dir, 34)
  print("  inputs: %s" % json.dumps(inputs["input_ids"]))
  print("  sensitivity: %s" % json.dumps(sens))
  return inputs


def main() -> None:
  torch.set_num_threads(1)  # small and deterministic; the machine is shared
  tf.config.threading.set_intra_op_parallelism_threads(1)
  tf.config.threading.set_inter_op_parallelism_threads(1)
  transformers.logging.set_verbosity_error()
  transformers.utils.logging.disable_progress_bar()
  hf_inputs = make_hf()
  keras_inputs = make_keras_hub()
  if hf_inputs != keras_inputs:
    raise RuntimeError(f"transformers and keras-hub tokenize differently: {hf_inputs} vs "
                       f"{keras_inputs}")


if __name__ == "__main__":
  main()
