"""Cross-check a model against independent BERT implementations on the same weights and inputs.

The model's weights are read under modeling.py's names (`Source.params`), copied into keras-hub's
`BertBackbone`, Hugging Face's `BertModel` (when `torch` and `transformers` import) and the
modeling.py rebuild, each a `hub_repro.sources` Source of its own, and the same packed batches run
through each. Every row reports the largest |difference| of pooled_output and of sequence_output
(on real tokens, input_mask == 1) against the model. An implementation is not compared with
itself: a keras-hub preset gets no keras-hub row.

The one known difference between the implementations is gelu: modeling.py's (and keras-hub's
BertBackbone's) is the tanh approximation, while Hugging Face's "gelu", which all-MiniLM-L6-v2 was
trained with, is the erf form. Where they differ, a control row runs keras-hub with its
feed-forward activation set to the model's gelu, so the difference is explained by measurement.

    python -m hub_repro crosscheck [SENTENCE ...] [--handle H] [--text-file F] [--preprocessor P]
        [--max-seq-length N] [--num-heads N] [--json PATH]
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import dataclasses
import itertools
import sys

from hub_repro import gcfreeze
from hub_repro.config import BertConfig

# TensorFlow, Keras and torch are imported inside the functions that need them, so that the CLI
# can mute TensorFlow's start-up noise first (hub_repro.cli.quiet_tensorflow).

# ----------------------------------------------------------------------------- tolerances

# The same float32 arithmetic in another order: another graph (einsum vs reshape + matmul),
# another LayerNorm kernel (keras' fused moments vs tf.nn.moments), another softmax mask (-1e9
# vs -10000, both exp() to exactly 0). Each of the L layers adds a few ulps relative (6e-8 each)
# per sum of H or I terms, and LayerNorm rescales by gamma / std, so the gap grows with the model:
# measured with matching gelu, 9.5e-7 on the tiny Google fixture (H=32, 2 layers), 3.8e-6 on
# all-MiniLM-L6-v2 (H=384, 6 layers), and at BERT-base size (H=768, 12 layers, 2,000 lines up
# to 512 tokens) 1.44e-5 on a module made by Google's toolchain and what tests/test_base_size.py
# measures on ours. 5e-5 keeps a margin of at least 3x there (test_base_size asserts it) and stays
# below what it must catch: a wrong head count (1.2e-4 even on the tiny fixture's nearly uniform
# 0.02-init attention, ~1 on trained weights), the other gelu form (5e-4 on the tiny fixtures,
# 2e-3 on all-MiniLM-L6-v2), a transposed kernel (~0.5).
FLOAT32_TOLERANCE = 5e-5
# keras-hub's BertBackbone always uses the tanh-approximate gelu; on a module trained with the erf
# gelu (all-MiniLM-L6-v2) each feed-forward activation then moves by up to
# max |gelu_tanh(x) - gelu_erf(x)| = 4.7e-4 (at |x| = 2.7), and L layers carry that on.
# Measured on all-MiniLM-L6-v2: 1.9e-4 (pooled) / 3.2e-3 (sequence) on the default sentences,
# 3.1e-4 / 9.9e-3 on 128 varied sentences up to 128 tokens; the control run with erf gelu is then
# at 3e-7 / 4e-6, so gelu explains it all. 5e-2 bounds it with a 5x margin and stays 30x below a
# real defect on a trained model (a wrong head count moves sequence_output by 1.7).
GELU_MISMATCH_TOLERANCE = 5e-2

GELU_NAMES = {"gelu": "tanh approximation", "gelu_exact": "erf (exact)"}
# Batches (with the model's outputs) held for a peer still being built before the pass waits for it:
# a keras-hub backbone's build and trace (~5 s at BERT-base) spans 2-4 batches of 16.
MAX_BACKLOG = 4
KERAS_HUB_GELU = "gelu"  # keras_hub.src.utils.keras_utils.gelu_approximate (tanh approximation)

EXIT_AGREES, EXIT_DISAGREES, EXIT_BAD_INPUT = 0, 1, 2


class CrosscheckError(ValueError):
  """The model's weights cannot be mapped onto the other implementations."""


