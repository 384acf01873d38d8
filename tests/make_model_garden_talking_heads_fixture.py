"""Regenerate tests/fixtures/model_garden_talking_heads/ (tiny Talking-Heads BERT SavedModels).

Builds a tiny "BERT with Talking-Heads Attention and Gated GELU" encoder SavedModel and its
WordPiece preprocessing SavedModel the way TF-Hub's ``tensorflow/talkheads_ggelu_bert_en_base/2``
was made: TF Model Garden's ``EncoderScaffold`` whose hidden layers are ``TransformerScaffold``s
with ``TalkingHeadsAttention`` and ``GatedFeedforward`` (TF-Hub: "implemented with code from the
TensorFlow Models repository using the EncoderScaffold with GatedFeedforward and
TalkingHeadsAttention"), exported with ``official/nlp/tools/export_tfhub_lib.py``.

How Model Garden builds it: ``export_tfhub_lib.export_model`` builds its encoder with
``encoders.build_encoder(encoder_config)``, which is ``@gin.configurable``; with the gin binding
``build_encoder.encoder_cls = @EncoderScaffold`` it builds an ``EncoderScaffold`` from the
``type="bert"`` config (``export_tfhub.py`` takes ``--encoder_config_file`` and ``--gin_params``
for this), and ``EncoderScaffold.hidden_cls``, ``TransformerScaffold.attention_cls`` and
``TransformerScaffold.feedforward_cls`` pick the layers (GIN_BINDINGS below). The export has the
``.mlm`` subobject (``with_mlm=True``, export_tfhub.py's ``--export_type=model_with_mlm``), as
TF-Hub's has. Nothing is written by hub_repro.

Inputs (not modified): tests/fixtures/vocab.txt.
Outputs: tests/fixtures/model_garden_talking_heads/{encoder,preprocess,golden.json,README.md}.

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

    /tmp/mg_venv/bin/python tests/make_model_garden_talking_heads_fixture.py

Everything is written into a temporary directory first and then moved into place. The
encoder's saved_model.pb and variables and golden.json are byte-identical across runs; every
fingerprint.pb holds a random uuid, and preprocess/saved_model.pb differs in a few bytes
(export_preprocessing's temporary vocab path is a hash table's shared_name).

Config: ENCODER_CONFIG below (vocab 109, hidden 32, 2 layers, 4 heads, intermediate 37, 64
positions). The preprocessing model's ``default_seq_length`` is 64 (export_tfhub.py's default is
128) so that ``encoder(preprocess(texts))`` works with 64 positions.

Variable initialization: ``tf.keras.utils.set_random_seed(1234)`` and
``tf_keras.utils.set_random_seed(1234)``, then the encoder and its BertPretrainerV2 are built as
``export_tfhub_lib._create_model(..., with_mlm=True)`` builds them (kernels, embeddings and the
[N, N] talking-heads weights from TruncatedNormal(stddev=initializer_range), initializer_range 0.2
as the other fixtures; the MLM dense from glorot_uniform). Then, iterating the pretrainer's
variables sorted by name, with ``rng = np.random.default_rng(1234)``: every ``*/bias`` and every
LayerNorm ``*/beta`` is set to ``rng.normal(0, 0.1, shape)`` and every LayerNorm ``*/gamma`` to
``1 + 0.1 * rng.normal(0, 1, shape)`` (float32). The checkpoint is
``tf.train.Checkpoint(**pretrainer.checkpoint_items)``, which export_model restores.

Checks made here (each raises on failure): a float64 NumPy forward pass from the exported
variables reproduces the SavedModel (so the README's formulas are what runs), the feed-forward's
gelu is the tanh approximation, and which variables each output depends on (each variable
perturbed in turn).
"""

import math
import os
import re
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import gin
import numpy as np
import tensorflow as tf
import tensorflow_hub as hub
import tensorflow_text  # noqa: F401  (registers the ops preprocess needs)
import tf_keras
from official.modeling import activations as mg_activations
from official.modeling import tf_utils
from official.nlp.configs import encoders
from official.nlp.modeling import models
from official.nlp.tools import export_tfhub_lib

import fixture_tools

FIXTURES = Path(fixture_tools.FIXTURES)
VOCAB_TXT = FIXTURES / "vocab.txt"
OUT = FIXTURES / "model_garden_talking_heads"

SEED = 1234
PREPROCESS_SEQ_LENGTH = 64  # = max_position_embeddings, so encoder(preprocess(texts)) runs
ENCODER_SEQ_LENGTH = 16
# [batch, 2] positions for the .mlm call (one row per SENTENCES example).
MASKED_LM_POSITIONS = [[1, 2], [3, 4], [1, 3], [2, 6]]

