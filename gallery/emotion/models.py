"""The emotion network: 48×48 grayscale faces → 7 emotion probabilities, with test-time views inside.

The trunk is VGG-style, as in the FER2013 literature's best single networks (Khaireddin & Chen
2021): four blocks of two 3×3 convolutions with batch norm and ReLU, each block halving the
resolution (48 → 3) and doubling the channels. Training augments faces as the FER2013 literature does (shifts, mirrors, small rotations and
zooms, random erasing); at inference the model averages six views of each face (itself, two
1-pixel shifts and their mirrors: `TestTimeViews`), so `predict`, the app and the SavedModel
all get the averaged answer.
"""

import keras
from keras import layers

from gallery.classification.models import MeanOverViews, TestTimeViews
from gallery.preprocessing.layers import preprocessing_layers

FACE_SIZE = (48, 48)


def face_augmentation():
    """Training-only face augmentation: shift ≤ 10 %, mirror, rotate ≤ 15° (tilted heads), zoom ±10 %, random erasing.

    Always float32: in bfloat16 the image transforms are several times slower on CPUs.
    """
    return [
        layers.RandomTranslation(0.1, 0.1, fill_mode="reflect", dtype="float32", name="aug_shift"),
        layers.RandomFlip("horizontal", dtype="float32", name="aug_flip"),
        layers.RandomRotation(15 / 360, fill_mode="reflect", dtype="float32", name="aug_rotate"),
        layers.RandomZoom(0.1, fill_mode="reflect", dtype="float32", name="aug_zoom"),
        layers.RandomErasing(factor=0.5, scale=(0.02, 0.15), value_range=(0, 1), dtype="float32", name="aug_erase"),
    ]


def vgg_features(x, width=32, blocks=4):
    """`blocks` × (conv-BN-ReLU twice, 2×2 max pooling), with `width`, 2·`width`, 4·`width`, … channels."""
    for block in range(blocks):
        for conv in range(2):
            name = f"b{block}_conv{conv}"
            x = layers.Conv2D(width * 2 ** block, 3, padding="same", use_bias=False, name=name)(x)
            x = layers.ReLU(name=f"{name}_relu")(layers.BatchNormalization(name=f"{name}_bn")(x))
        x = layers.MaxPooling2D(2, name=f"b{block}_pool")(x)
    return layers.Activation("linear", name="features")(x)


def build_emotion_model(class_names, width=32, dropout=0.3, augment=True, views=True):
    """An uncompiled model from RGB uint8 face crops of any size to class probabilities (float32 out)."""
    inputs = keras.Input((None, None, 3), dtype="uint8", name="image")
    x = inputs
    for layer in preprocessing_layers(FACE_SIZE, 1) + (face_augmentation() if augment else []):
        x = layer(x)
    if views:
        x = TestTimeViews(flip=True, name="views")(x)
    x = layers.GlobalAveragePooling2D(name="pool")(vgg_features(x, width))
    x = layers.Dropout(dropout, name="dropout")(x)
    logits = layers.Dense(len(class_names), dtype="float32", name="logits")(x)
    if views:
        logits = MeanOverViews(flip=True, name="mean_over_views", dtype="float32")(logits)
    outputs = layers.Activation("softmax", dtype="float32", name="probabilities")(logits)
    return keras.Model(inputs, outputs, name="emotion_vgg")
