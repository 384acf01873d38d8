"""The command line: exit codes, one-line errors, JSON, determinism."""

import json
import os
import re
import subprocess
import sys
from unittest import mock

import pytest
import tensorflow as tf
from absl.testing import parameterized

from hub_repro import cli, errors
import fake_modules
import testutil

REPO = os.path.dirname(testutil.TESTS)


run_cli = testutil.run_cli


class ExitCodeTest(parameterized.TestCase, tf.test.TestCase):

  def assertOneLineError(self, stderr, pattern):
    lines = [line for line in stderr.splitlines() if line.strip()]
    self.assertLen(lines, 1, msg=stderr)
    self.assertRegex(lines[0], f"^hub_repro: error: .*{pattern}")
    self.assertNotIn("Traceback", stderr)

  def test_reproduced_is_0_and_json_has_the_fields(self):
    path = os.path.join(self.get_temp_dir(), "out.json")
    code, out, _ = run_cli("--handle", testutil.GOOGLE_MODULE, "--max-seq-length", "16",
                           "--json", path)
    self.assertEqual(code, cli.EXIT_REPRODUCED)
    self.assertIn("Verdict: REPRODUCED", out)
    with open(path) as f:
      record = json.load(f)
    self.assertContainsSubset(
        {"handle", "format", "hidden_size", "num_examples", "pooler", "pooled_vs_cls",
         "pooled_vs_rebuilt", "tolerance", "reproduced"}, set(record))
    self.assertEqual(record["format"], "tf1-hub")
    self.assertEqual(record["pooler"]["kernel"], "bert/pooler/dense/kernel")
    self.assertEqual((record["pooled_is"], record["pooler"]["activation"]), ("pooler", "tanh"))
    self.assertTrue(record["reproduced"])
    self.assertLessEqual(record["pooled_vs_rebuilt"]["max_abs_diff"], record["tolerance"])

  def test_not_reproduced_is_1(self):
    path = fake_modules.export(fake_modules.MeanPooledEncoder, testutil.random_weights(seed=5),
                               os.path.join(self.get_temp_dir(), "mean"))
    json_path = os.path.join(self.get_temp_dir(), "mean.json")
    code, out, _ = run_cli("--handle", path, "--max-seq-length", "16", "--json", json_path)
    self.assertEqual(code, cli.EXIT_NOT_REPRODUCED)
    self.assertIn("Verdict: NOT REPRODUCED", out)
    with open(json_path) as f:
      record = json.load(f)
    self.assertFalse(record["reproduced"])
    self.assertEqual((record["pooled_is"], record["verdict"]), ("unexplained", "NOT REPRODUCED"))

  def test_no_pooler_is_3(self):
    path = fake_modules.export(fake_modules.RenamedMeanPooledEncoder,
                               testutil.random_weights(seed=6),
                               os.path.join(self.get_temp_dir(), "nopooler"))
    json_path = os.path.join(self.get_temp_dir(), "nopooler.json")
    code, out, err = run_cli("--handle", path, "--max-seq-length", "16", "--json", json_path)
    self.assertEqual(code, cli.EXIT_NO_POOLER)
    self.assertOneLineError(err, "no pooler explains pooled_output")
    self.assertLen(re.findall(r"/kernel", err), 1)  # the nearest candidate, not the list
    self.assertIn("Verdict: UNEXPLAINED", out)
    self.assertEqual(out.splitlines()[-1], f"wrote {json_path}")
    with open(json_path) as f:
      record = json.load(f)
    self.assertEqual((record["pooled_is"], record["verdict"]), ("unexplained", "NO POOLER"))
    self.assertIn("head/projection/kernel", {c["kernel"] for c in record["pooler"]["candidates"]})

  def test_no_pooled_output_is_3(self):
    from hub_repro import module
    from hub_repro.sources.google_checkpoint import ModelingSource
    weights = fake_modules.without_pooler(testutil.random_weights(seed=6))
    source = ModelingSource.from_params(weights.params, weights.config, handle="no-pooler",
                                        vocab_file=testutil.VOCAB)
    json_path = os.path.join(self.get_temp_dir(), "none.json")
    with mock.patch.object(module, "load", return_value=source):
      code, out, err = run_cli("--max-seq-length", "16", "--json", json_path)
    self.assertEqual(code, cli.EXIT_NO_POOLER)
    self.assertOneLineError(err, "no-pooler has no pooled_output")
    self.assertIn("This model has no pooled_output", out)
    with open(json_path) as f:
      self.assertEqual(json.load(f)["pooled_is"], "none")

  @parameterized.named_parameters(
      ("identity_pooler", fake_modules.ModelingNamedEncoder, fake_modules.identity_pooler,
       "identity_pooler"),
      ("cls", fake_modules.ClsPooledEncoder, lambda w: w, "cls"))
  def test_explained_without_a_trained_pooler_is_0(self, encoder_class, change, pooled_is):
    path = fake_modules.export(encoder_class, change(testutil.random_weights(seed=6)),
                               os.path.join(self.get_temp_dir(), pooled_is))
    json_path = os.path.join(self.get_temp_dir(), f"{pooled_is}.json")
    code, out, _ = run_cli("--handle", path, "--max-seq-length", "16", "--json", json_path)
    self.assertEqual(code, cli.EXIT_REPRODUCED)
    self.assertIn(f"pooled_is: {pooled_is}", out)
    with open(json_path) as f:
      self.assertEqual(json.load(f)["pooled_is"], pooled_is)

  def test_missing_handle(self):
    code, _, err = run_cli("--handle", os.path.join(self.get_temp_dir(), "nope"))
    self.assertEqual(code, cli.EXIT_BAD_INPUT)
    self.assertOneLineError(err, "does not exist; expected a module folder")

  def test_folder_that_is_not_a_model(self):
    # tests/fixtures holds a bert_config.json and a vocab.txt, but no weights of any format (a
    # google-research checkpoint folder is a model since hub_repro.sources).
    code, _, err = run_cli("--handle", testutil.FIXTURES)
    self.assertEqual(code, cli.EXIT_BAD_INPUT)
    self.assertOneLineError(err, "is not a BERT model folder of any known format")

  def test_closed_port(self):
    code, _, err = run_cli("--handle", f"http://127.0.0.1:{testutil.closed_port()}/m/1")
    self.assertEqual(code, cli.EXIT_BAD_INPUT)
    self.assertOneLineError(err, "did not answer")

  @parameterized.named_parameters(
      ("missing", None, "does not exist"),
      ("empty", b"\n  \n", "is empty"),
      ("not_utf8", b"hello world\nfine\ncaf\xe9 au lait\n", "line 3 is not UTF-8"),
      ("three_fields", b"a\tb\tc\n", "line 1 has 3 tab-separated fields"))
  def test_bad_text_file(self, content, pattern):
    path = os.path.join(self.get_temp_dir(), "text.txt")
    if content is not None:
      with open(path, "wb") as f:
        f.write(content)
    code, _, err = run_cli("--handle", testutil.GOOGLE_MODULE, "--text-file", path)
    self.assertEqual(code, cli.EXIT_BAD_INPUT)
    self.assertOneLineError(err, pattern)

  def test_text_file_with_pairs(self):
    path = os.path.join(self.get_temp_dir(), "pairs.txt")
    with open(path, "w") as f:
      f.write("hello world\tthis is a test\nthe first token\n")
    code, out, _ = run_cli("--handle", testutil.GOOGLE_MODULE, "--text-file", path,
                           "--max-seq-length", "16")
    self.assertEqual(code, cli.EXIT_REPRODUCED)
    self.assertIn("2 examples", out)

  @parameterized.named_parameters(
      ("below_3", "2", r"--max-seq-length 2 is below 3"),
      ("above_positions", "65", r"--max-seq-length 65 is above the model's 64 position "
                                r"embeddings"))
  def test_bad_max_seq_length(self, value, pattern):
    code, _, err = run_cli("--handle", testutil.GOOGLE_MODULE, "--max-seq-length", value)
    self.assertEqual(code, cli.EXIT_BAD_INPUT)
    self.assertOneLineError(err, pattern)

  def test_truncation_is_reported(self):
    code, out, _ = run_cli("--handle", testutil.GOOGLE_MODULE, "--max-seq-length", "6",
                           "the first token is cls and this is a test", "hello")
    self.assertEqual(code, cli.EXIT_REPRODUCED)
    self.assertIn("1 truncated", out)

  def test_plot_writes_a_png(self):
    path = os.path.join(self.get_temp_dir(), "figure.png")
    code, _, _ = run_cli("--handle", testutil.GOOGLE_MODULE, "--max-seq-length", "16",
                         "--plot", path)
    self.assertEqual(code, cli.EXIT_REPRODUCED)
    with open(path, "rb") as f:
      self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")

  def test_debug_shows_the_traceback_and_keeps_exit_2(self):
    code, _, err = run_cli("--debug", "--handle", os.path.join(self.get_temp_dir(), "nope"))
    self.assertEqual(code, cli.EXIT_BAD_INPUT)
    self.assertIn("Traceback (most recent call last)", err)
    self.assertRegex(err, r"\.HandleError: .*does not exist")
    self.assertRegex(err.splitlines()[-1], "^hub_repro: error: .*does not exist")

  def test_json_and_plot_paths_are_printed(self):
    json_path = os.path.join(self.get_temp_dir(), "printed.json")
    png_path = os.path.join(self.get_temp_dir(), "printed.png")
    code, out, _ = run_cli("--handle", testutil.GOOGLE_MODULE, "--max-seq-length", "16",
                           "--json", json_path, "--plot", png_path)
    self.assertEqual(code, cli.EXIT_REPRODUCED)
    self.assertEqual(out.splitlines()[-2:], [f"wrote {png_path}", f"wrote {json_path}"])


