"""Model sources: every BERT a user holds, behind one interface, each computed by its own framework.

| format            | a folder with                                         | computed by                      |
| ----------------- | ----------------------------------------------------- | -------------------------------- |
| tf1-hub           | saved_model.pb + tfhub_module.pb                      | TensorFlow (hub.load, "tokens")  |
| tf2-savedmodel    | saved_model.pb                                        | TensorFlow (hub.load, __call__)  |
| keras-hub         | config.json + metadata.json + model.weights.h5        | keras-hub Bert/Albert/ElectraBackbone |
| huggingface       | config.json (model_type bert, albert, electra) + model.safetensors | transformers Bert/Albert/ElectraModel (PyTorch) |
| google-checkpoint | bert_config.json + bert_model.ckpt.index, or albert_config.json + model.ckpt-best.index | the family's rebuild (hub_repro.modeling, albert_modeling) |

Every format holds any family (BERT, ALBERT, ELECTRA: hub_repro.families); a format maps its names
onto its family's checkpoint names, and `Source.family` says which.

A `Source` gives (a) a callable on packed ids returning pooled_output (where the model has one:
transformers' ElectraModel has none, and its run() returns no such key), sequence_output and, on
request, every layer's output; (b) its variables under its family's checkpoint names (`params`:
modeling.py's for BERT, google-research/albert's, electra's; see hub_repro.families); (c) its
config as far as the format stores it (`config`, `config_stored`, `family`); (d) its tokenizer. The checks
(compare, full, crosscheck, diff) use only this interface. A format is one module of this package
with a `Source` subclass, `recognizes(path)` and `load(handle, path, trust_model_code)`, listed in
`FORMATS`. A format whose model is a program (a SavedModel) reads its graph before it runs it
(graph_ops), unless `trust_model_code`; the others hold only weights and configs.
"""

from __future__ import annotations

import abc
import importlib
import os

import numpy as np

from hub_repro import families
from hub_repro.config import BertConfig
from hub_repro.errors import HandleError, UsageError

# Fields every format's weights tell by their shapes; heads and activation only some formats store.
SHAPE_FIELDS = frozenset({"vocab_size", "hidden_size", "num_hidden_layers", "intermediate_size",
                          "max_position_embeddings", "type_vocab_size"})
ALL_FIELDS = SHAPE_FIELDS | {"num_attention_heads", "hidden_act"}

# Recognised in this order: the first module whose recognizes(path) is true opens the folder.
FORMATS = ("tf1_hub", "keras_hub", "huggingface", "google_checkpoint", "tf2_savedmodel")


