"""Build the Hugging Face ELECTRA fixture tests/fixtures/hf_electra/.

The folder is written by transformers itself (`ElectraModel.save_pretrained`, the tokenizer's
`save_pretrained`), never by hub_repro: a fixture written by our own code would prove nothing about
compatibility with the folders users hold. This script does not import hub_repro.

  hf_electra/  ElectraModel(ElectraConfig(vocab_size=109, embedding_size=16, hidden_size=32,
               num_hidden_layers=2, num_attention_heads=4, intermediate_size=64, hidden_act="gelu",
               max_position_embeddings=64, type_vocab_size=2)): a discriminator-like encoder whose
               embedding width (16) is below the hidden width (32), so it has `embeddings_project`
               (Linear(16, 32)); ElectraModel has NO pooler (no pooler_output). Safetensors.
               Tokenizer: transformers 5 maps model_type "electra" to BertTokenizer (the
               tokenizers-backed WordPiece class; there is no ElectraTokenizer any more):
               `BertTokenizer(vocab=tests/fixtures/vocab.txt, do_lower_case=True).save_pretrained`
               writes tokenizer.json + tokenizer_config.json and no vocab.txt. Plus golden.json
               (what transformers computes on this folder for testutil.SENTENCES) and README.md.

Weights: transformers' own init (`ElectraModel(config)` under torch.manual_seed(SEED)) with
initializer_range=0.2 instead of 0.02; then every bias (LayerNorm biases included) is re-drawn from
N(0, 0.1) and every LayerNorm weight from 1 + 0.1 N(0, 1) (torch.Generator seeded with SEED,
parameters in sorted-name order): the scheme of make_hf_fixtures.py.

Run from the repo root, in the project's .venv (torch==2.13.0 CPU, transformers==5.24.0):

    .venv/bin/python tests/make_hf_electra_fixture.py

Idempotent: the folder is built in a temporary folder beside it and renamed into place; the same
versions give the same bytes.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
import sys
import tempfile

import numpy as np
import torch
import transformers
from transformers import AutoTokenizer, BertTokenizer, ElectraConfig, ElectraModel

SEED = 1234
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(REPO_ROOT, "tests", "fixtures")
VOCAB_PATH = os.path.join(FIXTURES, "vocab.txt")
NAME = "hf_electra"
OUT_DIR = os.path.join(FIXTURES, NAME)

# The same as tests/testutil.py SENTENCES (copied, not imported: testutil imports hub_repro);
# a tuple is a sentence pair.
SENTENCES = ["the first token is cls", "what does the pooled output do?", "hello world",
             ("this is a test", "the hidden state")]
MAX_SEQ_LENGTH = 16

CONFIG = dict(vocab_size=109, embedding_size=16, hidden_size=32, num_hidden_layers=2,
              num_attention_heads=4, intermediate_size=64, hidden_act="gelu",
              max_position_embeddings=64, type_vocab_size=2, initializer_range=0.2)
WRONG = [dict(num_attention_heads=2), dict(hidden_act="gelu_new")]

PACKAGES = ["torch", "transformers", "tokenizers", "safetensors", "numpy"]


def versions() -> dict[str, str]:
  out = {name: importlib.metadata.version(name) for name in PACKAGES}
  out["python"] = sys.version.split()[0]
  return out


def float32_list(array) -> list:
  """Nested lists of float32 values printed with 9 significant digits (exact for float32)."""
  array = np.asarray(array, dtype=np.float32)
  flat = np.array([float("%.9g" % v) for v in array.ravel()])
  return flat.reshape(array.shape).tolist()


def build_model(config: ElectraConfig) -> ElectraModel:
  """transformers' own init, then biases and LayerNorms re-drawn (see the module docstring)."""
  torch.manual_seed(SEED)
  model = ElectraModel(config)
  generator = torch.Generator().manual_seed(SEED)
  with torch.no_grad():
    for name, param in sorted(model.named_parameters()):
      if name.endswith(".bias"):
        param.copy_(0.1 * torch.randn(param.shape, generator=generator))
      elif "LayerNorm" in name and name.endswith(".weight"):
        param.copy_(1.0 + 0.1 * torch.randn(param.shape, generator=generator))
  return model.eval()


def encode(tokenizer) -> dict[str, list[list[int]]]:
  """testutil.SENTENCES through the folder's own tokenizer, one call per example (singles and a
  pair), padded to MAX_SEQ_LENGTH."""
  rows = {"input_ids": [], "input_mask": [], "segment_ids": []}
  for sentence in SENTENCES:
    first, second = (sentence, None) if isinstance(sentence, str) else sentence
    enc = tokenizer(first, second, padding="max_length", max_length=MAX_SEQ_LENGTH, truncation=True,
                    return_token_type_ids=True, return_attention_mask=True)
    rows["input_ids"].append(list(enc["input_ids"]))
    rows["input_mask"].append(list(enc["attention_mask"]))
    rows["segment_ids"].append(list(enc["token_type_ids"]))
  return rows


