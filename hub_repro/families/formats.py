"""What a family tells each format: its classes there and the table of its names.

A family's `names` module (hub_repro/families/<family>/names.py) gives one of these per format it
ships in, as keras-hub keeps convert_bert.py, convert_albert.py and convert_electra.py side by side.
A format module (hub_repro/sources/...) asks the registry (hub_repro.families) which family a
folder holds and reads these; it never branches on a family's name.

Name tables map a format's names onto the family's checkpoint names (Google's, as its modeling.py
reads them); `{n}` is a layer, ALBERT's `{g}` a group and `{i}` an inner group (naming.expand).
"""

from __future__ import annotations

import dataclasses
from typing import Callable


@dataclasses.dataclass(frozen=True)
class Packing:
  """How the family packs one sentence or a pair into ids (tokenization.pack_segments):
  `start A sep` and `start A sep [sep] B sep`, padded with `pad`."""
  start: str = "[CLS]"  # the first token, whose final state is the [CLS] state
  sep: str = "[SEP]"  # ends each segment
  pad: str = "[PAD]"  # fills the sequence after the last segment
  # True: a pair is `start A sep sep B sep` (RoBERTa's `<s> A </s></s> B </s>`).
  double_sep: bool = False
  # False: every token has segment id 0 (RoBERTa: one token type); True: B's tokens have 1.
  segment_ids: bool = True
  # True: a SentencePiece model's ids as fairseq gives them (XLM-R's): `<s>` 0, `<pad>` 1, `</s>` 2,
  # `<unk>` 3, then each other piece's id + 1; the text is not lower-cased or stripped of accents.
  fairseq_ids: bool = False
  # True: a SentencePiece model's own normalizer only (DeBERTa-v3's nmt_nfkc), without ALBERT's
  # lower-casing and accent stripping first.
  own_normalizer: bool = False


BERT_PACKING = Packing()


@dataclasses.dataclass(frozen=True)
class HuggingFace:
  """transformers' model of the family (a folder's config.json `model_type`)."""
  model_type: str  # config.json's model_type
  model_class: str  # the transformers class, e.g. "BertModel"
  table: dict  # its state_dict names -> the family's checkpoint names
  transposed: tuple  # name endings stored [out, in] (torch.nn.Linear)
  pooler: tuple | None  # (weight, bias) names of its pooler, None if it has none
  config_kwargs: Callable  # BertConfig -> the family's own fields of the transformers config
  # Its tokenizer's files, in the order they are looked for (the first found is used).
  vocab_files: tuple = ("vocab.txt",)
  token_types: bool = True  # the model takes token_type_ids (DistilBERT's does not)
  # Where a folder's weights lack the pooler: True, the class makes a fresh one at load time (what
  # RobertaModel gives on roberta-base's checkpoint), and the source keeps it, marked not stored;
  # False, the model is loaded without one (add_pooling_layer=False): it has no pooled_output.
  loads_missing_pooler: bool = False
  # config.json's dict -> BertConfig; None: BertConfig.from_hf_dict (BERT's keys).
  from_config: Callable | None = None
  # BertConfig -> whether the class's pooler has no weights (MobileBertPooler with
  # classifier_activation false returns sequence_output[:, 0]): then it is kept without them.
  weightless_pooler: Callable | None = None


@dataclasses.dataclass(frozen=True)
class KerasHub:
  """keras-hub's backbone of the family (a preset's config.json `class_name`)."""
  backbone: str  # keras_hub.models class
  table: dict  # the family's checkpoint names -> keras weight paths
  to_kwargs: Callable  # BertConfig -> the backbone's constructor arguments
  from_config: Callable  # the preset's config dict -> BertConfig arguments
  layer_calls: Callable  # BertConfig -> [(layer name, call index)] of each encoder layer's output
  converts_hf: bool = False  # keras-hub's own Hugging Face converter reads the family's folders
  # The feed-forward activation the backbone hard-codes, by hub_repro's name: BertBackbone's
  # keras_utils.gelu_approximate is modeling.py's tanh "gelu".
  activation: str = "gelu"
  segment_ids: bool = True  # the backbone takes segment_ids (RobertaBackbone's does not)
  pooled: bool = True  # the backbone returns pooled_output (RobertaBackbone's does not)
  # The tokenizer's files in the preset's assets/tokenizer/, in the order they are looked for.
  vocab_files: tuple = ("vocabulary.txt", "vocabulary.spm")
  # Where the backbone keeps some of the family's weights in another layout, two hooks over the
  # family's names: from_keras(weights as the table maps them, config) -> the family's weights,
  # to_keras(the family's weights, config) -> what the table maps back. RoBERTa's: keras-hub's
  # positions skip the table's first pad_token_id + 1 rows, and it has no token type table.
  from_keras: Callable | None = None
  to_keras: Callable | None = None


@dataclasses.dataclass(frozen=True)
class ModelGarden:
  """TF Model Garden's encoder of the family, as exported to TF-Hub (TF2 SavedModels)."""
  table: dict  # Model Garden variable names -> the family's checkpoint names
  owns: Callable  # Model Garden variable names -> whether they are this family's encoder's
  # Whether the weights tell the layer count: a shared layer (ALBERT) does not, and the format
  # counts the encoder_outputs instead.
  layers_in_weights: bool = True
  # (variables by Model Garden name, hidden_act or None) -> BertConfig, where the table cannot be
  # written out before the config is known (MobileBERT's `{f}` feed-forward networks); None: the
  # table expanded over the layers found, then the family's config_from_params.
  config_from_variables: Callable | None = None
  # True: encoder_outputs starts with the embedding output, then one per layer
  # (MobileBERTEncoder's); the format leaves it out, so that encoder_outputs are the layers.
  embedding_output_first: bool = False


@dataclasses.dataclass(frozen=True)
class GoogleRelease:
  """A google-research release folder of the family (its checkpoint, config and vocab)."""
  config_file: str  # e.g. bert_config.json
  checkpoint: str  # the checkpoint prefix, e.g. bert_model.ckpt
  vocab_file: str  # vocab.txt, or the SentencePiece model


@dataclasses.dataclass(frozen=True)
class Tf1Hub:
  """A TF1 Hub module of the family (google/bert_*/1, google/albert_*/3, google/electra_*/2)."""
  # A regex over the graph's op names whose group(1) is a layer index, where the weights do not
  # tell the layer count (ALBERT's shared layer: albert's modeling.py opens a scope per layer).
  layer_scope: str | None = None
