"""Stylise a photo: a shipped fast network, Magenta's arbitrary-style network (any painting, one pass) or
optimisation toward any style image (the slowest, finest).

One path for the CLI, the app and evaluation. Options: the result's longer side, style strength (for the fast
networks and optimisation a blend with the photo; for the arbitrary network a mix of the painting's style vector
with the photo's own) and keeping the photo's colours (the result's luminance, matched to the photo's, with the
photo's chroma, in YCbCr).
"""

import functools
import re
import time
from pathlib import Path

import numpy as np
from PIL import Image

from gallery import cards
from gallery.errors import UserError, require_model_file
from gallery.preprocessing.images import read_image
from gallery.style.config import METHODS
from gallery.style.data import fit_within

MAX_SIDE = 2048
MIN_STYLE_SIDE = 64  # smaller style images have no texture to speak of (and SqueezeNet pools them away)
# A pixel blend of weight w goes much less than w of the way in style: at w = 0.5 the log style loss has moved 31 %
# of the way from the photo's to the stylised image's (41 % with the photo's colours kept, on grey images), median
# of the 4 shipped styles × 5 training photos. Weights strength^0.6 (strength^0.7 with colours kept) move it 25 / 48 /
# 75 % (22 / 52 / 74 %) at strengths 0.25 / 0.5 / 0.75: strength reads as the share of the style (docs/style.md).
STRENGTH_EXPONENT = {False: 0.6, True: 0.7}
ARBITRARY = "arbitrary"  # the folder of the arbitrary-style network under models/style/


def shipped_styles():
    """{style name: model folder} of the shipped fast networks."""
    return {folder.name: folder for folder, _ in cards.shipped_models("style") if folder.name != ARBITRARY}


def arbitrary_folder():
    """The arbitrary-style network's folder: under $GALLERY_MODELS_DIR if there, else the shipped one."""
    folder = cards.models_root() / "style" / ARBITRARY
    return folder if folder.is_dir() else cards.SHIPPED_MODELS / "style" / ARBITRARY


@functools.lru_cache(maxsize=2)
def arbitrary_networks(folder):
    """(style vector of a uint8 image, stylise(uint8 photo, vector) → uint8) of the arbitrary-style model in
    `folder`; on TensorFlow each a graph traced once for every image size."""
    import keras

    from gallery.style.arbitrary import networks

    if not Path(folder).is_dir():
        raise UserError(f"The arbitrary-style network is not at {folder}: `python data/prepare.py arbitrary_style "
                        "--archive FOLDER` converts it.")
    predictor, network = networks(keras.saving.load_model(require_model_file(folder), compile=False))
    transfer = lambda photo, vector: network([photo, vector])  # noqa: E731
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        images = tf.TensorSpec([1, None, None, 3], tf.uint8)
        predictor = tf.function(predictor, input_signature=[images])
        transfer = tf.function(transfer, input_signature=[images, tf.TensorSpec([1, None], tf.float32)])
        predictor(np.zeros((1, 16, 16, 3), np.uint8))  # trace now, so that no timed call pays for it
        transfer(np.zeros((1, 16, 16, 3), np.uint8), np.zeros((1, 100), np.float32))

    def vector_of(image):
        return np.asarray(predictor(image[None]))[0]

    def stylised(photo, vector):
        out = transfer(photo[None], np.asarray(vector, np.float32)[None])
        return np.asarray(out)[0].round().clip(0, 255).astype(np.uint8)

    return vector_of, stylised


def arbitrary_stylise(photo, style_vector, strength=1.0, photo_vector=None, folder=None):
    """`photo` (uint8) in the style of `style_vector`, mixed with the photo's own vector by `strength`."""
    from gallery.style.arbitrary import mixed_vector

    vector_of, stylised = arbitrary_networks(str(folder or arbitrary_folder()))
    if strength < 1.0:
        style_vector = mixed_vector(style_vector, vector_of(photo) if photo_vector is None else photo_vector,
                                    strength)
    return stylised(photo, style_vector)


def style_vector(image, folder=None):
    """The arbitrary network's 100-number style vector of a uint8 image (a painting, or the photo itself)."""
    return arbitrary_networks(str(folder or arbitrary_folder()))[0](image)


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


def painting_of(style):
    """The style image (uint8) of a shipped style name (the painting its network learnt) or of an image file."""
    styles = shipped_styles()
    if style in styles:
        return read_image(styles[style] / "style.png")
    if Path(style).is_file():
        return read_image(style)
    raise UserError(f"Unknown style {style!r}: give a style image file or one of {', '.join(sorted(styles)) or '(none shipped)'}.")


def check_style_image(painting):
    """A UserError for a style image too small to have a texture to copy."""
    if min(painting.shape[:2]) < MIN_STYLE_SIDE:
        raise UserError(f"The style image is {painting.shape[1]}×{painting.shape[0]} pixels: it needs at least "
                        f"{MIN_STYLE_SIDE} on each side to have a texture to copy.")


def default_method(style):
    """fast for a shipped style name, arbitrary for a style image (array or file)."""
    return "fast" if isinstance(style, str) and style in shipped_styles() else "arbitrary"


def stylise(photo, style, size=512, method=None, steps=300, strength=1.0, keep_colors=False, report=None,
            loss_network_name="squeezenet", loss_network_weights=None):
    """Stylise a uint8 RGB `photo`; `style` is a shipped style name or a style image (array or file).

    `method`: fast (shipped styles only), arbitrary (any style; the default for images) or optimize (any style).
    Returns {"image", "method", "seconds"}; `report(step, steps, logs, preview)` follows optimisation.
    """
    default = default_method(style)
    method = method or default
    if method not in METHODS:
        raise UserError(f"Unknown method {method!r}: choose one of {', '.join(METHODS)}.")
    if method == "fast" and default != "fast":
        raise UserError("The fast method needs a shipped style; a style image of your own goes through the "
                        "arbitrary network (the default) or optimisation (--method optimize).")
    painting = style if isinstance(style, np.ndarray) else None if method == "fast" else painting_of(style)
    if painting is not None:
        check_style_image(painting)
    photo = resized(photo, size)
    if method == "fast":
        model = load_transform(str(shipped_styles()[style]))
        compiled_transform(model)  # loaded and traced before the clock starts: `seconds` times the network
        start = time.perf_counter()
        result = fast_stylise(model, photo)
    elif method == "arbitrary":
        arbitrary_networks(str(arbitrary_folder()))  # loaded and traced before the clock starts
        start = time.perf_counter()
        result = arbitrary_stylise(photo, style_vector(painting), strength)
    else:
        from gallery.style.optimize import stylise_coarse_to_fine

        start = time.perf_counter()
        result, _, _ = stylise_coarse_to_fine(loss_network(loss_network_name, loss_network_weights), photo,
                                              fit_within(painting, 512), steps=steps, report=report)
    seconds = time.perf_counter() - start
    pixel_strength = 1.0 if method == "arbitrary" else strength  # the arbitrary network mixed its vectors instead
    return {"image": finished(result, photo, pixel_strength, keep_colors), "method": method, "seconds": seconds}
