"""Style transfer page: a photo in the style of a shipped painting or of any image (instant, or by optimisation)."""

import hashlib
import io
import time

import streamlit as st
from common import decoded_image, display_width, how_it_works, image_input, model_card, result_or_stop
from PIL import Image

from gallery.style.predict import (
    arbitrary_stylise,
    check_style_image,
    finished,
    painting_name,
    painting_of,
    resized,
    shipped_styles,
    style_vector,
    stylise,
)

INSTANT, FINEST = "Instant (arbitrary network)", "Finest (optimisation, about a minute)"

st.title("Neural style transfer")
how_it_works(
    "A shipped style is a feed-forward network trained for one painting (Johnson et al. 2016): one pass, under "
    "a second. Any other painting goes through Magenta's arbitrary-style network (Ghiasi et al. 2017): a "
    "MobileNetV2 turns the painting into 100 numbers, and a small network paints the photo with them, also in one "
    "pass; style strength mixes the painting's numbers with the photo's own. The finest result comes from "
    "optimisation: the photo's pixels are adjusted, step by step, until the textures of SqueezeNet's feature maps "
    "(their Gram matrices) match the painting's while the photo's content stays; about a minute on a CPU. Each "
    "network's card compares its losses with 300 optimisation steps on held-out photos.")
picked = image_input("style", "style")
if picked is None:
    st.info("Choose an example, upload a photo or take one with the camera.")
    st.stop()
name, data = picked
photo = decoded_image(data)
if photo is None:
    st.stop()


@st.cache_data(max_entries=32, show_spinner=False)
def cached_vector(image):
    """The arbitrary network's style vector of an image, once per image and server (a bounded cache)."""
    return style_vector(image)


def instant(shown, painting, strength):
    """The arbitrary network's result for the shown photo: vectors cached, so a new strength costs one pass."""
    def run():
        check_style_image(painting)
        painting_vector, photo_vector = cached_vector(painting), cached_vector(shown)
        start = time.perf_counter()
        image = arbitrary_stylise(shown, painting_vector, strength, photo_vector)
        return {"image": image, "method": "arbitrary", "seconds": time.perf_counter() - start}
    return result_or_stop(run)


styles = shipped_styles()
# the page stops until a photo is chosen: persist_state keeps these settings (and shows them) meanwhile
own = st.radio("Style", ["A shipped painting", "My own style image"], horizontal=True, key="style_kind",
               index=0 if styles else 1, persist_state="page").startswith("My own")
left, middle, right = st.columns(3)
size = left.select_slider("Output size (longer side, px)", [256, 384, 512, 768, 1024], value=512, key="style_size",
                          persist_state="page")
strength = middle.slider("Style strength", 0.0, 1.0, 1.0, 0.05, key="style_strength", persist_state="page")
keep_colors = right.checkbox("Keep the photo's colours", key="style_keep_colors", persist_state="page")
shown = resized(photo, size)
results = {}  # caption → raw result, shown side by side

if own:
    upload = st.file_uploader("Style image", type=["jpg", "jpeg", "png", "webp", "bmp"], key="style_painting_upload")
    method = st.radio("Method", [INSTANT, FINEST], horizontal=True, key="style_method", persist_state="page")
    if upload is None:
        st.info("Upload a painting (or any image) to take its style.")
        st.stop()
    style = decoded_image(upload.getvalue())
    if style is None:
        st.stop()
    if method == INSTANT:
        results["arbitrary"] = instant(shown, style, strength)
    else:
        steps = st.slider("Optimisation steps", 50, 500, 300, 50, key="style_steps", persist_state="page")
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

            kept = {"key": key, "raw": result_or_stop(stylise, photo, style, size, "optimize", steps, 1.0, False,
                                                      report)}
            st.session_state["style_optimised"] = kept
            bar.empty()
            preview.empty()
        results["optimize"] = kept["raw"]
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
    compare = st.checkbox("Compare with the arbitrary network", key="style_compare", persist_state="page")
    results["fast"] = result_or_stop(stylise, photo, style, size, "fast", 0, 1.0, False, None)
    if compare:
        results["arbitrary"] = instant(shown, painting_of(style), strength)

columns = st.columns(1 + len(results))
columns[0].image(photo, caption=name, width=display_width(photo))
for column, (method, raw) in zip(columns[1:], results.items()):
    # the arbitrary network took strength in its style vector; the others blend with the photo here
    image = finished(raw["image"], shown, 1.0 if method == "arbitrary" else strength, keep_colors)
    column.image(image, caption=f"{method}, {raw['seconds']:.2f} s", width=display_width(image))
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=92)
    column.download_button("Download the result", buffer.getvalue(), file_name=f"stylised_{method}.jpg",
                           mime="image/jpeg", key=f"style_download_{method}")
