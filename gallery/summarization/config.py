"""Training configuration of the summarisation family (no Keras import, so the CLI starts fast)."""

import dataclasses
from pathlib import Path

KINDS = ("summary", "headline")
HEADLINE_ARCHITECTURES = ("copy_transformer", "compressive")  # abstractive generator, word-selecting tagger
METHODS = {"summary": ("neural", "lead", "textrank"), "headline": ("neural", "abstractive", "lead", "textrank")}
MIN_USEFUL_DOCUMENTS = 1000  # a model trained on fewer is a demonstration of the path (its card says so)


def demo_note(card):
    """A warning for a model trained on too few documents to be useful, else None."""
    documents = card.get("training", {}).get("train_documents")
    if documents is not None and documents < MIN_USEFUL_DOCUMENTS:
        return (f"{card['name']} learned from only {documents} articles: it shows that the path trains and runs, "
                "its output is not meaningful.")
    return None


@dataclasses.dataclass
class SummarizationConfig:
    dataset: str = "bbc"
    data_dir: str = None
    kind: str = "summary"
    arch: str = "copy_transformer"
    out: str = None
    vocab_size: int = 8000
    dim: int = 128
    epochs: int = 12
    batch_size: int = 16
    learning_rate: float = 1e-3
    weight_decay: float = 0.01
    seed: int = 0
    limit: int = None
    members: int = 1  # compressive headlines: an ensemble of this many taggers (mean logit)
    include_validation: bool = False  # the final fit, once settings are chosen: train on train + validation

    @property
    def tagger(self):
        """Whether this trains the compressive headline tagger."""
        return self.kind == "headline" and self.arch == "compressive"

    def out_dir(self):
        suffix = "_compressive" if self.tagger else ""
        return Path(self.out or f"models/summarization/{self.dataset}_{self.kind}{suffix}")
