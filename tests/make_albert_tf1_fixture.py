"""Build the "Google-made" TF1 ALBERT fixture in tests/fixtures/albert_tf1/.

This script builds a *tiny* ALBERT the way google-research/albert made google/albert_base/3:
first a google-research style checkpoint folder (albert_config.json, model.ckpt-best.*,
30k-clean.model, 30k-clean.vocab), then a TF1 Hub module exported from it with
``hub.create_module_spec`` + ``spec.export(path, checkpoint_path=...)``, as albert's
``export_to_tfhub.py`` does. All model code is Google's ALBERT code as shipped on PyPI in
``albert-tensorflow==1.1`` (``albert.modeling`` for the model, ``albert.run_pretraining`` for the
masked-LM and sentence-order heads, ``albert.tokenization`` for the example ids). albert-tensorflow
1.1 ships no hub export script; the module_fn below follows google-research/albert's
``export_to_tfhub.py`` (GitHub commit b772393d3dae115b493258ce8e37c17b2cc62100) line by line:
placeholders ``input_ids``/``input_mask``/``segment_ids``/``mlm_positions``; assets
``config_file`` (albert_config.json), ``vocab_model`` (30k-clean.model), ``vocab_file``
(30k-clean.vocab) in ASSET_FILEPATHS; signatures ``tokens`` (pooled_output, sequence_output),
``sop`` (+ sop_log_probs), ``mlm`` (+ mlm_logits, inputs + mlm_positions) and
``tokenization_info`` (vocab_file = the vocab_model asset, do_lower_case True); graph variants for
tags ``{"train"}`` (is_training=True) and ``set()`` (is_training=False). The two differences from
that file: it calls ``modeling.AlbertModel`` without ``use_einsum`` (1.1's AlbertModel has no such
argument; it always uses einsum) and it builds the heads with run_pretraining.py's
``get_masked_lm_output`` / ``get_sentence_order_output`` (the functions export_to_tfhub.py copied;
``mlm_logits`` is the BiasAdd that feeds their log_softmax, label inputs fed with zeros).

It must run in its own, old environment (NOT the project's dev env), exactly:

    python3.11 -m venv /tmp/tf115_venv && /tmp/tf115_venv/bin/pip install \
        tensorflow==2.15.1 tensorflow-hub==0.15.0 tf-slim==1.1.0 albert-tensorflow==1.1 \
        sentencepiece==0.2.3

(albert-tensorflow 1.1 exists on PyPI; it does not declare sentencepiece, which its
tokenization.py imports. This resolved to numpy 1.26.4, protobuf 4.25.9, keras 2.15.0.)
Run from the repo root, after tests/make_albert_spm_fixture.py:

    /tmp/tf115_venv/bin/python tests/make_albert_tf1_fixture.py

Import shim (no file of albert-tensorflow is edited): its modules do ``import tensorflow as tf``
and use TF1 API (tf.flags, tf.layers, tf.gfile, tf.logging, variable scopes), and
``from tensorflow.contrib import layers`` (only ``layer_norm``) plus ``cluster_resolver``,
``data``, ``tpu`` (only in run_pretraining's main/input_fn and optimization, never called here).
While albert's modules are imported, ``sys.modules["tensorflow"]`` is ``tensorflow.compat.v1``
(with ``disable_v2_behavior()``), and ``tensorflow.contrib`` is a stand-in module whose ``layers``
is ``tf_slim.layers`` (the maintained fork of tf.contrib.layers: same layer_norm, same variable
names LayerNorm/beta, LayerNorm/gamma) and whose other attributes are empty modules; afterwards
``sys.modules["tensorflow"]`` is restored. The same trick as tests/make_google_fixture.py.

Outputs (built in a temporary folder next to the target, then moved into place):

  albert_tf1/checkpoint/  albert_config.json, model.ckpt-best.{index,data-00000-of-00001} written
                          by tf.train.Saver (variable names exactly as albert's code creates them:
                          bert/embeddings/..., bert/encoder/embedding_hidden_mapping_in/...,
                          bert/encoder/transformer/group_0/inner_group_0/..., bert/pooler/dense/...,
                          cls/predictions/..., cls/seq_relationship/...; no global_step), the
                          `checkpoint` state file, 30k-clean.model, 30k-clean.vocab.
  albert_tf1/module/      the TF1 Hub module exported from that checkpoint (tfhub_module.pb,
                          saved_model.pb, variables/, assets/{albert_config.json,
                          30k-clean.model, 30k-clean.vocab}).
  albert_tf1/golden.json  albert's code's outputs: the module's tokens/mlm/sop/tokenization_info
                          signatures (default tags) and, from the checkpoint, every layer's output
                          (AlbertModel.get_all_encoder_layers) and the embedding output.
  albert_tf1/README.md

Options (the defaults build albert_tf1 as above):

  --spm-name NAME   the SentencePiece files' stem in the ALBERT directory, hence in the module's
                    assets: NAME.model and NAME.vocab (copies of albert_spm/30k-clean.*, renamed)
                    stand where export_to_tfhub.py names 30k-clean.model and 30k-clean.vocab
                    (default 30k-clean, the name of Google's releases).
  --out FOLDER      the fixture folder to (re)build (default tests/fixtures/albert_tf1).
  --module-only     build the checkpoint folder only to export the module from it: the fixture
                    has no checkpoint/, and golden.json no values read from it
                    (embedding_output, all_encoder_layers).

albert_tf1_other_spm is the module alone, its SentencePiece files named spm_uncased_v2.*:

    /tmp/tf115_venv/bin/python tests/make_albert_tf1_fixture.py --spm-name spm_uncased_v2 \
        --out tests/fixtures/albert_tf1_other_spm --module-only

Weights: modeling.py's own random init (truncated normal, stddev initializer_range) under a fixed
graph seed (1234), initializer_range 0.2 instead of 0.02 (as the other fixtures: 0.02 makes the
attention nearly uniform); then every bias (pooler's and heads' included) and every LayerNorm beta
is overwritten with N(0, 0.1) and every LayerNorm gamma with 1 + 0.1 N(0, 1) (LayerNorm and
LayerNorm_1 alike), drawn from
numpy.random.RandomState(1234) in sorted variable-name order, before the checkpoint is saved.
"""

