"""`hub_repro audit LIST`: check (or diff) every model of a list, each in a process of its own,
one JSON line per row; `hub_repro audit --summary OUT.jsonl ...`: the table of those lines
(hub_repro.audit)."""

from __future__ import annotations

import argparse
import os
import sys

from hub_repro.cli import options
from hub_repro.errors import UsageError

DESCRIPTION = """\
Check many models at once: each row of LIST runs `hub_repro check` (or `diff`) in a process of
its own, so a crash or a hang is that row's result, and appends one JSON line to --out.

LIST has one row a line ('#' starts a comment; words are split as a shell splits them):
  HANDLE [CHECK OPTIONS]      e.g. encoder --preprocessor preprocess --max-seq-length 32
  A => B [DIFF OPTIONS]       A and B should be the same function
Relative paths are relative to LIST's folder. A malformed line or an option its command does not
take is exit 2, naming the line, before any row runs.

An interrupted audit (Ctrl-C, SIGTERM) keeps the lines of the rows that finished; run it again
and it resumes: rows that have a line in --out already are skipped (delete a row's line to run
it again). Each row is an independent job, so a larger audit is sharded by splitting LIST, one
part per machine, each with its own --out; `cat` the results and read them all with --summary."""

EPILOG = """\
exit codes:
  0    every row exited 0 (each row's own exit code is check's or diff's: see hub_repro --help)
  1    a row did not exit 0 (124: it ran past --timeout and was killed); the table says which
       and why
  2    LIST or --summary's files cannot be read, or a line of LIST is malformed
  130  interrupted (SIGINT), 143 terminated (SIGTERM): the finished rows' lines are kept"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
  """audit's arguments (it reads no text: the rows' own options do)."""
  from hub_repro import audit

  parser.description = DESCRIPTION
  parser.epilog = EPILOG
  parser.add_argument("list", nargs="?", metavar="LIST", help="the list of rows to run")
  parser.add_argument("--out", metavar="PATH",
                      help="the results file (JSONL) the rows are appended to, and that a rerun "
                           "resumes from (default: LIST's name with .audit.jsonl, beside it)")
  parser.add_argument("--jobs", type=int, default=1, metavar="N", help="rows run at once (default 1)")
  parser.add_argument("--timeout", type=float, default=audit.DEFAULT_TIMEOUT_S, metavar="SECONDS",
                      help="a row still running after this long is killed, with its process "
                           f"group, and gets exit code {audit.EXIT_TIMEOUT} (default "
                           f"{audit.DEFAULT_TIMEOUT_S:g})")
  parser.add_argument("--summary", nargs="+", metavar="OUT.jsonl",
                      help="run nothing: print the table of these results files (several "
                           "machines' files, or their concatenation; a row seen twice: the later "
                           "line counts)")
  parser.add_argument("--markdown", metavar="PATH", help="also write the table as Markdown")
  parser.add_argument("--csv", metavar="PATH",
                      help="also write the table as CSV (with each row's reason, time and host)")


def validate_row(command: str, argv: list[str]) -> argparse.Namespace:
  """A row's words parsed by its command's own parser; UsageError where that parser would print
  its usage and exit."""
  from hub_repro import cli

  def fail(message: str = "an option that prints and exits") -> None:
    raise UsageError(f"{message} (a row of '{cli.PROG} {command}')")

  parser = cli.command_parser(command)
  parser.error = fail
  parser.exit = lambda status=0, message=None: fail(f"{message or 'an option that exits'}".strip())
  parser.print_help = parser.print_usage = lambda file=None: None
  return parser.parse_intermixed_args(argv)


def run(args) -> int:
  from tqdm import tqdm

  from hub_repro import audit

  if bool(args.list) == bool(args.summary):
    raise UsageError("give LIST to run an audit, or --summary OUT.jsonl to read one, not both"
                     if args.list else "give LIST (the rows to run) or --summary OUT.jsonl")
  options.check_output_paths(markdown=args.markdown, csv=args.csv)
  if args.summary:
    records = audit.read_records(args.summary)
    return _report(audit, records, args)

  out = args.out or audit.default_out(args.list)
  options.check_output_paths(out=out)
  rows = audit.parse_list(args.list, validate_row)
  done = audit.finished_keys(out)
  pending = [row for row in rows if row.key not in done]
  if len(pending) < len(rows):
    print(f"resuming: {len(rows) - len(pending)} of {len(rows)} rows are in {out} already",
          file=sys.stderr)
  with tqdm(total=len(pending), desc="audit", unit="row", file=sys.stderr,
            disable=not pending) as bar:
    def on_row(record: dict) -> None:
      bar.write(f"exit {record['exit_code']:<3}  {record['seconds']:6.1f} s  {record['key']}",
                file=sys.stderr)
      bar.update(1)

    audit.run(pending, out, jobs=args.jobs, timeout=args.timeout,
              cwd=os.path.dirname(os.path.abspath(args.list)), on_row=on_row)
  by_key = {r["key"]: r for r in audit.read_records(out)}
  records = [by_key[row.key] for row in rows if row.key in by_key]  # in the list's order
  code = _report(audit, records, args)
  options.print_written([out])
  return code


def _report(audit, records: list, args) -> int:
  """Prints the table, writes --markdown and --csv; returns the audit's exit code."""
  print(audit.render(records))
  options.print_written(audit.write_table(records, args.markdown, args.csv))
  return audit.exit_code(records)
