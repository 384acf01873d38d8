"""Command line: hub_repro [check] [SENTENCE ...] [--handle H] ..., hub_repro diff A B ...,
hub_repro crosscheck ..., hub_repro export ...

One module per command in this package (check, diff, crosscheck, export), each with
add_arguments(parser) and run(args) -> exit code; COMMANDS lists them. Nothing here imports
TensorFlow before a command runs, so --help answers at once. Library code raises
hub_repro.errors' classes; only main() turns an exception into one line on stderr and its exit
code (--debug adds the traceback and keeps the code). Nothing imports this package but
hub_repro/__main__.py and the console entry point.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import importlib
import re
import signal
import sys
import textwrap
import threading
import traceback

from hub_repro import errors, quiet
from hub_repro.cli import options

EXIT_REPRODUCED, EXIT_NOT_REPRODUCED = errors.EXIT_SAME, errors.EXIT_DIFFERENT
EXIT_BAD_INPUT, EXIT_NO_POOLER, EXIT_INTERNAL = (errors.EXIT_BAD_INPUT, errors.EXIT_NO_POOLER,
                                                 errors.EXIT_INTERNAL)
EXIT_SIGINT, EXIT_SIGTERM = 128 + signal.SIGINT, 128 + signal.SIGTERM  # 130, 143, as shells report

EXIT_CODE_TABLE = """\
exit codes:
  0    reproduced: pooled_output is explained (a pooler, an identity pooler or the [CLS]
       state; diff: the same function; crosscheck: every implementation agrees; export: written)
  1    computed, and not reproduced within tolerance (a named pooler that does not explain
       pooled_output; diff: different, models of two sizes included; crosscheck: an
       implementation disagrees); only ever from a finished comparison, never from an error
  2    bad input (handle, file, argument, weights; a SavedModel whose graph reaches outside the
       model, unless --trust-model-code): one line says what was wrong and what to do
  3    no pooler: the model has no pooled_output, or nothing of it explains pooled_output
  4    internal error (any other exception): one line names it; rerun with --debug for the
       traceback
  130  interrupted (SIGINT), 143 terminated (SIGTERM); no partial output is left behind"""

# Subcommands: name -> the module that runs it and its one-line help. The module gives
# add_arguments(parser) and run(args) -> int, and imports no TensorFlow at import time (it is
# imported to build its own --help). `inputs`: the command reads text, so it takes the shared input
# arguments (options.input_arguments()). A command is one line here.
# `models`: how many model handles the command takes as its first positional arguments.
# `tensorflow`: the command computes in this process (audit runs each model in a process of its
# own, so it never imports TensorFlow).
Command = collections.namedtuple("Command", ["module", "help", "inputs", "models", "tensorflow"],
                                 defaults=[0, True])
COMMANDS = {
    "check": Command("hub_repro.cli.check", "(default) run a module, rebuild its pooler from its own "
                     "weights and compare with pooled_output", inputs=True),
    "export": Command("hub_repro.cli.export", "write a TF-Hub BERT module (TF1 Hub or TF2 SavedModel) "
                      "from a Google checkpoint, a Hugging Face folder or a module", inputs=False),
    "crosscheck": Command("hub_repro.cli.crosscheck", "run the module, keras-hub and Hugging Face on "
                          "the same weights and inputs and compare their outputs", inputs=True),
    "diff": Command("hub_repro.cli.diff", "are two models (any formats) the same function? If not, "
                    "where do they part: tokenization, config, weights or which layer", inputs=True,
                    models=2),
    "audit": Command("hub_repro.cli.audit", "check or diff every model of a list, each in a process "
                     "of its own; one JSON line per model, resumable, and a summary table",
                     inputs=False, tensorflow=False),
}
DEFAULT_COMMAND = "check"
PROG = "hub_repro"

# An error message longer than this (TensorFlow's can run to dozens of lines) is cut on its one line.
MAX_MESSAGE_CHARS = 600


class Terminated(KeyboardInterrupt):
  """SIGTERM, raised in the main thread like SIGINT's KeyboardInterrupt, so that `finally` blocks
  and the atomic writes' cleanup run before the process ends."""


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


# ----------------------------------------------------------------------------- dispatch


def _version() -> str:
  try:
    from importlib import metadata
    return metadata.version("hub-repro")
  except Exception:  # noqa: BLE001 (run from a source tree that is not installed)
    from hub_repro import __version__
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
  parents = [options.input_arguments(spec.models), common] if spec.inputs else [common]
  parser = argparse.ArgumentParser(prog=f"{PROG} {name}", description=spec.help, parents=parents,
                                   formatter_class=argparse.RawDescriptionHelpFormatter,
                                   epilog=EXIT_CODE_TABLE)
  module = importlib.import_module(spec.module)
  module.add_arguments(parser)
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
  """The program's entry point (`hub-repro`, `python -m hub_repro`)."""
  return main()


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
      if COMMANDS[args.command].tensorflow:  # TensorFlow's start-up lines would bury the output
        quiet.quiet_tensorflow()
      return args.run(args)
    except KeyboardInterrupt as e:
      return interrupted(prog, EXIT_SIGTERM if isinstance(e, Terminated) else EXIT_SIGINT)
    except Exception as e:  # noqa: BLE001 (the one place errors become exit codes)
      if args.debug:
        traceback.print_exc()
      if sigterm:  # Terminated, turned into another exception by a library on its way out
        return interrupted(prog, EXIT_SIGTERM)
      code = errors.exit_code(e)
      print(error_line(prog, e, code, args.debug), file=sys.stderr)
      return code
