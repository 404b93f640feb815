"""The CLI contract: --json puts one JSON object on the last line; user errors exit 2, no traceback."""

import json
import re
from pathlib import Path

from conftest import run_cli
from PIL import Image


def last_json(result, status=0):
    assert result.returncode == status, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_list_shows_tasks_and_models(tiny_model):
    listing = last_json(run_cli("list", "--json"))
    assert {task["name"] for task in listing["tasks"]} == {"classification", "emotion", "style", "summarization"}
    assert any(model["name"] == tiny_model.name and "accuracy" in model["metrics"] and not model["demo"]
               for model in listing["models"])


def test_list_says_how_to_train_a_family_without_models(tmp_path):
    listing = run_cli("list", env={"GALLERY_MODELS_DIR": str(tmp_path)}).stdout
    assert listing.count("no model shipped; train one with: python -m gallery train ") == 4


def test_evaluate_writes_metrics_card_and_confusion_matrix(tiny_model, cifar_slice):
    result = last_json(run_cli("evaluate", "classification", "--model", tiny_model, "--data-dir", cifar_slice, "--json"))
    assert result["examples"] == 50 and 0 <= result["metrics"]["accuracy"] <= 1
    assert set(result["per_class"]["cat"]) == {"precision", "recall", "support"}
    card = json.loads((tiny_model / "card.json").read_text())
    assert card["evaluation"]["metrics"] == result["metrics"]
    assert card["evaluation"]["command"].startswith("python -m gallery evaluate classification")
    assert (tiny_model / "confusion_matrix.png").stat().st_size > 1000
    assert "accuracy" in (tiny_model / "README.md").read_text()


def test_predict_top_k_and_bad_files(tiny_model, photos, tmp_path):
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    result = last_json(run_cli("predict", "classification", photos[0], empty, tmp_path / "gone.jpg", "--model",
                               tiny_model, "--top-k", 3, "--json"), status=2)  # the good file's result is still given
    good, bad, missing = result["predictions"]
    assert len(good["top_k"]) == 3 and good["top_k"][0]["probability"] >= good["top_k"][1]["probability"]
    assert "empty" in bad["error"]
    assert missing == {"file": str(tmp_path / "gone.jpg"), "error": "No such file or directory"}


def test_predict_handles_cmyk_and_rgba_uploads(tiny_model, tmp_path):
    Image.new("CMYK", (40, 30), (10, 200, 30, 0)).save(tmp_path / "cmyk.jpg")
    Image.new("RGBA", (40, 30), (10, 200, 30, 90)).save(tmp_path / "rgba.png")
    result = last_json(run_cli("predict", "classification", tmp_path / "cmyk.jpg", tmp_path / "rgba.png",
                               "--model", tiny_model, "--json"))
    assert all("top_k" in prediction for prediction in result["predictions"])


def test_predict_takes_a_folder_of_images(tiny_model, tmp_path):
    for name in ("b.png", "a.jpg"):
        Image.new("RGB", (40, 30), (200, 30, 10)).save(tmp_path / name)
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "empty").mkdir()
    result = last_json(run_cli("predict", "classification", tmp_path, tmp_path / "empty", "--model", tiny_model,
                               "--json"), status=2)
    files = [Path(prediction["file"]).name for prediction in result["predictions"]]
    assert files == ["a.jpg", "b.png", "empty"]
    assert "top_k" in result["predictions"][0] and "no image files" in result["predictions"][2]["error"]


def test_user_errors_exit_2_with_a_message(tmp_path):
    result = run_cli("evaluate", "classification", "--model", tmp_path / "missing", "--json")
    assert result.returncode == 2
    assert "No model at" in result.stderr and "Traceback" not in result.stderr
    assert "error" in json.loads(result.stdout.strip().splitlines()[-1])
    for task, extra in (("style", ["--out", tmp_path / "saved"]), ("summarization", ["--out", tmp_path / "saved"])):
        result = run_cli("export", task, "--model", tmp_path / "missing", *extra)  # every family loads models alike
        assert result.returncode == 2 and "No model at" in result.stderr and "Traceback" not in result.stderr


def test_export_without_out_writes_under_exported(tiny_model, tmp_path, monkeypatch, capsys):
    from gallery.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["export", "classification", "--model", str(tiny_model), "--json"]) == 0
    written = tmp_path / "exported" / "classification" / tiny_model.name
    assert (written / "saved_model.pb").is_file()
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["saved_model"] == str(Path("exported") / "classification" / tiny_model.name)


def test_bench_prints_a_table_and_json(tiny_model):
    result = run_cli("bench", "classification", "--model", tiny_model, "--repeats", 2)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "savedmodel_1_jpeg_ms" in result.stdout
    numbers = last_json(run_cli("bench", "classification", "--model", tiny_model, "--repeats", 2, "--json"))
    assert numbers["keras_1_image_ms"] > 0 and numbers["train_images_per_s"] > 0 and numbers["peak_memory_mb"] > 0


