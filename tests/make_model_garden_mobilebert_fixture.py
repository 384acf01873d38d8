"""Regenerate tests/fixtures/model_garden_mobilebert/ (tiny MobileBERT SavedModels).

Builds two tiny MobileBERT encoder SavedModels and their WordPiece preprocessing SavedModel with
TF Model Garden's ``MobileBERTEncoder`` (official/nlp/modeling/networks/mobile_bert_encoder.py),
exported with ``official/nlp/tools/export_tfhub_lib.py`` (``export_model`` with
``encoders.EncoderConfig(type="mobilebert")``, ``with_mlm=False``, ``vocab_file``; and
``export_preprocessing``), in the configuration family of TF-Hub's
``tensorflow/mobilebert_en_uncased_L-24_H-128_B-512_A-4_F-4_OPT/1`` (the "OPT" MobileBERT:
``normalization_type="no_norm"``, relu, ``key_query_shared_bottleneck=True``,
``use_bottleneck_attention=False``, several stacked feed-forward networks,
``classifier_activation=False``):

- ``encoder/``: ``classifier_activation=False`` (the default of MobileBertEncoderConfig is True;
  MobileBERTEncoder's own default and the OPT config are False): pooled_output is the first
  token's state itself.
- ``encoder_classifier_activation/``: the same weights plus the ``pooler`` (an EinsumDense with
  tanh) that ``classifier_activation=True`` adds.

TF-Hub's MobileBERT was exported by official/projects/mobilebert/export_tfhub.py, which builds the
same ``core_model`` around MobileBERTEncoder (plus an ``.mlm`` with ``MobileBertMaskedLM``); these
fixtures have no ``.mlm`` (export_tfhub_lib's ``with_mlm=True`` would attach the generic
``MaskedLM``, not MobileBERT's). Nothing is written by hub_repro.

Inputs (not modified): tests/fixtures/vocab.txt.
Outputs: tests/fixtures/model_garden_mobilebert/{encoder,encoder_classifier_activation,preprocess,
golden.json,README.md}.

This needs its own venv (it is NOT the development env), the one of
tests/make_model_garden_fixture.py. Exact versions used:

    tf-models-official==2.20.0
    tensorflow==2.20.0
    tensorflow-text==2.20.1
    tf-keras==2.20.1
    keras==3.15.1
    tensorflow-hub==0.16.1
    gin-config==0.5.0
    numpy==2.4.6

Create it with (one line; pip resolves exactly the versions above):

    python3.11 -m venv /tmp/mg_venv && /tmp/mg_venv/bin/pip install tf-models-official==2.20.0

Run from the repo root:

    /tmp/mg_venv/bin/python tests/make_model_garden_mobilebert_fixture.py

It imports the SavedModel inspection helpers of tests/make_model_garden_talking_heads_fixture.py
(the same venv). Everything is written into a temporary directory first and then moved into place.
The encoders' saved_model.pb and variables and golden.json are byte-identical across runs;
every fingerprint.pb holds a random uuid, and preprocess/saved_model.pb differs in a few bytes
(export_preprocessing's temporary vocab path is a hash table's shared_name).

Config: ENCODER_CONFIG below (vocab 109, word embeddings 12 wide, hidden 32, bottleneck 16,
2 blocks, 4 heads, 3 feed-forward networks of inner size 37, 64 positions). The preprocessing
model's ``default_seq_length`` is 64 (export_tfhub.py's default is 128) so that
``encoder(preprocess(texts))`` works with 64 positions.

Variable initialization: ``tf.keras.utils.set_random_seed(1234)`` and
``tf_keras.utils.set_random_seed(1234)``, then the encoder is built as
``export_tfhub_lib._create_model`` builds it (``encoders.build_encoder``: kernels and embeddings
from TruncatedNormal(stddev=initializer_range), initializer_range 0.2 as the other fixtures).
Then, iterating its variables sorted by name, with ``rng = np.random.default_rng(1234)``: every
``*/bias`` and every NoNorm ``*/beta`` is set to ``rng.normal(0, 0.1, shape)`` and every NoNorm
``*/gamma`` to ``1 + 0.1 * rng.normal(0, 1, shape)`` (float32). The classifier_activation=True
encoder is built after the same seeding, takes every variable of the first by name, keeps its
``pooler/kernel`` from the initializer and gets ``pooler/bias`` from the same rng (continued).
Each checkpoint is ``tf.train.Checkpoint(encoder=encoder)``, which export_model restores.

Checks made here (each raises on failure): a float64 NumPy forward pass from the exported
variables reproduces both SavedModels, and which variables each output depends on.
"""

