"""One pass over the data, in batches of similar length: each batch tokenized once and run once,
pairs and single sentences batched apart without breaking the input into pieces, the report in the
input's order, and the same numbers as padding everything to max_seq_length."""

import numpy as np
import tensorflow as tf

from hub_repro import compare, full, module
import testutil

WORDS = "the first token is cls what does pooled output do hello world this a test hidden state"


def varied_examples(count: int, seed: int = 0) -> list:
  """Single sentences and pairs, interleaved, from 1 to 40 words."""
  rng = np.random.default_rng(seed)
  words = WORDS.split()
  sentence = lambda: " ".join(rng.choice(words, rng.integers(1, 40)))  # noqa: E731
  return [(sentence(), sentence()) if i % 3 == 2 else sentence() for i in range(count)]


class CountingSource:
  """Wraps a source and counts its forward passes (each with its batch's shape)."""

  def __init__(self, source):
    self._source = source
    self.calls = []

  def __getattr__(self, name):
    return getattr(self._source, name)

  def run(self, input_ids, *args, **kwargs):
    self.calls.append(np.shape(input_ids))
    return self._source.run(input_ids, *args, **kwargs)


class BatchingTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.source = module.load(testutil.GOOGLE_MODULE)
    cls.examples = varied_examples(100)

  def test_pairs_and_singles_do_not_cut_the_input_into_pieces(self):
    tokenizer = self.source.tokenizer()
    batches = list(compare.batches(tokenizer, self.examples, 64, batch_size=8))
    singles = sum(isinstance(e, str) for e in self.examples)
    # 67 singles and 33 pairs alternate; batched apart they need ceil(67/8) + ceil(33/8) batches,
    # where ending a batch at every change of kind gave one per run of the same kind (67).
    self.assertLen(batches, -(-singles // 8) + -(-(100 - singles) // 8))
    for batch in batches:
      kinds = {isinstance(self.examples[i], str) for i in batch.indices}
      self.assertLen(kinds, 1)
    self.assertCountEqual(np.concatenate([b.indices for b in batches]), range(100))

  def test_each_batch_is_cut_to_its_longest_example_rounded_up(self):
    tokenizer = self.source.tokenizer()
    for batch in compare.batches(tokenizer, self.examples, 64, batch_size=8):
      width = batch.packed.input_ids.shape[1]
      longest = int(batch.packed.input_mask.sum(axis=1).max())
      self.assertEqual(width, min(64, -(-longest // compare.BUCKET_MULTIPLE)
                                  * compare.BUCKET_MULTIPLE))
    for batch in compare.batches(tokenizer, self.examples, 64, batch_size=8, bucket=False):
      self.assertEqual(batch.packed.input_ids.shape[1], 64)

  def test_bucketing_sorts_across_many_batches(self):
    # 100 examples in batches of 8: 13 batches, more than the 8 that were sorted together before
    # (compare.ENCODE_BATCHES). Sorted as one chunk, each kind's widths only grow, so no batch is
    # padded wider than the examples around it need.
    self.assertGreater(compare.ENCODE_BATCHES * 8, len(self.examples))
    tokenizer = self.source.tokenizer()
    widths = {True: [], False: []}
    for batch in compare.batches(tokenizer, self.examples, 64, batch_size=8):
      widths[isinstance(self.examples[batch.indices[0]], str)].append(
          batch.packed.input_ids.shape[1])
    for kind in widths.values():
      self.assertEqual(kind, sorted(kind))
    self.assertGreater(len(set(widths[True])), 1)  # the test would see a reset: widths vary

  def test_bucketing_gives_the_same_numbers_in_the_same_order(self):
    bucketed = compare.check(self.source, self.examples, 64, batch_size=8)
    padded = compare.check(self.source, self.examples, 64, batch_size=8, bucket=False)
    self.assertEqual(bucketed.reproduced, padded.reproduced)
    self.assertEqual(bucketed.num_truncated, padded.num_truncated)
    # Padding columns are masked out (-10000 before softmax: exp() is exactly 0 in float32), so
    # only the matmul shapes change: float32 reordering, ~1e-7 here (see tolerances.POOLER_TOLERANCE).
    self.assertAllClose(bucketed.pooled_vs_cls.per_example_max_abs_diff,
                        padded.pooled_vs_cls.per_example_max_abs_diff, atol=1e-5, rtol=0)
    self.assertAllClose(bucketed.pooled_vs_rebuilt.per_example_cosine,
                        padded.pooled_vs_rebuilt.per_example_cosine, atol=1e-6, rtol=0)
    # The report keeps the input's order: an example checked alone gives its row's numbers.
    for index in (0, 2, 57):
      alone = compare.check(self.source, self.examples[index:index + 1], 64)
      self.assertAllClose(alone.pooled_vs_cls.per_example_cosine,
                          bucketed.pooled_vs_cls.per_example_cosine[index:index + 1],
                          atol=1e-6, rtol=0)

  def test_full_runs_the_module_once_per_batch(self):
    counting = CountingSource(self.source)
    result = full.reproduce_full(counting, self.examples, 64, batch_size=8)
    batches = list(compare.batches(self.source.tokenizer(), self.examples, 64, 8))
    # One forward pass per batch for both checks; the heads/gelu search reads the first batch's
    # outputs for its examples, which are shorter than full.SEARCH_LENGTH.
    self.assertEqual(counting.calls, [b.packed.input_ids.shape for b in batches])
    self.assertIn(f"of at most {full.SEARCH_LENGTH} tokens in the first batch", result.how_config)
    self.assertTrue(result.reproduced)
    self.assertTrue(result.check.reproduced)

  def test_search_on_examples_longer_than_its_length_runs_them_cut(self):
    counting = CountingSource(self.source)
    # No example is as short as 2 tokens ([CLS] and [SEP] around one word make 3): the search
    # cuts the longest to 2 and runs the module on them once, when it reads the first batch (in
    # compare.check's worker, beside the model's pass over the next batch: in either order).
    check = full.FullCheck(counting, search_length=2)
    result = compare.check(counting, self.examples, 64, batch_size=8, also=[check])
    batches = [b.packed.input_ids.shape
               for b in compare.batches(self.source.tokenizer(), self.examples, 64, 8)]
    search = (full.SEARCH_EXAMPLES, 2)
    self.assertEqual(counting.calls.count(search), 1)
    self.assertEqual([call for call in counting.calls if call != search], batches)
    self.assertTrue(result.reproduced)
    self.assertIn("cut to 2 tokens", check.result().how_config)

if __name__ == "__main__":
  tf.test.main()
