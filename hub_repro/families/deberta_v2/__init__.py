"""DeBERTa-v2/v3 (He et al. 2021): BERT's layers around disentangled attention over log-bucketed
relative positions."""
