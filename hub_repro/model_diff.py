"""`python -m hub_repro diff A B`: are two copies of a BERT model the same function, and if not,
where do they part?

Both handles are opened as `hub_repro.sources` (any format, each computed by its own framework)
and compared stage by stage on the same text:

  1. tokenization: A's ids and B's for every example; the first example and tokens that differ;
  2. config: layers, hidden, intermediate, heads, gelu form, positions, type vocab; as stored, or
     found by the numbers where the format does not store them (--full's search);
  3. weights under modeling.py's names: names only in A or B, shapes, per tensor max |diff|, and
     a tensor that equals the other's transposed or reshaped;
  4. outputs on the same ids (A's): pooled_output and sequence_output (real tokens), one forward
     pass of each side per batch; and, only where they disagree, each layer on the first batch
     whose outputs differ (re-run with its layers: as the framework exposes them, else rebuilt
     with modeling.py from that side's own weights and config), and the first layer that diverges.
     Two copies whose outputs agree are the same function whatever their layers hold, so their
     layers are not compared (`layers_compared: false`), nor are heads and gelu searched where a
     format does not store them (the numbers already say both sides compute the same);
  5. what each side's pooled_output is (compare's `pooled_is`: a pooler, an identity pooler, the
     [CLS] state, none), measured as the check measures it;
  6. the verdict: SAME FUNCTION (exit 0) or DIFFERENT (exit 1) with the best explanation.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np

from hub_repro import compare, families, full, module, pooler as pooler_lib
from hub_repro.errors import InputError
from hub_repro.sources import Source
from hub_repro.sources.saved_model import numpy_view
from hub_repro.tolerances import FLOAT32_TOLERANCE, WEIGHT_TOLERANCE

CONFIG_FIELDS = ("family", "embedding_width", "num_hidden_groups", "inner_group_num",
                 "num_hidden_layers", "hidden_size", "intermediate_size", "num_attention_heads",
                 "hidden_act", "max_position_embeddings", "type_vocab_size", "vocab_size")
# The config fields some formats do not store (a TF1 module: neither), found only by --full's search.
UNSEARCHED = {"num_attention_heads": "heads", "hidden_act": "gelu"}


@dataclasses.dataclass
class Side:
  """One model of the comparison and what was found about it."""
  label: str  # "A" or "B"
  source: object  # hub_repro.sources.Source
  config: object = None  # BertConfig as stored or found
  how: str = ""  # where heads and gelu came from
  undetermined: tuple = ()  # config fields the numbers could not decide
  tokenizer: object = None  # the source's own, made once
  rebuild: object = None  # its modeling.py rebuild (compiled once), for layers a format hides


def _tokens(vocab: list[str], ids) -> list[str]:
  return [vocab[i] if 0 <= i < len(vocab) else f"<id {i}>" for i in ids]


def compare_tokenization(a: Side, b: Side, packed_a, packed_b, indices, examples) -> dict:
  """Same ids for every example of a batch (real tokens, whatever the padding)? Else the earliest
  example of the input (by `indices`) that differs, and its first differing tokens."""
  info = {"same": True, "differing_examples": 0}
  first = None
  for index, ids_a, ids_b, mask_a, mask_b in zip(indices, packed_a.input_ids, packed_b.input_ids,
                                                 packed_a.input_mask, packed_b.input_mask):
    ids_a, ids_b = list(ids_a[mask_a == 1]), list(ids_b[mask_b == 1])
    if ids_a != ids_b:
      info["differing_examples"] += 1
      if first is None or index < first[0]:
        first = (int(index), ids_a, ids_b)
  if first is not None:
    index, ids_a, ids_b = first
    at = next((i for i, (x, y) in enumerate(zip(ids_a, ids_b)) if x != y),
              min(len(ids_a), len(ids_b)))
    vocab_a, vocab_b = (s.tokenizer.vocab for s in (a, b))
    info.update(same=False, first_differing_example=index, example=examples[index],
                position=at, tokens_a=_tokens(vocab_a, ids_a[at:at + 5]),
                tokens_b=_tokens(vocab_b, ids_b[at:at + 5]))
  return info


def decide_config(side: Side, batch, num_heads=None, hidden_act=None) -> None:
  """The side's config: stored fields as stored, heads and gelu found by the numbers if not."""
  search = full.FullCheck(side.source, num_heads, hidden_act)
  search.decide_config(batch)
  side.config, side.rebuild = search.config, search.rebuild
  side.how, determined = search.how()
  side.undetermined = () if determined else ("hidden_act",)


