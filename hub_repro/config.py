"""BertConfig: the hyperparameters of a BERT-like encoder, as in google-research/bert
`bert_config.json`, with the fields ALBERT (`albert_config.json`) and ELECTRA add.

`family` says whose modeling.py computes it (`hub_repro.families`): "bert", "albert"
(google-research/albert: embeddings of width E projected to H, layers shared across groups) or
"electra" (google-research/electra: embeddings of width E projected to H, no pooler). `to_dict`
writes only the fields of the config's family, so a BERT config is exactly a bert_config.json and
an ALBERT config an albert_config.json (with `family`).
"""

from __future__ import annotations

import dataclasses
import json
import os

from hub_repro.errors import ConfigError
# modeling.py names its activations; "gelu" there is the tanh approximation.
# "gelu_exact" is the erf form (what Hugging Face calls "gelu").
ACTIVATIONS = ("gelu", "gelu_exact", "relu", "tanh", "linear")

# The families (hub_repro.families: one package each), and the keys each adds to
# bert_config.json's: the dataclass fields below, or a family's own `options` (any other key).
# Adding a family is adding its package and its line here.
FAMILY_FIELDS = {
    "bert": (),
    "albert": ("embedding_size", "num_hidden_groups", "inner_group_num"),
    "electra": ("embedding_size",),
    "mobilebert": ("embedding_size", "intra_bottleneck_size", "true_hidden_size",
                   "num_feedforward_networks", "normalization_type", "use_bottleneck",
                   "key_query_shared_bottleneck", "use_bottleneck_attention",
                   "classifier_activation", "trigram_input", "unset_norm_eps"),
    "talking_heads": (),
    "distilbert": (),
    "roberta": ("layer_norm_eps", "pad_token_id"),
    "xlm_roberta": ("layer_norm_eps", "pad_token_id"),
    "deberta_v2": ("layer_norm_eps", "relative_attention", "max_relative_positions",
                   "position_buckets", "pos_att_type", "share_att_key", "norm_rel_ebd",
                   "position_biased_input"),
}
FAMILIES = tuple(FAMILY_FIELDS)
# Keys of the dataclass that only some families write (to_dict).
OPTIONAL_FIELDS = ("embedding_size", "num_hidden_groups", "inner_group_num", "layer_norm_eps",
                   "pad_token_id")
# albert_config.json keys of google-research/albert's AlbertConfig that no released model changes
# from these values (they select experimental structures its modeling.py does not build).
ALBERT_FIXED_KEYS = {"net_structure_type": 0, "layers_to_keep": [], "gap_size": 0,
                     "num_memory_blocks": 0, "down_scale_factor": 1}

# Hugging Face's activation names, translated to modeling.py's.
HF_ACTIVATIONS = {
    "gelu": "gelu_exact",
    "gelu_new": "gelu",
    "gelu_pytorch_tanh": "gelu",
    "relu": "relu",
    "tanh": "tanh",
}


def guessed_heads(hidden_size: int) -> int:
  """Every released BERT, ALBERT, ELECTRA (and MiniLM) has 64 values per head."""
  heads = hidden_size // 64
  return heads if heads >= 1 and hidden_size % heads == 0 else 1


