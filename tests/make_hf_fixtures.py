"""Build the Hugging Face fixtures tests/fixtures/hf_bert_tokenizer_json/ and hf_bert_head16_gelu_new/.

Both folders are written by transformers itself (`BertModel.save_pretrained`, the tokenizer's
`save_pretrained`), never by hub_repro: a fixture written by our own code would prove nothing about
compatibility with the folders users hold. This script does not import hub_repro.

  hf_bert_tokenizer_json/   hidden 32, 4 heads (head size 8), intermediate 37, hidden_act "gelu";
                            tokenizer saved by the (fast, tokenizers-backed) `BertTokenizer`:
                            tokenizer.json + tokenizer_config.json and NO vocab.txt, as every
                            folder saved by transformers 5 is.
  hf_bert_head16_gelu_new/  hidden 48, 3 heads (head size 16, not 64), intermediate 61,
                            hidden_act "gelu_new" (the tanh approximation); tokenizer saved in the
                            legacy format by `BertTokenizerLegacy` (transformers 5's pure-Python
                            WordPiece class): vocab.txt + tokenizer_config.json, no tokenizer.json.

Both: 2 layers, vocab tests/fixtures/vocab.txt (109 tokens, uncased), 64 positions, 2 token types,
pooler included, safetensors. Each folder also holds golden.json (what transformers computes on
these weights for testutil.SENTENCES) and README.md (exact versions, the regenerate command).

Weights: transformers' own init (`BertModel(config)` under torch.manual_seed(SEED)) with
initializer_range=0.2 instead of BERT's 0.02: with 0.02 the attention is nearly uniform and a wrong
head count or gelu form barely shows. That init sets every bias to 0 and every LayerNorm to (1, 0),
so a loader that dropped a bias would still pass; every bias (LayerNorm biases included) is then
re-drawn from N(0, 0.1) and every LayerNorm weight from 1 + 0.1 N(0, 1) (torch.Generator seeded with
SEED, parameters in sorted-name order). golden.json's "sensitivity" records how far the outputs move
with a wrong head count or the other gelu: both are far above any loader tolerance.

Run from the repo root, in the project's .venv plus torch and transformers:

    .venv/bin/pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
    .venv/bin/pip install transformers==5.24.0
    .venv/bin/python tests/make_hf_fixtures.py

Idempotent: each folder is built in a temporary folder beside it and renamed into place; the same
versions give the same bytes.
"""

from __future__ import annotations

import json
import os

import numpy as np
import torch
import transformers
from transformers import AutoTokenizer, BertConfig, BertModel, BertTokenizer
from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy

import fixture_tools

SEED = 1234
VOCAB_PATH = os.path.join(fixture_tools.FIXTURES, "vocab.txt")
MAX_SEQ_LENGTH = 16

COMMON = dict(vocab_size=109, num_hidden_layers=2, max_position_embeddings=64, type_vocab_size=2,
              initializer_range=0.2)
FIXTURE_SPECS = {
    "hf_bert_tokenizer_json": dict(
        config=dict(COMMON, hidden_size=32, num_attention_heads=4, intermediate_size=37,
                    hidden_act="gelu"),
        tokenizer="tokenizer.json",
        wrong_heads=2, wrong_act="gelu_new"),
    "hf_bert_head16_gelu_new": dict(
        config=dict(COMMON, hidden_size=48, num_attention_heads=3, intermediate_size=61,
                    hidden_act="gelu_new"),
        tokenizer="vocab.txt",
        wrong_heads=12, wrong_act="gelu"),  # 12: BERT-base's head count (head size 4 here)
}

PACKAGES = ["torch", "transformers", "tokenizers", "safetensors", "huggingface-hub", "numpy"]


def build_model(config: BertConfig) -> BertModel:
  """transformers' own init, then biases and LayerNorms re-drawn (see the module docstring)."""
  torch.manual_seed(SEED)
  model = BertModel(config, add_pooling_layer=True)
  generator = torch.Generator().manual_seed(SEED)
  with torch.no_grad():
    for name, param in sorted(model.named_parameters()):
      if name.endswith(".bias"):
        param.copy_(0.1 * torch.randn(param.shape, generator=generator))
      elif "LayerNorm" in name and name.endswith(".weight"):
        param.copy_(1.0 + 0.1 * torch.randn(param.shape, generator=generator))
  return model.eval()


