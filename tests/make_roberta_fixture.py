"""Build the RoBERTa fixtures tests/fixtures/hf_roberta/, hf_roberta_no_pooler/, keras_hub_roberta/.

Every folder is written by its toolchain's own save function (`tokenizers`' `save_model`,
transformers' `save_pretrained`, keras-hub's `save_to_preset`), never by hub_repro: a fixture
written by our own code would prove nothing about compatibility with the folders users hold. This
script does not import hub_repro.

  byte-level BPE  `tokenizers.ByteLevelBPETokenizer` trained on tests/fixtures/albert_spm/train.txt
                  (vocab 700, min_frequency 2, special tokens <s> <pad> </s> <unk> <mask> = ids
                  0..4); `save_model` writes vocab.json + merges.txt. All three folders use it.
  hf_roberta/     RobertaModel(RobertaConfig(vocab_size=700, hidden_size=32, num_hidden_layers=2,
                  num_attention_heads=4, intermediate_size=37, max_position_embeddings=66,
                  type_vocab_size=1, layer_norm_eps=1e-5, pad_token_id=1, ...)) WITH its pooler
                  (tanh(dense(sequence_output[:, 0]))), save_pretrained (safetensors);
                  RobertaTokenizer.from_pretrained(<vocab.json + merges.txt>).save_pretrained
                  (tokenizer.json + tokenizer_config.json: transformers 5 writes no vocab.json or
                  merges.txt), plus tokenizers' own vocab.json + merges.txt beside them, as the
                  Hub's FacebookAI/roberta-base folder has all three.
  hf_roberta_no_pooler/  the same encoder weights saved by `RobertaModel(config,
                  add_pooling_layer=False).save_pretrained`: model.safetensors holds NO pooler.*
                  tensors, as roberta-base's checkpoint (pretrained without NSP); loading it with
                  RobertaModel adds a pooler initialised at random at load time, so two loads give
                  two pooled outputs. golden.json records both, labeled, and no "pooled_output".
  keras_hub_roberta/  RobertaBackbone(vocabulary_size=700, num_layers=2, num_heads=4, hidden_dim=32,
                  intermediate_dim=37, max_sequence_length=64) + RobertaTokenizer(vocabulary=
                  vocab.json, merges=merges.txt), save_to_preset. RobertaBackbone returns
                  sequence_output only: no pooled output at all.

Each folder also holds golden.json (what its own toolchain computes on it for testutil.SENTENCES,
packed `<s> A </s>` and `<s> A </s></s> B </s>`, no token type ids) and README.md.

Weights. transformers: its own init under torch.manual_seed(SEED) with initializer_range=0.2
(with BERT's 0.02 the attention is nearly uniform and a wrong head count barely shows), then every
bias and LayerNorm beta re-drawn from N(0, 0.1) and every LayerNorm gamma from 1 + 0.1 N(0, 1)
(torch.Generator seeded with SEED, sorted parameter names): the scheme of make_hf_fixtures.py.
keras-hub: its own init, then every weight re-drawn with numpy default_rng(SEED) in sorted-path
order by fixture_tools.redraw_keras_weights (kernels/embeddings N(0, 0.2), biases/betas N(0, 0.1),
gammas 1 + 0.1 N(0, 1)), as make_keras_hub_fixture.py does. The two toolchains' weights are independent draws.

Keras backend: tensorflow (KERAS_BACKEND is forced below), TF_ENABLE_ONEDNN_OPTS=0.

Run from the repo root, in the project's .venv (torch==2.13.0 CPU, transformers==5.24.0,
tokenizers==0.23.3, keras-hub==0.32.0, tensorflow==2.21.0), after make_albert_spm_fixture.py:

    .venv/bin/python tests/make_roberta_fixture.py

Idempotent: each folder is built in a temporary folder beside it and renamed into place. The same
versions give the same bytes, except in keras_hub_roberta/: metadata.json, whose "date_saved"
keras-hub stamps with the time of the run, and the order of tokenizer.json's
"unsplittable_tokens", which keras-hub lists from a Python set (the order follows the process's
string hash seed; PYTHONHASHSEED=0 fixes it).
"""

from __future__ import annotations

import os

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Plain Eigen kernels instead of oneDNN ones, as in make_google_fixture.py.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import json
import shutil
import struct
import tempfile

