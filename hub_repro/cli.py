"""Command line: hub_repro [check] [SENTENCE ...] [--handle H] ..., hub_repro export ...,
hub_repro crosscheck ...

Two tables make the command line: COMMANDS (subcommand -> the module that runs it) and EXIT_CODES
(exception class -> exit code). Nothing here imports TensorFlow before a command runs, so --help
answers at once. Library code raises; only main() turns an exception into one line on stderr and
an exit code (--debug adds the traceback and keeps the code).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import importlib
import os
import re
import signal
import sys
import tempfile
import textwrap
import threading
import traceback
import warnings

from hub_repro import autotune, gcfreeze  # the standard library only: no TensorFlow at import time

EXIT_REPRODUCED, EXIT_NOT_REPRODUCED, EXIT_BAD_INPUT, EXIT_NO_POOLER, EXIT_INTERNAL = 0, 1, 2, 3, 4
EXIT_SIGINT, EXIT_SIGTERM = 128 + signal.SIGINT, 128 + signal.SIGTERM  # 130, 143, as shells report

EXIT_CODE_TABLE = """\
exit codes:
  0    reproduced: pooled_output is explained (a pooler, an identity pooler or the [CLS]
       state; diff: the same function; crosscheck: every implementation agrees; export: written)
  1    computed, and not reproduced within tolerance (a named pooler that does not explain
       pooled_output; diff: different; crosscheck: an implementation disagrees); only ever
       from a finished comparison, never from an error
  2    bad input (handle, file, argument): one line says what was wrong and what was expected
  3    no pooler: the model has no pooled_output, or nothing of it explains pooled_output
  4    internal error: one line names the exception; rerun with --debug for the traceback
  130  interrupted (SIGINT), 143 terminated (SIGTERM); no partial output is left behind"""

# Subcommands: name -> the module that runs it and its one-line help. The module gives
# add_arguments(parser) (or build_parser(parser)) and run(args) -> int, and imports no TensorFlow at
# import time (it is imported to build its own --help). `inputs`: the command reads text, so it takes
# the shared input arguments (input_arguments()). A command is one line here.
# `models`: how many model handles the command takes as its first positional arguments.
Command = collections.namedtuple("Command", ["module", "help", "inputs", "models"], defaults=[0])
COMMANDS = {
    "check": Command("hub_repro.cli", "(default) run a module, rebuild its pooler from its own "
                     "weights and compare with pooled_output", inputs=True),
    "export": Command("hub_repro.export", "write a TF-Hub BERT module (TF1 Hub or TF2 SavedModel) "
                      "from a Google checkpoint, a Hugging Face folder or a module", inputs=False),
    "crosscheck": Command("hub_repro.crosscheck", "run the module, keras-hub and Hugging Face on "
                          "the same weights and inputs and compare their outputs", inputs=True),
    "diff": Command("hub_repro.model_diff", "are two models (any formats) the same function? If not, "
                    "where do they part: tokenization, config, weights or which layer", inputs=True,
                    models=2),
}
DEFAULT_COMMAND = "check"
PROG = "hub_repro"

# Exceptions -> exit codes: the first match wins, anything else is EXIT_INTERNAL. A class is named
# by its module, and looked up only if that module is imported (an exception of a module never
# imported cannot have been raised), so matching imports nothing. ValueError is the library's
# bad-input error (module.HandleError, weights.WeightsError, crosscheck.CrosscheckError and
# UsageError below are ValueErrors).
EXIT_CODES = (
    ("hub_repro.pooler", "NoPoolerError", EXIT_NO_POOLER),
    ("hub_repro.embedded", "EmbeddedModelError", EXIT_BAD_INPUT),
    ("builtins", "ValueError", EXIT_BAD_INPUT),
    ("builtins", "FileNotFoundError", EXIT_BAD_INPUT),
    ("builtins", "FileExistsError", EXIT_BAD_INPUT),
    ("builtins", "IsADirectoryError", EXIT_BAD_INPUT),
    ("builtins", "NotADirectoryError", EXIT_BAD_INPUT),
    ("builtins", "PermissionError", EXIT_BAD_INPUT),
)
# An error message longer than this (TensorFlow's can run to dozens of lines) is cut on its one line.
MAX_MESSAGE_CHARS = 600

DEFAULT_SENTENCES = [
    "Is the pooled output the hidden state of the first token?",
    "The quick brown fox jumps over the lazy dog.",
    "TensorFlow Hub serves BERT as a reusable module.",
    ("What does the pooler do?", "It applies a dense layer with tanh to the [CLS] state."),
    ("The cat sat on the mat.", "Stock prices fell sharply on Monday."),
]


class UsageError(ValueError):
  """A bad argument or input file (exit 2)."""


class Terminated(KeyboardInterrupt):
  """SIGTERM, raised in the main thread like SIGINT's KeyboardInterrupt, so that `finally` blocks
  and the atomic writes' cleanup run before the process ends."""


