"""Magenta's arbitrary-style network (Ghiasi et al. 2017) in Keras 3, converted from its TFLite release.

Two networks in one model file:
- the style predictor: a painting (any size; centre crop, 256×256 inside) → MobileNetV2 (TF-Slim names, batch
  norm folded into the biases) → spatial mean → 1×1 projection → a 100-number style vector. The released network
  is int8: its weights are dequantized here, and every activation goes through the same 8-bit grid as in the
  TFLite graph (`FakeQuant`, scales read from the file), so the vectors match the TFLite ones;
- the style transfer network: a photo (any size) and a style vector → the stylised photo. Contract (9×9, two
  stride-2 3×3 convolutions), five residual blocks, expand (two nearest ×2 upsamplings, each then a 3×3
  convolution, and a 9×9 one), every convolution after a mirror pad; conditional instance norm after each
  convolution but the first three, its scale and shift 1×1 projections of the style vector; sigmoid output.
  Fully convolutional: the output is cropped back to the photo's size. Float16 weights, float32 here.

Style strength mixes the painting's vector with the photo's own (the paper's and Magenta's demo's blend);
`convert` builds both from the two TFLite files and `python data/prepare.py arbitrary_style` calls it.
"""

import keras
import numpy as np
from keras import layers, ops

from gallery.classification.mobilenet import inverted_residuals
from gallery.preprocessing.layers import resizing_layer
from gallery.style.models import CropToInput

STYLE_SIZE = 256  # the predictor's input (the TFLite file's)
STYLE_DIM = 100
CIN_EPSILON = 1e-5  # the conditional instance norm's variance epsilon in the TFLite graph
PREDICT_FILE = "style_predict_quantized_256.tflite"
TRANSFER_FILE = "style_transfer_f16_384.tflite"


@keras.saving.register_keras_serializable(package="gallery")
class FakeQuant(layers.Layer):
    """Round to an int8 grid and back: (clip(round(x / scale) + zero point, −128, 127) − zero point) × scale.

    Scale and zero point are weights, set by the conversion from the TFLite tensor this activation had."""

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(), initializer="ones", trainable=False, name="scale")
        self.zero_point = self.add_weight(shape=(), initializer="zeros", trainable=False, name="zero_point")

    def call(self, x):
        q = ops.clip(ops.round(x / self.scale) + self.zero_point, -128.0, 127.0)
        return (q - self.zero_point) * self.scale


@keras.saving.register_keras_serializable(package="gallery")
class MirrorPad(layers.Layer):
    """Reflection padding of height and width by `pad` pixels (TF's MirrorPad, mode REFLECT)."""

    def __init__(self, pad, **kwargs):
        super().__init__(**kwargs)
        self.pad = pad

    def call(self, x):
        return ops.pad(x, [[0, 0], [self.pad, self.pad], [self.pad, self.pad], [0, 0]], mode="reflect")

    def compute_output_shape(self, shape):
        grow = lambda size: None if size is None else size + 2 * self.pad  # noqa: E731
        return (shape[0], grow(shape[1]), grow(shape[2]), shape[3])

    def get_config(self):
        return {**super().get_config(), "pad": self.pad}


