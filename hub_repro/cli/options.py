"""What the commands share: the input arguments (sentences, --text-file, --preprocessor,
--max-seq-length, --batch-size, --xla), the examples they name, and the output paths' checks."""

from __future__ import annotations

import argparse
import os

from hub_repro import inputs
from hub_repro.errors import UsageError


def input_arguments(models: int = 0) -> argparse.ArgumentParser:
  """The parent parser of every command that reads text (check, crosscheck, diff); `models`
  handles come first (diff A B SENTENCE ...)."""
  parser = argparse.ArgumentParser(add_help=False)
  for letter in "AB"[:models]:
    parser.add_argument(letter.lower(), metavar=letter, help="a model: a TF-Hub handle or a local "
                        "folder of any format (TF1 Hub, TF2 SavedModel, keras-hub, Hugging Face, "
                        "google-research checkpoint)")
  group = parser.add_argument_group("input")
  group.add_argument("sentences", nargs="*", metavar="SENTENCE",
                     help="sentences to run (default: a few built-in ones; 'a|||b' is a pair)")
  group.add_argument("--text-file", help="UTF-8 file, one sentence per line (a tab separates "
                     "a sentence pair)")
  group.add_argument("--preprocessor", help="a TF-Hub preprocessing model for a TF2 encoder "
                     "(default: tokenize with the module's own vocab_file)")
  group.add_argument("--max-seq-length", type=int,
                     help="sequence length to pack to (default 128, or the model's position "
                     "count if smaller)")
  group.add_argument("--batch-size", type=int, default=32, help="examples per batch (default 32)")
  parser.add_argument("--trust-model-code", action="store_true",
                      help="run a SavedModel whose graph reaches outside the model (writes or reads "
                           "files, the network, Python code); by default such a model is refused "
                           "before any of it runs (exit 2)")
  parser.add_argument_group("speed").add_argument(
      "--xla", action="store_true",
      help="run a TensorFlow module's whole graph under XLA (jit_compile); default: as loaded, "
           "as its authors shipped it")
  return parser


def read_examples(args, default=inputs.DEFAULT_SENTENCES) -> list | None:
  """The examples the input arguments name (`default` if none), after checking --max-seq-length
  and --batch-size."""
  if args.max_seq_length is not None and args.max_seq_length < 3:
    raise UsageError(f"--max-seq-length {args.max_seq_length} is below 3, the minimum for "
                     "[CLS] token [SEP]")
  if args.batch_size < 1:
    raise UsageError(f"--batch-size {args.batch_size} must be at least 1")
  if args.text_file and args.sentences:
    raise UsageError("give sentences or --text-file, not both")
  if args.text_file:
    return inputs.read_text_file(args.text_file)
  if args.sentences:
    return inputs.parse_sentences(args.sentences)
  return None if default is None else list(default)


def check_output_paths(**paths: str | None) -> None:
  """Fails at once (UsageError, exit 2), before any model loads, where an output path (--json,
  --plot, ...) cannot be written: a path that is a folder, or one under a regular file. A missing
  parent folder is fine: the atomic write creates it (files.atomic_file), once the results exist."""
  for option, path in paths.items():
    if path is None:
      continue
    flag = "--" + option.replace("_", "-")
    path = os.path.abspath(path)
    if os.path.isdir(path):
      raise UsageError(f"{flag} {path} is a folder; expected a file name")
    folder = os.path.dirname(path)
    while not os.path.exists(folder):
      folder = os.path.dirname(folder)
    if not os.path.isdir(folder):
      raise UsageError(f"{flag} {path} cannot be written: {folder} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
      raise UsageError(f"{flag} {path} cannot be written: no permission to write in {folder}")


def print_written(paths) -> None:
  """One 'wrote PATH' line on stdout per file a command wrote (--json, --plot)."""
  for path in paths:
    print(f"wrote {os.path.abspath(path)}")
