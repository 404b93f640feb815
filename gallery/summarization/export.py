"""Export a summarisation model as a TensorFlow SavedModel that takes raw text and returns text.

`serving_default`: `text` tf.string[N] → `summary` (or `headline`) tf.string[N]. Inside the graph:
the cleaning and sentence rules of `gallery.preprocessing.text` (the same regular expressions,
run by TensorFlow's RE2), the sentencepiece tokenizer (`tensorflow_text`, same model file) and,
for headlines, the same `keras.ops` beam search as the Python path, or the compressive tagger's
word selection written again in TensorFlow ops. Needs the TensorFlow backend.
"""

from pathlib import Path

import keras
import tensorflow as tf
import tensorflow_text as tf_text

from gallery.preprocessing.text import (
    CLEANING_RULES,
    JOIN_RULES,
    KEEP_CHARACTERS,
    SENTENCE_RULES,
    SEPARATOR,
)
from gallery.summarization import abstractive, compressive, extractive
from gallery.summarization.baselines import SUMMARY_PERCENT
from gallery.summarization.predict import load_model
from gallery.summarization.tokenizer import EOS, PAD, TOKENIZER_FILE, word_starts


def _apply(rules, text):
    for pattern, replacement in rules:
        text = tf.strings.regex_replace(text, pattern, replacement)
    return text


def clean_text_tf(text):
    """Graph twin of `gallery.preprocessing.text.clean_text`."""
    return _apply(CLEANING_RULES, tf_text.normalize_utf8(text, "NFC"))


def split_sentences_tf(text):
    """Graph twin of `split_sentences`: the sentences of one cleaned text, a 1-D string tensor."""
    pieces = tf.strings.split(_apply(SENTENCE_RULES, text), SEPARATOR)
    pieces = tf.strings.regex_replace(pieces, "^ +| +$", "")
    return tf.boolean_mask(pieces, tf.strings.length(pieces) > 0)


def joined_sentences_tf(sentences):
    """Graph twin of `joined_sentences`: a 1-D string tensor of sentences as one text."""
    return _apply(JOIN_RULES, tf.strings.reduce_join(sentences, separator="\n"))


