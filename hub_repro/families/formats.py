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


@dataclasses.dataclass(frozen=True)
class KerasHub:
  """keras-hub's backbone of the family (a preset's config.json `class_name`)."""
  backbone: str  # keras_hub.models class
  table: dict  # the family's checkpoint names -> keras weight paths
  to_kwargs: Callable  # BertConfig -> the backbone's constructor arguments
  from_config: Callable  # the preset's config dict -> BertConfig arguments
  layer_calls: Callable  # BertConfig -> [(layer name, call index)] of each encoder layer's output
  converts_hf: bool = False  # keras-hub's own Hugging Face converter reads the family's folders


@dataclasses.dataclass(frozen=True)
class ModelGarden:
  """TF Model Garden's encoder of the family, as exported to TF-Hub (TF2 SavedModels)."""
  table: dict  # Model Garden variable names -> the family's checkpoint names
  owns: Callable  # Model Garden variable names -> whether they are this family's encoder's
  # Whether the weights tell the layer count: a shared layer (ALBERT) does not, and the format
  # counts the encoder_outputs instead.
  layers_in_weights: bool = True


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
