"""Keras 3 image classifiers: LeNet-5 (the lecture baseline), a ResNet-9-style CNN, airbench, MobileNetV2 and
other ImageNet backbones.

Every model takes RGB uint8 images of any size, shape (None, None, 3): the first layers
(`gallery.preprocessing.layers`) resize with a centre crop, convert to the model's channel count
and scale to [0, 1]. Augmentation layers are active only in training. The same graph therefore
serves `fit`, `predict`, the app and the exported SavedModel.
"""

import keras
import numpy as np
from keras import layers, ops

from gallery.classification.config import ARCHITECTURES, IMAGENET_BACKBONES
from gallery.errors import UserError
from gallery.preprocessing.layers import preprocessing_layers


def augmentation_layers(image_size, flip):
    """Training-only augmentation: shifts by up to 1/8, optional mirror, random erasing."""
    stack = [layers.RandomTranslation(0.125, 0.125, fill_mode="reflect", name="aug_shift")]
    if flip:
        stack.append(layers.RandomFlip("horizontal", name="aug_flip"))
    stack.append(layers.RandomErasing(factor=0.5, scale=(0.02, 0.2), value_range=(0, 1), name="aug_erase"))
    return stack


def _stack(x, stack):
    for layer in stack:
        x = layer(x)
    return x


def _conv_bn(x, filters, name):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv")(x)
    return layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)


def _residual_block(x, name):
    filters = x.shape[-1]
    y = layers.ReLU()(_conv_bn(x, filters, name=f"{name}_a"))
    y = layers.ReLU()(_conv_bn(y, filters, name=f"{name}_b"))
    return layers.Add(name=f"{name}_add")([x, y])


def resnet_features(x, width=32, residual=(True, False, True)):
    """ResNet-9-style trunk (Page 2018, the DAWNBench CIFAR-10 net) at a chosen width.

    A 3×3 stem of `width` channels, then per stage a convolution that doubles the channels,
    2×2 max pooling and, where `residual` says so, a two-convolution residual block.
    """
    x = layers.ReLU()(_conv_bn(x, width, name="stem"))
    for stage, has_block in enumerate(residual):
        x = _conv_bn(x, width * 2 ** (stage + 1), name=f"s{stage}")
        x = layers.ReLU()(layers.MaxPooling2D(2, name=f"s{stage}_pool")(x))
        if has_block:
            x = _residual_block(x, name=f"s{stage}_res")
    return layers.Activation("linear", name="features")(x)


@keras.saving.register_keras_serializable(package="gallery")
class ScaledBias(layers.Layer):
    """Adds a learned per-channel bias stored divided by `scale`: SGD then moves it `scale`² times faster."""

    def __init__(self, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def build(self, input_shape):
        self.bias = self.add_weight(shape=(input_shape[-1],), initializer="zeros", name="bias")

    def call(self, x):
        return x + self.scale * self.bias

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


class _ViewLayer(layers.Layer):
    """Base of the test-time view layers: `flip` says whether mirrored views are used."""

    def __init__(self, flip=True, **kwargs):
        super().__init__(**kwargs)
        self.flip = flip

    def get_config(self):
        return {**super().get_config(), "flip": self.flip}

    def compute_output_shape(self, input_shape):
        return (None, *input_shape[1:])  # the batch changes size: declared, as JAX cannot infer it


@keras.saving.register_keras_serializable(package="gallery")
class TestTimeViews(_ViewLayer):
    """At inference, stacks the image, 1-pixel shifts of it and their mirrors along the batch; identity in training."""

    def call(self, x, training=False):
        if training:
            return x
        padded = ops.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="reflect")
        shifts = [x, padded[:, :-2, :-2], padded[:, 2:, 2:]]
        return ops.concatenate([view for shift in shifts for view in ([shift, ops.flip(shift, axis=2)]
                                                                      if self.flip else [shift])], axis=0)


