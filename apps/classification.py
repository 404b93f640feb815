"""Image classification page: pick a model and an image, see the top-5 classes and a CAM heat map."""

from pathlib import Path

import pandas as pd
import streamlit as st
from common import (
    cached_model,
    decoded_image,
    display_width,
    how_it_works,
    image_input,
    model_card,
    model_picker,
    show_unexpected,
)

from gallery.classification.cli import DEFAULT_MODEL
from gallery.classification.predict import class_activation_map, probabilities, top_k
from gallery.plots import heatmap_overlay

IMAGENET = Path(DEFAULT_MODEL).name
st.title("Image classification")
folder, card = model_picker("classification", default=IMAGENET)
model_card(folder)
how_it_works(
    "The model resizes the image (centre crop) to its input size inside the network and gives a probability "
    "for each class it knows; the five most likely are shown. The heat map (class-activation map) weighs the "
    "last feature maps by the top class's weights: where the evidence for it lies. `imagenet_mobilenet_v2` "
    "(1,000 ImageNet classes) is Google's MobileNetV2, converted; the CIFAR-10 and Fashion-MNIST models were "
    "trained here, and their cards give the test-split accuracy and the command that trained them.")

# the examples that fit the model: its own data set's test images, else real photos
prefix = {"cifar10": "cifar", "fashion_mnist": "fashion"}.get(card.get("dataset"))
picked = image_input("classification", "classify", prefix=prefix or "",
                     examples="classification" if prefix else "emotion")
if picked is None:
    st.info("Choose an example, upload an image or take a photo.")
    st.stop()
name, data = picked
image = decoded_image(data)
if image is None:
    st.stop()
try:
    model, class_names = cached_model(str(folder))
    probs = probabilities(model, image)
    best = top_k(probs, class_names, 5)
    cam = class_activation_map(model, image, class_names.index(best[0]["label"]))
except Exception as error:  # the app must never show a raw traceback
    show_unexpected(error)
    st.stop()

side = model.get_layer("resize").get_config()["height"]
if len(class_names) <= 10 and max(image.shape[:2]) > 3 * side:
    st.info(f"This model knows only {len(class_names)} classes ({', '.join(class_names)}) of {side}×{side} images: "
            f"it gives every photo one of them. For photos of anything else pick `{IMAGENET}`, which knows "
            "1,000 ImageNet classes.")
photo, heat, chart_column = st.columns([1, 1, 1.2])
photo.image(image, caption=f"{name} ({image.shape[1]}×{image.shape[0]})", width=display_width(image))
if cam is not None:
    heat.image(heatmap_overlay(image, cam), caption=f"Evidence for “{best[0]['label']}” (class activation map)",
               width=display_width(image))
else:
    heat.info("This architecture has no pooled feature map, so no heat map is drawn.")
with chart_column:
    st.subheader(f"{best[0]['label']} — {best[0]['probability'] * 100:.1f} %")
    chart = pd.DataFrame({"class": [g["label"] for g in best], "probability": [g["probability"] for g in best]})
    st.bar_chart(chart, x="class", y="probability", horizontal=True, sort="-probability")
    st.caption("Top-5 class probabilities. The heat map shows where the evidence for the top class lies.")
