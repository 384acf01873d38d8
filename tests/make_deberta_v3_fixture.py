"""Build the DeBERTa-v3 fixtures tests/fixtures/hf_deberta_v3/ and keras_hub_deberta_v3/.

Every folder is written by its toolchain's own save function (`sentencepiece`'s trainer,
transformers' `save_pretrained`, keras-hub's `save_to_preset`), never by hub_repro: a fixture
written by our own code would prove nothing about compatibility with the folders users hold. This
script does not import hub_repro.

  SentencePiece   a unigram model trained by `sentencepiece` on tests/fixtures/albert_spm/train.txt
                  with DeBERTa-v3's special pieces: [PAD] 0, [CLS] 1 (bos), [SEP] 2 (eos),
                  [UNK] 3; vocab 400. The tokenizers add [MASK] as id 400, as deberta-v3-base's
                  spm.model has no [MASK] piece and its tokenizer appends one (128000). Both
                  folders use it.
  hf_deberta_v3/  DebertaV2Model(DebertaV2Config(vocab_size=401, hidden_size=32,
                  num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
                  max_position_embeddings=64, type_vocab_size=0, relative_attention=True,
                  position_buckets=8, norm_rel_ebd="layer_norm", share_att_key=True,
                  pos_att_type=["p2c", "c2p"], layer_norm_eps=1e-7, max_relative_positions=-1,
                  position_biased_input=False)): microsoft/deberta-v3-base's config shape, tiny
                  (position_buckets 8 instead of 256, so sequences of 16 reach the log-bucketed
                  distances), save_pretrained (safetensors). No pooler (DebertaV2Model has none).
                  DebertaV2Tokenizer.from_pretrained(<spm.model>).save_pretrained (tokenizer.json +
                  tokenizer_config.json; transformers 5 writes no spm.model), plus spm.model copied
                  beside them, as the Hub's microsoft/deberta-v3-base has it.
  keras_hub_deberta_v3/  DebertaV3Backbone(vocabulary_size=401, num_layers=2, num_heads=4,
                  hidden_dim=32, intermediate_dim=37, max_sequence_length=64, bucket_size=8) +
                  DebertaV3Tokenizer(proto=<the same model>), save_to_preset. No pooled output.

Each folder also holds golden.json (what its own toolchain computes on it for testutil.SENTENCES,
packed `[CLS] A [SEP]` and `[CLS] A [SEP] B [SEP]`, no token type ids: type_vocab_size 0) and
README.md. The two toolchains give the same ids (checked).

Weights: transformers' own init under torch.manual_seed(SEED) with initializer_range=0.2, then every
bias and LayerNorm bias re-drawn from N(0, 0.1) and every LayerNorm weight from 1 + 0.1 N(0, 1)
(torch.Generator seeded with SEED, sorted parameter names). keras-hub: its own init, then every
weight re-drawn with numpy default_rng(SEED) by fixture_tools.redraw_keras_weights in sorted-path
order (kernels and embeddings N(0, 0.2), biases/betas N(0, 0.1), gammas 1 + 0.1 N(0, 1)), then the
relative position table, which those rules do not name, from the same generator, N(0, 0.2).

Keras backend: tensorflow (KERAS_BACKEND is forced below), TF_ENABLE_ONEDNN_OPTS=0.

Run from the repo root, in the project's .venv (torch==2.13.0 CPU, transformers==5.24.0,
sentencepiece==0.2.3, keras-hub==0.32.0, tensorflow==2.21.0), after make_albert_spm_fixture.py:

    .venv/bin/python tests/make_deberta_v3_fixture.py

Idempotent: each folder is built in a temporary folder beside it and renamed into place. The same
versions give the same bytes, except keras_hub_deberta_v3/metadata.json ("date_saved").
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
from transformers import AutoTokenizer, DebertaV2Config, DebertaV2Model, DebertaV2Tokenizer

import fixture_tools
import hf_fixture_tools as hf_tools

SEED = 1234
TRAIN_TEXT = os.path.join(fixture_tools.FIXTURES, "albert_spm", "train.txt")
SPM_NAME = "spm.model"
MAX_SEQ_LENGTH = 16

SPM_ARGS = dict(vocab_size=400, model_type="unigram", pad_id=0, pad_piece="[PAD]", bos_id=1,
                bos_piece="[CLS]", eos_id=2, eos_piece="[SEP]", unk_id=3, unk_piece="[UNK]",
                character_coverage=0.99995, shuffle_input_sentence=False, num_threads=1)
PAD, CLS, SEP, MASK = 0, 1, 2, 400

HF_CONFIG = dict(vocab_size=401, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                 intermediate_size=37, hidden_act="gelu", max_position_embeddings=64,
                 type_vocab_size=0, relative_attention=True, position_buckets=8,
                 norm_rel_ebd="layer_norm", share_att_key=True, pos_att_type=["p2c", "c2p"],
                 layer_norm_eps=1e-7, max_relative_positions=-1, position_biased_input=False,
                 initializer_range=0.2)
# Texts whose NFKC form differs from their NFC form: the SentencePiece model normalizes with
# nmt_nfkc, transformers 5's DebertaV2Tokenizer with NFC only (see the README).
NORMALIZATION_PROBE = ["\uff48\uff45\uff4c\uff4c\uff4f world", "the \ufb01rst token",
                       "hello\u00a0world"]
HF_WRONG = [dict(num_attention_heads=2), dict(pos_att_type=["c2p"]),
            dict(max_relative_positions=512)]
KERAS_ARGS = dict(vocabulary_size=401, num_layers=2, num_heads=4, hidden_dim=32,
                  intermediate_dim=37, max_sequence_length=64, bucket_size=8)
WRONG_HEADS = 2
BLOCK = "disentangled_attention_encoder_layer"  # DebertaV3Backbone's layer names, _0, _1, ...

HF_PACKAGES = ["torch", "transformers", "tokenizers", "safetensors", "sentencepiece", "numpy"]
KERAS_PACKAGES = ["keras-hub", "keras", "tensorflow", "tensorflow-text", "sentencepiece", "numpy",
                  "h5py"]


# --- the tokenizer ---------------------------------------------------------------------------


def train_spm(out_dir: str) -> spm.SentencePieceProcessor:
  """sentencepiece trained on TRAIN_TEXT into out_dir/SPM_NAME, its special pieces checked."""
  sp = spm.SentencePieceProcessor(model_file=fixture_tools.train_sentencepiece(
      spm.SentencePieceTrainer, TRAIN_TEXT, out_dir, SPM_NAME, **SPM_ARGS))
  pieces = [sp.id_to_piece(i) for i in range(4)]
  if pieces != ["[PAD]", "[CLS]", "[SEP]", "[UNK]"] or sp.get_piece_size() != MASK:
    raise RuntimeError(f"special pieces {pieces}, {sp.get_piece_size()} pieces")
  return sp


def check_ids(input_ids: list[list[int]], sp: spm.SentencePieceProcessor, who: str) -> None:
  """Each row is `[CLS] A [SEP]` or `[CLS] A [SEP] B [SEP]` in sentencepiece's ids, then [PAD]."""
  fixture_tools.check_packed_ids(input_ids, sp.encode, MAX_SEQ_LENGTH, (CLS, SEP, PAD), who)


