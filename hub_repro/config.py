"""BertConfig: the hyperparameters of a BERT encoder, as in google-research/bert `bert_config.json`."""

from __future__ import annotations

import dataclasses
import json
import os

# modeling.py names its activations; "gelu" there is the tanh approximation.
# "gelu_exact" is the erf form (what Hugging Face calls "gelu").
ACTIVATIONS = ("gelu", "gelu_exact", "relu", "tanh", "linear")

# Hugging Face's activation names, translated to modeling.py's.
HF_ACTIVATIONS = {
    "gelu": "gelu_exact",
    "gelu_new": "gelu",
    "gelu_pytorch_tanh": "gelu",
    "relu": "relu",
    "tanh": "tanh",
}


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

  def __post_init__(self):
    for name in ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
                 "intermediate_size", "max_position_embeddings", "type_vocab_size"):
      value = getattr(self, name)
      if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"BertConfig.{name} must be a positive integer, got {value!r}")
    if self.hidden_size % self.num_attention_heads:
      raise ValueError(
          f"hidden_size ({self.hidden_size}) is not a multiple of "
          f"num_attention_heads ({self.num_attention_heads})")
    if self.hidden_act not in ACTIVATIONS:
      raise ValueError(f"hidden_act {self.hidden_act!r} is not one of {ACTIVATIONS}")
    for name in ("hidden_dropout_prob", "attention_probs_dropout_prob"):
      if not 0.0 <= getattr(self, name) < 1.0:
        raise ValueError(f"BertConfig.{name} must be in [0, 1), got {getattr(self, name)!r}")

  @property
  def size_per_head(self) -> int:
    return self.hidden_size // self.num_attention_heads

  @classmethod
  def from_dict(cls, values: dict) -> "BertConfig":
    """Reads a bert_config.json dict; unknown keys are an error, so typos do not pass silently."""
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - fields)
    if unknown:
      raise ValueError(f"unknown BertConfig keys {unknown}; expected a subset of {sorted(fields)}")
    return cls(**values)

  @classmethod
  def from_json_file(cls, path: str | os.PathLike) -> "BertConfig":
    with open(path, encoding="utf-8") as f:
      try:
        values = json.load(f)
      except json.JSONDecodeError as e:
        raise ValueError(f"{path} is not valid JSON: {e}") from None
    return cls.from_dict(values)

  @classmethod
  def from_hf_dict(cls, values: dict) -> "BertConfig":
    """Reads a Hugging Face BertModel config.json (model_type "bert")."""
    if values.get("model_type", "bert") != "bert":
      raise ValueError(f"expected a Hugging Face config with model_type 'bert', "
                       f"got {values.get('model_type')!r}")
    act = values.get("hidden_act", "gelu")
    if act not in HF_ACTIVATIONS:
      raise ValueError(f"Hugging Face hidden_act {act!r} is not one of {sorted(HF_ACTIVATIONS)}")
    eps = values.get("layer_norm_eps", 1e-12)
    if eps != 1e-12:
      raise ValueError(f"layer_norm_eps is {eps}; modeling.py's LayerNorm uses 1e-12")
    if values.get("position_embedding_type", "absolute") != "absolute":
      raise ValueError("only absolute position embeddings exist in modeling.py, got "
                       f"{values['position_embedding_type']!r}")
    fields = {f.name for f in dataclasses.fields(cls)}
    kwargs = {k: v for k, v in values.items() if k in fields}
    kwargs["hidden_act"] = HF_ACTIVATIONS[act]
    return cls(**kwargs)

  def to_dict(self) -> dict:
    return dataclasses.asdict(self)

  def to_json_string(self) -> str:
    return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

  def to_json_file(self, path: str | os.PathLike) -> None:
    with open(path, "w", encoding="utf-8") as f:
      f.write(self.to_json_string())
