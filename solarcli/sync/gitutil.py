"""Small subprocess wrappers around the git binary (no GitPython: these run on
every sync and must stay light)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from solarcli.errors import GitError

def net_env() -> dict:
    """Environment for fetch/push: at a terminal git may ask for a password or
    passphrase; without one (scripts, CI) it must fail at once instead of hanging."""
    import sys

    try:
        interactive = sys.stdin.isatty()
    except (AttributeError, ValueError):
        interactive = False
    if interactive:
        return {}
    return {
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_SSH_COMMAND": os.environ.get("GIT_SSH_COMMAND", "ssh -o BatchMode=yes -o ConnectTimeout=15"),
    }


def git(root: Path | str, *args: str, check: bool = True, env: dict | None = None,
        input: bytes | None = None, timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run ``git -C root args``; output captured as text. ``check`` raises GitError."""
    full_env = None
    if env:
        full_env = dict(os.environ)
        full_env.update(env)
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True, env=full_env, input=input, timeout=timeout,
        )
    except FileNotFoundError as exc:  # pragma: no cover - no git at all
        raise GitError("git is not installed or not on PATH") from exc
    except subprocess.TimeoutExpired as exc:
        raise GitError(f"git {args[0]} timed out after {timeout:.0f} s") from exc
    proc.stdout = proc.stdout.decode("utf-8", "replace") if isinstance(proc.stdout, bytes) else proc.stdout
    proc.stderr = proc.stderr.decode("utf-8", "replace") if isinstance(proc.stderr, bytes) else proc.stderr
    if check and proc.returncode != 0:
        raise GitError(f"git {' '.join(args[:2])} failed: {last_line(proc.stderr or proc.stdout)}")
    return proc


def git_bytes(root: Path | str, *args: str) -> bytes | None:
    """stdout of ``git args`` as bytes, or None when git fails."""
    proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True)
    return proc.stdout if proc.returncode == 0 else None


def last_line(text: str) -> str:
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    # prefer git's "fatal:"/"error:" lines
    for ln in reversed(lines):
        if ln.startswith(("fatal:", "error:")):
            return ln
    return lines[-1] if lines else "(no message)"


def git_dir(root: Path | str) -> Path:
    out = git(root, "rev-parse", "--git-dir").stdout.strip()
    p = Path(out)
    return p if p.is_absolute() else Path(root) / p
