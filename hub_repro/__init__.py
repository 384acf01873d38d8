"""hub_repro: shows by measurement that BERT's pooled_output on TF-Hub is modeling.py's pooler,
tanh(dense(sequence_output[:, 0])) with the module's own weights, and not the [CLS] hidden state.

text -> tokenization -> source (any format, hub_repro.sources; any family, hub_repro.families:
BERT, ALBERT, ELECTRA) -> compare (pooler; with --full the whole encoder rebuilt by the family's
modeling, full) -> report; model_diff compares two sources stage by stage. See README.md.

The Python API (hub_repro.api) is importable from here: `hub_repro.check(handle, sentences)`,
`hub_repro.diff(a, b)`, `hub_repro.load(handle)`, `hub_repro.render(result)`; and
`hub_repro.testing` for a test suite. `import hub_repro` itself imports no TensorFlow: the API
loads on first use (the command line's --help stays instant).
"""

import importlib

__version__ = "0.1.0"

API = ("check", "diff", "load", "render", "answer", "detect", "read_weights", "export_model",
       "embedded_model_dir", "why_no_torch", "DEFAULT_SENTENCES")
# Public modules besides the API: assertions for test suites, the figures, BERT's reference rebuild
# (google-research/bert modeling.py, to read beside the original).
MODULES = {"testing": "hub_repro.testing", "plots": "hub_repro.plots",
           "modeling": "hub_repro.families.bert.modeling"}
__all__ = [*API, *MODULES, "quiet_tensorflow"]


# No API name is a module's name: `import hub_repro.export` would shadow `hub_repro.export`
# (so crosscheck is hub_repro.api.crosscheck, beside the module hub_repro.crosscheck).


def __getattr__(name: str):
  if name in API:
    from hub_repro import api
    return getattr(api, name)
  if name in MODULES:
    return importlib.import_module(MODULES[name])
  if name == "quiet_tensorflow":  # TensorFlow's start-up lines muted, on request
    from hub_repro.quiet import quiet_tensorflow
    return quiet_tensorflow
  raise AttributeError(f"module 'hub_repro' has no attribute {name!r}")
