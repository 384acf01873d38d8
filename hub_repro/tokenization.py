"""Text -> BERT inputs with tensorflow_text, the way the TF-Hub preprocessing models do it.

`[CLS] a [SEP]` for single sentences and `[CLS] a [SEP] b [SEP]` (segment ids 0 then 1) for pairs,
trimmed round-robin to the sequence length and padded with [PAD] (ALBERT's `<pad>`).

The tokenizer is the model's own (`tokenizer_for`): BERT's and ELECTRA's WordPiece vocab.txt
through tensorflow_text's BertTokenizer; ALBERT's SentencePiece `.model` through tensorflow_text's
SentencepieceTokenizer, after ALBERT's normalization (accents stripped, lower case: Model Garden's
ALBERT preprocessing, `SentencepieceTokenizer(lower_case=True, strip_diacritics=True)`); or a
Hugging Face `tokenizer.json` whose model is not WordPiece, run by the `tokenizers` library.
"""

from __future__ import annotations

import dataclasses

from hub_repro.errors import HandleError, InputError, UsageError
import numpy as np
import tensorflow as tf
import tensorflow_text as text

SPECIAL_TOKENS = ("[CLS]", "[SEP]", "[PAD]", "[UNK]")


def read_vocab(vocab_file: str) -> list[str]:
  with open(vocab_file, encoding="utf-8") as f:
    return [line.rstrip("\n") for line in f]


def special_ids(vocab: list[str], vocab_file: str) -> dict[str, int]:
  """Ids of [CLS], [SEP], [PAD] and [UNK] in `vocab`; an error names any that are missing."""
  ids = {token: i for i, token in enumerate(vocab) if token in SPECIAL_TOKENS}
  missing = [t for t in SPECIAL_TOKENS if t not in ids]
  if missing:
    raise InputError(f"{vocab_file} lacks the special tokens {missing}; expected a BERT vocab")
  return ids


@dataclasses.dataclass
class PackedBatch:
  input_ids: np.ndarray  # int32 [batch_size, seq_length]
  input_mask: np.ndarray  # int32 [batch_size, seq_length], 1 for real tokens
  segment_ids: np.ndarray  # int32 [batch_size, seq_length], 0 for the first segment, 1 for the second
  truncated: np.ndarray  # bool [batch_size]: the example lost tokens to the sequence length

  @property
  def num_truncated(self) -> int:
    return int(np.count_nonzero(self.truncated))

  def take(self, rows, width: int | None = None) -> "PackedBatch":
    """These rows, cut to the first `width` positions (padding sits at the end)."""
    cut = lambda t: t[rows, :width]  # noqa: E731
    return PackedBatch(cut(self.input_ids), cut(self.input_mask), cut(self.segment_ids),
                       self.truncated[rows])


def _flat(tokens: tf.RaggedTensor) -> tf.RaggedTensor:
  """[batch, (words), (wordpieces)] -> [batch, (tokens)]."""
  return tokens.merge_dims(-2, -1) if tokens.ragged_rank > 1 else tokens


def pack_segments(segments: list[tf.RaggedTensor], seq_length, cls_id: int, sep_id: int,
                  pad_id: int) -> dict:
  """TF-only packing, as Model Garden's BertPackInputs does it (also inside a SavedModel).

  Args:
    segments: one int32 RaggedTensor [batch_size, (tokens)] per segment (or [batch, (words),
      (wordpieces)], which is flattened).
    seq_length: int or scalar int32 Tensor.

  Returns:
    {"input_word_ids", "input_mask", "input_type_ids"}: int32 Tensors [batch_size, seq_length].
  """
  segments = [_flat(s) for s in segments]
  trimmed = text.RoundRobinTrimmer(seq_length - (len(segments) + 1)).trim(segments)
  combined, segment_ids = text.combine_segments(
      trimmed, start_of_sequence_id=cls_id, end_of_segment_id=sep_id)
  input_word_ids, input_mask = text.pad_model_inputs(combined, seq_length, pad_value=pad_id)
  input_type_ids, _ = text.pad_model_inputs(segment_ids, seq_length, pad_value=0)
  return {"input_word_ids": tf.cast(input_word_ids, tf.int32),
          "input_mask": tf.cast(input_mask, tf.int32),
          "input_type_ids": tf.cast(input_type_ids, tf.int32)}


