"""`hub_repro export`: write a TF-Hub BERT module (TF1 Hub or TF2 SavedModel) from a Google
checkpoint, a Hugging Face folder or a module (hub_repro.export)."""

from __future__ import annotations

import argparse

from hub_repro.cli.check import log

SOURCES = ("google-checkpoint", "huggingface", "hub")
FORMATS = ("tf1-hub", "tf2")
DESCRIPTION = """Turn weights into a TF-Hub BERT module, in either format.

  --from google-checkpoint DIR   google-research/bert's release (bert_config.json, vocab.txt,
                                 bert_model.ckpt*), e.g. uncased_L-12_H-768_A-12.zip unzipped
  --from huggingface DIR         a Hugging Face BertModel folder (config.json, model.safetensors,
                                 vocab.txt)
  --from hub HANDLE              a BERT module in either TF-Hub format (re-export)

  --format tf1-hub               one TF1 Hub module at --out, like google/bert_uncased_L-12_H-768_A-12/1
  --format tf2                   --out/encoder and --out/preprocess, like
                                 tensorflow/bert_en_uncased_L-12_H-768_A-12/4 + its preprocess/3
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
  """export's arguments, on the subparser hub_repro.cli makes (which adds --debug)."""
  parser.description = DESCRIPTION
  parser.add_argument("--from", dest="source", required=True, choices=SOURCES)
  parser.add_argument("path", help="the folder (or, with --from hub, the handle) to read")
  parser.add_argument("--format", required=True, choices=FORMATS)
  parser.add_argument("--out", required=True, help="where to write")
  parser.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
  parser.add_argument("--num-heads", type=int, help="attention heads (--from hub, TF1 modules)")
  parser.add_argument("--hidden-act", default="gelu", choices=("gelu", "gelu_exact"),
                      help="activation (--from hub): gelu = modeling.py's tanh approximation")
  parser.add_argument("--trust-model-code", action="store_true",
                      help="--from hub: read a module whose graph reaches outside the model")


def run(args) -> int:
  from hub_repro import api  # TensorFlow loads here, after --help could answer

  weights = api.read_weights(args.path, args.source, args.num_heads, args.hidden_act,
                             trust_model_code=args.trust_model_code, log=log)
  paths = api.export_model(weights, args.format, args.out, overwrite=args.overwrite)
  print(f"wrote {args.format} module{'s' if len(paths) > 1 else ''}: " + ", ".join(paths))
  preprocessor = f" --preprocessor {paths[1]}" if len(paths) > 1 else ""
  print(f"check it: python -m hub_repro --handle {paths[0]}{preprocessor}")
  return 0
