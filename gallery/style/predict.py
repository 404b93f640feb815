"""Stylise a photo: a shipped fast network (instant) or optimisation toward any style image.

One path for the CLI, the app and evaluation. Options: the result's longer side, style strength
(a blend with the photo) and keeping the photo's colours (the result's luminance, matched to the
photo's, with the photo's chroma, in YCbCr).
"""

import functools
import re
import time
from pathlib import Path

import numpy as np
from PIL import Image

from gallery import cards
from gallery.preprocessing.images import read_image
from gallery.style.data import fit_within
from gallery.tasks import UserError

MAX_SIDE = 2048
MIN_STYLE_SIDE = 64  # smaller style images have no texture to speak of (and SqueezeNet pools them away)
# A pixel blend of weight w goes much less than w of the way in style: at w = 0.5 the log style loss has moved 31 %
# of the way from the photo's to the stylised image's (41 % with the photo's colours kept, on grey images), median
# of the 4 shipped styles × 5 training photos. Weights strength^0.6 (strength^0.7 with colours kept) move it 25 / 48 /
# 75 % (22 / 52 / 74 %) at strengths 0.25 / 0.5 / 0.75: strength reads as the share of the style (docs/style.md).
STRENGTH_EXPONENT = {False: 0.6, True: 0.7}


def shipped_styles():
    """{style name: model folder} of the shipped fast networks."""
    return {folder.name: folder for folder, _ in cards.shipped_models("style")}


def painting_name(slug):
    """"composition_vii" → "Composition VII": words capitalised, Roman numerals upper-case."""
    return " ".join(word.upper() if re.fullmatch(r"[ivxlcdm]+", word) and word != "mi" else word.capitalize()
                    for word in slug.split("_"))


@functools.lru_cache(maxsize=8)
def load_transform(folder):
    import gallery.style.models  # noqa: F401  (registers the custom layers)
    from gallery.training import load_model

    return load_model(folder, "style")


@functools.lru_cache(maxsize=2)
def loss_network(network="squeezenet", weights_path=None):
    from gallery.style.lossnet import feature_extractor

    return feature_extractor(network, weights_path)


def resized(image, size):
    """`image` with its longer side `size` (up or down), at most MAX_SIDE."""
    size = min(int(size), MAX_SIDE)
    if size < 16:
        raise UserError(f"The output size must be at least 16 pixels (got {size}).")
    scale = size / max(image.shape[:2])
    height, width = max(1, round(image.shape[0] * scale)), max(1, round(image.shape[1] * scale))
    return np.asarray(Image.fromarray(image).resize((width, height), Image.LANCZOS))


@functools.lru_cache(maxsize=8)
def compiled_transform(model):
    """`model` in inference mode; on TensorFlow one graph traced once for every image size (a 512×512 image
    takes about 40 % less time than eager calls on a 2-core CPU, with the same output)."""
    import keras

    if keras.backend.backend() != "tensorflow":
        return functools.partial(model, training=False)
    import tensorflow as tf

    function = tf.function(lambda images: model(images, training=False),
                           input_signature=[tf.TensorSpec([1, None, None, 3], tf.float32)])
    function(np.zeros((1, 16, 16, 3), np.float32))  # trace now, so that no timed call pays for it
    return function


def fast_stylise(model, image):
    """The fast network's output for one uint8 image, as uint8."""
    stylised = compiled_transform(model)(image[None].astype(np.float32))
    return np.asarray(stylised)[0].round().clip(0, 255).astype(np.uint8)


def keep_colours(stylised, photo):
    """The photo's colours under the stylised texture: the chroma of `photo` (same size) with the luminance of
    `stylised` shifted and scaled to the photo's luminance mean and spread (Gatys et al. 2016's luminance
    matching), so a night photo stays dark under a bright painting."""
    luma = np.asarray(Image.fromarray(stylised).convert("YCbCr"))[..., 0].astype(np.float32)
    photo_ycbcr = np.asarray(Image.fromarray(photo).convert("YCbCr")).copy()
    photo_luma = photo_ycbcr[..., 0].astype(np.float32)
    matched = (luma - luma.mean()) * (photo_luma.std() / max(luma.std(), 1.0)) + photo_luma.mean()
    photo_ycbcr[..., 0] = matched.round().clip(0, 255).astype(np.uint8)
    return np.asarray(Image.fromarray(photo_ycbcr, "YCbCr").convert("RGB"))


def blend_weight(strength, keep_colors=False):
    """The pixel weight of the stylised image that goes `strength` of the way in style (see STRENGTH_EXPONENT)."""
    return float(np.clip(strength, 0.0, 1.0)) ** STRENGTH_EXPONENT[bool(keep_colors)]


def finished(stylised, photo, strength=1.0, keep_colors=False):
    """What the user sees of a stylisation: with the photo's colours if asked, blended to `strength` of the style."""
    return blend(keep_colours(stylised, photo) if keep_colors else stylised, photo, blend_weight(strength, keep_colors))


def blend(stylised, photo, weight):
    """The pixel blend: `weight` 0 gives the photo, 1 the stylised image."""
    weight = float(np.clip(weight, 0.0, 1.0))
    return np.round(weight * stylised + (1 - weight) * photo.astype(np.float32)).astype(np.uint8)


def style_source(style):
    """("fast", model folder) for a shipped style name, ("optimize", image) for an image file."""
    styles = shipped_styles()
    if style in styles:
        return "fast", styles[style]
    if Path(style).is_file():
        return "optimize", read_image(style)
    raise UserError(f"Unknown style {style!r}: give a style image file or one of {', '.join(sorted(styles)) or '(none shipped)'}.")


def stylise(photo, style, size=512, method=None, steps=300, strength=1.0, keep_colors=False, report=None,
            loss_network_name="squeezenet", loss_network_weights=None):
    """Stylise a uint8 RGB `photo`; `style` is a shipped style name or a style image (array or file).

    Returns {"image", "method", "seconds"}; `report(step, steps, logs, preview)` follows optimisation.
    """
    if isinstance(style, np.ndarray):
        kind, source = "optimize", style
        if min(style.shape[:2]) < MIN_STYLE_SIDE:
            raise UserError(f"The style image is {style.shape[1]}×{style.shape[0]} pixels: it needs at least "
                            f"{MIN_STYLE_SIDE} on each side to have a texture to copy.")
    else:
        kind, source = style_source(style)
    method = method or kind
    if method != kind:
        raise UserError("Shipped styles use the fast method; a style image of your own is applied by optimisation.")
    photo = resized(photo, size)
    if method == "fast":
        model = load_transform(str(source))
        compiled_transform(model)  # loaded and traced before the clock starts: `seconds` times the network
        start = time.perf_counter()
        result = fast_stylise(model, photo)
    else:
        from gallery.style.optimize import stylise_coarse_to_fine

        start = time.perf_counter()
        result, _, _ = stylise_coarse_to_fine(loss_network(loss_network_name, loss_network_weights), photo,
                                              fit_within(source, 512), steps=steps, report=report)
    seconds = time.perf_counter() - start
    return {"image": finished(result, photo, strength, keep_colors), "method": method, "seconds": seconds}
