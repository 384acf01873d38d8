"""The Python API: what the command line does, as functions that return the result objects it renders.

    import hub_repro

    result = hub_repro.check("https://tfhub.dev/google/bert_uncased_L-12_H-768_A-12/1",
                             ["The cat sat on the mat."])
    result.reproduced, result.pooled_vs_cls.max_abs_diff, result.to_json()
    print(hub_repro.render(result))            # the report `hub_repro check` prints

    record = hub_repro.diff("bert_v1", "bert_v4/encoder")
    record["same"], record["explanation"]      # the JSON and the one line `hub_repro diff` prints

and `hub_repro.testing` for a test suite (assert_pooler_reproduced, assert_same_function).
Nothing here prints unless given `log`, and nothing changes the caller's process (TensorFlow's
logging stays as it was: `hub_repro.quiet_tensorflow()` mutes it on request). Bad input raises
hub_repro.errors.InputError (a ValueError; the CLI's exit 2). What pooled_output is comes back in
the result (`result.pooled_is`, `result.verdict`), whatever it is.
"""

from __future__ import annotations

from hub_repro import compare, crosscheck as crosscheck_lib, embedded, export as export_lib
from hub_repro import full as full_lib, inputs, model_diff, module, report, tokenization
from hub_repro.sources import Source, detect, huggingface  # noqa: F401 (detect: an API name)

DEFAULT_SENTENCES = inputs.DEFAULT_SENTENCES


def _quiet(_message: str) -> None:
  pass


def _preprocessor(handle: str | None, log, trust_model_code: bool = False):
  """The tokenizer of a TF-Hub preprocessing model (tokenization.HubPreprocessor), or None: the
  model's own."""
  if handle is None:
    return None
  return tokenization.HubPreprocessor(
      module.load_preprocessor(handle, log=log, trust_model_code=trust_model_code), handle)


def load(handle: str | None = None, log=_quiet, trust_model_code: bool = False) -> Source:
  """The model `handle` names, in whichever format its folder holds (None: the embedded
  all-MiniLM-L6-v2). Call it with (input_ids, input_mask, segment_ids) for its outputs; see
  hub_repro.sources.Source."""
  return module.load(handle, log=log, trust_model_code=trust_model_code)


def check(model: str | Source | None = None, sentences=None, *, max_seq_length: int | None = None,
          batch_size: int = 32, preprocessor: str | None = None, full: bool = False,
          num_heads: int | None = None, bucket: bool = True, progress: bool = False,
          xla: bool = False, trust_model_code: bool = False, log=_quiet) -> compare.Result:
  """`hub_repro check`: runs the model on `sentences`, rebuilds its pooler from its own weights and
  compares both with pooled_output.

  Args:
    model: a handle (a tfhub.dev or Kaggle Models URL, a local folder of any format), a Source
      from `load`, or None for the embedded model.
    sentences: a string, a list of strings and (first, second) pairs; None: built-in sentences.
    max_seq_length: None: 128, or the model's position count if smaller (`result.max_seq_length`
      and `result.max_seq_length_from` say which).
    preprocessor: a TF-Hub preprocessing model for a TF2 encoder (default: the model's own vocab).
    full: also rebuild the whole encoder (`--full`); its FullResult is `result.full`.
    num_heads: with `full`, the attention heads if known (else found by the numbers).
    xla: run a TensorFlow module's whole graph under XLA (`jit_compile`); default: as loaded.
      `result.execution` says which ran.
    trust_model_code: run a SavedModel even if its graph reaches outside the model (files,
      network, Python code); by default it is refused before it runs (errors.UnsafeModelError).

  Returns the compare.Result the CLI renders (`render(result)`): `.pooled_is` ("pooler",
  "identity_pooler", "cls", "none", "unexplained"), `.verdict`, `.reproduced`, `.to_json()`.
  """
  source = model if isinstance(model, Source) else load(model, log, trust_model_code)
  source.use_xla(xla)
  tokenizer = _preprocessor(preprocessor, log, trust_model_code)
  also = []
  if full:  # the embedded model's config.json is known: heads and gelu need no search
    known = embedded.config() if source.handle == embedded.HANDLE else None
    also.append(full_lib.FullCheck(source, num_heads=num_heads, known_config=known))
  result = compare.check(source, inputs.examples(sentences), max_seq_length, batch_size,
                         tokenizer=tokenizer, bucket=bucket, progress=progress, also=also)
  if full:
    result.full = also[0].result()
  return result


