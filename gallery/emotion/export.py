"""Export the emotion model as a SavedModel that takes face crops.

`serving_default(crops: uint8[N, H, W, C])`: a batch of face crops of any one size, C = 1 (gray)
or 3 (RGB); resizing to 48×48 and grayscale conversion happen inside the model.
`classify_encoded(images: tf.string[N])`: encoded face-crop files (JPEG/PNG/BMP/GIF) of any sizes.
Both return `probabilities` [N, 7], `label` [N] and `class_names` [N, 7].
"""

from pathlib import Path

from gallery.emotion.predict import load_emotion_model
from gallery.preprocessing.images import decode_image_tf


def export_saved_model(model_dir, out_dir):
    import keras
    import tensorflow as tf

    model, class_names = load_emotion_model(model_dir)
    names = tf.constant(class_names)

    def outputs(probabilities):
        return {"probabilities": probabilities, "label": tf.gather(names, tf.argmax(probabilities, axis=-1)),
                "class_names": tf.tile(names[None], [tf.shape(probabilities)[0], 1])}

    def classify_crops(crops):
        rgb = tf.cond(tf.equal(tf.shape(crops)[-1], 1), lambda: tf.image.grayscale_to_rgb(crops[..., :1]),
                      lambda: crops[..., :3])
        return outputs(model(tf.ensure_shape(rgb, [None, None, None, 3]), training=False))

    def classify_encoded(images):
        return outputs(tf.map_fn(lambda data: model(decode_image_tf(data)[None], training=False)[0], images,
                                 fn_output_signature=tf.TensorSpec([len(class_names)], tf.float32)))

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serving_default", classify_crops,
                         input_signature=[tf.TensorSpec([None, None, None, None], tf.uint8, name="crops")])
    archive.add_endpoint("classify_encoded", classify_encoded,
                         input_signature=[tf.TensorSpec([None], tf.string, name="images")])
    archive.write_out(str(out_dir), verbose=False)
    return Path(out_dir)
