"""Backend-agnostic Keras 3: a model trained with KERAS_BACKEND=jax loads and predicts on TensorFlow."""

import json

import numpy as np
from conftest import run_cli

from gallery.classification.predict import load_classifier, probabilities
from gallery.preprocessing.images import decode_image


def test_train_on_jax_then_serve_on_tensorflow(cifar_slice, photos, tmp_path):
    out = tmp_path / "jax_model"
    trained = run_cli("train", "classification", "--dataset", "cifar10", "--data-dir", cifar_slice, "--width", 4,
                      "--epochs", 1, "--batch-size", 32, "--out", out, "--no-evaluate", env={"KERAS_BACKEND": "jax"})
    assert trained.returncode == 0, trained.stderr[-2000:]
    assert json.loads((out / "card.json").read_text())["training"]["backend"] == "jax"
    model, class_names = load_classifier(str(out))
    probs = probabilities(model, decode_image(photos[0].read_bytes()))
    assert probs.shape == (len(class_names),) and np.isclose(probs.sum(), 1, atol=1e-5)
