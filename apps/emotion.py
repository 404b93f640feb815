"""Emotion recognition page: every face in a photo gets a box, its emotion and the full distribution.

Without a shipped model the page still finds the faces and shows the 48×48 crops a model would classify.
"""

import pandas as pd
import streamlit as st
from common import (
    cached_model,
    decoded_image,
    image_input,
    model_picker,
    show_unexpected,
)

from gallery.emotion.predict import analyse_image
from gallery.plots import draw_boxes
from gallery.preprocessing.faces import find_faces

st.title("Facial emotion recognition")
chosen = model_picker("emotion", required=False)
if chosen is None:
    st.caption("Meanwhile, face detection runs on its own below: each face found and the 48×48 grayscale "
               "crop a model would classify.")
picked = image_input("emotion", "emotion")
if picked is None:
    st.info("Choose an example, upload a photo or take one with the camera.")
    st.stop()
name, data = picked
image = decoded_image(data)
if image is None:
    st.stop()
whole = chosen is not None and st.checkbox("The image is a face crop (skip face detection)", key="emotion_no_detect")
try:
    if chosen is None:
        faces = [{"box": face.box, "crop": face.crop} for face in find_faces(image)]
    else:
        model, class_names = cached_model(str(chosen[0]))
        faces = analyse_image(model, class_names, image, detect=not whole)
except Exception as error:  # the app must never show a raw traceback
    show_unexpected(error)
    st.stop()

if not faces:
    st.image(image, caption=name, width=480)
    st.warning("No face found. Faces should be frontal and not too small"
               + ("; for a tight face crop, tick the box above." if chosen else "."))
    st.stop()
labels = [f"{i + 1}: {face['label']}" if "label" in face else str(i + 1) for i, face in enumerate(faces)]
st.image(draw_boxes(image, [face["box"] for face in faces], labels), caption=f"{name}: {len(faces)} face(s)",
         width="stretch")
if chosen is None:
    st.image([face["crop"] for face in faces], caption=[f"face {i + 1}" for i in range(len(faces))], width=96)
    st.stop()
for i, face in enumerate(faces):
    st.subheader(f"Face {i + 1}: {face['label']} ({face['probabilities'][face['label']] * 100:.0f} %)")
    chart = pd.DataFrame({"emotion": list(face["probabilities"]), "probability": list(face["probabilities"].values())})
    st.bar_chart(chart, x="emotion", y="probability", horizontal=True, height=220)
st.caption("All seven probabilities are shown: the top label alone hides how unsure the model can be.")
