"""FER2013 loaders: the challenge CSV, the image-folder release and users' labelled folders."""

import tarfile

import numpy as np
import pytest
from PIL import Image

from gallery.emotion.data import EMOTIONS, load_split


@pytest.fixture(scope="session")
def fer_folder(shared_data, tmp_path_factory):
    """The FER2013 folder release with at most 3 files per class and split prefix, from the real archive."""
    root = tmp_path_factory.mktemp("fer2013")
    counts = {}
    with tarfile.open(shared_data / "fer2013_images.tar.gz") as archive:
        for member in archive:
            parts = member.name.split("/")
            if not member.isfile() or len(parts) != 3:
                continue
            key = (parts[0], parts[1], parts[2].split("_")[0])
            if counts.get(key, 0) < 3:
                counts[key] = counts.get(key, 0) + 1
                archive.extract(member, root, filter="data")
    return root


def test_csv_sample_splits_and_label_order(shared_data):
    train = load_split(shared_data / "fer2013_sample.csv", "train")
    assert train.x.shape[1:] == (48, 48) and train.x.dtype == np.uint8 and len(train) > 0
    assert EMOTIONS[train.y[0]] == "angry"  # the sample's first row: challenge label 0, a Training row
    with open(shared_data / "fer2013_sample.csv") as file:
        rows = file.read().splitlines()[1:]
    sad_rows = [row for row in rows if row.startswith("4,") and row.endswith(",Training")]
    assert np.sum(train.y == EMOTIONS.index("sad")) == len(sad_rows)  # challenge 4 = sad


def test_folder_release_uses_file_prefixes(fer_folder):
    private = load_split(fer_folder, "private_test")
    public = load_split(fer_folder, "public_test")
    train = load_split(fer_folder, "train")
    assert len(private) == len(public) == 21 and len(train) == 21  # 3 per class
    assert sorted(set(private.y.tolist())) == list(range(7))


def test_user_folder_with_synonyms_and_unknown_classes(tmp_path):
    for name in ("Happiness", "ANGER", "surprised", "confused"):
        (tmp_path / name).mkdir()
        Image.new("RGB", (90, 120), (120, 130, 140)).save(tmp_path / name / "a.png")
    with pytest.warns(UserWarning, match="confused"):
        data = load_split(tmp_path, "private_test")
    assert sorted(EMOTIONS[i] for i in data.y) == ["angry", "happy", "surprise"]
    assert data.x.shape == (3, 48, 48)