@keras.saving.register_keras_serializable(package="gallery")
class ConditionalInstanceNorm(layers.Layer):
    """Instance norm whose scale (gamma) and shift (beta) are affine maps of the style vector."""

    def __init__(self, epsilon=CIN_EPSILON, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def build(self, x_shape, style_shape):
        channels, dim = x_shape[-1], style_shape[-1]
        self.gamma_kernel = self.add_weight(shape=(dim, channels), name="gamma_kernel")
        self.gamma_bias = self.add_weight(shape=(channels,), initializer="ones", name="gamma_bias")
        self.beta_kernel = self.add_weight(shape=(dim, channels), name="beta_kernel")
        self.beta_bias = self.add_weight(shape=(channels,), initializer="zeros", name="beta_bias")

    def call(self, x, style):
        mean = ops.mean(x, axis=(1, 2), keepdims=True)
        variance = ops.mean(ops.square(x - mean), axis=(1, 2), keepdims=True)
        gamma = (ops.matmul(style, self.gamma_kernel) + self.gamma_bias)[:, None, None, :]
        beta = (ops.matmul(style, self.beta_kernel) + self.beta_bias)[:, None, None, :]
        return (x - mean) * ops.rsqrt(variance + self.epsilon) * gamma + beta

    def compute_output_shape(self, x_shape, style_shape):
        return x_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


def _quantized_conv(x, filters, kernel, stride, name, relu6=True, depthwise=False):
    """A convolution (or depthwise one), its ReLU6, and its output on the 8-bit grid."""
    conv = (layers.DepthwiseConv2D(kernel, stride, padding="same", name=name) if depthwise
            else layers.Conv2D(filters, kernel, stride, padding="same", name=name))
    x = conv(x)
    if relu6:
        x = layers.ReLU(6.0, name=f"{name}_relu6")(x)
    return FakeQuant(name=f"{name}_quant")(x)


def style_predictor():
    """RGB uint8 painting of any size → its 100-number style vector (the int8 MobileNetV2 of the TFLite file)."""
    inputs = keras.Input((None, None, 3), dtype="uint8", name="style_image")
    x = layers.Rescaling(1.0 / 255, name="rescale")(resizing_layer((STYLE_SIZE, STYLE_SIZE))(inputs))
    x = _quantized_conv(FakeQuant(name="input_quant")(x), 32, 3, 2, "Conv")
    x = inverted_residuals(x, _quantized_conv, lambda shortcut, y, name: FakeQuant(name=f"{name}_quant")(
        layers.Add(name=name)([shortcut, y])))
    x = _quantized_conv(x, 1280, 1, 1, "Conv_1")
    x = FakeQuant(name="bottleneck_quant")(layers.GlobalAveragePooling2D(name="bottleneck")(x))
    vector = FakeQuant(name="style_vector_quant")(layers.Dense(STYLE_DIM, name="style_projection")(x))
    return keras.Model(inputs, vector, name="style_predictor")


def transfer_layer_names():
    """The transfer network's convolutions in graph order; all but the first three have a conditional norm."""
    residual = [f"residual{block}_conv{conv}" for block in range(1, 6) for conv in (1, 2)]
    return ["contract_conv1", "contract_conv2", "contract_conv3", *residual,
            "expand_conv1", "expand_conv2", "expand_conv3"]


def style_transfer():
    """RGB uint8 photo of any size and a style vector → the stylised photo, float in [0, 255], same size."""
    photo = keras.Input((None, None, 3), dtype="uint8", name="photo")
    style = keras.Input((STYLE_DIM,), name="style_vector")

    def conv(x, filters, kernel, name, stride=1, norm=True, relu=True):
        x = MirrorPad(kernel // 2, name=f"{name}_pad")(x)
        x = layers.Conv2D(filters, kernel, stride, name=name)(x)
        if norm:
            x = ConditionalInstanceNorm(name=f"{name}_cin")(x, style)
        return layers.ReLU(name=f"{name}_relu")(x) if relu else x

    x = layers.Rescaling(1.0 / 255, name="rescale")(photo)
    x = conv(x, 8, 9, "contract_conv1", norm=False)
    x = conv(x, 16, 3, "contract_conv2", stride=2, norm=False)
    x = conv(x, 32, 3, "contract_conv3", stride=2, norm=False)
    for block in range(1, 6):
        y = conv(x, 32, 3, f"residual{block}_conv1")
        x = layers.Add(name=f"residual{block}")([x, conv(y, 32, 3, f"residual{block}_conv2", relu=False)])
    for i, filters in ((1, 16), (2, 8)):
        x = conv(layers.UpSampling2D(2, name=f"expand_up{i}")(x), filters, 3, f"expand_conv{i}")
    x = layers.Activation("sigmoid", name="sigmoid")(conv(x, 3, 9, "expand_conv3", relu=False))
    x = layers.Rescaling(255.0, name="to_pixels")(CropToInput(name="crop")(x, photo))
    return keras.Model([photo, style], x, name="style_transfer")


def build_arbitrary_model():
    """Both networks in one model: {"photo", "style"} uint8 images → the photo in the style, float [0, 255]."""
    predictor, transfer = style_predictor(), style_transfer()
    photo = keras.Input((None, None, 3), dtype="uint8", name="photo")
    painting = keras.Input((None, None, 3), dtype="uint8", name="style")
    return keras.Model({"photo": photo, "style": painting}, transfer([photo, predictor(painting)]),
                       name="arbitrary_style")


def networks(model):
    """(style predictor, style transfer network) of a model from `build_arbitrary_model`."""
    return model.get_layer("style_predictor"), model.get_layer("style_transfer")


def mixed_vector(style_vector, photo_vector, strength):
    """The paper's style strength: strength × the painting's vector + (1 − strength) × the photo's own."""
    strength = float(np.clip(strength, 0.0, 1.0))
    return strength * np.asarray(style_vector) + (1.0 - strength) * np.asarray(photo_vector)


# --- conversion from the TFLite files -------------------------------------------------------------------------

def _interpreter(path, reference=True):
    """An allocated TFLite interpreter of `path`: the reference kernels (every op readable), or TFLite's default
    ones (XNNPACK), which users of the file get."""
    import tensorflow as tf

    resolver = tf.lite.experimental.OpResolverType
    interpreter = tf.lite.Interpreter(model_path=str(path),
                                      experimental_op_resolver_type=resolver.BUILTIN_REF if reference else resolver.AUTO)
    interpreter.allocate_tensors()
    return interpreter


def _real_values(interpreter, detail):
    """A constant tensor as float32: int8/int32 dequantized per channel ((q − zero point) × scale), float16 cast."""
    values = interpreter.get_tensor(detail["index"]).astype(np.float64)
    scales = detail["quantization_parameters"]["scales"]
    if len(scales):
        zero_points = detail["quantization_parameters"]["zero_points"]
        axis = detail["quantization_parameters"]["quantized_dimension"]
        shape = [-1 if i == axis else 1 for i in range(values.ndim)]
        values = (values - zero_points.reshape(shape)) * scales.reshape(shape)
    return values.astype("float32")


def predictor_weights(path):
    """{layer name: weights} of `style_predictor` from the int8 TFLite file: kernels, biases and the
    [scale, zero point] of every quantized activation."""
    interpreter = _interpreter(path)
    tensors = {detail["index"]: detail for detail in interpreter.get_tensor_details()}
    quant = lambda index: [np.float32(value) for value in tensors[index]["quantization"]]  # noqa: E731
    weights = {}
    for op in interpreter._get_ops_details():
        kind, inputs, output = op["op_name"], op["inputs"], op["outputs"][0]
        scope = tensors[output]["name"].split("/")
        if kind == "QUANTIZE":
            weights["input_quant"] = quant(output)
        elif kind in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            kernel, bias = (_real_values(interpreter, tensors[i]) for i in inputs[1:])
            if scope[0] == "mobilenet_conv":  # the 1×1 projection of the pooled features: a Dense layer
                weights["style_projection"] = [kernel[:, 0, 0, :].T, bias]
                weights["style_vector_quant"] = quant(output)
                continue
            name = "_".join(scope[1:-1]) if scope[-1] != "FusedBatchNormV3" else "_".join(scope[1:-2])
            weights[name] = [kernel.transpose(1, 2, 3, 0), bias]  # (out, h, w, in) → (h, w, in, out)
            weights[f"{name}_quant"] = quant(output)
        elif kind == "ADD":
            weights[f"{scope[1]}_add_quant"] = quant(output)
        elif kind == "MEAN":
            weights["bottleneck_quant"] = quant(output)
    return weights


def transfer_weights(path):
    """{layer name: weights} of `style_transfer` from the float16 TFLite file, matched by the graph's structure
    (its tensor names share deduplicated constants): the main-path convolutions in order, and for each the two
    style projections — gamma feeds the multiplication with the normalised input, beta the subtraction."""
    interpreter = _interpreter(path)
    tensors = {detail["index"]: detail for detail in interpreter.get_tensor_details()}
    ops_list = interpreter._get_ops_details()
    producer = {op["outputs"][0]: op for op in ops_list}

    def constant(index):  # through DEQUANTIZE to the stored tensor
        op = producer.get(index)
        return _real_values(interpreter, tensors[op["inputs"][0]] if op and op["op_name"] == "DEQUANTIZE"
                            else tensors[index])

    def users(index, kind):
        return [op for op in ops_list if op["op_name"] == kind and index in op["inputs"]]

    style_input = next(d["index"] for d in interpreter.get_input_details() if d["shape"][-1] == STYLE_DIM)
    convs = [op for op in ops_list if op["op_name"] == "CONV_2D" and op["inputs"][0] != style_input]
    projections = {op["outputs"][0]: op for op in ops_list
                   if op["op_name"] == "CONV_2D" and op["inputs"][0] == style_input}
    names = transfer_layer_names()
    if len(convs) != len(names):
        raise ValueError(f"{path}: {len(convs)} convolutions on the photo's path, expected {len(names)}")
    weights = {}
    for name, op in zip(names, convs):
        weights[name] = [constant(op["inputs"][1]).transpose(1, 2, 3, 0), constant(op["inputs"][2])]
        if name.startswith("contract"):
            continue
        x = op["outputs"][0]  # mul = rsqrt × gamma; mul_1 = x × mul; mul_2 = mean × mul; sub = beta − mul_2
        mul = next(other for user in users(x, "MUL") for other in user["inputs"] if other != x)
        gamma = next(projections[i] for i in producer[mul]["inputs"] if i in projections)
        mul_2 = next(user["outputs"][0] for user in users(mul, "MUL") if x not in user["inputs"])
        beta = next(projections[i] for user in users(mul_2, "SUB") for i in user["inputs"] if i in projections)
        weights[f"{name}_cin"] = [*(value for projection in (gamma, beta) for value in (
            constant(projection["inputs"][1])[:, 0, 0, :].T, constant(projection["inputs"][2])))]
    return weights


def load_into(model, weights):
    """Assign {layer name: weights} to the layers of `model` of those names; every layer named must exist."""
    missing = sorted(set(weights) - {layer.name for layer in model.layers})
    if missing:
        raise ValueError(f"the weights name layers the model lacks: {missing[:5]}")
    for name, values in weights.items():
        model.get_layer(name).set_weights(values)


def converted_model(folder):
    """The arbitrary-style model with the weights of the two TFLite files in `folder`."""
    model = build_arbitrary_model()
    predictor, transfer = networks(model)
    load_into(predictor, predictor_weights(f"{folder}/{PREDICT_FILE}"))
    load_into(transfer, transfer_weights(f"{folder}/{TRANSFER_FILE}"))
    return model


def tflite_style_vector(interpreter, painting):
    """The TFLite predictor's vector for a 256×256 uint8 painting."""
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], (painting[None] / 255).astype(np.float32))
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"]).reshape(-1)