ENCODER_CONFIG = dict(vocab_size=109, hidden_size=32, num_layers=2, num_attention_heads=4,
                      hidden_activation="gelu", intermediate_size=37, dropout_rate=0.1,
                      attention_dropout_rate=0.1, max_position_embeddings=64, type_vocab_size=2,
                      initializer_range=0.2)

GIN_BINDINGS = [
    "build_encoder.encoder_cls = @EncoderScaffold",
    "EncoderScaffold.hidden_cls = @TransformerScaffold",
    "TransformerScaffold.attention_cls = @TalkingHeadsAttention",
    "TransformerScaffold.feedforward_cls = @GatedFeedforward",
]

# Case and accents the preprocessing model must fold (do_lower_case=True).
TEXTS_CASED = ["Hello World", "The First Token is CLS"]

PACKAGES = ["tensorflow", "tensorflow-text", "tf-models-official", "tf-keras", "keras",
            "tensorflow-hub", "gin-config", "numpy"]

# A perturbed variable moving an output by less than this is "inert": the computation reads it
# but its effect cancels (a key bias adds the same logit to every key of a query, which softmax
# ignores), so only float32 rounding moves. Used variables move outputs by 1e-3 or more.
INERT_BELOW = 1e-5


def build_pretrainer(encoder_config):
  """The encoder and its BertPretrainerV2, as export_tfhub_lib._create_model(with_mlm=True)."""
  encoder = encoders.build_encoder(encoder_config)
  pretrainer = models.BertPretrainerV2(
      encoder_network=encoder,
      mlm_activation=tf_utils.get_activation(encoder_config.get().hidden_activation))
  pretrainer({x.name: x for x in pretrainer.inputs})  # creates the masked_lm variables
  return encoder, pretrainer


def ffn_activation(encoder):
  """The feed-forward activation of the first hidden layer, and which gelu it is."""
  act = encoder.hidden_layers[0]._feedforward_block._inner_activation  # pylint: disable=protected-access
  if act is not mg_activations.gelu:
    raise RuntimeError(f"the GatedFeedforward activation is {act}")
  variant = fixture_tools.gelu_variant(lambda x: act(tf.constant(x, tf.float32)).numpy().tolist())
  if variant != "tanh_approx":
    raise RuntimeError(f"the GatedFeedforward gelu is {variant}, not the tanh approximation")
  return variant


def build_checkpoint(encoder_config, ckpt_dir):
  """Builds the seeded encoder + MLM as export_tfhub_lib does, sets biases/norms, checkpoints.

  Returns:
    (checkpoint path, names of the overwritten variables, the gelu variant, the encoder's
    variable names).
  """
  tf.keras.utils.set_random_seed(SEED)
  tf_keras.utils.set_random_seed(SEED)
  encoder, pretrainer = build_pretrainer(encoder_config)
  if type(encoder).__name__ != "EncoderScaffold":
    raise RuntimeError(f"build_encoder gave {type(encoder).__name__}: gin bindings not applied")
  layer = encoder.hidden_layers[0]
  kinds = (type(layer).__name__, type(layer._attention_layer).__name__,  # pylint: disable=protected-access
           type(layer._feedforward_block).__name__)  # pylint: disable=protected-access
  if kinds != ("TransformerScaffold", "TalkingHeadsAttention", "GatedFeedforward"):
    raise RuntimeError(f"hidden layer, attention, feed-forward are {kinds}")
  activation = ffn_activation(encoder)
  overwritten = fixture_tools.redraw_biases_and_norms(pretrainer.variables,
                                                      np.random.default_rng(SEED))
  ckpt = tf.train.Checkpoint(**pretrainer.checkpoint_items)
  built = [v.name for v in encoder.variables]
  return ckpt.save(os.path.join(ckpt_dir, "ckpt")), overwritten, activation, built


def pack_examples(pre, seq_length=ENCODER_SEQ_LENGTH):
  """SENTENCES through the preprocessing model's own tokenize + bert_pack_inputs: singles
  [CLS] a [SEP], the pair [CLS] a [SEP] b [SEP], at seq_length."""
  rows = {"input_word_ids": [], "input_mask": [], "input_type_ids": []}
  for sentence in fixture_tools.SENTENCES:
    parts = [sentence] if isinstance(sentence, str) else list(sentence)
    packed = pre.bert_pack_inputs([pre.tokenize(tf.constant([p])) for p in parts],
                                  seq_length=tf.constant(seq_length))
    for k, t in packed.items():
      rows[k].append(t.numpy()[0].tolist())
  return rows


def _gelu(x, variant):
  if variant == "tanh_approx":
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
  return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