def stored_config(side: Side, why: str) -> None:
  """The side's config as its format stores it, unsearched: the fields it does not store
  (heads, gelu in a TF1 module) are left undetermined, named as such, with `why` in the report."""
  side.config = side.source.config()
  unstored = [f for f in UNSEARCHED if f not in side.source.config_stored]
  side.undetermined = tuple(unstored)
  stored = [f"{side.config.num_attention_heads} heads", side.config.hidden_act]
  stored = [text for f, text in zip(UNSEARCHED, stored) if f not in unstored]
  side.how = ", ".join(stored) + f": stored by the {side.source.format} copy" if stored else ""
  if unstored:
    names = " and ".join(UNSEARCHED[f] for f in unstored)
    side.how += ("; " if side.how else "") + (
        f"{names} not stored by the {side.source.format} copy, and not searched: {why}")


def compare_config(a: Side, b: Side) -> dict:
  """The config fields that differ, each side's fields (None: not stored and not searched)."""
  differences = {}
  for field in CONFIG_FIELDS:
    va, vb = getattr(a.config, field), getattr(b.config, field)
    if va != vb and not (field in a.undetermined or field in b.undetermined):
      differences[field] = [va, vb]
  # A family's own settings (BertConfig.options: MobileBERT's normalization_type, ...), less
  # those that only choose its pooler (its modeling's POOLER_OPTIONS): pooled_is tells those.
  pooler_only = getattr(families.get(a.config), "POOLER_OPTIONS", ())
  for key in sorted(set(a.config.options) | set(b.config.options)):
    va, vb = a.config.options.get(key), b.config.options.get(key)
    if va != vb and "family" not in differences and key not in pooler_only:
      differences[key] = [va, vb]
  known = lambda side: {f: None if f in side.undetermined else getattr(side.config, f)  # noqa: E731
                        for f in CONFIG_FIELDS}
  return {"same": not differences, "differences": differences, "a": known(a), "b": known(b),
          "how_a": a.how, "how_b": b.how,
          "undetermined": sorted(set(a.undetermined) | set(b.undetermined))}


def _relation(x: np.ndarray, y: np.ndarray) -> str | None:
  """How y relates to x when not equal: "transposed" or "reshaped", else None."""
  if x.ndim == 2 and y.shape == x.T.shape and np.array_equal(x.T, y) and not np.array_equal(x, y):
    return "transposed"
  if x.shape != y.shape and x.size == y.size and np.array_equal(x.reshape(y.shape), y):
    return "reshaped"
  return None


def _equal(x, y) -> bool:
  """Bit-equal tensors of one shape, compared in numpy on views of their buffers (numpy_view):
  turning a numpy side into a tf.Tensor instead copies it (against a TF2 export's numpy params,
  0.9-1.0 s of a BERT-base diff where this takes ~0.1 s)."""
  return bool(np.array_equal(numpy_view(x), numpy_view(y)))


def _weights(source) -> dict:
  """A side's weights under modeling.py's names: its own tf.Variables where it computes with
  them (TF-Hub modules named like modeling.py), else params() as numpy."""
  return source.tf_params() or source.params()


