"""Hugging Face folder (`save_pretrained`: config.json with model_type "bert", model.safetensors,
and vocab.txt and/or tokenizer.json), computed by transformers' `BertModel` on PyTorch.

PyTorch is not in requirements.txt (hub_repro's default path is TensorFlow only): without torch or
transformers, opening this format is a HandleError naming the pip command. Nothing falls back to
another implementation. torch.nn.Linear stores its weight as [out, in]; modeling.py's kernels are
[in, out], so those are transposed (`weights.HF_TRANSPOSED`).
"""

from __future__ import annotations

import json
import os

import numpy as np

from hub_repro import naming
from hub_repro.config import BertConfig
from hub_repro.sources import HandleError, Source

TORCH_HINT = "pip install torch==2.13.0 transformers 'setuptools<81'"
# hub_repro's activation names -> Hugging Face's hidden_act.
TO_HF_ACTIVATION = {"gelu": "gelu_new", "gelu_exact": "gelu", "relu": "relu", "tanh": "tanh"}


def recognizes(path: str) -> bool:
  config = os.path.join(path, "config.json")
  if not (os.path.exists(config) and os.path.exists(os.path.join(path, "model.safetensors"))):
    return False
  try:
    with open(config, encoding="utf-8") as f:
      return "model_type" in json.load(f)
  except (OSError, ValueError):
    return False


def why_no_torch() -> str | None:
  """None if torch and transformers import, else why not."""
  try:
    import torch  # noqa: F401, PLC0415
    import transformers  # noqa: F401, PLC0415
  except ImportError as e:
    return f"{e.name or e} is not installed"
  return None


def require_torch(what: str) -> None:
  why = why_no_torch()
  if why is not None:
    raise HandleError(f"{what} is computed by transformers on PyTorch, and {why}; install them "
                      f"with: {TORCH_HINT}")


def vocab_from_tokenizer_json(path: str, out_dir: str) -> tuple[str, bool]:
  """The WordPiece vocab of a tokenizers `tokenizer.json` written out as vocab.txt in `out_dir`
  (ids in order), and its lowercase flag. Folders saved by current transformers carry only this."""
  with open(path, encoding="utf-8") as f:
    spec = json.load(f)
  model = spec.get("model") or {}
  if model.get("type") != "WordPiece" or not isinstance(model.get("vocab"), dict):
    raise HandleError(f"{path} holds a {model.get('type')!r} tokenizer; expected BERT's WordPiece")
  vocab = model["vocab"]
  by_id = sorted(vocab, key=vocab.get)
  if [vocab[t] for t in by_id] != list(range(len(by_id))):
    raise HandleError(f"{path}: WordPiece ids are not 0..{len(by_id) - 1} without gaps")
  normalizer = spec.get("normalizer") or {}
  lower = bool(normalizer.get("lowercase", True)) if normalizer.get("type") == "BertNormalizer" \
      else True
  os.makedirs(out_dir, exist_ok=True)
  vocab_file = os.path.join(out_dir, "vocab.txt")
  staging = f"{vocab_file}.tmp-{os.getpid()}"
  with open(staging, "w", encoding="utf-8") as f:
    f.write("".join(f"{token}\n" for token in by_id))
  os.replace(staging, vocab_file)
  return vocab_file, lower


def model_from_params(params: dict, config: BertConfig):
  """transformers.BertModel (PyTorch) holding `params` (modeling.py names), in eval mode."""
  import torch  # noqa: PLC0415
  import transformers  # noqa: PLC0415

  from hub_repro import modeling  # noqa: PLC0415
  from hub_repro.weights import HF_TO_BERT, HF_TRANSPOSED, check_params  # noqa: PLC0415

  if config.hidden_act not in TO_HF_ACTIVATION:
    raise ValueError(f"hidden_act {config.hidden_act!r} has no Hugging Face name")
  check_params(params, config, "transformers BertModel")
  hf_config = transformers.BertConfig(
      vocab_size=config.vocab_size, hidden_size=config.hidden_size,
      num_hidden_layers=config.num_hidden_layers, num_attention_heads=config.num_attention_heads,
      intermediate_size=config.intermediate_size, hidden_act=TO_HF_ACTIVATION[config.hidden_act],
      max_position_embeddings=config.max_position_embeddings,
      type_vocab_size=config.type_vocab_size, layer_norm_eps=modeling.LAYER_NORM_EPSILON)
  model = transformers.BertModel(hf_config, add_pooling_layer=True).eval()
  to_hf = {bert: hf for hf, bert in
           naming.expand_layers(HF_TO_BERT, config.num_hidden_layers).items()}
  state = {}
  for name, value in params.items():
    hf_name = to_hf[name]
    transposed = any(hf_name.endswith(t) for t in HF_TRANSPOSED)
    state[hf_name] = torch.from_numpy(np.ascontiguousarray(value.T if transposed else value))
  result = model.load_state_dict(state, strict=False)
  missing = [k for k in result.missing_keys if not k.endswith("position_ids")]
  if missing or result.unexpected_keys:
    raise ValueError(f"transformers BertModel: missing keys {sorted(missing)}, unexpected keys "
                     f"{sorted(result.unexpected_keys)}")
  return model