def numpy_forward(v, word_ids, mask, type_ids, gelu_variant):
  """The encoder in float64 NumPy from its variables (names without ":0").

  B = batch, S = query positions, T = key positions, H = hidden, N = heads, D = H/N, I = inner.

  Returns:
    pooled [B, H], encoder_outputs: a list of [B, S, H], one per layer.
  """
  def layer_norm(x, prefix):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + 1e-12) * v[prefix + "/gamma"] + v[prefix + "/beta"]

  seq = word_ids.shape[1]
  x = (v["word_embeddings/embeddings"][word_ids] + v["position_embedding/embeddings"][:seq][None]
       + v["type_embeddings/embeddings"][type_ids])
  x = layer_norm(x, "embeddings/layer_norm")
  adder = (1.0 - mask[:, None, None, :].astype(np.float64)) * -1e9  # tf_keras Softmax's mask
  outs = []
  for i in range(len([k for k in v if k.endswith("/pre_softmax_weight")])):
    p = "transformer_scaffold" + ("_%d" % i if i else "")
    a = p + "/self_attention/"

    def project(name, x=x, a=a):  # [B, S, N, D]
      return np.einsum("bsh,hnd->bsnd", x, v[a + name + "/kernel"]) + v[a + name + "/bias"]

    q, k, val = project("query"), project("key"), project("value")
    depth = q.shape[-1]
    logits = np.einsum("btnd,bsnd->bnst", k, q) / math.sqrt(depth)  # [B, N, S, T]
    logits = np.einsum("bnst,nm->bmst", logits, v[a + "pre_softmax_weight"])  # mix heads
    logits = logits + adder
    probs = np.exp(logits - logits.max(-1, keepdims=True))
    probs = probs / probs.sum(-1, keepdims=True)
    probs = np.einsum("bnst,nm->bmst", probs, v[a + "post_softmax_weight"])  # mix heads again
    ctx = np.einsum("bnst,btnd->bsnd", probs, val)  # [B, S, N, D]
    att = np.einsum("bsnd,ndh->bsh", ctx, v[a + "attention_output/kernel"]) \
        + v[a + "attention_output/bias"]
    x = layer_norm(att + x, p + "/self_attention_layer_norm")
    f = p + "/feedforward/"
    inner = _gelu(x @ v[f + "intermediate_0/kernel"] + v[f + "intermediate_0/bias"],
                  gelu_variant)  # [B, S, I]
    gate = x @ v[f + "gate_0/kernel"] + v[f + "gate_0/bias"]  # [B, S, I]
    out = (inner * gate) @ v[f + "output_0/kernel"] + v[f + "output_0/bias"]
    x = layer_norm(out + x, f + "output_layer_norm_0")
    outs.append(x)
  pooled = np.tanh(x[:, 0] @ v["cls_transform/kernel"] + v["cls_transform/bias"])
  return pooled, outs


def check_numpy_forward(enc, inputs, out, activation):
  """Max |NumPy float64 - SavedModel| with each gelu; raises unless `activation` matches."""
  v = {w.name[:-2]: w.numpy().astype(np.float64) for w in enc.variables if w.dtype == tf.float32}
  np_in = {k: np.asarray(t) for k, t in inputs.items()}
  diffs, results = {}, {}
  for variant in ("tanh_approx", "exact_erf"):
    pooled, outs = numpy_forward(v, np_in["input_word_ids"], np_in["input_mask"],
                                 np_in["input_type_ids"], variant)
    results[variant] = (pooled, outs[-1])
    diffs[variant] = max(
        float(np.max(np.abs(pooled - out["pooled_output"].numpy()))),
        max(float(np.max(np.abs(o - e.numpy()))) for o, e in zip(outs, out["encoder_outputs"])))
  if diffs[activation] > 1e-5:
    raise RuntimeError(f"the NumPy forward pass does not reproduce the SavedModel: {diffs}")
  diffs["tanh_vs_erf_outputs"] = max(
      float(np.max(np.abs(results["tanh_approx"][i] - results["exact_erf"][i]))) for i in (0, 1))
  return diffs


def _flat_outputs(result):
  """{output name: array} of a call's outputs, lists stacked; "default" (= pooled_output) left out."""
  return {k: np.stack([t.numpy() for t in v]) if isinstance(v, (list, tuple)) else v.numpy()
          for k, v in result.items() if k != "default"}


def dependencies(variables, run, seed=SEED):
  """How much each output moves when each float variable alone gets N(0, 0.1) noise.

  Args:
    variables: the loaded SavedModel's variables to perturb (restored exactly afterwards).
    run: () -> the model's output dict.
    seed: of the noise.

  Returns:
    {variable name: {output name: max |change|}}.
  """
  rng = np.random.default_rng(seed)
  base = _flat_outputs(run())
  rows = {}
  for var in variables:
    if not var.dtype.is_floating:
      continue
    old = var.numpy()
    var.assign(old + rng.normal(0.0, 0.1, old.shape).astype(old.dtype))
    new = _flat_outputs(run())
    var.assign(old)
    rows[var.name] = {k: float(np.max(np.abs(new[k] - base[k]))) for k in base}
  return rows