import math
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np
import tensorflow as tf
import tensorflow_hub as hub
import tensorflow_text  # noqa: F401  (registers the ops preprocess needs)
import tf_keras
from official.nlp.configs import encoders
from official.nlp.tools import export_tfhub_lib

import fixture_tools
import make_model_garden_talking_heads_fixture as inspect_tools

FIXTURES = Path(fixture_tools.FIXTURES)
VOCAB_TXT = FIXTURES / "vocab.txt"
OUT = FIXTURES / "model_garden_mobilebert"
ENCODERS = {"encoder": False, "encoder_classifier_activation": True}  # folder: classifier_activation

SEED = 1234
PREPROCESS_SEQ_LENGTH = 64  # = max_sequence_length, so encoder(preprocess(texts)) runs
ENCODER_SEQ_LENGTH = 16

ENCODER_CONFIG = dict(word_vocab_size=109, word_embed_size=12, type_vocab_size=2,
                      max_sequence_length=64, num_blocks=2, hidden_size=32,
                      num_attention_heads=4, intermediate_size=37, hidden_activation="relu",
                      hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
                      intra_bottleneck_size=16, initializer_range=0.2,
                      use_bottleneck_attention=False, key_query_shared_bottleneck=True,
                      num_feedforward_networks=3, normalization_type="no_norm",
                      classifier_activation=False)

TEXTS_CASED = ["Hello World", "The First Token is CLS"]

PACKAGES = ["tensorflow", "tensorflow-text", "tf-models-official", "tf-keras", "keras",
            "tensorflow-hub", "gin-config", "numpy"]


def encoder_config(classifier_activation):
  return encoders.EncoderConfig(type="mobilebert", mobilebert=encoders.MobileBertEncoderConfig(
      **dict(ENCODER_CONFIG, classifier_activation=classifier_activation)))


def check_activation(encoder):
  """The feed-forward activation: build_encoder passes hidden_activation as a string to
  EinsumDense, so tf_keras.activations.get resolves it (not tf_utils.get_activation).

  Returns:
    {"hidden_activation", "resolved_to", "gelu_would_be"}: "gelu" would give tf_keras's gelu
    with approximate=False (exact erf), unlike Model Garden's BERT encoders (tanh).
  """
  dense = encoder.transformer_layers[0].block_layers["ffn"][0][0]
  if dense.activation is not tf_keras.activations.relu:
    raise RuntimeError(f"the feed-forward activation is {dense.activation}")
  gelu = tf_keras.activations.get("gelu")
  return {"hidden_activation": ENCODER_CONFIG["hidden_activation"],
          "resolved_to": "EinsumDense(activation='relu') -> tf_keras.activations.relu",
          "gelu_would_be": fixture_tools.gelu_variant(
              lambda x: gelu(tf.constant(x, tf.float32)).numpy().tolist())}


def build_checkpoints(ckpt_dir):
  """Builds both seeded encoders as export_tfhub_lib does and checkpoints each.

  Returns:
    {folder: checkpoint path}, {folder: overwritten variable names}, {folder: variable names},
    the activation record.
  """
  paths, overwritten, built = {}, {}, {}
  tf.keras.utils.set_random_seed(SEED)
  tf_keras.utils.set_random_seed(SEED)
  encoder = encoders.build_encoder(encoder_config(False))
  activation = check_activation(encoder)
  rng = np.random.default_rng(SEED)
  overwritten["encoder"] = fixture_tools.redraw_biases_and_norms(encoder.variables, rng)
  values = {v.name: v.numpy() for v in encoder.variables}
  built["encoder"] = list(values)
  paths["encoder"] = tf.train.Checkpoint(encoder=encoder).save(
      os.path.join(ckpt_dir, "encoder", "ckpt"))

  tf_keras.backend.clear_session()  # the same layer names for the second encoder
  tf.keras.utils.set_random_seed(SEED)
  tf_keras.utils.set_random_seed(SEED)
  pooled = encoders.build_encoder(encoder_config(True))
  extra = sorted({v.name for v in pooled.variables} - set(values))
  if extra != ["pooler/bias:0", "pooler/kernel:0"] or not set(values) <= {
      v.name for v in pooled.variables}:
    raise RuntimeError(f"classifier_activation=True adds {extra}")
  for v in pooled.variables:
    if v.name in values:
      v.assign(values[v.name])
  overwritten["encoder_classifier_activation"] = (
      overwritten["encoder"] + fixture_tools.redraw_biases_and_norms([pooled.pooler_layer.bias], rng))
  built["encoder_classifier_activation"] = [v.name for v in pooled.variables]
  paths["encoder_classifier_activation"] = tf.train.Checkpoint(encoder=pooled).save(
      os.path.join(ckpt_dir, "encoder_classifier_activation", "ckpt"))
  return paths, overwritten, built, activation