# --- transformers ------------------------------------------------------------------------------


def normalization_probe(tokenizer, sp: spm.SentencePieceProcessor) -> dict:
  """NORMALIZATION_PROBE through the folder's tokenizer and through sentencepiece itself;
  raises if they agree (the README describes them differing)."""
  probe = {"texts": NORMALIZATION_PROBE,
           "tokenizer_ids": [tokenizer(t, add_special_tokens=False)["input_ids"]
                             for t in NORMALIZATION_PROBE],
           "sentencepiece_ids": [sp.encode(t) for t in NORMALIZATION_PROBE]}
  for text, ids, sp_ids in zip(*probe.values()):
    print("  %r: DebertaV2Tokenizer %s, sentencepiece %s" % (text, ids, sp_ids))
    if ids == sp_ids:
      raise RuntimeError(f"DebertaV2Tokenizer now normalizes {text!r} as sentencepiece does: "
                         "update the README and golden.json's normalization_probe")
  return probe


HF_README = """\
# hf_deberta_v3: a tiny DeBERTa-v3 folder written by transformers' own save_pretrained

Generated by `tests/make_deberta_v3_fixture.py`; do not edit by hand. Nothing here was written by
hub_repro: `DebertaV2Model.save_pretrained` wrote the model, `DebertaV2Tokenizer.save_pretrained`
tokenizer.json + tokenizer_config.json, and `sentencepiece`'s trainer spm.model.

Files (as transformers {transformers} and sentencepiece {sentencepiece} write them, plus
golden.json and this README):

{files}

- Model: `DebertaV2Model(DebertaV2Config({config_args}))`, saved with `save_pretrained`
  (safetensors); `config.json` says `"model_type": "deberta-v2"` (DeBERTa-v3 checkpoints use the
  v2 classes). As microsoft/deberta-v3-base: no absolute position embedding
  (position_biased_input false), no token type embedding (type_vocab_size 0), disentangled
  attention with relative positions in log buckets (`encoder.rel_embeddings` has
  2 x position_buckets = 16 rows, normalised by `encoder.LayerNorm`: norm_rel_ebd "layer_norm"),
  the content projections shared with the position ones (share_att_key), both c2p and p2c terms,
  LayerNorm eps 1e-7, exact-erf gelu. max_relative_positions -1 means max_position_embeddings
  (64) bounds the log buckets. The embedding output is multiplied by the attention mask (pad
  positions are zero in hidden_states[0]).
- **No pooler**: DebertaV2Model returns `last_hidden_state` (and hidden states) only; there is no
  `pooled_output` in golden.json. (`DebertaV2ForSequenceClassification` adds a `ContextPooler`,
  Linear + `pooler_hidden_act` gelu on `last_hidden_state[:, 0]`, which is not part of a
  DebertaV2Model folder; the `pooler_*` keys in config.json configure that head.)
- Tokenizer: `spm.model` is a unigram SentencePiece model trained by
  `SentencePieceTrainer.train(input="train.txt", model_prefix="spm", {spm_args})` on
  tests/fixtures/albert_spm/train.txt, with DeBERTa-v3's special pieces `[PAD]` 0, `[CLS]` 1,
  `[SEP]` 2, `[UNK]` 3 and no `[MASK]` piece. `DebertaV2Tokenizer.from_pretrained(<a folder
  holding it>).save_pretrained(dir)` wrote `tokenizer.json` (with `[MASK]` added as 400: 401
  tokens = vocab_size) + `tokenizer_config.json`, and in transformers 5 no spm.model, which is
  copied beside them (the Hub's microsoft/deberta-v3-base has it). Packing `[CLS] A [SEP]`,
  `[CLS] A [SEP] B [SEP]`, `[PAD]` = 0. The tokenizer also returns token_type_ids (0 for A, 1 for
  B); with type_vocab_size 0 the model ignores them (the generator checks that passing them
  changes nothing), so golden.json stores none. The generator checks the ids against
  sentencepiece's own.
- **Normalization differs from the SentencePiece model's**: spm.model normalizes with `nmt_nfkc`
  (its precompiled charsmap), but transformers 5's DebertaV2Tokenizer builds tokenizer.json with
  NFC, whitespace collapsing and a right strip only. Text whose NFKC form differs (full-width
  letters, ligatures, no-break spaces) then gets other ids than sentencepiece (and keras-hub)
  give, often `[UNK]`: golden.json's `normalization_probe` records three such texts with both
  id lists. testutil.SENTENCES are plain ASCII and are not affected. (XLMRobertaTokenizer keeps
  the charsmap: hf_xlm_roberta's tokenizer.json has a `Precompiled` normalizer.)
- Weights: transformers' own init under `torch.manual_seed({seed})` with `initializer_range=0.2`;
  then every bias (LayerNorm biases included) re-drawn from N(0, 0.1) and every LayerNorm weight
  from 1 + 0.1 N(0, 1) (torch.Generator seed {seed}, sorted parameter names).
- `golden.json`: what transformers computes on this folder (`DebertaV2Model.from_pretrained` +
  `AutoTokenizer.from_pretrained`, eval mode, PyTorch CPU, float32): see its `schema` key.
  Outputs move this much with a wrong value (max |diff|):
  {sensitivity}

Regenerate (from the repo root; torch==2.13.0 transformers==5.24.0 sentencepiece==0.2.3, in the
project's .venv; the script writes hf_deberta_v3 and keras_hub_deberta_v3):

    .venv/bin/python tests/make_deberta_v3_fixture.py

Generated with: {versions}.
"""


