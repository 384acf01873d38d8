"""Benchmarks of hub_repro: every figure is a ratio measured in one process on the same inputs.

    python -m benchmarks [--quick | --smoke] [--only SECTION,...] [--json PATH]   (repo root)

Sections (--only): overhead, throughput, rss, runs (the embedded module); throughput_base,
full_overhead, rss_512, bucketing (BERT-base, issue 14); diff_base, crosscheck_base, verdict_base
(BERT-base, issue 21). The machine record names the CPU (family and model numbers included), its
widest ISA and oneDNN on/off. rss and rss_512, whose figures are peak RSS of child processes,
run side by side when both are selected.

- overhead_ratio: the harness (hub_repro.compare.check, tokenization included) over a bare forward
  pass of the module on the same packed batches (target <= 1.05).
- throughput_vs_keras_hub / throughput_vs_transformers: sequences/s of the embedded module called
  through tensorflow_hub over keras-hub's BertBackbone (its fastest variant) / Hugging Face's
  BertModel, on the same weights and inputs (target >= 1.0).
- rss_ratio_10k_vs_100: peak RSS of the harness on 10,000 sentences over 100 (target <= 1.2).
- warm_run_s, cold_run_s: `python -m hub_repro` end to end, with the embedded module cached and with
  a fresh cache (so the export is included), for the record.

At BERT-base size (L-12 H-768 A-12, 512 positions, random weights: benchmarks.bert_base, built once
into $HUB_REPRO_CACHE/bench/):
- full_overhead_ratio: `--full` (the check and the whole-encoder rebuild, in-process through
  benchmarks.child.run_harness) over ONE bare forward pass on the same batches (target <= 2.2).
- rss_full_vs_check_512: peak RSS of `--full` over the plain check, each in its own process, at
  max_seq_length 512 on paragraphs that fill all 512 positions (target <= 1.5).
- bucketing_speedup: a 2,000-line (--quick: 1,000) natural-length file (singles and pairs mixed), every example
  padded to 128 over length bucketing, compare.check(bucket=False / True) (target >= 2.5).
- throughput_vs_keras_hub_base / throughput_vs_transformers_base: the module's forward at 32 x 128
  over keras-hub's BertBackbone (fastest variant) / transformers' BertModel, same weights (>= 1.0).
- matmul_peak_fraction_base: the module forward's matmul FLOP/s over this machine's fp32 GEMM rate
  on BERT-base's own dense shapes, measured in the same run; the JSON times each kind of op to
  show what limits it.
- diff_overhead_ratio_base: `diff` of the BERT-base TF1 module against its TF2 export (the same
  function) over the two bare forward passes on diff's batches, both loaded once (target <= 1.2);
  diff_rss_vs_bare_base (full run): diff's peak RSS over the larger bare forward run, each in its
  own process (reported, no target).
- crosscheck_overhead_ratio_base: `crosscheck` over the sum of each implementation's bare forward
  on the same batches, best of 2 interleaved runs each (3 in the full mode); each crosscheck
  builds its peers anew (target <= 1.2).
- time_to_verdict_ratio_base: `python -m hub_repro --handle BASE SENTENCE`, process start to
  verdict, over a script doing hub.load + one call (target <= 1.1).
Each section starts with the garbage of the ones before it collected (gc.collect(), untimed).
Figures that a cap stopped are lower bounds, shown ">=" and listed in the JSON's "lower_bounds".
"""
