"""FER2013 loaders: the challenge CSV, the image-folder release and users' labelled folders."""

import numpy as np
import pytest
from PIL import Image

from gallery.emotion.data import EMOTIONS, load_split


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


def test_blurred_training_copy_is_flagged(fer_folder):
    import cv2

    from gallery.emotion.data import blur_mismatch

    sharp = load_split(fer_folder, "public_test").x
    blurred = np.stack([cv2.GaussianBlur(face, (0, 0), 3) for face in sharp])
    assert blur_mismatch(sharp, sharp) is None
    assert "blurrier" in blur_mismatch(blurred, sharp)
