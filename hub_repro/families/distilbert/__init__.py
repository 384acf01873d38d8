"""DistilBERT: transformers' modeling_distilbert.py rebuilt over BERT's layer, and its names."""
