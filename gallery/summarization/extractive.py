"""A neural sentence scorer in the spirit of SummaRuNNer (Nallapati et al. 2017).

Each sentence is encoded from its subword embeddings (a convolution, then masked mean and max
pooling); a Transformer encoder over the sentences adds document context and position; a
dense layer scores every sentence. Trained with binary labels: a sentence is positive when it
appears in the (extractive) reference summary. A summary keeps the top-scored 40 % of the
sentences, in document order — the same budget as the Lead-40 % baseline.
"""

import keras
import numpy as np
from keras import layers, ops

from gallery.summarization.tokenizer import encode

MAX_SENTENCES = 64
MAX_WORDS = 48


@keras.saving.register_keras_serializable("gallery")
class SentencePooling(layers.Layer):
    """(B, S, W, C) token features + (B, S, W) ids → (B, S, 2C) masked mean and max per sentence."""

    def call(self, features, ids):
        mask = ops.expand_dims(ops.cast(ops.greater(ids, 0), features.dtype), -1)
        mean = ops.sum(features * mask, axis=2) / ops.maximum(ops.sum(mask, axis=2), 1.0)
        peak = ops.max(features * mask - (1.0 - mask) * 1e4, axis=2) * ops.minimum(ops.sum(mask, axis=2), 1.0)
        return ops.concatenate([mean, peak], axis=-1)


@keras.saving.register_keras_serializable("gallery")
class SentenceContext(layers.Layer):
    """Adds a learned position embedding, then one Transformer encoder block over the non-empty sentences."""

    def __init__(self, dim, heads=4, max_sentences=MAX_SENTENCES, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.dim, self.heads, self.max_sentences, self.dropout = dim, heads, max_sentences, dropout
        self.position = layers.Embedding(max_sentences, dim)
        self.attention = layers.MultiHeadAttention(heads, dim // heads, dropout=dropout)
        self.feed_forward = keras.Sequential([layers.Dense(2 * dim, activation="gelu"), layers.Dense(dim)])
        self.norm1, self.norm2 = layers.LayerNormalization(), layers.LayerNormalization()
        self.drop = layers.Dropout(dropout)

    def build(self, x_shape, ids_shape=None):
        shape = (None, None, self.dim)
        self.position.build((None,))
        self.attention.build(shape, shape)
        for layer in (self.feed_forward, self.norm1, self.norm2):
            layer.build(shape)

    def call(self, x, ids, training=None):
        sentence_mask = ops.any(ops.greater(ids, 0), axis=-1)
        x = x + self.position(ops.arange(ops.shape(x)[1]))
        pair_mask = ops.logical_and(ops.expand_dims(sentence_mask, 1), ops.expand_dims(sentence_mask, 2))
        x = self.norm1(x + self.attention(x, x, attention_mask=pair_mask, training=training))
        return self.norm2(x + self.drop(self.feed_forward(x), training=training))

    def get_config(self):
        return {**super().get_config(), "dim": self.dim, "heads": self.heads,
                "max_sentences": self.max_sentences, "dropout": self.dropout}


def build_scorer(vocab_size, dim=128, dropout=0.1):
    """Token ids (B, S, W) → one logit per sentence (B, S)."""
    ids = keras.Input((None, None), dtype="int32", name="sentence_ids")
    x = layers.Embedding(vocab_size, dim, name="embedding")(ids)
    x = layers.Conv2D(dim, (1, 3), padding="same", activation="relu", name="word_conv")(x)
    x = SentencePooling(name="pooling")(x, ids)
    x = layers.Dense(dim, activation="relu", name="sentence")(layers.Dropout(dropout)(x))
    x = SentenceContext(dim, dropout=dropout, name="context")(x, ids)
    logits = layers.Reshape((-1,), name="logits")(layers.Dense(1, name="score")(x))
    return keras.Model(ids, logits, name="sentence_scorer")


def document_ids(tokenizer, sentences):
    """(MAX_SENTENCES, MAX_WORDS) ids of a document's first sentences."""
    ids = np.zeros((MAX_SENTENCES, MAX_WORDS), np.int32)
    if sentences:
        kept = sentences[:MAX_SENTENCES]
        ids[:len(kept)] = encode(tokenizer, kept, MAX_WORDS)
    return ids


def sentence_labels(sentences, summary):
    """1.0 for each sentence found (whitespace-insensitively) in the reference summary."""
    reference = "".join(summary.split())
    labels = np.zeros(MAX_SENTENCES, np.float32)
    for i, sentence in enumerate(sentences[:MAX_SENTENCES]):
        labels[i] = float("".join(sentence.split()) in reference)
    return labels


def sentence_scores(model, tokenizer, sentences):
    """The model's logit for each sentence (sentences past MAX_SENTENCES get -inf)."""
    logits = np.asarray(model(document_ids(tokenizer, sentences)[None], training=False))[0]
    scores = np.full(len(sentences), -np.inf)
    scores[:min(len(sentences), MAX_SENTENCES)] = logits[:len(sentences)]
    return scores
