"""Compressive headlines: a neural tagger picks the article's headline words (after Filippova et al. 2015).

Every subword of the article's first MAX_SOURCE tokens is scored from its embedding, its
position and how often it occurs in that text (a log count computed in the graph), with two
Transformer encoder blocks for context. Training labels a subword 1 when its word (stemmed) is
in the reference title. A headline is the best distinct words (a word scores as its best subword,
plus LEAD_BONUS if it is first seen among the opening LEAD_WORDS words, plus PRIOR_WEIGHT times its
title prior), in the order they first appear, written as in the source. It has as many words as
maximise the expected ROUGE-1 F1 against a TITLE_WORDS-word title, 2·Σp / (k + TITLE_WORDS), where
a word's probability of being in the title is sigmoid(score + CALIBRATION).

A word's title prior says how much likelier than the average word it was to be in a training
article's title when it was in the article (log odds; the counts are written at training time to
TITLE_WORDS_FILE beside the model).
"""

import collections
import functools
import re
from pathlib import Path

import keras
import numpy as np
from keras import layers, ops

from gallery.preprocessing.text import trim
from gallery.summarization.extractive import SentenceContext
from gallery.summarization.rouge import UnicodeTokenizer
from gallery.summarization.tokenizer import word_starts

MAX_SOURCE = 192
LEAD_WORDS, LEAD_BONUS = 20, 1.0  # news puts the headline's words up front (both chosen on the validation split)
TITLE_WORDS = 5  # the median training title (BBC: mean 5.2 words)
CALIBRATION = -1.25  # the tagger is over-confident on unseen articles: the log-loss optimum on the validation split
PRIOR_WEIGHT, PRIOR_SMOOTHING = 0.15, 5.0  # chosen on the validation split (taggers trained on the training split)
TITLE_WORDS_FILE = "title_words.tsv"  # word key, training articles holding it, how many of their titles hold it too
SAME_WORD_ENDING = "(?:['’]s|s)$"  # "Pernod's", "Pernods" and "Pernod" count as one word (Python re and RE2)


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
    index = word_index(tokenizer, ids)
    data = text.encode("utf-8")
    words = []
    for w in range(index[-1] + 1 if len(ids) else 0):
        members = np.flatnonzero(index == w)
        words.append(trim(data[begins[members[0]]:ends[members[-1]]].decode("utf-8", errors="ignore")))
    return index, words


def word_key(word):
    """What makes two words the same: lower case, without a possessive 's or a plural s."""
    return re.sub(SAME_WORD_ENDING, "", word.lower())


def token_labels(tokenizer, text, title, language):
    """(ids, labels) for one article: 1 for subwords of words in the title, 0 otherwise."""
    ids, begins, ends = pieces(tokenizer, text)
    stemmer = UnicodeTokenizer(language)
    wanted = set(stemmer.tokenize(title))
    index, words = source_words(tokenizer, text, ids, begins, ends)
    hits = np.array([bool(wanted & set(stemmer.tokenize(word))) for word in words], np.float32)
    return ids, hits[index] if len(ids) else np.zeros(0, np.float32)


def expected_best_count(scores):
    """How many of the words with these descending `scores` maximise the expected ROUGE-1 F1."""
    if not len(scores):
        return 0
    probabilities = 1 / (1 + np.exp(-(np.asarray(scores) + CALIBRATION)))
    return int(np.argmax(2 * np.cumsum(probabilities) / (np.arange(1, len(scores) + 1) + TITLE_WORDS))) + 1


def title_word_counts(tokenizer, documents):
    """{word key: [articles holding the word among their first MAX_SOURCE subwords, those whose title holds it]}."""
    counts = collections.defaultdict(lambda: [0, 0])
    for document in documents:
        _, words = source_words(tokenizer, document.text, *pieces(tokenizer, document.text))
        title = {word_key(trim(word)) for word in document.title.split()}
        for key in {word_key(word) for word in words} - {""}:
            counts[key][0] += 1
            counts[key][1] += key in title
    return counts


def write_title_words(path, counts):
    rows = (f"{key}\t{articles}\t{titles}\n" for key, (articles, titles) in sorted(counts.items()))
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


def headline(tokenizer, text, tokens, logits, words=None, prior=None):
    """The `words` (default: `expected_best_count`) best-scored distinct words of `text`, by the `logits`
    of its `pieces`, the lead bonus and the `title_prior`, in first-appearance order."""
    ids = tokens[0]
    index, source = source_words(tokenizer, text, *tokens)
    best = {}  # word key → [first position, best score, word as first written]
    for w, word in enumerate(source):
        if word:
            entry = best.setdefault(word_key(word), [w, -np.inf, word])
            entry[1] = max(entry[1], float(np.max(logits[:len(ids)][index == w])))
    prior = prior or {}
    scored = [[position, score + LEAD_BONUS * (position < LEAD_WORDS) + PRIOR_WEIGHT * prior.get(key, 0.0), word]
              for key, (position, score, word) in best.items()]
    ranked = sorted(scored, key=lambda e: (-e[1], e[0]))
    chosen = ranked[:words or expected_best_count([score for _, score, _ in ranked])]
    return " ".join(surface for _, _, surface in sorted(chosen))


def headline_of(model, tokenizer, text, prior=None):
    """The tagger's headline for one cleaned article."""
    tokens = pieces(tokenizer, text)
    logits = np.asarray(model(tokens[0][None], training=False))[0] if len(tokens[0]) else np.zeros(0)
    return headline(tokenizer, text, tokens, logits, prior=prior)
