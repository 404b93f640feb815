"""Shared fixtures: small real-data slices from ../shared/data and one tiny trained model."""

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# News-like text in languages the gallery has no model for
GERMAN = ("Die Stadt Berlin hat am Montag ein neues Programm für Leihfahrräder vorgestellt. Der Bürgermeister sagte, "
          "dass ab Juni tausend Räder an zweihundert Stationen bereitstehen. Kritiker bemängeln die hohen Kosten.")
UKRAINIAN = ("Міська рада Києва в понеділок представила нову програму прокату велосипедів. Мер заявив, що з червня "
             "тисяча велосипедів чекатиме на двохстах станціях. Критики скаржаться на високу вартість проєкту.")


def run_cli(*args, env=None, timeout=600, launcher=("-m", "gallery")):
    """Run `python -m gallery ARGS` (or `python LAUNCHER ARGS`) in a fresh process; return the CompletedProcess."""
    return subprocess.run([sys.executable, *launcher, *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


@pytest.fixture(scope="session")
def shared_data():
    if not SHARED.is_dir():
        pytest.skip("../shared/data is not beside the checkout")
    return SHARED


@pytest.fixture(scope="session")
def cifar_slice(shared_data, tmp_path_factory):
    """A CIFAR-10 image-folder tree with 16 train and 5 test images (lossless WebP) per class, from the real archive."""
    root = tmp_path_factory.mktemp("cifar10")
    quota = {"train": 16, "test": 5}
    counts = {}
    with tarfile.open(shared_data / "cifar10_lossless.tar.gz") as archive:
        for member in archive:
            parts = Path(member.name).parts
            if not member.isfile() or len(parts) < 3 or parts[-3] not in quota:
                continue
            key = (parts[-3], parts[-2])
            if counts.get(key, 0) < quota[parts[-3]]:
                counts[key] = counts.get(key, 0) + 1
                archive.extract(member, root, filter="data")
    return root


@pytest.fixture(scope="session")
def photos(shared_data, cifar_slice):
    """Real photos of different sizes: content photos (JPEG) and CIFAR-10 test images (WebP)."""
    return sorted((shared_data / "content").glob("*.jpg"))[:3] + sorted((cifar_slice / "test").glob("*/*.webp"))[:5]


@pytest.fixture(scope="session")
def models_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    os.environ["GALLERY_MODELS_DIR"] = str(root)
    return root


@pytest.fixture(scope="session")
def tiny_model(cifar_slice, models_root):
    """A width-4 ResNet trained for one epoch on the CIFAR slice, evaluated on its test part."""
    out = models_root / "classification" / "tiny_cifar10"
    result = run_cli("train", "classification", "--dataset", "cifar10", "--data-dir", cifar_slice, "--width", 4,
                     "--epochs", 1, "--batch-size", 32, "--out", out)
    assert result.returncode == 0, result.stderr[-2000:]
    return out


@pytest.fixture(scope="session")
def tiny_airbench(cifar_slice, models_root):
    """A width-4 airbench (test-time views, 4-pixel shifts, cutout) trained for one epoch on the CIFAR slice."""
    out = models_root / "classification" / "tiny_cifar10_airbench"
    result = run_cli("train", "classification", "--dataset", "cifar10", "--data-dir", cifar_slice, "--arch", "airbench",
                     "--width", 4, "--translate", 4, "--cutout", 8, "--epochs", 1, "--batch-size", 32, "--out", out)
    assert result.returncode == 0, result.stderr[-2000:]
    return out


@pytest.fixture(scope="session")
def shipped_imagenet():
    """The shipped ImageNet MobileNetV2 (converted from TFLite by data/prepare.py)."""
    return ROOT / "models" / "classification" / "imagenet_mobilenet_v2"


@pytest.fixture(scope="session")
def shipped_emotion():
    """The shipped FER2013 emotion model."""
    return ROOT / "models" / "emotion" / "fer2013_vgg"


@pytest.fixture(scope="session")
def fer_folder(shared_data, tmp_path_factory):
    """The FER2013 folder release with at most 3 files per class and split prefix, from the real archive."""
    root = tmp_path_factory.mktemp("fer2013")
    counts = {}
    with tarfile.open(shared_data / "fer2013_images.tar.gz") as archive:
        for member in archive:
            parts = member.name.split("/")
            if not member.isfile() or len(parts) != 3:
                continue
            key = (parts[0], parts[1], parts[2].split("_")[0])
            if counts.get(key, 0) < 3:
                counts[key] = counts.get(key, 0) + 1
                archive.extract(member, root, filter="data")
    return root


@pytest.fixture(scope="session")
def tiny_emotion_model(fer_folder, models_root):
    """A width-4 emotion model trained for one epoch on the FER2013 slice, evaluated on its PrivateTest part."""
    out = models_root / "emotion" / "tiny_fer"
    result = run_cli("train", "emotion", "--data-dir", fer_folder, "--width", 4, "--epochs", 1, "--batch-size", 16,
                     "--out", out)
    assert result.returncode == 0, result.stderr[-2000:]
    return out


@pytest.fixture(scope="session")
def tiny_summarizers(shared_data, models_root):
    """A sentence scorer and both headline models, one epoch each on 30 BBC articles (the tagger, as shipped: an
    ensemble, here of 2, on 30 training and 30 validation articles, the final fit), in the models folder."""
    trained = {}
    for name, kind, arch, *final in (("summary", "summary", "copy_transformer"),
                                     ("headline", "headline", "copy_transformer"),
                                     ("compressive", "headline", "compressive", "--include-validation", "--members", 2)):
        out = models_root / "summarization" / f"bbc_{kind}{'_compressive' if arch == 'compressive' else ''}"
        result = run_cli("train", "summarization", "--dataset", "bbc", "--data-dir",
                         shared_data / "bbc_news_summary.tar.gz", "--kind", kind, "--arch", arch, "--limit", 30,
                         "--epochs", 1, "--dim", 32, "--vocab-size", 500, "--out", out, *final)
        assert result.returncode == 0, result.stderr[-2000:]
        trained[name] = out
    return trained


@pytest.fixture(scope="session")
def squeezenet(shared_data):
    """The SqueezeNet v1.1 ImageNet weights file (the style family's offline loss network), also for the app."""
    path = shared_data / "squeezenet_weights_tf_dim_ordering_tf_kernels_notop.h5"
    os.environ["GALLERY_SQUEEZENET_WEIGHTS"] = str(path)
    return path


@pytest.fixture(scope="session")
def tiny_style(shared_data, squeezenet, models_root):
    """A fast style network trained for one epoch on 8 crops of 64 px, in the models folder."""
    out = models_root / "style" / "tiny_wave"
    result = run_cli("train", "style", "--style-image", shared_data / "styles" / "wave.jpg", "--content-dir",
                     shared_data / "content", "--size", 64, "--crops", 8, "--epochs", 1, "--out", out,
                     "--loss-network-weights", squeezenet)
    assert result.returncode == 0, result.stderr[-2000:]
    return out