# --- keras-hub ---------------------------------------------------------------------------------


def redraw_backbone_weights(backbone) -> None:
  """Every weight re-drawn from numpy default_rng(SEED): fixture_tools' rules for all but the
  relative position table, which they do not name; that one last, N(0, 0.2) like an embedding."""
  rng = np.random.default_rng(SEED)
  rel = backbone.get_layer("rel_embedding").rel_embeddings
  fixture_tools.redraw_keras_weights([w for w in backbone.weights if w.path != rel.path], rng)
  rel.assign(rng.normal(0.0, 0.2, tuple(rel.shape)).astype(np.float32))


KERAS_README = """\
# keras_hub_deberta_v3: a tiny DeBERTa-v3 preset written by keras-hub's own save_to_preset

Generated by `tests/make_deberta_v3_fixture.py`; do not edit by hand. Nothing here was written by
hub_repro: `DebertaV3Backbone.save_to_preset` and `DebertaV3Tokenizer.save_to_preset` wrote the
preset. Keras backend: **{backend}** (`KERAS_BACKEND=tensorflow`).

Files (as keras-hub {keras_hub} writes them, plus golden.json and this README):

{files}

- Backbone: `keras_hub.models.DebertaV3Backbone({backbone_args})`: token embedding only (no
  absolute positions, no segments), `embeddings_layer_norm` (eps 1e-7), `rel_embedding` (a
  2 x bucket_size = 16-row table and its own LayerNorm, computed once and given to every layer),
  `disentangled_attention_encoder_layer_0..1` (c2p and p2c with shared projections; log buckets
  bounded by max_sequence_length 64; exact-erf gelu). Unlike transformers, the embedding output
  is not multiplied by the padding mask (pad rows of hidden_states[0] are not zero).
- **No pooled output**: the backbone returns `sequence_output` alone (a tensor).
  `DebertaV3TextClassifier` builds its own head on `sequence_output[:, 0]` (Dense(hidden, gelu)
  `pooled_dense`, then logits), part of the task model, not of a backbone preset.
- Tokenizer: `keras_hub.models.DebertaV3Tokenizer(proto=<spm.model>)`, the model trained for
  hf_deberta_v3 (byte-identical copy in `assets/tokenizer/vocabulary.spm`); `[MASK]` is not a
  piece, so keras-hub appends it as id 400 (`vocabulary_size()` 401). golden.json's inputs come
  from `DebertaV3TextClassifierPreprocessor(sequence_length=16)`: `[CLS] A [SEP]`,
  `[CLS] A [SEP] B [SEP]`, `[PAD]` = 0, no segment ids; they equal hf_deberta_v3's.
- Weights: keras-hub's init, then every weight re-drawn with numpy `default_rng({seed})` in
  sorted-path order and `assign`ed: kernels/embeddings N(0, 0.2), biases and LayerNorm betas
  N(0, 0.1), LayerNorm gammas 1 + 0.1 N(0, 1); then `rel_embedding/rel_embedding` (the relative
  position table) from the same generator, N(0, 0.2).
- `golden.json`: what keras-hub computes on this preset (`DebertaV3Backbone.from_preset` +
  `DebertaV3Tokenizer.from_preset`, float32, TF_ENABLE_ONEDNN_OPTS=0): see its `schema` key.
  Outputs move this much with a wrong head count (max |diff|):
  {sensitivity}

Regenerate (from the repo root; keras-hub==0.32.0 tensorflow==2.21.0 keras==3.15.1
sentencepiece==0.2.3 and, for the Hugging Face folder, torch==2.13.0 transformers==5.24.0):

    .venv/bin/python tests/make_deberta_v3_fixture.py

Generated with: {versions}.
"""


