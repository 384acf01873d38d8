"""Build the MobileBERT fixtures tests/fixtures/hf_mobilebert/, hf_mobilebert_tanh/ and
hf_mobilebert_layer_norm/.

The folders are written by transformers itself (`MobileBertModel.save_pretrained`, the tokenizer's
`save_pretrained`), never by hub_repro: a fixture written by our own code would prove nothing about
compatibility with the folders users hold. This script does not import hub_repro. (keras-hub 0.32
has no MobileBERT.)

All three: MobileBertModel(MobileBertConfig(vocab_size=109, hidden_size=32, embedding_size=16,
intra_bottleneck_size=16, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
num_feedforward_networks=2, hidden_act="relu", max_position_embeddings=64, type_vocab_size=2,
trigram_input=True, use_bottleneck=True, key_query_shared_bottleneck=True,
use_bottleneck_attention=False, ...)): google/mobilebert-uncased's shape, scaled down (its
bottleneck: 512-wide inter-block state, 128-wide attention and feed-forward; here 32 and 16, so
true_hidden_size = 16, 4 heads of 4), saved with save_pretrained (safetensors), and the WordPiece
tokenizer of tests/fixtures/vocab.txt (`BertTokenizer`, which transformers 5 uses for MobileBERT:
tokenizer.json + tokenizer_config.json, plus vocab.txt copied beside them). The three share every
encoder weight and differ in two config values:

  hf_mobilebert/             normalization_type "no_norm", classifier_activation false: as
                             google/mobilebert-uncased's config.json. MobileBertPooler then has no
                             weights and pooled_output IS sequence_output[:, 0].
  hf_mobilebert_tanh/        classifier_activation true (MobileBertConfig's default): a
                             `pooler.dense` Linear(32, 32) and pooled_output =
                             tanh(dense(sequence_output[:, 0])); sequence_output is hf_mobilebert's.
  hf_mobilebert_layer_norm/  normalization_type "layer_norm" (real LayerNorms where no_norm has
                             the elementwise `NoNorm`: x * weight + bias), classifier_activation
                             false.

Each folder also holds golden.json (what transformers computes on it for testutil.SENTENCES,
BERT's packing with token type ids) and README.md.

Weights: transformers' own init under torch.manual_seed(SEED) with initializer_range=0.2 (with the
default 0.02 the attention is nearly uniform and a wrong head count barely shows); then every bias
re-drawn from N(0, 0.1) and every NoNorm / LayerNorm weight from 1 + 0.1 N(0, 1) (torch.Generator
seeded with SEED, sorted parameter names): the scheme of make_hf_fixtures.py.

Run from the repo root, in the project's .venv (torch==2.13.0 CPU, transformers==5.24.0):

    .venv/bin/python tests/make_mobilebert_fixture.py

Idempotent: each folder is built in a temporary folder beside it and renamed into place; the same
versions give the same bytes.
"""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import torch
from transformers import AutoTokenizer, BertTokenizer, MobileBertConfig, MobileBertModel
from transformers.models.mobilebert.modeling_mobilebert import NoNorm

import fixture_tools
import hf_fixture_tools as hf_tools

SEED = 1234
VOCAB_PATH = os.path.join(fixture_tools.FIXTURES, "vocab.txt")
MAX_SEQ_LENGTH = 16

CONFIG = dict(vocab_size=109, hidden_size=32, embedding_size=16, intra_bottleneck_size=16,
              num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
              num_feedforward_networks=2, hidden_act="relu", max_position_embeddings=64,
              type_vocab_size=2, trigram_input=True, use_bottleneck=True,
              key_query_shared_bottleneck=True, use_bottleneck_attention=False,
              initializer_range=0.2)
VARIANTS = {
    "hf_mobilebert": dict(normalization_type="no_norm", classifier_activation=False),
    "hf_mobilebert_tanh": dict(normalization_type="no_norm", classifier_activation=True),
    "hf_mobilebert_layer_norm": dict(normalization_type="layer_norm",
                                     classifier_activation=False),
}
OTHER_NORM = {"no_norm": "layer_norm", "layer_norm": "no_norm"}

PACKAGES = ["torch", "transformers", "tokenizers", "safetensors", "numpy"]


def build_model() -> MobileBertModel:
  """The weights of all three folders: transformers' own init of the variant with a pooler, then
  biases and norms re-drawn (see the module docstring)."""
  torch.manual_seed(SEED)
  return hf_tools.redraw_torch_biases_and_norms(
      MobileBertModel(MobileBertConfig(**CONFIG, **VARIANTS["hf_mobilebert_tanh"])), SEED,
      (NoNorm, torch.nn.LayerNorm))