def save_tokenizer(kind: str, folder: str) -> None:
  if kind == "tokenizer.json":
    # transformers 5: BertTokenizer IS the fast class (BertTokenizerFast is an alias). Its vocab
    # comes in as `vocab=`; `vocab_file=` is swallowed by **kwargs and leaves a 5-token vocab.
    tokenizer = BertTokenizer(vocab=VOCAB_PATH, do_lower_case=True)
  else:
    tokenizer = BertTokenizerLegacy(vocab_file=VOCAB_PATH, do_lower_case=True)
  if len(tokenizer) != 109:
    raise RuntimeError(f"{type(tokenizer).__name__} has {len(tokenizer)} tokens, expected 109")
  tokenizer.save_pretrained(folder)


def run(model: BertModel, inputs: dict) -> dict[str, np.ndarray]:
  with torch.no_grad():
    out = model(input_ids=torch.tensor(inputs["input_ids"]),
                attention_mask=torch.tensor(inputs["input_mask"]),
                token_type_ids=torch.tensor(inputs["segment_ids"]),
                output_hidden_states=True)
  return {"pooled_output": out.pooler_output.numpy(),
          "sequence_output": out.last_hidden_state.numpy(),
          "hidden_states": np.stack([h.numpy() for h in out.hidden_states])}


def sensitivity(model: BertModel, config: dict, inputs: dict, golden: dict, **wrong) -> dict:
  """max |diff| of the outputs when the same weights run with a wrong config value."""
  other = BertModel(BertConfig(**dict(config, **wrong)), add_pooling_layer=True)
  other.load_state_dict(model.state_dict(), strict=True)
  out = run(other.eval(), inputs)
  key = ",".join("%s=%s" % kv for kv in wrong.items())
  return {key: {name: float("%.4g" % np.max(np.abs(out[name] - golden[name])))
                for name in ("pooled_output", "sequence_output")}}


README = """\
# {name}: a tiny BERT folder written by transformers' own save_pretrained

Generated by `tests/make_hf_fixtures.py`; do not edit by hand. Nothing here was written by
hub_repro: `BertModel.save_pretrained` wrote the model, {tokenizer_writer} the tokenizer.

Files (as transformers {transformers} writes them):

{files}

- Model: `BertModel(BertConfig({config_args}))`, pooler included,
  saved with `save_pretrained` (safetensors). `config.json` stores `"hidden_act": "{hidden_act}"`.
- Tokenizer: {tokenizer_text}
- Weights: transformers' own init under `torch.manual_seed({seed})` with `initializer_range=0.2`
  (BERT's 0.02 makes attention nearly uniform, so a wrong head count would barely show); then every
  bias (LayerNorm biases included) re-drawn from N(0, 0.1) and every LayerNorm weight from
  1 + 0.1 N(0, 1) (torch.Generator seed {seed}, sorted parameter names), so that no parameter is
  trivially 0 or 1.
- `golden.json`: what transformers computes on this folder (`BertModel.from_pretrained` +
  `AutoTokenizer.from_pretrained`, eval mode, PyTorch CPU, float32): see its `schema` key.
  Outputs move this much with a wrong config value (max |diff|, the loader tolerance is 1e-5):
  {sensitivity}

Regenerate (from the repo root; the stack is `torch==2.13.0 transformers==5.24.0 keras-hub==0.32.0
tensorflow==2.21.0 keras==3.15.1`):

    .venv/bin/pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
    .venv/bin/pip install transformers==5.24.0
    .venv/bin/python tests/make_hf_fixtures.py

Generated with: {versions}.
"""

TOKENIZER_TEXT = {
    "tokenizer.json": (
        "`BertTokenizer(vocab=\"tests/fixtures/vocab.txt\", do_lower_case=True)"
        ".save_pretrained(dir)`\n"
        "  (transformers 5's `BertTokenizer` is the tokenizers-backed class; `BertTokenizerFast` is an\n"
        "  alias of it). transformers 5 writes only `tokenizer.json` + `tokenizer_config.json`: no\n"
        "  `vocab.txt` (not even with `legacy_format=True`) and no `special_tokens_map.json`.\n"
        "  Caveat: `BertTokenizer(vocab_file=...)` silently ignores the file in transformers 5 (the\n"
        "  argument is now `vocab`) and gives a 5-token vocab; the generator checks `len == 109`."),
    "vocab.txt": (
        "`BertTokenizerLegacy(vocab_file=\"tests/fixtures/vocab.txt\", do_lower_case=True)"
        ".save_pretrained(dir)`\n"
        "  (transformers 5's pure-Python WordPiece class, the legacy format): `vocab.txt` +\n"
        "  `tokenizer_config.json` with `\"tokenizer_class\": \"BertTokenizerLegacy\"`, "
        "no `tokenizer.json`.\n"
        "  `AutoTokenizer.from_pretrained` loads it back as `BertTokenizerLegacy` (transformers 4 would\n"
        "  not know that class name; loaders reading `vocab.txt` directly are unaffected)."),
}


