"""Every BERT a user holds is a handle: each format is recognised by its files, computed by its own
framework, and reproduced (the pooler, and the whole encoder with --full)."""

import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from hub_repro import cli, compare, embedded, module, tolerances
from hub_repro.sources import huggingface
import testutil

KERAS_HUB = os.path.join(testutil.FIXTURES, "keras_hub_preset")
HF_TOKENIZER_JSON = os.path.join(testutil.FIXTURES, "hf_bert_tokenizer_json")
HF_HEAD16 = os.path.join(testutil.FIXTURES, "hf_bert_head16_gelu_new")
HAS_TORCH = huggingface.why_no_torch() is None

# (name, folder, JSON format, who computes it)
FORMATS = [
    ("keras_hub_preset", KERAS_HUB, "keras-hub", "keras-hub BertBackbone"),
    ("hf_tokenizer_json_only", HF_TOKENIZER_JSON, "huggingface", "transformers BertModel"),
    ("hf_head_size_16_gelu_new", HF_HEAD16, "huggingface", "transformers BertModel"),
    ("google_checkpoint", testutil.GOOGLE_CHECKPOINT, "google-checkpoint", "hub_repro.families.bert.modeling"),
    ("google_tf1_module", testutil.GOOGLE_MODULE, "tf1-hub", "TensorFlow"),
    ("model_garden_tf2", os.path.join(testutil.MODEL_GARDEN, "encoder"), "tf2-savedmodel",
     "TensorFlow"),
]


run_cli = testutil.run_cli


def golden(folder: str) -> dict:
  with open(os.path.join(folder, "golden.json"), encoding="utf-8") as f:
    return json.load(f)


