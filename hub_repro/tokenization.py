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
import os

import numpy as np
import tensorflow as tf
import tensorflow_text as text

from hub_repro.errors import HandleError, InputError, UsageError
from hub_repro.families.albert import names as albert_names
from hub_repro.families.formats import BERT_PACKING, Packing

SPECIAL_TOKENS = ("[CLS]", "[SEP]", "[PAD]", "[UNK]")
# A SentencePiece model or a tokenizer.json without a family's word is ALBERT's (pads with <pad>).
ALBERT_PACKING = albert_names.PACKING


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


def special_count(num_segments: int, double_sep: bool = False) -> int:
  """Special tokens around `num_segments` segments: start, one sep each (and RoBERTa's second sep
  between two segments)."""
  return num_segments + 1 + (num_segments - 1 if double_sep else 0)


def pack_segments(segments: list[tf.RaggedTensor], seq_length, cls_id: int, sep_id: int,
                  pad_id: int, double_sep: bool = False, segment_ids: bool = True) -> dict:
  """TF-only packing, as Model Garden's BertPackInputs does it (also inside a SavedModel), and
  RoBERTa's `<s> A </s></s> B </s>` with `double_sep` (segment ids all 0 without `segment_ids`).

  Args:
    segments: one int32 RaggedTensor [batch_size, (tokens)] per segment (or [batch, (words),
      (wordpieces)], which is flattened).
    seq_length: int or scalar int32 Tensor.

  Returns:
    {"input_word_ids", "input_mask", "input_type_ids"}: int32 Tensors [batch_size, seq_length].
  """
  segments = [_flat(s) for s in segments]
  trimmed = text.RoundRobinTrimmer(
      seq_length - special_count(len(segments), double_sep)).trim(segments)
  if double_sep:  # the second sep of a pair opens B
    trimmed = [trimmed[0]] + [
        tf.concat([tf.RaggedTensor.from_tensor(tf.fill([s.nrows(), 1], tf.cast(sep_id, s.dtype))),
                   s], axis=1) for s in trimmed[1:]]
  combined, segment_ids_ = text.combine_segments(
      trimmed, start_of_sequence_id=cls_id, end_of_segment_id=sep_id)
  if not segment_ids:
    segment_ids_ = tf.zeros_like(segment_ids_)
  input_word_ids, input_mask = text.pad_model_inputs(combined, seq_length, pad_value=pad_id)
  input_type_ids, _ = text.pad_model_inputs(segment_ids_, seq_length, pad_value=0)
  return {"input_word_ids": tf.cast(input_word_ids, tf.int32),
          "input_mask": tf.cast(input_mask, tf.int32),
          "input_type_ids": tf.cast(input_type_ids, tf.int32)}


class _Encoder:
  """Examples -> PackedBatch, given `tokenize` of a subclass and the family's packing (its
  special tokens' ids: `cls_id`, `sep_id`, `pad_id`)."""

  packing = BERT_PACKING
  cls_id = sep_id = pad_id = None

  def tokenize(self, sentences) -> tf.RaggedTensor:
    raise NotImplementedError

  def _pack(self, segments: list[tf.RaggedTensor], seq_length: int) -> dict:
    return pack_segments(segments, seq_length, self.cls_id, self.sep_id, self.pad_id,
                         self.packing.double_sep, self.packing.segment_ids)

  def pack(self, segments: list[tf.RaggedTensor], seq_length: int) -> PackedBatch:
    """BertPackInputs: trims each example round-robin to seq_length, adds the start and sep
    tokens, pads."""
    specials = special_count(len(segments), self.packing.double_sep)
    if seq_length < specials + 1:
      raise UsageError(f"seq_length {seq_length} leaves no room for tokens with "
                       f"{specials} special tokens")
    packed = self._pack(segments, seq_length)
    total = sum(_flat(s).row_lengths() for s in segments) + specials
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

  def __init__(self, vocab_file: str, do_lower_case: bool = True,
               packing: Packing | None = None):
    vocab = read_vocab(vocab_file)
    self.packing = packing or BERT_PACKING
    ids = {token: i for i, token in enumerate(vocab)}
    wanted = (self.packing.start, self.packing.sep, self.packing.pad, "[UNK]")
    missing = [t for t in wanted if t not in ids]
    if missing:
      raise InputError(f"{vocab_file} lacks the special tokens {missing}; expected a BERT vocab")
    self.vocab_file = vocab_file
    self.vocab_size = len(vocab)
    self.cls_id, self.sep_id, self.pad_id = (ids[t] for t in wanted[:3])
    self._tokenizer = text.BertTokenizer(vocab_file, token_out_type=tf.int32,
                                         lower_case=do_lower_case)
    self.vocab = vocab

  def tokenize(self, sentences) -> tf.RaggedTensor:
    """[batch] strings -> int32 RaggedTensor [batch, (words), (wordpieces)], as TF-Hub's
    preprocessors' `tokenize` returns it."""
    return self._tokenizer.tokenize(tf.convert_to_tensor(sentences, tf.string))