def run(model: ElectraModel, inputs: dict) -> dict[str, np.ndarray]:
  with torch.no_grad():
    out = model(input_ids=torch.tensor(inputs["input_ids"]),
                attention_mask=torch.tensor(inputs["input_mask"]),
                token_type_ids=torch.tensor(inputs["segment_ids"]),
                output_hidden_states=True)
  if getattr(out, "pooler_output", None) is not None:
    raise RuntimeError("ElectraModel returned a pooler_output; ELECTRA has none")
  return {"sequence_output": out.last_hidden_state.numpy(),
          "hidden_states": np.stack([h.numpy() for h in out.hidden_states])}


def sensitivity(model: ElectraModel, inputs: dict, golden: dict, **wrong) -> dict:
  """max |diff| of the outputs when the same weights run with a wrong config value."""
  other = ElectraModel(ElectraConfig(**dict(CONFIG, **wrong)))
  other.load_state_dict(model.state_dict(), strict=True)
  out = run(other.eval(), inputs)
  key = ",".join("%s=%s" % kv for kv in wrong.items())
  return {key: {name: float("%.4g" % np.max(np.abs(out[name] - golden[name])))
                for name in ("sequence_output", "hidden_states")}}


README = """\
# hf_electra: a tiny ELECTRA encoder folder written by transformers' own save_pretrained

Generated by `tests/make_hf_electra_fixture.py`; do not edit by hand. Nothing here was written by
hub_repro: `ElectraModel.save_pretrained` wrote the model, `BertTokenizer.save_pretrained` the
tokenizer.

Files (as transformers {transformers} writes them, plus golden.json and this README):

{files}

- Model: `ElectraModel(ElectraConfig({config_args}))`, saved with `save_pretrained` (safetensors),
  as a discriminator's encoder (`google/electra-*-discriminator` folders hold an
  ElectraForPreTraining whose encoder is this). embedding_size 16 < hidden_size 32, so the folder
  has `embeddings_project.{{weight,bias}}` (Linear(16, 32)) between the embeddings and the encoder.
  ElectraModel has **no pooler**: there is no `pooled_output` in golden.json. (Google's TF1 ELECTRA
  code returns `sequence_output[:, 0]` as its "pooled" output; TF-Hub's `google/electra_*/2`
  added a Dense pooler initialised to the identity.)
- Tokenizer: `BertTokenizer(vocab="tests/fixtures/vocab.txt", do_lower_case=True).save_pretrained(dir)`:
  transformers 5 maps model_type "electra" to BertTokenizer (the tokenizers-backed class) and writes
  only `tokenizer.json` + `tokenizer_config.json` (`"tokenizer_class": "BertTokenizer"`), no vocab.txt.
- Weights: transformers' own init under `torch.manual_seed({seed})` with `initializer_range=0.2`;
  then every bias (LayerNorm biases included) re-drawn from N(0, 0.1) and every LayerNorm weight
  from 1 + 0.1 N(0, 1) (torch.Generator seed {seed}, sorted parameter names).
- `golden.json`: what transformers computes on this folder (`ElectraModel.from_pretrained` +
  `AutoTokenizer.from_pretrained`, eval mode, PyTorch CPU, float32): see its `schema` key.
  `hidden_states[0]` is the embedding output AFTER `embeddings_project` (width 32), as transformers
  returns it. Outputs move this much with a wrong config value (max |diff|):
  {sensitivity}

Regenerate (from the repo root; torch==2.13.0 transformers==5.24.0, in the project's .venv):

    .venv/bin/python tests/make_hf_electra_fixture.py

Generated with: {versions}.
"""


def tree_listing(root: str) -> list[tuple[str, int, str]]:
  rows = []
  for dirpath, _, filenames in sorted(os.walk(root)):
    for fn in sorted(filenames):
      path = os.path.join(dirpath, fn)
      with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
      rows.append((os.path.relpath(path, root), os.path.getsize(path), digest))
  return rows


def replace_folder(work: str, out_dir: str) -> None:
  """Renames work to out_dir, replacing a previous out_dir only once the new one is complete."""
  old = None
  if os.path.exists(out_dir):
    old = tempfile.mkdtemp(prefix=".%s.old-" % os.path.basename(out_dir), dir=FIXTURES)
    os.rename(out_dir, os.path.join(old, "previous"))
  os.rename(work, out_dir)
  if old:
    shutil.rmtree(old)


