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
import torch
from transformers import AutoTokenizer, XLMRobertaConfig, XLMRobertaModel, XLMRobertaTokenizer

import fixture_tools
import hf_fixture_tools as hf_tools

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
  """sentencepiece trained on TRAIN_TEXT into out_dir/SPM_NAME, its special pieces checked."""
  sp = spm.SentencePieceProcessor(model_file=fixture_tools.train_sentencepiece(
      spm.SentencePieceTrainer, TRAIN_TEXT, out_dir, SPM_NAME, **SPM_ARGS))
  pieces = [sp.id_to_piece(i) for i in range(3)]
  if pieces != ["<unk>", "<s>", "</s>"] or sp.pad_id() != -1:
    raise RuntimeError(f"special pieces {pieces}, pad id {sp.pad_id()}")
  return sp


def fairseq_ids(sp: spm.SentencePieceProcessor, text: str) -> list[int]:
  """SentencePiece's ids shifted into fairseq's dictionary (+1; <unk> 0 becomes 3)."""
  return [UNK if i == sp.unk_id() else i + 1 for i in sp.encode(text)]


def check_ids(input_ids: list[list[int]], sp: spm.SentencePieceProcessor, who: str) -> None:
  """Each row is `<s> A </s>` or `<s> A </s></s> B </s>` in fairseq ids, then <pad>."""
  fixture_tools.check_packed_ids(input_ids, lambda text: fairseq_ids(sp, text), MAX_SEQ_LENGTH,
                                 (CLS, SEP, PAD), who, double_sep=True)


# --- transformers ------------------------------------------------------------------------------


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
    torch.manual_seed(SEED)  # transformers' own init, then biases and LayerNorms re-drawn
    model = hf_tools.redraw_torch_biases_and_norms(
        XLMRobertaModel(XLMRobertaConfig(**HF_CONFIG), add_pooling_layer=True), SEED)
    model.save_pretrained(work)
    tokenizer = XLMRobertaTokenizer.from_pretrained(spm_dir)
    if len(tokenizer) != HF_CONFIG["vocab_size"]:
      raise RuntimeError(f"XLMRobertaTokenizer has {len(tokenizer)} tokens")
    if tokenizer.mask_token_id != HF_CONFIG["vocab_size"] - 1:
      raise RuntimeError(f"<mask> has id {tokenizer.mask_token_id}")
    tokenizer.save_pretrained(work)
    shutil.copyfile(os.path.join(spm_dir, SPM_NAME), os.path.join(work, SPM_NAME))
    fixture_tools.check_written(work, ["config.json", "model.safetensors", SPM_NAME,
                                       "tokenizer.json", "tokenizer_config.json"],
                                f"{name}: transformers")

    loaded = hf_tools.hf_load(XLMRobertaModel, work)
    inputs = fixture_tools.hf_encode(AutoTokenizer.from_pretrained(work), MAX_SEQ_LENGTH,
                                     segments=False)
    check_ids(inputs["input_ids"], sp, "XLMRobertaTokenizer")
    golden = hf_tools.hf_outputs(loaded, model, inputs, name)
    sens = hf_tools.hf_sensitivity(loaded, XLMRobertaModel, XLMRobertaConfig, HF_CONFIG, HF_WRONG,
                                   inputs, golden, positions_from_zero=True,
                                   add_pooling_layer=True)
    fixture_tools.write_json(os.path.join(work, "golden.json"), hf_tools.golden_json(
        hf_tools.hf_schema(
            "XLMRobertaModel", "XLMRobertaTokenizer",
            "input_ids, input_mask (attention_mask): int [batch, max_seq_length]; "
            "`<s> A </s>` / `<s> A </s></s> B </s>` in fairseq ids, padded with "
            "<pad> = 1. No segment_ids: XLMRobertaTokenizer returns no token_type_ids "
            "and the model's one-row token_type_embeddings is added to every token",
            "pooler_output = tanh(pooler.dense(sequence_output[:, 0])), float [batch, hidden]"),
        "transformers", HF_CONFIG, MAX_SEQ_LENGTH, inputs, hf_tools.float_outputs(golden), sens,
        vers, model_args={"add_pooling_layer": True}))
    fixture_tools.write_fixture_readme(work, HF_README, 24, sens, vers,
        transformers=vers["transformers"], sentencepiece=vers["sentencepiece"],
        config_args=fixture_tools.call_args(HF_CONFIG), spm_args=fixture_tools.call_args(SPM_ARGS),
        seed=SEED)
    fixture_tools.check_no_paths(work, name, spm_dir)
  fixture_tools.print_listing(out_dir, 24)
  print("  inputs: %s" % json.dumps(inputs["input_ids"]))
  print("  sensitivity: %s" % json.dumps(sens))


def make_keras_hub(spm_dir: str, sp: spm.SentencePieceProcessor) -> None:
  vers = hf_tools.keras_versions(KERAS_PACKAGES)
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
    fixture_tools.check_written(work, ["assets/tokenizer/vocabulary.spm", "config.json",
                                       "metadata.json", "model.weights.h5", "tokenizer.json"],
                                "keras-hub")

    inputs, golden = hf_tools.keras_golden(
        work, backbone, keras_hub.models.XLMRobertaBackbone.from_preset(work),
        keras_hub.models.XLMRobertaTextClassifierPreprocessor(
            keras_hub.models.XLMRobertaTokenizer.from_preset(work),
            sequence_length=MAX_SEQ_LENGTH),
        lambda input_ids: check_ids(input_ids, sp, "keras-hub"))
    sens = hf_tools.keras_wrong_heads(keras_hub.models.XLMRobertaBackbone, KERAS_ARGS,
                                      WRONG_HEADS, backbone, inputs, golden)
    fixture_tools.write_json(os.path.join(work, "golden.json"), hf_tools.keras_golden_json(
        "XLMRoberta", KERAS_ARGS, MAX_SEQ_LENGTH, inputs, golden, sens, vers))
    fixture_tools.write_fixture_readme(work, KERAS_README, 34, sens, vers,
        backend=vers["keras_backend"], keras_hub=vers["keras-hub"],
        backbone_args=fixture_tools.call_args(KERAS_ARGS), seed=SEED)
    fixture_tools.check_no_paths(work, name, spm_dir)
  fixture_tools.print_listing(out_dir, 34)
  print("  inputs: %s" % json.dumps(inputs["input_ids"]))
  print("  sensitivity: %s" % json.dumps(sens))


def main() -> None:
  hf_tools.quiet_single_thread()
  with tempfile.TemporaryDirectory(prefix=".xlm_roberta_spm-",
                                   dir=fixture_tools.FIXTURES) as spm_dir:
    sp = train_spm(spm_dir)
    make_hf(spm_dir, sp)
    make_keras_hub(spm_dir, sp)


if __name__ == "__main__":
  main()
