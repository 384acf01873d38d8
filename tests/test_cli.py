"""The command line: exit codes, one-line errors, JSON, determinism."""

import contextlib
import io
import json
import os

import tensorflow as tf
from absl.testing import parameterized

from hub_repro import cli
import fake_modules
import testutil


def run_cli(*argv):
  stdout, stderr = io.StringIO(), io.StringIO()
  with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
    code = cli.main(list(argv))
  return code, stdout.getvalue(), stderr.getvalue()


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
      self.assertFalse(json.load(f)["reproduced"])

  def test_no_pooler_is_3(self):
    path = fake_modules.export(fake_modules.RenamedMeanPooledEncoder,
                               testutil.random_weights(seed=6),
                               os.path.join(self.get_temp_dir(), "nopooler"))
    code, _, err = run_cli("--handle", path, "--max-seq-length", "16")
    self.assertEqual(code, cli.EXIT_NO_POOLER)
    self.assertOneLineError(err, "no pooler found.*candidates considered")

  def test_missing_handle(self):
    code, _, err = run_cli("--handle", os.path.join(self.get_temp_dir(), "nope"))
    self.assertEqual(code, cli.EXIT_BAD_INPUT)
    self.assertOneLineError(err, "does not exist; expected a module folder")

  def test_folder_that_is_not_a_module(self):
    code, _, err = run_cli("--handle", testutil.GOOGLE_CHECKPOINT)
    self.assertEqual(code, cli.EXIT_BAD_INPUT)
    self.assertOneLineError(err, "is not a TF-Hub module")

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
      ("above_positions", "65", r"--max-seq-length 65 is above the module's 64 position "
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

  def test_debug_shows_the_traceback(self):
    from hub_repro.module import HandleError  # noqa: PLC0415
    with self.assertRaisesRegex(HandleError, "does not exist"):
      run_cli("--debug", "--handle", os.path.join(self.get_temp_dir(), "nope"))


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
    from test_weights import save_hf_folder  # noqa: PLC0415
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


if __name__ == "__main__":
  tf.test.main()
