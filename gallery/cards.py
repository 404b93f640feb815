"""Model cards: `card.json` (machine-readable, the source of truth) and `README.md` rendered from it.

Training writes the `training` section; `python -m gallery evaluate` writes `evaluation`.
Nothing else edits metrics. The gallery, `list` and the README's results table read cards only.
"""

import datetime
import hashlib
import json
import os
import platform
from pathlib import Path

SHIPPED_MODELS = Path(__file__).resolve().parents[1] / "models"


def models_root():
    """Where shipped models live: `models/`, or $GALLERY_MODELS_DIR (tests, custom galleries)."""
    return Path(os.environ.get("GALLERY_MODELS_DIR") or SHIPPED_MODELS)


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_card(model_dir):
    path = Path(model_dir) / "card.json"
    return json.loads(path.read_text()) if path.exists() else {}


def save_card(model_dir, card):
    """Write card.json and its rendered README.md."""
    model_dir = Path(model_dir)
    (model_dir / "card.json").write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")
    (model_dir / "README.md").write_text(render_markdown(card))


def artifact_info(model_dir, file_name="model.keras"):
    path = Path(model_dir) / file_name
    return {"name": file_name, "bytes": path.stat().st_size, "sha256": file_sha256(path)}


def environment():
    import keras

    from gallery.distributed import CURRENT

    parallel = {"devices": CURRENT.devices, "processes": CURRENT.processes} if CURRENT.devices > 1 else {}
    return {"keras": keras.__version__, "backend": keras.backend.backend(), "python": platform.python_version(),
            "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}", **parallel}


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def provenance(model_dir):
    """{"model", "sha256", "command"}: which trained network another one starts from, and how it was made (with
    its own "started_from" when it was fine-tuned too)."""
    card = load_card(model_dir)
    training = card.get("training", {})
    earlier = {"started_from": training["started_from"]} if training.get("started_from") else {}
    return {"model": str(model_dir), "sha256": card.get("file", {}).get("sha256", ""),
            "command": training.get("command", "unknown"), **earlier}


def update(model_dir, **sections):
    """Merge `sections` into the card and save it."""
    card = load_card(model_dir)
    card.update(sections)
    save_card(model_dir, card)
    return card


def shipped_models(task=None):
    """Cards of the models under `models/` (or $GALLERY_MODELS_DIR), as (folder, card) pairs."""
    found = []
    for path in sorted(models_root().glob("*/*/card.json")):
        card = json.loads(path.read_text())
        if task is None or card.get("task") == task:
            found.append((path.parent, card))
    return found


def headline_metric(card):
    """(metric name, value, what it was measured on) of a card's main metric, or None before evaluation."""
    evaluation = card.get("evaluation") or {}
    name = card.get("headline_metric")
    if not name or name not in evaluation.get("metrics", {}):
        return None
    examples = evaluation.get("examples")
    measured_on = evaluation.get("split", "?") + (f", {examples:,} examples" if examples else "")
    return name, evaluation["metrics"][name], measured_on


METRIC_MEANINGS = {  # what each headline metric is, and which way is better
    "accuracy": "accuracy, higher is better",
    "top1_accuracy": "top-1 accuracy, higher is better",
    "rouge1": "ROUGE-1 F1 against the real titles, higher is better",
    "rouge2": "ROUGE-2 F1 against the reference summaries, higher is better",
    "style_loss_vs_optimisation": "style loss × 300 optimisation steps', lower is better",
}


def metric_meaning(card):
    """"accuracy, higher is better; measured on test, 10,000 examples" for a card's headline metric."""
    metric = headline_metric(card)
    if not metric:
        return None
    return f"{METRIC_MEANINGS.get(metric[0], metric[0])}; measured on {metric[2]}"


def format_metric(name, value):
    """Fractions as percentages; ratios ("_vs_") as "2.99×"; losses and timings as plain numbers."""
    if "_vs_" in name:
        return f"{value:.2f}×"
    if any(part in name for part in ("ms_", "loss", "tv")):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return f"{value * 100:.2f} %"


COMPANION_METRICS = {"style_loss_vs_optimisation": "content_loss_vs_optimisation"}  # shown beside the headline


def headline(card):
    """'accuracy 94.10 % (test, 10,000 examples)'-style summary of a card's main metric (and its companion)."""
    metric = headline_metric(card)
    if not metric:
        return "not evaluated"
    companion = COMPANION_METRICS.get(metric[0])
    value = card["evaluation"]["metrics"].get(companion)
    extra = f", {companion} {format_metric(companion, value)}" if value is not None else ""
    return f"{metric[0]} {format_metric(metric[0], metric[1])}{extra} ({metric[2]})"


def _table(rows):
    lines = ["| | |", "|---|---|"]
    return "\n".join(lines + [f"| {key} | {value} |" for key, value in rows if value not in (None, "")])


