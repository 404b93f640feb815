"""Emotion family end to end on a FER2013 slice: train, evaluate, predict with detection, export, bench."""

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT, run_cli
from PIL import Image

from gallery.emotion.bench import group_photo, peer_probabilities
from gallery.emotion.data import CSV_LABELS, EMOTIONS, load_split
from gallery.emotion.predict import analyse_image, load_emotion_model
from gallery.preprocessing.faces import detect_faces


def last_json(result, status=0):
    assert result.returncode == status, result.stderr[-2000:]
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


def write_video(path, crops, seconds=3, fps=10):
    """An mp4 of the given faces side by side, drifting right by 2 pixels a frame."""
    import cv2

    still = group_photo(crops)
    height, width = still.shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width + 2 * seconds * fps, height))
    for frame in range(seconds * fps):
        canvas = np.full((height, width + 2 * seconds * fps, 3), 110, np.uint8)
        canvas[:, 2 * frame: 2 * frame + width] = still
        writer.write(canvas)
    writer.release()
    return path


def test_video_gives_per_frame_faces_in_tracks(tiny_emotion_model, fer_folder, tmp_path):
    crops = detectable_crops(fer_folder, count=2)
    video = write_video(tmp_path / "two_faces.mp4", crops)
    result = last_json(run_cli("predict", "emotion", video, "--model", tiny_emotion_model, "--json"))
    (clip,) = result["predictions"]
    assert [frame["time_s"] for frame in clip["frames"]] == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]  # 2 frames a second
    assert clip["tracks"] == 2
    for frame in clip["frames"]:
        assert [face["track"] for face in frame["faces"]] == [0, 1]  # left to right, the same face each time
        assert all(face["label"] in EMOTIONS for face in frame["faces"])
    text = run_cli("predict", "emotion", video, "--model", tiny_emotion_model)
    assert text.returncode == 0 and "two_faces.mp4 at 2.5 s: face 2 at" in text.stdout


def test_bad_and_faceless_videos_get_a_message(tiny_emotion_model, tmp_path):
    import cv2

    (tmp_path / "corrupt.mp4").write_bytes(b"not a video" * 100)
    writer = cv2.VideoWriter(str(tmp_path / "empty_room.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 5, (160, 120))
    for _ in range(10):
        writer.write(np.full((120, 160, 3), 90, np.uint8))
    writer.release()
    result = run_cli("predict", "emotion", tmp_path / "corrupt.mp4", tmp_path / "empty_room.avi", "--model",
                     tiny_emotion_model, "--json")
    corrupt, room = last_json(result, status=2)["predictions"]
    assert "cannot be read as a video" in corrupt["error"]
    assert room["tracks"] == 0 and len(room["frames"]) == 4 and "no face found in any" in room["message"]
    assert "Traceback" not in result.stderr


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


@pytest.mark.parametrize("model_fixture", ["tiny_emotion_model", "shipped_emotion"])
def test_savedmodel_matches_keras_on_face_crops(model_fixture, fer_folder, tmp_path, request):
    tiny_emotion_model = request.getfixturevalue(model_fixture)
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


def test_app_page_photos_videos_and_detectors(tiny_emotion_model, fer_folder, tmp_path):
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "apps" / "gallery_app.py"), default_timeout=120).run()
    app.switch_page("emotion.py").run()
    assert app.radio(key="emotion_detector").value == "yunet"
    examples = app.selectbox(key="emotion_example")
    examples.select_index(next(i for i, name in enumerate(examples.options) if "astronaut" in name)).run()
    assert not app.exception and app.subheader[0].value.startswith("Face 1:")
    assert len(app.get("vega_lite_chart")) == 1
    assert "what the model sees (48×48)" in [image.proto.imgs[0].caption for image in app.get("image")]
    app.radio(key="emotion_detector").set_value("haar").run()  # a widget changed after a result
    assert not app.exception and app.subheader[0].value.startswith("Face 1:")
    examples = app.selectbox(key="emotion_example")
    examples.select_index(next(i for i, name in enumerate(examples.options) if "coffee" in name)).run()
    assert "No face found" in app.warning[0].value
    app.checkbox(key="emotion_no_detect").check().run()
    assert app.subheader[0].value.startswith("Face 1:") and not app.exception

    crops = detectable_crops(fer_folder, count=3)
    photo = tmp_path / "group.png"
    Image.fromarray(group_photo(crops)).save(photo)
    app.checkbox(key="emotion_no_detect").uncheck()
    app.radio(key="emotion_detector").set_value("yunet")
    app.radio(key="emotion_source").set_value("Upload").run()
    app.file_uploader(key="emotion_upload").set_value(("group.png", photo.read_bytes(), "image/png")).run()
    assert not app.exception and [h.value.split(":")[0] for h in app.subheader] == ["Face 1", "Face 2", "Face 3"]

    app.radio(key="emotion_kind").set_value("Video").run()
    assert not app.exception and app.subheader[0].value == "Face 1: seen in 8 frame(s)"  # the 4-second example
    assert len(app.get("vega_lite_chart")) == 1
    app.radio(key="emotion_video_source").set_value("Upload").run()
    app.file_uploader(key="emotion_video_upload").set_value(("clip.mp4", b"not a video", "video/mp4")).run()
    assert not app.exception and "cannot be read as a video" in app.error[0].value
    video = write_video(tmp_path / "two.mp4", crops[:2]).read_bytes()
    app.file_uploader(key="emotion_video_upload").set_value(("two.mp4", video, "video/mp4")).run()
    assert not app.exception and [h.value for h in app.subheader] == ["Face 1: seen in 6 frame(s)",
                                                                     "Face 2: seen in 6 frame(s)"]
