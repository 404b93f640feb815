"""A neural sentence scorer in the spirit of SummaRuNNer (Nallapati et al. 2017).

Each sentence is encoded from its subword embeddings (a convolution, then masked mean and max
pooling) and its salience: its TextRank-style centrality in the document, computed inside the
model from the words it shares with the other sentences. A Transformer encoder over the sentences
adds document context and position; a dense layer scores every sentence. Trained with binary labels: a sentence is positive when it
appears in the (extractive) reference summary. A summary keeps the top-scored 40 % of the
sentences, in document order — the same budget as the Lead-40 % baseline.
"""

import keras
import numpy as np
from keras import layers, ops

from gallery.summarization.tokenizer import encode, word_starts

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


@keras.saving.register_keras_serializable("gallery")
class SentenceCentrality(layers.Layer):
    """(B, S, W) ids → (B, S, 1): each sentence's summed similarity to the others, over the document's mean.

    Similarity is TextRank's (Mihalcea & Tarau 2004): words in common over the sum of the log sentence
    lengths, a word being the first subword of a word (`word_pieces`, a non-trainable weight set from
    the tokenizer). The summed similarity (degree) ranks sentences as TextRank's PageRank does here.
    """

    def __init__(self, vocab_size, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size = vocab_size

    def build(self, ids_shape):
        self.counted = self.add_weight(shape=(self.vocab_size,), initializer="zeros", trainable=False,
                                       name="counted")

    def call(self, ids):
        batch, sentences, words = ops.shape(ids)
        position = ops.arange(batch * sentences * words)
        indices = ops.stack([position // (sentences * words), position // words % sentences,
                             ops.reshape(ids, (-1,))], axis=1)
        counts = ops.scatter(indices, ops.reshape(ops.take(self.counted, ids), (-1,)),
                             (batch, sentences, self.vocab_size))
        bags = ops.minimum(counts, 1.0)
        log_size = ops.log(ops.sum(bags, axis=-1) + 1.0)
        shared = ops.einsum("bsv,btv->bst", bags, bags) * (1.0 - ops.eye(sentences))
        norm = ops.expand_dims(log_size, 2) + ops.expand_dims(log_size, 1)
        degree = ops.sum(shared / ops.maximum(norm, 1e-6), axis=-1)
        real = ops.cast(ops.any(ops.greater(ids, 0), axis=-1), degree.dtype)
        mean = ops.sum(degree * real, axis=-1, keepdims=True) / ops.maximum(ops.sum(real, axis=-1, keepdims=True), 1.0)
        return ops.expand_dims(degree / ops.maximum(mean, 1e-6), -1)

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size}


def word_pieces(tokenizer):
    """Per vocabulary id, 1.0 for the first subword of a word (a '▁' piece with more after the '▁'): the
    words of `SentenceCentrality`."""
    longer = np.array([len(tokenizer.id_to_piece(i)) > 1 for i in range(tokenizer.vocab_size())])
    return (word_starts(tokenizer) & longer).astype("float32")


def build_scorer(vocab_size, dim=128, dropout=0.1, counted=None):
    """Token ids (B, S, W) → one logit per sentence (B, S); `counted`: `word_pieces` of the tokenizer."""
    ids = keras.Input((None, None), dtype="int32", name="sentence_ids")
    centrality = SentenceCentrality(vocab_size, name="centrality")(ids)
    x = layers.Embedding(vocab_size, dim, name="embedding")(ids)
    x = layers.Conv2D(dim, (1, 3), padding="same", activation="relu", name="word_conv")(x)
    x = SentencePooling(name="pooling")(x, ids)
    x = layers.Concatenate(name="with_centrality")([layers.Dropout(dropout)(x), centrality])
    x = layers.Dense(dim, activation="relu", name="sentence")(x)
    x = SentenceContext(dim, dropout=dropout, name="context")(x, ids)
    x = layers.Concatenate(name="context_and_centrality")([x, centrality])
    logits = layers.Reshape((-1,), name="logits")(layers.Dense(1, name="score")(x))
    model = keras.Model(ids, logits, name="sentence_scorer")
    if counted is not None:
        model.get_layer("centrality").counted.assign(counted)
    return model


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
