"""The ImageNet classifier: TFLite conversion, readable labels, the shipped default, transfer learning."""

import json
import tarfile

import numpy as np
import pytest
from conftest import ROOT, run_cli

from gallery.classification.imagenet import readable_labels, sample_labels, tflite_top1
from gallery.classification.mobilenet import folded_weights, load_weights, mobilenet_v2
from gallery.classification.predict import class_activation_map, load_classifier, top_k
from gallery.preprocessing.images import read_image

SHIPPED = ROOT / "models" / "classification" / "imagenet_mobilenet_v2"


@pytest.fixture(scope="session")
def pretrained(shared_data):
    return shared_data / "pretrained"


@pytest.fixture(scope="session")
def imagenet_photos(shared_data, tmp_path_factory):
    """24 of the `imagenet_sample` photos (every 20th), named <WordNet id>_<class>.jpg."""
    folder = tmp_path_factory.mktemp("imagenet_sample")
    with tarfile.open(shared_data / "style_photos.tar.gz") as archive:
        members = sorted((m for m in archive if m.isfile() and "/imagenet_sample/" in m.name), key=lambda m: m.name)
        for member in members[::20]:
            member.name = member.name.rsplit("/", 1)[-1]
            archive.extract(member, folder, filter="data")
    return folder


def test_labels_are_readable_and_unique(pretrained):
    names, lines = readable_labels(pretrained / "imagenet_labels.txt")
    assert len(names) == len(set(names)) == 1000 and names[0] == "tench" and "golden retriever" in names
    assert names[134] == "crane (bird)" and names[517] == "crane (machine)" and "maillot (tank suit)" in names


def test_shared_class_names_resolve_by_wordnet_order(pretrained, tmp_path):
    lines = readable_labels(pretrained / "imagenet_labels.txt")[1]
    paths = [tmp_path / name for name in ("n01440764_tench.jpg", "n02012849_crane.jpg", "n02018207_American_coot.jpg",
                                          "n03126707_crane.jpg", "n03127747_crash_helmet.jpg")]
    labels = sample_labels(paths, lines)
    assert [lines[i].split(",")[0] for i in labels] == ["tench", "crane", "American coot", "crane", "crash helmet"]
    assert labels[1] < labels[2] < labels[3]  # the bird, then the machine


def test_shipped_model_agrees_with_the_tflite_network(pretrained, imagenet_photos):
    model, class_names = load_classifier(str(SHIPPED))
    images = [read_image(path) for path in sorted(imagenet_photos.iterdir())]
    ours = np.array([model.predict(image[None], verbose=0)[0].argmax() for image in images])
    agreement = np.mean(ours == tflite_top1(pretrained / "mobilenet_v2_1.0_224_quant.tflite", images))
    assert agreement >= 0.9, agreement  # float32 against uint8 arithmetic: 97 % on all 500 photos
    card = json.loads((SHIPPED / "card.json").read_text())
    assert card["classes"] == class_names and card["source"]["published_top1"] == 0.708


def test_predict_defaults_to_the_imagenet_model_with_readable_top5(shared_data):
    result = run_cli("predict", "classification", shared_data / "content" / "sailboat.jpg", "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    prediction = json.loads(result.stdout.strip().splitlines()[-1])
    assert prediction["model"].endswith("imagenet_mobilenet_v2")
    top = [entry["label"] for entry in prediction["predictions"][0]["top_k"]]
    assert len(top) == 5 and top[0] in ("schooner", "yawl", "catamaran", "trimaran") and not top[0].startswith("n0")


def test_class_activation_map_on_a_photo(shared_data):
    model, class_names = load_classifier(str(SHIPPED))
    image = read_image(shared_data / "content" / "sailboat.jpg")
    probabilities = model.predict(image[None], verbose=0)[0]
    cam = class_activation_map(model, image, int(probabilities.argmax()))
    assert cam is not None and cam.shape == (7, 7) and top_k(probabilities, class_names, 1)[0]["probability"] > 0.3


def test_batch_norm_folding_matches_keras_applications():
    """A keras.applications MobileNetV2 with random weights and batch-norm statistics, folded into ours."""
    import keras

    keras.utils.set_random_seed(0)
    source = keras.applications.MobileNetV2(weights=None, input_shape=(96, 96, 3))
    rng = np.random.default_rng(0)
    for layer in source.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, variance = layer.get_weights()
            layer.set_weights([rng.uniform(0.5, 1.5, gamma.shape), rng.normal(0, 0.1, beta.shape),
                               rng.normal(0, 0.1, mean.shape), rng.uniform(0.5, 1.5, variance.shape)])
    weights = folded_weights(source)
    head = weights.pop("Logits_Conv2d_1c_1x1")
    trunk = mobilenet_v2(96)
    assert load_weights(trunk, weights) == 52
    x = rng.uniform(0, 1, (2, 96, 96, 3)).astype("float32")
    theirs = keras.Model(source.input, source.get_layer("out_relu").output)(x * 2 - 1)  # their input: [-1, 1]
    ours = trunk(x * 256 / 255)  # ours maps [0, 1] to (q - 128) / 128, q = 255 x
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), atol=2e-3)
    assert head[0].shape == (1280, 1000)


def test_transfer_learning_from_the_imagenet_backbone(shared_data, tmp_path):
    """Three photo sources of style_photos as classes, 8 photos each; the frozen trunk is the shipped one."""
    folder = tmp_path / "photos"
    counts = {}
    with tarfile.open(shared_data / "style_photos.tar.gz") as archive:
        for member in archive:
            parts = member.name.split("/")
            if member.isfile() and len(parts) == 3 and counts.get(parts[1], 0) < 8:
                counts[parts[1]] = counts.get(parts[1], 0) + 1
                archive.extract(member, folder, filter="data")
    out = tmp_path / "sources"
    result = run_cli("train", "classification", "--dataset", "folder", "--data-dir", folder / "style_photos",
                     "--arch", "mobilenet_v2", "--image-size", 96, "--init-from", SHIPPED, "--freeze-backbone",
                     "--epochs", 1, "--batch-size", 8, "--val-fraction", 0, "--out", out, "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Initialised 1 layers" in result.stdout  # the whole MobileNetV2 trunk
    model, class_names = load_classifier(str(out))
    source, _ = load_classifier(str(SHIPPED))
    np.testing.assert_array_equal(model.get_layer("mobilenet_v2").get_weights()[0],
                                  source.get_layer("mobilenet_v2").get_weights()[0])  # frozen: unchanged
    assert class_names == ["ade20k_val", "bsds500", "imagenet_sample"]
    card = json.loads((out / "card.json").read_text())
    assert card["training"]["started_from"]["model"].endswith("imagenet_mobilenet_v2")
