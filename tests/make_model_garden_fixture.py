"""Regenerate tests/fixtures/model_garden_tf2/ (tiny TF2 BERT SavedModels).

Builds a tiny BERT encoder SavedModel and its preprocessing SavedModel the way
TF-Hub's ``tensorflow/bert_en_uncased_L-12_H-768_A-12/4`` and
``tensorflow/bert_en_uncased_preprocess/3`` were made: with TF Model Garden's
``official/nlp/tools/export_tfhub_lib.py`` (``export_model`` with a legacy
``BertConfig`` and ``with_mlm=False``, and ``export_preprocessing`` with the
``export_tfhub.py`` flag defaults), then computes ``golden.json`` in the same
environment.

Inputs (not modified): tests/fixtures/bert_config.json, tests/fixtures/vocab.txt.
Outputs: tests/fixtures/model_garden_tf2/{encoder,preprocess,golden.json}.

This needs its own venv (it is NOT the development env). Exact versions used:

    tf-models-official==2.20.0
    tensorflow==2.20.0
    tensorflow-text==2.20.1
    tf-keras==2.20.1
    keras==3.15.1
    tensorflow-hub==0.16.1
    numpy==2.4.6

Create it with (one line; pip resolves exactly the versions above):

    python3.11 -m venv /tmp/mg_venv && /tmp/mg_venv/bin/pip install tf-models-official==2.20.0

Run from the repo root:

    /tmp/mg_venv/bin/python tests/make_model_garden_fixture.py

Everything is written into a temporary directory first and then moved into
place. Variables, encoder/saved_model.pb and golden.json are byte-identical
across runs; preprocess/saved_model.pb differs in a few bytes because
export_preprocessing copies the vocab into a random tempfile directory whose
path ends up in the hash table's shared_name.

Variable initialization: ``tf.keras.utils.set_random_seed(1234)`` and
``tf_keras.utils.set_random_seed(1234)``, then the encoder is built exactly as
``export_tfhub_lib.get_bert_encoder`` builds it (kernels/embeddings come from
its TruncatedNormal(stddev=initializer_range)). Then, iterating the encoder's
variables sorted by name, with ``rng = np.random.default_rng(1234)``:
every ``*/bias`` and every LayerNorm ``*/beta`` is set to
``rng.normal(0, 0.02, shape)`` and every LayerNorm ``*/gamma`` to
``1 + 0.1 * rng.normal(0, 1, shape)`` (float32). Tests should read the actual
values from ``encoder/variables`` (``tf.train.load_checkpoint``), not recompute.

Activation: Model Garden 2.20.0 maps ``hidden_act="gelu"`` via
``official.modeling.tf_utils.get_activation`` to
``official.modeling.activations.gelu`` == ``tf_keras.activations.gelu(x,
approximate=True)``, i.e. the TANH approximation
``0.5*x*(1+tanh(sqrt(2/pi)*(x+0.044715*x**3)))``. The script checks that
numerically against a NumPy re-implementation of the forward pass.
"""

import json
import math
import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf
import tensorflow_hub as hub
import tensorflow_text  # noqa: F401  (registers the ops preprocess needs)
import tf_keras
from official.legacy.bert import configs
from official.modeling import activations as mg_activations
from official.modeling import tf_utils
from official.nlp.tools import export_tfhub_lib

import fixture_tools

FIXTURES = Path(fixture_tools.FIXTURES)
CONFIG_JSON = FIXTURES / "bert_config.json"
VOCAB_TXT = FIXTURES / "vocab.txt"
OUT = FIXTURES / "model_garden_tf2"

SEED = 1234
PREPROCESS_SEQ_LENGTH = 128  # export_tfhub.py --default_seq_length default
PAIR_SEQ_LENGTH = 10
ENCODER_SEQ_LENGTH = 16

TEXTS_A = ["hello world", "what does the pooled output do?",
           "the first token is cls"]
TEXTS_B = ["this is a test", "the hidden state",
           "bert hub layer dense tanh weights model"]

PACKAGES = ["tensorflow", "tensorflow-text", "tf-models-official", "tf-keras", "keras",
            "tensorflow-hub", "numpy"]


