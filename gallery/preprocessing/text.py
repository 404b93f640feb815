"""Prepare user text for summarisation, the same way in Python and inside the SavedModel graph.

Cleaning and sentence splitting are lists of regular expressions written in the syntax that both
Python's `re` and TensorFlow's RE2 accept, applied in order by `clean_text`/`split_sentences`
here and by their graph twins in `gallery.summarization.export` (a parity test checks that both
give the same sentences). Rules: HTML tags dropped, common entities unescaped, whitespace
collapsed; a sentence ends at . ! ? … (plus closing quotes/brackets) followed by a space, or at a
line break, except after an abbreviation such as "Mr." or "т.е." or an initial. Chosen sentences
are joined again with the same notion of an ending (`joined_sentences`).
"""

import functools
import re
import unicodedata

from gallery.errors import TextError

MAX_CHARS = 200_000  # about 30,000 words, far longer than any article
SEPARATOR = "\x1e"  # ASCII record separator: marks sentence ends between the two passes
KEEP_CHARACTERS = "$€£%"  # kept at a word's or headline's ends; other non-alphanumeric edge characters are stripped
KEEP = "\x1f"  # stands for a dot that must not end a sentence

ENTITIES = (("&nbsp;", " "), ("&mdash;", "—"), ("&ndash;", "–"), ("&laquo;", "«"), ("&raquo;", "»"),
            ("&quot;", '"'), ("&#39;", "'"), ("&apos;", "'"), ("&hellip;", "…"), ("&lt;", "<"), ("&gt;", ">"),
            ("&amp;", "&"))
ABBREVIATIONS = ("mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "etc", "inc", "ltd", "co", "corp", "no",
                 "gen", "gov", "sen", "rep", "rev", "lt", "col", "sgt", "capt", "jan", "feb", "aug", "sept", "oct",
                 "nov", "dec", "т", "е", "д", "г", "гг", "им", "руб", "тыс", "млн", "млрд", "ул", "см", "стр", "др")
# Character classes spelled out, because `\w` and `\s` differ between Python (Unicode) and RE2 (ASCII).
LETTER = r"A-Za-z\x{c0}-\x{24f}\x{370}-\x{3ff}\x{400}-\x{4ff}"
SPACES = r"\t\f\v\r\x{a0}\x{2000}-\x{200a}\x{202f}\x{205f}\x{3000}"
_ABBREVIATION = (r"(?i)(^|[^0-9_" + LETTER + r"])(" + "|".join(ABBREVIATIONS) + r"|[" + LETTER + r"])\.([ \n])")

CLEANING_RULES = (
    (r"(?i)<br *\/?>|<\/(p|div|li|h[1-6])>", "\n"),
    (r"<[^>]*>", " "),
    *((entity, char) for entity, char in ENTITIES),
    (r"[\x{2028}\x{2029}]", "\n"),
    (r"[" + SPACES + r"]", " "),
    (r"[\x00-\x08\x0e-\x1f\x7f]", ""),
    (r" +", " "),
    (r" ?\n ?", "\n"),
    (r"\n\n+", "\n\n"),
    (r"^[ \n]+|[ \n]+$", ""),
)
_END = r"[.!?\x{2026}]+[\"'\x{bb}\x{201d}\x{2019})\]]*"  # what ends a sentence: . ! ? … and closing quotes
SENTENCE_RULES = (
    (_ABBREVIATION, "\\1\\2" + KEEP + "\\3"),
    (_ABBREVIATION, "\\1\\2" + KEEP + "\\3"),  # twice: matches do not overlap ("Mr. J. Smith")
    (r"(" + _END + r") +", "\\1" + SEPARATOR),
    (r" *\n[ \n]*", SEPARATOR),
    (KEEP, "."),
)
JOIN_RULES = ((r"(" + _END + r")\n", "\\1 "),)  # applied to sentences joined by line breaks
_MONTH = r"[" + LETTER + r"]{3,9}\.?"
_PLACE = r"[" + LETTER + r"][0-9_" + LETTER + r" .\-]{1,40}"
_CAPS_PLACE = r"[A-ZА-ЯЁ][A-ZА-ЯЁ .\-]{1,40}"  # LONDON, САНКТ-ПЕТЕРБУРГ, РИАМО
_RU_AGENCY = (r"(?:/ *(?:ТАСС|TASS) */|\((?:Интерфакс|Interfax|INTERFAX)[0-9_" + LETTER + r".\-]*\)|INTERFAX\.RU"
              r"|(?:ИА )?(?:REGNUM|Регнум|РЕГНУМ))")
DATELINE = r"^[ \n]*(?:" + "|".join([  # RE2 syntax, like the cleaning rules: `without_dateline` and its graph twin
    rf"{_PLACE}, \d{{1,2}} {_MONTH} *[—–-][ \n]+[^.\n]{{2,60}}?\.",  # москва, 1 дек — риа новости.
    rf"{_CAPS_PLACE}, \d{{1,2}} {_MONTH}, [^,.\n]{{2,30}}\.",  # ОМСК, 1 ноября, ФедералПресс.
    rf"{_CAPS_PLACE}, [^,.\n]{{2,30}}, \d{{1,2}} {_MONTH}",  # МОСКВА, ФедералПресс, 1 ноября.
    rf"{_CAPS_PLACE}(?:, [0-9_{LETTER} .]{{3,20}})? \([^()\n]{{2,40}}\) [—–-]+",  # LONDON, March 5 (Reuters) -
    rf"{_PLACE}[.,] \d{{1,2}} {_MONTH}(?: \d{{4}})?(?:,? \d{{1,2}}:\d{{2}})? *(?:[—–-] *)?{_RU_AGENCY}\.?"
    r"(?: *[—–-]+)?",  # МОСКВА, 14 марта. /ТАСС/. and Москва. 31 мая. INTERFAX.RU -
    rf"{_RU_AGENCY}\.? *[—–-]+",  # (Интерфакс) —
]) + r")[ \n]+"
_WORD = re.compile(r"\w+(?:[-'’]\w+)*")
_BINARY_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f]")



