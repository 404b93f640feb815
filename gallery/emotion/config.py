"""Training configuration of the emotion family (no Keras import, so the CLI starts fast)."""

import dataclasses
from pathlib import Path

CLASS_WEIGHTING = ("none", "sqrt", "balanced")
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16", "auto")


@dataclasses.dataclass
class EmotionConfig:
    data_dir: str = None
    out: str = "models/emotion/fer2013_vgg"
    width: int = 32
    epochs: int = 40
    batch_size: int = 128
    learning_rate: float = 2e-3  # AdamW's peak; SGD (0.002–0.02) left a ResNet at the majority class for epochs
    weight_decay: float = 0.05
    label_smoothing: float = 0.1
    dropout: float = 0.3
    class_weights: str = "sqrt"
    precision: str = "float32"  # mixed_bfloat16: ~2.5x faster on AVX-512 BF16 CPUs and GPUs; auto picks per machine
    seed: int = 0
    limit: int = None

    def out_dir(self):
        return Path(self.out)


def resolved_precision(precision):
    """`precision`, with "auto" made mixed_bfloat16 on a GPU or a CPU with native bfloat16 (AVX-512 BF16, AMX) and
    float32 elsewhere: on an AVX2-only CPU bfloat16 is emulated and trains about 8× slower than float32."""
    if precision != "auto":
        return precision
    import keras

    if keras.backend.backend() == "jax":
        import jax

        if jax.default_backend() != "cpu":
            return "mixed_bfloat16"
    elif keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        if tf.config.list_physical_devices("GPU"):
            return "mixed_bfloat16"
    flags = Path("/proc/cpuinfo").read_text().split() if Path("/proc/cpuinfo").exists() else []
    return "mixed_bfloat16" if {"avx512_bf16", "amx_bf16"} & set(flags) else "float32"
