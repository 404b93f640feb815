"""Style transfer: the loss network, the fast network, optimisation, CLI, resume and SavedModel parity."""

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import ROOT, run_cli
from PIL import Image
from test_resume import finished_epochs

from gallery.preprocessing.images import read_image
from gallery.style.data import random_crops, split_photos
from gallery.style.lossnet import gram_matrix, load_squeezenet_weights, squeezenet_trunk
from gallery.style.models import build_transform_net


def photo(path, size=96, box=None):
    image = Image.open(path).convert("RGB")
    return np.asarray((image.crop(box) if box else image).resize((size, size)), np.float32)


def test_squeezenet_loads_every_weight_and_separates_photos(shared_data, squeezenet):
    from gallery.style.lossnet import feature_extractor

    trunk = squeezenet_trunk()
    assert load_squeezenet_weights(trunk, squeezenet) == trunk.count_params() == 722_496
    extractor = feature_extractor("squeezenet", squeezenet)
    content = shared_data / "content"
    one, shifted = photo(content / "chicago.jpg", box=(0, 0, 400, 400)), photo(content / "chicago.jpg", box=(16, 16, 416, 416))
    other = photo(content / "flowers.jpg", box=(0, 0, 400, 400))
    grams = [np.concatenate([np.ravel(gram_matrix(f)) for f in extractor(x[None])["style"]]) for x in (one, shifted, other)]
    assert np.linalg.norm(grams[0] - grams[2]) > 5 * np.linalg.norm(grams[0] - grams[1])
    random = squeezenet_trunk()  # untrained: the separation comes from the ImageNet weights
    assert not np.allclose(np.asarray(random(one[None])), np.asarray(trunk(one[None])))


@pytest.mark.parametrize("height, width", [(64, 64), (37, 50), (1, 9)])
def test_transform_net_keeps_size_and_range(height, width):
    model = build_transform_net()
    out = np.asarray(model(np.random.default_rng(0).integers(0, 256, (2, height, width, 3)).astype("float32")))
    assert out.shape == (2, height, width, 3)
    assert out.min() >= 0 and out.max() <= 255


def test_fast_path_is_one_graph_for_every_size_with_the_eager_output():
    from gallery.style.predict import compiled_transform, fast_stylise

    model = build_transform_net()
    for height, width in ((64, 64), (37, 50), (64, 64)):
        image = np.random.default_rng(height).integers(0, 256, (height, width, 3), dtype=np.uint8)
        eager = np.asarray(model(image[None].astype("float32"), training=False))[0].round().clip(0, 255)
        assert np.abs(fast_stylise(model, image).astype(int) - eager.astype(int)).max() <= 1
    assert compiled_transform(model).experimental_get_tracing_count() == 1


@pytest.mark.parametrize("growth, new_layer", [({"separable_blocks": 2}, "sep1_project_conv"),
                                               ({"input_skip": True}, "skip2_conv"),
                                               ({"photo_residual": True}, "photo_residual")])
def test_a_grown_network_starts_as_the_one_it_grew_from(growth, new_layer):
    from gallery.errors import UserError
    from gallery.style.models import grown_from

    plain = build_transform_net()
    plain.set_weights([w + np.random.default_rng(i).normal(0, 0.05, w.shape) for i, w in enumerate(plain.get_weights())])
    grown = grown_from(build_transform_net(**growth), plain)
    assert grown.count_params() > plain.count_params()
    image = np.random.default_rng(1).integers(0, 256, (1, 37, 50, 3)).astype("float32")  # sides not divisible by 4
    np.testing.assert_allclose(np.asarray(grown(image)), np.asarray(plain(image)), atol=1e-3)
    grown.get_layer(new_layer).set_weights([np.ones_like(w) for w in grown.get_layer(new_layer).get_weights()])
    assert np.abs(np.asarray(grown(image)) - np.asarray(plain(image))).max() > 1  # the new layers do take part
    with pytest.raises(UserError, match="separable-blocks"):
        grown_from(build_transform_net(), grown)


@pytest.mark.parametrize("max_upscale, upscaled", [(2.0, True), (1.0, False)])
def test_crops_are_enlarged_at_most_max_upscale(max_upscale, upscaled):
    photo = np.random.default_rng(0).integers(0, 256, (64, 80, 3), np.uint8)
    crops = random_crops([photo], 64, 20, np.random.default_rng(0), max_upscale)
    windows = [np.array_equal(crop, photo[:, x:x + 64]) or np.array_equal(crop, photo[:, x:x + 64][:, ::-1])
               for crop in crops for x in range(17)]
    assert sum(windows) < 20 if upscaled else sum(windows) == 20


