"""electra: its reference rebuild (modeling.py) and its names in every format (names.py)."""
