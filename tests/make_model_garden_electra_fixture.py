"""Regenerate tests/fixtures/model_garden_electra/ (tiny TF2 ELECTRA SavedModels).

Builds a tiny ELECTRA encoder SavedModel and its WordPiece preprocessing SavedModel the way TF-Hub's
``google/electra_base/2`` (with ``tensorflow/bert_en_uncased_preprocess/3``) was made: a Model
Garden ``BertEncoder`` with ``embedding_width`` (16) < ``hidden_size`` (32), so it has
``embedding_projection`` as ELECTRA's ``embeddings_project``, exported with TF Model Garden's
``official/nlp/tools/export_tfhub_lib.py`` (``export_model`` with a legacy ``BertConfig`` whose
``embedding_size`` is 16, ``with_mlm=False``, ``vocab_file``; and ``export_preprocessing`` with the
``export_tfhub.py`` flag defaults). TF-Hub's page for google/electra_base/2 says: "the dense layer
(pooler) on top of the CLS token (non-existent in the original pretraining) was initialized with
the identity matrix"; so before the checkpoint is written, ``pooler_transform/kernel`` is set to
the identity matrix and ``pooler_transform/bias`` to zero, and pooled_output is
``tanh(sequence_output[:, 0])``. Nothing is written by hub_repro.

Inputs (not modified): tests/fixtures/vocab.txt.
Outputs: tests/fixtures/model_garden_electra/{encoder,preprocess,golden.json,README.md}.

This needs its own venv (it is NOT the development env), the one of
tests/make_model_garden_fixture.py. Exact versions used:

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

    /tmp/mg_venv/bin/python tests/make_model_garden_electra_fixture.py

Everything is written into a temporary directory first and then moved into place.

Encoder: ``export_tfhub_lib.get_bert_encoder(bert_config)`` (a ``BertEncoder``: ``word_embeddings``
(width 16), ``position_embedding``, ``type_embeddings``, ``embeddings/layer_norm``,
``embedding_projection`` (16 -> 32), ``transformer/layer_{0,1}``, ``pooler_transform``). Config in
BERT_CONFIG below; max_position_embeddings is 128 = the preprocessing's default seq_length.

Variable initialization: ``tf.keras.utils.set_random_seed(1234)`` and
``tf_keras.utils.set_random_seed(1234)``, then the encoder is built exactly as
``export_tfhub_lib.get_bert_encoder`` builds it (TruncatedNormal(stddev=initializer_range),
initializer_range 0.2 as the other fixtures). Then, iterating the encoder's variables sorted by
name, with ``rng = np.random.default_rng(1234)``: every ``*/bias`` and every LayerNorm ``*/beta``
is set to ``rng.normal(0, 0.1, shape)`` and every LayerNorm ``*/gamma`` to
``1 + 0.1 * rng.normal(0, 1, shape)`` (float32); LAST, ``pooler_transform/kernel`` := identity and
``pooler_transform/bias`` := 0 (as TF-Hub's ELECTRA). The checkpoint is
``tf.train.Checkpoint(encoder=encoder)``, which export_model restores.

Activation: ``hidden_act="gelu"`` maps via ``tf_utils.get_activation`` to
``official.modeling.activations.gelu``, the tanh approximation (checked below). (Google's TF1
ELECTRA code uses the exact erf gelu; see electra_tf1/.)
"""

import json
import os
import shutil
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
from official.legacy.bert import configs
from official.modeling import activations as mg_activations
from official.modeling import tf_utils
from official.nlp.tools import export_tfhub_lib

import fixture_tools

FIXTURES = Path(fixture_tools.FIXTURES)
VOCAB_TXT = FIXTURES / "vocab.txt"
OUT = FIXTURES / "model_garden_electra"

SEED = 1234
PREPROCESS_SEQ_LENGTH = 128  # export_tfhub.py --default_seq_length default
ENCODER_SEQ_LENGTH = 16

BERT_CONFIG = dict(vocab_size=109, embedding_size=16, hidden_size=32, num_hidden_layers=2,
                   num_attention_heads=4, hidden_act="gelu", intermediate_size=64,
                   hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
                   max_position_embeddings=128, type_vocab_size=2, initializer_range=0.2)

# Case and accents the preprocessing model must fold (do_lower_case=True).
TEXTS_CASED = ["Hello World", "The First Token is CLS"]

PACKAGES = ["tensorflow", "tensorflow-text", "tf-models-official", "tf-keras", "keras",
            "tensorflow-hub", "numpy"]


