"""The README keeps its two commands, CI runs the test one, the results table matches the cards, and its
SavedModel example runs."""

import json
import os
import re
import shutil
import subprocess
import sys

from conftest import ROOT, run_cli


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^    (.* && .*)$", readme, flags=re.M)
    assert len(commands) == 2
    assert commands[1] in (ROOT / ".ci" / "run").read_text()


def test_the_readme_stays_a_guide():
    """Under 15,000 characters (per-family detail lives in docs/ and the cards), the app's address named."""
    readme = (ROOT / "README.md").read_text()
    assert len(readme) <= 15_000 and "http://localhost:8501" in readme


def test_results_table_is_generated_from_the_cards():
    env = {key: value for key, value in os.environ.items() if key != "GALLERY_MODELS_DIR"}
    table = subprocess.run([sys.executable, "-m", "gallery", "list", "--markdown"], cwd=ROOT, env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- results:start -->")[1].split("<!-- results:end -->")[0].strip()
    assert block == table, "run `python -m gallery list --markdown` and paste it into the README"


def test_the_savedmodel_example_runs_on_the_exported_shipped_models(tmp_path):
    readme = (ROOT / "README.md").read_text()
    snippet = re.search(r"```python\n(.*?)```", readme, flags=re.S).group(1)
    for folder in sorted(set(re.findall(r'"(exported/\w+)"', snippet))):  # each made by the README's own command
        command = re.search(rf"python -m gallery (export .*) --out {folder}$", readme, flags=re.M).group(1).split()
        exported = run_cli(*command, "--out", tmp_path / folder, "--json")
        assert exported.returncode == 0, exported.stderr[-2000:]
    shutil.copy(ROOT / "apps" / "examples" / "emotion" / "astronaut_eileen_collins_nasa.jpg", tmp_path / "photo.jpg")
    shutil.copy(ROOT / "apps" / "examples" / "summarization" / "english_city_bikes.txt", tmp_path / "article.txt")
    result = subprocess.run([sys.executable, "-c", snippet], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    label, score = result.stdout.splitlines()[0].rsplit(" ", 1)
    assert label in json.loads((ROOT / "models" / "classification" / "imagenet_mobilenet_v2" / "card.json").read_text())[
        "classes"]
    assert 0.1 <= float(score) <= 1 and result.stdout.splitlines()[1].strip()  # a score and a headline
    assert (tmp_path / "scream.jpg").stat().st_size > 0
