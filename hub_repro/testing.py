"""Assertions for a user's own test suite (tf.test.TestCase, unittest or pytest), on hub_repro's
verdicts. A failure is an AssertionError whose message is the one line the command line prints.

    from hub_repro import testing

    class ConversionTest(tf.test.TestCase):

      def test_my_tf2_export_is_the_same_function_as_the_original(self):
        testing.assert_same_function("bert_v1", "converted/encoder", ["a sentence", "another"])

      def test_pooled_output_is_the_pooler(self):
        testing.assert_pooler_reproduced("converted/encoder", preprocessor="converted/preprocess")

Bad input (a missing folder, an unknown format) raises its ValueError, not AssertionError: a test
that cannot run is an error, not a failure.
"""

from __future__ import annotations

from hub_repro import api


def assert_pooler_reproduced(model=None, sentences=None, **options):
  """Fails unless what `model`'s pooled_output is (a pooler, an identity pooler, the [CLS] state:
  `result.pooled_is`) is reproduced within the tolerance on every example (`hub_repro check`'s
  exit 0), and with `full=True` its whole encoder too. Returns the compare.Result. `options` are
  api.check's (max_seq_length, preprocessor, full, ...)."""
  result = api.check(model, sentences, **options)
  if result.verdict == "NO POOLER":
    raise AssertionError(result.no_pooler_message())
  if not result.reproduced:
    explained_by = (result.pooler.kernel_name if result.pooler is not None
                    else "sequence_output[:, 0]")
    raise AssertionError(
        f"{result.handle}: pooled_output NOT REPRODUCED by {explained_by}: max |diff| "
        f"{result.pooled_vs_rebuilt.max_abs_diff:.3g} > tolerance {result.tolerance:g}")
  if result.full is not None and not result.full.reproduced:
    worst = max([("sequence_output", result.full.sequence_max_abs_diff),
                 ("pooled_output", result.full.pooled_max_abs_diff)]
                + [(f"encoder_outputs[{i}]", d)
                   for i, d in enumerate(result.full.layer_max_abs_diff)], key=lambda kv: kv[1])
    raise AssertionError(
        f"{result.handle}: the whole encoder NOT REPRODUCED: {worst[0]} max |diff| {worst[1]:.3g} > "
        f"tolerance {result.full.tolerance:g} ({result.full.how_config})")
  return result


def assert_same_function(a, b, sentences=None, **options):
  """Fails unless models `a` and `b` (any formats) are the same function on `sentences`
  (`hub_repro diff`'s SAME FUNCTION); the message is diff's one line: the first divergence and its
  reason. Returns the diff record. `options` are api.diff's (max_seq_length, batch_size)."""
  record = api.diff(a, b, sentences, **options)
  if not record["same"]:
    raise AssertionError(record["explanation"])
  return record