def _check_activation():
  act = tf_utils.get_activation(BERT_CONFIG["hidden_act"])
  if act is not mg_activations.gelu:
    raise RuntimeError(f"get_activation('gelu') is {act}")
  variant = fixture_tools.gelu_variant(lambda x: act(tf.constant(x, tf.float32)).numpy().tolist())
  if variant != "tanh_approx":
    raise RuntimeError(f"Model Garden's gelu is {variant}, not the tanh approximation")
  return variant


def build_checkpoint(bert_config, ckpt_dir):
  """Builds a seeded encoder as export_tfhub_lib does, sets the identity pooler, checkpoints it."""
  tf.keras.utils.set_random_seed(SEED)
  tf_keras.utils.set_random_seed(SEED)
  encoder = export_tfhub_lib.get_bert_encoder(bert_config)
  names = [v.name for v in encoder.variables]
  if "embedding_projection/kernel:0" not in names:
    raise RuntimeError(f"no embedding_projection among {names}")
  rng = np.random.default_rng(SEED)
  overwritten = []
  for v in sorted(encoder.variables, key=lambda v: v.name):
    name = v.name
    if name.endswith("/bias:0") or name.endswith("/beta:0"):
      val = rng.normal(0.0, 0.1, v.shape)
    elif name.endswith("/gamma:0"):
      val = 1.0 + 0.1 * rng.normal(0.0, 1.0, v.shape)
    else:
      continue
    v.assign(val.astype(np.float32))
    overwritten.append(name)
  pooler = encoder.pooler_layer
  pooler.kernel.assign(np.eye(bert_config.hidden_size, dtype=np.float32))
  pooler.bias.assign(np.zeros(bert_config.hidden_size, np.float32))
  ckpt = tf.train.Checkpoint(encoder=encoder)
  return ckpt.save(os.path.join(ckpt_dir, "ckpt")), overwritten


def pack_examples(pre):
  """SENTENCES through the preprocessing model's own tokenize + bert_pack_inputs: singles
  [CLS] a [SEP], the pair [CLS] a [SEP] b [SEP], at ENCODER_SEQ_LENGTH."""
  rows = {"input_word_ids": [], "input_mask": [], "input_type_ids": []}
  for sentence in fixture_tools.SENTENCES:
    parts = [sentence] if isinstance(sentence, str) else list(sentence)
    packed = pre.bert_pack_inputs([pre.tokenize(tf.constant([p])) for p in parts],
                                  seq_length=tf.constant(ENCODER_SEQ_LENGTH))
    for k, t in packed.items():
      rows[k].append(t.numpy()[0].tolist())
  return rows