def compare_weights(params_a: dict, params_b: dict) -> dict:
  """Names only in A or B, shape differences and per tensor max |diff| (modeling.py names)."""
  only_a, only_b = sorted(set(params_a) - set(params_b)), sorted(set(params_b) - set(params_a))
  per_tensor, shapes, related = {}, {}, {}
  for name in sorted(set(params_a) & set(params_b)):
    x, y = params_a[name], params_b[name]
    if tuple(x.shape) == tuple(y.shape) and _equal(x, y):  # the usual case: no float64 copies
      per_tensor[name] = 0.0
      continue
    x, y = np.asarray(x), np.asarray(y)
    relation = _relation(x, y)
    if relation:
      related[name] = relation
    if x.shape != y.shape:
      shapes[name] = [list(x.shape), list(y.shape)]
      continue
    per_tensor[name] = float(np.max(np.abs(x.astype(np.float64) - y.astype(np.float64)),
                                    initial=0.0))
  differing = {k: v for k, v in per_tensor.items() if v > WEIGHT_TOLERANCE}
  return {"same": not (only_a or only_b or shapes or differing),
          "max_abs_diff": max(per_tensor.values(), default=0.0),
          "only_in_a": only_a, "only_in_b": only_b, "shape_differences": shapes,
          "differing": dict(sorted(differing.items(), key=lambda kv: -kv[1])),
          "transposed_or_reshaped": related, "tensors_compared": len(per_tensor)}


def _layers(side: Side, packed) -> tuple[list, str]:
  """Each layer's output of `side` on `packed`: the framework's own, else rebuilt."""
  if getattr(side.source, "exposes_layers", True):
    out = side.source.run(packed.input_ids, packed.input_mask, packed.segment_ids, layers=True)
    if "encoder_outputs" in out:
      return out["encoder_outputs"], "exposed by the format"
  rebuilt = side.rebuild.run(packed.input_ids, packed.input_mask, packed.segment_ids, layers=True)
  return rebuilt["encoder_outputs"], "rebuilt with modeling.py from its own weights and config"


def _why_not_comparable(a: Side, b: Side, packed) -> str | None:
  """Why the two models cannot run on the same ids and be compared output for output (None: they
  can): B's embedding table too small for A's ids, or outputs of another width."""
  config_a, config_b = a.source.config(), b.source.config()
  if config_a.hidden_size != config_b.hidden_size:
    return (f"A's outputs are {config_a.hidden_size} wide, B's {config_b.hidden_size} (hidden "
            "sizes differ)")
  if int(packed.input_ids.max()) >= config_b.vocab_size:
    return (f"A's ids reach {int(packed.input_ids.max())}, beyond B's "
            f"{config_b.vocab_size}-token embedding table")
  return None


def _masked_max(x, y, mask) -> float:
  real = np.asarray(mask) == 1
  return float(np.max(np.abs(np.asarray(x, np.float64)[real] - np.asarray(y, np.float64)[real]),
                      initial=0.0))


