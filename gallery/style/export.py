"""Export a fast style network as a TensorFlow SavedModel: uint8 image of any size in, uint8 image out.

`serving_default(images: uint8[N, H, W, 3])` → `stylised: uint8[N, H, W, 3]` (rounded and clipped
exactly like `gallery.style.predict.fast_stylise`). Needs the TensorFlow backend.
"""

from pathlib import Path

import keras
import tensorflow as tf

from gallery.style.predict import load_transform


def export_saved_model(model_dir, out):
    if keras.backend.backend() != "tensorflow":
        raise RuntimeError("Export needs KERAS_BACKEND=tensorflow.")
    model = load_transform(str(model_dir))

    def serve(images):
        stylised = model(tf.cast(images, tf.float32), training=False)
        return {"stylised": tf.cast(tf.clip_by_value(tf.round(stylised), 0, 255), tf.uint8)}

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serving_default", serve,
                         input_signature=[tf.TensorSpec([None, None, None, 3], tf.uint8, name="images")])
    archive.write_out(str(out), verbose=False)
    return Path(out)