def describe_activation(name: str) -> str:
  return GELU_NAMES.get(name, name)


# ----------------------------------------------------------------------------- the cross-check


class _Skipped(Exception):
  """A peer that cannot run here; the message is its row's explanation."""


@dataclasses.dataclass
class _Peer:
  """One implementation to compare with the model: how to make it, and its running maxima."""
  name: str
  gelu: str
  tolerance: float | None
  make: object = None  # () -> a hub_repro.sources.Source (may raise _Skipped); None: skipped
  explanation: str = ""
  source: object = None  # made by build()
  pooled: float | None = None  # None: one side has no pooled_output (ElectraModel)
  sequence: float = 0.0

  def build(self, warm_up: bool = False) -> None:
    """Makes the implementation, and with `warm_up` pays its first call's setup
    (Source.warm_up) before the first batch."""
    if self.make is None:
      return
    try:
      self.source = self.make()
    except _Skipped as e:
      self.explanation = str(e)
      return
    if warm_up:
      self.source.warm_up()

  def compare(self, batch, out: dict | None) -> None:
    """Takes this implementation's outputs `out` for `batch` (None: it was skipped) into its
    maxima against the model's outputs for it (batch.outputs)."""
    if out is None:
      return
    from hub_repro.full import masked_max_abs, max_abs  # noqa: PLC0415 (float32, as --full)

    reference = batch.outputs
    if "pooled_output" in out and "pooled_output" in reference:  # not ElectraModel's
      self.pooled = max(self.pooled or 0.0,
                        max_abs(out["pooled_output"], reference["pooled_output"]))
    self.sequence = max(self.sequence, masked_max_abs(
        out["sequence_output"], reference["sequence_output"], batch.packed.input_mask))

  def row(self) -> dict:
    if self.source is None:
      return _row(self.name, self.gelu, status="skipped", explanation=self.explanation)
    return _row(self.name, self.gelu, self.tolerance, (self.pooled, self.sequence),
                self.explanation)


def _run_once_built(peer: _Peer, built, ids) -> dict | None:
  """The peer's outputs for one batch, once `built` (its build's Future) is done; None if the
  peer was skipped."""
  built.result()
  return None if peer.source is None else peer.source.run(*ids)


def _row(implementation, gelu, tolerance=None, diffs=None, explanation="", status="ran"):
  pooled, sequence = diffs if diffs is not None else (None, None)
  agrees = None
  if diffs is not None and tolerance is not None:
    agrees = (pooled is None or pooled <= tolerance) and sequence <= tolerance
    if not agrees and not explanation:
      explanation = (f"differs beyond float32 rounding ({tolerance:g}): check "
                     "num_attention_heads and hidden_act")
  return {"implementation": implementation, "gelu": gelu, "status": status,
          "pooled_max_abs_diff": pooled, "sequence_max_abs_diff": sequence,
          "tolerance": tolerance, "agrees": agrees, "explanation": explanation}


