"""Extractive baselines: Lead-k, Lead-fraction and TextRank (Mihalcea & Tarau 2004).

Each returns the indices of the chosen sentences in document order, like the neural scorer.
"""

import math

import numpy as np

from gallery.preprocessing.text import trim, without_dateline
from gallery.summarization.rouge import UnicodeTokenizer

SUMMARY_PERCENT = 40  # summaries keep 40 % of the sentences (the BBC references' typical share)
HEADLINE_WORDS = 10


def summary_length(n_sentences, percent=SUMMARY_PERCENT):
    """Sentences in a summary: `percent` of the document rounded up (integer arithmetic, as in the graph)."""
    return max(1, (percent * n_sentences + 99) // 100)


def lead(sentences, k):
    return list(range(min(k, len(sentences))))


def similarity_matrix(sentences, language="en"):
    """TextRank's similarity: shared stemmed words over the sum of the log sentence lengths."""
    tokenizer = UnicodeTokenizer(language)
    bags = [set(tokenizer.tokenize(s)) for s in sentences]
    n = len(bags)
    similarity = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            norm = math.log(len(bags[i]) + 1) + math.log(len(bags[j]) + 1)
            similarity[i, j] = similarity[j, i] = len(bags[i] & bags[j]) / norm if norm else 0.0
    return similarity


def textrank_scores(sentences, language="en", damping=0.85, iterations=50):
    """PageRank over the sentence-similarity graph."""
    similarity = similarity_matrix(sentences, language)
    out_weight = similarity.sum(axis=1, keepdims=True)
    transition = np.divide(similarity, out_weight, out=np.zeros_like(similarity), where=out_weight > 0)
    scores = np.full(len(sentences), 1.0 / max(len(sentences), 1))
    for _ in range(iterations):
        scores = (1 - damping) / len(sentences) + damping * transition.T @ scores
    return scores


def top_k(scores, k):
    """Indices of the `k` highest scores, in document order (ties: earlier first)."""
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    return sorted(order[:k])


def textrank(sentences, k, language="en"):
    return top_k(textrank_scores(sentences, language), k)


def first_words(text, n=HEADLINE_WORDS):
    """The first `n` whitespace-separated words of `text` after any dateline (the lead headline baseline),
    `trim`med."""
    return trim(" ".join(without_dateline(text).split()[:n]))
