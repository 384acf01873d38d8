"""What the transformers and keras-hub fixture generators share beyond fixture_tools: the weight
re-draw, running a model on the packed SENTENCES, the sensitivity to a wrong config value, and
golden.json.

These helpers use numpy and torch, so unlike fixture_tools they run only in the project's .venv,
the environment of make_roberta_fixture.py, make_xlm_roberta_fixture.py,
make_distilbert_fixture.py, make_deberta_v3_fixture.py and make_mobilebert_fixture.py. keras (and
TensorFlow) are imported inside the functions that need them: make_mobilebert_fixture.py has no
keras-hub model, and a keras-hub generator sets KERAS_BACKEND before anything imports keras. Like
fixture_tools, nothing here imports hub_repro.
"""

from __future__ import annotations

import os

import numpy as np
import torch
import transformers

import fixture_tools

# Shared golden.json schema texts.
SENSITIVITY_SCHEMA = "max |diff| of the outputs if the same weights ran with a wrong value"
HF_SEQUENCE_SCHEMA = "last_hidden_state, float [batch, max_seq_length, hidden]"


def quiet_single_thread(tensorflow: bool = True) -> None:
  """One thread for torch (and TensorFlow): small and deterministic; the machine is shared. Also
  silences transformers' warnings and progress bars."""
  torch.set_num_threads(1)
  if tensorflow:
    import tensorflow as tf  # the keras-hub generators only

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
  transformers.logging.set_verbosity_error()
  transformers.utils.logging.disable_progress_bar()


def max_diffs(out: dict, golden: dict, names=("pooled_output", "sequence_output")) -> dict:
  """{name: max |out[name] - golden[name]|} for each of names, rounded to 4 significant digits."""
  return {name: float("%.4g" % np.max(np.abs(out[name] - golden[name]))) for name in names}


def float_outputs(golden: dict) -> dict:
  """golden.json's outputs: each array of `golden` as fixture_tools.float32_list, in its order."""
  return {name: fixture_tools.float32_list(value) for name, value in golden.items()}


def golden_json(schema: dict, framework: str, config: dict, max_seq_length: int, inputs: dict,
                outputs: dict, sens: dict, vers: dict, /, model_args: dict | None = None,
                **more) -> dict:
  """A fixture's golden.json, its keys in the order every generator writes them.

  Args:
    schema: what each key means.
    framework: "transformers" or "keras-hub".
    config: the model's config (constructor arguments).
    max_seq_length: the padded length of inputs.
    inputs: the packed SENTENCES.
    outputs: the outputs as JSON (float_outputs, and any key that goes with them).
    sens: the sensitivity to wrong values.
    vers: the versions.
    model_args: more arguments the model was built with (add_pooling_layer), after "config".
    **more: more keys, after the outputs.
  """
  return {
      "schema": schema,
      "framework": framework,
      "config": config,
      **(model_args or {}),
      "sentences": fixture_tools.sentences_as_stored(),
      "max_seq_length": max_seq_length,
      "inputs": inputs,
      **outputs,
      **more,
      "sensitivity": sens,
      "versions": vers,
  }


# --- transformers ------------------------------------------------------------------------------


def redraw_torch_biases_and_norms(model: torch.nn.Module, seed: int,
                                  norm_types=(torch.nn.LayerNorm,)) -> torch.nn.Module:
  """Re-draws a transformers model's biases and norm weights after its own init; returns it in
  eval mode.

  Every bias (norm biases included) N(0, 0.1), every weight of a `norm_types` module
  1 + 0.1 N(0, 1), from torch.Generator().manual_seed(seed) in sorted parameter-name order:
  with the libraries' zero biases and unit norms a loader that dropped one would still pass.
  Norms are found by module type, not by name: DistilBERT names its `sa_layer_norm`, and
  MobileBERT's are NoNorm modules (norm_types=(NoNorm, torch.nn.LayerNorm)).
  """
  norms = {name for name, module in model.named_modules() if isinstance(module, norm_types)}
  generator = torch.Generator().manual_seed(seed)
  with torch.no_grad():
    for name, param in sorted(model.named_parameters()):
      module, _, kind = name.rpartition(".")
      if kind == "bias":
        param.copy_(0.1 * torch.randn(param.shape, generator=generator))
      elif module in norms and kind == "weight":
        param.copy_(1.0 + 0.1 * torch.randn(param.shape, generator=generator))
  return model.eval()