class FormatsTest(tf.test.TestCase, parameterized.TestCase):

  def setUp(self):
    super().setUp()
    if not HAS_TORCH and "hf_" in self._testMethodName:
      self.skipTest(f"PyTorch is missing: {huggingface.TORCH_HINT}")

  @parameterized.named_parameters(*FORMATS)
  def test_cli_reproduces_pooler_and_whole_encoder(self, folder, fmt, framework):
    path = os.path.join(self.get_temp_dir(), "out.json")
    code, out, err = run_cli("--handle", folder, "--full", "--max-seq-length", "32",
                             "--json", path)
    self.assertEqual(code, cli.EXIT_REPRODUCED, out + err)
    with open(path, encoding="utf-8") as f:
      record = json.load(f)
    self.assertEqual(record["format"], fmt)
    self.assertIn(framework, record["framework"])
    self.assertIn(framework, out)  # the report says who computed the outputs
    # float32 rounding of one tanh(dense): see tolerances.POOLER_TOLERANCE.
    self.assertLessEqual(record["pooled_vs_rebuilt"]["max_abs_diff"], 1e-5)
    self.assertGreater(record["pooled_vs_cls"]["max_abs_diff"], 0.1)
    self.assertLessEqual(record["sequence_vs_rebuilt"]["max_abs_diff"], tolerances.FULL_TOLERANCE)
    self.assertTrue(record["full"]["reproduced"])

  @parameterized.named_parameters(*[f for f in FORMATS if f[2] in ("keras-hub", "huggingface")])
  def test_own_tokenizer_and_framework_match_the_toolchains_numbers(self, folder, fmt, framework):
    """The ids and outputs the toolchain itself recorded when it saved the fixture."""
    expected = golden(folder)
    source = module.load(folder)
    sentences = [tuple(s) if isinstance(s, list) else s for s in expected["sentences"]]
    packed = source.tokenizer().encode([s for s in sentences if isinstance(s, str)],
                                       expected["max_seq_length"])
    singles = len(packed.input_ids)
    self.assertAllEqual(packed.input_ids, np.asarray(expected["inputs"]["input_ids"])[:singles])
    inputs = [np.asarray(expected["inputs"][k]) for k in ("input_ids", "input_mask",
                                                          "segment_ids")]
    out = source.run(*inputs, layers=True)
    # The same framework on the same CPU: bit-exact or a few ulps (oneDNN's blocking), 1e-5.
    self.assertAllClose(out["pooled_output"], expected["pooled_output"], atol=1e-5, rtol=0)
    self.assertAllClose(out["sequence_output"], expected["sequence_output"], atol=1e-5, rtol=0)
    self.assertLen(out["encoder_outputs"], len(expected["hidden_states"]) - 1)
    self.assertAllClose(out["encoder_outputs"][0], expected["hidden_states"][1], atol=1e-5, rtol=0)

  def test_config_is_read_from_each_format(self):
    if not HAS_TORCH:
      self.skipTest(f"PyTorch is missing: {huggingface.TORCH_HINT}")
    head16 = module.load(HF_HEAD16).config()
    self.assertEqual((head16.num_attention_heads, head16.size_per_head, head16.hidden_act),
                     (3, 16, "gelu"))  # Hugging Face's gelu_new is modeling.py's tanh gelu
    self.assertEqual(module.load(HF_TOKENIZER_JSON).config().hidden_act, "gelu_exact")
    self.assertEqual(module.load(KERAS_HUB).config().num_attention_heads, 4)

  def test_tokenizer_json_only_folder(self):
    if not HAS_TORCH:
      self.skipTest(f"PyTorch is missing: {huggingface.TORCH_HINT}")
    self.assertFalse(os.path.exists(os.path.join(HF_TOKENIZER_JSON, "vocab.txt")))
    source = module.load(HF_TOKENIZER_JSON)
    with open(testutil.VOCAB, encoding="utf-8") as f:
      expected = f.read().split()
    with open(source.vocab_file, encoding="utf-8") as f:
      self.assertEqual(f.read().split(), expected)

  def test_embedded_models_own_hugging_face_folder(self):
    if not HAS_TORCH:
      self.skipTest(f"PyTorch is missing: {huggingface.TORCH_HINT}")
    source = module.load(embedded.model_dir())
    self.assertEqual(source.format, "huggingface")
    result = compare.check(source, testutil.SENTENCES, max_seq_length=32)
    self.assertTrue(result.reproduced)

  def test_unknown_folder_names_every_format(self):
    empty = tempfile.mkdtemp(dir=self.get_temp_dir())
    open(os.path.join(empty, "weights.bin"), "wb").close()
    code, _, err = run_cli("--handle", empty)
    self.assertEqual(code, cli.EXIT_BAD_INPUT)
    self.assertIn("not a BERT model folder of any known format", err)
    self.assertIn("keras-hub preset", err)


class VariableValuesTest(tf.test.TestCase):
  """A TF-Hub module's weights are read as views of its variables' buffers, not copied."""

  def test_a_read_is_a_read_only_view_that_keeps_what_it_saw(self):
    from hub_repro.sources import saved_model

    variable = tf.Variable(np.arange(12, dtype=np.float32).reshape(3, 4), name="w")
    values = saved_model.VariableValues([variable])
    read = values["w"]
    self.assertFalse(read.flags.writeable)
    self.assertTrue(np.shares_memory(read, saved_model.numpy_view(variable)))  # one buffer
    self.assertFalse(np.shares_memory(read, variable.numpy()))  # what .numpy() would copy
    variable.assign(tf.zeros([3, 4]))  # TensorFlow writes a new buffer: the read is unchanged
    self.assertAllEqual(read, np.arange(12, dtype=np.float32).reshape(3, 4))
    self.assertAllEqual(saved_model.numpy_view(variable), np.zeros([3, 4]))
    self.assertIs(values["w"], read)  # read once


class SourceTokenizerTest(tf.test.TestCase):

  def test_the_tokenizer_is_made_once_per_vocab_and_casing(self):
    source = module.load(testutil.GOOGLE_MODULE, log=lambda _: None)
    first = source.tokenizer()
    self.assertIs(source.tokenizer(), first)
    source.do_lower_case = not source.do_lower_case  # another casing: another tokenizer
    other = source.tokenizer()
    self.assertIsNot(other, first)
    self.assertEqual(other.encode(["Hello World"], 8).input_ids.shape, (1, 8))


