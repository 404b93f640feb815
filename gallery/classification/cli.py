"""Command-line actions of the image-classification family."""


from gallery.arguments import config_from_args, export_folder
from gallery.cards import SHIPPED_MODELS
from gallery.classification.config import (
    ARCHITECTURES,
    HYPERPARAMETERS,
    RECIPES,
    TrainConfig,
)
from gallery.classification.data import DATASETS, EVALUATION_SETS

DEFAULT_MODEL = str(SHIPPED_MODELS / "classification" / "imagenet_mobilenet_v2")


def add_arguments(action, parser):
    defaults = TrainConfig()
    if action in ("train", "evaluate"):
        parser.add_argument("--dataset", choices=EVALUATION_SETS if action == "evaluate" else DATASETS,
                            default=None if action == "evaluate" else defaults.dataset,
                            help="data set (evaluate: defaults to the one in the model card)")
        parser.add_argument("--data-dir", help="local copy: IDX .gz folder (MNIST family) or train/ + test/ image folders")
        parser.add_argument("--limit", type=int, help="use at most this many images (smoke runs)")
    if action == "train":
        parser.add_argument("--out", help="output folder (default models/classification/DATASET_ARCH)")
        parser.add_argument("--arch", choices=ARCHITECTURES, default=defaults.arch)
        for field in ("width", "seed", "image_size", "translate", "cutout"):
            parser.add_argument(f"--{field.replace('_', '-')}", type=int, default=getattr(defaults, field))
        parser.add_argument("--val-fraction", type=float, default=defaults.val_fraction)
        for field in HYPERPARAMETERS:
            parser.add_argument(f"--{field.replace('_', '-')}", type=int if field in ("epochs", "batch_size") else float,
                                help=f"default per --arch: {', '.join(f'{arch} {recipe[field]}' for arch, recipe in RECIPES.items())}")
        parser.add_argument("--init-from", help="model folder whose matching layers initialise this one (transfer)")
        parser.add_argument("--backbone-weights", default=defaults.backbone_weights,
                            help="ImageNet backbones: 'imagenet' (downloaded), 'none', or a weights file")
        parser.add_argument("--freeze-backbone", action="store_true", help="train only the new head")
        parser.add_argument("--no-evaluate", action="store_true", help="skip the test-split evaluation at the end")
    if action in ("evaluate", "export", "bench"):
        parser.add_argument("--model", default=DEFAULT_MODEL, help="model folder (model.keras + card.json)")
    if action == "evaluate":
        parser.add_argument("--split", default="test", choices=("test", "train"))
        parser.add_argument("--tflite", help="ImageNet model: also measure this TFLite file's top-1 agreement")
    if action == "predict":
        parser.add_argument("images", nargs="+", help="image files, or folders of them")
        parser.add_argument("--model", default=DEFAULT_MODEL)
        parser.add_argument("--top-k", type=int, default=5)
    if action == "bench":
        parser.add_argument("--repeats", type=int, default=20, help="timed runs per latency measurement")


def train(args, command):
    from gallery.classification.train import train as run_training

    config = config_from_args(TrainConfig, args)
    out = run_training(config, command)
    result = {"model": str(out)}
    if not args.no_evaluate:
        from gallery.classification.evaluate import evaluate_model

        options = "".join(f" --{name} {value}" for name, value in (("data-dir", config.data_dir), ("limit", config.limit))
                          if value)
        result["evaluation"] = evaluate_model(out, config.dataset, config.data_dir, "test", config.limit,
                                              command=f"python -m gallery evaluate classification --model {out}{options}")
    return result


def evaluate(args, command):
    from gallery.classification.evaluate import evaluate_model

    if args.dataset == "imagenet_sample":
        from gallery.classification.imagenet import evaluate_sample

        result = evaluate_sample(args.model, args.data_dir, args.tflite, command)
        if not args.json:
            print(f"{result['examples']} photos of {args.data_dir} ({result['split']}):")
            for name, value in result["metrics"].items():
                print(f"  {name:24s} {value * 100:6.2f} %")
        return result
    result = evaluate_model(args.model, args.dataset, args.data_dir, args.split, args.limit, command)
    if not args.json:
        print(f"{result['dataset']} {result['split']}: {result['examples']} images")
        for name, value in result["metrics"].items():
            print(f"  {name:18s} {value * 100:6.2f} %")
        print(f"  {'class':18s} precision  recall")
        for name, row in result["per_class"].items():
            print(f"  {name:18s} {row['precision'] * 100:8.1f} % {row['recall'] * 100:6.1f} %")
        print(f"Confusion matrix: {args.model}/confusion_matrix.png; card updated.")
    return {key: value for key, value in result.items() if key != "confusion_matrix"}


def predict(args, command):
    from gallery.classification.predict import predict_files

    results = predict_files(args.model, args.images, args.top_k)
    if not args.json:
        for result in results:
            if "error" in result:
                print(f"{result['file']}: error: {result['error']}")
                continue
            guesses = ", ".join(f"{g['label']} {g['probability'] * 100:.1f} %" for g in result["top_k"])
            print(f"{result['file']}: {guesses}")
    return {"model": args.model, "predictions": results}


def export(args, command):
    from gallery.classification.export import export_saved_model

    out = export_saved_model(args.model, export_folder(args, args.model))
    if not args.json:
        print(f"SavedModel written to {out} (signature serving_default: images tf.string[N]).")
    return {"model": args.model, "saved_model": str(out)}


def bench(args, command):
    from gallery.classification.bench import run_benchmarks

    return run_benchmarks(args.model, args.repeats, not args.json)
