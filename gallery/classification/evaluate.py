"""Evaluate a classifier on a data split: accuracy, per-class precision/recall, confusion matrix.

`evaluate_model` is the only writer of the `evaluation` section of a model card.
"""

from pathlib import Path

from gallery import cards, plots
from gallery.classification.data import load_split
from gallery.classification.predict import load_classifier
from gallery.errors import UserError
from gallery.metrics import classification_metrics, confusion_matrix


def evaluate_model(model_dir, dataset=None, data_dir=None, split="test", limit=None, command=""):
    """Evaluate the model in `model_dir`, save confusion_matrix.png, update the card, return the results."""
    model_dir = Path(model_dir)
    model, class_names = load_classifier(str(model_dir))
    card = cards.load_card(model_dir)
    dataset = dataset or card.get("dataset")
    image_size = tuple(model.get_layer("resize").get_config()[key] for key in ("height", "width"))
    data = load_split(dataset, split, data_dir, image_size, limit)
    if list(data.class_names) != list(class_names):
        raise UserError(f"The data's classes {data.class_names} differ from the model's {class_names}.")
    probs = model.predict(data.x, batch_size=256, verbose=0)
    matrix = confusion_matrix(data.y, probs.argmax(axis=1), len(class_names))
    metrics, per_class = classification_metrics(matrix, class_names)
    plots.save_figure(plots.confusion_matrix_figure(matrix, class_names), model_dir / "confusion_matrix.png")
    evaluation = {
        "split": split, "dataset": dataset, "examples": len(data), "command": command, "date": cards.now(),
        "metrics": metrics, "per_class": per_class, "confusion_matrix": matrix.tolist(),
        "pictures": ["confusion_matrix.png"],
    }
    cards.update(model_dir, evaluation=evaluation, file=cards.artifact_info(model_dir))
    return evaluation