class _Encoder:
  """Examples -> PackedBatch, given `tokenize` and `_pack` of a subclass."""

  def tokenize(self, sentences) -> tf.RaggedTensor:
    raise NotImplementedError

  def _pack(self, segments: list[tf.RaggedTensor], seq_length: int) -> dict:
    raise NotImplementedError

  def pack(self, segments: list[tf.RaggedTensor], seq_length: int) -> PackedBatch:
    """BertPackInputs: trims each example round-robin to seq_length, adds [CLS] and [SEP]s, pads."""
    if seq_length < len(segments) + 2:
      raise UsageError(f"seq_length {seq_length} leaves no room for tokens with "
                       f"{len(segments) + 1} special tokens")
    packed = self._pack(segments, seq_length)
    total = sum(_flat(s).row_lengths() for s in segments) + len(segments) + 1
    return PackedBatch(*(np.asarray(packed[k], np.int32)
                         for k in ("input_word_ids", "input_mask", "input_type_ids")),
                       (total > seq_length).numpy())

  def encode(self, examples: list, seq_length: int) -> PackedBatch:
    """Examples are strings or (first, second) pairs; a batch must not mix the two."""
    if examples and all(isinstance(e, (tuple, list)) for e in examples):
      segments = [self.tokenize([e[0] for e in examples]), self.tokenize([e[1] for e in examples])]
    elif all(isinstance(e, str) for e in examples):
      segments = [self.tokenize(examples)]
    else:
      raise ValueError("a batch mixes single sentences and sentence pairs")
    return self.pack(segments, seq_length)


class Tokenizer(_Encoder):
  """tensorflow_text's BertTokenizer over a module's own vocab, plus TF-Hub style packing."""

  def __init__(self, vocab_file: str, do_lower_case: bool = True):
    vocab = read_vocab(vocab_file)
    ids = special_ids(vocab, vocab_file)
    self.vocab_file = vocab_file
    self.vocab_size = len(vocab)
    self.cls_id, self.sep_id, self.pad_id = ids["[CLS]"], ids["[SEP]"], ids["[PAD]"]
    self._tokenizer = text.BertTokenizer(vocab_file, token_out_type=tf.int32,
                                         lower_case=do_lower_case)
    self.vocab = vocab

  def tokenize(self, sentences) -> tf.RaggedTensor:
    """[batch] strings -> int32 RaggedTensor [batch, (words), (wordpieces)], as TF-Hub's
    preprocessors' `tokenize` returns it."""
    return self._tokenizer.tokenize(tf.convert_to_tensor(sentences, tf.string))

  def _pack(self, segments, seq_length):
    return pack_segments(segments, seq_length, self.cls_id, self.sep_id, self.pad_id)


