"""Every Python block of the README runs as printed (in a fresh process, in a temporary
folder), and the command-line blocks name commands that exist."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ffapprox.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```(\w*)\n(.*?)```", README.read_text(), flags=re.S)
# Blocks that begin with "# src/..." show a module to add to the package, not a script.
PYTHON = [
    code
    for kind, code in BLOCKS
    if kind == "python" and "# not run" not in code and not code.startswith("# src/")
]


@pytest.mark.slow
@pytest.mark.parametrize("code", PYTHON, ids=[f"block{k}" for k in range(len(PYTHON))])
def test_python_blocks_run_as_printed(code, tmp_path):
    (tmp_path / "example.py").write_text(code)
    result = subprocess.run(
        [sys.executable, "example.py"], cwd=tmp_path, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]


def test_the_readme_has_python_examples():
    assert len(PYTHON) >= 2


def test_commands_in_the_readme_exist():
    commands = set(main.commands)
    for kind, code in BLOCKS:
        if kind != "bash":
            continue
        for line in code.splitlines():
            words = line.split()
            if len(words) > 1 and words[0] == "ffapprox":
                assert words[1] in commands, line
                help_text = CliRunner().invoke(main, [words[1], "--help"])
                assert help_text.exit_code == 0
