"""RoBERTa (Liu et al. 2019): BERT's encoder, byte-level BPE, positions after the pad id."""
