"""Compressive headlines: a neural tagger scores the article's words, and the headline is the best phrase.

Every subword of the article's first MAX_SOURCE tokens (after any dateline) is scored from its
embedding, its position and how often it occurs in that text (a log count computed in the graph),
with two Transformer encoder blocks for context. Training labels a subword 1 when its word
(stemmed) is in the reference title (after Filippova et al. 2015). A word scores as its best
subword, plus `lead_bonus` among the opening `lead_words` words, plus `prior_weight` times its
title prior; its probability of being in the title is sigmoid(score + `calibration`).

The headline is one contiguous phrase of a sentence, so that it reads as written: of the phrases
that start among the first MAX_START words, hold MIN_WORDS–MAX_WORDS words (articles and, in
English, the auxiliaries of perfect, passive and progressive forms dropped, as headlines do),
repeat no word, do not start with a conjunction or end on a function word, it is the one with the
highest expected ROUGE-1 F1 against a `title_words`-word title, 2·Σp / (k + title_words). With no
such phrase, the headline is Lead's. The decoding settings are per model (`Decoding`, in the card;
chosen on the validation split).

A word's title prior says how much likelier than the average word it was to be in a training
article's title when it was in the article (log odds; the counts are written at training time to
TITLE_WORDS_FILE beside the model).
"""

import collections
import dataclasses
import functools
import re
from pathlib import Path

import keras
import numpy as np
from keras import layers, ops

from gallery.preprocessing.text import (
    ABBREVIATIONS,
    python_pattern,
    script_language,
    sentence_end,
    trim,
    without_dateline,
)
from gallery.summarization.extractive import SentenceContext
from gallery.summarization.rouge import UnicodeTokenizer
from gallery.summarization.tokenizer import word_starts


def word_list_pattern(words):
    """A regular expression (Python re and RE2) that matches exactly one of `words`."""
    return "(?:" + "|".join(re.escape(w) for w in words) + ")"


MAX_SOURCE = 192
MIN_WORDS, MAX_WORDS = 4, 12  # a headline's words
MAX_START = 60  # a headline starts among the opening words
PRIOR_SMOOTHING = 5.0
PRIOR_MIN_ARTICLES = 2  # a word of one training article gets no prior (keeps the Russian table at 1.1 MB, not 2.5)
TITLE_WORDS_FILE = "title_words.tsv"  # word key, training articles holding it, how many of their titles hold it too
SAME_WORD_ENDING = "(?:['’]s|s)$"  # "Pernod's", "Pernods" and "Pernod" count as one word (Python re and RE2)
DROPPED = {"en": ("the", "a", "an")}  # headline style
PREPOSITIONS = {"en": ("of", "in", "on", "at", "to", "for", "with", "by", "from", "into", "over", "about", "after",
                       "before", "under", "between", "against", "among", "through", "during", "without", "within"),
                "ru": ("в", "во", "на", "с", "со", "к", "ко", "по", "о", "об", "обо", "от", "до", "из", "за", "для",
                       "без", "у", "при", "про", "через", "над", "под", "перед", "между")}  # start only a sentence
AUXILIARIES = ("is", "are", "was", "were", "be", "been", "being", "has", "have", "had", "will", "would", "can",
               "could", "may", "might")  # English: a headline neither starts (its subject cut off) nor ends on one
NO_START = {"en": ("and", "or", "but", "nor", "which", "who", "whom", "whose", "that", "while", "as", "of", "to",
                   "than", "because", "although", "if", "do", "does", "did", "should", "must") + AUXILIARIES,
            "ru": ("и", "а", "но", "или", "что", "чтобы", "как", "который", "которая", "которое", "которые",
                   "которых", "которым", "потому", "хотя", "если", "ли", "же")}