def compute_golden(enc_dir, pre_dir, activation, overwritten):
  pre = hub.load(pre_dir)
  enc = hub.load(enc_dir)
  singles = [s for s in fixture_tools.SENTENCES if isinstance(s, str)]
  pair = [s for s in fixture_tools.SENTENCES if not isinstance(s, str)][0]

  # (a) one-shot preprocessing at the default seq_length (128), singles and cased texts.
  one_shot = {k: t.numpy() for k, t in pre(tf.constant(singles + TEXTS_CASED)).items()}
  for k, t in one_shot.items():
    if t.shape != (len(singles) + len(TEXTS_CASED), PREPROCESS_SEQ_LENGTH) or t.dtype != np.int32:
      raise RuntimeError(f"preprocess {k}: {t.shape} {t.dtype}")

  # (b) tokenize (a RaggedTensor [batch, words, pieces]) and bert_pack_inputs.
  flat_texts = singles + list(pair) + TEXTS_CASED
  tokenized = fixture_tools.ragged_to_list(pre.tokenize(tf.constant(flat_texts)))
  special = {k: int(t.numpy()) for k, t in pre.tokenize.get_special_tokens_dict().items()}
  inputs = pack_examples(pre)
  if [r[:ENCODER_SEQ_LENGTH] for r in one_shot["input_word_ids"][:len(singles)].tolist()] != \
      inputs["input_word_ids"][:len(singles)]:
    raise RuntimeError("one-shot preprocess and tokenize+pack disagree")

  # (c) the encoder on the packed inputs, and on the one-shot 128-token batch.
  out = enc({k: tf.constant(v, tf.int32) for k, v in inputs.items()}, training=False)
  if not np.array_equal(out["default"].numpy(), out["pooled_output"].numpy()):
    raise RuntimeError("default != pooled_output")
  if not np.array_equal(out["encoder_outputs"][-1].numpy(), out["sequence_output"].numpy()):
    raise RuntimeError("encoder_outputs[-1] != sequence_output")
  full = enc({k: tf.constant(t) for k, t in one_shot.items()}, training=False)
  # The identity pooler: pooled_output == tanh(sequence_output[:, 0]) to float32 rounding.
  identity_diff = float(np.max(np.abs(
      out["pooled_output"].numpy() - np.tanh(out["sequence_output"].numpy()[:, 0]))))
  if identity_diff > 1e-6:
    raise RuntimeError(f"pooled_output is not tanh(sequence_output[:, 0]): {identity_diff}")
  pooler_vars = {v.name: v.numpy() for v in enc.variables if "pooler_transform" in v.name}
  if not (np.array_equal(pooler_vars["pooler_transform/kernel:0"], np.eye(BERT_CONFIG["hidden_size"]))
          and not pooler_vars["pooler_transform/bias:0"].any()):
    raise RuntimeError("the exported pooler_transform is not (identity, 0)")

  variables = [{"name": v.name, "shape": v.shape.as_list(), "dtype": v.dtype.name,
                "trainable": v.trainable} for v in enc.variables]
  return {
      "description": (
          "Golden values for tests/fixtures/model_garden_electra (made by "
          "tests/make_model_garden_electra_fixture.py with Model Garden "
          "export_tfhub_lib.export_model / export_preprocessing); computed by Model Garden's "
          "SavedModels in the generating env."),
      "schema": {
          "preprocess_one_shot": "preprocess(texts) at its default seq_length 128 for "
                                 "texts_one_shot (the single SENTENCES + texts_cased)",
          "tokenize": "preprocess.tokenize(texts_tokenized): [batch, words, pieces]",
          "inputs": "SENTENCES through preprocess.tokenize + bert_pack_inputs(seq_length=16), "
                    "one call per example (the pair as two segments)",
          "encoder": "encoder(inputs): pooled_output (= default; tanh(pooler_transform("
                     "sequence_output[:, 0])) with pooler_transform = (identity, 0), i.e. "
                     "tanh(sequence_output[:, 0])), sequence_output, encoder_outputs (each "
                     "layer's output; [-1] == sequence_output)",
          "encoder_one_shot_pooled_output": "encoder(preprocess_one_shot)['pooled_output'] "
                                            "(128 positions)",
      },
      "versions": fixture_tools.versions(PACKAGES),
      "identity_pooler_max_abs_diff": identity_diff,
      "activation": {"hidden_act": BERT_CONFIG["hidden_act"],
                     "gelu_variant": activation,
                     "resolved_to": "official.modeling.activations.gelu -> "
                                    "tf_keras.activations.gelu(x, approximate=True)"},
      "bert_config": BERT_CONFIG,
      "init": {
          "seed": SEED,
          "recipe": ("tf.keras.utils.set_random_seed(1234); tf_keras.utils.set_random_seed(1234); "
                     "export_tfhub_lib.get_bert_encoder(BertConfig(embedding_size=16, ...)); then for "
                     "vars sorted by name with np.random.default_rng(1234): bias/beta ~ N(0,0.1), "
                     "gamma ~ 1+0.1*N(0,1); then pooler_transform/kernel = identity, "
                     "pooler_transform/bias = 0"),
          "overwritten_variables": overwritten,
      },
      "export": {
          "export_model": {"bert_config": "legacy BertConfig (embedding_size=16)",
                           "with_mlm": False, "copy_pooler_dense_to_encoder": False,
                           "vocab_file": "vocab.txt", "do_lower_case": True,
                           "checkpoint": "tf.train.Checkpoint(encoder=...)"},
          "export_preprocessing": {"vocab_file": "vocab.txt", "do_lower_case": True,
                                   "tokenize_with_offsets": False,
                                   "default_seq_length": PREPROCESS_SEQ_LENGTH,
                                   "experimental_disable_assert": False},
      },
      "encoder_variables": variables,
      "sentences": fixture_tools.sentences_as_stored(),
      "texts_cased": TEXTS_CASED,
      "special_tokens": special,
      "texts_one_shot": singles + TEXTS_CASED,
      "preprocess_one_shot": {"seq_length": PREPROCESS_SEQ_LENGTH,
                              **{k: t.tolist() for k, t in one_shot.items()}},
      "texts_tokenized": flat_texts,
      "tokenize": tokenized,
      "inputs": {"seq_length": ENCODER_SEQ_LENGTH, **inputs},
      "encoder": {
          "pooled_output": fixture_tools.float32_list(out["pooled_output"]),
          "sequence_output": fixture_tools.float32_list(out["sequence_output"]),
          "encoder_outputs": [fixture_tools.float32_list(t) for t in out["encoder_outputs"]],
      },
      "encoder_one_shot_pooled_output": fixture_tools.float32_list(full["pooled_output"]),
  }