def _boom(*args, **kwargs):
  raise RuntimeError("boom: an unexpected failure")


class InternalErrorTest(parameterized.TestCase, tf.test.TestCase):
  """An unexpected exception is exit 4 with one line, in every command; never 1."""

  def _args(self, command):
    return {
        "check": ["--handle", testutil.GOOGLE_MODULE, "--max-seq-length", "16"],
        "export": ["export", "--from", "google-checkpoint", testutil.GOOGLE_CHECKPOINT,
                   "--format", "tf1-hub", "--out", os.path.join(self.get_temp_dir(), "out")],
        "crosscheck": ["crosscheck", "--handle", testutil.GOOGLE_MODULE, "--max-seq-length", "16"],
    }[command]

  def _patch(self, command, side_effect):
    from hub_repro import compare, crosscheck, export
    target = {"check": (compare, "check"), "export": (export, "read_weights"),
              "crosscheck": (crosscheck, "crosscheck")}[command]
    return mock.patch.object(*target, side_effect=side_effect)

  @parameterized.named_parameters(
      ("check", "check", "hub_repro"), ("export", "export", "hub_repro export"),
      ("crosscheck", "crosscheck", "hub_repro crosscheck"))
  def test_unexpected_exception_is_4_with_one_line(self, command, prog):
    with self._patch(command, _boom):
      code, _, err = run_cli(*self._args(command))
    self.assertEqual(code, cli.EXIT_INTERNAL)
    self.assertEqual(err.strip().splitlines(),
                     [f"{prog}: internal error: RuntimeError: boom: an unexpected failure "
                      "(rerun with --debug for the traceback)"])

  @parameterized.named_parameters(("check", "check"), ("export", "export"),
                                  ("crosscheck", "crosscheck"))
  def test_debug_prints_the_traceback_and_keeps_4(self, command):
    with self._patch(command, _boom):
      code, _, err = run_cli(*self._args(command), "--debug")
    self.assertEqual(code, cli.EXIT_INTERNAL)
    self.assertIn("Traceback (most recent call last)", err)
    self.assertIn("RuntimeError: boom", err)

  @parameterized.named_parameters(("check", "check"), ("export", "export"),
                                  ("crosscheck", "crosscheck"))
  def test_bad_input_with_debug_stays_2(self, command):
    with self._patch(command, errors.InputError("bad input: expected something else")):
      code, _, err = run_cli(*self._args(command), "--debug")
    self.assertEqual(code, cli.EXIT_BAD_INPUT)
    self.assertIn("Traceback (most recent call last)", err)
    self.assertRegex(err.splitlines()[-1], "error: bad input: expected something else$")

  @parameterized.named_parameters(("check", "check"), ("crosscheck", "crosscheck"))
  def test_sigterm_that_a_library_turned_into_another_exception_is_still_143(self, command):
    # pybind11 raised "RuntimeError: pybind11::error_already_set: MISMATCH of original and
    # normalized active exception types: ORIGINAL InvalidArgumentError REPLACED BY Terminated"
    # when SIGTERM's Terminated came while it handled TensorFlow's error (seen in
    # tests/test_signals.py once): exit 143, not 4.
    import signal

    def sigterm_turned_into_runtime_error(*args, **kwargs):
      try:
        os.kill(os.getpid(), signal.SIGTERM)  # cli.sigterm_raises' handler raises Terminated
        signal.sigtimedwait([], 5)  # never reached: a bound on the wait if no handler ran
      except KeyboardInterrupt as e:
        raise RuntimeError(f"pybind11::error_already_set: MISMATCH of original and normalized "
                           f"active exception types: REPLACED BY {type(e).__name__}") from None
      raise AssertionError("SIGTERM raised nothing")

    with self._patch(command, sigterm_turned_into_runtime_error):
      code, _, err = run_cli(*self._args(command))
    self.assertEqual(code, cli.EXIT_SIGTERM, msg=err)
    prog = "hub_repro" if command == "check" else f"hub_repro {command}"
    self.assertEqual(err.strip().splitlines()[-1],
                     f"{prog}: terminated (SIGTERM); no partial output was left")

  def test_key_error_is_internal_not_bad_input(self):
    with self._patch("check", KeyError("pooled_output")):
      code, _, err = run_cli(*self._args("check"))
    self.assertEqual(code, cli.EXIT_INTERNAL)
    self.assertIn("internal error: KeyError: 'pooled_output'", err)

  def test_multi_line_message_is_one_line(self):
    with self._patch("check", TypeError("first line\n  second line\n\nthird")):
      code, _, err = run_cli(*self._args("check"))
    self.assertEqual(code, cli.EXIT_INTERNAL)
    self.assertEqual(len(err.strip().splitlines()), 1, msg=err)
    self.assertIn("TypeError: first line second line third", err)

  def test_keyboard_interrupt_is_130_not_1(self):
    with self._patch("check", KeyboardInterrupt()):
      code, _, err = run_cli(*self._args("check"))
    self.assertEqual(code, cli.EXIT_SIGINT)
    self.assertIn("interrupted (SIGINT)", err)

  @parameterized.named_parameters(
      ("input_error", errors.InputError("x"), cli.EXIT_BAD_INPUT),
      ("usage_error", errors.UsageError("x"), cli.EXIT_BAD_INPUT),
      ("handle_error", errors.HandleError("x"), cli.EXIT_BAD_INPUT),
      ("weights_error", errors.WeightsError("x"), cli.EXIT_BAD_INPUT),
      ("config_error", errors.ConfigError("x"), cli.EXIT_BAD_INPUT),
      ("unsafe_model", errors.UnsafeModelError("x"), cli.EXIT_BAD_INPUT),
      ("embedded_model", errors.EmbeddedModelError("x"), cli.EXIT_BAD_INPUT),
      ("no_pooler", errors.NoPoolerError("x"), cli.EXIT_NO_POOLER),
      # Exceptions hub_repro did not raise as bad input are bugs, wherever they come from.
      ("value_error", ValueError("x"), cli.EXIT_INTERNAL),
      ("file_not_found", FileNotFoundError("x"), cli.EXIT_INTERNAL),
      ("permission", PermissionError("x"), cli.EXIT_INTERNAL),
      ("key_error", KeyError("x"), cli.EXIT_INTERNAL),
      ("type_error", TypeError("x"), cli.EXIT_INTERNAL),
      ("runtime_error", RuntimeError("x"), cli.EXIT_INTERNAL),
      ("os_error", OSError(28, "No space left on device"), cli.EXIT_INTERNAL))
  def test_exit_code_table(self, error, expected):
    self.assertEqual(errors.exit_code(error), expected)

  @parameterized.named_parameters(
      ("check", ["--handle", testutil.GOOGLE_MODULE], "hub_repro.pooler.explain", "hub_repro"),
      ("diff", ["diff", testutil.GOOGLE_MODULE, testutil.GOOGLE_MODULE],
       "hub_repro.model_diff._masked_max", "hub_repro diff"),
      ("crosscheck", ["crosscheck", "--handle", testutil.GOOGLE_MODULE],
       "hub_repro.full.masked_max_abs", "hub_repro crosscheck"))
  def test_a_value_error_inside_a_check_is_internal_not_bad_input(self, argv, target, prog):
    # What numpy raises on outputs of two widths: a bug of the check that let them meet.
    broadcast = ValueError("operands could not be broadcast together with shapes (1,64) (1,48)")
    with mock.patch(target, side_effect=broadcast):
      code, _, err = run_cli(*argv, "--max-seq-length", "16")
    self.assertEqual(code, cli.EXIT_INTERNAL, msg=err)
    self.assertEqual(err.strip().splitlines()[-1],
                     f"{prog}: internal error: ValueError: {broadcast} (rerun with --debug for "
                     "the traceback)")


