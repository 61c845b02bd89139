"""gitio.unstage: a rolled-back change takes its paths out of git's index again, however many."""
from __future__ import annotations

import subprocess

import pytest

from solarcli.storage import gitio


def git(root, *args, input=None):
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True, input=input).stdout


@pytest.mark.parametrize("n", [3, 450])  # a short list goes through 'git reset', a long one through --index-info
def test_unstage_puts_paths_back_to_head_and_keeps_other_staged_changes(tmp_path, n):
    root = tmp_path / "r"
    root.mkdir()
    git(root, "init", "-q")
    git(root, "config", "user.name", "T")
    git(root, "config", "user.email", "t@example.org")
    for i in range(n):
        (root / f"f{i}.txt").write_text(f"old {i}\n")
    (root / "mine.txt").write_text("mine\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    # a change stages edits, new files and a deletion ...
    for i in range(n):
        (root / f"f{i}.txt").write_text(f"new {i}\n")
        (root / f"g{i}.txt").write_text(f"added {i}\n")
    (root / "f0.txt").unlink()
    paths = [f"f{i}.txt" for i in range(n)] + [f"g{i}.txt" for i in range(n)]
    git(root, "update-index", "--add", "--remove", "-z", "--stdin", input="\0".join(paths) + "\0")
    # ... while the user has staged a change of their own
    (root / "mine.txt").write_text("mine, edited\n")
    git(root, "add", "mine.txt")

    gitio.unstage(root, paths)

    assert git(root, "diff", "--cached", "--name-only").split() == ["mine.txt"]
    assert git(root, "ls-files", "--", "g1.txt") == ""
