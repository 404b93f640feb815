"""Classification loaders on tiny slices: IDX files, image folders, splits, limits."""

import gzip
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gallery.classification import data


def write_idx(folder, split, images, labels):
    image_file, label_file = data.IDX_FILES[split]
    header = np.array([2051, len(images), 28, 28], ">i4").tobytes()
    with gzip.open(folder / image_file, "wb") as file:
        file.write(header + images.astype(np.uint8).tobytes())
    with gzip.open(folder / label_file, "wb") as file:
        file.write(np.array([2049, len(labels)], ">i4").tobytes() + labels.astype(np.uint8).tobytes())


def test_idx_loader_reads_the_standard_format(tmp_path):
    rng = np.random.default_rng(1)
    images, labels = rng.integers(0, 256, (7, 28, 28)), rng.integers(0, 10, 7)
    write_idx(tmp_path, "test", images, labels)
    loaded = data.load_split("fashion_mnist", "test", tmp_path)
    assert loaded.x.shape == (7, 28, 28, 3) and loaded.x.dtype == np.uint8
    assert np.array_equal(loaded.x[..., 1], images) and np.array_equal(loaded.y, labels)
    assert loaded.class_names[9] == "Ankle boot"


def test_real_fashion_mnist_when_installed():
    folder = Path(data.KNOWN_LOCAL_DIRS["fashion_mnist"])
    if not folder.is_dir():
        pytest.skip("dataset-fashion-mnist is not installed")
    test = data.load_split("fashion_mnist", "test", folder, limit=500)
    assert len(test) == 500 and set(np.unique(test.y)) == set(range(10))


def test_cifar_folder_loader(cifar_slice):
    train = data.load_split("cifar10", "train", cifar_slice)
    test = data.load_split("cifar10", "test", cifar_slice, limit=20)
    assert train.x.shape == (160, 32, 32, 3) and np.bincount(train.y).tolist() == [16] * 10
    assert len(test) == 20 and train.class_names == data.CLASS_NAMES["cifar10"]


def test_user_folder_is_resized_and_split_stably(tmp_path):
    for name, color in (("cats", (200, 100, 50)), ("dogs", (20, 40, 220))):
        (tmp_path / name).mkdir()
        for i in range(30):
            Image.new("RGB", (50 + i, 40), color).save(tmp_path / name / f"{name}{i}.png")
    (tmp_path / "dogs" / "broken.jpg").write_bytes(b"not really a jpeg")
    train = data.load_split("folder", "train", tmp_path, image_size=(16, 16))
    test = data.load_split("folder", "test", tmp_path, image_size=(16, 16))
    assert train.class_names == ["cats", "dogs"] and train.x.shape[1:] == (16, 16, 3)
    assert len(train) + len(test) == 60 and 0 < len(test) < 20  # the broken file is skipped
    assert abs(int(train.x[train.y == 0][0, 8, 8, 0]) - 200) <= 1
    again = data.load_split("folder", "test", tmp_path, image_size=(16, 16))
    assert np.array_equal(again.x, test.x)


def test_missing_data_dir_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a folder"):
        data.load_split("cifar10", "train", tmp_path / "nope")
