"""Command line: python -m hub_repro [SENTENCE ...] [--handle H] [--text-file F] ...

Exit codes: 0 reproduced; 1 computed but not reproduced within tolerance; 2 bad input (handle,
file, argument); 3 no pooler found in the module. Errors are one line on stderr (--debug: traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

EXIT_REPRODUCED, EXIT_NOT_REPRODUCED, EXIT_BAD_INPUT, EXIT_NO_POOLER = 0, 1, 2, 3

DEFAULT_SENTENCES = [
    "Is the pooled output the hidden state of the first token?",
    "The quick brown fox jumps over the lazy dog.",
    "TensorFlow Hub serves BERT as a reusable module.",
    ("What does the pooler do?", "It applies a dense layer with tanh to the [CLS] state."),
    ("The cat sat on the mat.", "Stock prices fell sharply on Monday."),
]


def quiet_tensorflow() -> None:
  """Imports TensorFlow with its start-up noise muted, so it does not bury the report.

  TensorFlow's C++ side logs (oneDNN, CUDA probing) before absl logging is initialized, where
  TF_CPP_MIN_LOG_LEVEL does not reach, so file descriptor 2 is pointed at a temporary file while
  TensorFlow loads and its devices are probed. If that fails, the captured text is replayed.
  A user who sets TF_CPP_MIN_LOG_LEVEL gets TensorFlow's own behaviour.
  """
  if "TF_CPP_MIN_LOG_LEVEL" in os.environ:
    import tensorflow  # noqa: F401, PLC0415
    return
  os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
  sys.stderr.flush()
  saved = os.dup(2)
  with tempfile.TemporaryFile() as captured:
    os.dup2(captured.fileno(), 2)
    try:
      import absl.logging  # noqa: PLC0415
      import tensorflow as tf  # noqa: PLC0415
      import tensorflow_text  # noqa: F401, PLC0415
      tf.config.list_physical_devices()
      absl.logging.set_verbosity(absl.logging.ERROR)
      tf.get_logger().setLevel("ERROR")
    except BaseException:
      os.dup2(saved, 2)
      captured.seek(0)
      sys.stderr.write(captured.read().decode(errors="replace"))
      raise
    finally:
      os.dup2(saved, 2)
      os.close(saved)


class UsageError(ValueError):
  """A bad argument or input file (exit 2)."""


def read_text_file(path: str) -> list:
  """One example per line; a tab splits a sentence pair. Blank lines are skipped."""
  try:
    with open(path, "rb") as f:
      raw = f.read()
  except FileNotFoundError:
    raise UsageError(f"--text-file {path} does not exist; expected a UTF-8 text file with one "
                     "sentence (or tab-separated pair) per line") from None
  except OSError as e:
    raise UsageError(f"--text-file {path} cannot be read: {e.strerror}") from None
  examples = []
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
    examples.append(tuple(parts) if len(parts) == 2 else parts[0])
  if not examples:
    raise UsageError(f"--text-file {path} is empty; expected one sentence per line")
  return examples


def build_parser() -> argparse.ArgumentParser:
  parser = argparse.ArgumentParser(
      prog="python -m hub_repro",
      description="Show, by measurement, that BERT's pooled_output is tanh(dense(sequence_output"
                  "[:, 0])) with the module's own pooler weights, and not the [CLS] hidden state.")
  parser.add_argument("sentences", nargs="*", metavar="SENTENCE",
                      help="sentences to run (default: a few built-in ones; 'a|||b' is a pair)")
  parser.add_argument("--handle", help="a TF-Hub handle: a tfhub.dev URL, an http(s) URL serving "
                      "?tf-hub-format=compressed, or a local module folder (default: the "
                      "embedded all-MiniLM-L6-v2, offline)")
  parser.add_argument("--preprocessor", help="a TF-Hub preprocessing model for a TF2 encoder "
                      "(default: tokenize with the module's own vocab_file)")
  parser.add_argument("--text-file", help="UTF-8 file, one sentence per line (a tab separates "
                      "a sentence pair)")
  parser.add_argument("--max-seq-length", type=int, default=128,
                      help="sequence length to pack to (default 128)")
  parser.add_argument("--batch-size", type=int, default=32, help="examples per batch (default 32)")
  parser.add_argument("--full", action="store_true",
                      help="also rebuild the whole encoder from the module's variables and compare "
                           "sequence_output (and each layer a TF2 module exposes)")
  parser.add_argument("--num-heads", type=int,
                      help="--full: attention heads, if known (else found by the numbers)")
  parser.add_argument("--json", metavar="PATH", help="also write the numbers as JSON to PATH")
  parser.add_argument("--plot", metavar="PATH",
                      help="also save the comparison figure (as in notebooks/pooled_vs_cls) as a PNG")
  parser.add_argument("--debug", action="store_true", help="show tracebacks")
  return parser


def _examples(args) -> list:
  if args.text_file and args.sentences:
    raise UsageError("give sentences or --text-file, not both")
  if args.text_file:
    return read_text_file(args.text_file)
  if args.sentences:
    return [tuple(s.split("|||", 1)) if "|||" in s else s for s in args.sentences]
  return list(DEFAULT_SENTENCES)


def run(args) -> int:
  from hub_repro import compare, module, report, tokenization  # noqa: PLC0415

  if args.max_seq_length < 3:
    raise UsageError(f"--max-seq-length {args.max_seq_length} is below 3, the minimum for "
                     "[CLS] token [SEP]")
  if args.batch_size < 1:
    raise UsageError(f"--batch-size {args.batch_size} must be at least 1")
  examples = _examples(args)
  log = lambda msg: print(msg, file=sys.stderr)  # noqa: E731
  loaded = module.load(args.handle, log=log)
  limit = compare.position_limit(loaded.variable_values())
  if limit is not None and args.max_seq_length > limit:
    raise UsageError(f"--max-seq-length {args.max_seq_length} is above the module's "
                     f"{limit} position embeddings; use at most {limit}")
  preprocessor = None
  if args.preprocessor:
    preprocessor = tokenization.HubPreprocessor(module.load_preprocessor(args.preprocessor),
                                                args.preprocessor)
  result = compare.check(loaded, examples, args.max_seq_length, args.batch_size,
                         tokenizer=preprocessor)
  print(report.render(result))
  if args.plot:
    from hub_repro import plots  # noqa: PLC0415
    plots.save_comparison_plot(result, args.plot, result.sample_pooled_output,
                               result.sample_sequence_output)
  record = result.to_json()
  reproduced = result.reproduced
  if args.full:
    from hub_repro import embedded, full  # noqa: PLC0415
    known = embedded.config() if args.handle is None else None
    full_result = full.reproduce_full(loaded, examples, args.max_seq_length, args.batch_size,
                                      num_heads=args.num_heads, known_config=known,
                                      tokenizer=preprocessor)
    print()
    print(report.render_full(full_result))
    record["full"] = full_result.to_json()
    record["sequence_vs_rebuilt"] = record["full"]["sequence_vs_rebuilt"]
    reproduced = reproduced and full_result.reproduced
  if args.json:
    report.write_json(record, args.json)
  return EXIT_REPRODUCED if reproduced else EXIT_NOT_REPRODUCED


def main(argv: list[str] | None = None) -> int:
  argv = sys.argv[1:] if argv is None else list(argv)
  quiet_tensorflow()
  if argv and argv[0] == "export":
    from hub_repro import export  # noqa: PLC0415
    parser, command = export.build_parser(), export.run
    argv = argv[1:]
  elif argv and argv[0] == "crosscheck":
    from hub_repro import crosscheck  # noqa: PLC0415
    return crosscheck.main(argv[1:])
  else:
    parser, command = build_parser(), run
  args = parser.parse_args(argv)
  from hub_repro.embedded import EmbeddedModelError  # noqa: PLC0415
  from hub_repro.module import HandleError  # noqa: PLC0415
  from hub_repro.pooler import NoPoolerError  # noqa: PLC0415
  from hub_repro.weights import WeightsError  # noqa: PLC0415

  try:
    return command(args)
  except (NoPoolerError, UsageError, HandleError, WeightsError, EmbeddedModelError,
          FileNotFoundError, FileExistsError, ValueError, KeyError) as e:
    if args.debug:
      raise
    print(f"hub_repro: error: {e}", file=sys.stderr)
    return EXIT_NO_POOLER if isinstance(e, NoPoolerError) else EXIT_BAD_INPUT
