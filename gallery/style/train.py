"""Train a fast style network for one style image with perceptual losses (Johnson et al. 2016).

The training model maps a content image to its three losses (content, style, total variation)
under the frozen loss network; `fit` minimises their weighted sum with Adam. Resumable like
every gallery training; the shipped file is the transform network alone.
"""

import dataclasses
from pathlib import Path

import keras
import numpy as np
from PIL import Image

from gallery import cards, distributed, plots, training
from gallery.style.data import style_image, training_content
from gallery.style.lossnet import LAYERS, feature_extractor, style_targets
from gallery.style.models import build_transform_net, grown_from, mean_of_output, training_model
from gallery.style.predict import load_transform, painting_name


@distributed.scoped
def train(config, command=""):
    """Train per `config`; returns the output folder (model.keras = the transform network, card)."""
    keras.utils.set_random_seed(config.seed)
    out = config.out_dir()
    out.mkdir(parents=True, exist_ok=True)
    content = training_content(config.content_dir, config.size, config.crops, config.extra_content_dir, config.seed,
                               config.max_upscale)
    extractor = feature_extractor(config.loss_network, config.loss_network_weights)
    transform = build_transform_net(separable_blocks=config.separable_blocks, input_skip=config.input_skip,
                                    photo_residual=config.photo_residual)
    start = cards.provenance(config.init_from) if config.init_from else None
    if start:
        grown_from(transform, load_transform(config.init_from))
    style = style_image(config.style_image)
    model = training_model(transform, extractor, style_targets(extractor, style))
    model.compile(keras.optimizers.Adam(config.learning_rate), loss={k: mean_of_output for k in config.weights()},
                  loss_weights=config.weights())
    print(f"{transform.count_params():,} parameters; {len(content)} content crops of {config.size} px.")
    zeros = np.zeros((len(content), 1), np.float32)
    training.fit_resumable(model, content, {k: zeros for k in config.weights()}, out, config.epochs,
                           config.batch_size, whole_model_checkpoints=False)
    training.save_model(transform, out)
    Image.fromarray(style).save(out / "style.png")  # lossless: evaluation takes the Gram targets from it
    write_training_card(out, config, transform, command, len(content), start)
    training.finish(out)
    return out


def write_training_card(out, config, transform, command, crops, start=None):
    history = plots.read_history(out / "history.csv")
    plots.training_curves(history, out / "training_curves.png", metrics=("loss", "style_loss"))
    name = painting_name(Path(config.style_image).stem)  # not the output folder's name (a run's)
    growth = (f", {config.separable_blocks} depthwise-separable bottleneck blocks" if config.separable_blocks else "")
    growth += ", a full-resolution path from the photo" if config.input_skip else ""
    growth += ", the photo added before the output" if config.photo_residual else ""
    cards.update(
        out, name=out.name, task="style", title=f"Fast style network: {name}",
        description=f"Feed-forward network (Johnson et al. 2016, slimmed: widths 16/32/64{growth}) trained for the style "
                    f"of {config.style_image} on {crops} crops of {config.size} px of the training photos in "
                    f"{config.content_dir}{f', starting from {config.init_from}' if config.init_from else ''}, "
                    f"with {config.loss_network} as the loss network (content {LAYERS[config.loss_network]['content']}, "
                    f"style {LAYERS[config.loss_network]['style']}).",
        dataset=Path(config.content_dir).name, architecture=f"Johnson-style transform net{growth}, instance norm, resize-conv",
        parameters=transform.count_params(), file=cards.artifact_info(out),
        input="uint8 RGB image of any size", headline_metric="style_loss_vs_optimisation",
        training={
            "command": command, **({"started_from": start} if start else {}),
            "epochs": config.epochs, "content_crops": crops,
            "wall_time_s": round(float(history.get("epoch_time_s", np.zeros(1)).sum()), 1),
            "final_train_loss": round(float(history["loss"][-1]), 4) if "loss" in history else None,
            "date": cards.now(), **cards.environment(), "curves": "training_curves.png",
            "config": dataclasses.asdict(config),
        },
    )
