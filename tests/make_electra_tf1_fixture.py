"""Build the TF1 Hub ELECTRA fixture in tests/fixtures/electra_tf1/ with Google's own ELECTRA code.

This script builds a *tiny* ELECTRA discriminator encoder as a TF1 Hub-format module, with the
graph code of google-research/electra (``model/modeling.py``, ``BertModel``) wrapped by
``tensorflow_hub.create_module_spec`` the way Google wrapped BERT for its TF1 modules
(tests/make_google_fixture.py): signatures ``tokens`` (pooled_output, sequence_output) and
``tokenization_info`` (vocab_file = tests/fixtures/vocab.txt as an asset, do_lower_case True),
graph variants for tags ``set()`` (is_training=False) and ``{"train"}`` (is_training=True).
Google published no TF1 Hub module of ELECTRA; this is what one built from ELECTRA's own code
looks like.

ELECTRA's code is NOT in this repository. The script reads it, unchanged, from a git mirror of
github.com/google-research/electra at a pinned commit (``git show COMMIT:model/modeling.py`` and
``model/tokenization.py`` into a temporary folder, checked against their git blob ids) and imports
it from there:

    commit           8a46635f32083ada044d7e9ad09604742600ee7b  (2021-03-31, the repo's HEAD)
    model/modeling.py     blob b5f670463d24f37187c1954a212ddbc7ec344feb
    model/tokenization.py blob 2684369c9684a0735e9b72f189eb3b3877ddbf13

Pass the mirror's git directory with ``--electra_git_dir`` (default:
/work/.mirror/google-research+electra/repo; any clone of the repo that has the commit works).

Model: ``modeling.BertModel(bert_config, is_training, input_ids, input_mask, token_type_ids,
use_one_hot_embeddings=False, embedding_size=16)`` with the default scope, as ELECTRA's
run_pretraining.py builds its discriminator (``build_transformer`` passes no scope, so the
variables are ``electra/...``); embedding_size 16 < hidden_size 32, so ``electra/embeddings_project``
(a tf.layers.dense 16 -> 32) exists. ELECTRA's BertModel returns ``pooled_output =
sequence_output[:, 0]`` (no pooler weights at all); the module's ``pooled_output`` is that tensor.
ELECTRA's ``gelu`` is the exact erf form (``0.5 * x * (1 + erf(x / sqrt(2)))``), not BERT's tanh
approximation.

It must run in its own, old environment (NOT the project's dev env), the one of
tests/make_albert_tf1_fixture.py:

    python3.11 -m venv /tmp/tf115_venv && /tmp/tf115_venv/bin/pip install \
        tensorflow==2.15.1 tensorflow-hub==0.15.0 tf-slim==1.1.0 albert-tensorflow==1.1 \
        sentencepiece==0.2.3

(this one needs only the first three). Run from the repo root:

    /tmp/tf115_venv/bin/python tests/make_electra_tf1_fixture.py \
        --electra_git_dir /work/.mirror/google-research+electra/repo

Import shim (ELECTRA's file is not edited): modeling.py does ``import tensorflow.compat.v1 as tf``
and ``from tensorflow.contrib import layers as contrib_layers`` (only ``layer_norm``), so
``sys.modules["tensorflow.contrib"]`` is a stand-in module whose ``layers`` is ``tf_slim.layers``,
as in tests/make_google_fixture.py.

Outputs (built in a temporary folder next to the target, then moved into place):

  electra_tf1/module/      the TF1 Hub module (tfhub_module.pb, saved_model.pb, variables/,
                           assets/vocab.txt)
  electra_tf1/golden.json  the module's tokens signature (default tags) on the ids ELECTRA's own
                           FullTokenizer gives testutil.SENTENCES, and every layer's output
                           (BertModel.get_all_encoder_layers) and the embedding output of a plain
                           BertModel restored from module/variables.
  electra_tf1/README.md

Weights: modeling.py's own random init (truncated normal, stddev initializer_range=0.2 instead of
0.02, as the other fixtures) under graph seed 1234; then every bias (embeddings_project's
included) and every LayerNorm beta is overwritten with N(0, 0.1) and every LayerNorm gamma with
1 + 0.1 N(0, 1), drawn from numpy.random.RandomState(1234) in sorted variable-name order.
"""