def test_failed_download_is_a_clear_error(tmp_path):
    offline = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "KERAS_HOME": str(tmp_path),
               "GALLERY_DATA_DIR": str(tmp_path)}
    result = run_cli("train", "classification", "--dataset", "mnist", "--epochs", 1, "--out", tmp_path / "m", env=offline)
    assert result.returncode == 2
    assert "Could not download mnist" in result.stderr and "Traceback" not in result.stderr


def test_card_metrics_are_formatted_by_kind():
    from gallery.cards import format_metric

    assert format_metric("accuracy", 0.9434) == "94.34 %"
    assert format_metric("rouge2", 0.6146) == "61.46 %"
    assert format_metric("style_loss_vs_optimisation", 2.987) == "2.99×"
    assert format_metric("content_loss", 4928.1) == "4,928"
    assert format_metric("ms_per_512px_image", 236.4) == "236"


def test_a_style_headline_shows_the_content_ratio_beside_the_style_ratio():
    from gallery.cards import headline

    card = {"headline_metric": "style_loss_vs_optimisation",
            "evaluation": {"split": "held-out photos", "examples": 3,
                           "metrics": {"style_loss_vs_optimisation": 1.554, "content_loss_vs_optimisation": 1.771}}}
    assert headline(card) == ("style_loss_vs_optimisation 1.55×, content_loss_vs_optimisation 1.77× "
                              "(held-out photos, 3 examples)")
    del card["evaluation"]["metrics"]["content_loss_vs_optimisation"]
    assert headline(card) == "style_loss_vs_optimisation 1.55× (held-out photos, 3 examples)"


def test_a_chain_of_fine_tunings_is_recorded_earliest_first(tmp_path):
    from gallery import cards

    first, second, third = tmp_path / "first", tmp_path / "second", tmp_path / "third"
    for folder in (first, second, third):
        folder.mkdir()
    cards.update(first, file={"sha256": "aaa"}, training={"command": "train from scratch"})
    cards.update(second, file={"sha256": "bbb"}, training={"command": "tune at 512", "started_from": cards.provenance(first)})
    cards.update(third, training={"command": "tune on photos", "started_from": cards.provenance(second)})
    assert cards.provenance(second)["started_from"]["sha256"] == "aaa"
    text = (third / "README.md").read_text()
    assert text.index("train from scratch") < text.index("tune at 512") < text.index("tune on photos")
    assert "Started from the network in" in text and "then continued as the network in" in text


def test_a_folder_given_as_input_file_is_a_clear_error(tmp_path):
    result = run_cli("predict", "summarization", tmp_path)
    assert result.returncode == 2
    assert "Is a directory" in result.stderr and "Traceback" not in result.stderr


def test_transfer_learning_records_the_starting_network(tiny_model, cifar_slice, tmp_path):
    common = ["train", "classification", "--dataset", "cifar10", "--data-dir", cifar_slice, "--width", 4,
              "--epochs", 1, "--batch-size", 32, "--limit", 64, "--out", tmp_path / "tuned"]
    missing = run_cli(*common, "--init-from", tmp_path / "no_such_model")
    assert missing.returncode == 2 and "No model at" in missing.stderr
    result = run_cli(*common, "--init-from", tiny_model)
    assert result.returncode == 0 and "Initialised" in result.stdout, result.stderr[-2000:]
    start = json.loads((tmp_path / "tuned" / "card.json").read_text())["training"]["started_from"]
    assert start["sha256"] == json.loads((tiny_model / "card.json").read_text())["file"]["sha256"]
    assert "--width 4" in start["command"] and "Started from the network" in (tmp_path / "tuned" / "README.md").read_text()


def test_a_model_of_another_family_is_named_in_one_line(photos):
    from conftest import ROOT

    result = run_cli("predict", "classification", photos[0], "--model", ROOT / "models" / "style" / "wave")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "is a style model, not a classification one" in result.stderr.strip().splitlines()[-1]


def test_no_tensorflow_start_up_noise_and_early_model_check(tiny_model, photos, tmp_path):
    # what importing Keras prints on this machine (oneDNN's lines on CPUs where TensorFlow enables it; maybe nothing)
    stamp = r"^\d{4}-\d\d-\d\d [\d:.]+: |^[IWEF]\d{4} [\d:.]+ +\d+ [^\]]*\] "  # TF's and absl's time stamps
    noise = [re.sub(stamp, "", line) for line in run_cli("-c", "import keras", launcher=()).stderr.splitlines()
             if line.strip()]
    quiet = run_cli("predict", "classification", photos[0], "--model", tiny_model)
    assert quiet.returncode == 0 and "absl" not in quiet.stderr and not any(line in quiet.stderr for line in noise)
    loud = run_cli("predict", "classification", photos[0], "--model", tiny_model, "--verbose")
    assert loud.returncode == 0 and all(line in loud.stderr for line in noise), (noise, loud.stderr)
    for name in ("keras", "tensorflow"):  # stand-ins that fail if the command imports them
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(f"raise ImportError('{name} was imported')")
    from conftest import ROOT

    missing = run_cli("predict", "classification", photos[0], "--model", tmp_path / "none",
                      env={"PYTHONPATH": f"{tmp_path}:{ROOT}"})
    assert missing.returncode == 2 and missing.stderr.startswith("error: No model at"), missing.stderr
