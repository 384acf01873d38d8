"""`audit`: many models at once, each in a process of its own, one JSON line per model.

A list names the rows, one a line (`#` starts a comment, blank lines are skipped, words are split
as a shell splits them):

    encoders/bert_v4 --preprocessor encoders/bert_v4_preprocess --max-seq-length 32
    encoders/bert_v1 => encoders/bert_v1_as_v4      # diff: the same function?

A row is a handle followed by check's own options, or a pair `A => B` followed by diff's. It runs
as `python -m hub_repro check --handle H --json TMP [OPTIONS]` (`diff --json TMP A B [OPTIONS]`)
in the list's folder, so relative paths are the list's, and a crash or a hang is that row's
result, not the audit's: a row past the timeout has its process group killed and exit code 124
(as GNU timeout(1) reports). Each finished row appends one line to the results file (JSONL):
its key (the line's words, normalized), what its JSON says (format, family, pooled_is, untrained
evidence, verdict), its exit code, a one-line reason, its wall time and host. A run that stops
half-way resumes: rows whose key has a line already are not run again. Results files of several
machines concatenate (`cat a.jsonl b.jsonl`).

This module raises errors.UsageError for a list that cannot be read or a malformed line; whether
a row's options are check's or diff's is told by a `validate` function the caller passes (the
command line's own parsers).
"""

from __future__ import annotations

import collections
import csv
import dataclasses
import datetime
import io
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Callable

from hub_repro import files
from hub_repro.errors import EXIT_BAD_INPUT, EXIT_INTERNAL, UsageError

PAIR = "=>"
DEFAULT_TIMEOUT_S = 600.0
# GNU timeout(1)'s exit code for a command it stopped: a timed-out row's exit code.
EXIT_TIMEOUT = 124
# A stopped row gets SIGTERM first (hub_repro then removes its temporary files, as on Ctrl-C), and
# SIGKILL this long after, whether it is still running or not (a hang in native code ignores
# SIGTERM; whatever else is left in its process group goes too).
GRACE_S = 5.0
# How often the running rows are polled: negligible beside a row's seconds of TensorFlow import.
POLL_S = 0.1
# Only the end of a row's stderr is read for its reason; TensorFlow can log megabytes before it.
STDERR_TAIL_BYTES = 64 * 1024
MAX_REASON_CHARS = 600

# A row's words -> the parsed options of its command (check or diff), or UsageError. The command
# line passes its own parsers (hub_repro.cli.command_parser), which this module may not import.
Validate = Callable[[str, list], object]

VERDICT_WITHOUT_JSON = {EXIT_BAD_INPUT: "BAD INPUT", EXIT_INTERNAL: "INTERNAL ERROR",
                        EXIT_TIMEOUT: "TIMEOUT"}

# The summary table: header -> the record's field. A diff row's fields hold {"a": ..., "b": ...}.
COLUMNS = {"handle": "key", "format": "format", "family": "family", "pooled_is": "pooled_is",
           "untrained evidence": "untrained_evidence", "verdict": "verdict", "exit": "exit_code"}
# The CSV has these too (the printed and Markdown tables list the reasons of failed rows below).
CSV_EXTRA = {"reason": "reason", "seconds": "seconds", "host": "host"}


@dataclasses.dataclass(frozen=True)
class Row:
  """One line of an audit list."""
  key: str  # the line's words joined again (quotes and spaces normalized): what resumes
  line: int  # its line number in the list (1-based), for messages
  handles: tuple  # (H,) for check, (A, B) for diff
  options: tuple  # the command's own options and sentences, as written

  @property
  def command(self) -> str:
    return "diff" if len(self.handles) == 2 else "check"

  def validation_argv(self) -> list[str]:
    """The words the command's parser reads (diff's handles are its positional arguments)."""
    return [*self.handles, *self.options] if self.command == "diff" else list(self.options)

  def argv(self, json_path: str) -> list[str]:
    """`python -m hub_repro ARGV`. The audit's own options come first, so that a `--` among the
    row's options (sentences that start with a dash) cannot turn them into sentences."""
    if self.command == "diff":
      return ["diff", "--json", json_path, *self.handles, *self.options]
    return ["check", "--handle", self.handles[0], "--json", json_path, *self.options]


