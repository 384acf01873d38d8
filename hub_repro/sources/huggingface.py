"""Hugging Face folder (`save_pretrained`: config.json with model_type "bert", "albert" or
"electra", model.safetensors, and vocab.txt, spiece.model and/or tokenizer.json), computed by
transformers' model of the folder's family on PyTorch (the family's `HUGGING_FACE` names: the
class, its names -> the family's checkpoint names, the transposed ones, its pooler, its tokenizer
files). ElectraModel has no pooler: its run() returns no pooled_output.

PyTorch is not in requirements.txt (hub_repro's default path is TensorFlow only): without torch or
transformers, opening this format is a HandleError naming the pip command. Nothing falls back to
another implementation. torch.nn.Linear stores its weight as [out, in]; modeling.py's kernels are
[in, out], so those are transposed (the family's `transposed` names).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import warnings

import numpy as np

from hub_repro import families, naming
from hub_repro.config import BertConfig
from hub_repro.errors import ConfigError, HandleError, WeightsError
from hub_repro.sources import Source
from hub_repro.weights import HF_IGNORED

TORCH_HINT = "pip install torch==2.13.0 transformers 'setuptools<81'"
# hub_repro's activation names -> Hugging Face's hidden_act.
TO_HF_ACTIVATION = {"gelu": "gelu_new", "gelu_exact": "gelu", "relu": "relu", "tanh": "tanh"}


def hf_names(config: BertConfig):
  """What the config's family is in transformers (families.formats.HuggingFace); None if
  transformers has no model of it."""
  return getattr(families.names(config), "HUGGING_FACE", None)


def _transposed(family, hf_name: str) -> bool:
  return any(hf_name.endswith(t) for t in family.transposed)


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
    import torch  # noqa: F401
    import transformers  # noqa: F401
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


def hf_config_of(config: BertConfig):
  """The transformers config (BertConfig, AlbertConfig or ElectraConfig) of a hub_repro config."""
  import transformers

  if config.hidden_act not in TO_HF_ACTIVATION:
    raise ConfigError(f"hidden_act {config.hidden_act!r} has no Hugging Face name")
  hf = hf_names(config)
  config_class = getattr(transformers, hf.model_class.replace("Model", "Config"))
  return config_class(
      vocab_size=config.vocab_size, hidden_size=config.hidden_size,
      num_hidden_layers=config.num_hidden_layers, num_attention_heads=config.num_attention_heads,
      intermediate_size=config.intermediate_size, hidden_act=TO_HF_ACTIVATION[config.hidden_act],
      max_position_embeddings=config.max_position_embeddings,
      type_vocab_size=config.type_vocab_size,
      layer_norm_eps=config.layer_norm_eps, **hf.config_kwargs(config))


def model_from_params(params: dict, config: BertConfig, copy: bool = False):
  """The family's transformers model (PyTorch) holding `params` (its checkpoint names), in eval
  mode.

  By default the model's weights are `params`' own buffers (load_state_dict(assign=True); a
  Linear's [out, in] weight is a transposed view of the [in, out] kernel): no copy of 440 MB at
  BERT-base, which took 1.1-1.9 s of crosscheck there (transposes and first-touch page faults),
  where this takes ~10 ms. The model only reads them (eval, run under torch.inference_mode).
  `copy=True` lays each weight out as from_pretrained does, contiguous [out, in] in memory of
  its own (the benchmarks' throughput peer: transformers as its users run it).
  """
  import torch
  import transformers
  from transformers import initialization

  from hub_repro.weights import check_params

  family = hf_names(config)
  check_params(params, config, f"transformers {family.model_class}")
  to_hf = {name: hf for hf, name in naming.expand(family.table, naming.name_ranges(config)).items()}
  # An optional weight transformers' model has no place for (ElectraModel: no pooler) is left out.
  params = {k: v for k, v in params.items()
            if k in to_hf or k not in families.get(config).optional_shapes(config)}
  model_class = getattr(transformers, family.model_class)
  # A copy without a pooler (keras-hub's RobertaBackbone has none) runs without one.
  kwargs = ({"add_pooling_layer": any(to_hf.get(k) in family.pooler for k in params)
                                   or bool(family.weightless_pooler
                                           and family.weightless_pooler(config))}
            if family.pooler else {})
  with initialization.no_init_weights():  # every weight is loaded below: no random init first
    model = model_class(hf_config_of(config), **kwargs).eval()
  state = {}
  with warnings.catch_warnings():
    # A read-only view of a tf.Variable (saved_model.numpy_view): torch warns that it does not
    # track read-only memory; this model never writes its weights.
    warnings.filterwarnings("ignore", "The given NumPy array is not writable")
    for name, value in params.items():
      hf_name = to_hf[name]
      value = np.asarray(value, np.float32)
      value = value.T if _transposed(family, hf_name) else value
      state[hf_name] = torch.from_numpy(np.ascontiguousarray(value) if copy else value)
  result = model.load_state_dict(state, strict=False, assign=not copy)
  missing = [k for k in result.missing_keys if not k.endswith("position_ids")]
  if missing or result.unexpected_keys:
    raise WeightsError(f"transformers {family.model_class}: missing keys {sorted(missing)}, "
                     f"unexpected keys {sorted(result.unexpected_keys)}")
  return model


class HuggingFaceSource(Source):
  format = "huggingface"
  framework = "transformers BertModel (PyTorch)"
  naming = "Hugging Face"

  def __init__(self, handle: str, path: str | None, model, config: BertConfig,
               vocab_file: str | None = None, do_lower_case: bool = True,
               pooler_stored: bool = True):
    super().__init__(handle, path)
    self.pooler_stored = pooler_stored  # False: transformers made the pooler at load time
    self.model = model
    self._config = config
    self._hf = hf_names(config)
    self.framework = f"transformers {self._hf.model_class} (PyTorch)"
    self.vocab_file = vocab_file
    self.do_lower_case = do_lower_case

  @classmethod
  def from_params(cls, params: dict, config: BertConfig, handle: str | None = None,
                  vocab_file=None, do_lower_case=True):
    """The same weights in transformers' model of their family (crosscheck's independent
    implementation)."""
    handle = handle or f"transformers {hf_names(config).model_class}"
    require_torch(handle)
    return cls(handle, None, model_from_params(params, config), config, vocab_file, do_lower_case)

  def run(self, input_ids, input_mask, segment_ids, layers=False):
    import torch

    as_long = lambda t: torch.from_numpy(np.asarray(t, np.int64))  # noqa: E731
    types = {"token_type_ids": as_long(segment_ids)} if self._hf.token_types else {}
    with torch.inference_mode():
      out = self.model(input_ids=as_long(input_ids), attention_mask=as_long(input_mask),
                       output_hidden_states=layers, **types)
    result = {"sequence_output": out.last_hidden_state.numpy()}
    if getattr(out, "pooler_output", None) is not None:  # ElectraModel, add_pooling_layer=False
      result["pooled_output"] = out.pooler_output.numpy()
    if layers:  # hidden_states[0] is the embedding output
      result["encoder_outputs"] = [h.numpy() for h in out.hidden_states[1:]]
    return result

  def read_variables(self):
    return {name: t.detach().numpy().copy() for name, t in self.model.state_dict().items()}

  def to_params(self, variables):
    prefix = f"{self._config.family}."  # a model saved inside one with heads (BertForMaskedLM, ...)
    variables = {k[len(prefix):] if k.startswith(prefix) else k: v for k, v in variables.items()
                 if not any(re.fullmatch(p, k) for p in HF_IGNORED)}
    table = naming.expand(self._hf.table, naming.name_ranges(self._config))
    # A layer the family may lack (a pooler saved away with add_pooling_layer=False; ALBERT's
    # mapping with E == H) is mapped only where the folder holds it.
    table = naming.present_table(table, variables,
                                 families.get(self._config).optional_shapes(self._config))
    naming.check_key_sets(variables, set(table), f"{self.handle}: {self._hf.model_class} weights")
    return {table[k]: value.T if _transposed(self._hf, k) else value
            for k, value in variables.items()}

  def named_pooler(self):
    from hub_repro.pooler import PoolerWeights

    if self._hf.pooler is None:
      return None
    family = families.get(self._config)
    params = self.params()  # the weight is [out, in]; params hold it as [in, out]
    if family.POOLER_KERNEL not in params:  # a pooler without weights (formats.HuggingFace)
      return None
    kernel, bias = self._hf.pooler
    scope = kernel.rsplit(".", 1)[0]
    found = f"by name (Hugging Face: {scope}, weight transposed to [in, out])"
    if not self.pooler_stored:
      found += "; not in model.safetensors: transformers made it when it loaded the model"
    return [PoolerWeights(kernel, bias, params[family.POOLER_KERNEL], params[family.POOLER_BIAS],
                          found, stored=self.pooler_stored)]

  def config(self):
    return self._config


def _tokenizer_file(handle: str, path: str, hf) -> tuple[str, bool]:
  """The folder's tokenizer file, the first of the family's `vocab_files` it holds, and its
  lowercase flag (tokenizer_config.json's do_lower_case). A WordPiece tokenizer.json (all that
  current transformers saves) is written out as vocab.txt in the cache; another (ALBERT's
  Unigram) is run by `tokenizers` as it is."""
  do_lower_case = True
  tokenizer_config = os.path.join(path, "tokenizer_config.json")
  if os.path.exists(tokenizer_config):
    with open(tokenizer_config, encoding="utf-8") as f:
      do_lower_case = bool(json.load(f).get("do_lower_case", True))
  found = [os.path.join(path, name) for name in hf.vocab_files
           if os.path.exists(os.path.join(path, name))]
  if not found:
    raise HandleError(f"{handle} has none of {list(hf.vocab_files)}; expected the tokenizer "
                      "saved beside the model")
  vocab_file = found[0]
  if os.path.basename(vocab_file) == "tokenizer.json":
    with open(vocab_file, encoding="utf-8") as f:
      kind = (json.load(f).get("model") or {}).get("type")
    if kind == "WordPiece":
      from hub_repro import embedded
      from hub_repro.weights import sha256_of

      out_dir = os.path.join(embedded.cache_dir(), "vocab", sha256_of(vocab_file)[:16])
      return vocab_from_tokenizer_json(vocab_file, out_dir)
  return vocab_file, do_lower_case


@contextlib.contextmanager
def _quiet_transformers(transformers):
  """While hub_repro loads a folder: no "Loading weights" progress bar (it would bury the report)
  and no load report of missing keys (hub_repro names a pooler made at load time itself:
  pooler.stored). transformers' own settings are restored after."""
  logging = transformers.utils.logging
  verbosity, bar = logging.get_verbosity(), logging.is_progress_bar_enabled()
  logging.set_verbosity_error()
  logging.disable_progress_bar()
  try:
    yield
  finally:
    logging.set_verbosity(verbosity)
    if bar:
      logging.enable_progress_bar()


def load(handle: str, path: str, trust_model_code: bool = False) -> Source:
  del trust_model_code  # weights and configs only: nothing of the folder runs
  with open(os.path.join(path, "config.json"), encoding="utf-8") as f:
    try:
      hf_config = json.load(f)
    except ValueError as e:
      raise HandleError(f"{path}/config.json is not valid JSON: {e}") from None
  shipped = {hf.model_type: hf for hf in families.shipped_in("HUGGING_FACE").values()}
  if hf_config.get("model_type") not in shipped:
    raise HandleError(f"{handle} is a Hugging Face {hf_config.get('model_type')!r} model; "
                      f"expected model_type one of {sorted(shipped)}")
  family = shipped[hf_config["model_type"]]
  try:
    config = (family.from_config or BertConfig.from_hf_dict)(hf_config)
  except ValueError as e:
    raise HandleError(f"{handle}/config.json: {e}") from None
  vocab_file, do_lower_case = _tokenizer_file(handle, path, family)
  require_torch(handle)
  import transformers

  model_class = getattr(transformers, family.model_class)
  # Weights from model.safetensors only (a pickled .bin can run code when loaded), and never the
  # folder's own modeling code.
  safe = {"local_files_only": True, "use_safetensors": True, "trust_remote_code": False}
  try:
    with _quiet_transformers(transformers):
      model, info = model_class.from_pretrained(path, output_loading_info=True, **safe)
  except Exception as e:  # noqa: BLE001 (transformers raises many kinds for a broken folder)
    raise HandleError(f"{handle}: transformers could not load the model: {type(e).__name__}: "
                      f"{str(e).splitlines()[0] if str(e) else ''}") from None
  # transformers initialises missing weights at random (with a warning): refuse that instead.
  missing = sorted(k for k in info.get("missing_keys", []) if not k.endswith("position_ids"))
  pooler_stored = True
  if missing and family.pooler and set(missing) <= set(family.pooler):
    if family.loads_missing_pooler:  # as the family's users get it: a pooler made at load time
      pooler_stored = False
    else:  # saved without its pooler (add_pooling_layer=False): the model has no pooled_output
      with _quiet_transformers(transformers):
        model = model_class.from_pretrained(path, add_pooling_layer=False, **safe)
    missing = []
  if missing:
    raise HandleError(f"{handle}: model.safetensors lacks {missing}")
  model.eval()
  return HuggingFaceSource(handle, path, model, config, vocab_file, do_lower_case, pooler_stored)
