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
    ABBREVIATIONS,
    CLEANING_RULES,
    DATELINE,
    JOIN_RULES,
    KEEP_CHARACTERS,
    SENTENCE_RULES,
    SEPARATOR,
    sentence_end,
)
from gallery.summarization import abstractive, compressive, extractive
from gallery.summarization.baselines import HEADLINE_WORDS, SUMMARY_PERCENT
from gallery.summarization.predict import load_model
from gallery.summarization.tokenizer import EOS, PAD, TOKENIZER_FILE, word_starts


def _apply(rules, text):
    for pattern, replacement in rules:
        text = tf.strings.regex_replace(text, pattern, replacement)
    return text


def clean_text_tf(text):
    """Graph twin of `gallery.preprocessing.text.clean_text`."""
    return _apply(CLEANING_RULES, tf_text.normalize_utf8(text, "NFC"))


def without_dateline_tf(text):
    """Graph twin of `gallery.preprocessing.text.without_dateline`."""
    return tf.strings.regex_replace(text, DATELINE, "", replace_global=False)


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


def headline_tf(model, tokenizer, language, text):
    """Graph twin of the copy Transformer's path in `predict.choose`: its headline, or Lead's if not `readable`."""
    cleaned = clean_text_tf(text)
    source = tokenizer.tokenize(cleaned[None])[:, :abstractive.MAX_SOURCE].to_tensor(shape=[1, abstractive.MAX_SOURCE])
    ids = abstractive.generate(model.get_layer("copy_transformer"), tf.cast(source, tf.int32))[0]
    stops = tf.cumsum(tf.cast((ids == EOS) | (ids == PAD), tf.int32))
    headline = tokenizer.detokenize(tf.boolean_mask(ids, stops == 0)[None])[0]
    return tf.cond(readable_tf(headline, language), lambda: headline,
                   lambda: first_words_tf(without_dateline_tf(cleaned)))


def readable_tf(headline, language):
    """Graph twin of `compressive.readable`."""
    words = trim_tf(tf.strings.split(headline))
    words = tf.boolean_mask(words, tf.strings.length(words) > 0)
    lower = tf.strings.lower(words, encoding="utf-8")
    keys = tf.strings.regex_replace(lower, compressive.SAME_WORD_ENDING, "")
    count = tf.size(words)
    letters = lambda kept: tf.strings.length(tf.strings.regex_replace(headline, f"[^{kept}]", ""),  # noqa: E731
                                             unit="UTF8_CHAR")
    russian = letters("\\x{400}-\\x{4ff}") > letters("A-Za-z")
    return ((count >= compressive.MIN_WORDS) & (count <= compressive.MAX_WORDS) & (tf.size(tf.unique(keys).y) == count)
            & ~tf.reduce_any(is_one_of(lower[-1:], compressive.NO_END.get(language, ())))
            & (russian if language == "ru" else ~russian))


def trim_tf(words):
    """Graph twin of `gallery.preprocessing.text.trim`."""
    edge = f"[^\\pL\\pN{KEEP_CHARACTERS}]+"
    return tf.strings.regex_replace(words, f"^{edge}|{edge}$", "")


def title_prior_table(model_dir):
    """`compressive.title_prior` as a TensorFlow lookup table (0 for unknown words), or None without one."""
    prior = compressive.title_prior(str(model_dir))
    if not prior:
        return None
    initializer = tf.lookup.KeyValueTensorInitializer(tf.constant(list(prior), tf.string),
                                                      tf.constant(list(prior.values()), tf.float32))
    return tf.lookup.StaticHashTable(initializer, default_value=0.0)


def first_words_tf(text):
    """Graph twin of `baselines.first_words` on dateline-free text."""
    return trim_tf(tf.strings.reduce_join(tf.strings.split(text)[:HEADLINE_WORDS], separator=" "))


def capitalised_tf(text):
    """Graph twin of `compressive.capitalised`."""
    length = tf.strings.length(text, unit="UTF8_CHAR")
    return tf.strings.join([tf.strings.upper(tf.strings.substr(text, 0, tf.minimum(1, length), unit="UTF8_CHAR"),
                                             encoding="utf-8"),
                            tf.strings.substr(text, tf.minimum(1, length), length, unit="UTF8_CHAR")])


