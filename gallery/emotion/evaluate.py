"""Evaluate an emotion model on a FER2013 split (or any labelled folder of face crops).

Accuracy, per-class recall, balanced accuracy, macro-F1, calibration (ECE) and a confusion
matrix PNG; the only writer of the card's `evaluation` section.
"""

from pathlib import Path

from gallery import cards, plots
from gallery.emotion.data import load_split
from gallery.emotion.predict import load_emotion_model
from gallery.emotion.train import as_rgb
from gallery.errors import UserError
from gallery.metrics import (
    classification_metrics,
    confusion_matrix,
    expected_calibration_error,
)


def evaluate_model(model_dir, data_dir, split="private_test", command=""):
    model_dir = Path(model_dir)
    model, class_names = load_emotion_model(model_dir)
    data = load_split(data_dir, split)
    if not len(data):
        raise UserError(f"{data_dir} has no faces in the {split} split.")
    probabilities = model.predict(as_rgb(data.x), batch_size=256, verbose=0)
    matrix = confusion_matrix(data.y, probabilities.argmax(axis=1), len(class_names))
    metrics, per_class = classification_metrics(matrix, class_names)
    metrics["expected_calibration_error"] = expected_calibration_error(probabilities, data.y)
    plots.save_figure(plots.confusion_matrix_figure(matrix, class_names), model_dir / "confusion_matrix.png")
    evaluation = {
        "split": split, "dataset": "fer2013", "examples": len(data), "command": command, "date": cards.now(),
        "metrics": metrics, "per_class": per_class, "confusion_matrix": matrix.tolist(),
        "pictures": ["confusion_matrix.png"],
    }
    cards.update(model_dir, evaluation=evaluation, file=cards.artifact_info(model_dir))
    return evaluation
