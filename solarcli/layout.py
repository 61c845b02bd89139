"""``solar migrate``: move record files from the old flat layout into shard folders.

solarcli before 0.2 kept every record of a kind in one folder (``leads/<id>.yaml``). With
100,000 records every commit then rewrote a 4 MB git tree. Record files now live in one
shard folder per first ID character (``leads/7/7k2m9x4abc.yaml``, ``records.record_path``).
A flat file is found by the index scan (``LayoutError``, exit 5) and by ``solar check``;
this module moves them all in one commit, contents unchanged, and is safe to run again
after it was interrupted (the transaction journal puts moved files back).
"""
from __future__ import annotations

from solarcli import ids, records
from solarcli.errors import ConflictError, ValidationError
from solarcli.storage import gitio


def flat_moves(root) -> list[tuple[str, str]]:
    """(flat path, shard path) of every record file still in the flat layout, sorted."""
    moves: list[tuple[str, str]] = []
    for kind, folder in records.KINDS.items():
        d = root / folder
        if not d.is_dir():
            continue
        for p in sorted(d.iterdir()):
            if p.name.startswith(".") or not p.name.endswith(".yaml") or not p.is_file():
                continue
            rid = p.name[:-5]
            if not ids.is_id(rid):
                raise ValidationError(f"{folder}/{p.name}: not a record file name (expected <id>.yaml with a "
                                      "10-character solar ID); rename or remove it, then run 'solar migrate' again")
            moves.append((f"{folder}/{p.name}", records.record_path(kind, rid)))
    return moves


def migrate(repo, *, dry_run: bool = False) -> dict:
    """Move flat record files into shard folders (one commit). Returns
    ``{"moved": N, "commit": sha or None, "dry_run": bool, "files": {kind folder: N}}``."""
    if dry_run:
        repo.recover()
        moves, result = _plan(repo.root, dry_run=True)
        return result
    with repo.transaction() as tx:  # the checks too run under the repository lock
        moves, result = _plan(repo.root, dry_run=False)
        if not moves:
            return result
        from solarcli.sync.setup import attributes_text

        tx.message = f"migrate {len(moves)} record file(s) into shard folders (<kind>/<x>/<id>.yaml)"
        for src, dst in moves:
            tx.move_file(src, dst)
        attrs = repo.root / ".gitattributes"
        new_attrs = attributes_text(attrs.read_text(encoding="utf-8") if attrs.exists() else "")
        if new_attrs is not None:
            tx.write_file(".gitattributes", new_attrs.encode("utf-8"))
    result["commit"] = tx.commit_sha
    return result


def _plan(root, *, dry_run: bool) -> tuple[list[tuple[str, str]], dict]:
    """The moves, and the result to report; refuses what would lose or mix up changes."""
    moves = flat_moves(root)
    per_folder: dict[str, int] = {}
    for src, _ in moves:
        folder = src.split("/", 1)[0]
        per_folder[folder] = per_folder.get(folder, 0) + 1
    result = {"moved": len(moves), "commit": None, "dry_run": dry_run, "files": per_folder}
    if not moves:
        return moves, result
    srcs = {s for s, _ in moves}
    for src, dst in moves:
        if (root / dst).exists():
            raise ConflictError(f"{src} and {dst} both exist (a change made on another clone before the "
                                "migration?); compare them, delete one, then run 'solar migrate' again")
    out = gitio.run(root, "status", "--porcelain", "-z", "--no-renames", "--untracked-files=all", "--",
                    *records.KINDS.values(), check=False)
    for entry in out.split("\0"):
        path = entry[3:]
        if len(entry) > 3 and path in srcs and entry[:2] != "??":
            raise ConflictError(f"{path}: uncommitted changes; commit or discard them, then run 'solar migrate' again")
    return moves, result
