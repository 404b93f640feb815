"""Resumable Keras training shared by the families: optimizer, LR schedule, callbacks, saving.

`fit_resumable` checkpoints every epoch into `OUT/checkpoints/` (`BackupAndRestore`): after a
crash or `kill -9`, calling it again with the same arguments continues from the last finished
epoch with weights, optimizer state and learning-rate schedule restored. The backup is removed
by `finish`, only once the model and its card are written.
"""

import json
import os
import shutil
import time

import keras
import numpy as np


def learning_rate_schedule(peak, epochs, steps_per_epoch):
    """Linear warm-up over the first 15 % of steps to `peak`, then cosine decay to 0."""
    total = max(epochs * steps_per_epoch, 2)
    warmup = max(int(0.15 * total), 1)
    return keras.optimizers.schedules.CosineDecay(peak / 10, total - warmup, alpha=0.0, warmup_target=peak,
                                                  warmup_steps=warmup)


def sgd(peak, weight_decay, epochs, steps_per_epoch):
    """SGD with Nesterov momentum, the schedule above and decoupled weight decay (not on BN/biases)."""
    optimizer = keras.optimizers.SGD(learning_rate_schedule(peak, epochs, steps_per_epoch), momentum=0.9,
                                     nesterov=True, weight_decay=weight_decay)
    optimizer.exclude_from_weight_decay(var_names=["gamma", "beta", "bias"])
    return optimizer


class EpochTimer(keras.callbacks.Callback):
    """Adds `epoch_time_s` to the logs so wall time survives a resume in history.csv."""

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs["epoch_time_s"] = time.perf_counter() - self._start


def backup_dir(out):
    return out / "checkpoints" / "backup"


def best_checkpoint(out, monitor):
    """Save `OUT/checkpoints/best.keras` at each new best `monitor` (max), remembering the best across a resume."""
    best = -np.inf
    if (out / "history.csv").exists():
        from gallery.plots import read_history

        history = read_history(out / "history.csv")
        best = float(np.nanmax(history[monitor])) if monitor in history else best
    return keras.callbacks.ModelCheckpoint(str(out / "checkpoints" / "best.keras"), monitor=monitor, mode="max",
                                           save_best_only=True, initial_value_threshold=best)


def keep_history_rows(path, epochs):
    """Drop history rows of epochs that the backup does not hold (they will be trained again)."""
    if not path.exists():
        return
    lines = path.read_text().splitlines(keepends=True)
    header, rows = lines[:1], [line for line in lines[1:] if line.strip() and int(line.split(",")[0]) < epochs]
    path.write_text("".join(header + rows))


def fit_resumable(model, x, y, out, epochs, batch_size, validation=None, class_weight=None, best_on=None,
                  whole_model_checkpoints=True):
    """`model.fit` with per-epoch checkpoints, history.csv and resume; returns the History.

    With `best_on` (a validation metric to maximise), the best epoch is also kept as `checkpoints/best.keras`.
    Models that cannot be serialised whole (style transfer's loss model) checkpoint their weights only.
    """
    (out / "checkpoints").mkdir(parents=True, exist_ok=True)
    metadata = backup_dir(out) / "training_metadata.json"
    if metadata.exists():
        done = json.loads(metadata.read_text())["epoch"]
        print(f"Resuming after epoch {done} from the checkpoint in {out / 'checkpoints'}.")
        keep_history_rows(out / "history.csv", done)
    else:
        (out / "history.csv").unlink(missing_ok=True)
    extra_callbacks = [best_checkpoint(out, best_on)] if best_on else []
    callbacks = [  # the history row is written before the backup, so a kill in between repeats the epoch
        EpochTimer(),
        keras.callbacks.CSVLogger(str(out / "history.csv"), append=True),
        *extra_callbacks,
        keras.callbacks.ModelCheckpoint(str(out / "checkpoints" / ("last.keras" if whole_model_checkpoints
                                                                    else "last.weights.h5")),
                                        save_weights_only=not whole_model_checkpoints),
        keras.callbacks.BackupAndRestore(str(backup_dir(out)), double_checkpoint=True, delete_checkpoint=False),
    ]
    return model.fit(x, y, batch_size=batch_size, epochs=epochs, validation_data=validation,
                     class_weight=class_weight, callbacks=callbacks, verbose=1 if os.isatty(1) else 2)


def inference_copy(model):
    """The same network without optimizer state (half the file size)."""
    copy = keras.Model.from_config(model.get_config())
    copy.set_weights(model.get_weights())
    return copy


def save_model(model, out):
    """Write `OUT/model.keras`, the file the gallery serves."""
    inference_copy(model).save(out / "model.keras")


def finish(out):
    """Drop the resume backup: only once model and card are written, so a crash before still resumes."""
    shutil.rmtree(backup_dir(out), ignore_errors=True)