def classify(rows, output):
  """(unused, inert) variable names for one output: moved exactly 0, or below INERT_BELOW."""
  unused = [n for n, d in rows.items() if d[output] == 0.0]
  inert = [n for n, d in rows.items() if 0.0 < d[output] < INERT_BELOW]
  return unused, inert


def _call_outputs(result):
  """A call's outputs in tf.nest order (keys sorted): [(name, array)], encoder_outputs[i]."""
  flat = []
  for k in sorted(result):
    if isinstance(result[k], (list, tuple)):
      flat += [("%s[%d]" % (k, i), t.numpy()) for i, t in enumerate(result[k])]
    else:
      flat.append((k, result[k].numpy()))
  return flat


def _suffix(name):
  """0 for "encoder_scaffold", 3 for "encoder_scaffold_3": Keras' order of a layer's outputs."""
  m = re.search(r"_(\d+)$", name)
  return int(m.group(1)) if m else 0


def signature_info(obj, inputs):
  """What a loaded object offers: its __call__'s inputs, and each signature's outputs.

  A Keras functional model's serving_default names its outputs after the model's layer
  ("encoder_scaffold", "encoder_scaffold_1", ...), in the tf.nest order of the __call__ outputs
  (dict keys sorted). Each is checked here against the __call__ output it stands for: the
  signature runs another graph rewrite of the same computation, equal to float32 rounding.

  Args:
    obj: a hub.load()ed object (or its .mlm).
    inputs: {name: int32 Tensor} to call it with.

  Returns:
    {"call": {"inputs": {name: [dtype, shape]}, "training": [...]}, "signatures": {name:
    {"inputs": ..., "outputs": {output name: __call__ output}, "max_abs_diff": float}}}.

  Raises:
    RuntimeError: a signature's output differs from its __call__ output by more than 1e-5.
  """
  concrete = obj.__call__.concrete_functions
  args = concrete[0].structured_input_signature[0][0]
  info = {"call": {"inputs": {k: [s.dtype.name, s.shape.as_list()] for k, s in sorted(args.items())},
                   "training": sorted(cf.structured_input_signature[0][1] for cf in concrete)},
          "signatures": {}}
  called = _call_outputs(obj(inputs, training=False))
  for name, fn in getattr(obj, "signatures", {}).items():
    _, kwargs = fn.structured_input_signature
    result = fn(**inputs)
    names = sorted(result, key=_suffix)
    if len(names) != len(called):
      raise RuntimeError(f"signature {name} has outputs {names}, __call__ {len(called)}")
    diff = max(float(np.max(np.abs(result[n].numpy() - ref))) for n, (_, ref) in zip(names, called))
    if diff > 1e-5:
      raise RuntimeError(f"signature {name}'s outputs are not __call__'s in tf.nest order: {diff}")
    info["signatures"][name] = {
        "inputs": {k: [s.dtype.name, s.shape.as_list()] for k, s in sorted(kwargs.items())},
        "outputs": {n: c for n, (c, _) in zip(names, called)},
        "max_abs_diff": diff,
    }
  return info


def checkpoint_listing(saved_model_dir):
  """[key, shape] of every tensor in the SavedModel's variables/ checkpoint, sorted by key."""
  prefix = os.path.join(saved_model_dir, "variables", "variables")
  return [[k, s] for k, s in sorted(tf.train.list_variables(prefix))]


# golden.json's "schema" for what preprocessing() gives.
PREPROCESS_SCHEMA = {
    "preprocess_one_shot": "preprocess(texts_one_shot) at its default seq_length 64 "
                           "(the single SENTENCES + texts_cased)",
    "tokenize": "preprocess.tokenize(texts_tokenized): [batch, words, pieces]",
    "inputs": "SENTENCES through preprocess.tokenize + bert_pack_inputs(seq_length=16), "
              "one call per example (the pair as two segments)",
}


