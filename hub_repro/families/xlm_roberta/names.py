"""XLM-R's names in every format it ships in: RoBERTa's tables (hub_repro.families.roberta.names)
under the scope "xlm_roberta", for Hugging Face's XLMRobertaModel and keras-hub's
XLMRobertaBackbone.
"""

from __future__ import annotations

from hub_repro.families.roberta import names as roberta
from hub_repro.families.xlm_roberta import modeling

# tokenizer.json (fairseq's ids in a Unigram model), else the SentencePiece model itself.
HUGGING_FACE = roberta.hugging_face("xlm-roberta", "XLMRobertaModel", modeling.FAMILY,
                                    ("tokenizer.json", "sentencepiece.bpe.model"))
# keras-hub saves XLM-R's SentencePiece model as vocabulary.spm and adds fairseq's offset itself.
KERAS_HUB = roberta.keras_hub("XLMRobertaBackbone", modeling.FAMILY, ("vocabulary.spm",))
PACKING = roberta.FAIRSEQ_PACKING
MODEL_GARDEN = None
GOOGLE_RELEASE = None
TF1_HUB = None