class WithoutTorchTest(tf.test.TestCase):
  """requirements.txt has no PyTorch: a Hugging Face handle then says how to install it."""

  def test_hugging_face_handle_without_torch_exits_2_with_the_pip_command(self):
    blocker = tempfile.mkdtemp(dir=self.get_temp_dir())
    for name in ("torch", "transformers"):  # shadow the installed packages, as if missing
      with open(os.path.join(blocker, f"{name}.py"), "w", encoding="utf-8") as f:
        f.write(f"raise ImportError(\"No module named '{name}'\", name={name!r})\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([blocker, os.getcwd()]))
    proc = subprocess.run([sys.executable, "-m", "hub_repro", "--handle", HF_HEAD16,
                           "--max-seq-length", "16"], capture_output=True, text=True, env=env,
                          timeout=300, check=False)
    self.assertEqual(proc.returncode, cli.EXIT_BAD_INPUT, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.startswith("hub_repro")]
    self.assertLen(lines, 1)
    self.assertIn(huggingface.TORCH_HINT, lines[0])
    self.assertNotIn("Traceback", proc.stderr)


if __name__ == "__main__":
  tf.test.main()


class NothingOfAFolderRunsTest(tf.test.TestCase):
  """A Hugging Face folder is read from model.safetensors only, with transformers' own class for
  its model_type: a pickled weights file or the folder's own modeling code never runs."""

  def setUp(self):
    super().setUp()
    self.outside = os.path.join(self.get_temp_dir(), f"outside_{self._testMethodName}")
    os.makedirs(self.outside, exist_ok=True)
    self.target = os.path.join(self.outside, "written.txt")
    self.folder = os.path.join(self.get_temp_dir(), f"folder_{self._testMethodName}")

  def test_a_pickled_weights_file_is_never_read(self):
    os.makedirs(self.folder)
    source = os.path.join(testutil.FIXTURES, "hf_bert_tokenizer_json")
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json"):
      if os.path.exists(os.path.join(source, name)):
        with open(os.path.join(source, name), "rb") as f, \
            open(os.path.join(self.folder, name), "wb") as g:
          g.write(f.read())
    # A pickle that writes a file when it is loaded, as a malicious pytorch_model.bin can.
    payload = (b"cos\nsystem\n(S'touch " + self.target.encode() + b"'\ntR.")
    with open(os.path.join(self.folder, "pytorch_model.bin"), "wb") as f:
      f.write(payload)
    code, _, err = testutil.run_cli("--handle", self.folder, "hello world", "--max-seq-length", "8")
    self.assertEqual(code, cli.EXIT_BAD_INPUT, err)
    self.assertIn("is not a BERT model folder of any known format", err)
    self.assertEqual(os.listdir(self.outside), [])

  def test_the_folders_own_modeling_code_never_runs(self):
    if huggingface.why_no_torch():
      self.skipTest(f"PyTorch is missing: {huggingface.TORCH_HINT}")
    import shutil

    shutil.copytree(os.path.join(testutil.FIXTURES, "hf_bert_tokenizer_json"), self.folder)
    with open(os.path.join(self.folder, "config.json"), encoding="utf-8") as f:
      config = json.load(f)
    config["auto_map"] = {"AutoModel": "modeling_remote.RemoteModel"}
    with open(os.path.join(self.folder, "config.json"), "w", encoding="utf-8") as f:
      json.dump(config, f)
    with open(os.path.join(self.folder, "modeling_remote.py"), "w", encoding="utf-8") as f:
      f.write(f"open({self.target!r}, 'w').write('remote code ran')\n")
    code, out, err = testutil.run_cli("--handle", self.folder, "hello world",
                                      "--max-seq-length", "8")
    self.assertEqual(code, cli.EXIT_REPRODUCED, out + err)
    self.assertIn("transformers BertModel", out)
    self.assertEqual(os.listdir(self.outside), [])
