"""The text a check runs on: sentences, sentence pairs, text files, and the built-in sentences.

An example is a string (one sentence) or a (first, second) tuple (a pair, packed as
[CLS] first [SEP] second [SEP]); on the command line and in text files "a|||b" or a tab makes a pair.
"""

from __future__ import annotations

from hub_repro.errors import UsageError

DEFAULT_SENTENCES = [
    "Is the pooled output the hidden state of the first token?",
    "The quick brown fox jumps over the lazy dog.",
    "TensorFlow Hub serves BERT as a reusable module.",
    ("What does the pooler do?", "It applies a dense layer with tanh to the [CLS] state."),
    ("The cat sat on the mat.", "Stock prices fell sharply on Monday."),
]


def parse_sentences(sentences) -> list:
  """Sentences as examples: "a|||b" (or a (first, second) tuple) is a pair, anything else one
  sentence."""
  return [tuple(s.split("|||", 1)) if isinstance(s, str) and "|||" in s else s
          for s in sentences]


def examples(sentences) -> list:
  """`sentences` as examples: a string is one sentence, a (first, second) tuple or "a|||b" a pair,
  a list holds any of them; None: DEFAULT_SENTENCES."""
  if sentences is None:
    return list(DEFAULT_SENTENCES)
  if isinstance(sentences, (str, tuple)):
    sentences = [sentences]
  return parse_sentences(sentences)


def read_text_file(path: str) -> list:
  """One example per line of a UTF-8 file; a tab splits a sentence pair. Blank lines are skipped."""
  try:
    with open(path, "rb") as f:
      raw = f.read()
  except FileNotFoundError:
    raise UsageError(f"--text-file {path} does not exist; expected a UTF-8 text file with one "
                     "sentence (or tab-separated pair) per line") from None
  except OSError as e:
    raise UsageError(f"--text-file {path} cannot be read: {e.strerror}") from None
  found = []
  for number, line in enumerate(raw.split(b"\n"), start=1):
    try:
      line = line.decode("utf-8").rstrip("\r")
    except UnicodeDecodeError as e:
      raise UsageError(f"--text-file {path} line {number} is not UTF-8 (byte {e.start}); "
                       "expected UTF-8 text") from None
    if not line.strip():
      continue
    parts = line.split("\t")
    if len(parts) > 2:
      raise UsageError(f"--text-file {path} line {number} has {len(parts)} tab-separated fields; "
                       "expected a sentence or a pair")
    found.append(tuple(parts) if len(parts) == 2 else parts[0])
  if not found:
    raise UsageError(f"--text-file {path} is empty; expected one sentence per line")
  return found