def _peers(source, params: dict, config: BertConfig, rebuild=None) -> list[_Peer]:
  """The independent implementations holding `source`'s weights, never its own framework, in
  the order of their rows; none is built yet (`_Peer.build`). `rebuild`: the modeling.py rebuild
  under `config` that --full's search made, traced and ran already (FullCheck.rebuild), taken as
  the rebuild's row instead of making and tracing another (~0.5 s at BERT-base)."""
  from hub_repro import embedded, families  # noqa: PLC0415
  from hub_repro.sources import google_checkpoint, huggingface, keras_hub  # noqa: PLC0415

  peers = []
  # The model's own tf.Variables where it has them (a TF-Hub module named like modeling.py): the
  # rebuild computes with them and keras-hub's backbone copies them once (no 440 MB read first).
  variables = source.tf_params()
  act = describe_activation(config.hidden_act)
  backbone = keras_hub.KERAS_HUB_FAMILIES[config.family].backbone
  hf_model = huggingface.HF_FAMILIES[config.family].model_class
  if source.format != keras_hub.KerasHubSource.format:
    gelu_matches = config.hidden_act == KERAS_HUB_GELU
    mismatch = "" if gelu_matches else (
        f"gelu differs: keras-hub hard-codes the tanh approximation, the model uses {act}")
    tolerance = FLOAT32_TOLERANCE if gelu_matches else GELU_MISMATCH_TOLERANCE
    peers.append(_Peer(f"keras-hub {backbone}", describe_activation(KERAS_HUB_GELU), tolerance,
                       lambda: keras_hub.KerasHubSource.from_params(variables or params, config),
                       mismatch and mismatch + "; the control row below removes it"))
    if not gelu_matches:
      peers.append(_Peer(
          f"keras-hub {backbone}, activation {config.hidden_act}", act, FLOAT32_TOLERANCE,
          lambda: keras_hub.KerasHubSource.from_params(variables or params, config,
                                                       config.hidden_act),
          "control: the same weights with the model's gelu; only float32 rounding is left"))
    hf_folder = (source.path if source.format == huggingface.HuggingFaceSource.format
                 else embedded.model_dir() if source.handle == embedded.HANDLE else None)
    if hf_folder is not None and config.family in keras_hub.HF_CONVERTED:

      def converted():
        try:
          model = keras_hub.keras_hub_from_hf_folder(hf_folder, config.family)
        except Exception as e:  # noqa: BLE001 (its converter raises many kinds on a folder it
          # cannot read: convert_albert.py looks for 'albert.'-prefixed keys, which a bare
          # AlbertModel.save_pretrained does not write)
          raise _Skipped(f"skipped: keras-hub's converter cannot read this folder: "
                         f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
                         ) from None
        return keras_hub.KerasHubSource("keras-hub from_preset", hf_folder, model, config, None)

      peers.append(_Peer(f"keras-hub {backbone}.from_preset(HF folder)",
                         describe_activation(KERAS_HUB_GELU), tolerance, converted,
                         "; ".join(filter(None, ["weights read by keras-hub's own Hugging "
                                                 "Face converter", mismatch]))))
  if source.format != huggingface.HuggingFaceSource.format:
    name = (f"transformers {hf_model}, hidden_act="
            f"{huggingface.TO_HF_ACTIVATION.get(config.hidden_act)!r}")
    why_not = huggingface.why_no_torch()
    if why_not is None:
      peers.append(_Peer(name, act, FLOAT32_TOLERANCE,
                         lambda: huggingface.HuggingFaceSource.from_params(params, config)))
    else:
      peers.append(_Peer(name, act, None, explanation=f"skipped: {why_not}; to enable: "
                                                      f"{huggingface.TORCH_HINT}"))
  if source.format != google_checkpoint.ModelingSource.format:
    peers.append(_Peer(f"modeling.py rebuild ({families.get(config).__name__})", act,
                       FLOAT32_TOLERANCE,
                       lambda: rebuild if rebuild is not None else
                       google_checkpoint.ModelingSource.from_params(
                           None if variables else params, config, variables=variables)))
  return peers


def _check(params: dict, config: BertConfig, where: str) -> None:
  from hub_repro.weights import WeightsError, check_params  # noqa: PLC0415

  try:
    check_params(params, config, where)
  except WeightsError as e:
    raise CrosscheckError(str(e)) from None


