"""XLM-R (Conneau et al. 2019): RoBERTa's encoder over a SentencePiece vocabulary."""
