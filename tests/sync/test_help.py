"""Every team command has --help, is documented, and stays out of 'import solarcli.cli'."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = ["sync", "conflicts", "conflicts resolve", "history", "undo", "check", "merge-driver"]


@pytest.mark.parametrize("command", COMMANDS)
def test_help_and_docs(ok, command):
    out = ok(*command.split(), "--help")
    assert out.startswith("Usage: ") and f" {command} " in out.splitlines()[0]
    readme = (ROOT / "README.md").read_text()
    team = readme[readme.index("## Working as a team"):]
    assert f"solar {command}" in team


def test_import_stays_light():
    code = ("import sys, solarcli.cli; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('git', 'ruamel', 'yaml') "
            "or m.startswith('solarcli.sync')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "solarcli.sync" not in out and "'git'" not in out, out
