"""Benchmarks of hub_repro: every figure is a ratio measured in one process on the same inputs.

    python -m benchmarks [--quick] [--json PATH]     (from the repo root, PYTHONPATH=.)

- overhead_ratio: the harness (hub_repro.compare.check, tokenization included) over a bare forward
  pass of the module on the same packed batches (target <= 1.05).
- throughput_vs_keras_hub / throughput_vs_transformers: sequences/s of the embedded module called
  through tensorflow_hub over keras-hub's BertBackbone (its fastest variant) / Hugging Face's
  BertModel, on the same weights and inputs (target >= 1.0).
- rss_ratio_10k_vs_100: peak RSS of the harness on 10,000 sentences over 100 (target <= 1.2).
- warm_run_s, cold_run_s: `python -m hub_repro` end to end, with the embedded module cached and with
  a fresh cache (so the export is included), for the record.
"""