NO_END = {"en": PREPOSITIONS["en"] + ("a", "an", "the", "and", "or", "but", "as", "that", "than", "its", "their", "his", "her",
                 "our", "my", "your", "who", "which", "while", "this", "these", "those", "not", "no",
                 "so", "if", "up", "off", "also", "said", "says", "very", "more", "most", "such", "s", "above", "below",
                 "across",
                 "behind", "beyond", "since", "until", "via", "per", "amid", "despite", "toward", "towards",
                 "around", "near", "first", "last", "next", "than", "then", "it", "they", "we", "he",
                 "she", "new", "former", "other", "own", "several", "many", "some", "few", "each", "every", "any",
                 "both") + AUXILIARIES,
          "ru": PREPOSITIONS["ru"] + ("и", "а", "но", "или", "что",
                 "чтобы", "как", "не", "ни", "же", "ли", "бы", "который", "которая", "которое", "которые",
                 "которых", "его", "ее", "её", "их", "это", "этот", "эта", "эти", "также", "уже", "был", "была",
                 "было", "были", "будет", "является", "более", "менее", "самый", "очень", "после", "среди",
                 "около", "вокруг", "против", "вместо", "кроме", "ради", "благодаря", "согласно", "вслед", "он",
                 "она", "они", "мы", "свой", "своей", "своих", "сам", "самой", "том", "тем", "той", "то", "так",
                 "этом", "этой", "какой", "какие", "каких", "каким", "чего", "чем", "кто", "где", "когда", "куда",
                 "почему", "зачем", "сколько", "все", "всё", "всех", "весь", "вся", "всего", "тех", "того", "такой",
                 "такие", "таких")}
NO_END_ENDINGS = {"en": "['’]s",  # possessives and Russian adjectives: their noun follows
                  "ru": "ого|его|ому|ему|ыми|ими|ую|юю|ых|их|ск(?:ий|ая|ое|ие|им|ом|ой)"}
NO_END_AFTER = {"en": ("to",)}  # "to offer": a verb that wants its object
NUMERAL, LOWER_CASE, NAME = "[0-9][0-9.,]*", "[a-z].*", "[A-Z].*"  # word classes of `numeral_cuts`
HAVE, BE = ("has", "have", "had"), ("is", "are", "was", "were")  # English auxiliaries a headline leaves out
PARTICIPLE = "[a-z]{3,}ed"  # or one of IRREGULAR_PARTICIPLES (Python re and RE2)
IRREGULAR_PARTICIPLES = ("made", "said", "won", "taken", "given", "seen", "shown", "become", "begun", "lost", "found",
                         "told", "left", "held", "brought", "bought", "paid", "sold", "hit", "set", "put", "cut", "run",
                         "come", "gone", "done", "got", "kept", "led", "met", "built", "sent", "spent", "thought",
                         "struck", "fallen", "risen", "grown", "known", "drawn", "written", "chosen", "driven",
                         "broken", "spoken", "stolen", "beaten", "hurt", "quit", "shut", "spread", "split", "let",
                         "sought", "taught", "caught", "fought", "felt", "heard", "meant", "read", "overtaken",
                         "withdrawn", "thrown", "blown", "flown", "proven", "sworn", "torn", "forgotten", "hidden")
PROGRESSIVE = "[a-z]{2,}ing"  # but not NOT_PROGRESSIVE
NOT_PROGRESSIVE = ("thing", "nothing", "something", "anything", "everything", "during")
SUBJECT_WORDS = ("i", "you", "he", "she", "it", "we", "they", "there", "this", "that", "who", "which", "what",
                 "where", "when", "why", "how")  # "They are to discuss" keeps its "are"
_ABBREVIATION = re.compile(python_pattern(word_list_pattern(ABBREVIATIONS)), re.IGNORECASE)
_SENTENCE_END = re.compile(python_pattern(sentence_end()))
_NO_END_ENDING = {language: re.compile(f"(?:{endings})$") for language, endings in NO_END_ENDINGS.items()}



@dataclasses.dataclass
class Decoding:
    """How a model's word scores become a headline (defaults: chosen for BBC on its validation split)."""

    title_words: int = 5  # the median training title
    calibration: float = -1.25  # the tagger is over-confident on unseen articles: the log-loss optimum
    lead_words: int = 20  # news puts the headline's words up front
    lead_bonus: float = 1.0
    prior_weight: float = 0.15


def model_language(card):
    """The language a summarisation model was trained on (cards before it was recorded: English)."""
    return card.get("language", "en")


def decoding_of(card):
    """The `Decoding` of a model card (defaults where the card has none)."""
    return Decoding(**card.get("decoding", {}))


@keras.saving.register_keras_serializable("gallery")
class TokenCounts(layers.Layer):
    """(B, L) ids → (B, L, 1) log(1 + occurrences of the same id in the row), padding excluded."""

    def call(self, ids):
        same = ops.logical_and(ops.equal(ops.expand_dims(ids, 2), ops.expand_dims(ids, 1)),
                               ops.expand_dims(ops.greater(ids, 0), 1))
        return ops.expand_dims(ops.log1p(ops.sum(ops.cast(same, "float32"), axis=-1)), -1)

    def compute_output_shape(self, input_shape):
        return (*input_shape, 1)