import os

# tensorflow_hub 0.15's generated *_pb2 modules need the pure-python protobuf
# implementation with protobuf 4.x.
os.environ.setdefault("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Plain Eigen kernels instead of oneDNN ones: the golden numbers should not
# depend on the CPU's oneDNN code path.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import argparse
import importlib
import json
import re
import shutil
import sys
import textwrap

import numpy as np
import tensorflow as tf2
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()

import tensorflow_hub as hub  # noqa: E402
import tf_slim  # noqa: E402
from tensorflow.core.protobuf import saved_model_pb2  # noqa: E402

import fixture_tools  # noqa: E402


def _import_albert():
  """albert.{modeling,run_pretraining,tokenization} with TF1 names (see the module docstring)."""
  fixture_tools.install_tf_contrib(tf_slim.layers)
  saved = sys.modules["tensorflow"]
  sys.modules["tensorflow"] = tf
  try:
    modules = [importlib.import_module("albert." + name)
               for name in ("modeling", "run_pretraining", "tokenization")]
  finally:
    sys.modules["tensorflow"] = saved
  return modules


modeling, run_pretraining, tokenization = _import_albert()

SEED = 1234
SPM_MODEL = os.path.join(fixture_tools.FIXTURES, "albert_spm", "30k-clean.model")
SPM_VOCAB = os.path.join(fixture_tools.FIXTURES, "albert_spm", "30k-clean.vocab")
OUT_DIR = os.path.join(fixture_tools.FIXTURES, "albert_tf1")
DEFAULT_SPM_NAME = "30k-clean"  # the name export_to_tfhub.py and Google's releases give it
CHECKPOINT_NAME = "model.ckpt-best"  # export_to_tfhub.py's --checkpoint_name default

CONFIG = dict(vocab_size=400, embedding_size=16, hidden_size=32, num_hidden_layers=2,
              num_hidden_groups=1, inner_group_num=1, num_attention_heads=4,
              intermediate_size=64, hidden_act="gelu", hidden_dropout_prob=0.0,
              attention_probs_dropout_prob=0.0, max_position_embeddings=64, type_vocab_size=2,
              initializer_range=0.2, down_scale_factor=1)

MAX_SEQ_LENGTH = 16
MLM_POSITIONS = [[1, 2], [3, 4], [1, 2], [2, 9]]

PACKAGES = ["tensorflow", "tensorflow-hub", "albert-tensorflow", "tf-slim", "sentencepiece"]


def encode(spm_model_file=SPM_MODEL):
  """testutil.SENTENCES through albert's own tokenization.FullTokenizer (spm_model_file), packed as
  albert's classifier_utils.convert_single_example packs them."""
  tokenizer = tokenization.FullTokenizer(vocab_file=None, do_lower_case=True,
                                         spm_model_file=spm_model_file)
  return fixture_tools.pack_tokens(
      lambda text: tokenizer.tokenize(tokenization.preprocess_text(text, lower=True)),
      tokenizer.convert_tokens_to_ids, MAX_SEQ_LENGTH)


def build_heads(config, model, mlm_positions):
  """The pretraining heads from albert's run_pretraining.py; returns (mlm_logits, sop_log_probs).
  mlm_logits is the BiasAdd that get_masked_lm_output feeds into log_softmax (export_to_tfhub.py's
  get_mlm_logits returns that same tensor). The label inputs only feed the losses; zeros."""
  label_ids = tf.zeros_like(mlm_positions)
  label_weights = tf.zeros_like(mlm_positions, dtype=tf.float32)
  _, _, mlm_log_probs = run_pretraining.get_masked_lm_output(
      config, model.get_sequence_output(), model.get_embedding_table(), mlm_positions,
      label_ids, label_weights)
  mlm_logits = mlm_log_probs.op.inputs[0]
  if mlm_logits.op.type != "BiasAdd":
    raise RuntimeError("expected log_softmax(BiasAdd), got %s" % mlm_logits.op.type)
  sop_labels = tf.zeros_like(model.get_pooled_output()[:, 0], dtype=tf.int32)
  _, _, sop_log_probs = run_pretraining.get_sentence_order_output(
      config, model.get_pooled_output(), sop_labels)
  return mlm_logits, sop_log_probs


def make_module_fn(albert_directory, do_lower_case=True, spm_name=DEFAULT_SPM_NAME):
  """module_fn as in google-research/albert export_to_tfhub.py (see the module docstring); its
  SentencePiece files are albert_directory/{spm_name}.{model,vocab} (export_to_tfhub.py: 30k-clean)."""

  def module_fn(is_training):
    tf.set_random_seed(SEED)
    input_ids = tf.placeholder(tf.int32, [None, None], "input_ids")
    input_mask = tf.placeholder(tf.int32, [None, None], "input_mask")
    segment_ids = tf.placeholder(tf.int32, [None, None], "segment_ids")
    mlm_positions = tf.placeholder(tf.int32, [None, None], "mlm_positions")

    albert_config_path = os.path.join(albert_directory, "albert_config.json")
    albert_config = modeling.AlbertConfig.from_json_file(albert_config_path)
    model = modeling.AlbertModel(
        config=albert_config,
        is_training=is_training,
        input_ids=input_ids,
        input_mask=input_mask,
        token_type_ids=segment_ids,
        use_one_hot_embeddings=False)

    mlm_logits, sop_log_probs = build_heads(albert_config, model, mlm_positions)

    vocab_model_path = os.path.join(albert_directory, spm_name + ".model")
    vocab_file_path = os.path.join(albert_directory, spm_name + ".vocab")
    config_file = tf.constant(value=albert_config_path, dtype=tf.string, name="config_file")
    vocab_model = tf.constant(value=vocab_model_path, dtype=tf.string, name="vocab_model")
    vocab_file = tf.constant(value=vocab_file_path, dtype=tf.string, name="vocab_file")
    tf.add_to_collection(tf.GraphKeys.ASSET_FILEPATHS, config_file)
    tf.add_to_collection(tf.GraphKeys.ASSET_FILEPATHS, vocab_model)
    tf.add_to_collection(tf.GraphKeys.ASSET_FILEPATHS, vocab_file)

    hub.add_signature(
        name="tokens",
        inputs=dict(input_ids=input_ids, input_mask=input_mask, segment_ids=segment_ids),
        outputs=dict(sequence_output=model.get_sequence_output(),
                     pooled_output=model.get_pooled_output()))
    hub.add_signature(
        name="sop",
        inputs=dict(input_ids=input_ids, input_mask=input_mask, segment_ids=segment_ids),
        outputs=dict(sequence_output=model.get_sequence_output(),
                     pooled_output=model.get_pooled_output(),
                     sop_log_probs=sop_log_probs))
    hub.add_signature(
        name="mlm",
        inputs=dict(input_ids=input_ids, input_mask=input_mask, segment_ids=segment_ids,
                    mlm_positions=mlm_positions),
        outputs=dict(sequence_output=model.get_sequence_output(),
                     pooled_output=model.get_pooled_output(),
                     mlm_logits=mlm_logits))
    hub.add_signature(
        name="tokenization_info",
        inputs={},
        outputs=dict(vocab_file=vocab_model, do_lower_case=tf.constant(do_lower_case)))

  return module_fn


def randomize_biases_and_layer_norms(variables, session):
  """Overwrite zeros/ones init of biases and LayerNorm params (see docstring)."""
  rng = np.random.RandomState(SEED)
  changed = []
  for var in sorted(variables, key=lambda v: v.op.name):
    name, shape = var.op.name, var.shape.as_list()
    layer_norm = re.search(r"/LayerNorm(_\d+)?/(beta|gamma)$", name)
    if name.endswith("/bias") or name.endswith("output_bias") or (
        layer_norm and layer_norm.group(2) == "beta"):
      value = rng.normal(0.0, 0.1, size=shape)
    elif layer_norm:
      value = 1.0 + 0.1 * rng.normal(0.0, 1.0, size=shape)
    else:
      continue
    var.load(value.astype(np.float32), session)
    changed.append(name)
  return changed


def build_checkpoint(config, ckpt_dir):
  """The checkpoint as run_pretraining.py's graph would hold it (model + both heads)."""
  with tf.Graph().as_default():
    tf.set_random_seed(SEED)
    input_ids = tf.placeholder(tf.int32, [None, None], "input_ids")
    mlm_positions = tf.placeholder(tf.int32, [None, None], "mlm_positions")
    model = modeling.AlbertModel(config=config, is_training=True, input_ids=input_ids,
                                 input_mask=tf.ones_like(input_ids),
                                 token_type_ids=tf.zeros_like(input_ids),
                                 use_one_hot_embeddings=False)
    build_heads(config, model, mlm_positions)
    with tf.Session() as sess:
      sess.run(tf.global_variables_initializer())
      changed = randomize_biases_and_layer_norms(tf.global_variables(), sess)
      saver = tf.train.Saver(save_relative_paths=True)
      saver.save(sess, os.path.join(ckpt_dir, CHECKPOINT_NAME), write_meta_graph=False)
  return changed


def run_module(module_dir, inputs, tags=None):
  """Runs the exported TF1 hub.Module on the inputs: tokens, mlm, sop, tokenization_info."""
  with tf.Graph().as_default():
    m = hub.Module(module_dir, tags=tags)
    feeds = {k: tf.constant(v, tf.int32) for k, v in inputs.items()}
    out = {
        "tokens": m(feeds, signature="tokens", as_dict=True),
        "mlm": m(dict(feeds, mlm_positions=tf.constant(MLM_POSITIONS, tf.int32)),
                 signature="mlm", as_dict=True),
        "sop": m(feeds, signature="sop", as_dict=True),
        "tokenization_info": m(signature="tokenization_info", as_dict=True),
    }
    with tf.Session() as sess:
      sess.run(tf.global_variables_initializer())
      return sess.run(out), m.get_signature_names()


def run_checkpoint(config, ckpt_dir, inputs):
  """Plain modeling.AlbertModel restored from the checkpoint folder: every layer's output."""
  with tf.Graph().as_default():
    model = modeling.AlbertModel(
        config=config, is_training=False,
        input_ids=tf.constant(inputs["input_ids"], tf.int32),
        input_mask=tf.constant(inputs["input_mask"], tf.int32),
        token_type_ids=tf.constant(inputs["segment_ids"], tf.int32),
        use_one_hot_embeddings=False)
    with tf.Session() as sess:
      ckpt = tf.train.latest_checkpoint(ckpt_dir)
      if ckpt is None:
        raise RuntimeError("tf.train.latest_checkpoint found nothing in %s" % ckpt_dir)
      var_list = {v.op.name: v for v in tf.global_variables()}
      tf.train.Saver(var_list=var_list).restore(sess, ckpt)
      return sess.run({"pooled_output": model.get_pooled_output(),
                       "sequence_output": model.get_sequence_output(),
                       "embedding_output": model.get_embedding_output(),
                       "all_encoder_layers": model.get_all_encoder_layers()})


README = """\
# {name}: {title}

Golden fixture, generated by `tests/make_albert_tf1_fixture.py`; do not edit by hand. All model
code is Google's (`albert-tensorflow` {albert} from PyPI: `albert.modeling`,
`albert.run_pretraining`, `albert.tokenization`); nothing here was written by hub_repro.
{about}
{checkpoint_item}- `module/`: a TF1 Hub-format module exported from {module_source} by `hub.create_module_spec` +
  `spec.export(path, checkpoint_path=checkpoint/model.ckpt-best)`, with the module_fn of
  google-research/albert's `export_to_tfhub.py`: graph variants for tags `set()` and `{{"train"}}`;
  signatures `tokens` (inputs `input_ids`, `input_mask`, `segment_ids`: int32 `[None, None]`;
  outputs `pooled_output`, `sequence_output`), `sop` (+ `sop_log_probs`), `mlm` (+ input
  `mlm_positions`, output `mlm_logits`) and `tokenization_info` (`vocab_file` = the
  `assets/{spm}.model` asset, `do_lower_case` True). Assets: `albert_config.json`,
  `{spm}.model`, `{spm}.vocab`.
- `golden.json`: see its `schema` key: the ids albert's FullTokenizer gives testutil.SENTENCES, the
  module's outputs for them (tokens, mlm at `mlm_positions`, sop){golden_from_checkpoint}

What ALBERT's code computes for pooled_output: `tanh(dense(sequence_output[:, 0]))` with the
`bert/pooler/dense` kernel and bias (a real pooler, as in BERT).

Config (`{config_file}`): {config}. gelu is albert's `modeling.gelu`, the tanh
approximation.

Weights: modeling.py's random init (graph seed {seed}, initializer_range 0.2); then every bias
(including `bert/pooler/dense/bias`, `cls/predictions/output_bias`, `cls/seq_relationship/output_bias`)
and every LayerNorm beta set to N(0, 0.1), every LayerNorm gamma to 1 + 0.1 N(0, 1) (numpy
RandomState({seed}), sorted names), so that no parameter is trivially 0 or 1.

Caveats: albert-tensorflow 1.1's `AlbertModel` has no `use_einsum` argument (it always uses
einsum), so the module_fn does not pass it; the heads come from `albert.run_pretraining`'s
`get_masked_lm_output` / `get_sentence_order_output` (export_to_tfhub.py's copies of them), whose
label inputs are fed zeros (they only feed the unused losses). Loaded with TF2 `hub.load`,
`tokenization_info` returns `vocab_file == b"SAVEDMODEL-ASSET"`; the real path is in
`loaded.asset_paths`. albert's FullTokenizer in this version does not lowercase by itself; the
ids were made from `tokenization.preprocess_text(text, lower=True)`.

Regenerate (from the repo root, in a separate venv):

    python3.11 -m venv /tmp/tf115_venv
    /tmp/tf115_venv/bin/pip install tensorflow==2.15.1 tensorflow-hub==0.15.0 tf-slim==1.1.0 albert-tensorflow==1.1 sentencepiece==0.2.3
    {command}

Generated with: {versions}.
"""

_CHECKPOINT_ITEM = """\
- `checkpoint/`: a google-research/albert checkpoint folder: `albert_config.json`,
  `model.ckpt-best.{{index,data-00000-of-00001}}` (tf.train.Saver, variables named as albert's code
  names them: `bert/embeddings/{{word,position,token_type}}_embeddings` (width 16),
  `bert/embeddings/LayerNorm/*`, `bert/encoder/embedding_hidden_mapping_in/{{kernel,bias}}` (16 -> 32),
  `bert/encoder/transformer/group_0/inner_group_0/...` (the one shared layer:
  `attention_1/self/{{query,key,value}}`, `attention_1/output/dense`, `LayerNorm`, `ffn_1/intermediate/dense`,
  `ffn_1/intermediate/output/dense`, `LayerNorm_1`), `bert/pooler/dense/*`, `cls/predictions/*`,
  `cls/seq_relationship/*`), the `checkpoint` state file, `{spm}.model`, `{spm}.vocab`
  ({spm_origin}).
"""

_GOLDEN_FROM_CHECKPOINT = """ and, from the checkpoint,
  `embedding_output` (after LayerNorm, width 16, before `embedding_hidden_mapping_in`) and
  `all_encoder_layers` (every layer's output, `[-1]` == sequence_output)."""

# Wrapped to 100 columns once the names are in.
_OTHER_SPM_NAME = (
    "The model of `albert_tf1` (the same config, seed and code, so the same variables), exported "
    "from an ALBERT directory whose SentencePiece files are `{spm}.model` and `{spm}.vocab` "
    "({spm_origin}) where google-research/albert's `export_to_tfhub.py` names `30k-clean.model` "
    "and `30k-clean.vocab`: the module's assets hold no `30k-clean.model`, and only its "
    "`tokenization_info` signature says which asset is the SentencePiece model. golden.json's ids "
    "are those of that asset, `assets/{spm}.model`.")


def regenerate_command(args):
  """The command line that rebuilds the fixture `args` describe, wrapped for a README."""
  words = ["/tmp/tf115_venv/bin/python tests/make_albert_tf1_fixture.py"]
  if args.spm_name != DEFAULT_SPM_NAME:
    words.append("--spm-name %s" % args.spm_name)
  if os.path.abspath(args.out) != OUT_DIR:
    words.append("--out %s" % os.path.relpath(os.path.abspath(args.out), fixture_tools.REPO_ROOT))
  if args.module_only:
    words.append("--module-only")
  lines = [words[0]]
  for word in words[1:]:
    if len(lines[-1]) + 1 + len(word) > 92:
      lines[-1] += " \\"
      lines.append("    " + word)
    else:
      lines[-1] += " " + word
  return "\n    ".join(lines)


def readme(args, name, vers):
  """The fixture's README.md: albert_tf1's, with the SentencePiece name and folder of `args`."""
  spm = args.spm_name
  if spm == DEFAULT_SPM_NAME:
    title = "a tiny ALBERT made the way Google made google/albert_base/3"
    spm_origin, about = "copies of `../albert_spm/`", ""
  else:
    title = "albert_tf1's ALBERT, its SentencePiece model named `%s.model`" % spm
    spm_origin = "`../albert_spm/%s.*`, renamed" % DEFAULT_SPM_NAME
    about = "\n%s\n" % textwrap.fill(_OTHER_SPM_NAME.format(spm=spm, spm_origin=spm_origin),
                                     width=100, break_long_words=False, break_on_hyphens=False)
  if args.module_only:
    checkpoint_item, golden_from_checkpoint = "", "."
    module_source = "a checkpoint folder built\n  as albert_tf1's `checkpoint/` (not kept here)"
    config_file = "module/assets/albert_config.json"
  else:
    checkpoint_item = _CHECKPOINT_ITEM.format(spm=spm, spm_origin=spm_origin)
    golden_from_checkpoint = _GOLDEN_FROM_CHECKPOINT
    module_source = "that checkpoint"
    config_file = "checkpoint/albert_config.json"
  return README.format(
      name=name, title=title, about=about, checkpoint_item=checkpoint_item,
      module_source=module_source, spm=spm, golden_from_checkpoint=golden_from_checkpoint,
      config_file=config_file, albert=vers["albert-tensorflow"], seed=SEED,
      config=fixture_tools.call_args(CONFIG), command=regenerate_command(args),
      versions=fixture_tools.versions_line(vers))


def parse_args(argv=None):
  """The command-line options (see the module docstring)."""
  parser = argparse.ArgumentParser(description="Build the TF1 Hub ALBERT fixture albert_tf1 "
                                   "(or a variant of it; see the module docstring).")
  parser.add_argument("--spm-name", default=DEFAULT_SPM_NAME,
                      help="stem of the SentencePiece .model/.vocab files in the ALBERT directory "
                           "and the module's assets (default %(default)s)")
  parser.add_argument("--out", default=OUT_DIR,
                      help="the fixture folder to (re)build (default tests/fixtures/albert_tf1)")
  parser.add_argument("--module-only", action="store_true",
                      help="leave checkpoint/ and the golden values read from it out of the fixture")
  args = parser.parse_args(argv)
  if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", args.spm_name) or args.spm_name.endswith(
      ".model"):
    parser.error("--spm-name %r: expected a file stem such as spm_uncased_v2 (no folder, no "
                 "'.model')" % args.spm_name)
  return args


