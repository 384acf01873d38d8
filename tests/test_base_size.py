"""Every tolerance holds with a margin of at least 3x at the real model's size: BERT-base (L-12,
H-768, A-12, 512 positions, the 30522-token vocab), random weights of BERT's init scale, 2,000
varied lines from a few words up to 512 tokens, single sentences and pairs.

The module is built once by benchmarks.bert_base (hub_repro's own exporter) into
$HUB_REPRO_BASE_CACHE, else ~/.cache/hub_repro, and reused; it is never committed (440 MB).
This is the slowest test of the suite (tens of minutes on 2 cores; `make test` leaves it out):
the pooler check and --full run BERT-base over the 2,000 lines once each, crosscheck and diff over
400 of them.
"""

import os

import pytest
import tensorflow as tf

from benchmarks.bert_base import bert_base_module
from benchmarks.sentences import natural_lines, paragraphs
from hub_repro import api, full, model_diff, module, tolerances
from hub_repro.sources import huggingface

MARGIN = 3.0
MAX_SEQ_LENGTH = 512
NUM_LINES = 2000
NUM_FULL_LENGTH = 20  # of the 2,000: paragraphs of 600+ words, truncated to 512 tokens
NUM_CROSSCHECK_LINES = 400  # crosscheck's and diff's: the 20 paragraphs and 380 lines


def base_cache() -> str:
  return os.environ.get("HUB_REPRO_BASE_CACHE") or os.path.expanduser("~/.cache/hub_repro")


def examples() -> list:
  lines = natural_lines(NUM_LINES - NUM_FULL_LENGTH, seed=1) + paragraphs(NUM_FULL_LENGTH, 600)
  return [tuple(line.split("\t")) if "\t" in line else line for line in lines]


@pytest.mark.slow
class BertBaseToleranceTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    quiet = lambda _: None  # noqa: E731
    cls.tf1 = bert_base_module(base_cache(), "tf1-hub", log=quiet)
    cls.examples = examples()

  def assertMargin(self, measured: float, tolerance: float, what: str):
    self.assertLessEqual(MARGIN * measured, tolerance,
                         f"{what}: {measured:.3g} leaves less than a {MARGIN}x margin under "
                         f"{tolerance:g}")

  def test_pooler_and_whole_encoder(self):
    result = full.reproduce_full(module.load(self.tf1), self.examples, MAX_SEQ_LENGTH,
                                 progress=False)
    self.assertEqual(result.check.num_examples, NUM_LINES)
    self.assertGreaterEqual(result.check.num_truncated, NUM_FULL_LENGTH)  # 512 tokens reached
    self.assertEqual((result.config.num_attention_heads, result.config.hidden_act), (12, "gelu"))
    self.assertMargin(result.check.pooled_vs_rebuilt.max_abs_diff, tolerances.POOLER_TOLERANCE,
                      "pooler")
    self.assertMargin(result.sequence_max_abs_diff, result.tolerance, "--full sequence_output")
    self.assertMargin(result.pooled_max_abs_diff, result.tolerance, "--full pooled_output")

  def test_crosscheck_and_diff(self):
    """On the 20 full-length paragraphs (512 tokens: the longest sums, the most rounding) and 380
    of the lines: crosscheck runs 4 implementations and diff 2 models, 6 BERT-base passes, which
    over all 2,000 lines were most of the 76 minutes of CI's last `make test-all`. As loaded
    (xla=False): the margins under XLA are test_tolerances_under_xla's."""
    subset = (self.examples[:NUM_CROSSCHECK_LINES - NUM_FULL_LENGTH]
              + self.examples[-NUM_FULL_LENGTH:])
    rows = api.crosscheck(self.tf1, subset, max_seq_length=MAX_SEQ_LENGTH, num_heads=12,
                          hidden_act="gelu")
    ran = [row for row in rows[1:] if row["status"] == "ran"]
    self.assertLen(ran, 3 if huggingface.why_no_torch() is None else 2)
    for row in ran:
      for key in ("pooled_max_abs_diff", "sequence_max_abs_diff"):
        self.assertMargin(row[key], row["tolerance"], f"crosscheck {row['implementation']} {key}")
    tf2 = bert_base_module(base_cache(), "tf2", log=lambda _: None)
    record = model_diff.diff(self.tf1, tf2, subset, MAX_SEQ_LENGTH, log=lambda _: None,
                             xla=False)
    self.assertTrue(record["same"], record["explanation"])
    outputs = record["outputs"]
    self.assertFalse(outputs["layers_compared"])  # the outputs agree: one forward pass each
    for key in ("pooled_output", "sequence_output"):
      self.assertMargin(outputs[key]["max_abs_diff"], outputs["tolerance"], f"diff {key}")

  def test_tolerances_under_xla(self):
    """The module's whole graph under XLA (--xla) rounds differently: the pooler and --full
    margins hold on it, and diff of the module under XLA against its TF2 export as loaded stays
    SAME with the margin. On the 20 full-length paragraphs (the most rounding: 512 tokens) and 108
    of the lines, so XLA compiles few shapes."""
    subset = self.examples[:108] + self.examples[-NUM_FULL_LENGTH:]
    tf2 = module.load(bert_base_module(base_cache(), "tf2", log=lambda _: None))
    source = module.load(self.tf1)
    source.use_xla(True)
    result = full.reproduce_full(source, subset, MAX_SEQ_LENGTH, progress=False)
    self.assertTrue(result.check.execution["xla"])
    self.assertMargin(result.check.pooled_vs_rebuilt.max_abs_diff, tolerances.POOLER_TOLERANCE,
                      "pooler under XLA")
    self.assertMargin(result.sequence_max_abs_diff, result.tolerance,
                      "--full sequence_output under XLA")
    record = model_diff.diff(source, tf2, subset, MAX_SEQ_LENGTH, log=lambda _: None)
    self.assertEqual((record["a"]["xla"], record["b"]["xla"]), (True, False))
    self.assertTrue(record["same"], record["explanation"])
    for key in ("pooled_output", "sequence_output"):
      self.assertMargin(record["outputs"][key]["max_abs_diff"], record["outputs"]["tolerance"],
                        f"diff {key}, under XLA vs as loaded")


if __name__ == "__main__":
  tf.test.main()
