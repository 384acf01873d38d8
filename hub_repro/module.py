"""Resolve a handle with tensorflow_hub and load the module it names, in either TF-Hub format.

A handle is what `hub.load` takes: a tfhub.dev URL, any http(s) URL that serves
`?tf-hub-format=compressed`, or a local folder. Resolution goes through tensorflow_hub, so
`TFHUB_CACHE_DIR` and the hub cache behave as users expect. No handle means the embedded model.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import socket
import urllib.error

import numpy as np
import tensorflow as tf
import tensorflow_hub as hub
import tensorflow_text  # noqa: F401 (registers the ops that preprocessing models use)

from hub_repro import embedded

TF1_HUB = "tf1-hub"
TF2_SAVEDMODEL = "tf2-savedmodel"
# Seconds a URL may stay silent before we give up (urllib's default is to wait forever).
URL_TIMEOUT_S = 30.0
# Input names of the two formats' signatures, in the order input_ids, input_mask, segment_ids.
TF1_INPUTS = ("input_ids", "input_mask", "segment_ids")
TF2_INPUTS = ("input_word_ids", "input_mask", "input_type_ids")


class HandleError(ValueError):
  """The handle does not name a loadable module (bad path, URL or archive)."""


def _is_url(handle: str) -> bool:
  return handle.startswith(("http://", "https://", "gs://"))


def _resolve_url(handle: str) -> str:
  old_timeout = socket.getdefaulttimeout()
  socket.setdefaulttimeout(URL_TIMEOUT_S)
  try:
    return hub.resolve(handle)
  except urllib.error.HTTPError as e:
    raise HandleError(f"{handle}: the server answered HTTP {e.code} ({e.reason}); expected a "
                      "module archive at ?tf-hub-format=compressed") from None
  except urllib.error.URLError as e:
    raise HandleError(f"{handle} did not answer ({e.reason}); check the URL and your connection, "
                      "or omit --handle to use the embedded model offline") from None
  except (TimeoutError, ConnectionError) as e:
    raise HandleError(f"{handle} did not answer ({e}); check the URL and your connection") from None
  except (OSError, ValueError) as e:
    # tensorflow_hub: "... does not appear to be a valid module." for a non-archive, and
    # "Relative path '../x' is invalid." for a member that would land outside the folder.
    raise HandleError(f"{handle} did not serve a valid module archive: {e}") from None
  finally:
    socket.setdefaulttimeout(old_timeout)


def resolve(handle: str | None, log=print) -> str:
  """The local folder of `handle`, downloading it into the hub cache if it is a URL."""
  if handle is None:
    return embedded.embedded_module(log=log)
  if _is_url(handle):
    path = _resolve_url(handle)
  else:
    path = os.path.abspath(os.path.expanduser(handle))
    if not os.path.exists(path):
      raise HandleError(f"{handle} does not exist; expected a module folder, a URL, or no "
                        "--handle for the embedded model")
    if not os.path.isdir(path):
      raise HandleError(f"{handle} is a file; expected a module folder (unpack archives first)")
  if not any(os.path.exists(os.path.join(path, f)) for f in ("saved_model.pb",
                                                             "saved_model.pbtxt")):
    if _is_url(handle):  # do not keep a bogus download in the hub cache
      shutil.rmtree(path, ignore_errors=True)
      with contextlib.suppress(FileNotFoundError):
        os.remove(f"{path}.descriptor.txt")
    raise HandleError(f"{handle} is not a TF-Hub module: {path} contains neither saved_model.pb "
                      "nor saved_model.pbtxt")
  return path


def detect_format(path: str) -> str:
  """TF1 Hub modules carry tfhub_module.pb beside the SavedModel; TF2 SavedModels do not."""
  return TF1_HUB if os.path.exists(os.path.join(path, "tfhub_module.pb")) else TF2_SAVEDMODEL


def _find_asset(path: str, reported: str, default: str = "vocab.txt") -> str | None:
  """The asset file in path/assets named like `reported` (TF1 modules loaded by TF2 report
  b'SAVEDMODEL-ASSET' or a stale build path for their vocab), else `default`."""
  assets = os.path.join(path, "assets")
  for name in (os.path.basename(reported), default):
    if name and os.path.isfile(os.path.join(assets, name)):
      return os.path.join(assets, name)
  return reported if os.path.isfile(reported) else None


@dataclasses.dataclass
class Module:
  """A loaded BERT module, seen through one interface whatever its format."""
  handle: str
  path: str
  format: str
  obj: object
  vocab_file: str | None
  do_lower_case: bool
  _values: dict | None = dataclasses.field(default=None, repr=False)

  def __call__(self, input_ids, input_mask, segment_ids) -> dict:
    """Runs the encoder; returns float32 `pooled_output` [B, H] and `sequence_output` [B, S, H]
    (and `encoder_outputs` for TF2 SavedModels)."""
    ids = [tf.convert_to_tensor(t, tf.int32) for t in (input_ids, input_mask, segment_ids)]
    if self.format == TF1_HUB:
      return dict(self.obj.signatures["tokens"](**dict(zip(TF1_INPUTS, ids))))
    outputs = self.obj(dict(zip(TF2_INPUTS, ids)), training=False)
    return dict(outputs)

  def variables(self) -> dict[str, tf.Variable]:
    """The module's variables by name, without the ':0' suffix."""
    if self.format == TF1_HUB:
      variables = self.obj.signatures["tokens"].variables
    else:
      variables = self.obj.variables
    return {v.name.split(":")[0]: v for v in variables}

  def variable_values(self) -> dict[str, np.ndarray]:
    """The variables' values by name, read once (the harness, --full and the CLI share them)."""
    if self._values is None:
      self._values = {name: v.numpy() for name, v in self.variables().items()}
    return self._values


