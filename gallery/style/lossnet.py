"""The loss network of style transfer: SqueezeNet v1.1 (offline default) or VGG19, both ImageNet-trained.

SqueezeNet v1.1 is written here in Keras 3. Its weights ship converted to this definition's own
Keras weights file, `models/style/lossnet/squeezenet_v1_1.weights.h5` (MIT / BSD, licence beside
it), so style transfer works offline; `python data/prepare.py squeezenet` rebuilds it from the
Keras-2 HDF5 file of keras-squeezenet, read by layer name with h5py (its names contain "/", which
Keras 3 forbids, so "fire2/squeeze1x1" becomes "fire2_squeeze1x1"). Input: RGB in [0, 255]; the network's own
preprocessing (BGR, ImageNet mean subtracted, as in Caffe) happens inside.

Layers (SqueezeNet), chosen to mirror the classic VGG choices at similar depth and stride:
- content: `fire3` (stride 4, like VGG's relu2_2 in Johnson et al.);
- style: `conv1` (stride 2), `fire2` and `fire3` (stride 4), `fire5` (stride 8), `fire7` (stride 16),
  textures from fine to coarse; each layer counts equally, its Gram matrix normalised by H·W·C.
"""

import os
from pathlib import Path

import h5py
import keras
import numpy as np
from keras import layers, ops

from gallery.errors import UserError

SQUEEZENET_FILE = "squeezenet_weights_tf_dim_ordering_tf_kernels_notop.h5"
SHIPPED_WEIGHTS = Path(__file__).resolve().parents[2] / "models" / "style" / "lossnet" / "squeezenet_v1_1.weights.h5"
CACHE = Path(__file__).resolve().parents[2] / "data" / "cache" / "squeezenet"
SQUEEZENET_URL = ("https://github.com/rcmalli/keras-squeezenet/releases/download/v1.0/" + SQUEEZENET_FILE)
LAYERS = {
    "squeezenet": {"content": ["fire3"], "style": ["conv1", "fire2", "fire3", "fire5", "fire7"]},
    "vgg19": {"content": ["block2_conv2"], "style": ["block1_conv1", "block2_conv1", "block3_conv1",
                                                      "block4_conv1", "block5_conv1"]},
}
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)


def caffe_preprocess(rgb):
    """RGB [0, 255] → BGR with the ImageNet mean removed (the input SqueezeNet and VGG were trained on)."""
    return ops.flip(rgb, axis=-1) - ops.convert_to_tensor(CAFFE_MEAN_BGR, dtype=rgb.dtype)


def _fire(x, name, squeeze, expand):
    x = layers.Conv2D(squeeze, 1, activation="relu", name=f"{name}_squeeze1x1")(x)
    left = layers.Conv2D(expand, 1, activation="relu", name=f"{name}_expand1x1")(x)
    right = layers.Conv2D(expand, 3, padding="same", activation="relu", name=f"{name}_expand3x3")(x)
    return layers.Concatenate(name=name)([left, right])


def squeezenet_trunk():
    """SqueezeNet v1.1 without its classifier: RGB [0, 255] → fire9 features, layers named as in the HDF5."""
    image = keras.Input((None, None, 3), name="rgb")
    x = layers.Conv2D(64, 3, strides=2, activation="relu", name="conv1")(caffe_preprocess(image))
    x = layers.MaxPooling2D(3, 2, name="pool1")(x)
    x = _fire(x, "fire2", 16, 64)
    x = _fire(x, "fire3", 16, 64)
    x = layers.MaxPooling2D(3, 2, name="pool3")(x)
    x = _fire(x, "fire4", 32, 128)
    x = _fire(x, "fire5", 32, 128)
    x = layers.MaxPooling2D(3, 2, name="pool5")(x)
    for index, (squeeze, expand) in enumerate(((48, 192), (48, 192), (64, 256), (64, 256)), start=6):
        x = _fire(x, f"fire{index}", squeeze, expand)
    return keras.Model(image, x, name="squeezenet_v1_1")


def squeezenet_weights_path(path=None):
    """The weights: `path`, $GALLERY_SQUEEZENET_WEIGHTS, the shipped file, data/cache/squeezenet/, or downloaded."""
    path = path or os.environ.get("GALLERY_SQUEEZENET_WEIGHTS")
    if path:
        return Path(path)
    if SHIPPED_WEIGHTS.exists():
        return SHIPPED_WEIGHTS
    cached = CACHE / SQUEEZENET_FILE
    if cached.exists():
        return cached
    try:
        return Path(keras.utils.get_file(SQUEEZENET_FILE, SQUEEZENET_URL, cache_subdir="models"))
    except Exception as error:
        raise UserError(f"The SqueezeNet loss-network weights could not be downloaded ({type(error).__name__}). "
                        f"Offline, put {SQUEEZENET_FILE} in data/cache/squeezenet/ or set "
                        "$GALLERY_SQUEEZENET_WEIGHTS to it.") from None


def load_squeezenet_weights(model, path):
    """Load a `.weights.h5` file of this definition, or copy each layer group's kernel (4-D) and bias (1-D)
    of keras-squeezenet's Keras-2 HDF5 file into the layer of the same name; return the count loaded."""
    if str(path).endswith(".weights.h5"):
        model.load_weights(path)
        return model.count_params()
    loaded = 0
    with h5py.File(path, "r") as file:
        for layer in model.layers:
            if not isinstance(layer, layers.Conv2D):
                continue
            group = file[layer.name.replace("_", "/", 1) if layer.name.startswith("fire") else layer.name]
            arrays = []
            group.visititems(lambda _, item: arrays.append(item[()]) if isinstance(item, h5py.Dataset) else None)
            kernel = next(a for a in arrays if a.ndim == 4)
            bias = next(a for a in arrays if a.ndim == 1)
            layer.set_weights([kernel, bias])
            loaded += kernel.size + bias.size
    return loaded


def feature_extractor(network="squeezenet", weights_path=None):
    """RGB [0, 255] (B, H, W, 3) → {"content": [...], "style": [...]} feature maps, frozen."""
    if network == "squeezenet":
        trunk = squeezenet_trunk()
        load_squeezenet_weights(trunk, squeezenet_weights_path(weights_path))
    elif network == "vgg19":
        trunk = keras.applications.VGG19(include_top=False, weights="imagenet")
    else:
        raise ValueError(f"Unknown loss network {network!r}; choose squeezenet or vgg19.")
    trunk.trainable = False
    outputs = {role: [trunk.get_layer(name).output for name in names] for role, names in LAYERS[network].items()}
    extractor = keras.Model(trunk.input, outputs, name=f"{network}_features")
    if network == "vgg19":  # VGG's own input is the Caffe-preprocessed image
        image = keras.Input((None, None, 3), name="rgb")
        extractor = keras.Model(image, extractor(caffe_preprocess(image)), name="vgg19_features")
    extractor.trainable = False
    return extractor


def gram_matrix(features):
    """(B, H, W, C) → (B, C, C) channel correlations, normalised by H·W·C."""
    shape = ops.shape(features)
    flat = ops.reshape(features, (shape[0], -1, shape[3]))
    return ops.matmul(ops.transpose(flat, (0, 2, 1)), flat) / ops.cast(shape[1] * shape[2] * shape[3], flat.dtype)


def style_targets(extractor, style_image):
    """The Gram matrices of one style image (H, W, 3) uint8/float in [0, 255]."""
    features = extractor(np.asarray(style_image, np.float32)[None])
    return [np.asarray(gram_matrix(f)) for f in features["style"]]
