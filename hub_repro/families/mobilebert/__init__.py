"""MobileBERT: google-research/mobilebert's bottlenecked encoder, its rebuild and its names."""
