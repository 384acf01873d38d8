"""Build the golden "Google-made" TF1 Hub BERT fixture in tests/fixtures/google_tf1/.

This script builds a *tiny* TF1 Hub-format BERT module the way Google built
google/bert_uncased_L-12_H-768_A-12/1: Google's own BERT graph code
(google-research/bert ``modeling.py`` as shipped on PyPI in
``bert-tensorflow==1.0.4``, imported as ``bert.modeling``) wrapped by
``tensorflow_hub.create_module_spec`` (TF1 Hub format), with the signatures
``tokens`` and ``tokenization_info`` and the graph variants for tags ``set()``
(inference, ``is_training=False``) and ``{"train"}`` (``is_training=True``).

It must run in its own, old environment (NOT the project's dev env), exactly:

    python3.11 -m venv /tmp/google_venv && /tmp/google_venv/bin/pip install \
        tensorflow==2.15.1 tensorflow-hub==0.15.0 tf-slim==1.1.0 bert-tensorflow==1.0.4

(this resolved to numpy 1.26.4, protobuf 4.25.9, keras 2.15.0). Run from the
repo root:

    /tmp/google_venv/bin/python tests/make_google_fixture.py

Inputs (read, never modified): tests/fixtures/bert_config.json and
tests/fixtures/vocab.txt.

Outputs (everything is built in a temporary folder next to the target and then
moved into place, replacing the previous tests/fixtures/google_tf1/):

  google_tf1/module/      the exported TF1 Hub module (tfhub_module.pb,
                          saved_model.pb, variables/, assets/vocab.txt)
  google_tf1/checkpoint/  the same weights as a google-research style
                          checkpoint: bert_model.ckpt.{index,data-00000-of-00001}
                          (variable names "bert/...", exactly as modeling.py
                          creates them), the tiny `checkpoint` state file (so
                          tf.train.latest_checkpoint works), bert_config.json,
                          vocab.txt. No .meta file.
  google_tf1/golden.json  outputs of the module's "tokens" signature (default
                          tags, inference) on fixed ids, computed in this env.
  google_tf1/README.md

Weights: modeling.py's own random initialisation (truncated normal, stddev
initializer_range=0.02) under a fixed graph seed (1234). Because modeling.py
initialises every bias to 0 and every LayerNorm gamma/beta to 1/0, a test that
forgot a bias or a LayerNorm parameter would still pass; so after the
initialisation and before the export, EVERY bias (including the pooler's
bert/pooler/dense/bias) and every LayerNorm beta is overwritten with
N(0, 0.02) and every LayerNorm gamma with 1 + 0.1 * N(0, 1), drawn from
numpy.random.RandomState(1234) in sorted variable-name order. Kernels and
embedding tables keep modeling.py's init.
"""

import os

