"""Build the XLM-R fixtures tests/fixtures/hf_xlm_roberta/ and keras_hub_xlm_roberta/.

Every folder is written by its toolchain's own save function (`sentencepiece`'s trainer,
transformers' `save_pretrained`, keras-hub's `save_to_preset`), never by hub_repro: a fixture
written by our own code would prove nothing about compatibility with the folders users hold. This
script does not import hub_repro.

  SentencePiece   a unigram model trained by `sentencepiece` on tests/fixtures/albert_spm/train.txt
                  with sentencepiece's default special pieces, as XLM-R's own
                  `sentencepiece.bpe.model` (a unigram model despite its name): <unk> 0, <s> 1,
                  </s> 2, no <pad>; vocab 400. Both folders use it.
  hf_xlm_roberta/ XLMRobertaModel(XLMRobertaConfig(vocab_size=402, hidden_size=32,
                  num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
                  max_position_embeddings=66, type_vocab_size=1, layer_norm_eps=1e-5,
                  pad_token_id=1, ...)) with its pooler, save_pretrained (safetensors);
                  XLMRobertaTokenizer.from_pretrained(<sentencepiece.bpe.model>).save_pretrained
                  (tokenizer.json + tokenizer_config.json; transformers 5 writes no .model), plus
                  the model file itself beside them, as the Hub's FacebookAI/xlm-roberta-base has
                  both. Ids follow fairseq: <s> 0, <pad> 1, </s> 2, <unk> 3, every other piece its
                  SentencePiece id + 1, <mask> last (401): 402 tokens.
  keras_hub_xlm_roberta/  XLMRobertaBackbone(vocabulary_size=402, num_layers=2, num_heads=4,
                  hidden_dim=32, intermediate_dim=37, max_sequence_length=64) +
                  XLMRobertaTokenizer(proto=<the same model>), save_to_preset. No pooled output.

Each folder also holds golden.json (what its own toolchain computes on it for testutil.SENTENCES,
packed `<s> A </s>` and `<s> A </s></s> B </s>`, no token type ids) and README.md.

Weights: as make_roberta_fixture.py (transformers' init with initializer_range=0.2 then biases and
LayerNorms re-drawn; keras-hub's init then every weight re-drawn with numpy default_rng(SEED)).

Keras backend: tensorflow (KERAS_BACKEND is forced below), TF_ENABLE_ONEDNN_OPTS=0.

Run from the repo root, in the project's .venv (torch==2.13.0 CPU, transformers==5.24.0,
sentencepiece==0.2.3, keras-hub==0.32.0, tensorflow==2.21.0), after make_albert_spm_fixture.py:

    .venv/bin/python tests/make_xlm_roberta_fixture.py

Idempotent: each folder is built in a temporary folder beside it and renamed into place. The same
versions give the same bytes, except keras_hub_xlm_roberta/metadata.json ("date_saved").
"""

from __future__ import annotations

import os

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Plain Eigen kernels instead of oneDNN ones, as in make_google_fixture.py.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import json
import shutil
import tempfile

import keras
import keras_hub
import numpy as np
import sentencepiece as spm
import tensorflow as tf
import torch
import transformers
from transformers import AutoTokenizer, XLMRobertaConfig, XLMRobertaModel, XLMRobertaTokenizer

import fixture_tools

SEED = 1234
TRAIN_TEXT = os.path.join(fixture_tools.FIXTURES, "albert_spm", "train.txt")
SPM_NAME = "sentencepiece.bpe.model"
MAX_SEQ_LENGTH = 16

# sentencepiece's defaults for the special pieces (unk 0, bos 1, eos 2, no pad), as XLM-R's model.
SPM_ARGS = dict(vocab_size=400, model_type="unigram", character_coverage=0.99995,
                shuffle_input_sentence=False, num_threads=1)
CLS, PAD, SEP, UNK = 0, 1, 2, 3  # fairseq's dictionary: <s> <pad> </s> <unk>

HF_CONFIG = dict(vocab_size=402, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                 intermediate_size=37, hidden_act="gelu", max_position_embeddings=66,
                 type_vocab_size=1, layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0,
                 eos_token_id=2, initializer_range=0.2)
HF_WRONG = [dict(num_attention_heads=2), dict(hidden_act="gelu_new")]
KERAS_ARGS = dict(vocabulary_size=402, num_layers=2, num_heads=4, hidden_dim=32,
                  intermediate_dim=37, max_sequence_length=64)
WRONG_HEADS = 2

