"""Train the emotion model on FER2013 Training, selecting the epoch on PublicTest (the standard protocol).

The network is `gallery.emotion.models` (a VGG-style CNN for 48×48 grayscale faces with
test-time views), trained with AdamW, label smoothing and class weights for the rare "disgust" class,
optionally in mixed precision (`--precision mixed_bfloat16`: about 2.5× faster on CPUs with
AVX-512 BF16, about 8× slower on AVX2-only ones; `auto` chooses per machine); the shipped file is
always float32. Resumable like every gallery training (`gallery.training`).
"""

import dataclasses

import keras
import numpy as np

from gallery import cards, distributed, plots, training
from gallery.emotion.config import resolved_precision
from gallery.emotion.data import EMOTIONS, blur_mismatch, load_split
from gallery.emotion.models import build_emotion_model
from gallery.errors import UserError


def as_rgb(crops):
    """Grayscale crops (N, H, W) → the models' RGB uint8 input (N, H, W, 3)."""
    return np.repeat(np.asarray(crops, dtype=np.uint8)[..., None], 3, axis=-1)


def class_weights(labels, mode):
    """Per-class loss weights: none, the square root of inverse frequency, or fully balanced."""
    if mode == "none":
        return None
    counts = np.bincount(labels, minlength=len(EMOTIONS)).astype(float)
    weights = len(labels) / (len(EMOTIONS) * np.maximum(counts, 1))
    weights = np.sqrt(weights) if mode == "sqrt" else weights
    return {i: float(w) for i, w in enumerate(weights / weights[counts > 0].mean())}


def subset(data, limit, seed):
    if not limit or limit >= len(data):
        return data
    keep = np.sort(np.random.default_rng(seed).permutation(len(data))[:limit])
    return type(data)(data.x[keep], data.y[keep])


@distributed.scoped
def train(config, command=""):
    """Train per `config`; the shipped model is the best PublicTest epoch. Returns the output folder."""
    keras.utils.set_random_seed(config.seed)
    precision = resolved_precision(config.precision)
    print(f"Precision: {precision}.")
    keras.mixed_precision.set_global_policy(precision)
    out = config.out_dir()
    train_data = subset(load_split(config.data_dir, "train"), config.limit, config.seed)
    public = subset(load_split(config.data_dir, "public_test"), config.limit, config.seed)
    if not len(train_data):
        raise UserError(f"{config.data_dir} has no FER2013 Training faces.")
    warning = blur_mismatch(train_data.x, public.x)
    if warning:
        print(f"WARNING: {warning}.")
    steps_per_epoch = int(np.ceil(len(train_data) / config.batch_size))
    build = lambda: build_emotion_model(EMOTIONS, config.width, config.dropout)  # noqa: E731
    model = build()
    model.compile(training.adamw(config.learning_rate, config.weight_decay, config.epochs, steps_per_epoch),
                  keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing), metrics=["accuracy"])
    print(f"{model.count_params():,} parameters; {len(train_data)} Training / {len(public)} PublicTest faces.")
    categorical = lambda labels: keras.utils.to_categorical(labels, len(EMOTIONS))  # noqa: E731
    selection = (as_rgb(public.x), categorical(public.y)) if len(public) else None
    training.fit_resumable(model, as_rgb(train_data.x), categorical(train_data.y), out, config.epochs,
                           config.batch_size, validation=selection,
                           class_weight=class_weights(train_data.y, config.class_weights),
                           best_on="val_accuracy" if selection else None)
    best = out / "checkpoints" / "best.keras"
    if best.exists():
        model = keras.saving.load_model(best)
    keras.mixed_precision.set_global_policy("float32")  # the served copy: the same network in float32
    served = build()
    served.set_weights(model.get_weights())
    model = served
    training.save_model(model, out)
    write_training_card(out, config, model, command, len(train_data), len(public), warning)
    training.finish(out)
    return out


def write_training_card(out, config, model, command, train_size, public_size, data_warning=None):
    history = plots.read_history(out / "history.csv")
    plots.training_curves(history, out / "training_curves.png")
    best_epoch = int(np.nanargmax(history["val_accuracy"])) + 1 if "val_accuracy" in history else None
    arch = f"VGG-style CNN (8 convolutions), width {config.width}, 6 test-time views"
    cards.update(
        out, name=out.name, task="emotion", title=f"{arch} for facial emotion (FER2013)",
        description=f"{arch} trained from scratch on FER2013 Training; the shipped weights are those of the "
                    f"epoch with the best PublicTest accuracy (epoch {best_epoch}); reported on PrivateTest."
                    + (f" Data warning: {data_warning}." if data_warning else ""),
        dataset="fer2013", architecture=arch, parameters=model.count_params(),
        input="face crop, any size, gray or RGB uint8 → 48×48 grayscale inside the model",
        classes=EMOTIONS, headline_metric="accuracy", file=cards.artifact_info(out),
        training={
            "command": command, "epochs": int(len(history.get("loss", []))), "selected_epoch": best_epoch,
            "train_images": train_size, "selection_images": public_size,
            "wall_time_s": round(float(history.get("epoch_time_s", np.zeros(1)).sum()), 1),
            "date": cards.now(), **cards.environment(), "curves": "training_curves.png",
            "config": dataclasses.asdict(config),
        },
    )