class HuggingFaceSource(Source):
  format = "huggingface"
  framework = "transformers BertModel (PyTorch)"
  naming = "Hugging Face"

  def __init__(self, handle: str, path: str | None, model, config: BertConfig,
               vocab_file: str | None = None, do_lower_case: bool = True):
    super().__init__(handle, path)
    self.model = model
    self._config = config
    self.vocab_file = vocab_file
    self.do_lower_case = do_lower_case

  @classmethod
  def from_params(cls, params: dict, config: BertConfig, handle: str = "transformers BertModel",
                  vocab_file=None, do_lower_case=True):
    """The same weights in transformers' BertModel (crosscheck's independent implementation)."""
    require_torch(handle)
    return cls(handle, None, model_from_params(params, config), config, vocab_file, do_lower_case)

  def run(self, input_ids, input_mask, segment_ids, layers=False):
    import torch  # noqa: PLC0415

    as_long = lambda t: torch.from_numpy(np.asarray(t, np.int64))  # noqa: E731
    with torch.inference_mode():
      out = self.model(input_ids=as_long(input_ids), attention_mask=as_long(input_mask),
                       token_type_ids=as_long(segment_ids), output_hidden_states=layers)
    result = {"sequence_output": out.last_hidden_state.numpy()}
    if out.pooler_output is not None:  # saved without its pooler (add_pooling_layer=False): none
      result["pooled_output"] = out.pooler_output.numpy()
    if layers:  # hidden_states[0] is the embedding output
      result["encoder_outputs"] = [h.numpy() for h in out.hidden_states[1:]]
    return result

  def read_variables(self):
    return {name: t.detach().numpy().copy() for name, t in self.model.state_dict().items()}

  def to_params(self, variables):
    from hub_repro.weights import HF_IGNORED, HF_TRANSPOSED, hf_to_bert_name  # noqa: PLC0415
    import re  # noqa: PLC0415

    params, unmapped = {}, []
    for hf_name, value in variables.items():
      if any(re.fullmatch(p, hf_name) for p in HF_IGNORED):
        continue
      name = hf_to_bert_name(hf_name)
      if name is None:
        unmapped.append(hf_name)
        continue
      params[name] = value.T if any(hf_name.endswith(t) for t in HF_TRANSPOSED) else value
    if unmapped:
      raise ValueError(f"{self.handle}: unexpected keys {sorted(unmapped)} (not a BertModel "
                       "weight)")
    return params

  def named_pooler(self):
    from hub_repro.pooler import PoolerWeights  # noqa: PLC0415

    params = self.params()  # pooler.dense.weight is [out, in]; params hold it as [in, out]
    if "bert/pooler/dense/kernel" not in params:
      return []
    return [PoolerWeights("pooler.dense.weight", "pooler.dense.bias",
                          params["bert/pooler/dense/kernel"], params["bert/pooler/dense/bias"],
                          "by name (Hugging Face: pooler.dense, weight transposed to [in, out])")]

  def config(self):
    return self._config


def load(handle: str, path: str) -> Source:
  with open(os.path.join(path, "config.json"), encoding="utf-8") as f:
    try:
      hf_config = json.load(f)
    except ValueError as e:
      raise HandleError(f"{path}/config.json is not valid JSON: {e}") from None
  if hf_config.get("model_type") != "bert":
    raise HandleError(f"{handle} is a Hugging Face {hf_config.get('model_type')!r} model; "
                      "expected model_type 'bert'")
  try:
    config = BertConfig.from_hf_dict(hf_config)
  except ValueError as e:
    raise HandleError(f"{handle}/config.json: {e}") from None
  vocab_file, do_lower_case = os.path.join(path, "vocab.txt"), True
  tokenizer_config = os.path.join(path, "tokenizer_config.json")
  if os.path.exists(tokenizer_config):
    with open(tokenizer_config, encoding="utf-8") as f:
      do_lower_case = bool(json.load(f).get("do_lower_case", True))
  if not os.path.exists(vocab_file):
    tokenizer_json = os.path.join(path, "tokenizer.json")
    if not os.path.exists(tokenizer_json):
      raise HandleError(f"{handle} has neither vocab.txt nor tokenizer.json; expected a "
                        "tokenizer saved beside the model")
    from hub_repro import embedded  # noqa: PLC0415
    from hub_repro.weights import sha256_of  # noqa: PLC0415

    out_dir = os.path.join(embedded.cache_dir(), "vocab", sha256_of(tokenizer_json)[:16])
    vocab_file, do_lower_case = vocab_from_tokenizer_json(tokenizer_json, out_dir)
  require_torch(handle)
  import transformers  # noqa: PLC0415

  transformers.utils.logging.disable_progress_bar()  # its "Loading weights" bar would bury ours
  try:
    model, info = transformers.BertModel.from_pretrained(path, local_files_only=True,
                                                         output_loading_info=True)
  except Exception as e:  # noqa: BLE001 (transformers raises many kinds for a broken folder)
    raise HandleError(f"{handle}: transformers could not load the model: {type(e).__name__}: "
                      f"{str(e).splitlines()[0] if str(e) else ''}") from None
  # transformers initialises missing weights at random (with a warning): refuse that instead.
  missing = sorted(k for k in info.get("missing_keys", []) if not k.endswith("position_ids"))
  if missing and all(k.startswith("pooler.") for k in missing):
    # Saved without its pooler (add_pooling_layer=False): the model has no pooled_output (the
    # verdict "none"), rather than one from a randomly initialised pooler.
    model = transformers.BertModel.from_pretrained(path, local_files_only=True,
                                                   add_pooling_layer=False)
    missing = []
  if missing:
    raise HandleError(f"{handle}: model.safetensors lacks {missing}")
  model.eval()
  return HuggingFaceSource(handle, path, model, config, vocab_file, do_lower_case)