HF_PACKAGES = ["torch", "transformers", "tokenizers", "safetensors", "sentencepiece", "numpy"]
KERAS_PACKAGES = ["keras-hub", "keras", "tensorflow", "tensorflow-text", "sentencepiece", "numpy",
                  "h5py"]


# --- the tokenizer ---------------------------------------------------------------------------


def train_spm(out_dir: str) -> spm.SentencePieceProcessor:
  """sentencepiece trained on TRAIN_TEXT into out_dir/SPM_NAME. Trained from inside out_dir with
  relative names, so the trainer spec stored in the model holds no path of this machine."""
  shutil.copyfile(TRAIN_TEXT, os.path.join(out_dir, "train.txt"))
  cwd = os.getcwd()
  os.chdir(out_dir)
  try:
    spm.SentencePieceTrainer.train(input="train.txt", model_prefix=SPM_NAME[:-len(".model")],
                                   minloglevel=2, **SPM_ARGS)
  finally:
    os.chdir(cwd)
  os.remove(os.path.join(out_dir, "train.txt"))
  sp = spm.SentencePieceProcessor(model_file=os.path.join(out_dir, SPM_NAME))
  pieces = [sp.id_to_piece(i) for i in range(3)]
  if pieces != ["<unk>", "<s>", "</s>"] or sp.pad_id() != -1:
    raise RuntimeError(f"special pieces {pieces}, pad id {sp.pad_id()}")
  return sp


def fairseq_ids(sp: spm.SentencePieceProcessor, text: str) -> list[int]:
  """SentencePiece's ids shifted into fairseq's dictionary (+1; <unk> 0 becomes 3)."""
  return [UNK if i == sp.unk_id() else i + 1 for i in sp.encode(text)]


def check_ids(input_ids: list[list[int]], sp: spm.SentencePieceProcessor, who: str) -> None:
  """Each row is `<s> A </s>` or `<s> A </s></s> B </s>` in fairseq ids, then <pad>."""
  for row, sentence in zip(input_ids, fixture_tools.SENTENCES):
    parts = [sentence] if isinstance(sentence, str) else list(sentence)
    expected = [CLS]
    for i, part in enumerate(parts):
      expected += ([SEP] if i else []) + fairseq_ids(sp, part) + [SEP]
    expected += [PAD] * (MAX_SEQ_LENGTH - len(expected))
    if row != expected:
      raise RuntimeError(f"{who} gave {row} for {sentence!r}, sentencepiece {expected}")


def hf_tokenize(tokenizer) -> dict[str, list[list[int]]]:
  """SENTENCES through the folder's own tokenizer, one call per example, padded to
  MAX_SEQ_LENGTH. XLMRobertaTokenizer returns no token_type_ids (model_input_names)."""
  rows = {"input_ids": [], "input_mask": []}
  for sentence in fixture_tools.SENTENCES:
    first, second = (sentence, None) if isinstance(sentence, str) else sentence
    enc = tokenizer(first, second, padding="max_length", max_length=MAX_SEQ_LENGTH,
                    truncation=True)
    if "token_type_ids" in enc:
      raise RuntimeError("XLMRobertaTokenizer returned token_type_ids")
    rows["input_ids"].append(list(enc["input_ids"]))
    rows["input_mask"].append(list(enc["attention_mask"]))
  return rows


def keras_encode(preprocessor) -> dict[str, list[list[int]]]:
  """SENTENCES through keras-hub's XLMRobertaTextClassifierPreprocessor, one call per example.
  x= because a positional 2-tuple would be unpacked as (x, y)."""
  rows = {"input_ids": [], "input_mask": []}
  for sentence in fixture_tools.SENTENCES:
    out = preprocessor(x=sentence if isinstance(sentence, str) else tuple(sentence))
    if set(out) != {"token_ids", "padding_mask"}:
      raise RuntimeError(f"the preprocessor returned {sorted(out)}")
    rows["input_ids"].append([int(v) for v in np.asarray(out["token_ids"])])
    rows["input_mask"].append([int(v) for v in np.asarray(out["padding_mask"])])
  return rows


def max_diffs(out: dict, golden: dict, names=("pooled_output", "sequence_output")) -> dict:
  return {name: float("%.4g" % np.max(np.abs(out[name] - golden[name]))) for name in names}


# --- transformers ------------------------------------------------------------------------------


