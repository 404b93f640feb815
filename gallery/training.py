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

from gallery import distributed
from gallery.errors import UserError, require_model_file


def learning_rate_schedule(peak, epochs, steps_per_epoch):
    """Linear warm-up over the first 15 % of steps to `peak`, then cosine decay to 0."""
    total = max(epochs * steps_per_epoch, 2)
    warmup = max(int(0.15 * total), 1)
    return keras.optimizers.schedules.CosineDecay(peak / 10, total - warmup, alpha=0.0, warmup_target=peak,
                                                  warmup_steps=warmup)


def no_decay_on_norms_and_biases(optimizer):
    """`optimizer`, its weight decay kept off batch-norm scales and offsets and off biases."""
    optimizer.exclude_from_weight_decay(var_names=["gamma", "beta", "bias"])
    return optimizer


def sgd(peak, weight_decay, epochs, steps_per_epoch):
    """SGD with Nesterov momentum, the schedule above and decoupled weight decay (not on BN/biases)."""
    return no_decay_on_norms_and_biases(keras.optimizers.SGD(
        learning_rate_schedule(peak, epochs, steps_per_epoch), momentum=0.9, nesterov=True, weight_decay=weight_decay))


def adamw(peak, weight_decay, epochs, steps_per_epoch):
    """AdamW with the schedule above and decoupled weight decay (not on BN/biases)."""
    return no_decay_on_norms_and_biases(keras.optimizers.AdamW(
        learning_rate_schedule(peak, epochs, steps_per_epoch), weight_decay=weight_decay))


@keras.saving.register_keras_serializable(package="gallery")
class PiecewiseLinear(keras.optimizers.schedules.LearningRateSchedule):
    """Learning rate interpolated linearly between (step, value) points, constant after the last."""

    def __init__(self, steps, values):
        self.steps, self.values = list(steps), list(values)

    def __call__(self, step):
        step = keras.ops.cast(step, "float32")
        rate = keras.ops.convert_to_tensor(self.values[0], "float32")
        for (x0, y0), (x1, y1) in zip(zip(self.steps, self.values), zip(self.steps[1:], self.values[1:])):
            between = keras.ops.logical_and(step >= x0, step < x1)
            rate = keras.ops.where(between, y0 + (y1 - y0) * (step - x0) / max(x1 - x0, 1), rate)
        return keras.ops.where(step >= self.steps[-1], self.values[-1], rate)

    def get_config(self):
        return {"steps": self.steps, "values": self.values}


class Lookahead(keras.callbacks.Callback):
    """Every `every` steps, pull the weights to an EMA of themselves whose decay grows as (step/total)³.

    airbench's Lookahead (after Zhang et al. 2019); the weights end as the EMA. After a resume the
    EMA restarts from the restored weights.
    """

    def __init__(self, total_steps, every=5, decay=0.95 ** 5):
        super().__init__()
        self.total_steps, self.every, self.decay = total_steps, every, decay

    def _variables(self):
        return [v for v in self.model.weights if "float" in str(v.dtype)]

    def on_train_begin(self, logs=None):
        self.average = [v.numpy() for v in self._variables()]

    def on_train_batch_end(self, batch, logs=None):
        step = int(self.model.optimizer.iterations.numpy())
        if step % self.every == 0:
            decay = self.decay * min(step / self.total_steps, 1.0) ** 3
            for average, variable in zip(self.average, self._variables()):
                average += (1 - decay) * (variable.numpy() - average)
                variable.assign(average)

    def on_train_end(self, logs=None):
        for average, variable in zip(self.average, self._variables()):
            variable.assign(average)


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
                  whole_model_checkpoints=True, callbacks=()):
    """`model.fit` with per-epoch checkpoints, history.csv and resume; returns the History. In a data-parallel
    run (`gallery.distributed`) each process fits its share of `x` and of each batch of `batch_size`.

    With `best_on` (a validation metric to maximise), the best epoch is also kept as `checkpoints/best.keras`.
    Models that cannot be serialised whole (style transfer's loss model) checkpoint their weights only.
    """
    if validation is not None:
        validation = distributed.local_batches(*validation, batch_size)[:2]
    x, y, batch_size = distributed.local_batches(x, y, batch_size)
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
        *callbacks,  # after the restore, so they start from the restored state
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


def load_model(folder, task=None):
    """`FOLDER/model.keras`, the file the gallery serves; a UserError when the folder has none, or when its
    card says it belongs to another family than `task`."""
    from gallery.cards import load_card

    path = require_model_file(folder)
    family = load_card(folder).get("task")
    if task and family and family != task:
        raise UserError(f"{folder} is a {family} model, not a {task} one: use it with "
                        f"`python -m gallery predict {family} ...`, or pick a {task} model (`python -m gallery list`).")
    return keras.saving.load_model(path)


def finish(out):
    """Drop the resume backup: only once model and card are written, so a crash before still resumes."""
    shutil.rmtree(backup_dir(out), ignore_errors=True)