import keras
import keras_hub
import numpy as np
import torch
from tokenizers import ByteLevelBPETokenizer
from transformers import AutoTokenizer, RobertaConfig, RobertaModel, RobertaTokenizer

import fixture_tools
import hf_fixture_tools as hf_tools

SEED = 1234
TRAIN_TEXT = os.path.join(fixture_tools.FIXTURES, "albert_spm", "train.txt")
MAX_SEQ_LENGTH = 16

BPE_ARGS = dict(vocab_size=700, min_frequency=2,
                special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
CLS, PAD, SEP = 0, 1, 2

HF_CONFIG = dict(vocab_size=700, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                 intermediate_size=37, hidden_act="gelu", max_position_embeddings=66,
                 type_vocab_size=1, layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0,
                 eos_token_id=2, initializer_range=0.2)
HF_WRONG = [dict(num_attention_heads=2), dict(hidden_act="gelu_new")]
KERAS_ARGS = dict(vocabulary_size=700, num_layers=2, num_heads=4, hidden_dim=32,
                  intermediate_dim=37, max_sequence_length=64)
WRONG_HEADS = 2

HF_PACKAGES = ["torch", "transformers", "tokenizers", "safetensors", "numpy"]
KERAS_PACKAGES = ["keras-hub", "keras", "tensorflow", "tensorflow-text", "tokenizers", "numpy",
                  "h5py"]
POOLER_KEYS = ["pooler.dense.bias", "pooler.dense.weight"]


# --- the tokenizer ---------------------------------------------------------------------------


def train_bpe(out_dir: str) -> ByteLevelBPETokenizer:
  """tokenizers' byte-level BPE trained on TRAIN_TEXT; save_model writes vocab.json, merges.txt."""
  bpe = ByteLevelBPETokenizer()
  bpe.train([TRAIN_TEXT], show_progress=False, **BPE_ARGS)
  bpe.save_model(out_dir)
  for token, expected in zip(BPE_ARGS["special_tokens"], range(5)):
    if bpe.token_to_id(token) != expected:
      raise RuntimeError(f"{token} has id {bpe.token_to_id(token)}, expected {expected}")
  return bpe


def check_ids(input_ids: list[list[int]], bpe: ByteLevelBPETokenizer, who: str) -> None:
  """Each row is `<s> A </s>` or `<s> A </s></s> B </s>` with tokenizers' own ids, then <pad>."""
  fixture_tools.check_packed_ids(input_ids, lambda text: bpe.encode(text).ids, MAX_SEQ_LENGTH,
                                 (CLS, SEP, PAD), who, "tokenizers", double_sep=True)


# --- transformers ------------------------------------------------------------------------------


def sensitivity(model: RobertaModel, inputs: dict, golden: dict) -> dict:
  """max |diff| of the outputs when the same weights run with a wrong config value, and with
  position ids counted from 0 instead of from padding_idx + 1 (RoBERTa's offset of 2)."""
  return hf_tools.hf_sensitivity(model, RobertaModel, RobertaConfig, HF_CONFIG, HF_WRONG, inputs,
                                 golden, positions_from_zero=True, add_pooling_layer=True)


def safetensors_keys(path: str) -> list[str]:
  """The tensor names in a .safetensors file's header (8 bytes of little-endian length, then
  JSON)."""
  with open(path, "rb") as f:
    (length,) = struct.unpack("<Q", f.read(8))
    header = json.loads(f.read(length))
  return sorted(k for k in header if k != "__metadata__")


def roberta_schema(pooled: str, framework_note: str = "") -> dict:
  return hf_tools.hf_schema(
      "RobertaModel", "RobertaTokenizer",
      "input_ids, input_mask (attention_mask): int [batch, max_seq_length]; "
      "`<s> A </s>` / `<s> A </s></s> B </s>`, padded with <pad> = 1. No segment_ids: "
      "RobertaTokenizer returns no token_type_ids and the model's one-row "
      "token_type_embeddings is added to every token", pooled, framework_note=framework_note)


HF_README = """\
# {name}: a tiny RoBERTa folder written by transformers' own save_pretrained

Generated by `tests/make_roberta_fixture.py`; do not edit by hand. Nothing here was written by
hub_repro: `RobertaModel.save_pretrained` wrote the model, `RobertaTokenizer.save_pretrained`
tokenizer.json + tokenizer_config.json, and `tokenizers`' `ByteLevelBPETokenizer.save_model`
vocab.json + merges.txt.

Files (as transformers {transformers} and tokenizers {tokenizers} write them, plus golden.json and
this README):

{files}

- Model: `RobertaModel(RobertaConfig({config_args}), add_pooling_layer={pooling})`, saved with
  `save_pretrained` (safetensors). RoBERTa's position ids start at `padding_idx + 1` = 2 (rows 0
  and 1 of `position_embeddings` are never used by real tokens; pad tokens get position 1), hence
  66 = 64 + 2 positions, as roberta-base's 514. `token_type_embeddings` has one row, added to
  every token.
{pooler}
- Tokenizer: byte-level BPE trained by `tokenizers.ByteLevelBPETokenizer().train(
  ["tests/fixtures/albert_spm/train.txt"], {bpe_args})`: <s> 0, <pad> 1, </s> 2, <unk> 3,
  <mask> 4 (roberta-base has the first four at the same ids and <mask> last), no prefix space
  (the first word has no `Ġ`). `vocab.json` + `merges.txt` are what `save_model` wrote;
  `RobertaTokenizer.from_pretrained(<those two>).save_pretrained(dir)` wrote `tokenizer.json` +
  `tokenizer_config.json` and, in transformers 5, no vocab.json or merges.txt (the Hub's
  FacebookAI/roberta-base has all of them). Packing: `<s> A </s>`, pairs `<s> A </s></s> B </s>`,
  no token type ids. The generator checks the ids against tokenizers' own encoding.
- Weights: transformers' own init under `torch.manual_seed({seed})` with `initializer_range=0.2`;
  then every bias (LayerNorm biases included) re-drawn from N(0, 0.1) and every LayerNorm weight
  from 1 + 0.1 N(0, 1) (torch.Generator seed {seed}, sorted parameter names).{shared}
- `golden.json`: what transformers computes on this folder (`RobertaModel.from_pretrained` +
  `AutoTokenizer.from_pretrained`, eval mode, PyTorch CPU, float32): see its `schema` key.
  Outputs move this much with a wrong value (max |diff|):
  {sensitivity}

Regenerate (from the repo root; torch==2.13.0 transformers==5.24.0 tokenizers==0.23.3, in the
project's .venv; the script writes hf_roberta, hf_roberta_no_pooler and keras_hub_roberta):

    .venv/bin/python tests/make_roberta_fixture.py

Generated with: {versions}.
"""

POOLER_TEXT = """\
- pooled_output: `pooler_output = tanh(pooler.dense(sequence_output[:, 0]))`; `pooler.dense.*`
  are in model.safetensors (random weights, like the rest)."""

NO_POOLER_TEXT = """\
- **No pooler in the checkpoint**: model.safetensors has no `pooler.*` tensor (saved from
  `RobertaModel(config, add_pooling_layer=False)`, as FacebookAI/roberta-base's checkpoint, which
  was pretrained without next-sentence prediction). `config.json` cannot say so:
  `RobertaModel.from_pretrained` builds a pooler anyway, reports `pooler.dense.bias` and
  `pooler.dense.weight` as MISSING and initialises them at random at load time (weight
  N(0, initializer_range), bias 0). Its `pooler_output` is therefore a different random function
  of `sequence_output[:, 0]` on every load: golden.json has no `pooled_output`, and under
  `random_pooler_evidence` the pooled outputs of two loads in one process (max |diff|
  {load_diff}) and the keys missing at load."""


# --- keras-hub ---------------------------------------------------------------------------------


KERAS_README = """\
# keras_hub_roberta: a tiny RoBERTa preset written by keras-hub's own save_to_preset

Generated by `tests/make_roberta_fixture.py`; do not edit by hand. Nothing here was written by
hub_repro: `RobertaBackbone.save_to_preset` and `RobertaTokenizer.save_to_preset` wrote the preset.
Keras backend: **{backend}** (`KERAS_BACKEND=tensorflow`).

Files (as keras-hub {keras_hub} writes them, plus golden.json and this README):

{files}

- Backbone: `keras_hub.models.RobertaBackbone({backbone_args})` (dropout left at its default 0.1;
  inference ignores it). `config.json` is Keras' serialized layer (`"class_name":
  "RobertaBackbone"`). keras-hub's RoBERTa: exact-erf gelu, layer_norm_epsilon 1e-5, position
  ids 0..S-1 with no padding_idx + 1 offset (keras-hub's converter from transformers drops rows
  0-1 of the position table), no token type embedding. Weights in `model.weights.h5`: `embeddings`
  (token_embedding, position_embedding), `embeddings_layer_norm`, `transformer_layer_0..1`.
- **No pooled output**: RobertaBackbone returns `sequence_output` alone (a tensor, not a dict).
  keras-hub's `RobertaTextClassifier` builds its own head on `sequence_output[:, 0]` (dropout,
  Dense(hidden, tanh) `pooled_dense`, dropout, logits); that head belongs to the task model and is
  not in a backbone preset.
- Tokenizer: `keras_hub.models.RobertaTokenizer(vocabulary=<vocab.json>, merges=<merges.txt>)`,
  the byte-level BPE trained by `tokenizers` for hf_roberta ({bpe_args}); saved as
  `assets/tokenizer/vocabulary.json` + `merges.txt` (the same tokens and merges; keras-hub writes
  the JSON ASCII-escaped). `tokenizer.json`'s `unsplittable_tokens` (the four special tokens)
  come in set order, which changes from run to run unless PYTHONHASHSEED is fixed. golden.json's
  inputs come from `RobertaTextClassifierPreprocessor(sequence_length=16)`: `<s> A </s>`,
  `<s> A </s></s> B </s>`, `<pad>` = 1, no segment ids; they equal hf_roberta's.
- Weights: keras-hub's init, then every weight re-drawn with numpy `default_rng({seed})` in
  sorted-path order and `assign`ed: kernels/embeddings N(0, 0.2), biases and LayerNorm betas
  N(0, 0.1), LayerNorm gammas 1 + 0.1 N(0, 1).
- `golden.json`: what keras-hub computes on this preset (`RobertaBackbone.from_preset` +
  `RobertaTokenizer.from_preset`, float32, TF_ENABLE_ONEDNN_OPTS=0): see its `schema` key.
  Outputs move this much with a wrong head count (max |diff|):
  {sensitivity}

Regenerate (from the repo root; keras-hub==0.32.0 tensorflow==2.21.0 keras==3.15.1 and, for the
tokenizer and the Hugging Face folders, torch==2.13.0 transformers==5.24.0 tokenizers==0.23.3):

    .venv/bin/python tests/make_roberta_fixture.py

Generated with: {versions}.
"""


# --- main --------------------------------------------------------------------------------------


def make_hf(bpe_dir: str, bpe: ByteLevelBPETokenizer) -> None:
  vers = fixture_tools.versions(HF_PACKAGES)
  torch.manual_seed(SEED)  # transformers' own init, then biases and LayerNorms re-drawn
  model = hf_tools.redraw_torch_biases_and_norms(
      RobertaModel(RobertaConfig(**HF_CONFIG), add_pooling_layer=True), SEED)
  tokenizer = RobertaTokenizer.from_pretrained(bpe_dir)
  if len(tokenizer) != HF_CONFIG["vocab_size"]:
    raise RuntimeError(f"RobertaTokenizer has {len(tokenizer)} tokens")
  expected = ["config.json", "merges.txt", "model.safetensors", "tokenizer.json",
              "tokenizer_config.json", "vocab.json"]

  # hf_roberta: the model with its pooler.
  name = "hf_roberta"
  out_dir = os.path.join(fixture_tools.FIXTURES, name)
  with fixture_tools.staged_folder(out_dir) as work:
    model.save_pretrained(work)
    tokenizer.save_pretrained(work)
    for fn in ("vocab.json", "merges.txt"):
      shutil.copyfile(os.path.join(bpe_dir, fn), os.path.join(work, fn))
    fixture_tools.check_written(work, expected, f"{name}: transformers")
    if not set(POOLER_KEYS) <= set(safetensors_keys(os.path.join(work, "model.safetensors"))):
      raise RuntimeError(f"{name}: no pooler in model.safetensors")
    loaded = hf_tools.hf_load(RobertaModel, work)
    inputs = fixture_tools.hf_encode(AutoTokenizer.from_pretrained(work), MAX_SEQ_LENGTH,
                                     segments=False)
    check_ids(inputs["input_ids"], bpe, "RobertaTokenizer")
    golden = hf_tools.hf_outputs(loaded, model, inputs, name)
    sens = sensitivity(loaded, inputs, golden)
    fixture_tools.write_json(os.path.join(work, "golden.json"), hf_tools.golden_json(
        roberta_schema("pooler_output = tanh(pooler.dense(sequence_output[:, 0])), "
                       "float [batch, hidden]"),
        "transformers", HF_CONFIG, MAX_SEQ_LENGTH, inputs, hf_tools.float_outputs(golden), sens,
        vers, model_args={"add_pooling_layer": True}))
    fixture_tools.write_fixture_readme(work, HF_README, 24, sens, vers, name=name,
        transformers=vers["transformers"], tokenizers=vers["tokenizers"],
        config_args=fixture_tools.call_args(HF_CONFIG), pooling=True, pooler=POOLER_TEXT,
        bpe_args=fixture_tools.call_args(BPE_ARGS), seed=SEED, shared="")
    fixture_tools.check_no_paths(work, name, bpe_dir)
  fixture_tools.print_listing(out_dir, 24)
  print("  inputs: %s" % json.dumps(inputs["input_ids"]))
  print("  sensitivity: %s" % json.dumps(sens))
  with_pooler = golden

  # hf_roberta_no_pooler: the same encoder weights, saved without a pooler.
  name = "hf_roberta_no_pooler"
  out_dir = os.path.join(fixture_tools.FIXTURES, name)
  with fixture_tools.staged_folder(out_dir) as work:
    no_pooler = RobertaModel(RobertaConfig(**HF_CONFIG), add_pooling_layer=False)
    state = {k: v for k, v in model.state_dict().items() if not k.startswith("pooler.")}
    no_pooler.load_state_dict(state, strict=True)
    no_pooler.save_pretrained(work)
    tokenizer.save_pretrained(work)
    for fn in ("vocab.json", "merges.txt"):
      shutil.copyfile(os.path.join(bpe_dir, fn), os.path.join(work, fn))
    keys = safetensors_keys(os.path.join(work, "model.safetensors"))
    if [k for k in keys if k.startswith("pooler.")]:
      raise RuntimeError(f"{name}: model.safetensors has pooler tensors")
    inputs = fixture_tools.hf_encode(AutoTokenizer.from_pretrained(work), MAX_SEQ_LENGTH,
                                     segments=False)
    loads = []
    for _ in range(2):  # no re-seeding between the loads: each draws a new pooler
      loaded = hf_tools.hf_load(RobertaModel, work, POOLER_KEYS)
      loads.append(hf_tools.hf_run(loaded, inputs))
    golden = loads[0]
    for key in ("sequence_output", "hidden_states"):
      if not (np.array_equal(loads[1][key], golden[key])
              and np.array_equal(with_pooler[key], golden[key])):
        raise RuntimeError(f"{name}: {key} differs between loads or from hf_roberta")
    load_diff = hf_tools.max_diffs(loads[0], loads[1], ["pooled_output"])["pooled_output"]
    print("  two loads: pooled_output max |diff| %g" % load_diff)
    if load_diff < 0.01:
      raise RuntimeError(f"{name}: two loads gave nearly the same random pooler ({load_diff})")
    sens = sensitivity(loaded, inputs, golden)
    for diffs in sens.values():
      del diffs["pooled_output"]  # the pooler is random: only the encoder's outputs say anything
    encoder_outputs = {k: golden[k] for k in ("sequence_output", "hidden_states")}
    fixture_tools.write_json(os.path.join(work, "golden.json"), hf_tools.golden_json(
        dict(
            roberta_schema("absent: model.safetensors has no pooler; RobertaModel.from_pretrained "
                           "adds one initialised at random at load time (see "
                           "random_pooler_evidence)",
                           " (the same encoder weights as hf_roberta: sequence_output and "
                           "hidden_states are hf_roberta's)"),
            random_pooler_evidence="checkpoint_pooler_keys: the pooler.* keys of "
                                   "model.safetensors (none); missing_keys_at_load: what "
                                   "from_pretrained(output_loading_info=True) reports missing; "
                                   "pooled_output_load_1/2: pooler_output of two "
                                   "RobertaModel.from_pretrained calls in one process, float "
                                   "[batch, hidden]; NOT golden values, evidence that the "
                                   "pooler is random; max_abs_diff between them"),
        "transformers", HF_CONFIG, MAX_SEQ_LENGTH, inputs, hf_tools.float_outputs(encoder_outputs),
        sens, vers, model_args={"add_pooling_layer": False},
        random_pooler_evidence={
            "checkpoint_pooler_keys": [k for k in keys if k.startswith("pooler.")],
            "checkpoint_keys": len(keys),
            "missing_keys_at_load": POOLER_KEYS,
            "pooled_output_load_1": fixture_tools.float32_list(loads[0]["pooled_output"]),
            "pooled_output_load_2": fixture_tools.float32_list(loads[1]["pooled_output"]),
            "max_abs_diff": load_diff,
        }))
    fixture_tools.write_fixture_readme(work, HF_README, 24, sens, vers, name=name,
        transformers=vers["transformers"], tokenizers=vers["tokenizers"],
        config_args=fixture_tools.call_args(HF_CONFIG), pooling=False,
        pooler=NO_POOLER_TEXT.format(load_diff=load_diff),
        bpe_args=fixture_tools.call_args(BPE_ARGS), seed=SEED,
        shared="\n  The encoder weights are hf_roberta's; its pooler was dropped before saving.")
    fixture_tools.check_no_paths(work, name, bpe_dir)
  fixture_tools.print_listing(out_dir, 24)


def make_keras_hub(bpe_dir: str, bpe: ByteLevelBPETokenizer) -> None:
  vers = hf_tools.keras_versions(KERAS_PACKAGES)
  name = "keras_hub_roberta"
  out_dir = os.path.join(fixture_tools.FIXTURES, name)
  with fixture_tools.staged_folder(out_dir) as work:
    keras.utils.set_random_seed(SEED)
    backbone = keras_hub.models.RobertaBackbone(**KERAS_ARGS)
    fixture_tools.redraw_keras_weights(backbone.weights, np.random.default_rng(SEED))
    tokenizer = keras_hub.models.RobertaTokenizer(
        vocabulary=os.path.join(bpe_dir, "vocab.json"),
        merges=os.path.join(bpe_dir, "merges.txt"))
    if tokenizer.vocabulary_size() != KERAS_ARGS["vocabulary_size"]:
      raise RuntimeError(f"the tokenizer has {tokenizer.vocabulary_size()} tokens")
    backbone.save_to_preset(work)
    tokenizer.save_to_preset(work)
    fixture_tools.check_written(
        work, ["assets/tokenizer/merges.txt", "assets/tokenizer/vocabulary.json", "config.json",
               "metadata.json", "model.weights.h5", "tokenizer.json"], "keras-hub")

    inputs, golden = hf_tools.keras_golden(
        work, backbone, keras_hub.models.RobertaBackbone.from_preset(work),
        keras_hub.models.RobertaTextClassifierPreprocessor(
            keras_hub.models.RobertaTokenizer.from_preset(work), sequence_length=MAX_SEQ_LENGTH),
        lambda input_ids: check_ids(input_ids, bpe, "keras-hub"))
    sens = hf_tools.keras_wrong_heads(keras_hub.models.RobertaBackbone, KERAS_ARGS, WRONG_HEADS,
                                      backbone, inputs, golden)
    fixture_tools.write_json(os.path.join(work, "golden.json"), hf_tools.keras_golden_json(
        "Roberta", KERAS_ARGS, MAX_SEQ_LENGTH, inputs, golden, sens, vers,
        inputs="input_ids (token_ids), input_mask (padding_mask as 0/1): "
               "int [batch, max_seq_length]; no segment_ids (RobertaBackbone has no "
               "segment input)",
        sequence_output="RobertaBackbone's output, float [batch, max_seq_length, hidden]"))
    fixture_tools.write_fixture_readme(work, KERAS_README, 34, sens, vers,
        backend=vers["keras_backend"], keras_hub=vers["keras-hub"],
        backbone_args=fixture_tools.call_args(KERAS_ARGS),
        bpe_args=fixture_tools.call_args(BPE_ARGS), seed=SEED)
    fixture_tools.check_no_paths(work, name, bpe_dir)
  fixture_tools.print_listing(out_dir, 34)
  print("  inputs: %s" % json.dumps(inputs["input_ids"]))
  print("  sensitivity: %s" % json.dumps(sens))


def main() -> None:
  hf_tools.quiet_single_thread()
  with tempfile.TemporaryDirectory(prefix=".roberta_bpe-", dir=fixture_tools.FIXTURES) as bpe_dir:
    bpe = train_bpe(bpe_dir)
    make_hf(bpe_dir, bpe)
    make_keras_hub(bpe_dir, bpe)


if __name__ == "__main__":
  main()
