"""The model families beside the formats: one package per family, each its reference rebuild and
its names in every format it ships in.

| family    | package                       | rebuilt from            | checkpoint names                    |
| --------- | ----------------------------- | ----------------------- | ----------------------------------- |
| `bert`    | `hub_repro.families.bert`     | google-research/bert    | `bert/encoder/layer_N/...`          |
| `albert`  | `hub_repro.families.albert`   | google-research/albert  | `bert/encoder/transformer/group_G/inner_group_I/...` |
| `electra` | `hub_repro.families.electra`  | google-research/electra | `electra/encoder/layer_N/...`, `electra/embeddings_project` |
| `roberta`, `xlm_roberta` | `hub_repro.families.roberta`, `.xlm_roberta` | transformers' modeling_roberta.py | `roberta/encoder/layer_N/...` (`xlm_roberta/...`) |
| `distilbert` | `hub_repro.families.distilbert` | transformers' modeling_distilbert.py | `distilbert/encoder/layer_N/...` |
| `mobilebert` | `hub_repro.families.mobilebert` | transformers' modeling_mobilebert.py, Model Garden's | `mobilebert/encoder/layer_N/...` |
| `deberta_v2` | `hub_repro.families.deberta_v2` | transformers' modeling_deberta_v2.py | `deberta/encoder/layer_N/...` |
| `talking_heads` | `hub_repro.families.talking_heads` | Model Garden's TalkingHeadsAttention, GatedFeedforward | `talking_heads/encoder/layer_N/...` |

A family's `modeling` module (get) gives the same names in every family: `FAMILY`, `TITLE`,
`WORD_EMBEDDINGS`, `POSITION_EMBEDDINGS`, `variable_shapes(config)`, `optional_shapes(config)`,
`owns(names)`, `describe(config)`, `config_from_params(params, num_attention_heads, hidden_act)`,
`transformer_layer(...)` (one encoder layer, the body of its loop) and `model(params, config,
input_ids, input_mask, token_type_ids, training, layer_fn)` -> {"sequence_output",
"pooled_output", "encoder_outputs"}. Its `names` module (names) gives what each format needs
(hub_repro.families.formats): `HUGGING_FACE`, `KERAS_HUB`, `MODEL_GARDEN`, `GOOGLE_RELEASE`,
`TF1_HUB` (each where the family ships in that format) and `PACKING` (its special tokens). The
checks (compare, full, crosscheck, diff) and the formats call these and never branch on the
family. Adding a family is adding its package and its line in FAMILY_FIELDS (hub_repro.config).
"""

from __future__ import annotations

import importlib

from hub_repro.errors import ConfigError, WeightsError
from hub_repro.config import FAMILIES, BertConfig



def _name(family: str | BertConfig) -> str:
  name = family.family if isinstance(family, BertConfig) else family
  if name not in FAMILIES:
    raise ConfigError(f"unknown model family {name!r}; expected one of {FAMILIES}")
  return name


def get(family: str | BertConfig):
  """The family's reference rebuild (its `modeling` module), by name or config."""
  return importlib.import_module(f"hub_repro.families.{_name(family)}.modeling")


def names(family: str | BertConfig):
  """The family's names in every format (its `names` module), by name or config."""
  return importlib.import_module(f"hub_repro.families.{_name(family)}.names")


def shipped_in(fmt: str) -> dict:
  """family name -> what it tells the format `fmt` ("HUGGING_FACE", "KERAS_HUB", "MODEL_GARDEN",
  "GOOGLE_RELEASE", "TF1_HUB"), for the families that ship in it."""
  found = {family: getattr(names(family), fmt, None) for family in FAMILIES}
  return {family: spec for family, spec in found.items() if spec is not None}


def of_names(names) -> str:
  """The family whose canonical names these are; ValueError naming a few if none owns them."""
  names = list(names)
  for family in FAMILIES:
    if get(family).owns(names):
      return family
  raise WeightsError(f"variables are named like the checkpoint of none of {list(FAMILIES)} (BERT's "
                     "'bert/encoder/layer_0/...', ALBERT's 'bert/encoder/transformer/group_0/...', "
                     f"...); first names: {sorted(names)[:5]}")


def config_from_params(params, num_attention_heads: int | None = None,
                       hidden_act: str | None = None) -> BertConfig:
  """A config from canonical weights' shapes, in the family their names tell (activation: the
  family's own modeling.py's unless given)."""
  family = get(of_names(params))
  extra = {"hidden_act": hidden_act} if hidden_act else {}
  return family.config_from_params(params, num_attention_heads, **extra)