def with_weights(model: torch.nn.Module, weights: torch.nn.Module) -> torch.nn.Module:
  """`model` (another config) holding `weights`' tensors, strictly by name, in eval mode."""
  model.load_state_dict(weights.state_dict(), strict=True)
  return model.eval()


def hf_run(model: torch.nn.Module, inputs: dict, pooled: bool = True,
           **kwargs) -> dict[str, np.ndarray]:
  """A transformers model on packed inputs, with output_hidden_states.

  Args:
    model: in eval mode.
    inputs: {"input_ids", "input_mask"} and, if the model has segments, "segment_ids".
    pooled: whether the model has a pooler (else it must return no pooler_output).
    **kwargs: more inputs of the model's call (position_ids, token_type_ids).

  Returns:
    {"pooled_output" (with pooled), "sequence_output", "hidden_states"}: float32 arrays,
    hidden_states stacked [num_layers + 1, batch, seq_length, hidden].
  """
  feed = {"input_ids": torch.tensor(inputs["input_ids"]),
          "attention_mask": torch.tensor(inputs["input_mask"])}
  if "segment_ids" in inputs:
    feed["token_type_ids"] = torch.tensor(inputs["segment_ids"])
  with torch.no_grad():
    out = model(**feed, **kwargs, output_hidden_states=True)
  result = {}
  if pooled:
    result["pooled_output"] = out.pooler_output.numpy()
  elif getattr(out, "pooler_output", None) is not None:
    raise RuntimeError(f"{type(model).__name__} returned a pooler_output")
  result["sequence_output"] = out.last_hidden_state.numpy()
  result["hidden_states"] = np.stack([h.numpy() for h in out.hidden_states])
  return result


def hf_load(model_class, folder: str, missing=()) -> torch.nn.Module:
  """model_class.from_pretrained(folder) in eval mode; raises unless exactly `missing` (sorted
  names) is reported missing and nothing else is reported."""
  model, info = model_class.from_pretrained(folder, output_loading_info=True)
  problems = {k: sorted(v) for k, v in info.items() if v}
  if problems != ({"missing_keys": list(missing)} if missing else {}):
    raise RuntimeError(f"from_pretrained({os.path.basename(folder)}) reported {problems}")
  return model.eval()


def hf_outputs(saved, built, inputs: dict, name: str, pooled: bool = True) -> dict:
  """hf_run of the model loaded back from a folder just written, checked to equal the model that
  was saved bit for bit and to end its hidden_states with sequence_output.

  Args:
    saved: the model loaded back from the folder (the golden numbers come from the folder as a
      user would load it).
    built: the model that was saved.
    inputs: the packed inputs.
    name: the fixture, for the error messages.
    pooled: as hf_run.

  Returns:
    The saved model's outputs.
  """
  golden = hf_run(saved, inputs, pooled)
  for key, value in hf_run(built, inputs, pooled).items():
    if not np.array_equal(value, golden[key]):
      raise RuntimeError(f"{name}: the saved folder does not reproduce the model ({key})")
  if not np.array_equal(golden["hidden_states"][-1], golden["sequence_output"]):
    raise RuntimeError(f"{name}: the last hidden state is not sequence_output")
  return golden


def wrong_config_diffs(build, config: dict, wrongs: list[dict], run, golden: dict,
                       names=("pooled_output", "sequence_output")) -> dict:
  """max |diff| of the outputs when the same weights run with a wrong config value.

  Args:
    build: a config dict -> the model of that config holding the fixture's weights.
    config: the fixture's config.
    wrongs: dicts of wrong values, one run each.
    run: model -> {output name: array}.
    golden: the fixture's outputs.
    names: the outputs to compare.

  Returns:
    {"name=value": {output: max |diff|}}, golden.json's "sensitivity".
  """
  sens = {}
  for wrong in wrongs:
    key = ",".join("%s=%s" % kv for kv in wrong.items())
    sens[key] = max_diffs(run(build(dict(config, **wrong))), golden, names)
  return sens