def numpy_forward(v, word_ids, mask, type_ids):
  """The MobileBERT encoder in float64 NumPy from its variables (names without ":0").

  B = batch, S = query positions, T = key positions, E = word embedding width, H = hidden,
  K = intra-bottleneck, N = heads, D = K/N.

  Returns:
    encoder_outputs (the embedding output, then each block's output: [B, S, H] each),
    attention_scores (one [B, N, S, T] per block), pooled ([B, H]: the pooler's tanh if the
    variables have one, else the first token's state).
  """
  def no_norm(x, prefix):
    return x * v[prefix + "/gamma"] + v[prefix + "/beta"]

  def dense(x, prefix):
    return x @ v[prefix + "/kernel"] + v[prefix + "/bias"]

  e = "mobile_bert_embedding/"
  seq = word_ids.shape[1]
  w = v[e + "word_embedding/embeddings"][word_ids]  # [B, S, E]
  pad = np.zeros_like(w[:, :1])
  # Trigram input: the next, this and the previous token's embedding, [B, S, 3E].
  trigram = np.concatenate([np.concatenate([w[:, 1:], pad], 1), w,
                            np.concatenate([pad, w[:, :-1]], 1)], -1)
  x = (dense(trigram, e + "embedding_projection") + v[e + "position_embedding/embeddings"][:seq]
       + v[e + "type_embedding/embeddings"][type_ids])
  x = no_norm(x, e + "embedding_norm")
  outs, scores = [x], []
  adder = (1.0 - mask[:, None, None, :].astype(np.float64)) * -1e9
  num_blocks = len([k for k in v if k.endswith("/bottleneck_input/dense/kernel")])
  num_ffn = len([k for k in v if k.startswith("transformer_layer_0/ffn_layer_")
                 and k.endswith("/intermediate_dense/kernel")])
  for i in range(num_blocks):
    p = "transformer_layer_%d/" % i
    prev = x
    bottleneck = no_norm(dense(x, p + "bottleneck_input/dense"), p + "bottleneck_input/norm")
    shared = no_norm(dense(x, p + "kq_shared_bottleneck/dense"), p + "kq_shared_bottleneck/norm")
    a = p + "attention/"

    def project(t, name, a=a):  # [B, S, N, D]
      return np.einsum("bsh,hnd->bsnd", t, v[a + name + "/kernel"]) + v[a + name + "/bias"]

    q, k, val = project(shared, "query"), project(shared, "key"), project(prev, "value")
    logits = np.einsum("btnd,bsnd->bnst", k, q) / math.sqrt(q.shape[-1]) + adder
    probs = np.exp(logits - logits.max(-1, keepdims=True))
    probs = probs / probs.sum(-1, keepdims=True)  # [B, N, S, T]
    ctx = np.einsum("bnst,btnd->bsnd", probs, val)
    att = np.einsum("bsnd,ndk->bsk", ctx, v[a + "attention_output/kernel"]) \
        + v[a + "attention_output/bias"]  # [B, S, K]
    y = no_norm(att + bottleneck, a + "norm")
    for f in range(num_ffn):
      fp = p + "ffn_layer_%d/" % f
      inner = np.maximum(dense(y, fp + "intermediate_dense"), 0.0)  # relu
      y = no_norm(dense(inner, fp + "output_dense") + y, fp + "norm")
    x = no_norm(dense(y, p + "bottleneck_output/dense") + prev, p + "bottleneck_output/norm")
    outs.append(x)
    scores.append(probs)
  pooled = x[:, 0]
  if "pooler/kernel" in v:
    pooled = np.tanh(dense(pooled, "pooler"))
  return outs, scores, pooled


