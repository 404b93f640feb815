"""A Transformer encoder–decoder with a copy mechanism (pointer-generator, See et al. 2017) for headlines.

The decoder's next-token distribution mixes generating from the (tied) subword vocabulary with
copying a source token, weighted by the last cross-attention layer: p = g·P_vocab + (1−g)·P_copy.
`generate` is a beam search written in `keras.ops` with fixed shapes, so the same function runs
eagerly (CLI, app) and inside the exported SavedModel graph: length penalty ((5+|y|)/6)^α
(Wu et al. 2016) and no repeated n-grams.
"""

import keras
import numpy as np
from keras import layers, ops

from gallery.summarization.tokenizer import BOS, EOS, PAD

MAX_SOURCE = 192
MAX_TARGET = 24
NEG = -1e9


@keras.saving.register_keras_serializable("gallery")
class CopyTransformer(layers.Layer):
    """(source ids (B, Ls), decoder input ids (B, Lt)) → next-token probabilities (B, Lt, V)."""

    def __init__(self, vocab_size, dim=128, heads=4, layers_per_side=2, max_len=MAX_SOURCE, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.config = dict(vocab_size=vocab_size, dim=dim, heads=heads, layers_per_side=layers_per_side,
                           max_len=max_len, dropout=dropout)
        self.vocab_size, self.dim = vocab_size, dim
        self.embedding = layers.Embedding(vocab_size, dim)
        self.position = layers.Embedding(max_len, dim)
        self.drop = layers.Dropout(dropout)
        attention = lambda: layers.MultiHeadAttention(heads, dim // heads, dropout=dropout)  # noqa: E731
        feed_forward = lambda: keras.Sequential([layers.Dense(4 * dim, activation="gelu"), layers.Dense(dim)])  # noqa: E731
        norm = layers.LayerNormalization
        self.encoder = [(attention(), norm(), feed_forward(), norm()) for _ in range(layers_per_side)]
        self.decoder = [(attention(), norm(), attention(), norm(), feed_forward(), norm())
                        for _ in range(layers_per_side)]
        self.gate = layers.Dense(1, activation="sigmoid")

    def build(self, source_shape, target_shape=None):
        shape = (None, None, self.dim)
        self.embedding.build((None, None))
        self.position.build((None,))
        for attend, *others in self.encoder + self.decoder:
            attend.build(shape, shape)
            for layer in others:
                layer.build(shape, shape) if isinstance(layer, layers.MultiHeadAttention) else layer.build(shape)
        self.gate.build((None, None, 2 * self.dim))

    def embed(self, ids, training=None):
        positions = self.position(ops.arange(ops.shape(ids)[1]))
        return self.drop(self.embedding(ids) * self.dim ** 0.5 + positions, training=training)

    def encode(self, source, training=None):
        mask = ops.not_equal(source, PAD)
        pair = ops.logical_and(ops.expand_dims(mask, 1), ops.expand_dims(mask, 2))
        x = self.embed(source, training)
        for attend, norm1, feed, norm2 in self.encoder:
            x = norm1(x + attend(x, x, attention_mask=pair, training=training))
            x = norm2(x + self.drop(feed(x), training=training))
        return x

    def decode(self, encoded, source, target, training=None):
        source_mask = ops.expand_dims(ops.not_equal(source, PAD), 1)
        cross_mask = ops.repeat(source_mask, ops.shape(target)[1], axis=1)
        x = self.embed(target, training)
        for self_attend, norm1, cross_attend, norm2, feed, norm3 in self.decoder:
            x = norm1(x + self_attend(x, x, use_causal_mask=True, training=training))
            context, scores = cross_attend(x, encoded, attention_mask=cross_mask, return_attention_scores=True,
                                           training=training)
            x = norm2(x + context)
            x = norm3(x + self.drop(feed(x), training=training))
        vocab = ops.softmax(ops.matmul(x, ops.transpose(self.embedding.embeddings)), axis=-1)
        attention = ops.mean(scores, axis=1)  # (B, Lt, Ls), averaged over heads
        copy = ops.matmul(attention, ops.one_hot(source, self.vocab_size, dtype=attention.dtype))
        gate = self.gate(ops.concatenate([x, context], axis=-1))
        return gate * vocab + (1.0 - gate) * copy

    def call(self, source, target, training=None):
        return self.decode(self.encode(source, training), source, target, training)

    def get_config(self):
        return {**super().get_config(), **self.config}


def build_headline_model(vocab_size, **kwargs):
    source = keras.Input((None,), dtype="int32", name="source_ids")
    target = keras.Input((None,), dtype="int32", name="target_ids")
    probabilities = CopyTransformer(vocab_size, name="copy_transformer", **kwargs)(source, target)
    return keras.Model([source, target], probabilities, name="headline_generator")


def teacher_forcing(target_ids):
    """Decoder inputs for target ids (start id, then the targets shifted right)."""
    start = np.full((len(target_ids), 1), BOS, np.int32)
    return np.concatenate([start, target_ids[:, :-1]], axis=1)


def with_end(target_ids):
    """Append the end id after each target sequence (cutting the last token when full)."""
    out = np.array(target_ids, np.int32)
    lengths = np.minimum((out != PAD).sum(axis=1), out.shape[1] - 1)
    out[np.arange(len(out)), lengths] = EOS
    return out


def repeated_ngram_mask(tokens, step, vocab_size, n):
    """(B·K, V) True where emitting a token at `step` would repeat an n-gram already in `tokens`."""
    width = ops.shape(tokens)[1] - n + 1
    match = ops.less(ops.arange(width) + n - 1, step)[None, :]
    for offset in range(n - 1):
        previous = ops.take(tokens, step - (n - 1) + offset, axis=1)
        match = ops.logical_and(match, ops.equal(tokens[:, offset:offset + width], previous[:, None]))
    following = tokens[:, n - 1:n - 1 + width]
    hits = ops.one_hot(following, vocab_size) * ops.cast(match, "float32")[..., None]
    return ops.greater(ops.sum(hits, axis=1), 0.0)


def generate(core, source, beam=4, max_len=MAX_TARGET, alpha=0.6, block_ngram=3):
    """Beam search: the best (B, max_len) id sequences (without the start id) for source ids (B, Ls)."""
    batch, vocab = ops.shape(source)[0], core.vocab_size
    encoded = ops.repeat(core.encode(source), beam, axis=0)
    source = ops.repeat(source, beam, axis=0)
    positions = ops.arange(max_len + 1)
    tokens = ops.zeros((batch * beam, max_len + 1), "int32") + ops.cast(ops.equal(positions, 0), "int32") * BOS
    scores = ops.tile(ops.concatenate([ops.zeros((1,)), ops.full((beam - 1,), NEG)]), (batch,))
    finished = ops.zeros((batch * beam,), "bool")
    lengths = ops.zeros((batch * beam,), "float32")

    def step(t, state):
        tokens, scores, finished, lengths = state
        probabilities = core.decode(encoded, source, tokens[:, :-1])
        log_p = ops.log(ops.take(probabilities, t - 1, axis=1) + 1e-9)
        if block_ngram:
            log_p = ops.where(repeated_ngram_mask(tokens, t, vocab, block_ngram), NEG, log_p)
        log_p = ops.where(ops.equal(ops.arange(vocab), PAD)[None, :], NEG, log_p)
        stay = ops.where(ops.equal(ops.arange(vocab), PAD)[None, :], 0.0, NEG)
        log_p = ops.where(finished[:, None], stay, log_p)
        total = ops.reshape(scores[:, None] + log_p, (batch, beam * vocab))
        scores, best = ops.top_k(total, beam)
        origin = ops.reshape(best // vocab + ops.arange(batch)[:, None] * beam, (-1,))
        chosen = ops.reshape(best % vocab, (-1,))
        was_finished = ops.take(finished, origin, axis=0)
        here = ops.cast(ops.equal(positions, t), "int32")[None, :]
        tokens = ops.take(tokens, origin, axis=0) * (1 - here) + chosen[:, None] * here
        lengths = ops.take(lengths, origin, axis=0) + ops.cast(ops.logical_not(was_finished), "float32")
        finished = ops.logical_or(was_finished, ops.equal(chosen, EOS))
        return tokens, ops.reshape(scores, (-1,)), finished, lengths

    tokens, scores, finished, lengths = ops.fori_loop(1, max_len + 1, step, (tokens, scores, finished, lengths))
    penalty = ((5.0 + lengths) / 6.0) ** alpha
    normalised = ops.where(finished, scores / penalty, scores / penalty + NEG / 2)
    best = ops.argmax(ops.reshape(normalised, (batch, beam)), axis=1) + ops.arange(batch) * beam
    return ops.take(tokens, best, axis=0)[:, 1:]