def build_hf_model(config: XLMRobertaConfig) -> XLMRobertaModel:
  """transformers' own init, then biases and LayerNorms re-drawn (see make_roberta_fixture.py)."""
  torch.manual_seed(SEED)
  model = XLMRobertaModel(config, add_pooling_layer=True)
  generator = torch.Generator().manual_seed(SEED)
  with torch.no_grad():
    for name, param in sorted(model.named_parameters()):
      if name.endswith(".bias"):
        param.copy_(0.1 * torch.randn(param.shape, generator=generator))
      elif "LayerNorm" in name and name.endswith(".weight"):
        param.copy_(1.0 + 0.1 * torch.randn(param.shape, generator=generator))
  return model.eval()


def hf_run(model: XLMRobertaModel, inputs: dict, position_ids=None) -> dict[str, np.ndarray]:
  with torch.no_grad():
    out = model(input_ids=torch.tensor(inputs["input_ids"]),
                attention_mask=torch.tensor(inputs["input_mask"]),
                position_ids=position_ids, output_hidden_states=True)
  return {"pooled_output": out.pooler_output.numpy(),
          "sequence_output": out.last_hidden_state.numpy(),
          "hidden_states": np.stack([h.numpy() for h in out.hidden_states])}


def hf_sensitivity(model: XLMRobertaModel, inputs: dict, golden: dict) -> dict:
  """max |diff| of the outputs when the same weights run with a wrong config value, and with
  position ids counted from 0 instead of from padding_idx + 1."""
  sens = {}
  for wrong in HF_WRONG:
    other = XLMRobertaModel(XLMRobertaConfig(**dict(HF_CONFIG, **wrong)), add_pooling_layer=True)
    other.load_state_dict(model.state_dict(), strict=True)
    key = ",".join("%s=%s" % kv for kv in wrong.items())
    sens[key] = max_diffs(hf_run(other.eval(), inputs), golden)
  positions = torch.arange(MAX_SEQ_LENGTH).expand(len(inputs["input_ids"]), -1)
  sens["position_ids=arange(seq_length)"] = max_diffs(hf_run(model, inputs, positions), golden)
  return sens


HF_README = """\
# hf_xlm_roberta: a tiny XLM-R folder written by transformers' own save_pretrained

Generated by `tests/make_xlm_roberta_fixture.py`; do not edit by hand. Nothing here was written by
hub_repro: `XLMRobertaModel.save_pretrained` wrote the model, `XLMRobertaTokenizer.save_pretrained`
tokenizer.json + tokenizer_config.json, and `sentencepiece`'s trainer sentencepiece.bpe.model.

Files (as transformers {transformers} and sentencepiece {sentencepiece} write them, plus
golden.json and this README):

{files}

- Model: `XLMRobertaModel(XLMRobertaConfig({config_args}), add_pooling_layer=True)`, saved with
  `save_pretrained` (safetensors). The RoBERTa architecture: position ids start at
  `padding_idx + 1` = 2 (66 = 64 + 2 positions, as xlm-roberta-base's 514), one-row
  `token_type_embeddings` added to every token, layer_norm_eps 1e-5, exact-erf gelu.
- pooled_output: `pooler_output = tanh(pooler.dense(sequence_output[:, 0]))`; `pooler.dense.*` are
  in model.safetensors (random weights, like the rest).
- Tokenizer: `sentencepiece.bpe.model` is a unigram SentencePiece model (as XLM-R's own, despite
  the name) trained by `SentencePieceTrainer.train(input="train.txt", model_prefix=
  "sentencepiece.bpe", {spm_args})` on tests/fixtures/albert_spm/train.txt, with sentencepiece's
  default special pieces: `<unk>` 0, `<s>` 1, `</s>` 2, no `<pad>`.
  `XLMRobertaTokenizer.from_pretrained(<a folder holding it>).save_pretrained(dir)` wrote
  `tokenizer.json` (a Unigram model with fairseq's ids) + `tokenizer_config.json`, and in
  transformers 5 no .model file; the model file is copied beside them (the Hub's
  FacebookAI/xlm-roberta-base has both). **fairseq's id offset**: `<s>` 0, `<pad>` 1, `</s>` 2,
  `<unk>` 3, then SentencePiece id + 1 for every other piece, `<mask>` = 401 last: 402 tokens =
  vocab_size. (`tokenizer_config.json` says `"unk_id": 0`, SentencePiece's id; the tokenizer still
  maps unknown text to 3.) Packing: `<s> A </s>`, `<s> A </s></s> B </s>`, no token type ids. The
  generator checks the ids against sentencepiece's own, shifted.
- Weights: transformers' own init under `torch.manual_seed({seed})` with `initializer_range=0.2`;
  then every bias (LayerNorm biases included) re-drawn from N(0, 0.1) and every LayerNorm weight
  from 1 + 0.1 N(0, 1) (torch.Generator seed {seed}, sorted parameter names).
- `golden.json`: what transformers computes on this folder (`XLMRobertaModel.from_pretrained` +
  `AutoTokenizer.from_pretrained`, eval mode, PyTorch CPU, float32): see its `schema` key.
  Outputs move this much with a wrong value (max |diff|):
  {sensitivity}

Regenerate (from the repo root; torch==2.13.0 transformers==5.24.0 sentencepiece==0.2.3, in the
project's .venv; the script writes hf_xlm_roberta and keras_hub_xlm_roberta):

    .venv/bin/python tests/make_xlm_roberta_fixture.py

Generated with: {versions}.
"""