def exit_code(error: BaseException) -> int:
  """The exit code for an exception that ended a command (the EXIT_CODES table)."""
  for module_name, class_name, code in EXIT_CODES:
    cls = getattr(sys.modules.get(module_name), class_name, None)
    if cls is not None and isinstance(error, cls):
      return code
  return EXIT_INTERNAL


def one_line(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
  """`text` with its lines joined and runs of whitespace collapsed, cut to `limit` characters."""
  text = re.sub(r"\s+", " ", text).strip()
  return text if len(text) <= limit else text[:limit - 3] + "..."


def error_line(prog: str, error: BaseException, code: int, debug: bool) -> str:
  if code == EXIT_INTERNAL:
    line = f"{prog}: internal error: {type(error).__name__}: {one_line(str(error))}"
    return line if debug else line + " (rerun with --debug for the traceback)"
  return f"{prog}: error: {one_line(str(error)) or type(error).__name__}"


@contextlib.contextmanager
def sigterm_raises():
  """While active, SIGTERM raises Terminated in the main thread (a second SIGTERM ends the process
  at once). Left alone if SIGTERM is ignored or handled already, or off the main thread.

  Yields a list that gets the signal's number once it has come. A library can turn the exception
  into one of its own: raised while pybind11 was handling TensorFlow's InvalidArgumentError, it
  came out as "RuntimeError: pybind11::error_already_set: MISMATCH of original and normalized
  active exception types: ... REPLACED BY Terminated". The list still says SIGTERM came."""
  received = []
  if (threading.current_thread() is not threading.main_thread()
      or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL):
    yield received
    return

  def raise_terminated(signum, frame):
    del frame
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    received.append(signum)
    raise Terminated(f"terminated by signal {signum}")

  signal.signal(signal.SIGTERM, raise_terminated)
  try:
    yield received
  finally:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def quiet_tensorflow() -> None:
  """Imports TensorFlow with its start-up noise muted, so it does not bury the report.

  TensorFlow's C++ side logs (oneDNN, CUDA probing) before absl logging is initialized, where
  TF_CPP_MIN_LOG_LEVEL does not reach, so file descriptor 2 is pointed at a temporary file while
  TensorFlow loads and its devices are probed. If that fails, the captured text is replayed.
  A user who sets TF_CPP_MIN_LOG_LEVEL gets TensorFlow's own behaviour.

  tensorflow_hub 0.16.1 imports pkg_resources, which setuptools 80 (pinned below 81, where it is
  gone) marks deprecated with a two-line warning on every run; that warning is muted.
  """
  warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning,
                          module="tensorflow_hub")
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


# ----------------------------------------------------------------------------- input arguments


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
  speed = parser.add_argument_group("speed").add_mutually_exclusive_group()
  speed.add_argument("--xla", dest="xla", action="store_true", default=None,
                     help="run a TensorFlow module's own graph under XLA (jit_compile) on every "
                          "batch (default: as loaded, or an XLA way where it measures faster on "
                          "the first batches of a long run)")
  speed.add_argument("--xla-between-matmuls", dest="xla", action="store_const",
                     const=autotune.BETWEEN_MATMULS,
                     help="run a TensorFlow module's graph with XLA compiling only the ops "
                          "between its matmuls (gelu, LayerNorm, softmax...), the matmuls left "
                          "to TensorFlow's kernels, on every batch")
  speed.add_argument("--no-xla", dest="xla", action="store_false",
                     help="run a TensorFlow module as loaded, never under XLA")
  return parser


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


def parse_sentences(sentences) -> list:
  """Sentences as examples: "a|||b" (or a (first, second) tuple) is a pair, anything else one
  sentence."""
  return [tuple(s.split("|||", 1)) if isinstance(s, str) and "|||" in s else s
          for s in sentences]