class SentencePieceTokenizer(_Encoder):
  """tensorflow_text's SentencepieceTokenizer over a model's own SentencePiece `.model` (ALBERT's
  30k-clean.model), with ALBERT's normalization and the same packing as BERT's."""

  def __init__(self, model_file: str, do_lower_case: bool = True,
               packing: Packing | None = None):
    with open(model_file, "rb") as f:
      self._tokenizer = text.SentencepieceTokenizer(model=f.read(), out_type=tf.int32)
    self.vocab_file = model_file
    self.do_lower_case = do_lower_case
    self.vocab_size = int(self._tokenizer.vocab_size())
    self.packing = packing or ALBERT_PACKING
    pieces = (self.packing.start, self.packing.sep, self.packing.pad)
    ids = {p: int(self._tokenizer.string_to_id(p)) for p in pieces}
    unknown = int(self._tokenizer.string_to_id("<unk>"))
    missing = [p for p, i in ids.items() if i == unknown]
    if missing:
      raise InputError(f"{model_file} lacks the pieces {missing}; expected a SentencePiece model "
                       f"with {list(pieces)}")
    self.cls_id, self.sep_id, self.pad_id = (ids[p] for p in pieces)

  @property
  def vocab(self) -> list[str]:
    pieces = self._tokenizer.id_to_string(tf.range(self.vocab_size))
    return [p.decode("utf-8") for p in pieces.numpy()]

  def normalize(self, sentences) -> tf.Tensor:
    """Accents stripped (NFD, then combining marks removed) and, if do_lower_case, case folded;
    unchanged where the family's packing keeps the model's own normalizer only."""
    if self.packing.own_normalizer:
      return tf.convert_to_tensor(sentences, tf.string)
    sentences = text.normalize_utf8(tf.convert_to_tensor(sentences, tf.string), "NFD")
    sentences = tf.strings.regex_replace(sentences, r"\p{Mn}", "")
    return text.case_fold_utf8(sentences) if self.do_lower_case else sentences

  def tokenize(self, sentences) -> tf.RaggedTensor:
    """[batch] strings -> int32 RaggedTensor [batch, (pieces)]."""
    return self._tokenizer.tokenize(self.normalize(sentences))