def _activation_name(bert_config):
  """Identifies which gelu get_activation() returns for this config."""
  act = tf_utils.get_activation(bert_config.hidden_act)
  if act is not mg_activations.gelu:
    raise RuntimeError(f"get_activation({bert_config.hidden_act!r}) is {act}")
  return fixture_tools.gelu_variant(lambda x: act(tf.constant(x, tf.float32)).numpy().tolist())


def build_checkpoint(bert_config, ckpt_dir):
  """Builds a seeded encoder as export_tfhub_lib does and checkpoints it."""
  tf.keras.utils.set_random_seed(SEED)
  tf_keras.utils.set_random_seed(SEED)
  encoder = export_tfhub_lib.get_bert_encoder(bert_config)
  rng = np.random.default_rng(SEED)
  overwritten = []
  for v in sorted(encoder.variables, key=lambda v: v.name):
    name = v.name
    if name.endswith("/bias:0") or name.endswith("/beta:0"):
      val = rng.normal(0.0, 0.02, v.shape)
    elif name.endswith("/gamma:0"):
      val = 1.0 + 0.1 * rng.normal(0.0, 1.0, v.shape)
    else:
      continue
    v.assign(val.astype(np.float32))
    overwritten.append(name)
  assert "pooler_transform/bias:0" in overwritten, overwritten
  # export_model restores tf.train.Checkpoint(model=encoder, encoder=encoder).
  ckpt = tf.train.Checkpoint(encoder=encoder)
  path = ckpt.save(os.path.join(ckpt_dir, "ckpt"))  # includes save_counter
  return path, overwritten


def _numpy_forward(reader_vars, word_ids, mask, type_ids, cfg, gelu):
  """Plain NumPy BERT forward pass (float64) from the exported variables."""
  v = reader_vars
  h, nh = cfg["hidden_size"], cfg["num_attention_heads"]
  dh = h // nh

  def ln(x, pfx):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + 1e-12) * v[pfx + "/gamma"] + v[pfx + "/beta"]

  seq = word_ids.shape[1]
  x = (v["word_embeddings/embeddings"][word_ids]
       + v["position_embedding/embeddings"][:seq][None]
       + v["type_embeddings/embeddings"][type_ids])
  x = ln(x, "embeddings/layer_norm")
  add_mask = (1.0 - mask[:, None, None, :].astype(np.float64)) * -10000.0
  outs = []
  for i in range(cfg["num_hidden_layers"]):
    p = f"transformer/layer_{i}"
    q = np.einsum("bsh,hnd->bnsd", x, v[p + "/self_attention/query/kernel"]) \
        + v[p + "/self_attention/query/bias"][None, :, None, :]
    k = np.einsum("bsh,hnd->bnsd", x, v[p + "/self_attention/key/kernel"]) \
        + v[p + "/self_attention/key/bias"][None, :, None, :]
    val = np.einsum("bsh,hnd->bnsd", x, v[p + "/self_attention/value/kernel"]) \
        + v[p + "/self_attention/value/bias"][None, :, None, :]
    s = np.einsum("bnqd,bnkd->bnqk", q, k) / np.sqrt(dh) + add_mask
    s = np.exp(s - s.max(-1, keepdims=True))
    s = s / s.sum(-1, keepdims=True)
    ctx = np.einsum("bnqk,bnkd->bqnd", s, val)
    att = np.einsum("bqnd,ndh->bqh", ctx,
                    v[p + "/self_attention/attention_output/kernel"]) \
        + v[p + "/self_attention/attention_output/bias"]
    x = ln(att + x, p + "/self_attention_layer_norm")
    inter = gelu(x @ v[p + "/intermediate/kernel"] + v[p + "/intermediate/bias"])
    o = inter @ v[p + "/output/kernel"] + v[p + "/output/bias"]
    x = ln(o + x, p + "/output_layer_norm")
    outs.append(x)
  pooled = np.tanh(x[:, 0] @ v["pooler_transform/kernel"]
                   + v["pooler_transform/bias"])
  return pooled, x, outs


