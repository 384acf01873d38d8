"""README.md's quoted outputs are what the current code prints (tests/readme_outputs.py; `make
readme` rewrites them), compared as the notebooks are (tests/stale_outputs.py)."""

import pytest
import tensorflow as tf

import readme_outputs
import stale_outputs


class QuotedOutputsTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    with open(readme_outputs.README, encoding="utf-8") as f:
      self.readme = f.read()

  def test_every_quoted_output_has_its_command_and_back(self):
    self.assertCountEqual(readme_outputs.quoted(self.readme), readme_outputs.EXAMPLES)

  @pytest.mark.slow
  def test_the_quoted_outputs_are_what_the_code_prints(self):
    fresh = readme_outputs.fresh_outputs()
    stale = [line for name, block in readme_outputs.quoted(self.readme).items()
             for line in stale_outputs.differences(block, fresh[name], where=f"{name}: ")]
    self.assertEmpty(stale, "README.md quotes stale outputs (run `make readme`):\n"
                     + "\n".join(stale))

  def test_rewrite_replaces_only_the_quoted_blocks(self):
    text = ("intro\n<!-- readme-output: repro -->\n```\nold line 1.5\n```\nafter\n```\nother\n```\n")
    new = readme_outputs.rewrite(text, {"repro": "new line 2.5\n"})
    self.assertEqual(new, "intro\n<!-- readme-output: repro -->\n```\nnew line 2.5\n```\nafter\n"
                     "```\nother\n```\n")
    self.assertEqual(readme_outputs.quoted(new), {"repro": "new line 2.5\n"})
    self.assertNotEmpty(stale_outputs.differences("old line 1.5\n", "new line 2.5\n"))


if __name__ == "__main__":
  tf.test.main()
