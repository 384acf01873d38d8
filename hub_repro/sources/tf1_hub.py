"""TF1 Hub format (google/bert_uncased_L-12_H-768_A-12/1, google/albert_base/3,
google/electra_small/2): a SavedModel with tfhub_module.pb, run through its "tokens" signature.
The module stores neither its head count nor its gelu form, unless it ships its albert_config.json
as an asset. ALBERT's shared layer does not tell how many times it is applied: that is read from
the config asset, else from the graph's layer_N name scopes (albert's modeling.py opens one per
layer)."""

from __future__ import annotations

import dataclasses
import os
import re

from hub_repro import families, naming
from hub_repro.config import BertConfig
from hub_repro.sources import ALL_FIELDS, SHAPE_FIELDS, HandleError, Source, config_from_params
from hub_repro.sources import saved_model

CONFIG_ASSETS = ("albert_config.json", "bert_config.json")  # a config some exporters ship

SIGNATURE = "tokens"
INPUTS = ("input_ids", "input_mask", "segment_ids")


def recognizes(path: str) -> bool:
  return saved_model.is_saved_model(path) and os.path.exists(os.path.join(path, "tfhub_module.pb"))


class Tf1HubSource(Source):
  format = "tf1-hub"
  framework = "TensorFlow (hub.load, signature 'tokens')"
  exposes_layers = False  # its signature returns pooled_output and sequence_output only

  def __init__(self, handle: str, path: str, trust_model_code: bool = False):
    super().__init__(handle, path)
    obj = saved_model.hub_load(handle, path, trust_model_code=trust_model_code)
    if SIGNATURE not in obj.signatures:
      raise HandleError(f"{handle} is a TF1 Hub module without a '{SIGNATURE}' signature (it has "
                        f"{sorted(obj.signatures)}); expected a BERT module like "
                        "google/bert_uncased_L-12_H-768_A-12/1")
    self.obj = obj
    self._signature = self.function = obj.signatures[SIGNATURE]
    self._variables = saved_model.VariableValues(self._signature.variables)
    # int32 in Google's modules; other exporters use int64: feed what the signature asks for.
    specs = self._signature.structured_input_signature[1]
    missing = [name for name in INPUTS if name not in specs]
    if missing:
      raise HandleError(f"{handle}: the '{SIGNATURE}' signature takes {sorted(specs)}; expected "
                        f"{list(INPUTS)}")
    self._dtypes = {name: specs[name].dtype for name in INPUTS}
    reported, self.do_lower_case = "", True
    if "tokenization_info" in obj.signatures:
      info = obj.signatures["tokenization_info"]()
      reported = info["vocab_file"].numpy().decode()
      self.do_lower_case = bool(info["do_lower_case"].numpy())
    # The asset its tokenization_info returns, as the module declares it (a TF2 load of a TF1
    # module reports only b"SAVEDMODEL-ASSET"): vocab.txt, or ALBERT's SentencePiece model
    # whatever its file name.
    self.vocab_file = (saved_model.declared_asset(path, "tokenization_info", "vocab_file")
                       or saved_model.find_asset(path, reported))
    self._config_asset = next((os.path.join(path, "assets", name) for name in CONFIG_ASSETS
                               if os.path.isfile(os.path.join(path, "assets", name))), None)

  @property
  def naming(self) -> str:
    return naming.naming_of(self._variables)

  def run(self, input_ids, input_mask, segment_ids, layers=False):
    import tensorflow as tf

    feed = {name: tf.cast(t, self._dtypes[name])
            for name, t in zip(INPUTS, (input_ids, input_mask, segment_ids))}
    outputs = self.call_function(**feed)
    return saved_model.to_numpy(outputs, layers=False)  # TF1 modules expose no layers

  def read_variables(self):
    return self._variables

  def tf_params(self):
    return saved_model.modeling_variables(self._variables.variables)

  def to_params(self, variables):
    return naming.to_bert_params(variables)[0]

  @property
  def config_stored(self):
    return ALL_FIELDS if self._config_asset else SHAPE_FIELDS

  def config(self):
    """From the config asset if the module ships one, else from the shapes (nothing is read)."""
    shapes = config_from_params(self.tf_params() or self.params())
    if self._config_asset:
      return BertConfig.from_json_file(self._config_asset, family=shapes.family)
    scope = families.names(shapes).TF1_HUB.layer_scope
    if scope is not None:  # a shared layer: its weights do not tell how often it runs; the graph
      layers = {int(m.group(1)) for op in self._signature.graph.get_operations()
                if (m := re.search(scope, op.name))}
      if layers:
        shapes = dataclasses.replace(shapes, num_hidden_layers=max(layers) + 1)
    return shapes


def load(handle: str, path: str, trust_model_code: bool = False) -> Source:
  return Tf1HubSource(handle, path, trust_model_code)