def variant(weights: MobileBertModel, **config) -> MobileBertModel:
  """A MobileBertModel of `config` holding `weights`' tensors (the pooler's only if it has one)."""
  model = MobileBertModel(MobileBertConfig(**config))
  wanted = set(model.state_dict())
  model.load_state_dict({k: v for k, v in weights.state_dict().items() if k in wanted},
                        strict=True)
  return model.eval()


def sensitivity(model: MobileBertModel, config: dict, inputs: dict, golden: dict) -> dict:
  """max |diff| of the outputs when the same weights run with a wrong config value."""
  wrongs = [dict(num_attention_heads=2),
            dict(normalization_type=OTHER_NORM[config["normalization_type"]])]
  return hf_tools.wrong_config_diffs(lambda values: variant(model, **values), config, wrongs,
                                     lambda other: hf_tools.hf_run(other, inputs), golden)


README = """\
# {name}: a tiny MobileBERT folder written by transformers' own save_pretrained

Generated by `tests/make_mobilebert_fixture.py`; do not edit by hand. Nothing here was written by
hub_repro: `MobileBertModel.save_pretrained` wrote the model, `BertTokenizer.save_pretrained` the
tokenizer; vocab.txt is a byte copy of tests/fixtures/vocab.txt.

Files (as transformers {transformers} writes them, plus vocab.txt, golden.json and this README):

{files}

- Model: `MobileBertModel(MobileBertConfig({config_args}))`, saved with `save_pretrained`
  (safetensors). google/mobilebert-uncased's architecture scaled down: trigram input (the
  16-wide word embeddings of tokens i-1, i, i+1 concatenated to 48 and projected to 32 by
  `embeddings.embedding_transformation`), then per layer a bottleneck (`bottleneck.input` 32 -> 16;
  with key_query_shared_bottleneck, `bottleneck.attention` 32 -> 16 feeds query and key, the
  32-wide layer input feeds value), attention on true_hidden_size 16 (4 heads of 4),
  {num_ffn} feed-forward blocks (`intermediate`/`output` and `ffn.0`), and `output.bottleneck`
  16 -> 32 back to the 32-wide state. relu.
{norm}
{pooler}
- Tokenizer: `BertTokenizer(vocab="tests/fixtures/vocab.txt", do_lower_case=True)
  .save_pretrained(dir)` (transformers 5 maps MobileBERT to BertTokenizer: `tokenizer.json` +
  `tokenizer_config.json`, no vocab.txt); `vocab.txt` is copied beside them, as
  google/mobilebert-uncased has one. BERT's packing: `[CLS] A [SEP] B [SEP]`, token type ids 0/1.
- Weights: transformers' own init under `torch.manual_seed({seed})` with `initializer_range=0.2`;
  then every bias re-drawn from N(0, 0.1) and every NoNorm / LayerNorm weight from 1 + 0.1 N(0, 1)
  (torch.Generator seed {seed}, sorted parameter names). The three MobileBERT folders share every
  encoder weight (hf_mobilebert_tanh adds `pooler.dense`).
- `golden.json`: what transformers computes on this folder (`MobileBertModel.from_pretrained` +
  `AutoTokenizer.from_pretrained`, eval mode, PyTorch CPU, float32): see its `schema` key.
  `hidden_states` are the 32-wide inter-block states. Outputs move this much with a wrong value
  (max |diff|):
  {sensitivity}

Regenerate (from the repo root; torch==2.13.0 transformers==5.24.0, in the project's .venv; the
script writes hf_mobilebert, hf_mobilebert_tanh and hf_mobilebert_layer_norm):

    .venv/bin/python tests/make_mobilebert_fixture.py

Generated with: {versions}.
"""

NORM_TEXT = {
    "no_norm": """\
- normalization_type **"no_norm"** (google's): every `LayerNorm` in the names is a `NoNorm`,
  an elementwise `x * weight + bias` with no mean or variance.""",
    "layer_norm": """\
- normalization_type **"layer_norm"**: every `LayerNorm` in the names is a real
  `torch.nn.LayerNorm` (eps 1e-12), where google's MobileBERT has `NoNorm`. The weights are
  hf_mobilebert's.""",
}

POOLER_TEXT = {
    False: """\
- **classifier_activation false** (as google/mobilebert-uncased's config.json): MobileBertPooler
  has no weights and returns `sequence_output[:, 0]` itself: `pooled_output` IS the [CLS] state
  (golden.json's `pooled_minus_cls_max_abs_diff` is 0.0, bit for bit). There is no `pooler.*`
  tensor in model.safetensors.""",
    True: """\
- **classifier_activation true** (MobileBertConfig's default; google's checkpoint sets false):
  `pooled_output = tanh(pooler.dense(sequence_output[:, 0]))` with `pooler.dense` a
  Linear(32, 32) in model.safetensors; sequence_output and hidden_states are hf_mobilebert's.
  pooled_output differs from the [CLS] state by {diff} (golden.json's
  `pooled_minus_cls_max_abs_diff`).""",
}