@keras.saving.register_keras_serializable(package="gallery")
class MeanOverViews(_ViewLayer):
    """Averages the logits of `TestTimeViews`: half the unshifted views, half the shifted ones (airbench's TTA)."""

    def call(self, logits, training=False):
        if training:
            return logits
        weights = [0.25] * 2 + [0.125] * 4 if self.flip else [0.5, 0.25, 0.25]
        views = ops.reshape(logits, (len(weights), -1, logits.shape[-1]))
        return ops.tensordot(ops.convert_to_tensor(weights, dtype=logits.dtype), views, axes=1)


def whitening_kernel(images, eps=5e-4):
    """2×2 convolution kernel that whitens the images' patches: ± eigenvectors of their covariance / √eigenvalue."""
    patches = np.lib.stride_tricks.sliding_window_view(images, (2, 2), axis=(1, 2))  # N, H-1, W-1, C, 2, 2
    patches = patches.transpose(0, 1, 2, 4, 5, 3).reshape(-1, 4 * images.shape[-1]).astype(np.float64)
    eigenvalues, eigenvectors = np.linalg.eigh(patches.T @ patches / len(patches))
    filters = eigenvectors / np.sqrt(eigenvalues + eps)
    return np.concatenate([filters, -filters], axis=1).reshape(2, 2, images.shape[-1], -1).astype("float32")


def torch_default_init():
    """PyTorch's default for convolutions and dense layers, U(±1/√fan_in), which airbench starts from."""
    return keras.initializers.VarianceScaling(1 / 3, "fan_in", "uniform")


def _airbench_conv(x, filters, name):
    """3×3 convolution whose first filters start as the identity (airbench's partial Dirac init)."""
    conv = layers.Conv2D(filters, 3, padding="same", use_bias=False, kernel_initializer=torch_default_init(),
                         name=name)
    y = conv(x)
    kernel = ops.convert_to_numpy(conv.kernel)
    for channel in range(min(kernel.shape[2:])):
        kernel[..., channel] = 0
        kernel[1, 1, channel, channel] = 1
    conv.kernel.assign(kernel)
    return y


def _airbench_bn(x, name):
    x = layers.BatchNormalization(momentum=0.6, epsilon=1e-12, center=False, scale=False, name=f"{name}_bn")(x)
    return layers.Activation("gelu", name=f"{name}_gelu")(ScaledBias(8.0, name=f"{name}_bias")(x))


def airbench_features(x, sample, width=32):
    """The airbench94 trunk (Jordan 2024, "94% on CIFAR-10 in 3.29 seconds on a single GPU").

    Standardisation and a frozen 2×2 patch-whitening convolution, both fitted on `sample` (float
    images as the model sees them), then three blocks of `2·width`, `8·width`, `8·width` channels
    (airbench94: 64, 256, 256): conv, 2×2 max pooling, BN, GELU, conv, BN, GELU. BatchNorm has no
    scale and its bias learns 64× faster (`ScaledBias`).
    """
    mean, std = sample.mean(axis=(0, 1, 2)), sample.std(axis=(0, 1, 2)) + 1e-6
    x = layers.Rescaling(list(1 / std), list(-mean / std), name="standardize")(x)
    whiten = layers.Conv2D(8 * sample.shape[-1], 2, use_bias=False, trainable=False, name="whiten")
    x = whiten(x)
    whiten.kernel.assign(whitening_kernel((sample - mean) / std))
    x = layers.Activation("gelu", name="whiten_gelu")(ScaledBias(name="whiten_bias")(x))
    for block, channels in enumerate((2 * width, 8 * width, 8 * width)):
        x = _airbench_conv(x, channels, name=f"b{block}_conv1")
        x = _airbench_bn(layers.MaxPooling2D(2, name=f"b{block}_pool")(x), name=f"b{block}_1")
        x = _airbench_bn(_airbench_conv(x, channels, name=f"b{block}_conv2"), name=f"b{block}_2")
    return layers.Activation("linear", name="features")(x)


