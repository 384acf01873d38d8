"""ELECTRA's names in every format it ships in, mapped onto google-research/electra's checkpoint
names (hub_repro.families.electra.modeling): Hugging Face's ElectraModel, keras-hub's
ElectraBackbone, TF Model Garden's BertEncoder with an embedding projection (TF-Hub's
google/electra_*/2) and TF1 Hub modules.
"""

from __future__ import annotations

from hub_repro.families import formats
from hub_repro.families.bert import names as bert

# ElectraModel name -> electra's checkpoint name: BertModel's under electra/, plus the projection.
HF_TO_ELECTRA = {
    **{hf: ours.replace("bert/", "electra/", 1) for hf, ours in bert.HF_TO_BERT.items()
       if not hf.startswith("pooler.")},
    "embeddings_project.weight": "electra/embeddings_project/kernel",
    "embeddings_project.bias": "electra/embeddings_project/bias",
}
ELECTRA_TRANSPOSED = tuple(t for t in bert.HF_TRANSPOSED if not t.startswith("pooler.")) + (
    "embeddings_project.weight",)


HUGGING_FACE = formats.HuggingFace(
    "electra", "ElectraModel", HF_TO_ELECTRA, ELECTRA_TRANSPOSED, None,
    config_kwargs=lambda config: {"embedding_size": config.embedding_width},
    vocab_files=("vocab.txt", "tokenizer.json"))

# ELECTRA: electra's modeling's names -> ElectraBackbone's (BertBackbone's, plus the projection;
# its pooled_dense is the pooler its modeling keeps under electra/pooler/dense).
ELECTRA_TO_KERAS_HUB = {
    **{k.replace("bert/", "electra/", 1): v for k, v in bert.BERT_TO_KERAS_HUB.items()},
    "electra/embeddings_project/kernel": "embeddings_projection/kernel",
    "electra/embeddings_project/bias": "embeddings_projection/bias",
}
KERAS_HUB = formats.KerasHub(
    "ElectraBackbone", ELECTRA_TO_KERAS_HUB,
    lambda config: {**{("vocab_size" if k == "vocabulary_size" else k): v
                       for k, v in bert.keras_hub_kwargs(config).items()},
                    "embedding_dim": config.embedding_width},
    lambda c: {**bert.keras_hub_config({**c, "vocabulary_size": c["vocab_size"]}),
               "family": "electra", "embedding_size": c["embedding_dim"]},
    lambda config: [(f"transformer_layer_{n}", 0) for n in range(config.num_hidden_layers)])

# ELECTRA (TF-Hub's google/electra_*/2: a BertEncoder with embedding_width < hidden_size): its
# projection, and the pooler TF-Hub added (identity-initialised) under electra/pooler/dense.
MODEL_GARDEN_TO_ELECTRA = {
    **{mg: ours.replace("bert/", "electra/", 1) for mg, ours in bert.MODEL_GARDEN_TO_BERT.items()},
    "embedding_projection/kernel": "electra/embeddings_project/kernel",
    "embedding_projection/bias": "electra/embeddings_project/bias",
}
MODEL_GARDEN = formats.ModelGarden(
    MODEL_GARDEN_TO_ELECTRA,
    owns=lambda names: ("transformer/layer_0/self_attention/query/kernel" in names
                        and "embedding_projection/kernel" in names))

PACKING = formats.BERT_PACKING
GOOGLE_RELEASE = None  # google-research/electra's checkpoints: not a format hub_repro reads yet
TF1_HUB = formats.Tf1Hub()
