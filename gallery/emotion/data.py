"""FER2013 in both public layouts, and any labelled folder-per-class set of face crops.

- The challenge CSV: `emotion,pixels,Usage` with Usage Training / PublicTest / PrivateTest.
- The image-folder release: `train/<class>/*.jpg`, `test/<class>/{PublicTest,PrivateTest}_*.jpg`.
- Other folders: class names matched case-insensitively with common synonyms; others skipped.

Splits follow the standard protocol: train on `train`, select on `public_test`, report on
`private_test`. Every loader returns 48×48 grayscale uint8 crops (`FaceData`).
"""

import csv
import dataclasses
import warnings
from pathlib import Path

import numpy as np

from gallery.errors import UserError
from gallery.preprocessing.faces import resize_face
from gallery.preprocessing.images import IMAGE_EXTENSIONS, ImageError, read_image

EMOTIONS = ["angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"]
CSV_LABELS = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]  # the challenge's 0..6
CSV_USAGE = {"train": "Training", "public_test": "PublicTest", "private_test": "PrivateTest"}
FOLDER_PREFIX = {"public_test": "PublicTest_", "private_test": "PrivateTest_"}
SPLITS = tuple(CSV_USAGE)
SYNONYMS = {
    "angry": "angry", "anger": "angry", "mad": "angry",
    "disgust": "disgust", "disgusted": "disgust", "contempt": None,
    "fear": "fear", "fearful": "fear", "afraid": "fear", "scared": "fear",
    "happy": "happy", "happiness": "happy", "joy": "happy",
    "neutral": "neutral", "calm": "neutral",
    "sad": "sad", "sadness": "sad",
    "surprise": "surprise", "surprised": "surprise",
}


@dataclasses.dataclass
class FaceData:
    """`x`: grayscale uint8 face crops (N, 48, 48); `y`: indices into EMOTIONS."""

    x: np.ndarray
    y: np.ndarray

    def __len__(self):
        return len(self.y)


def emotion_of(folder_name):
    """The EMOTIONS label a class folder stands for, or None."""
    return SYNONYMS.get(folder_name.strip().lower())


def load_csv(path, split):
    """One split of the challenge CSV."""
    usage = CSV_USAGE[split]
    x, y = [], []
    with open(path, newline="") as file:
        for row in csv.DictReader(file):
            if row["Usage"] == usage:
                x.append(np.asarray(row["pixels"].split(), dtype=np.uint8).reshape(48, 48))
                y.append(EMOTIONS.index(CSV_LABELS[int(row["emotion"])]))
    return FaceData(np.stack(x) if x else np.zeros((0, 48, 48), np.uint8), np.asarray(y, dtype=np.int64))


def _split_files(root, split):
    """(path, label) pairs of a split in the folder release, or of a plain labelled folder."""
    release = (root / "train").is_dir() and (root / "test").is_dir()
    base = root / ("train" if split == "train" else "test") if release else root
    prefix = FOLDER_PREFIX.get(split, "") if release else ""
    items = []
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        label = emotion_of(folder.name)
        if label is None:
            warnings.warn(f"skipping class folder {folder.name!r}: not one of {EMOTIONS} or their synonyms")
            continue
        items += [(path, EMOTIONS.index(label)) for path in sorted(folder.iterdir())
                  if path.suffix.lower() in IMAGE_EXTENSIONS and path.name.startswith(prefix)]
    return items


def load_folder(root, split):
    """One split of the FER2013 folder release, or all of a plain labelled folder of face crops."""
    x, y = [], []
    for path, label in _split_files(Path(root), split):
        try:
            x.append(resize_face(read_image(path)))
        except ImageError as error:
            warnings.warn(f"skipping {path}: {error}")
            continue
        y.append(label)
    return FaceData(np.stack(x) if x else np.zeros((0, 48, 48), np.uint8), np.asarray(y, dtype=np.int64))


def sharpness(faces, sample=500):
    """Median variance of the Laplacian over up to `sample` crops (FER2013's real faces: about 2,000)."""
    import cv2

    picked = faces[np.linspace(0, len(faces) - 1, min(sample, len(faces))).astype(int)]
    return float(np.median([cv2.Laplacian(face, cv2.CV_64F).var() for face in picked])) if len(faces) else 0.0


def blur_mismatch(train_faces, test_faces):
    """A warning when training faces are far blurrier than test faces (a degraded copy), else None."""
    train_sharpness, test_sharpness = sharpness(train_faces), sharpness(test_faces)
    if len(test_faces) and train_sharpness < 0.1 * test_sharpness:
        return (f"the training faces are far blurrier than the test faces (median Laplacian variance "
                f"{train_sharpness:.0f} vs {test_sharpness:.0f}): this copy of the data looks degraded, and a "
                f"model trained on it will not transfer to sharp photos")
    return None


def load_split(data_path, split="private_test"):
    """FER2013 `split` from a CSV file or an image-folder tree."""
    if split not in SPLITS:
        raise UserError(f"Unknown split {split!r}; choose one of {SPLITS}.")
    path = Path(data_path)
    if path.is_file() and path.suffix.lower() == ".csv":
        return load_csv(path, split)
    if path.is_dir():
        return load_folder(path, split)
    raise FileNotFoundError(f"{path} is neither a FER2013 CSV file nor a folder of class folders.")
