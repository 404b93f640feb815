"""Train the sentence scorer (`--kind summary`) or the headline generator (`--kind headline`).

Both start by training a sentencepiece tokenizer on the training split (written next to the
model), then fit with AdamW, warm-up + cosine decay, per-epoch checkpoints and resume
(`gallery.training.fit_resumable`); the validation split is monitored every epoch.
"""

import dataclasses

import keras
import numpy as np

from gallery import cards, distributed, plots, training
from gallery.errors import UserError
from gallery.preprocessing.text import split_sentences
from gallery.summarization import abstractive, compressive, extractive
from gallery.summarization.baselines import SUMMARY_PERCENT
from gallery.summarization.config import MIN_USEFUL_DOCUMENTS
from gallery.summarization.data import load_documents
from gallery.summarization.tokenizer import (
    TOKENIZER_FILE,
    encode,
    load_tokenizer,
    train_tokenizer,
)


def labels_like(y_true, y_pred):
    """Labels (B, L) repeated for logits stacked per ensemble member (B, members, L); otherwise as they are."""
    if len(y_pred.shape) > len(y_true.shape):
        return keras.ops.broadcast_to(keras.ops.expand_dims(y_true, 1), keras.ops.shape(y_pred))
    return y_true


@keras.saving.register_keras_serializable("gallery")
def masked_binary_crossentropy(y_true, y_pred):
    """Binary cross-entropy on logits over real sentences or tokens (label −1 marks padding)."""
    y_true = labels_like(y_true, y_pred)
    mask = keras.ops.cast(keras.ops.greater_equal(y_true, 0.0), "float32")
    loss = keras.losses.binary_crossentropy(keras.ops.maximum(y_true, 0.0)[..., None], y_pred[..., None],
                                            from_logits=True)
    return keras.ops.sum(loss * mask, axis=-1) / keras.ops.maximum(keras.ops.sum(mask, axis=-1), 1.0)


@keras.saving.register_keras_serializable("gallery")
def masked_accuracy(y_true, y_pred):
    """Share of real sentences or tokens whose logit sign matches the label."""
    y_true = labels_like(y_true, y_pred)
    mask = keras.ops.cast(keras.ops.greater_equal(y_true, 0.0), "float32")
    right = keras.ops.cast(keras.ops.equal(keras.ops.cast(keras.ops.greater(y_pred, 0.0), "float32"), y_true),
                           "float32")
    return keras.ops.sum(right * mask) / keras.ops.maximum(keras.ops.sum(mask), 1.0)


def scorer_arrays(documents, tokenizer):
    """(ids (N, S, W), labels (N, S) with −1 for padding) of the sentence scorer."""
    ids, labels = [], []
    for document in documents:
        sentences = split_sentences(document.text)
        ids.append(extractive.document_ids(tokenizer, sentences))
        row = extractive.sentence_labels(sentences, document.summary)
        row[min(len(sentences), extractive.MAX_SENTENCES):] = -1.0
        labels.append(row)
    return np.stack(ids), np.stack(labels)


def headline_arrays(documents, tokenizer):
    """([source ids, decoder inputs], target ids) of the headline generator."""
    source = encode(tokenizer, [d.text for d in documents], abstractive.MAX_SOURCE)
    target = abstractive.with_end(encode(tokenizer, [d.title for d in documents], abstractive.MAX_TARGET))
    return [source, abstractive.teacher_forcing(target)], target


def tagger_arrays(documents, tokenizer):
    """(ids (N, MAX_SOURCE), labels (N, MAX_SOURCE) with −1 for padding) of the compressive tagger."""
    ids = np.zeros((len(documents), compressive.MAX_SOURCE), np.int32)
    labels = np.full(ids.shape, -1.0, np.float32)
    for row, document in enumerate(documents):
        tokens, hits = compressive.token_labels(tokenizer, document.text, document.title, document.language)
        ids[row, :len(tokens)], labels[row, :len(tokens)] = tokens, hits
    return ids, labels


def median_title_words(documents):
    """The median number of words in the documents' titles."""
    return int(np.median([len(d.title.split()) for d in documents if d.title]))


def tokenizer_texts(documents):
    return [s for d in documents for s in split_sentences(d.text)] + [d.title for d in documents if d.title]