def preprocessing(pre, texts_cased=TEXTS_CASED, one_shot_length=PREPROCESS_SEQ_LENGTH,
                  seq_length=ENCODER_SEQ_LENGTH):
  """What a loaded preprocessing SavedModel gives on SENTENCES and texts_cased, checked.

  (a) one-shot preprocessing at its default seq_length, singles and cased texts; (b) tokenize (a
  RaggedTensor [batch, words, pieces]) and bert_pack_inputs at seq_length, one call per example.

  Returns:
    (golden.json's texts_cased, special_tokens, texts_one_shot, preprocess_one_shot,
    texts_tokenized, tokenize and inputs; the one-shot batch as arrays; the packed inputs).
  """
  singles = [s for s in fixture_tools.SENTENCES if isinstance(s, str)]
  pair = [s for s in fixture_tools.SENTENCES if not isinstance(s, str)][0]
  one_shot = {k: t.numpy() for k, t in pre(tf.constant(singles + texts_cased)).items()}
  for k, t in one_shot.items():
    if t.shape != (len(singles) + len(texts_cased), one_shot_length) or t.dtype != np.int32:
      raise RuntimeError(f"preprocess {k}: {t.shape} {t.dtype}")
  flat_texts = singles + list(pair) + texts_cased
  tokenized = fixture_tools.ragged_to_list(pre.tokenize(tf.constant(flat_texts)))
  special = {k: int(t.numpy()) for k, t in pre.tokenize.get_special_tokens_dict().items()}
  inputs = pack_examples(pre, seq_length)
  if [r[:seq_length] for r in one_shot["input_word_ids"][:len(singles)].tolist()] != \
      inputs["input_word_ids"][:len(singles)]:
    raise RuntimeError("one-shot preprocess and tokenize+pack disagree")
  golden = {
      "texts_cased": texts_cased,
      "special_tokens": special,
      "texts_one_shot": singles + texts_cased,
      "preprocess_one_shot": {"seq_length": one_shot_length,
                              **{k: t.tolist() for k, t in one_shot.items()}},
      "texts_tokenized": flat_texts,
      "tokenize": tokenized,
      "inputs": {"seq_length": seq_length, **inputs},
  }
  return golden, one_shot, inputs


def export_preprocessing(export_path, default_seq_length=PREPROCESS_SEQ_LENGTH):
  """export_tfhub_lib.export_preprocessing over VOCAB_TXT, lowercasing, asserts kept.

  Returns:
    Its arguments for golden.json's "export" (the vocab by file name).
  """
  args = dict(do_lower_case=True, tokenize_with_offsets=False,
              default_seq_length=default_seq_length, experimental_disable_assert=False)
  export_tfhub_lib.export_preprocessing(export_path=export_path, vocab_file=str(VOCAB_TXT),
                                        **args)
  return {"vocab_file": VOCAB_TXT.name, **args}


def var_rows(variables):
  """golden.json's rows of a loaded SavedModel's variables: name, shape, dtype, trainable."""
  return [{"name": v.name, "shape": v.shape.as_list(), "dtype": v.dtype.name,
           "trainable": v.trainable} for v in variables]