def make_fixture(name: str, spec: dict, vers: dict) -> None:
  out_dir = os.path.join(fixture_tools.FIXTURES, name)
  with fixture_tools.staged_folder(out_dir) as work:
    config_args = spec["config"]
    model = build_model(BertConfig(**config_args))
    model.save_pretrained(work)
    save_tokenizer(spec["tokenizer"], work)

    files = sorted(os.listdir(work))
    has_vocab_txt, has_tokenizer_json = "vocab.txt" in files, "tokenizer.json" in files
    if spec["tokenizer"] == "tokenizer.json" and (has_vocab_txt or not has_tokenizer_json):
      raise RuntimeError(
          f"{name}: expected tokenizer.json and no vocab.txt, transformers wrote {files}")
    if spec["tokenizer"] == "vocab.txt" and not has_vocab_txt:
      raise RuntimeError(f"{name}: expected vocab.txt, transformers wrote {files}")

    # The golden numbers come from the folder as a user would load it.
    loaded, info = BertModel.from_pretrained(work, output_loading_info=True)
    problems = {k: v for k, v in info.items() if v}
    if problems:
      raise RuntimeError(f"{name}: from_pretrained reported {problems}")
    loaded.eval()
    tokenizer = AutoTokenizer.from_pretrained(work)
    inputs = fixture_tools.hf_encode(tokenizer, MAX_SEQ_LENGTH)
    golden = run(loaded, inputs)
    in_memory = run(model, inputs)
    for key, value in golden.items():
      diff = float(np.max(np.abs(value - in_memory[key])))
      print("  %s: reloaded vs in-memory %s max |diff| %g" % (name, key, diff))
      if diff != 0.0:
        raise RuntimeError(f"{name}: the saved folder does not reproduce the model ({key}: {diff})")

    sens = {}
    sens.update(sensitivity(model, config_args, inputs, golden,
                            num_attention_heads=spec["wrong_heads"]))
    sens.update(sensitivity(model, config_args, inputs, golden, hidden_act=spec["wrong_act"]))

    golden_json = {
        "schema": {
            "framework": "transformers BertModel.from_pretrained(folder), eval mode, PyTorch CPU, "
                         "float32; tokenized by AutoTokenizer.from_pretrained(folder)",
            "sentences": fixture_tools.SENTENCES_SCHEMA,
            "inputs": "input_ids, input_mask (attention_mask), segment_ids (token_type_ids): "
                      "int [batch, max_seq_length]",
            "pooled_output": "pooler_output, float [batch, hidden]",
            "sequence_output": "last_hidden_state, float [batch, max_seq_length, hidden]",
            "hidden_states": "output_hidden_states: embedding output, then each layer's output, "
                             "float [num_layers + 1, batch, max_seq_length, hidden]; "
                             "hidden_states[-1] == sequence_output",
            "floats": fixture_tools.FLOATS_SCHEMA,
            "sensitivity": "max |diff| of the outputs if the same weights ran with a wrong value",
        },
        "framework": "transformers",
        "config": config_args,
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

    writer = ("BertTokenizer" if spec["tokenizer"] == "tokenizer.json" else "BertTokenizerLegacy")
    fixture_tools.write_text(os.path.join(work, "README.md"), README.format(
        name=name, transformers=vers["transformers"], files=fixture_tools.file_rows(work, 24),
        tokenizer_writer="`%s.save_pretrained`" % writer,
        config_args=fixture_tools.call_args(config_args), hidden_act=config_args["hidden_act"],
        tokenizer_text=TOKENIZER_TEXT[spec["tokenizer"]], seed=SEED,
        sensitivity=fixture_tools.sensitivity_line(sens),
        versions=fixture_tools.versions_line(vers)))
    fixture_tools.check_no_paths(work, name)

  fixture_tools.print_listing(out_dir, 26)
  print("  inputs: %s" % json.dumps(inputs["input_ids"]))
  print("  sensitivity: %s" % json.dumps(sens))


def main() -> None:
  torch.set_num_threads(1)  # small and deterministic; the machine is shared
  transformers.logging.set_verbosity_error()
  vers = fixture_tools.versions(PACKAGES)
  print("versions: %s" % json.dumps(vers))
  for name, spec in FIXTURE_SPECS.items():
    make_fixture(name, spec, vers)


if __name__ == "__main__":
  main()