def main() -> None:
  torch.set_num_threads(1)  # small and deterministic; the machine is shared
  transformers.logging.set_verbosity_error()
  vers = versions()
  print("versions: %s" % json.dumps(vers))
  work = tempfile.mkdtemp(prefix=".%s.tmp-" % NAME, dir=FIXTURES)
  os.chmod(work, 0o755)  # mkdtemp makes it 0700
  try:
    model = build_model(ElectraConfig(**CONFIG))
    if not hasattr(model, "embeddings_project"):
      raise RuntimeError("ElectraModel has no embeddings_project with embedding_size < hidden_size")
    model.save_pretrained(work)
    # transformers 5: BertTokenizer takes the vocab as `vocab=` (`vocab_file=` is swallowed).
    tokenizer = BertTokenizer(vocab=VOCAB_PATH, do_lower_case=True)
    if len(tokenizer) != CONFIG["vocab_size"]:
      raise RuntimeError(f"BertTokenizer has {len(tokenizer)} tokens, expected {CONFIG['vocab_size']}")
    tokenizer.save_pretrained(work)
    files = sorted(os.listdir(work))
    expected = ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]
    if files != expected:
      raise RuntimeError(f"transformers wrote {files}, expected {expected}")

    # The golden numbers come from the folder as a user would load it.
    loaded, info = ElectraModel.from_pretrained(work, output_loading_info=True)
    problems = {k: v for k, v in info.items() if v}
    if problems:
      raise RuntimeError(f"from_pretrained reported {problems}")
    loaded.eval()
    loaded_tokenizer = AutoTokenizer.from_pretrained(work)
    inputs = encode(loaded_tokenizer)
    golden = run(loaded, inputs)
    in_memory = run(model, inputs)
    for key, value in golden.items():
      diff = float(np.max(np.abs(value - in_memory[key])))
      print("  reloaded vs in-memory %s max |diff| %g" % (key, diff))
      if diff != 0.0:
        raise RuntimeError(f"the saved folder does not reproduce the model ({key}: {diff})")
    if not np.array_equal(golden["hidden_states"][-1], golden["sequence_output"]):
      raise RuntimeError("the last hidden state is not sequence_output")
    sens = {}
    for wrong in WRONG:
      sens.update(sensitivity(model, inputs, golden, **wrong))

    golden_json = {
        "schema": {
            "framework": "transformers ElectraModel.from_pretrained(folder), eval mode, PyTorch CPU, "
                         "float32; tokenized by AutoTokenizer.from_pretrained(folder) "
                         "(BertTokenizer)",
            "sentences": "tests/testutil.py SENTENCES; a 2-list is a sentence pair",
            "inputs": "input_ids, input_mask (attention_mask), segment_ids (token_type_ids): "
                      "int [batch, max_seq_length]",
            "pooled_output": "absent: ElectraModel has no pooler",
            "sequence_output": "last_hidden_state, float [batch, max_seq_length, hidden]",
            "hidden_states": "output_hidden_states: the embedding output after embeddings_project, "
                             "then each layer's output, "
                             "float [num_layers + 1, batch, max_seq_length, hidden]; "
                             "hidden_states[-1] == sequence_output",
            "floats": "float32 values printed with 9 significant digits (exact round trip)",
            "sensitivity": "max |diff| of the outputs if the same weights ran with a wrong value",
        },
        "framework": "transformers",
        "config": CONFIG,
        "sentences": [s if isinstance(s, str) else list(s) for s in SENTENCES],
        "max_seq_length": MAX_SEQ_LENGTH,
        "inputs": inputs,
        "sequence_output": float32_list(golden["sequence_output"]),
        "hidden_states": float32_list(golden["hidden_states"]),
        "sensitivity": sens,
        "versions": vers,
    }
    with open(os.path.join(work, "golden.json"), "w", encoding="utf-8") as f:
      json.dump(golden_json, f, indent=1)
      f.write("\n")

    file_rows = "\n".join("    %-24s %8d bytes" % (rel, size) for rel, size, _ in tree_listing(work))
    with open(os.path.join(work, "README.md"), "w", encoding="utf-8") as f:
      f.write(README.format(
          transformers=vers["transformers"], files=file_rows, seed=SEED,
          config_args=", ".join("%s=%r" % kv for kv in CONFIG.items()),
          sensitivity="; ".join("`%s`: sequence %s, hidden states %s"
                                % (k, v["sequence_output"], v["hidden_states"])
                                for k, v in sens.items()),
          versions=", ".join("%s %s" % kv for kv in vers.items())))

    for rel, _, _ in tree_listing(work):  # no path of this machine may leak into the fixture
      with open(os.path.join(work, rel), "rb") as f:
        data = f.read()
      for leak in (work, REPO_ROOT):
        if leak.encode() in data:
          raise RuntimeError(f"{NAME}/{rel} contains the path {leak}")
    replace_folder(work, OUT_DIR)
  finally:
    if os.path.exists(work):
      shutil.rmtree(work)

  print("\nwrote %s:" % os.path.relpath(OUT_DIR, REPO_ROOT))
  total = 0
  for rel, size, digest in tree_listing(OUT_DIR):
    total += size
    print("  %-26s %8d  sha256:%s" % (rel, size, digest))
  print("  total %d bytes" % total)
  print("  inputs: %s" % json.dumps(inputs["input_ids"]))
  print("  sensitivity: %s" % json.dumps(sens))


if __name__ == "__main__":
  main()