def python_pattern(pattern):
    """An RE2 pattern in Python `re` syntax (`\\x{hex}` → `\\uhhhh`)."""
    return re.sub(r"\\x\{([0-9a-f]+)\}", lambda m: "\\u" + m.group(1).rjust(4, "0"), pattern)


def _apply(rules, text):
    for pattern, replacement in rules:
        text = re.sub(python_pattern(pattern), replacement, text)
    return text


def decode_text(data):
    """Uploaded bytes → str; raises TextError for empty, binary, non-UTF-8 or oversized input."""
    if not data:
        raise TextError("The text is empty.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return checked_text(text)


def checked_text(text):
    """`text`, or a TextError that says why it cannot be summarised."""
    if _BINARY_CONTROL.search(text):
        raise TextError("This looks like a binary file, not text (it holds control characters). "
                        "Please use plain text.")
    if len(text) > MAX_CHARS:
        raise TextError(f"The text has {len(text):,} characters; the limit is {MAX_CHARS:,}. "
                        "Please summarise a shorter part.")
    if not words(text):
        raise TextError("The text is empty: there are no words to summarise.")
    return text


def clean_text(text):
    """Unicode NFC, HTML tags and entities removed, whitespace collapsed (paragraph breaks kept)."""
    return _apply(CLEANING_RULES, unicodedata.normalize("NFC", text))


def split_sentences(text):
    """The sentences of cleaned `text`, in order."""
    return [s.strip(" ") for s in _apply(SENTENCE_RULES, text).split(SEPARATOR) if s.strip(" ")]


def sentence_end():
    """The pattern (Python re, after `python_pattern`, and RE2) of end punctuation at the end of a string."""
    return _END + "$"


def ends_sentence(sentence):
    """Whether `sentence` ends as the splitting and joining rules see an ending (. ! ? … and closing quotes)."""
    return re.search(python_pattern(sentence_end()), sentence) is not None


def joined_sentences(sentences):
    """One text of `sentences`: they run on after a space, but one without end punctuation (a title) ends its line."""
    return _apply(JOIN_RULES, "\n".join(sentences))


def words(text):
    """Lower-cased words (Unicode letters and digits, keeping inner hyphens and apostrophes)."""
    return _WORD.findall(text.lower())


MODEL_LANGUAGES = {"en": "English", "ru": "Russian"}  # the languages the gallery has text models for
LANGUAGE_NAMES = {**MODEL_LANGUAGES, "uk": "Ukrainian", "be": "Belarusian", "bg": "Bulgarian", "sr": "Serbian",
                  "mk": "Macedonian", "kk": "Kazakh", "de": "German", "fr": "French", "es": "Spanish",
                  "it": "Italian", "pt": "Portuguese", "nl": "Dutch", "pl": "Polish", "cs": "Czech", "sv": "Swedish",
                  "da": "Danish", "no": "Norwegian", "fi": "Finnish", "tr": "Turkish", "ro": "Romanian",
                  "hu": "Hungarian"}
CONFIDENT = 0.99  # langid's probability above which a language other than the script's default is believed
MIN_WORDS = 8  # fewer words than this are too few to tell languages of one script apart


@functools.lru_cache(maxsize=1)
def _identifier():
    from langid.langid import LanguageIdentifier, model

    return LanguageIdentifier.from_modelstring(model, norm_probs=True)


def script_language(text):
    """"ru" when Cyrillic letters outnumber Latin ones, else "en": enough for a corpus known to be one of them."""
    cyrillic = len(re.findall(r"[\u0400-\u04ff]", text))
    latin = len(re.findall(r"[A-Za-z]", text))
    return "ru" if cyrillic > latin else "en"


def language_of(text):
    """The ISO 639-1 code of a user's `text`: `script_language`, unless langid (Lui & Baldwin 2012) is
    confident that a text of at least `MIN_WORDS` words is in another language ("uk", "de", …)."""
    default = script_language(text)
    if len(text.split()) < MIN_WORDS:
        return default
    language, probability = _identifier().classify(text[:5000])
    return language if probability >= CONFIDENT and language != default else default


def language_name(code):
    return LANGUAGE_NAMES.get(code, code)


def without_dateline(text):
    """`text` without a news-agency dateline at its start ("москва, 1 дек — риа новости. ", "LONDON, March 5
    (Reuters) - "), which a Lead headline would otherwise spend its words on."""
    return re.sub(python_pattern(DATELINE), "", text, count=1)


def trim(text):
    """`text` without non-alphanumeric characters at its ends (except KEEP_CHARACTERS)."""
    keep = lambda c: c.isalnum() or c in KEEP_CHARACTERS  # noqa: E731
    start, end = 0, len(text)
    while start < end and not keep(text[start]):
        start += 1
    while end > start and not keep(text[end - 1]):
        end -= 1
    return text[start:end]