def default_out(list_path: str) -> str:
  """Where an audit of `list_path` appends its results by default: LIST.audit.jsonl beside it."""
  return os.path.splitext(list_path)[0] + ".audit.jsonl"


# ----------------------------------------------------------------------------- the list


def parse_list(path: str, validate: Validate | None = None) -> list[Row]:
  """The rows of the audit list at `path`, in order; UsageError (naming the file and line) for a
  list that cannot be read, a malformed line, an option its command does not take (`validate`),
  an option the audit sets itself (--json, check's --handle) or a line that repeats another."""
  try:
    with open(path, encoding="utf-8") as f:
      text = f.read()
  except (OSError, UnicodeDecodeError) as e:
    raise UsageError(f"cannot read the audit list {path}: {e}") from e
  rows, seen = [], {}
  for number, line in enumerate(text.splitlines(), start=1):
    where = f"{path}, line {number}"
    try:
      words = shlex.split(line, comments=True)
    except ValueError as e:  # shlex: "No closing quotation", "No escaped character"
      raise UsageError(f"{where}: {e}: {line.strip()}") from e
    if not words:
      continue
    row = _row(words, number, where)
    if validate is not None:
      try:
        parsed = validate(row.command, row.validation_argv())
      except UsageError as e:
        raise UsageError(f"{where}: {e}") from e
      _check_options(row, parsed, where)
    if row.key in seen:
      raise UsageError(f"{where} repeats line {seen[row.key]} ({row.key}); each row runs once")
    seen[row.key] = number
    rows.append(row)
  return rows


def _row(words: list[str], number: int, where: str) -> Row:
  """A Row from a line's words: `H [OPTIONS]` or `A => B [OPTIONS]`."""
  glued = [w for w in words if PAIR in w and w != PAIR]
  if glued:
    raise UsageError(f"{where}: {glued[0]!r}: write a pair as A {PAIR} B, with spaces around {PAIR}")
  if words.count(PAIR) > 1:
    raise UsageError(f"{where}: more than one {PAIR}; a line is one model or one pair A {PAIR} B")
  if PAIR in words:
    at = words.index(PAIR)
    if at == 0 or at + 1 == len(words) or words[at + 1].startswith("-"):
      side = "A (before" if at == 0 else "B (after"
      raise UsageError(f"{where}: the pair misses its model {side} {PAIR}); expected A {PAIR} B "
                       "[OPTIONS]")
    if at != 1:
      raise UsageError(f"{where}: {_join(words[:at])} before {PAIR}: one model goes before "
                       f"{PAIR}, options after B")
    handles, options = (words[0], words[2]), words[3:]
  else:
    handles, options = (words[0],), words[1:]
  if handles[0].startswith("-"):
    raise UsageError(f"{where}: a line starts with its model's handle, not an option "
                     f"({handles[0]}); expected HANDLE [OPTIONS] or A {PAIR} B [OPTIONS]")
  return Row(key=_join(words), line=number, handles=handles, options=tuple(options))


def _join(words: list[str]) -> str:
  """The words as one line a shell would split back into them; => stays bare."""
  return " ".join(w if w == PAIR else shlex.quote(w) for w in words)


def _check_options(row: Row, parsed, where: str) -> None:
  """The options the audit sets itself are not the row's to give."""
  if getattr(parsed, "json", None) is not None:
    raise UsageError(f"{where}: --json is the audit's own (each row's JSON becomes its line in "
                     "the results file); leave it out")
  if row.command == "check" and getattr(parsed, "handle", None) is not None:
    raise UsageError(f"{where}: the handle is the line's first word; leave --handle out")


# ----------------------------------------------------------------------------- the results file