def _saved_vars(encoder_obj):
  return {v.name[:-2]: v.numpy().astype(np.float64)
          for v in encoder_obj.variables if v.dtype == tf.float32}


def compute_golden(enc_dir, pre_dir, cfg, activation, overwritten):
  pre = hub.load(pre_dir)
  enc = hub.load(enc_dir)

  # (a) one-shot preprocessing at the default seq_length (128).
  a = {k: t.numpy() for k, t in pre(tf.constant(TEXTS_A)).items()}
  for k, t in a.items():
    assert t.shape == (len(TEXTS_A), PREPROCESS_SEQ_LENGTH), (k, t.shape)
    assert t.dtype == np.int32, (k, t.dtype)
    assert not t[:, ENCODER_SEQ_LENGTH:].any(), k  # truncation to 16 is lossless

  # (b) tokenize + bert_pack_inputs on sentence pairs, with truncation.
  tok_a = pre.tokenize(tf.constant(TEXTS_A))
  tok_b = pre.tokenize(tf.constant(TEXTS_B))
  packed = pre.bert_pack_inputs([tok_a, tok_b],
                                seq_length=tf.constant(PAIR_SEQ_LENGTH))
  packed = {k: t.numpy() for k, t in packed.items()}
  special = {k: int(t.numpy())
             for k, t in pre.tokenize.get_special_tokens_dict().items()}

  # (c) encoder on (a) truncated to 16 positions.
  enc_in = {k: tf.constant(t[:, :ENCODER_SEQ_LENGTH]) for k, t in a.items()}
  out = enc(enc_in, training=False)
  assert np.array_equal(out["default"].numpy(), out["pooled_output"].numpy())

  # Self-check: NumPy forward pass with the detected gelu variant matches.
  gelus = {
      "tanh_approx": lambda x: 0.5 * x * (1 + np.tanh(
          np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))),
      "exact_erf": np.vectorize(lambda x: 0.5 * x * (1 + math.erf(x / np.sqrt(2)))),
  }
  np_in = {k: t.numpy() for k, t in enc_in.items()}
  diffs, np_outs = {}, {}
  for gname, g in gelus.items():
    pooled, seq, _ = _numpy_forward(
        _saved_vars(enc), np_in["input_word_ids"], np_in["input_mask"],
        np_in["input_type_ids"], cfg, g)
    np_outs[gname] = (pooled, seq)
    diffs[gname] = max(
        float(np.max(np.abs(pooled - out["pooled_output"].numpy()))),
        float(np.max(np.abs(seq - out["sequence_output"].numpy()))))
  assert diffs[activation] < 1e-5, diffs
  # NOTE: with kernels ~ TruncatedNormal(0.02) the FFN pre-activations are
  # ~0.1, where both gelu variants agree to ~1e-7, so these outputs do NOT
  # discriminate tanh-approx from erf gelu. Recorded so tests don't rely on it.
  diffs["tanh_vs_erf_outputs"] = max(
      float(np.max(np.abs(np_outs["tanh_approx"][i] - np_outs["exact_erf"][i])))
      for i in range(2))

  variables = [{"name": v.name, "shape": v.shape.as_list(),
                "dtype": v.dtype.name, "trainable": v.trainable}
               for v in enc.variables]
  return {
      "description": (
          "Golden values for tests/fixtures/model_garden_tf2 (made by "
          "tests/make_model_garden_fixture.py with Model Garden "
          "export_tfhub_lib.export_model / export_preprocessing)."),
      "versions": dict(fixture_tools.versions(PACKAGES, python=False),
                       **{"tensorflow.__version__": tf.__version__}),
      "activation": {
          "hidden_act": cfg["hidden_act"],
          "gelu_variant": activation,
          "resolved_to": "official.modeling.activations.gelu -> "
                         "tf_keras.activations.gelu(x, approximate=True)"
                         if activation == "tanh_approx" else "exact erf",
          "numpy_forward_max_abs_diff": diffs,
          "note": ("numpy_forward_max_abs_diff: float64 NumPy forward pass "
                   "vs the SavedModel (pooled+sequence output). "
                   "tanh_vs_erf_outputs is the float64 gap between the two "
                   "gelu variants on these inputs: far below float32 noise, "
                   "so these goldens cannot tell the variants apart; "
                   "gelu_variant was determined by evaluating "
                   "tf_utils.get_activation('gelu') on [-4, 4]."),
      },
      "init": {
          "seed": SEED,
          "recipe": ("tf.keras.utils.set_random_seed(1234); "
                     "tf_keras.utils.set_random_seed(1234); "
                     "export_tfhub_lib.get_bert_encoder(cfg); then for vars "
                     "sorted by name with np.random.default_rng(1234): "
                     "bias/beta ~ N(0,0.02), gamma ~ 1+0.1*N(0,1)"),
          "overwritten_variables": overwritten,
      },
      "export": {
          "export_model": {"with_mlm": False,
                           "copy_pooler_dense_to_encoder": False,
                           "do_lower_case": True,
                           "checkpoint": "tf.train.Checkpoint(encoder=...)"},
          "export_preprocessing": {"do_lower_case": True,
                                   "tokenize_with_offsets": False,
                                   "default_seq_length": PREPROCESS_SEQ_LENGTH,
                                   "experimental_disable_assert": False},
      },
      "encoder_variables": variables,
      "texts_a": TEXTS_A,
      "texts_b": TEXTS_B,
      "special_tokens": special,
      "preprocess_a": {
          "seq_length": PREPROCESS_SEQ_LENGTH,
          **{k: t.tolist() for k, t in a.items()},
      },
      "tokenize_a": fixture_tools.ragged_to_list(tok_a),
      "tokenize_b": fixture_tools.ragged_to_list(tok_b),
      "pack_pairs": {
          "seq_length": PAIR_SEQ_LENGTH,
          **{k: t.tolist() for k, t in packed.items()},
      },
      "encoder": {
          "seq_length": ENCODER_SEQ_LENGTH,
          "inputs": "preprocess_a[...][:, :16]",
          "pooled_output": fixture_tools.float32_list(out["pooled_output"]),
          "sequence_output": fixture_tools.float32_list(out["sequence_output"]),
          "encoder_outputs": [fixture_tools.float32_list(t) for t in out["encoder_outputs"]],
      },
  }


