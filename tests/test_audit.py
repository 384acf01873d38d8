"""hub_repro audit: the list's rows, each run as `python -m hub_repro check|diff` in a process of its
own, one JSON line each; resuming; the summary table.

The lists are written in each test's temp folder. A model that hangs is an http handle on a local
server that accepts connections and never answers (SilentServer); no test touches the network."""

import csv
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import pytest
import tensorflow as tf
from absl.testing import parameterized

from hub_repro import audit
from hub_repro.cli.audit import validate_row
from hub_repro.errors import UsageError
import fake_modules
import testutil

REPO = os.path.dirname(testutil.TESTS)


def _write(path: str, text: str) -> str:
  with open(path, "w", encoding="utf-8") as f:
    f.write(text)
  return path


def _lines(path: str) -> list[str]:
  with open(path, encoding="utf-8") as f:
    return f.read().splitlines()


def _by_key(path: str) -> dict:
  """The results file's rows by key; fails if a key comes twice (a row that ran twice)."""
  records = [json.loads(line) for line in _lines(path)]
  keys = [r["key"] for r in records]
  duplicates = sorted({k for k in keys if keys.count(k) > 1})
  if duplicates:
    raise AssertionError(f"rows recorded more than once: {duplicates}")
  return {r["key"]: r for r in records}


def _default_sigint():
  # A process started in the background inherits SIGINT ignored, and Python then leaves it so;
  # the audit must get Python's KeyboardInterrupt as from a terminal.
  signal.signal(signal.SIGINT, signal.SIG_DFL)


class SilentServer:
  """Accepts connections on 127.0.0.1 and never answers: the handle of a model whose download
  hangs. `connections` are the sockets it accepted (a row that reached its model)."""

  def __init__(self):
    self._socket = socket.socket()
    self._socket.bind(("127.0.0.1", 0))
    self._socket.listen(64)
    self._socket.settimeout(0.1)
    self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
    self.connections = []
    self._closed = threading.Event()
    self._thread = threading.Thread(target=self._accept, daemon=True)
    self._thread.start()

  def _accept(self):
    while not self._closed.is_set():
      try:
        connection, _ = self._socket.accept()
      except (TimeoutError, OSError):
        continue
      self.connections.append(connection)

  def peer_closed(self, connection, timeout: float = 30.0) -> bool:
    """Whether the client's end of `connection` closes (its process ended) within `timeout`."""
    connection.settimeout(timeout)
    try:
      while connection.recv(65536):  # the request, then b"" once the client is gone
        pass
    except ConnectionResetError:
      return True
    except TimeoutError:
      return False
    return True

  def close(self):
    self._closed.set()
    self._thread.join()
    self._socket.close()
    for connection in self.connections:
      connection.close()


