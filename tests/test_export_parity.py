"""The SavedModel, loaded in a fresh process, agrees with Keras `predict` on real JPEGs."""

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT, run_cli
from PIL import Image

from gallery.classification.predict import load_classifier, probabilities
from gallery.preprocessing.images import decode_image

SERVE = """
import json, sys
import tensorflow as tf
serving = tf.saved_model.load(sys.argv[1]).signatures["serving_default"]
blobs = [open(path, "rb").read() for path in sys.argv[2:]]
out = serving(images=tf.constant(blobs))
print(json.dumps({"probabilities": out["probabilities"].numpy().tolist(),
                  "label": [label.decode() for label in out["label"].numpy()],
                  "class_names": [name.decode() for name in out["class_names"].numpy()[0]]}))
"""


def rotated_copy(photo, folder):
    """The photo re-saved as a JPEG stored sideways with EXIF orientation 6 (as phones do)."""
    image = Image.open(photo)
    exif = image.getexif()
    exif[0x0112] = 6
    path = folder / f"rotated_{photo.name}"
    image.transpose(Image.Transpose.ROTATE_90).save(path, quality=92, exif=exif.tobytes())
    return path


@pytest.mark.parametrize("model_fixture", ["tiny_model", "tiny_airbench", "shipped_imagenet"])
def test_savedmodel_matches_keras_in_a_fresh_process(model_fixture, photos, tmp_path, request):
    tiny_model = request.getfixturevalue(model_fixture)
    photos = photos + [rotated_copy(photos[0], tmp_path)]
    exported = run_cli("export", "classification", "--model", tiny_model, "--out", tmp_path / "saved", "--json")
    assert exported.returncode == 0, exported.stderr[-2000:]
    assert json.loads(exported.stdout.strip().splitlines()[-1])["saved_model"] == str(tmp_path / "saved")
    served = subprocess.run([sys.executable, "-c", SERVE, str(tmp_path / "saved"), *map(str, photos)],
                            capture_output=True, text=True, cwd=ROOT)
    assert served.returncode == 0, served.stderr[-2000:]
    result = json.loads(served.stdout.strip().splitlines()[-1])

    model, class_names = load_classifier(str(tiny_model))
    keras_probs = np.array([probabilities(model, decode_image(path.read_bytes())) for path in photos])
    saved_probs = np.array(result["probabilities"])
    assert result["class_names"] == class_names
    assert result["label"] == [class_names[i] for i in keras_probs.argmax(axis=1)]
    np.testing.assert_allclose(saved_probs, keras_probs, atol=1e-4, rtol=0)