class SentencePieceTokenizer(_Encoder):
  """tensorflow_text's SentencepieceTokenizer over a model's own SentencePiece `.model` (ALBERT's
  30k-clean.model), with ALBERT's normalization and the same packing as BERT's."""

  SPECIAL_PIECES = ("[CLS]", "[SEP]", "<pad>")

  def __init__(self, model_file: str, do_lower_case: bool = True):
    with open(model_file, "rb") as f:
      self._tokenizer = text.SentencepieceTokenizer(model=f.read(), out_type=tf.int32)
    self.vocab_file = model_file
    self.do_lower_case = do_lower_case
    self.vocab_size = int(self._tokenizer.vocab_size())
    ids = {p: int(self._tokenizer.string_to_id(p)) for p in self.SPECIAL_PIECES}
    unknown = int(self._tokenizer.string_to_id("<unk>"))
    missing = [p for p, i in ids.items() if i == unknown]
    if missing:
      raise InputError(f"{model_file} lacks the pieces {missing}; expected an ALBERT SentencePiece "
                       "model (with [CLS], [SEP] and <pad>)")
    self.cls_id, self.sep_id, self.pad_id = (ids[p] for p in self.SPECIAL_PIECES)

  @property
  def vocab(self) -> list[str]:
    pieces = self._tokenizer.id_to_string(tf.range(self.vocab_size))
    return [p.decode("utf-8") for p in pieces.numpy()]

  def normalize(self, sentences) -> tf.Tensor:
    """Accents stripped (NFD, then combining marks removed) and, if do_lower_case, case folded."""
    sentences = text.normalize_utf8(tf.convert_to_tensor(sentences, tf.string), "NFD")
    sentences = tf.strings.regex_replace(sentences, r"\p{Mn}", "")
    return text.case_fold_utf8(sentences) if self.do_lower_case else sentences

  def tokenize(self, sentences) -> tf.RaggedTensor:
    """[batch] strings -> int32 RaggedTensor [batch, (pieces)]."""
    return self._tokenizer.tokenize(self.normalize(sentences))

  def _pack(self, segments, seq_length):
    return pack_segments(segments, seq_length, self.cls_id, self.sep_id, self.pad_id)


class TokenizersJson(_Encoder):
  """A Hugging Face tokenizer.json whose model is not WordPiece (ALBERT's Unigram), run by the
  `tokenizers` library (its own normalizer and pre-tokenizer), packed as BERT's."""

  def __init__(self, path: str):
    import tokenizers  # installed with transformers

    self._tokenizer = tokenizers.Tokenizer.from_file(path)
    self.vocab_file = path
    self.vocab_size = self._tokenizer.get_vocab_size()
    ids = {t: self._tokenizer.token_to_id(t) for t in ("[CLS]", "[SEP]", "<pad>")}
    missing = [t for t, i in ids.items() if i is None]
    if missing:
      raise InputError(f"{path} lacks the tokens {missing}; expected ALBERT's special tokens")
    self.cls_id, self.sep_id, self.pad_id = ids["[CLS]"], ids["[SEP]"], ids["<pad>"]

  @property
  def vocab(self) -> list[str]:
    return [self._tokenizer.id_to_token(i) for i in range(self.vocab_size)]

  def tokenize(self, sentences) -> tf.RaggedTensor:
    encodings = self._tokenizer.encode_batch(list(sentences), add_special_tokens=False)
    return tf.ragged.constant([e.ids for e in encodings], dtype=tf.int32, ragged_rank=1)

  def _pack(self, segments, seq_length):
    return pack_segments(segments, seq_length, self.cls_id, self.sep_id, self.pad_id)


def tokenizer_for(vocab_file: str, do_lower_case: bool = True) -> _Encoder:
  """The tokenizer a model's own file calls for: a SentencePiece `.model`, a tokenizer.json (not
  WordPiece: those are written out as vocab.txt by the Hugging Face source) or a vocab.txt."""
  if vocab_file.endswith((".model", ".spm")):  # keras-hub saves the same proto as .spm
    return SentencePieceTokenizer(vocab_file, do_lower_case)
  if vocab_file.endswith(".json"):
    return TokenizersJson(vocab_file)
  return Tokenizer(vocab_file, do_lower_case)


class HubPreprocessor(_Encoder):
  """A TF-Hub preprocessing SavedModel (e.g. bert_en_uncased_preprocess/3) used as the tokenizer."""

  def __init__(self, obj, handle: str):
    for attribute in ("tokenize", "bert_pack_inputs"):
      if not hasattr(obj, attribute):
        raise HandleError(f"{handle} has no '{attribute}'; expected a BERT preprocessing model "
                         "like tensorflow/bert_en_uncased_preprocess/3")
    self._obj = obj

  def tokenize(self, sentences) -> tf.RaggedTensor:
    return self._obj.tokenize(tf.convert_to_tensor(sentences, tf.string))

  def _pack(self, segments, seq_length):
    return self._obj.bert_pack_inputs(segments, seq_length=tf.constant(seq_length, tf.int32))
