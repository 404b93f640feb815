"""Image-classification data: Fashion-MNIST, MNIST, CIFAR-10 and any `<class>/<image>` folder.

Every loader returns an `ImageData` of RGB uint8 arrays (N, H, W, 3) and integer labels, the
model's raw input. Users download through `keras.datasets` / tfds; offline, `data_dir` (or
`$GALLERY_DATA_DIR/<dataset>`, or the prepared cache `data/cache/<dataset>`) is read instead:
the four IDX `.gz` files for the MNIST family, `train/<class>/` + `test/<class>/` image folders
for CIFAR-10 and user folders.
"""

import dataclasses
import gzip
import hashlib
import os
from pathlib import Path

import numpy as np

from gallery.errors import UserError
from gallery.preprocessing.images import IMAGE_EXTENSIONS, ImageError, read_image

DATASETS = ("fashion_mnist", "cifar10", "mnist", "folder")
EVALUATION_SETS = (*DATASETS, "imagenet_sample")  # photos named <WordNet id>_<class>.jpg (gallery.classification.imagenet)
CLASS_NAMES = {
    "fashion_mnist": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
    "mnist": [str(digit) for digit in range(10)],
    "cifar10": ["airplane", "automobile", "bird", "cat", "deer",
                "dog", "frog", "horse", "ship", "truck"],
}
IDX_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
KNOWN_LOCAL_DIRS = {"fashion_mnist": "/usr/share/datasets/fashion-mnist"}
REPO_CACHE = Path(__file__).resolve().parents[2] / "data" / "cache"


@dataclasses.dataclass
class ImageData:
    """Arrays of one split: `x` RGB uint8 (N, H, W, 3), `y` int labels, and the class names."""

    x: np.ndarray
    y: np.ndarray
    class_names: list

    def __len__(self):
        return len(self.y)

    def take(self, indices):
        return ImageData(self.x[indices], self.y[indices], self.class_names)


def resolve_data_dir(dataset, data_dir=None):
    """The local folder to read `dataset` from, or None to download it."""
    if data_dir:
        if not Path(data_dir).is_dir():
            raise FileNotFoundError(f"--data-dir {data_dir} is not a folder.")
        return Path(data_dir)
    candidates = []
    if os.environ.get("GALLERY_DATA_DIR"):
        candidates.append(Path(os.environ["GALLERY_DATA_DIR"]) / dataset)
    candidates += [REPO_CACHE / dataset, KNOWN_LOCAL_DIRS.get(dataset)]
    for candidate in candidates:
        if candidate and Path(candidate).is_dir() and any(Path(candidate).iterdir()):
            return Path(candidate)
    if dataset == "folder":
        raise FileNotFoundError("The 'folder' dataset needs --data-dir pointing at <class>/<images> folders.")
    return None


def _rgb(gray):
    return np.repeat(gray[..., None], 3, axis=-1)


def _read_idx(path, offset):
    with gzip.open(path, "rb") as file:
        return np.frombuffer(file.read(), np.uint8, offset=offset)


def load_idx(data_dir, split, class_names):
    """One split of an MNIST-format folder (the four standard IDX `.gz` files)."""
    image_file, label_file = IDX_FILES[split]
    labels = _read_idx(Path(data_dir) / label_file, 8).astype("int64")
    images = _read_idx(Path(data_dir) / image_file, 16).reshape(len(labels), 28, 28)
    return ImageData(_rgb(images), labels, class_names)


def _download_failed(dataset, error):
    return UserError(f"Could not download {dataset} ({error}). Offline, point --data-dir at a local copy "
                     f"(see the README's Data section).")


def _keras_download(dataset, split):
    import keras

    try:
        (x_train, y_train), (x_test, y_test) = getattr(keras.datasets, dataset).load_data()
    except Exception as error:
        raise _download_failed(dataset, error) from error
    x, y = (x_train, y_train) if split == "train" else (x_test, y_test)
    return ImageData(_rgb(x), y.astype("int64"), CLASS_NAMES[dataset])


def _tfds_download(dataset, split):
    import tensorflow_datasets as tfds

    try:
        x, y = tfds.as_numpy(tfds.load(dataset, split=split, batch_size=-1, as_supervised=True))
    except Exception as error:
        raise _download_failed(dataset, error) from error
    return ImageData(x, y.astype("int64"), CLASS_NAMES[dataset])


def list_folder(root):
    """Sorted (path, class_index) pairs and class names of a `<class>/<image>` tree."""
    root = Path(root)
    class_names = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not class_names:
        raise UserError(f"{root} has no class sub-folders (<class>/<images>).")
    items = [
        (path, index)
        for index, name in enumerate(class_names)
        for path in sorted((root / name).rglob("*"))
        if path.suffix.lower() in IMAGE_EXTENSIONS
    ]
    return items, class_names


def load_folder_items(items, class_names, image_size):
    """Decode and resize `(path, label)` items with the models' own resizing layer.

    Unreadable files are skipped with a warning (a user's folder often holds a few).
    """
    from gallery.preprocessing.layers import resizing_layer

    resize = resizing_layer(image_size)
    images, labels = [], []
    for path, label in items:
        try:
            image = read_image(path)
        except ImageError as error:
            print(f"warning: skipping {path}: {error}")
            continue
        if image.shape[:2] != tuple(image_size):
            image = np.asarray(resize(image[None])[0]).round().clip(0, 255).astype(np.uint8)
        images.append(image)
        labels.append(label)
    x = np.stack(images) if images else np.zeros((0, *image_size, 3), np.uint8)
    return ImageData(x, np.asarray(labels, dtype="int64"), class_names)


def split_of(path, test_fraction=0.15):
    """A stable train/test assignment from the file's name, unchanged when files are added."""
    bucket = int(hashlib.sha1(Path(path).name.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "test" if bucket < test_fraction else "train"


def _subset(count, limit):
    """Indices of a fixed random subset of at most `limit` of `count` examples."""
    return np.sort(np.random.default_rng(0).permutation(count)[:limit])


def load_folder(root, split, image_size=(64, 64), limit=None):
    """A user's folder: `train/` and `test/` sub-trees if present, else a name-hash split."""
    root = Path(root)
    if (root / "train").is_dir() and (root / "test").is_dir():
        items, class_names = list_folder(root / split)
    else:
        items, class_names = list_folder(root)
        items = [(path, label) for path, label in items if split_of(path) == split]
    if limit:
        items = [items[i] for i in _subset(len(items), limit)]
    return load_folder_items(items, class_names, image_size)


def load_split(dataset, split, data_dir=None, image_size=None, limit=None):
    """Load `split` ('train' or 'test') of `dataset` as `ImageData`.

    `limit` keeps a fixed random subset of at most that many examples (tests, smoke runs).
    """
    if dataset not in DATASETS:
        raise UserError(f"Unknown dataset {dataset!r}; choose one of {DATASETS}.")
    local = resolve_data_dir(dataset, data_dir)
    if dataset in ("fashion_mnist", "mnist"):
        data = load_idx(local, split, CLASS_NAMES[dataset]) if local else _keras_download(dataset, split)
    elif dataset == "cifar10":
        data = load_folder(local, split, (32, 32), limit) if local else _tfds_download("cifar10", split)
    else:
        return load_folder(local, split, image_size or (64, 64), limit)
    return data.take(_subset(len(data), limit)) if limit else data
