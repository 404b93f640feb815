"""Benchmarks: latency of Keras and SavedModel inference, training throughput, peak memory.

Inputs are synthetic 256×256 JPEGs (a typical upload, so resizing is part of the cost);
medians over `repeats` runs after one warm-up.
"""

import io
import resource
import tempfile

import keras
import numpy as np
from PIL import Image

from gallery.benchmarks import median_seconds, print_table
from gallery.classification.export import export_saved_model
from gallery.classification.predict import load_classifier
from gallery.preprocessing.images import decode_image


def synthetic_jpegs(count, size=256, seed=0):
    rng = np.random.default_rng(seed)
    blobs = []
    for _ in range(count):
        pixels = rng.integers(0, 256, (size // 8, size // 8, 3), dtype=np.uint8)
        image = Image.fromarray(pixels).resize((size, size), Image.BICUBIC)
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=90)
        blobs.append(buffer.getvalue())
    return blobs


def training_throughput(model, steps=5, batch_size=128):
    """Images per second of `train_on_batch` on a fresh copy of the architecture."""
    trainee = keras.Model.from_config(model.get_config())
    trainee.compile(keras.optimizers.SGD(0.01, momentum=0.9), "categorical_crossentropy")
    size = trainee.get_layer("resize").get_config()["height"]
    x = np.random.default_rng(0).integers(0, 256, (batch_size, size, size, 3), dtype=np.uint8)
    y = keras.utils.to_categorical(np.arange(batch_size) % trainee.output_shape[-1], trainee.output_shape[-1])
    seconds = median_seconds(lambda: trainee.train_on_batch(x, y), steps)
    return batch_size / seconds


def run_benchmarks(model_dir, repeats=20, show=True, batch=32):
    """Measure and (optionally) print the benchmark table; return the numbers."""
    import tensorflow as tf

    model, _ = load_classifier(str(model_dir))
    blobs = synthetic_jpegs(batch)
    one = decode_image(blobs[0])[None]
    many = np.stack([decode_image(blob) for blob in blobs])
    with tempfile.TemporaryDirectory() as folder:
        serving = tf.saved_model.load(str(export_saved_model(model_dir, folder))).signatures["serving_default"]
        results = {
            "keras_1_image_ms": 1000 * median_seconds(lambda: model.predict_on_batch(one), repeats),
            f"keras_batch{batch}_ms_per_image": 1000 * median_seconds(lambda: model.predict_on_batch(many), repeats) / batch,
            "savedmodel_1_jpeg_ms": 1000 * median_seconds(lambda: serving(images=tf.constant(blobs[:1])), repeats),
            f"savedmodel_batch{batch}_ms_per_jpeg": 1000 * median_seconds(
                lambda: serving(images=tf.constant(blobs)), repeats) / batch,
        }
    results["train_images_per_s"] = training_throughput(model)
    results["peak_memory_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if show:
        print_table(str(model_dir), results)
    return {"model": str(model_dir), **results}