class Audit:
  """`python -m hub_repro audit ARGV` in a process of its own, its output in files the test reads."""

  def __init__(self, folder: str, *argv: str):
    self.stdout_path = os.path.join(folder, f"stdout.{time.monotonic_ns()}")
    self.stderr_path = self.stdout_path.replace("stdout", "stderr")
    self.started = time.monotonic()
    with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
      self.process = subprocess.Popen([sys.executable, "-m", "hub_repro", "audit", *argv],
                                      cwd=REPO, stdout=out, stderr=err,
                                      preexec_fn=_default_sigint)

  def output(self) -> tuple[str, str]:
    return tuple(open(p, encoding="utf-8", errors="replace").read()
                 for p in (self.stdout_path, self.stderr_path))

  def wait_until(self, ready, what: str, timeout: float = 300.0) -> None:
    """Polls `ready()`; fails if the audit ends first or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while not ready():
      if self.process.poll() is not None:
        raise AssertionError(f"the audit ended (exit {self.process.returncode}) before {what}; "
                             f"stderr:\n{self.output()[1]}")
      if time.monotonic() > deadline:
        self.process.kill()
        raise AssertionError(f"no {what} after {timeout} s; stderr:\n{self.output()[1]}")
      time.sleep(0.05)

  def finish(self, timeout: float = 900.0) -> tuple[int, str, str, float]:
    """(exit code, stdout, stderr, wall seconds)."""
    code = self.process.wait(timeout=timeout)
    return (code, *self.output(), time.monotonic() - self.started)


def run_audit(folder: str, *argv: str) -> tuple[int, str, str, float]:
  return Audit(folder, *argv).finish()


class ListTest(parameterized.TestCase, tf.test.TestCase):

  def setUp(self):
    super().setUp()
    self.folder = tempfile.mkdtemp(dir=self.get_temp_dir())

  def parse(self, text: str) -> list:
    return audit.parse_list(_write(os.path.join(self.folder, "list.txt"), text), validate_row)

  def test_rows_comments_pairs_and_options(self):
    rows = self.parse("# the registry\n\n"
                      "enc   --preprocessor  'pre process' --max-seq-length 32  # TF2\n"
                      "v1 => v4/encoder --layers\n"
                      "hf \"a sentence\" --trust-model-code\n")
    self.assertEqual([(r.line, r.command, r.handles, r.options) for r in rows], [
        (3, "check", ("enc",), ("--preprocessor", "pre process", "--max-seq-length", "32")),
        (4, "diff", ("v1", "v4/encoder"), ("--layers",)),
        (5, "check", ("hf",), ("a sentence", "--trust-model-code"))])
    # The key is the line's words, normalized: what a resumed audit matches.
    self.assertEqual([r.key for r in rows], [
        "enc --preprocessor 'pre process' --max-seq-length 32", "v1 => v4/encoder --layers",
        "hf 'a sentence' --trust-model-code"])
    self.assertEqual(rows[0].argv("t.json"), ["check", "--handle", "enc", "--json", "t.json",
                                              "--preprocessor", "pre process",
                                              "--max-seq-length", "32"])
    self.assertEqual(rows[1].argv("t.json"), ["diff", "--json", "t.json", "v1", "v4/encoder",
                                              "--layers"])

  @parameterized.named_parameters(
      ("pair_without_b", "a =>", "misses its model B"),
      ("pair_without_a", "=> b", "misses its model A"),
      ("pair_with_an_option_for_b", "a => --layers", "misses its model B"),
      ("pair_glued", "a=>b", "with spaces around =>"),
      ("two_pairs", "a => b => c", "more than one =>"),
      ("two_models_before_the_pair", "a b => c", "one model goes before =>"),
      ("an_option_first", "--full a", "starts with its model's handle"),
      ("unknown_option", "a --no-such-option", "unrecognized arguments: --no-such-option"),
      ("diff_option_on_a_check", "a --layers", "unrecognized arguments: --layers"),
      ("check_option_on_a_diff", "a => b --full", "unrecognized arguments: --full"),
      ("bad_value", "a --max-seq-length many", "invalid int value: 'many'"),
      ("the_audits_own_json", "a --json a.json", "--json is the audit's own"),
      ("the_audits_own_json_abbreviated", "a --js a.json", "--json is the audit's own"),
      ("the_handle_again", "a --handle b", "leave --handle out"),
      ("help", "a --help", "a row of 'hub_repro check'"),
      ("open_quote", "a --text-file 'x", "No closing quotation"),
  )
  def test_a_malformed_line_is_named(self, line, pattern):
    path = os.path.join(self.folder, "list.txt")
    with self.assertRaisesRegex(UsageError, rf"^{re.escape(path)}, line 3: .*{re.escape(pattern)}"):
      self.parse(f"good\n# a comment\n{line}\n")

  def test_a_repeated_row_is_refused(self):
    with self.assertRaisesRegex(UsageError, r"line 3 repeats line 1 \(a --full\)"):
      self.parse("a   --full\n\n'a' --full  # the same row, written differently\n")

  def test_an_unreadable_or_malformed_list_is_2_before_any_row_runs(self):
    missing = os.path.join(self.folder, "missing.txt")
    code, _, err = testutil.run_cli("audit", missing)
    self.assertEqual(code, 2)
    self.assertIn(f"cannot read the audit list {missing}", err)
    bad = _write(os.path.join(self.folder, "bad.txt"), "a\nb --bogus\n")
    out = os.path.join(self.folder, "out.jsonl")
    code, _, err = testutil.run_cli("audit", bad, "--out", out)
    self.assertEqual(code, 2)
    self.assertIn(f"{bad}, line 2: ", err)
    self.assertFalse(os.path.exists(out), "a row ran before the list was found malformed")

  @parameterized.named_parameters(
      ("neither", [], "give LIST"),
      ("both", ["list.txt", "--summary", "out.jsonl"], "not both"),
      ("no_jobs", ["list.txt", "--jobs", "0"], "--jobs 0 must be at least 1"),
  )
  def test_usage(self, argv, pattern):
    _write(os.path.join(self.folder, "list.txt"), "a\n")
    argv = [os.path.join(self.folder, a) if a.endswith((".txt", ".jsonl")) else a for a in argv]
    code, _, err = testutil.run_cli("audit", *argv)
    self.assertEqual(code, 2)
    self.assertIn(pattern, err)

  def test_default_out_is_beside_the_list(self):
    self.assertEqual(audit.default_out("/r/models.txt"), "/r/models.audit.jsonl")


def _record(key, code, **fields):
  """A results line as audit.run writes it (the fields the summary reads)."""
  return {"key": key, "format": "tf1-hub", "family": "bert", "pooled_is": "pooler",
          "untrained_evidence": None, "verdict": "REPRODUCED", "exit_code": code, "reason": None,
          "seconds": 4.2, "host": "h1", **fields}


class SummaryTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    self.folder = tempfile.mkdtemp(dir=self.get_temp_dir())

  def write_results(self, name, records) -> str:
    return _write(os.path.join(self.folder, name),
                  "".join(json.dumps(r) + "\n" for r in records))

  def test_several_machines_files_a_table_markdown_and_csv(self):
    first = self.write_results("a.jsonl", [
        _record("m1", 0),
        _record("m2", 0, untrained_evidence="the bias is exactly 0 in all 32 entries"),
        _record("v1 => v4", 1, format={"a": "tf1-hub", "b": "tf2-savedmodel"},
                family={"a": "bert", "b": "bert"}, pooled_is={"a": "pooler", "b": "pooler"},
                verdict="DIFFERENT", reason="DIFFERENT: A computes 4 attention heads, B 2")])
    second = self.write_results("b.jsonl", [
        _record("broken", 2, format=None, family=None, pooled_is=None, verdict="BAD INPUT",
                reason="hub_repro: error: broken is not a BERT model folder", host="h2")])
    markdown, csv_path = (os.path.join(self.folder, n) for n in ("t.md", "sub/t.csv"))
    code, out, _ = testutil.run_cli("audit", "--summary", first, second, "--markdown", markdown,
                                    "--csv", csv_path)
    self.assertEqual(code, 1)  # a row did not exit 0
    self.assertRegex(out, r"\nm2 +tf1-hub +bert +pooler +the bias is exactly 0 in all 32 entries"
                          r" +REPRODUCED +0\n")
    self.assertRegex(out, r"\nv1 => v4 +tf1-hub => tf2-savedmodel +bert +pooler +- +DIFFERENT +1")
    self.assertIn("exit 2  broken: hub_repro: error: broken is not a BERT model folder", out)
    self.assertIn("4 rows: 2 exit 0, 1 exit 1, 1 exit 2", out)
    self.assertIn(f"wrote {markdown}", out)
    self.assertEqual(_lines(markdown), [
        "| handle | format | family | pooled_is | untrained evidence | verdict | exit |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        "| m1 | tf1-hub | bert | pooler | - | REPRODUCED | 0 |",
        "| m2 | tf1-hub | bert | pooler | the bias is exactly 0 in all 32 entries | REPRODUCED | 0 |",
        "| v1 => v4 | tf1-hub => tf2-savedmodel | bert | pooler | - | DIFFERENT | 1 |",
        "| broken | - | - | - | - | BAD INPUT | 2 |"])
    with open(csv_path, encoding="utf-8", newline="") as f:
      table = list(csv.DictReader(f))
    self.assertEqual([(r["handle"], r["exit"], r["host"]) for r in table],
                     [("m1", "0", "h1"), ("m2", "0", "h1"), ("v1 => v4", "1", "h1"),
                      ("broken", "2", "h2")])
    self.assertEqual(table[2]["reason"], "DIFFERENT: A computes 4 attention heads, B 2")

  def test_every_row_0_is_0_and_a_later_line_counts(self):
    results = self.write_results("a.jsonl", [_record("m1", 124, verdict="TIMEOUT"),
                                             _record("m2", 0), _record("m1", 0)])
    code, out, _ = testutil.run_cli("audit", "--summary", results)
    self.assertEqual(code, 0)
    self.assertIn("2 rows: 2 exit 0", out)
    self.assertNotIn("TIMEOUT", out)

  def test_a_line_that_is_not_a_row_is_2_with_its_line(self):
    results = _write(os.path.join(self.folder, "a.jsonl"), json.dumps(_record("m1", 0)) +
                     "\n{\"key\": \"m2\", \"exit_co\n")
    code, _, err = testutil.run_cli("audit", "--summary", results)
    self.assertEqual(code, 2)
    self.assertIn(f"{results}, line 2 is not an audit row", err)


class AuditRunTest(tf.test.TestCase):
  """A model that is explained, one that is not, a broken folder and a hang, two at a time."""

  def test_each_row_its_own_exit_code_and_a_hang_is_killed(self):
    folder = tempfile.mkdtemp(dir=self.get_temp_dir())
    os.makedirs(os.path.join(folder, "empty"))
    server = SilentServer()
    self.addCleanup(server.close)
    hang = f"{server.url}/models/bert/1"
    # The hanging row first, so that it waits beside the others rather than after them. 30 s is
    # 3 times what the real row takes with two rows at once on 2 busy cores.
    fake_modules.export(fake_modules.MeanPooledEncoder, testutil.random_weights(seed=5),
                        os.path.join(folder, "mean_pooled"))
    listing = _write(os.path.join(folder, "list.txt"),
                     f"{hang}\n{testutil.GOOGLE_MODULE} --max-seq-length 16\n"
                     "mean_pooled --max-seq-length 16\nempty\n")
    code, out, err, _ = run_audit(folder, listing, "--jobs", "2", "--timeout", "30")
    self.assertEqual(code, 1, msg=err)  # not every row exited 0
    rows = _by_key(audit.default_out(listing))
    self.assertEqual(len(rows), 4)
    module = rows[f"{testutil.GOOGLE_MODULE} --max-seq-length 16"]
    self.assertEqual((module["exit_code"], module["verdict"], module["format"], module["family"],
                      module["pooled_is"], module["options"], module["reason"]),
                     (0, "REPRODUCED", "tf1-hub", "bert", "pooler", ["--max-seq-length", "16"],
                      None))
    self.assertEqual(module["result"]["max_seq_length"], 16)  # the row's option reached check
    self.assertEqual(module["host"], socket.gethostname())
    self.assertGreater(module["seconds"], 0)
    # A finished comparison that says no: its reason is the verdict's numbers.
    mean = rows["mean_pooled --max-seq-length 16"]
    self.assertEqual((mean["exit_code"], mean["verdict"], mean["pooled_is"]),
                     (1, "NOT REPRODUCED", "unexplained"))
    self.assertRegex(mean["reason"], r"^NOT REPRODUCED: its pooler \(bert/pooler/dense/kernel, "
                                     r"bert/pooler/dense/bias; \w+\) misses pooled_output by max "
                                     r"\|diff\| [\d.]+ > tolerance 1e-05$")
    # Relative paths are the list's: `empty` and `mean_pooled` are the folders beside it.
    broken = rows["empty"]
    self.assertEqual((broken["exit_code"], broken["verdict"], broken["result"]), (2, "BAD INPUT",
                                                                                 None))
    self.assertRegex(broken["reason"], r"^hub_repro: error: empty is not a BERT model folder")
    hung = rows[hang]
    self.assertEqual((hung["exit_code"], hung["verdict"]), (audit.EXIT_TIMEOUT, "TIMEOUT"))
    self.assertRegex(hung["reason"], r"^no result within --timeout 30 s; its process group was "
                                     r"killed")
    self.assertGreaterEqual(hung["seconds"], 30)
    # The row did hang on its model (it connected and waited), and was killed: its end closed.
    self.assertLen(server.connections, 1)
    self.assertTrue(server.peer_closed(server.connections[0]))
    self.assertIn("4 rows: 1 exit 0, 1 exit 1, 1 exit 2, 1 exit 124", out)


@pytest.mark.slow
class FixtureAuditTest(tf.test.TestCase):
  """Every format and family of tests/fixtures, a pair that is the same function and one that is
  not, a folder that is no model: one audit, two rows at a time; then its summary."""

  # (list line, relative to a list beside a `fixtures` link) -> exit code, format, family,
  # pooled_is, untrained evidence (a pattern, or None).
  ROWS = {
      "fixtures/google_tf1/module": (0, "tf1-hub", "bert", "pooler", None),
      "fixtures/google_tf1/checkpoint": (0, "google-checkpoint", "bert", "pooler", None),
      "fixtures/model_garden_tf2/encoder --preprocessor fixtures/model_garden_tf2/preprocess":
          (0, "tf2-savedmodel", "bert", "pooler", None),
      "fixtures/keras_hub_preset": (0, "keras-hub", "bert", "pooler", None),
      "fixtures/hf_bert_tokenizer_json": (0, "huggingface", "bert", "pooler", None),
      "fixtures/albert_tf1/module": (0, "tf1-hub", "albert", "pooler", None),
      "fixtures/electra_tf1/module": (0, "tf1-hub", "electra", "cls", None),
      "fixtures/model_garden_electra/encoder --preprocessor fixtures/model_garden_electra/preprocess":
          (0, "tf2-savedmodel", "electra", "identity_pooler", "exactly the 32x32 identity"),
      "fixtures/hf_electra": (3, "huggingface", "electra", "none", None),
      "fixtures/hf_roberta": (0, "huggingface", "roberta", "pooler", None),
      "fixtures/hf_roberta_no_pooler": (0, "huggingface", "roberta", "pooler",
                                        "not in the model's files"),
      "fixtures/keras_hub_xlm_roberta": (3, "keras-hub", "xlm_roberta", "none", None),
      "fixtures/keras_hub_distilbert": (3, "keras-hub", "distilbert", "none", None),
      "fixtures/hf_mobilebert": (0, "huggingface", "mobilebert", "cls", None),
      "fixtures/hf_deberta_v3": (3, "huggingface", "deberta_v2", "none", None),
      "fixtures/model_garden_talking_heads/encoder --preprocessor "
      "fixtures/model_garden_talking_heads/preprocess":
          (0, "tf2-savedmodel", "talking_heads", "pooler", None),
      "fixtures/google_tf1/module => fixtures/google_tf1/checkpoint":
          (0, {"a": "tf1-hub", "b": "google-checkpoint"}, {"a": "bert", "b": "bert"},
           {"a": "pooler", "b": "pooler"}, None),
      "fixtures/hf_bert_head16_gelu_new => fixtures/hf_bert_tokenizer_json":
          (1, {"a": "huggingface", "b": "huggingface"}, {"a": "bert", "b": "bert"},
           {"a": None, "b": None}, None),
      "empty": (2, None, None, None, None),
  }

  def test_every_format_pairs_and_a_broken_folder(self):
    folder = tempfile.mkdtemp(dir=self.get_temp_dir())
    link = os.path.join(folder, "fixtures")
    os.symlink(testutil.FIXTURES, link)
    self.addCleanup(os.unlink, link)  # the temp folder's removal would not follow it
    os.makedirs(os.path.join(folder, "empty"))
    listing = _write(os.path.join(folder, "fixtures.txt"),
                     "# every format of tests/fixtures\n" + "\n".join(self.ROWS) + "\n")
    code, out, err, _ = run_audit(folder, listing, "--jobs", "2")
    self.assertEqual(code, 1, msg=err)  # the differing pair, the models without pooled_output, `empty`
    rows = _by_key(audit.default_out(listing))
    self.assertCountEqual(rows, self.ROWS)
    for key, (exit_code, fmt, family, pooled_is, evidence) in self.ROWS.items():
      row = rows[key]
      self.assertEqual((row["exit_code"], row["format"], row["family"], row["pooled_is"]),
                       (exit_code, fmt, family, pooled_is), msg=f"{key}: {row['reason']}")
      if evidence:
        self.assertRegex(row["untrained_evidence"], evidence)
      else:
        self.assertIsNone(row["untrained_evidence"], msg=key)
    self.assertEqual(rows["fixtures/google_tf1/module => fixtures/google_tf1/checkpoint"]["verdict"],
                     "SAME FUNCTION")
    different = rows["fixtures/hf_bert_head16_gelu_new => fixtures/hf_bert_tokenizer_json"]
    self.assertEqual(different["verdict"], "DIFFERENT")
    self.assertIn("A's outputs are 48 wide, B's 32", different["reason"])
    self.assertRegex(rows["fixtures/hf_electra"]["reason"], r"has no pooled_output")
    self.assertIn("19 rows: 13 exit 0, 1 exit 1, 1 exit 2, 4 exit 3", out)

    markdown = os.path.join(folder, "audit.md")
    code, out, _ = testutil.run_cli("audit", "--summary", audit.default_out(listing),
                                    "--markdown", markdown)
    self.assertEqual(code, 1)
    table = _lines(markdown)
    self.assertLen(table, 2 + len(self.ROWS))
    self.assertIn("| fixtures/model_garden_electra/encoder --preprocessor "
                  "fixtures/model_garden_electra/preprocess | tf2-savedmodel | electra | "
                  "identity_pooler | the kernel is exactly the 32x32 identity", "\n".join(table))
    self.assertIn("| fixtures/google_tf1/module => fixtures/google_tf1/checkpoint | tf1-hub => "
                  "google-checkpoint | bert | pooler | - | SAME FUNCTION | 0 |", table)


@pytest.mark.slow
class InterruptTest(tf.test.TestCase):

  def test_sigint_keeps_the_finished_rows_and_a_rerun_does_only_the_rest(self):
    folder = tempfile.mkdtemp(dir=self.get_temp_dir())
    for name in ("empty_1", "empty_2"):
      os.makedirs(os.path.join(folder, name))
    server = SilentServer()
    self.addCleanup(server.close)
    hang = f"{server.url}/models/bert/1"
    listing = _write(os.path.join(folder, "list.txt"), f"empty_1\n{hang}\nempty_2\n")
    out = os.path.join(folder, "results", "out.jsonl")
    run = Audit(folder, listing, "--out", out, "--timeout", "600")
    # Interrupted while the second row hangs on its model: the first has its line by then.
    run.wait_until(lambda: server.connections, "a row hanging on its model")
    finished = _lines(out)
    self.assertLen(finished, 1)
    run.process.send_signal(signal.SIGINT)
    code, _, err, _ = run.finish(timeout=60)
    self.assertEqual(code, 130, msg=err)
    self.assertEqual(_lines(out), finished)  # intact, and nothing of the interrupted row
    self.assertTrue(server.peer_closed(server.connections[0]), "the interrupted row still runs")

    server.close()  # the hanging handle now fails at once (connection refused): exit 2
    code, stdout, err, _ = run_audit(folder, listing, "--out", out)
    self.assertEqual(code, 1, msg=err)
    self.assertIn(f"resuming: 1 of 3 rows are in {out} already", err)
    self.assertEqual(_lines(out)[0], finished[0])
    rows = _by_key(out)  # each row once: the first was not run again
    self.assertEqual(list(rows), ["empty_1", hang, "empty_2"])
    self.assertEqual([r["exit_code"] for r in rows.values()], [2, 2, 2])
    self.assertIn("3 rows: 3 exit 2", stdout)


@pytest.mark.slow
class JobsTest(tf.test.TestCase):

  def test_two_jobs_finish_sooner_than_one(self):
    # Every row hangs on its model until --timeout stops it, so each row lasts at least TIMEOUT
    # and at most TIMEOUT + audit.GRACE_S seconds of wall time, whatever else the 2 cores are
    # doing: the rows mostly wait, and the timeout counts wall time from the row's start. One job
    # at a time takes 4 rows' time (~4 x 9 s), two ~2 rows' time, plus the same start-up of the
    # audit for both. Half a TIMEOUT of the ~2 TIMEOUTs saved holds even when every row of the
    # two-job run takes its longest and every row of the one-job run its shortest.
    rows, timeout = 4, 8
    folder = tempfile.mkdtemp(dir=self.get_temp_dir())
    server = SilentServer()
    self.addCleanup(server.close)
    listing = _write(os.path.join(folder, "list.txt"),
                     "".join(f"{server.url}/models/bert/{i}\n" for i in range(rows)))
    seconds = {}
    for jobs in (1, 2):
      out = os.path.join(folder, f"jobs_{jobs}.jsonl")
      code, _, err, seconds[jobs] = run_audit(folder, listing, "--out", out, "--jobs", str(jobs),
                                              "--timeout", str(timeout))
      self.assertEqual(code, 1, msg=err)
      self.assertEqual([r["exit_code"] for r in _by_key(out).values()], [124] * rows)
    self.assertLess(seconds[2], seconds[1] - timeout / 2, msg=f"wall seconds by --jobs: {seconds}")


if __name__ == "__main__":
  tf.test.main()
