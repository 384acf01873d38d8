"""A loaded TensorFlow function run the fastest of three ways that keep its arithmetic: as loaded;
its own graph compiled by XLA (`tf.function(jit_compile=True)` around it: the same ops, fused); or
its own graph with only the ops between the matmuls compiled by XLA (gelu, LayerNorm, softmax,
bias adds, reshapes: what XLA fuses), the matmuls left to TensorFlow's own kernels (oneDNN where it
is on). Float32 rounding moves the outputs by ~1e-5 at most either way, below every tolerance: see
XLA_ROUNDING. Which way runs is chosen per host, by measuring them on the run's own batches, as
cuDNN's autotuner picks a kernel:

  batch 1 (of shape S)      as loaded: its first call pays the runtime's setup, so it is not timed;
  next batch of shape S     as loaded, timed;
  next batch of shape S     under XLA: compiles for S (timed, the trial's own cost);
  next batch of shape S     under XLA, timed;
  next batch of shape S     XLA between the matmuls: compiles for S (timed);
  next batch of shape S     XLA between the matmuls, timed;
  next 3 batches of shape S as loaded, under XLA, between the matmuls: each way timed again;
                            then the fastest way (each one's best of its two) is kept.

On runs long enough for the third way the trial times each way twice, interleaved: one timing of
one batch moves by a few percent from one call to the next, the size of the differences measured
(in one run, 1.42 s between the matmuls against 1.44 s as loaded in the trial, while the same way
ran its batches in 1.37-1.38 s in other runs); the second round costs little, since every batch
of the trial is one of the run's own.

The third way needs the function's graph (`graph`, a ConcreteFunction: a TF1 Hub signature, a TF2
SavedModel's signature or `__call__`) and a long run (below); without them the trial stops after
the fourth batch.

Which way wins depends on the host: the matmuls run faster on TensorFlow's kernels than on XLA's where
oneDNN is on (BERT-base's dense GEMMs, Intel Xeon with AVX-512: 287-317 GFLOP/s against 246-295),
while XLA fuses the elementwise ops the graph as loaded runs one by one (gelu alone is ~13% of a
forward pass). There, one BERT-base batch of 16 x 128 took 1.16 s between the matmuls against 1.27
s as loaded and 1.28 s under XLA (best of 6 interleaved, 2026-12-03); on the AVX2 EPYC of issue 21,
TF's auto-clustering of the same ops was no faster than XLA's whole graph.

The trial runs only where there are batches enough to win back its cost: XLA compiles once per
input shape, 3-4 s for the embedded model on a 2-core host, about one batch of 32 x 128 of it, for
a gain of ~10% a batch (issue 21). So with fewer than MIN_TRIAL_BATCHES batches the function runs
as loaded. XLA between the matmuls compiles one cluster per run of fused ops, 4-6 batches' time,
for a gain of at most ~9%: it is tried only on runs of MIN_BETWEEN_TRIAL_BATCHES batches or more. Once an XLA way is chosen, every other input shape (length
bucketing makes many: one per multiple of 16 up to 512) is compiled by the ski-rental rule, where
the rent of a batch run as loaded is what XLA would have saved on it (its time as loaded times the
trial's measured gain) and the price is the trial's measured compile cost: a shape runs as loaded
until its rent so far reaches the price, and is compiled then. A shape that recurs often is
compiled early; one seen a few times never is, and whatever the shapes, a shape's cost beyond XLA's
with compiles for free is at most twice that of the better of never and always compiling it (if
XLA saves on it what it saved on the trial's shape). Counting a batch's whole time as the rent, as
this did first, compiled four shapes of 1,000 bucketed lines of the embedded model, each 1.8 s of
compile for ~0.01 s saved a batch: 21-22.5 s in all, against 17 s as loaded. (Compiling every shape
on its second batch, as it did before that, spent 40+ min compiling BERT-base's shapes of 2,000
bucketed lines.) `xla=True` / `xla=BETWEEN_MATMULS` / `xla=False` (--xla / --xla-between-matmuls /
--no-xla) force a way.
"""

from __future__ import annotations

import collections
import itertools
import time

