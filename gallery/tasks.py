"""The gallery's four families, and the error type the CLI and apps show to users as plain text."""

import dataclasses
import importlib
from pathlib import Path

from gallery.preprocessing.images import ImageError
from gallery.preprocessing.text import TextError


class UserError(Exception):
    """A problem the user can fix; shown as a one-line message, never a traceback."""


USER_ERRORS = (UserError, ImageError, TextError, FileNotFoundError, IsADirectoryError, PermissionError)


def require_model_file(folder):
    """`FOLDER/model.keras`, the file the gallery serves, as a Path; a UserError when the folder has none."""
    path = Path(folder) / "model.keras"
    if not path.exists():
        raise UserError(f"No model at {folder} (expected {path}); `python -m gallery list` shows the shipped "
                        "models, `python -m gallery train TASK --help` how to train one.")
    return path


def config_from_args(config_class, args):
    """A configuration dataclass filled from the parsed command-line arguments of the same names."""
    fields = {field.name for field in dataclasses.fields(config_class)}
    return config_class(**{key: value for key, value in vars(args).items() if key in fields})


def export_folder(args, model_dir):
    """Where `export` writes: `--out`, else exported/TASK/MODEL (under the working directory); with
    `--serving-layout`, the next version folder of `--out` or exported/serving/MODEL (TF Serving's layout)."""
    if getattr(args, "serving_layout", False):
        from gallery.serving import serving_layout_folder

        return str(serving_layout_folder(args.out or Path("exported") / "serving" / Path(model_dir).name))
    return args.out or str(Path("exported") / args.task / Path(model_dir).name)


@dataclasses.dataclass(frozen=True)
class Task:
    name: str
    title: str
    summary: str
    ready: bool
    train_example: str  # the command a user runs to train a model of the family

    def cli(self):
        """The family's `cli` module (add_arguments, train, evaluate, predict, export, bench)."""
        return importlib.import_module(f"gallery.{self.name}.cli")


TASKS = {task.name: task for task in (
    Task("classification", "Image classification",
         "LeNet-5, a ResNet-9-style CNN and airbench on Fashion-MNIST and CIFAR-10, or your own folders.", True,
         "python -m gallery train classification --dataset cifar10"),
    Task("emotion", "Facial emotion recognition", "Faces found in a photo, each with one of 7 emotions.", True,
         "python -m gallery train emotion --data-dir data/cache/fer2013 --precision mixed_bfloat16"),
    Task("style", "Neural style transfer", "Paint a photo in the style of a painting.", True,
         "python -m gallery train style --style-image painting.jpg --content-dir photos/"),
    Task("summarization", "Text summarisation", "Headlines and summaries of English and Russian news.", True,
         "python -m gallery train summarization --dataset bbc --data-dir bbc-news-summary/ --kind summary"),
)}
