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

import collections
import concurrent.futures
import contextlib
import dataclasses
import itertools

from hub_repro import compare, embedded, families, full
from hub_repro.config import BertConfig
from hub_repro.errors import UsageError, WeightsError
from hub_repro.sources import ALL_FIELDS, Source, google_checkpoint, huggingface, keras_hub
from hub_repro.tolerances import FLOAT32_TOLERANCE, GELU_MISMATCH_TOLERANCE
from hub_repro.weights import check_params

GELU_NAMES = {"gelu": "tanh approximation", "gelu_exact": "erf (exact)"}
# Batches (with the model's outputs) that may wait for the peers while the model runs ahead: a
# keras-hub build and trace span 2-4 batches of 16 at BERT-base, and the lanes catch up after.
# At most this many batches' outputs are held: 100 MB of sequence_output at BERT-base, 32 x 128.
IN_FLIGHT = 8


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

  def build(self) -> None:
    """Makes the implementation (its first call's setup is paid by the first batch)."""
    if self.make is None:
      return
    try:
      self.source = self.make()
    except _Skipped as e:
      self.explanation = str(e)

  def compare(self, batch, out: dict | None) -> None:
    """Takes this implementation's outputs `out` for `batch` (None: it was skipped) into its
    maxima against the model's outputs for it (batch.outputs)."""
    if out is None:
      return
    reference = batch.outputs
    if "pooled_output" in out and "pooled_output" in reference:  # not ElectraModel's
      self.pooled = max(self.pooled or 0.0,
                        full.max_abs(out["pooled_output"], reference["pooled_output"]))
    self.sequence = max(self.sequence, full.masked_max_abs(
        out["sequence_output"], reference["sequence_output"], batch.packed.input_mask))

  def row(self) -> dict:
    if self.source is None:
      return _row(self.name, self.gelu, status="skipped", explanation=self.explanation)
    return _row(self.name, self.gelu, self.tolerance, (self.pooled, self.sequence),
                self.explanation)