HELP_WITHOUT_TENSORFLOW = """\
import contextlib, io, sys
from hub_repro import cli
out = io.StringIO()
with contextlib.redirect_stdout(out):
  code = cli.main(sys.argv[1:])
print(code, "tensorflow" in sys.modules)
print(out.getvalue())
"""


class SubcommandTest(parameterized.TestCase, tf.test.TestCase):

  def _help(self, *argv):
    """Runs `hub_repro ARGV` in a fresh process; returns (exit code, TF imported?, stdout)."""
    result = subprocess.run([sys.executable, "-c", HELP_WITHOUT_TENSORFLOW, *argv],
                            capture_output=True, text=True, timeout=120, cwd=REPO)
    self.assertEqual(result.returncode, 0, msg=result.stderr)
    status, _, out = result.stdout.partition("\n")
    code, imported = status.split()
    return int(code), imported == "True", out

  def test_help_lists_the_commands_and_exit_codes_before_tensorflow(self):
    code, imported, out = self._help("--help")
    self.assertEqual(code, 0)
    self.assertFalse(imported, "--help imported TensorFlow")
    for name in cli.COMMANDS:
      self.assertRegex(out, rf"\n    {name}\b")
    for code_line in ("0 ", "1 ", "2 ", "3 ", "4 "):
      self.assertRegex(out, rf"\n  {code_line}")
    self.assertIn("rerun with --debug", out)

  def test_each_command_help_before_tensorflow(self):
    for name in cli.COMMANDS:
      code, imported, out = self._help(name, "--help")
      self.assertEqual(code, 0, msg=name)
      self.assertFalse(imported, f"{name} --help imported TensorFlow")
      self.assertIn(f"usage: hub_repro {name}", out)
      self.assertIn("exit codes:", out)

  @parameterized.named_parameters(("check", "check"), ("crosscheck", "crosscheck"))
  def test_commands_that_read_text_share_the_input_arguments(self, name):
    args = cli.parse_args([name, "a", "b|||c", "--text-file", "f", "--preprocessor", "p",
                           "--max-seq-length", "16", "--batch-size", "3"])
    self.assertEqual((args.sentences, args.text_file, args.preprocessor, args.max_seq_length,
                      args.batch_size), (["a", "b|||c"], "f", "p", 16, 3))


  def test_check_is_the_default_command(self):
    code, out, _ = run_cli("the first token", "--handle", testutil.GOOGLE_MODULE,
                           "--max-seq-length", "16")
    self.assertEqual(code, cli.EXIT_REPRODUCED)
    self.assertIn("1 examples", out)
    code, explicit, _ = run_cli("check", "the first token", "--handle", testutil.GOOGLE_MODULE,
                                "--max-seq-length", "16")
    self.assertEqual(code, cli.EXIT_REPRODUCED)
    self.assertEqual(out, explicit)

  def test_usage_error_is_2(self):
    code, _, err = run_cli("--handle", testutil.GOOGLE_MODULE, "--max-seq-length", "many")
    self.assertEqual(code, cli.EXIT_BAD_INPUT)
    self.assertIn("invalid int value: 'many'", err)

  def test_crosscheck_runs_on_the_shared_inputs(self):
    from hub_repro import crosscheck
    path = os.path.join(self.get_temp_dir(), "pairs.txt")
    with open(path, "w", encoding="utf-8") as f:
      f.write("hello world\tthis is a test\nthe first token\n")
    config = os.path.join(testutil.GOOGLE, "checkpoint", "bert_config.json")
    with mock.patch.object(crosscheck, "crosscheck", wraps=crosscheck.crosscheck) as spy:
      code, out, _ = run_cli("crosscheck", "--handle", testutil.GOOGLE_MODULE, "--config", config,
                             "--text-file", path, "--max-seq-length", "16", "--batch-size", "1")
    self.assertEqual(code, 0, msg=out)
    kwargs = spy.call_args.kwargs
    self.assertEqual(kwargs["examples"], [("hello world", "this is a test"), "the first token"])
    self.assertEqual((kwargs["max_seq_length"], kwargs["batch_size"]), (16, 1))

  def test_crosscheck_tokenizes_with_a_given_preprocessor(self):
    from hub_repro import tokenization
    preprocess = os.path.join(testutil.MODEL_GARDEN, "preprocess")
    with mock.patch.object(tokenization.HubPreprocessor, "tokenize", autospec=True,
                           side_effect=tokenization.HubPreprocessor.tokenize) as spy:
      code, out, err = run_cli("crosscheck", "--handle",
                               os.path.join(testutil.MODEL_GARDEN, "encoder"), "--preprocessor",
                               preprocess, "hello world", "--max-seq-length", "16")
    self.assertEqual(code, 0, msg=out + err)
    self.assertGreater(spy.call_count, 0)  # the text went through the preprocessing model

  def test_crosscheck_bad_preprocessor_is_one_line(self):
    code, _, err = run_cli("crosscheck", "--preprocessor", "/nowhere")
    self.assertEqual(code, cli.EXIT_BAD_INPUT)
    self.assertRegex(err.strip(), "^hub_repro crosscheck: error: /nowhere does not exist")


