"""What the families' command-line modules share: configurations from arguments, and where `export` writes."""

import dataclasses
from pathlib import Path


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