def compiled_model(config, tokenizer, steps_per_epoch):
    vocab_size = tokenizer.vocab_size()
    schedule = training.learning_rate_schedule(config.learning_rate, config.epochs, steps_per_epoch)
    optimizer = keras.optimizers.AdamW(schedule, weight_decay=config.weight_decay)
    if config.kind == "summary" or config.tagger:
        model = (extractive.build_scorer(vocab_size, config.dim, counted=extractive.word_pieces(tokenizer))
                 if config.kind == "summary"
                 else compressive.build_tagger(vocab_size, config.dim, members=config.members))
        model.compile(optimizer, masked_binary_crossentropy,
                      metrics=[keras.metrics.MeanMetricWrapper(masked_accuracy, name="accuracy")])
    else:
        model = abstractive.build_headline_model(vocab_size, dim=config.dim)
        model.compile(optimizer, keras.losses.SparseCategoricalCrossentropy(ignore_class=0),
                      metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    return model


@distributed.scoped
def train(config, command=""):
    """Train per `config`; returns the output folder (model.keras, tokenizer.model, card)."""
    if config.members < 1 or (config.members > 1 and not config.tagger):
        raise UserError("--members (at least 1) applies to compressive headlines (--kind headline --arch compressive).")
    keras.utils.set_random_seed(config.seed)
    out = config.out_dir()
    out.mkdir(parents=True, exist_ok=True)
    train_docs = load_documents(config.dataset, config.data_dir, "train", config.limit)
    val_docs = load_documents(config.dataset, config.data_dir, "validation", config.limit)
    if config.include_validation:
        train_docs, val_docs = train_docs + val_docs, []
    if config.kind == "headline" and not any(d.title for d in train_docs):
        raise UserError(f"{config.dataset} has no titles to learn headlines from.")
    tokenizer_path = out / TOKENIZER_FILE
    if not tokenizer_path.exists():  # a resumed run keeps its tokenizer
        train_tokenizer(tokenizer_texts(train_docs), tokenizer_path, config.vocab_size)
    tokenizer = load_tokenizer(str(tokenizer_path))
    arrays = (scorer_arrays if config.kind == "summary" else
              tagger_arrays if config.tagger else headline_arrays)
    x, y = arrays(train_docs, tokenizer)
    validation = arrays(val_docs, tokenizer) if val_docs else None
    model = compiled_model(config, tokenizer, int(np.ceil(len(y) / config.batch_size)))
    print(f"{model.count_params():,} parameters; {len(train_docs)} training / {len(val_docs)} validation documents.")
    training.fit_resumable(model, x, y, out, config.epochs, config.batch_size, validation=validation)
    model = compressive.mean_of_members(model)
    training.save_model(model, out)
    cards.update(out, language=train_docs[0].language)
    if config.tagger:
        cards.update(out, decoding=dataclasses.asdict(compressive.Decoding(title_words=median_title_words(train_docs))))
        compressive.write_title_words(out / compressive.TITLE_WORDS_FILE,
                                      compressive.title_word_counts(tokenizer, train_docs))
    if config.tagger and val_docs:
        from gallery.summarization.evaluate import choose_decoding

        choose_decoding(out, config.dataset, config.data_dir, "validation", config.limit, command)
    write_training_card(out, config, model, command, len(train_docs), len(val_docs))
    training.finish(out)
    return out


def description(config, train_size):
    """(what the model is, the card's description of it) for a model trained per `config` on `train_size` documents."""
    what = ("SummaRuNNer-style sentence scorer" if config.kind == "summary"
            else "compressive headline tagger (a Transformer encoder scores words, the best phrase is kept)"
            if config.tagger
            else "Transformer encoder–decoder with copy mechanism")
    if config.members > 1:
        what += f", an ensemble of {config.members}"
    if config.kind == "summary":
        what_more = (" Each sentence is read from its subwords and its TextRank-style centrality (its summed "
                     "similarity to the other sentences, computed inside the model); a Transformer layer over the "
                     "sentences adds context and position. A summary keeps the best-scored "
                     f"{SUMMARY_PERCENT} % of the sentences, in document order.")
    elif config.tagger:
        what_more = (" A word scores its best subword's logit, plus a bonus among the opening words, plus a weight "
                     "times its title prior (how much likelier than the average word it was to be in a training title "
                     f"when in its article, counted in {compressive.TITLE_WORDS_FILE}); its probability of being in "
                     "the title is sigmoid(score + calibration). The headline is the contiguous phrase of one sentence, "
                     f"{compressive.MIN_WORDS}–{compressive.MAX_WORDS} words without articles, repeats or (in "
                     "English) the auxiliaries headlines leave out (\"has filed\" → \"filed\"), not starting with "
                     "a conjunction or ending on a function word, with the highest expected ROUGE-1 F1 against a "
                     "title of the median training length; Lead's when there is none (settings: Decoding, below)."
                     + (f" The score is the mean logit of {config.members} taggers that start from different random "
                        "weights and learn side by side." if config.members > 1 else ""))
    else:
        what_more = ""
    caveat = (f" Only {train_size} training documents: this model shows that the path trains and runs end to end, "
              "it is not a useful summariser; a real one needs tens of thousands of article/headline pairs "
              "(Gazeta: 60k, the full RIA corpus: 1M)." if train_size < MIN_USEFUL_DOCUMENTS else "")
    return what, (f"{what}, trained from scratch on the {config.dataset} "
                  f"{'training and validation splits' if config.include_validation else 'training split'} "
                  f"({'extractive summaries' if config.kind == 'summary' else 'headlines'}).{what_more}{caveat}")


def write_training_card(out, config, model, command, train_size, val_size):
    history = plots.read_history(out / "history.csv")
    plots.training_curves(history, out / "training_curves.png")
    what, text = description(config, train_size)
    cards.update(
        out, name=out.name, task="summarization", kind=config.kind, title=f"{what} ({config.dataset})",
        description=text,
        dataset=config.dataset, architecture=what, parameters=model.count_params(),
        input="raw text (tokenised by the tokenizer.model beside the model)",
        file=cards.artifact_info(out), tokenizer=cards.artifact_info(out, "tokenizer.model"),
        **({"title_words": cards.artifact_info(out, compressive.TITLE_WORDS_FILE)} if config.tagger else {}),
        training={
            "command": command, "epochs": config.epochs, "train_documents": train_size,
            "validation_documents": val_size,
            "wall_time_s": round(float(history.get("epoch_time_s", np.zeros(1)).sum()), 1),
            "final_train_loss": round(float(history["loss"][-1]), 4) if "loss" in history else None,
            "date": cards.now(), **cards.environment(), "curves": "training_curves.png",
            "config": dataclasses.asdict(config),
        },
    )
