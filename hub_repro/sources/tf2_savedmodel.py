"""TF2 SavedModel (tensorflow/bert_en_uncased_L-12_H-768_A-12/4, Model Garden's export, or a Keras
3 `model.export()` artifact), run through `__call__` or its `serving_default` signature.

The Reusable SavedModel API makes `training` optional: it is passed only if `__call__` takes it, as
hub.KerasLayer does. Input dtypes are read from the saved function and the ids cast to them.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from hub_repro import families, naming
from hub_repro.sources import SHAPE_FIELDS, HandleError, Source, config_from_params
from hub_repro.sources import saved_model

INPUTS = ("input_word_ids", "input_mask", "input_type_ids")
# Other names for the three inputs, as other exporters spell them, by position.
INPUT_ALIASES = (
    ("input_word_ids", "input_ids", "token_ids", "inputs_input_word_ids"),
    ("input_mask", "padding_mask", "attention_mask", "inputs_input_mask"),
    ("input_type_ids", "segment_ids", "token_type_ids", "inputs_input_type_ids"),
)


def recognizes(path: str) -> bool:
  return saved_model.is_saved_model(path)


def _call_spec(function) -> tuple[dict | None, bool]:
  """(dtypes of the inputs dict by name, whether `training` is an argument) of a restored
  __call__, from its saved signatures."""
  from tensorflow.python.util import tf_inspect  # what hub.KerasLayer uses

  takes_training = "training" in tf_inspect.getfullargspec(function).args
  for concrete in getattr(function, "concrete_functions", []):
    args = concrete.structured_input_signature[0]
    if args and isinstance(args[0], dict):
      return {name: spec.dtype for name, spec in args[0].items()}, takes_training
  return None, takes_training


def _match_inputs(names, handle: str) -> list[str]:
  """The saved input names in the order input_word_ids, input_mask, input_type_ids."""
  matched = []
  for aliases in INPUT_ALIASES:
    found = [name for name in aliases if name in names]
    if not found:
      raise HandleError(f"{handle}: the model takes inputs {sorted(names)}; expected "
                        f"{list(INPUTS)} (or one of {list(aliases)} for {aliases[0]})")
    matched.append(found[0])
  return matched


class Tf2SavedModelSource(Source):
  format = "tf2-savedmodel"
  framework = "TensorFlow (hub.load, __call__)"

  def __init__(self, handle: str, path: str, trust_model_code: bool = False):
    super().__init__(handle, path)
    obj = saved_model.hub_load(handle, path, trust_model_code=trust_model_code)
    if hasattr(obj, "tokenize") and hasattr(obj, "bert_pack_inputs"):
      raise HandleError(f"{handle} is a BERT preprocessing model (it has tokenize and "
                        "bert_pack_inputs), not an encoder; pass it as --preprocessor and the "
                        "encoder as --handle")
    self.obj = obj
    self._training = False  # whether __call__ takes `training` (what hub.KerasLayer checks)
    if callable(obj):  # the Reusable SavedModel API: __call__, with training only if it takes it
      dtypes, self._training = _call_spec(obj.__call__)
      function = obj.__call__
      self.function = ((lambda inputs: function(inputs, training=False)) if self._training
                       else function)
    elif "serving_default" in getattr(obj, "signatures", {}):
      function = obj.signatures["serving_default"]
      dtypes = {name: spec.dtype for name, spec in function.structured_input_signature[1].items()}
      self.function = lambda inputs: function(**inputs)
      self.framework = "TensorFlow (hub.load, signature 'serving_default')"
    else:
      raise HandleError(f"{handle} is a TF2 SavedModel that can neither be called nor has a "
                        "serving_default signature; expected a BERT encoder like "
                        "tensorflow/bert_en_uncased_L-12_H-768_A-12/4")
    self._function = function  # as saved: read_variables() looks into it where obj lists none
    self._names = _match_inputs(dtypes, handle) if dtypes else list(INPUTS)
    self._dtypes = dtypes or {}
    # WordPiece's vocab_file, or the SentencePiece model of Model Garden's ALBERT export.
    vocab = getattr(obj, "vocab_file", None) or getattr(obj, "sp_model_file", None)
    reported = vocab.asset_path.numpy().decode() if vocab is not None else ""
    self.vocab_file = saved_model.find_asset(path, reported)
    lower = getattr(obj, "do_lower_case", None)
    self.do_lower_case = bool(lower.numpy()) if lower is not None else True

  @property
  def naming(self) -> str:
    return naming.naming_of(self.variable_values().variables)

  def run(self, input_ids, input_mask, segment_ids, layers=False):
    import tensorflow as tf

    inputs = {name: tf.cast(t, self._dtypes.get(name, tf.int32))
              for name, t in zip(self._names, (input_ids, input_mask, segment_ids))}
    outputs = self.call_function(inputs)
    if "sequence_output" not in outputs:  # pooled_output is optional: "none" is a finding
      raise HandleError(f"{self.handle} returns {sorted(outputs)}; expected sequence_output "
                        "(and pooled_output, if it has a pooler): a BERT encoder")
    if "default" in outputs:  # Model Garden's exporter adds `default`, an alias of pooled_output
      if "pooled_output" not in outputs:  # an encoder that answers `default` only (LaBSE's kin)
        self.pooled_output_key = "default"
        outputs = {**outputs, "pooled_output": outputs["default"]}
      elif self.default_is_pooled_output is None:  # what it is, measured on the first batch
        self.default_is_pooled_output = bool(np.array_equal(outputs["default"],
                                                            outputs["pooled_output"]))
    result = saved_model.to_numpy(outputs, layers)
    if "encoder_outputs" in result and self._embedding_output_first():
      result["encoder_outputs"] = result["encoder_outputs"][1:]  # the layers only
    return result

  def _embedding_output_first(self) -> bool:
    """Whether the family's Model Garden encoder returns the embedding output as
    encoder_outputs[0] (formats.ModelGarden.embedding_output_first)."""
    variables = self.variable_values().variables
    if not naming.is_model_garden(variables):
      return False
    spec = families.names(naming.model_garden_family(variables)).MODEL_GARDEN
    return spec.embedding_output_first

  def read_variables(self):
    variables = getattr(self.obj, "variables", None)
    if variables is None:  # a plain tf.Module saves no `variables` list: take what the call reads
      functions = getattr(self._function, "concrete_functions", None) or [self._function]
      variables = {id(v): v for f in functions for v in f.variables}.values()
    return saved_model.VariableValues(variables)

  def tf_params(self):
    return saved_model.modeling_variables(self.variable_values().variables)

  def to_params(self, variables):
    return naming.to_bert_params(variables)[0]

  def _stored_heads(self) -> int | None:
    """Model Garden keeps the heads as an axis of its [H, N, H/N] query kernels (read from the
    shape, not the values); modeling.py's [H, H] kernels do not tell."""
    variables = self.variable_values().variables
    kernel = next((v for k, v in variables.items()
                   if k.endswith("attention/query/kernel") and len(v.shape) == 3), None)
    return int(kernel.shape[1]) if kernel is not None and len(kernel.shape) == 3 else None

  def _num_layers(self) -> int:
    """How often Model Garden's AlbertEncoder applies its one shared layer: its encoder_outputs
    on one token say (the weights do not)."""
    if not hasattr(self, "_layer_count"):
      one = np.ones([1, 1], np.int32)
      self._layer_count = len(self.run(one, one, np.zeros_like(one), layers=True)
                              .get("encoder_outputs", [None]))
    return self._layer_count

  @property
  def config_stored(self):
    # Neither naming stores gelu.
    return SHAPE_FIELDS | ({"num_attention_heads"} if self._stored_heads() else set())

  def config(self):
    config = config_from_params(self.tf_params() or self.params(), self._stored_heads())
    if not families.names(config).MODEL_GARDEN.layers_in_weights:  # a shared layer (ALBERT)
      config = dataclasses.replace(config, num_hidden_layers=self._num_layers())
    return config

def load(handle: str, path: str, trust_model_code: bool = False) -> Source:
  return Tf2SavedModelSource(handle, path, trust_model_code)