def render_markdown(card):
    """Human-readable model card."""
    training = card.get("training", {})
    evaluation = card.get("evaluation", {})
    parts = [f"# {card.get('title', card.get('name', 'Model'))}", "", card.get("description", ""), ""]
    parts += ["## Summary", "", _table([
        ("task", card.get("task")), ("dataset", card.get("dataset")),
        ("architecture", card.get("architecture")), ("parameters", f"{card.get('parameters', 0):,}"),
        ("input", card.get("input")), ("classes", ", ".join(card.get("classes", []))),
        ("file", f"`{card.get('file', {}).get('name')}`, {card.get('file', {}).get('bytes', 0) / 2**20:.2f} MB, "
                 f"sha256 `{card.get('file', {}).get('sha256', '')}`"),
    ]), ""]
    if evaluation:
        metrics = evaluation.get("metrics", {})
        parts += ["## Evaluation", "", f"Split: **{evaluation.get('split')}** ({evaluation.get('examples')} examples), "
                  f"measured {evaluation.get('date')} with:", "", f"    {evaluation.get('command')}", "",
                  _table([(key, format_metric(key, value)) for key, value in metrics.items()]), ""]
        second = evaluation.get("second_set")
        if second:
            parts += [f"Second held-out set: {second['examples']} photos of `{second['folder']}` ({second['rule']}), "
                      f"{second['size']}, never trained on:", "",
                      _table([(key, format_metric(key, value)) for key, value in second["metrics"].items()]), ""]
        baselines = evaluation.get("baselines")
        if baselines:
            parts += ["Baselines on the same documents, same run:", "", "| method | " + " | ".join(metrics) + " |",
                      "|---|" + "---|" * len(metrics)]
            parts += [f"| {name} | " + " | ".join(format_metric(key, row[key]) for key in metrics) + " |"
                      for name, row in baselines.items()]
            parts += [""]
        per_class = evaluation.get("per_class")
        if per_class:
            parts += ["| class | precision | recall | support |", "|---|---|---|---|"]
            parts += [f"| {name} | {row['precision'] * 100:.1f} % | {row['recall'] * 100:.1f} % | {row['support']} |"
                      for name, row in per_class.items()]
            parts += [""]
        per_source = evaluation.get("rouge1_per_source")
        if per_source:
            methods = [key for key in next(iter(per_source.values())) if key != "documents"]
            parts += ["ROUGE-1 per source:", "", "| source | documents | " + " | ".join(methods) + " |",
                      "|---|---|" + "---|" * len(methods)]
            parts += [f"| {name} | {row['documents']} | " + " | ".join(f"{row[m] * 100:.2f}" for m in methods) + " |"
                      for name, row in per_source.items()]
            parts += [""]
        shown = evaluation.get("examples_shown")
        if shown:
            parts += [f"{len(shown)} test documents chosen at random (seed fixed), the model's headline beside the "
                      "article's own title:", "", "| title | headline |", "|---|---|"]
            cell = lambda text: text.replace("|", "\\|").replace("\n", " ")  # noqa: E731
            parts += [f"| {cell(row['title'])} | {cell(row['headline'])} |" for row in shown]
            parts += [""]
        for picture in evaluation.get("pictures", []):
            parts += [f"![{picture}]({picture})", ""]
    decoding = card.get("decoding")
    if decoding:
        choice = card.get("decoding_choice")
        parts += ["## Decoding", "", (f"Chosen on the {choice['split']} split ({choice['documents']} documents, best "
                                      f"ROUGE-1 {choice['rouge1'] * 100:.2f} of the grid {choice['grid']}) with:\n\n"
                                      f"    {choice['command']}" if choice else "Defaults, not chosen on data."), "",
                  _table(list(decoding.items())), ""]
    comparison = card.get("peer_comparison")
    if comparison:
        parts += ["## Side by side with a peer", "", f"Peer: {comparison['peer']}; {comparison['examples']} "
                  f"{comparison['split']} images, measured {comparison['date']} with:", "",
                  f"    {comparison['command']}", "", "| metric | this model | peer |", "|---|---|---|"]
        parts += [f"| {key} | {format_metric(key, value)} | {format_metric(key, comparison['peer_model'][key])} |"
                  for key, value in comparison["ours"].items()]
        parts += [""]
    benchmark = card.get("benchmark")
    if benchmark:
        parts += ["## Speed", "", f"Measured {benchmark['date']} with:", "", f"    {benchmark['command']}", "",
                  _table([(key, f"{value:.3g}" if isinstance(value, float) else value) for key, value in benchmark.items()
                          if key not in ("command", "date")]), ""]
    if training:
        parts += ["## Training", ""]
        chain, start = [], training.get("started_from")
        while start:  # the earliest network first
            chain.insert(0, start)
            start = start.get("started_from")
        for step, start in enumerate(chain):
            parts += [f"{'Started from' if step == 0 else 'then continued as'} the network in `{start['model']}` "
                      f"(sha256 `{start['sha256']}`), trained with:", "", f"    {start['command']}", ""]
        if chain:
            parts += ["then continued with:", ""]
        else:
            parts += ["Reproduce with:", ""]
        parts += [f"    {training.get('command')}", "",
                  _table([(key, value) for key, value in training.items()
                          if key not in ("command", "config", "started_from")]), ""]
        if Path(training.get("curves", "")).suffix:
            parts += [f"![training curves]({training['curves']})", ""]
    if card.get("notes"):
        parts += ["## Notes", "", card["notes"], ""]
    return "\n".join(parts)
