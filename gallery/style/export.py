"""Export a style network as a TensorFlow SavedModel: uint8 images (or encoded bytes) in, uint8 image out.

A fast network: `serving_default(images: uint8[N, H, W, 3])` → `stylised: uint8[N, H, W, 3]` (rounded and
clipped exactly like `gallery.style.predict.fast_stylise`).

The arbitrary-style network (`models/style/arbitrary`):
- `serving_default(photo: uint8[H, W, 3], style: uint8[h, w, 3])` → `stylised: uint8[H, W, 3]`, full strength;
- `with_strength(photo, style, strength: float32[])`: the painting's style vector mixed with the photo's own;
- `from_bytes(photo: string[], style: string[])`: encoded JPEG/PNG/WebP/BMP/GIF, decoded with `decode_image_tf`.
Needs the TensorFlow backend.
"""

from pathlib import Path

import keras
import tensorflow as tf

from gallery.errors import require_model_file
from gallery.preprocessing.images import decode_image_tf
from gallery.style.predict import ARBITRARY, load_transform


def as_pixels(image):
    return tf.cast(tf.clip_by_value(tf.round(image), 0, 255), tf.uint8)


def export_saved_model(model_dir, out):
    if keras.backend.backend() != "tensorflow":
        raise RuntimeError("Export needs KERAS_BACKEND=tensorflow.")
    if Path(model_dir).name == ARBITRARY:
        return export_arbitrary(model_dir, out)
    model = load_transform(str(model_dir))

    def serve(images):
        return {"stylised": as_pixels(model(tf.cast(images, tf.float32), training=False))}

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serving_default", serve,
                         input_signature=[tf.TensorSpec([None, None, None, 3], tf.uint8, name="images")])
    archive.write_out(str(out), verbose=False)
    return Path(out)


def export_arbitrary(model_dir, out):
    """The arbitrary-style network's SavedModel (signatures above)."""
    from gallery.style.arbitrary import networks

    model = keras.saving.load_model(require_model_file(model_dir), compile=False)
    predictor, transfer = networks(model)

    def stylised(photo, style, strength=None):
        vector = predictor(style[None])
        if strength is not None:  # the photo's own vector is needed only below full strength
            vector = strength * vector + (1.0 - strength) * predictor(photo[None])
        return {"stylised": as_pixels(transfer([photo[None], vector])[0])}

    image = lambda name: tf.TensorSpec([None, None, 3], tf.uint8, name=name)  # noqa: E731
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serving_default", lambda photo, style: stylised(photo, style),
                         input_signature=[image("photo"), image("style")])
    archive.add_endpoint("with_strength", lambda photo, style, strength: stylised(
        photo, style, tf.clip_by_value(strength, 0.0, 1.0)),
        input_signature=[image("photo"), image("style"), tf.TensorSpec([], tf.float32, name="strength")])
    archive.add_endpoint("from_bytes", lambda photo, style: stylised(decode_image_tf(photo), decode_image_tf(style)),
                         input_signature=[tf.TensorSpec([], tf.string, name="photo"),
                                          tf.TensorSpec([], tf.string, name="style")])
    archive.write_out(str(out), verbose=False)
    return Path(out)
