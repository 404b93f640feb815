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


def airbench(classes="abc", width=4, flip=True):
    sample = np.random.default_rng(3).integers(0, 256, (64, 32, 32, 3), dtype=np.uint8)
    return build_classifier("airbench", list(classes), (32, 32), 3, width=width, flip=flip, sample=sample)


def test_whitening_kernel_decorrelates_patches():
    from gallery.classification.models import whitening_kernel

    rng = np.random.default_rng(4)
    images = rng.normal(size=(200, 8, 8, 3)) + rng.normal(size=(200, 8, 8, 1))  # channels strongly correlated
    kernel = whitening_kernel(images, eps=0)
    patches = np.lib.stride_tricks.sliding_window_view(images, (2, 2), axis=(1, 2)).transpose(0, 1, 2, 4, 5, 3)
    responses = patches.reshape(-1, 12) @ kernel.reshape(12, 24)[:, :12]
    np.testing.assert_allclose(responses.T @ responses / len(responses), np.eye(12), atol=1e-4)


@pytest.mark.parametrize("flip", [True, False])
def test_airbench_averages_test_time_views_only_at_inference(flip):
    model = airbench(flip=flip)
    images = np.random.default_rng(5).integers(0, 256, (3, 45, 37, 3), dtype=np.uint8)
    probs = model.predict(images, verbose=0)
    assert probs.shape == (3, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-5)
    assert model(images, training=True).shape == (3, 3)
    views = model.get_layer("views")(images.astype("float32") / 255)
    assert views.shape[0] == (6 if flip else 3) * 3


def test_airbench_cutout_erases_one_square_of_the_mean_colour_in_training_only():
    from gallery.classification.models import airbench_augmentation

    mean = np.array([0.25, 0.5, 0.75])
    *_, cutout = airbench_augmentation(32, True, 2, 12, mean)
    images = np.ones((8, 32, 32, 3), "float32")
    erased = np.asarray(cutout(images, training=True))
    for image in erased:
        rows, columns = np.nonzero(np.all(np.isclose(image, mean), axis=-1))
        assert len(rows) == 144 and np.ptp(rows) == np.ptp(columns) == 11
    assert np.array_equal(cutout(images, training=False), images)


def test_airbench_view_average_of_identical_views_is_the_view():
    from gallery.classification.models import MeanOverViews

    logits = np.random.default_rng(6).normal(size=(2, 5)).astype("float32")
    np.testing.assert_allclose(MeanOverViews()(np.tile(logits, (6, 1))), logits, rtol=1e-6)


def test_airbench_saves_and_loads_with_its_custom_layers(tmp_path):
    import keras

    from gallery.classification.predict import class_activation_map

    model = airbench()
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    image = np.random.default_rng(7).integers(0, 256, (1, 32, 32, 3), dtype=np.uint8)
    np.testing.assert_allclose(loaded.predict(image, verbose=0), model.predict(image, verbose=0), atol=1e-6)
    cam = class_activation_map(loaded, image[0], 1)
    assert cam.shape == (3, 3) and cam.max() <= 1


def test_airbench_recipe_is_the_default_for_its_architecture_only():
    from gallery.classification.config import TrainConfig
    from gallery.classification.train import airbench_sgd

    assert TrainConfig(arch="airbench").batch_size == 1024 and TrainConfig().batch_size == 256
    assert TrainConfig(arch="airbench", epochs=3).epochs == 3
    optimizer = airbench_sgd(1.5, 0.0, 100)

    def rate_at(step):
        optimizer.iterations.assign(step)
        return float(optimizer.learning_rate)

    np.testing.assert_allclose([rate_at(step) for step in (0, 23, 62, 100, 200)],
                               [0.3, 1.5, 1.5 + (0.105 - 1.5) * 39 / 77, 0.105, 0.105], rtol=1e-6)


def test_airbench_shifts_are_whole_pixels_uniform_over_the_range_with_reflected_borders():
    from gallery.classification.models import RandomShift

    images = np.tile(np.arange(8, dtype="float32")[None, None, :, None], (4000, 8, 1, 1))  # column index as value
    shifted = np.asarray(RandomShift(2, seed=0)(images, training=True))
    offsets = shifted[:, 0, 3, 0] - 3  # column 3 never reaches the border for |shift| ≤ 2
    counts = np.bincount((offsets + 2).astype(int), minlength=5)
    assert counts.sum() == 4000 and counts.min() > 650  # each of -2..2 about a fifth of the time
    row = shifted[np.flatnonzero(offsets == 2)[0], 0, :, 0]
    np.testing.assert_array_equal(row, [2, 3, 4, 5, 6, 7, 6, 5])  # reflected, the edge pixel not repeated
    np.testing.assert_array_equal(RandomShift(2)(images[:2]), images[:2])  # inference: unchanged


def test_airbench_flips_alternate_by_epoch_from_a_random_start():
    import keras

    from gallery.classification.models import AlternateFlips, random_mirrors

    images = np.random.default_rng(5).integers(0, 256, (40, 4, 4, 3), dtype=np.uint8)
    start = random_mirrors(images, seed=0)
    mirrored = np.array([np.array_equal(s, i[:, ::-1]) and not np.array_equal(s, i) for s, i in zip(start, images)])
    assert 5 < mirrored.sum() < 35
    model = airbench()
    callback = AlternateFlips()
    callback.set_model(model)
    flip = model.get_layer("aug_flip")
    for epoch, expected in ((0, images), (1, images[:, :, ::-1]), (2, images)):
        callback.on_epoch_begin(epoch)
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(flip(images.astype("float32"), training=True)),
                                      expected)
