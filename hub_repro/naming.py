"""Variable names of the other BERT exporters, mapped to modeling.py's checkpoint names.

TF Model Garden (`official/nlp/modeling/networks/bert_encoder.py`, exported to TF-Hub by
`export_tfhub_lib.py` as tensorflow/bert_en_uncased_L-12_H-768_A-12/4) keeps attention weights per
head: query/key/value kernels [H, N, H/N] with biases [N, H/N], and the attention output kernel
[N, H/N, H]. modeling.py keeps them as [H, H] and [H]; the bytes are the same in row-major order,
so mapping is a reshape, never a transpose.
"""

from __future__ import annotations

import itertools
import re

import numpy as np

from hub_repro import families
from hub_repro.config import BertConfig
from hub_repro.errors import WeightsError

# Model Garden names whose tensors are reshaped per head (see the module docstring).
MODEL_GARDEN_PER_HEAD = [
    "self_attention/query/kernel", "self_attention/query/bias",
    "self_attention/key/kernel", "self_attention/key/bias",
    "self_attention/value/kernel", "self_attention/value/bias",
    "self_attention/attention_output/kernel",
]


class _Index(int):
  """A template index. `{n:_}` writes it as Keras' suffix for a repeated layer name: nothing for
  0, `_1`, `_2`, ... after (Model Garden's `transformer_scaffold`, `transformer_scaffold_1`)."""

  def __format__(self, spec: str) -> str:
    if spec == "_":
      return f"_{int(self)}" if self else ""
    return format(int(self), spec)


def _uses(template: str, key: str) -> bool:
  return f"{{{key}}}" in template or f"{{{key}:" in template


def expand(table: dict[str, str], ranges: dict[str, int]) -> dict[str, str]:
  """A name table with templates on both sides (`{n}` a layer, `{n:_}` its Keras suffix; ALBERT's
  `{g}` group and `{i}` inner group), written out for every index 0 .. ranges[key] - 1 of the
  keys each name uses."""
  out = {}
  for source, target in table.items():
    keys = [k for k in ranges if _uses(source, k)]
    # A range is a count (0 .. count - 1) or the indices themselves (MobileBERT's `{last}`).
    for values in itertools.product(*(range(ranges[k]) if isinstance(ranges[k], int)
                                      else ranges[k] for k in keys)):
      index = {k: _Index(v) for k, v in zip(keys, values)}
      out[source.format(**index)] = target.format(**index)
  return out


def expand_layers(table: dict[str, str], num_layers: int) -> dict[str, str]:
  """A name table with `{n}` templates on both sides, written out for layers 0 .. num_layers - 1."""
  return expand(table, {"n": num_layers})


def name_ranges(config: BertConfig) -> dict[str, int]:
  """How many of each templated index a config has: layers `n`; ALBERT's groups `g`, inner `i`;
  and any a family's modeling adds with its own `name_ranges(config)` (MobileBERT's `f`)."""
  own = getattr(families.get(config), "name_ranges", None)
  return {"n": config.num_hidden_layers, "g": config.num_hidden_groups,
          "i": config.inner_group_num, **(own(config) if own else {})}


def model_garden_family(variables) -> str:
  """The family whose Model Garden encoder these variable names are (its MODEL_GARDEN `owns`)."""
  names = set(variables)
  for family, spec in families.shipped_in("MODEL_GARDEN").items():
    if spec.owns(names):
      return family
  raise WeightsError("Model Garden variables of no known family's encoder; first names: "
                     f"{sorted(names)[:5]}")


def model_garden_names(config: BertConfig) -> dict[str, str]:
  """Every Model Garden name of an encoder with this config -> its family's checkpoint name."""
  return expand(families.names(config).MODEL_GARDEN.table, name_ranges(config))


def _family_shapes(config: BertConfig) -> dict[str, tuple[int, ...]]:
  family = families.get(config)
  return {**family.optional_shapes(config), **family.variable_shapes(config)}


def model_garden_shape(name: str, config: BertConfig) -> tuple[int, ...]:
  """The shape Model Garden gives the variable `name` (the checkpoint's shape, split per head)."""
  bert_shape = _family_shapes(config)[model_garden_names(config)[name]]
  n, d, h = config.num_attention_heads, config.size_per_head, config.hidden_size
  if name.endswith("attention_output/kernel"):
    return (n, d, h)
  if any(name.endswith(p) for p in MODEL_GARDEN_PER_HEAD):
    return (h, n, d) if name.endswith("kernel") else (n, d)
  return bert_shape


def present_table(table: dict[str, str], present, optional) -> dict[str, str]:
  """`table` (source name -> the family's name) less the optional layers a copy lacks. A layer
  is all its weights (one scope: a pooler's kernel and bias): absent, it is dropped; half there,
  its missing half stays in the table, for the key check to name."""
  held = {target.rsplit("/", 1)[0] for source, target in table.items() if source in present}
  return {source: target for source, target in table.items()
          if target not in optional or target.rsplit("/", 1)[0] in held}


