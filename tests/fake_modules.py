"""Tiny TF2 BERT modules that compute pooled_output in ways the harness must see through.

Each is hub_repro's own TF2 encoder (export_tf2.BertEncoder) with modeling.py's forward pass; only
the variable names or the pooled_output computation differ.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow as tf

from hub_repro import export_tf2
from hub_repro.families.bert import modeling


class ModelingNamedEncoder(export_tf2.BertEncoder):
  """Variables under modeling.py's names (bert/pooler/dense/kernel, ...) instead of Model Garden's."""
  renames: dict = {}
  dropped: tuple = ()  # names not saved at all

  def __init__(self, weights):
    tf.Module.__init__(self)
    self.config = weights.config
    kept = {n: v for n, v in weights.params.items() if n not in self.dropped}
    self._names = [self.renames.get(n, n) for n in kept]
    self.encoder_variables = [tf.Variable(v, name=n) for n, v in zip(self._names, kept.values())]

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


class GeluPooledEncoder(ModelingNamedEncoder):
  """A pooler with gelu (modeling.py's tanh approximation) where BERT's has tanh."""

  def pooled_output(self, sequence_output, params):
    return modeling.gelu(tf.matmul(sequence_output[:, 0], params[modeling.POOLER_KERNEL])
                         + params[modeling.POOLER_BIAS])


class ClsPooledEncoder(ModelingNamedEncoder):
  """No pooler weights, and pooled_output = sequence_output[:, 0], as google-research ELECTRA."""
  dropped = (modeling.POOLER_KERNEL, modeling.POOLER_BIAS)

  def pooled_output(self, sequence_output, params):
    return sequence_output[:, 0]


def with_pooler(weights, kernel=None, bias=None):
  """`weights` with the pooler's kernel and/or bias replaced."""
  params = dict(weights.params)
  if kernel is not None:
    params[modeling.POOLER_KERNEL] = np.asarray(kernel, np.float32)
  if bias is not None:
    params[modeling.POOLER_BIAS] = np.asarray(bias, np.float32)
  return dataclasses.replace(weights, params=params)


def identity_pooler(weights):
  """The pooler of TF-Hub's ELECTRA: an identity kernel and a zero bias (tanh still applied)."""
  h = weights.config.hidden_size
  return with_pooler(weights, np.eye(h), np.zeros(h))


def without_pooler(weights):
  """`weights` without the pooler's kernel and bias."""
  return dataclasses.replace(weights, params={
      k: v for k, v in weights.params.items()
      if k not in (modeling.POOLER_KERNEL, modeling.POOLER_BIAS)})


def export(encoder_class, weights, out_dir: str) -> str:
  return export_tf2.export_tf2(weights, out_dir, encoder_class=encoder_class)
