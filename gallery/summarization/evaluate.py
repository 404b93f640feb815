"""ROUGE-1/2/L F1 of a summarisation model and of the baselines, on the same documents in one run.

Summaries are scored against the reference summary, headlines against the title, with the
Unicode tokenizer and Snowball stemming of `gallery.summarization.rouge`. The only writer of the
card's `evaluation` section.
"""

import time
from pathlib import Path

from gallery import cards
from gallery.preprocessing.text import split_sentences
from gallery.summarization import baselines
from gallery.summarization.data import load_documents
from gallery.summarization.predict import choose, default_model
from gallery.summarization.rouge import mean_rouge
from gallery.tasks import UserError

BASELINES = {"summary": ("lead", "lead3", "textrank"), "headline": ("lead", "textrank")}


def method_output(method, sentences, text, kind, language, model_dir):
    if method == "lead3":
        return " ".join(sentences[i] for i in baselines.lead(sentences, 3))
    return choose(sentences, text, kind, method, language, model_dir)[0]


def score_methods(documents, kind, methods, model_dir=None, progress=None):
    """{method: {"rouge1", "rouge2", "rougeL" (fractions), "ms_per_document"}} over `documents`."""
    references = [d.summary if kind == "summary" else d.title for d in documents]
    languages = [d.language for d in documents]
    results = {}
    for method in methods:
        start = time.perf_counter()
        outputs = []
        for i, document in enumerate(documents):
            sentences = split_sentences(document.text)
            outputs.append(method_output(method, sentences, document.text, kind, document.language, model_dir))
            if progress:
                progress(method, i + 1, len(documents))
        elapsed = time.perf_counter() - start
        scores = mean_rouge(outputs, references, languages)
        results[method] = {**{k: v / 100 for k, v in scores.items()},
                           "ms_per_document": 1000 * elapsed / len(documents)}
    return results


def evaluate_model(model_dir, dataset, data_dir=None, split="test", kind=None, limit=None, command=""):
    model_dir = Path(model_dir) if model_dir else default_model(kind or "summary", "en")
    card = cards.load_card(model_dir)
    kind = card.get("kind", kind or "summary")
    documents = load_documents(dataset, data_dir, split, limit)
    if kind == "headline" and not all(d.title for d in documents):
        raise UserError(f"{dataset} {split} has documents without a title; headlines cannot be scored.")
    scores = score_methods(documents, kind, ("neural", *BASELINES[kind]), model_dir)
    neural = scores.pop("neural")
    evaluation = {
        "split": split, "dataset": dataset, "examples": len(documents), "command": command, "date": cards.now(),
        "metrics": {k: neural[k] for k in ("rouge1", "rouge2", "rougeL")},
        "ms_per_document": round(neural["ms_per_document"], 2), "baselines": scores,
    }
    cards.update(model_dir, evaluation=evaluation, headline_metric="rouge2" if kind == "summary" else "rouge1",
                 file=cards.artifact_info(model_dir))
    return evaluation


def print_report(evaluation):
    print(f"{evaluation['dataset']} {evaluation['split']}: {evaluation['examples']} documents (ROUGE F1, %)")
    print(f"  {'method':10s} {'R-1':>6s} {'R-2':>6s} {'R-L':>6s} {'ms/doc':>8s}")
    rows = {"neural": {**evaluation["metrics"], "ms_per_document": evaluation["ms_per_document"]},
            **evaluation["baselines"]}
    for method, row in rows.items():
        print(f"  {method:10s} {row['rouge1'] * 100:6.2f} {row['rouge2'] * 100:6.2f} {row['rougeL'] * 100:6.2f} "
              f"{row['ms_per_document']:8.1f}")
