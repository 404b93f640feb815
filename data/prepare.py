"""Download or unpack data sets into the gitignored cache `data/cache/<dataset>/`.

    python data/prepare.py fashion_mnist                 # download the four IDX files (keras.utils.get_file)
    python data/prepare.py mnist
    python data/prepare.py cifar10 --archive PATH.tar.gz # unpack a train/<class>/ + test/<class>/ JPEG archive
    python data/prepare.py fer2013 --archive PATH.tar.gz # the FER2013 image-folder release (Kaggle)
    python data/prepare.py bbc --archive PATH.tar.gz     # BBC News Summary (Kaggle; the loader also reads the .tar.gz)
    python data/prepare.py squeezenet [--archive PATH.h5] # style transfer's loss network: download, or copy a local file

Loaders find `data/cache/<dataset>` by themselves; `--data-dir` or `$GALLERY_DATA_DIR/<dataset>` override it.
CIFAR-10 without an archive comes from tfds at training time (`tfds.load("cifar10")`).
"""

import argparse
import shutil
import tarfile
from pathlib import Path

CACHE = Path(__file__).resolve().parent / "cache"
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
    elif not (folder / "train").is_dir() or not (folder / "test").is_dir():
        raise SystemExit(f"{archive} has no train/ and test/ folders at its top level.")
    return folder


def squeezenet_weights(local_file=None):
    """Copy (or download) the SqueezeNet v1.1 ImageNet weights into the cache; return the folder."""
    folder = CACHE / "squeezenet"
    folder.mkdir(parents=True, exist_ok=True)
    name = "squeezenet_weights_tf_dim_ordering_tf_kernels_notop.h5"
    if local_file:
        shutil.copyfile(local_file, folder / name)
        return folder
    import keras

    keras.utils.get_file(name, "https://github.com/rcmalli/keras-squeezenet/releases/download/v1.0/" + name,
                         cache_dir=str(folder), cache_subdir=".")
    return folder


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", choices=("fashion_mnist", "mnist", "cifar10", "fer2013", "bbc", "squeezenet"))
    parser.add_argument("--archive", help="local .tar.gz with train/<class>/ and test/<class>/ images")
    args = parser.parse_args()
    if args.dataset == "squeezenet":
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