# --- keras-hub ---------------------------------------------------------------------------------


def keras_run(backbone, inputs: dict) -> dict[str, np.ndarray]:
  """sequence_output as XLMRobertaBackbone returns it, and the hidden states read from its own
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
  other = keras_hub.models.XLMRobertaBackbone(**dict(KERAS_ARGS, num_heads=WRONG_HEADS))
  by_path = {v.path: v for v in backbone.weights}
  for variable in other.weights:
    variable.assign(np.reshape(np.asarray(by_path[variable.path]), tuple(variable.shape)))
  return {f"num_heads={WRONG_HEADS}": max_diffs(keras_run(other, inputs), golden,
                                                ("sequence_output", "hidden_states"))}


KERAS_README = """\
# keras_hub_xlm_roberta: a tiny XLM-R preset written by keras-hub's own save_to_preset

Generated by `tests/make_xlm_roberta_fixture.py`; do not edit by hand. Nothing here was written by
hub_repro: `XLMRobertaBackbone.save_to_preset` and `XLMRobertaTokenizer.save_to_preset` wrote the
preset. Keras backend: **{backend}** (`KERAS_BACKEND=tensorflow`).

Files (as keras-hub {keras_hub} writes them, plus golden.json and this README):

{files}

- Backbone: `keras_hub.models.XLMRobertaBackbone({backbone_args})` (a RobertaBackbone subclass:
  exact-erf gelu, layer_norm_epsilon 1e-5, position ids 0..S-1, no token type embedding).
  Weights in `model.weights.h5`: `embeddings` (token_embedding, position_embedding),
  `embeddings_layer_norm`, `transformer_layer_0..1`.
- **No pooled output**: the backbone returns `sequence_output` alone (a tensor).
  `XLMRobertaTextClassifier` builds its own head on `sequence_output[:, 0]` (Dense(hidden, tanh)
  `pooled_dense`, then logits), part of the task model, not of a backbone preset.
- Tokenizer: `keras_hub.models.XLMRobertaTokenizer(proto=<sentencepiece.bpe.model>)`, the model
  trained for hf_xlm_roberta (byte-identical copy in `assets/tokenizer/vocabulary.spm`).
  keras-hub applies fairseq's offset itself: `<s>` 0, `<pad>` 1, `</s>` 2, `<unk>` 3, piece + 1,
  `<mask>` 401 (`vocabulary_size()` 402). golden.json's inputs come from
  `XLMRobertaTextClassifierPreprocessor(sequence_length=16)`: `<s> A </s>`,
  `<s> A </s></s> B </s>`, `<pad>` = 1, no segment ids; they equal hf_xlm_roberta's.
- Weights: keras-hub's init, then every weight re-drawn with numpy `default_rng({seed})` in
  sorted-path order and `assign`ed: kernels/embeddings N(0, 0.2), biases and LayerNorm betas
  N(0, 0.1), LayerNorm gammas 1 + 0.1 N(0, 1).
- `golden.json`: what keras-hub computes on this preset (`XLMRobertaBackbone.from_preset` +
  `XLMRobertaTokenizer.from_preset`, float32, TF_ENABLE_ONEDNN_OPTS=0): see its `schema` key.
  Outputs move this much with a wrong head count (max |diff|):
  {sensitivity}

Regenerate (from the repo root; keras-hub==0.32.0 tensorflow==2.21.0 keras==3.15.1
sentencepiece==0.2.3 and, for the Hugging Face folder, torch==2.13.0 transformers==5.24.0):

    .venv/bin/python tests/make_xlm_roberta_fixture.py

