"""The fast style network (Johnson et al. 2016, slimmed for CPUs) and the perceptual losses.

Transform net: 9×9 conv, two stride-2 convs, five residual blocks, optionally more capacity at the
bottleneck as depthwise-separable inverted residual blocks (MobileNetV2's: 1×1 expansion, 3×3 depthwise, 1×1
projection initialised to zero, so a network grown this way starts as the one it grew from), then two nearest-neighbour
upsamplings each followed by a 3×3 conv (resize-convolution avoids the checkerboard artefacts of
transposed convolutions, Odena et al. 2016), optionally a full-resolution path from the photo added there (two 3×3
convs, the second initialised to zero: the photo's edges without the round trip through the bottleneck), a 9×9 conv
and tanh scaled to [0, 255]; optionally the photo itself added before the tanh with a learnt weight per channel that
starts at zero (`PhotoResidual`: the network can then paint over the photo, as optimisation does, not redraw it). Instance
normalisation (`GroupNormalization` with one group per channel) after every inner conv. Any
input size works: the output is cropped back to the input's size.

Losses, on the loss network's features (`gallery.style.lossnet`): content = mean squared
feature difference; style = mean squared difference of Gram matrices, each layer counting
equally; total variation
= mean absolute difference of neighbouring pixels (on [0, 1] images).
"""

import keras
from keras import layers, ops

from gallery.errors import UserError
from gallery.style.lossnet import gram_matrix

WIDTHS = (16, 32, 64)


def _normalised(x, name, norm=True, relu=True):
    if norm:
        x = layers.GroupNormalization(groups=x.shape[-1], epsilon=1e-3, name=f"{name}_in")(x)
    return layers.ReLU(name=f"{name}_relu")(x) if relu else x


def _conv(x, filters, kernel, name, stride=1, norm=True, relu=True):
    x = layers.Conv2D(filters, kernel, strides=stride, padding="same", name=f"{name}_conv")(x)
    return _normalised(x, name, norm, relu)


def _separable_block(x, name, expansion):
    channels = x.shape[-1]
    y = _conv(x, channels * expansion, 1, f"{name}_expand")
    y = _normalised(layers.DepthwiseConv2D(3, padding="same", name=f"{name}_dw_conv")(y), f"{name}_dw")
    y = layers.Conv2D(channels, 1, kernel_initializer="zeros", name=f"{name}_project_conv")(y)
    return layers.Add(name=name)([x, y])


@keras.saving.register_keras_serializable("gallery")
class CropToInput(layers.Layer):
    """Crop `x` to the height and width of `reference`."""

    def call(self, x, reference):
        shape = ops.shape(reference)
        return x[:, :shape[1], :shape[2], :]


@keras.saving.register_keras_serializable("gallery")
class PadToReference(layers.Layer):
    """Zero-pad `x` at the bottom and right to the height and width of `reference` (the upsampled features)."""

    def call(self, x, reference):
        target, shape = ops.shape(reference), ops.shape(x)
        return ops.pad(x, [[0, 0], [0, target[1] - shape[1]], [0, target[2] - shape[2]], [0, 0]])

    def compute_output_shape(self, x_shape, reference_shape):
        return (*reference_shape[:3], x_shape[3])


@keras.saving.register_keras_serializable("gallery")
class PhotoResidual(layers.Layer):
    """`x` plus the [0, 1] photo in tanh's input space (atanh of 2·photo − 1, clipped), weighted per channel from 0.

    The weight is stored ÷ 4: Adam's steps are about the learning rate whatever the gradient, and one weight has to
    travel from 0 to about 1.
    """

    def build(self, x_shape, photo_shape):
        self.gate = self.add_weight(shape=(x_shape[-1],), initializer="zeros", name="gate")

    def call(self, x, photo):
        return x + 4.0 * self.gate * ops.arctanh(ops.clip(photo, 0.01, 0.99) * 2.0 - 1.0)

    def compute_output_shape(self, x_shape, photo_shape):
        return x_shape


def _input_skip(unit_image, filters):
    y = _conv(unit_image, filters, 3, "skip1")
    return layers.Conv2D(filters, 3, padding="same", kernel_initializer="zeros", name="skip2_conv")(y)


