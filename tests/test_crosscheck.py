"""Tests of hub_repro.crosscheck: keras-hub's BertBackbone (and Hugging Face's BertModel, when torch
is installed) against the module, on the same weights and inputs. No network."""

import json
import os
from unittest import mock

import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from hub_repro import api, cli, crosscheck, embedded, naming, tolerances
from hub_repro.families.bert import modeling, names as bert_names
from hub_repro.config import BertConfig
from hub_repro.sources import config_from_params, huggingface, keras_hub
from hub_repro.weights import WeightsError

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
GOOGLE_MODULE = os.path.join(FIXTURES, "google_tf1", "module")
GOOGLE_CONFIG = os.path.join(FIXTURES, "bert_config.json")
MODEL_GARDEN_ENCODER = os.path.join(FIXTURES, "model_garden_tf2", "encoder")
FIXTURE_SEQ_LENGTH = 16  # the fixture has 64 position embeddings; short keeps the tests fast
EXAMPLES = ["the quick brown fox", "a b c d e f g", ("first segment", "second one")]


def _quiet(_):
  pass


def _random_params(config: BertConfig, seed: int = 0) -> dict:
  """Every modeling.py weight, random (not 0 or 1, so a dropped bias or gamma shows)."""
  rng = np.random.RandomState(seed)
  return {name: rng.normal(0.0, 0.5 if len(shape) > 1 else 0.1, shape).astype(np.float32)
          for name, shape in modeling.variable_shapes(config).items()}


def _keras_row(rows, prefix):
  """The row named `prefix`, else the one row whose name starts with it."""
  matches = ([row for row in rows if row["implementation"] == prefix]
             or [row for row in rows if row["implementation"].startswith(prefix)])
  if len(matches) != 1:
    raise LookupError(f"expected one row starting with {prefix!r}, got "
                      f"{[row['implementation'] for row in rows]}")
  return matches[0]


