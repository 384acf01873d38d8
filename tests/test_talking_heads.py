"""Talking-Heads BERT (TF-Hub's tensorflow/talkheads_ggelu_bert_en_base): Model Garden's
EncoderScaffold with TalkingHeadsAttention and GatedFeedforward, computed by TensorFlow from its
TF2 SavedModel and reproduced by hub_repro.families.talking_heads.modeling.

The fixture (tests/fixtures/model_garden_talking_heads, README.md there) was made by Model Garden's
own export_tfhub_lib (tf-models-official 2.20.0); its golden.json holds that toolchain's ids, its
outputs and which variables each output reads.
"""

import json
import os

import numpy as np
import tensorflow as tf

from hub_repro import api, cli, families, model_diff, module, naming, tolerances
from hub_repro.families.bert import modeling as bert_modeling
from hub_repro.families.talking_heads import modeling
import testutil

FIXTURE = os.path.join(testutil.FIXTURES, "model_garden_talking_heads")
ENCODER = os.path.join(FIXTURE, "encoder")
PREPROCESS = os.path.join(FIXTURE, "preprocess")
BERT_ENCODER = os.path.join(testutil.FIXTURES, "model_garden_tf2", "encoder")
# The same framework on the same weights and ids as the toolchain that wrote golden.json: a few
# float32 ulps on values of size ~1-4 through 2 layers (test_families.GOLDEN_ATOL).
GOLDEN_ATOL = 1e-5
# golden.json's "dependencies": a variable moved an output by less than this when perturbed by
# N(0, 0.1) alone is "inert" (read, but cancels out: float32 rounding only).
INERT = 1e-5


def golden() -> dict:
  with open(os.path.join(FIXTURE, "golden.json"), encoding="utf-8") as f:
    return json.load(f)


def golden_inputs(stored: dict) -> list:
  inputs = stored["inputs"]
  return [np.asarray(inputs[k], np.int32)
          for k in ("input_word_ids", "input_mask", "input_type_ids")]


class TalkingHeadsFixtureTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.source = module.load(ENCODER)
    cls.golden = golden()

  def rebuild(self, params, inputs):
    config = self.source.config()
    return families.get(config).model(params, config, *[tf.constant(t) for t in inputs])

  def test_cli_pooled_is_the_pooler_and_full_rebuilds_every_layer(self):
    path = os.path.join(self.get_temp_dir(), "out.json")
    code, out, err = testutil.run_cli("--handle", ENCODER, "--preprocessor", PREPROCESS, "--full",
                                      "--max-seq-length", "32", "--json", path)
    self.assertEqual(code, cli.EXIT_REPRODUCED, out + err)
    self.assertIn("pooled_is: pooler", out)
    with open(path, encoding="utf-8") as f:
      record = json.load(f)
    self.assertEqual((record["format"], record["family"], record["pooled_is"]),
                     ("tf2-savedmodel", "talking_heads", "pooler"))
    self.assertIn("cls_transform/kernel", record["pooler"]["kernel"])
    # float32 rounding of one tanh(dense): see tolerances.POOLER_TOLERANCE.
    self.assertLessEqual(record["pooled_vs_rebuilt"]["max_abs_diff"], tolerances.POOLER_TOLERANCE)
    self.assertGreater(record["pooled_vs_cls"]["max_abs_diff"], 0.1)
    full = record["full"]
    self.assertEqual((full["family"], full["config"]["num_attention_heads"],
                      full["config"]["hidden_act"]), ("talking_heads", 4, "gelu"))
    self.assertLen(full["layers"], 2)
    # A whole forward pass in another order: see tolerances.FULL_TOLERANCE.
    for layer in full["layers"]:
      self.assertLessEqual(layer["max_abs_diff"], tolerances.FULL_TOLERANCE, layer)
    self.assertLessEqual(full["sequence_vs_rebuilt"]["max_abs_diff"], tolerances.FULL_TOLERANCE)
    self.assertTrue(full["reproduced"])
    self.assertIn("rebuilt from TF Model Garden's talking_heads_attention.py", out)

  def test_own_tokenizer_and_framework_match_the_toolchains_numbers(self):
    self.assertEqual((self.source.format, self.source.family), ("tf2-savedmodel", "talking_heads"))
    inputs = golden_inputs(self.golden)
    singles = [s for s in self.golden["sentences"] if isinstance(s, str)]
    pair = [tuple(s) for s in self.golden["sentences"] if not isinstance(s, str)]
    tokenizer = self.source.tokenizer()  # the encoder's own vocab.txt, not the preprocessor
    length = self.golden["inputs"]["seq_length"]
    self.assertAllEqual(tokenizer.encode(singles, length).input_ids, inputs[0][:len(singles)])
    self.assertAllEqual(tokenizer.encode(pair, length).input_ids, inputs[0][len(singles):])
    out = self.source.run(*inputs, layers=True)
    expected = self.golden["encoder"]
    for name in ("sequence_output", "pooled_output"):
      self.assertAllClose(out[name], expected[name], atol=GOLDEN_ATOL, rtol=0)
    self.assertLen(out["encoder_outputs"], 2)

  def test_rebuild_gives_the_toolchains_outputs_and_layers(self):
    out = self.rebuild(self.source.params(), golden_inputs(self.golden))
    expected = self.golden["encoder"]
    self.assertEqual({k: np.shape(v) for k, v in out.items() if k != "encoder_outputs"},
                     {"pooled_output": (4, 32), "sequence_output": (4, 16, 32)})
    # A whole forward pass in another order (einsum vs matmul): see tolerances.FULL_TOLERANCE.
    for name in ("sequence_output", "pooled_output"):
      self.assertAllClose(out[name], expected[name], atol=tolerances.FULL_TOLERANCE, rtol=0)
    self.assertLen(out["encoder_outputs"], len(expected["encoder_outputs"]))
    for layer, value in zip(out["encoder_outputs"], expected["encoder_outputs"]):
      self.assertAllClose(layer, value, atol=tolerances.FULL_TOLERANCE, rtol=0)

  def test_rebuild_reads_exactly_what_the_encoder_reads(self):
    # golden.json perturbed each variable of the SavedModel alone; the rebuild, perturbed the same
    # way, must be moved by the same ones: the key biases cancel in both (a key bias adds q.b_k
    # to a whole row of logits, which the [N, N] mixing keeps constant along the row).
    config = self.source.config()
    inputs = golden_inputs(self.golden)
    variables = self.source.variable_values()
    table = naming.model_garden_names(config)
    params = dict(self.source.params())
    base = self.rebuild(params, inputs)["sequence_output"]
    rng = np.random.default_rng(0)
    moved, still = set(), set()
    for mg_name, ours in table.items():
      changed = dict(params)
      changed[ours] = params[ours] + rng.normal(0, 0.1, params[ours].shape).astype(np.float32)
      change = np.max(np.abs(self.rebuild(changed, inputs)["sequence_output"] - base))
      (moved if change >= INERT else still).add(f"{mg_name}:0")
    stored = self.golden["dependencies"]["sequence_output"]
    self.assertCountEqual(still, stored["inert"] + stored["unused"])
    # Every variable but do_lower_case's "Variable" is the rebuild's, moving it or not.
    self.assertCountEqual(moved | still, [f"{k}:0" for k in variables if k != "Variable"])

  def test_model_garden_names_round_trip(self):
    config = self.source.config()
    self.assertEqual((config.family, config.num_hidden_layers, config.num_attention_heads,
                      config.intermediate_size), ("talking_heads", 2, 4, 37))
    variables = self.source.variable_values()
    back = naming.bert_to_model_garden(self.source.params(), config)
    self.assertCountEqual(back, [k for k in variables if k != "Variable"])
    for name, value in back.items():  # per-head kernels reshaped back, bit for bit
      self.assertAllEqual(value, variables[name], msg=name)
    names = naming.model_garden_names(config)  # Keras' suffix: layer 1 is transformer_scaffold_1
    self.assertEqual(names["transformer_scaffold_1/feedforward/gate_0/kernel"],
                     "talking_heads/encoder/layer_1/intermediate/gate/kernel")

  def test_diff_against_bert_of_the_same_size_names_the_families_in_one_line(self):
    record = model_diff.diff(ENCODER, BERT_ENCODER, testutil.SENTENCES, 32, log=lambda _: None)
    self.assertFalse(record["same"])
    self.assertEqual(record["explanation"],
                     "DIFFERENT: A is Talking-Heads BERT (talking-heads attention: 4x4 head "
                     "mixings before and after the softmax; gated gelu feed-forward), B is BERT")
    self.assertNotIn("\n", record["explanation"])

  def test_crosscheck_the_rebuild_agrees_with_the_module(self):
    from hub_repro import crosscheck
    rows = api.crosscheck(ENCODER, testutil.SENTENCES, max_seq_length=32)
    ran = [row for row in rows[1:] if row["status"] == "ran"]
    self.assertEqual([row["implementation"] for row in ran],
                     ["modeling.py rebuild (hub_repro.families.talking_heads.modeling)"])
    # float32 rounding only: see tolerances.FLOAT32_TOLERANCE
    self.assertLessEqual(ran[0]["pooled_max_abs_diff"], tolerances.FLOAT32_TOLERANCE)
    self.assertLessEqual(ran[0]["sequence_max_abs_diff"], tolerances.FLOAT32_TOLERANCE)
    self.assertTrue(crosscheck.agrees(rows))