def check_numpy_forward(enc, inputs, out):
  """Max |NumPy float64 - SavedModel| over every output; raises above 1e-5."""
  v = {w.name[:-2]: w.numpy().astype(np.float64) for w in enc.variables if w.dtype == tf.float32}
  outs, scores, pooled = numpy_forward(v, *(np.asarray(inputs[k]) for k in (
      "input_word_ids", "input_mask", "input_type_ids")))
  diff = max([float(np.max(np.abs(pooled - out["pooled_output"].numpy())))]
             + [float(np.max(np.abs(a - b.numpy()))) for a, b in zip(outs, out["encoder_outputs"])]
             + [float(np.max(np.abs(a - b.numpy()))) for a, b in zip(scores, out["attention_scores"])])
  if diff > 1e-5 or len(outs) != len(out["encoder_outputs"]):
    raise RuntimeError(f"the NumPy forward pass does not reproduce the SavedModel: {diff}")
  return diff


def _floats(result, keys):
  return {k: [fixture_tools.float32_list(t) for t in result[k]] if isinstance(result[k], list)
          else fixture_tools.float32_list(result[k]) for k in keys}


def compute_golden(stage, activation, overwritten, preprocess_export):
  pre = hub.load(str(stage / "preprocess"))
  enc = {name: hub.load(str(stage / name)) for name in ENCODERS}
  preprocessed, one_shot, inputs = inspect_tools.preprocessing(
      pre, TEXTS_CASED, PREPROCESS_SEQ_LENGTH, ENCODER_SEQ_LENGTH)

  # (c) each encoder on the packed inputs and on the one-shot batch.
  tensors = {k: tf.constant(v, tf.int32) for k, v in inputs.items()}
  out = {name: e(tensors, training=False) for name, e in enc.items()}
  full = {name: e({k: tf.constant(t) for k, t in one_shot.items()}, training=False)
          for name, e in enc.items()}
  a, b = out["encoder"], out["encoder_classifier_activation"]
  for name, o in out.items():
    if set(o) != {"default", "pooled_output", "sequence_output", "encoder_outputs",
                  "attention_scores"}:
      raise RuntimeError(f"{name} outputs {sorted(o)}")
    if not np.array_equal(o["default"].numpy(), o["pooled_output"].numpy()):
      raise RuntimeError(f"{name}: default != pooled_output")
    if not np.array_equal(o["encoder_outputs"][-1].numpy(), o["sequence_output"].numpy()):
      raise RuntimeError(f"{name}: encoder_outputs[-1] != sequence_output")
    if len(o["encoder_outputs"]) != ENCODER_CONFIG["num_blocks"] + 1:
      raise RuntimeError(f"{name}: {len(o['encoder_outputs'])} encoder_outputs")
  if not np.array_equal(a["pooled_output"].numpy(), a["sequence_output"].numpy()[:, 0]):
    raise RuntimeError("classifier_activation=False: pooled_output != sequence_output[:, 0]")
  # The second encoder has the first one's weights: everything but pooled_output is the same.
  shared_diff = max(float(np.max(np.abs(np.asarray(x) - np.asarray(y))))
                    for k in ("sequence_output", "encoder_outputs", "attention_scores")
                    for x, y in zip(tf.nest.flatten(a[k]), tf.nest.flatten(b[k])))
  if shared_diff > 1e-6:
    raise RuntimeError(f"the two encoders differ beyond the pooler: {shared_diff}")

  numpy_diffs = {name: check_numpy_forward(enc[name], inputs, out[name]) for name in ENCODERS}

  per_encoder = {}
  for name, e in enc.items():
    rows = inspect_tools.dependencies(e.variables, lambda e=e: e(tensors, training=False))
    deps = {}
    for output in ("pooled_output", "sequence_output"):
      unused, inert = inspect_tools.classify(rows, output)
      deps[output] = {"unused": unused, "inert": inert}
    deps["max_abs_change"] = rows
    per_encoder[name] = {
        "classifier_activation": ENCODERS[name],
        "signatures": inspect_tools.signature_info(e, tensors),
        "variables": inspect_tools.var_rows(e.variables),
        "checkpoint_keys": inspect_tools.checkpoint_listing(str(stage / name)),
        "overwritten_variables": overwritten[name],
        "numpy_forward_max_abs_diff": numpy_diffs[name],
        "dependencies": deps,
    }

  return {
      "description": (
          "Golden values for tests/fixtures/model_garden_mobilebert (made by "
          "tests/make_model_garden_mobilebert_fixture.py with Model Garden's MobileBERTEncoder, "
          "export_tfhub_lib.export_model(EncoderConfig(type='mobilebert'), with_mlm=False) / "
          "export_preprocessing); computed by these SavedModels in the generating env."),
      "schema": {
          **inspect_tools.PREPROCESS_SCHEMA,
          "encoder": "encoder(inputs): pooled_output (= default = sequence_output[:, 0], no "
                     "pooler), sequence_output, encoder_outputs (the embedding output, then "
                     "each block's output; [-1] == sequence_output), attention_scores (each "
                     "block's softmax probabilities [batch, heads, query, key])",
          "encoder_classifier_activation": "encoder_classifier_activation(inputs): "
                                           "pooled_output (= default = tanh(pooler("
                                           "sequence_output[:, 0]))); its other outputs equal "
                                           "encoder's (max_abs_diff_beyond_pooler)",
          "one_shot_pooled_output": "{folder}(preprocess_one_shot)['pooled_output'] "
                                    "(64 positions)",
          "encoders": "per folder: signatures, variables, checkpoint keys, the NumPy check and "
                      "dependencies (each float variable perturbed alone by N(0, 0.1): "
                      "'unused' = the output moved exactly 0, 'inert' = moved < 1e-5)",
          "floats": fixture_tools.FLOATS_SCHEMA,
          "sentences": fixture_tools.SENTENCES_SCHEMA,
      },
      "versions": fixture_tools.versions(PACKAGES),
      "encoder_config": {"type": "mobilebert", "mobilebert": ENCODER_CONFIG,
                         "encoder_classifier_activation": {"classifier_activation": True}},
      "activation": activation,
      "init": {
          "seed": SEED,
          "recipe": ("tf.keras.utils.set_random_seed(1234); tf_keras.utils.set_random_seed(1234); "
                     "encoders.build_encoder(EncoderConfig(type='mobilebert', ...)); then for "
                     "vars sorted by name with np.random.default_rng(1234): bias/beta ~ "
                     "N(0,0.1), gamma ~ 1+0.1*N(0,1). classifier_activation=True: the same "
                     "seeding, the first encoder's values by name, pooler/kernel from the "
                     "initializer, pooler/bias ~ N(0,0.1) from the same rng"),
      },
      "export": {
          "export_model": {"encoder_config": "EncoderConfig(type='mobilebert')",
                           "with_mlm": False, "copy_pooler_dense_to_encoder": False,
                           "vocab_file": "vocab.txt", "do_lower_case": True,
                           "checkpoint": "tf.train.Checkpoint(encoder=...)"},
          "export_preprocessing": preprocess_export,
      },
      "encoders": per_encoder,
      "sentences": fixture_tools.sentences_as_stored(),
      **preprocessed,
      "encoder": _floats(a, ("pooled_output", "sequence_output", "encoder_outputs",
                             "attention_scores")),
      "encoder_classifier_activation": {
          "pooled_output": fixture_tools.float32_list(b["pooled_output"]),
          "max_abs_diff_beyond_pooler": shared_diff,
      },
      "one_shot_pooled_output": {name: fixture_tools.float32_list(f["pooled_output"])
                                 for name, f in full.items()},
  }