def compute_golden(enc_dir, pre_dir, activation, overwritten, preprocess_export):
  pre = hub.load(pre_dir)
  enc = hub.load(enc_dir)
  preprocessed, one_shot, inputs = preprocessing(pre)

  # (c) the encoder on the packed inputs, on the one-shot batch, and its .mlm.
  tensors = {k: tf.constant(v, tf.int32) for k, v in inputs.items()}
  out = enc(tensors, training=False)
  if set(out) != {"default", "pooled_output", "sequence_output", "encoder_outputs"}:
    raise RuntimeError(f"encoder outputs {sorted(out)}")
  if not np.array_equal(out["default"].numpy(), out["pooled_output"].numpy()):
    raise RuntimeError("default != pooled_output")
  if not np.array_equal(out["encoder_outputs"][-1].numpy(), out["sequence_output"].numpy()):
    raise RuntimeError("encoder_outputs[-1] != sequence_output")
  full = enc({k: tf.constant(t) for k, t in one_shot.items()}, training=False)
  mlm_inputs = dict(tensors, masked_lm_positions=tf.constant(MASKED_LM_POSITIONS, tf.int32))
  mlm = enc.mlm(mlm_inputs, training=False)
  for k in ("pooled_output", "sequence_output"):
    if not np.allclose(mlm[k].numpy(), out[k].numpy(), rtol=0, atol=1e-6):
      raise RuntimeError(f"encoder.mlm's {k} differs from the encoder's")

  numpy_diffs = check_numpy_forward(enc, inputs, out, activation)

  # Which variables each output reads (the .mlm's own variables are not among enc.variables).
  enc_names = {v.name for v in enc.variables}
  mlm_only = [v for v in enc.mlm.variables if v.name not in enc_names]
  rows = dependencies(enc.variables, lambda: enc(tensors, training=False))
  mlm_rows = dependencies(mlm_only, lambda: enc.mlm(mlm_inputs, training=False))
  deps = {}
  for output in ("pooled_output", "sequence_output"):
    unused, inert = classify(rows, output)
    deps[output] = {"unused": unused, "inert": inert}
  unused, inert = classify(mlm_rows, "mlm_logits")
  deps["mlm_logits (mlm-only variables)"] = {"unused": unused, "inert": inert}
  deps["max_abs_change"] = {**rows, **mlm_rows}

  return {
      "description": (
          "Golden values for tests/fixtures/model_garden_talking_heads (made by "
          "tests/make_model_garden_talking_heads_fixture.py with Model Garden's EncoderScaffold + "
          "TransformerScaffold(TalkingHeadsAttention, GatedFeedforward), export_tfhub_lib."
          "export_model(with_mlm=True) / export_preprocessing); computed by these SavedModels in "
          "the generating env."),
      "schema": {
          **PREPROCESS_SCHEMA,
          "encoder": "encoder(inputs): pooled_output (= default; tanh(cls_transform("
                     "sequence_output[:, 0]))), sequence_output, encoder_outputs (each layer's "
                     "output; [-1] == sequence_output)",
          "encoder_one_shot_pooled_output": "encoder(preprocess_one_shot)['pooled_output'] "
                                            "(64 positions)",
          "mlm": "encoder.mlm(inputs + masked_lm_positions)['mlm_logits'] "
                 "[batch, positions, vocab]; its other outputs equal the encoder's",
          "dependencies": "each float variable perturbed alone by N(0, 0.1): 'unused' = the "
                          "output moved exactly 0 (the computation never reads it), 'inert' = "
                          "moved < 1e-5 (read, but cancels: float32 rounding only); "
                          "max_abs_change per variable and output",
          "floats": fixture_tools.FLOATS_SCHEMA,
          "sentences": fixture_tools.SENTENCES_SCHEMA,
      },
      "versions": fixture_tools.versions(PACKAGES),
      "encoder_config": {"type": "bert", "bert": ENCODER_CONFIG},
      "gin_bindings": GIN_BINDINGS,
      "activation": {
          "feedforward": activation,
          "resolved_to": "TransformerScaffold's default inner_activation "
                         "tf_utils.get_activation('gelu') = official.modeling.activations.gelu "
                         "-> tf_keras.activations.gelu(x, approximate=True); hidden_cfg's "
                         "intermediate_activation is dropped by layers.util.filter_kwargs",
          "mlm_transform": "tf_utils.get_activation(hidden_activation)",
          "numpy_forward_max_abs_diff": numpy_diffs,
      },
      "init": {
          "seed": SEED,
          "recipe": ("tf.keras.utils.set_random_seed(1234); tf_keras.utils.set_random_seed(1234); "
                     "encoders.build_encoder(EncoderConfig(type='bert', ...)) under GIN_BINDINGS; "
                     "BertPretrainerV2(encoder, mlm_activation=gelu); then for vars sorted by "
                     "name with np.random.default_rng(1234): bias/beta ~ N(0,0.1), "
                     "gamma ~ 1+0.1*N(0,1)"),
          "overwritten_variables": overwritten,
      },
      "export": {
          "export_model": {"encoder_config": "EncoderConfig(type='bert') + GIN_BINDINGS",
                           "with_mlm": True, "copy_pooler_dense_to_encoder": False,
                           "vocab_file": "vocab.txt", "do_lower_case": True,
                           "checkpoint": "tf.train.Checkpoint(**pretrainer.checkpoint_items)"},
          "export_preprocessing": preprocess_export,
      },
      "signatures": {"encoder": signature_info(enc, tensors),
                     "encoder.mlm": signature_info(enc.mlm, mlm_inputs)},
      "encoder_variables": var_rows(enc.variables),
      "mlm_only_variables": var_rows(mlm_only),
      "checkpoint_keys": checkpoint_listing(enc_dir),
      "dependencies": deps,
      "sentences": fixture_tools.sentences_as_stored(),
      **preprocessed,
      "encoder": {
          "pooled_output": fixture_tools.float32_list(out["pooled_output"]),
          "sequence_output": fixture_tools.float32_list(out["sequence_output"]),
          "encoder_outputs": [fixture_tools.float32_list(t) for t in out["encoder_outputs"]],
      },
      "encoder_one_shot_pooled_output": fixture_tools.float32_list(full["pooled_output"]),
      "mlm": {"masked_lm_positions": MASKED_LM_POSITIONS,
              "mlm_logits": fixture_tools.float32_list(mlm["mlm_logits"])},
  }


def grouped_names(rows):
  """Variable names with the layer index folded: transformer_scaffold{,_1}/... once, in order."""
  layers = sorted({m.group(0) for r in rows
                   for m in [re.match(r"transformer_scaffold(_\d+)?/", r["name"])] if m})
  pattern = "transformer_scaffold{%s}/" % ",".join(s[len("transformer_scaffold"):-1]
                                                   for s in layers)
  seen, lines = set(), []
  for r in rows:
    name = re.sub(r"^transformer_scaffold(_\d+)?/", pattern, r["name"][:-2])
    if name not in seen:
      seen.add(name)
      lines.append("    %-70s %s" % (name, r["shape"]))
  return "\n".join(lines)