def is_one_of(words, listed):
    return tf.strings.regex_full_match(words, compressive.word_list_pattern(listed)) if listed else tf.zeros_like(
        words, tf.bool)


def following_tf(x):
    """Graph twin of `compressive.following`."""
    return tf.concat([x[1:], tf.zeros([1], tf.bool)], 0)[:tf.size(x)]


def preceding_tf(x):
    """Graph twin of `compressive.preceding`."""
    return tf.concat([tf.zeros([1], tf.bool), x[:-1]], 0)[:tf.size(x)]


def dropped_words_tf(lower, language):
    """Graph twin of `compressive.dropped_words`."""
    dropped = is_one_of(lower, compressive.DROPPED.get(language, ()))
    if language != "en":
        return dropped
    matches = lambda pattern: tf.strings.regex_full_match(lower, pattern)  # noqa: E731
    return dropped | compressive.auxiliary_drops(
        is_one_of(lower, compressive.HAVE), matches("been"), is_one_of(lower, compressive.BE),
        matches(compressive.PARTICIPLE) | is_one_of(lower, compressive.IRREGULAR_PARTICIPLES),
        matches(compressive.PROGRESSIVE) & ~is_one_of(lower, compressive.NOT_PROGRESSIVE), matches("to"),
        is_one_of(lower, compressive.SUBJECT_WORDS), following_tf, preceding_tf)


def phrase_table_tf(probabilities, valid_words, kept, may_start, may_end, sentence_ends, previous, title_words):
    """Graph twin of `compressive.phrase_table`."""
    n = tf.size(probabilities)
    starts = tf.range(tf.minimum(n, compressive.MAX_START))[:, None]
    last = starts + tf.range(compressive.MAX_WORDS)[None, :]
    inside = last < n
    last = tf.minimum(last, n - 1)
    at = lambda values: tf.gather(values, last)  # noqa: E731
    count = tf.cumsum(tf.cast(at(kept), tf.int32), axis=1)
    ends = tf.cast(at(sentence_ends), tf.int32)
    up_to = tf.range(compressive.MAX_WORDS)[:, None] <= tf.range(compressive.MAX_WORDS)[None, :]
    running_previous = tf.reduce_max(tf.where(up_to[None], at(previous)[:, :, None], -1), axis=1)
    ok = (inside & (running_previous < starts) & (tf.cumsum(ends, axis=1) - ends == 0)
          & (tf.cumsum(tf.cast(~at(valid_words), tf.int32), axis=1) == 0) & at(may_end)
          & tf.gather(may_start, starts) & (count >= compressive.MIN_WORDS) & (count <= compressive.MAX_WORDS))
    value = 2 * tf.cumsum(tf.where(at(kept), at(probabilities), 0.0), axis=1) / (
        tf.cast(count, tf.float32) + title_words)
    return tf.where(ok, value, float("-inf")), last


def sentence_ends_tf(raw, words, lower):
    """Graph twin of `compressive.sentence_ends`."""
    line_break = tf.strings.regex_full_match(tf.concat([raw[1:], [""]], 0), "(?s) *\n.*")
    return line_break | (tf.strings.regex_full_match(raw, "(?s).*" + sentence_end())
                         & (tf.strings.length(words, unit="UTF8_CHAR") > 1)
                         & ~tf.strings.regex_full_match(lower, compressive.word_list_pattern(ABBREVIATIONS)))