def main(argv=None):
  args = parse_args(argv)
  out_dir = os.path.abspath(args.out)
  name = os.path.basename(out_dir)
  spm = args.spm_name
  tf2.config.threading.set_intra_op_parallelism_threads(1)  # the machine is shared
  tf2.config.threading.set_inter_op_parallelism_threads(1)
  config = modeling.AlbertConfig.from_dict(CONFIG)
  vers = fixture_tools.versions(PACKAGES + ["numpy", "protobuf"])
  with fixture_tools.staged_folder(out_dir) as work:
    ckpt_dir = os.path.join(work, "checkpoint")
    module_dir = os.path.join(work, "module")
    os.makedirs(ckpt_dir)
    with open(os.path.join(ckpt_dir, "albert_config.json"), "w") as f:
      f.write(config.to_json_string())
    shutil.copyfile(SPM_MODEL, os.path.join(ckpt_dir, spm + ".model"))
    shutil.copyfile(SPM_VOCAB, os.path.join(ckpt_dir, spm + ".vocab"))
    changed = build_checkpoint(config, ckpt_dir)

    tags_and_args = []
    for is_training in (True, False):  # as export_to_tfhub.py's main()
      tags = {"train"} if is_training else set()
      tags_and_args.append((tags, dict(is_training=is_training)))
    spec = hub.create_module_spec(make_module_fn(ckpt_dir, spm_name=spm),
                                  tags_and_args=tags_and_args)
    spec.export(module_dir, checkpoint_path=os.path.join(ckpt_dir, CHECKPOINT_NAME))
    fixture_tools.canonicalize_proto_file(os.path.join(module_dir, "saved_model.pb"),
                                          saved_model_pb2.SavedModel)
    assets = sorted(os.listdir(os.path.join(module_dir, "assets")))
    if assets != sorted(["albert_config.json", spm + ".model", spm + ".vocab"]):
      raise RuntimeError("module/assets holds %s" % assets)

    # The module's own SentencePiece model (a byte copy of albert_spm's, checked below).
    inputs = encode(os.path.join(module_dir, "assets", spm + ".model"))
    golden, sig_names = run_module(module_dir, inputs)
    if sorted(sig_names) != ["mlm", "sop", "tokenization_info", "tokens"]:
      raise RuntimeError("signatures %s" % sig_names)
    info = golden["tokenization_info"]
    if bool(info["do_lower_case"]) is not True:
      raise RuntimeError("do_lower_case is not True")
    vocab_file = info["vocab_file"].decode()
    if not vocab_file.endswith("assets/%s.model" % spm):
      raise RuntimeError("tokenization_info vocab_file is %s" % vocab_file)
    with open(vocab_file, "rb") as a, open(SPM_MODEL, "rb") as b:
      if a.read() != b.read():
        raise RuntimeError("assets/%s.model differs from albert_spm/30k-clean.model" % spm)
    train_out, _ = run_module(module_dir, inputs, tags={"train"})
    if train_out["tokens"]["pooled_output"].shape != golden["tokens"]["pooled_output"].shape:
      raise RuntimeError("the train variant gives other shapes")

    from_ckpt = run_checkpoint(config, ckpt_dir, inputs)
    for key in ("pooled_output", "sequence_output"):
      diff = float(np.max(np.abs(from_ckpt[key] - golden["tokens"][key])))
      print("checkpoint vs module %s: max abs diff %g" % (key, diff))
      if diff > 1e-6:
        raise RuntimeError("checkpoint and module disagree on %s: %g" % (key, diff))
    layers = np.stack(from_ckpt["all_encoder_layers"])
    if not np.array_equal(layers[-1], from_ckpt["sequence_output"]):
      raise RuntimeError("all_encoder_layers[-1] is not sequence_output")
    for sig in ("mlm", "sop"):
      for key in ("pooled_output", "sequence_output"):
        if not np.array_equal(golden[sig][key], golden["tokens"][key]):
          raise RuntimeError("signature %s gives another %s" % (sig, key))
    variables = tf.train.list_variables(os.path.join(ckpt_dir, CHECKPOINT_NAME))
    if args.module_only:
      shutil.rmtree(ckpt_dir)

    fixture_tools.check_no_paths(work, name)

    golden_json = {
        "schema": {
            "framework": "google-research/albert code (albert-tensorflow) in TF1 graph mode "
                         "(tensorflow.compat.v1), CPU, float32, TF_ENABLE_ONEDNN_OPTS=0",
            "sentences": fixture_tools.SENTENCES_SCHEMA,
            "inputs": "albert tokenization.FullTokenizer(spm_model_file=%s.model) on "
                      "preprocess_text(text, lower=True), packed [CLS] a [SEP] (b [SEP]), "
                      "padded with 0: int [batch, max_seq_length]" % spm,
            "pooled_output": "module signature tokens (default tags): tanh(bert/pooler/dense("
                             "sequence_output[:, 0])), float [batch, hidden]",
            "sequence_output": "module signature tokens, float [batch, max_seq_length, hidden]",
            "mlm_logits": "module signature mlm at mlm_positions: float "
                          "[batch * num_positions, vocab_size]",
            "sop_log_probs": "module signature sop: float [batch, 2]",
            "embedding_output": "AlbertModel.get_embedding_output() from checkpoint/: the "
                                "LayerNorm'd embedding sum (width embedding_size), before "
                                "bert/encoder/embedding_hidden_mapping_in",
            "all_encoder_layers": "AlbertModel.get_all_encoder_layers() from checkpoint/: each "
                                  "layer's output, float [num_layers, batch, max_seq_length, "
                                  "hidden]; [-1] == sequence_output",
            "floats": fixture_tools.FLOATS_SCHEMA,
        },
        "framework": "albert-tensorflow (TF1)",
        "config": CONFIG,
        "sentences": fixture_tools.sentences_as_stored(),
        "max_seq_length": MAX_SEQ_LENGTH,
        "inputs": inputs,
        "mlm_positions": MLM_POSITIONS,
        "pooled_output": fixture_tools.float32_list(golden["tokens"]["pooled_output"]),
        "sequence_output": fixture_tools.float32_list(golden["tokens"]["sequence_output"]),
        "mlm_logits": fixture_tools.float32_list(golden["mlm"]["mlm_logits"]),
        "sop_log_probs": fixture_tools.float32_list(golden["sop"]["sop_log_probs"]),
        "embedding_output": fixture_tools.float32_list(from_ckpt["embedding_output"]),
        "all_encoder_layers": fixture_tools.float32_list(layers),
        "re_randomized_variables": changed,
        "versions": vers,
    }
    if args.module_only:  # no checkpoint/ to read them from
      for key in ("embedding_output", "all_encoder_layers"):
        del golden_json["schema"][key], golden_json[key]
    fixture_tools.write_json(os.path.join(work, "golden.json"), golden_json)
    fixture_tools.write_text(os.path.join(work, "README.md"), readme(args, name, vers))

  print("\nversions: %s" % json.dumps(vers))
  fixture_tools.print_listing(out_dir, 50)
  print("\nvariables (checkpoint/%s%s):" % (CHECKPOINT_NAME, ", not kept" if args.module_only
                                            else ""))
  for var_name, shape in variables:
    print("  %-70s %s%s" % (var_name, shape, "  (re-randomized)" if var_name in changed else ""))
  print("\ninputs: %s" % json.dumps(inputs["input_ids"]))
  print("pooled_output[0][:4] = %s" % golden_json["pooled_output"][0][:4])


if __name__ == "__main__":
  main()
