"""Summaries and headlines of raw text: one path for the CLI, the app and evaluation.

`summarize` cleans and splits the text (`gallery.preprocessing.text`), then picks sentences
(summary) or writes a headline with the chosen method, and says which source sentences the
result drew on: the chosen ones for extractive summaries, the fewest that hold a headline's words.
"""

import functools
from pathlib import Path

import numpy as np

from gallery import cards, training
from gallery.errors import UserError
from gallery.preprocessing.text import (
    MODEL_LANGUAGES,
    checked_text,
    clean_text,
    joined_sentences,
    language_name,
    language_of,
    split_sentences,
    words,
)
from gallery.summarization import abstractive, baselines, compressive, extractive
from gallery.summarization.config import METHODS, demo_note
from gallery.summarization.tokenizer import (
    TOKENIZER_FILE,
    decode,
    encode,
    load_tokenizer,
)

DEFAULT_MODELS = {("summary", "neural", "en"): "summarization/bbc_summary",  # under the models folder
                  ("headline", "neural", "en"): "summarization/bbc_headline_compressive",
                  ("headline", "abstractive", "en"): "summarization/bbc_headline",
                  ("headline", "neural", "ru"): "summarization/ru_news_headline_compressive"}
BASELINE_METHODS = {"summary": "textrank", "headline": "lead"}  # the better baseline of each kind on BBC
BASELINE_NAMES = {"lead": "Lead", "textrank": "TextRank"}


def shipped_folder(kind, language, method="neural"):
    """The shipped model folder for `kind`, `method` and `language`, or None when there is none."""
    relative = DEFAULT_MODELS.get((kind, method, language))
    folder = cards.models_root() / relative if relative else None
    return folder if folder is not None and (folder / "model.keras").exists() else None


def detected_language(text):
    """The language `summarize` finds in raw `text`: that of the cleaned text (HTML tags do not count)."""
    return language_of(clean_text(text))


def available_methods(kind, language):
    """The methods of `kind` that exist for `language`: the baselines, and the neural ones with a shipped model."""
    return tuple(method for method in METHODS[kind]
                 if method in BASELINE_METHODS.values() or shipped_folder(kind, language, method))


def language_note(kind, language, method):
    """What to tell a user whose text is in a language the gallery has no model for; None otherwise."""
    if language in MODEL_LANGUAGES:
        return None
    return (f"This text looks {language_name(language)}; the gallery's models know English and Russian only, so "
            f"this {kind} comes from the {BASELINE_NAMES[method]} baseline, which works in any language.")


def default_method(kind, language):
    """"neural" where a neural model of `kind` for `language` is shipped, else the better baseline."""
    return "neural" if shipped_folder(kind, language) else BASELINE_METHODS[kind]


def default_model(kind, language, method="neural"):
    """The shipped model folder for `kind`, `method` and `language`; a UserError when there is none."""
    folder = shipped_folder(kind, language, method)
    if folder is None:
        raise UserError(f"No neural {kind} model for {language!r} text is shipped; use --method textrank or lead, "
                        f"or train one (python -m gallery train summarization --kind {kind} ...).")
    return folder


@functools.lru_cache(maxsize=4)
def load_model(model_dir):
    """(Keras model, sentencepiece tokenizer, card) of a model folder."""
    folder = Path(model_dir)
    return training.load_model(folder, "summarization"), load_tokenizer(str(folder / TOKENIZER_FILE)), cards.load_card(folder)


@functools.lru_cache(maxsize=4)
def compiled_search(model):
    """The beam search for `model`, compiled into a graph on TensorFlow (ten times faster), else eager."""
    import keras

    core = model.get_layer("copy_transformer")
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.function(lambda source: abstractive.generate(core, source))
    return lambda source: abstractive.generate(core, source)


def model_folder(kind, language, model_dir, method="neural"):
    """`model_dir`, or the shipped model folder for `kind`, `method` and `language`, as a string."""
    return str(model_dir or default_model(kind, language, method))