# tensorflow_hub 0.15's generated *_pb2 modules need the pure-python protobuf
# implementation with protobuf 4.x.
os.environ.setdefault("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Plain Eigen kernels instead of oneDNN ones: the golden numbers should not
# depend on the CPU's oneDNN code path.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import json
import shutil

import numpy as np
import tensorflow.compat.v1 as tf

# TF1 graph semantics everywhere (sessions, placeholders, collections).
# hub.create_module_spec still builds the module graph with resource variables
# (it wraps module_fn in variable_scope("", use_resource=True)), as Google's
# hub modules have.
tf.disable_v2_behavior()

import tensorflow_hub as hub  # noqa: E402
import tf_slim  # noqa: E402
from tensorflow.core.protobuf import saved_model_pb2  # noqa: E402

import fixture_tools  # noqa: E402

# bert-tensorflow 1.0.4's modeling.py does `from tensorflow.contrib import layers as
# contrib_layers` and already talks to tensorflow.compat.v1: the stand-in contrib is all it needs.
fixture_tools.install_tf_contrib(tf_slim.layers)

from bert import modeling  # noqa: E402

SEED = 1234
CONFIG_PATH = os.path.join(fixture_tools.FIXTURES, "bert_config.json")
VOCAB_PATH = os.path.join(fixture_tools.FIXTURES, "vocab.txt")
NAME = "google_tf1"
OUT_DIR = os.path.join(fixture_tools.FIXTURES, NAME)

INPUTS = {
    "input_ids": [[2, 40, 41, 42, 3, 0, 0], [2, 50, 51, 3, 60, 61, 3]],
    "input_mask": [[1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1]],
    "segment_ids": [[0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 1, 1, 1]],
}

PACKAGES = ["tensorflow", "tensorflow-hub", "bert-tensorflow", "tf-slim"]


def make_module_fn(config, vocab_path):
  """module_fn in the style of Google's BERT hub export."""

  def module_fn(is_training):
    # module_fn runs in a fresh graph made by hub.create_module_spec, so the
    # graph-level seed must be set here for the initializers' seeds to be
    # fixed in the module graph.
    tf.set_random_seed(SEED)
    input_ids = tf.placeholder(tf.int32, shape=[None, None], name="input_ids")
    input_mask = tf.placeholder(tf.int32, shape=[None, None], name="input_mask")
    segment_ids = tf.placeholder(tf.int32, shape=[None, None], name="segment_ids")
    model = modeling.BertModel(
        config=config,
        is_training=is_training,
        input_ids=input_ids,
        input_mask=input_mask,
        token_type_ids=segment_ids,
        use_one_hot_embeddings=False)
    hub.add_signature(
        "tokens",
        inputs=dict(input_ids=input_ids, input_mask=input_mask,
                    segment_ids=segment_ids),
        outputs=dict(pooled_output=model.get_pooled_output(),
                     sequence_output=model.get_sequence_output()))
    # The vocab file is an asset: hub copies it to assets/ on export and
    # replaces the constant's value in the stored graph by a placeholder
    # string, remapped to the assets/ path on load.
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
    if name.endswith("/bias") or name.endswith("LayerNorm/beta"):
      value = rng.normal(0.0, 0.02, size=shape)
    elif name.endswith("LayerNorm/gamma"):
      value = 1.0 + 0.1 * rng.normal(0.0, 1.0, size=shape)
    else:
      continue
    var.load(value.astype(np.float32), session)
    changed.append(name)
  return changed


def build_module_and_checkpoint(config, work):
  module_dir = os.path.join(work, "module")
  ckpt_dir = os.path.join(work, "checkpoint")
  os.makedirs(ckpt_dir)
  spec = hub.create_module_spec(
      make_module_fn(config, VOCAB_PATH),
      tags_and_args=[(set(), {"is_training": False}),
                     ({"train"}, {"is_training": True})])
  with tf.Graph().as_default():
    tf.set_random_seed(SEED)
    m = hub.Module(spec, trainable=True)
    with tf.Session() as sess:
      sess.run(tf.global_variables_initializer())
      changed = randomize_biases_and_layer_norms(m.variable_map, sess)
      m.export(module_dir, sess)
      # Same session, same values, names as in modeling.py ("bert/...").
      saver = tf.train.Saver(var_list=dict(m.variable_map),
                             save_relative_paths=True)
      saver.save(sess, os.path.join(ckpt_dir, "bert_model.ckpt"),
                 write_meta_graph=False)
  fixture_tools.canonicalize_proto_file(os.path.join(module_dir, "saved_model.pb"),
                                        saved_model_pb2.SavedModel)
  shutil.copyfile(CONFIG_PATH, os.path.join(ckpt_dir, "bert_config.json"))
  shutil.copyfile(VOCAB_PATH, os.path.join(ckpt_dir, "vocab.txt"))
  return module_dir, ckpt_dir, changed


def run_module(module_dir, tags=None):
  """Runs the exported module (TF1 hub.Module) on INPUTS."""
  with tf.Graph().as_default():
    m = hub.Module(module_dir, tags=tags)
    feeds = {k: tf.constant(v, tf.int32) for k, v in INPUTS.items()}
    out = m(feeds, signature="tokens", as_dict=True)
    info = m(signature="tokenization_info", as_dict=True)
    with tf.Session() as sess:
      sess.run(tf.global_variables_initializer())
      return sess.run(out), sess.run(info), m.get_signature_names()


def run_checkpoint(config, ckpt_dir):
  """Plain modeling.BertModel restored from the checkpoint folder."""
  with tf.Graph().as_default():
    model = modeling.BertModel(
        config=config, is_training=False,
        input_ids=tf.constant(INPUTS["input_ids"], tf.int32),
        input_mask=tf.constant(INPUTS["input_mask"], tf.int32),
        token_type_ids=tf.constant(INPUTS["segment_ids"], tf.int32),
        use_one_hot_embeddings=False)
    with tf.Session() as sess:
      ckpt = tf.train.latest_checkpoint(ckpt_dir)
      assert ckpt is not None, "tf.train.latest_checkpoint found nothing"
      tf.train.Saver().restore(sess, ckpt)
      return sess.run({"pooled_output": model.get_pooled_output(),
                       "sequence_output": model.get_sequence_output()})


README = """\
# google_tf1: a tiny BERT made the way Google made its TF1 Hub modules

Golden fixture, generated by `tests/make_google_fixture.py`; do not edit by hand.

- `module/`: a TF1 Hub-format module (`tfhub_module.pb`, `saved_model.pb`,
  `variables/`, `assets/vocab.txt`) built with Google's BERT code
  (`bert.modeling` from `bert-tensorflow`) and `hub.create_module_spec`, like
  `google/bert_uncased_L-12_H-768_A-12/1`: graph variants for tags `set()`
  (inference) and `{{"train"}}` (dropout on); signatures `tokens`
  (inputs `input_ids`, `input_mask`, `segment_ids`: int32 `[None, None]`;
  outputs `pooled_output`, `sequence_output`) and `tokenization_info`
  (no inputs; outputs `vocab_file`, an asset, and `do_lower_case`, `True`).
- `checkpoint/`: the same weights as a google-research style checkpoint
  (`bert_model.ckpt.*` with variables `bert/...`, `checkpoint`,
  `bert_config.json`, `vocab.txt`).
- `golden.json`: `pooled_output` and `sequence_output` of the module's `tokens`
  signature (default tags) for the ids in `inputs`, computed in the generating
  environment.

Caveats: `bert-tensorflow` 1.0.4's modeling.py is the later einsum variant
of google-research/bert (attention/FFN via `Einsum` ops with reshaped kernels)
rather than the 2018 `tf.layers.dense` one; variable names, shapes and the math
are the same. Loaded with TF2 `hub.load`, `tokenization_info` returns
`vocab_file == b"SAVEDMODEL-ASSET"` (hub's placeholder; only TF1 `hub.Module`
rewrites it); the real path is in `loaded.asset_paths`.

Config: `tests/fixtures/bert_config.json` (vocab 109, hidden 32, 2 layers,
4 heads, intermediate 37, gelu = tanh approximation); vocab:
`tests/fixtures/vocab.txt`.

Weights: modeling.py's random init (seed {seed}); then every bias and LayerNorm
beta is set to N(0, 0.02) and every LayerNorm gamma to 1 + 0.1 N(0, 1)
(numpy seed {seed}) so that no parameter is trivially 0 or 1.

Regenerate (from the repo root, in a separate venv):

    python3.11 -m venv /tmp/google_venv
    /tmp/google_venv/bin/pip install tensorflow==2.15.1 tensorflow-hub==0.15.0 tf-slim==1.1.0 bert-tensorflow==1.0.4
    /tmp/google_venv/bin/python tests/make_google_fixture.py

Generated with: {versions}.
"""


def main():
  with open(CONFIG_PATH) as f:
    config_dict = json.load(f)
  config = modeling.BertConfig.from_dict(config_dict)
  vers = fixture_tools.versions(PACKAGES + ["numpy", "protobuf"])

  with fixture_tools.staged_folder(OUT_DIR) as work:
    module_dir, ckpt_dir, changed = build_module_and_checkpoint(config, work)

    golden, info, sig_names = run_module(module_dir)
    assert sorted(sig_names) == ["tokenization_info", "tokens"], sig_names
    assert bool(info["do_lower_case"]) is True
    vocab_file = info["vocab_file"].decode()
    assert vocab_file.endswith("assets/vocab.txt"), vocab_file
    with open(vocab_file, "rb") as a, open(VOCAB_PATH, "rb") as b:
      assert a.read() == b.read(), "assets/vocab.txt differs"

    # The train variant must load too (dropout makes its outputs random).
    train_out, _, _ = run_module(module_dir, tags={"train"})
    assert train_out["pooled_output"].shape == golden["pooled_output"].shape

    # Cross-check: plain modeling.BertModel from checkpoint/ == module.
    from_ckpt = run_checkpoint(config, ckpt_dir)
    for key in ("pooled_output", "sequence_output"):
      diff = float(np.max(np.abs(from_ckpt[key] - golden[key])))
      print("checkpoint vs module %s: max abs diff %g" % (key, diff))
      assert diff < 1e-6, (key, diff)

    fixture_tools.check_no_paths(work, NAME)

    golden_json = {
        "inputs": INPUTS,
        "pooled_output": golden["pooled_output"].astype(np.float32).tolist(),
        "sequence_output": golden["sequence_output"].astype(np.float32).tolist(),
        "versions": vers,
    }
    fixture_tools.write_json(os.path.join(work, "golden.json"), golden_json)
    fixture_tools.write_text(os.path.join(work, "README.md"), README.format(
        seed=SEED, versions=fixture_tools.versions_line(vers)))

  print("\nversions: %s" % json.dumps(vers))
  fixture_tools.print_listing(OUT_DIR, 50)
  print("\nvariables (checkpoint/bert_model.ckpt):")
  checkpoint = os.path.join(OUT_DIR, "checkpoint", "bert_model.ckpt")
  for name, shape in tf.train.list_variables(checkpoint):
    mark = "  (re-randomized)" if name in changed else ""
    print("  %-55s %s%s" % (name, shape, mark))
  print("\npooled_output[0][:4] = %s" % golden_json["pooled_output"][0][:4])


if __name__ == "__main__":
  main()
