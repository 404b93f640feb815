"""Emotion recognition page: every face in a photo gets a box, its emotion and the full distribution."""

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

st.title("Facial emotion recognition")
folder, card = model_picker("emotion")
picked = image_input("emotion", "emotion")
if picked is None:
    st.info("Choose an example, upload a photo or take one with the camera.")
    st.stop()
name, data = picked
image = decoded_image(data)
if image is None:
    st.stop()
whole = st.checkbox("The image is a face crop (skip face detection)", key="emotion_no_detect")
try:
    model, class_names = cached_model(str(folder))
    faces = analyse_image(model, class_names, image, detect=not whole)
except Exception as error:  # the app must never show a raw traceback
    show_unexpected(error)
    st.stop()

if not faces:
    st.image(image, caption=name, width=480)
    st.warning("No face found. Faces should be frontal and not too small; for a tight face crop, tick the box above.")
    st.stop()
labels = [f"{i + 1}: {face['label']}" for i, face in enumerate(faces)]
st.image(draw_boxes(image, [face["box"] for face in faces], labels), caption=f"{name}: {len(faces)} face(s)",
         width="stretch")
for i, face in enumerate(faces):
    st.subheader(f"Face {i + 1}: {face['label']} ({face['probabilities'][face['label']] * 100:.0f} %)")
    chart = pd.DataFrame({"emotion": list(face["probabilities"]), "probability": list(face["probabilities"].values())})
    st.bar_chart(chart, x="emotion", y="probability", horizontal=True, height=220)
st.caption("All seven probabilities are shown: the top label alone hides how unsure the model can be.")