def model_for(kind, language, model_dir, method="neural"):
    """(model, tokenizer) of `model_folder`."""
    model, tokenizer, _ = load_model(model_folder(kind, language, model_dir, method))
    return model, tokenizer


def headline_ids(model, tokenizer, text):
    """Beam-search output ids for one cleaned article."""
    source = encode(tokenizer, [text], abstractive.MAX_SOURCE)
    return np.asarray(compiled_search(model)(source))[0]


def supporting_sentences(sentences, headline, language, limit=2):
    """Indices, in document order, of at most `limit` sentences that cover a headline's (stemmed) words:
    each in turn the one adding the most words not yet covered (ties: the earlier)."""
    from gallery.summarization.rouge import UnicodeTokenizer

    tokenizer = UnicodeTokenizer(language)
    missing = set(tokenizer.tokenize(headline))
    vocabularies = [set(tokenizer.tokenize(s)) for s in sentences]
    chosen = []
    for _ in range(limit):
        gains = [len(missing & vocabulary) for vocabulary in vocabularies]
        best = int(np.argmax(gains))
        if not gains[best]:
            break
        chosen.append(best)
        missing -= vocabularies[best]
    return sorted(chosen)


def choose(sentences, text, kind, method, language, model_dir):
    """(result text, chosen sentence indices, whether an unreadable model headline gave way to Lead's) for one
    document."""
    if kind == "summary":
        k = baselines.summary_length(len(sentences))
        if method == "lead":
            chosen = baselines.lead(sentences, k)
        elif method == "textrank":
            chosen = baselines.textrank(sentences, k, language)
        else:
            chosen = baselines.top_k(extractive.sentence_scores(*model_for(kind, language, model_dir), sentences), k)
        return joined_sentences([sentences[i] for i in chosen]), chosen, False
    fell_back = False
    if method == "lead":
        headline = baselines.first_words(text)
    elif method == "textrank":
        headline = baselines.first_words(sentences[baselines.textrank(sentences, 1, language)[0]])
    else:
        folder = model_folder(kind, language, model_dir, method)
        model, tokenizer, card = load_model(folder)
        if model.name == "headline_tagger":
            headline = compressive.headline_of(model, tokenizer, text, compressive.title_prior(folder),
                                               compressive.decoding_of(card), compressive.model_language(card))
        else:  # the copy Transformer writes freely: what is not a readable headline gives way to Lead's
            headline = decode(tokenizer, headline_ids(model, tokenizer, text))
            if not compressive.readable(headline, compressive.model_language(card)):
                headline, fell_back = baselines.first_words(text), True
    return headline, supporting_sentences(sentences, headline, language), fell_back


def summarize(text, kind="summary", method=None, model_dir=None, language=None):
    """Summary or headline of raw `text` with the sentences it drew on, by `method` (default: `default_method`
    for the text's language); raises TextError/UserError. "note" warns of a model too small to be useful."""
    if kind not in ("summary", "headline"):
        raise UserError(f"Unknown mode {kind!r}; choose summary or headline.")
    if method is not None and method not in METHODS[kind]:
        raise UserError(f"Unknown {kind} method {method!r}; choose {', '.join(METHODS[kind])}.")
    cleaned = clean_text(checked_text(text))
    sentences = split_sentences(cleaned)
    if not words(cleaned) or not sentences:
        raise UserError("The text has no sentences to summarise.")
    language = language or language_of(cleaned)
    method = method or default_method(kind, language)
    result, chosen, fell_back = choose(sentences, cleaned, kind, method, language, model_dir)
    note = language_note(kind, language, method)
    if method in ("neural", "abstractive"):
        note = demo_note(load_model(model_folder(kind, language, model_dir, method))[2])
    if fell_back:
        note = ((note + " ") if note else "") + (
            "The copy Transformer's headline was not a readable one (4–12 words, none repeated, not ending on a "
            "function word, in the article's language), so this is Lead's.")
    return {"kind": kind, "method": method, "language": language, "text": result,
            "sentences": sentences, "chosen": chosen, "note": note}
