"""The README keeps its two commands, CI runs the test one, and the results table matches the cards."""

import os
import re
import subprocess
import sys

from conftest import ROOT


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^    (.* && .*)$", readme, flags=re.M)
    assert len(commands) == 2
    assert commands[1] in (ROOT / ".ci" / "run").read_text()


def test_results_table_is_generated_from_the_cards():
    env = {key: value for key, value in os.environ.items() if key != "GALLERY_MODELS_DIR"}
    table = subprocess.run([sys.executable, "-m", "gallery", "list", "--markdown"], cwd=ROOT, env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- results:start -->")[1].split("<!-- results:end -->")[0].strip()
    assert block == table, "run `python -m gallery list --markdown` and paste it into the README"
