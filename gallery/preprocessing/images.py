"""Decode user images into RGB uint8 arrays, the same way for every family.

`decode_image` is the Python decoder (training folders, CLI, apps); `decode_image_tf` is its
graph twin inside exported SavedModels. Both return an RGB uint8 array of the stored size:
transparency is composited on white, palette/grayscale/CMYK/16-bit images are converted, and
EXIF orientation is applied (in the graph: for JPEGs). Resizing is not done here: it is the first layer of every model,
so Keras `predict`, the app and the SavedModel share it by construction.
"""

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from gallery.errors import ImageError

MAX_PIXELS = 40_000_000  # 40 MP: bigger than any phone photo, far below a decompression bomb
Image.MAX_IMAGE_PIXELS = None  # PIL's own bomb check (at 89 MP) would hide the size; `_open` applies MAX_PIXELS
MAX_BYTES = 50 * 1024 * 1024
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff")



def _open(data):
    if not data:
        raise ImageError("The file is empty (0 bytes).")
    if len(data) > MAX_BYTES:
        raise ImageError(f"The file is {len(data) / 2**20:.0f} MB; the limit is {MAX_BYTES // 2**20} MB.")
    try:
        image = Image.open(io.BytesIO(data))  # the header only: the size is checked before any pixel is decoded
    except (UnidentifiedImageError, OSError):
        raise ImageError("This file is not an image we can read (JPEG, PNG, BMP, GIF, WebP, TIFF).") from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ImageError(f"The image is {width:,}×{height:,} pixels ({width * height / 1e6:.0f} MP); the limit is "
                         f"{MAX_PIXELS / 1e6:.0f} MP. Please resize it first.")
    return image


def _to_rgb(image):
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image, dtype=np.float64)
        scale = 65535.0 if array.max() > 255 else 255.0
        return Image.fromarray(np.round(array / scale * 255).clip(0, 255).astype(np.uint8)).convert("RGB")
    if image.mode == "F":
        array = np.asarray(image, dtype=np.float64)
        array = (array - array.min()) / max(array.max() - array.min(), 1e-12)
        return Image.fromarray(np.round(array * 255).astype(np.uint8)).convert("RGB")
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, image).convert("RGB")
    return image.convert("RGB")


def conversion_notes(image):
    """What `decode_image` will change about `image`, in words for the user."""
    notes = []
    if getattr(image, "n_frames", 1) > 1:
        notes.append(f"animated image with {image.n_frames} frames: the first frame is used")
    if image.getexif().get(0x0112, 1) not in (1, None):
        notes.append("rotated upright from its EXIF orientation")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        notes.append("transparent areas shown on white")
    if image.mode == "CMYK":
        notes.append("converted from CMYK to RGB")
    if image.mode.startswith("I"):
        notes.append("16-bit image reduced to 8 bits")
    return notes


def decode_image(data, notes=None):
    """Return an RGB uint8 array (H, W, 3) from encoded image bytes, or raise ImageError.

    Animated images give their first frame; EXIF orientation is applied. If `notes` is a
    list, a sentence is appended for each conversion made (for the app to show).
    """
    image = _open(data)
    try:
        image.seek(0)
        if notes is not None:
            notes.extend(conversion_notes(image))
        image = ImageOps.exif_transpose(image)
        return np.asarray(_to_rgb(image), dtype=np.uint8)
    except (OSError, ValueError, SyntaxError) as error:  # truncated or corrupt pixel data
        raise ImageError(f"The image file is damaged and cannot be decoded ({error}).") from None


def read_image(path):
    """Decode the image file at `path` (see `decode_image`)."""
    with open(path, "rb") as file:
        return decode_image(file.read())


def image_files(folder):
    """The image files directly in `folder`, in name order."""
    return sorted(p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)


def error_entry(path, error):
    """{'file', 'error'} for an input that failed: an OSError's own words, without "[Errno 2]" and the path again."""
    return {"file": str(path), "error": getattr(error, "strerror", None) or str(error)}


def per_image(paths, analyse):
    """[{'file': path, **analyse(image)}] for each file, and for each image in a folder; unreadable files
    (and folders without images) get an 'error' entry instead."""
    results = []
    for path in paths:
        if Path(path).is_dir():
            found = image_files(path)
            results += per_image(found, analyse) if found else [{"file": str(path), "error": "no image files in this folder"}]
            continue
        try:
            image = read_image(path)
        except (OSError, ValueError) as error:
            results.append(error_entry(path, error))
            continue
        results.append({"file": str(path), **analyse(image)})
    return results