class NameMapTest(tf.test.TestCase, parameterized.TestCase):
  """The modeling.py -> keras-hub name map on a tiny random BERT (modeling_test.py's sizes)."""

  def setUp(self):
    super().setUp()
    self.config = BertConfig(vocab_size=99, hidden_size=32, num_hidden_layers=2,
                             num_attention_heads=4, intermediate_size=37,
                             max_position_embeddings=16, type_vocab_size=2)
    self.params = _random_params(self.config)

  def test_map_covers_every_modeling_name(self):
    expanded = naming.expand_layers(bert_names.BERT_TO_KERAS_HUB, self.config.num_hidden_layers)
    self.assertSetEqual(set(expanded), set(modeling.variable_shapes(self.config)))
    self.assertLen(set(expanded.values()), len(expanded))  # no two names onto one weight

  def test_backbone_holds_the_params(self):
    backbone = keras_hub.backbone_from_params(self.params, self.config)
    variables = {v.path: v.numpy() for v in backbone.weights}
    table = naming.expand_layers(bert_names.BERT_TO_KERAS_HUB, self.config.num_hidden_layers)
    for name, path in table.items():
      # A reshape moves no number: the flat values must be identical, bit for bit.
      self.assertAllEqual(variables[path].reshape(-1), self.params[name].reshape(-1), msg=name)

  def test_backbone_build_draws_no_random_weights(self):
    # Every weight is overwritten from params, so keras-hub's truncated normal draws (2.6 s of a
    # BERT-base build on 2 cores) are skipped: the build starts from zeros.
    import keras
    from unittest import mock

    from keras_hub.src.models.bert import bert_backbone

    truncated_normal = keras.initializers.TruncatedNormal
    with mock.patch.object(truncated_normal, "__call__", autospec=True,
                           side_effect=truncated_normal.__call__) as draws:
      backbone = keras_hub.backbone_from_params(self.params, self.config)
      self.assertEqual(draws.call_count, 0)
      bert_backbone.bert_kernel_initializer()(shape=(2, 2))  # keras-hub's own is back
      self.assertEqual(draws.call_count, 1)
    self.assertIsInstance(bert_backbone.bert_kernel_initializer(), truncated_normal)
    variables = {v.path: v.numpy() for v in backbone.weights}
    self.assertAllEqual(variables["token_embedding/embeddings"],
                        self.params["bert/embeddings/word_embeddings"])

  def test_backbones_built_at_once_leave_keras_hubs_initializer(self):
    # crosscheck builds its keras-hub peers in threads: the zero-initializer swap is held by one
    # build at a time, so keras-hub's own initializer is back once both are built.
    import concurrent.futures

    from keras_hub.src.models.bert import bert_backbone

    original = bert_backbone.bert_kernel_initializer
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
      backbones = list(pool.map(
          lambda _: keras_hub.backbone_from_params(self.params, self.config), range(2)))
    self.assertLen(backbones, 2)
    self.assertIs(bert_backbone.bert_kernel_initializer, original)

  def test_backbone_runs_as_one_graph_for_every_shape(self):
    # Called eagerly, keras-hub dispatched each op from Python: 1.9x the module's time on short
    # bucketed batches at BERT-base. One trace serves every batch shape, with or without layers.
    source = keras_hub.KerasHubSource.from_params(self.params, self.config)
    for ids in (np.array([[2, 5, 6, 3]], np.int32), np.array([[2, 5, 3], [2, 7, 3]], np.int32)):
      out = source.run(ids, np.ones_like(ids), np.zeros_like(ids))
      self.assertEqual(out["sequence_output"].shape, (*ids.shape, self.config.hidden_size))
      layers = source.run(ids, np.ones_like(ids), np.zeros_like(ids), layers=True)
      self.assertLen(layers["encoder_outputs"], self.config.num_hidden_layers)
      self.assertAllEqual(layers["encoder_outputs"][-1], out["sequence_output"])
    self.assertEqual(source.function().experimental_get_tracing_count(), 1)
    self.assertEqual(source.function(layers=True).experimental_get_tracing_count(), 1)

  def test_backbone_matches_modeling_py(self):
    """Independent of any module: hub_repro.modeling and keras-hub on the same random weights."""
    ids = np.array([[2, 5, 6, 7, 3, 0, 0], [2, 8, 9, 3, 10, 11, 3]], np.int32)
    mask = np.array([[1, 1, 1, 1, 1, 0, 0], [1] * 7], np.int32)
    segments = np.array([[0] * 7, [0, 0, 0, 0, 1, 1, 1]], np.int32)
    expected = modeling.bert_model(self.params, self.config, ids, mask, segments)
    out = keras_hub.KerasHubSource.from_params(self.params, self.config).run(ids, mask, segments)
    pooled, sequence = out["pooled_output"], out["sequence_output"]
    self.assertEqual({"sequence_output": sequence.shape, "pooled_output": pooled.shape},
                     {"sequence_output": (2, 7, 32), "pooled_output": (2, 32)})
    real = mask == 1
    # Same float32 math in another order (see tolerances.FLOAT32_TOLERANCE); these weights are
    # 25x larger than a trained BERT's, hence atol a little above that tolerance's measurements.
    self.assertAllClose(sequence[real], expected["sequence_output"].numpy()[real], atol=2e-5,
                        rtol=0)
    self.assertAllClose(pooled, expected["pooled_output"], atol=2e-5, rtol=0)

  def test_transformers_model_computes_with_the_params_own_buffers(self):
    # crosscheck's peer holds the params as they are (no 440 MB copy at BERT-base, 1.1-1.9 s);
    # copy=True lays each weight out as from_pretrained does (the benchmarks' throughput peer).
    if huggingface.why_no_torch() is not None:
      self.skipTest(huggingface.why_no_torch())
    import torch

    ids = np.array([[2, 5, 6, 7, 3, 0], [2, 8, 9, 3, 10, 3]], np.int64)
    mask = np.array([[1, 1, 1, 1, 1, 0], [1] * 6], np.int64)
    table = naming.expand(bert_names.HUGGING_FACE.table,
                          naming.name_ranges(self.config))
    outputs = {}
    for copy in (False, True):
      model = huggingface.model_from_params(self.params, self.config, copy=copy)
      weights = dict(model.state_dict())
      for hf_name, name in table.items():
        held = weights[hf_name].numpy()
        self.assertEqual(np.shares_memory(held, self.params[name]), not copy, msg=hf_name)
        if copy:
          self.assertTrue(weights[hf_name].is_contiguous(), msg=hf_name)
        transposed = huggingface._transposed(bert_names.HUGGING_FACE, hf_name)
        expected = self.params[name].T if transposed else self.params[name]  # [out, in]
        self.assertAllEqual(held, expected, msg=hf_name)
      with torch.inference_mode():
        out = model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask))
      outputs[copy] = out.last_hidden_state.numpy()[mask == 1]
    # The same weights read in another memory layout: the GEMMs may sum in another order, a few
    # ulps of values up to ~10 (these weights are 25x a trained BERT's), far below 2e-5.
    self.assertAllClose(outputs[False], outputs[True], atol=2e-5, rtol=0)

  @parameterized.named_parameters(
      ("missing", "drop", "bert/encoder/layer_1/output/dense/bias",
       r"missing keys \['bert/encoder/layer_1/output/dense/bias'\], unexpected keys \[\]"),
      ("unexpected", "add", "bert/encoder/layer_2/output/dense/bias",
       r"missing keys \[\], unexpected keys \['bert/encoder/layer_2/output/dense/bias'\]"),
      ("shape", "transpose", "bert/encoder/layer_0/intermediate/dense/kernel",
       r"bert/encoder/layer_0/intermediate/dense/kernel has shape \(37, 32\), expected "
       r"\(32, 37\)"),
  )
  def test_bad_params_are_named(self, change, name, message):
    params = dict(self.params)
    if change == "drop":
      del params[name]
    elif change == "add":
      params[name] = np.zeros([32], np.float32)
    else:
      params[name] = params[name].T
    with self.assertRaisesRegex(WeightsError, message):
      keras_hub.backbone_from_params(params, self.config)

  def test_model_garden_names_map_back(self):
    """Model Garden's [H, N, H/N] attention weights flatten to modeling.py's [H, H] exactly."""
    variables = naming.bert_to_model_garden(self.params, self.config)
    variables["Variable"] = np.array(True)  # the export's do_lower_case, ignored
    params, naming_name, num_heads = naming.to_bert_params(variables)
    self.assertEqual((naming_name, num_heads), ("Model Garden", 4))
    self.assertSetEqual(set(params), set(self.params))
    for name, value in self.params.items():
      self.assertAllEqual(params[name], value, msg=name)

  def test_unknown_names_are_refused(self):
    with self.assertRaisesRegex(ValueError,
                                r"named neither like modeling.py.*first names: \['encoder/w'\]"):
      naming.to_bert_params({"encoder/w": np.zeros([2])})

  def test_config_from_shapes_guesses_heads(self):
    # 32 // 64 = 0 heads of 64 values: the guess falls back to 1 head.
    self.assertEqual(config_from_params(self.params), BertConfig(
        vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=1,
        intermediate_size=37, max_position_embeddings=16, type_vocab_size=2))
    self.assertEqual(config_from_params(self.params, num_attention_heads=4), self.config)