README = """\
# model_garden_mobilebert fixture

Tiny TF2 MobileBERT SavedModels made with TF Model Garden's `MobileBERTEncoder`
(`official/nlp/modeling/networks/mobile_bert_encoder.py`), exported with
`official/nlp/tools/export_tfhub_lib.py` (`export_model(encoder_config=EncoderConfig(
type="mobilebert", ...), with_mlm=False, vocab_file=..., do_lower_case=True)` from a
`tf.train.Checkpoint(encoder=...)`, and `export_preprocessing(vocab_file=..., do_lower_case=True,
default_seq_length=64, ...)`), in the configuration family of TF-Hub's
`tensorflow/mobilebert_en_uncased_L-24_H-128_B-512_A-4_F-4_OPT/1` ("OPT": NoNorm, relu, shared
key/query bottleneck, stacked feed-forward networks, no classifier activation). Generated by
`tests/make_model_garden_mobilebert_fixture.py`; do not edit by hand.

- `encoder/`: `MobileBertEncoderConfig({config})`. **pooled_output is the first token's state
  itself**: `pooled_output == default == sequence_output[:, 0]` (no pooler, no tanh).
  `classifier_activation=False` is MobileBERTEncoder's default and the OPT config's, but
  `MobileBertEncoderConfig` defaults to True: an EncoderConfig that leaves it out gets a pooler.
- `encoder_classifier_activation/`: the same config with `classifier_activation=True` and the
  same weights, plus `pooler/{{kernel,bias}}`: `pooled_output == tanh(pooler(sequence_output[:,
  0]))`; its other outputs equal `encoder/`'s (max |difference| {shared_diff:.2g}).
- `preprocess/`: WordPiece preprocessing SavedModel over `../vocab.txt` (`do_lower_case=True`,
  `default_seq_length=64` = the encoders' positions, so `encoder(preprocess(texts))` runs;
  export_tfhub.py's default would be 128; `tokenize_with_offsets=False`, asserts kept). Its
  saved_model.pb names the temporary copy of the vocab that export_preprocessing made (a hash
  table's shared_name), so it differs in a few bytes from run to run; nothing opens that path.
- `golden.json`: computed in the generating env by these SavedModels (see its `schema` key).

TF-Hub's MobileBERT was exported by `official/projects/mobilebert/export_tfhub.py`, which wraps
the same MobileBERTEncoder in the same `core_model` (outputs plus `default`) and adds an `.mlm`
with `MobileBertMaskedLM`; these encoders have no `.mlm`.

What the encoders compute (B batch, S/T query/key positions, E = 12, H = 32, K = 16 bottleneck,
N = 4 heads, D = 4; checked against a float64 NumPy pass from the exported variables to
{numpy_diff:.2g}):

    w = word_embedding[ids]                                         # [B, S, E]
    x = [w shifted left (next token) | w | w shifted right (previous token)]   # [B, S, 3E]
    x = embedding_norm(embedding_projection(x) + position[:S] + type[type_ids])
    encoder_outputs[0] = x                                          # the embedding output
    per block (transformer_layer_0, transformer_layer_1):
      b = bottleneck_input/norm(bottleneck_input/dense(x))          # [B, S, K]
      s = kq_shared_bottleneck/norm(kq_shared_bottleneck/dense(x))  # [B, S, K]
      probs = softmax(q(s) . k(s) / sqrt(D) + mask)                 # attention_scores
      y = attention/norm(attention_output(probs . value(x)) + b)    # value from x itself
      per ffn_layer_f (f = 0, 1, 2):
        y = ffn_layer_f/norm(output_dense(relu(intermediate_dense(y))) + y)
      x = bottleneck_output/norm(bottleneck_output/dense(y) + x)   # encoder_outputs[i + 1]
    sequence_output = x
    pooled_output = default = x[:, 0]            (encoder_classifier_activation: tanh(pooler(x[:, 0])))

Every norm is `NoNorm`: `x * gamma + beta`, no mean or variance. `encoder_outputs` has
num_blocks + 1 = 3 entries (the embedding output first), where TF-Hub's MobileBERT page speaks of
one per block; the encoders also return `attention_scores` (one [B, N, S, T] per block). The
feed-forward activation comes from `tf_keras.activations.get(hidden_activation)` (build_encoder
passes the string on): relu here; `"gelu"` would give tf_keras's gelu with approximate=False
(measured: {gelu_would_be}), not the tanh approximation of Model Garden's BERT encoders.

Variables of `encoder/` (`hub.load(...).variables`, in that order, `:0` dropped):

{variables}

plus `do_lower_case` (bool). `encoder_classifier_activation/` has the same plus (last)

{pooler_variables}

Which variables the computation reads (each perturbed alone, see golden.json
`encoders/*/dependencies`): unused by every output: {unused}; inert (read, but cancel out):
{inert} (a key bias adds q·b_k to every logit of a query row; softmax removes it).
`pooler/*` moves pooled_output only; `do_lower_case` (kept for users who tokenize themselves)
is read by nothing.

Calls and signatures (int32 inputs of shape [batch, seq_length]; `training` True or False):

{signatures}

Weights: Model Garden's init (TruncatedNormal(0.2), seeds {seed}), then biases/betas N(0, 0.1)
and gammas 1 + 0.1 N(0, 1) from `np.random.default_rng({seed})` (sorted names), so every bias
and NoNorm matters.

Regenerate (from the repo root, in a separate venv):

    python3.11 -m venv /tmp/mg_venv && /tmp/mg_venv/bin/pip install tf-models-official==2.20.0
    /tmp/mg_venv/bin/python tests/make_model_garden_mobilebert_fixture.py

Generated with: {versions}.
"""