class TalkingHeadsLayerTest(tf.test.TestCase):
  """One layer on random weights, B = 2, S = 7, H = 32, N = 4, I = 37."""

  def setUp(self):
    super().setUp()
    self.config = testutil.tiny_config(family="talking_heads")
    rng = np.random.default_rng(0)
    shapes = modeling.layer_shapes(self.config)
    self.params = {f"layer/{k}": rng.normal(0, 0.2, v).astype(np.float32)
                   for k, v in shapes.items()}
    self.x = tf.constant(rng.normal(0, 1, (2 * 7, 32)).astype(np.float32))  # [B*S, H]
    mask = np.ones((2, 7), np.int32)
    mask[1, 5:] = 0
    self.mask = bert_modeling.create_attention_mask_from_input_mask(tf.constant(mask))

  def layer(self, params, fn=modeling.transformer_layer):
    return fn(self.x, self.mask, params, "layer", self.config, 2, 7, False)

  def test_identity_mixings_and_an_open_gate_give_bert_s_layer(self):
    n, i = self.config.num_attention_heads, self.config.intermediate_size
    params = {**self.params,
              "layer/attention/self/pre_softmax_weight": np.eye(n, dtype=np.float32),
              "layer/attention/self/post_softmax_weight": np.eye(n, dtype=np.float32),
              "layer/intermediate/gate/kernel": np.zeros((32, i), np.float32),
              "layer/intermediate/gate/bias": np.ones((i,), np.float32)}
    # Another graph (einsum vs matmul) and mask (-1e9 vs -10000): see tolerances.FLOAT32_TOLERANCE.
    self.assertAllClose(self.layer(params), self.layer(params, bert_modeling.transformer_layer),
                        atol=tolerances.FLOAT32_TOLERANCE, rtol=0)
    for name in ("pre_softmax_weight", "post_softmax_weight"):  # each mixing is applied
      mixed = dict(params)
      mixed[f"layer/attention/self/{name}"] = self.params[f"layer/attention/self/{name}"]
      self.assertGreater(np.max(np.abs(self.layer(mixed) - self.layer(params))), 1e-2, name)

  def test_describe_says_what_sets_the_family_apart(self):
    text = modeling.describe(self.config)
    self.assertIn("talking-heads attention", text)
    self.assertIn("gated gelu feed-forward", text)
    self.assertEqual(families.names("talking_heads").MODEL_GARDEN.table["cls_transform/kernel"],
                     modeling.POOLER_KERNEL)
