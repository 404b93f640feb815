"""Speed of each summarisation method: ms per document and documents per second, on one split.

Every method runs on the same documents through the same Python path as the CLI and the app
(cleaning and sentence splitting included); ROUGE is reported alongside so speed and quality
can be read together.
"""

from gallery.benchmarks import print_table
from gallery.summarization.data import load_documents
from gallery.summarization.evaluate import BASELINES, score_methods
from gallery.summarization.predict import default_model


def run_benchmarks(dataset, data_dir, kind, model_dir, limit, verbose=True):
    documents = load_documents(dataset, data_dir, "test", limit)
    model_dir = model_dir or default_model(kind, documents[0].language)
    score_methods(documents[:1], kind, ("neural",), model_dir)  # load and warm up the model
    scores = score_methods(documents, kind, ("neural", *BASELINES[kind]), model_dir)
    results = {}
    for method, row in scores.items():
        results[f"{method}: ms per document"] = row["ms_per_document"]
        results[f"{method}: documents per second"] = 1000 / max(row["ms_per_document"], 1e-9)
        results[f"{method}: ROUGE-1 F1 (%)"] = row["rouge1"] * 100
        results[f"{method}: ROUGE-2 F1 (%)"] = row["rouge2"] * 100
    if verbose:
        print_table(f"{kind}, {dataset} test, {len(documents)} documents", results)
    return {"dataset": dataset, "kind": kind, "documents": len(documents), "model": str(model_dir), **results}
