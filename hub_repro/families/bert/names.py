"""BERT's names in every format it ships in, mapped onto google-research/bert's checkpoint names
(the ones modeling.py reads): Hugging Face's BertModel, keras-hub's BertBackbone, TF Model Garden's
BertEncoder (TF-Hub's TF2 SavedModels), Google's release folders and TF1 Hub modules.

ALBERT's and ELECTRA's tables start from these: their layers are BERT's under other scopes.
"""

from __future__ import annotations

from hub_repro.config import BertConfig
from hub_repro.families import formats

# Hugging Face BertModel name -> modeling.py name. `{n}` is the layer index.
HF_TO_BERT = {
    "embeddings.word_embeddings.weight": "bert/embeddings/word_embeddings",
    "embeddings.token_type_embeddings.weight": "bert/embeddings/token_type_embeddings",
    "embeddings.position_embeddings.weight": "bert/embeddings/position_embeddings",
    "embeddings.LayerNorm.weight": "bert/embeddings/LayerNorm/gamma",
    "embeddings.LayerNorm.bias": "bert/embeddings/LayerNorm/beta",
    "encoder.layer.{n}.attention.self.query.weight": "bert/encoder/layer_{n}/attention/self/query/kernel",
    "encoder.layer.{n}.attention.self.query.bias": "bert/encoder/layer_{n}/attention/self/query/bias",
    "encoder.layer.{n}.attention.self.key.weight": "bert/encoder/layer_{n}/attention/self/key/kernel",
    "encoder.layer.{n}.attention.self.key.bias": "bert/encoder/layer_{n}/attention/self/key/bias",
    "encoder.layer.{n}.attention.self.value.weight": "bert/encoder/layer_{n}/attention/self/value/kernel",
    "encoder.layer.{n}.attention.self.value.bias": "bert/encoder/layer_{n}/attention/self/value/bias",
    "encoder.layer.{n}.attention.output.dense.weight": "bert/encoder/layer_{n}/attention/output/dense/kernel",
    "encoder.layer.{n}.attention.output.dense.bias": "bert/encoder/layer_{n}/attention/output/dense/bias",
    "encoder.layer.{n}.attention.output.LayerNorm.weight": "bert/encoder/layer_{n}/attention/output/LayerNorm/gamma",
    "encoder.layer.{n}.attention.output.LayerNorm.bias": "bert/encoder/layer_{n}/attention/output/LayerNorm/beta",
    "encoder.layer.{n}.intermediate.dense.weight": "bert/encoder/layer_{n}/intermediate/dense/kernel",
    "encoder.layer.{n}.intermediate.dense.bias": "bert/encoder/layer_{n}/intermediate/dense/bias",
    "encoder.layer.{n}.output.dense.weight": "bert/encoder/layer_{n}/output/dense/kernel",
    "encoder.layer.{n}.output.dense.bias": "bert/encoder/layer_{n}/output/dense/bias",
    "encoder.layer.{n}.output.LayerNorm.weight": "bert/encoder/layer_{n}/output/LayerNorm/gamma",
    "encoder.layer.{n}.output.LayerNorm.bias": "bert/encoder/layer_{n}/output/LayerNorm/beta",
    "pooler.dense.weight": "bert/pooler/dense/kernel",
    "pooler.dense.bias": "bert/pooler/dense/bias",
}
# torch.nn.Linear stores weight as [out, in]; tf.layers.dense's kernel is [in, out].
HF_TRANSPOSED = (
    "attention.self.query.weight", "attention.self.key.weight", "attention.self.value.weight",
    "attention.output.dense.weight", "intermediate.dense.weight", "output.dense.weight",
    "pooler.dense.weight",
)
HUGGING_FACE = formats.HuggingFace(
    "bert", "BertModel", HF_TO_BERT, HF_TRANSPOSED, ("pooler.dense.weight", "pooler.dense.bias"),
    config_kwargs=lambda config: {}, vocab_files=("vocab.txt", "tokenizer.json"))

# modeling.py name -> keras-hub BertBackbone weight path (`keras.Variable.path`); `{n}` is the layer.
BERT_TO_KERAS_HUB = {
    "bert/embeddings/word_embeddings": "token_embedding/embeddings",
    "bert/embeddings/token_type_embeddings": "segment_embedding/embeddings",
    "bert/embeddings/position_embeddings": "position_embedding/embeddings",
    "bert/embeddings/LayerNorm/gamma": "embeddings_layer_norm/gamma",
    "bert/embeddings/LayerNorm/beta": "embeddings_layer_norm/beta",
    "bert/encoder/layer_{n}/attention/self/query/kernel": "transformer_layer_{n}/self_attention_layer/query/kernel",
    "bert/encoder/layer_{n}/attention/self/query/bias": "transformer_layer_{n}/self_attention_layer/query/bias",
    "bert/encoder/layer_{n}/attention/self/key/kernel": "transformer_layer_{n}/self_attention_layer/key/kernel",
    "bert/encoder/layer_{n}/attention/self/key/bias": "transformer_layer_{n}/self_attention_layer/key/bias",
    "bert/encoder/layer_{n}/attention/self/value/kernel": "transformer_layer_{n}/self_attention_layer/value/kernel",
    "bert/encoder/layer_{n}/attention/self/value/bias": "transformer_layer_{n}/self_attention_layer/value/bias",
    "bert/encoder/layer_{n}/attention/output/dense/kernel": "transformer_layer_{n}/self_attention_layer/attention_output/kernel",
    "bert/encoder/layer_{n}/attention/output/dense/bias": "transformer_layer_{n}/self_attention_layer/attention_output/bias",
    "bert/encoder/layer_{n}/attention/output/LayerNorm/gamma": "transformer_layer_{n}/self_attention_layer_norm/gamma",
    "bert/encoder/layer_{n}/attention/output/LayerNorm/beta": "transformer_layer_{n}/self_attention_layer_norm/beta",
    "bert/encoder/layer_{n}/intermediate/dense/kernel": "transformer_layer_{n}/feedforward_intermediate_dense/kernel",
    "bert/encoder/layer_{n}/intermediate/dense/bias": "transformer_layer_{n}/feedforward_intermediate_dense/bias",
    "bert/encoder/layer_{n}/output/dense/kernel": "transformer_layer_{n}/feedforward_output_dense/kernel",
    "bert/encoder/layer_{n}/output/dense/bias": "transformer_layer_{n}/feedforward_output_dense/bias",
    "bert/encoder/layer_{n}/output/LayerNorm/gamma": "transformer_layer_{n}/feedforward_layer_norm/gamma",
    "bert/encoder/layer_{n}/output/LayerNorm/beta": "transformer_layer_{n}/feedforward_layer_norm/beta",
    "bert/pooler/dense/kernel": "pooled_dense/kernel",
    "bert/pooler/dense/bias": "pooled_dense/bias",
}
def keras_hub_kwargs(config: BertConfig) -> dict:
  return dict(vocabulary_size=config.vocab_size, num_layers=config.num_hidden_layers,
              num_heads=config.num_attention_heads, hidden_dim=config.hidden_size,
              intermediate_dim=config.intermediate_size, dropout=config.hidden_dropout_prob,
              max_sequence_length=config.max_position_embeddings,
              num_segments=config.type_vocab_size)


