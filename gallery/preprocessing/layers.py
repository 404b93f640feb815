"""Preprocessing as Keras layers: the first layers of every gallery model.

Putting resizing, channel conversion and scaling inside the model makes Keras `fit`/`predict`,
the apps and the exported SavedModels share one preprocessing graph.
"""

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="gallery")
class Grayscale(layers.Layer):
    """RGB to one luminance channel (ITU-R 601), backend-agnostic."""

    def call(self, images):
        return ops.image.rgb_to_grayscale(images)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 1)


def resizing_layer(image_size):
    """The single resize used by models and by folder loaders (centre crop, antialiased)."""
    return layers.Resizing(*image_size, crop_to_aspect_ratio=True, antialias=True, name="resize")


def preprocessing_layers(image_size, channels):
    """Raw RGB uint8 → float model input in [0, 1] with `channels` channels."""
    stack = [resizing_layer(image_size)]
    if channels == 1:
        stack.append(Grayscale(name="grayscale"))
    stack.append(layers.Rescaling(1.0 / 255, name="rescale"))
    return stack
