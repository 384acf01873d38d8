"""Cross-check the module against independent BERT implementations on the same weights and inputs.

The module's own variables are read under modeling.py's names, copied into keras-hub's
`BertBackbone` (and, when `torch` and `transformers` import, into Hugging Face's `BertModel`), and
the same packed batches run through each. Every row reports the largest |difference| of
pooled_output and of sequence_output (on real tokens, input_mask == 1) against the module.

The one known difference between the implementations is gelu: modeling.py's (and keras-hub's
BertBackbone's) is the tanh approximation, while Hugging Face's "gelu", which all-MiniLM-L6-v2 was
trained with, is the erf form. Where they differ, a control row runs keras-hub with its
feed-forward activation set to the module's gelu, so the difference is explained by measurement.

    python -m hub_repro crosscheck [--handle H] [--max-seq-length N] [--num-heads N] [--json PATH]
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from hub_repro.config import BertConfig

# TensorFlow, Keras and torch are imported inside the functions that need them, so that the CLI
# can mute TensorFlow's start-up noise first (hub_repro.cli.quiet_tensorflow).

# ----------------------------------------------------------------------------- name maps (data)

# modeling.py name -> keras-hub BertBackbone weight path (`keras.Variable.path`); `{n}` is the
# layer index.
BERT_TO_KERAS_HUB = {
    "bert/embeddings/word_embeddings": "token_embedding/embeddings",
    "bert/embeddings/token_type_embeddings": "segment_embedding/embeddings",
    "bert/embeddings/position_embeddings": "position_embedding/embeddings",
    "bert/embeddings/LayerNorm/gamma": "embeddings_layer_norm/gamma",
    "bert/embeddings/LayerNorm/beta": "embeddings_layer_norm/beta",
    "bert/encoder/layer_{n}/attention/self/query/kernel": "transformer_layer_{n}/self_attention_layer/query/kernel",
    "bert/encoder/layer_{n}/attention/self/query/bias": "transformer_layer_{n}/self_attention_layer/query/bias",
    "bert/encoder/layer_{n}/attention/self/key/kernel": "transformer_layer_{n}/self_attention_layer/key/kernel",
    "bert/encoder/layer_{n}/attention/self/key/bias": "transformer_layer_{n}/self_attention_layer/key/bias",
    "bert/encoder/layer_{n}/attention/self/value/kernel": "transformer_layer_{n}/self_attention_layer/value/kernel",
    "bert/encoder/layer_{n}/attention/self/value/bias": "transformer_layer_{n}/self_attention_layer/value/bias",
    "bert/encoder/layer_{n}/attention/output/dense/kernel": "transformer_layer_{n}/self_attention_layer/attention_output/kernel",
    "bert/encoder/layer_{n}/attention/output/dense/bias": "transformer_layer_{n}/self_attention_layer/attention_output/bias",
    "bert/encoder/layer_{n}/attention/output/LayerNorm/gamma": "transformer_layer_{n}/self_attention_layer_norm/gamma",
    "bert/encoder/layer_{n}/attention/output/LayerNorm/beta": "transformer_layer_{n}/self_attention_layer_norm/beta",
    "bert/encoder/layer_{n}/intermediate/dense/kernel": "transformer_layer_{n}/feedforward_intermediate_dense/kernel",
    "bert/encoder/layer_{n}/intermediate/dense/bias": "transformer_layer_{n}/feedforward_intermediate_dense/bias",
    "bert/encoder/layer_{n}/output/dense/kernel": "transformer_layer_{n}/feedforward_output_dense/kernel",
    "bert/encoder/layer_{n}/output/dense/bias": "transformer_layer_{n}/feedforward_output_dense/bias",
    "bert/encoder/layer_{n}/output/LayerNorm/gamma": "transformer_layer_{n}/feedforward_layer_norm/gamma",
    "bert/encoder/layer_{n}/output/LayerNorm/beta": "transformer_layer_{n}/feedforward_layer_norm/beta",
    "bert/pooler/dense/kernel": "pooled_dense/kernel",
    "bert/pooler/dense/bias": "pooled_dense/bias",
}
# keras-hub's attention (keras.layers.MultiHeadAttention, EinsumDense) keeps the heads as an axis
# of its own; modeling.py's dense layers are flat with the head index outer (feature n*H/N + j).
# Nothing is transposed: both store kernels as [in, out].
KERAS_HUB_RESHAPED = {
    "attention/self/query/kernel": "[H, H] -> [H, N, H/N]",
    "attention/self/key/kernel": "[H, H] -> [H, N, H/N]",
    "attention/self/value/kernel": "[H, H] -> [H, N, H/N]",
    "attention/self/query/bias": "[H] -> [N, H/N]",
    "attention/self/key/bias": "[H] -> [N, H/N]",
    "attention/self/value/bias": "[H] -> [N, H/N]",
    "attention/output/dense/kernel": "[H, H] -> [N, H/N, H]",
}

# TF Model Garden names (TF2 SavedModels) are mapped to modeling.py's by hub_repro.naming.

# ----------------------------------------------------------------------------- tolerances

# The same float32 arithmetic in another order: another graph (einsum vs reshape + matmul),
# another LayerNorm kernel (keras' fused moments vs tf.nn.moments), another softmax mask (-1e9
# vs -10000, both exp() to exactly 0). Each of the L layers adds a few ulps relative (6e-8 each)
# per sum of H or I terms, and LayerNorm rescales by gamma / std. Measured with matching gelu:
# 9.5e-7 on the tiny Google fixture (H=32, 2 layers), 3.8e-6 on all-MiniLM-L6-v2 (H=384,
# 6 layers, 128 sentences up to 128 tokens). 2e-5 leaves a 5x margin above the larger; a wrong
# head count on the fixture's random weights still shows 1.2e-4 to 1.6e-4 (its attention is
# nearly uniform, so heads matter little there; on a trained model they move outputs by ~1).
FLOAT32_TOLERANCE = 2e-5
# keras-hub's BertBackbone always uses the tanh-approximate gelu; on a module trained with the erf
# gelu (all-MiniLM-L6-v2) each feed-forward activation then moves by up to
# max |gelu_tanh(x) - gelu_erf(x)| = 4.7e-4 (at |x| = 2.7), and L layers carry that on.
# Measured on all-MiniLM-L6-v2: 1.9e-4 (pooled) / 3.2e-3 (sequence) on the default sentences,
# 3.1e-4 / 9.9e-3 on 128 varied sentences up to 128 tokens; the control run with erf gelu is then
# at 3e-7 / 4e-6, so gelu explains it all. 5e-2 bounds it with a 5x margin and stays 30x below a
# real defect on a trained model (a wrong head count moves sequence_output by 1.7).
GELU_MISMATCH_TOLERANCE = 5e-2

GELU_NAMES = {"gelu": "tanh approximation", "gelu_exact": "erf (exact)"}
# hub_repro's activation names -> Hugging Face's hidden_act.
TO_HF_ACTIVATION = {"gelu": "gelu_new", "gelu_exact": "gelu", "relu": "relu", "tanh": "tanh"}
KERAS_HUB_GELU = "gelu"  # keras_hub.src.utils.keras_utils.gelu_approximate (tanh approximation)
TORCH_HINT = "pip install torch==2.13.0 transformers"
DEFAULT_HEAD_SIZE = 64  # every released BERT, and MiniLM: H/N = 64

EXIT_AGREES, EXIT_DISAGREES, EXIT_BAD_INPUT = 0, 1, 2


class CrosscheckError(ValueError):
  """The module's weights cannot be mapped onto the other implementations."""