def compressive_headline_tf(model, tokenizer, starts, prior, decoding, language, text):
    """Graph twin of `compressive.headline_of`: the best phrase, or Lead's headline."""
    text = without_dateline_tf(clean_text_tf(text))
    ids, begins, ends = (t[:compressive.MAX_SOURCE] for t in tokenizer.tokenize_with_offsets(text))
    ids, begins, ends = tf.cast(ids, tf.int32), tf.cast(begins, tf.int32), tf.cast(ends, tf.int32)
    logits = model(ids[None], training=False)[0]
    index = tf.maximum(tf.cumsum(tf.cast(tf.gather(starts, ids), tf.int32)) - 1, 0)
    count = tf.cast(tf.size(ids) > 0, tf.int32) * (tf.reduce_max(tf.concat([index, [0]], 0)) + 1)
    positions = tf.range(tf.size(ids))
    begin = tf.gather(begins, tf.math.unsorted_segment_min(positions, index, count))
    end = tf.gather(ends, tf.math.unsorted_segment_max(positions, index, count))
    raw = tf.strings.substr(text, begin, end - begin, unit="BYTE")
    words = trim_tf(raw)
    lower = tf.strings.lower(words, encoding="utf-8")
    keys = tf.strings.regex_replace(lower, compressive.SAME_WORD_ENDING, "")
    scores = (tf.math.unsorted_segment_max(logits, index, count)
              + decoding.lead_bonus * tf.cast(tf.range(count) < decoding.lead_words, tf.float32))
    if prior is not None:
        scores += decoding.prior_weight * prior.lookup(keys)
    same = tf.equal(keys[:, None], keys[None, :]) & (tf.range(count)[:, None] < tf.range(count)[None, :])
    previous = tf.reduce_max(tf.where(same, tf.range(count)[:, None], -1), axis=0)
    kept = ~dropped_words_tf(lower, language)
    may_start = ~is_one_of(lower, compressive.NO_START.get(language, ()))
    may_end = ~is_one_of(lower, compressive.NO_END.get(language, ()))
    if language in compressive.NO_END_ENDINGS:
        may_end &= ~tf.strings.regex_full_match(lower, f"(?s).*(?:{compressive.NO_END_ENDINGS[language]})")
    may_end &= ~preceding_tf(is_one_of(lower, compressive.NO_END_AFTER.get(language, ())))
    if language == "en":
        matches = lambda pattern: tf.strings.regex_full_match(words, pattern)  # noqa: E731
        may_end &= ~compressive.numeral_cuts(matches(compressive.NUMERAL), matches(compressive.LOWER_CASE),
                                             matches(compressive.NAME), following_tf, preceding_tf)
    ends = sentence_ends_tf(raw, words, lower)
    sentence_start = tf.concat([[True], ends[:-1]], 0)[:count]
    may_start &= sentence_start | (tf.concat([[True], may_end[:-1]], 0)[:count]
                                   & ~is_one_of(lower, compressive.PREPOSITIONS.get(language, ())))
    value, last = phrase_table_tf(tf.sigmoid(scores + decoding.calibration), tf.strings.length(words) > 0, kept,
                                  may_start, may_end, ends, previous, float(decoding.title_words))
    flat = tf.reshape(value, [-1])
    best = tf.reduce_min(tf.where(tf.equal(flat, tf.reduce_max(tf.concat([flat, [float("-inf")]], 0))),
                                  tf.range(tf.size(flat)), tf.size(flat)))
    found = tf.reduce_any(tf.math.is_finite(flat))
    first = best // compressive.MAX_WORDS
    chosen = tf.range(count)
    chosen = (chosen >= first) & (chosen <= tf.concat([tf.reshape(last, [-1]), [0]], 0)[best]) & kept
    phrase = tf.strings.reduce_join(tf.boolean_mask(words, chosen), separator=" ")
    return tf.cond(found, lambda: capitalised_tf(phrase), lambda: first_words_tf(text))


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
    language = compressive.model_language(card)
    one = (lambda model, tokenizer, text: headline_tf(model, tokenizer, language, text)  # noqa: E731
           ) if output_name(card) == "headline" else summary_tf
    prior = None
    if model.name == "headline_tagger":
        starts = tf.constant(word_starts(sentencepiece))
        prior = title_prior_table(model_dir)
        decoding = compressive.decoding_of(card)
        one = lambda model, tokenizer, text: compressive_headline_tf(  # noqa: E731
            model, tokenizer, starts, prior, decoding, language, text)

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
