"""Shared image decoding: formats, modes, EXIF, limits, and the TensorFlow twin."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from gallery.preprocessing.images import ImageError, decode_image, decode_image_tf


def encode(image, fmt, **options):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def gradient(width=40, height=30):
    x = np.linspace(0, 255, width, dtype=np.uint8)
    return np.stack(np.broadcast_arrays(x[None, :], np.full((height, 1), 120, np.uint8), x[::-1][None, :]), -1)


def png_header_only(width, height):
    """A PNG whose header claims `width`×`height` pixels (no real pixel data needed)."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) + chunk(b"IEND", b"")


def test_rgb_jpeg_and_png_round_trip():
    pixels = gradient()
    assert np.array_equal(decode_image(encode(Image.fromarray(pixels), "PNG")), pixels)
    jpeg = decode_image(encode(Image.fromarray(pixels), "JPEG", quality=95))
    assert jpeg.shape == (30, 40, 3) and jpeg.dtype == np.uint8
    assert np.abs(jpeg.astype(int) - pixels).mean() < 3


def test_rgba_is_composited_on_white():
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 0] = 255  # red, fully transparent except one opaque pixel
    rgba[0, 0, 3] = 255
    out = decode_image(encode(Image.fromarray(rgba, "RGBA"), "PNG"))
    assert out[0, 0].tolist() == [255, 0, 0]
    assert out[1, 1].tolist() == [255, 255, 255]


def test_palette_grayscale_cmyk_and_16_bit():
    palette = Image.fromarray(gradient()).convert("P", palette=Image.Palette.ADAPTIVE, colors=8)
    assert decode_image(encode(palette, "PNG")).shape == (30, 40, 3)
    gray = decode_image(encode(Image.fromarray(gradient()[..., 0]), "PNG"))
    assert np.array_equal(gray[..., 0], gray[..., 2])
    cmyk = decode_image(encode(Image.new("CMYK", (8, 8), (0, 255, 255, 0)), "JPEG"))
    assert cmyk.shape == (8, 8, 3) and cmyk[4, 4, 0] > 200 and cmyk[4, 4, 1] < 60  # red stays red
    deep = Image.fromarray(np.full((6, 6), 65535, np.uint16))
    assert decode_image(encode(deep, "PNG"))[0, 0].tolist() == [255, 255, 255]


def test_exif_orientation_is_applied():
    image = Image.fromarray(gradient(40, 30))
    exif = image.getexif()
    exif[0x0112] = 6  # stored sideways: rotate 90° clockwise to view
    notes = []
    out = decode_image(encode(image, "JPEG", exif=exif.tobytes()), notes)
    assert out.shape == (40, 30, 3)
    assert any("EXIF" in note for note in notes)


def test_animated_gif_uses_first_frame():
    frames = [Image.new("RGB", (10, 10), color) for color in ((255, 0, 0), (0, 0, 255))]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    notes = []
    out = decode_image(data, notes)
    assert out[5, 5, 0] > 200 and out[5, 5, 2] < 50
    assert any("first frame" in note for note in notes)


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"hello, this is text", "not an image"),
    (png_header_only(20000, 20000), "is 20,000×20,000 pixels .400 MP.; the limit is 40 MP"),
    (png_header_only(8000, 6000), "is 8,000×6,000 pixels .48 MP."),
])
def test_bad_inputs_raise_clear_errors(data, message):
    with pytest.raises(ImageError, match=message):
        decode_image(data)


def test_truncated_jpeg_is_reported_not_crashed():
    data = encode(Image.fromarray(gradient(200, 200)), "JPEG")
    with pytest.raises(ImageError):
        decode_image(data[: len(data) // 3])


@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA"])
def test_tensorflow_decoder_matches_python_decoder(mode):
    pixels = gradient()
    image = Image.fromarray(pixels).convert(mode)
    if mode == "RGBA":
        alpha = np.full((30, 40), 255, np.uint8)
        alpha[:, :10] = 0
        image.putalpha(Image.fromarray(alpha))
    data = encode(image, "PNG")
    assert np.array_equal(np.asarray(decode_image_tf(data)), decode_image(data))


def test_tensorflow_decoder_matches_on_real_jpegs(photos):
    for path in photos:
        data = path.read_bytes()
        assert np.array_equal(np.asarray(decode_image_tf(data)), decode_image(data)), path.name


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("byte_order", ["<", ">"])
def test_tensorflow_decoder_applies_exif_orientation_like_pil(orientation, byte_order):
    image = Image.fromarray(gradient(48, 32))
    image.putpixel((0, 0), (255, 255, 255))  # mark a corner so every flip and turn is visible
    exif = image.getexif()
    exif[0x0112] = orientation
    exif[0x010F] = "camera maker"  # another tag before/after, so the entry search matters
    data = encode(image, "JPEG", quality=95, exif=exif.tobytes() if byte_order == "<" else big_endian(exif))
    assert np.array_equal(np.asarray(decode_image_tf(data)), decode_image(data))


def big_endian(exif):
    """Motorola-order EXIF bytes (PIL writes Intel order by default)."""
    from PIL import TiffImagePlugin

    info = TiffImagePlugin.ImageFileDirectory_v2(prefix=b"MM")
    for tag, value in exif.items():
        info[tag] = value
    buffer = io.BytesIO()
    info.save(buffer)
    return b"Exif\x00\x00" + b"MM\x00\x2a\x00\x00\x00\x08" + buffer.getvalue()[8:]
