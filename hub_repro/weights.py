"""Weight readers: a google-research checkpoint folder or a Hugging Face BertModel folder, into
modeling.py's checkpoint names (see `modeling.variable_shapes`).

Every reader compares key SETS exactly (naming each missing and unexpected key) and checks each
shape with its name, so a wrong file fails loudly instead of loading half a model.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re

import numpy as np

from hub_repro import families
from hub_repro.config import BertConfig
from hub_repro.errors import HandleError, WeightsError
from hub_repro.families.bert import names as bert_names

# Keys a Hugging Face file may carry that are not weights of the encoder.
HF_IGNORED = [r"embeddings\.position_ids"]
# Keys of a google-research pretraining checkpoint that are not part of BertModel.
CHECKPOINT_IGNORED = [r"cls/.*", r"global_step", r".*/adam_[mv]", r".*/(lamb|Adam)_[mv]",
                      r"bad_steps", r"good_steps", r"loss_scale"]


@dataclasses.dataclass
class BertWeights:
  """A BertModel's weights under modeling.py's names, with the config and vocab they belong to."""
  config: BertConfig
  params: dict[str, np.ndarray]
  vocab_file: str
  do_lower_case: bool = True
  source: str = ""


def check_params(params: dict[str, np.ndarray], config: BertConfig, source: str) -> None:
  """Compares the key set and every shape against the config's family's `variable_shapes`, of
  which the layers in its `optional_shapes` (a pooler, say) params may hold or lack, whole."""
  family = families.get(config)
  optional = family.optional_shapes(config)
  held = {k.rsplit("/", 1)[0] for k in params}  # an optional layer half there is named missing
  expected = {k: v for k, v in {**optional, **family.variable_shapes(config)}.items()
              if k not in optional or k.rsplit("/", 1)[0] in held}
  missing = sorted(set(expected) - set(params))
  unexpected = sorted(set(params) - set(expected))
  if missing or unexpected:
    raise WeightsError(f"{source}: weights do not match the {config.family} config: "
                       f"missing keys {missing}, unexpected keys {unexpected}")
  for name, shape in expected.items():
    if tuple(params[name].shape) != shape:
      raise WeightsError(f"{source}: {name} has shape {tuple(params[name].shape)}, "
                         f"expected {shape} from the config")


def _ignored(name: str, patterns: list[str]) -> bool:
  return any(re.fullmatch(p, name) for p in patterns)


def _require(folder: str, names: list[str], kind: str) -> None:
  if not os.path.isdir(folder):
    raise HandleError(f"{folder} is not a folder; expected a {kind} folder")
  missing = [n for n in names if not os.path.exists(os.path.join(folder, n))]
  if missing:
    raise HandleError(f"{folder} is not a {kind} folder: missing {missing} "
                            f"(expected {names})")


def google_release_family(folder: str) -> str | None:
  """The family whose release files `folder` holds (its config and checkpoint index), or None."""
  for family, release in families.shipped_in("GOOGLE_RELEASE").items():
    if all(os.path.exists(os.path.join(folder, f))
           for f in (release.config_file, f"{release.checkpoint}.index")):
      return family
  return None


def read_google_checkpoint(folder: str, do_lower_case: bool = True) -> BertWeights:
  """Reads a google-research/bert release folder (bert_config.json, vocab.txt, bert_model.ckpt*)
  or a google-research/albert one (albert_config.json, 30k-clean.model, model.ckpt-best*)."""
  import tensorflow as tf  # TensorFlow is slow to import; only readers need it

  family = google_release_family(folder) or "bert"  # none found: say what BERT's would hold
  release = families.names(family).GOOGLE_RELEASE
  config_name, prefix, vocab = release.config_file, release.checkpoint, release.vocab_file
  _require(folder, [config_name, vocab, f"{prefix}.index"], f"google-research {family} checkpoint")
  config = BertConfig.from_json_file(os.path.join(folder, config_name))
  reader = tf.train.load_checkpoint(os.path.join(folder, prefix))
  params = {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()
            if not _ignored(name, CHECKPOINT_IGNORED)}
  check_params(params, config, folder)
  return BertWeights(config, params, os.path.join(folder, vocab), do_lower_case, source=folder)


def hf_to_bert_name(hf_name: str) -> str | None:
  """The modeling.py name of a Hugging Face key, or None if the table has no entry."""
  table = bert_names.HF_TO_BERT
  name = hf_name[len("bert."):] if hf_name.startswith("bert.") else hf_name
  match = re.fullmatch(r"encoder\.layer\.(\d+)\.(.*)", name)
  if match:
    template = table.get(f"encoder.layer.{{n}}.{match.group(2)}")
    return template.format(n=match.group(1)) if template else None
  return table.get(name)


def sha256_of(path: str) -> str:
  digest = hashlib.sha256()
  with open(path, "rb") as f:
    for block in iter(lambda: f.read(1 << 20), b""):
      digest.update(block)
  return digest.hexdigest()


def read_huggingface(folder: str, expected_sha256: str | None = None) -> BertWeights:
  """Reads a Hugging Face BertModel folder: config.json, model.safetensors, vocab.txt."""
  from safetensors.numpy import load_file

  _require(folder, ["config.json", "model.safetensors", "vocab.txt"], "Hugging Face BertModel")
  weights_path = os.path.join(folder, "model.safetensors")
  if expected_sha256 is not None:
    actual = sha256_of(weights_path)
    if actual != expected_sha256:
      raise WeightsError(f"{weights_path} has sha256 {actual}, expected {expected_sha256}: the "
                         "file is corrupt or not the pinned release; reinstall the package")
  with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
    hf_config = json.load(f)
  config = BertConfig.from_hf_dict(hf_config)
  do_lower_case = True
  tokenizer_config = os.path.join(folder, "tokenizer_config.json")
  if os.path.exists(tokenizer_config):
    with open(tokenizer_config, encoding="utf-8") as f:
      do_lower_case = bool(json.load(f).get("do_lower_case", True))

  params, unmapped = {}, []
  for hf_name, value in load_file(weights_path).items():
    if _ignored(hf_name, HF_IGNORED):
      continue
    name = hf_to_bert_name(hf_name)
    if name is None:
      unmapped.append(hf_name)
      continue
    if any(hf_name.endswith(t) for t in bert_names.HF_TRANSPOSED):
      value = value.T
    params[name] = np.ascontiguousarray(value, dtype=np.float32)
  if unmapped:
    raise WeightsError(f"{weights_path}: unexpected keys {sorted(unmapped)} (not a BertModel "
                       "weight; a model with heads, e.g. BertForMaskedLM, is not supported)")
  check_params(params, config, weights_path)
  return BertWeights(config, params, os.path.join(folder, "vocab.txt"), do_lower_case,
                     source=folder)
