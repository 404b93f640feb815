"""The Streamlit pages, driven by streamlit.testing's AppTest (no browser)."""

import io
import os
import shutil

import pytest
from conftest import GERMAN, ROOT
from PIL import Image
from streamlit.testing.v1 import AppTest
from test_images import png_header_only

from gallery.style.predict import painting_name
from gallery.tasks import TASKS

APP = str(ROOT / "apps" / "gallery_app.py")


@pytest.fixture
def page(tiny_model):
    assert os.environ["GALLERY_MODELS_DIR"] == str(tiny_model.parents[1])
    app = AppTest.from_file(APP, default_timeout=120).run()
    return app.switch_page("classification.py").run()


def upload(app, name, data):
    app.radio[0].set_value("Upload").run()
    app.file_uploader[0].set_value((name, data, "image/png")).run()
    assert not app.exception
    return app


def test_home_has_a_card_per_family(tiny_model):
    app = AppTest.from_file(APP, default_timeout=120).run()
    assert not app.exception
    assert [header.value for header in app.subheader] == [
        "Image classification", "Facial emotion recognition", "Neural style transfer", "Text summarisation"]
    assert tiny_model.name in [metric.label for metric in app.metric]
    assert not any("Coming soon" in info.value for info in app.info)  # every family is ready


def test_home_marks_demo_models(tiny_summarizers):
    app = AppTest.from_file(APP, default_timeout=120).run()
    labels = [metric.label for metric in app.metric]
    assert "bbc_summary (demo)" in labels  # the test models learned from 30 articles


def test_a_family_without_models_says_how_to_train_one(tmp_path, monkeypatch):
    monkeypatch.setenv("GALLERY_MODELS_DIR", str(tmp_path))
    app = AppTest.from_file(APP, default_timeout=120).run()
    assert [info.value for info in app.info] == [
        f"No model shipped yet; train one with `{task.train_example}`." for task in TASKS.values()]
    app.switch_page("emotion.py").run()
    assert not app.exception and "No facial emotion recognition model is shipped yet" in app.warning[0].value
    assert app.code[0].value == TASKS["emotion"].train_example
    examples = app.selectbox(key="emotion_example")  # face detection still runs: boxes and 48×48 crops
    examples.select_index(next(i for i, name in enumerate(examples.options) if "astronaut" in name)).run()
    assert not app.exception and len(app.warning) == 1
    photo, crops = app.get("image")
    assert photo.proto.imgs[0].caption.endswith("1 face(s)") and [crop.caption for crop in crops.proto.imgs] == ["face 1"]
    examples.select_index(next(i for i, name in enumerate(examples.options) if "coffee" in name)).run()
    assert "No face found" in app.warning[1].value


def test_example_image_gets_top5_and_heatmap(page):
    assert not page.exception
    assert page.subheader[0].value.endswith("%")
    assert len(page.get("vega_lite_chart")) == 1  # the top-5 bar chart
    in_card = len(page.expander[0].get("image"))  # confusion matrix and training curves
    assert len(page.get("image")) - in_card == 2  # the image and its class-activation map


def test_examples_fit_the_model_and_a_large_photo_is_flagged(page, shared_data):
    options = page.selectbox(key="classify_example").options
    assert options and all(option.startswith("cifar") for option in options)  # a CIFAR-10 model: CIFAR examples
    assert not page.info
    upload(page, "flowers.jpg", (shared_data / "content" / "flowers.jpg").read_bytes())
    assert "knows only 10 classes" in page.info[0].value and "imagenet_mobilenet_v2" in page.info[0].value


@pytest.mark.parametrize("name, data, message", [
    ("empty.png", b"", "empty"),
    ("notes.png", b"%PDF-1.4 not an image", "not an image"),
    ("huge.png", png_header_only(20000, 20000), "is 20,000×20,000 pixels (400 MP); the limit is 40 MP"),
])
def test_bad_uploads_show_a_message(page, name, data, message):
    upload(page, name, data)
    assert message in page.error[0].value