def diff(handle_a: str, handle_b: str, examples: list, max_seq_length: int | None = None,
         batch_size: int = 32, log=print, layers: bool = False, xla: bool = False,
         trust_model_code: bool = False) -> dict:
  """Compares two models (handles, or loaded Sources) stage by stage; returns the JSON record
  (see the module docstring).
  `layers`: compare every layer on every batch, even where the outputs agree (for
  plots.layer_divergence_figure; it costs each side a second forward pass with its layers).
  `xla`: each TensorFlow model's whole graph under XLA (default: as loaded); each side's
  `execution` says how it ran."""
  a, b = (Side(label, h if isinstance(h, Source) else module.load(h, log, trust_model_code))
          for label, h in (("A", handle_a), ("B", handle_b)))
  limits = [x for x in (compare.position_limit(a.source), compare.position_limit(b.source))
            if x is not None]
  max_seq_length, length_from = compare.sequence_length(max_seq_length, min(limits, default=None))
  tolerance = FLOAT32_TOLERANCE
  for side in (a, b):
    if xla and side.source.function is not None:  # the TensorFlow side(s); the others as they are
      side.source.use_xla(True)
  tok_a = a.tokenizer = a.source.tokenizer()
  tok_b = b.tokenizer = b.source.tokenizer()
  tokenization, outputs_max = None, {"pooled_output": 0.0, "sequence_output": 0.0}
  layer_max: list = []
  layers_how, layers_on = {}, None
  tokenization_parts, runnable = [], True
  pooled_checks = [compare.PoolerCheck(s.source, len(examples)) for s in (a, b)]
  num_truncated = 0
  for number, batch_a in enumerate(compare.batches(tok_a, examples, max_seq_length, batch_size)):
    packed_b = tok_b.encode([examples[i] for i in batch_a.indices], max_seq_length)  # B's ids for the same examples
    tokenization_parts.append(compare_tokenization(a, b, batch_a.packed, packed_b,
                                                   batch_a.indices, examples))
    packed = batch_a.packed  # both models run on A's ids: the same input, whatever B's tokenizer
    if number == 0:
      not_run = _why_not_comparable(a, b, packed)
      runnable = not_run is None
    if not runnable:
      continue
    out = [s.source.run(packed.input_ids, packed.input_mask, packed.segment_ids) for s in (a, b)]
    num_truncated += packed.num_truncated
    for check, side_out in zip(pooled_checks, out):
      check.observe(compare.Batch(batch_a.indices, packed, side_out))
    pooled = None
    if outputs_max["pooled_output"] is not None and all("pooled_output" in o for o in out):
      pooled = float(np.max(np.abs(
          out[0]["pooled_output"].astype(np.float64) - out[1]["pooled_output"])))
      outputs_max["pooled_output"] = max(outputs_max["pooled_output"], pooled)
    else:  # a side without pooled_output: nothing to subtract (pooled_is says which)
      outputs_max["pooled_output"] = None
    sequence = _masked_max(out[0]["sequence_output"], out[1]["sequence_output"],
                           packed.input_mask)
    outputs_max["sequence_output"] = max(outputs_max["sequence_output"], sequence)
    differs = sequence > tolerance or pooled is None or pooled > tolerance
    if layers or (differs and layers_on is None):  # the first batch that differs: find where
      out = None  # let this batch's outputs go before its layers are computed
      if layers_on is None:  # each side's config found on its own ids (B's vocab may be another)
        decide_config(a, batch_a)
        decide_config(b, compare.Batch(batch_a.indices, packed_b))
        layers_on = ("every batch (asked for)" if layers else
                     f"batch {number + 1} ({len(batch_a.indices)} examples, from "
                     f"#{int(min(batch_a.indices))}), the first whose outputs differ")
      if a.config.num_hidden_layers == b.config.num_hidden_layers:
        (layers_a, how_a), (layers_b, how_b) = (_layers(s, packed) for s in (a, b))
        layers_how = {"a": how_a, "b": how_b}
        diffs = [_masked_max(x, y, packed.input_mask) for x, y in zip(layers_a, layers_b)]
        layer_max = [max(p, q) for p, q in zip(layer_max, diffs)] if layer_max else diffs
  if layers_on is None:
    why = ("the outputs agree, so it computes what the other side computes" if runnable
           else "the outputs were not compared")
    for side in (a, b):
      stored_config(side, why)

  tokenization = _merge_tokenization(tokenization_parts, a, b)
  config = compare_config(a, b)
  try:
    weights = compare_weights(_weights(a.source), _weights(b.source))
  except InputError as e:  # a side whose names no map knows
    weights = {"same": False, "error": str(e), "max_abs_diff": None}
  first_divergent = next((i for i, d in enumerate(layer_max) if d > tolerance), None)
  outputs = {
      "pooled_output": {"max_abs_diff": outputs_max["pooled_output"] if runnable else None},
      "sequence_output": {"max_abs_diff": outputs_max["sequence_output"] if runnable else None},
      "layers": [{"layer": i, "max_abs_diff": d} for i, d in enumerate(layer_max)],
      "layers_compared": bool(layer_max),
      "layers_on": layers_on if layer_max else (
          "not compared: " + ("pooled_output and sequence_output agree within the tolerance on "
                              "every batch" if runnable and layers_on is None else
                              "the models have different layer counts" if runnable else
                              "the outputs were not compared")),
      "layers_from": layers_how, "first_divergent_layer": first_divergent,
      "on": "A's token ids", "tolerance": tolerance,
      "same": runnable and all(v is not None and v <= tolerance for v in outputs_max.values())
              and first_divergent is None}
  pooled_is = {"a": None, "b": None, "same": not runnable}
  if runnable:
    results = [check.result(max_seq_length, num_truncated) for check in pooled_checks]
    pooled_is = {"a": results[0].pooled_is, "b": results[1].pooled_is,
                 "same": results[0].pooled_is == results[1].pooled_is,
                 "describe_a": describe_pooled(results[0]),
                 "describe_b": describe_pooled(results[1]),
                 # False: the pooler is not in that copy's files (made at load time, at random).
                 "stored": [r.pooler.stored if r.pooler is not None else None for r in results]}
  same = bool(tokenization["same"] and outputs["same"] and pooled_is["same"])
  record = {
      "same": same,
      "a": {"handle": a.source.handle, "format": a.source.format,
            "framework": a.source.framework, "xla": a.source.execution()["xla"],
            "execution": a.source.execution()},
      "b": {"handle": b.source.handle, "format": b.source.format,
            "framework": b.source.framework, "xla": b.source.execution()["xla"],
            "execution": b.source.execution()},
      "num_examples": len(examples), "max_seq_length": max_seq_length,
      "max_seq_length_from": length_from,
      "tokenization": tokenization, "config": config, "weights": weights, "outputs": outputs,
      "pooled_is": pooled_is, "families": {"a": _family(a), "b": _family(b)}}
  if not runnable:
    outputs["not_run"] = not_run
  record["explanation"] = explain(record)
  return record


