"""Build tests/fixtures/albert_spm/: a tiny SentencePiece model with ALBERT's special pieces.

The model is trained by the `sentencepiece` library itself (never by hub_repro), with the options
google-research/albert's README gives for its 30k-clean.model, scaled down:

    spm_train --input all.txt --model_prefix=30k-clean --vocab_size=30000 --logtostderr
        --pad_id=0 --unk_id=1 --eos_id=-1 --bos_id=-1
        --control_symbols=[CLS],[SEP],[MASK]
        --user_defined_symbols="(,),\\",-,.,–,£,€"
        --shuffle_input_sentence=true --input_sentence_size=10000000
        --character_coverage=0.99995 --model_type=unigram

Here: vocab_size=VOCAB_SIZE and a small lowercased English text generated below from fixed word
lists with random.Random(SEED) (no data set is downloaded). The ids of the special pieces are those
of albert's 30k-clean.model: `<pad>` 0, `<unk>` 1, `[CLS]` 2, `[SEP]` 3, `[MASK]` 4 (the script
checks them). Training runs single-threaded (num_threads=1) with a fixed input order
(shuffle_input_sentence=false), so the same sentencepiece version gives the same model bytes.

Outputs (built in a temporary folder beside the target, then renamed into place):

  albert_spm/30k-clean.model   the SentencePiece ModelProto (what albert's hub modules ship as
                               assets/30k-clean.model)
  albert_spm/30k-clean.vocab   the piece/score table spm_train writes beside it
  albert_spm/train.txt         the training text (so the training command can be re-run as is)
  albert_spm/golden.json       sentencepiece's own pieces and ids for testutil.SENTENCES
  albert_spm/README.md

Every ALBERT fixture (hf_albert, keras_hub_albert, albert_tf1, model_garden_albert) uses this model
and its vocab size.

Run from the repo root, in the project's .venv (it has sentencepiece==0.2.3):

    .venv/bin/python tests/make_albert_spm_fixture.py
"""

from __future__ import annotations

import json
import os
import random

import sentencepiece as spm

import fixture_tools

SEED = 1234
VOCAB_SIZE = 400
NUM_SENTENCES = 3000
NAME = "albert_spm"
OUT_DIR = os.path.join(fixture_tools.FIXTURES, NAME)

SPECIAL = {"<pad>": 0, "<unk>": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4}

# Word lists for the generated training text; the words of SENTENCES are all in them.
DETERMINERS = ["the", "a", "this", "that", "every", "each", "one", "some", "no", "our"]
ADJECTIVES = ["first", "last", "hidden", "pooled", "small", "large", "tiny", "old", "new", "good",
              "quick", "slow", "dense", "deep", "random", "simple", "final", "linear", "other"]
NOUNS = ["token", "output", "state", "layer", "model", "world", "test", "word", "sentence", "vector",
         "weight", "encoder", "module", "network", "question", "answer", "text", "piece", "head",
         "value", "number", "signature", "checkpoint", "pooler", "embedding", "mask", "segment",
         "batch", "table", "result", "dog", "cat", "house", "river", "city", "book", "day"]
VERBS = ["is", "was", "does", "makes", "reads", "writes", "holds", "gives", "takes", "sees",
         "finds", "keeps", "runs", "computes", "returns", "loads", "saves", "checks", "says"]
ADVERBS = ["again", "always", "often", "never", "today", "here", "there", "now", "well", "twice"]
WH = ["what", "where", "why", "how", "when", "which", "who"]
NAMES = ["cls", "sep", "albert", "bert", "electra", "hello", "tanh", "gelu"]
PUNCT = [".", ".", ".", "?", "!", ","]