def summary_tf(model, tokenizer, text):
    sentences = split_sentences_tf(clean_text_tf(text))
    count = tf.size(sentences)
    kept = sentences[:extractive.MAX_SENTENCES]
    ids = tokenizer.tokenize(kept)[:, :extractive.MAX_WORDS].to_tensor(
        shape=[extractive.MAX_SENTENCES, extractive.MAX_WORDS])
    logits = model(tf.cast(ids, tf.int32)[None], training=False)[0][:tf.size(kept)]
    scores = tf.concat([logits, tf.fill([count - tf.size(kept)], float("-inf"))], axis=0)
    k = tf.maximum(1, (SUMMARY_PERCENT * count + 99) // 100)
    chosen = tf.sort(tf.math.top_k(scores, k=tf.minimum(k, count)).indices)
    return joined_sentences_tf(tf.gather(sentences, chosen))


def headline_tf(model, tokenizer, text):
    source = tokenizer.tokenize(clean_text_tf(text)[None])[:, :abstractive.MAX_SOURCE].to_tensor(
        shape=[1, abstractive.MAX_SOURCE])
    ids = abstractive.generate(model.get_layer("copy_transformer"), tf.cast(source, tf.int32))[0]
    stops = tf.cumsum(tf.cast((ids == EOS) | (ids == PAD), tf.int32))
    return tokenizer.detokenize(tf.boolean_mask(ids, stops == 0)[None])[0]


def trim_tf(words):
    """Graph twin of `gallery.preprocessing.text.trim`."""
    edge = f"[^\\pL\\pN{KEEP_CHARACTERS}]+"
    return tf.strings.regex_replace(words, f"^{edge}|{edge}$", "")


def expected_best_count_tf(scores):
    """Graph twin of `compressive.expected_best_count`."""
    probabilities = tf.sigmoid(scores + compressive.CALIBRATION)
    counts = tf.range(1, tf.size(scores) + 1, dtype=tf.float32)
    expected_f1 = 2 * tf.cumsum(probabilities) / (counts + compressive.TITLE_WORDS)
    best = tf.cast(tf.argmax(tf.concat([expected_f1, [0.0]], 0)), tf.int32) + 1  # the 0.0 keeps argmax defined
    return tf.cast(tf.size(scores) > 0, tf.int32) * best


def title_prior_table(model_dir):
    """`compressive.title_prior` as a TensorFlow lookup table (0 for unknown words), or None without one."""
    prior = compressive.title_prior(str(model_dir))
    if not prior:
        return None
    initializer = tf.lookup.KeyValueTensorInitializer(tf.constant(list(prior), tf.string),
                                                      tf.constant(list(prior.values()), tf.float32))
    return tf.lookup.StaticHashTable(initializer, default_value=0.0)


def compressive_headline_tf(model, tokenizer, starts, prior, text):
    """Graph twin of `compressive.headline_of`: the best distinct words, in first-appearance order."""
    text = clean_text_tf(text)
    ids, begins, ends = (t[:compressive.MAX_SOURCE] for t in tokenizer.tokenize_with_offsets(text))
    ids = tf.cast(ids, tf.int32)
    logits = model(ids[None], training=False)[0]
    index = tf.maximum(tf.cumsum(tf.cast(tf.gather(starts, ids), tf.int32)) - 1, 0)
    count = tf.cast(tf.size(ids) > 0, tf.int32) * (tf.reduce_max(tf.concat([index, [0]], 0)) + 1)
    positions = tf.range(tf.size(ids))
    first = tf.math.unsorted_segment_min(positions, index, count)
    last = tf.math.unsorted_segment_max(positions, index, count)
    begin = tf.cast(tf.gather(begins, first), tf.int32)
    words = trim_tf(tf.strings.substr(text, begin, tf.cast(tf.gather(ends, last), tf.int32) - begin, unit="BYTE"))
    scores = tf.math.unsorted_segment_max(logits, index, count)
    kept = tf.strings.length(words) > 0
    words, scores = tf.boolean_mask(words, kept), tf.boolean_mask(scores, kept)
    position = tf.boolean_mask(tf.range(count), kept)  # of each kept word among all words
    keys, key_index = tf.unique(tf.strings.regex_replace(tf.strings.lower(words, encoding="utf-8"),
                                                         compressive.SAME_WORD_ENDING, ""))
    distinct = tf.size(keys)
    key_first = tf.math.unsorted_segment_min(tf.range(tf.size(words)), key_index, distinct)
    lead = tf.cast(tf.gather(position, key_first) < compressive.LEAD_WORDS, tf.float32)
    key_scores = tf.math.unsorted_segment_max(scores, key_index, distinct) + compressive.LEAD_BONUS * lead
    if prior is not None:
        key_scores += compressive.PRIOR_WEIGHT * prior.lookup(keys)
    ranked, best = tf.math.top_k(key_scores, k=distinct)
    best = best[:expected_best_count_tf(ranked)]
    return tf.strings.reduce_join(tf.gather(words, tf.sort(tf.gather(key_first, best))), separator=" ")


def output_name(card):
    """The SavedModel's output key for a model card: "summary" or "headline"."""
    return "headline" if card.get("kind") == "headline" else "summary"


def export_saved_model(model_dir, out):
    """Write the SavedModel to `out`; returns its path."""
    if keras.backend.backend() != "tensorflow":
        raise RuntimeError("Export needs KERAS_BACKEND=tensorflow.")
    model_dir = Path(model_dir)
    model, sentencepiece, card = load_model(str(model_dir))
    tokenizer = tf_text.SentencepieceTokenizer(model=(model_dir / TOKENIZER_FILE).read_bytes())
    one = headline_tf if output_name(card) == "headline" else summary_tf
    prior = None
    if model.name == "headline_tagger":
        starts = tf.constant(word_starts(sentencepiece))
        prior = title_prior_table(model_dir)
        one = lambda model, tokenizer, text: compressive_headline_tf(model, tokenizer, starts, prior, text)  # noqa: E731

    def serve(text):
        results = tf.map_fn(lambda t: one(model, tokenizer, t), text, fn_output_signature=tf.string)
        return {output_name(card): results}

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.track(tokenizer)
    if prior is not None:
        archive.track(prior)
    archive.add_endpoint("serving_default", serve, input_signature=[tf.TensorSpec([None], tf.string, name="text")])
    archive.write_out(str(out), verbose=False)
    return Path(out)
