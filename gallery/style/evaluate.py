"""Evaluate a fast style network on held-out photos against optimisation on the same pairs.

For every held-out photo of `--content-dir` (every third one in name order, never trained on),
at `--size` px: content, style and total-variation loss under the loss network for the fast
network's output and for `--steps` full-size steps of optimisation from the photo; plus milliseconds per
512×512 image for the fast network, and `held_out_examples.jpg` (photo | fast | optimisation per
row). The only writer of the card's `evaluation` section.
"""

import time
from pathlib import Path

import numpy as np
from PIL import Image

from gallery import cards
from gallery.benchmarks import median_seconds
from gallery.preprocessing.images import read_image
from gallery.style.data import fit_within, split_photos
from gallery.style.lossnet import style_targets
from gallery.style.models import PerceptualLosses
from gallery.style.optimize import stylise_by_optimisation
from gallery.style.predict import fast_stylise, load_transform, loss_network, resized


def losses_of(losses, image, photo):
    """{"content", "style", "tv"} of one uint8 image against its photo, under a `PerceptualLosses` layer."""
    values = losses(image[None].astype(np.float32), photo[None].astype(np.float32))
    return {name: float(np.asarray(value)[0]) for name, value in values.items()}


def evaluate_model(model_dir, content_dir, size=512, steps=300, network="squeezenet", weights_path=None,
                   command="", report=print):
    model_dir = Path(model_dir)
    model = load_transform(str(model_dir))
    extractor = loss_network(network, weights_path)
    style = fit_within(read_image(model_dir / "style.jpg") if (model_dir / "style.jpg").exists()
                       else read_image(cards.load_card(model_dir)["training"]["config"]["style_image"]), 512)
    losses = PerceptualLosses(extractor, style_targets(extractor, style))
    held_out = split_photos(content_dir)[1]
    fast, optimised, rows = [], [], []
    for path in held_out:
        photo = resized(read_image(path), size)
        quick = fast_stylise(model, photo)
        fast.append(losses_of(losses, quick, photo))
        start = time.perf_counter()
        image, _, _ = stylise_by_optimisation(extractor, photo, style, steps=steps)
        optimised.append(losses_of(losses, image, photo))
        rows.append(resized(np.concatenate([photo, quick, image], axis=1), 3 * 256))
        if report:
            report(f"{path.name}: fast style loss {fast[-1]['style']:.2f}, optimisation ({steps} steps, "
                   f"{time.perf_counter() - start:.0f} s) {optimised[-1]['style']:.2f}")
    mean = lambda rows, key: float(np.mean([row[key] for row in rows]))  # noqa: E731
    square = np.zeros((512, 512, 3), np.uint8)
    metrics = {
        "content_loss": mean(fast, "content"), "style_loss": mean(fast, "style"), "tv": mean(fast, "tv"),
        "optimisation_content_loss": mean(optimised, "content"), "optimisation_style_loss": mean(optimised, "style"),
        "optimisation_tv": mean(optimised, "tv"),
        "style_loss_vs_optimisation": mean(fast, "style") / mean(optimised, "style"),
        "content_loss_vs_optimisation": mean(fast, "content") / mean(optimised, "content"),
        "ms_per_512px_image": 1000 * median_seconds(lambda: fast_stylise(model, square), 5),
    }
    height = min(row.shape[0] for row in rows)
    Image.fromarray(np.concatenate([row[:height] for row in rows])).save(model_dir / "held_out_examples.jpg",
                                                                         quality=85)
    evaluation = {"split": "held-out photos", "pictures": ["held_out_examples.jpg"], "examples": len(held_out), "photos": [p.name for p in held_out],
                  "size": size, "optimisation_steps": steps, "loss_network": network, "command": command,
                  "date": cards.now(), "metrics": metrics}
    cards.update(model_dir, evaluation=evaluation, file=cards.artifact_info(model_dir))
    return evaluation
