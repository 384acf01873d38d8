"""Talking-Heads BERT's names in the one format it ships in: TF Model Garden's EncoderScaffold with
TransformerScaffold layers (TF-Hub's tensorflow/talkheads_ggelu_bert_en_base/2, a TF2 SavedModel),
mapped onto the `talking_heads/...` names of hub_repro.families.talking_heads.modeling.

Keras names the scaffold's layers `transformer_scaffold`, `transformer_scaffold_1`, ...: `{n:_}` in
a table is that suffix (naming.expand). The `.mlm` head's variables live in the SavedModel's `mlm`
object, not in the encoder's `variables`, so the encoder's names never meet them.
"""

from __future__ import annotations

from hub_repro.families import formats
from hub_repro.families.talking_heads import modeling

_LAYER = "transformer_scaffold{n:_}"  # Model Garden: layer n's scope
_OURS = f"{modeling.ENCODER}/layer_{{n}}"  # modeling: layer n's scope

# Model Garden name -> the family's name.
MODEL_GARDEN_TO_TALKING_HEADS = {
    "word_embeddings/embeddings": f"{modeling.EMBEDDINGS}/word_embeddings",
    "type_embeddings/embeddings": f"{modeling.EMBEDDINGS}/token_type_embeddings",
    "position_embedding/embeddings": f"{modeling.EMBEDDINGS}/position_embeddings",
    "embeddings/layer_norm/gamma": f"{modeling.EMBEDDINGS}/LayerNorm/gamma",
    "embeddings/layer_norm/beta": f"{modeling.EMBEDDINGS}/LayerNorm/beta",
    **{f"{_LAYER}/{mg}": f"{_OURS}/{ours}" for mg, ours in {
        "self_attention/query/kernel": "attention/self/query/kernel",
        "self_attention/query/bias": "attention/self/query/bias",
        "self_attention/key/kernel": "attention/self/key/kernel",
        "self_attention/key/bias": "attention/self/key/bias",
        "self_attention/value/kernel": "attention/self/value/kernel",
        "self_attention/value/bias": "attention/self/value/bias",
        "self_attention/pre_softmax_weight": "attention/self/pre_softmax_weight",
        "self_attention/post_softmax_weight": "attention/self/post_softmax_weight",
        "self_attention/attention_output/kernel": "attention/output/dense/kernel",
        "self_attention/attention_output/bias": "attention/output/dense/bias",
        "self_attention_layer_norm/gamma": "attention/output/LayerNorm/gamma",
        "self_attention_layer_norm/beta": "attention/output/LayerNorm/beta",
        "feedforward/intermediate_0/kernel": "intermediate/dense/kernel",
        "feedforward/intermediate_0/bias": "intermediate/dense/bias",
        "feedforward/gate_0/kernel": "intermediate/gate/kernel",
        "feedforward/gate_0/bias": "intermediate/gate/bias",
        "feedforward/output_0/kernel": "output/dense/kernel",
        "feedforward/output_0/bias": "output/dense/bias",
        "feedforward/output_layer_norm_0/gamma": "output/LayerNorm/gamma",
        "feedforward/output_layer_norm_0/beta": "output/LayerNorm/beta",
    }.items()},
    "cls_transform/kernel": modeling.POOLER_KERNEL,
    "cls_transform/bias": modeling.POOLER_BIAS,
}
MODEL_GARDEN = formats.ModelGarden(
    MODEL_GARDEN_TO_TALKING_HEADS,
    owns=lambda names: "transformer_scaffold/self_attention/pre_softmax_weight" in names)

PACKING = formats.BERT_PACKING  # bert_en_uncased_preprocess: [CLS] A [SEP] B [SEP]
HUGGING_FACE = None  # transformers has no talking-heads model
KERAS_HUB = None  # nor keras-hub
GOOGLE_RELEASE = None  # released on TF-Hub only
TF1_HUB = None