def test_held_out_photos_are_every_third(shared_data):
    train, held_out = split_photos(shared_data / "content")
    assert len(held_out) >= 2 and not set(train) & set(held_out)


@pytest.mark.parametrize("count, held", [(7, 3), (450, 113), (2000, 100)])
def test_about_100_photos_of_a_large_folder_are_held_out(tmp_path, count, held):
    for i in range(count):
        (tmp_path / f"{i:05d}.jpg").touch()
    train, held_out = split_photos(tmp_path)
    assert len(held_out) == held and len(train) == count - held and held_out[0].name == "00000.jpg"


def test_evaluate_reports_both_held_out_sets_and_reuses_the_references(tiny_style, shared_data, monkeypatch,
                                                                      tmp_path):
    from gallery.style import evaluate

    photos = tmp_path / "photos"
    photos.mkdir()
    for i, path in enumerate(sorted((shared_data / "content").glob("*.jpg"))[:6]):
        Image.fromarray(photo(path, 48).astype(np.uint8)).save(photos / f"{i}.jpg")
    monkeypatch.setattr(evaluate, "REFERENCE_CACHE", tmp_path / "cache")
    model = tmp_path / "model"
    shutil.copytree(tiny_style, model)
    result = evaluate.evaluate_model(model, shared_data / "content", size=64, steps=2, photos_dir=photos, report=None)
    second = result["second_set"]
    assert second["examples"] == 2 and second["rule"].startswith("one in 3 of 6 photos")
    assert second["metrics"]["style_loss_vs_optimisation"] > 0
    assert 0 <= result["metrics"]["invented_dark_share"] <= 1
    cached = sorted((tmp_path / "cache").iterdir())
    assert len(cached) == 3 + 2
    again = evaluate.evaluate_model(model, shared_data / "content", size=64, steps=2, photos_dir=photos, report=None)
    assert sorted((tmp_path / "cache").iterdir()) == cached
    assert again["second_set"]["metrics"] == second["metrics"]
    assert "Second held-out set: 2 photos" in (model / "README.md").read_text()


def test_evaluation_takes_the_style_as_training_saw_it(tiny_style, shared_data, tmp_path):
    from gallery import cards
    from gallery.style import evaluate

    painting = shared_data / "styles" / "wave.jpg"  # 928 × 514
    path, style = evaluate.training_style(tiny_style)
    assert path == painting and style.shape == (284, 512, 3)
    saved = read_image(tiny_style / "style.png")
    np.testing.assert_array_equal(saved, style)
    model = tmp_path / "model"
    shutil.copytree(tiny_style, model)
    card = cards.load_card(model)
    card["training"]["config"]["style_image"] = str(tmp_path / "elsewhere.jpg")
    (model / "card.json").write_text(json.dumps(card))
    assert evaluate.training_style(model)[0] == model / "style.png"


def test_invented_dark_counts_dark_pixels_only_where_the_photo_is_bright():
    from gallery.style.evaluate import invented_dark

    photo = np.full((10, 10, 3), 200, np.uint8)
    photo[:, :5] = 20  # a dark half already
    image = np.full((10, 10, 3), 180, np.uint8)
    image[:2] = 10  # dark rows across both halves
    assert invented_dark(image, photo) == 0.1 and invented_dark(photo, photo) == 0


def test_an_empty_second_set_fails_before_any_optimisation(tiny_style, shared_data, monkeypatch, tmp_path):
    from gallery.errors import UserError
    from gallery.style import evaluate

    monkeypatch.setattr(evaluate, "held_out_metrics", lambda *args: pytest.fail("optimised before checking"))
    with pytest.raises(UserError, match="holds no images"):
        evaluate.evaluate_model(tiny_style, shared_data / "content", photos_dir=tmp_path, report=None)


def test_strength_is_the_share_of_the_style():
    from gallery.style.predict import finished

    photo, stylised = np.zeros((4, 4, 3), np.uint8), np.full((4, 4, 3), 200, np.uint8)
    assert 125 <= finished(stylised, photo, 0.5).mean() <= 140  # 0.5 ** 0.6 of the way, not half
    assert (finished(stylised, photo, 0.0) == photo).all() and (finished(stylised, photo, 1.0) == stylised).all()


