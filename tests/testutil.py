"""Shared test helpers: fixture paths, tiny configs and weights, a local HTTP module server."""

from __future__ import annotations

import contextlib
import dataclasses
import http.server
import io
import json
import os
import tarfile
import tempfile
import threading

import numpy as np

from hub_repro.families.bert import modeling
from hub_repro.config import BertConfig
from hub_repro.weights import BertWeights

TESTS = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(TESTS, "fixtures")
TINY_CONFIG = os.path.join(FIXTURES, "bert_config.json")
VOCAB = os.path.join(FIXTURES, "vocab.txt")
GOOGLE = os.path.join(FIXTURES, "google_tf1")
GOOGLE_MODULE = os.path.join(GOOGLE, "module")
GOOGLE_CHECKPOINT = os.path.join(GOOGLE, "checkpoint")
MODEL_GARDEN = os.path.join(FIXTURES, "model_garden_tf2")

# Tests never write to the user's cache: the embedded module is built once per test process here.
os.environ.setdefault("HUB_REPRO_CACHE", tempfile.mkdtemp(prefix="hub_repro_test_cache_"))

SENTENCES = ["the first token is cls", "what does the pooled output do?", "hello world",
             ("this is a test", "the hidden state")]


def tiny_config(**overrides) -> BertConfig:
  """tests/fixtures/bert_config.json: vocab 109, hidden 32, 2 layers, 4 heads, intermediate 37."""
  return dataclasses.replace(BertConfig.from_json_file(TINY_CONFIG), **overrides)


def random_weights(config: BertConfig | None = None, seed: int = 0, scale: float = 0.2) -> BertWeights:
  """Random weights under modeling.py names; scale 0.2 so every layer moves the numbers."""
  config = config or tiny_config()
  rng = np.random.default_rng(seed)
  params = {name: rng.normal(0.0, scale, shape).astype(np.float32)
            for name, shape in modeling.variable_shapes(config).items()}
  return BertWeights(config, params, VOCAB, do_lower_case=True, source=f"random(seed={seed})")


def run_cli(*argv: str) -> tuple[int, str, str]:
  """hub_repro.cli.main(argv) in this process: (exit code, stdout, stderr)."""
  from hub_repro import cli

  stdout, stderr = io.StringIO(), io.StringIO()
  with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
    code = cli.main(list(argv))
  return code, stdout.getvalue(), stderr.getvalue()


def google_golden() -> dict:
  with open(os.path.join(GOOGLE, "golden.json"), encoding="utf-8") as f:
    return json.load(f)


def golden(folder: str) -> dict:
  """A fixture folder's golden.json: what its own toolchain computed."""
  with open(os.path.join(folder, "golden.json"), encoding="utf-8") as f:
    return json.load(f)


def golden_inputs(stored: dict) -> list:
  """A golden.json's input_ids and input_mask, with segment ids all 0 (the families whose
  golden.json stores none have one token type, or ignore them)."""
  ids = np.asarray(stored["inputs"]["input_ids"], np.int32)
  return [ids, np.asarray(stored["inputs"]["input_mask"], np.int32), np.zeros_like(ids)]


def singles_and_pairs(stored: dict) -> tuple[list, list]:
  """A golden.json's sentences: the single ones, and the pairs as tuples."""
  singles = [s for s in stored["sentences"] if isinstance(s, str)]
  return singles, [tuple(s) for s in stored["sentences"] if not isinstance(s, str)]


def tar_gz_of(folder: str) -> bytes:
  """A module folder as tfhub.dev served it for ?tf-hub-format=compressed."""
  buffer = io.BytesIO()
  with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
    for name in sorted(os.listdir(folder)):
      tar.add(os.path.join(folder, name), arcname=name)
  return buffer.getvalue()


@dataclasses.dataclass
class Redirect:
  """A route that answers 301 Moved Permanently to `location` (a path on the same server), as
  tfhub.dev has answered for its handles since November 2023 (to Kaggle Models)."""
  location: str


@contextlib.contextmanager
def serve(routes: dict[str, bytes | Redirect]):
  """Serves {path: body or Redirect} on 127.0.0.1; paths are matched with their query string, like
  "/m/1?tf-hub-format=compressed". Yields the base URL; anything else is 404."""
  requests = []

  class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # http.server's name
      requests.append(self.path)
      body = routes.get(self.path)
      if body is None:
        self.send_error(404)
        return
      if isinstance(body, Redirect):
        self.send_response(301)
        self.send_header("Location", body.location)
        self.send_header("Content-Length", "0")
        self.end_headers()
        return
      self.send_response(200)
      self.send_header("Content-Length", str(len(body)))
      self.end_headers()
      self.wfile.write(body)

    def log_message(self, *args):
      pass

  server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
  thread = threading.Thread(target=server.serve_forever, daemon=True)
  thread.start()
  try:
    yield f"http://127.0.0.1:{server.server_address[1]}", requests
  finally:
    server.shutdown()
    server.server_close()


def closed_port() -> int:
  """A port on 127.0.0.1 that nothing listens on."""
  import socket
  with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]
