"""Widgets shared by the gallery's pages: image input, friendly errors, cached models."""

import re
import traceback
from pathlib import Path

import streamlit as st

from gallery import cards
from gallery.classification.predict import load_classifier
from gallery.errors import USER_ERRORS
from gallery.preprocessing.images import IMAGE_EXTENSIONS, decode_image, image_files
from gallery.tasks import TASKS

EXAMPLES = Path(__file__).resolve().parent / "examples"


@st.cache_resource(show_spinner="Loading model…")
def cached_model(path, task="classification"):
    """(Keras model, class names) of a classification or emotion model folder, loaded once per server."""
    return load_classifier(path, task)


def model_picker(task, required=True, default=None):
    """A select box of the task's shipped models, headline metric included, `default` (a folder name) first
    selected; returns (folder, card).

    With none shipped it says how to train one, then stops the page, or returns None if not `required`.
    """
    shipped = cards.shipped_models(task)
    if not shipped:
        st.warning(f"No {TASKS[task].title.lower()} model is shipped yet. Train one (it appears here once its "
                   f"folder is under models/{task}/):")
        st.code(TASKS[task].train_example, language="bash")
        if required:
            st.stop()
        return None
    names = [folder.name for folder, _ in shipped]
    return st.selectbox("Model", shipped, index=names.index(default) if default in names else 0,
                        format_func=lambda item: f"{item[0].name} — {cards.headline(item[1])}")


def how_it_works(text):
    """A folded "How this works" note: the model, its data and its metric, in a few sentences."""
    with st.expander("How this works"):
        st.markdown(text)


def model_card(folder):
    """The model's card (its README.md, rendered from card.json) with its pictures, folded."""
    readme = Path(folder) / "README.md"
    with st.expander(f"Model card: {Path(folder).name}"):
        if not readme.exists():
            st.write("This model folder has no card.")
            return
        text = readme.read_text()
        st.markdown("\n".join(line for line in text.splitlines() if not line.startswith("![")))
        for picture in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text):
            if (Path(folder) / picture).exists():
                st.image(str(Path(folder) / picture), caption=picture)
        st.caption(f"Source: {readme}")


def image_input(family, key, prefix="", examples=None):
    """Let the user pick an example, upload a file or take a photo; return (name, bytes) or None.

    Examples come from `apps/examples/<examples or family>/`, only those whose name starts with `prefix`.
    """
    source = st.radio("Image source", ["Example", "Upload", "Camera"], horizontal=True, key=f"{key}_source")
    if source == "Example":
        folder = EXAMPLES / (examples or family)
        files = [path for path in image_files(folder) if path.name.startswith(prefix)]
        choice = st.selectbox("Example image", files, format_func=lambda path: path.stem.replace("_", " "),
                              key=f"{key}_example")
        return choice.name, choice.read_bytes()
    if source == "Upload":
        upload = st.file_uploader("Upload an image", key=f"{key}_upload",
                                  type=[extension.lstrip(".") for extension in IMAGE_EXTENSIONS])
        return (upload.name, upload.getvalue()) if upload is not None else None
    photo = st.camera_input("Take a photo", key=f"{key}_camera")
    return ("camera.jpg", photo.getvalue()) if photo is not None else None


def display_width(image, column=400):
    """"stretch" for photos, a fixed width (up to 4× the image's own) for small ones, so a 48×48 face
    or a 32×32 CIFAR image is not blown up to the column's width."""
    return "stretch" if image.shape[1] >= column else min(4 * image.shape[1], column)


def decoded_image(data):
    """The RGB array of `data`, or None after showing the user why it cannot be used."""
    notes = []
    try:
        image = decode_image(data, notes)
    except USER_ERRORS as error:
        st.error(f"This file cannot be used: {error}")
        return None
    for note in notes:
        st.caption(f"Note: {note}.")
    return image


def result_or_stop(function, *args):
    """`function(*args)`; on failure a warning (a user error) or a folded traceback (a bug), then stop."""
    try:
        return function(*args)
    except USER_ERRORS as error:
        st.warning(str(error))
    except Exception as error:  # the app must never show a raw traceback
        show_unexpected(error)
    st.stop()


def show_unexpected(error):
    """A last-resort message instead of a traceback; the details stay folded away."""
    st.error(f"Something went wrong while processing this input: {error}")
    with st.expander("Technical details"):
        st.code("".join(traceback.format_exception(error)))