def keras_hub_config(c: dict) -> dict:
  return dict(vocab_size=c["vocabulary_size"], hidden_size=c["hidden_dim"],
              num_hidden_layers=c["num_layers"], num_attention_heads=c["num_heads"],
              intermediate_size=c["intermediate_dim"],
              max_position_embeddings=c["max_sequence_length"], type_vocab_size=c["num_segments"],
              hidden_dropout_prob=c.get("dropout", 0.1),
              attention_probs_dropout_prob=c.get("dropout", 0.1))


KERAS_HUB = formats.KerasHub(
    "BertBackbone", BERT_TO_KERAS_HUB, keras_hub_kwargs, keras_hub_config,
    lambda config: [(f"transformer_layer_{n}", 0) for n in range(config.num_hidden_layers)],
    converts_hf=True)

# Model Garden name -> modeling.py name. `{n}` is the layer index.
MODEL_GARDEN_TO_BERT = {
    "word_embeddings/embeddings": "bert/embeddings/word_embeddings",
    "type_embeddings/embeddings": "bert/embeddings/token_type_embeddings",
    "position_embedding/embeddings": "bert/embeddings/position_embeddings",
    "embeddings/layer_norm/gamma": "bert/embeddings/LayerNorm/gamma",
    "embeddings/layer_norm/beta": "bert/embeddings/LayerNorm/beta",
    "transformer/layer_{n}/self_attention/query/kernel": "bert/encoder/layer_{n}/attention/self/query/kernel",
    "transformer/layer_{n}/self_attention/query/bias": "bert/encoder/layer_{n}/attention/self/query/bias",
    "transformer/layer_{n}/self_attention/key/kernel": "bert/encoder/layer_{n}/attention/self/key/kernel",
    "transformer/layer_{n}/self_attention/key/bias": "bert/encoder/layer_{n}/attention/self/key/bias",
    "transformer/layer_{n}/self_attention/value/kernel": "bert/encoder/layer_{n}/attention/self/value/kernel",
    "transformer/layer_{n}/self_attention/value/bias": "bert/encoder/layer_{n}/attention/self/value/bias",
    "transformer/layer_{n}/self_attention/attention_output/kernel": "bert/encoder/layer_{n}/attention/output/dense/kernel",
    "transformer/layer_{n}/self_attention/attention_output/bias": "bert/encoder/layer_{n}/attention/output/dense/bias",
    "transformer/layer_{n}/self_attention_layer_norm/gamma": "bert/encoder/layer_{n}/attention/output/LayerNorm/gamma",
    "transformer/layer_{n}/self_attention_layer_norm/beta": "bert/encoder/layer_{n}/attention/output/LayerNorm/beta",
    "transformer/layer_{n}/intermediate/kernel": "bert/encoder/layer_{n}/intermediate/dense/kernel",
    "transformer/layer_{n}/intermediate/bias": "bert/encoder/layer_{n}/intermediate/dense/bias",
    "transformer/layer_{n}/output/kernel": "bert/encoder/layer_{n}/output/dense/kernel",
    "transformer/layer_{n}/output/bias": "bert/encoder/layer_{n}/output/dense/bias",
    "transformer/layer_{n}/output_layer_norm/gamma": "bert/encoder/layer_{n}/output/LayerNorm/gamma",
    "transformer/layer_{n}/output_layer_norm/beta": "bert/encoder/layer_{n}/output/LayerNorm/beta",
    "pooler_transform/kernel": "bert/pooler/dense/kernel",
    "pooler_transform/bias": "bert/pooler/dense/bias",
}
MODEL_GARDEN = formats.ModelGarden(
    MODEL_GARDEN_TO_BERT,
    owns=lambda names: ("transformer/layer_0/self_attention/query/kernel" in names
                        and "embedding_projection/kernel" not in names))

PACKING = formats.BERT_PACKING  # [CLS] A [SEP] B [SEP], segment ids 0 then 1
GOOGLE_RELEASE = formats.GoogleRelease("bert_config.json", "bert_model.ckpt", "vocab.txt")
TF1_HUB = formats.Tf1Hub()