# --- main --------------------------------------------------------------------------------------


def make_hf(spm_dir: str, sp: spm.SentencePieceProcessor) -> dict:
  vers = fixture_tools.versions(HF_PACKAGES)
  name = "hf_deberta_v3"
  out_dir = os.path.join(fixture_tools.FIXTURES, name)
  with fixture_tools.staged_folder(out_dir) as work:
    torch.manual_seed(SEED)  # transformers' own init, then biases and LayerNorms re-drawn
    model = hf_tools.redraw_torch_biases_and_norms(
        DebertaV2Model(DebertaV2Config(**HF_CONFIG)), SEED)
    model.save_pretrained(work)
    tokenizer = DebertaV2Tokenizer.from_pretrained(spm_dir)
    if len(tokenizer) != HF_CONFIG["vocab_size"] or tokenizer.mask_token_id != MASK:
      raise RuntimeError(f"DebertaV2Tokenizer has {len(tokenizer)} tokens, "
                         f"[MASK] {tokenizer.mask_token_id}")
    tokenizer.save_pretrained(work)
    shutil.copyfile(os.path.join(spm_dir, SPM_NAME), os.path.join(work, SPM_NAME))
    fixture_tools.check_written(work, ["config.json", "model.safetensors", SPM_NAME,
                                       "tokenizer.json", "tokenizer_config.json"],
                                f"{name}: transformers")

    loaded = hf_tools.hf_load(DebertaV2Model, work)
    # The tokenizer returns token_type_ids too (0 for A, 1 for B): kept apart, see below.
    inputs = fixture_tools.hf_encode(AutoTokenizer.from_pretrained(work), MAX_SEQ_LENGTH)
    token_types = inputs.pop("segment_ids")
    check_ids(inputs["input_ids"], sp, "DebertaV2Tokenizer")
    golden = hf_tools.hf_outputs(loaded, model, inputs, name, pooled=False)
    if max(max(row) for row in token_types) != 1:
      raise RuntimeError(f"DebertaV2Tokenizer gave token_type_ids {token_types}")
    typed = hf_tools.hf_run(loaded, inputs, pooled=False, token_type_ids=torch.tensor(token_types))
    for key, value in typed.items():
      if not np.array_equal(value, golden[key]):
        raise RuntimeError(f"{name}: token_type_ids change {key} (type_vocab_size 0)")
    sens = hf_tools.hf_sensitivity(loaded, DebertaV2Model, DebertaV2Config, HF_CONFIG, HF_WRONG,
                                   inputs, golden, ("sequence_output", "hidden_states"))
    probe = normalization_probe(AutoTokenizer.from_pretrained(work), sp)
    fixture_tools.write_json(os.path.join(work, "golden.json"), hf_tools.golden_json(
        hf_tools.hf_schema(
            "DebertaV2Model", "DebertaV2Tokenizer",
            "input_ids, input_mask (attention_mask): int [batch, max_seq_length]; "
            "`[CLS] A [SEP]` / `[CLS] A [SEP] B [SEP]`, padded with [PAD] = 0. No "
            "segment_ids: type_vocab_size 0 (the tokenizer's token_type_ids are "
            "ignored by the model)",
            "absent: DebertaV2Model has no pooler",
            embedding_note=" (after its LayerNorm, times the attention mask)",
            normalization_probe="texts whose NFKC and NFC forms differ; tokenizer_ids: the "
                                "folder's tokenizer without special tokens; "
                                "sentencepiece_ids: SentencePieceProcessor(spm.model).encode "
                                "(what keras-hub's DebertaV3Tokenizer gives too)"),
        "transformers", HF_CONFIG, MAX_SEQ_LENGTH, inputs, hf_tools.float_outputs(golden), sens,
        vers, normalization_probe=probe))
    fixture_tools.write_fixture_readme(work, HF_README, 24, sens, vers,
        transformers=vers["transformers"], sentencepiece=vers["sentencepiece"],
        config_args=fixture_tools.call_args(HF_CONFIG), spm_args=fixture_tools.call_args(SPM_ARGS),
        seed=SEED)
    fixture_tools.check_no_paths(work, name, spm_dir)
  fixture_tools.print_listing(out_dir, 24)
  print("  inputs: %s" % json.dumps(inputs["input_ids"]))
  print("  sensitivity: %s" % json.dumps(sens))
  return inputs


