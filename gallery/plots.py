"""Pictures shared by the families: training curves, confusion matrices, heat-map overlays."""

import csv

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def read_history(path):
    """history.csv (Keras CSVLogger) as a dict of float columns; empty ('NA') columns dropped."""
    with open(path) as file:
        rows = list(csv.DictReader(file))
    columns = {key: np.array([float(row[key]) if row[key] != "NA" else np.nan for row in rows])
               for key in (rows[0] if rows else {})}
    return {key: values for key, values in columns.items() if not np.isnan(values).all()}


def training_curves(history, path, metrics=("loss", "accuracy")):
    """Two metrics (loss and accuracy by default) per epoch, train vs validation, saved as PNG."""
    figure, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.6))
    epochs = np.arange(1, len(history.get("loss", [])) + 1)
    for axis, metric in zip(np.atleast_1d(axes), metrics):
        for prefix, label in (("", "train (augmented)"), ("val_", "validation")):
            if prefix + metric in history:
                axis.plot(epochs, history[prefix + metric], marker=".", label=label)
        axis.set_xlabel("epoch")
        axis.set_title(metric)
        axis.grid(alpha=0.3)
        if axis.get_legend_handles_labels()[0]:
            axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def confusion_matrix_figure(matrix, class_names, title="Confusion matrix (rows: true, columns: predicted)"):
    """A row-normalised confusion matrix with counts, as a matplotlib figure."""
    matrix = np.asarray(matrix)
    rates = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    size = 2.5 + 0.55 * len(class_names)
    figure, axis = plt.subplots(figsize=(size + 1.5, size))
    image = axis.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    axis.set_xticks(range(len(class_names)), class_names, rotation=45, ha="right")
    axis.set_yticks(range(len(class_names)), class_names)
    for (row, column), count in np.ndenumerate(matrix):
        axis.text(column, row, str(count), ha="center", va="center", fontsize=8,
                  color="white" if rates[row, column] > 0.5 else "black")
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    axis.set_title(title)
    figure.colorbar(image, ax=axis, fraction=0.046)
    figure.tight_layout()
    return figure


def save_figure(figure, path):
    figure.savefig(path, dpi=100)
    plt.close(figure)


def heatmap_overlay(image, heatmap, alpha=0.45):
    """Blend a [0, 1] heat map (any size) over an RGB uint8 image with the 'jet' colormap."""
    from PIL import Image

    height, width = image.shape[:2]
    heat = Image.fromarray(np.uint8(np.clip(heatmap, 0, 1) * 255)).resize((width, height), Image.BILINEAR)
    colored = plt.get_cmap("jet")(np.asarray(heat) / 255.0)[..., :3] * 255
    return np.uint8(np.clip((1 - alpha) * image + alpha * colored, 0, 255))


def draw_boxes(image, boxes, labels):
    """A copy of an RGB uint8 image with labelled boxes [x, y, w, h] drawn on it."""
    from PIL import Image, ImageDraw

    canvas = Image.fromarray(image)
    draw = ImageDraw.Draw(canvas)
    thickness = max(2, round(max(image.shape[:2]) / 300))
    for (x, y, w, h), label in zip(boxes, labels):
        draw.rectangle([x, y, x + w, y + h], outline=(255, 200, 0), width=thickness)
        left, top, right, bottom = draw.textbbox((x, y), label)
        draw.rectangle([left - 2, top - (bottom - top) - 6, right + 2, y], fill=(255, 200, 0))
        draw.text((x, top - (bottom - top) - 4), label, fill=(0, 0, 0))
    return np.asarray(canvas)
