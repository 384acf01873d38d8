"""Deterministic pseudo-English sentences from a fixed word list, for benchmarks (no downloads).

The same (count, seed) gives the same sentences on every machine and Python version: the only
randomness is random.Random(seed), whose sequence Python keeps stable for a given seed.
"""

from __future__ import annotations

import random

WORDS = """
the of and to in is was for on that with as by at from his her it an were are which this be or
have had not but all one their they has been who more when there she would will can if into
other time about some its these could after first two new out over may any most also only than
then year made many people state world city work part such between under during because later
water house school river music family country early small large long great little old young good
high public war game team film book story church group system line life name power place number
model module layer token sentence weight output input hidden state vector network language
question answer reason simple quiet bright heavy light open close rapid slow strong gentle
morning evening winter summer north south east west garden market bridge station harbor valley
mountain island forest village road street window table letter paper picture song voice
teacher student doctor farmer writer painter driver engineer scientist sailor captain king queen
runs walks reads writes builds finds keeps holds brings takes gives makes sees hears knows thinks
carried opened closed followed learned measured explained compared returned changed started
quickly slowly carefully often rarely always never again together almost nearly perhaps
""".split()
ENDINGS = [".", ".", ".", "?", "!"]


def sentence(rng: random.Random, min_words: int = 4, max_words: int = 40) -> str:
  """One sentence: a capitalized run of words, sometimes with a comma, ending in punctuation."""
  count = rng.randint(min_words, max_words)
  words = [rng.choice(WORDS) for _ in range(count)]
  if count > 8 and rng.random() < 0.5:
    words[rng.randrange(2, count - 2)] += ","
  words[0] = words[0].capitalize()
  return " ".join(words) + rng.choice(ENDINGS)


def sentences(count: int, seed: int = 0, min_words: int = 4, max_words: int = 40) -> list[str]:
  """`count` sentences, the same for the same arguments."""
  rng = random.Random(seed)
  return [sentence(rng, min_words, max_words) for _ in range(count)]


def natural_lines(count: int, seed: int = 0, pair_fraction: float = 0.3) -> list[str]:
  """`count` lines of a text file as `--text-file` reads them, with lengths like real prose: one
  sentence, or two separated by a tab (a pair) with probability `pair_fraction`, the two kinds
  mixed at random. Word counts are log-normal (median 18, sigma 0.55: mean ~21, sd ~12, a long
  right tail), clipped to 3..90 words, close to the sentence lengths of English news and books."""
  rng = random.Random(seed)

  def one() -> str:
    words = min(90, max(3, round(rng.lognormvariate(2.89, 0.55))))  # e^2.89 ~ 18
    return sentence(rng, words, words)

  return [f"{one()}\t{one()}" if rng.random() < pair_fraction else one() for _ in range(count)]


def paragraphs(count: int, min_words: int, seed: int = 0) -> list[str]:
  """`count` texts of at least `min_words` words (sentences joined by spaces). Every word is at
  least one wordpiece, so a paragraph of min_words >= max_seq_length fills the sequence."""
  rng = random.Random(seed)
  texts = []
  for _ in range(count):
    parts, words = [], 0
    while words < min_words:
      parts.append(sentence(rng))
      words += parts[-1].count(" ") + 1
    texts.append(" ".join(parts))
  return texts