README = """\
# model_garden_electra fixture

Tiny TF2 ELECTRA SavedModels made the way TF-Hub's `google/electra_base/2` was made (with the
WordPiece preprocessing of `tensorflow/bert_en_uncased_preprocess/3`): a TF Model Garden
`BertEncoder` with `embedding_width` 16 < `hidden_size` 32 (so `embedding_projection` exists, the
counterpart of ELECTRA's `electra/embeddings_project`), whose `pooler_transform` kernel was set to
the **identity matrix** and its bias to **zero** before export (TF-Hub: "the dense layer (pooler)
on top of the CLS token (non-existent in the original pretraining) was initialized with the
identity matrix"), exported with `official/nlp/tools/export_tfhub_lib.py` (`export_model(
bert_config=..., with_mlm=False, vocab_file=..., do_lower_case=True)` from a
`tf.train.Checkpoint(encoder=...)`, and `export_preprocessing(vocab_file=..., do_lower_case=True,
...)` with the `export_tfhub.py` flag defaults). Generated by
`tests/make_model_garden_electra_fixture.py`; do not edit by hand.

- `encoder/`: encoder SavedModel, legacy `BertConfig({config})`. Variables:
  `word_embeddings/embeddings` [109, 16], `position_embedding/embeddings` [128, 16],
  `type_embeddings/embeddings` [2, 16], `embeddings/layer_norm/*`, `embedding_projection/*`
  (16 -> 32), `transformer/layer_{{0,1}}/*`, `pooler_transform/{{kernel,bias}}` = (identity, 0).
  Assets `vocab.txt`, `do_lower_case` True. `hidden_act="gelu"` is the **tanh approximation** in
  Model Garden.
- `preprocess/`: WordPiece preprocessing SavedModel over `../vocab.txt` (`do_lower_case=True`,
  `default_seq_length=128`, `tokenize_with_offsets=False`, asserts kept).
- `golden.json`: computed in the generating env by these SavedModels (see its `schema` key): the
  preprocessing model's ids for the example texts and the encoder's `pooled_output`,
  `sequence_output` and `encoder_outputs` on them.

What the encoder computes for pooled_output: `tanh(pooler_transform(sequence_output[:, 0]))` with
`pooler_transform` = (identity, 0), i.e. `tanh(sequence_output[:, 0])` (checked to
{identity_diff:.3g}): an identity pooler, NOT the [CLS] state itself (Google's TF1 ELECTRA code
returns `sequence_output[:, 0]` with no tanh; see `electra_tf1/`).

Weights: Model Garden's init (TruncatedNormal(0.2), seeds {seed}), then biases/betas N(0, 0.1) and
gammas 1 + 0.1 N(0, 1) from `np.random.default_rng({seed})` (sorted names), then the identity
pooler.

Regenerate (from the repo root, in a separate venv):

    python3.11 -m venv /tmp/mg_venv && /tmp/mg_venv/bin/pip install tf-models-official==2.20.0
    /tmp/mg_venv/bin/python tests/make_model_garden_electra_fixture.py

Generated with: {versions}.
"""


def main():
  tf.config.threading.set_intra_op_parallelism_threads(1)  # the machine is shared
  tf.config.threading.set_inter_op_parallelism_threads(1)
  activation = _check_activation()
  bert_config = configs.BertConfig.from_dict(BERT_CONFIG)
  with tempfile.TemporaryDirectory(prefix="mg_electra_fixture_") as tmp:
    tmp = Path(tmp)
    stage = tmp / "model_garden_electra"
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

    golden = compute_golden(str(stage / "encoder"), str(stage / "preprocess"), activation,
                            overwritten)
    fixture_tools.write_text(str(stage / "golden.json"), fixture_tools.compact_json(golden))
    fixture_tools.write_text(str(stage / "README.md"), README.format(
        seed=SEED, config=fixture_tools.call_args(BERT_CONFIG),
        identity_diff=golden["identity_pooler_max_abs_diff"],
        versions=fixture_tools.versions_line(golden["versions"])))

    # export_preprocessing's own temporary vocab path is known to end up in preprocess/: noted,
    # not fatal.
    found = fixture_tools.files_containing(str(stage), [str(tmp), fixture_tools.REPO_ROOT])
    for rel in sorted({rel for rel, _ in found}):
      print(f"note: {rel} contains a temporary path")
    if OUT.exists():
      shutil.rmtree(OUT)
    shutil.move(str(stage), str(OUT))

  fixture_tools.print_listing(str(OUT), 50)
  print(f"gelu variant: {activation}")
  print("inputs:", json.dumps(golden["inputs"]["input_word_ids"]))
  return 0


if __name__ == "__main__":
  sys.exit(main())