EXIF_SCAN_BYTES = 65536  # an APP1 (EXIF) segment is at most 64 KiB and comes first in a JPEG
EXIF_MAX_ENTRIES = 64


def exif_orientation_tf(data):
    """EXIF orientation (1–8) of an encoded JPEG string, 1 when absent, in TensorFlow ops only."""
    import tensorflow as tf

    padded = tf.strings.join([tf.strings.substr(data, 0, EXIF_SCAN_BYTES), tf.constant(b"\0" * EXIF_SCAN_BYTES)])
    head = tf.cast(tf.io.decode_raw(tf.strings.substr(padded, 0, EXIF_SCAN_BYTES), tf.uint8), tf.int32)
    pattern = list(b"Exif\0\0")
    windows = tf.stack([head[k: EXIF_SCAN_BYTES - len(pattern) + k] for k in range(len(pattern))], axis=-1)
    matches = tf.reduce_all(tf.equal(windows, pattern), axis=-1)
    tiff = tf.cast(tf.argmax(tf.cast(matches, tf.int32)), tf.int32) + len(pattern)
    little = tf.equal(tf.gather(head, tiff), ord("I"))

    def number(position, size):
        digits = tf.gather(head, tf.clip_by_value(position[..., None] + tf.range(size), 0, EXIF_SCAN_BYTES - 1))
        weights = 256 ** tf.range(size)
        return tf.reduce_sum(digits * tf.where(little, weights, tf.reverse(weights, [0])), axis=-1)

    directory = tiff + number(tiff + 4, 4)
    entries = directory + 2 + 12 * tf.range(EXIF_MAX_ENTRIES)
    is_orientation = (tf.range(EXIF_MAX_ENTRIES) < number(directory, 2)) & tf.equal(number(entries, 2), 0x0112)
    value = tf.reduce_max(tf.where(is_orientation, number(entries + 8, 2), 0))
    valid = tf.reduce_any(matches) & (value >= 1) & (value <= 8)
    return tf.where(valid, value, 1)


def apply_orientation_tf(image, orientation):
    """Rotate/flip `image` upright for an EXIF orientation, as PIL's `ImageOps.exif_transpose` does."""
    import tensorflow as tf

    return tf.switch_case(orientation - 1, [
        lambda: image,
        lambda: tf.image.flip_left_right(image),
        lambda: tf.image.rot90(image, 2),
        lambda: tf.image.flip_up_down(image),
        lambda: tf.image.transpose(image),
        lambda: tf.image.rot90(image, 3),
        lambda: tf.image.rot90(tf.image.transpose(image), 2),
        lambda: tf.image.rot90(image, 1),
    ])


def decode_image_tf(data):
    """Graph twin of `decode_image` for SavedModels: one encoded string to RGB uint8 (H, W, 3).

    Handles JPEG (with its EXIF orientation), PNG, WebP, BMP and GIF (first frame); alpha is composited
    on white. JPEGs use the accurate IDCT, so pixels equal PIL's.
    """
    import tensorflow as tf

    image = tf.cond(
        tf.io.is_jpeg(data),  # TF's default JPEG IDCT is the fast, inexact one; PIL uses the accurate one
        lambda: apply_orientation_tf(tf.io.decode_jpeg(data, channels=0, dct_method="INTEGER_ACCURATE"),
                                     exif_orientation_tf(data)),
        lambda: tf.io.decode_image(data, channels=0, expand_animations=False, dtype=tf.uint8),
    )
    channels = tf.shape(image)[-1]

    def composite(rgb, alpha):
        rgb = tf.cast(rgb, tf.float32)
        alpha = tf.cast(alpha, tf.float32) / 255.0
        return tf.cast(tf.round(rgb * alpha + 255.0 * (1.0 - alpha)), tf.uint8)

    rgb = tf.switch_case(
        tf.clip_by_value(channels, 1, 4) - 1,
        [
            lambda: tf.image.grayscale_to_rgb(image[..., :1]),
            lambda: composite(tf.image.grayscale_to_rgb(image[..., :1]), image[..., 1:2]),
            lambda: image[..., :3],
            lambda: composite(image[..., :3], image[..., 3:4]),
        ],
    )
    return tf.ensure_shape(rgb, [None, None, 3])
