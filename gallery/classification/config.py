"""Training configuration of the classification family (no Keras import, so the CLI starts fast)."""

import dataclasses
from pathlib import Path

IMAGENET_BACKBONES = {"mobilenet_v3_small": "MobileNetV3Small", "efficientnet_b0": "EfficientNetB0"}
IMAGENET_ARCHITECTURES = ("mobilenet_v2", *IMAGENET_BACKBONES)  # 3-channel photos at --image-size
ARCHITECTURES = ("resnet", "airbench", "lenet5", *IMAGENET_ARCHITECTURES)


HYPERPARAMETERS = ("epochs", "batch_size", "learning_rate", "weight_decay", "label_smoothing", "dropout")
RECIPES = {  # per architecture; an explicit value overrides. weight_decay is decoupled (Keras SGD's).
    "default": dict(epochs=20, batch_size=256, learning_rate=0.1, weight_decay=5e-3, label_smoothing=0.1,
                    dropout=0.2),
    # airbench94's hyperparameters (lr 11.5 and wd 0.0153 per 1024 examples of a summed loss) for Keras'
    # mean loss; its coupled decay, amplified 1/(1 - momentum) by momentum 0.85, becomes decoupled 0.0089.
    "airbench": dict(epochs=10, batch_size=1024, learning_rate=1.5, weight_decay=8.9e-3, label_smoothing=0.2,
                     dropout=0.0),
}


@dataclasses.dataclass
class TrainConfig:
    dataset: str = "fashion_mnist"
    data_dir: str = None
    out: str = None
    arch: str = "resnet"
    width: int = 32
    epochs: int = None
    batch_size: int = None
    learning_rate: float = None
    weight_decay: float = None
    label_smoothing: float = None
    dropout: float = None
    val_fraction: float = 0.1
    image_size: int = 64
    seed: int = 0
    limit: int = None
    init_from: str = None
    backbone_weights: str = "imagenet"
    freeze_backbone: bool = False
    translate: int = 2  # airbench: random shifts of up to this many pixels (reflect-padded)
    cutout: int = 0  # airbench: erase one random square of this side (pixels) per image, 0 = off

    def __post_init__(self):
        recipe = RECIPES.get(self.arch, RECIPES["default"])
        for name in HYPERPARAMETERS:
            if getattr(self, name) is None:
                setattr(self, name, recipe[name])

    def model_input(self, data_size):
        """(size, channels) the model resizes to: the data's own, or --image-size for ImageNet backbones."""
        if self.arch in IMAGENET_ARCHITECTURES:
            return (self.image_size, self.image_size), 3
        return data_size, 1 if self.dataset in ("mnist", "fashion_mnist") else 3

    def out_dir(self):
        return Path(self.out or f"models/classification/{self.dataset}_{self.arch}")