def build_tagger(vocab_size, dim=64, blocks=2, dropout=0.1, members=1, name="headline_tagger"):
    """Token ids (B, L) → one logit per token (B, L).

    With `members` > 1: that many taggers, each from its own random start, side by side; their logits are
    stacked (B, members, L) so that each learns from its own loss, and `mean_of_members` averages them.
    """
    ids = keras.Input((None,), dtype="int32", name="source_ids")
    if members > 1:
        taggers = [build_tagger(vocab_size, dim, blocks, dropout, name=f"member{m}") for m in range(members)]
        stacked = layers.Concatenate(axis=1, name="stacked")([layers.Reshape((1, -1))(t(ids)) for t in taggers])
        return keras.Model(ids, stacked, name="headline_tagger_members")
    x = layers.Embedding(vocab_size, dim, name="embedding")(ids)
    x = layers.Add(name="with_counts")([x, layers.Dense(dim, name="counts")(TokenCounts(name="count")(ids))])
    x = layers.Dropout(dropout)(x)
    token_ids = layers.Reshape((-1, 1), name="as_sentences")(ids)  # SentenceContext masks rows of all-zero ids
    for block in range(blocks):
        x = SentenceContext(dim, max_sentences=MAX_SOURCE, dropout=dropout, name=f"context{block}")(x, token_ids)
    logits = layers.Reshape((-1,), name="logits")(layers.Dense(1, name="score")(x))
    return keras.Model(ids, logits, name=name)


def mean_of_members(model):
    """The tagger to use: a `build_tagger(members > 1)` model's members averaged (their mean logit per token),
    or `model` itself when it has one member."""
    if model.name != "headline_tagger_members":
        return model
    ids = keras.Input((None,), dtype="int32", name="source_ids")
    taggers = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    return keras.Model(ids, layers.Average(name="mean_logit")([t(ids) for t in taggers]), name="headline_tagger")


def pieces(tokenizer, text):
    """(ids, byte begin, byte end) of the first MAX_SOURCE subwords of `text`."""
    proto = tokenizer.encode(text, return_type="proto").pieces[:MAX_SOURCE]
    return (np.array([p.id for p in proto], np.int32), np.array([p.begin for p in proto]),
            np.array([p.end for p in proto]))


def word_index(tokenizer, ids):
    """The word each subword belongs to (0-based; a new word at every '▁' piece)."""
    return np.maximum(np.cumsum(word_starts(tokenizer)[ids]) - 1, 0)


def source_words(tokenizer, text, ids, begins, ends):
    """(word of each subword, each word as written in `text`, trimmed) of the subwords."""
    index, raw = written_words(tokenizer, text, ids, begins, ends)
    return index, [trim(word) for word in raw]


def written_words(tokenizer, text, ids, begins, ends):
    """(word of each subword, each word as written: its punctuation, and the spaces before it)."""
    index = word_index(tokenizer, ids)
    data = text.encode("utf-8")
    raw = []
    for w in range(index[-1] + 1 if len(ids) else 0):
        members = np.flatnonzero(index == w)
        raw.append(data[begins[members[0]]:ends[members[-1]]].decode("utf-8", errors="ignore"))
    return index, raw


def word_key(word):
    """What makes two words the same: lower case, without a possessive 's or a plural s."""
    return re.sub(SAME_WORD_ENDING, "", word.lower())


def token_labels(tokenizer, text, title, language):
    """(ids, labels) for one article (without its dateline): 1 for subwords of words in the title, 0 otherwise."""
    text = without_dateline(text)
    ids, begins, ends = pieces(tokenizer, text)
    stemmer = UnicodeTokenizer(language)
    wanted = set(stemmer.tokenize(title))
    index, words = source_words(tokenizer, text, ids, begins, ends)
    hits = np.array([bool(wanted & set(stemmer.tokenize(word))) for word in words], np.float32)
    return ids, hits[index] if len(ids) else np.zeros(0, np.float32)


def title_word_counts(tokenizer, documents):
    """{word key: [articles holding the word among their first MAX_SOURCE subwords, those whose title holds it]}."""
    counts = collections.defaultdict(lambda: [0, 0])
    for document in documents:
        text = without_dateline(document.text)
        _, words = source_words(tokenizer, text, *pieces(tokenizer, text))
        title = {word_key(trim(word)) for word in document.title.split()}
        for key in {word_key(word) for word in words} - {""}:
            counts[key][0] += 1
            counts[key][1] += key in title
    return counts


def write_title_words(path, counts):
    """The counts of words in at least PRIOR_MIN_ARTICLES training articles (rarer ones barely move the prior)."""
    rows = (f"{key}\t{articles}\t{titles}\n" for key, (articles, titles) in sorted(counts.items())
            if articles >= PRIOR_MIN_ARTICLES)
    path.write_text("".join(rows), encoding="utf-8")