# More common English words, so that a unigram vocab of VOCAB_SIZE pieces exists.
COMMON_WORDS = """
about above across after against along among around because before behind below beside between
beyond during except inside into near outside over since through toward under until upon within
without able bright broken busy careful certain clean clear close cold common correct dark early
easy empty equal false famous fast free fresh full great green happy hard heavy high honest hot
huge important kind late light little long loud low main modern narrow natural nice open plain
poor proper public quiet ready real rich right rough round safe sharp short silent smooth soft
special strange strong sudden sweet tall thick thin true usual warm weak wet white wide wild wise
wrong young yellow blue red black brown animal apple army baby bird boat body bread bridge
brother building car chair child church cloud coffee country door dream earth egg engine evening
eye face family farm father field fire fish flower food forest friend game garden girl glass gold
ground group hair hand heart hill horse hour idea island kitchen king lake land letter life line
machine man market meal minute money month morning mother mountain music name night ocean office
paper park party person picture place plant point power problem queen rain road rock room school
sea season ship shoe shop side sign sister sky snow song sound space spring star stone story
street summer sun system teacher thing thought time tree train village voice water week wind
window winter woman wood work year answer arrive begin believe bring build buy call carry catch
change choose climb come cook count cover cross cut dance decide draw drink drive drop eat enjoy
enter explain fall feel fight fill fly follow forget grow happen hear help hide hope jump know
laugh learn leave lift like listen live look lose love meet move need open order pass pay play
pull push reach remember rest ride ring rise sell send serve shake share shine show sing sit
sleep speak spend stand start stay stop study swim talk teach tell think throw touch travel try
turn understand use visit wait walk want wash watch wear win wish wonder
""".split()


def noun_phrase(rng: random.Random) -> str:
  words = [rng.choice(DETERMINERS)]
  if rng.random() < 0.6:
    words.append(rng.choice(ADJECTIVES))
  words.append(rng.choice(NOUNS))
  return " ".join(words)


def sentence(rng: random.Random) -> str:
  kind = rng.random()
  if kind < 0.15:
    text = "%s %s %s %s" % (rng.choice(WH), rng.choice(VERBS), noun_phrase(rng), rng.choice(VERBS))
  elif kind < 0.25:
    text = "%s %s (%s)" % (rng.choice(NAMES), rng.choice(NOUNS), rng.choice(NAMES))
  else:
    text = "%s %s %s" % (noun_phrase(rng), rng.choice(VERBS), noun_phrase(rng))
    if rng.random() < 0.4:
      text += " " + rng.choice(ADVERBS)
    if rng.random() < 0.2:
      text += " - %d %s" % (rng.randrange(100), rng.choice(NOUNS))
    if rng.random() < 0.7:
      text += " " + " ".join(rng.choice(COMMON_WORDS) for _ in range(rng.randrange(2, 8)))
  return (text + rng.choice(PUNCT)).lower()


def training_text() -> str:
  rng = random.Random(SEED)
  lines = [sentence(rng) for _ in range(NUM_SENTENCES)]
  for s in fixture_tools.SENTENCES:
    lines.extend([s] if isinstance(s, str) else list(s))
  lines.append("hello world, hello albert.")
  return "\n".join(lines) + "\n"


TRAIN_ARGS = dict(
    vocab_size=VOCAB_SIZE, model_type="unigram",
    pad_id=0, unk_id=1, bos_id=-1, eos_id=-1,
    control_symbols=["[CLS]", "[SEP]", "[MASK]"],
    user_defined_symbols=["(", ")", "\"", "-", ".", "–", "£", "€"],
    character_coverage=0.99995, shuffle_input_sentence=False, input_sentence_size=10000000,
    num_threads=1, seed_sentencepiece_size=100000,
)


def spm_train_command() -> str:
  parts = ["spm_train --input=train.txt --model_prefix=30k-clean"]
  for key, value in TRAIN_ARGS.items():
    if isinstance(value, list):
      value = ",".join(value)
    if "\"" in str(value):
      value = json.dumps(value, ensure_ascii=False)
    parts.append("--%s=%s" % (key, value))
  return " ".join(parts)


