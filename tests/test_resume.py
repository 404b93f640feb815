"""`train` survives kill -9 mid-epoch: the same command continues without losing an epoch."""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import keras
import pytest
from conftest import ROOT

from gallery import training  # noqa: F401  (registers airbench's schedule for loading checkpoints)
from gallery.classification import models  # noqa: F401  (and its layers)

EPOCHS, BATCH, IMAGES = 3, 4, 160


def train_command(data_dir, out, arch, devices):
    return [sys.executable, "-m", "gallery", "train", "classification", "--dataset", "cifar10", "--arch", arch,
            "--data-dir", str(data_dir), "--width", "4", "--epochs", str(EPOCHS), "--batch-size", str(BATCH),
            "--val-fraction", "0", "--out", str(out), "--no-evaluate", "--devices", str(devices)]


def finished_epochs(out):
    metadata = out / "checkpoints" / "backup" / "training_metadata.json"
    try:
        return json.loads(metadata.read_text())["epoch"]
    except (OSError, ValueError, KeyError):
        return 0


@pytest.mark.parametrize("arch, devices", [("resnet", 1), ("airbench", 1), ("resnet", 2)])  # airbench: its schedule
def test_kill_9_mid_epoch_then_resume(cifar_slice, tmp_path, arch, devices):  # and Lookahead; 2: data-parallel
    out = tmp_path / "model"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(train_command(cifar_slice, out, arch, devices), cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while finished_epochs(out) < 1 and process.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)  # into the second epoch
    process.send_signal(signal.SIGKILL)
    process.wait()
    done_before = finished_epochs(out)
    assert 1 <= done_before < EPOCHS, "the kill must land before training finished"
    assert not (out / "model.keras").exists()

    resumed = subprocess.run(train_command(cifar_slice, out, arch, devices), cwd=ROOT, env=env, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "Resuming" in resumed.stdout
    with open(out / "history.csv") as file:
        epochs = [int(row["epoch"]) for row in csv.DictReader(file)]
    assert epochs == list(range(EPOCHS))  # every epoch once: none lost, none repeated
    state = keras.saving.load_model(out / "checkpoints" / "last.keras")
    assert int(state.optimizer.iterations) == EPOCHS * (IMAGES // BATCH)  # optimizer state was restored
    assert (out / "model.keras").exists() and json.loads((out / "card.json").read_text())["training"]["epochs"] == EPOCHS


def test_history_rows_beyond_the_backup_are_dropped(tmp_path):
    from gallery.training import keep_history_rows

    history = tmp_path / "history.csv"
    history.write_text("epoch,loss\n0,2.0\n1,1.5\n2,1.2\n")  # epoch 2 logged, but killed before its backup
    keep_history_rows(history, 2)
    assert history.read_text() == "epoch,loss\n0,2.0\n1,1.5\n"
