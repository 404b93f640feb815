"""Emotion family end to end on a FER2013 slice: train, evaluate, predict with detection, export, bench."""

import json
import subprocess
import sys

import numpy as np
from conftest import ROOT, run_cli
from PIL import Image

from gallery.emotion.bench import group_photo, peer_probabilities
from gallery.emotion.data import CSV_LABELS, EMOTIONS, load_split
from gallery.emotion.predict import analyse_image, load_emotion_model
from gallery.preprocessing.faces import detect_faces


def last_json(result):
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def detectable_crops(fer_folder, count=3):
    crops = load_split(fer_folder, "private_test").x
    return [crop for crop in crops if len(detect_faces(group_photo([crop])))][:count]


def test_training_card_and_private_test_evaluation(tiny_emotion_model, fer_folder):
    card = json.loads((tiny_emotion_model / "card.json").read_text())
    assert card["training"]["selected_epoch"] == 1 and card["classes"] == EMOTIONS
    result = last_json(run_cli("evaluate", "emotion", "--model", tiny_emotion_model, "--data-dir", fer_folder,
                               "--json"))
    assert result["split"] == "private_test" and result["examples"] == 21
    assert {"accuracy", "balanced_accuracy", "expected_calibration_error"} <= set(result["metrics"])
    assert set(result["per_class"]) == set(EMOTIONS)
    assert (tiny_emotion_model / "confusion_matrix.png").exists()


def test_predict_finds_every_face_and_reports_no_face(tiny_emotion_model, fer_folder, tmp_path):
    crops = detectable_crops(fer_folder)
    Image.fromarray(group_photo(crops)).save(tmp_path / "group.png")
    Image.new("RGB", (320, 240), (90, 140, 200)).save(tmp_path / "sky.png")
    result = last_json(run_cli("predict", "emotion", tmp_path / "group.png", tmp_path / "sky.png",
                               "--model", tiny_emotion_model, "--json"))
    group, sky = result["predictions"]
    assert len(group["faces"]) == len(crops)
    for face in group["faces"]:
        assert len(face["box"]) == 4 and face["label"] in EMOTIONS
        assert np.isclose(sum(face["probabilities"].values()), 1, atol=1e-4)
    assert sky["faces"] == [] and "no face" in sky["message"]
    whole = last_json(run_cli("predict", "emotion", tmp_path / "sky.png", "--no-detect", "--model",
                              tiny_emotion_model, "--json"))["predictions"][0]
    assert [face["box"] for face in whole["faces"]] == [[0, 0, 320, 240]]


SERVE = """
import json, sys
import numpy as np, tensorflow as tf
saved = tf.saved_model.load(sys.argv[1])
crops = np.load(sys.argv[2])
gray = saved.signatures["serving_default"](crops=tf.constant(crops[..., None]))
rgb = saved.signatures["serving_default"](crops=tf.constant(np.repeat(crops[..., None], 3, -1)))
encoded = saved.signatures["classify_encoded"](images=tf.constant([open(p, "rb").read() for p in sys.argv[3:]]))
print(json.dumps({k: v["probabilities"].numpy().tolist() for k, v in (("gray", gray), ("rgb", rgb), ("encoded", encoded))}))
"""


def test_savedmodel_matches_keras_on_face_crops(tiny_emotion_model, fer_folder, tmp_path):
    exported = run_cli("export", "emotion", "--model", tiny_emotion_model, "--out", tmp_path / "saved")
    assert exported.returncode == 0, exported.stderr[-2000:]
    crops = load_split(fer_folder, "public_test").x[:6]
    np.save(tmp_path / "crops.npy", crops)
    paths = []
    for i, crop in enumerate(crops):
        paths.append(tmp_path / f"crop{i}.png")
        Image.fromarray(crop).save(paths[-1])
    served = subprocess.run([sys.executable, "-c", SERVE, str(tmp_path / "saved"), str(tmp_path / "crops.npy"),
                             *map(str, paths)], capture_output=True, text=True, cwd=ROOT)
    assert served.returncode == 0, served.stderr[-2000:]
    outputs = json.loads(served.stdout.strip().splitlines()[-1])
    model, class_names = load_emotion_model(tiny_emotion_model)
    expected = np.array([face["probabilities"][name] for crop in crops
                         for face in analyse_image(model, class_names, crop, detect=False) for name in class_names])
    for key in ("gray", "rgb", "encoded"):
        np.testing.assert_allclose(np.ravel(outputs[key]), expected, atol=1e-4, err_msg=key)


def test_bench_without_peer(tiny_emotion_model):
    numbers = last_json(run_cli("bench", "emotion", "--model", tiny_emotion_model, "--repeats", 2, "--json"))
    assert numbers["faces_per_s_batch64"] > 0
    assert any(key.startswith("ms_per_photo") for key in numbers)


def test_peer_outputs_are_reordered_to_our_classes():
    import keras

    sad = CSV_LABELS.index("sad")  # the peer's (challenge) index of "sad"
    peer = keras.Sequential([keras.Input((64, 64, 1)), keras.layers.Flatten(),
                             keras.layers.Dense(7, kernel_initializer="zeros",
                                                bias_initializer=keras.initializers.Constant(np.eye(7)[sad] * 9)),
                             keras.layers.Softmax()])
    probabilities = peer_probabilities(peer, np.zeros((2, 48, 48), np.uint8))
    assert [EMOTIONS[i] for i in probabilities.argmax(axis=1)] == ["sad", "sad"]


def test_app_page_shows_faces_and_no_face(tiny_emotion_model):
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "apps" / "gallery_app.py"), default_timeout=120).run()
    app.switch_page("emotion.py").run()
    examples = app.selectbox(key="emotion_example")
    examples.select_index(next(i for i, name in enumerate(examples.options) if "astronaut" in name)).run()
    assert not app.exception
    assert app.subheader[0].value.startswith("Face 1:")
    assert len(app.get("vega_lite_chart")) == 1
    examples = app.selectbox(key="emotion_example")
    examples.select_index(next(i for i, name in enumerate(examples.options) if "coffee" in name)).run()
    assert "No face found" in app.warning[0].value
    app.checkbox(key="emotion_no_detect").check().run()
    assert app.subheader[0].value.startswith("Face 1:") and not app.exception