def lenet5_features(x):
    """LeNet-5 (LeCun et al. 1998) with ReLU and max pooling, as taught in the course."""
    x = layers.Conv2D(6, 5, padding="same", activation="relu", name="c1")(x)
    x = layers.MaxPooling2D(2, name="s2")(x)
    x = layers.Conv2D(16, 5, activation="relu", name="c3")(x)
    x = layers.MaxPooling2D(2, name="s4")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(120, activation="relu", name="f5")(x)
    return layers.Dense(84, activation="relu", name="features")(x)


def imagenet_features(x, arch, weights="imagenet", trainable=True):
    """A `keras.applications` backbone (ImageNet weights are downloaded on first use).

    Those backbones normalise internally and expect pixels in [0, 255].
    """
    application = getattr(keras.applications, IMAGENET_BACKBONES[arch])
    try:
        backbone = application(include_top=False, weights=weights, input_shape=tuple(x.shape[1:]))
    except Exception as error:  # no network, proxy, corrupt cache: say what to do instead
        raise UserError(
            f"Could not load the {weights} weights of {IMAGENET_BACKBONES[arch]} ({error}). They are downloaded "
            f"from the Keras servers into ~/.keras/models; without internet use --backbone-weights none."
        ) from error
    backbone.trainable = trainable
    x = backbone(layers.Rescaling(255.0, name="to_255")(x))
    return layers.Activation("linear", name="features")(x)


def mobilenet_features(x, weights="imagenet", trainable=True):
    """The gallery's MobileNetV2 trunk (`gallery.classification.mobilenet`) with ImageNet weights from
    keras.applications (downloaded once), a TFLite file, or none."""
    from gallery.classification import mobilenet

    trunk = mobilenet.mobilenet_v2(x.shape[1])
    if weights:
        if str(weights).endswith(".tflite"):
            loaded = mobilenet.tflite_weights(weights)
        else:
            try:
                loaded = mobilenet.keras_applications_weights(weights)
            except Exception as error:  # no network, proxy, corrupt cache: say what to do instead
                raise UserError(f"Could not load the {weights} weights of MobileNetV2 ({error}). Offline, start from "
                                "the shipped network: --init-from models/classification/imagenet_mobilenet_v2.") from error
        loaded.pop(mobilenet.HEAD)  # the classifier is the model's own head
        mobilenet.load_weights(trunk, loaded)
    trunk.trainable = trainable
    return layers.Activation("linear", name="features")(trunk(x))


