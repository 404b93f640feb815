"""Keras 3 image classifiers: LeNet-5 (the lecture baseline), a ResNet-9-style CNN, ImageNet backbones.

Every model takes RGB uint8 images of any size, shape (None, None, 3): the first layers
(`gallery.preprocessing.layers`) resize with a centre crop, convert to the model's channel count
and scale to [0, 1]. Augmentation layers are active only in training. The same graph therefore
serves `fit`, `predict`, the app and the exported SavedModel.
"""

import keras
from keras import layers

from gallery.classification.config import ARCHITECTURES, IMAGENET_BACKBONES
from gallery.preprocessing.layers import preprocessing_layers
from gallery.tasks import UserError


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


def build_classifier(arch, class_names, image_size, channels, width=32, dropout=0.2, augment=True, flip=True,
                     backbone_weights="imagenet", train_backbone=True):
    """Return an uncompiled classifier that maps RGB uint8 images to class probabilities."""
    if arch not in ARCHITECTURES:
        raise ValueError(f"Unknown architecture {arch!r}; choose one of {ARCHITECTURES}.")
    inputs = keras.Input((None, None, 3), dtype="uint8", name="image")
    x = _stack(inputs, preprocessing_layers(image_size, channels))
    if augment:
        x = _stack(x, augmentation_layers(image_size, flip))
    if arch in IMAGENET_BACKBONES:
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