def describe_activation(name: str) -> str:
  return GELU_NAMES.get(name, name)


def _check_key_sets(actual, expected, where: str) -> None:
  missing = sorted(set(expected) - set(actual))
  unexpected = sorted(set(actual) - set(expected))
  if missing or unexpected:
    raise CrosscheckError(f"{where}: missing keys {missing}, unexpected keys {unexpected}")


# ----------------------------------------------------------------------------- module weights


def module_params(variables: dict[str, np.ndarray], where: str) -> tuple[dict, str, int | None]:
  """The module's weights under modeling.py's names.

  Returns (params, naming, num_heads): naming is "modeling.py" or "Model Garden"; num_heads is
  read from Model Garden's [H, N, H/N] query kernel, None for modeling.py's flat [H, H] kernels.
  """
  from hub_repro import naming  # noqa: PLC0415

  try:
    params, naming_name, num_heads = naming.to_bert_params(variables)
  except ValueError as e:
    raise CrosscheckError(f"{where}: {e}") from None
  return {k: np.asarray(v, np.float32) for k, v in params.items()}, naming_name, num_heads


def derive_config(params: dict, num_heads: int | None = None, hidden_act: str = "gelu"
                  ) -> tuple[BertConfig, list[str]]:
  """BertConfig from the weights' shapes (a TF1 module stores no config); returns notes that say
  what was guessed rather than read."""
  from hub_repro import naming  # noqa: PLC0415

  notes = []
  if num_heads is None:
    hidden_size = params["bert/embeddings/word_embeddings"].shape[1]
    num_heads = hidden_size // DEFAULT_HEAD_SIZE
    if num_heads < 1 or hidden_size % num_heads:
      num_heads = 1
    notes.append(f"num_attention_heads {num_heads} is a GUESS (hidden_size {hidden_size} at "
                 f"{DEFAULT_HEAD_SIZE} per head, else 1): weight shapes do not tell; pass "
                 "--num-heads if it is wrong")
  try:
    return naming.infer_config(params, num_heads, hidden_act), notes
  except KeyError as e:
    raise CrosscheckError(f"cannot derive a BertConfig: weight {e.args[0]} is missing") from None


