"""hub_repro: shows by measurement that BERT's pooled_output on TF-Hub is modeling.py's pooler,
tanh(dense(sequence_output[:, 0])) with the module's own weights, and not the [CLS] hidden state.

text -> tokenization -> source (any format, hub_repro.sources; any family, hub_repro.families:
BERT, ALBERT, ELECTRA) -> compare (pooler; with --full the whole encoder rebuilt by the family's
modeling, full) -> report; diff compares two sources stage by stage. See README.md.
"""

__version__ = "0.1.0"