def load(handle: str | None = None, log=print) -> Module:
  """Resolves and loads `handle` (None: the embedded model) with tensorflow_hub."""
  path = resolve(handle, log=log)
  fmt = detect_format(path)
  try:
    obj = hub.load(path)
  except Exception as e:  # noqa: BLE001 (TensorFlow raises many kinds for a broken SavedModel)
    raise HandleError(f"{handle or path}: tensorflow_hub could not load the module: "
                      f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}") from None
  handle = handle or embedded.HANDLE
  if fmt == TF1_HUB:
    if "tokens" not in obj.signatures:
      raise HandleError(f"{handle} is a TF1 Hub module without a 'tokens' signature (it has "
                        f"{sorted(obj.signatures)}); expected a BERT module like "
                        "google/bert_uncased_L-12_H-768_A-12/1")
    vocab_reported, do_lower_case = "", True
    if "tokenization_info" in obj.signatures:
      info = obj.signatures["tokenization_info"]()
      vocab_reported = info["vocab_file"].numpy().decode()
      do_lower_case = bool(info["do_lower_case"].numpy())
    vocab_file = _find_asset(path, vocab_reported)
  else:
    if not callable(obj):
      raise HandleError(f"{handle} is a TF2 SavedModel that cannot be called; expected a BERT "
                        "encoder like tensorflow/bert_en_uncased_L-12_H-768_A-12/4")
    vocab_attr = getattr(obj, "vocab_file", None)
    vocab_reported = vocab_attr.asset_path.numpy().decode() if vocab_attr is not None else ""
    vocab_file = _find_asset(path, vocab_reported)
    lower_attr = getattr(obj, "do_lower_case", None)
    do_lower_case = bool(lower_attr.numpy()) if lower_attr is not None else True
  return Module(handle, path, fmt, obj, vocab_file, do_lower_case)


def load_preprocessor(handle: str, log=print):
  """Resolves and loads a TF-Hub preprocessing model (e.g. bert_en_uncased_preprocess/3)."""
  path = resolve(handle, log=log)
  try:
    return hub.load(path)
  except Exception as e:  # noqa: BLE001
    raise HandleError(f"{handle}: tensorflow_hub could not load the preprocessor: "
                      f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}") from None