def _merge_tokenization(parts: list, a: Side, b: Side) -> dict:
  """The batches' tokenization comparisons as one, with the earliest differing example."""
  differing = [p for p in parts if not p["same"]]
  merged = min(differing, key=lambda p: p["first_differing_example"]) if differing else {}
  return {**merged, "same": not differing,
          "differing_examples": sum(p["differing_examples"] for p in parts),
          "vocab_size": [a.tokenizer.vocab_size, b.tokenizer.vocab_size],
          "do_lower_case": [a.source.do_lower_case, b.source.do_lower_case]}


def describe_pooled(result) -> str:
  """What one side's pooled_output is, in a few words (from a compare.Result)."""
  pooler = result.pooler
  act = pooler.activation if pooler is not None else None
  apply = (lambda x: x) if act in (None, "none") else (lambda x: f"{act}({x})")
  return {
      "pooler": lambda: f"a pooler, {apply('sequence_output[:, 0] @ K + b')} "
                        f"({pooler and pooler.kernel_name})",
      "identity_pooler": lambda: f"an identity pooler, {apply('sequence_output[:, 0]')} "
                                 f"({pooler and pooler.kernel_name})",
      "cls": lambda: "sequence_output[:, 0] itself (the [CLS] state)",
      "none": lambda: "absent (no pooler)",
      "unexplained": lambda: "explained by none of its dense layers",
  }[result.pooled_is]()


def _pooler_name(name: str) -> bool:

  return any(re.fullmatch(pattern.replace("kernel", "(kernel|bias)"), name)
             for _, pattern in pooler_lib.KNOWN_NAMES)


def _pooled_only(record: dict) -> str | None:
  """The one line for two models that part in pooled_output only (same ids, config, sequence
  output and layers; weights the same but for the pooler), or None."""
  tokenization, config, weights, outputs, pooled_is = (
      record[k] for k in ("tokenization", "config", "weights", "outputs", "pooled_is"))
  sequence = outputs["sequence_output"]["max_abs_diff"]
  if not (tokenization["same"] and config["same"] and sequence is not None
          and sequence <= outputs["tolerance"] and outputs["first_divergent_layer"] is None
          and pooled_is.get("a") is not None) or weights.get("error"):
    return None
  unshared = (weights["only_in_a"] + weights["only_in_b"] + list(weights["shape_differences"])
              + list(weights["differing"]))
  if not all(_pooler_name(name) for name in unshared):
    return None
  pooled = outputs["pooled_output"]["max_abs_diff"]
  by = f" (max |diff| {pooled:.3g})" if pooled is not None else ""
  weights_part = ("weights identical" if not unshared else
                  "weights identical but for the pooler: " + ", ".join(
                      f"{name} {where}" for where, names in (
                          ("only in A", weights["only_in_a"]), ("only in B", weights["only_in_b"]),
                          ("differs", [*weights["shape_differences"], *weights["differing"]]))
                      for name in names))
  unstored = [side for side, stored in zip("AB", pooled_is.get("stored", ())) if stored is False]
  why = ("" if not unstored else
         f"; the pooler is not in the model files of {' and '.join(unstored)}: the framework makes "
         "a random one each time it loads the model, so each load has a pooled_output of its own")
  return (f"DIFFERENT in pooled_output only: A's pooled_output is {pooled_is['describe_a']}, "
          f"B's is {pooled_is['describe_b']}{by}; sequence_output and every layer agree (max "
          f"|diff| {sequence:.2g}); {weights_part}{why}")