def _check_params(params: dict, config: BertConfig, where: str) -> None:
  from hub_repro.weights import WeightsError, check_params  # noqa: PLC0415

  try:
    check_params(params, config, where)
  except WeightsError as e:
    raise CrosscheckError(str(e)) from None


# ----------------------------------------------------------------------------- keras-hub


def keras_activation(name: str):
  """The Keras function for one of hub_repro's activation names."""
  import keras  # noqa: PLC0415 (keras-hub is only needed here)

  if name == "gelu":
    return lambda x: keras.activations.gelu(x, approximate=True)
  if name == "gelu_exact":
    return lambda x: keras.activations.gelu(x, approximate=False)
  return keras.activations.get(name)


def keras_hub_backbone(weights_or_params, config: BertConfig | None = None,
                       activation: str | None = None):
  """keras_hub.models.BertBackbone with every weight set from modeling.py's names.

  Args:
    weights_or_params: a weights.BertWeights, or a dict modeling.py name -> array.
    config: the BertConfig (default: the BertWeights' own).
    activation: None keeps keras-hub's feed-forward activation (tanh-approximate gelu, fixed in
      BertBackbone); a hub_repro activation name replaces it (the control run).

  Raises CrosscheckError naming every missing and unexpected key, or the key whose shape is wrong.
  """
  import keras_hub  # noqa: PLC0415

  params = getattr(weights_or_params, "params", weights_or_params)
  config = config or getattr(weights_or_params, "config", None)
  if config is None:
    raise ValueError("keras_hub_backbone needs a BertConfig with a params dict")
  _check_params(params, config, "keras-hub BertBackbone")
  backbone = keras_hub.models.BertBackbone(
      vocabulary_size=config.vocab_size, num_layers=config.num_hidden_layers,
      num_heads=config.num_attention_heads, hidden_dim=config.hidden_size,
      intermediate_dim=config.intermediate_size, dropout=config.hidden_dropout_prob,
      max_sequence_length=config.max_position_embeddings, num_segments=config.type_vocab_size,
      dtype="float32")
  variables = {v.path: v for v in backbone.weights}
  from hub_repro.naming import expand_layers  # noqa: PLC0415

  table = expand_layers(BERT_TO_KERAS_HUB, config.num_hidden_layers)
  _check_key_sets(params, table, "modeling.py names vs the keras-hub name map")
  _check_key_sets(variables, set(table.values()), "keras-hub BertBackbone weights vs the name map")
  for name, path in table.items():
    value, target = np.asarray(params[name], np.float32), tuple(variables[path].shape)
    if any(name.endswith(suffix) for suffix in KERAS_HUB_RESHAPED):
      if value.size != int(np.prod(target)):
        raise CrosscheckError(f"{name} has shape {value.shape}; cannot reshape it to keras-hub's "
                              f"{path} {target}")
      value = value.reshape(target)
    if value.shape != target:
      raise CrosscheckError(f"{name} has shape {value.shape}, keras-hub's {path} has {target}")
    variables[path].assign(value)
  if activation is not None:
    function = keras_activation(activation)
    for n in range(config.num_hidden_layers):
      backbone.get_layer(f"transformer_layer_{n}")._feedforward_intermediate_dense.activation = \
          function
  return backbone


