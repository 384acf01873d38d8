"""TensorFlow's start-up noise muted, for a program or notebook that asks for it.

The command line calls quiet_tensorflow() before it imports TensorFlow, so oneDNN's and CUDA's
start-up lines do not bury the report; a notebook may call `hub_repro.quiet_tensorflow()` for the
same. Library calls (hub_repro.check, ...) never call it: it changes logging of other libraries.
"""

from __future__ import annotations

import os
import sys
import tempfile
import warnings


def quiet_tensorflow() -> None:
  """Imports TensorFlow with its start-up noise muted.

  TensorFlow's C++ side logs (oneDNN, CUDA probing) before absl logging is initialized, where
  TF_CPP_MIN_LOG_LEVEL does not reach, so file descriptor 2 is pointed at a temporary file while
  TensorFlow loads and its devices are probed. If that fails, the captured text is replayed.
  A user who sets TF_CPP_MIN_LOG_LEVEL gets TensorFlow's own behaviour.

  tensorflow_hub 0.16.1 imports pkg_resources, which setuptools 80 (pinned below 81, where it is
  gone) marks deprecated with a two-line warning on every run; that warning is muted.
  """
  warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning,
                          module="tensorflow_hub")
  if "TF_CPP_MIN_LOG_LEVEL" in os.environ:
    import tensorflow  # noqa: F401
    return
  os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
  sys.stderr.flush()
  saved = os.dup(2)
  with tempfile.TemporaryFile() as captured:
    os.dup2(captured.fileno(), 2)
    try:
      import absl.logging
      import tensorflow as tf
      import tensorflow_text  # noqa: F401
      tf.config.list_physical_devices()
      absl.logging.set_verbosity(absl.logging.ERROR)
      tf.get_logger().setLevel("ERROR")
    except BaseException:
      os.dup2(saved, 2)
      captured.seek(0)
      sys.stderr.write(captured.read().decode(errors="replace"))
      raise
    finally:
      os.dup2(saved, 2)
      os.close(saved)
