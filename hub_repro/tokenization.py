"""Text -> BERT inputs with tensorflow_text, the way the TF-Hub preprocessing models do it.

`[CLS] a [SEP]` for single sentences and `[CLS] a [SEP] b [SEP]` (segment ids 0 then 1) for pairs,
trimmed round-robin to the sequence length and padded with [PAD].
"""

from __future__ import annotations

import dataclasses

import tensorflow as tf
import tensorflow_text as text

SPECIAL_TOKENS = ("[CLS]", "[SEP]", "[PAD]", "[UNK]")


def read_vocab(vocab_file: str) -> list[str]:
  with open(vocab_file, encoding="utf-8") as f:
    return [line.rstrip("\n") for line in f]


@dataclasses.dataclass
class PackedBatch:
  input_ids: tf.Tensor  # int32 [batch_size, seq_length]
  input_mask: tf.Tensor  # int32 [batch_size, seq_length], 1 for real tokens
  segment_ids: tf.Tensor  # int32 [batch_size, seq_length], 0 for the first segment, 1 for the second
  num_truncated: int  # examples that lost tokens to the sequence length


class Tokenizer:
  """tensorflow_text's BertTokenizer over a module's own vocab, plus TF-Hub style packing."""

  def __init__(self, vocab_file: str, do_lower_case: bool = True):
    vocab = read_vocab(vocab_file)
    ids = {token: i for i, token in enumerate(vocab)}
    missing = [t for t in SPECIAL_TOKENS if t not in ids]
    if missing:
      raise ValueError(f"{vocab_file} lacks the special tokens {missing}; expected a BERT vocab")
    self.vocab_file = vocab_file
    self.vocab_size = len(vocab)
    self.cls_id, self.sep_id, self.pad_id = ids["[CLS]"], ids["[SEP]"], ids["[PAD]"]
    self._tokenizer = text.BertTokenizer(vocab_file, token_out_type=tf.int32,
                                         lower_case=do_lower_case)

  def tokenize(self, sentences) -> tf.RaggedTensor:
    """[batch] strings -> int32 RaggedTensor [batch, (tokens)] of wordpiece ids."""
    return self._tokenizer.tokenize(tf.constant(sentences, tf.string)).merge_dims(-2, -1)

  def pack(self, segments: list[tf.RaggedTensor], seq_length: int) -> PackedBatch:
    """BertPackInputs: trims each example round-robin to seq_length, adds [CLS] and [SEP]s, pads."""
    num_special = len(segments) + 1
    if seq_length < num_special + 1:
      raise ValueError(f"seq_length {seq_length} leaves no room for tokens with "
                       f"{num_special} special tokens")
    trimmed = text.RoundRobinTrimmer(seq_length - num_special).trim(segments)
    lost = sum(tf.cast(s.row_lengths() != t.row_lengths(), tf.int32)
               for s, t in zip(segments, trimmed))
    combined, segment_ids = text.combine_segments(
        trimmed, start_of_sequence_id=self.cls_id, end_of_segment_id=self.sep_id)
    input_ids, input_mask = text.pad_model_inputs(combined, seq_length, pad_value=self.pad_id)
    segment_ids, _ = text.pad_model_inputs(segment_ids, seq_length, pad_value=0)
    return PackedBatch(tf.cast(input_ids, tf.int32), tf.cast(input_mask, tf.int32),
                       tf.cast(segment_ids, tf.int32), int(tf.math.count_nonzero(lost)))

  def encode(self, examples: list, seq_length: int) -> PackedBatch:
    """Examples are strings or (first, second) pairs; a batch must not mix the two."""
    if examples and all(isinstance(e, (tuple, list)) for e in examples):
      segments = [self.tokenize([e[0] for e in examples]), self.tokenize([e[1] for e in examples])]
    elif all(isinstance(e, str) for e in examples):
      segments = [self.tokenize(examples)]
    else:
      raise ValueError("a batch mixes single sentences and sentence pairs")
    return self.pack(segments, seq_length)
