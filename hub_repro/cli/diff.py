"""`hub_repro diff A B`: are two models (any formats) the same function? If not, where do they
part: tokenization, config, weights or which layer (hub_repro.model_diff)."""

from __future__ import annotations

from hub_repro.cli import options
from hub_repro.cli.check import log
from hub_repro.errors import EXIT_DIFFERENT, EXIT_SAME, UsageError


def add_arguments(parser) -> None:
  """diff's own arguments; the input arguments (sentences, --text-file, --max-seq-length,
  --batch-size, --xla) come from options.input_arguments."""
  parser.description = ("Are two copies of a BERT model the same function? Compares tokenization, "
                        "config, weights and every layer's output, and names the first point "
                        "where they part.")
  parser.add_argument("--json", metavar="PATH", help="also write the comparison as JSON to PATH")
  parser.add_argument("--layers", action="store_true",
                      help="compare every layer even when the outputs agree (by default layers "
                           "are compared only to find where differing outputs part)")


def run(args) -> int:
  from hub_repro import api, report  # TensorFlow loads here, after --help could answer

  if args.preprocessor:
    raise UsageError("diff tokenizes each model with its own vocab; leave --preprocessor out")
  examples = options.read_examples(args)
  options.check_output_paths(json=args.json)
  record = api.diff(args.a, args.b, examples, max_seq_length=args.max_seq_length,
                    batch_size=args.batch_size, layers=args.layers, xla=args.xla,
                    trust_model_code=args.trust_model_code, log=log)
  print(api.render(record))
  if args.json:
    report.write_json(record, args.json)
    options.print_written([args.json])
  return EXIT_SAME if record["same"] else EXIT_DIFFERENT