def _run_peer(peer: _Peer, batch) -> None:
  """One peer on one batch (in its lane, after its build), compared with the model's outputs."""
  ids = (batch.packed.input_ids, batch.packed.input_mask, batch.packed.segment_ids)
  peer.compare(batch, None if peer.source is None else peer.source.run(*ids))


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
  peers = []
  # The model's own tf.Variables where it has them (a TF-Hub module named like modeling.py): the
  # rebuild computes with them and keras-hub's backbone copies them once (no 440 MB read first).
  variables = source.tf_params()
  act = describe_activation(config.hidden_act)
  keras_spec, hf_spec = keras_hub.keras_names(config), huggingface.hf_names(config)
  if keras_spec is not None and source.format != keras_hub.KerasHubSource.format:
    backbone, keras_gelu = keras_spec.backbone, keras_spec.activation
    gelu_matches = config.hidden_act == keras_gelu
    mismatch = "" if gelu_matches else (
        f"gelu differs: keras-hub hard-codes the {describe_activation(keras_gelu)}, the model "
        f"uses {act}")
    tolerance = FLOAT32_TOLERANCE if gelu_matches else GELU_MISMATCH_TOLERANCE
    peers.append(_Peer(f"keras-hub {backbone}", describe_activation(keras_gelu), tolerance,
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
    if hf_folder is not None and keras_spec.converts_hf:

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
                         describe_activation(keras_gelu), tolerance, converted,
                         "; ".join(filter(None, ["weights read by keras-hub's own Hugging "
                                                 "Face converter", mismatch]))))
  if hf_spec is not None and source.format != huggingface.HuggingFaceSource.format:
    name = (f"transformers {hf_spec.model_class}, hidden_act="
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


def crosscheck(source: Source, *, examples: list, max_seq_length: int | None = None,
               num_heads: int | None = None, hidden_act: str | None = None,
               config: BertConfig | None = None, batch_size: int = 32,
               tokenizer=None) -> list[dict]:
  """Runs the model and the independent implementations on the same packed inputs, in one pass.

  Args:
    source: the model (hub_repro.module.load), any format.
    examples: strings or (first, second) pairs.
    num_heads, hidden_act: what the model computes, where its format does not store it (a TF1
      module stores neither; default: `config`, the embedded model's config.json, else found by
      --full's search on the first batch).
    config: a BertConfig for the model, if known.
    tokenizer: a tokenization.HubPreprocessor (default: the model's own vocab).

  Returns one dict per implementation, each with `implementation`, `gelu`, `status` ("ran" or
  "skipped"), `pooled_max_abs_diff`, `sequence_max_abs_diff` (real tokens only), `tolerance`,
  `agrees` and `explanation`. The first row is the model itself: its `gelu` says whether the
  activation was read, given or found, its `explanation` where the config came from.
  """
  if not examples:
    raise UsageError("no examples to run")
  where = source.handle
  try:
    params = source.params()
  except WeightsError as e:
    raise WeightsError(f"{where}: {e}") from None
  family = families.get(families.of_names(params))
  # A model without a position table (DeBERTa-v3's relative positions only): its config's bound.
  positions = (params[family.POSITION_EMBEDDINGS].shape[0]
               if family.POSITION_EMBEDDINGS in params else source.config().max_position_embeddings)
  if getattr(family, "position_offset", None):  # rows no token uses (RoBERTa's first two)
    positions -= family.position_offset(source.config())
  max_seq_length, _ = compare.sequence_length(max_seq_length, int(positions))
  tokenizer = tokenizer or source.tokenizer()

  overrides = {k: v for k, v in [("num_attention_heads", num_heads), ("hidden_act", hidden_act)]
               if v is not None}
  if config is None and source.handle == embedded.HANDLE:
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
  batches = compare.batches(tokenizer, examples, max_seq_length, batch_size)
  first = next(batches)
  rebuild = None
  if config is None:  # --full's search decides heads and gelu on the first batch
    first.outputs = source.run(first.packed.input_ids, first.packed.input_mask,
                               first.packed.segment_ids)
    search = full.FullCheck(source, num_heads, hidden_act, layers=False)
    search.decide_config(first)
    config, rebuild = search.config, search.rebuild
    if not search.errors:
      notes = [f"config {from_copy}" + ("; heads/gelu given" if overrides else "")]
      act_source = "given" if hidden_act else f"stored by the {source.format} copy"
    else:
      how, determined = search.how()
      notes = [f"config derived from weight shapes; --full's search: {how}"]
      act_source = ("given" if hidden_act else "found by the numbers" if determined
                    else "NOT DETERMINED: both forms fit this model; the closer was taken")
  check_params(params, config, where)
  peers = _peers(source, params, config, rebuild=rebuild)

  # Each peer has a worker thread of its own (a lane), started and joined here: it builds the peer
  # (keras-hub's backbone build and trace are mostly Python, ~1-2 s at BERT-base), then runs every
  # batch in order, beside the model's pass over the next ones. At most IN_FLIGHT batches wait for
  # the peers, with the model's outputs. benchmarks/crosscheck.py on a 2-core Xeon: crosscheck took
  # 1.32 of the bare forwards with the peers built and run one after the other, 1.15-1.21 in lanes.
  with contextlib.ExitStack() as lanes_open:
    lanes = [lanes_open.enter_context(concurrent.futures.ThreadPoolExecutor(
        1, thread_name_prefix="hub_repro-peer")) for _ in peers]
    built = [lane.submit(peer.build) for lane, peer in zip(lanes, peers)]
    waiting = collections.deque()  # per batch, its peers' jobs
    for batch in itertools.chain([first], batches):  # one pass: each batch tokenized once
      if batch.outputs is None:
        batch.outputs = source.run(batch.packed.input_ids, batch.packed.input_mask,
                                   batch.packed.segment_ids)
      waiting.append([lane.submit(_run_peer, peer, batch) for lane, peer in zip(lanes, peers)])
      while len(waiting) > IN_FLIGHT:
        for job in waiting.popleft():
          job.result()  # raises if the peer failed
    while waiting:
      for job in waiting.popleft():
        job.result()
    for build in built:
      build.result()
  summary = (f"{config.num_hidden_layers} layers, hidden {config.hidden_size}, "
             f"{config.num_attention_heads} heads, intermediate {config.intermediate_size}")
  execution = source.execution()
  model = _row(f"model: {where} ({source.format}, {source.naming} names, computed by "
               f"{source.framework})", f"{describe_activation(config.hidden_act)} ({act_source})",
               diffs=(0.0, 0.0),
               explanation="; ".join(notes + [summary, f"run {execution['how']}"]))
  model.update(execution=execution, xla=execution["xla"])
  return [model] + [peer.row() for peer in peers]


def agrees(rows: list[dict]) -> bool:
  """Whether every implementation that ran agrees with the model within its tolerance."""
  return all(row["agrees"] for row in rows[1:] if row["status"] == "ran")


# ----------------------------------------------------------------------------- the report


def _fmt(value) -> str:
  return "-" if value is None else f"{value:.2g}"


def render(rows: list[dict]) -> str:
  """The module on top, then one line per implementation and its explanation below it."""
  module = rows[0]
  # The first column fits the longest implementation's name (a family's module path).
  width = max([48] + [len(row["implementation"]) + 2 for row in rows[1:]])
  lines = [
      "Do independent BERT implementations agree with the module on the same weights and inputs?",
      "",
      f"  module  {module['implementation'].split(': ', 1)[-1]}",
      f"  gelu    {module['gelu']}",
      f"  config  {module['explanation']}",
      "",
      f"  {'max |diff| vs the module':<{width}}{'gelu':<20}{'pooled':>8}{'sequence':>10}"
      f"{'tolerance':>11}  agrees",
  ]
  for row in rows[1:]:
    agrees = {True: "yes", False: "NO", None: "-"}[row["agrees"]]
    lines.append(f"  {row['implementation']:<{width}}{row['gelu']:<20}"
                 f"{_fmt(row['pooled_max_abs_diff']):>8}{_fmt(row['sequence_max_abs_diff']):>10}"
                 f"{_fmt(row['tolerance']):>11}  {agrees}")
    if row["explanation"]:
      lines.append(f"    {row['explanation']}")
  lines += ["", "  sequence: real tokens only (input_mask == 1)"]
  return "\n".join(lines)
