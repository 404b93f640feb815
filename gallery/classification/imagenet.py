"""The shipped ImageNet classifier: MobileNetV2 converted from a TFLite file, and its check on real photos.

`convert` builds the gallery classifier (`build_classifier("mobilenet_v2")`: resize with a centre
crop to 224 px inside the model, the converted trunk, global pooling, a 1,000-class softmax) and
writes a model folder with its card. `evaluate_sample` measures it on a folder of photos named
`<WordNet id>_<class>.jpg` (such as `imagenet_sample` in `style_photos.tar.gz`): top-1 and top-5
accuracy, and agreement with the TFLite network's top-1 when the file is given. Those photos are
not the ImageNet validation set; the card says so.
"""

import shutil
from pathlib import Path

import numpy as np

from gallery import cards
from gallery.errors import UserError
from gallery.preprocessing.images import image_files, read_image

IMAGE_SIZE = 224
PUBLISHED_TOP1 = 0.708  # the TFLite model's ImageNet validation top-1 (TensorFlow's hosted models table)


SHARED_NAMES = {"crane": ["crane (bird)", "crane (machine)"]}  # two classes, one word, no synonym (in id order)


def readable_labels(path):
    """1,000 class names from a TF-Slim labels file (`background` first, then "tench, Tinca tinca", …), and
    the full lines: the first synonym of each, made unique ("maillot (tank suit)", "crane (bird)")."""
    lines = [line.strip() for line in Path(path).read_text().splitlines() if line.strip()]
    lines = lines[1:] if lines[0].lower() == "background" else lines
    first = [line.split(",")[0].strip() for line in lines]
    names = []
    for line, name in zip(lines, first):
        synonyms = [part.strip() for part in line.split(",")]
        if name in SHARED_NAMES:
            name = SHARED_NAMES[name][sum(n.startswith(name + " (") for n in names)]
        elif first.count(name) > 1 and len(synonyms) > 1:
            name = f"{name} ({synonyms[1]})"
        names.append(name)
    if len(names) != 1000 or len(set(names)) != 1000:
        raise UserError(f"{path} does not hold 1,000 distinct ImageNet classes.")
    return names, lines


def convert(tflite_path, labels_path, out, command=""):
    """Write `out/` (model.keras, card, labels, licence if beside the TFLite file); return the folder."""
    from gallery.classification.mobilenet import HEAD, tflite_weights
    from gallery.classification.models import build_classifier
    from gallery.training import save_model

    names, lines = readable_labels(labels_path)
    model = build_classifier("mobilenet_v2", names, (IMAGE_SIZE, IMAGE_SIZE), 3, dropout=0.0, augment=False,
                             backbone_weights=str(tflite_path))
    model.get_layer("probabilities").set_weights(tflite_weights(tflite_path)[HEAD])
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    save_model(model, out)
    (out / "imagenet_labels.txt").write_text("\n".join(lines) + "\n")
    licences = sorted(Path(tflite_path).parent.glob("LICENSE.mobilenet*"))
    if licences:
        shutil.copyfile(licences[0], out / "LICENSE")
    cards.update(
        out, name=out.name, task="classification", title="MobileNetV2 1.0 / 224 for ImageNet-1k (converted)",
        description=("Google's MobileNetV2 1.0/224, quantization-aware trained on ImageNet-1k (Apache-2.0), "
                     "converted from its TFLite file: uint8 weights dequantized into the gallery's Keras 3 "
                     "definition (batch norm folded into the convolution biases), float32. Published ImageNet "
                     f"validation top-1 of the TFLite model: {PUBLISHED_TOP1 * 100:.1f} % (not measured here: the "
                     "validation set is not available offline). The 'evaluation' below is on a 500-photo sample "
                     "of ImageNet-like photos, one per class for half of the classes, not the validation set."),
        dataset="imagenet", architecture="MobileNetV2 1.0 (gallery.classification.mobilenet)",
        parameters=model.count_params(), classes=names, headline_metric="top1_accuracy",
        input=f"RGB uint8 photo, any size → centre crop, {IMAGE_SIZE}×{IMAGE_SIZE} inside the model",
        file=cards.artifact_info(out), labels=cards.artifact_info(out, "imagenet_labels.txt"),
        licence=cards.artifact_info(out, "LICENSE") if licences else None,
        source={"file": Path(tflite_path).name, "file_sha256": cards.file_sha256(tflite_path),
                "licence": "Apache-2.0 (LICENSE)",
                "origin": "TensorFlow hosted models / Coral test data: mobilenet_v2_1.0_224_quant.tflite",
                "published_top1": PUBLISHED_TOP1, "command": command, "date": cards.now()},
    )
    return out


