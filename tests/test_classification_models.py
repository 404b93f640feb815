"""The classifiers take RGB uint8 images of any size and put preprocessing in the graph."""

import numpy as np
import pytest

from gallery.classification.models import build_classifier


@pytest.mark.parametrize("arch", ["resnet", "lenet5"])
@pytest.mark.parametrize("channels", [1, 3])
def test_any_size_rgb_input_gives_probabilities(arch, channels):
    model = build_classifier(arch, list("abcde"), (28, 28), channels, width=4)
    for height, width in ((28, 28), (100, 57)):
        images = np.random.default_rng(0).integers(0, 256, (2, height, width, 3), dtype=np.uint8)
        probs = model.predict(images, verbose=0)
        assert probs.shape == (2, 5)
        np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-5)


def test_augmentation_is_off_at_inference():
    model = build_classifier("resnet", list("ab"), (32, 32), 3, width=4)
    image = np.random.default_rng(1).integers(0, 256, (1, 32, 32, 3), dtype=np.uint8)
    assert np.array_equal(model.predict(image, verbose=0), model.predict(image, verbose=0))
    assert not np.allclose(model(image, training=True), model(image, training=True))


def test_imagenet_backbone_builds_offline_without_weights():
    model = build_classifier("mobilenet_v3_small", list("abc"), (64, 64), 3, backbone_weights="none")
    image = np.random.default_rng(2).integers(0, 256, (1, 90, 70, 3), dtype=np.uint8)
    assert model.predict(image, verbose=0).shape == (1, 3)
    assert model.get_layer("pool") and model.get_layer("features")


def test_transfer_copies_the_backbone_not_the_head():
    from gallery.classification.train import transfer_weights

    source = build_classifier("resnet", list("abcdefghij"), (32, 32), 3, width=4)
    target = build_classifier("resnet", list("xy"), (32, 32), 3, width=4)
    copied = transfer_weights(source, target)
    assert copied > 10
    np.testing.assert_array_equal(source.get_layer("s2_conv").get_weights()[0], target.get_layer("s2_conv").get_weights()[0])
    assert target.get_layer("probabilities").get_weights()[0].shape == (4 * 2**3, 2)  # a new 2-class head
