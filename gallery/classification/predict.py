"""Load a classifier folder and classify decoded images; class-activation maps for the app."""

import functools

import keras
import numpy as np

from gallery import cards, training
from gallery.classification import models  # noqa: F401  (registers the custom layers)
from gallery.preprocessing.images import per_image


@functools.lru_cache(maxsize=8)
def load_classifier(model_dir, task="classification"):
    """(model, class names) from a folder with model.keras and card.json (a UserError if of another task)."""
    model = training.load_model(model_dir, task)
    classes = cards.load_card(model_dir).get("classes") or [str(i) for i in range(model.output_shape[-1])]
    return model, list(classes)


def probabilities(model, image):
    """Class probabilities for one RGB uint8 image of any size."""
    return np.asarray(model.predict(image[None], verbose=0)[0], dtype=np.float64)


def top_k(probs, class_names, k=5):
    """The k most likely classes as [{'label', 'probability'}], best first."""
    order = np.argsort(probs)[::-1][:k]
    return [{"label": class_names[i], "probability": float(probs[i])} for i in order]


def predict_files(model_dir, paths, k=5):
    """Top-k predictions for each image file; unreadable files get an 'error' entry instead."""
    model, class_names = load_classifier(str(model_dir))
    return per_image(paths, lambda image: {"top_k": top_k(probabilities(model, image), class_names, k)})


def class_activation_map(model, image, class_index):
    """CAM (Zhou et al. 2016) for pooled models: the head's weights over the last feature maps.

    Returns a [0, 1] map at feature resolution, or None when the model has no pooled feature
    head (LeNet-5's dense layers keep no spatial evidence). With test-time views (airbench) the
    maps of the first, unshifted view are used.
    """
    try:
        features = model.get_layer("features")
        model.get_layer("pool")
    except ValueError:
        return None
    extractor = keras.Model(model.inputs, [features.output, model.output])
    maps, _ = extractor.predict(image[None], verbose=0)
    head = next(layer for layer in reversed(model.layers) if isinstance(layer, keras.layers.Dense))
    weights = head.get_weights()[0][:, class_index]
    cam = np.maximum(np.tensordot(maps[0], weights, axes=([-1], [0])), 0)
    return cam / cam.max() if cam.max() > 0 else cam