# The trial takes 3 batches of one shape after a first; this many in all leaves at least 6 after
# it to win back its compile (~1 batch of the embedded model).
MIN_TRIAL_BATCHES = 10
# The third way is tried (5 more batches) only on runs of this many batches: its compile costs 4-6
# batches of the trial's shape (the embedded model's 32 x 128: 2.3 s against 0.40 s a batch;
# BERT-base's 16 x 128: 5.1 s against 1.34 s), for a gain of at most ~9% a batch measured (BERT-base
# on the Xeon), so it takes ~6 / 0.09 = 64 batches to win back. On 16 batches of the embedded
# model, trying it cost 2.8 s on a 7.1 s run that then kept the graph as loaded.
MIN_BETWEEN_TRIAL_BATCHES = 64
# An XLA way must be this much faster to be chosen: two timings of one batch each move by a few
# percent on a shared host; a tie keeps the function as loaded (no compile for other shapes).
MIN_GAIN = 0.03
# The same graph under XLA fuses elementwise ops and reorders sums: sequence_output moved by 1.3e-5
# at most on the embedded model (values up to ~6, so a few float32 ulps), pooled_output by 3e-7;
# between the matmuls, 4.3e-6 and 1.5e-6 on BERT-base (values up to 5.1).
XLA_ROUNDING = 2e-5

BETWEEN_MATMULS = "between_matmuls"  # the third way (xla=BETWEEN_MATMULS forces it)
WAYS = {False: "as loaded", True: "under XLA (jit_compile)",
        BETWEEN_MATMULS: "XLA between the matmuls"}
# What XLA compiles in the third way: TF's auto-clustering's "fusible" kinds (elementwise ops,
# reductions, softmax, shape ops, constants), never a matmul, a variable read or a gather.
FUSIBLE_OPS = frozenset({
    "Add", "AddV2", "BiasAdd", "Cast", "ConcatV2", "Const", "Erf", "Exp", "ExpandDims", "Fill",
    "Identity", "Max", "Maximum", "Mean", "Minimum", "Mul", "Neg", "OneHot", "Pack", "Pow",
    "RealDiv", "Reshape", "Rsqrt", "Select", "SelectV2", "Shape", "Slice", "Softmax", "Sqrt",
    "Square", "SquaredDifference", "Squeeze", "StridedSlice", "Sub", "Sum", "Tanh", "Transpose"})
# Each way's key in Autotuned.times (its compile's is the key + "_compile_and_run").
_TIME_KEYS = {False: "as_loaded", True: "xla", BETWEEN_MATMULS: BETWEEN_MATMULS}
_XLA_SCOPE = b"hub_repro_between_matmuls"  # one scope: every run of marked ops may form a cluster
_copies = itertools.count()


def _mark_fusible(nodes, renamed: dict) -> None:
  """What tf.xla.experimental.jit_scope() sets on the ops made inside it, on FUSIBLE_OPS; calls
  of the graph's own functions follow their copies' new names."""
  for node in nodes:
    if node.op in renamed:  # a call of a library function by its name
      node.op = renamed[node.op]
    for value in node.attr.values():
      if value.HasField("func") and value.func.name in renamed:
        value.func.name = renamed[value.func.name]
    if node.op in FUSIBLE_OPS:
      node.attr["_XlaCompile"].b = True
      node.attr["_XlaScope"].s = _XLA_SCOPE
      node.attr["_XlaSeparateCompiledGradients"].b = False


def xla_between_matmuls(function):
  """A callable like the ConcreteFunction `function` (same arguments, same outputs) that runs a
  copy of its graph with FUSIBLE_OPS marked for XLA: TensorFlow clusters each run of them into one
  compiled kernel and runs the matmuls between as before. The copy reads the same variables."""
  import tensorflow as tf  # noqa: PLC0415

  graph_def = function.graph.as_graph_def()
  copy = next(_copies)
  renamed = {f.signature.name: f"{f.signature.name}_between_matmuls_{copy}"
             for f in graph_def.library.function}
  _mark_fusible(graph_def.node, renamed)
  for f in graph_def.library.function:
    f.signature.name = renamed[f.signature.name]
    _mark_fusible(f.node_def, renamed)
  for gradient in graph_def.library.gradient:
    gradient.function_name = renamed.get(gradient.function_name, gradient.function_name)
  num_args = len(function.inputs) - len(function.captured_inputs)
  args, captured = function.inputs[:num_args], function.inputs[num_args:]
  specs = [s for s in tf.nest.flatten(function.structured_input_signature)
           if isinstance(s, tf.TensorSpec)]
  if [s.dtype for s in specs] != [t.dtype for t in args]:
    raise ValueError(f"{len(specs)} input specs do not line up with the graph's {num_args} inputs")

  def body(*values):
    graph = tf.compat.v1.get_default_graph()
    input_map = {t.name: value for t, value in zip(args, values)}
    input_map.update({t.name: graph.capture(value)
                      for t, value in zip(captured, function.captured_inputs)})
    return tf.graph_util.import_graph_def(graph_def, input_map=input_map,
                                          return_elements=[t.name for t in function.outputs],
                                          name="")

  wrapped = tf.compat.v1.wrap_function(body, [tf.TensorSpec(t.shape, t.dtype) for t in args])

  def run(*call_args, **call_kwargs):
    values = [v for v in tf.nest.flatten((call_args, call_kwargs))
              if not isinstance(v, (bool, type(None)))]  # training=False is in the graph
    return tf.nest.pack_sequence_as(function.structured_outputs, wrapped(*values),
                                    expand_composites=True)

  run.graph = wrapped.graph  # the marked copy, for a look at what XLA compiles
  return run