class DeterminismTest(tf.test.TestCase):

  def test_two_runs_give_bit_identical_json(self):
    texts = []
    for i in range(2):
      path = os.path.join(self.get_temp_dir(), f"run{i}.json")
      self.assertEqual(run_cli("--json", path, "--max-seq-length", "32")[0], 0)
      with open(path) as f:
        texts.append(f.read())
    self.assertEqual(texts[0], texts[1])
    self.assertIn('"handle": "embedded:', texts[0])


@pytest.mark.slow
class ExportCommandTest(tf.test.TestCase):
  """`export` turns Google's checkpoint folder into both formats, and each is reproduced."""

  def test_google_checkpoint_to_both_formats(self):
    for fmt in ("tf1-hub", "tf2"):
      out = os.path.join(self.get_temp_dir(), fmt)
      code, stdout, _ = run_cli("export", "--from", "google-checkpoint",
                                testutil.GOOGLE_CHECKPOINT, "--format", fmt, "--out", out)
      self.assertEqual(code, 0)
      args = (["--handle", out] if fmt == "tf1-hub" else
              ["--handle", os.path.join(out, "encoder"),
               "--preprocessor", os.path.join(out, "preprocess")])
      code, report, _ = run_cli(*args, "--max-seq-length", "16")
      self.assertEqual(code, cli.EXIT_REPRODUCED, msg=report)

  def test_model_garden_module_to_tf1_and_hugging_face_folder_to_tf2(self):
    from test_weights import save_hf_folder
    hf = save_hf_folder(testutil.random_weights(seed=8), os.path.join(self.get_temp_dir(), "hf"))
    sources = [("hub", os.path.join(testutil.MODEL_GARDEN, "encoder"), "tf1-hub"),
               ("huggingface", hf, "tf2")]
    for source, path, fmt in sources:
      out = os.path.join(self.get_temp_dir(), f"{source}-{fmt}")
      self.assertEqual(run_cli("export", "--from", source, path, "--format", fmt,
                               "--out", out)[0], 0)
      handle = out if fmt == "tf1-hub" else os.path.join(out, "encoder")
      code, report, _ = run_cli("--handle", handle, "--max-seq-length", "16", "--full")
      self.assertEqual(code, cli.EXIT_REPRODUCED, msg=report)
      self.assertIn("Full verdict: REPRODUCED", report)

  def test_existing_out_is_refused(self):
    code, _, err = run_cli("export", "--from", "google-checkpoint", testutil.GOOGLE_CHECKPOINT,
                           "--format", "tf1-hub", "--out", self.get_temp_dir())
    self.assertEqual(code, cli.EXIT_BAD_INPUT)
    self.assertIn("exists; choose another --out", err)


