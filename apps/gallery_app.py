"""The gallery's Streamlit entry point: `streamlit run apps/gallery_app.py`."""

import streamlit as st

st.set_page_config(page_title="Keras model gallery", page_icon=":material/photo_library:", layout="wide")
pages = [
    st.Page("home.py", title="Gallery", icon=":material/home:", default=True),
    st.Page("classification.py", title="Image classification", icon=":material/label:"),
    st.Page("emotion.py", title="Emotion recognition", icon=":material/mood:"),
    st.Page("style.py", title="Style transfer", icon=":material/palette:"),
    st.Page("summarization.py", title="Summarisation", icon=":material/article:"),
]
st.navigation(pages).run()