def hf_sensitivity(model, model_class, config_class, config: dict, wrongs: list[dict],
                   inputs: dict, golden: dict, names=("pooled_output", "sequence_output"),
                   positions_from_zero: bool = False, **model_args) -> dict:
  """wrong_config_diffs of a transformers model: each wrong config built as
  model_class(config_class(**config), **model_args) and given `model`'s weights.

  Args:
    positions_from_zero: also run with position ids counted from 0 instead of from
      padding_idx + 1 (RoBERTa's offset of 2), as "position_ids=arange(seq_length)".
    (the others as wrong_config_diffs; model_args such as add_pooling_layer=True.)
  """
  pooled = "pooled_output" in golden
  sens = wrong_config_diffs(
      lambda values: with_weights(model_class(config_class(**values), **model_args), model),
      config, wrongs, lambda other: hf_run(other, inputs, pooled), golden, names)
  if positions_from_zero:
    batch, seq_length = len(inputs["input_ids"]), len(inputs["input_ids"][0])
    positions = torch.arange(seq_length).expand(batch, -1)
    sens["position_ids=arange(seq_length)"] = max_diffs(
        hf_run(model, inputs, pooled, position_ids=positions), golden, names)
  return sens


def hf_schema(model_name: str, tokenizer_name: str, inputs: str, pooled: str,
              embedding_note: str = "", framework_note: str = "", **more: str) -> dict:
  """golden.json's "schema" for a transformers folder.

  Args:
    model_name: the model class (RobertaModel).
    tokenizer_name: the class AutoTokenizer loads, with any note on it.
    inputs: how the inputs are packed.
    pooled: what pooled_output is ("absent: ..." if there is none).
    embedding_note: what hidden_states[0] is beyond "the embedding output".
    framework_note: appended to "framework".
    **more: more keys, after "floats".
  """
  return {
      "framework": f"transformers {model_name}.from_pretrained(folder), eval mode, PyTorch CPU, "
                   f"float32; tokenized by AutoTokenizer.from_pretrained(folder) ({tokenizer_name})"
                   + framework_note,
      "sentences": fixture_tools.SENTENCES_SCHEMA,
      "inputs": inputs,
      "pooled_output": pooled,
      "sequence_output": HF_SEQUENCE_SCHEMA,
      "hidden_states": f"output_hidden_states: the embedding output{embedding_note}, then each "
                       "layer's output, float [num_layers + 1, batch, max_seq_length, hidden]; "
                       "hidden_states[-1] == sequence_output",
      "floats": fixture_tools.FLOATS_SCHEMA,
      **more,
      "sensitivity": SENSITIVITY_SCHEMA,
  }


# --- keras-hub ---------------------------------------------------------------------------------


def keras_versions(packages: list[str]) -> dict[str, str]:
  """fixture_tools.versions(packages) plus "keras_backend", which must be tensorflow."""
  import keras  # see the module docstring

  vers = dict(fixture_tools.versions(packages), keras_backend=keras.backend.backend())
  if vers["keras_backend"] != "tensorflow":
    raise RuntimeError(f"Keras backend is {vers['keras_backend']}, expected tensorflow")
  return vers


def keras_encode(preprocessor) -> dict[str, list[list[int]]]:
  """SENTENCES through a keras-hub TextClassifierPreprocessor (the preset's tokenizer and its
  packer), one call per example. x= because a positional 2-tuple would be unpacked as (x, y).

  Returns:
    {"input_ids", "input_mask"}: int [batch, sequence_length] as nested lists.
  """
  rows = {"input_ids": [], "input_mask": []}
  for sentence in fixture_tools.SENTENCES:
    out = preprocessor(x=sentence if isinstance(sentence, str) else tuple(sentence))
    if set(out) != {"token_ids", "padding_mask"}:
      raise RuntimeError(f"the preprocessor returned {sorted(out)}")
    rows["input_ids"].append([int(v) for v in np.asarray(out["token_ids"])])
    rows["input_mask"].append([int(v) for v in np.asarray(out["padding_mask"])])
  return rows


def keras_run(backbone, inputs: dict, block: str = "transformer_layer") -> dict[str, np.ndarray]:
  """sequence_output as a keras-hub backbone returns it, and the hidden states read from the
  backbone's own functional graph: the output of embeddings_dropout (the embeddings after
  embeddings_layer_norm) and of each `{block}_{i}`."""
  import keras  # see the module docstring

  feed = {"token_ids": np.array(inputs["input_ids"], np.int32),
          "padding_mask": np.array(inputs["input_mask"], np.int32)}
  layers = ["embeddings_dropout"] + [f"{block}_{i}" for i in range(backbone.num_layers)]
  probe = keras.Model(backbone.inputs, {
      "sequence_output": backbone.output,
      "hidden_states": [backbone.get_layer(name).output for name in layers]})
  out = probe(feed, training=False)
  return {"sequence_output": np.asarray(out["sequence_output"]),
          "hidden_states": np.stack([np.asarray(h) for h in out["hidden_states"]])}