def _family(side: Side) -> dict:
  """The side's family and, in one phrase, what sets it apart (families' describe)."""
  return {"family": side.config.family,
          "description": families.get(side.config).describe(side.config)}


def explain(record: dict) -> str:
  """One paragraph: the verdict's cause, from the earliest stage that shows a difference. Two
  families are two architectures: that is the whole cause, said first and alone (their weight
  names, config fields and tokenizers differ as a consequence)."""
  tokenization, config, weights, outputs = (record[k] for k in
                                            ("tokenization", "config", "weights", "outputs"))
  fam = record["families"]
  if fam["a"]["family"] != fam["b"]["family"]:
    return f"DIFFERENT: A is {fam['a']['description']}, B is {fam['b']['description']}"
  if not record["same"] and (line := _pooled_only(record)) is not None:
    return line
  causes = []
  if not tokenization["same"]:
    vocab, lower = tokenization["vocab_size"], tokenization["do_lower_case"]
    extra = []
    if vocab[0] != vocab[1]:
      extra.append(f"vocab sizes {vocab[0]} vs {vocab[1]}")
    if lower[0] != lower[1]:
      extra.append(f"A {'lowercases' if lower[0] else 'keeps case'}, B "
                   f"{'lowercases' if lower[1] else 'keeps case'} (cased vs uncased)")
    causes.append(
        f"tokenization differs on {tokenization['differing_examples']} example(s), first "
        f"#{tokenization['first_differing_example']} at token {tokenization['position']}: A "
        f"{tokenization['tokens_a']} vs B {tokenization['tokens_b']}"
        + (f" ({'; '.join(extra)})" if extra else ""))
  for field, (va, vb) in config["differences"].items():
    if field == "num_attention_heads":
      causes.append(f"A computes {va} attention heads, B {vb}")
    elif field == "hidden_act":
      causes.append(f"A uses gelu '{va}', B '{vb}' ({_gelu(va)} vs {_gelu(vb)})")
    else:
      causes.append(f"{field}: A {va}, B {vb}")
  if weights.get("error"):
    causes.append(f"weights cannot be compared: {weights['error']}")
  elif not weights["same"]:
    parts = []
    if weights["only_in_a"] or weights["only_in_b"]:
      parts.append(f"names only in A {weights['only_in_a'][:3]}, only in B "
                   f"{weights['only_in_b'][:3]}")
    for name, relation in list(weights["transposed_or_reshaped"].items())[:3]:
      parts.append(f"{name} of B is A's {relation}")
    shaped = [n for n in weights["shape_differences"] if n not in weights["transposed_or_reshaped"]]
    if shaped:
      a_shape, b_shape = weights["shape_differences"][shaped[0]]
      parts.append(f"{len(shaped)} tensor(s) of other shapes, first {shaped[0]} (A {a_shape}, "
                   f"B {b_shape})")
    others = [n for n in weights["differing"] if n not in weights["transposed_or_reshaped"]]
    if others:
      parts.append(f"{len(others)} tensor(s) differ, largest {others[0]} "
                   f"(max |diff| {weights['differing'][others[0]]:.3g})")
    causes.append("weights differ: " + "; ".join(parts))
  weights_note = ("weights identical" if weights.get("same") else None)
  if record["same"]:
    pooled = outputs["pooled_output"]["max_abs_diff"]
    return (f"SAME FUNCTION: outputs agree within {outputs['tolerance']:g} (pooled "
            f"{'-' if pooled is None else f'{pooled:.2g}'}, sequence "
            f"{outputs['sequence_output']['max_abs_diff']:.2g}; layers not compared: they "
            "only locate a difference)"
            + ("; " + weights_note if weights_note else "")
            + (f"; config differs only where it does not matter: {causes}" if causes else ""))
  where = ""
  if outputs["first_divergent_layer"] is not None:
    layer = outputs["first_divergent_layer"]
    where = (f"outputs part at layer {layer} (max |diff| "
             f"{outputs['layers'][layer]['max_abs_diff']:.3g})")
  elif outputs.get("not_run"):
    where = f"outputs not compared: {outputs['not_run']}"
  elif not outputs["same"]:
    pooled = outputs["pooled_output"]["max_abs_diff"]
    where = (f"outputs differ (pooled {'-' if pooled is None else f'{pooled:.3g}'}, sequence "
             f"{outputs['sequence_output']['max_abs_diff']:.3g})")
  else:
    where = "outputs on the same ids agree"
  lead = [weights_note] if weights_note and causes else []
  return "DIFFERENT: " + "; ".join(lead + causes + [where] if causes else [where, "no cause found "
                                   "in tokenization, config or weights"])


