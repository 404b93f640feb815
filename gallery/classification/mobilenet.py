"""MobileNetV2 1.0 (Sandler et al. 2018) in Keras 3, batch norm folded into the convolutions' biases.

Its ImageNet weights come from either source, converted into this one definition:
- a TFLite file (`tflite_weights`): the uint8 tensors of a quantization-aware trained network
  (e.g. `mobilenet_v2_1.0_224_quant.tflite`), dequantized as (q − zero point) × scale;
- `keras.applications.MobileNetV2(weights="imagenet")` (`keras_applications_weights`, downloads
  once), its batch norms folded into the preceding convolutions.
Layer names follow the TF-Slim graph ("expanded_conv_3_expand"); the classifier is 1,000 ImageNet
classes (the TFLite model's extra "background" output is dropped).
"""

import keras
import numpy as np
from keras import layers

# (expansion, output channels, repeats, first stride) per stage: Table 2 of the paper
STAGES = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
HEAD = "Logits_Conv2d_1c_1x1"


def _conv(x, filters, kernel, stride, name, relu=True):
    x = layers.Conv2D(filters, kernel, stride, padding="same", name=name)(x)
    return layers.ReLU(6.0, name=f"{name}_relu6")(x) if relu else x


def block_names():
    """The inverted-residual blocks' names in graph order."""
    return ["expanded_conv" + (f"_{i}" if i else "") for i in range(sum(n for _, _, n, _ in STAGES))]


def inverted_residuals(x, conv, add):
    """The 17 inverted-residual blocks of STAGES on `x`, built by `conv(x, filters, kernel, stride, name, relu6,
    depthwise)` (a convolution and its ReLU6) and `add(shortcut, x, name)`."""
    names = iter(block_names())
    for expansion, channels, repeats, first_stride in STAGES:
        for repeat in range(repeats):
            name, stride, shortcut = next(names), first_stride if repeat == 0 else 1, x
            if expansion != 1:
                x = conv(x, x.shape[-1] * expansion, 1, 1, f"{name}_expand", True, False)
            x = conv(x, None, 3, stride, f"{name}_depthwise", True, True)
            x = conv(x, channels, 1, 1, f"{name}_project", False, False)
            if stride == 1 and shortcut.shape[-1] == channels:
                x = add(shortcut, x, f"{name}_add")
    return x


def _any_conv(x, filters, kernel, stride, name, relu6, depthwise):
    if not depthwise:
        return _conv(x, filters, kernel, stride, name, relu=relu6)
    x = layers.DepthwiseConv2D(kernel, stride, padding="same", name=name)(x)
    return layers.ReLU(6.0, name=f"{name}_relu6")(x) if relu6 else x


def mobilenet_v2(image_size=224):
    """The trunk: [0, 1] RGB (image_size² × 3) → 1,280 ReLU6 feature maps at 1/32 of the size."""
    inputs = keras.Input((image_size, image_size, 3), name="pixels")
    x = layers.Rescaling(255 / 128, offset=-1.0, name="to_signed")(inputs)  # as the uint8 input's (q − 128) / 128
    x = inverted_residuals(_conv(x, 32, 3, 2, "Conv"), _any_conv,
                           lambda shortcut, y, name: layers.Add(name=name)([shortcut, y]))
    return keras.Model(inputs, _conv(x, 1280, 1, 1, "Conv_1"), name="mobilenet_v2")


def tflite_weights(path):
    """{layer name: [kernel, bias]} in Keras layout, dequantized from a TF-Slim MobileNetV2 TFLite file."""
    import tensorflow as tf

    interpreter = tf.lite.Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    tensors = {detail["index"]: detail for detail in interpreter.get_tensor_details()}

    def real(index):
        detail = tensors[index]
        scale, zero_point = detail["quantization"]
        values = interpreter.get_tensor(index).astype(np.float64)
        return ((values - zero_point) * scale if scale else values).astype("float32")

    weights = {}
    for op in interpreter._get_ops_details():
        if op["op_name"] not in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            continue
        _, kernel, bias = op["inputs"]
        scope = tensors[kernel]["name"].split(";")[0].split("/")
        name = "_".join(scope[1:-1])  # MobilenetV2/expanded_conv_3/expand/Conv2D_Fold → expanded_conv_3_expand
        weights[name] = [real(kernel).transpose(1, 2, 3, 0), real(bias)]  # (out, h, w, in) → (h, w, in, out)
    if HEAD in weights:  # the 1×1 logits convolution → Dense, without "background"
        kernel, bias = weights.pop(HEAD)
        weights[HEAD] = [kernel[0, 0][:, 1:], bias[1:]]
    return weights


def keras_applications_layers():
    """{our layer: (keras.applications convolution, its batch norm)}; None for the classifier."""
    pairs = {"Conv": ("Conv1", "bn_Conv1"), "Conv_1": ("Conv_1", "Conv_1_bn"), HEAD: ("predictions", None)}
    for i, name in enumerate(block_names()):
        theirs = f"block_{i}" if i else "expanded_conv"
        for part in ("expand", "depthwise", "project") if i else ("depthwise", "project"):
            pairs[f"{name}_{part}"] = (f"{theirs}_{part}", f"{theirs}_{part}_BN")
    return pairs


def folded_weights(source):
    """{layer name: [kernel, bias]} of a keras.applications MobileNetV2 with its batch norms folded in."""
    folded = {}
    for ours, (conv_name, norm_name) in keras_applications_layers().items():
        conv = source.get_layer(conv_name)
        if norm_name is None:
            folded[ours] = conv.get_weights()
            continue
        norm = source.get_layer(norm_name)
        gamma, beta, mean, variance = norm.get_weights()
        scale = gamma / np.sqrt(variance + norm.epsilon)
        kernel = conv.get_weights()[0]
        kernel = kernel * (scale[None, None, :, None] if isinstance(conv, layers.DepthwiseConv2D) else scale)
        folded[ours] = [kernel, beta - mean * scale]
    return folded


def keras_applications_weights(weights="imagenet"):
    """`keras.applications.MobileNetV2`'s ImageNet weights (downloaded once), folded for this definition."""
    return folded_weights(keras.applications.MobileNetV2(weights=weights, input_shape=(224, 224, 3)))


def load_weights(model, weights):
    """Assign {layer name: weights} to the layers of `model` (or its nested trunk) that have those names."""
    found = {layer.name: layer for sub in [model, *[l for l in model.layers if isinstance(l, keras.Model)]]
             for layer in sub.layers}
    missing = sorted(set(weights) - set(found))
    if missing:
        raise ValueError(f"the weights name layers this MobileNetV2 lacks: {missing[:5]}")
    for name, values in weights.items():
        found[name].set_weights(values)
    return len(weights)
