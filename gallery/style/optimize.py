"""Style transfer by optimisation (Gatys et al. 2016): the pixels themselves are trained.

Backend-agnostic: the image is the weight of a one-layer Keras model whose outputs are the
perceptual losses, so `fit` with Adam does the optimisation on TensorFlow or JAX, and a Keras
callback reports progress and intermediate previews. Users get `stylise_coarse_to_fine`: most steps
at half the size, the rest at full size.
"""

import keras
import numpy as np
from keras import layers, ops
from PIL import Image

from gallery.style.config import OPTIMISATION_WEIGHTS, STYLE_WEIGHTS
from gallery.style.lossnet import style_targets
from gallery.style.models import PerceptualLosses, mean_of_output

MIN_COARSE_SIDE = 128  # the half-size pass needs this many pixels on the longer side to be worth it
# SqueezeNet's valid-padded pooling leaves the last rows and columns of other sizes half-seen: there the optimisation
# paints saturated stripes (pixels changed 3× more than elsewhere in a 270-row image; not in a 256- or 272-row one)
PAD_MULTIPLE = 16


@keras.saving.register_keras_serializable("gallery")
class ClipPixels(keras.constraints.Constraint):
    def __call__(self, w):
        return ops.clip(w, 0.0, 255.0)


class Pixels(layers.Layer):
    """A trainable image (1, H', W', 3) in [0, 255], started from `initial`; ignores its input. `shown` is the
    (height, width) of the picture within it (the rest is padding)."""

    def __init__(self, initial, shown, **kwargs):
        super().__init__(**kwargs)
        self.shown = shown
        self.image = self.add_weight(shape=initial.shape, initializer=keras.initializers.Constant(initial),
                                     constraint=ClipPixels(), name="image")

    def call(self, dummy):
        return self.image + 0.0 * ops.sum(dummy)

    def picture(self):
        """The shown part of the image, as uint8 (H, W, 3)."""
        height, width = self.shown
        return np.asarray(self.image)[0, :height, :width].round().clip(0, 255).astype(np.uint8)


class Progress(keras.callbacks.Callback):
    def __init__(self, pixels, steps, report, every):
        super().__init__()
        self.pixels, self.steps, self.report, self.every = pixels, steps, report, every

    def on_train_batch_end(self, batch, logs=None):
        step = batch + 1
        preview = None
        if self.every and (step % self.every == 0 or step == self.steps):
            preview = self.pixels.picture()
        self.report(step, self.steps, logs or {}, preview)


def padded(image, multiple=PAD_MULTIPLE):
    """(1, H', W', 3) float32: `image` reflected past its bottom and right edges to sides divisible by `multiple`."""
    height, width = image.shape[:2]
    pad = [(0, -height % multiple), (0, -width % multiple), (0, 0)]
    return np.pad(np.asarray(image, np.float32), pad, mode="reflect" if min(height, width) > 1 else "edge")[None]


def stylise_by_optimisation(extractor, content, style, steps=300, weights=None, learning_rate=4.0, report=None,
                            preview_every=50, initial=None):
    """Optimise an image from `initial` (default: `content`, H×W×3) toward `style`; returns (uint8 image, final
    losses, history). The image is optimised padded to sides divisible by 16 and cropped back."""
    weights = {**STYLE_WEIGHTS, **(weights or {})}
    shown = np.shape(content)[:2]
    content = padded(content)
    pixels = Pixels(content if initial is None else padded(initial), shown, name="pixels")
    dummy = keras.Input((1,), name="step")
    losses = PerceptualLosses(extractor, style_targets(extractor, style), extractor(content)["content"],
                              name="losses")(pixels(dummy), content)
    model = keras.Model(dummy, {name: layers.Identity(name=name)(value) for name, value in losses.items()})
    model.compile(keras.optimizers.Adam(learning_rate), loss={name: mean_of_output for name in losses},
                  loss_weights=weights)
    zeros = np.zeros((steps, 1), np.float32)
    callbacks = [Progress(pixels, steps, report, preview_every)] if report else []
    history = model.fit(zeros, {name: zeros for name in losses}, batch_size=1, epochs=1, verbose=0,
                        callbacks=callbacks)
    final = {name: float(model.predict(zeros[:1], verbose=0)[name].mean()) for name in losses}
    return pixels.picture(), final, history.history


def stylise_coarse_to_fine(extractor, content, style, steps=300, coarse_share=2 / 3, report=None, preview_every=50,
                           weights=OPTIMISATION_WEIGHTS):
    """`stylise_by_optimisation` in two passes: `coarse_share` of the steps at half the size (a quarter of the
    cost each), the rest at full size from the upscaled result; images under 2·MIN_COARSE_SIDE px in one pass.

    300 steps at 512 px take about half the time of a full-size pass, for a total loss a few per cent higher."""
    content = np.asarray(content, np.uint8)
    coarse = int(round(steps * coarse_share)) if max(content.shape[:2]) >= 2 * MIN_COARSE_SIDE else 0
    if not coarse or coarse >= steps:
        return stylise_by_optimisation(extractor, content, style, steps, weights, report=report,
                                       preview_every=preview_every)
    small = np.asarray(Image.fromarray(content).resize((content.shape[1] // 2, content.shape[0] // 2), Image.LANCZOS))
    rough, _, _ = stylise_by_optimisation(
        extractor, small, style, coarse, weights, preview_every=preview_every,
        report=report and (lambda step, _, logs, preview: report(step, steps, logs, preview)))
    initial = np.asarray(Image.fromarray(rough).resize(content.shape[1::-1], Image.BICUBIC))
    return stylise_by_optimisation(
        extractor, content, style, steps - coarse, weights, initial=initial, preview_every=preview_every,
        report=report and (lambda step, _, logs, preview: report(coarse + step, steps, logs, preview)))
