"""Shared fixtures: every test runs isolated (temp HOME, git identity, cwd, no SOLAR_REPO)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from solarcli.cli import cli as solar_cli

try:  # timings vary on a loaded 2-core CI machine: no per-example deadlines
    from hypothesis import HealthCheck, settings

    settings.register_profile("solar", deadline=None, suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile("solar")
except ImportError:  # pragma: no cover - hypothesis is a test dependency
    pass


@pytest.fixture(autouse=True)
def isolated(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    gitconfig = home / ".gitconfig"
    gitconfig.write_text("[user]\n\tname = Test User\n\temail = test@example.com\n"
                         "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("SOLAR_REPO", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME",
                "GIT_COMMITTER_EMAIL", "EDITOR", "VISUAL", "SOLAR_CRASH_AFTER"):
        monkeypatch.delenv(var, raising=False)
    work = tmp_path_factory.mktemp("cwd")
    monkeypatch.chdir(work)
    yield


class Cli:
    """Run ``solar`` in-process; results keep stdout and stderr apart."""

    def __init__(self):
        self.runner = CliRunner()

    def __call__(self, *args, input=None, env=None):
        return self.runner.invoke(solar_cli, [str(a) for a in args], input=input, env=env,
                                  catch_exceptions=False)


@pytest.fixture
def cli():
    return Cli()


@pytest.fixture
def ok(cli):
    def run(*args, **kw) -> str:
        r = cli(*args, **kw)
        assert r.exit_code == 0, f"solar {' '.join(map(str, args))} -> {r.exit_code}\nstdout: {r.stdout}\nstderr: {r.stderr}"
        return r.stdout

    return run


@pytest.fixture
def fail(cli):
    def run(code: int, *args, **kw):
        r = cli(*args, **kw)
        assert r.exit_code == code, f"solar {' '.join(map(str, args))} -> {r.exit_code} (expected {code})\nstdout: {r.stdout}\nstderr: {r.stderr}"
        return r

    return run


@pytest.fixture
def records(tmp_path, ok, monkeypatch) -> Path:
    """A fresh records repository (solar init) with SOLAR_REPO pointing at it.

    solar.yaml has users 'test' (the git identity) and 'anna', team 'sales', partner 'sunpartner'."""
    root = tmp_path / "records"
    ok("init", root, "--company", "Sunny Roofs GmbH", "--currency", "EUR", "--locale", "de_DE")
    cfg = root / "solar.yaml"
    text = cfg.read_text()
    text = text.replace("partners: []", "partners:\n  - name: sunpartner\n    active: true\n  - name: oldpartner\n    active: false")
    text = text.replace("teams:\n", "  - id: anna\n    name: 'Anna Schmidt'\n    email: 'anna@sunny.example'\n    active: true\nteams:\n", 1)
    cfg.write_text(text)
    import subprocess

    subprocess.run(["git", "commit", "-qam", "test users"], cwd=root, check=True)
    monkeypatch.setenv("SOLAR_REPO", str(root))
    return root


def git(root: Path, *args: str) -> str:
    import subprocess

    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def gitlog():
    """``gitlog(root)`` → list of commit subjects, newest first."""

    def run(root: Path, *extra: str) -> list[str]:
        return [ln for ln in git(root, "log", "--format=%s", *extra).splitlines() if ln]

    return run
