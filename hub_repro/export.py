"""Turn weights into a TF-Hub BERT module, in either format (`hub_repro export`).

Weights come from a google-research/bert release folder, a Hugging Face BertModel folder or a
module in either TF-Hub format (read_weights); they are written as one TF1 Hub module like
google/bert_uncased_L-12_H-768_A-12/1, or as a TF2 encoder and its preprocessing model like
tensorflow/bert_en_uncased_L-12_H-768_A-12/4 and its preprocess/3 (export).
"""

from __future__ import annotations

import os

from hub_repro import files, module as module_lib, naming
from hub_repro.errors import HandleError, UsageError
from hub_repro.export_tf1 import export_tf1_hub
from hub_repro.export_tf2 import export_preprocessing, export_tf2
from hub_repro.weights import BertWeights, check_params, read_google_checkpoint, read_huggingface

SOURCES = ("google-checkpoint", "huggingface", "hub")
FORMATS = ("tf1-hub", "tf2")


def read_hub(handle: str, num_attention_heads: int | None, hidden_act: str, log=print,
             trust_model_code: bool = False) -> BertWeights:
  """Weights of a loaded BERT module, under modeling.py names (heads are not in a TF1 module's
  shapes: pass them, or hidden_size // 64 is assumed, as in every released BERT)."""
  loaded = module_lib.load(handle, log=log, trust_model_code=trust_model_code)
  params, _, num_heads = naming.to_bert_params(loaded.variable_values())
  hidden = params["bert/embeddings/word_embeddings"].shape[1]
  if num_heads is None and num_attention_heads is None:
    num_attention_heads = max(1, hidden // 64)
    log(f"hub_repro: assuming {num_attention_heads} attention heads (hidden size {hidden} / 64); "
        "pass --num-heads if the module differs")
  config = naming.infer_config(params, num_heads or num_attention_heads, hidden_act)
  check_params(params, config, handle)
  if loaded.vocab_file is None:
    raise HandleError(f"{handle} has no vocab file among its assets")
  return BertWeights(config, params, loaded.vocab_file, loaded.do_lower_case, source=handle)


def read_weights(source: str, path: str, num_attention_heads=None, hidden_act="gelu",
                 log=print, trust_model_code: bool = False) -> BertWeights:
  if source == "google-checkpoint":
    return read_google_checkpoint(path)
  if source == "huggingface":
    return read_huggingface(path)
  if source == "hub":
    return read_hub(path, num_attention_heads, hidden_act, log, trust_model_code)
  raise UsageError(f"--from {source!r} is not one of {SOURCES}")


def export(weights: BertWeights, fmt: str, out_dir: str, overwrite: bool = False) -> list[str]:
  """Writes the module(s) and returns their paths (the tf2 pair is renamed into place together)."""
  if fmt == "tf1-hub":
    return [export_tf1_hub(weights, out_dir, overwrite=overwrite)]
  if fmt != "tf2":
    raise UsageError(f"--format {fmt!r} is not one of {FORMATS}")
  with files.atomic_folder(out_dir, overwrite) as staging:
    export_tf2(weights, os.path.join(staging, "encoder"))
    export_preprocessing(weights.vocab_file, weights.do_lower_case,
                         os.path.join(staging, "preprocess"),
                         default_seq_length=min(128, weights.config.max_position_embeddings))
  out_dir = os.path.abspath(out_dir)
  return [os.path.join(out_dir, "encoder"), os.path.join(out_dir, "preprocess")]
