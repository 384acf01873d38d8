"""Resolve a handle with tensorflow_hub and open the model it names, in whichever format.

A handle is what `hub.load` takes: a tfhub.dev URL, any http(s) URL that serves
`?tf-hub-format=compressed`, or a local folder of any format `hub_repro.sources` knows (TF-Hub
modules, keras-hub presets, Hugging Face folders, google-research checkpoints). Resolution goes
through tensorflow_hub, so `TFHUB_CACHE_DIR` and the hub cache behave as users expect. No handle
means the embedded model.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import urllib.error

import tensorflow_hub as hub

from hub_repro import embedded, sources
from hub_repro.sources import HandleError, Source, saved_model

# Seconds a URL may stay silent before we give up (urllib's default is to wait forever).
URL_TIMEOUT_S = 30.0


def _is_url(handle: str) -> bool:
  return handle.startswith(("http://", "https://", "gs://"))


def _resolve_url(handle: str) -> str:
  import absl.logging

  old_timeout = socket.getdefaulttimeout()
  socket.setdefaulttimeout(URL_TIMEOUT_S)
  # tensorflow_hub reports a download ("Downloading TF-Hub Module ...", then the bytes so far
  # every 15 s) through absl logging at INFO, which the CLI mutes: let it through meanwhile.
  old_verbosity = absl.logging.get_verbosity()
  absl.logging.set_verbosity(absl.logging.INFO)
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
    absl.logging.set_verbosity(old_verbosity)


# Handles of other hubs' own clients (keras-hub's presets through kagglehub, Hugging Face's hub):
# hub_repro reads the folder they download, and says so.
OTHER_CLIENTS = {
    "kaggle://": "a keras-hub preset handle: download it with keras_hub (or kagglehub) and pass "
                 "the preset folder, or give the model's https://www.kaggle.com/models/... URL",
    "hf://": "a Hugging Face Hub handle: download it (huggingface_hub's snapshot_download, or "
             "save_pretrained) and pass the folder",
}


def resolve(handle: str | None, log=print) -> str:
  """The local folder of `handle`, downloading it into the hub cache if it is a URL (tfhub.dev,
  https://www.kaggle.com/models/OWNER/MODEL/FRAMEWORK/VARIATION/VERSION, any server of
  ?tf-hub-format=compressed archives)."""
  if handle is None:
    return embedded.embedded_module(log=log)
  for prefix, advice in OTHER_CLIENTS.items():
    if handle.startswith(prefix):
      raise HandleError(f"{handle} is {advice}")
  if _is_url(handle):
    path = _resolve_url(handle)
  else:
    path = os.path.abspath(os.path.expanduser(handle))
    if not os.path.exists(path):
      raise HandleError(f"{handle} does not exist; expected a module folder, a URL, or no "
                        "--handle for the embedded model")
    if not os.path.isdir(path):
      raise HandleError(f"{handle} is a file; expected a model folder (unpack archives first)")
  if _is_url(handle) and not saved_model.is_saved_model(path):
    shutil.rmtree(path, ignore_errors=True)  # do not keep a bogus download in the hub cache
    with contextlib.suppress(FileNotFoundError):
      os.remove(f"{path}.descriptor.txt")
    raise HandleError(f"{handle} is not a TF-Hub module: {path} contains neither saved_model.pb "
                      "nor saved_model.pbtxt")
  return path


def load(handle: str | None = None, log=print, trust_model_code: bool = False) -> Source:
  """The model `handle` names (None: the embedded model), in whichever format its folder holds.
  A SavedModel's graph is read first and refused if it reaches outside the model
  (sources.graph_ops), unless `trust_model_code`."""
  path = resolve(handle, log=log)
  return sources.open_folder(handle or embedded.HANDLE, path, trust_model_code=trust_model_code)


def load_preprocessor(handle: str, log=print, trust_model_code: bool = False):
  """Resolves and loads a TF-Hub preprocessing model (e.g. bert_en_uncased_preprocess/3), its
  graph read first as a model's is."""
  return saved_model.hub_load(handle, resolve(handle, log=log), trust_model_code=trust_model_code)
