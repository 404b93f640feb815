"""Text cleaning and sentence splitting (English and Russian), and the rejection of unusable text."""

import pytest

from gallery.preprocessing.text import (
    MAX_CHARS,
    TextError,
    checked_text,
    clean_text,
    decode_text,
    joined_sentences,
    split_sentences,
    without_dateline,
)

TRICKY = [
    'Mr. J. Smith met Dr. Who at 5 p.m. in the U.S. yesterday. Then "he left." What next?! Nothing…',
    "Т.е. всё было решено. Он сказал: «да!» И ушёл. В 2004 г. цена выросла на 5,5 млн руб. в год.",
    "<p><strong>москва, 1 дек&nbsp;&mdash; риа новости.</strong> около 60 тысяч литров</p><p>второй абзац</p>",
    "Headline without a full stop\n\nFirst sentence here. Second\u2003one here.\u2028Third line",
]


def test_english_sentences_respect_abbreviations_and_quotes():
    assert split_sentences(clean_text(TRICKY[0])) == [
        "Mr. J. Smith met Dr. Who at 5 p.m. in the U.S. yesterday.", 'Then "he left."', "What next?!", "Nothing…"]


def test_russian_sentences_respect_abbreviations_and_guillemets():
    assert split_sentences(clean_text(TRICKY[1])) == [
        "Т.е. всё было решено.", "Он сказал: «да!»", "И ушёл.", "В 2004 г. цена выросла на 5,5 млн руб. в год."]


def test_html_is_cleaned_and_paragraphs_end_sentences():
    assert split_sentences(clean_text(TRICKY[2])) == [
        "москва, 1 дек — риа новости.", "около 60 тысяч литров", "второй абзац"]
    assert split_sentences(clean_text(TRICKY[3])) == [
        "Headline without a full stop", "First sentence here.", "Second one here.", "Third line"]


def test_chosen_sentences_run_on_but_a_title_keeps_its_line():
    sentences = split_sentences(clean_text(TRICKY[3]))
    assert joined_sentences(sentences) == "Headline without a full stop\nFirst sentence here. Second one here. Third line"
    assert joined_sentences(split_sentences(clean_text(TRICKY[0]))) == clean_text(TRICKY[0])


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"   \n\t ", "no words"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "binary"),
    (b"word " * (MAX_CHARS // 5 + 10), "limit"),
])
def test_unusable_text_is_rejected_with_a_reason(data, message):
    with pytest.raises(TextError, match=message):
        decode_text(data)


def test_legacy_encodings_and_bom_are_read():
    assert decode_text("café au lait".encode("cp1252")) == "café au lait"
    assert decode_text("\ufeffПривет, мир".encode("utf-8")) == "Привет, мир"
    assert checked_text("ok") == "ok"


def test_graph_twins_split_exactly_like_python(shared_data):
    from gallery.summarization.data import load_documents
    from gallery.summarization.export import (
        clean_text_tf,
        joined_sentences_tf,
        split_sentences_tf,
    )

    bbc = load_documents("bbc", shared_data / "bbc_news_summary.tar.gz", "test", limit=25)
    ria = load_documents("ria", shared_data / "ria_20.jsonl", "train")
    raw = TRICKY + [open(shared_data / "ria_20.jsonl", encoding="utf-8").readline()]
    for text in raw + [d.text for d in bbc + ria]:
        cleaned = clean_text(text)
        assert clean_text_tf(text).numpy().decode() == cleaned
        assert [s.decode() for s in split_sentences_tf(cleaned).numpy()] == split_sentences(cleaned)
        assert joined_sentences_tf(split_sentences_tf(cleaned)).numpy().decode() == joined_sentences(
            split_sentences(cleaned))


def test_datelines_are_dropped_only_at_the_start_of_agency_copy():
    for text in ("москва, 1 дек — риа новости. Пожар локализован.", "москва, 1 дек- риа новости. Пожар локализован.",
                 "магас, 1 дек — риа новости, адам буражев. Пожар локализован.",
                 "LONDON, March 5 (Reuters) - Пожар локализован.", "WASHINGTON (AP) — Пожар локализован.",
                 "МОСКВА, 14 марта. /ТАСС/. Пожар локализован.", "МОСКВА, 1 дек — РИА Новости. Пожар локализован.",
                 "МОСКВА, 14 марта. (Интерфакс) - Пожар локализован.", "(Интерфакс) — Пожар локализован.",
                 "Москва, 14 марта 2024, 10:15 — ИА REGNUM. Пожар локализован.",
                 "ИА Регнум — Пожар локализован.", "САНКТ-ПЕТЕРБУРГ, 3 апреля /ТАСС/ - Пожар локализован.",
                 "ОМСК, 1 ноября, ФедералПресс. Пожар локализован.", "МОСКВА, ФедералПресс, 1 ноября. Пожар локализован.",
                 "РИАМО (КРАСНОГОРСК) – Пожар локализован.", "ТОМСК, 8 ноя – РИА Томск, Мария Масляева . Пожар локализован.",
                 "Москва. 31 мая. INTERFAX.RU - Пожар локализован.", "Москва. 6 июня. INTERFAX.RU – Пожар локализован."):
        assert without_dateline(text) == "Пожар локализован."
    for text in ("Apple has unveiled a new, low-cost Macintosh computer. It is cheap.",
                 "Paris, France, is a city. It rains.", "Пожар локализован. Москва, 1 дек — риа новости.",
                 "Интерфакс сообщил о пожаре. Он локализован.", "ТАСС/ пишет. Пожар локализован.",
                 "Силы специальных операций (ССО) — элита армии.", "Безлюдная Пикадилли-сёркус (Piccadilly Circus) — вид."):
        assert without_dateline(text) == text