def read_records(paths) -> list[dict]:
  """The rows of one or more results files (JSONL, concatenated in order); where a key comes
  twice, the later line counts, in the place of the first. UsageError for a file that cannot be
  read or a line that is not a row."""
  records = {}
  for path in [paths] if isinstance(paths, str) else paths:
    try:
      with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError) as e:
      raise UsageError(f"cannot read the audit results {path}: {e}") from e
    for number, line in enumerate(lines, start=1):
      if not line.strip():
        continue
      try:
        record = json.loads(line)
      except ValueError:
        record = None
      if not isinstance(record, dict) or not isinstance(record.get("key"), str):
        raise UsageError(f"{path}, line {number} is not an audit row (a JSON object with a "
                         f"\"key\"): {line[:80]}; remove the line (its row then runs again)")
      records[record["key"]] = record
  return list(records.values())


def finished_keys(out: str) -> set[str]:
  """The keys of the rows `out` holds already (none if it does not exist yet)."""
  return {r["key"] for r in read_records(out)} if os.path.exists(out) else set()


def exit_code(records) -> int:
  """The audit's exit code: 0 when every row exited 0, else 1."""
  return 0 if all(r.get("exit_code") == 0 for r in records) else 1


# ----------------------------------------------------------------------------- running rows


@dataclasses.dataclass
class _Running:
  """A row's process and what the loop knows of it."""
  row: Row
  process: subprocess.Popen
  json_path: str
  stderr_path: str
  started: float
  term_sent: float | None = None  # when it was sent SIGTERM (a timeout), else None
  last_said: str = ""  # a timed-out row's last stderr line before SIGTERM: where it hung

  def signal(self, signum: int) -> None:
    """Sends `signum` to the row's process group (its own: start_new_session)."""
    try:
      os.killpg(self.process.pid, signum)
    except (ProcessLookupError, PermissionError):  # the group has ended already
      pass


def _child_env() -> dict:
  """The rows run the hub_repro this process runs, installed or not."""
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  env = dict(os.environ)
  env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
  return env


def run(rows: list[Row], out: str, *, jobs: int = 1, timeout: float = DEFAULT_TIMEOUT_S,
        cwd: str | None = None, on_row: Callable[[dict], None] | None = None) -> list[dict]:
  """Runs `rows`, `jobs` at a time, each in a process of its own (in `cwd`), and appends each
  row's record to `out` (JSONL) as it finishes, flushed. Returns the records, in the order they
  finished; `on_row(record)` is called after each is written.

  A row still running after `timeout` seconds is stopped (SIGTERM to its process group, SIGKILL
  GRACE_S later) and recorded with exit code EXIT_TIMEOUT. When this call is interrupted
  (KeyboardInterrupt, or anything else), it starts no more rows, stops the running ones the same
  way and records none of them: the lines written stay whole, and the stopped rows run again
  when the audit is resumed."""
  if jobs < 1:
    raise UsageError(f"--jobs {jobs} must be at least 1")
  if timeout <= 0:
    raise UsageError(f"--timeout {timeout:g} must be above 0 seconds")
  queue, running, records = collections.deque(rows), [], []
  env, host = _child_env(), socket.gethostname()
  scratch = tempfile.mkdtemp(prefix="hub_repro_audit_")
  out = os.path.abspath(out)
  os.makedirs(os.path.dirname(out), exist_ok=True)
  try:
    with open(out, "a", encoding="utf-8") as results:
      while queue or running:
        while queue and len(running) < jobs:
          running.append(_start(queue.popleft(), scratch, cwd, env))
        time.sleep(POLL_S)
        for job in list(running):
          code = job.process.poll()
          now = time.monotonic()
          if code is None:
            if job.term_sent is None and now - job.started > timeout:
              job.last_said = _last_line(job.stderr_path)
              job.signal(signal.SIGTERM)
              job.term_sent = now
            elif job.term_sent is not None and now - job.term_sent > GRACE_S:
              job.signal(signal.SIGKILL)
            continue
          if job.term_sent is not None:
            job.signal(signal.SIGKILL)  # what is left of a stopped row's group
          running.remove(job)
          record = _record(job, code, now - job.started, timeout, host)
          results.write(json.dumps(record, ensure_ascii=False) + "\n")
          results.flush()
          records.append(record)
          if on_row is not None:
            on_row(record)
  finally:
    _stop(running)
    shutil.rmtree(scratch, ignore_errors=True)
  return records