def test_kept_colours_keep_the_photos_brightness_under_the_styles_texture():
    from gallery.style.predict import finished

    rows = np.linspace(20, 60, 32)[:, None] * np.ones((1, 32))
    photo = np.stack([rows + 30, rows, rows], axis=-1).astype(np.uint8)  # a dark, reddish gradient
    texture = np.random.default_rng(0).uniform(150, 250, (32, 32))
    stylised = np.stack([texture * 0.5, texture, texture], axis=-1).astype(np.uint8)  # bright, cyan
    luma = lambda image: np.asarray(Image.fromarray(image).convert("YCbCr"))[..., 0].astype(float)  # noqa: E731
    kept = finished(stylised, photo, 1.0, keep_colors=True)
    assert abs(luma(kept).mean() - luma(photo).mean()) < 2 and abs(luma(kept).std() - luma(photo).std()) < 2
    assert np.corrcoef(luma(kept).ravel(), luma(stylised).ravel())[0, 1] > 0.95  # the texture is the style's
    assert (kept[..., 0] > kept[..., 1]).mean() > 0.9  # still reddish
    half = finished(stylised, photo, 0.5, keep_colors=True)
    assert 0.5 < np.corrcoef(luma(half).ravel(), luma(stylised).ravel())[0, 1] < 0.95


def test_optimisation_lowers_the_style_loss(shared_data, squeezenet):
    from gallery.style.lossnet import feature_extractor
    from gallery.style.optimize import stylise_by_optimisation

    extractor = feature_extractor("squeezenet", squeezenet)
    content = photo(shared_data / "content" / "sailboat.jpg", 64).astype(np.uint8)
    style = photo(shared_data / "styles" / "the_scream.jpg", 64).astype(np.uint8)
    steps = []
    image, final, history = stylise_by_optimisation(extractor, content, style, steps=20,
                                                    report=lambda step, total, logs, preview: steps.append(step))
    assert image.shape == content.shape and image.dtype == np.uint8
    assert steps == list(range(1, 21))
    _, start, _ = stylise_by_optimisation(extractor, content, style, steps=1)
    assert final["style"] < 0.8 * start["style"]


def test_optimisation_of_any_size_runs_padded_to_16_and_returns_that_size(shared_data, squeezenet):
    from gallery.style.lossnet import feature_extractor
    from gallery.style.optimize import padded, stylise_by_optimisation

    content = np.asarray(Image.open(shared_data / "content" / "sailboat.jpg").convert("RGB").resize((45, 70)))
    assert padded(content).shape == (1, 80, 48, 3) and (padded(content)[0, :70, :45] == content).all()
    assert padded(content)[0, 70, 0, 0] == content[68, 0, 0]  # reflected, not repeated
    previews = []
    image, _, _ = stylise_by_optimisation(feature_extractor("squeezenet", squeezenet), content, content, steps=2,
                                          preview_every=1, report=lambda *args: previews.append(args[-1].shape))
    assert image.shape == content.shape and previews == [content.shape] * 2


