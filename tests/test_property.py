"""Random text through the command line never gives a traceback: exit 0, or 2 with one line.

Text files of random unicode (control characters, combining marks, right-to-left text and
controls, emoji and ZWJ sequences, empty fields, tab-separated pairs with an empty side, lines over
10,000 characters, invalid UTF-8) go through `cli.main` in-process against the Google TF1 fixture
module; a few adversarial files also through `python -m hub_repro` in a process of its own.
"""

import os
import subprocess
import sys

import hypothesis
from hypothesis import strategies as st
import pytest
import tensorflow as tf

from hub_repro import cli
import testutil

REPO = os.path.dirname(testutil.TESTS)
MAX_SEQ_LENGTH = "16"  # the fixture has 64 positions; 16 keeps each run cheap

# Characters the tokenizer has to survive, beside whatever st.characters draws.
SPECIAL = [
    "\x00", "\x01", "\x07", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x85", "\xa0",  # controls
    "\u0301", "\u0308", "\u20dd", "e\u0301", "\u1100\u1161\u11a8",  # combining marks, jamo
    "\u05e9\u05dc\u05d5\u05dd", "\u0645\u0631\u062d\u0628\u0627",  # Hebrew, Arabic
    "\u200e", "\u200f", "\u202a", "\u202b", "\u202e", "\u2066", "\u2069",  # bidi controls
    "\U0001f44d\U0001f3fd", "\U0001f468\u200d\U0001f469\u200d\U0001f467", "\U0001f1fa\U0001f1f3",
    "\ufe0f", "\u200b", "\u200d", "\ufeff", "\u2028", "\u2029", "\r", " ",
    "[CLS]", "[SEP]", "[PAD]", "[UNK]", "##", "|||",
]

# Anything but a line break or a tab, which separate examples and fields (drawn in `line` instead).
characters = st.characters(codec="utf-8", exclude_characters="\n\t")
fragment = st.one_of(st.text(characters, max_size=12), st.sampled_from(SPECIAL))
field = st.lists(fragment, max_size=8).map("".join)
long_field = st.tuples(st.sampled_from(["a", "\u0301", "\U0001f600", "word ", "\u05e9 ", "\x00"]),
                       st.integers(10_001, 12_000)).map(lambda t: (t[0] * t[1])[:t[1]])
line = st.one_of(
    field,  # one sentence, possibly empty or blank
    st.tuples(field, field).map("\t".join),  # a pair, either side possibly empty
    long_field,
    st.tuples(long_field, field).map("\t".join),
)
three_fields = st.tuples(field, field, field).map("\t".join)  # refused, exit 2
text_file = st.lists(line, min_size=1, max_size=6).map(lambda lines: "\n".join(lines).encode("utf-8"))
# Most files are valid (they reach the model); some have a line of 3 fields or invalid UTF-8.
# (st.one_of would draw each kind equally often, and a repeated strategy does not count twice.)
KINDS = {
    "valid": text_file,
    "three_fields": st.tuples(text_file, three_fields.map(lambda s: s.encode("utf-8")),
                              text_file).map(b"\n".join),
    "invalid_utf8": st.tuples(text_file, st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80",
                                                           b"\x80"]), text_file).map(b"".join),
}
content = st.sampled_from(["valid"] * 6 + ["three_fields", "invalid_utf8"]).flatmap(KINDS.get)


run_cli = testutil.run_cli


@pytest.mark.slow
class RandomTextTest(tf.test.TestCase):

  def assertExit0Or2(self, code, stdout, stderr, content):
    where = f"exit {code} for the text {content[:300]!r}...; stderr:\n{stderr[-3000:]}"
    self.assertNotIn("Traceback", stderr, msg=where)
    self.assertIn(code, (cli.EXIT_REPRODUCED, cli.EXIT_BAD_INPUT), msg=where)
    if code == cli.EXIT_REPRODUCED:
      self.assertIn("Verdict: REPRODUCED", stdout, msg=where)
    else:
      errors = [line for line in stderr.splitlines() if line.strip()]
      self.assertLen(errors, 1, msg=where)
      self.assertRegex(errors[0], r"^hub_repro: error: --text-file .* (is empty|has \d+ "
                                  r"tab-separated fields|is not UTF-8)", msg=where)

  @hypothesis.settings(max_examples=30, deadline=None, database=None,
                       suppress_health_check=[hypothesis.HealthCheck.too_slow,
                                              hypothesis.HealthCheck.data_too_large])
  @hypothesis.given(content=content, batch_size=st.sampled_from(["1", "3", "32"]))
  def test_text_file(self, content, batch_size):
    path = os.path.join(self.get_temp_dir(), "random.txt")
    with open(path, "wb") as f:
      f.write(content)
    code, stdout, stderr = run_cli("--handle", testutil.GOOGLE_MODULE, "--text-file", path,
                                   "--max-seq-length", MAX_SEQ_LENGTH, "--batch-size", batch_size)
    hypothesis.event(f"exit {code}")  # pytest --hypothesis-show-statistics: how many ran the model
    self.assertExit0Or2(code, stdout, stderr, content)

  @hypothesis.settings(max_examples=10, deadline=None, database=None,
                       suppress_health_check=[hypothesis.HealthCheck.too_slow])
  @hypothesis.given(sentences=st.lists(st.one_of(field, long_field), min_size=1, max_size=4))
  def test_sentences_on_the_command_line(self, sentences):
    code, stdout, stderr = run_cli("--handle", testutil.GOOGLE_MODULE,
                                   "--max-seq-length", MAX_SEQ_LENGTH, "--", *sentences)
    self.assertNotIn("Traceback", stderr)
    self.assertEqual(code, cli.EXIT_REPRODUCED, msg=stderr)
    self.assertIn(f"{len(sentences)} examples", stdout)

  def test_adversarial_files_in_a_process_of_their_own(self):
    files = {
        "everything": "\n".join([
            "".join(SPECIAL), "\t", "only first\t", "\tonly second", "\x00\t\x00",
            "\u202e\u05e9\u05dc\u05d5\u05dd \U0001f468\u200d\U0001f469\u200d\U0001f467 e\u0301",
            "\U0001f600" * 10_001 + "\t" + "a\u0301" * 6_000, "   ", "\r", ""]).encode("utf-8"),
        "only_blank_and_controls": "\n \n\t\n\r\n\u2028\n".encode("utf-8"),
    }
    expected = {"everything": cli.EXIT_REPRODUCED, "only_blank_and_controls": cli.EXIT_BAD_INPUT}
    for name, content in files.items():
      path = os.path.join(self.get_temp_dir(), f"{name}.txt")
      with open(path, "wb") as f:
        f.write(content)
      result = subprocess.run(
          [sys.executable, "-m", "hub_repro", "--handle", testutil.GOOGLE_MODULE,
           "--text-file", path, "--max-seq-length", MAX_SEQ_LENGTH],
          cwd=REPO, capture_output=True, text=True, timeout=300,
          env={k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"})  # as users run it
      self.assertEqual(result.returncode, expected[name], msg=result.stderr)
      self.assertExit0Or2(result.returncode, result.stdout, result.stderr, content)


if __name__ == "__main__":
  tf.test.main()