def check_key_sets(actual, expected, where: str) -> None:
  """Raises ValueError naming every missing and unexpected key of `actual` against `expected`."""
  missing = sorted(set(expected) - set(actual))
  unexpected = sorted(set(actual) - set(expected))
  if missing or unexpected:
    raise WeightsError(f"{where}: missing keys {missing}, unexpected keys {unexpected}")


def naming_of(variables) -> str:
  """"Model Garden" or "modeling.py": whose names a TF-Hub module's variables carry."""
  return "Model Garden" if is_model_garden(variables) else "modeling.py"


def is_model_garden(variables) -> bool:
  """BertEncoder's layer names, or the names a family's Model Garden encoder owns (MODEL_GARDEN)."""
  return (any(re.fullmatch(r"transformer/(layer_\d+/)?self_attention/query/kernel", v)
              for v in variables)
          or any(spec.owns(set(variables))
                 for spec in families.shipped_in("MODEL_GARDEN").values()))


def _model_garden_layers(variables, table: dict[str, str]) -> int:
  """How many layers Model Garden `variables` hold: n = 0, 1, ... while some name of `table`'s
  layer templates is there for n (1 where the table has none: a shared layer)."""
  templates = [source for source in table if _uses(source, "n")]
  count = 0
  while templates and any(t.format_map(_FirstOfOthers(n=_Index(count))) in variables
                          for t in templates):
    count += 1
  return max(count, 1)


class _FirstOfOthers(dict):
  """Template values where any index but the given ones is 0 (a group, an inner group, ...)."""

  def __missing__(self, key):
    return _Index(0)


def model_garden_to_bert(variables: dict, config: BertConfig, reshape=np.reshape) -> dict:
  """Model Garden variables (by name) -> the family's checkpoint params. Keys are compared
  exactly (the projection and the pooler where the family makes them optional)."""
  names = present_table(model_garden_names(config), variables,
                        families.get(config).optional_shapes(config))
  present = {k for k in variables if k in names or not _ignored_model_garden(k)}
  missing, unexpected = sorted(set(names) - present), sorted(present - set(names))
  if missing or unexpected:
    raise WeightsError(f"Model Garden variables do not match BertConfig: missing {missing}, "
                     f"unexpected {unexpected}")
  shapes = _family_shapes(config)
  return {names[k]: reshape(variables[k], shapes[names[k]]) for k in names}


def bert_to_model_garden(params: dict, config: BertConfig) -> dict[str, np.ndarray]:
  """The family's checkpoint params -> Model Garden variables with Model Garden's shapes."""
  return {mg: np.reshape(params[bert], model_garden_shape(mg, config))
          for mg, bert in model_garden_names(config).items() if bert in params}


def _ignored_model_garden(name: str) -> bool:
  # The encoder SavedModel also saves `do_lower_case` as an unnamed bool variable ("Variable").
  return re.fullmatch(r"Variable(_\d+)?", name) is not None


def to_bert_params(variables: dict) -> tuple[dict, str, int | None]:
  """A module's variables under its family's checkpoint names and shapes (modeling.py's for BERT).

  Returns (params, naming, num_heads): naming is "modeling.py" or "Model Garden"; num_heads is read
  from Model Garden's [H, N, H/N] query kernels, and None for Google's names, whose [H, H]
  kernels do not tell.
  """
  if is_model_garden(variables):
    config = infer_config(variables, 0)
    return model_garden_to_bert(variables, config), "Model Garden", config.num_attention_heads
  params = checkpoint_names_only(variables)
  if not params:
    raise WeightsError("variables are named neither like modeling.py ('bert/embeddings/...'; "
                     "ELECTRA's 'electra/embeddings/...') nor like TF Model Garden "
                     f"('transformer/layer_0/...'); first names: {sorted(variables)[:5]}")
  return params, "modeling.py", None


def checkpoint_names_only(variables) -> dict:
  """The variables under a Google checkpoint's encoder scopes ('bert/', 'electra/'): a module's
  heads (ALBERT's cls/predictions for its mlm signature) are not part of the encoder."""
  return {k: v for k, v in variables.items() if k.startswith(("bert/", "electra/"))}


def infer_config(variables: dict, num_attention_heads: int,
                 hidden_act: str | None = "gelu") -> BertConfig:
  """A config from variable shapes in either naming, in the family the names tell. Heads and
  activation are not in the shapes of Google's names, so they are arguments. (An ALBERT's layer
  count is not in its shapes either: it comes out as its groups' count.)"""
  if is_model_garden(variables):
    family = model_garden_family(variables)
    own = families.names(family).MODEL_GARDEN.config_from_variables
    if own is not None:
      return own(variables, hidden_act)
    num_attention_heads = next(v.shape[1] for k, v in variables.items()
                               if k.endswith("self_attention/query/kernel"))
    table = families.names(family).MODEL_GARDEN.table
    table = expand(table, {"n": _model_garden_layers(variables, table), "g": 1, "i": 1})
    variables = {table[k]: v for k, v in variables.items() if k in table}
  else:
    variables = checkpoint_names_only(variables)
  return families.config_from_params(variables, int(num_attention_heads) or None, hidden_act)
