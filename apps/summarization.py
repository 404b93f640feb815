"""Summarisation page: a headline or an extractive summary of English or Russian text, with its sources."""

import html
import re
from pathlib import Path

import streamlit as st
from common import EXAMPLES, how_it_works, model_card, result_or_stop

from gallery.preprocessing.text import TextError, decode_text, ends_sentence, language_name
from gallery.summarization.predict import (
    available_methods,
    default_method,
    detected_language,
    shipped_folder,
    summarize,
)
from gallery.summarization.rouge import rouge

METHODS = {"neural": "Neural model", "abstractive": "Neural, abstractive (copy Transformer)",
           "lead": "Lead (first sentences / words)", "textrank": "TextRank"}


@st.cache_data(max_entries=32, show_spinner="Summarising…")
def cached_summary(text, kind, method, language):
    return summarize(text, kind, method, language=language)


def text_input():
    """(text, reference or "", origin) from an example, pasted text or an uploaded .txt; None while empty.
    `origin` names the example or the source, so each keeps its own reference box."""
    source = st.radio("Text source", ["Example", "Paste", "Upload"], horizontal=True, key="sum_source")
    if source == "Example":
        examples = sorted((EXAMPLES / "summarization").glob("*.txt"))
        choice = st.selectbox("Example", examples, format_func=lambda p: Path(p).stem.replace("_", " "),
                              key="sum_example")
        title, _, body = choice.read_text(encoding="utf-8").partition("\n")
        return body.strip(), title.strip(), choice.stem
    if source == "Paste":
        text = st.text_area("Article text", height=220, key="sum_text")
        return (text, "", "paste") if text.strip() else None
    upload = st.file_uploader("Upload a UTF-8 .txt file", type=["txt"], key="sum_upload")
    if upload is None:
        return None
    try:
        return decode_text(upload.getvalue()), "", "upload"
    except TextError as error:
        st.error(f"This file cannot be used: {error}")
        st.stop()


def highlighted(sentences, chosen):
    """The source as HTML, the sentences the result drew on marked; a sentence without end punctuation (a title)
    ends its line."""
    marked = set(chosen)
    pieces = [f"<mark>{html.escape(s)}</mark>" if i in marked else html.escape(s) for i, s in enumerate(sentences)]
    breaks = [" " if ends_sentence(s) else "<br>" for s in sentences[:-1]] + [""]
    return "".join(piece + after for piece, after in zip(pieces, breaks))


def literal_markdown(text):
    """`text` shown as written by Markdown elements: punctuation escaped (no "$…$" maths, no "*" emphasis),
    line breaks kept."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!$<>|~])", r"\\\1", text).replace("\n", "  \n")


st.title("Text summarisation")
how_it_works(
    "A **summary** keeps the article's most salient 40 % of sentences: the neural sentence scorer reads each "
    "sentence's words and how central it is to the others (TextRank's similarity, computed in the model); "
    "TextRank and Lead (the first sentences) are the baselines. A **headline** is the best phrase of one "
    "sentence, chosen by a word tagger trained on BBC (English) or 10,855 Russian news articles, or it is written "
    "word by word by the copy Transformer (English only), or it is Lead's (the first words after any news-agency "
    "dateline). Scores are ROUGE F1 against the test splits' references (BBC, ru_news), in each model's card.")
left, right = st.columns(2)  # the result's kind comes first: rendered on every run, so it keeps its value
kind = left.radio("Result", ["headline", "summary"], horizontal=True, key="sum_kind")
picked = text_input()
if picked is None:
    st.info("Choose an example, paste an article or upload a .txt file (English or Russian).")
    st.stop()
text, reference, origin = picked
language = detected_language(text)
methods = available_methods(kind, language)  # only what exists for this language
method = right.radio("Method", methods, format_func=METHODS.get, horizontal=True,
                     index=methods.index(default_method(kind, language)), key=f"sum_method_{kind}_{language}",
                     persist_state="page")  # kept while the page waits for text
reference = st.text_input(f"Reference {kind} (optional, for ROUGE)", value=reference if kind == "headline" else "",
                          key=f"sum_reference_{kind}_{origin}")
result = result_or_stop(cached_summary, text, kind, method, language)  # detected once, above

st.subheader("Headline" if kind == "headline" else "Summary")
st.success(literal_markdown(result["text"]))
if result["note"]:
    st.warning(result["note"])
if method in ("neural", "abstractive") and shipped_folder(kind, result["language"], method):
    model_card(shipped_folder(kind, result["language"], method))
st.caption(f"{METHODS[method]}; detected language: {language_name(result['language'])}; "
           f"{len(result['sentences'])} sentences in the source.")
if reference.strip():
    scores = rouge(result["text"], reference, result["language"])
    columns = st.columns(3)
    for column, (name, value) in zip(columns, scores.items()):
        column.metric(name.upper().replace("ROUGE", "ROUGE-"), f"{value:.1f}")
st.subheader("Source, with the sentences it drew on highlighted")
st.html(f"<div style='line-height:1.6'>{highlighted(result['sentences'], result['chosen'])}</div>")
