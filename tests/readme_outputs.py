"""The outputs README.md quotes, made by the current code (`make readme` writes them, the test checks).

Every quoted output in the README follows a marker line `<!-- readme-output: NAME -->` and is the
fenced block right after it. EXAMPLES[NAME] runs the command it quotes (in this process, through
hub_repro.cli.main, on the embedded model or tests/fixtures) and picks the lines the README shows.

    python tests/readme_outputs.py          # rewrite the quoted blocks in README.md (make readme)
    python tests/readme_outputs.py --check  # exit 1 and name each stale block

tests/test_readme.py compares them as the notebooks are compared (tests/stale_outputs.py: words and
verdicts exactly, numbers to 3 significant digits, float32 rounding only as below tolerance).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import os
import re
import shutil
import sys
import tempfile

TESTS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(TESTS)
README = os.path.join(REPO, "README.md")
MARKER = re.compile(r"<!-- readme-output: ([\w-]+) -->\n```\n(.*?)```\n", re.S)


def _cli(*argv: str) -> str:
  """What `hub_repro ARGV` prints on stdout."""
  from hub_repro import cli

  out = io.StringIO()
  with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
    cli.main(list(argv))
  return out.getvalue()


def _pick(text: str, *patterns: str) -> str:
  """The lines of `text` that match one of `patterns` (regexes, from the line's first non-blank
  character), in order."""
  lines = [line for line in text.splitlines()
           if any(re.match(p, line.strip()) for p in patterns)]
  return "\n".join(lines) + "\n"


class _Fixtures:
  """Tiny copies made once per run, from the test fixtures (as tests/test_diff.py makes them)."""

  def __init__(self):
    self.root = tempfile.mkdtemp(prefix="hub_repro_readme_")
    self._made = {}

  def close(self):
    shutil.rmtree(self.root, ignore_errors=True)

  def tf1(self, name: str = "tf1", **changes) -> str:
    """The tiny random model of tests/test_diff.py (seed 7, 4 heads) as a TF1 Hub module, with
    `changes` (config fields, or `transposed`: a kernel stored transposed)."""
    if name in self._made:
      return self._made[name]
    import testutil
    from hub_repro.export_tf1 import export_tf1_hub
    weights = testutil.random_weights(seed=7)
    if "transposed" in changes:
      kernel = changes.pop("transposed")
      weights = dataclasses.replace(weights, params=dict(
          weights.params, **{kernel: weights.params[kernel].T.copy()}))
    if changes:
      weights = dataclasses.replace(weights, config=dataclasses.replace(weights.config, **changes))
    self._made[name] = export_tf1_hub(weights, os.path.join(self.root, name))
    return self._made[name]

  def edited_copy(self, folder: str, file: str, edit) -> str:
    """A copy of fixture `folder` whose JSON `file` is changed by edit(dict)."""
    out = os.path.join(self.root, os.path.basename(folder) + "_edited")
    shutil.copytree(folder, out)
    path = os.path.join(out, file)
    with open(path, encoding="utf-8") as f:
      data = json.load(f)
    edit(data)
    with open(path, "w", encoding="utf-8") as f:
      json.dump(data, f)
    return out


def _sentences() -> list[str]:
  import testutil
  return [s if isinstance(s, str) else "|||".join(s) for s in testutil.SENTENCES]


DIFF_STAGES = (r"[234] (config|weights|outputs)", r"layer\s+\d+", r"Verdict:", r"(SAME|DIFFERENT)")


def _from(text: str, pattern: str) -> str:
  """`text` from its first line that matches `pattern` on."""
  lines = text.splitlines()
  first = next(i for i, line in enumerate(lines) if re.match(pattern, line.strip()))
  return "\n".join(lines[first:]) + "\n"


def repro(fixtures) -> str:
  del fixtures
  return _from(_cli(), r"pooler ")


def diff_embedded_vs_huggingface(fixtures) -> str:
  del fixtures
  from hub_repro import embedded
  return _pick(_cli("diff", embedded.embedded_module(log=lambda _: None), embedded.model_dir()),
               r"[34] (weights|outputs)", r"Verdict:", r"(SAME|DIFFERENT)")


def diff_heads(fixtures) -> str:
  other = fixtures.tf1("tf1_2_heads", num_attention_heads=2)
  return _pick(_cli("diff", fixtures.tf1(), other, *_sentences(), "--max-seq-length", "32"),
               *DIFF_STAGES)


def diff_transposed(fixtures) -> str:
  other = fixtures.tf1("tf1_transposed",
                       transposed="bert/encoder/layer_1/attention/output/dense/kernel")
  return _pick(_cli("diff", fixtures.tf1(), other, *_sentences(), "--max-seq-length", "32"),
               r"3 weights", r"layer\s+\d+", r"(SAME|DIFFERENT)")


def diff_tokenizer_and_gelu(fixtures) -> str:
  import testutil
  keras_hub = os.path.join(testutil.FIXTURES, "keras_hub_preset")
  cased = fixtures.edited_copy(keras_hub, "tokenizer.json",
                               lambda t: t["config"].__setitem__("lowercase", False))
  head16 = os.path.join(testutil.FIXTURES, "hf_bert_head16_gelu_new")
  erf = fixtures.edited_copy(head16, "config.json", lambda c: c.__setitem__("hidden_act", "gelu"))
  text = _cli("diff", keras_hub, cased, "The Cat sat on the Mat", "Hello World",
              "what does the pooled output do?", "--max-seq-length", "32")
  text += _cli("diff", head16, erf, *_sentences(), "--max-seq-length", "32")
  return _pick(text, r"(SAME|DIFFERENT)")


EXAMPLES = {
    "repro": repro,
    "diff-embedded-vs-huggingface": diff_embedded_vs_huggingface,
    "diff-heads": diff_heads,
    "diff-transposed": diff_transposed,
    "diff-tokenizer-and-gelu": diff_tokenizer_and_gelu,
}


def quoted(readme: str) -> dict[str, str]:
  """{marker name: the block the README quotes after it}."""
  return {m.group(1): m.group(2) for m in MARKER.finditer(readme)}


def fresh_outputs(names=None) -> dict[str, str]:
  """{name: what EXAMPLES[name] makes now}."""
  fixtures = _Fixtures()
  try:
    return {name: EXAMPLES[name](fixtures) for name in (names or EXAMPLES)}
  finally:
    fixtures.close()


def rewrite(readme: str, outputs: dict[str, str]) -> str:
  return MARKER.sub(lambda m: f"<!-- readme-output: {m.group(1)} -->\n```\n"
                    f"{outputs.get(m.group(1), m.group(2))}```\n", readme)


def main(argv: list[str]) -> int:
  sys.path.insert(0, TESTS)
  sys.path.insert(0, REPO)
  import stale_outputs
  import testutil  # noqa: F401 (HUB_REPRO_CACHE for the embedded module, as in the tests)
  with open(README, encoding="utf-8") as f:
    readme = f.read()
  outputs = fresh_outputs()
  if "--check" in argv:
    stale = [line for name, block in quoted(readme).items()
             for line in stale_outputs.differences(block, outputs[name], where=f"{name}: ")]
    print("\n".join(stale) or "README outputs are current")
    return 1 if stale else 0
  with open(README, "w", encoding="utf-8") as f:
    f.write(rewrite(readme, outputs))
  print(f"wrote {len(outputs)} quoted outputs into {os.path.relpath(README)}")
  return 0


if __name__ == "__main__":
  sys.exit(main(sys.argv[1:]))
