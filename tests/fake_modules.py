"""Tiny TF2 BERT modules that compute pooled_output in ways the harness must see through.

Each is hub_repro's own TF2 encoder (export_tf2.BertEncoder) with modeling.py's forward pass; only
the variable names or the pooled_output computation differ.
"""

from __future__ import annotations

import tensorflow as tf

from hub_repro import export_tf2


class ModelingNamedEncoder(export_tf2.BertEncoder):
  """Variables under modeling.py's names (bert/pooler/dense/kernel, ...) instead of Model Garden's."""
  renames: dict = {}

  def __init__(self, weights):
    tf.Module.__init__(self)
    self.config = weights.config
    self._names = [self.renames.get(n, n) for n in weights.params]
    self.encoder_variables = [tf.Variable(v, name=n)
                              for n, v in zip(self._names, weights.params.values())]

  def params(self):
    inverse = {v: k for k, v in self.renames.items()}
    return {inverse.get(n, n): v for n, v in zip(self._names, self.encoder_variables)}


class MeanPooledEncoder(ModelingNamedEncoder):
  """Pooler variables named as in modeling.py, but pooled_output = tanh(mean of the sequence)."""

  def pooled_output(self, sequence_output, params):
    return tf.tanh(tf.reduce_mean(sequence_output, axis=1))


RENAMED_POOLER = {"bert/pooler/dense/kernel": "head/projection/kernel",
                  "bert/pooler/dense/bias": "head/projection/bias"}


class RenamedPoolerEncoder(ModelingNamedEncoder):
  """The real pooler, under a name no exporter uses: it can only be found by its numbers."""
  renames = RENAMED_POOLER


class RenamedMeanPooledEncoder(ModelingNamedEncoder):
  """No pooler name and a pooled_output that no dense layer explains."""
  renames = RENAMED_POOLER

  def pooled_output(self, sequence_output, params):
    return tf.tanh(tf.reduce_mean(sequence_output, axis=1))


def export(encoder_class, weights, out_dir: str) -> str:
  return export_tf2.export_tf2(weights, out_dir, encoder_class=encoder_class)