def grouped_names(rows):
  """Variable names with the block index folded: transformer_layer_{0,1}/... once, in order."""
  blocks = sorted({r["name"].split("/")[0] for r in rows
                   if r["name"].startswith("transformer_layer_")})
  pattern = "transformer_layer_{%s}" % ",".join(b[len("transformer_layer_"):] for b in blocks)
  seen, lines = set(), []
  for r in rows:
    parts = r["name"][:-2].split("/")
    if parts[0] in blocks:
      parts[0] = pattern
    name = "/".join(parts)
    if name not in seen:
      seen.add(name)
      lines.append("    %-62s %s" % (name, r["shape"]))
  return "\n".join(lines)


def write_readme(stage, golden):
  encs = golden["encoders"]
  float_rows = [r for r in encs["encoder"]["variables"] if r["dtype"] == "float32"]
  pooler_rows = [r for r in encs["encoder_classifier_activation"]["variables"]
                 if r["name"].startswith("pooler/")]
  unused, inert = set(), set()
  for info in encs.values():
    deps = info["dependencies"]
    unused |= set(deps["pooled_output"]["unused"]) & set(deps["sequence_output"]["unused"])
    inert |= set(deps["pooled_output"]["inert"])
  fixture_tools.write_text(str(stage / "README.md"), README.format(
      config=fixture_tools.call_args(ENCODER_CONFIG),
      shared_diff=golden["encoder_classifier_activation"]["max_abs_diff_beyond_pooler"],
      numpy_diff=max(info["numpy_forward_max_abs_diff"] for info in encs.values()),
      gelu_would_be=golden["activation"]["gelu_would_be"],
      variables=grouped_names(float_rows),
      pooler_variables="\n".join("    %-62s %s" % (r["name"][:-2], r["shape"])
                                 for r in pooler_rows),
      unused=inspect_tools.names_text(sorted(unused)),
      inert=inspect_tools.names_text(sorted(inert)),
      signatures=inspect_tools.signatures_text(
          {name: encs[name]["signatures"] for name in ENCODERS}),
      seed=SEED, versions=fixture_tools.versions_line(golden["versions"])))