def build_transform_net(widths=WIDTHS, residual_blocks=5, separable_blocks=0, expansion=4, input_skip=False,
                        photo_residual=False):
    """RGB [0, 255] of any size (B, H, W, 3) → stylised RGB [0, 255] of the same size, float32."""
    image = keras.Input((None, None, 3), name="image")
    unit = layers.Rescaling(1 / 255.0, name="to_unit")(image)
    x = _conv(unit, widths[0], 9, "in")
    x = _conv(x, widths[1], 3, "down1", stride=2)
    x = _conv(x, widths[2], 3, "down2", stride=2)
    for block in range(residual_blocks):
        y = _conv(x, widths[2], 3, f"res{block}_a")
        y = _conv(y, widths[2], 3, f"res{block}_b", relu=False)
        x = layers.Add(name=f"res{block}")([x, y])
    for block in range(separable_blocks):
        x = _separable_block(x, f"sep{block}", expansion)
    for step, filters in enumerate((widths[1], widths[0]), start=1):
        x = layers.UpSampling2D(2, interpolation="nearest", name=f"up{step}")(x)
        x = _conv(x, filters, 3, f"up{step}")
    if input_skip:
        x = layers.Add(name="skip")([x, PadToReference(name="skip_pad")(_input_skip(unit, widths[0]), x)])
    x = _conv(x, 3, 9, "out", norm=False, relu=False)
    if photo_residual:
        x = PhotoResidual(name="photo_residual")(CropToInput(name="out_crop")(x, image), unit)
    x = layers.Activation("tanh", name="tanh")(x)
    x = layers.Rescaling(127.5, offset=127.5, name="to_255")(x)
    return keras.Model(image, CropToInput(name="crop")(x, image), name="style_transform")


def grown_from(transform, trained):
    """`transform` with the weights of `trained`, matched by layer name (its extra layers keep their own)."""
    names = {layer.name for layer in transform.layers}
    weighted = [layer for layer in trained.layers if layer.weights]
    missing = [layer.name for layer in weighted if layer.name not in names]
    if missing:
        raise UserError(f"The network to start from has layers this one lacks ({', '.join(missing[:3])}, ...): "
                        "give at least as many --separable-blocks as it has, and --input-skip and --photo-residual if it has them.")
    for layer in weighted:
        transform.get_layer(layer.name).set_weights(layer.get_weights())
    return transform


def content_loss(generated, content):
    """Mean squared difference of the content-layer features, per image."""
    return sum(ops.mean(ops.square(g - c), axis=(1, 2, 3)) for g, c in zip(generated, content))


def style_loss(generated, grams):
    """Mean squared difference between Gram matrices and the style's, averaged over the style layers, per image."""
    total = 0.0
    for features, target in zip(generated, grams):
        total = total + ops.mean(ops.square(gram_matrix(features) - target), axis=(1, 2))
    return total / len(grams)


def total_variation(image):
    """Mean absolute difference of neighbouring pixels of [0, 255] images, per image, on the [0, 1] scale."""
    dx = ops.abs(image[:, :, 1:, :] - image[:, :, :-1, :]) / 255.0
    dy = ops.abs(image[:, 1:, :, :] - image[:, :-1, :, :]) / 255.0
    return ops.mean(dx, axis=(1, 2, 3)) + ops.mean(dy, axis=(1, 2, 3))


@keras.saving.register_keras_serializable("gallery")
class PerceptualLosses(layers.Layer):
    """(stylised, content) images → {"content", "style", "tv"} losses per image, under a frozen extractor.

    With `content_features` (the extractor's "content" output for a fixed photo, as in optimisation)
    the content image is not run through the extractor again at every step.
    """

    def __init__(self, extractor, grams, content_features=None, **kwargs):
        super().__init__(**kwargs)
        self.extractor = extractor
        self.grams = [ops.convert_to_tensor(g) for g in grams]
        self.content_features = (None if content_features is None
                                 else [ops.convert_to_tensor(f) for f in content_features])

    def call(self, stylised, content):
        generated = self.extractor(stylised)
        reference = self.extractor(content)["content"] if self.content_features is None else self.content_features
        return {"content": content_loss(generated["content"], reference),
                "style": style_loss(generated["style"], self.grams),
                "tv": total_variation(stylised)}

    def compute_output_shape(self, stylised_shape, content_shape):
        # Declared, not traced: JAX's symbolic shapes of a whole loss network on (None, None) images take minutes.
        return {name: (stylised_shape[0],) for name in ("content", "style", "tv")}


def training_model(transform, extractor, grams):
    """Content images → per-image losses; fit with `mean_of_output` and the loss weights."""
    content = keras.Input((None, None, 3), name="content_image")
    losses = PerceptualLosses(extractor, grams, name="losses")(transform(content), content)
    return keras.Model(content, {name: layers.Identity(name=name)(value) for name, value in losses.items()})


def mean_of_output(y_true, y_pred):
    """The 'loss' of a model whose outputs already are losses."""
    return ops.mean(y_pred)
