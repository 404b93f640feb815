"""Style transfer page: a photo in the style of a shipped painting (instant) or of any image (optimisation)."""

import hashlib
import io

import streamlit as st
from common import decoded_image, display_width, how_it_works, image_input, model_card, result_or_stop
from PIL import Image

from gallery.style.predict import finished, painting_name, resized, shipped_styles, stylise

st.title("Neural style transfer")
how_it_works(
    "A shipped style is a feed-forward network trained for one painting (Johnson et al. 2016): one pass, under "
    "a second. Your own style image is reached by optimisation instead: the photo's pixels are adjusted, step "
    "by step, until the textures of SqueezeNet's feature maps (their Gram matrices) match the painting's while "
    "the features of the photo's content stay; about a minute on a CPU. Each network's card compares its losses "
    "with 300 optimisation steps on held-out photos.")
picked = image_input("style", "style")
if picked is None:
    st.info("Choose an example, upload a photo or take one with the camera.")
    st.stop()
name, data = picked
photo = decoded_image(data)
if photo is None:
    st.stop()

styles = shipped_styles()
# the page stops until a photo is chosen: persist_state keeps these settings (and shows them) meanwhile
own = st.radio("Style", ["A shipped style (instant)", "My own style image (optimisation)"], horizontal=True,
               key="style_kind", index=0 if styles else 1, persist_state="page").startswith("My own")
left, middle, right = st.columns(3)
size = left.select_slider("Output size (longer side, px)", [256, 384, 512, 768, 1024], value=512, key="style_size",
                          persist_state="page")
strength = middle.slider("Style strength", 0.0, 1.0, 1.0, 0.05, key="style_strength", persist_state="page")
keep_colors = right.checkbox("Keep the photo's colours", key="style_keep_colors", persist_state="page")

if own:
    upload = st.file_uploader("Style image", type=["jpg", "jpeg", "png", "webp", "bmp"], key="style_painting_upload")
    steps = st.slider("Optimisation steps", 50, 500, 300, 50, key="style_steps", persist_state="page")
    if upload is None:
        st.info("Upload a painting (or any image) to take its style.")
        st.stop()
    style = decoded_image(upload.getvalue())
    if style is None:
        st.stop()
    # a finished optimisation is kept for the same photo, style, size and steps: strength and colours apply after
    key = (hashlib.sha256(data).hexdigest(), hashlib.sha256(upload.getvalue()).hexdigest(), size, steps)
    kept = st.session_state.get("style_optimised")
    clicked = st.button("Stylise", type="primary", key="style_run")
    if clicked or kept is None or kept["key"] != key:
        if not clicked:
            st.stop()
        bar, preview = st.progress(0.0, text="Optimising…"), st.empty()

        def report(step, total, logs, image):
            bar.progress(step / total, text=f"Step {step}/{total}, loss {logs.get('loss', 0):,.0f}")
            if image is not None:
                preview.image(image, caption=f"after {step} steps", width=360)

        kept = {"key": key, "raw": result_or_stop(stylise, photo, style, size, None, steps, 1.0, False, report)}
        st.session_state["style_optimised"] = kept
        bar.empty()
        preview.empty()
    raw = kept["raw"]
else:
    if not styles:
        st.warning("No style network is shipped yet under models/style/.")
        st.stop()
    style = st.selectbox("Painting", sorted(styles), format_func=painting_name, key="style_name",
                         persist_state="page")
    thumbnail = styles[style] / "style.png"
    if thumbnail.exists():
        st.image(str(thumbnail), caption="the style", width=200)
    model_card(styles[style])
    raw = result_or_stop(stylise, photo, style, size, None, 0, 1.0, False, None)

shown = resized(photo, size)
result = {**raw, "image": finished(raw["image"], shown, strength, keep_colors)}
before, after = st.columns(2)
before.image(photo, caption=name, width=display_width(photo))
after.image(result["image"], caption=f"{result['method']}, {result['seconds']:.2f} s", width=display_width(result["image"]))
buffer = io.BytesIO()
Image.fromarray(result["image"]).save(buffer, "JPEG", quality=92)
st.download_button("Download the result", buffer.getvalue(), file_name="stylised.jpg", mime="image/jpeg",
                   key="style_download")