def main():
  tf.config.threading.set_intra_op_parallelism_threads(1)  # the machine is shared
  tf.config.threading.set_inter_op_parallelism_threads(1)
  with tempfile.TemporaryDirectory(prefix="mg_mobilebert_fixture_") as tmp:
    tmp = Path(tmp)
    stage = tmp / "model_garden_mobilebert"
    stage.mkdir()
    paths, overwritten, built, activation = build_checkpoints(str(tmp / "ckpt"))
    for name, classifier_activation in ENCODERS.items():
      # export_model builds the model again: reset Keras' name counters so that its layers get
      # the first names (mobile_bert_embedding, not mobile_bert_embedding_2).
      tf_keras.backend.clear_session()
      export_tfhub_lib.export_model(
          export_path=str(stage / name),
          encoder_config=encoder_config(classifier_activation),
          model_checkpoint_path=paths[name],
          with_mlm=False,
          copy_pooler_dense_to_encoder=False,
          vocab_file=str(VOCAB_TXT),
          do_lower_case=True)
    preprocess_export = inspect_tools.export_preprocessing(str(stage / "preprocess"),
                                                           PREPROCESS_SEQ_LENGTH)

    golden = compute_golden(stage, activation, overwritten, preprocess_export)
    for name in ENCODERS:
      exported = [r["name"] for r in golden["encoders"][name]["variables"]
                  if r["dtype"] == "float32"]
      if sorted(exported) != sorted(built[name]):
        raise RuntimeError(f"{name}: exported variables {exported} != built {built[name]}")
    fixture_tools.write_text(str(stage / "golden.json"), fixture_tools.compact_json(golden))
    write_readme(stage, golden)

    fixture_tools.move_noting_paths(str(stage), str(OUT), str(tmp))

  fixture_tools.print_listing(str(OUT), 56)
  return 0


if __name__ == "__main__":
  sys.exit(main())