class FairseqSentencePieceTokenizer(_Encoder):
  """tensorflow_text's SentencepieceTokenizer over a SentencePiece model, with fairseq's ids
  (XLM-R's, as keras-hub's XLMRobertaTokenizer and transformers' give them): `<s>` 0, `<pad>` 1,
  `</s>` 2, `<unk>` 3, every other piece its SentencePiece id + 1. The model's own normalizer is
  the only one (no lower-casing or accent stripping)."""

  SPECIALS = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}

  def __init__(self, model_file: str, packing: Packing):
    with open(model_file, "rb") as f:
      self._tokenizer = text.SentencepieceTokenizer(model=f.read(), out_type=tf.int32)
    self.vocab_file = model_file
    self.packing = packing
    self._unk_piece = int(self._tokenizer.string_to_id("<unk>"))
    missing = [t for t in (packing.start, packing.sep, packing.pad) if t not in self.SPECIALS]
    if missing:
      raise InputError(f"{model_file}: fairseq's ids have no {missing}; expected "
                       f"{list(self.SPECIALS)}")
    self.cls_id, self.sep_id, self.pad_id = (
        self.SPECIALS[t] for t in (packing.start, packing.sep, packing.pad))
    # fairseq's dictionary: its 4 specials, the pieces after SentencePiece's 3 controls, <mask>.
    self.vocab_size = int(self._tokenizer.vocab_size()) + 2

  @property
  def vocab(self) -> list[str]:
    """Tokens by fairseq id: the 4 specials, SentencePiece's pieces after its 3 controls, <mask>."""
    pieces = self._tokenizer.id_to_string(tf.range(3, self.vocab_size - 2))
    return [*self.SPECIALS, *(p.decode("utf-8") for p in pieces.numpy()), "<mask>"]

  def tokenize(self, sentences) -> tf.RaggedTensor:
    """[batch] strings -> int32 RaggedTensor [batch, (pieces)] in fairseq's ids."""
    pieces = self._tokenizer.tokenize(tf.convert_to_tensor(sentences, tf.string))
    return tf.where(pieces == self._unk_piece, self.SPECIALS["<unk>"], pieces + 1)


class TokenizersJson(_Encoder):
  """A Hugging Face tokenizer.json whose model is not WordPiece (ALBERT's Unigram), run by the
  `tokenizers` library (its own normalizer and pre-tokenizer), packed as BERT's."""

  def __init__(self, path: str, packing: Packing | None = None):
    import tokenizers  # installed with transformers

    merges = os.path.join(os.path.dirname(path), "merges.txt")
    if os.path.basename(path) != "tokenizer.json" and os.path.exists(merges):
      # A byte-level BPE's vocab.json + merges.txt (GPT-2's, RoBERTa's; keras-hub's
      # vocabulary.json), without a prefix space, as RoBERTa's tokenizers run it.
      self._tokenizer = tokenizers.ByteLevelBPETokenizer(path, merges)
    else:
      self._tokenizer = tokenizers.Tokenizer.from_file(path)
    self.vocab_file = path
    self.vocab_size = self._tokenizer.get_vocab_size()
    self.packing = packing or ALBERT_PACKING
    tokens = (self.packing.start, self.packing.sep, self.packing.pad)
    ids = {t: self._tokenizer.token_to_id(t) for t in tokens}
    missing = [t for t, i in ids.items() if i is None]
    if missing:
      raise InputError(f"{path} lacks the tokens {missing}; expected the family's special tokens "
                       f"{list(tokens)}")
    self.cls_id, self.sep_id, self.pad_id = (ids[t] for t in tokens)

  @property
  def vocab(self) -> list[str]:
    return [self._tokenizer.id_to_token(i) for i in range(self.vocab_size)]

  def tokenize(self, sentences) -> tf.RaggedTensor:
    encodings = self._tokenizer.encode_batch(list(sentences), add_special_tokens=False)
    return tf.ragged.constant([e.ids for e in encodings], dtype=tf.int32, ragged_rank=1)


def tokenizer_for(vocab_file: str, do_lower_case: bool = True,
                  packing: Packing | None = None) -> _Encoder:
  """The tokenizer a model's own file calls for: a SentencePiece `.model`, a tokenizer.json (not
  WordPiece: those are written out as vocab.txt by the Hugging Face source) or a vocab.txt, with
  the family's `packing` (None: BERT's for a vocab.txt, ALBERT's for SentencePiece)."""
  if vocab_file.endswith((".model", ".spm")) and packing is not None and packing.fairseq_ids:
    return FairseqSentencePieceTokenizer(vocab_file, packing)
  if vocab_file.endswith((".model", ".spm")):  # keras-hub saves the same proto as .spm
    return SentencePieceTokenizer(vocab_file, do_lower_case, packing)
  if vocab_file.endswith(".json"):
    return TokenizersJson(vocab_file, packing)
  return Tokenizer(vocab_file, do_lower_case, packing)


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
