"""Classification metrics shared by the families: confusion matrix, per-class table, calibration."""

import numpy as np


def confusion_matrix(labels, predictions, classes):
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (labels, predictions), 1)
    return matrix


def classification_metrics(matrix, class_names):
    """Accuracy, balanced accuracy, macro-F1 and a per-class table from a confusion matrix."""
    true_positive = np.diag(matrix).astype(float)
    predicted = matrix.sum(axis=0)
    support = matrix.sum(axis=1)
    precision = np.divide(true_positive, predicted, out=np.zeros_like(true_positive), where=predicted > 0)
    recall = np.divide(true_positive, support, out=np.zeros_like(true_positive), where=support > 0)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros_like(recall), where=precision + recall > 0)
    present = support > 0
    metrics = {
        "accuracy": float(true_positive.sum() / max(matrix.sum(), 1)),
        "balanced_accuracy": float(recall[present].mean()) if present.any() else 0.0,
        "macro_f1": float(f1[present].mean()) if present.any() else 0.0,
    }
    per_class = {name: {"precision": float(precision[i]), "recall": float(recall[i]), "support": int(support[i])}
                 for i, name in enumerate(class_names)}
    return metrics, per_class


def expected_calibration_error(probabilities, labels, bins=15):
    """ECE (Guo et al. 2017): confidence-vs-accuracy gap, weighted over equal-width confidence bins."""
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    edges = np.linspace(0, 1, bins + 1)
    error = 0.0
    for low, high in zip(edges[:-1], edges[1:]):
        chosen = (confidence > low) & (confidence <= high)
        if chosen.any():
            error += chosen.mean() * abs(correct[chosen].mean() - confidence[chosen].mean())
    return float(error)