def log_odds(p):
    return np.log(p / (1 - p))


@functools.lru_cache(maxsize=4)
def title_prior(model_dir):
    """{word key: log odds that a title holds the word when its article does, minus that of any word} from the
    TITLE_WORDS_FILE in `model_dir` (smoothed towards 0 by PRIOR_SMOOTHING articles); {} without the file."""
    path = Path(model_dir) / TITLE_WORDS_FILE
    if not path.exists():
        return {}
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()]
    articles, titles = (np.array([int(row[i]) for row in rows], np.float64) for i in (1, 2))
    base = titles.sum() / articles.sum()
    prior = log_odds((titles + PRIOR_SMOOTHING * base) / (articles + PRIOR_SMOOTHING)) - log_odds(base)
    return dict(zip((row[0] for row in rows), prior.tolist()))


def sentence_ends(raw, trimmed):
    """Whether a sentence ends after each word: end punctuation not after an abbreviation or initial, or a line
    break before the next word."""
    n = len(raw)
    return np.array([(w + 1 < n and raw[w + 1].lstrip(" ").startswith("\n"))
                     or (_SENTENCE_END.search(raw[w]) is not None and len(trimmed[w]) > 1
                         and not _ABBREVIATION.fullmatch(trimmed[w])) for w in range(n)], bool)


def previous_same(keys):
    """For each word, the position of the last earlier word with the same key, or −1."""
    keys = np.asarray(keys, object)
    earlier = (keys[:, None] == keys[None, :]) & np.tri(len(keys), k=-1, dtype=bool).T
    return np.where(earlier, np.arange(len(keys))[:, None], -1).max(axis=0, initial=-1)


def following(x):
    """x of each word's next word (numpy; False after the last): the shift `auxiliary_drops` and `numeral_cuts` take."""
    return np.append(x[1:], False)[:len(x)]


def preceding(x):
    """x of each word's previous word (numpy; False before the first)."""
    return np.insert(x[:-1], 0, False)[:len(x)]


def full_matches(words, pattern):
    """Whether each word matches `pattern` whole (Python re; the graph uses RE2 on the same pattern)."""
    return np.array([re.fullmatch(pattern, word) is not None for word in words], bool)


def numeral_cuts(numeral, lower_case, name, following, preceding):
    """Which English words a phrase may not end on, from per-word classes (numpy or tf alike, as in
    `auxiliary_drops`): a numeral before a lower-case word, its noun ("build 40 new lanes"), unless a name comes
    before it ("Sony's PlayStation 3 console")."""
    return numeral & following(lower_case) & ~preceding(name)


def auxiliary_drops(have, been, be, participle, progressive, to, subject, following, preceding):
    """Which English auxiliaries a headline leaves out, from per-word classes (numpy arrays or tf tensors alike;
    `following(x)` is x of the next word, `preceding(x)` of the one before, False past either end): the "has" of
    a perfect ("has filed" → "filed"), "has been" before a participle or -ing form ("has been branded" →
    "branded"), and "is/are/was/were" before one or before "to" ("is to buy" → "to buy"), unless a pronoun
    precedes it."""
    verb = participle | progressive
    return ((have & (following(participle) | (following(been) & following(following(verb)))))
            | (been & preceding(have) & following(verb))
            | (be & ~preceding(subject) & (following(verb) | following(to))))


def dropped_words(lower, language):
    """Which of the lower-cased words a headline leaves out: articles, and English `auxiliary_drops`."""
    dropped = np.isin(lower, DROPPED.get(language, ()))
    if language != "en":
        return dropped
    one_of = lambda listed: np.isin(lower, listed)  # noqa: E731
    return dropped | auxiliary_drops(
        one_of(HAVE), one_of(["been"]), one_of(BE),
        full_matches(lower, PARTICIPLE) | one_of(IRREGULAR_PARTICIPLES),
        full_matches(lower, PROGRESSIVE) & ~one_of(NOT_PROGRESSIVE), one_of(["to"]), one_of(SUBJECT_WORDS),
        following, preceding)


