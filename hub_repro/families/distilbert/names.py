"""DistilBERT's names in every format it ships in, mapped onto its canonical names
(hub_repro.families.distilbert.modeling: BERT's under `distilbert/`): transformers'
DistilBertModel and keras-hub's DistilBertBackbone. Google released no DistilBERT, so it has no
Google release, TF1 Hub or Model Garden format.
"""

from __future__ import annotations

from hub_repro.config import HF_ACTIVATIONS, BertConfig
from hub_repro.errors import ConfigError
from hub_repro.families import formats
from hub_repro.families.bert import names as bert

# DistilBertModel name -> canonical name. `{n}` is the layer index.
HF_TO_DISTILBERT = {
    "embeddings.word_embeddings.weight": "distilbert/embeddings/word_embeddings",
    "embeddings.position_embeddings.weight": "distilbert/embeddings/position_embeddings",
    "embeddings.LayerNorm.weight": "distilbert/embeddings/LayerNorm/gamma",
    "embeddings.LayerNorm.bias": "distilbert/embeddings/LayerNorm/beta",
    **{f"transformer.layer.{{n}}.{hf}.{kind}": f"distilbert/encoder/layer_{{n}}/{ours}/{tf}"
       for hf, ours in [("attention.q_lin", "attention/self/query"),
                        ("attention.k_lin", "attention/self/key"),
                        ("attention.v_lin", "attention/self/value"),
                        ("attention.out_lin", "attention/output/dense"),
                        ("ffn.lin1", "intermediate/dense"),
                        ("ffn.lin2", "output/dense")]
       for kind, tf in [("weight", "kernel"), ("bias", "bias")]},
    **{f"transformer.layer.{{n}}.{hf}.{kind}": f"distilbert/encoder/layer_{{n}}/{ours}/{tf}"
       for hf, ours in [("sa_layer_norm", "attention/output/LayerNorm"),
                        ("output_layer_norm", "output/LayerNorm")]
       for kind, tf in [("weight", "gamma"), ("bias", "beta")]},
}
# torch.nn.Linear stores weight as [out, in]; the canonical kernels are [in, out].
HF_TRANSPOSED = ("q_lin.weight", "k_lin.weight", "v_lin.weight", "out_lin.weight",
                 "lin1.weight", "lin2.weight")


def hf_config(c: dict) -> BertConfig:
  """A DistilBertConfig's config.json -> BertConfig (its own keys: dim, n_layers, n_heads,
  hidden_dim, activation, dropout, attention_dropout)."""
  act = c.get("activation", "gelu")
  if act not in HF_ACTIVATIONS:
    raise ConfigError(f"DistilBERT activation {act!r} is not one of {sorted(HF_ACTIVATIONS)}")
  return BertConfig(
      family="distilbert", vocab_size=c["vocab_size"], hidden_size=c.get("dim", 768),
      num_hidden_layers=c.get("n_layers", 6), num_attention_heads=c.get("n_heads", 12),
      intermediate_size=c.get("hidden_dim", 3072), hidden_act=HF_ACTIVATIONS[act],
      hidden_dropout_prob=c.get("dropout", 0.1),
      attention_probs_dropout_prob=c.get("attention_dropout", 0.1),
      max_position_embeddings=c.get("max_position_embeddings", 512), type_vocab_size=1,
      initializer_range=c.get("initializer_range", 0.02))


# hub_repro's activation names -> DistilBertConfig's `activation` (transformers' ACT2FN names).
HF_ACTIVATION_NAMES = {"gelu": "gelu_new", "gelu_exact": "gelu", "relu": "relu", "tanh": "tanh"}


def hf_config_kwargs(config: BertConfig) -> dict:
  """DistilBertConfig's own names of what BertConfig's names (hidden_size, num_hidden_layers,
  num_attention_heads: its attribute_map) do not reach."""
  return {"hidden_dim": config.intermediate_size,
          "activation": HF_ACTIVATION_NAMES[config.hidden_act],
          "dropout": config.hidden_dropout_prob,
          "attention_dropout": config.attention_probs_dropout_prob}


HUGGING_FACE = formats.HuggingFace(
    "distilbert", "DistilBertModel", HF_TO_DISTILBERT, HF_TRANSPOSED, None,
    config_kwargs=hf_config_kwargs, vocab_files=("vocab.txt", "tokenizer.json"),
    token_types=False, from_config=hf_config)

# Canonical name -> DistilBertBackbone weight path: BertBackbone's layers (keras-hub's
# TransformerEncoder), its embeddings in one TokenAndPositionEmbedding layer.
DISTILBERT_TO_KERAS_HUB = {
    "distilbert/embeddings/word_embeddings":
        "token_and_position_embedding/token_embedding/embeddings",
    "distilbert/embeddings/position_embeddings":
        "token_and_position_embedding/position_embedding/embeddings",
    "distilbert/embeddings/LayerNorm/gamma": "embeddings_layer_norm/gamma",
    "distilbert/embeddings/LayerNorm/beta": "embeddings_layer_norm/beta",
    **{k.replace("bert/", "distilbert/", 1): v for k, v in bert.BERT_TO_KERAS_HUB.items()
       if k.startswith("bert/encoder/")},
}


def keras_hub_kwargs(config: BertConfig) -> dict:
  return dict(vocabulary_size=config.vocab_size, num_layers=config.num_hidden_layers,
              num_heads=config.num_attention_heads, hidden_dim=config.hidden_size,
              intermediate_dim=config.intermediate_size, dropout=config.hidden_dropout_prob,
              max_sequence_length=config.max_position_embeddings)


def keras_hub_config(c: dict) -> dict:
  return dict(family="distilbert", vocab_size=c["vocabulary_size"], hidden_size=c["hidden_dim"],
              num_hidden_layers=c["num_layers"], num_attention_heads=c["num_heads"],
              intermediate_size=c["intermediate_dim"],
              max_position_embeddings=c["max_sequence_length"], type_vocab_size=1,
              hidden_dropout_prob=c.get("dropout", 0.1),
              attention_probs_dropout_prob=c.get("dropout", 0.1))


KERAS_HUB = formats.KerasHub(
    "DistilBertBackbone", DISTILBERT_TO_KERAS_HUB, keras_hub_kwargs, keras_hub_config,
    lambda config: [(f"transformer_layer_{n}", 0) for n in range(config.num_hidden_layers)],
    converts_hf=True,
    # DistilBertBackbone's TransformerEncoder(activation="gelu"): Keras' gelu, the erf form.
    activation="gelu_exact", segment_ids=False, pooled=False)

# [CLS] A [SEP] B [SEP], every segment id 0: DistilBertModel takes no token types.
PACKING = formats.Packing(segment_ids=False)
GOOGLE_RELEASE = None
TF1_HUB = None
MODEL_GARDEN = None
