"""A loaded TensorFlow function run the faster of two ways that keep its arithmetic: as loaded, or its
own graph compiled by XLA (`tf.function(jit_compile=True)` around it: the same ops, fused; float32
rounding moves outputs by ~1e-5 at most, below every tolerance: see XLA_ROUNDING). Which one is
chosen per host, by measuring both on the run's own batches, as cuDNN's autotuner picks a kernel:

  batch 1 (of shape S)      as loaded: its first call pays the runtime's setup, so it is not timed;
  next batch of shape S     as loaded, timed;
  next batch of shape S     under XLA: compiles for S (timed, the trial's own cost);
  next batch of shape S     under XLA, timed; then the faster way is kept for the rest.

The trial runs only where there are batches enough to win back its cost: XLA compiles once per
input shape, 3-4 s for the embedded model on a 2-core host, about one batch of 32 x 128 of it, for
a gain of ~10% a batch (issue 21). So with fewer than MIN_TRIAL_BATCHES batches the function runs
as loaded. Once XLA is chosen, every other input shape (length bucketing makes many: one per
multiple of 16 up to 512) is compiled by the ski-rental rule, where the rent of a batch run as
loaded is what XLA would have saved on it (its time as loaded times the trial's measured gain) and
the price is the trial's measured compile cost: a shape runs as loaded until its rent so far
reaches the price, and is compiled then. A shape that recurs often is compiled early; one seen a
few times never is, and whatever the shapes, a shape's cost beyond XLA's with compiles for free is
at most twice that of the better of never and always compiling it (if XLA saves on it what it
saved on the trial's shape). Counting a batch's whole time as the rent, as this did first,
compiled four shapes of 1,000 bucketed lines of the embedded model, each 1.8 s of compile for
~0.01 s saved a batch: 21-22.5 s in all, against 17 s as loaded. (Compiling every shape on its
second batch, as it did before that, spent 40+ min compiling BERT-base's shapes of 2,000 bucketed
lines.) `xla=True` / `xla=False` (--xla / --no-xla) force either way.
"""

from __future__ import annotations

import collections
import time

# The trial takes 3 batches of one shape after a first; this many in all leaves at least 6 after
# it to win back its compile (~1 batch of the embedded model).
MIN_TRIAL_BATCHES = 10
# XLA must be this much faster to be chosen: two timings of one batch each move by a few percent on
# a shared host; a tie keeps the function as loaded (no compile for other shapes).
MIN_GAIN = 0.03
# The same graph under XLA fuses elementwise ops and reorders sums: sequence_output moved by 1.3e-5
# at most on the embedded model (values up to ~6, so a few float32 ulps), pooled_output by 3e-7.
XLA_ROUNDING = 2e-5


def _shape(args, kwargs) -> tuple:
  first = next(iter(kwargs.values())) if kwargs else args[0]
  if isinstance(first, dict):
    first = next(iter(first.values()))
  return tuple(first.shape)


