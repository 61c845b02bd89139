"""The git merge driver: ``solar merge-driver %O %A %B %P``.

git calls it for paths marked ``merge=solar`` in ``.gitattributes`` with the
ancestor (%O), ours (%A, also where the result goes), theirs (%B) and the
path name (%P). Record files are merged field by field
(:mod:`solarcli.sync.merge`) and the driver exits 0. For anything else (a
path that is not a record, input that does not parse as a mapping) it writes
git's usual line merge with conflict markers into %A and exits 1, so git
reports a normal conflict.
"""
from __future__ import annotations

import subprocess
from collections.abc import MutableMapping
from pathlib import Path

from solarcli.sync.merge import merge_records
from solarcli.storage.yamlio import dump_roundtrip as dumps_roundtrip, loads_roundtrip

#: Record folders whose ``<x>/<id>.yaml`` files the driver merges.
RECORD_DIRS = ("contacts", "leads", "projects", "proposals")


def is_record_path(path: str) -> bool:
    """A record file, in shard folders or the old flat layout (both merge field by field)."""
    from solarcli.records import parse_path

    return parse_path(path) is not None


class _Unmergeable(Exception):
    pass


class _Paired(Exception):
    pass


def _load(path: str, *, allow_empty: bool):
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _Unmergeable(str(exc)) from exc
    if "\n<<<<<<< " in "\n" + text or "\n>>>>>>> " in "\n" + text:
        raise _Unmergeable("conflict markers")
    if not text.strip():
        if allow_empty:
            return None
        raise _Unmergeable("empty")
    try:
        data = loads_roundtrip(text)
    except Exception as exc:
        raise _Unmergeable(str(exc)) from exc
    if data is None and allow_empty:
        return None
    if not isinstance(data, MutableMapping):
        raise _Unmergeable("not a mapping")
    return data


def _line_merge(base: str, ours: str, theirs: str, name: str) -> int:
    """git's own line merge into ``ours`` (leaves markers); always returns 1."""
    try:
        subprocess.run(
            ["git", "merge-file", "-L", f"{name} (ours)", "-L", f"{name} (base)",
             "-L", f"{name} (theirs)", ours, base, theirs],
            check=False, capture_output=True,
        )
    except OSError:  # pragma: no cover - git missing while git runs us
        pass
    return 1


def merge_files(base: str, ours: str, theirs: str, name: str) -> tuple[int, list[dict]]:
    """Merge the three files, result into ``ours``. Returns (exit code, conflicts)."""
    try:
        return _merge_files(base, ours, theirs, name)
    except _Paired as exc:
        return 1, [{"field": "(record)", "message": str(exc)}]


def _merge_files(base: str, ours: str, theirs: str, name: str) -> tuple[int, list[dict]]:
    if not is_record_path(name):
        return _line_merge(base, ours, theirs, name), []
    try:
        b = _load(base, allow_empty=True)
        o = _load(ours, allow_empty=False)
        t = _load(theirs, allow_empty=False)
    except _Unmergeable:
        return _line_merge(base, ours, theirs, name), []
    ids = {str(d.get("id")) for d in (b, o, t) if d is not None}
    if len(ids) > 1:
        # git paired two different records (its rename detection): never mix them.
        # Leave theirs' record at this path and report a conflict; ours' version of the
        # other record is still in ours' history.
        Path(ours).write_bytes(Path(theirs).read_bytes())
        raise _Paired(f"git paired two different records ({', '.join(sorted(ids))}); "
                      "kept the incoming one here, not merged")
    result = merge_records(b, o, t)
    if result.merged is None:  # pragma: no cover - git handles deletions itself
        return _line_merge(base, ours, theirs, name), []
    text = dumps_roundtrip(result.merged)
    Path(ours).write_text(text, encoding="utf-8")
    return 0, result.conflicts


def run(base: str, ours: str, theirs: str, name: str) -> int:
    code, _ = merge_files(base, ours, theirs, name)
    return code