def sample_labels(paths, full_names):
    """Class index per photo named `<wnid>_<class name>`: by name, ties broken by WordNet-id order.

    The 1,000 classes are in sorted WordNet-id order, so a name shared by two classes ("crane" the bird
    and the machine) resolves to the candidate that keeps the indices increasing with the ids.
    """
    candidates = []
    for path in paths:
        name = Path(path).stem.split("_", 1)[-1].replace("_", " ").lower()
        matches = [i for i, line in enumerate(full_names)
                   if name in (part.strip().lower() for part in line.split(","))]
        if not matches:
            raise UserError(f"{Path(path).name}: no ImageNet class is called {name!r}.")
        candidates.append(matches)
    labels, previous = [0] * len(paths), -1
    for position in np.argsort([Path(path).stem.split("_", 1)[0] for path in paths], kind="stable"):
        later = [i for i in candidates[position] if i > previous]
        labels[position] = previous = (later or candidates[position])[0]
    return np.asarray(labels)


def tflite_top1(tflite_path, images):
    """The TFLite network's top-1 class (background dropped) for each RGB uint8 image."""
    import tensorflow as tf

    from gallery.preprocessing.layers import resizing_layer

    interpreter = tf.lite.Interpreter(model_path=str(tflite_path))
    interpreter.allocate_tensors()
    source, target = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    resize = resizing_layer((IMAGE_SIZE, IMAGE_SIZE))
    top = []
    for image in images:  # the same resize and centre crop as the Keras model's first layer
        pixels = np.clip(np.round(np.asarray(resize(image[None].astype("float32")))), 0, 255).astype(np.uint8)
        interpreter.set_tensor(source["index"], pixels)
        interpreter.invoke()
        top.append(int(np.argmax(interpreter.get_tensor(target["index"])[0][1:])))
    return np.asarray(top)


def evaluate_sample(model_dir, data_dir, tflite_path=None, command=""):
    """Top-1/top-5 on a folder of `<wnid>_<class>.jpg` photos (and TFLite agreement); the card's evaluation."""
    from gallery.classification.predict import load_classifier

    model_dir = Path(model_dir)
    model, class_names = load_classifier(str(model_dir))
    labels_file = model_dir / "imagenet_labels.txt"
    full_names = readable_labels(labels_file)[1] if labels_file.exists() else class_names
    paths = image_files(data_dir)
    if not paths:
        raise UserError(f"{data_dir} has no photos.")
    truth = sample_labels(paths, full_names)
    images = [read_image(path) for path in paths]
    probabilities = np.concatenate([model.predict(image[None], verbose=0) for image in images])
    ranked = np.argsort(-probabilities, axis=1)
    metrics = {"top1_accuracy": float(np.mean(ranked[:, 0] == truth)),
               "top5_accuracy": float(np.mean((ranked[:, :5] == truth[:, None]).any(axis=1)))}
    if tflite_path:
        tflite = tflite_top1(tflite_path, images)
        metrics["tflite_top1_agreement"] = float(np.mean(tflite == ranked[:, 0]))
        metrics["tflite_top1_accuracy"] = float(np.mean(tflite == truth))
    evaluation = {"split": "imagenet_sample photos, not ImageNet val", "dataset": "imagenet", "examples": len(paths),
                  "command": command, "date": cards.now(), "metrics": metrics}
    cards.update(model_dir, evaluation=evaluation, file=cards.artifact_info(model_dir))
    return evaluation
