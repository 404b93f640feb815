"""Content images for training and evaluating style networks, from any local folder of photos.

COCO (tfds `coco/2017`, `--content-dir coco`) is the usual training set; offline, many random crops at random scales
of a few photos (plus, optionally, any other image folder such as CIFAR-10, upscaled) stand in.
Held out for evaluation: every k-th photo of a folder in name order, k = max(3, photos // 100), so about 100 of a
large folder (100 of the 2,000 `style_photos`) and every third of a small one (3 of the 7 content photos).
"""

from pathlib import Path

import numpy as np
from PIL import Image

from gallery.errors import UserError
from gallery.preprocessing.images import IMAGE_EXTENSIONS, ImageError, read_image

STYLE_SIZE = 512  # the style image's longer side when its Gram matrices are taken, in training and evaluation


def style_image(path):
    """The style image as the loss sees it: longer side at most STYLE_SIZE."""
    return fit_within(read_image(path), STYLE_SIZE)


def image_files(folder):
    files = sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS)
    if not files:
        raise UserError(f"{folder} holds no images.")
    return files


def held_out_every(count):
    """k of the held-out rule: every k-th of `count` photos (in name order) is never trained on."""
    return max(3, count // 100)


def held_out_rule(count):
    """The rule for `count` photos in words, for model cards: "one in 20 of 2000 photos, in name order from the
    first"."""
    return f"one in {held_out_every(count)} of {count} photos, in name order from the first"


def split_photos(folder):
    """(training photos, held-out photos) of a content folder."""
    files = image_files(folder)
    every = held_out_every(len(files))
    return [p for i, p in enumerate(files) if i % every], [p for i, p in enumerate(files) if i % every == 0]


def fit_within(image, size):
    """`image` scaled so its longer side is at most `size` (never upscaled)."""
    scale = min(1.0, size / max(image.shape[:2]))
    if scale == 1.0:
        return image
    height, width = round(image.shape[0] * scale), round(image.shape[1] * scale)
    return np.asarray(Image.fromarray(image).resize((width, height), Image.LANCZOS))


def random_crops(photos, size, count, rng, max_upscale):
    """`count` square crops of random side (≥ size / max_upscale … the short side), resized to `size`, random flips."""
    crops = np.zeros((count, size, size, 3), np.uint8)
    for i in range(count):
        image = photos[rng.integers(len(photos))]
        short = min(image.shape[:2])
        side = int(rng.integers(min(short, max(int(size / max_upscale), 32)), short + 1))
        top, left = rng.integers(image.shape[0] - side + 1), rng.integers(image.shape[1] - side + 1)
        crop = Image.fromarray(image[top:top + side, left:left + side]).resize((size, size), Image.BICUBIC)
        crops[i] = np.asarray(crop)[:, ::-1] if rng.random() < 0.5 else np.asarray(crop)
    return crops


def coco_photos(count):
    """The first `count` COCO 2017 training images (tfds download)."""
    try:
        import tensorflow_datasets as tfds

        rows = tfds.as_numpy(tfds.load("coco/2017", split="train").take(count))
        return [fit_within(row["image"], 1024) for row in rows]
    except Exception as error:
        raise UserError(f"Could not load COCO with tfds ({type(error).__name__}). "
                        "Offline, pass --content-dir with a folder of photos.") from None


def training_content(content_dir, size, count, extra_dir=None, seed=0, max_upscale=2.0):
    """uint8 (count, size, size, 3): crops of the training photos ("coco": tfds COCO 2017), a quarter
    from `extra_dir` when given."""
    rng = np.random.default_rng(seed)
    if content_dir == "coco":
        photos = coco_photos(count)
    else:
        photos = [fit_within(read_image(p), 1024) for p in split_photos(content_dir)[0]]
    if not photos:
        raise UserError(f"{content_dir} needs at least two photos (the first of every three is held out for evaluation).")
    extra_count = count // 4 if extra_dir else 0
    crops = [random_crops(photos, size, count - extra_count, rng, max_upscale)]
    if extra_count:
        files = image_files(extra_dir)
        picked = [files[i] for i in rng.choice(len(files), extra_count, replace=len(files) < extra_count)]
        extra = []
        for path in picked:
            try:
                extra.append(np.asarray(Image.fromarray(read_image(path)).resize((size, size), Image.BICUBIC)))
            except ImageError:
                continue
        crops.append(np.stack(extra))
    images = np.concatenate(crops)
    return images[rng.permutation(len(images))]