def read_examples(args, default=DEFAULT_SENTENCES) -> list | None:
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
    return read_text_file(args.text_file)
  if args.sentences:
    return parse_sentences(args.sentences)
  return None if default is None else list(default)


# ----------------------------------------------------------------------------- check


def add_arguments(parser: argparse.ArgumentParser) -> None:
  """check's own arguments (the input arguments come from input_arguments())."""
  parser.description = ("Show, by measurement, that BERT's pooled_output is tanh(dense("
                        "sequence_output[:, 0])) with the module's own pooler weights, and not "
                        "the [CLS] hidden state.")
  parser.add_argument("--handle", help="a TF-Hub handle (a tfhub.dev URL, an http(s) URL serving "
                      "?tf-hub-format=compressed) or a local folder of any format: TF1 Hub, TF2 "
                      "SavedModel, keras-hub preset, Hugging Face, google-research checkpoint "
                      "(default: the embedded all-MiniLM-L6-v2, offline)")
  parser.add_argument("--no-bucketing", action="store_true",
                      help="pad every example to --max-seq-length, exactly as the TF-Hub "
                           "preprocessors do (default: batches of similar length, padded to their "
                           "longest rounded up to 16; the same numbers, faster)")
  parser.add_argument("--full", action="store_true",
                      help="also rebuild the whole encoder from the module's variables and compare "
                           "sequence_output (and each layer a TF2 module exposes)")
  parser.add_argument("--num-heads", type=int,
                      help="--full: attention heads, if known (else found by the numbers)")
  parser.add_argument("--json", metavar="PATH", help="also write the numbers as JSON to PATH")
  parser.add_argument("--plot", metavar="PATH",
                      help="also save the comparison figure (as in notebooks/pooled_vs_cls) as a PNG")


def run(args) -> int:
  """The check command: the report on stdout, then one 'wrote PATH' line per file written."""
  from hub_repro import api, report  # noqa: PLC0415

  examples = read_examples(args)
  check_output_paths(json=args.json, plot=args.plot)
  log = lambda msg: print(msg, file=sys.stderr)  # noqa: E731
  result = api.check(args.handle, examples, max_seq_length=args.max_seq_length,
                     batch_size=args.batch_size, preprocessor=args.preprocessor, full=args.full,
                     num_heads=args.num_heads, bucket=not args.no_bucketing, progress=None,
                     xla=args.xla, log=log)
  print(report.render(result))
  written = []
  if args.plot and result.pooled_vs_rebuilt is not None:  # nothing to draw without a rebuild
    from hub_repro import plots  # noqa: PLC0415
    plots.save_comparison_plot(result, args.plot, result.sample_pooled_output,
                               result.sample_sequence_output)
    written.append(args.plot)
  record = result.to_json()
  reproduced = result.reproduced
  if result.full is not None:
    print()
    print(report.render_full(result.full))
    record["full"] = result.full.to_json()
    record["sequence_vs_rebuilt"] = record["full"]["sequence_vs_rebuilt"]
    reproduced = reproduced and result.full.reproduced
  if args.json:
    report.write_json(record, args.json)
    written.append(args.json)
  print_written(written)
  if result.verdict == "NO POOLER":  # exit 3, its one line on stderr; the candidates in the JSON
    from hub_repro import pooler  # noqa: PLC0415
    raise pooler.NoPoolerError(result.no_pooler_message())
  return EXIT_REPRODUCED if reproduced else EXIT_NOT_REPRODUCED


def check_output_paths(**options: str | None) -> None:
  """Fails at once (UsageError, exit 2), before any model loads, where an output path (--json,
  --plot, ...) cannot be written: a path that is a folder, or one under a regular file. A missing
  parent folder is fine: the atomic write creates it (files.atomic_file), once the results exist."""
  for option, path in options.items():
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


# ----------------------------------------------------------------------------- dispatch


def _version() -> str:
  try:
    from importlib import metadata  # noqa: PLC0415
    return metadata.version("hub-repro")
  except Exception:  # noqa: BLE001 (run from a source tree that is not installed)
    from hub_repro import __version__  # noqa: PLC0415
    return __version__


def _fill(text: str) -> str:
  """A description wrapped for RawDescriptionHelpFormatter (needed for the exit-code table), unless
  it is laid out already (export's docstring)."""
  return text if "\n" in text.strip("\n") else textwrap.fill(text, 88)


