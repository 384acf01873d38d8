"""`hub_repro crosscheck`: run the model and independent implementations (keras-hub, transformers,
the modeling.py rebuild) on the same weights and inputs, and compare their outputs
(hub_repro.crosscheck)."""

from __future__ import annotations

import argparse

from hub_repro.cli import options
from hub_repro.cli.check import log
from hub_repro.errors import EXIT_DIFFERENT, EXIT_SAME, UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
  """crosscheck's own arguments, on the subparser hub_repro.cli makes (which adds the shared input
  arguments: sentences, --text-file, --preprocessor, --max-seq-length, --batch-size; and --debug)."""
  parser.description = ("Run the module, keras-hub's BertBackbone and (if torch is installed) "
                        "Hugging Face's BertModel on the same weights and inputs, and compare "
                        "their outputs.")
  parser.add_argument("--handle", help="a TF-Hub handle or a local folder of any format (default: "
                      "the embedded all-MiniLM-L6-v2)")
  parser.add_argument("--num-heads", type=int, help="attention heads of the module (TF1 modules "
                      "do not store it; default: the config, else hidden_size // 64)")
  parser.add_argument("--hidden-act", choices=["gelu", "gelu_exact"],
                      help="the module's gelu: 'gelu' = tanh approximation (modeling.py), "
                      "'gelu_exact' = erf (Hugging Face 'gelu'); default: the config, else 'gelu'")
  parser.add_argument("--config", metavar="PATH", help="the module's bert_config.json, if known")
  parser.add_argument("--json", metavar="PATH", help="also write the rows as JSON to PATH")


def run(args) -> int:
  """The crosscheck command: the table on stdout, 0 if every implementation agrees, else 1."""
  from hub_repro import api, crosscheck, report  # TensorFlow loads here, after --help could answer
  from hub_repro.config import BertConfig

  examples = options.read_examples(args, default=None)
  options.check_output_paths(json=args.json)
  if args.num_heads is not None and args.num_heads < 1:
    raise UsageError(f"--num-heads {args.num_heads} must be at least 1")
  config = BertConfig.from_json_file(args.config) if args.config else None
  rows = api.crosscheck(args.handle, examples, max_seq_length=args.max_seq_length,
                        num_heads=args.num_heads, hidden_act=args.hidden_act, config=config,
                        batch_size=args.batch_size, preprocessor=args.preprocessor, xla=args.xla,
                        trust_model_code=args.trust_model_code, log=log)
  print(crosscheck.render(rows))
  code = EXIT_SAME if crosscheck.agrees(rows) else EXIT_DIFFERENT
  print("\nVerdict: " + ("every implementation agrees within its tolerance" if code == EXIT_SAME
                         else "an implementation DISAGREES beyond its tolerance"))
  if args.json:
    report.write_json({"rows": rows, "exit_code": code}, args.json)
    options.print_written([args.json])
  return code