def _shape(args, kwargs) -> tuple:
  first = next(iter(kwargs.values())) if kwargs else args[0]
  if isinstance(first, dict):
    first = next(iter(first.values()))
  return tuple(first.shape)


def _trial_steps(with_between: bool) -> dict:
  """The trial's timed calls on its shape: the call's count -> (the time's key, the way)."""
  steps = {2: ("as_loaded", False), 3: ("xla_compile_and_run", True), 4: ("xla", True)}
  if with_between:  # then each way timed again: its best of two counts
    steps.update({5: (f"{BETWEEN_MATMULS}_compile_and_run", BETWEEN_MATMULS),
                  6: (BETWEEN_MATMULS, BETWEEN_MATMULS), 7: ("as_loaded", False),
                  8: ("xla", True), 9: (BETWEEN_MATMULS, BETWEEN_MATMULS)})
  return steps


TRIAL_CALLS = max(_trial_steps(with_between=True))  # calls of one shape by which the trial decides


class Autotuned:
  """`function(*args, **kwargs)` as loaded or under XLA, whole or between the matmuls (see the
  module docstring). `graph`: the ConcreteFunction `function` runs, for the third way."""

  def __init__(self, function, xla: bool | str | None = None, graph=None):
    self.function = function
    self.graph = graph
    self.forced = xla
    self.num_batches: int | None = None  # how many batches the run holds (plan)
    self._compiled = None
    self._between = None
    self._seen = collections.Counter()
    self._trial_shape = None
    self._rent_s = collections.Counter()  # per shape, once XLA is chosen: XLA's savings missed
    self.compiled_shapes: set[tuple] = set()  # compiled under XLA, the trial's included
    # "as_loaded", "xla_compile_and_run", "xla", "between_matmuls_compile_and_run",
    # "between_matmuls"
    self.times: dict[str, float] = {}
    self.choice: bool | str | None = xla  # a key of WAYS; None: not decided (yet)
    self.failed = {}  # way -> why it could not run (then it is not a candidate)

  def fresh(self) -> Autotuned:
    """A new autotuner for the same function: its runs choose again."""
    return Autotuned(self.function, graph=self.graph)

  def plan(self, num_batches: int) -> None:
    """The run holds `num_batches` batches: enough for a trial or not."""
    self.num_batches = num_batches

  def tries_between(self) -> bool:
    """Whether the trial times the third way: a graph to rewrite, and a run long enough."""
    return self.graph is not None and (self.num_batches or 0) >= MIN_BETWEEN_TRIAL_BATCHES

  def compiled(self):
    if self._compiled is None:
      import tensorflow as tf  # noqa: PLC0415

      function = self.function
      self._compiled = tf.function(lambda *a, **k: function(*a, **k), jit_compile=True,
                                   autograph=False)
    return self._compiled

  def between(self):
    if self._between is None:
      if self.graph is None:
        raise ValueError("XLA between the matmuls needs the function's graph; this format's "
                         "function has none (use --xla or --no-xla)")
      self._between = xla_between_matmuls(self.graph)
    return self._between

  def _way(self, way):
    return {False: lambda: self.function, True: self.compiled, BETWEEN_MATMULS: self.between}[way]()

  def _timed(self, way, key: str | None, args, kwargs):
    start = time.perf_counter()
    try:
      out = self._way(way)(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 (an op XLA cannot compile: that way is no candidate)
      if not way or self.forced is not None:
        raise
      self.failed[way] = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
      return self.function(*args, **kwargs)
    if key is not None:
      elapsed = time.perf_counter() - start
      self.times[key] = min(self.times.get(key, elapsed), elapsed)  # a way timed twice: its best
    return out

  def _decide(self) -> None:
    """The fastest way the trial timed; an XLA way only if it beats as loaded by MIN_GAIN."""
    timed = {way: self.times[key] for way, key in _TIME_KEYS.items()
             if key in self.times and way not in self.failed}
    best = min(timed, key=timed.get)
    self.choice = best if timed[best] < (1 - MIN_GAIN) * timed[False] else False
    # The ways not kept let go of their functions, and with them of what XLA compiled for them.
    if self.choice is not True:
      self._compiled = None
    if self.choice != BETWEEN_MATMULS:
      self._between = None

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
        steps = _trial_steps(self.tries_between())
        key, way = steps[seen]
        if way in self.failed:  # its compile failed on the call before: not timed again
          key, way = None, False
        out = self._timed(way, key, args, kwargs)
        if seen == max(steps) or True in self.failed:  # an op XLA cannot compile: it stops here
          self._decide()
          if self.choice:
            self.compiled_shapes.add(shape)
        return out
    if self.choice:  # the trial's shape is in compiled_shapes
      if self._rent_s[shape] >= self.compile_cost():  # its rent has reached the price
        self.compiled_shapes.add(shape)
      if shape in self.compiled_shapes:
        return self._timed(self.choice, None, args, kwargs)
      start = time.perf_counter()
      out = self.function(*args, **kwargs)
      self._rent_s[shape] += self.gain() * (time.perf_counter() - start)
      return out
    return self.function(*args, **kwargs)

  def compile_cost(self) -> float:
    """What the trial's compile cost over a run of the chosen way: the ski-rental rule's price."""
    key = _TIME_KEYS[self.choice]
    return max(self.times[f"{key}_compile_and_run"] - self.times[key], 0.0)

  def gain(self) -> float:
    """The share of a batch's time as loaded that the chosen way saved on the trial's shape."""
    return 1.0 - self.times[_TIME_KEYS[self.choice]] / self.times["as_loaded"]

  @property
  def xla(self) -> bool:
    """Whether an XLA way is the one chosen (forced or measured)."""
    return bool(self.choice)

  def how(self) -> str:
    """Which way ran, and why, in a few words."""
    t = self.times
    if self.forced is not None:
      flag = {True: "--xla", False: "--no-xla", BETWEEN_MATMULS: "--xla-between-matmuls"}
      return f"{WAYS[self.forced]}, forced ({flag[self.forced]})"
    if True in self.failed:
      return f"as loaded: XLA could not compile it ({self.failed[True]})"
    if self.choice is None:
      if self.num_batches is not None and self.num_batches < MIN_TRIAL_BATCHES:
        return (f"as loaded: {self.num_batches} batch(es), too few to win back an XLA trial "
                f"(it needs {MIN_TRIAL_BATCHES})")
      return "as loaded: no input shape recurred often enough to time XLA against it"
    shape = "x".join(str(d) for d in self._trial_shape)
    if BETWEEN_MATMULS in t:
      shape += " (each way's best of 2)"
    measured = (f"measured on batches of {shape}: {t['xla']:.3g} s under XLA vs "
                f"{t['as_loaded']:.3g} s as loaded (XLA's compile and first run "
                f"{t['xla_compile_and_run']:.3g} s)")
    if BETWEEN_MATMULS in t:
      measured += (f", {t[BETWEEN_MATMULS]:.3g} s with XLA between the matmuls (compile and "
                   f"first run {t[BETWEEN_MATMULS + '_compile_and_run']:.3g} s)")
    elif BETWEEN_MATMULS in self.failed:
      measured += f"; XLA between the matmuls could not run ({self.failed[BETWEEN_MATMULS]})"
    elif self.graph is not None:
      measured += (f"; XLA between the matmuls not tried: {self.num_batches} batches, too few to "
                   f"win back its compile (it needs {MIN_BETWEEN_TRIAL_BATCHES})")
    return f"{WAYS[self.choice]}, {measured}"

  def to_json(self) -> dict:
    return {"xla": self.xla, "way": WAYS[self.choice or False], "how": self.how(),
            "shapes_compiled": len(self.compiled_shapes),
            "chosen_by": ("forced" if self.forced is not None else
                          "measured" if self.choice is not None and True not in self.failed else
                          "default"),
            "times_s": dict(self.times)}
