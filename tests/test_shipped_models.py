"""The shipped models: every file a card names is the file beside it, and each folder stays small."""

import json

import pytest
from conftest import ROOT

from gallery.cards import file_sha256

CARDS = sorted((ROOT / "models").glob("*/*/card.json"))
LIMIT_MB = {"style": 7}  # by task (issue 4); a converted pretrained network (a card with a source): 16; others: 10


@pytest.mark.parametrize("card_path", CARDS, ids=lambda path: f"{path.parent.parent.name}/{path.parent.name}")
def test_card_hashes_match_the_files_and_the_folder_is_small(card_path):
    folder, card = card_path.parent, json.loads(card_path.read_text())
    named = [entry for entry in card.values() if isinstance(entry, dict) and "sha256" in entry]
    assert named and all(file_sha256(folder / entry["name"]) == entry["sha256"] for entry in named)
    shipped = [path for path in folder.rglob("*") if path.is_file() and "checkpoints" not in path.parts]
    limit = 16 if "source" in card else LIMIT_MB.get(card["task"], 10)
    assert sum(path.stat().st_size for path in shipped) <= limit * 1e6