def main():
  cfg = json.loads(CONFIG_JSON.read_text())
  bert_config = configs.BertConfig.from_json_file(str(CONFIG_JSON))
  activation = _activation_name(bert_config)

  OUT.parent.mkdir(parents=True, exist_ok=True)
  with tempfile.TemporaryDirectory(prefix="mg_fixture_") as tmp:
    tmp = Path(tmp)
    stage = tmp / "model_garden_tf2"
    stage.mkdir()
    ckpt_path, overwritten = build_checkpoint(bert_config, str(tmp / "ckpt"))

    export_tfhub_lib.export_model(
        export_path=str(stage / "encoder"),
        bert_config=bert_config,
        model_checkpoint_path=ckpt_path,
        with_mlm=False,
        copy_pooler_dense_to_encoder=False,
        vocab_file=str(VOCAB_TXT),
        do_lower_case=True)
    export_tfhub_lib.export_preprocessing(
        export_path=str(stage / "preprocess"),
        vocab_file=str(VOCAB_TXT),
        do_lower_case=True,
        tokenize_with_offsets=False,
        default_seq_length=PREPROCESS_SEQ_LENGTH,
        experimental_disable_assert=False)

    golden = compute_golden(str(stage / "encoder"), str(stage / "preprocess"),
                            cfg, activation, overwritten)
    fixture_tools.write_text(str(stage / "golden.json"), fixture_tools.compact_json(golden))

    # Keep a hand-written README if present; replace everything else.
    readme = OUT / "README.md"
    if readme.exists():
      shutil.copy2(readme, stage / "README.md")
    if OUT.exists():
      shutil.rmtree(OUT)
    shutil.move(str(stage), str(OUT))

  fixture_tools.print_listing(str(OUT), 50)
  print(f"gelu variant: {activation}")
  return 0


if __name__ == "__main__":
  sys.exit(main())
