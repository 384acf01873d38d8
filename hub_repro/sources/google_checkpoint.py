"""google-research checkpoint folder, computed by hub_repro's rebuild of its family's modeling.py:
the reference implementation of that format, since Google's own needs TensorFlow 1. BERT's
(bert_config.json, bert_model.ckpt.*, vocab.txt) by hub_repro.families.bert.modeling, ALBERT's
(albert_config.json, model.ckpt-best.*, 30k-clean.model) by hub_repro.families.albert.modeling
(the family's GOOGLE_RELEASE names).

`ModelingSource.from_params` runs the same rebuild on any weights; `--full` compares a model with
it. The forward pass is one `tf.function` for every input shape, its weights held in variables
(the model's own where Source.tf_params gives them). Not XLA: `python -m benchmarks.xla_rebuild`
measured it at 0.77x the plain graph's speed on this 2-core CPU, with other rounding (1.2e-5).
"""

from __future__ import annotations


import numpy as np

from hub_repro import families
from hub_repro.config import BertConfig
from hub_repro.sources import HandleError, Source

def recognizes(path: str) -> bool:
  from hub_repro.weights import google_release_family

  return google_release_family(path) is not None


def _traced_layer(config: BertConfig):
  """A layer_fn for the family's `model`: the encoder layer as one traced function called for
  each layer with that layer's weights. Tracing 12 layers' ops one by one took 0.5 s at BERT-base,
  this 0.14 s; inside a tf.function TensorFlow inlines the calls, so the graph it runs is the same
  (bit-identical outputs)."""
  import tensorflow as tf

  family = families.get(config)

  @tf.function(autograph=False)
  def layer(layer_input, attention_mask, weights, batch_size, seq_length):
    return family.transformer_layer(layer_input, attention_mask, weights, "layer", config,
                                    batch_size, seq_length, training=False)

  def layer_fn(layer_input, attention_mask, params, scope, config, batch_size, seq_length,
               training):
    del config, training  # the traced layer's
    weights = {f"layer/{k[len(scope) + 1:]}": v for k, v in params.items()
               if k.startswith(f"{scope}/")}  # the same names in every layer: one trace
    return layer(layer_input, attention_mask, weights, batch_size, seq_length)

  return layer_fn


class ModelingSource(Source):
  format = "google-checkpoint"
  naming = "modeling.py"

  def __init__(self, handle: str, path: str | None, params: dict | None, config: BertConfig,
               vocab_file: str | None = None, do_lower_case: bool = True, variables=None):
    super().__init__(handle, path)
    self._params = (None if params is None else
                    {k: np.asarray(v, np.float32) for k, v in params.items()})
    self._config = config
    family = families.get(config)
    self.framework = (f"{family.__name__} (google-research/{config.family} modeling.py rebuilt "
                      "for TF2)")
    self.vocab_file = vocab_file
    self.do_lower_case = do_lower_case
    self._tensors = variables
    self._forward = {}

  @classmethod
  def from_params(cls, params: dict, config: BertConfig, handle: str = "modeling.py rebuild",
                  vocab_file=None, do_lower_case=True, variables=None):
    """The modeling.py rebuild on these weights (what --full compares a model with): numpy
    `params`, or a model's own tf.Variables (`variables`, Source.tf_params), used as they are."""
    source = cls(handle, None, params, config, vocab_file, do_lower_case, variables)
    source.format = "modeling.py rebuild"
    return source

  def reconfigured(self, config: BertConfig) -> "ModelingSource":
    """The same weights (the same variables, not a copy) computed with another config."""
    other = ModelingSource(self.handle, self.path, None, config, self.vocab_file,
                           self.do_lower_case, self.tensors())
    other._params, other.format = self._params, self.format
    return other

  def tensors(self) -> dict:
    """The weights as tf.Variables by modeling.py name, made once. Variables, not constants:
    440 MB of constants at BERT-base size would be copied into the graph and slow its
    optimisation."""
    if self._tensors is None:
      import tensorflow as tf

      self._tensors = {k: tf.Variable(v, trainable=False, name=k.replace("/", "_"))
                       for k, v in self._params.items()}
    return self._tensors

  def forward(self, layers: bool = False):
    """The compiled forward pass: inputs -> {pooled_output (if the weights hold a pooler),
    sequence_output[, encoder_outputs]}, traced once for
    every batch size and length (the ops take any shape; a trace per bucketed shape would cost
    ~0.7 s each at BERT-base); the encoder layer is traced once (_traced_layer). Without
    `layers` the layers' outputs are not returned, so they are freed inside
    the graph (at 512 tokens a batch of 32 holds 600 MB of them at BERT-base)."""
    if layers not in self._forward:
      import tensorflow as tf

      tensors, config, family = self.tensors(), self._config, families.get(self._config)
      layer_fn = _traced_layer(config)
      ids = tf.TensorSpec([None, None], tf.int32)

      @tf.function(input_signature=[ids, ids, ids], autograph=False)  # plain Python loops
      def forward(input_ids, input_mask, segment_ids):
        out = family.model(tensors, config, input_ids, input_mask, segment_ids,
                           layer_fn=layer_fn)
        return {k: out[k] for k in ("pooled_output", "sequence_output",
                                    "encoder_outputs" if layers else "") if k in out}

      self._forward[layers] = forward
    return self._forward[layers]

  def run_once(self, input_ids, input_mask, segment_ids) -> np.ndarray:
    """sequence_output of one call under this config, for a config run on one small batch only
    (--full's search rivals): the encoder layer traced once and run as a graph for each layer,
    the embeddings and the pooler eagerly. Tracing the whole forward pass for a single call costs
    more than it saves (0.84-0.91 s on two examples of 64 tokens at BERT-base, against 0.34-0.38 s
    this way and 0.41-0.55 s all eager)."""
    config = self._config
    out = families.get(config).model(self.tensors(), config, input_ids, input_mask, segment_ids,
                                     layer_fn=_traced_layer(config))
    return out["sequence_output"].numpy()

  def run(self, input_ids, input_mask, segment_ids, layers=False):
    import tensorflow as tf

    ids = [tf.convert_to_tensor(np.asarray(t), tf.int32)
           for t in (input_ids, input_mask, segment_ids)]
    out = self.forward(layers)(*ids)
    result = {k: out[k].numpy() for k in ("pooled_output", "sequence_output") if k in out}
    if layers:
      result["encoder_outputs"] = [t.numpy() for t in out["encoder_outputs"]]
    return result

  def read_variables(self):
    if self._params is None:
      self._params = {k: v.numpy() for k, v in self._tensors.items()}
    return self._params

  def tf_params(self):
    return self.tensors()

  def to_params(self, variables):
    return variables

  def config(self):
    return self._config


def load(handle: str, path: str, trust_model_code: bool = False) -> Source:
  del trust_model_code  # weights and configs only: nothing of the folder runs
  from hub_repro.weights import WeightsError, read_google_checkpoint

  try:
    weights = read_google_checkpoint(path)
  except (WeightsError, FileNotFoundError, ValueError) as e:
    raise HandleError(f"{handle}: {e}") from None
  return ModelingSource(handle, path, weights.params, weights.config, weights.vocab_file,
                        weights.do_lower_case)