def main() -> None:
  hf_tools.quiet_single_thread(tensorflow=False)
  vers = fixture_tools.versions(PACKAGES)
  print("versions: %s" % json.dumps(vers))
  weights = build_model()
  tokenizer = BertTokenizer(vocab=VOCAB_PATH, do_lower_case=True)
  if len(tokenizer) != CONFIG["vocab_size"]:
    raise RuntimeError(f"BertTokenizer has {len(tokenizer)} tokens")
  goldens = {}
  for name, settings in VARIANTS.items():
    config = dict(CONFIG, **settings)
    out_dir = os.path.join(fixture_tools.FIXTURES, name)
    with fixture_tools.staged_folder(out_dir) as work:
      model = variant(weights, **config)
      model.save_pretrained(work)
      tokenizer.save_pretrained(work)
      shutil.copyfile(VOCAB_PATH, os.path.join(work, "vocab.txt"))
      fixture_tools.check_written(work, ["config.json", "model.safetensors", "tokenizer.json",
                                         "tokenizer_config.json", "vocab.txt"],
                                  f"{name}: transformers")

      loaded = hf_tools.hf_load(MobileBertModel, work)
      for key, value in settings.items():
        if getattr(loaded.config, key) != value:
          raise RuntimeError(f"{name}: the loaded config has {key}={getattr(loaded.config, key)}")
      inputs = fixture_tools.hf_encode(AutoTokenizer.from_pretrained(work), MAX_SEQ_LENGTH)
      golden = hf_tools.hf_outputs(loaded, model, inputs, name)
      cls_diff = float(np.max(np.abs(golden["pooled_output"] - golden["sequence_output"][:, 0])))
      print("  %s: pooled_output - sequence_output[:, 0] max |diff| %g" % (name, cls_diff))
      if (cls_diff == 0.0) == settings["classifier_activation"]:
        raise RuntimeError(f"{name}: pooled_output vs [CLS] max |diff| {cls_diff}")
      sens = sensitivity(loaded, config, inputs, golden)
      goldens[name] = golden

      outputs = hf_tools.float_outputs(golden)
      outputs = {"pooled_output": outputs.pop("pooled_output"),
                 "pooled_minus_cls_max_abs_diff": float("%.4g" % cls_diff), **outputs}
      fixture_tools.write_json(os.path.join(work, "golden.json"), hf_tools.golden_json(
          {
              "framework": "transformers MobileBertModel.from_pretrained(folder), eval mode, "
                           "PyTorch CPU, float32; tokenized by "
                           "AutoTokenizer.from_pretrained(folder) (BertTokenizer)",
              "sentences": fixture_tools.SENTENCES_SCHEMA,
              "inputs": "input_ids, input_mask (attention_mask), segment_ids (token_type_ids): "
                        "int [batch, max_seq_length]",
              "pooled_output": ("pooler_output = tanh(pooler.dense(sequence_output[:, 0]))"
                                if settings["classifier_activation"] else
                                "pooler_output = sequence_output[:, 0] (classifier_activation "
                                "false: no pooler weights)") + ", float [batch, hidden]",
              "pooled_minus_cls_max_abs_diff": "max |pooled_output - sequence_output[:, 0]|",
              "sequence_output": hf_tools.HF_SEQUENCE_SCHEMA,
              "hidden_states": "output_hidden_states: the embedding output (after "
                               "embedding_transformation and the embedding norm), then each "
                               "layer's output, float [num_layers + 1, batch, max_seq_length, "
                               "hidden]; hidden_states[-1] == sequence_output",
              "floats": fixture_tools.FLOATS_SCHEMA,
              "sensitivity": hf_tools.SENSITIVITY_SCHEMA,
          }, "transformers", config, MAX_SEQ_LENGTH, inputs, outputs, sens, vers))
      fixture_tools.write_fixture_readme(work, README, 24, sens, vers, name=name,
          transformers=vers["transformers"], config_args=fixture_tools.call_args(config),
          num_ffn=CONFIG["num_feedforward_networks"],
          norm=NORM_TEXT[settings["normalization_type"]],
          pooler=POOLER_TEXT[settings["classifier_activation"]].format(diff="%.4g" % cls_diff),
          seed=SEED)
      fixture_tools.check_no_paths(work, name)
    fixture_tools.print_listing(out_dir, 24)
    print("  sensitivity: %s" % json.dumps(sens))
  print("  inputs: %s" % json.dumps(inputs["input_ids"]))

  for key in ("sequence_output", "hidden_states"):
    if not np.array_equal(goldens["hf_mobilebert"][key], goldens["hf_mobilebert_tanh"][key]):
      raise RuntimeError(f"hf_mobilebert and hf_mobilebert_tanh differ in {key}")


if __name__ == "__main__":
  main()
