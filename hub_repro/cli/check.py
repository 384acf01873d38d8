"""`hub_repro check` (the default command): run a model, rebuild what explains its pooled_output
from its own weights, print the report; --full rebuilds the whole encoder."""

from __future__ import annotations

import argparse
import sys

from hub_repro.cli import options
from hub_repro.errors import EXIT_DIFFERENT, EXIT_SAME, NoPoolerError


def log(message: str) -> None:
  """Progress lines (loading, downloading) go to stderr: stdout is the report."""
  print(message, file=sys.stderr)


def add_arguments(parser: argparse.ArgumentParser) -> None:
  """check's own arguments (the input arguments come from input_arguments())."""
  parser.description = ("Show, by measurement, that BERT's pooled_output is tanh(dense("
                        "sequence_output[:, 0])) with the module's own pooler weights, and not "
                        "the [CLS] hidden state.")
  parser.add_argument("--handle", help="a TF-Hub handle (a tfhub.dev URL, an http(s) URL serving "
                      "?tf-hub-format=compressed) or a local folder of any format: TF1 Hub, TF2 "
                      "SavedModel, keras-hub preset, Hugging Face, google-research checkpoint "
                      "(default: the embedded all-MiniLM-L6-v2, offline)")
  parser.add_argument("--no-bucketing", action="store_true",
                      help="pad every example to --max-seq-length, exactly as the TF-Hub "
                           "preprocessors do (default: batches of similar length, padded to their "
                           "longest rounded up to 16; the same numbers, faster)")
  parser.add_argument("--full", action="store_true",
                      help="also rebuild the whole encoder from the module's variables and compare "
                           "sequence_output (and each layer a TF2 module exposes)")
  parser.add_argument("--num-heads", type=int,
                      help="--full: attention heads, if known (else found by the numbers)")
  parser.add_argument("--json", metavar="PATH", help="also write the numbers as JSON to PATH")
  parser.add_argument("--plot", metavar="PATH",
                      help="also save the comparison figure (as in notebooks/pooled_vs_cls) as a PNG")


def run(args) -> int:
  """The check command: the report on stdout, then one 'wrote PATH' line per file written."""
  from hub_repro import api, report  # TensorFlow loads here, after --help could answer

  examples = options.read_examples(args)
  options.check_output_paths(json=args.json, plot=args.plot)
  result = api.check(args.handle, examples, max_seq_length=args.max_seq_length,
                     batch_size=args.batch_size, preprocessor=args.preprocessor, full=args.full,
                     num_heads=args.num_heads, bucket=not args.no_bucketing, progress=None,
                     xla=args.xla, trust_model_code=args.trust_model_code, log=log)
  print(report.render(result))
  written = []
  if args.plot and result.pooled_vs_rebuilt is not None:  # nothing to draw without a rebuild
    from hub_repro import plots
    plots.save_comparison_plot(result, args.plot, result.sample_pooled_output,
                               result.sample_sequence_output)
    written.append(args.plot)
  record = result.to_json()
  reproduced = result.reproduced
  if result.full is not None:
    print()
    print(report.render_full(result.full))
    record["full"] = result.full.to_json()
    record["sequence_vs_rebuilt"] = record["full"]["sequence_vs_rebuilt"]
    reproduced = reproduced and result.full.reproduced
  if args.json:
    report.write_json(record, args.json)
    written.append(args.json)
  options.print_written(written)
  if result.verdict == "NO POOLER":  # exit 3, its one line on stderr; the candidates in the JSON
    raise NoPoolerError(result.no_pooler_message())
  return EXIT_SAME if reproduced else EXIT_DIFFERENT