@dataclasses.dataclass(frozen=True)
class BertConfig:
  """Configuration of a BertModel; field names and meanings follow modeling.py."""

  vocab_size: int  # rows of bert/embeddings/word_embeddings
  hidden_size: int = 768  # H: width of every layer and of the pooler
  num_hidden_layers: int = 12  # transformer layers in bert/encoder
  num_attention_heads: int = 12  # N: heads per attention layer; H % N == 0
  intermediate_size: int = 3072  # width of the feed-forward layer
  hidden_act: str = "gelu"  # modeling.py's "gelu" is the tanh approximation
  hidden_dropout_prob: float = 0.1  # dropout on embeddings and layer outputs (train only)
  attention_probs_dropout_prob: float = 0.1  # dropout on attention probabilities (train only)
  max_position_embeddings: int = 512  # longest sequence the module accepts
  type_vocab_size: int = 16  # rows of bert/embeddings/token_type_embeddings
  initializer_range: float = 0.02  # stddev of the truncated normal initializer
  family: str = "bert"  # whose modeling.py computes it: "bert", "albert" or "electra"
  embedding_size: int | None = None  # E (ALBERT, ELECTRA): embedding width; None means H
  num_hidden_groups: int = 1  # ALBERT: groups of layers, each group's weights shared by its layers
  inner_group_num: int = 1  # ALBERT: layers (each with weights of its own) inside one group
  layer_norm_eps: float = 1e-12  # LayerNorm's epsilon: modeling.py's 1e-12 (RoBERTa: 1e-5)
  pad_token_id: int | None = None  # RoBERTa: its position ids start at pad_token_id + 1
  # A family's own settings (its keys in FAMILY_FIELDS that are not fields above), by key.
  options: dict = dataclasses.field(default_factory=dict, hash=False)

  def __post_init__(self):
    if self.family not in FAMILIES:
      raise ConfigError(f"family {self.family!r} is not one of {FAMILIES}")
    stray = sorted(set(self.options) - set(FAMILY_FIELDS[self.family]))
    if stray:
      raise ConfigError(f"{self.family} config: unknown options {stray}; expected a subset of "
                        f"{sorted(set(FAMILY_FIELDS[self.family]) - set(OPTIONAL_FIELDS))}")
    if self.family == "bert" and (self.embedding_size not in (None, self.hidden_size)
                                  or self.num_hidden_groups != 1 or self.inner_group_num != 1):
      raise ConfigError("embedding_size, num_hidden_groups and inner_group_num are ALBERT's or "
                       "ELECTRA's fields; a BERT config has none (set family)")
    if self.family == "electra" and (self.num_hidden_groups != 1 or self.inner_group_num != 1):
      raise ConfigError("num_hidden_groups and inner_group_num are ALBERT's; ELECTRA shares no "
                       "layers")
    for name in ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
                 "intermediate_size", "max_position_embeddings", "type_vocab_size",
                 "embedding_width", "num_hidden_groups", "inner_group_num"):
      value = getattr(self, name)
      # type_vocab_size 0: no token type table (DeBERTa-v3's).
      least = 0 if name == "type_vocab_size" else 1
      if not isinstance(value, int) or isinstance(value, bool) or value < least:
        raise ConfigError(f"BertConfig.{name} must be a positive integer, got {value!r}")
    if self.num_hidden_groups > self.num_hidden_layers:
      raise ConfigError(f"num_hidden_groups ({self.num_hidden_groups}) is more than "
                       f"num_hidden_layers ({self.num_hidden_layers}): a group would be unused")
    if self.hidden_size % self.num_attention_heads:
      raise ConfigError(
          f"hidden_size ({self.hidden_size}) is not a multiple of "
          f"num_attention_heads ({self.num_attention_heads})")
    if self.hidden_act not in ACTIVATIONS:
      raise ConfigError(f"hidden_act {self.hidden_act!r} is not one of {ACTIVATIONS}")
    for name in ("hidden_dropout_prob", "attention_probs_dropout_prob"):
      value = getattr(self, name)
      if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
        raise ConfigError(f"BertConfig.{name} must be in [0, 1), got {getattr(self, name)!r}")

  @property
  def size_per_head(self) -> int:
    return self.hidden_size // self.num_attention_heads

  @property
  def embedding_width(self) -> int:
    """E: the width of the embedding tables (H unless embedding_size says otherwise)."""
    return self.embedding_size or self.hidden_size

  @classmethod
  def from_dict(cls, values: dict, family: str | None = None) -> "BertConfig":
    """Reads a bert_config.json or albert_config.json dict (`family` defaults to the dict's own,
    else "albert" if it has ALBERT's group fields, else "bert"); unknown keys are an error, so
    typos do not pass silently."""
    values = dict(values)
    for key, fixed in ALBERT_FIXED_KEYS.items():
      if key in values and values.pop(key) != fixed:
        raise ConfigError(f"albert_config.json sets {key}; only {fixed!r} (the released models' "
                         "value) is built by google-research/albert's modeling.py")
    if family is None:
      family = values.get("family") or (
          "albert" if {"num_hidden_groups", "inner_group_num"} & set(values) else "bert")
    fields = {f.name for f in dataclasses.fields(cls)} - {"options"}
    own = set(FAMILY_FIELDS.get(family, ())) - fields
    unknown = sorted(set(values) - fields - own)
    if unknown:
      raise ConfigError(f"unknown BertConfig keys {unknown}; expected a subset of "
                        f"{sorted(fields | own)}")
    options = {k: values.pop(k) for k in own if k in values}
    return cls(**{**values, "family": family, "options": {**values.get("options", {}), **options}})

  @classmethod
  def from_json_file(cls, path: str | os.PathLike, family: str | None = None) -> "BertConfig":
    with open(path, encoding="utf-8") as f:
      try:
        values = json.load(f)
      except json.JSONDecodeError as e:
        raise ConfigError(f"{path} is not valid JSON: {e}") from None
    return cls.from_dict(values, family)

  @classmethod
  def from_hf_dict(cls, values: dict) -> "BertConfig":
    """Reads a Hugging Face config.json of a BertModel, AlbertModel or ElectraModel (model_type
    "bert", "albert", "electra": the family)."""
    family = values.get("model_type", "bert")
    if family not in FAMILIES:
      raise ConfigError(f"expected a Hugging Face config with model_type one of {FAMILIES}, "
                       f"got {family!r}")
    act = values.get("hidden_act", "gelu")
    if act not in HF_ACTIVATIONS:
      raise ConfigError(f"Hugging Face hidden_act {act!r} is not one of {sorted(HF_ACTIVATIONS)}")
    eps = values.get("layer_norm_eps", 1e-12)
    if eps != 1e-12:
      raise ConfigError(f"layer_norm_eps is {eps}; modeling.py's LayerNorm uses 1e-12")
    if values.get("position_embedding_type", "absolute") != "absolute":
      raise ConfigError("only absolute position embeddings exist in modeling.py, got "
                       f"{values['position_embedding_type']!r}")
    fields = ({f.name for f in dataclasses.fields(cls)} - set(OPTIONAL_FIELDS)
              - {"family", "options"})
    # The family's keys that are no dataclass field are its options (MobileBERT's, ...).
    own = set(FAMILY_FIELDS[family]) - {f.name for f in dataclasses.fields(cls)}
    kwargs = {k: v for k, v in values.items()
              if k in fields or (k in FAMILY_FIELDS[family] and k not in own)}
    kwargs.update(hidden_act=HF_ACTIVATIONS[act], family=family,
                  options={k: values[k] for k in sorted(own) if k in values})
    return cls(**kwargs)

  def to_dict(self) -> dict:
    """The fields of bert_config.json, and the family's own (with `family`) for ALBERT and
    ELECTRA."""
    values = dataclasses.asdict(self)
    options = values.pop("options")
    own = set(FAMILY_FIELDS[self.family]) | ({"family"} if self.family != "bert" else set())
    return {**{k: v for k, v in values.items() if k in own or k not in ("family", *OPTIONAL_FIELDS)},
            **options}

  def to_json_string(self) -> str:
    return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

  def to_json_file(self, path: str | os.PathLike) -> None:
    with open(path, "w", encoding="utf-8") as f:
      f.write(self.to_json_string())