def make_keras_hub(spm_dir: str, sp: spm.SentencePieceProcessor) -> dict:
  vers = hf_tools.keras_versions(KERAS_PACKAGES)
  name = "keras_hub_deberta_v3"
  out_dir = os.path.join(fixture_tools.FIXTURES, name)
  with fixture_tools.staged_folder(out_dir) as work:
    keras.utils.set_random_seed(SEED)
    backbone = keras_hub.models.DebertaV3Backbone(**KERAS_ARGS)
    redraw_backbone_weights(backbone)
    tokenizer = keras_hub.models.DebertaV3Tokenizer(proto=os.path.join(spm_dir, SPM_NAME))
    if (tokenizer.vocabulary_size() != KERAS_ARGS["vocabulary_size"]
        or tokenizer.mask_token_id != MASK):
      raise RuntimeError(f"the tokenizer has {tokenizer.vocabulary_size()} tokens, "
                         f"[MASK] {tokenizer.mask_token_id}")
    backbone.save_to_preset(work)
    tokenizer.save_to_preset(work)
    fixture_tools.check_written(work, ["assets/tokenizer/vocabulary.spm", "config.json",
                                       "metadata.json", "model.weights.h5", "tokenizer.json"],
                                "keras-hub")

    inputs, golden = hf_tools.keras_golden(
        work, backbone, keras_hub.models.DebertaV3Backbone.from_preset(work),
        keras_hub.models.DebertaV3TextClassifierPreprocessor(
            keras_hub.models.DebertaV3Tokenizer.from_preset(work), sequence_length=MAX_SEQ_LENGTH),
        lambda input_ids: check_ids(input_ids, sp, "keras-hub"), BLOCK)
    sens = hf_tools.keras_wrong_heads(keras_hub.models.DebertaV3Backbone, KERAS_ARGS, WRONG_HEADS,
                                      backbone, inputs, golden, BLOCK)
    fixture_tools.write_json(os.path.join(work, "golden.json"), hf_tools.keras_golden_json(
        "DebertaV3", KERAS_ARGS, MAX_SEQ_LENGTH, inputs, golden, sens, vers,
        hidden_states="outputs of the backbone's layers embeddings_dropout (after "
                      "embeddings_layer_norm; pad rows not zeroed), "
                      "disentangled_attention_encoder_layer_0..: float "
                      "[num_layers + 1, batch, max_seq_length, hidden]; "
                      "hidden_states[-1] == sequence_output"))
    fixture_tools.write_fixture_readme(work, KERAS_README, 34, sens, vers,
        backend=vers["keras_backend"], keras_hub=vers["keras-hub"],
        backbone_args=fixture_tools.call_args(KERAS_ARGS), seed=SEED)
    fixture_tools.check_no_paths(work, name, spm_dir)
  fixture_tools.print_listing(out_dir, 34)
  print("  inputs: %s" % json.dumps(inputs["input_ids"]))
  print("  sensitivity: %s" % json.dumps(sens))
  return inputs


def main() -> None:
  hf_tools.quiet_single_thread()
  with tempfile.TemporaryDirectory(prefix=".deberta_v3_spm-",
                                   dir=fixture_tools.FIXTURES) as spm_dir:
    sp = train_spm(spm_dir)
    hf_inputs = make_hf(spm_dir, sp)
    keras_inputs = make_keras_hub(spm_dir, sp)
  if hf_inputs != keras_inputs:
    raise RuntimeError(f"transformers and keras-hub tokenize differently: {hf_inputs} vs "
                       f"{keras_inputs}")


if __name__ == "__main__":
  main()