def build_parser() -> argparse.ArgumentParser:
  """The top-level parser: --help (the commands and exit codes) and --version. Each command parses
  its own arguments (command_parser), so building this imports no command module."""
  formatter = argparse.RawDescriptionHelpFormatter
  parser = argparse.ArgumentParser(
      prog=PROG, formatter_class=formatter,
      description=_fill("Show, by measurement, that BERT's pooled_output is tanh(dense("
                        "sequence_output[:, 0])) with the module's own pooler weights, and not "
                        "the [CLS] hidden state.") +
      "\n\n" + _fill(f"Without a command name the command is '{DEFAULT_COMMAND}': 'hub_repro "
                     "\"a sentence\"' and 'hub_repro --handle H' run it. 'hub_repro COMMAND "
                     "--help' gives each command's options."),
      epilog=EXIT_CODE_TABLE)
  parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
  subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
  for name, spec in COMMANDS.items():
    subparsers.add_parser(name, help=spec.help)
  return parser


def command_parser(name: str) -> argparse.ArgumentParser:
  """The parser of one command, `hub_repro NAME`: its module's arguments, the shared input
  arguments if it reads text, --debug. Its usage is what a usage error prints."""
  spec = COMMANDS[name]
  common = argparse.ArgumentParser(add_help=False)
  common.add_argument("--debug", action="store_true",
                      help="on an error, also print the traceback (the exit code is the same)")
  parents = [input_arguments(spec.models), common] if spec.inputs else [common]
  parser = argparse.ArgumentParser(prog=f"{PROG} {name}", description=spec.help, parents=parents,
                                   formatter_class=argparse.RawDescriptionHelpFormatter,
                                   epilog=EXIT_CODE_TABLE)
  module = importlib.import_module(spec.module)
  add = getattr(module, "add_arguments", None) or module.build_parser
  add(parser)
  parser.description = _fill(parser.description)
  parser.set_defaults(run=module.run, command=name)
  return parser


def parse_args(argv: list[str]) -> argparse.Namespace:
  """`argv` parsed by its command's parser (DEFAULT_COMMAND when it names none). Options and
  positional arguments mix in any order (argparse's intermixed parsing): `diff A B --json out.json
  "a sentence"` is `diff --json out.json A B "a sentence"`. SystemExit on --help, --version or a
  usage error (which argparse has printed with the command's usage)."""
  if argv and argv[0] in ("-h", "--help", "--version"):
    build_parser().parse_args(argv[:1])
  name = argv[0] if argv and argv[0] in COMMANDS else DEFAULT_COMMAND
  rest = argv[1:] if argv and argv[0] in COMMANDS else argv
  return command_parser(name).parse_intermixed_args(rest)


def interrupted(prog: str, code: int) -> int:
  """The one line an interrupted run ends with; returns its exit code (130 or 143)."""
  what = "terminated (SIGTERM)" if code == EXIT_SIGTERM else "interrupted (SIGINT)"
  print(f"{prog}: {what}; no partial output was left", file=sys.stderr)
  return code


def console() -> int:
  """The program's entry point (`hub-repro`, `python -m hub_repro`): main(), then what is left
  frozen for the process's exit (gcfreeze.for_exit). In-process callers use main()."""
  code = main()
  gcfreeze.for_exit()
  return code


def main(argv: list[str] | None = None) -> int:
  """Runs one command and returns its exit code (see EXIT_CODE_TABLE)."""
  argv = sys.argv[1:] if argv is None else list(argv)
  try:
    args = parse_args(argv)
  except SystemExit as e:  # --help, --version (0) or a usage error argparse has printed (2)
    return e.code if isinstance(e.code, int) else EXIT_BAD_INPUT if e.code else 0
  prog = PROG if args.command == DEFAULT_COMMAND else f"{PROG} {args.command}"
  with sigterm_raises() as sigterm:
    try:
      quiet_tensorflow()
      with gcfreeze.frozen():  # the imports' objects: the load and the run do not walk them
        return args.run(args)
    except KeyboardInterrupt as e:
      return interrupted(prog, EXIT_SIGTERM if isinstance(e, Terminated) else EXIT_SIGINT)
    except Exception as e:  # noqa: BLE001 (the one place errors become exit codes)
      if args.debug:
        traceback.print_exc()
      if sigterm:  # Terminated, turned into another exception by a library on its way out
        return interrupted(prog, EXIT_SIGTERM)
      code = exit_code(e)
      print(error_line(prog, e, code, args.debug), file=sys.stderr)
      return code
