"""The Python API: what the command line does, as functions that return the result objects it renders.

    import hub_repro

    result = hub_repro.check("https://tfhub.dev/google/bert_uncased_L-12_H-768_A-12/1",
                             ["The cat sat on the mat."])
    result.reproduced, result.pooled_vs_cls.max_abs_diff, result.to_json()
    print(hub_repro.render(result))            # the report `hub_repro check` prints

    record = hub_repro.diff("bert_v1", "bert_v4/encoder")
    record["same"], record["explanation"]      # the JSON and the one line `hub_repro diff` prints

and `hub_repro.testing` for a test suite (assert_pooler_reproduced, assert_same_function).
Nothing here prints unless given `log`; bad input raises ValueError (the CLI's exit 2). What
pooled_output is comes back in the result (`result.pooled_is`, `result.verdict`), whatever it is.
"""

from __future__ import annotations

from hub_repro import cli

cli.quiet_tensorflow()  # before TensorFlow's first import: its start-up lines would bury the output

# pylint: disable=wrong-import-position
from hub_repro import (compare, embedded, full as full_lib, gcfreeze, model_diff,  # noqa: E402
                       module, report)
from hub_repro.sources import Source, detect  # noqa: E402, F401 (the API's names)

DEFAULT_SENTENCES = cli.DEFAULT_SENTENCES


def _quiet(_message: str) -> None:
  pass


def _examples(sentences) -> list:
  """`sentences` as examples: a string is one sentence, a (first, second) tuple or "a|||b" a pair;
  None: the CLI's built-in sentences."""
  if sentences is None:
    return list(DEFAULT_SENTENCES)
  if isinstance(sentences, (str, tuple)):
    sentences = [sentences]
  return cli.parse_sentences(sentences)


def load(handle: str | None = None, log=_quiet) -> Source:
  """The model `handle` names, in whichever format its folder holds (None: the embedded
  all-MiniLM-L6-v2). Call it with (input_ids, input_mask, segment_ids) for its outputs; see
  hub_repro.sources.Source."""
  return module.load(handle, log=log)


@gcfreeze.frozen()
def check(model: str | Source | None = None, sentences=None, *, max_seq_length: int | None = None,
          batch_size: int = 32, preprocessor: str | None = None, full: bool = False,
          num_heads: int | None = None, bucket: bool = True, progress: bool = False,
          xla: bool | str | None = None, log=_quiet) -> compare.Result:
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
    xla: a TensorFlow module's graph under XLA (True), with XLA between its matmuls only
      ("between_matmuls", autotune.BETWEEN_MATMULS), as loaded (False), or whichever measures
      fastest on the first batches of a long run (None; hub_repro.autotune). `result.execution`
      says which ran and why.

  Returns the compare.Result the CLI renders (`render(result)`): `.pooled_is` ("pooler",
  "identity_pooler", "cls", "none", "unexplained"), `.verdict`, `.reproduced`, `.to_json()`.
  """
  source = model if isinstance(model, Source) else load(model, log=log)
  if xla is not None:  # None: the source's own choice (measured, for a freshly loaded one)
    source.use_xla(xla)
  tokenizer = None
  if preprocessor is not None:
    from hub_repro import tokenization  # noqa: PLC0415
    tokenizer = tokenization.HubPreprocessor(module.load_preprocessor(preprocessor, log=log),
                                             preprocessor)
  also = []
  if full:  # the embedded model's config.json is known: heads and gelu need no search
    known = embedded.config() if source.handle == embedded.HANDLE else None
    also.append(full_lib.FullCheck(source, num_heads=num_heads, known_config=known))
  result = compare.check(source, _examples(sentences), max_seq_length, batch_size,
                         tokenizer=tokenizer, bucket=bucket, progress=progress, also=also)
  if full:
    result.full = also[0].result()
  return result


def diff(a: str, b: str, sentences=None, *, max_seq_length: int | None = None,
         batch_size: int = 32, layers: bool = False, xla: bool | str | None = None,
         log=_quiet) -> dict:
  """`hub_repro diff A B`: are two models (any formats) the same function? Returns the JSON record
  the CLI renders (`render(record)`): `same`, `explanation` (the one line diff prints: the first
  divergence and its reason) and each stage (tokenization, config, weights, outputs). Layers are
  compared only where the outputs differ, unless `layers`."""
  return model_diff.diff(a, b, _examples(sentences), max_seq_length, batch_size, log=log,
                         layers=layers, xla=xla)


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
                 log=_quiet):
  """A model's weights and config (a weights.BertWeights): `kind` is "google-checkpoint" (a
  google-research/bert release folder), "huggingface" (a BertModel folder) or "hub" (a TF-Hub
  module; heads are not in a TF1 module's shapes: pass `num_heads`, else hidden_size // 64)."""
  from hub_repro import export as export_lib  # noqa: PLC0415
  return export_lib.read_weights(kind, path, num_heads, log=log)


def export_model(weights, fmt: str, out_dir: str, overwrite: bool = False) -> list[str]:
  """`hub_repro export`: writes `weights` (read_weights) as a TF1 Hub module (fmt "tf1-hub") or a
  TF2 encoder + its preprocessing model (fmt "tf2", out_dir/encoder and out_dir/preprocess),
  atomically; returns the paths written."""
  from hub_repro import export as export_lib  # noqa: PLC0415
  return export_lib.export(weights, fmt, out_dir, overwrite)


def embedded_model_dir() -> str:
  """The embedded all-MiniLM-L6-v2's Hugging Face folder (in site-packages; sha256 checked)."""
  return embedded.model_dir()


def why_no_torch() -> str | None:
  """Why a Hugging Face folder cannot run here (PyTorch or transformers missing), None if it can."""
  from hub_repro.sources import huggingface  # noqa: PLC0415
  return huggingface.why_no_torch()