def test_animated_gif_and_cmyk_are_explained(page):
    frames = [Image.new("RGB", (64, 64), color) for color in ("red", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    upload(page, "anim.gif", buffer.getvalue())
    assert any("first frame" in caption.value for caption in page.caption)
    buffer = io.BytesIO()
    Image.new("CMYK", (64, 64), (0, 200, 200, 0)).save(buffer, "JPEG")
    upload(page, "print.jpg", buffer.getvalue())
    assert any("CMYK" in caption.value for caption in page.caption) and not page.error


def test_summarisation_page_highlights_sources_and_scores_rouge(tiny_summarizers):
    app = AppTest.from_file(APP, default_timeout=180).run().switch_page("summarization.py").run()
    assert not app.exception
    assert app.success[0].value  # the neural headline of the first example
    assert [metric.label for metric in app.metric] == ["ROUGE-1", "ROUGE-2", "ROUGE-L"]  # reference: its title
    assert app.radio(key="sum_method_headline_en").value == "neural"
    assert "learned from only" in app.warning[0].value  # the tiny test models are flagged as demos
    app.radio(key="sum_method_headline_en").set_value("abstractive").run()
    assert not app.exception and app.success[0].value and any("copy Transformer" in c.value for c in app.caption)
    app.radio(key="sum_kind").set_value("summary").run()
    assert app.radio(key="sum_method_summary_en").options == ["Neural model", "Lead (first sentences / words)",
                                                              "TextRank"]
    app.radio(key="sum_method_summary_en").set_value("textrank").run()
    assert not app.exception and "<mark>" in app.get("html")[0].proto.body
    app.selectbox(key="sum_example").set_value(sorted(app.selectbox(key="sum_example").options)[-1]).run()
    assert app.radio(key="sum_method_summary_ru").value == "textrank"  # no Russian neural model: the default
    assert not app.exception and not app.warning and app.success[0].value
    assert "Neural model" not in app.radio(key="sum_method_summary_ru").options  # only what exists for Russian


def test_russian_text_gets_the_shipped_russian_headline_model(monkeypatch):
    monkeypatch.setenv("GALLERY_MODELS_DIR", str(ROOT / "models"))  # the shipped models, not the tiny ones
    app = AppTest.from_file(APP, default_timeout=180).run().switch_page("summarization.py").run()
    app.selectbox(key="sum_example").set_value(sorted(app.selectbox(key="sum_example").options)[-1]).run()
    method = app.radio(key="sum_method_headline_ru")
    assert method.options == ["Neural model", "Lead (first sentences / words)", "TextRank"] and method.value == "neural"
    assert not app.exception and not app.warning and 4 <= len(app.success[0].value.split()) <= 12
    assert any(e.label == "Model card: ru_news_headline_compressive" for e in app.expander)


def test_summarisation_page_gives_text_in_another_language_a_baseline_and_says_why(tiny_summarizers):
    app = AppTest.from_file(APP, default_timeout=180).run().switch_page("summarization.py").run()
    app.radio(key="sum_source").set_value("Paste").run()
    app.text_area(key="sum_text").set_value(GERMAN).run()
    assert app.radio(key="sum_method_headline_de").options == ["Lead (first sentences / words)", "TextRank"]
    assert not app.exception and app.success[0].value.startswith("Die Stadt Berlin")
    assert "looks German" in app.warning[0].value and any("German" in c.value for c in app.caption)


def test_summarisation_reference_follows_the_chosen_example(tiny_summarizers):
    app = AppTest.from_file(APP, default_timeout=180).run().switch_page("summarization.py").run()
    app.selectbox(key="sum_example").set_value(sorted(app.selectbox(key="sum_example").options)[-1]).run()
    title = (ROOT / "apps/examples/summarization/russian_river_bridge.txt").read_text(encoding="utf-8").split("\n")[0]
    assert [box.value for box in app.text_input if box.label.startswith("Reference")] == [title]
    assert not app.exception and float(app.metric[0].value) > 0  # scored against the Russian title


def test_summarisation_page_detects_language_as_summarize_does(tiny_summarizers):
    app = AppTest.from_file(APP, default_timeout=180).run().switch_page("summarization.py").run()
    app.radio(key="sum_source").set_value("Paste").run()
    html = '<p class="article-text"><strong>Мост открыт.</strong> Жители рады.</p><p style="font-weight:bold">Всё.</p>'
    app.text_area(key="sum_text").set_value(html).run()  # the tags' Latin letters outnumber the Cyrillic ones
    assert app.radio(key="sum_method_headline_ru").value == "lead"
    assert not app.exception and not app.warning and app.success[0].value


def test_summarisation_page_shows_pasted_text_as_written(tiny_summarizers):
    app = AppTest.from_file(APP, default_timeout=180).run().switch_page("summarization.py").run()
    app.radio(key="sum_source").set_value("Paste").run()
    app.text_area(key="sum_text").set_value("Profits *double*\n\nProfits rose to $5bn. Costs fell.").run()
    app.radio(key="sum_kind").set_value("summary").run()
    app.radio(key="sum_method_summary_en").set_value("lead").run()  # the title and the first sentence
    assert app.success[0].value == "Profits \\*double\\*  \nProfits rose to \\$5bn\\."  # literal, title on its line
    assert "<mark>Profits *double*</mark><br><mark>Profits rose to $5bn.</mark> Costs fell." in app.get("html")[
        0].proto.body


def test_summarisation_page_rejects_binary_uploads(tiny_summarizers):
    app = AppTest.from_file(APP, default_timeout=180).run().switch_page("summarization.py").run()
    app.radio(key="sum_source").set_value("Upload").run()
    app.file_uploader(key="sum_upload").set_value(("data.txt", bytes(range(256)) * 8, "text/plain")).run()
    assert not app.exception and "binary" in app.error[0].value


def test_style_page_shows_the_painting_it_uses_after_the_image_source_changes(tiny_style, shared_data):
    """The page waits for an upload, drawing no settings; the painting picked before is still the one shown."""
    second = tiny_style.parent / "tiny_zz_second"
    shutil.copytree(tiny_style, second)
    try:
        app = AppTest.from_file(APP, default_timeout=300).run().switch_page("style.py").run()
        app.selectbox(key="style_name").set_value("tiny_zz_second").run()
        app.slider(key="style_strength").set_value(0.5).run()
        app.radio(key="style_source").set_value("Upload").run()
        assert not app.selectbox  # nothing to stylise yet
        photo = sorted((shared_data / "content").glob("*.jpg"))[0].read_bytes()
        app.file_uploader(key="style_upload").set_value(("photo.jpg", photo, "image/jpeg")).run()
        box, strength = app.selectbox(key="style_name"), app.slider(key="style_strength")
        assert box.value == "tiny_zz_second" and [e.label for e in app.expander][-1] == "Model card: tiny_zz_second"
        # what the browser shows: the value sent with the widget, not its first option
        assert box.proto.set_value and box.proto.raw_value == painting_name("tiny_zz_second")
        assert strength.value == 0.5 and strength.proto.set_value
    finally:
        shutil.rmtree(second)


def test_style_page_fast_and_own_style(tiny_style, squeezenet, shared_data):
    """Example × fast (and beside it the arbitrary network), Example × own style (instant, then optimisation),
    Upload × own style (two uploaders on one page), Upload × fast, Camera × fast, Camera × own style."""
    app = AppTest.from_file(APP, default_timeout=300).run().switch_page("style.py").run()
    assert not app.exception
    assert app.selectbox(key="style_name").value == "tiny_wave"
    assert len(app.get("download_button")) == 1  # the fast result is ready at once
    assert app.selectbox(key="style_example").options == [  # real content photos, not the emotion page's
        "astronaut eileen collins nasa", "cat chelsea", "coffee cup", "rocket launch spacex"]
    app.checkbox(key="style_compare").check().run()  # the same painting through the arbitrary network, beside it
    captions = [image.proto.imgs[0].caption for image in app.get("image")[-2:]]
    assert not app.exception and captions[0].startswith("fast") and captions[1].startswith("arbitrary")
    app.radio(key="style_kind").set_value("My own style image").run()
    assert not app.exception
    app.radio(key="style_source").set_value("Upload").run()
    photo = sorted((shared_data / "content").glob("*.jpg"))[0].read_bytes()
    app.file_uploader(key="style_upload").set_value(("photo.jpg", photo, "image/jpeg")).run()
    app.select_slider(key="style_size").set_value(256).run()
    style = (shared_data / "styles" / "the_scream.jpg").read_bytes()
    app.file_uploader(key="style_painting_upload").set_value(("scream.jpg", style, "image/jpeg")).run()
    assert not app.exception and "arbitrary" in app.get("image")[-1].proto.imgs[0].caption  # instant: no button
    full = app.get("image")[-1].proto.imgs[0].url
    app.slider(key="style_strength").set_value(0.3).run()  # a new mix of the cached style vectors
    assert not app.exception and app.get("image")[-1].proto.imgs[0].url != full
    app.radio(key="style_method").set_value(app.radio(key="style_method").options[1]).run()
    app.slider(key="style_steps").set_value(50).run()
    app.button(key="style_run").click().run()
    assert not app.exception
    assert len(app.get("download_button")) == 1 and "optimize" in app.get("image")[-1].proto.imgs[0].caption
    app.checkbox(key="style_keep_colors").check().run()  # the finished optimisation is kept, not thrown away
    app.slider(key="style_strength").set_value(0.5).run()
    assert len(app.get("download_button")) == 1 and "optimize" in app.get("image")[-1].proto.imgs[0].caption
    tiny = io.BytesIO()
    Image.new("RGB", (1, 1), "red").save(tiny, "PNG")
    app.file_uploader(key="style_painting_upload").set_value(("dot.png", tiny.getvalue(), "image/png")).run()
    app.button(key="style_run").click().run()
    assert not app.exception and "1×1 pixels" in app.warning[0].value
    app.radio(key="style_method").set_value(app.radio(key="style_method").options[0]).run()
    assert not app.exception and "1×1 pixels" in app.warning[0].value  # the instant method says the same
    app.radio(key="style_kind").set_value(app.radio(key="style_kind").options[0]).run()
    assert not app.exception and len(app.get("download_button")) == 2  # still compared with the arbitrary network
    app.radio(key="style_source").set_value("Camera").run()  # Camera × fast, then Camera × own style
    app.camera_input(key="style_camera").set_value(("camera.jpg", photo, "image/jpeg")).run()
    assert not app.exception and len(app.get("download_button")) == 2
    app.radio(key="style_kind").set_value("My own style image").run()
    app.file_uploader(key="style_painting_upload").set_value(("scream.jpg", style, "image/jpeg")).run()
    assert not app.exception and "arbitrary" in app.get("image")[-1].proto.imgs[0].caption