"""Talking-Heads BERT: Model Garden's EncoderScaffold, talking-heads attention, gated gelu."""