Generated with: {versions}.
"""


# --- main --------------------------------------------------------------------------------------


def make_hf(spm_dir: str, sp: spm.SentencePieceProcessor) -> None:
  vers = fixture_tools.versions(HF_PACKAGES)
  name = "hf_xlm_roberta"
  out_dir = os.path.join(fixture_tools.FIXTURES, name)
  with fixture_tools.staged_folder(out_dir) as work:
    model = build_hf_model(XLMRobertaConfig(**HF_CONFIG))
    model.save_pretrained(work)
    tokenizer = XLMRobertaTokenizer.from_pretrained(spm_dir)
    if len(tokenizer) != HF_CONFIG["vocab_size"]:
      raise RuntimeError(f"XLMRobertaTokenizer has {len(tokenizer)} tokens")
    if tokenizer.mask_token_id != HF_CONFIG["vocab_size"] - 1:
      raise RuntimeError(f"<mask> has id {tokenizer.mask_token_id}")
    tokenizer.save_pretrained(work)
    shutil.copyfile(os.path.join(spm_dir, SPM_NAME), os.path.join(work, SPM_NAME))
    files = sorted(os.listdir(work))
    expected = ["config.json", "model.safetensors", SPM_NAME, "tokenizer.json",
                "tokenizer_config.json"]
    if files != expected:
      raise RuntimeError(f"{name}: transformers wrote {files}, expected {expected}")

    # The golden numbers come from the folder as a user would load it.
    loaded, info = XLMRobertaModel.from_pretrained(work, output_loading_info=True)
    problems = {k: v for k, v in info.items() if v}
    if problems:
      raise RuntimeError(f"from_pretrained reported {problems}")
    loaded.eval()
    inputs = hf_tokenize(AutoTokenizer.from_pretrained(work))
    check_ids(inputs["input_ids"], sp, "XLMRobertaTokenizer")
    golden = hf_run(loaded, inputs)
    for key, value in hf_run(model, inputs).items():
      if not np.array_equal(value, golden[key]):
        raise RuntimeError(f"{name}: the saved folder does not reproduce the model ({key})")
    if not np.array_equal(golden["hidden_states"][-1], golden["sequence_output"]):
      raise RuntimeError("the last hidden state is not sequence_output")
    sens = hf_sensitivity(loaded, inputs, golden)
    fixture_tools.write_json(os.path.join(work, "golden.json"), {
        "schema": {
            "framework": "transformers XLMRobertaModel.from_pretrained(folder), eval mode, "
                         "PyTorch CPU, float32; tokenized by AutoTokenizer.from_pretrained(folder) "
                         "(XLMRobertaTokenizer)",
            "sentences": fixture_tools.SENTENCES_SCHEMA,
            "inputs": "input_ids, input_mask (attention_mask): int [batch, max_seq_length]; "
                      "`<s> A </s>` / `<s> A </s></s> B </s>` in fairseq ids, padded with "
                      "<pad> = 1. No segment_ids: XLMRobertaTokenizer returns no token_type_ids "
                      "and the model's one-row token_type_embeddings is added to every token",
            "pooled_output": "pooler_output = tanh(pooler.dense(sequence_output[:, 0])), "
                             "float [batch, hidden]",
            "sequence_output": "last_hidden_state, float [batch, max_seq_length, hidden]",
            "hidden_states": "output_hidden_states: the embedding output, then each layer's "
                             "output, float [num_layers + 1, batch, max_seq_length, hidden]; "
                             "hidden_states[-1] == sequence_output",
            "floats": fixture_tools.FLOATS_SCHEMA,
            "sensitivity": "max |diff| of the outputs if the same weights ran with a wrong value",
        },
        "framework": "transformers",
        "config": HF_CONFIG,
        "add_pooling_layer": True,
        "sentences": fixture_tools.sentences_as_stored(),
        "max_seq_length": MAX_SEQ_LENGTH,
        "inputs": inputs,
        "pooled_output": fixture_tools.float32_list(golden["pooled_output"]),
        "sequence_output": fixture_tools.float32_list(golden["sequence_output"]),
        "hidden_states": fixture_tools.float32_list(golden["hidden_states"]),
        "sensitivity": sens,
        "versions": vers,
    })
    fixture_tools.write_text(os.path.join(work, "README.md"), HF_README.format(
        transformers=vers["transformers"], sentencepiece=vers["sentencepiece"],
        files=fixture_tools.file_rows(work, 24), config_args=fixture_tools.call_args(HF_CONFIG),
        spm_args=fixture_tools.call_args(SPM_ARGS), seed=SEED,
        sensitivity=fixture_tools.sensitivity_line(sens),
        versions=fixture_tools.versions_line(vers)))
    fixture_tools.check_no_paths(work, name, spm_dir)
  fixture_tools.print_listing(out_dir, 24)
  print("  inputs: %s" % json.dumps(inputs["input_ids"]))
  print("  sensitivity: %s" % json.dumps(sens))


def make_keras_hub(spm_dir: str, sp: spm.SentencePieceProcessor) -> None:
  vers = dict(fixture_tools.versions(KERAS_PACKAGES), keras_backend=keras.backend.backend())
  if vers["keras_backend"] != "tensorflow":
    raise RuntimeError(f"Keras backend is {vers['keras_backend']}, expected tensorflow")
  name = "keras_hub_xlm_roberta"
  out_dir = os.path.join(fixture_tools.FIXTURES, name)
  with fixture_tools.staged_folder(out_dir) as work:
    keras.utils.set_random_seed(SEED)
    backbone = keras_hub.models.XLMRobertaBackbone(**KERAS_ARGS)
    fixture_tools.redraw_keras_weights(backbone.weights, np.random.default_rng(SEED))
    tokenizer = keras_hub.models.XLMRobertaTokenizer(proto=os.path.join(spm_dir, SPM_NAME))
    if tokenizer.vocabulary_size() != KERAS_ARGS["vocabulary_size"]:
      raise RuntimeError(f"the tokenizer has {tokenizer.vocabulary_size()} tokens")
    backbone.save_to_preset(work)
    tokenizer.save_to_preset(work)
    written = sorted(rel for rel, _, _ in fixture_tools.tree_listing(work))
    expected = ["assets/tokenizer/vocabulary.spm", "config.json", "metadata.json",
                "model.weights.h5", "tokenizer.json"]
    if written != expected:
      raise RuntimeError(f"keras-hub wrote {written}, expected {expected}")

    loaded = keras_hub.models.XLMRobertaBackbone.from_preset(work)
    preprocessor = keras_hub.models.XLMRobertaTextClassifierPreprocessor(
        keras_hub.models.XLMRobertaTokenizer.from_preset(work), sequence_length=MAX_SEQ_LENGTH)
    inputs = keras_encode(preprocessor)
    check_ids(inputs["input_ids"], sp, "keras-hub")
    golden = keras_run(loaded, inputs)
    for key, value in keras_run(backbone, inputs).items():
      if not np.array_equal(value, golden[key]):
        raise RuntimeError(f"the saved preset does not reproduce the backbone ({key})")
    if not np.array_equal(golden["hidden_states"][-1], golden["sequence_output"]):
      raise RuntimeError("the last transformer layer's output is not sequence_output")
    sens = keras_wrong_heads(loaded, inputs, golden)
    fixture_tools.write_json(os.path.join(work, "golden.json"), {
        "schema": {
            "framework": "keras-hub XLMRobertaBackbone.from_preset(folder), Keras backend "
                         "tensorflow, CPU, float32; tokenized by "
                         "XLMRobertaTokenizer.from_preset(folder) inside "
                         "XLMRobertaTextClassifierPreprocessor(sequence_length=max_seq_length)",
            "sentences": fixture_tools.SENTENCES_SCHEMA,
            "inputs": "input_ids (token_ids), input_mask (padding_mask as 0/1): "
                      "int [batch, max_seq_length]; no segment_ids (no segment input)",
            "pooled_output": "absent: XLMRobertaBackbone returns sequence_output only",
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
    fixture_tools.check_no_paths(work, name, spm_dir)
  fixture_tools.print_listing(out_dir, 34)
  print("  inputs: %s" % json.dumps(inputs["input_ids"]))
  print("  sensitivity: %s" % json.dumps(sens))


def main() -> None:
  torch.set_num_threads(1)  # small and deterministic; the machine is shared
  tf.config.threading.set_intra_op_parallelism_threads(1)
  tf.config.threading.set_inter_op_parallelism_threads(1)
  transformers.logging.set_verbosity_error()
  transformers.utils.logging.disable_progress_bar()
  with tempfile.TemporaryDirectory(prefix=".xlm_roberta_spm-",
                                   dir=fixture_tools.FIXTURES) as spm_dir:
    sp = train_spm(spm_dir)
    make_hf(spm_dir, sp)
    make_keras_hub(spm_dir, sp)


if __name__ == "__main__":
  main()
