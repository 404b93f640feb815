"""The errors a user can fix, shown by the CLI and the apps as one plain line, never a traceback.

The bottom of the package: every module may import it, and it imports nothing of the gallery.
"""

from pathlib import Path


class UserError(Exception):
    """A problem the user can fix; shown as a one-line message, never a traceback."""


class ImageError(ValueError):
    """An input that is not a usable image; the message is meant for the user."""


class TextError(ValueError):
    """An input that is not usable text; the message is meant for the user."""


USER_ERRORS = (UserError, ImageError, TextError, FileNotFoundError, IsADirectoryError, PermissionError)


def require_model_file(folder):
    """`FOLDER/model.keras`, the file the gallery serves, as a Path; a UserError when the folder has none."""
    path = Path(folder) / "model.keras"
    if not path.exists():
        raise UserError(f"No model at {folder} (expected {path}); `python -m gallery list` shows the shipped "
                        "models, `python -m gallery train TASK --help` how to train one.")
    return path