def _start(row: Row, scratch: str, cwd: str | None, env: dict) -> _Running:
  folder = tempfile.mkdtemp(prefix=f"row{row.line}_", dir=scratch)
  json_path, stderr_path = os.path.join(folder, "row.json"), os.path.join(folder, "stderr")
  with open(stderr_path, "wb") as stderr:
    process = subprocess.Popen([sys.executable, "-m", "hub_repro", *row.argv(json_path)],
                               cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)
  return _Running(row, process, json_path, stderr_path, time.monotonic())


def _stop(running: list[_Running]) -> None:
  """Stops the rows still running: SIGTERM, then SIGKILL after GRACE_S (at once if a second
  interrupt cuts the wait short); waits for each."""
  try:
    for job in running:
      job.signal(signal.SIGTERM)
    deadline = time.monotonic() + GRACE_S
    for job in running:
      try:
        job.process.wait(timeout=max(0.0, deadline - time.monotonic()))
      except subprocess.TimeoutExpired:
        pass
  finally:
    for job in running:
      job.signal(signal.SIGKILL)
      job.process.wait()


# ----------------------------------------------------------------------------- a row's record


def _record(job: _Running, code: int, seconds: float, timeout: float, host: str) -> dict:
  """The row's line in the results file."""
  row = job.row
  if code < 0:  # ended by a signal: the code a shell reports
    code = 128 - code
  timed_out = job.term_sent is not None
  if timed_out:
    code = EXIT_TIMEOUT
  result = None if timed_out else _read_json(job.json_path)
  stderr = _last_line(job.stderr_path)
  fields = (_diff_fields(result) if row.command == "diff" else _check_fields(result, code, stderr))
  if result is None:
    fields["verdict"] = VERDICT_WITHOUT_JSON.get(code, "CRASHED")
    fields["reason"] = stderr or (f"ended by {signal.Signals(code - 128).name}"
                                  if 128 < code < 128 + signal.NSIG else f"exit {code}, no message")
    if timed_out:
      fields["reason"] = (f"no result within --timeout {timeout:g} s; its process group was "
                          f"killed (its last line on stderr: {job.last_said or 'none'})")
  handles = ({"a": row.handles[0], "b": row.handles[1]} if row.command == "diff"
             else {"handle": row.handles[0]})
  return {
      "key": row.key,
      "command": row.command,
      **handles,
      "options": list(row.options),
      "format": fields.get("format"),
      "family": fields.get("family"),
      "pooled_is": fields.get("pooled_is"),
      "untrained_evidence": fields.get("untrained_evidence"),
      "verdict": fields["verdict"],
      "exit_code": code,
      "reason": _one_line(fields["reason"]) if fields.get("reason") else None,
      "seconds": round(seconds, 2),
      "host": host,
      "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
      "result": result,  # the row's own JSON (check's or diff's), None if it wrote none
  }


def _check_fields(result: dict | None, code: int, stderr: str) -> dict:
  if result is None:
    return {}
  reason = None
  if code != 0:
    reason = stderr  # exit 3's one line says what pooled_output is not
    rebuilt = result.get("pooled_vs_rebuilt")
    full = result.get("full")
    if code == 1 and rebuilt and not result.get("reproduced"):
      pooler = result.get("pooler") or {}
      reason = (f"{result['verdict']}: its pooler ({pooler.get('kernel')}, {pooler.get('bias')}; "
                f"{pooler.get('activation')}) misses pooled_output by max |diff| "
                f"{rebuilt['max_abs_diff']:.3g} > tolerance {result['tolerance']:g}")
    elif code == 1 and full and not full.get("reproduced"):
      reason = "--full: the rebuilt encoder does not reproduce the model's outputs"
  return {"format": result.get("format"), "family": result.get("family"),
          "pooled_is": result.get("pooled_is"),
          "untrained_evidence": (result.get("pooler") or {}).get("untrained_evidence"),
          "verdict": result.get("verdict"), "reason": reason}