class GoogleFixtureTest(tf.test.TestCase):
  """The TF1 Hub module made with Google's own modeling.py (gelu = tanh approximation)."""

  def test_keras_hub_agrees_with_the_module(self):
    config = BertConfig.from_json_file(GOOGLE_CONFIG)
    rows = api.crosscheck(GOOGLE_MODULE, EXAMPLES, max_seq_length=FIXTURE_SEQ_LENGTH,
                          num_heads=config.num_attention_heads)
    # The fixture's 0.02-scale weights keep gelu's inputs small: both forms fit, and it says so.
    self.assertRegex(rows[0]["gelu"], r"\(NOT DETERMINED: both forms fit")
    row = _keras_row(rows, "keras-hub BertBackbone")
    self.assertEqual(row["gelu"], "tanh approximation")
    # Matching gelu: only float32 rounding remains; measured 1e-6 (FLOAT32_TOLERANCE says why).
    self.assertLessEqual(row["sequence_max_abs_diff"], tolerances.FLOAT32_TOLERANCE)
    self.assertLessEqual(row["pooled_max_abs_diff"], tolerances.FLOAT32_TOLERANCE)
    self.assertTrue(row["agrees"])
    self.assertTrue(crosscheck.agrees(rows))

  def test_rebuild_computes_with_the_modules_own_variables(self):
    # As --full does: no copy of the weights (440 MB at BERT-base) for the modeling.py row.
    from hub_repro import module

    source = module.load(GOOGLE_MODULE)
    config = BertConfig.from_json_file(GOOGLE_CONFIG)
    peers = crosscheck._peers(source, source.params(), config)
    rebuild = next(p for p in peers if p.name.startswith("modeling.py rebuild"))
    rebuild.build()
    rebuild = rebuild.source
    own = source.tf_params()
    self.assertNotEmpty(own)
    for name, variable in rebuild.tf_params().items():
      self.assertIs(variable, own[name], msg=name)

  def test_the_search_hands_its_rebuild_to_the_rebuild_row(self):
    # Without its gelu form, --full's search makes and traces a rebuild under the likeliest (the
    # given heads, modeling.py's gelu), which fits; the modeling.py row computes with that one. A
    # second rebuild made for the row would trace the same forward pass again (~0.5 s at
    # BERT-base): one trace in all.
    from hub_repro.sources import google_checkpoint

    config = BertConfig.from_json_file(GOOGLE_CONFIG)
    forward, traced = google_checkpoint.ModelingSource.forward, []

    def recording_forward(self, layers=False):
      if layers not in self._forward:  # a new trace
        traced.append((id(self), layers))
      return forward(self, layers)

    with mock.patch.object(google_checkpoint.ModelingSource, "forward", recording_forward):
      rows = api.crosscheck(GOOGLE_MODULE, EXAMPLES, max_seq_length=FIXTURE_SEQ_LENGTH,
                          num_heads=config.num_attention_heads)
    self.assertRegex(rows[0]["explanation"], "--full's search")
    row = _keras_row(rows, "modeling.py rebuild")
    self.assertEqual(row["status"], "ran")
    self.assertTrue(row["agrees"])
    self.assertLen(traced, 1)

  def test_a_wrong_head_count_is_caught(self):
    rows = api.crosscheck(GOOGLE_MODULE, EXAMPLES, max_seq_length=FIXTURE_SEQ_LENGTH, num_heads=2)
    row = _keras_row(rows, "keras-hub BertBackbone")
    self.assertFalse(row["agrees"])
    self.assertRegex(row["explanation"], "num_attention_heads")
    self.assertFalse(crosscheck.agrees(rows))

  def test_main_prints_and_writes_json(self):
    path = os.path.join(self.get_temp_dir(), "crosscheck.json")
    code = cli.main(["crosscheck", "--handle", GOOGLE_MODULE, "--config", GOOGLE_CONFIG,
                     "--max-seq-length", "32", "--json", path])
    self.assertEqual(code, cli.EXIT_REPRODUCED)
    with open(path, encoding="utf-8") as f:
      record = json.load(f)
    self.assertEqual(record["exit_code"], 0)
    self.assertRegex(record["rows"][0]["gelu"], r"from the given config")

  def test_main_refuses_bad_input(self):
    nothing = os.path.join(self.get_temp_dir(), "nothing")
    self.assertEqual(cli.main(["crosscheck", "--handle", nothing]), cli.EXIT_BAD_INPUT)
    self.assertEqual(cli.main(["crosscheck", "--handle", GOOGLE_MODULE, "--num-heads", "4",
                               "--max-seq-length", "128"]),
                     cli.EXIT_BAD_INPUT)  # 128 > the fixture's 64 positions

  def test_model_garden_fixture_agrees(self):
    rows = api.crosscheck(MODEL_GARDEN_ENCODER, EXAMPLES, max_seq_length=FIXTURE_SEQ_LENGTH)
    self.assertRegex(rows[0]["explanation"], r"4 heads, gelu")  # heads from Model Garden's [H, N, H/N]
    row = _keras_row(rows, "keras-hub BertBackbone")
    # Model Garden's "gelu" is the tanh approximation too: float32 rounding only.
    self.assertLessEqual(row["sequence_max_abs_diff"], tolerances.FLOAT32_TOLERANCE)
    self.assertLessEqual(row["pooled_max_abs_diff"], tolerances.FLOAT32_TOLERANCE)