def keras_wrong_heads(backbone_class, args: dict, heads: int, backbone, inputs: dict,
                      golden: dict, block: str = "transformer_layer") -> dict:
  """max |diff| when the same weights run with num_heads=heads (the attention kernels keep the
  heads as an axis; reshaping them keeps every number in place).

  Args:
    backbone_class: the backbone's keras-hub class.
    args: the backbone's constructor arguments.
    heads: the wrong head count.
    backbone: the fixture's backbone.
    inputs: its packed inputs.
    golden: its outputs.
    block: the name of its layers, for keras_run.

  Returns:
    {"num_heads=<heads>": {"sequence_output", "hidden_states": max |diff|}}.
  """
  other = backbone_class(**dict(args, num_heads=heads))
  by_path = {v.path: v for v in backbone.weights}
  for variable in other.weights:
    variable.assign(np.reshape(np.asarray(by_path[variable.path]), tuple(variable.shape)))
  return {f"num_heads={heads}": max_diffs(keras_run(other, inputs, block), golden,
                                          ("sequence_output", "hidden_states"))}


def keras_golden(work: str, backbone, loaded, preprocessor, check_ids=None,
                 block: str = "transformer_layer") -> tuple[dict, dict]:
  """The inputs and outputs of a keras-hub preset just saved into work, checked.

  Args:
    work: the preset's folder, for the error messages.
    backbone: the backbone that was saved.
    loaded: the backbone loaded back from the preset (the golden numbers come from the preset as
      a user would load it).
    preprocessor: the preset's TextClassifierPreprocessor.
    check_ids: input_ids -> None, raising if the ids are not the reference tokenizer's.
    block: the name of the backbone's layers, for keras_run.

  Returns:
    (inputs, outputs): keras_encode's rows, keras_run's arrays of the loaded backbone.
  """
  inputs = keras_encode(preprocessor)
  if check_ids is not None:
    check_ids(inputs["input_ids"])
  golden = keras_run(loaded, inputs, block)
  for key, value in keras_run(backbone, inputs, block).items():
    if not np.array_equal(value, golden[key]):
      raise RuntimeError(f"{os.path.basename(work)}: the saved preset does not reproduce the "
                         f"backbone ({key})")
  if not np.array_equal(golden["hidden_states"][-1], golden["sequence_output"]):
    raise RuntimeError("the last layer's output is not sequence_output")
  return inputs, golden


def keras_golden_json(family: str, config: dict, max_seq_length: int, inputs: dict, golden: dict,
                      sens: dict, vers: dict, /, **schema: str) -> dict:
  """golden.json of a keras-hub preset.

  Args:
    family: the keras-hub class prefix (Roberta: RobertaBackbone, RobertaTokenizer,
      RobertaTextClassifierPreprocessor).
    config: the backbone's constructor arguments.
    max_seq_length: the preprocessor's sequence_length.
    inputs: keras_encode's rows.
    golden: keras_run's arrays.
    sens: keras_wrong_heads'.
    vers: keras_versions'.
    **schema: schema texts that replace the defaults, in place (the arguments before are
      positional-only, so "inputs" can be one of them).
  """
  return golden_json({
      "framework": f"keras-hub {family}Backbone.from_preset(folder), Keras backend tensorflow, "
                   f"CPU, float32; tokenized by {family}Tokenizer.from_preset(folder) inside "
                   f"{family}TextClassifierPreprocessor(sequence_length=max_seq_length)",
      "sentences": fixture_tools.SENTENCES_SCHEMA,
      "inputs": "input_ids (token_ids), input_mask (padding_mask as 0/1): "
                "int [batch, max_seq_length]; no segment_ids (no segment input)",
      "pooled_output": f"absent: {family}Backbone returns sequence_output only",
      "sequence_output": "the backbone's output, float [batch, max_seq_length, hidden]",
      "hidden_states": "outputs of the backbone's layers embeddings_dropout (after "
                       "embeddings_layer_norm), transformer_layer_0..: float "
                       "[num_layers + 1, batch, max_seq_length, hidden]; "
                       "hidden_states[-1] == sequence_output",
      "floats": fixture_tools.FLOATS_SCHEMA,
      "sensitivity": SENSITIVITY_SCHEMA,
      **schema,
  }, "keras-hub", config, max_seq_length, inputs, float_outputs(golden), sens, vers)