import os

os.environ.setdefault("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import argparse
import hashlib
import importlib.util
import json
import re
import subprocess
import tempfile

import numpy as np
import tensorflow as tf2
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()

import tensorflow_hub as hub  # noqa: E402
import tf_slim  # noqa: E402
from tensorflow.core.protobuf import saved_model_pb2  # noqa: E402

import fixture_tools  # noqa: E402

fixture_tools.install_tf_contrib(tf_slim.layers)

ELECTRA_COMMIT = "8a46635f32083ada044d7e9ad09604742600ee7b"
ELECTRA_FILES = {"model/modeling.py": "b5f670463d24f37187c1954a212ddbc7ec344feb",
                 "model/tokenization.py": "2684369c9684a0735e9b72f189eb3b3877ddbf13"}
DEFAULT_GIT_DIR = "/work/.mirror/google-research+electra/repo"

SEED = 1234
VOCAB_PATH = os.path.join(fixture_tools.FIXTURES, "vocab.txt")
NAME = "electra_tf1"
OUT_DIR = os.path.join(fixture_tools.FIXTURES, NAME)

CONFIG = dict(vocab_size=109, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
              intermediate_size=64, hidden_act="gelu", hidden_dropout_prob=0.1,
              attention_probs_dropout_prob=0.1, max_position_embeddings=64, type_vocab_size=2,
              initializer_range=0.2)
EMBEDDING_SIZE = 16

MAX_SEQ_LENGTH = 16

PACKAGES = ["tensorflow", "tensorflow-hub", "tf-slim"]


def git_blob_id(data):
  return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def load_electra(git_dir, into):
  """ELECTRA's modeling.py and tokenization.py at ELECTRA_COMMIT, unchanged, as modules."""
  modules = {}
  for path, blob in ELECTRA_FILES.items():
    data = subprocess.run(["git", "--git-dir", git_dir, "show", "%s:%s" % (ELECTRA_COMMIT, path)],
                          check=True, capture_output=True).stdout
    if git_blob_id(data) != blob:
      raise RuntimeError("%s at %s has blob %s, expected %s"
                         % (path, ELECTRA_COMMIT, git_blob_id(data), blob))
    name = "electra_" + os.path.splitext(os.path.basename(path))[0]
    file_path = os.path.join(into, name + ".py")
    with open(file_path, "wb") as f:
      f.write(data)
    spec = importlib.util.spec_from_file_location(name, file_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    modules[path] = module
  return modules["model/modeling.py"], modules["model/tokenization.py"]


def encode(tokenization):
  """testutil.SENTENCES through ELECTRA's own tokenization.FullTokenizer(vocab.txt, lowercase),
  packed as ELECTRA's finetune/classification packs them."""
  tokenizer = tokenization.FullTokenizer(vocab_file=VOCAB_PATH, do_lower_case=True)
  return fixture_tools.pack_tokens(tokenizer.tokenize, tokenizer.convert_tokens_to_ids,
                                   MAX_SEQ_LENGTH)


def build_model(modeling, config, is_training, input_ids, input_mask, segment_ids):
  """ELECTRA's discriminator encoder as run_pretraining.build_transformer builds it."""
  return modeling.BertModel(
      bert_config=config, is_training=is_training, input_ids=input_ids, input_mask=input_mask,
      token_type_ids=segment_ids, use_one_hot_embeddings=False, embedding_size=EMBEDDING_SIZE)


def make_module_fn(modeling, config, vocab_path):
  """module_fn in the style of Google's BERT hub export (tests/make_google_fixture.py)."""

  def module_fn(is_training):
    tf.set_random_seed(SEED)
    input_ids = tf.placeholder(tf.int32, shape=[None, None], name="input_ids")
    input_mask = tf.placeholder(tf.int32, shape=[None, None], name="input_mask")
    segment_ids = tf.placeholder(tf.int32, shape=[None, None], name="segment_ids")
    model = build_model(modeling, config, is_training, input_ids, input_mask, segment_ids)
    hub.add_signature(
        "tokens",
        inputs=dict(input_ids=input_ids, input_mask=input_mask, segment_ids=segment_ids),
        outputs=dict(pooled_output=model.get_pooled_output(),
                     sequence_output=model.get_sequence_output()))
    vocab_file = tf.constant(vocab_path, name="vocab_file")
    tf.add_to_collection(tf.GraphKeys.ASSET_FILEPATHS, vocab_file)
    do_lower_case = tf.constant(True, name="do_lower_case")
    hub.add_signature(
        "tokenization_info",
        inputs={},
        outputs=dict(vocab_file=vocab_file, do_lower_case=do_lower_case))

  return module_fn


def randomize_biases_and_layer_norms(variable_map, session):
  """Overwrite zeros/ones init of biases and LayerNorm params (see docstring)."""
  rng = np.random.RandomState(SEED)
  changed = []
  for name in sorted(variable_map):
    var = variable_map[name]
    shape = var.shape.as_list()
    layer_norm = re.search(r"/LayerNorm(_\d+)?/(beta|gamma)$", name)
    if name.endswith("/bias") or (layer_norm and layer_norm.group(2) == "beta"):
      value = rng.normal(0.0, 0.1, size=shape)
    elif layer_norm:
      value = 1.0 + 0.1 * rng.normal(0.0, 1.0, size=shape)
    else:
      continue
    var.load(value.astype(np.float32), session)
    changed.append(name)
  return changed


def run_module(module_dir, inputs, tags=None):
  with tf.Graph().as_default():
    m = hub.Module(module_dir, tags=tags)
    feeds = {k: tf.constant(v, tf.int32) for k, v in inputs.items()}
    out = m(feeds, signature="tokens", as_dict=True)
    info = m(signature="tokenization_info", as_dict=True)
    with tf.Session() as sess:
      sess.run(tf.global_variables_initializer())
      return sess.run(out), sess.run(info), m.get_signature_names(), sorted(m.variable_map)


def run_plain(modeling, config, module_dir, inputs):
  """A plain BertModel restored from module/variables: every layer's output."""
  with tf.Graph().as_default():
    model = build_model(modeling, config, False, tf.constant(inputs["input_ids"], tf.int32),
                        tf.constant(inputs["input_mask"], tf.int32),
                        tf.constant(inputs["segment_ids"], tf.int32))
    with tf.Session() as sess:
      var_list = {v.op.name: v for v in tf.global_variables()}
      tf.train.Saver(var_list=var_list).restore(
          sess, os.path.join(module_dir, "variables", "variables"))
      return sess.run({"pooled_output": model.get_pooled_output(),
                       "sequence_output": model.get_sequence_output(),
                       "embedding_output": model.get_embedding_output(),
                       "all_encoder_layers": model.get_all_encoder_layers()})


README = """\
# electra_tf1: a tiny ELECTRA encoder as a TF1 Hub module, from Google's own ELECTRA code

Golden fixture, generated by `tests/make_electra_tf1_fixture.py`; do not edit by hand. The model
graph is google-research/electra's `model/modeling.py` (`BertModel`) at commit
`{commit}` (read unchanged from a git mirror at run time; not stored in this repository); the
example ids come from the same commit's `model/tokenization.py`. Nothing here was written by
hub_repro.

- `module/`: a TF1 Hub-format module (`tfhub_module.pb`, `saved_model.pb`, `variables/`,
  `assets/vocab.txt`) built with `hub.create_module_spec` like Google's TF1 BERT modules: graph
  variants for tags `set()` (inference) and `{{"train"}}` (dropout on); signatures `tokens` (inputs
  `input_ids`, `input_mask`, `segment_ids`: int32 `[None, None]`; outputs `pooled_output`,
  `sequence_output`) and `tokenization_info` (`vocab_file`, an asset = tests/fixtures/vocab.txt,
  `do_lower_case` True). Google published no TF1 ELECTRA module; TF-Hub's `google/electra_*/2`
  are TF2 SavedModels (see `model_garden_electra/`).
- Variables (ELECTRA's names): `electra/embeddings/{{word,position,token_type}}_embeddings` (width
  16), `electra/embeddings/LayerNorm/*`, `electra/embeddings_project/{{kernel,bias}}` (16 -> 32),
  `electra/encoder/layer_{{0,1}}/...` (BERT's layer names). No pooler variables.
- `golden.json`: see its `schema` key: ids from ELECTRA's FullTokenizer, the module's tokens
  outputs, and from a plain BertModel restored from `module/variables`: `embedding_output` (the
  LayerNorm'd embedding sum, width 16, before `embeddings_project`) and `all_encoder_layers`.

What ELECTRA's code computes for pooled_output: `sequence_output[:, 0]`, the [CLS] state itself
(`self.pooled_output = self.sequence_output[:, 0]` in BertModel); there is no dense or tanh.
golden.json's `pooled_output` is bit-identical to `sequence_output[:, 0]` (checked).

Config: {config}, embedding_size={embedding_size} (a BertModel argument in ELECTRA, not a config
field). `hidden_act="gelu"` is ELECTRA's `modeling.gelu`, the exact erf form.

Weights: modeling.py's random init (graph seed {seed}, initializer_range 0.2); then every bias and
LayerNorm beta set to N(0, 0.1) and every LayerNorm gamma to 1 + 0.1 N(0, 1) (numpy
RandomState({seed}), sorted names).

Regenerate (from the repo root, in a separate venv; the ELECTRA code from any clone that has the
commit):

    python3.11 -m venv /tmp/tf115_venv
    /tmp/tf115_venv/bin/pip install tensorflow==2.15.1 tensorflow-hub==0.15.0 tf-slim==1.1.0
    /tmp/tf115_venv/bin/python tests/make_electra_tf1_fixture.py --electra_git_dir <electra>/.git

Generated with: {versions}.
"""


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--electra_git_dir", default=DEFAULT_GIT_DIR,
                      help="git directory of a google-research/electra clone or mirror")
  args = parser.parse_args()
  tf2.config.threading.set_intra_op_parallelism_threads(1)  # the machine is shared
  tf2.config.threading.set_inter_op_parallelism_threads(1)
  vers = dict(fixture_tools.versions(PACKAGES + ["numpy", "protobuf"]),
              **{"google-research/electra": ELECTRA_COMMIT})
  with (fixture_tools.staged_folder(OUT_DIR) as work,
        tempfile.TemporaryDirectory(prefix="electra_code_") as code_dir):
    modeling, tokenization = load_electra(args.electra_git_dir, code_dir)
    config = modeling.BertConfig.from_dict(CONFIG)
    module_dir = os.path.join(work, "module")
    spec = hub.create_module_spec(
        make_module_fn(modeling, config, VOCAB_PATH),
        tags_and_args=[(set(), {"is_training": False}), ({"train"}, {"is_training": True})])
    with tf.Graph().as_default():
      tf.set_random_seed(SEED)
      m = hub.Module(spec, trainable=True)
      with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        changed = randomize_biases_and_layer_norms(m.variable_map, sess)
        m.export(module_dir, sess)
    fixture_tools.canonicalize_proto_file(os.path.join(module_dir, "saved_model.pb"),
                                          saved_model_pb2.SavedModel)

    inputs = encode(tokenization)
    golden, info, sig_names, var_names = run_module(module_dir, inputs)
    if sorted(sig_names) != ["tokenization_info", "tokens"]:
      raise RuntimeError("signatures %s" % sig_names)
    if "electra/embeddings_project/kernel" not in var_names:
      raise RuntimeError("no electra/embeddings_project in %s" % var_names)
    if any("pooler" in name for name in var_names):
      raise RuntimeError("ELECTRA's BertModel made pooler variables: %s" % var_names)
    if bool(info["do_lower_case"]) is not True:
      raise RuntimeError("do_lower_case is not True")
    vocab_file = info["vocab_file"].decode()
    with open(vocab_file, "rb") as a, open(VOCAB_PATH, "rb") as b:
      if not vocab_file.endswith("assets/vocab.txt") or a.read() != b.read():
        raise RuntimeError("tokenization_info vocab_file %s is not vocab.txt" % vocab_file)
    if not np.array_equal(golden["pooled_output"], golden["sequence_output"][:, 0]):
      raise RuntimeError("pooled_output is not sequence_output[:, 0]")
    train_out, _, _, _ = run_module(module_dir, inputs, tags={"train"})
    if train_out["pooled_output"].shape != golden["pooled_output"].shape:
      raise RuntimeError("the train variant gives other shapes")

    plain = run_plain(modeling, config, module_dir, inputs)
    for key in ("pooled_output", "sequence_output"):
      diff = float(np.max(np.abs(plain[key] - golden[key])))
      print("plain BertModel vs module %s: max abs diff %g" % (key, diff))
      if diff > 1e-6:
        raise RuntimeError("plain model and module disagree on %s: %g" % (key, diff))
    layers = np.asarray(plain["all_encoder_layers"])
    if not np.array_equal(layers[-1], plain["sequence_output"]):
      raise RuntimeError("all_encoder_layers[-1] is not sequence_output")

    fixture_tools.check_no_paths(work, NAME, code_dir)

    golden_json = {
        "schema": {
            "framework": "google-research/electra model/modeling.py BertModel (commit %s) in TF1 "
                         "graph mode (tensorflow.compat.v1), CPU, float32, "
                         "TF_ENABLE_ONEDNN_OPTS=0" % ELECTRA_COMMIT,
            "sentences": fixture_tools.SENTENCES_SCHEMA,
            "inputs": "ELECTRA tokenization.FullTokenizer(vocab.txt, do_lower_case=True), packed "
                      "[CLS] a [SEP] (b [SEP]), padded with 0: int [batch, max_seq_length]",
            "pooled_output": "module signature tokens (default tags): sequence_output[:, 0] "
                             "(ELECTRA has no pooler), float [batch, hidden]",
            "sequence_output": "module signature tokens, float [batch, max_seq_length, hidden]",
            "embedding_output": "BertModel.get_embedding_output(): the LayerNorm'd embedding sum "
                                "(width embedding_size), before electra/embeddings_project",
            "all_encoder_layers": "BertModel.get_all_encoder_layers(): each layer's output, float "
                                  "[num_layers, batch, max_seq_length, hidden]; [-1] == "
                                  "sequence_output",
            "floats": fixture_tools.FLOATS_SCHEMA,
        },
        "framework": "google-research/electra (TF1)",
        "electra_commit": ELECTRA_COMMIT,
        "electra_files": ELECTRA_FILES,
        "config": CONFIG,
        "embedding_size": EMBEDDING_SIZE,
        "sentences": fixture_tools.sentences_as_stored(),
        "max_seq_length": MAX_SEQ_LENGTH,
        "inputs": inputs,
        "pooled_output": fixture_tools.float32_list(golden["pooled_output"]),
        "sequence_output": fixture_tools.float32_list(golden["sequence_output"]),
        "embedding_output": fixture_tools.float32_list(plain["embedding_output"]),
        "all_encoder_layers": fixture_tools.float32_list(layers),
        "variables": var_names,
        "re_randomized_variables": changed,
        "versions": vers,
    }
    fixture_tools.write_json(os.path.join(work, "golden.json"), golden_json)
    fixture_tools.write_text(os.path.join(work, "README.md"), README.format(
        commit=ELECTRA_COMMIT, seed=SEED, embedding_size=EMBEDDING_SIZE,
        config=fixture_tools.call_args(CONFIG), versions=fixture_tools.versions_line(vers)))

  print("\nversions: %s" % json.dumps(vers))
  fixture_tools.print_listing(OUT_DIR, 50)
  for name in var_names:
    print("  %s%s" % (name, "  (re-randomized)" if name in changed else ""))
  print("\ninputs: %s" % json.dumps(inputs["input_ids"]))
  print("pooled_output[0][:4] = %s" % golden_json["pooled_output"][0][:4])


if __name__ == "__main__":
  main()