class EmbeddedModelTest(tf.test.TestCase):
  """all-MiniLM-L6-v2, trained with Hugging Face's "gelu" (erf); keras-hub uses tanh."""

  rows = None

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.rows = api.crosscheck(None, EXAMPLES + ["Is the pooled output the hidden state "
                                                       "of the first token?"], max_seq_length=32)

  def test_module_gelu_is_read_from_the_config(self):
    self.assertEqual(self.rows[0]["gelu"], f"erf (exact) (from config.json of {embedded.PACKAGE})")
    self.assertRegex(self.rows[0]["explanation"], "6 layers, hidden 384, 12 heads")

  def test_gelu_mismatch_is_measured_and_explained(self):
    shipped = _keras_row(self.rows, "keras-hub BertBackbone")
    control = _keras_row(self.rows, "keras-hub BertBackbone, activation gelu_exact")
    # The control (keras-hub with erf gelu) leaves float32 rounding only (measured 2e-6) ...
    self.assertLessEqual(control["sequence_max_abs_diff"], tolerances.FLOAT32_TOLERANCE)
    self.assertLessEqual(control["pooled_max_abs_diff"], tolerances.FLOAT32_TOLERANCE)
    # ... so keras-hub as shipped differs by gelu alone: measured 3e-3 (sequence) and 2e-4
    # (pooled), within the bound GELU_MISMATCH_TOLERANCE explains.
    self.assertLessEqual(shipped["sequence_max_abs_diff"], tolerances.GELU_MISMATCH_TOLERANCE)
    self.assertLessEqual(shipped["pooled_max_abs_diff"], tolerances.GELU_MISMATCH_TOLERANCE)
    self.assertRegex(shipped["explanation"], "gelu differs")
    # And the difference is real, not rounding: a float32-level comparison would fail on it, so a
    # silent gelu mix-up (keras-hub switching to erf, or the module to tanh) breaks this test.
    self.assertGreater(shipped["sequence_max_abs_diff"], 10 * tolerances.FLOAT32_TOLERANCE)
    self.assertGreater(shipped["pooled_max_abs_diff"], tolerances.FLOAT32_TOLERANCE)
    self.assertGreater(shipped["sequence_max_abs_diff"], 100 * control["sequence_max_abs_diff"])
    self.assertTrue(crosscheck.agrees(self.rows))

  def test_from_preset_agrees_with_the_name_map(self):
    """keras-hub's own Hugging Face converter and our name map give the same outputs."""
    preset = _keras_row(self.rows, "keras-hub BertBackbone.from_preset")
    mapped = _keras_row(self.rows, "keras-hub BertBackbone")
    # Same code, same weights (the module holds the package's float32 weights): same numbers, up
    # to nothing at all; 1e-7 only guards against a different kernel choice between two builds.
    self.assertAllClose(
        [preset["pooled_max_abs_diff"], preset["sequence_max_abs_diff"]],
        [mapped["pooled_max_abs_diff"], mapped["sequence_max_abs_diff"]], atol=1e-7, rtol=0)

  def test_from_preset_weights_equal_mapped_weights(self):
    from hub_repro.weights import read_huggingface  # pylint: disable=g-import-not-at-top

    weights = read_huggingface(embedded.model_dir())
    ours = {v.path: v.numpy() for v in keras_hub.backbone_from_params(weights.params, weights.config).weights}
    theirs = {v.path: v.numpy()
              for v in keras_hub.keras_hub_from_hf_folder(embedded.model_dir()).weights}
    self.assertSetEqual(set(ours), set(theirs))
    for path, value in ours.items():
      self.assertAllEqual(value, theirs[path], msg=path)  # copies of one file: bit for bit

  def test_transformers_row(self):
    row = _keras_row(self.rows, "transformers BertModel")
    self.assertIn("hidden_act='gelu'", row["implementation"])  # HF "gelu" is the erf form
    if huggingface.why_no_torch() is None:  # torch and transformers import
      self.assertTrue(row["agrees"])
    else:
      self.assertEqual(row["status"], "skipped")
      self.assertIn(huggingface.TORCH_HINT, row["explanation"])


if __name__ == "__main__":
  tf.test.main()