README = """\
# albert_spm: a tiny SentencePiece model with ALBERT's special pieces

Generated by `tests/make_albert_spm_fixture.py`; do not edit by hand. Trained by the
`sentencepiece` library ({spm_version}), not by hub_repro.

Files:

{files}

- `30k-clean.model`: unigram SentencePiece model, {vocab_size} pieces, named like albert's
  `30k-clean.model` and with the same special pieces and ids:
  `<pad>` 0 (pad_id), `<unk>` 1 (unk_id), `[CLS]` 2, `[SEP]` 3, `[MASK]` 4 (control symbols);
  no bos/eos. User-defined pieces as in albert's command: `( ) " - . – £ €`. Normalizer: the default
  `nmt_nfkc`. SentencePiece itself does not lowercase: the training text is lowercased, and
  ALBERT's tokenizers lowercase before `EncodeAsPieces` (`do_lower_case=True`).
- `30k-clean.vocab`: the piece/score table written by training.
- `train.txt`: the training text, {num_lines} lowercased English lines generated from fixed word
  lists with `random.Random({seed})` (plus testutil.SENTENCES).
- `golden.json`: pieces and ids sentencepiece gives for testutil.SENTENCES (lowercased).

Training (what the script runs through `SentencePieceTrainer.train`; the same options with the
`spm_train` binary):

    {command}

This follows google-research/albert's README command for 30k-clean.model (vocab 30000,
`--pad_id=0 --unk_id=1 --eos_id=-1 --bos_id=-1 --control_symbols=[CLS],[SEP],[MASK]`,
`--user_defined_symbols="(,),\\",-,.,–,£,€"`, `--character_coverage=0.99995`,
`--model_type=unigram`), with a small vocab, a fixed input order (no shuffling) and one thread so the
model bytes are reproducible.

All ALBERT fixtures (`hf_albert`, `keras_hub_albert`, `albert_tf1`, `model_garden_albert`) use this
model; their vocab size is {vocab_size}.

Regenerate (from the repo root):

    .venv/bin/python tests/make_albert_spm_fixture.py

Generated with: {versions}.
"""


def main() -> None:
  vers = fixture_tools.versions(["sentencepiece"])
  with fixture_tools.staged_folder(OUT_DIR) as work:
    text = training_text()
    fixture_tools.write_text(os.path.join(work, "train.txt"), text)
    # Relative paths from inside the folder: the trainer spec stored in the model keeps `input`
    # and `model_prefix` as given ("train.txt", "30k-clean"), and no path of this machine.
    cwd = os.getcwd()
    os.chdir(work)
    try:
      spm.SentencePieceTrainer.train(input="train.txt", model_prefix="30k-clean", minloglevel=2,
                                     **TRAIN_ARGS)
    finally:
      os.chdir(cwd)

    sp = spm.SentencePieceProcessor(model_file=os.path.join(work, "30k-clean.model"))
    if sp.get_piece_size() != VOCAB_SIZE:
      raise RuntimeError(f"trained {sp.get_piece_size()} pieces, expected {VOCAB_SIZE}")
    for piece, expected in SPECIAL.items():
      if sp.piece_to_id(piece) != expected:
        raise RuntimeError(f"{piece} has id {sp.piece_to_id(piece)}, expected {expected}")
    if not (sp.pad_id(), sp.unk_id(), sp.bos_id(), sp.eos_id()) == (0, 1, -1, -1):
      raise RuntimeError("pad/unk/bos/eos ids are not 0/1/-1/-1")
    if not all(sp.is_control(i) for i in (0, 2, 3, 4)) or not sp.is_unknown(1):
      raise RuntimeError("<pad>, [CLS], [SEP], [MASK] must be control pieces, <unk> unknown")

    texts = []
    for s in fixture_tools.SENTENCES:
      texts.extend([s] if isinstance(s, str) else list(s))
    golden = {
        "schema": {
            "framework": "sentencepiece SentencePieceProcessor(model_file=30k-clean.model)",
            "texts": "testutil.SENTENCES flattened (the pair's two texts one after the other), "
                     "lowercased",
            "pieces": "sp.encode(text.lower(), out_type=str)",
            "ids": "sp.encode(text.lower())",
        },
        "vocab_size": VOCAB_SIZE,
        "special_ids": SPECIAL,
        "train_args": TRAIN_ARGS,
        "texts": texts,
        "pieces": [sp.encode(t.lower(), out_type=str) for t in texts],
        "ids": [sp.encode(t.lower()) for t in texts],
        "versions": vers,
    }
    fixture_tools.write_json(os.path.join(work, "golden.json"), golden, ensure_ascii=False)
    fixture_tools.write_text(os.path.join(work, "README.md"), README.format(
        spm_version=vers["sentencepiece"], files=fixture_tools.file_rows(work, 18),
        vocab_size=VOCAB_SIZE, seed=SEED, num_lines=text.count("\n"),
        command=spm_train_command(), versions=fixture_tools.versions_line(vers)))
    fixture_tools.check_no_paths(work, NAME)

  fixture_tools.print_listing(OUT_DIR, 18)
  for t, p in zip(golden["texts"], golden["pieces"]):
    print("  %-35r %s" % (t, p))


if __name__ == "__main__":
  main()
