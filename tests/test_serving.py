"""TF Serving exports: the versioned layout, models.config, saved_model_cli, and REST JSON bodies."""

import base64
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
from conftest import run_cli

from gallery.classification.predict import load_classifier, probabilities
from gallery.preprocessing.images import read_image
from gallery.serving import predict_json


def test_export_all_writes_versions_and_the_model_config(tiny_model, tiny_emotion_model, tmp_path):
    root = tmp_path / "models"
    for folder in (tiny_model, tiny_emotion_model):
        shutil.copytree(folder, root / folder.parent.name / folder.name, ignore=shutil.ignore_patterns("checkpoints"))
    serving = tmp_path / "serving"
    result = run_cli("export", "--all", "--out", serving, "--json", env={"GALLERY_MODELS_DIR": str(root)})
    assert result.returncode == 0, result.stderr[-2000:]
    exported = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(exported["models"]) == {tiny_model.name, tiny_emotion_model.name}
    config = (serving / "models.config").read_text()
    for name in exported["models"]:
        assert (serving / name / "1" / "saved_model.pb").exists()
        assert f'name: "{name}"' in config and f'base_path: "{(serving / name).resolve()}"' in config
    assert config.count("model_platform: \"tensorflow\"") == 2
    again = run_cli("export", "classification", "--model", tiny_model, "--serving-layout", "--out",
                    serving / tiny_model.name, "--json")
    assert json.loads(again.stdout.strip().splitlines()[-1])["saved_model"] == str(serving / tiny_model.name / "2")

    cli = Path(sys.executable).with_name("saved_model_cli")
    for name, inputs in ((tiny_model.name, "images"), (tiny_emotion_model.name, "crops")):
        shown = subprocess.run([str(cli), "show", "--dir", str(serving / name / "1"), "--tag_set", "serve",
                                "--signature_def", "serving_default"], capture_output=True, text=True)
        assert shown.returncode == 0 and f"inputs['{inputs}']" in shown.stdout and "probabilities" in shown.stdout


def test_rest_bodies_give_the_answers_of_predict(tiny_model, photos, tmp_path):
    exported = run_cli("export", "classification", "--model", tiny_model, "--out", tmp_path / "saved")
    assert exported.returncode == 0, exported.stderr[-2000:]
    blobs = [{"b64": base64.b64encode(path.read_bytes()).decode()} for path in photos[:3]]
    rows = predict_json(tmp_path / "saved", {"instances": blobs})["predictions"]
    columns = predict_json(tmp_path / "saved", {"inputs": {"images": blobs}})["outputs"]
    model, class_names = load_classifier(str(tiny_model))
    expected = np.array([probabilities(model, read_image(path)) for path in photos[:3]])
    np.testing.assert_allclose([row["probabilities"] for row in rows], expected, atol=1e-4)
    np.testing.assert_allclose(columns["probabilities"], expected, atol=1e-4)
    assert [row["label"] for row in rows] == [class_names[i] for i in expected.argmax(axis=1)] == columns["label"]


def test_rest_strings_give_the_summary_of_predict(tiny_summarizers, tmp_path):
    from gallery.summarization.predict import summarize

    model = tiny_summarizers["summary"]
    exported = run_cli("export", "summarization", "--model", model, "--out", tmp_path / "saved")
    assert exported.returncode == 0, exported.stderr[-2000:]
    text = "The council met on Monday. It approved the new bridge. Work starts in May. Residents welcomed it."
    answer = predict_json(tmp_path / "saved", {"instances": [text]})
    assert answer == {"predictions": [summarize(text, "summary", "neural", model_dir=str(model))["text"]]}
