"""hub_repro's benchmarks: every figure is a ratio of two runs timed in one process on the same
inputs, interleaved, each side's best wall time (benchmarks.timing).

    python -m benchmarks [--quick | --smoke] [--only SECTION,...] [--json PATH] [--markdown]

One module per section, each `measure(settings) -> dict` and its `METRICS`; run.py runs them in
order, scores each metric against run.TARGETS and renders the table (text, or Markdown for
docs/benchmarks.md). The model runs as loaded unless a figure says --xla; each target compares
hub_repro with the module's own bare forward pass, and keras-hub like with like:

  overhead     overhead_ratio              check / bare forward, embedded module          <= 1.05
  bucketing    bucketing_speedup           check padded / check bucketed, natural lines   >= 2.5
  rss          rss_ratio_10k_vs_100        peak RSS, 10,000 sentences / 100               <= 1.2
  xla_rebuild  rebuild_xla_speedup         the modeling.py rebuild, plain / XLA           reported
  throughput   throughput_vs_keras_hub     keras-hub tf.function / module as loaded       >= 0.95
               throughput_vs_keras_hub_xla keras-hub jit_compile / module --xla           >= 0.95
               throughput_vs_transformers  transformers (eager torch) / module as loaded  reported
               module_xla_speedup          module as loaded / module --xla                reported
  full         full_overhead_ratio         check --full / one bare forward                <= 2.2
  diff         diff_overhead_ratio         diff TF1 vs twin / both bare forwards          <= 1.2
  crosscheck   crosscheck_overhead_ratio   crosscheck / every implementation's forward    <= 1.2
  verdict      time_to_verdict_ratio       python -m hub_repro / hub.load + one call      <= 1.1

throughput, full, diff, crosscheck and verdict run a module of BERT-base's exact shape with random
weights (benchmarks.bert_base, built once into $HUB_REPRO_CACHE/bench/); the others, and all of
them under --smoke, the embedded all-MiniLM-L6-v2 module (benchmarks.models).
"""
