"""ROUGE-1/2/L F1 of a summarisation model and of the baselines, on the same documents in one run.

Summaries are scored against the reference summary, headlines against the title, with the
Unicode tokenizer and Snowball stemming of `gallery.summarization.rouge`. The only writer of the
card's `evaluation` section.
"""

import collections
import dataclasses
import itertools
import random
import time
from pathlib import Path

from gallery import cards
from gallery.errors import UserError
from gallery.preprocessing.text import split_sentences
from gallery.summarization import baselines, compressive
from gallery.summarization.compressive import decoding_of
from gallery.summarization.data import load_documents
from gallery.summarization.predict import choose, default_model, load_model
from gallery.summarization.rouge import mean_rouge

BASELINES = {"summary": ("lead", "lead3", "textrank"), "headline": ("lead", "textrank")}
MIN_SOURCE_DOCUMENTS = 50  # a source with fewer test documents is reported among "other"
DECODING_GRID = {"calibration": [-1.25, -0.5], "lead_bonus": [0.0, 1.0], "prior_weight": [0.15, 0.5]}  # tried
EXAMPLES, EXAMPLE_SEED = 20, 0  # headlines shown beside their titles in the card: randomly chosen, seed fixed


def examples(outputs, documents, kind):
    """EXAMPLES randomly chosen (reference, output) pairs of headline models, for people to read; [] for summaries."""
    if kind != "headline":
        return []
    chosen = sorted(random.Random(EXAMPLE_SEED).sample(range(len(documents)), min(EXAMPLES, len(documents))))
    return [{"title": documents[i].title, "headline": outputs[i], "source": documents[i].source} for i in chosen]


def method_output(method, sentences, text, kind, language, model_dir):
    if method == "lead3":
        return " ".join(sentences[i] for i in baselines.lead(sentences, 3))
    return choose(sentences, text, kind, method, language, model_dir)[0]


def method_outputs(documents, kind, methods, model_dir=None, progress=None):
    """{method: (its output for each document, seconds taken)}."""
    results = {}
    for method in methods:
        start = time.perf_counter()
        outputs = []
        for i, document in enumerate(documents):
            sentences = split_sentences(document.text)
            outputs.append(method_output(method, sentences, document.text, kind, document.language, model_dir))
            if progress:
                progress(method, i + 1, len(documents))
        results[method] = outputs, time.perf_counter() - start
    return results


def reference_of(document, kind):
    return document.summary if kind == "summary" else document.title


def mean_scores(outputs, documents, kind):
    """{"rouge1", "rouge2", "rougeL"} as fractions, averaged over `documents`."""
    scores = mean_rouge(outputs, [reference_of(d, kind) for d in documents], [d.language for d in documents])
    return {k: v / 100 for k, v in scores.items()}


def scores_of(outputs, documents, kind):
    """{method: {"rouge1", "rouge2", "rougeL" (fractions), "ms_per_document"}} of `method_outputs`."""
    return {method: {**mean_scores(texts, documents, kind), "ms_per_document": 1000 * seconds / len(documents)}
            for method, (texts, seconds) in outputs.items()}


def score_methods(documents, kind, methods, model_dir=None, progress=None):
    """`scores_of` each method over `documents`."""
    return scores_of(method_outputs(documents, kind, methods, model_dir, progress), documents, kind)


def per_source(outputs, documents, kind):
    """{source: {"documents", method: ROUGE-1}} for sources with at least MIN_SOURCE_DOCUMENTS documents, the
    others together as "other"; {} when the documents name no source."""
    if not any(d.source for d in documents):
        return {}
    counts = collections.Counter(d.source for d in documents)
    group = {s: s if n >= MIN_SOURCE_DOCUMENTS else "other" for s, n in counts.items()}
    figures = {}
    for name in sorted(set(group.values()), key=lambda g: (g == "other", -sum(counts[s] for s in group if group[s] == g))):
        rows = [i for i, d in enumerate(documents) if group[d.source] == name]
        subset = [documents[i] for i in rows]
        figures[name] = {"documents": len(rows), **{
            method: round(mean_scores([texts[i] for i in rows], subset, kind)["rouge1"], 4)
            for method, (texts, _) in outputs.items()}}
    return figures