@gcfreeze.frozen()
def crosscheck(handle: str | None = None, examples: list | None = None,
               max_seq_length: int | None = None,
               num_heads: int | None = None, hidden_act: str | None = None,
               config: BertConfig | None = None, batch_size: int = 32, tokenizer=None,
               log=print, xla: bool | None = None) -> list[dict]:
  """Runs the model and the independent implementations on the same packed inputs, in one pass.

  Args:
    handle: as for hub_repro.module.load (None: the embedded all-MiniLM-L6-v2); any format; or a
      loaded Source.
    examples: strings or (first, second) pairs (default: the CLI's built-in sentences).
    num_heads, hidden_act: what the model computes, where its format does not store it (a TF1
      module stores neither; default: `config`, the embedded model's config.json, else found by
      --full's search on the first batch).
    config: a BertConfig for the model, if known.
    tokenizer: a tokenization.HubPreprocessor (default: the model's own vocab).
    xla: the model's graph under XLA, as loaded, or measured (None), as compare.check's; the
      model's row says which ran (`xla`, `execution`).

  Returns one dict per implementation, each with `implementation`, `gelu`, `status` ("ran" or
  "skipped"), `pooled_max_abs_diff`, `sequence_max_abs_diff` (real tokens only), `tolerance`,
  `agrees` and `explanation`. The first row is the model itself: its `gelu` says whether the
  activation was read, given or found, its `explanation` where the config came from.
  """
  from hub_repro import compare, embedded, full, module as module_lib  # noqa: PLC0415
  from hub_repro.sources import ALL_FIELDS  # noqa: PLC0415

  if examples is None:
    from hub_repro.cli import DEFAULT_SENTENCES  # noqa: PLC0415
    examples = list(DEFAULT_SENTENCES)
  if not examples:
    raise ValueError("no examples to run")
  from hub_repro.sources import Source  # noqa: PLC0415

  source = handle if isinstance(handle, Source) else module_lib.load(handle, log=log)
  handle = source.handle if isinstance(handle, Source) else handle
  where = handle or source.handle
  try:
    params = source.params()
  except ValueError as e:
    raise CrosscheckError(f"{where}: {e}") from None
  from hub_repro import families  # noqa: PLC0415

  positions = params[families.get(families.of_names(params)).POSITION_EMBEDDINGS].shape[0]
  max_seq_length, _ = compare.sequence_length(max_seq_length, int(positions))
  tokenizer = tokenizer or source.tokenizer()
  if xla is not None:  # None: the source's own choice (measured, for a freshly loaded one)
    source.use_xla(xla)
  source.plan(compare._count_batches(examples, batch_size))  # noqa: SLF001

  overrides = {k: v for k, v in [("num_attention_heads", num_heads), ("hidden_act", hidden_act)]
               if v is not None}
  if config is None and handle is None:
    config, origin = embedded.config(), f"config.json of {embedded.PACKAGE}"
  else:
    origin = "the given config"
  from_copy = (f"stored by the {source.format} copy" if source.config_stored == ALL_FIELDS
               else "derived from weight shapes")
  if config is not None:
    config = BertConfig.from_dict({**config.to_dict(), **overrides})
    notes, act_source = [f"config from {origin}"], "given" if hidden_act else f"from {origin}"
  elif num_heads is not None and hidden_act is not None:  # nothing left for --full's search
    config = BertConfig.from_dict({**source.config().to_dict(), **overrides})
    notes, act_source = [f"config {from_copy}; heads/gelu given"], "given"
  peers = _peers(source, params, config) if config is not None else None
  # One background thread builds and warms the peers up in the order of their rows: keras-hub's
  # first, the long pole (~1.5-2.5 s at BERT-base with its trace, against ~0.1 s for transformers
  # and ~0.5 s for the rebuild's trace), so that its batches run beside the others' rather than
  # alone at the end (one crosscheck of 64 sentences at BERT-base: 5.94-6.00 s this way, 6.04-6.19 s
  # cheapest first).
  builder = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="hub_repro-peers")
  if peers is not None:  # known before any batch: the peers are built while the model runs
    _check(params, config, where)
    built = {id(peer): builder.submit(peer.build, True) for peer in peers}
  stream = compare.batches(tokenizer, examples, max_seq_length, batch_size)
  first = next(stream)
  if peers is None:  # --full's search decides heads and gelu on the first batch
    first.outputs = source.run(first.packed.input_ids, first.packed.input_mask,
                               first.packed.segment_ids)
    search = full.FullCheck(source, num_heads, hidden_act, layers=False)
    search.decide_config(first)
    config = search.config
    if not search.errors:
      notes = [f"config {from_copy}" + ("; heads/gelu given" if overrides else "")]
      act_source = "given" if hidden_act else f"stored by the {source.format} copy"
    else:
      how, determined = search.how()
      notes = [f"config derived from weight shapes; --full's search: {how}"]
      act_source = ("given" if hidden_act else "found by the numbers" if determined
                    else "NOT DETERMINED: both forms fit this model; the closer was taken")
    _check(params, config, where)
    peers = _peers(source, params, config, rebuild=search.rebuild)
    built = {id(peer): builder.submit(peer.build, True) for peer in peers}
  builder.shutdown(wait=False)
  # Each peer runs the batches in a thread of its own, beside the model's pass over the same
  # batch (4 passes at once kept 2 cores busier than one after the other: 4.7 s against 5.05 s for
  # the four BERT-base implementations on 64 sentences), once built. A peer still being built does
  # not hold the others up: the batches it has not run wait for it with the model's outputs (at
  # most MAX_BACKLOG of them; then the pass waits for it), and it catches up once built.
  runners = {id(peer): concurrent.futures.ThreadPoolExecutor(
      1, thread_name_prefix="hub_repro-peer") for peer in peers}
  pending = {id(peer): collections.deque() for peer in peers}  # (batch, Future of its outputs)

  def start(batch) -> None:
    ids = (batch.packed.input_ids, batch.packed.input_mask, batch.packed.segment_ids)
    for peer in peers:
      pending[id(peer)].append((batch, runners[id(peer)].submit(
          _run_once_built, peer, built[id(peer)], ids)))

  def collect(wait: bool) -> None:  # compares what the peers have run, oldest first
    for peer in peers:
      queue = pending[id(peer)]
      while queue and (wait or queue[0][1].done() or len(queue) > MAX_BACKLOG):
        batch, outputs = queue.popleft()
        peer.compare(batch, outputs.result())

  summary = (f"{config.num_hidden_layers} layers, hidden {config.hidden_size}, "
             f"{config.num_attention_heads} heads, intermediate {config.intermediate_size}")
  try:
    for batch in itertools.chain([first], stream):  # one pass: each batch tokenized and run once
      start(batch)
      if batch.outputs is None:
        batch.outputs = source.run(batch.packed.input_ids, batch.packed.input_mask,
                                   batch.packed.segment_ids)
      collect(wait=False)
    collect(wait=True)
  finally:  # on an error or an interrupt, what has not started is dropped
    for runner in runners.values():
      runner.shutdown(wait=False, cancel_futures=True)
  rows = [_row(f"model: {where} ({source.format}, {source.naming} names, computed by "
               f"{source.framework})", f"{describe_activation(config.hidden_act)} ({act_source})",
               diffs=(0.0, 0.0), explanation="; ".join(notes + [summary]))]
  rows[0]["execution"] = source.execution()
  rows[0]["xla"] = rows[0]["execution"]["xla"]
  rows[0]["explanation"] += f"; run {rows[0]['execution']['how']}"
  return rows + [peer.row() for peer in peers]


