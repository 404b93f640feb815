"""Download or unpack data sets into the gitignored cache `data/cache/<dataset>/`.

    python data/prepare.py fashion_mnist                 # download the four IDX files (keras.utils.get_file)
    python data/prepare.py mnist
    python data/prepare.py cifar10 --archive PATH.tar.gz # unpack a train/<class>/ + test/<class>/ image archive
    python data/prepare.py fer2013 --archive PATH.tar.gz # the FER2013 image-folder release (Kaggle)
    python data/prepare.py bbc --archive PATH.tar.gz     # BBC News Summary (Kaggle; the loader also reads the .tar.gz)
    python data/prepare.py style_photos --archive PATH.tar.gz  # photos: style training, the ImageNet sample
    python data/prepare.py squeezenet [--archive PATH.h5] # style transfer's loss network: download, or copy a local file
    python data/prepare.py mobilenet_v2 --archive PATH.tflite [--labels imagenet_labels.txt]
                                                         # convert the ImageNet MobileNetV2 into models/classification/
    python data/prepare.py arbitrary_style --archive FOLDER  # convert Magenta's arbitrary-style TFLite pair into
                                                         # models/style/arbitrary (parity: example photos × paintings)

Loaders find `data/cache/<dataset>` by themselves; `--data-dir` or `$GALLERY_DATA_DIR/<dataset>` override it.
CIFAR-10 without an archive comes from tfds at training time (`tfds.load("cifar10")`).
"""

import argparse
import shlex
import shutil
import sys
import tarfile
from pathlib import Path

CACHE = Path(__file__).resolve().parent / "cache"
MODELS = CACHE.parents[1] / "models"
sys.path.insert(0, str(CACHE.parents[1]))  # the gallery package, for the weight converters
IDX_URLS = {
    "fashion_mnist": "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
    "mnist": "https://storage.googleapis.com/cvdf-datasets/mnist/",
}
IDX_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def download_idx(dataset):
    """Fetch the four standard IDX files of `dataset` into the cache; return the folder."""
    import keras

    folder = CACHE / dataset
    folder.mkdir(parents=True, exist_ok=True)
    try:
        for name in IDX_FILES:
            keras.utils.get_file(fname=name, origin=IDX_URLS[dataset] + name, cache_dir=str(folder), cache_subdir=".")
    except Exception as error:
        if not any(folder.iterdir()):
            folder.rmdir()
        raise SystemExit(f"Download failed ({error}). Offline, pass --data-dir to the loaders instead "
                         f"(Debian: apt-get install dataset-fashion-mnist).") from None
    return folder


def unpack(archive, dataset):
    """Extract an archive into the cache: `train/<class>/` + `test/<class>/` images, or BBC's text folders."""
    folder = CACHE / dataset
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")
    if dataset == "bbc":
        if not any(folder.rglob("News Articles")):
            raise SystemExit(f"{archive} has no 'News Articles' folder.")
    elif dataset == "style_photos":
        if not any(folder.rglob("*.jpg")):
            raise SystemExit(f"{archive} has no photos.")
    elif not (folder / "train").is_dir() or not (folder / "test").is_dir():
        raise SystemExit(f"{archive} has no train/ and test/ folders at its top level.")
    return folder


def squeezenet_weights(local_file=None):
    """Copy (or download) the SqueezeNet v1.1 ImageNet weights into the cache and convert them into the
    shipped Keras weights file of the gallery's definition; return its folder."""
    folder = CACHE / "squeezenet"
    folder.mkdir(parents=True, exist_ok=True)
    name = "squeezenet_weights_tf_dim_ordering_tf_kernels_notop.h5"
    if local_file:
        shutil.copyfile(local_file, folder / name)
    else:
        import keras

        keras.utils.get_file(name, "https://github.com/rcmalli/keras-squeezenet/releases/download/v1.0/" + name,
                             cache_dir=str(folder), cache_subdir=".")
    from gallery.style.lossnet import SHIPPED_WEIGHTS, load_squeezenet_weights, squeezenet_trunk

    trunk = squeezenet_trunk()
    load_squeezenet_weights(trunk, folder / name)
    SHIPPED_WEIGHTS.parent.mkdir(parents=True, exist_ok=True)
    trunk.save_weights(SHIPPED_WEIGHTS)
    return SHIPPED_WEIGHTS.parent


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", choices=("fashion_mnist", "mnist", "cifar10", "fer2013", "bbc", "squeezenet",
                                            "mobilenet_v2", "style_photos", "arbitrary_style"))
    parser.add_argument("--archive", help="local .tar.gz with train/<class>/ and test/<class>/ images "
                                          "(mobilenet_v2: the .tflite file; arbitrary_style: the folder of the two)")
    parser.add_argument("--labels", help="mobilenet_v2: the labels file (default: imagenet_labels.txt beside it)")
    parser.add_argument("--out", default=str(MODELS / "classification" / "imagenet_mobilenet_v2"),
                        help="mobilenet_v2: the model folder to write")
    args = parser.parse_args()
    if args.dataset == "mobilenet_v2":
        if not args.archive:
            raise SystemExit("Pass the TFLite file: --archive mobilenet_v2_1.0_224_quant.tflite.")
        from gallery.classification.imagenet import convert

        labels = args.labels or Path(args.archive).with_name("imagenet_labels.txt")
        folder = convert(args.archive, labels, args.out, command="python data/prepare.py " + shlex.join(sys.argv[1:]))
    elif args.dataset == "arbitrary_style":
        if not args.archive:
            raise SystemExit("Pass the folder of the TFLite files: --archive .../magenta_arbitrary_style.")
        from gallery.style.arbitrary import convert

        folder = convert(args.archive, MODELS / "style" / "arbitrary",
                         photos=sorted((MODELS.parent / "apps" / "examples" / "style").glob("*.jpg")),
                         paintings=sorted(MODELS.glob("style/*/style.png")),
                         command="python data/prepare.py " + shlex.join(sys.argv[1:]))
    elif args.dataset == "squeezenet":
        folder = squeezenet_weights(args.archive)
    elif args.archive:
        folder = unpack(args.archive, args.dataset)
    elif args.dataset in IDX_URLS:
        folder = download_idx(args.dataset)
    elif args.dataset == "cifar10":
        raise SystemExit("CIFAR-10 is read from tfds when no --archive is given; nothing to prepare.")
    elif args.dataset == "bbc":
        raise SystemExit("BBC News Summary comes from Kaggle: download it, then pass --archive (or use --data-dir).")
    else:
        raise SystemExit("FER2013 needs a Kaggle account: download it, then pass --archive (or use --data-dir).")
    print(f"{args.dataset} ready in {folder}")


if __name__ == "__main__":
    main()
