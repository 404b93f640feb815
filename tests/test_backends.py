"""Backend-agnostic Keras 3: every family's models trained with KERAS_BACKEND=jax and no TensorFlow installed
(a GPU machine's usual setup) load and predict on TensorFlow."""

import json

import numpy as np
import pytest
from conftest import run_cli

from gallery.classification.predict import load_classifier, probabilities
from gallery.emotion.predict import load_emotion_model
from gallery.preprocessing.images import decode_image
from gallery.style.predict import fast_stylise, load_transform
from gallery.summarization.predict import summarize

WITHOUT_TENSORFLOW = """
import runpy, sys

class NotInstalled:  # finds no TensorFlow package, as on a machine without it
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("tensorflow", "tensorflow_datasets", "tensorflow_text"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, NotInstalled())
sys.argv = ["gallery", *sys.argv[1:]]
runpy.run_module("gallery", run_name="__main__")
"""


def train_on_jax(*args):
    """`python -m gallery train ARGS` on JAX in a fresh process that cannot import TensorFlow."""
    result = run_cli("train", *args, env={"KERAS_BACKEND": "jax"}, launcher=("-c", WITHOUT_TENSORFLOW))
    assert result.returncode == 0, result.stderr[-2000:]


def backend_of(out):
    return json.loads((out / "card.json").read_text())["training"]["backend"]


@pytest.mark.parametrize("arch", ["resnet", "airbench"])
def test_classifier_trained_on_jax_serves_on_tensorflow(arch, cifar_slice, photos, tmp_path):
    out = tmp_path / arch
    train_on_jax("classification", "--dataset", "cifar10", "--data-dir", cifar_slice, "--arch", arch, "--width", 4,
                 "--epochs", 1, "--batch-size", 32, "--out", out, "--no-evaluate")
    assert backend_of(out) == "jax"
    model, class_names = load_classifier(str(out))
    probs = probabilities(model, decode_image(photos[0].read_bytes()))
    assert probs.shape == (len(class_names),) and np.isclose(probs.sum(), 1, atol=1e-5)


def test_style_network_trained_on_jax_serves_on_tensorflow(shared_data, squeezenet, photos, tmp_path):
    out = tmp_path / "style"
    train_on_jax("style", "--style-image", shared_data / "styles" / "wave.jpg", "--content-dir",
                 shared_data / "content", "--size", 32, "--crops", 4, "--epochs", 1, "--batch-size", 2, "--out", out,
                 "--loss-network-weights", squeezenet)
    assert backend_of(out) == "jax"
    photo = decode_image(photos[0].read_bytes())[:40, :56]
    stylised = fast_stylise(load_transform(out), photo)
    assert stylised.shape == photo.shape and stylised.dtype == np.uint8


def test_emotion_model_trained_on_jax_serves_on_tensorflow(fer_folder, tmp_path):
    out = tmp_path / "emotion"
    train_on_jax("emotion", "--data-dir", fer_folder, "--width", 4, "--epochs", 1, "--batch-size", 16, "--out", out,
                 "--no-evaluate")
    assert backend_of(out) == "jax"
    model, class_names = load_emotion_model(out)
    probs = probabilities(model, np.full((48, 48, 3), 128, np.uint8))
    assert probs.shape == (len(class_names),) == (7,) and np.isclose(probs.sum(), 1, atol=1e-5)


def test_headline_tagger_trained_on_jax_serves_on_tensorflow(shared_data, tmp_path):
    out = tmp_path / "headline"
    train_on_jax("summarization", "--dataset", "bbc", "--data-dir", shared_data / "bbc_news_summary.tar.gz", "--kind",
                 "headline", "--arch", "compressive", "--members", 2, "--limit", 30, "--epochs", 1, "--dim", 16,
                 "--vocab-size", 500, "--out", out, "--no-evaluate")
    assert backend_of(out) == "jax"
    text = "Shares in the drinks firm rose sharply on Monday. Analysts said the takeover talk lifted the market."
    headline = summarize(text, kind="headline", model_dir=out)["text"]
    assert headline and set(headline.lower().split()) <= set(text.lower().replace(".", "").split())