def _diff_fields(result: dict | None) -> dict:
  if result is None:
    return {}
  families, pooled_is = result.get("families", {}), result.get("pooled_is", {})
  return {"format": {side: result[side].get("format") for side in "ab"},
          "family": {side: (families.get(side) or {}).get("family") for side in "ab"},
          "pooled_is": {side: pooled_is.get(side) for side in "ab"},
          "verdict": "SAME FUNCTION" if result.get("same") else "DIFFERENT",
          "reason": result.get("explanation")}


def _read_json(path: str) -> dict | None:
  try:
    with open(path, encoding="utf-8") as f:
      record = json.load(f)
  except (OSError, ValueError):
    return None
  return record if isinstance(record, dict) else None


def _last_line(path: str) -> str:
  """The row's one line: the last that hub_repro's command line wrote on stderr (its error line
  comes last, but a library may log after it), else the last line of any kind."""
  try:
    with open(path, "rb") as f:
      f.seek(max(0, os.path.getsize(path) - STDERR_TAIL_BYTES))
      lines = [line.strip() for line in f.read().decode(errors="replace").splitlines()]
  except OSError:
    return ""
  lines = [line for line in lines if line]
  own = [line for line in lines if line.startswith("hub_repro")]
  return (own or lines or [""])[-1]


def _one_line(text: str) -> str:
  text = re.sub(r"\s+", " ", text).strip()
  return text if len(text) <= MAX_REASON_CHARS else text[:MAX_REASON_CHARS - 3] + "..."


# ----------------------------------------------------------------------------- the summary


def _cell(value) -> str:
  """A field as the table shows it: a diff row's {"a": x, "b": y} as "x => y" (one value when
  both sides agree), None as "-"."""
  if isinstance(value, dict):
    a, b = (_cell(value.get(side)) for side in "ab")
    return a if a == b else f"{a} {PAIR} {b}"
  return "-" if value is None else str(value)


def table(records, columns: dict = COLUMNS) -> list[list[str]]:
  """The summary's rows (the header first), one per record."""
  return [list(columns)] + [[_cell(r.get(field)) for field in columns.values()] for r in records]


def counts(records) -> str:
  """One line: how many rows, and how many of each exit code."""
  by_code = collections.Counter(r.get("exit_code") for r in records)
  parts = ", ".join(f"{by_code[code]} exit {code}"
                    for code in sorted(by_code, key=lambda c: (c is None, c or 0)))
  return f"{len(records)} row{'s' * (len(records) != 1)}: {parts or 'none'}"


def failures(records) -> list[str]:
  """One line per row that did not exit 0: its exit code, key and reason."""
  return [f"exit {r.get('exit_code')}  {r['key']}: {r.get('reason') or 'no reason recorded'}"
          for r in records if r.get("exit_code") != 0]


def render(records) -> str:
  """The table as text: aligned columns, then the reasons of the rows that did not exit 0, then
  the counts."""
  rows = table(records)
  widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
  lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
           for row in rows]
  lines.insert(1, "  ".join("-" * width for width in widths))
  failed = failures(records)
  return "\n".join(lines + ([""] + failed if failed else []) + ["", counts(records)])


def markdown(records) -> str:
  """The table in Markdown (GitHub's pipe tables)."""
  def line(cells):
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"
  rows = table(records)
  return "\n".join([line(rows[0]), line(["---"] * len(rows[0]))] + [line(r) for r in rows[1:]]) + "\n"


def csv_text(records) -> str:
  """The table as CSV, with each row's reason, wall time and host."""
  buffer = io.StringIO()
  csv.writer(buffer, lineterminator="\n").writerows(table(records, {**COLUMNS, **CSV_EXTRA}))
  return buffer.getvalue()


def write_table(records, markdown_path: str | None = None, csv_path: str | None = None) -> list:
  """Writes the table as Markdown and/or CSV, each atomically; returns the paths written."""
  written = []
  for path, text in ((markdown_path, markdown), (csv_path, csv_text)):
    if path:
      with files.atomic_file(path) as f:
        f.write(text(records))
      written.append(path)
  return written