def signatures_text(signatures):
  """README lines from golden.json's "signatures": each object's call and signatures."""
  lines = []
  for obj, info in signatures.items():
    lines.append("- `%s(inputs, training=False)`: inputs %s." % (
        obj, ", ".join("`%s`" % k for k in info["call"]["inputs"])))
    if not info["signatures"]:
      lines.append("  No signatures.")
    for name, sig in info["signatures"].items():
      lines.append("  Signature `%s` (the same inputs as keyword arguments) names its outputs "
                   "after the Keras layer, in the tf.nest order of the call's outputs (equal to "
                   "%.1g): %s." % (name, sig["max_abs_diff"], ", ".join(
                       "`%s` = `%s`" % kv for kv in sig["outputs"].items())))
  return "\n".join(lines)


def names_text(names):
  """`a`, `b` for README text (":0" dropped), or "none"."""
  return ", ".join("`%s`" % n[:-2] for n in names) if names else "none"


README = """\
# model_garden_talking_heads fixture

Tiny TF2 SavedModels of BERT with Talking-Heads Attention and Gated GELU, made the way TF-Hub's
`tensorflow/talkheads_ggelu_bert_en_base/2` was made (with the WordPiece preprocessing of
`tensorflow/bert_en_uncased_preprocess/3`): TF Model Garden's `EncoderScaffold` whose hidden
layers are `TransformerScaffold`s with `TalkingHeadsAttention` and `GatedFeedforward`, built by
`encoders.build_encoder` from `EncoderConfig(type="bert")` under the gin bindings

    {gin}

and exported with `official/nlp/tools/export_tfhub_lib.py` (`export_model(encoder_config=...,
with_mlm=True, vocab_file=..., do_lower_case=True)` from a
`tf.train.Checkpoint(**pretrainer.checkpoint_items)`, and `export_preprocessing(vocab_file=...,
do_lower_case=True, default_seq_length=64, ...)`). Generated by
`tests/make_model_garden_talking_heads_fixture.py`; do not edit by hand.

- `encoder/`: the encoder SavedModel, `BertEncoderConfig({config})`; assets `vocab.txt`,
  `do_lower_case` True. It has the `.mlm` subobject, as TF-Hub's has.
- `preprocess/`: WordPiece preprocessing SavedModel over `../vocab.txt` (`do_lower_case=True`,
  `default_seq_length=64` = the encoder's positions, so `encoder(preprocess(texts))` runs;
  export_tfhub.py's default would be 128; `tokenize_with_offsets=False`, asserts kept). Its
  saved_model.pb names the temporary copy of the vocab that export_preprocessing made (a hash
  table's shared_name), so it differs in a few bytes from run to run; nothing opens that path.
- `golden.json`: computed in the generating env by these SavedModels (see its `schema` key).

What the encoder computes (B batch, S/T query/key positions, N = 4 heads, D = 8, I = 37; checked
against a float64 NumPy pass from the exported variables to {numpy_diff:.2g}):

    x = LayerNorm_embeddings(word[ids] + position[:S] + type[type_ids])
    per layer (transformer_scaffold, transformer_scaffold_1):
      q, k, v = x W + b                                      # [B, S, N, D] each
      logits = (k . q) / sqrt(D)                             # [B, N, S, T]
      logits = einsum("bnst,nm->bmst", logits, pre_softmax_weight)    # [N, N], no bias
      probs = softmax(logits + mask)
      probs = einsum("bnst,nm->bmst", probs, post_softmax_weight)     # [N, N], no bias
      x = self_attention_layer_norm(x + attention_output(probs . v))
      x = feedforward/output_layer_norm_0(
              x + ((gelu(x W_intermediate_0 + b) * (x W_gate_0 + b)) W_output_0 + b))
    sequence_output = x; pooled_output = default = tanh(cls_transform(x[:, 0]))

gelu is the **tanh approximation**: TransformerScaffold drops hidden_cfg's
`intermediate_activation` (`layers.util.filter_kwargs`) and passes its own default,
`tf_utils.get_activation("gelu")`, to GatedFeedforward, whatever `hidden_activation` says
(`hidden_activation` reaches only the MLM head). encoder_outputs has one entry per layer (2).

Variables of the encoder (`hub.load(encoder).variables`, in that order, `:0` dropped):

{variables}

plus `do_lower_case` (bool). The `.mlm` subobject adds (in `encoder.mlm.variables` only):

{mlm_variables}

Which variables the computation reads (each perturbed alone, see golden.json `dependencies`):
unused by every encoder output: {unused_all}; inert (read, but cancel out): {inert_seq}
(a key bias adds q·b_k to every logit of a query row, and the [N, N] mixing keeps it constant
along the row, so softmax removes it). `cls_transform/*` moves pooled_output only. The
SavedModel also holds variables no encoder output reads: the five `.mlm` variables above (they
move only `mlm_logits`; in the checkpoint as {mlm_keys}) and `do_lower_case` (kept
for users who tokenize themselves). In this Model
Garden version the TransformerScaffold's own `output_layer_norm` (created in `build` even with a
`feedforward_cls`) is never called, so it has no variables; the feed-forward's LayerNorm is
`feedforward/output_layer_norm_0`.

Calls and signatures (int32 inputs of shape [batch, seq_length]; `training` True or False):

{signatures}

Weights: Model Garden's init (TruncatedNormal(0.2) for kernels, embeddings and the talking-heads
weights; seeds {seed}), then biases/betas N(0, 0.1) and gammas 1 + 0.1 N(0, 1) from
`np.random.default_rng({seed})` (sorted names), so every bias and norm matters.

Regenerate (from the repo root, in a separate venv):

    python3.11 -m venv /tmp/mg_venv && /tmp/mg_venv/bin/pip install tf-models-official==2.20.0
    /tmp/mg_venv/bin/python tests/make_model_garden_talking_heads_fixture.py

Generated with: {versions}.
"""