def build_classifier(arch, class_names, image_size, channels, width=32, dropout=0.2, augment=True, flip=True,
                     backbone_weights="imagenet", train_backbone=True, sample=None, translate=2, cutout=0):
    """Return an uncompiled classifier that maps RGB uint8 images to class probabilities.

    airbench needs `sample`, a few thousand training images (RGB uint8), to fit its input whitening;
    its augmentation shifts by up to `translate` pixels and, if `cutout`, erases a square of that side.
    """
    if arch not in ARCHITECTURES:
        raise ValueError(f"Unknown architecture {arch!r}; choose one of {ARCHITECTURES}.")
    inputs = keras.Input((None, None, 3), dtype="uint8", name="image")
    preprocessing = preprocessing_layers(image_size, channels)
    x = _stack(inputs, preprocessing)
    if arch == "airbench":
        sample = ops.convert_to_numpy(_stack(ops.convert_to_tensor(sample), preprocessing))
        stack = airbench_augmentation(x.shape[1], flip, translate, cutout, sample.mean(axis=(0, 1, 2)))
        return _airbench_classifier(inputs, _stack(x, stack if augment else []), class_names, sample, width, flip)
    if augment:
        x = _stack(x, augmentation_layers(image_size, flip))
    if arch == "mobilenet_v2":
        x = mobilenet_features(x, None if backbone_weights == "none" else backbone_weights, train_backbone)
        x = layers.GlobalAveragePooling2D(name="pool")(x)
    elif arch in IMAGENET_BACKBONES:
        x = imagenet_features(x, arch, None if backbone_weights == "none" else backbone_weights, train_backbone)
        x = layers.GlobalAveragePooling2D(name="pool")(x)
    elif arch == "resnet":
        x = resnet_features(x, width)
        x = layers.GlobalAveragePooling2D(name="pool")(x)
    else:
        x = lenet5_features(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(len(class_names), activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name=f"{arch}_classifier")


@keras.saving.register_keras_serializable(package="gallery")
class RandomShift(layers.Layer):
    """Training only: moves each image by whole pixels, uniform in [-shift, shift] on each axis, filling with its
    reflection (airbench's random crop of the reflect-padded image)."""

    def __init__(self, shift=2, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.shift, self.seed = shift, seed
        self.generator = keras.random.SeedGenerator(seed)

    def call(self, x, training=False):
        if not training or not self.shift:
            return x
        r, (batch, height, width, channels) = self.shift, ops.shape(x)
        padded = ops.pad(x, [[0, 0], [r, r], [r, r], [0, 0]], mode="reflect")
        offsets = keras.random.randint((batch, 2), 0, 2 * r + 1, seed=self.generator)
        rows = ops.arange(height)[None, :, None, None] + offsets[:, :1, None, None]
        x = ops.take_along_axis(padded, ops.broadcast_to(rows, (batch, height, width + 2 * r, channels)), axis=1)
        columns = ops.arange(width)[None, None, :, None] + offsets[:, 1:, None, None]
        return ops.take_along_axis(x, ops.broadcast_to(columns, (batch, height, width, channels)), axis=2)

    def get_config(self):
        return {**super().get_config(), "shift": self.shift, "seed": self.seed}


@keras.saving.register_keras_serializable(package="gallery")
class AlternatingFlip(layers.Layer):
    """Training only: mirrors the whole batch in odd epochs (set by `AlternateFlips`). With the training images
    mirrored at random once beforehand, each image alternates between its two views (airbench's alternating flip)."""

    def build(self, input_shape):
        self.odd_epoch = self.add_weight(shape=(), initializer="zeros", dtype="int32", trainable=False,
                                         name="odd_epoch")

    def call(self, x, training=False):
        return ops.where(self.odd_epoch > 0, ops.flip(x, axis=2), x) if training else x


class AlternateFlips(keras.callbacks.Callback):
    """Tells the model's `AlternatingFlip` layer whether the epoch about to run is odd (resumes included)."""

    def on_epoch_begin(self, epoch, logs=None):
        self.model.get_layer("aug_flip").odd_epoch.assign(epoch % 2)


def random_mirrors(images, seed):
    """`images` with a fixed random half mirrored left-right: the starting views of `AlternatingFlip`."""
    mirrored = np.random.default_rng(seed).random(len(images)) < 0.5
    return np.where(mirrored[:, None, None, None], images[:, :, ::-1], images)


def airbench_augmentation(size, flip, translate, cutout, mean):
    """airbench's training augmentation: pixel shifts, alternating mirrors and (airbench96) cutout filled with the
    `mean` colour."""
    stack = [RandomShift(translate, name="aug_shift")]
    if flip:
        stack.append(AlternatingFlip(name="aug_flip"))
    if cutout:
        area = (cutout / size) ** 2
        stack.append(layers.RandomErasing(factor=(1.0, 1.0), scale=(area, area), fill_value=[float(m) for m in mean],
                                          value_range=(0, 1), name="aug_cutout"))
    return stack


def _airbench_classifier(inputs, x, class_names, sample, width, flip):
    """airbench: the 6-view average at inference, global max pooling, logits scaled by 1/9."""
    x = TestTimeViews(flip, name="views")(x)
    x = layers.GlobalMaxPooling2D(name="pool")(airbench_features(x, sample, width))
    logits = layers.Dense(len(class_names), use_bias=False, kernel_initializer=torch_default_init(), name="logits")(x)
    logits = MeanOverViews(flip, name="mean_over_views")(layers.Rescaling(1 / 9, name="temperature")(logits))
    return keras.Model(inputs, layers.Activation("softmax", name="probabilities")(logits), name="airbench_classifier")
