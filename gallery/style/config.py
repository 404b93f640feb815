"""Training configuration of the style family (no Keras import, so the CLI starts fast)."""

import dataclasses
from pathlib import Path

STYLE_WEIGHTS = {"content": 1.0, "style": 100.0, "tv": 200.0}  # balanced by eye on SqueezeNet (see lossnet)
# What users' own style images get by optimisation (app, `predict --method optimize`): 10× the fast networks' style
# weight, or Udnie stays "mostly unchanged with green blobs" (docs/style.md); `evaluate style` keeps STYLE_WEIGHTS for
# its reference, the objective the fast networks are trained for.
OPTIMISATION_WEIGHTS = {**STYLE_WEIGHTS, "style": 1000.0}
METHODS = ("fast", "arbitrary", "optimize")  # a shipped network, Magenta's for any painting, optimisation


@dataclasses.dataclass
class StyleConfig:
    style_image: str = None
    content_dir: str = None
    extra_content_dir: str = None
    out: str = None
    size: int = 256
    crops: int = 2400  # 800 gave clearly higher style and content losses (see README)
    max_upscale: float = 2.0  # crops are at least size / max_upscale px of a photo (1: never upscaled, sharp)
    epochs: int = 5
    batch_size: int = 4
    learning_rate: float = 1e-3
    content_weight: float = STYLE_WEIGHTS["content"]
    style_weight: float = STYLE_WEIGHTS["style"]
    tv_weight: float = STYLE_WEIGHTS["tv"]
    loss_network: str = "squeezenet"
    loss_network_weights: str = None
    separable_blocks: int = 0  # extra depthwise-separable residual blocks at the bottleneck (capacity, see models)
    input_skip: bool = False  # a full-resolution path from the photo to the output layer (detail, see models)
    photo_residual: bool = False  # the photo added before the output's tanh with a learnt weight (see models)
    init_from: str = None  # a trained fast style network to start from (e.g. to fine-tune at a larger --size)
    seed: int = 0

    def out_dir(self):
        return Path(self.out or f"models/style/{Path(self.style_image).stem}")

    def weights(self):
        return {"content": self.content_weight, "style": self.style_weight, "tv": self.tv_weight}
