"""The registry of the gallery's four families (errors live in `gallery.errors`)."""

import dataclasses
import importlib


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