class Autotuned:
  """`function(*args, **kwargs)` as loaded or under XLA (see the module docstring)."""

  def __init__(self, function, xla: bool | None = None):
    self.function = function
    self.forced = xla
    self.num_batches: int | None = None  # how many batches the run holds (plan)
    self._compiled = None
    self._seen = collections.Counter()
    self._trial_shape = None
    self._rent_s = collections.Counter()  # per shape, once XLA is chosen: XLA's savings missed
    self.compiled_shapes: set[tuple] = set()  # compiled under XLA, the trial's included
    self.times: dict[str, float] = {}  # "as_loaded", "xla_compile_and_run", "xla"
    self.choice: bool | None = xla  # None: not decided (yet)
    self.failed = ""

  def plan(self, num_batches: int) -> None:
    """The run holds `num_batches` batches: enough for a trial or not."""
    self.num_batches = num_batches

  def compiled(self):
    if self._compiled is None:
      import tensorflow as tf  # noqa: PLC0415

      function = self.function
      self._compiled = tf.function(lambda *a, **k: function(*a, **k), jit_compile=True,
                                   autograph=False)
    return self._compiled

  def _timed(self, xla: bool, key: str | None, args, kwargs):
    start = time.perf_counter()
    try:
      out = (self.compiled() if xla else self.function)(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 (an op XLA cannot compile: keep the graph as loaded)
      if not xla or self.forced:
        raise
      self.failed = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
      self.choice = False
      return self.function(*args, **kwargs)
    if key is not None:
      self.times[key] = time.perf_counter() - start
    return out

  def __call__(self, *args, **kwargs):
    if self.forced is not None:
      if self.forced:
        self.compiled_shapes.add(_shape(args, kwargs))
      return self._timed(self.forced, None, args, kwargs)
    shape = _shape(args, kwargs)
    self._seen[shape] += 1
    seen = self._seen[shape]
    if self.choice is None and self.num_batches and self.num_batches >= MIN_TRIAL_BATCHES:
      if self._trial_shape is None and seen == 2:
        self._trial_shape = shape
      if shape == self._trial_shape:
        key = {2: "as_loaded", 3: "xla_compile_and_run", 4: "xla"}[seen]
        out = self._timed(seen >= 3, key, args, kwargs)
        if seen == 4 and self.choice is None:
          self.choice = self.times["xla"] < (1 - MIN_GAIN) * self.times["as_loaded"]
          if self.choice:
            self.compiled_shapes.add(shape)
        return out
    if self.choice:  # the trial's shape is in compiled_shapes
      if self._rent_s[shape] >= self.compile_cost():  # its rent has reached the price
        self.compiled_shapes.add(shape)
      if shape in self.compiled_shapes:
        return self._timed(True, None, args, kwargs)
      start = time.perf_counter()
      out = self.function(*args, **kwargs)
      self._rent_s[shape] += self.gain() * (time.perf_counter() - start)
      return out
    return self.function(*args, **kwargs)

  def compile_cost(self) -> float:
    """What the trial's compile cost over a run under XLA: the ski-rental rule's price."""
    return max(self.times["xla_compile_and_run"] - self.times["xla"], 0.0)

  def gain(self) -> float:
    """The share of a batch's time as loaded that XLA saved on the trial's shape."""
    return 1.0 - self.times["xla"] / self.times["as_loaded"]

  @property
  def xla(self) -> bool:
    """Whether XLA is the way chosen (forced or measured)."""
    return bool(self.choice)

  def how(self) -> str:
    """Which way ran, and why, in a few words."""
    t = self.times
    if self.forced is not None:
      return ("under XLA (jit_compile), forced (--xla)" if self.forced
              else "as loaded, forced (--no-xla)")
    if self.failed:
      return f"as loaded: XLA could not compile it ({self.failed})"
    if self.choice is None:
      if self.num_batches is not None and self.num_batches < MIN_TRIAL_BATCHES:
        return (f"as loaded: {self.num_batches} batch(es), too few to win back an XLA trial "
                f"(it needs {MIN_TRIAL_BATCHES})")
      return "as loaded: no input shape recurred often enough to time XLA against it"
    shape = "x".join(str(d) for d in self._trial_shape)
    measured = (f"measured on batches of {shape}: {t['xla']:.3g} s under XLA vs "
                f"{t['as_loaded']:.3g} s as loaded (XLA's compile and first run "
                f"{t['xla_compile_and_run']:.3g} s)")
    return ("under XLA (jit_compile), " if self.choice else "as loaded, ") + measured

  def to_json(self) -> dict:
    return {"xla": self.xla, "how": self.how(), "shapes_compiled": len(self.compiled_shapes),
            "chosen_by": ("forced" if self.forced is not None else
                          "measured" if self.choice is not None and not self.failed else
                          "default"),
            "times_s": dict(self.times)}
