"""Emotion recognition page: every face in a photo gets a box, its crop and the full distribution;
a video gets each face's emotions over time.

Without a shipped model the page still finds the faces and shows the 48×48 crops a model would classify.
"""

import pandas as pd
import streamlit as st
from common import (
    EXAMPLES,
    cached_model,
    decoded_image,
    how_it_works,
    image_input,
    model_card,
    model_picker,
    show_unexpected,
)

from gallery.emotion.predict import analyse_image
from gallery.emotion.video import FRAMES_PER_SECOND, MAX_FRAMES, VIDEO_EXTENSIONS, analyse_video, track_probabilities
from gallery.errors import USER_ERRORS
from gallery.plots import draw_boxes
from gallery.preprocessing.faces import default_detector, find_faces

DETECTORS = {"yunet": "YuNet (CNN, default)", "haar": "Haar cascade (classic)"}
CROP_WIDTH = 96  # the 48×48 crops are shown at twice their size, not stretched


@st.cache_data(max_entries=4, show_spinner=f"Reading the video ({FRAMES_PER_SECOND:g} frames per second)…")
def video_result(model_path, data, detector):
    model, class_names = cached_model(model_path, "emotion")
    return analyse_video(lambda frame: analyse_image(model, class_names, frame, detector=detector), data)


def video_input():
    """(name, bytes) of the example video or an uploaded one, or None."""
    source = st.radio("Video source", ["Example", "Upload"], horizontal=True, key="emotion_video_source")
    if source == "Example":
        example = EXAMPLES / "emotion" / "astronaut_pan_zoom.mp4"
        return example.name, example.read_bytes()
    upload = st.file_uploader("Upload a short video", key="emotion_video_upload",
                              type=[extension.lstrip(".") for extension in VIDEO_EXTENSIONS])
    return (upload.name, upload.getvalue()) if upload is not None else None


def show_faces(faces):
    """Per face: its crop beside the seven probabilities."""
    for i, face in enumerate(faces):
        crop_column, chart_column = st.columns([1, 5])
        crop_column.image(face["crop"], caption="what the model sees (48×48)", width=CROP_WIDTH)
        with chart_column:
            st.subheader(f"Face {i + 1}: {face['label']} ({face['probabilities'][face['label']] * 100:.0f} %)")
            chart = pd.DataFrame({"emotion": list(face["probabilities"]),
                                  "probability": list(face["probabilities"].values())})
            st.bar_chart(chart, x="emotion", y="probability", horizontal=True, height=220)
    st.caption("All seven probabilities are shown: the top label alone hides how unsure the model can be.")


def show_video(name, result):
    frames = result["frames"]
    st.write(f"{name}: {len(frames)} frames sampled ({FRAMES_PER_SECOND:g} per second, at most {MAX_FRAMES}), "
             f"{result['tracks']} face track(s).")
    if not result["tracks"]:
        st.warning("No face found in any sampled frame. Faces should be frontal enough and not too small.")
        return
    for track in range(result["tracks"]):
        times, probabilities, names = track_probabilities(result, track)
        first = next(face for frame in frames for face in frame["faces"] if face["track"] == track)
        crop_column, chart_column = st.columns([1, 5])
        crop_column.image(first["crop"], caption=f"face {track + 1}", width=CROP_WIDTH)
        with chart_column:
            st.subheader(f"Face {track + 1}: seen in {len(times)} frame(s)")
            st.line_chart(pd.DataFrame(probabilities, columns=names, index=pd.Index(times, name="seconds")),
                          height=240, y_label="probability")


st.title("Facial emotion recognition")
chosen = model_picker("emotion", required=False)
if chosen is not None:
    model_card(chosen[0])
how_it_works(
    "YuNet, a small CNN face detector, finds each face (the Haar cascade is the classic alternative). The face's "
    "box, squared, is cut out and shrunk to 48×48 grayscale, as tight as the FER2013 faces the model learned "
    "from; the network averages six views of the crop (itself, two 1-pixel shifts, their mirrors) and gives "
    "seven probabilities. It was trained on FER2013's 28,709 Training faces, its epoch chosen on PublicTest, "
    "and its accuracy is measured on PrivateTest (3,589 faces). A video is read at 2 frames per second; each "
    "face is followed from frame to frame by the overlap of its boxes.")
if chosen is None:
    st.caption("Meanwhile, face detection runs on its own below: each face found and the 48×48 grayscale "
               "crop a model would classify.")
detector = st.radio("Face detector", list(DETECTORS), format_func=DETECTORS.get, horizontal=True,
                    index=list(DETECTORS).index(default_detector()), key="emotion_detector")
kind = st.radio("Input", ["Photo", "Video"], horizontal=True, key="emotion_kind") if chosen else "Photo"

if kind == "Video":
    picked = video_input()
    if picked is None:
        st.info("Upload a short video (mp4, webm, avi, mov or mkv) or use the example.")
        st.stop()
    try:
        show_video(picked[0], video_result(str(chosen[0]), picked[1], detector))
    except USER_ERRORS as error:
        st.error(f"This video cannot be used: {error}")
    except Exception as error:  # the app must never show a raw traceback
        show_unexpected(error)
    st.stop()

picked = image_input("emotion", "emotion")
if picked is None:
    st.info("Choose an example, upload a photo or take one with the camera.")
    st.stop()
name, data = picked
image = decoded_image(data)
if image is None:
    st.stop()
whole = chosen is not None and st.checkbox("The image is a face crop (skip face detection)",
                                        key="emotion_no_detect", persist_state="page")
try:
    if chosen is None:
        faces = [{"box": face.box, "crop": face.crop} for face in find_faces(image, detector=detector)]
    else:
        model, class_names = cached_model(str(chosen[0]), "emotion")
        faces = analyse_image(model, class_names, image, detect=not whole, detector=detector)
except Exception as error:  # the app must never show a raw traceback
    show_unexpected(error)
    st.stop()

if not faces:
    st.image(image, caption=name, width=min(480, image.shape[1]))
    st.warning("No face found. Faces should be frontal enough and not too small"
               + ("; for a tight face crop, tick the box above." if chosen else "."))
    st.stop()
labels = [f"{i + 1}: {face['label']}" if "label" in face else str(i + 1) for i, face in enumerate(faces)]
st.image(draw_boxes(image, [face["box"] for face in faces], labels), caption=f"{name}: {len(faces)} face(s)",
         width=min(900, max(image.shape[1], 320)))
if chosen is None:
    st.image([face["crop"] for face in faces], caption=[f"face {i + 1}" for i in range(len(faces))], width=CROP_WIDTH)
    st.stop()
show_faces(faces)
