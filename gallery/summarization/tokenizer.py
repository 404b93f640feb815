"""Subword tokenizer (sentencepiece unigram, case-folded) shared by training, the app and export.

The same `tokenizer.model` file is read by the `sentencepiece` package here and by
`tensorflow_text.SentencepieceTokenizer` inside the SavedModel, so ids agree by construction.
Ids: 0 = padding, 1 = unknown, 2 = start, 3 = end.
"""

import functools
import io

import numpy as np
import sentencepiece as spm

PAD, UNK, BOS, EOS = 0, 1, 2, 3
TOKENIZER_FILE = "tokenizer.model"


def train_tokenizer(texts, path, vocab_size=8000):
    """Train a unigram model on `texts` and write it to `path`; return the vocabulary size."""
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(texts), model_writer=model, vocab_size=vocab_size, model_type="unigram",
        normalization_rule_name="nmt_nfkc_cf", character_coverage=0.9995, pad_id=PAD, unk_id=UNK, bos_id=BOS,
        eos_id=EOS, input_sentence_size=200_000, shuffle_input_sentence=True, hard_vocab_limit=False,
        num_threads=1, minloglevel=2)
    path.write_bytes(model.getvalue())
    return load_tokenizer(str(path)).vocab_size()


@functools.lru_cache(maxsize=8)
def load_tokenizer(path):
    return spm.SentencePieceProcessor(model_file=str(path))


def encode(tokenizer, texts, max_len):
    """Token ids of `texts`, each cut to `max_len`, padded with 0 into an int32 array."""
    ids = np.zeros((len(texts), max_len), np.int32)
    for row, pieces in enumerate(tokenizer.encode(list(texts))):
        pieces = pieces[:max_len]
        ids[row, :len(pieces)] = pieces
    return ids


def decode(tokenizer, ids):
    """Text of one id sequence, stopping at the first end or padding id."""
    ids = [int(i) for i in ids]
    for stop in (EOS, PAD):
        if stop in ids:
            ids = ids[:ids.index(stop)]
    return tokenizer.decode(ids)


@functools.lru_cache(maxsize=8)
def word_starts(tokenizer):
    """Boolean per vocabulary id: the piece begins a word (sentencepiece's '▁')."""
    return np.array([tokenizer.id_to_piece(i).startswith("▁") for i in range(tokenizer.vocab_size())])