class Source(abc.ABC):
  """One copy of a BERT model. Subclasses set `format` and `framework` and fill in the rest."""

  format: str = ""  # the JSON `format`: "tf1-hub", "keras-hub", ...
  framework: str = ""  # who computes the outputs, for the report
  naming: str = ""  # whose variable names the format uses
  exposes_layers: bool = True  # whether run(layers=True) gives encoder_outputs

  def __init__(self, handle: str, path: str):
    self.handle = handle
    self.path = path
    self._values: dict | None = None
    self._params: dict | None = None
    self._tokenizer: tuple | None = None  # ((vocab_file, do_lower_case), the tokenizer), made once

  # -- (a) the model ------------------------------------------------------------------------

  @abc.abstractmethod
  def run(self, input_ids, input_mask, segment_ids, layers: bool = False) -> dict:
    """The model on int32 [B, S] inputs. Returns float32 numpy arrays: `pooled_output` [B, H]
    (absent if the model has no pooled output: ELECTRA, DistilBERT),
    `sequence_output` [B, S, H] and, if `layers` and the framework exposes them,
    `encoder_outputs`, a list of L arrays [B, S, H]."""

  def __call__(self, input_ids, input_mask, segment_ids, layers: bool = False) -> dict:
    return self.run(input_ids, input_mask, segment_ids, layers=layers)

  # A format that computes with a loaded TensorFlow function sets `function`, and run() calls it
  # through call_function(): as loaded, or its whole graph under XLA when the user asks (--xla).
  function = None
  xla = False
  _compiled = None

  def use_xla(self, xla: bool) -> None:
    """Run the model's whole graph under XLA (`tf.function(jit_compile=True)`), or as loaded."""
    if xla and self.function is None:
      raise UsageError(f"--xla compiles a TensorFlow module's graph; {self.handle} is computed "
                       f"by {self.framework}, which hub_repro runs as is")
    self.xla = bool(xla)

  def call_function(self, *args, **kwargs):
    """`function(*args, **kwargs)`, as loaded or under XLA (use_xla)."""
    if not self.xla:
      return self.function(*args, **kwargs)
    if self._compiled is None:
      import tensorflow as tf  # import hub_repro stays free of TensorFlow

      function = self.function
      self._compiled = tf.function(lambda *a, **k: function(*a, **k), jit_compile=True,
                                   autograph=False)
    return self._compiled(*args, **kwargs)

  def execution(self) -> dict:
    """The JSON `execution`: whether XLA ran, and how the model ran in words."""
    how = ("under XLA (jit_compile), as asked (--xla)" if self.xla else
           "as loaded" if self.function is not None else f"as {self.framework} computes it")
    return {"xla": self.xla, "how": how}

  # Which of the model's outputs is compared as pooled_output: "pooled_output", or "default"
  # where an encoder answers only that (Model Garden's exporter makes `default` an alias of
  # pooled_output). Where it gives both, whether `default` equals pooled_output (None: no
  # `default`, or not run yet).
  pooled_output_key = "pooled_output"
  default_is_pooled_output: bool | None = None

  # -- (b) the weights ----------------------------------------------------------------------

  @abc.abstractmethod
  def read_variables(self) -> dict[str, np.ndarray]:
    """Every weight under the format's own names (what a user sees in the files)."""

  def variable_values(self) -> dict[str, np.ndarray]:
    """The format's variables by name, read once."""
    if self._values is None:
      self._values = self.read_variables()
    return self._values

  @abc.abstractmethod
  def to_params(self, variables: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """`variables` under modeling.py's names and shapes; ValueError if they cannot be mapped."""

  def params(self) -> dict[str, np.ndarray]:
    """The weights under modeling.py's checkpoint names and shapes (float32), read once."""
    if self._params is None:
      self._params = {k: np.asarray(v, np.float32)
                      for k, v in self.to_params(self.variable_values()).items()}
    return self._params

  def tf_params(self) -> dict | None:
    """The weights as the framework's own TensorFlow variables under modeling.py's names and
    shapes, for the --full rebuild to compute with directly (no copy of 440 MB at BERT-base);
    None where they are not (torch, keras-hub's and Model Garden's [H, N, H/N] kernels): the
    rebuild then makes variables from params()."""
    return None

  def named_pooler(self) -> list | None:
    """The pooler's weights as pooler.PoolerWeights, where the format's names are not among
    pooler.KNOWN_NAMES (None: search `variable_values` by name, then by the numbers)."""
    return None

  # -- (c) the config -----------------------------------------------------------------------

  @property
  def family(self) -> str | None:
    """The JSON `family`: "bert", "albert" or "electra" (hub_repro.families), from the config;
    None where the weights carry names no table maps (the pooler check needs no family)."""
    try:
      return self.config().family
    except (ValueError, KeyError):
      return None

  @property
  def config_stored(self) -> frozenset[str]:
    """The BertConfig fields this copy stores; the others of `config` are guesses."""
    return ALL_FIELDS

  @abc.abstractmethod
  def config(self) -> BertConfig:
    """The config: stored fields as stored; the rest derived from weight shapes, or guessed
    (heads: hidden_size // 64; activation: modeling.py's tanh gelu) if not in `config_stored`."""

  # -- (d) the tokenizer --------------------------------------------------------------------

  vocab_file: str | None = None  # vocab.txt, a SentencePiece .model or a tokenizer.json
  do_lower_case: bool = True

  def tokenizer(self):
    """This copy's own tokenizer (tokenization.tokenizer_for: tensorflow_text's BertTokenizer over
    a vocab.txt, its SentencepieceTokenizer over a .model, or a Unigram tokenizer.json), with
    TF-Hub style packing. Made once per vocab and casing (reading BERT's 30,522-line vocab.txt
    and building the tokenizer took 10 ms of the check's ~30 ms of work besides the forward pass on
    64 sentences)."""
    from hub_repro.tokenization import tokenizer_for

    if self.vocab_file is None:
      raise HandleError(f"{self.handle} has no vocab file; expected one beside the weights, or "
                        "pass --preprocessor")
    family = self.family
    packing = getattr(families.names(family), "PACKING", None) if family else None
    key = (self.vocab_file, self.do_lower_case, packing)
    if self._tokenizer is None or self._tokenizer[0] != key:
      self._tokenizer = (key, tokenizer_for(*key))
    return self._tokenizer[1]


def config_from_params(params: dict, num_attention_heads: int | None = None,
                       hidden_act: str | None = None) -> BertConfig:
  """A config from canonically named weights' shapes, in the family the names tell (heads
  guessed if not given)."""
  return families.config_from_params(params, num_attention_heads, hidden_act)


def format_module(name: str):
  return importlib.import_module(f"hub_repro.sources.{name}")


def detect(path: str) -> str | None:
  """The format module name whose files `path` holds, or None."""
  for name in FORMATS:
    if format_module(name).recognizes(path):
      return name
  return None


def open_folder(handle: str, path: str, trust_model_code: bool = False) -> Source:
  """The Source for a local folder, by the files in it; HandleError if no format fits."""
  name = detect(path)
  if name is None:
    listing = sorted(os.listdir(path))[:8]
    raise HandleError(
        f"{handle} is not a BERT model folder of any known format (it holds {listing}); expected "
        "a TF-Hub module (saved_model.pb), a keras-hub preset (config.json, metadata.json, "
        "model.weights.h5), a Hugging Face folder (config.json, model.safetensors) or a "
        "google-research checkpoint (bert_config.json, bert_model.ckpt.*, vocab.txt; or "
        "albert_config.json, model.ckpt-best.*, 30k-clean.model)")
  return format_module(name).load(handle, path, trust_model_code=trust_model_code)
