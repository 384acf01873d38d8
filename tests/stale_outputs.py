"""Is a stored text output (a committed notebook cell's, a README excerpt's) what the code prints now?

What the code decides is compared exactly: every word, verdict, shape, integer and config. Numbers
are compared to 3 significant digits, except those at float32 rounding level: a number whose
magnitude is below ROUNDING_LEVEL on both sides passes whatever its digits. Those digits are the
host's, not the code's: the same notebook prints "max |diff| 0" on one CPU and "1.49e-08" on
another (oneDNN picks other kernels on AVX2 and AVX-512, so the float32 sums run in another order),
and both are far inside the tolerance every check applies. A number that crosses ROUNDING_LEVEL
(2e-08 stored, 3e-05 now) differs.

`differences(stored, fresh)` returns readable lines, empty when the two agree; `same_text` is its
boolean. White space is not compared (numpy pads its columns to the widest number), nor what
differs from run to run and clone to clone: the folders of the hub_repro and tensorflow_hub
caches, the folders of absolute paths (the clone's, its venv's), and object addresses
(`<function f at 0x7f37...>`).
"""

from __future__ import annotations

import re

from hub_repro import tolerances

# Below the smallest tolerance any check applies (tolerances.POOLER_TOLERANCE, the pooler's 1e-5; --full's is
# 1e-4, crosscheck's and diff's 5e-5), a number is float32 rounding of the same arithmetic and
# passes: at H = 768 it is ~sqrt(H) ulps of the values (~2e-6), on the tiny fixtures ~1e-7.
ROUNDING_LEVEL = tolerances.POOLER_TOLERANCE
# Numbers above it agree when they agree to 3 significant digits: a relative step of 1e-3.
RELATIVE = 1e-3
# A number: an integer, a decimal or scientific notation, not part of a name (layer_0, L-12 keep
# their digits as numbers of their own only where no letter, digit or point touches them).
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?!\w)")
# (pattern, replacement) applied to both sides first: what legitimately differs between runs.
VOLATILE = [
    (re.compile(r"(path:\s+)\S+"), r"\1<path>"),  # a module's folder in the cache
    (re.compile(r"/tmp/\S+"), "<tmp>"),
    # An absolute path's folders: the clone's, the venv's (/work/main/.venv/lib/... in one clone,
    # /check/work/main/.venv/lib/... in another); its last component is kept.
    (re.compile(r"(?<![\w.])(?:/[\w.+-]+)+/"), "<folder>/"),
    (re.compile(r"\b0x[0-9a-fA-F]+\b"), "<address>"),
]


def _is_int(token: str) -> bool:
  return re.fullmatch(r"[-+]?\d+", token) is not None


def same_number(stored: str, fresh: str) -> bool:
  if _is_int(stored) and _is_int(fresh):
    return int(stored) == int(fresh)
  a, b = float(stored), float(fresh)
  largest = max(abs(a), abs(b))
  return largest < ROUNDING_LEVEL or abs(a - b) <= RELATIVE * largest


def _split(text: str) -> tuple[list[str], list[str]]:
  """(the words between the numbers, white space removed; the numbers), in order."""
  for pattern, replacement in VOLATILE:
    text = pattern.sub(replacement, text)
  words = [re.sub(r"\s+", "", part) for part in NUMBER.split(text)]
  return words, NUMBER.findall(text)


def line_differs(stored: str, fresh: str) -> str | None:
  """Why one stored line is not the fresh one (None: they agree)."""
  (words_a, numbers_a), (words_b, numbers_b) = _split(stored), _split(fresh)
  if words_a != words_b or len(numbers_a) != len(numbers_b):
    return "the text differs"
  for a, b in zip(numbers_a, numbers_b):
    if not same_number(a, b):
      return f"{a} is now {b}"
  return None


def differences(stored: str, fresh: str, where: str = "") -> list[str]:
  """Line by line: every stored line against the fresh line at its place; [] when all agree."""
  lines_a = [line for line in stored.splitlines() if line.strip()]
  lines_b = [line for line in fresh.splitlines() if line.strip()]
  found = []
  for number, (a, b) in enumerate(zip(lines_a, lines_b), start=1):
    why = line_differs(a, b)
    if why:
      found.append(f"{where}line {number}: {why}\n  stored: {a.strip()}\n  now:    {b.strip()}")
  if len(lines_a) != len(lines_b):
    found.append(f"{where}{len(lines_a)} stored lines, {len(lines_b)} now")
  return found


def same_text(stored: str, fresh: str) -> bool:
  return not differences(stored, fresh)


def find_line(line: str, candidates: list[str]) -> int | None:
  """The index of the first candidate that agrees with `line`, None if none does (a README excerpt
  quotes some lines of an output, in order)."""
  for index, candidate in enumerate(candidates):
    if line_differs(line, candidate) is None:
      return index
  return None
