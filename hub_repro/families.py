"""The model families beside the formats: which reference rebuild computes a config, and which
family a set of canonical (Google checkpoint) names belongs to.

| family    | module                       | Google's modeling.py    | canonical names                              |
| --------- | ---------------------------- | ----------------------- | -------------------------------------------- |
| `bert`    | `hub_repro.modeling`         | google-research/bert    | `bert/encoder/layer_N/...`                   |
| `albert`  | `hub_repro.albert_modeling`  | google-research/albert  | `bert/encoder/transformer/group_G/inner_group_I/...` |
| `electra` | `hub_repro.electra_modeling` | google-research/electra | `electra/encoder/layer_N/...`, `electra/embeddings_project` |

Every family module gives the same names: `FAMILY`, `TITLE`, `WORD_EMBEDDINGS`,
`POSITION_EMBEDDINGS`, `variable_shapes(config)`, `optional_shapes(config)`, `owns(names)`,
`describe(config)`, `config_from_params(params, num_attention_heads, hidden_act)`,
`transformer_layer(...)` (one encoder layer, the body of its loop) and `model(params, config,
input_ids, input_mask, token_type_ids, training, layer_fn)` -> {"sequence_output",
"pooled_output", "encoder_outputs"}. The checks (compare, full, crosscheck, diff) call these and
never branch on the family.
"""

from __future__ import annotations

import importlib

from hub_repro.errors import ConfigError, WeightsError
from hub_repro.config import FAMILIES, BertConfig

MODULES = {"bert": "hub_repro.modeling", "albert": "hub_repro.albert_modeling",
           "electra": "hub_repro.electra_modeling"}


def get(family: str | BertConfig):
  """The family module of a family name or a config."""
  name = family.family if isinstance(family, BertConfig) else family
  if name not in MODULES:
    raise ConfigError(f"unknown model family {name!r}; expected one of {FAMILIES}")
  return importlib.import_module(MODULES[name])


def of_names(names) -> str:
  """The family whose canonical names these are; ValueError naming a few if none owns them."""
  names = list(names)
  for family in FAMILIES:
    if get(family).owns(names):
      return family
  raise WeightsError("variables are named like no known family's checkpoint (BERT's "
                   "'bert/encoder/layer_0/...', ALBERT's 'bert/encoder/transformer/group_0/...', "
                   f"ELECTRA's 'electra/encoder/layer_0/...'); first names: {sorted(names)[:5]}")


def config_from_params(params, num_attention_heads: int | None = None,
                       hidden_act: str | None = None) -> BertConfig:
  """A config from canonical weights' shapes, in the family their names tell (activation: the
  family's own modeling.py's unless given)."""
  family = get(of_names(params))
  extra = {"hidden_act": hidden_act} if hidden_act else {}
  return family.config_from_params(params, num_attention_heads, **extra)
