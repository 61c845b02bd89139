"""``solar undo``: revert the last change made with solar, as a new commit.

Solar commits carry a ``Solar-Command:`` trailer (written by the core). Undo
walks the first-parent history from HEAD (your own line of work; changes that
arrived through ``solar sync`` merges are not yours to undo) and picks the
newest solar commit that is not a merge, not ``init``, not itself an undo and
not undone already, so ``solar undo`` twice undoes the last two changes.
The undo commit carries ``Solar-Command: undo`` and ``Solar-Undo: <sha>``.

Files are restored field by field: a record changed again after the undone
commit keeps the later changes (``solar undo`` reports which fields it could
not restore); a document changed since is refused.
"""
from __future__ import annotations

from solarcli.errors import ConflictError, NotFoundError
from solarcli.sync.driver import is_record_path
from solarcli.storage.gitio import git, git_bytes, git_dir

UNDO_TRAILER = "Solar-Undo"
SOLAR_TRAILER = "Solar-Command"


def _trailers(body: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in body.strip().splitlines()[1:]:
        if ": " in line:
            k, v = line.split(": ", 1)
            if k.replace("-", "").isalnum():
                out[k.strip()] = v.strip()
    return out


def find_target(root) -> tuple[str, str, dict] | None:
    """(sha, subject, trailers) of the commit ``solar undo`` would revert, or None."""
    out = git(root, "log", "--first-parent", "-n", "2000", "--format=%H%x1f%P%x1f%B%x1e", "HEAD",
              check=False).stdout
    undone: set[str] = set()
    for chunk in out.split("\x1e"):
        chunk = chunk.strip("\n")
        if not chunk:
            continue
        sha, parents, body = chunk.split("\x1f", 2)
        tr = _trailers(body)
        if UNDO_TRAILER in tr:
            undone.add(tr[UNDO_TRAILER])
            continue
        cmd = tr.get(SOLAR_TRAILER)
        if cmd is None or len(parents.split()) > 1:
            continue
        if cmd == "init" or not parents.strip():
            return None
        if sha in undone:
            continue
        return sha, body.strip().splitlines()[0] if body.strip() else "", tr
    return None


def undo(repo, *, dry_run: bool = False) -> dict:
    """Revert the last solar change. Returns ``{undone, subject, commit, paths, kept}``."""
    from solarcli import records
    from solarcli.repo import Record
    from solarcli.sync.engine import unmerged_paths
    from solarcli.sync.merge import merge_records
    from solarcli.storage.yamlio import dump_roundtrip as dumps_roundtrip, loads_roundtrip

    root = repo.root
    repo.recover()
    if (git_dir(root) / "MERGE_HEAD").exists() or unmerged_paths(root):
        raise ConflictError("the working tree has unresolved merge conflicts; finish or abort the merge "
                            "('git status', 'git merge --abort') before 'solar undo'")
    target = find_target(root)
    if target is None:
        raise NotFoundError("nothing to undo: no change made with solar since the repository was created")
    sha, subject, _tr = target
    paths = [p for p in git(root, "diff-tree", "--no-commit-id", "-r", "--name-only", "-z", f"{sha}^", sha)
             .stdout.split("\0") if p]
    dirty = set(git(root, "status", "--porcelain=v1", "-z", "--untracked-files=no", "--", *paths)
                .stdout.split("\0")) if paths else set()
    dirty_paths = sorted(e[3:] for e in dirty if len(e) > 3)
    if dirty_paths:
        raise ConflictError(f"cannot undo '{subject}': uncommitted changes in {', '.join(dirty_paths)}; "
                            "commit or discard them first")
    result = {"undone": sha, "subject": subject, "commit": None, "paths": paths, "kept": []}
    if dry_run:
        return result
    repo.command = "undo"
    with repo.transaction(f"undo: {subject}") as tx:
        tx.trailers[UNDO_TRAILER] = sha
        for path in paths:
            before = git_bytes(root, "show", f"{sha}^:{path}")
            after = git_bytes(root, "show", f"{sha}:{path}")
            full = root / path
            current = full.read_bytes() if full.exists() else None
            if current == before:
                continue
            if current == after:
                if before is None:
                    _refuse_if_linked(repo, path, paths)
                    tx.remove_file(path)
                elif is_record_path(path):  # restored, and a new change (for later merges)
                    tx.save(Record(records.parse_path(path)[0], loads_roundtrip(before.decode("utf-8")), path))
                else:
                    tx.write_file(path, before)
                continue
            if not is_record_path(path):
                raise ConflictError(f"cannot undo '{subject}': {path} was changed again since; nothing was changed")
            # the record changed again since: restore field by field, later changes win
            b = loads_roundtrip(after.decode("utf-8")) if after else None
            o = loads_roundtrip(current.decode("utf-8")) if current else None
            t = loads_roundtrip(before.decode("utf-8")) if before else None
            res = merge_records(b, o, t, record_conflicts=False)
            result["kept"] += [f"{path}: {c['field']}" for c in res.conflicts]
            kind = records.parse_path(path)[0]
            if res.merged is None:
                _refuse_if_linked(repo, path, paths)
                tx.remove_file(path)
            elif current is None:
                tx.write_file(path, dumps_roundtrip(res.merged).encode("utf-8"))
            else:
                tx.save(Record(kind, res.merged, path))
    result["commit"] = tx.commit_sha
    return result


def _refuse_if_linked(repo, path: str, same_commit: list[str]) -> None:
    if not is_record_path(path):
        return
    from solarcli import records

    rid = records.parse_path(path)[1]
    try:
        linked = repo.links_to(rid)
    except Exception:  # noqa: BLE001 - the index is a cache; do not block undo on it
        return
    others = [r for r in linked if records.record_path(r["kind"], r["id"]) not in same_commit]
    if others:
        names = ", ".join(f"{r['kind']} {r['id'][:7]}" for r in others[:5])
        raise ConflictError(f"cannot undo: it would remove {path}, which {names} now link(s) to; "
                            "remove or relink those first")