def write_readme(stage, golden):
  deps = golden["dependencies"]
  seq_unused = set(deps["sequence_output"]["unused"])
  unused_all = [n for n in deps["pooled_output"]["unused"] if n in seq_unused]
  fixture_tools.write_text(str(stage / "README.md"), README.format(
      gin="\n    ".join(GIN_BINDINGS),
      config=fixture_tools.call_args(ENCODER_CONFIG),
      numpy_diff=golden["activation"]["numpy_forward_max_abs_diff"]["tanh_approx"],
      variables=grouped_names([r for r in golden["encoder_variables"]
                               if r["dtype"] == "float32"]),
      mlm_variables="\n".join("    %-70s %s" % (r["name"][:-2], r["shape"])
                              for r in golden["mlm_only_variables"]),
      mlm_keys=", ".join("`%s`" % k.split("/.ATTRIBUTES")[0] for k, _ in golden["checkpoint_keys"]
                         if k.startswith("mlm/")),
      unused_all=names_text(unused_all),
      inert_seq=names_text(deps["sequence_output"]["inert"]),
      signatures=signatures_text(golden["signatures"]),
      seed=SEED, versions=fixture_tools.versions_line(golden["versions"])))


def main():
  tf.config.threading.set_intra_op_parallelism_threads(1)  # the machine is shared
  tf.config.threading.set_inter_op_parallelism_threads(1)
  gin.parse_config(GIN_BINDINGS)
  encoder_config = encoders.EncoderConfig(
      type="bert", bert=encoders.BertEncoderConfig(**ENCODER_CONFIG))
  with tempfile.TemporaryDirectory(prefix="mg_talking_heads_fixture_") as tmp:
    tmp = Path(tmp)
    stage = tmp / "model_garden_talking_heads"
    stage.mkdir()
    ckpt_path, overwritten, activation, built = build_checkpoint(encoder_config,
                                                                 str(tmp / "ckpt"))
    # export_model builds the model again: reset Keras' name counters so that its layers get the
    # first names (transformer_scaffold, not transformer_scaffold_2).
    tf_keras.backend.clear_session()
    export_tfhub_lib.export_model(
        export_path=str(stage / "encoder"),
        encoder_config=encoder_config,
        model_checkpoint_path=ckpt_path,
        with_mlm=True,
        copy_pooler_dense_to_encoder=False,
        vocab_file=str(VOCAB_TXT),
        do_lower_case=True)
    preprocess_export = export_preprocessing(str(stage / "preprocess"))

    golden = compute_golden(str(stage / "encoder"), str(stage / "preprocess"), activation,
                            overwritten, preprocess_export)
    exported = [r["name"] for r in golden["encoder_variables"] if r["dtype"] == "float32"]
    if sorted(exported) != sorted(built):
      raise RuntimeError(f"exported variables {exported} != built {built}")
    fixture_tools.write_text(str(stage / "golden.json"), fixture_tools.compact_json(golden))
    write_readme(stage, golden)

    fixture_tools.move_noting_paths(str(stage), str(OUT), str(tmp))

  fixture_tools.print_listing(str(OUT), 50)
  print(f"feed-forward gelu: {activation}")
  return 0


if __name__ == "__main__":
  sys.exit(main())