def _gelu(name: str) -> str:
  return {"gelu": "tanh approximation", "gelu_exact": "erf form"}.get(name, name)


def render(record: dict) -> str:
  t, c, w, o = (record[k] for k in ("tokenization", "config", "weights", "outputs"))
  fmt = lambda v: "-" if v is None else f"{v:.3g}"  # noqa: E731
  lines = [
      "Are A and B the same function?",
      "",
      f"  A  {record['a']['handle']}  ({record['a']['format']}, computed by "
      f"{record['a']['framework']})",
      f"  B  {record['b']['handle']}  ({record['b']['format']}, computed by "
      f"{record['b']['framework']})",
      *[f"     {label} run {record[label.lower()]['execution']['how']}" for label in "AB"
        if record[label.lower()].get("execution")],
      f"  on {record['num_examples']} examples, max_seq_length {record['max_seq_length']}: "
      f"{record['max_seq_length_from']}",
      "",
      f"  1 tokenization  {'same ids' if t['same'] else 'DIFFERENT ids'}"
      f" (vocab {t['vocab_size'][0]} / {t['vocab_size'][1]}, lowercase "
      f"{t['do_lower_case'][0]} / {t['do_lower_case'][1]})",
      "  2 config        " + ("same" if c["same"] else "DIFFERENT: " + ", ".join(
          f"{k} {v[0]} vs {v[1]}" for k, v in c["differences"].items())),
      f"                  A: {c['how_a']}",
      f"                  B: {c['how_b']}",
      f"  3 weights       {'identical' if w.get('same') else 'DIFFERENT'} ("
      f"{w.get('tensors_compared', 0)} tensors, max |diff| {fmt(w.get('max_abs_diff'))})",
      f"  4 outputs       pooled {fmt(o['pooled_output']['max_abs_diff'])}, sequence "
      f"{fmt(o['sequence_output']['max_abs_diff'])} (tolerance {o['tolerance']:g}, on A's ids)",
  ]
  if not o.get("layers_compared", True):
    lines.append(f"                  layers {o['layers_on']}")
  for layer in o["layers"]:
    mark = "  <- first divergence" if layer["layer"] == o["first_divergent_layer"] else ""
    lines.append(f"                  layer {layer['layer']:>2}  {fmt(layer['max_abs_diff']):>9}{mark}")
  p = record["pooled_is"]
  if p.get("a") is not None:
    lines += [f"  5 pooled_is     {'same' if p['same'] else 'DIFFERENT'}: A {p['a']}, B {p['b']}"]
  lines += ["", ("Verdict: SAME FUNCTION" if record["same"] else "Verdict: DIFFERENT"),
            record["explanation"]]
  return "\n".join(lines)
