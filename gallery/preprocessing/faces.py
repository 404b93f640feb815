"""Face detection and cropping shared by emotion training checks, the CLI, the app and evaluation.

The default detector is OpenCV's YuNet CNN (`cv2.FaceDetectorYN`), whose ONNX file ships in
`models/emotion/detector/` (MIT); `$GALLERY_YUNET_MODEL` points to another copy. Without it the
fallback is OpenCV's frontal-face Haar cascade (in `cv2.data`, opencv-python 4.x). Both search
large photos at a reduced size and small ones at twice theirs, so small faces are found. Crops
are squares around the box (as tight as FER2013's faces), grayscale, resized to the emotion
model's input size with the same interpolation everywhere.
"""

import dataclasses
import functools
import os

import numpy as np

from gallery.cards import SHIPPED_MODELS
from gallery.errors import UserError

DETECTION_MAX_SIDE = 1600  # larger photos are searched at this size (boxes are mapped back)
SMALL_IMAGE_SIDE = 400  # smaller photos are searched at twice their size, so small faces are found
YUNET_FILE = SHIPPED_MODELS / "emotion" / "detector" / "face_detection_yunet_2026may.onnx"
YUNET_URL = ("https://github.com/opencv/opencv_zoo/raw/main/models/face_detection_yunet/"
             "face_detection_yunet_2023mar.onnx")
# FER2013's faces fill their 48×48 frame: on 180 PrivateTest faces, upscaled onto a grey canvas,
# the longer side of YuNet's box is 1.04× the face's side (Haar's 0.97×), centred within 1 %, so
# crops take the box's square with no margin.
CROP_MARGIN = 0.0


@dataclasses.dataclass
class Face:
    """One detected face: its box [x, y, w, h] in the original image and its grayscale crop."""

    box: list
    crop: np.ndarray


@functools.lru_cache(maxsize=1)
def haar_cascade():
    import cv2

    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    if cascade.empty():
        raise RuntimeError("OpenCV's Haar cascade is missing: install opencv-python-headless 4.x (5.x has none).")
    return cascade


def yunet_model():
    """Path of the YuNet ONNX file: $GALLERY_YUNET_MODEL, the shipped copy, else downloaded once into ~/.keras."""
    if os.environ.get("GALLERY_YUNET_MODEL"):
        return os.environ["GALLERY_YUNET_MODEL"]
    if YUNET_FILE.is_file():
        return str(YUNET_FILE)
    import keras

    try:
        return keras.utils.get_file("face_detection_yunet_2023mar.onnx", YUNET_URL, cache_subdir="models")
    except Exception as error:
        raise UserError(f"Could not download the YuNet face detector ({error}); set GALLERY_YUNET_MODEL to a "
                        f"local YuNet .onnx file, or use --detector haar.") from error


def default_detector():
    """"yunet" where its model file is at hand (shipped, or $GALLERY_YUNET_MODEL), else "haar"."""
    return "yunet" if os.environ.get("GALLERY_YUNET_MODEL") or YUNET_FILE.is_file() else "haar"


def search_scale(height, width):
    """The factor a photo is resized by before detection: down to DETECTION_MAX_SIDE, ×2 when small."""
    if max(height, width) < SMALL_IMAGE_SIDE:
        return 2.0
    return min(1.0, DETECTION_MAX_SIDE / max(height, width))


def resized(image, scale):
    import cv2

    if scale == 1.0:
        return image
    height, width = image.shape[:2]
    return cv2.resize(image, (max(1, round(width * scale)), max(1, round(height * scale))),
                      interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)


@functools.lru_cache(maxsize=2)
def yunet_detector(model_path, score_threshold):
    import cv2

    return cv2.FaceDetectorYN.create(model_path, "", (320, 320), score_threshold)


def detect_faces_yunet(image, model_path, score_threshold=0.7):
    """Boxes [x, y, w, h] found by OpenCV's YuNet CNN detector (more robust to pose and light than Haar)."""
    import cv2

    if not os.path.isfile(model_path):
        raise UserError(f"YuNet model file not found: {model_path}")
    rgb = np.asarray(image, dtype=np.uint8)
    bgr = cv2.cvtColor(rgb if rgb.ndim == 3 else np.repeat(rgb[..., None], 3, -1), cv2.COLOR_RGB2BGR)
    scale = search_scale(*bgr.shape[:2])
    search = resized(bgr, scale)
    short = max(0, 64 - search.shape[0]), max(0, 64 - search.shape[1])  # YuNet fails on sides under its stride
    search = cv2.copyMakeBorder(search, 0, short[0], 0, short[1], cv2.BORDER_CONSTANT) if any(short) else search
    detector = yunet_detector(model_path, score_threshold)
    detector.setInputSize((search.shape[1], search.shape[0]))
    _, found = detector.detect(search)
    boxes = [[max(0, round(v / scale)) for v in face[:4]] for face in (found if found is not None else [])]
    return sorted(boxes, key=lambda box: (box[0], box[1]))


def to_gray(image):
    """RGB or grayscale uint8 array → 2-D grayscale (ITU-R 601 luma, as OpenCV computes it)."""
    import cv2

    image = np.asarray(image, dtype=np.uint8)
    return image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


def detect_faces(image, detector=None, min_neighbors=5):
    """Boxes [x, y, w, h] of the faces in an RGB or gray uint8 image, left to right.

    `detector`: "yunet", "haar", the path of a YuNet ONNX file, or None for `default_detector()`.
    """
    detector = detector or default_detector()
    if detector != "haar":
        return detect_faces_yunet(image, yunet_model() if detector == "yunet" else detector)
    gray = to_gray(image)
    scale = search_scale(*gray.shape)
    search = resized(gray, scale)
    smallest = max(20, min(search.shape) // 40)
    found = haar_cascade().detectMultiScale(search, scaleFactor=1.1, minNeighbors=min_neighbors,
                                            minSize=(smallest, smallest))
    boxes = [[round(v / scale) for v in box] for box in (found if len(found) else [])]
    return sorted(boxes, key=lambda box: (box[0], box[1]))


def crop_face(image, box, size=48, margin=CROP_MARGIN):
    """The face in `box` with `margin` (fraction of the box) on each side, as a size×size gray crop.

    The crop is a square around the box centre; parts outside the image are filled by edge replication.
    """
    import cv2

    gray = to_gray(image)
    x, y, w, h = box
    side = max(w, h) * (1 + 2 * margin)
    cx, cy = x + w / 2, y + h / 2
    left, top = round(cx - side / 2), round(cy - side / 2)
    side = round(side)
    pad = max(0, -left, -top, left + side - gray.shape[1], top + side - gray.shape[0])
    if pad:
        gray = cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    square = gray[top + pad: top + pad + side, left + pad: left + pad + side]
    return resize_face(square, size)


def resize_face(gray, size=48):
    """A grayscale face crop at the model's size (area interpolation down, bilinear up)."""
    import cv2

    interpolation = cv2.INTER_AREA if min(gray.shape[:2]) > size else cv2.INTER_LINEAR
    return cv2.resize(to_gray(gray), (size, size), interpolation=interpolation)


def find_faces(image, size=48, margin=CROP_MARGIN, detector=None):
    """Every face in the image as a `Face` (box + crop); an empty list when none is found."""
    return [Face(box, crop_face(image, box, size, margin)) for box in detect_faces(image, detector)]