def diff(a: str, b: str, sentences=None, *, max_seq_length: int | None = None,
         batch_size: int = 32, layers: bool = False, xla: bool = False,
         trust_model_code: bool = False, log=_quiet) -> dict:
  """`hub_repro diff A B`: are two models (any formats) the same function? Returns the JSON record
  the CLI renders (`render(record)`): `same`, `explanation` (the one line diff prints: the first
  divergence and its reason) and each stage (tokenization, config, weights, outputs). Layers are
  compared only where the outputs differ, unless `layers`."""
  return model_diff.diff(a, b, inputs.examples(sentences), max_seq_length, batch_size, log=log,
                         layers=layers, xla=xla, trust_model_code=trust_model_code)


def crosscheck(model: str | Source | None = None, sentences=None, *,
               max_seq_length: int | None = None, batch_size: int = 32,
               num_heads: int | None = None, hidden_act: str | None = None, config=None,
               preprocessor: str | None = None, xla: bool = False, trust_model_code: bool = False,
               log=_quiet) -> list[dict]:
  """`hub_repro crosscheck`: runs the model and independent implementations (keras-hub,
  transformers, the modeling.py rebuild) on its weights and the same inputs. Returns one row per
  implementation (crosscheck.crosscheck); `crosscheck.agrees(rows)` is the verdict."""
  tokenizer = _preprocessor(preprocessor, log, trust_model_code)
  source = model if isinstance(model, Source) else load(model, log, trust_model_code)
  source.use_xla(xla)
  return crosscheck_lib.crosscheck(
      source, examples=inputs.examples(sentences), max_seq_length=max_seq_length,
      num_heads=num_heads, hidden_act=hidden_act, config=config, batch_size=batch_size,
      tokenizer=tokenizer)


def render(result) -> str:
  """The report the CLI prints for a check's Result (with its --full section, if run), a diff
  record, or a whole-encoder FullResult (`result.full`) alone."""
  if isinstance(result, dict):
    return model_diff.render(result)
  if isinstance(result, full_lib.FullResult):
    return report.render_full(result)
  text = report.render(result)
  if result.full is not None:
    text += "\n\n" + report.render_full(result.full)
  return text


def answer(result: compare.Result) -> str:
  """The report's paragraph for a check's Result: what pooled_output is, measured, and what that
  means ("Yes: this model's pooled_output is the [CLS] state ...", "pooled_output is not ...")."""
  return report.answer(result)


def read_weights(path: str, kind: str = "google-checkpoint", num_heads: int | None = None,
                 hidden_act: str = "gelu", trust_model_code: bool = False, log=_quiet):
  """A model's weights and config (a weights.BertWeights): `kind` is "google-checkpoint" (a
  google-research/bert release folder), "huggingface" (a BertModel folder) or "hub" (a TF-Hub
  module; heads are not in a TF1 module's shapes: pass `num_heads`, else hidden_size // 64)."""
  return export_lib.read_weights(kind, path, num_heads, hidden_act, log, trust_model_code)


def export_model(weights, fmt: str, out_dir: str, overwrite: bool = False) -> list[str]:
  """`hub_repro export`: writes `weights` (read_weights) as a TF1 Hub module (fmt "tf1-hub") or a
  TF2 encoder + its preprocessing model (fmt "tf2", out_dir/encoder and out_dir/preprocess),
  atomically; returns the paths written."""
  return export_lib.export(weights, fmt, out_dir, overwrite)


def embedded_model_dir() -> str:
  """The embedded all-MiniLM-L6-v2's Hugging Face folder (in site-packages; sha256 checked)."""
  return embedded.model_dir()


def why_no_torch() -> str | None:
  """Why a Hugging Face folder cannot run here (PyTorch or transformers missing), None if it can."""
  return huggingface.why_no_torch()