def evaluate_model(model_dir, dataset, data_dir=None, split="test", kind=None, limit=None, command=""):
    model_dir = Path(model_dir) if model_dir else default_model(kind or "summary", "en")
    card = cards.load_card(model_dir)
    kind = card.get("kind", kind or "summary")
    documents = load_documents(dataset, data_dir, split, limit)
    if kind == "headline" and not all(d.title for d in documents):
        raise UserError(f"{dataset} {split} has documents without a title; headlines cannot be scored.")
    outputs = method_outputs(documents, kind, ("neural", *BASELINES[kind]), model_dir)
    scores = scores_of(outputs, documents, kind)
    neural = scores.pop("neural")
    evaluation = {
        "split": split, "dataset": dataset, "examples": len(documents), "command": command, "date": cards.now(),
        "metrics": {k: neural[k] for k in ("rouge1", "rouge2", "rougeL")},
        "ms_per_document": round(neural["ms_per_document"], 2), "baselines": scores,
        **({"rouge1_per_source": sources} if (sources := per_source(outputs, documents, kind)) else {}),
        "examples_shown": examples(outputs["neural"][0], documents, kind),
    }
    cards.update(model_dir, evaluation=evaluation, headline_metric="rouge2" if kind == "summary" else "rouge1",
                 file=cards.artifact_info(model_dir))
    return evaluation


def choose_decoding(model_dir, dataset, data_dir=None, split="validation", limit=None, command=""):
    """Write into a tagger's card the `compressive.Decoding` (of DECODING_GRID) with the best ROUGE-1 on `split`;
    the tagger reads each document once. Returns the card's `decoding_choice`."""
    model_dir = Path(model_dir)
    load_model.cache_clear()  # the folder may hold a model just trained
    model, tokenizer, card = load_model(str(model_dir))
    if model.name != "headline_tagger":
        raise UserError(f"{model_dir} is not a compressive headline tagger; only taggers have decoding settings.")
    documents = load_documents(dataset, data_dir, split, limit)
    prior, language = compressive.title_prior(str(model_dir)), compressive.model_language(card)
    current = decoding_of(card)
    import keras

    read, bar = [], keras.utils.Progbar(len(documents), unit_name="document")
    for document in documents:
        read.append(compressive.read(model, tokenizer, document.text))
        bar.add(1)
    grid = list(itertools.product(*DECODING_GRID.values()))
    results, bar = [], keras.utils.Progbar(len(grid), unit_name="setting")
    for values in grid:
        decoding = dataclasses.replace(current, **dict(zip(DECODING_GRID, values)))
        outputs = [compressive.headline(tokenizer, *row, prior, decoding, language) for row in read]
        results.append((mean_scores(outputs, documents, "headline")["rouge1"], dataclasses.asdict(decoding)))
        bar.add(1)
    best_rouge1, best = max(results, key=lambda result: result[0])  # ties: the first in the grid
    choice = {"split": split, "dataset": dataset, "documents": len(documents), "rouge1": round(best_rouge1, 4),
              "grid": DECODING_GRID, "command": command, "date": cards.now()}
    cards.update(model_dir, decoding=best, decoding_choice=choice)
    load_model.cache_clear()
    return {**choice, "decoding": best}


def print_report(evaluation):
    print(f"{evaluation['dataset']} {evaluation['split']}: {evaluation['examples']} documents (ROUGE F1, %)")
    print(f"  {'method':10s} {'R-1':>6s} {'R-2':>6s} {'R-L':>6s} {'ms/doc':>8s}")
    rows = {"neural": {**evaluation["metrics"], "ms_per_document": evaluation["ms_per_document"]},
            **evaluation["baselines"]}
    for method, row in rows.items():
        print(f"  {method:10s} {row['rouge1'] * 100:6.2f} {row['rouge2'] * 100:6.2f} {row['rougeL'] * 100:6.2f} "
              f"{row['ms_per_document']:8.1f}")
    for source, row in evaluation.get("rouge1_per_source", {}).items():
        figures = ", ".join(f"{method} {value * 100:.2f}" for method, value in row.items() if method != "documents")
        print(f"  ROUGE-1 on {source} ({row['documents']} documents): {figures}")
