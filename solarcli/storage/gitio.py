"""Git plumbing for the records repository.

Every mutating command makes exactly one commit containing only the paths it touched:
``git add -- paths`` then ``git commit --only -- paths`` (whatever the user had staged is
never committed by solar). The hot path (add + commit) calls the git binary directly:
importing GitPython costs ~90 ms on every ``solar`` call; GitPython is used where its
object model pays off (history, sync).
"""
from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from solarcli.errors import GitError

# Every commit solar makes carries this trailer (``solar undo`` and ``history`` use it).
SOLAR_TRAILER = "Solar-Command"


@dataclass(frozen=True)
class Actor:
    name: str
    email: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


def run(root: Path, *args: str, input: str | None = None, env: dict | None = None,
        check: bool = True) -> str:
    """Run ``git args`` in ``root``; GitError with git's last stderr line on failure."""
    try:
        proc = subprocess.run(
            ["git", *args], cwd=root, input=input.encode() if input is not None else None,
            capture_output=True, env={**os.environ, **(env or {})},
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None
    if check and proc.returncode != 0:
        lines = [ln for ln in (proc.stderr or proc.stdout).decode(errors="replace").splitlines() if ln.strip()]
        raise GitError(f"git {args[0]} failed: {lines[-1].strip() if lines else 'exit ' + str(proc.returncode)}")
    return proc.stdout.decode(errors="replace")


def init(root: Path) -> None:
    run(root, "init", "-q", "-b", "main")


def identity(root: Path) -> Actor | None:
    """The git identity configured for ``root`` (or globally), or None."""
    name = run(root, "config", "user.name", check=False).strip()
    email = run(root, "config", "user.email", check=False).strip()
    if name and email:
        return Actor(name, email)
    return None


def head(root: Path) -> str | None:
    return run(root, "rev-parse", "-q", "--verify", "HEAD", check=False).strip() or None


def head_message(root: Path) -> str:
    return run(root, "log", "-1", "--format=%B", check=False)


def commit(root: Path, paths: list[str], message: str, actor: Actor,
           trailers: dict | None = None) -> str:
    """Stage ``paths`` (added, changed or deleted) and commit only them. Returns the sha."""
    if not paths:
        raise GitError("nothing to commit")
    body = message.rstrip() + "\n"
    if trailers:
        body += "\n" + "".join(f"{k}: {v}\n" for k, v in trailers.items())
    env = {
        "GIT_AUTHOR_NAME": actor.name, "GIT_AUTHOR_EMAIL": actor.email,
        "GIT_COMMITTER_NAME": actor.name, "GIT_COMMITTER_EMAIL": actor.email,
    }
    spec = "\0".join(paths) + "\0"
    run(root, "add", "-A", "--pathspec-from-file=-", "--pathspec-file-nul", input=spec)
    solar_dir = root / ".solar"
    solar_dir.mkdir(exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=solar_dir, delete=False, suffix=".paths", encoding="utf-8") as pf:
        pf.write(spec)
    try:
        args = ["-c", "commit.gpgsign=false", "commit", "-q", "--no-verify", "-F", "-"]
        if head(root) is not None:
            args += ["--only", f"--pathspec-from-file={pf.name}", "--pathspec-file-nul"]
        run(root, *args, input=body, env=env)
    finally:
        os.unlink(pf.name)
    return head(root) or ""
