"""Train an image classifier with Keras `fit`: resumable (see `gallery.training`), seeded.

The output folder gets `model.keras` (inference copy, no optimizer state), `history.csv`,
`training_curves.png` and `card.json`/`README.md`; `checkpoints/` holds the per-epoch state.
"""

import dataclasses

import keras
import numpy as np

from gallery import cards, distributed, plots, training
from gallery.classification.config import IMAGENET_ARCHITECTURES, IMAGENET_BACKBONES
from gallery.classification.data import load_split
from gallery.classification.models import AlternateFlips, build_classifier, random_mirrors


def split_validation(data, fraction, seed):
    """Hold out a fixed random `fraction` of the training data (none when fraction is 0)."""
    order = np.random.default_rng(seed).permutation(len(data))
    count = int(round(len(data) * fraction))
    return data.take(np.sort(order[count:])), data.take(np.sort(order[:count])) if count else None


def compiled_model(config, class_names, image_size, steps_per_epoch, sample=None):
    """The classifier with SGD + Nesterov momentum, decoupled weight decay, label smoothing."""
    size, channels = config.model_input(image_size)
    model = build_classifier(  # with --init-from the backbone's weights come from that model, not a download
        config.arch, class_names, size, channels, width=config.width, dropout=config.dropout,
        flip=config.dataset != "mnist", backbone_weights="none" if config.init_from else config.backbone_weights,
        train_backbone=not config.freeze_backbone, sample=sample, translate=config.translate, cutout=config.cutout,
    )
    if config.init_from:
        from gallery.classification.predict import load_classifier

        transfer_weights(load_classifier(config.init_from)[0], model)
    if config.arch == "airbench":
        optimizer = airbench_sgd(config.learning_rate, config.weight_decay, config.epochs * steps_per_epoch)
    else:
        optimizer = training.sgd(config.learning_rate, config.weight_decay, config.epochs, steps_per_epoch)
    model.compile(optimizer, keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing),
                  metrics=["accuracy"])
    return model


def airbench_sgd(peak, weight_decay, total_steps):
    """airbench's optimizer: Nesterov momentum 0.85, decay on every weight, LR 0.2 → 1 → 0.07 × peak (23 % warm-up)."""
    schedule = training.PiecewiseLinear([0, int(0.23 * total_steps), total_steps], [0.2 * peak, peak, 0.07 * peak])
    return keras.optimizers.SGD(schedule, momentum=0.85, nesterov=True, weight_decay=weight_decay)


def transfer_weights(source, target):
    """Copy every layer's weights whose name and shapes match (the backbone, not the new head)."""
    copied = 0
    for layer in target.layers:
        try:
            weights = source.get_layer(layer.name).get_weights()
        except ValueError:
            continue
        if weights and [w.shape for w in weights] == [w.shape for w in layer.get_weights()]:
            layer.set_weights(weights)
            copied += 1
    print(f"Initialised {copied} layers from {source.name}.")
    return copied


@distributed.scoped
def train(config, command=""):
    """Train per `config`, save the model and card, and return the output folder."""
    keras.utils.set_random_seed(config.seed)
    out = config.out_dir()
    image_size = None if config.dataset != "folder" else (config.image_size, config.image_size)
    data = load_split(config.dataset, "train", config.data_dir, image_size, config.limit)
    train_data, val_data = split_validation(data, config.val_fraction, config.seed)
    classes = len(data.class_names)
    steps_per_epoch = int(np.ceil(len(train_data) / config.batch_size))
    start = cards.provenance(config.init_from) if config.init_from else None
    sample = (train_data.x[np.random.default_rng(config.seed).permutation(len(train_data))[:5000]]
              if config.arch == "airbench" else None)  # what airbench fits its input whitening on
    model = compiled_model(config, data.class_names, data.x.shape[1:3], steps_per_epoch, sample)
    print(f"{model.name}: {model.count_params():,} parameters; {len(train_data)} train / "
          f"{len(val_data) if val_data else 0} validation images of {data.x.shape[1:3]}.")
    validation = (val_data.x, keras.utils.to_categorical(val_data.y, classes)) if val_data else None
    images, callbacks = train_data.x, []
    if config.arch == "airbench":
        callbacks.append(training.Lookahead(config.epochs * steps_per_epoch))
        if any(layer.name == "aug_flip" for layer in model.layers):
            images = random_mirrors(images, config.seed)
            callbacks.append(AlternateFlips())
    training.fit_resumable(model, images, keras.utils.to_categorical(train_data.y, classes), out,
                           config.epochs, config.batch_size, validation, callbacks=callbacks)
    training.save_model(model, out)
    write_training_card(out, config, model, data, command, len(train_data), len(val_data) if val_data else 0, start)
    training.finish(out)
    return out


def write_training_card(out, config, model, data, command, train_size, val_size, start=None):
    """Record how the model was made, and from which network (`cards.provenance`) when `--init-from` was given
    (the evaluation section is written by `evaluate`)."""
    history = plots.read_history(out / "history.csv")
    plots.training_curves(history, out / "training_curves.png")
    channels = "grayscale" if any(layer.name == "grayscale" for layer in model.layers) else "RGB"
    resize = model.get_layer("resize").get_config()
    size = f"{resize['height']}×{resize['width']} {channels}"
    arch = {"resnet": f"ResNet-9-style CNN, width {config.width}", "lenet5": "LeNet-5",
            "airbench": "airbench94 CNN (Jordan 2024) with 6-view test-time augmentation",
            "mobilenet_v2": "MobileNetV2 1.0"}.get(
        config.arch, f"{IMAGENET_BACKBONES.get(config.arch)} ({config.backbone_weights} weights)")
    origin = f"initialised from {config.init_from}" if config.init_from else (
        "from ImageNet weights" if config.arch in IMAGENET_ARCHITECTURES and config.backbone_weights != "none"
        else "from scratch")
    if config.freeze_backbone:
        origin += ", backbone frozen"
    cards.update(
        out,
        name=out.name, task="classification", title=f"{arch} on {config.dataset}",
        description=f"{arch} trained {origin} on {config.dataset}; input: any RGB image, resized "
                    f"(centre crop) to {size} inside the model.",
        dataset=config.dataset, architecture=arch, parameters=model.count_params(),
        input=f"RGB uint8 image of any size → {size}",
        classes=data.class_names, headline_metric="accuracy",
        file=cards.artifact_info(out),
        training={
            "command": command, **({"started_from": start} if start else {}),
            "epochs": int(len(history.get("loss", []))),
            "train_images": train_size, "validation_images": val_size,
            "wall_time_s": round(float(history.get("epoch_time_s", np.zeros(1)).sum()), 1),
            "final_train_accuracy": round(float(history["accuracy"][-1]), 4) if "accuracy" in history else None,
            "date": cards.now(), **cards.environment(), "curves": "training_curves.png",
            "config": dataclasses.asdict(config),
        },
    )
