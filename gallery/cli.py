"""The gallery's one command line: `python -m gallery {list,train,evaluate,predict,export,bench} TASK ...`.

With `--json`, the last line printed is one JSON object (progress and logs come before it).
Errors a user can fix (bad image, missing data, unknown model) exit with status 2 and a
one-line message, never a traceback; `predict` prints the results of the good inputs and still
exits with 2 when any input failed.
"""

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

from gallery import distributed, errors, tasks

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def command_line(argv):
    return "python -m gallery " + shlex.join(argv)


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m gallery", description=__doc__.splitlines()[0])
    actions = parser.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="tasks and shipped models with their headline metrics")
    listing.add_argument("--json", action="store_true")
    listing.add_argument("--markdown", action="store_true", help="print the README's results table")
    for action in ("train", "evaluate", "predict", "export", "bench"):
        action_parser = actions.add_parser(action, help=f"{action} a model of TASK")
        if action == "export":
            action_parser.add_argument("--all", action="store_true",
                                       help="every shipped model, in TF Serving's layout, with a models.config")
            action_parser.add_argument("--out", dest="all_out", default="exported/serving",
                                       help="with --all: the folder (default exported/serving)")
            action_parser.add_argument("--json", dest="all_json", action="store_true")
        sub = action_parser.add_subparsers(dest="task", required=action != "export")
        for task in tasks.TASKS.values():
            if task.ready:
                task_parser = sub.add_parser(task.name, help=task.title)
                task.cli().add_arguments(action, task_parser)
                if action == "train":
                    distributed.add_arguments(task_parser)
                if action == "export":
                    task_parser.add_argument("--out", help="folder for the SavedModel (default exported/TASK/MODEL)")
                    task_parser.add_argument("--serving-layout", action="store_true",
                                             help="write OUT/<next version>/ (default OUT exported/serving/MODEL)")
                task_parser.add_argument("--json", action="store_true", help="print a JSON object as the last line")
                task_parser.add_argument("--verbose", action="store_true",
                                         help="keep TensorFlow's start-up messages on stderr")
        if action == "bench":
            app = sub.add_parser("app", help="the Streamlit gallery with several users at once (gallery.app_bench)")
            app.add_argument("--users", type=int, default=8, help="users at once, spread over the four pages")
            app.add_argument("--timeout", type=int, default=300, help="seconds a user waits for an answer at most")
            app.add_argument("--json", action="store_true", help="print a JSON object as the last line")
    return parser


def list_models():
    from gallery import cards
    from gallery.summarization.config import demo_note

    result = {"tasks": [], "models": []}
    for task in tasks.TASKS.values():
        result["tasks"].append({"name": task.name, "title": task.title, "status": "ready" if task.ready else "coming",
                                "train": task.train_example})
        for folder, card in cards.shipped_models(task.name):
            result["models"].append({"task": task.name, "name": folder.name, "path": os.path.relpath(folder),
                                     "dataset": card.get("dataset"), "headline": cards.headline(card),
                                     "metrics": (card.get("evaluation") or {}).get("metrics", {}),
                                     "parameters": card.get("parameters"), "bytes": card.get("file", {}).get("bytes"),
                                     "demo": demo_note(card) is not None})
    return result


def markdown_table(result):
    """The results table of the README, generated from the model cards."""
    lines = ["| task | model | data set | headline (split, examples) | parameters | file |", "|---|---|---|---|---|---|"]
    for model in result["models"]:
        name = f"`{model['name']}`" + (" (demo)" if model["demo"] else "")
        lines.append(f"| {model['task']} | {name} | {model['dataset']} | {model['headline']} | "
                     f"{model['parameters'] or 0:,} | {(model['bytes'] or 0) / 2**20:.1f} MB |")
    return "\n".join(lines)


def print_list(result):
    for task in result["tasks"]:
        models = [m for m in result["models"] if m["task"] == task["name"]]
        print(f"{task['name']:15s} {task['title']} [{len(models)} model{'s' if len(models) != 1 else ''}]")
        for model in models:
            print(f"    {model['path']:45s} {model['headline']}{' (demo)' if model['demo'] else ''}")
        if not models:
            print(f"    no model shipped; train one with: {task['train']}")


def export_all(out):
    """Every shipped model as `out/<name>/<version>/` SavedModels, and `out/models.config` naming them."""
    import importlib

    from gallery import cards
    from gallery.serving import serving_layout_folder, write_model_config

    bases = {}
    for folder, card in cards.shipped_models():
        name = folder.name if folder.name not in bases else f"{card['task']}_{folder.name}"
        version = serving_layout_folder(Path(out) / name)
        importlib.import_module(f"gallery.{card['task']}.export").export_saved_model(str(folder), str(version))
        print(f"{card['task']:14s} {folder.name:28s} → {version}", file=sys.stderr)
        bases[name] = Path(out) / name
    config = write_model_config(bases, Path(out) / "models.config")
    return {"models": {name: str(base) for name, base in bases.items()}, "config": str(config)}


def check_model_folder(args):
    """A `--model` folder without model.keras fails here, before TensorFlow is imported."""
    if getattr(args, "model", None):
        errors.require_model_file(args.model)


def import_keras_quietly(verbose=False):
    """Import Keras and TensorFlow with stderr muted: absl prints its start-up lines (oneDNN, twice) before any
    log level applies. `--verbose` keeps them."""
    if verbose:
        import keras  # noqa: F401
        return
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    sys.stderr.flush()
    os.dup2(devnull, 2)
    try:
        import keras  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    try:
        if args.action != "list":
            check_model_folder(args)
            import_keras_quietly(getattr(args, "verbose", False))
        if args.action == "list":
            result = list_models()
            if args.markdown:
                print(markdown_table(result))
            elif not args.json:
                print_list(result)
        elif args.action == "export" and args.task is None:
            if not args.all:
                raise errors.UserError("Name a task to export (python -m gallery export TASK --model ...), or --all.")
            args.json = args.all_json
            result = export_all(args.all_out)
            if not args.json:
                print(f"TF Serving config: {result['config']} (tensorflow_model_server --model_config_file=...)")
        elif args.action == "bench" and args.task == "app":
            from gallery.app_bench import run_app_bench

            result = run_app_bench(args.users, args.timeout, verbose=not args.json)
        else:
            if args.action == "train":
                join_cluster(args)
            handler = getattr(tasks.TASKS[args.task].cli(), args.action)
            result = handler(args, command_line(argv))
    except errors.USER_ERRORS as error:
        print(f"error: {error}", file=sys.stderr)
        if getattr(args, "json", False):
            print(json.dumps({"error": str(error)}))
        return 2
    if args.json:
        print(json.dumps(result, ensure_ascii=False, default=float))
    return 2 if failed_inputs(result) else 0


def join_cluster(args):
    """Set up `--devices`/multi-host training (`gallery.distributed`); a process other than 0 then writes to a
    scratch folder and does not evaluate, so that the model folder and its card come from process 0 alone."""
    cluster = distributed.setup(args.devices, args.coordinator, args.num_processes, args.process_id)
    if cluster.devices > 1:
        print(f"Data-parallel on {cluster.devices} devices, process {cluster.process_id} of {cluster.processes}.",
              file=sys.stderr)
    if not cluster.chief:
        args.out, args.no_evaluate = str(distributed.scratch_folder(args.out, cluster.process_id)), True


def failed_inputs(result):
    """The `predict` results that are errors (a missing or unreadable file): any of them makes the exit status 2."""
    return [item for item in result.get("predictions", []) if isinstance(item, dict) and "error" in item]
