"""Training configuration of the classification family (no Keras import, so the CLI starts fast)."""

import dataclasses
from pathlib import Path

IMAGENET_BACKBONES = {"mobilenet_v3_small": "MobileNetV3Small", "efficientnet_b0": "EfficientNetB0"}
ARCHITECTURES = ("resnet", "lenet5", *IMAGENET_BACKBONES)


@dataclasses.dataclass
class TrainConfig:
    dataset: str = "fashion_mnist"
    data_dir: str = None
    out: str = None
    arch: str = "resnet"
    width: int = 32
    epochs: int = 20
    batch_size: int = 256
    learning_rate: float = 0.1
    weight_decay: float = 5e-3
    label_smoothing: float = 0.1
    dropout: float = 0.2
    val_fraction: float = 0.1
    image_size: int = 64
    seed: int = 0
    limit: int = None
    init_from: str = None
    backbone_weights: str = "imagenet"
    freeze_backbone: bool = False

    def model_input(self, data_size):
        """(size, channels) the model resizes to: the data's own, or --image-size for ImageNet backbones."""
        if self.arch in IMAGENET_BACKBONES:
            return (self.image_size, self.image_size), 3
        return data_size, 1 if self.dataset in ("mnist", "fashion_mnist") else 3

    def out_dir(self):
        return Path(self.out or f"models/classification/{self.dataset}_{self.arch}")
