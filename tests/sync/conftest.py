"""Teams on git: a real bare remote and several clones in temporary directories."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest


def git(root: Path, *args: str, check: bool = True) -> str:
    proc = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout


class Team:
    """``team.remote`` (bare), ``team.a`` (made by solar init), more clones with ``team.clone()``."""

    def __init__(self, tmp: Path, cli, ok):
        self.tmp, self.cli, self.ok = tmp, cli, ok
        self.remote = tmp / "remote.git"
        git(tmp, "init", "-q", "--bare", "-b", "main", str(self.remote))
        self.a = tmp / "a"
        ok("init", self.a, "--company", "Sunny Roofs GmbH")
        git(self.a, "remote", "add", "origin", str(self.remote))
        self.run(self.a, "sync")

    def clone(self, name: str, *, sync: bool = True) -> Path:
        path = self.tmp / name
        git(self.tmp, "clone", "-q", str(self.remote), str(path))
        if sync:
            self.run(path, "sync")  # registers the merge driver in the fresh clone
        return path

    def run(self, repo: Path, *args, **kw) -> str:
        return self.ok("--repo", repo, *args, **kw)

    def res(self, repo: Path, *args, **kw):
        return self.cli("--repo", repo, *args, **kw)

    def out(self, repo: Path, *args) -> str:
        """stdout, stripped (an ID for the add commands)."""
        return self.run(repo, *args).strip()


@pytest.fixture
def team(tmp_path, cli, ok) -> Team:
    return Team(tmp_path, cli, ok)


def load(repo: Path, rel: str) -> dict:
    import yaml

    return yaml.safe_load((repo / rel).read_text())


def clean_tree(repo: Path) -> bool:
    return git(repo, "status", "--porcelain", "--untracked-files=no") == "" and not (repo / ".git" / "MERGE_HEAD").exists()