# ----------------------------------------------------------------------------- command line


def _fmt(value) -> str:
  return "-" if value is None else f"{value:.2g}"


def render(rows: list[dict]) -> str:
  """The module on top, then one line per implementation and its explanation below it."""
  module = rows[0]
  lines = [
      "Do independent BERT implementations agree with the module on the same weights and inputs?",
      "",
      f"  module  {module['implementation'].split(': ', 1)[-1]}",
      f"  gelu    {module['gelu']}",
      f"  config  {module['explanation']}",
      "",
      f"  {'max |diff| vs the module':<48}{'gelu':<20}{'pooled':>8}{'sequence':>10}"
      f"{'tolerance':>11}  agrees",
  ]
  for row in rows[1:]:
    agrees = {True: "yes", False: "NO", None: "-"}[row["agrees"]]
    lines.append(f"  {row['implementation']:<48}{row['gelu']:<20}"
                 f"{_fmt(row['pooled_max_abs_diff']):>8}{_fmt(row['sequence_max_abs_diff']):>10}"
                 f"{_fmt(row['tolerance']):>11}  {agrees}")
    if row["explanation"]:
      lines.append(f"    {row['explanation']}")
  lines += ["", "  sequence: real tokens only (input_mask == 1)"]
  return "\n".join(lines)