class ArgumentOrderTest(parameterized.TestCase):
  """Every command takes its options and positional arguments in any order (intermixed parsing),
  and a usage error prints that command's usage line."""

  @parameterized.named_parameters(
      ("check", ["check"], []),
      ("default_command", [], []),
      ("crosscheck", ["crosscheck"], []),
      ("diff", ["diff"], ["A", "B"]))
  def test_options_between_sentences(self, command, models):
    before = cli.parse_args([*command, *models, "--json", "out.json", "one", "two|||three"])
    mixed = cli.parse_args([*command, *models, "one", "--json", "out.json", "two|||three"])
    after = cli.parse_args([*command, *models, "one", "two|||three", "--json", "out.json"])
    for args in (before, mixed, after):
      self.assertEqual(args.sentences, ["one", "two|||three"])
      self.assertEqual(args.json, "out.json")
      if models:
        self.assertEqual((args.a, args.b), ("A", "B"))

  def test_diff_options_before_the_models(self):
    args = cli.parse_args(["diff", "--max-seq-length", "16", "A", "--json", "x.json", "B", "s"])
    self.assertEqual((args.a, args.b, args.sentences, args.max_seq_length, args.json),
                     ("A", "B", ["s"], 16, "x.json"))

  def test_export_options_after_the_path(self):
    args = cli.parse_args(["export", "ckpt", "--from", "google-checkpoint", "--format", "tf1-hub",
                           "--out", "o"])
    self.assertEqual((args.path, args.source, args.format, args.out),
                     ("ckpt", "google-checkpoint", "tf1-hub", "o"))

  @parameterized.named_parameters(
      ("check", ["check", "--max-seq-length", "many"], "hub_repro check"),
      ("crosscheck", ["crosscheck", "--batch-size", "x"], "hub_repro crosscheck"),
      ("diff", ["diff", "only_a", "--nope"], "hub_repro diff"),
      ("export", ["export", "p", "--format", "zip"], "hub_repro export"))
  def test_a_usage_error_prints_the_commands_usage(self, argv, prog):
    code, _, err = run_cli(*argv)
    self.assertEqual(code, cli.EXIT_BAD_INPUT)
    self.assertRegex(err, rf"^usage: {prog} ")
    self.assertRegex(err.strip().splitlines()[-1], rf"^{prog}: error: ")

  def test_default_command_errors_name_check(self):
    code, _, err = run_cli("--batch-size", "x")
    self.assertEqual(code, cli.EXIT_BAD_INPUT)
    self.assertRegex(err, "^usage: hub_repro check ")