def tflite_stylised(interpreter, photo, vector):
    """The TFLite transfer network's uint8-range float output for a 384×384 uint8 photo and a style vector."""
    for detail in interpreter.get_input_details():
        value = vector.reshape(1, 1, 1, STYLE_DIM) if detail["shape"][-1] == STYLE_DIM else photo[None] / 255
        interpreter.set_tensor(detail["index"], value.astype(np.float32))
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])[0] * 255


def square(image, size):
    """`image` centre-cropped to a square and resized to `size` (bilinear), as the TFLite networks' inputs."""
    from PIL import Image

    height, width = image.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    crop = Image.fromarray(image[top:top + side, left:left + side])
    return np.asarray(crop.resize((size, size), Image.BILINEAR))


def parity(model, folder, photos, paintings):
    """The converted model against the TFLite files in `folder`, on uint8 photos × paintings: each style vector's
    relative difference (‖ours − TFLite‖ / ‖TFLite‖) and the mean absolute difference of each stylised image (in
    /255 units; 384×384 photos, each network on its own vector)."""
    predictor, transfer = networks(model)
    predict_file, transfer_file = (_interpreter(f"{folder}/{name}", reference=False)
                                   for name in (PREDICT_FILE, TRANSFER_FILE))
    vectors, differences = [], []
    for painting in paintings:
        painting = square(painting, STYLE_SIZE)
        theirs = tflite_style_vector(predict_file, painting)
        ours = np.asarray(predictor(painting[None]))[0]
        vectors.append(float(np.linalg.norm(ours - theirs) / np.linalg.norm(theirs)))
        for photo in photos:
            photo = square(photo, 384)
            expected = tflite_stylised(transfer_file, photo, theirs)
            differences.append(float(np.abs(np.asarray(transfer([photo[None], ours[None]]))[0] - expected).mean()))
    return {"style_vector_relative_difference_max": max(vectors), "style_vector_relative_differences": vectors,
            "image_mean_abs_difference_max": max(differences), "image_mean_abs_difference_mean": float(np.mean(differences)),
            "photos": len(photos), "paintings": len(paintings)}