def keras_hub_from_preset(folder: str):
  """keras-hub's own Hugging Face converter (keras_hub.src.utils.transformers.convert_bert) on a
  local BertModel folder; it reads config.json and model.safetensors, offline."""
  import keras_hub  # noqa: PLC0415

  return keras_hub.models.BertBackbone.from_preset(folder, dtype="float32")


def keras_runner(backbone):
  def run(input_ids, input_mask, segment_ids):
    import keras  # noqa: PLC0415

    outputs = backbone({"token_ids": np.asarray(input_ids), "segment_ids": np.asarray(segment_ids),
                        "padding_mask": np.asarray(input_mask)}, training=False)
    return (keras.ops.convert_to_numpy(outputs["pooled_output"]),
            keras.ops.convert_to_numpy(outputs["sequence_output"]))
  return run


# ----------------------------------------------------------------------------- Hugging Face


def hf_bert_model(params: dict, config: BertConfig):
  """transformers.BertModel (PyTorch) with the same weights; ImportError without torch."""
  import torch  # noqa: PLC0415
  import transformers  # noqa: PLC0415

  from hub_repro import modeling  # noqa: PLC0415
  from hub_repro.naming import expand_layers  # noqa: PLC0415
  from hub_repro.weights import HF_TO_BERT, HF_TRANSPOSED  # noqa: PLC0415

  if config.hidden_act not in TO_HF_ACTIVATION:
    raise CrosscheckError(f"hidden_act {config.hidden_act!r} has no Hugging Face name")
  _check_params(params, config, "transformers BertModel")
  hf_config = transformers.BertConfig(
      vocab_size=config.vocab_size, hidden_size=config.hidden_size,
      num_hidden_layers=config.num_hidden_layers, num_attention_heads=config.num_attention_heads,
      intermediate_size=config.intermediate_size, hidden_act=TO_HF_ACTIVATION[config.hidden_act],
      max_position_embeddings=config.max_position_embeddings,
      type_vocab_size=config.type_vocab_size, layer_norm_eps=modeling.LAYER_NORM_EPSILON)
  model = transformers.BertModel(hf_config, add_pooling_layer=True).eval()
  bert_to_hf = {bert: hf for hf, bert in expand_layers(HF_TO_BERT, config.num_hidden_layers).items()}
  state = {}
  for name, value in params.items():
    hf_name = bert_to_hf[name]
    value = np.asarray(value, np.float32)
    state[hf_name] = torch.from_numpy(np.ascontiguousarray(
        value.T if any(hf_name.endswith(t) for t in HF_TRANSPOSED) else value))
  result = model.load_state_dict(state, strict=False)
  missing = [k for k in result.missing_keys if not k.endswith("position_ids")]
  if missing or result.unexpected_keys:
    raise CrosscheckError(f"transformers BertModel: missing keys {sorted(missing)}, unexpected "
                          f"keys {sorted(result.unexpected_keys)}")
  return model


def torch_runner(model):
  def run(input_ids, input_mask, segment_ids):
    import torch  # noqa: PLC0415

    as_long = lambda t: torch.from_numpy(np.asarray(t, np.int64))  # noqa: E731
    with torch.no_grad():
      out = model(input_ids=as_long(input_ids), attention_mask=as_long(input_mask),
                  token_type_ids=as_long(segment_ids))
    return out.pooler_output.numpy(), out.last_hidden_state.numpy()
  return run


def why_no_torch() -> str | None:
  """None if torch and transformers import, else why not."""
  try:
    import torch  # noqa: F401, PLC0415
    import transformers  # noqa: F401, PLC0415
  except ImportError as e:
    return f"{e.name or e} is not installed"
  return None


# ----------------------------------------------------------------------------- the cross-check


def _max_diffs(reference: list, outputs: list) -> tuple[float, float]:
  """Max |diff| of pooled_output, and of sequence_output where input_mask == 1, in float64."""
  pooled, sequence = 0.0, 0.0
  for (ref_pooled, ref_sequence, mask), (pooled_out, sequence_out) in zip(reference, outputs):
    pooled = max(pooled, float(np.max(np.abs(
        ref_pooled.astype(np.float64) - pooled_out.astype(np.float64)))))
    real = np.asarray(mask) == 1
    sequence = max(sequence, float(np.max(np.abs(
        ref_sequence[real].astype(np.float64) - sequence_out[real].astype(np.float64)))))
  return pooled, sequence