class DefaultLengthTest(tf.test.TestCase):
  """Without --max-seq-length: 128, or the model's position count where that is smaller."""

  def test_a_model_with_64_positions_packs_to_64_and_says_why(self):
    path = os.path.join(self.get_temp_dir(), "out.json")
    code, out, err = run_cli("--handle", testutil.GOOGLE_MODULE, "--json", path)  # 64 positions
    self.assertEqual(code, cli.EXIT_REPRODUCED, msg=err)
    self.assertIn("max_seq_length 64: the model's position embeddings", out)
    with open(path) as f:
      record = json.load(f)
    self.assertEqual((record["max_seq_length"], record["max_seq_length_from"]),
                     (64, "the model's position embeddings"))

  def test_diff_without_a_length_takes_the_smaller_model(self):
    from hub_repro import model_diff
    record = model_diff.diff(testutil.GOOGLE_MODULE, testutil.GOOGLE_CHECKPOINT, ["hello world"],
                       log=lambda _: None)
    self.assertEqual((record["max_seq_length"], record["max_seq_length_from"]),
                     (64, "the model's position embeddings"))

  def test_the_default_and_an_explicit_value(self):
    from hub_repro import compare
    self.assertEqual(compare.sequence_length(None, 512), (128, "the default"))
    self.assertEqual(compare.sequence_length(None, None), (128, "the default"))
    self.assertEqual(compare.sequence_length(32, 64), (32, "as given"))
    with self.assertRaisesRegex(ValueError, "--max-seq-length 65 is above the model's 64"):
      compare.sequence_length(65, 64)