def convert(folder, out, photos=(), paintings=(), command=""):
    """Write `out/` (model.keras, LICENSE, card with the sources' hashes and the parity on `photos` × `paintings`,
    file paths); return the folder."""
    import shutil
    from pathlib import Path

    from gallery import cards
    from gallery.preprocessing.images import read_image
    from gallery.training import save_model

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model = converted_model(folder)
    save_model(model, out)
    shutil.copyfile(Path(folder) / "LICENSE", out / "LICENSE")
    checked = parity(model, folder, [read_image(p) for p in photos], [read_image(p) for p in paintings]) \
        if photos and paintings else None
    cards.update(
        out, name=out.name, task="style", title="Magenta arbitrary image stylization v1-256 (converted)",
        description=("Any painting, one pass: Ghiasi et al. 2017's style predictor (MobileNetV2 → a 100-number "
                     "style vector) and style transfer network (conditional instance norm), Apache-2.0, converted from "
                     "Magenta's TFLite release into the gallery's Keras 3 definition (gallery.style.arbitrary): int8 "
                     "predictor weights dequantized with its activations kept on their 8-bit grid, float16 transfer "
                     "weights as float32. Fully convolutional: any photo size."),
        dataset="style_photos", architecture="MobileNetV2 style predictor + conditional-instance-norm transfer network",
        parameters=model.count_params(), input="photo and painting: RGB uint8, any size (painting: centre crop, "
                                               f"{STYLE_SIZE}×{STYLE_SIZE} inside)",
        headline_metric="style_loss_vs_optimisation", file=cards.artifact_info(out),
        licence=cards.artifact_info(out, "LICENSE"),
        source={"files": {name: cards.file_sha256(Path(folder) / name) for name in (PREDICT_FILE, TRANSFER_FILE)},
                "licence": "Apache-2.0 (LICENSE)", "origin": "Magenta arbitrary-image-stylization-v1-256, TFLite",
                "command": command, "date": cards.now()},
        parity={**checked, "photo_files": ["/".join(Path(p).parts[-2:]) for p in photos],
                "painting_files": ["/".join(Path(p).parts[-2:]) for p in paintings]} if checked else None,
    )
    return out