def exit_code(rows: list[dict]) -> int:
  """0 if every implementation that ran agrees within its tolerance, else 1."""
  ran = [row for row in rows[1:] if row["status"] == "ran"]
  return EXIT_AGREES if all(row["agrees"] for row in ran) else EXIT_DISAGREES


def add_arguments(parser: argparse.ArgumentParser) -> None:
  """crosscheck's own arguments, on the subparser hub_repro.cli makes (which adds the shared input
  arguments: sentences, --text-file, --preprocessor, --max-seq-length, --batch-size; and --debug)."""
  parser.description = ("Run the module, keras-hub's BertBackbone and (if torch is installed) "
                        "Hugging Face's BertModel on the same weights and inputs, and compare "
                        "their outputs.")
  parser.add_argument("--handle", help="a TF-Hub handle or a local folder of any format (default: "
                      "the embedded all-MiniLM-L6-v2)")
  parser.add_argument("--num-heads", type=int, help="attention heads of the module (TF1 modules "
                      "do not store it; default: the config, else hidden_size // 64)")
  parser.add_argument("--hidden-act", choices=["gelu", "gelu_exact"],
                      help="the module's gelu: 'gelu' = tanh approximation (modeling.py), "
                      "'gelu_exact' = erf (Hugging Face 'gelu'); default: the config, else 'gelu'")
  parser.add_argument("--config", metavar="PATH", help="the module's bert_config.json, if known")
  parser.add_argument("--json", metavar="PATH", help="also write the rows as JSON to PATH")


def run(args) -> int:
  """The crosscheck command: the table on stdout, 0 if every implementation agrees, else 1."""
  from hub_repro import cli, report  # noqa: PLC0415

  from hub_repro import module, tokenization  # noqa: PLC0415

  examples = cli.read_examples(args, default=None)
  cli.check_output_paths(json=args.json)
  log = lambda msg: print(msg, file=sys.stderr)  # noqa: E731
  tokenizer = None
  if args.preprocessor:
    tokenizer = tokenization.HubPreprocessor(module.load_preprocessor(args.preprocessor, log=log),
                                             args.preprocessor)
  if args.num_heads is not None and args.num_heads < 1:
    raise cli.UsageError(f"--num-heads {args.num_heads} must be at least 1")
  config = BertConfig.from_json_file(args.config) if args.config else None
  rows = crosscheck(args.handle, examples=examples, max_seq_length=args.max_seq_length,
                    num_heads=args.num_heads, hidden_act=args.hidden_act, config=config,
                    batch_size=args.batch_size, tokenizer=tokenizer, log=log, xla=args.xla)
  print(render(rows))
  code = exit_code(rows)
  print("\nVerdict: " + ("every implementation agrees within its tolerance" if code == EXIT_AGREES
                         else "an implementation DISAGREES beyond its tolerance"))
  if args.json:
    report.write_json({"rows": rows, "exit_code": code}, args.json)
    cli.print_written([args.json])
  return code


def main(argv: list[str] | None = None) -> int:
  """`hub_repro crosscheck ARGS`: exit codes and errors as in hub_repro.cli."""
  from hub_repro import cli  # noqa: PLC0415

  return cli.main(["crosscheck", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
  sys.exit(main())
