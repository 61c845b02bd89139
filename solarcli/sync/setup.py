"""Register the solar merge driver in a records repository.

``install_merge_driver(repo_root)`` is called by ``solar init`` (before its
first commit) and by ``solar sync`` (older repositories). It sets
``merge.solar.name`` / ``merge.solar.driver`` in ``.git/config`` and makes
sure ``.gitattributes`` routes record files to it. It returns the repository
relative paths of tracked files it changed (``[".gitattributes"]`` or ``[]``)
so the caller can commit them.
"""
from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

from solarcli.sync.driver import RECORD_DIRS

DRIVER_NAME = "solar"
# '**/' matches zero or more folders: shard folders (leads/7/<id>.yaml) and the old flat layout
ATTRIBUTE_LINES = [f"{d}/**/*.yaml merge={DRIVER_NAME}" for d in RECORD_DIRS]
OLD_ATTRIBUTE_LINES = [f"{d}/*.yaml merge={DRIVER_NAME}" for d in RECORD_DIRS]  # replaced when seen
ATTRIBUTES_HEADER = "# solar: merge record files field by field (solar merge-driver)"


def driver_command(python: str | None = None) -> str:
    """The shell command git runs: the running interpreter, by absolute path,
    so the driver works from whichever virtualenv solar was started from."""
    py = python or sys.executable
    cmd = f"{shlex.quote(py)} -m solarcli merge-driver %O %A %B %P"
    pkg_parent = str(Path(__file__).resolve().parents[2])
    if not _importable_without_path(py):
        # running from a source checkout that is not installed: tell Python where we are
        cmd = f"PYTHONPATH={shlex.quote(pkg_parent)}${{PYTHONPATH:+:$PYTHONPATH}} {cmd}"
    return cmd


_IMPORTABLE: dict[str, bool] = {}


def _importable_without_path(py: str) -> bool:
    if py not in _IMPORTABLE:
        ours = str(Path(__file__).resolve().parents[1])
        try:
            proc = subprocess.run(
                [py, "-c", "import solarcli, os; print(os.path.dirname(os.path.realpath(solarcli.__file__)))"],
                capture_output=True, text=True, cwd="/", timeout=30,
                env={k: v for k, v in __import__("os").environ.items() if k != "PYTHONPATH"},
            )
            _IMPORTABLE[py] = proc.returncode == 0 and proc.stdout.strip() == ours
        except (OSError, subprocess.TimeoutExpired):
            _IMPORTABLE[py] = False
    return _IMPORTABLE[py]


def _config_get(root: Path, key: str, scope: str | None = "--local") -> str | None:
    proc = subprocess.run(["git", "-C", str(root), "config", *([scope] if scope else []), "--get", key],
                          capture_output=True, text=True)
    return proc.stdout.rstrip("\n") if proc.returncode == 0 else None


def driver_installed(repo_root: Path | str) -> bool:
    root = Path(repo_root)
    drv = _config_get(root, f"merge.{DRIVER_NAME}.driver")
    if not drv or "merge-driver" not in drv:
        return False
    attrs = root / ".gitattributes"
    text = attrs.read_text(encoding="utf-8") if attrs.exists() else ""
    return all(line in text.splitlines() for line in ATTRIBUTE_LINES)


def install_merge_driver(repo_root: Path | str, python: str | None = None) -> list[str]:
    """Register the driver (idempotent). Returns tracked paths it changed."""
    root = Path(repo_root)
    want = driver_command(python)
    if _config_get(root, f"merge.{DRIVER_NAME}.driver") != want:
        subprocess.run(["git", "-C", str(root), "config", "--local",
                        f"merge.{DRIVER_NAME}.name", "solar field-level record merge"], check=True)
        subprocess.run(["git", "-C", str(root), "config", "--local",
                        f"merge.{DRIVER_NAME}.driver", want], check=True)
    _tune_index(root)
    if _config_get(root, "merge.renames") is None:
        # records never move: a deleted record and a similar new one are not a rename
        subprocess.run(["git", "-C", str(root), "config", "--local", "merge.renames", "false"], check=True)
    attrs = root / ".gitattributes"
    text = attributes_text(attrs.read_text(encoding="utf-8") if attrs.exists() else "")
    if text is None:
        return []
    tmp = attrs.with_name(".gitattributes.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(attrs)
    return [".gitattributes"]


def attributes_text(text: str) -> str | None:
    """``.gitattributes`` with the record-file lines solar needs (old ones replaced), or None
    when ``text`` already has them."""
    lines = text.splitlines()
    present = set(lines)
    old = present.intersection(OLD_ATTRIBUTE_LINES)
    missing = [line for line in ATTRIBUTE_LINES if line not in present]
    if not missing and not old:
        return None
    if old:
        text = "".join(ln + "\n" for ln in lines if ln not in old)
    if text and not text.endswith("\n"):
        text += "\n"
    if ATTRIBUTES_HEADER not in present:
        text += ATTRIBUTES_HEADER + "\n"
    return text + "".join(line + "\n" for line in missing)


def _tune_index(root: Path) -> None:
    """``core.splitIndex=true`` unless the user chose otherwise: git then rewrites a small
    file per commit instead of the whole index (18 MB at 200k record files; 0.1 s)."""
    if _config_get(root, "core.splitIndex", scope=None) is None:  # the user's global choice counts too
        subprocess.run(["git", "-C", str(root), "config", "--local", "core.splitIndex", "true"], check=False)


def ensure_merge_driver(repo_root: Path | str) -> bool:
    """Cheap check for every command (reads .git/config, no subprocess when the
    driver is there): register the driver in a fresh clone. Returns True when it
    had to register it. ``.gitattributes`` is tracked and left to ``solar sync``."""
    root = Path(repo_root)
    cfg = root / ".git" / "config"
    try:
        text = cfg.read_text(encoding="utf-8")
    except OSError:
        return False
    if "splitindex" not in text.lower():
        _tune_index(root)
    if f'[merge "{DRIVER_NAME}"]' in text and "merge-driver" in text:
        return False
    want = driver_command()
    subprocess.run(["git", "-C", str(root), "config", "--local", f"merge.{DRIVER_NAME}.name",
                    "solar field-level record merge"], check=False)
    subprocess.run(["git", "-C", str(root), "config", "--local", f"merge.{DRIVER_NAME}.driver", want], check=False)
    return True
