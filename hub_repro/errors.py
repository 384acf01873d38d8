"""hub_repro's errors, each with the exit code the command line gives it.

Library code raises these; only the command line (hub_repro.cli) turns one into a line on stderr
and its `exit_code`. Any other exception that ends a command is a bug of hub_repro or of a library
it calls: exit 4, internal error. A comparison that finishes and says no is exit 1, and is never an
exception.

    HubReproError                 4  the base class (never raised itself)
      InputError(ValueError)      2  bad input: a handle, file, folder, argument or weights
        UsageError                2    an argument or an input file
        HandleError               2    a handle that names no loadable model
        WeightsError              2    weights that do not fit a family's names or shapes
        ConfigError               2    a config that breaks an invariant or is not understood
        UnsafeModelError          2    a model whose graph would touch files, network or process
        EmbeddedModelError        2    the embedded model's package is missing or altered
      NoPoolerError               3  no pooled_output, or nothing of the model explains it
"""

from __future__ import annotations

EXIT_SAME, EXIT_DIFFERENT, EXIT_BAD_INPUT, EXIT_NO_POOLER, EXIT_INTERNAL = 0, 1, 2, 3, 4


class HubReproError(Exception):
  """An error hub_repro raises on purpose; `exit_code` is what the command line exits with."""
  exit_code = EXIT_INTERNAL


class InputError(HubReproError, ValueError):
  """Bad input (exit 2): the message says what was wrong, where, and what was expected."""
  exit_code = EXIT_BAD_INPUT


class UsageError(InputError):
  """A bad argument or input file."""


class HandleError(InputError):
  """The handle does not name a loadable model (bad path, URL, archive or folder)."""


class WeightsError(InputError):
  """Weights that cannot be mapped onto a family's names and shapes."""


class ConfigError(InputError):
  """A config (bert_config.json, config.json, ...) that breaks an invariant or holds a value
  hub_repro does not know."""


class UnsafeModelError(InputError):
  """A model whose functions hold ops that reach outside the model (files, network, process);
  refused before it runs unless the user trusts its code."""


class EmbeddedModelError(InputError):
  """The embedded model's package is not installed, or its weights are not the released ones."""


class NoPoolerError(HubReproError, LookupError):
  """The model has no pooled_output, or nothing of it explains pooled_output (exit 3)."""
  exit_code = EXIT_NO_POOLER


def exit_code(error: BaseException) -> int:
  """The exit code for an exception that ended a command: its class's, else internal error."""
  return error.exit_code if isinstance(error, HubReproError) else EXIT_INTERNAL