def phrase_table(probabilities, valid_words, kept, may_start, may_end, sentence_ends, previous, title_words):
    """(expected F1 (S, MAX_WORDS) of the phrase starting at word s with l + 1 words, or −inf where not a
    headline; its last word's index), for per-word arrays of length n (numpy; `export` has its twin)."""
    n = len(probabilities)
    starts = np.arange(min(n, MAX_START))[:, None]
    last = starts + np.arange(MAX_WORDS)[None, :]
    inside = last < n
    last = np.minimum(last, n - 1)
    count = np.cumsum(kept[last], axis=1)
    ok = (inside & (np.maximum.accumulate(previous[last], axis=1) < starts)
          & (np.cumsum(sentence_ends[last], axis=1) - sentence_ends[last] == 0)
          & (np.cumsum(~valid_words[last], axis=1) == 0) & may_end[last] & may_start[starts]
          & (count >= MIN_WORDS) & (count <= MAX_WORDS))
    value = 2 * np.cumsum(np.where(kept[last], probabilities[last], 0.0), axis=1) / (count + title_words)
    return np.where(ok, value, -np.inf), last


def best_phrase(value, last):
    """(first word, last word) of the best phrase (ties: the earliest start, then the shortest), or None."""
    flat = value.ravel()
    if not len(flat) or not np.isfinite(flat.max()):
        return None
    best = int(np.flatnonzero(flat == flat.max())[0])
    return best // MAX_WORDS, int(last.ravel()[best])


def readable(headline, language):
    """Whether a written headline is one a person would print: MIN_WORDS–MAX_WORDS words, none repeated, not ending
    on a function word, in `language`'s script."""
    words = [word for word in (trim(w) for w in headline.split()) if word]
    keys = [word_key(word) for word in words]
    return (MIN_WORDS <= len(words) <= MAX_WORDS and len(set(keys)) == len(keys)
            and words[-1].lower() not in NO_END.get(language, ()) and script_language(headline) == language)


def capitalised(text):
    return text[:1].upper() + text[1:]


def headline(tokenizer, text, tokens, logits, prior=None, decoding=None, language="en"):
    """The best phrase of dateline-free `text` by the `logits` of its `pieces`, the lead bonus and the
    `title_prior`, with its first letter capitalised; Lead's headline when there is none."""
    from gallery.summarization.baselines import first_words

    decoding, prior = decoding or Decoding(), prior or {}
    index, raw = written_words(tokenizer, text, *tokens)
    words = [trim(word) for word in raw]
    keys = [word_key(word) for word in words]
    lower = [word.lower() for word in words]
    logits = np.asarray(logits)[:len(tokens[0])]
    scores = np.array([logits[index == w].max() for w in range(len(words))]) if words else np.zeros(0)
    scores = (scores + decoding.lead_bonus * (np.arange(len(words)) < decoding.lead_words)
              + decoding.prior_weight * np.array([prior.get(key, 0.0) for key in keys]))
    probabilities = 1 / (1 + np.exp(-(scores + decoding.calibration)))
    kept = ~dropped_words(lower, language)
    may_start = ~np.isin(lower, NO_START.get(language, ()))
    may_end = ~np.isin(lower, NO_END.get(language, ()))
    if language in _NO_END_ENDING:
        may_end &= np.array([_NO_END_ENDING[language].search(word) is None for word in lower], bool)
    may_end &= ~preceding(np.isin(lower, NO_END_AFTER.get(language, ())))
    if language == "en":
        may_end &= ~numeral_cuts(full_matches(words, NUMERAL), full_matches(words, LOWER_CASE),
                                 full_matches(words, NAME), following, preceding)
    ends = sentence_ends(raw, words)
    sentence_start = np.concatenate([[True], ends[:-1]])[:len(words)]
    may_start &= sentence_start | (np.concatenate([[True], may_end[:-1]])[:len(words)]  # not cut from what it needs
                                   & ~np.isin(lower, PREPOSITIONS.get(language, ())))
    value, last = phrase_table(probabilities, np.array([bool(w) for w in words], bool), kept, may_start, may_end,
                               ends, previous_same(keys), decoding.title_words)
    span = best_phrase(value, last)
    if span is None:
        return first_words(text)
    return capitalised(" ".join(words[w] for w in range(span[0], span[1] + 1) if kept[w]))


def read(model, tokenizer, text):
    """(the cleaned article without its dateline, its `pieces`, the tagger's logits): what `headline` takes."""
    text = without_dateline(text)
    tokens = pieces(tokenizer, text)
    logits = np.asarray(model(tokens[0][None], training=False))[0] if len(tokens[0]) else np.zeros(0)
    return text, tokens, logits


def headline_of(model, tokenizer, text, prior=None, decoding=None, language="en"):
    """The tagger's headline for one cleaned article (its dateline is not read)."""
    return headline(tokenizer, *read(model, tokenizer, text), prior, decoding, language)
