"""Training configuration of the emotion family (no Keras import, so the CLI starts fast)."""

import dataclasses
from pathlib import Path

CLASS_WEIGHTING = ("none", "sqrt", "balanced")


@dataclasses.dataclass
class EmotionConfig:
    data_dir: str = None
    out: str = "models/emotion/fer2013_resnet"
    width: int = 32
    epochs: int = 24
    batch_size: int = 128
    learning_rate: float = 0.01  # 0.1 (the classification default) left FER2013 stuck at the majority class
    weight_decay: float = 5e-3
    label_smoothing: float = 0.1
    dropout: float = 0.3
    class_weights: str = "sqrt"
    seed: int = 0
    limit: int = None

    def out_dir(self):
        return Path(self.out)
