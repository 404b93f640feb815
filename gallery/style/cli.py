"""Command-line actions of the style-transfer family."""

from pathlib import Path

from gallery.arguments import config_from_args, export_folder
from gallery.style.config import METHODS, StyleConfig


def add_arguments(action, parser):
    defaults = StyleConfig()
    if action == "train":
        parser.add_argument("--style-image", required=True, help="the painting to learn")
        parser.add_argument("--content-dir", required=True,
                            help="a folder of photos (held out: every k-th in name order, k = max(3, photos // 100)), or coco "
                                 "(tfds coco/2017, download)")
        parser.add_argument("--extra-content-dir", help="more content images, e.g. CIFAR-10 train (upscaled)")
        parser.add_argument("--out", help="output folder (default models/style/STYLE_NAME)")
        parser.add_argument("--init-from", help="a fast style network folder to start from (fine-tuning)")
        for field in ("size", "crops", "epochs", "batch_size", "seed"):
            parser.add_argument(f"--{field.replace('_', '-')}", type=int, default=getattr(defaults, field))
        parser.add_argument("--separable-blocks", type=int, default=defaults.separable_blocks,
                            help="extra depthwise-separable residual blocks at the bottleneck (more capacity; a "
                                 "network grown from --init-from starts as that network)")
        parser.add_argument("--input-skip", action="store_true",
                            help="add a full-resolution path from the photo to the output layer (keeps detail; a network "
                                 "grown from --init-from starts as that network)")
        parser.add_argument("--photo-residual", action="store_true",
                            help="add the photo before the output's tanh with a learnt weight per channel, from 0")
        parser.add_argument("--max-upscale", type=float, default=defaults.max_upscale,
                            help="the most a training crop is enlarged to --size (1: crops at the photos' own scale or "
                                 "smaller, as sharp as the held-out photos)")
        for field in ("learning_rate", "content_weight", "style_weight", "tv_weight"):
            parser.add_argument(f"--{field.replace('_', '-')}", type=float, default=getattr(defaults, field))
    if action in ("train", "evaluate", "predict", "bench"):
        parser.add_argument("--loss-network", choices=("squeezenet", "vgg19"), default=defaults.loss_network)
        parser.add_argument("--loss-network-weights", help="SqueezeNet HDF5 file (default: "
                            "$GALLERY_SQUEEZENET_WEIGHTS, else downloaded)")
    if action in ("evaluate", "export", "bench"):
        parser.add_argument("--model", help="a fast style network folder (default: every shipped style)")
    if action == "evaluate":
        parser.add_argument("--content-dir", required=True, help="photos; the held-out ones are used (every third of a small folder)")
        parser.add_argument("--size", type=int, default=512)
        parser.add_argument("--steps", type=int, default=300, help="optimisation steps for the reference")
        parser.add_argument("--photos-dir", help="a second held-out set: the held-out photos of this folder (about "
                            "100 of a large one, e.g. style_photos), at their own size")
    if action == "predict":
        parser.add_argument("content", help="the photo to stylise")
        parser.add_argument("--style", required=True, help="a shipped style name or a style image file")
        parser.add_argument("--size", type=int, default=512, help="the result's longer side")
        parser.add_argument("--out", default="stylised.jpg")
        parser.add_argument("--method", choices=METHODS, default=None,
                            help="fast (shipped styles: their own network, the default for them), arbitrary (Magenta's "
                                 "network, any painting in one pass: the default for files) or optimize (any painting, "
                                 "the slowest and finest)")
        parser.add_argument("--steps", type=int, default=300)
        parser.add_argument("--strength", type=float, default=1.0,
                            help="0 = the photo, 1 = full style (arbitrary: the painting's style vector mixed with the photo's)")
        parser.add_argument("--keep-colors", action="store_true", help="keep the photo's colours")


def train(args, command):
    from gallery.style.train import train as run_training

    config = config_from_args(StyleConfig, args)
    return {"model": str(run_training(config, command))}


def evaluate(args, command):
    from gallery.style.evaluate import evaluate_model
    from gallery.style.predict import shipped_styles

    folders = [args.model] if args.model else list(shipped_styles().values())
    results = {str(folder): evaluate_model(folder, args.content_dir, args.size, args.steps, args.loss_network,
                                           args.loss_network_weights, command=command,
                                           report=None if args.json else print, photos_dir=args.photos_dir) for folder in folders}
    if not args.json:
        for folder, result in results.items():
            metrics = result["metrics"]
            print(f"{folder}: style loss {metrics['style_loss']:.2f} = {metrics['style_loss_vs_optimisation']:.2f}× "
                  f"optimisation's; content loss {metrics['content_loss']:.0f} "
                  f"({metrics['content_loss_vs_optimisation']:.2f}×); {metrics['ms_per_512px_image']:.0f} ms per 512 px; "
                  f"{100 * metrics['invented_dark_share']:.2f} % of pixels turned dark")
            if "second_set" in result:
                second = result["second_set"]["metrics"]
                print(f"{folder}, {result['second_set']['examples']} held-out photos of {args.photos_dir}: style "
                      f"{second['style_loss_vs_optimisation']:.2f}×, content {second['content_loss_vs_optimisation']:.2f}× "
                      "optimisation's")
    return results


def predict(args, command):
    from PIL import Image

    from gallery.preprocessing.images import read_image
    from gallery.style.predict import stylise

    def report(step, steps, logs, preview):
        if step % 50 == 0 or step == steps:
            print(f"step {step}/{steps}: loss {logs.get('loss', float('nan')):.1f}", flush=True)

    result = stylise(read_image(args.content), args.style, args.size, args.method, args.steps, args.strength,
                     args.keep_colors, None if args.json else report, args.loss_network, args.loss_network_weights)
    Image.fromarray(result["image"]).save(args.out, quality=92)
    if not args.json:
        print(f"{args.out}: {result['image'].shape[1]}×{result['image'].shape[0]} px, {result['method']}, "
              f"{result['seconds']:.2f} s")
    return {"out": args.out, "method": result["method"], "seconds": result["seconds"],
            "size": list(result["image"].shape[:2])}


def export(args, command):
    from gallery.errors import UserError
    from gallery.style.export import export_saved_model
    from gallery.style.predict import ARBITRARY

    if not args.model:
        raise UserError("Pass --model, the fast style network to export.")
    out = export_saved_model(args.model, export_folder(args, args.model))
    if not args.json:
        signatures = ("serving_default: photo, style uint8[H,W,3] → stylised uint8[H,W,3]; with_strength; from_bytes"
                      if Path(args.model).name == ARBITRARY else
                      "serving_default: images uint8[N,H,W,3] → stylised uint8[N,H,W,3]")
        print(f"SavedModel written to {out} ({signatures}).")
    return {"model": args.model, "saved_model": str(out)}


def bench(args, command):
    from gallery.style.bench import run_benchmarks

    return run_benchmarks(args.model, args.loss_network, args.loss_network_weights, verbose=not args.json,
                          command=command)
