"""`python -m hub_repro export`: turn weights into a TF-Hub BERT module, in either format.

  --from google-checkpoint DIR   google-research/bert's release (bert_config.json, vocab.txt,
                                 bert_model.ckpt*), e.g. uncased_L-12_H-768_A-12.zip unzipped
  --from huggingface DIR         a Hugging Face BertModel folder (config.json, model.safetensors,
                                 vocab.txt)
  --from hub HANDLE              a BERT module in either TF-Hub format (re-export)

  --format tf1-hub               one TF1 Hub module at --out, like google/bert_uncased_L-12_H-768_A-12/1
  --format tf2                   --out/encoder and --out/preprocess, like
                                 tensorflow/bert_en_uncased_L-12_H-768_A-12/4 + its preprocess/3
"""

from __future__ import annotations

import argparse
import os
import typing

from hub_repro import files

if typing.TYPE_CHECKING:
  from hub_repro.weights import BertWeights

# hub_repro.naming and hub_repro.weights import TensorFlow: they are imported inside the functions,
# so that `hub_repro export --help` answers before TensorFlow loads.

SOURCES = ("google-checkpoint", "huggingface", "hub")
FORMATS = ("tf1-hub", "tf2")


def read_hub(handle: str, num_attention_heads: int | None, hidden_act: str,
             log=print) -> BertWeights:
  """Weights of a loaded BERT module, under modeling.py names (heads are not in a TF1 module's
  shapes: pass them, or hidden_size // 64 is assumed, as in every released BERT)."""
  from hub_repro import module as module_lib, naming  # noqa: PLC0415
  from hub_repro.weights import BertWeights, check_params  # noqa: PLC0415

  loaded = module_lib.load(handle, log=log)
  params, _, num_heads = naming.to_bert_params(loaded.variable_values())
  hidden = params["bert/embeddings/word_embeddings"].shape[1]
  if num_heads is None and num_attention_heads is None:
    num_attention_heads = max(1, hidden // 64)
    log(f"hub_repro: assuming {num_attention_heads} attention heads (hidden size {hidden} / 64); "
        "pass --num-heads if the module differs")
  config = naming.infer_config(params, num_heads or num_attention_heads, hidden_act)
  check_params(params, config, handle)
  if loaded.vocab_file is None:
    raise ValueError(f"{handle} has no vocab file among its assets")
  return BertWeights(config, params, loaded.vocab_file, loaded.do_lower_case, source=handle)


def read_weights(source: str, path: str, num_attention_heads=None, hidden_act="gelu",
                 log=print) -> BertWeights:
  from hub_repro.weights import read_google_checkpoint, read_huggingface  # noqa: PLC0415

  if source == "google-checkpoint":
    return read_google_checkpoint(path)
  if source == "huggingface":
    return read_huggingface(path)
  if source == "hub":
    return read_hub(path, num_attention_heads, hidden_act, log=log)
  raise ValueError(f"--from {source!r} is not one of {SOURCES}")


def export(weights: BertWeights, fmt: str, out_dir: str, overwrite: bool = False) -> list[str]:
  """Writes the module(s) and returns their paths (the tf2 pair is renamed into place together)."""
  if fmt == "tf1-hub":
    from hub_repro.export_tf1 import export_tf1_hub  # noqa: PLC0415
    return [export_tf1_hub(weights, out_dir, overwrite=overwrite)]
  if fmt != "tf2":
    raise ValueError(f"--format {fmt!r} is not one of {FORMATS}")
  from hub_repro.export_tf2 import export_preprocessing, export_tf2  # noqa: PLC0415

  with files.atomic_folder(out_dir, overwrite) as staging:
    export_tf2(weights, os.path.join(staging, "encoder"))
    export_preprocessing(weights.vocab_file, weights.do_lower_case,
                         os.path.join(staging, "preprocess"),
                         default_seq_length=min(128, weights.config.max_position_embeddings))
  out_dir = os.path.abspath(out_dir)
  return [os.path.join(out_dir, "encoder"), os.path.join(out_dir, "preprocess")]


def add_arguments(parser: argparse.ArgumentParser) -> None:
  """export's arguments, on the subparser hub_repro.cli makes (which adds --debug)."""
  parser.description = __doc__
  parser.add_argument("--from", dest="source", required=True, choices=SOURCES)
  parser.add_argument("path", help="the folder (or, with --from hub, the handle) to read")
  parser.add_argument("--format", required=True, choices=FORMATS)
  parser.add_argument("--out", required=True, help="where to write")
  parser.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
  parser.add_argument("--num-heads", type=int, help="attention heads (--from hub, TF1 modules)")
  parser.add_argument("--hidden-act", default="gelu", choices=("gelu", "gelu_exact"),
                      help="activation (--from hub): gelu = modeling.py's tanh approximation")


def run(args, log=print) -> int:
  weights = read_weights(args.source, args.path, args.num_heads, args.hidden_act, log=log)
  paths = export(weights, args.format, args.out, overwrite=args.overwrite)
  print(f"wrote {args.format} module{'s' if len(paths) > 1 else ''}: " + ", ".join(paths))
  preprocessor = f" --preprocessor {paths[1]}" if len(paths) > 1 else ""
  print(f"check it: python -m hub_repro --handle {paths[0]}{preprocessor}")
  return 0
