"""Export BERT weights in the TF2 SavedModel format of TF-Hub's BERT encoders, as TF Model Garden's
`export_tfhub_lib.export_model` makes tensorflow/bert_en_uncased_L-12_H-768_A-12/4.

The encoder is called as `encoder(dict(input_word_ids=..., input_mask=..., input_type_ids=...))`
(int32 [batch_size, seq_length]) and returns `pooled_output` [B, H], `sequence_output` [B, S, H],
`encoder_outputs` (one [B, S, H] per layer) and `default` (= pooled_output). It follows the Reusable
SavedModel API (`variables`, `trainable_variables`, `regularization_losses`, `__call__` with a
`training` argument), so `hub.KerasLayer` can use it, and carries the `vocab_file` asset and the
`do_lower_case` variable. Variables use Model Garden's names and shapes (`naming.py`); the forward
pass is modeling.py's (`modeling.bert_model`).
"""

from __future__ import annotations

import os

import tensorflow as tf
import tensorflow_text as text

from hub_repro import files, naming, tokenization
from hub_repro.families.bert import modeling
from hub_repro.weights import BertWeights

INPUT_NAMES = ("input_word_ids", "input_mask", "input_type_ids")


class BertEncoder(tf.Module):
  """A BERT encoder over Model Garden-named variables, computing modeling.py's forward pass."""

  def __init__(self, weights: BertWeights):
    super().__init__(name=None)
    self.config = weights.config
    values = naming.bert_to_model_garden(weights.params, weights.config)
    self.encoder_variables = [tf.Variable(v, name=name) for name, v in values.items()]
    self._names = list(values)

  def params(self) -> dict:
    """The variables as modeling.py params (reshaped from Model Garden's per-head shapes)."""
    by_name = dict(zip(self._names, self.encoder_variables))
    return naming.model_garden_to_bert(by_name, self.config, reshape=tf.reshape)

  def pooled_output(self, sequence_output, params):
    """modeling.py's pooler; tests override this to build modules that compute it otherwise."""
    return modeling.pooler(sequence_output, params[modeling.POOLER_KERNEL],
                           params[modeling.POOLER_BIAS])

  def call(self, inputs, training=False):
    params = self.params()
    outputs = modeling.bert_model(params, self.config, inputs["input_word_ids"],
                                  inputs["input_mask"], inputs["input_type_ids"],
                                  training=training)
    pooled_output = self.pooled_output(outputs["sequence_output"], params)
    return {"pooled_output": pooled_output, "sequence_output": outputs["sequence_output"],
            "encoder_outputs": outputs["encoder_outputs"], "default": pooled_output}


def export_tf2(weights: BertWeights, out_dir: str, overwrite: bool = False,
               encoder_class=BertEncoder) -> str:
  """Writes `weights` as a TF2 BERT encoder SavedModel to `out_dir` (atomically) and returns it."""
  with files.atomic_folder(out_dir, overwrite) as module_dir:
    encoder = encoder_class(weights)
    spec = {name: tf.TensorSpec([None, None], tf.int32, name=name) for name in INPUT_NAMES}
    # autograph=False: modeling.py's layers are plain Python loops, nothing for AutoGraph to
    # convert; converting them anyway walks into importlib (families.get) and warns in notebooks.
    call = tf.function(encoder.call, autograph=False)
    for training in (False, True):
      call.get_concrete_function(spec, training=training)

    @tf.function(input_signature=[spec[name] for name in INPUT_NAMES], autograph=False)
    def serving_default(input_word_ids, input_mask, input_type_ids):
      outputs = call(dict(input_word_ids=input_word_ids, input_mask=input_mask,
                          input_type_ids=input_type_ids), training=False)
      return {k: outputs[k] for k in ("pooled_output", "sequence_output", "default")}

    # The Reusable SavedModel API's attributes live on a plain trackable root.
    root = tf.train.Checkpoint()
    root.encoder = encoder
    root.__call__ = call
    root.variables = list(encoder.encoder_variables)
    root.trainable_variables = list(encoder.encoder_variables)
    root.regularization_losses = []
    root.vocab_file = tf.saved_model.Asset(weights.vocab_file)
    root.do_lower_case = tf.Variable(weights.do_lower_case, trainable=False, name="do_lower_case")
    tf.saved_model.save(root, module_dir, signatures={"serving_default": serving_default})
  return os.path.abspath(out_dir)


class BertPreprocess(tf.Module):
  """The preprocessing model paired with a TF2 encoder, as Model Garden exports it
  (bert_en_uncased_preprocess/3): tensorflow_text's BertTokenizer and BertPackInputs."""

  def __init__(self, vocab_file: str, do_lower_case: bool, default_seq_length: int = 128):
    super().__init__()
    ids = tokenization.special_ids(tokenization.read_vocab(vocab_file), vocab_file)
    self._special = (ids["[CLS]"], ids["[SEP]"], ids["[PAD]"])
    self._default_seq_length = default_seq_length
    self.vocab_file = tf.saved_model.Asset(vocab_file)
    self.do_lower_case = tf.Variable(do_lower_case, trainable=False, name="do_lower_case")
    self._tokenizer = text.BertTokenizer(vocab_file, token_out_type=tf.int32,
                                         lower_case=do_lower_case)

  def tokenize(self, sentences):
    """[batch] strings -> int32 RaggedTensor [batch, (words), (wordpieces)]."""
    return self._tokenizer.tokenize(sentences)

  def bert_pack_inputs(self, inputs, seq_length):
    """A list of tokenized segments -> the encoder's three inputs at seq_length."""
    return tokenization.pack_segments(list(inputs), seq_length, *self._special)

  def __call__(self, sentences):
    return self.bert_pack_inputs([self.tokenize(sentences)], self._default_seq_length)


def export_preprocessing(vocab_file: str, do_lower_case: bool, out_dir: str,
                         default_seq_length: int = 128, overwrite: bool = False) -> str:
  """Writes the preprocessing SavedModel for an encoder with this vocab (atomically)."""
  with files.atomic_folder(out_dir, overwrite) as module_dir:
    model = BertPreprocess(vocab_file, do_lower_case, default_seq_length)
    strings = tf.TensorSpec([None], tf.string)
    call = tf.function(model.__call__, input_signature=[strings])
    tokenize = tf.function(model.tokenize, input_signature=[strings])
    pack = tf.function(model.bert_pack_inputs)
    seq_length = tf.TensorSpec([], tf.int32)
    for num_segments in (1, 2, 3):
      for ragged_rank, shape in ((2, [None, None, None]), (1, [None, None])):
        segment = tf.RaggedTensorSpec(shape, tf.int32, ragged_rank=ragged_rank)
        pack.get_concrete_function([segment] * num_segments, seq_length)
    root = tf.train.Checkpoint()
    root.preprocess = model
    root.__call__ = call
    root.tokenize = tokenize
    root.bert_pack_inputs = pack
    root.vocab_file = model.vocab_file
    root.do_lower_case = model.do_lower_case
    tf.saved_model.save(root, module_dir, signatures={"serving_default": call})
  return os.path.abspath(out_dir)
