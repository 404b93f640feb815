"""Command-line actions of the summarisation family."""

import sys

from gallery import cards
from gallery.arguments import config_from_args, export_folder
from gallery.errors import UserError
from gallery.summarization.config import (
    HEADLINE_ARCHITECTURES,
    KINDS,
    METHODS,
    SummarizationConfig,
)

DATASETS = ("bbc", "ria", "gazeta", "ru_news", "cnn_dailymail", "xsum")


def add_arguments(action, parser):
    defaults = SummarizationConfig()
    if action in ("train", "evaluate", "bench"):
        parser.add_argument("--dataset", choices=DATASETS, default=defaults.dataset)
        parser.add_argument("--data-dir", help="local copy: BBC folder or .tar.gz, RIA/Gazeta .jsonl file or folder, "
                                                   "ru_news_headlines.jsonl.gz or its folder")
        parser.add_argument("--limit", type=int, help="use at most this many documents per split")
    if action in ("train", "evaluate", "predict", "bench"):
        parser.add_argument("--kind", "--mode", dest="kind", choices=KINDS, default=defaults.kind,
                            help="summary (extractive) or headline")
    if action == "train":
        parser.add_argument("--out", help="output folder (default models/summarization/DATASET_KIND)")
        parser.add_argument("--arch", choices=HEADLINE_ARCHITECTURES, default=defaults.arch,
                            help="headlines: abstractive copy Transformer, or the compressive tagger (the best phrase)")
        for field in ("vocab_size", "dim", "epochs", "batch_size", "seed"):
            parser.add_argument(f"--{field.replace('_', '-')}", type=int, default=getattr(defaults, field))
        parser.add_argument("--members", type=int, default=defaults.members,
                            help="compressive headlines: train this many taggers side by side and average them")
        for field in ("learning_rate", "weight_decay"):
            parser.add_argument(f"--{field.replace('_', '-')}", type=float, default=getattr(defaults, field))
        parser.add_argument("--include-validation", action="store_true",
                            help="the final fit, once settings are chosen: train on train + validation, monitor nothing")
        parser.add_argument("--no-evaluate", action="store_true", help="skip the test-split evaluation at the end")
    if action in ("evaluate", "export", "bench"):
        parser.add_argument("--model", help="model folder (default: the shipped model of --kind)")
    if action == "evaluate":
        parser.add_argument("--split", default="test", choices=("test", "validation", "train"))
        parser.add_argument("--choose-decoding", action="store_true",
                            help="headline taggers: choose the phrase settings with the best ROUGE-1 on --split "
                                 "validation and write them into the card (run before the test evaluation)")
    if action == "predict":
        parser.add_argument("file", help="a UTF-8 text file, or - for standard input")
        parser.add_argument("--method", choices=METHODS["headline"],
                            help="neural: the best shipped model (headlines: the compressive tagger, English and Russian); "
                                 "abstractive: the copy Transformer (headlines only); default: neural where a "
                                 "model for the text's language is shipped, else TextRank summaries, Lead headlines")
        parser.add_argument("--model", help="model folder (default: the shipped model for the text's language)")


def train(args, command):
    from gallery.summarization.train import train as run_training

    config = config_from_args(SummarizationConfig, args)
    out = run_training(config, command)
    result = {"model": str(out)}
    if not args.no_evaluate:
        from gallery.summarization.evaluate import evaluate_model

        result["evaluation"] = evaluate_model(
            out, config.dataset, config.data_dir, "test", kind=config.kind, limit=config.limit,
            command=f"python -m gallery evaluate summarization --kind {config.kind} --model {out} "
                    f"--dataset {config.dataset}" + (f" --data-dir {config.data_dir}" if config.data_dir else "")
                    + (f" --limit {config.limit}" if config.limit else ""))
    return result


def evaluate(args, command):
    from gallery.summarization.evaluate import choose_decoding, evaluate_model, print_report
    from gallery.summarization.predict import default_model

    if args.choose_decoding:
        if args.split == "test":
            raise UserError("Choose decoding settings on --split validation (or train), never on the test split.")
        return choose_decoding(args.model or default_model("headline", "en"), args.dataset, args.data_dir, args.split,
                               args.limit, command)

    result = evaluate_model(args.model, args.dataset, args.data_dir, args.split, args.kind, args.limit, command)
    if not args.json:
        print_report(result)
    return result


def predict(args, command):
    from gallery.preprocessing.text import decode_text
    from gallery.summarization.predict import summarize

    data = sys.stdin.buffer.read() if args.file == "-" else open(args.file, "rb").read()
    result = summarize(decode_text(data), args.kind, args.method, args.model)
    if not args.json:
        print(result["text"])
        if result["note"]:
            print(f"Note: {result['note']}", file=sys.stderr)
    return result


def export(args, command):
    from gallery.summarization.export import export_saved_model, output_name
    from gallery.summarization.predict import default_model

    model = args.model or default_model("summary", "en")
    out = export_saved_model(model, export_folder(args, model))
    output = output_name(cards.load_card(model))
    if not args.json:
        print(f"SavedModel written to {out} (serving_default: text tf.string[N] → {output} tf.string[N]).")
    return {"model": str(model), "saved_model": str(out), "output": output}


def bench(args, command):
    from gallery.summarization.bench import run_benchmarks

    return run_benchmarks(args.dataset, args.data_dir, args.kind, args.model, args.limit or 50, not args.json)
