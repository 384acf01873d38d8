"""Atomic writes: a folder or file appears whole under its name, or not at all."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile

from hub_repro.errors import UsageError

def staging_prefix(out_dir: str) -> str:
  """What the names of atomic_folder(out_dir)'s staging folders, beside out_dir, start with."""
  return f".{os.path.basename(os.path.abspath(out_dir))}.tmp-"


@contextlib.contextmanager
def atomic_folder(out_dir: str, overwrite: bool = False):
  """Yields a path to write a folder at; on success it is renamed to `out_dir`.

  The path lies in a temporary folder beside `out_dir` (same filesystem, so the rename is atomic);
  whatever happens, the temporary folder is removed, so a crash leaves no half-written folder.
  """
  out_dir = os.path.abspath(out_dir)
  if os.path.exists(out_dir) and not overwrite:
    raise UsageError(f"{out_dir} exists; choose another --out or remove it")
  parent = os.path.dirname(out_dir)
  os.makedirs(parent, exist_ok=True)
  staging = tempfile.mkdtemp(prefix=staging_prefix(out_dir), dir=parent)
  try:
    path = os.path.join(staging, "out")
    yield path
    if os.path.exists(out_dir):
      shutil.rmtree(out_dir)
    os.rename(path, out_dir)
  finally:
    shutil.rmtree(staging, ignore_errors=True)


@contextlib.contextmanager
def atomic_file(path: str, mode: str = "w"):
  """Yields a file object to write `path` through; on success it is renamed to `path`.

  Missing parent folders are created (as `mkdir -p`). The file is written under a temporary name
  in the same folder and renamed when the block ends without an error: a crash leaves the old file
  or none, never half a file. It gets the mode a plain open() would give (mkstemp's is 0600).
  """
  path = os.path.abspath(path)
  folder = os.path.dirname(path)
  os.makedirs(folder, exist_ok=True)
  fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", dir=folder)
  try:
    with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
      yield f
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, path)
  except BaseException:
    os.unlink(tmp)
    raise
