"""Export a classifier as a TensorFlow SavedModel that takes encoded image bytes.

`serving_default(images: tf.string[N])` decodes each JPEG/PNG/BMP/GIF with `decode_image_tf`
and runs the Keras model, whose first layers resize and normalise, so serving and Keras
`predict` share one preprocessing graph. Outputs: `probabilities` [N, C], `label` [N] (top-1
class name), `score` [N] (its probability) and `class_names` [N, C].
"""

from pathlib import Path

from gallery.classification.predict import load_classifier
from gallery.preprocessing.images import decode_image_tf


def export_saved_model(model_dir, out_dir):
    """Write the SavedModel to `out_dir` and return its path."""
    import keras
    import tensorflow as tf

    model, class_names = load_classifier(str(model_dir))
    names = tf.constant(class_names)

    def classify(images):
        probabilities = tf.map_fn(
            lambda data: model(decode_image_tf(data)[None], training=False)[0],
            images, fn_output_signature=tf.TensorSpec([len(class_names)], tf.float32),
        )
        best = tf.argmax(probabilities, axis=-1)
        return {
            "probabilities": probabilities,
            "label": tf.gather(names, best),
            "score": tf.reduce_max(probabilities, axis=-1),
            "class_names": tf.tile(names[None], [tf.shape(images)[0], 1]),
        }

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serving_default", classify, input_signature=[tf.TensorSpec([None], tf.string, name="images")])
    archive.write_out(str(out_dir), verbose=False)
    return Path(out_dir)
