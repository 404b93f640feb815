"""ROUGE-1/2/L F1 with a Unicode tokenizer, so that Russian (and any script) is scored.

rouge-score's default tokenizer keeps only [a-z0-9] and so scores Cyrillic text 0; here words
are Unicode letters and digits, lower-cased, optionally Snowball-stemmed per language.
"""

import functools

import numpy as np
import snowballstemmer
from rouge_score import rouge_scorer, tokenizers

from gallery.preprocessing.text import words

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")
STEMMERS = {"en": "english", "ru": "russian"}


class UnicodeTokenizer(tokenizers.Tokenizer):
    """Lower-cased Unicode words, stemmed with the Snowball stemmer of `language` when `stem`."""

    def __init__(self, language="en", stem=True):
        self.stemmer = snowballstemmer.stemmer(STEMMERS[language]) if stem and language in STEMMERS else None

    def tokenize(self, text):
        tokens = words(text)
        return self.stemmer.stemWords(tokens) if self.stemmer else tokens


@functools.lru_cache(maxsize=8)
def scorer(language="en", stem=True):
    return rouge_scorer.RougeScorer(list(ROUGE_TYPES), tokenizer=UnicodeTokenizer(language, stem))


def rouge(prediction, reference, language="en", stem=True):
    """{"rouge1": F1, "rouge2": F1, "rougeL": F1} in percent."""
    scores = scorer(language, stem).score(reference, prediction)
    return {name: 100 * scores[name].fmeasure for name in ROUGE_TYPES}


def mean_rouge(predictions, references, languages, stem=True):
    """ROUGE F1 averaged over documents, in percent."""
    rows = [rouge(p, r, lang, stem) for p, r, lang in zip(predictions, references, languages)]
    return {name: float(np.mean([row[name] for row in rows])) if rows else 0.0 for name in ROUGE_TYPES}