def _row(implementation, gelu, tolerance=None, diffs=None, explanation="", status="ran"):
  pooled, sequence = diffs if diffs is not None else (None, None)
  agrees = None
  if diffs is not None and tolerance is not None:
    agrees = pooled <= tolerance and sequence <= tolerance
    if not agrees and not explanation:
      explanation = (f"differs beyond float32 rounding ({tolerance:g}): check "
                     "num_attention_heads and hidden_act")
  return {"implementation": implementation, "gelu": gelu, "status": status,
          "pooled_max_abs_diff": pooled, "sequence_max_abs_diff": sequence,
          "tolerance": tolerance, "agrees": agrees, "explanation": explanation}


def crosscheck(handle: str | None = None, examples: list | None = None, max_seq_length: int = 128,
               num_heads: int | None = None, hidden_act: str | None = None,
               config: BertConfig | None = None, batch_size: int = 32, log=print) -> list[dict]:
  """Runs the module and the independent implementations on the same packed inputs.

  Args:
    handle: as for hub_repro.module.load (None: the embedded all-MiniLM-L6-v2).
    examples: strings or (first, second) pairs (default: the CLI's built-in sentences).
    num_heads: attention heads, which weight shapes do not tell for a TF1 module (default: from
      `config`, the embedded model's config.json, or Model Garden's kernels; else a guess of
      hidden_size // 64, stated in the first row).
    hidden_act: the module's activation, "gelu" (tanh approximation) or "gelu_exact" (erf); a TF1
      module does not store it (default: from `config` or the embedded config.json, else "gelu",
      modeling.py's, stated as assumed).
    config: a BertConfig for the module, if known.

  Returns one dict per implementation, each with `implementation`, `gelu`, `status` ("ran" or
  "skipped"), `pooled_max_abs_diff`, `sequence_max_abs_diff` (real tokens only), `tolerance`,
  `agrees` and `explanation`. The first row is the module itself: its `gelu` says whether the
  activation was read or assumed, its `explanation` where the config came from.
  """
  from hub_repro import compare, embedded, module as module_lib  # noqa: PLC0415
  from hub_repro.tokenization import Tokenizer  # noqa: PLC0415

  if examples is None:
    from hub_repro.cli import DEFAULT_SENTENCES  # noqa: PLC0415
    examples = list(DEFAULT_SENTENCES)
  if not examples:
    raise ValueError("no examples to run")
  loaded = module_lib.load(handle, log=log)
  where = handle or loaded.handle
  params, naming, found_heads = module_params(loaded.variable_values(), where)
  overrides = {k: v for k, v in [("num_attention_heads", num_heads), ("hidden_act", hidden_act)]
               if v is not None}
  if config is None and handle is None:
    config = embedded.config()
    source = f"config.json of {embedded.PACKAGE}"
  elif config is not None:
    source = "the given config"
  if config is not None:
    config = BertConfig.from_dict({**config.to_dict(), **overrides})
    notes = [f"config from {source}"]
    act_source = "given" if hidden_act else f"from {source}"
  positions = params["bert/embeddings/position_embeddings"].shape[0]
  if max_seq_length > positions:
    raise ValueError(f"--max-seq-length {max_seq_length} is above the module's {positions} "
                     f"position embeddings; use at most {positions}")
  if config is None and (num_heads or found_heads) and hidden_act:
    config, notes = derive_config(params, num_heads or found_heads, hidden_act)
    notes.insert(0, "config derived from weight shapes")
    act_source = "given"
  elif config is None:
    # The module does not store its heads (TF1) or gelu variant: --full's search finds them.
    from hub_repro import full  # noqa: PLC0415
    detected = full.reproduce_full(loaded, examples, max_seq_length, batch_size,
                                   num_heads=num_heads or found_heads, hidden_act=hidden_act)
    config = detected.config
    heads_from = ("given" if num_heads else f"from the {naming} [H, N, H/N] kernels"
                  if found_heads else "found by the numbers")
    notes = [f"config derived from weight shapes; {config.num_attention_heads} heads "
             f"{heads_from}; --full's search: {detected.how_config}"]
    act_source = ("given" if hidden_act else "found by the numbers" if detected.gelu_determined
                  else "NOT DETERMINED: both forms fit this module; the closer was taken")
  _check_params(params, config, where)
  if loaded.vocab_file is None:
    raise ValueError(f"{where} has no vocab file among its assets; cannot tokenize text")

  tokenizer = Tokenizer(loaded.vocab_file, loaded.do_lower_case)
  inputs = []
  for batch in compare.make_batches(examples, batch_size):
    packed = tokenizer.encode(batch, max_seq_length)
    inputs.append((packed.input_ids.numpy(), packed.input_mask.numpy(),
                   packed.segment_ids.numpy()))
  reference = []
  for ids, mask, segments in inputs:
    out = loaded(ids, mask, segments)
    reference.append((out["pooled_output"].numpy(), out["sequence_output"].numpy(), mask))

  def measure(run):
    return _max_diffs(reference, [run(*x) for x in inputs])

  summary = (f"{config.num_hidden_layers} layers, hidden {config.hidden_size}, "
             f"{config.num_attention_heads} heads, intermediate {config.intermediate_size}")
  rows = [_row(f"hub module: {where} ({loaded.format}, {naming} names)",
               f"{describe_activation(config.hidden_act)} ({act_source})", diffs=(0.0, 0.0),
               explanation="; ".join(notes + [summary]))]
  gelu_matches = config.hidden_act == KERAS_HUB_GELU
  keras_tolerance = FLOAT32_TOLERANCE if gelu_matches else GELU_MISMATCH_TOLERANCE
  mismatch = "" if gelu_matches else (
      f"gelu differs: keras-hub hard-codes the tanh approximation, the module uses "
      f"{describe_activation(config.hidden_act)}")
  rows.append(_row("keras-hub BertBackbone", describe_activation(KERAS_HUB_GELU), keras_tolerance,
                   measure(keras_runner(keras_hub_backbone(params, config))),
                   mismatch and mismatch + "; the control row below removes it"))
  if not gelu_matches:
    rows.append(_row(
        f"keras-hub BertBackbone, activation {config.hidden_act}",
        describe_activation(config.hidden_act), FLOAT32_TOLERANCE,
        measure(keras_runner(keras_hub_backbone(params, config, activation=config.hidden_act))),
        "control: the same weights with the module's gelu; only float32 rounding is left"))
  if handle is None:
    rows.append(_row("keras-hub BertBackbone.from_preset(HF folder)",
                     describe_activation(KERAS_HUB_GELU), keras_tolerance,
                     measure(keras_runner(keras_hub_from_preset(embedded.model_dir()))),
                     "; ".join(filter(None, ["weights read by keras-hub's own Hugging Face "
                                             "converter", mismatch]))))
  hf_name = f"transformers BertModel, hidden_act={TO_HF_ACTIVATION.get(config.hidden_act)!r}"
  why_not = why_no_torch()
  if why_not is None:
    rows.append(_row(hf_name, describe_activation(config.hidden_act), FLOAT32_TOLERANCE,
                     measure(torch_runner(hf_bert_model(params, config)))))
  else:
    rows.append(_row(hf_name, describe_activation(config.hidden_act), status="skipped",
                     explanation=f"skipped: {why_not}; to enable: {TORCH_HINT}"))
  return rows


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
  parser.add_argument("--handle", help="a TF-Hub handle (default: the embedded all-MiniLM-L6-v2)")
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

  examples = cli.read_examples(args, default=None)
  if args.preprocessor:
    raise cli.UsageError(f"crosscheck does not take --preprocessor yet ({args.preprocessor}): it "
                         "tokenizes with the module's own vocab file; leave --preprocessor out")
  if args.num_heads is not None and args.num_heads < 1:
    raise cli.UsageError(f"--num-heads {args.num_heads} must be at least 1")
  config = BertConfig.from_json_file(args.config) if args.config else None
  log = lambda msg: print(msg, file=sys.stderr)  # noqa: E731
  rows = crosscheck(args.handle, examples=examples, max_seq_length=args.max_seq_length,
                    num_heads=args.num_heads, hidden_act=args.hidden_act, config=config,
                    batch_size=args.batch_size, log=log)
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
