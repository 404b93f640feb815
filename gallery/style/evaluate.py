"""Evaluate a fast style network on held-out photos against optimisation on the same pairs.

Two held-out sets, never trained on (`gallery.style.data.split_photos`): the held-out photos of
`--content-dir`, at `--size` px (the longer side), and, with `--photos-dir`, those of a large photo
folder such as `style_photos` (about 100) at their own size. For each photo: content, style and
total-variation loss under the loss network for the fast network's output and for `--steps`
full-size steps of optimisation from the photo, both toward the style image as training saw it
(longer side 512; the card's file, else the `style.png` training saved). The optimised references depend only on the
style, the photo, the size, the steps and the loss network, so they are kept in
`data/cache/style_references/` and computed once. Plus milliseconds per 512×512 image for the fast
network, the share of pixels each method turns dark where the photo is bright (`invented_dark`:
a fast network fine-tuned too hard paints dark blobs into skies and walls), and
`held_out_examples.jpg` (photo | fast | optimisation per row, from the first set).
The only writer of the card's `evaluation` section.
"""

import hashlib
import time
from pathlib import Path

import numpy as np
from PIL import Image

from gallery import cards
from gallery.benchmarks import median_seconds
from gallery.preprocessing.images import read_image
from gallery.style.data import held_out_rule, split_photos, style_image
from gallery.style.lossnet import style_targets
from gallery.style.models import PerceptualLosses
from gallery.style.optimize import stylise_by_optimisation
from gallery.style.predict import fast_stylise, load_transform, loss_network, resized

REFERENCE_CACHE = Path(__file__).resolve().parents[2] / "data" / "cache" / "style_references"
REFERENCE_VERSION = 2  # bumped whenever the optimisation's code changes what it returns (2: padded to 16 px)


def losses_of(losses, image, photo):
    """{"content", "style", "tv"} of one uint8 image against its photo, under a `PerceptualLosses` layer."""
    values = losses(image[None].astype(np.float32), photo[None].astype(np.float32))
    return {name: float(np.asarray(value)[0]) for name, value in values.items()}


def invented_dark(image, photo):
    """Share of pixels dark in `image` (luma < 50) where `photo` is bright (luma > 100)."""
    luma = lambda rgb: np.asarray(Image.fromarray(rgb).convert("L"))  # noqa: E731
    return float(((luma(image) < 50) & (luma(photo) > 100)).mean())


def reference_key(style, photo, steps, network, extractor):
    """A digest of everything the optimised reference depends on."""
    digest = hashlib.sha1()
    for array in (style, photo):
        digest.update(repr(array.shape).encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(f"{steps} {network} {REFERENCE_VERSION}".encode())
    for weight in extractor.weights[:2]:  # the loss network's first weights tell its files apart
        digest.update(np.asarray(weight).tobytes())
    return digest.hexdigest()


def optimised_reference(extractor, photo, style, steps, network):
    """(uint8 image, seconds) of `steps` optimisation steps from `photo` toward `style`, cached in REFERENCE_CACHE."""
    path = REFERENCE_CACHE / f"{reference_key(style, photo, steps, network, extractor)}.npz"
    if path.exists():
        with np.load(path) as stored:
            return stored["image"], float(stored["seconds"])
    start = time.perf_counter()
    image, _, _ = stylise_by_optimisation(extractor, photo, style, steps=steps)
    seconds = time.perf_counter() - start
    REFERENCE_CACHE.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, image=image, seconds=seconds)
    return image, seconds


def mean_of(rows, key):
    return float(np.mean([row[key] for row in rows]))


def held_out_metrics(model, extractor, losses, style, photos, size, steps, network, report=print):
    """(metrics, rows of photo | fast | optimisation) over the `photos` files, each resized to `size` (None: as
    they are)."""
    fast, optimised, rows = [], [], []
    for path in photos:
        photo = read_image(path) if size is None else resized(read_image(path), size)
        quick = fast_stylise(model, photo)
        image, seconds = optimised_reference(extractor, photo, style, steps, network)
        fast.append({**losses_of(losses, quick, photo), "dark": invented_dark(quick, photo)})
        optimised.append({**losses_of(losses, image, photo), "dark": invented_dark(image, photo)})
        rows.append(resized(np.concatenate([photo, quick, image], axis=1), 3 * 256))
        if report:
            report(f"{path.name}: fast style loss {fast[-1]['style']:.2f}, optimisation ({steps} steps, "
                   f"{seconds:.0f} s) {optimised[-1]['style']:.2f}")
    metrics = {
        "content_loss": mean_of(fast, "content"), "style_loss": mean_of(fast, "style"), "tv": mean_of(fast, "tv"),
        "optimisation_content_loss": mean_of(optimised, "content"),
        "optimisation_style_loss": mean_of(optimised, "style"), "optimisation_tv": mean_of(optimised, "tv"),
        "style_loss_vs_optimisation": mean_of(fast, "style") / mean_of(optimised, "style"),
        "content_loss_vs_optimisation": mean_of(fast, "content") / mean_of(optimised, "content"),
        "invented_dark_share": mean_of(fast, "dark"), "optimisation_invented_dark_share": mean_of(optimised, "dark"),
    }
    return metrics, rows


def training_style(model_dir):
    """(path, image) of the style the network was trained toward, as training saw it (longer side STYLE_SIZE): the
    card's style image where that file is here, else the copy training saved beside the network."""
    path = Path(cards.load_card(model_dir).get("training", {}).get("config", {}).get("style_image") or "")
    path = path if path.is_file() else model_dir / "style.png"
    return path, style_image(path)


def evaluate_model(model_dir, content_dir, size=512, steps=300, network="squeezenet", weights_path=None,
                   command="", report=print, photos_dir=None):
    model_dir = Path(model_dir)
    model = load_transform(str(model_dir))
    extractor = loss_network(network, weights_path)
    style_path, style = training_style(model_dir)
    losses = PerceptualLosses(extractor, style_targets(extractor, style))
    held_out = split_photos(content_dir)[1]
    trained_on, photos = split_photos(photos_dir) if photos_dir else (None, None)  # a bad folder fails before any work
    metrics, rows = held_out_metrics(model, extractor, losses, style, held_out, size, steps, network, report)
    square = np.zeros((512, 512, 3), np.uint8)
    metrics["ms_per_512px_image"] = 1000 * median_seconds(lambda: fast_stylise(model, square), 5)
    height = min(row.shape[0] for row in rows)
    Image.fromarray(np.concatenate([row[:height] for row in rows])).save(model_dir / "held_out_examples.jpg",
                                                                         quality=85)
    evaluation = {"split": "held-out photos", "pictures": ["held_out_examples.jpg"], "examples": len(held_out),
                  "photos": [p.name for p in held_out], "size": size, "style_image": str(style_path), "optimisation_steps": steps,
                  "loss_network": network, "command": command, "date": cards.now(), "metrics": metrics}
    if photos_dir:
        second, _ = held_out_metrics(model, extractor, losses, style, photos, None, steps, network, report)
        evaluation["second_set"] = {"folder": str(photos_dir), "examples": len(photos), "size": "as they are",
                                    "rule": held_out_rule(len(trained_on) + len(photos)), "metrics": second}
    cards.update(model_dir, evaluation=evaluation, file=cards.artifact_info(model_dir))
    return evaluation