def test_coarse_to_fine_reports_every_step_and_keeps_the_size(shared_data, squeezenet):
    from gallery.style.lossnet import feature_extractor
    from gallery.style.optimize import stylise_coarse_to_fine

    extractor = feature_extractor("squeezenet", squeezenet)
    content = photo(shared_data / "content" / "sailboat.jpg", 256).astype(np.uint8)
    style = photo(shared_data / "styles" / "the_scream.jpg", 64).astype(np.uint8)
    seen = []
    image, _, _ = stylise_coarse_to_fine(extractor, content, style, steps=6, preview_every=2,
                                         report=lambda step, total, logs, preview: seen.append((step, total, preview)))
    assert image.shape == content.shape and image.dtype == np.uint8
    assert [(step, total) for step, total, _ in seen] == [(step, 6) for step in range(1, 7)]
    previews = [preview.shape[:2] for _, _, preview in seen if preview is not None]
    half = (content.shape[0] // 2, content.shape[1] // 2)
    assert previews == [half, half, content.shape[:2]]  # steps 2, 4 at half size, 6 at full size


def test_cli_predict_fast_and_bad_style(tiny_style, shared_data, tmp_path):
    out = tmp_path / "out.jpg"
    result = run_cli("predict", "style", shared_data / "content" / "stata.jpg", "--style", "tiny_wave", "--size", 96,
                     "--out", out, "--keep-colors", "--strength", 0.7, "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1])["method"] == "fast"
    assert max(read_image(out).shape[:2]) == 96
    missing = run_cli("predict", "style", shared_data / "content" / "stata.jpg", "--style", "no_such_style")
    assert missing.returncode == 2 and "Unknown style" in missing.stderr


def test_savedmodel_matches_keras_within_one_grey_level(tiny_style, shared_data, tmp_path):
    from gallery.style.predict import fast_stylise, load_transform

    exported = run_cli("export", "style", "--model", tiny_style, "--out", tmp_path / "saved")
    assert exported.returncode == 0, exported.stderr[-2000:]
    image = photo(shared_data / "content" / "newyork.jpg", 80).astype(np.uint8)[:, :77]
    np.save(tmp_path / "image.npy", image)
    serve = ("import sys, numpy as np, tensorflow as tf; m = tf.saved_model.load(sys.argv[1]); "
             "out = m.signatures['serving_default'](images=tf.constant(np.load(sys.argv[2])[None]))['stylised']; "
             "np.save(sys.argv[3], out.numpy()[0])")
    served = subprocess.run([sys.executable, "-c", serve, str(tmp_path / "saved"), str(tmp_path / "image.npy"),
                             str(tmp_path / "out.npy")], capture_output=True, text=True, cwd=ROOT)
    assert served.returncode == 0, served.stderr[-2000:]
    saved = np.load(tmp_path / "out.npy")
    keras_out = fast_stylise(load_transform(str(tiny_style)), image)
    assert saved.dtype == np.uint8 and saved.shape == image.shape
    assert np.abs(saved.astype(int) - keras_out.astype(int)).max() <= 1


def test_fine_tuning_starts_from_the_given_network(tiny_style, shared_data, squeezenet, tmp_path):
    from gallery.training import load_model

    out = tmp_path / "tuned"
    common = ["train", "style", "--style-image", shared_data / "styles" / "wave.jpg", "--content-dir",
              shared_data / "content", "--size", 48, "--crops", 4, "--epochs", 1, "--out", out,
              "--loss-network-weights", squeezenet]
    missing = run_cli(*common, "--init-from", tmp_path / "no_such_model")
    assert missing.returncode == 2 and "No model at" in missing.stderr
    result = run_cli(*common, "--init-from", tiny_style, "--learning-rate", 0)  # no step moves a weight
    assert result.returncode == 0, result.stderr[-2000:]
    for tuned, start in zip(load_model(out).get_weights(), load_model(tiny_style).get_weights()):
        np.testing.assert_array_equal(tuned, start)
    card = json.loads((out / "card.json").read_text())
    start = card["training"]["started_from"]
    assert start["sha256"] == json.loads((tiny_style / "card.json").read_text())["file"]["sha256"]
    assert "--size 64" in start["command"] and "Started from the network" in (out / "README.md").read_text()
    assert card["title"] == "Fast style network: Wave"  # the painting's, not the folder's ("Tuned")


def test_kill_9_then_resume(shared_data, squeezenet, tmp_path):
    out = tmp_path / "style"
    command = [sys.executable, "-m", "gallery", "train", "style", "--style-image", str(shared_data / "styles" / "udnie.jpg"),
               "--content-dir", str(shared_data / "content"), "--size", "48", "--crops", "24", "--epochs", "3",
               "--out", str(out), "--loss-network-weights", str(squeezenet)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while finished_epochs(out) < 1 and process.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert 1 <= finished_epochs(out) < 3
    resumed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "Resuming" in resumed.stdout
    with open(out / "history.csv") as file:
        assert [int(row["epoch"]) for row in csv.DictReader(file)] == [0, 1, 2]
    assert (out / "model.keras").exists() and (out / "style.png").exists()


def test_offline_without_weights_is_a_clear_error(monkeypatch, tmp_path):
    import keras

    from gallery.errors import UserError
    from gallery.style import lossnet

    def offline(*args, **kwargs):
        raise OSError("no internet")

    monkeypatch.delenv("GALLERY_SQUEEZENET_WEIGHTS", raising=False)
    monkeypatch.setattr(lossnet, "CACHE", tmp_path)
    monkeypatch.setattr(lossnet, "SHIPPED_WEIGHTS", tmp_path / "absent.weights.h5")
    monkeypatch.setattr(keras.utils, "get_file", offline)
    with pytest.raises(UserError, match="GALLERY_SQUEEZENET_WEIGHTS"):
        lossnet.squeezenet_weights_path()


def test_coco_offline_is_a_clear_error(monkeypatch):
    import tensorflow_datasets as tfds

    from gallery.errors import UserError
    from gallery.style.data import training_content

    def offline(*args, **kwargs):
        raise ConnectionError("no internet")

    monkeypatch.setattr(tfds, "load", offline)
    with pytest.raises(UserError, match="COCO"):
        training_content("coco", 64, 4)


def test_shipped_loss_network_weights_equal_the_keras_squeezenet_file(squeezenet):
    from gallery.style.lossnet import SHIPPED_WEIGHTS

    original, shipped = squeezenet_trunk(), squeezenet_trunk()
    load_squeezenet_weights(original, squeezenet)
    assert load_squeezenet_weights(shipped, SHIPPED_WEIGHTS) == 722_496
    assert (SHIPPED_WEIGHTS.parent / "LICENSE").is_file()
    for a, b in zip(original.get_weights(), shipped.get_weights()):
        np.testing.assert_array_equal(a, b)