class OutputPathTest(parameterized.TestCase, tf.test.TestCase):
  """--json and --plot are checked before any model loads."""

  def _no_load(self):
    from hub_repro import module
    return mock.patch.object(module, "load", side_effect=AssertionError("the model was loaded"))

  @parameterized.named_parameters(
      ("check_json", ["check"], "--json"), ("check_plot", ["check"], "--plot"),
      ("diff_json", ["diff", "A", "B"], "--json"), ("crosscheck_json", ["crosscheck"], "--json"))
  def test_a_path_under_a_regular_file_is_2_at_once(self, command, option):
    regular = os.path.join(self.get_temp_dir(), "a_file")
    with open(regular, "w") as f:
      f.write("x")
    with self._no_load():
      code, _, err = run_cli(*command, option, os.path.join(regular, "sub", "out"))
    self.assertEqual(code, cli.EXIT_BAD_INPUT, msg=err)
    self.assertIn(f"{regular} is a file, not a folder", err)

  def test_a_path_that_is_a_folder_is_2_at_once(self):
    with self._no_load():
      code, _, err = run_cli("--json", self.get_temp_dir())
    self.assertEqual(code, cli.EXIT_BAD_INPUT)
    self.assertIn("is a folder; expected a file name", err)

  def test_missing_folders_are_created_once_the_results_exist(self):
    folder = os.path.join(self.get_temp_dir(), "new", "deeper")
    code, out, err = run_cli("--handle", testutil.GOOGLE_MODULE, "--max-seq-length", "16",
                             "--json", os.path.join(folder, "out.json"),
                             "--plot", os.path.join(folder, "out.png"))
    self.assertEqual(code, cli.EXIT_REPRODUCED, msg=err)
    self.assertEqual(sorted(os.listdir(folder)), ["out.json", "out.png"])
    self.assertIn(f"wrote {os.path.join(folder, 'out.json')}", out)


if __name__ == "__main__":
  tf.test.main()
