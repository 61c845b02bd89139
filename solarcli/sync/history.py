"""``solar history ID``: who changed which fields of a record, when (from git).

Each commit that touched the record file is compared with its first parent,
field by field: scalars and mappings as dotted paths (``site.address.city``),
the item lists (notes, activities, documents, stage history, tags, ...) per
item (``notes[ab12cd34]`` added/removed, ``activities[x].done`` changed).
Merge commits show only what the merge itself produced (values in neither
parent, e.g. a recorded conflict).
"""
from __future__ import annotations

from typing import Any

from solarcli.errors import NotFoundError
from solarcli.sync.merge import SET_FIELDS, _item_key, canonical, plain

ABSENT = None


def field_changes(old: Any, new: Any) -> list[dict]:
    """Field-level differences ``[{field, from, to}]`` between two record mappings."""
    out: list[dict] = []
    _diff_map(old if isinstance(old, dict) else {}, new if isinstance(new, dict) else {}, "", out, top=True)
    return out


def _diff_map(old: dict, new: dict, prefix: str, out: list, *, top: bool) -> None:
    keys = list(old.keys()) + [k for k in new.keys() if k not in old]
    for k in keys:
        path = f"{prefix}.{k}" if prefix else str(k)
        ov, nv = old.get(k, ABSENT), new.get(k, ABSENT)
        if canonical(ov) == canonical(nv):
            continue
        if path in SET_FIELDS and isinstance(ov or [], list) and isinstance(nv or [], list):
            _diff_set(path, ov or [], nv or [], out)
        elif isinstance(ov, dict) and isinstance(nv, dict):
            _diff_map(ov, nv, path, out, top=False)
        else:
            out.append({"field": path, "from": plain(ov), "to": plain(nv)})


def _diff_set(field: str, old: list, new: list, out: list) -> None:
    omap = {_item_key(field, i): i for i in old}
    nmap = {_item_key(field, i): i for i in new}
    for key, item in omap.items():
        label = f"{field}[{_label(key, item)}]"
        if key not in nmap:
            out.append({"field": label, "from": plain(item), "to": None})
        elif canonical(item) != canonical(nmap[key]):
            if isinstance(item, dict) and isinstance(nmap[key], dict):
                _diff_map(item, nmap[key], label, out, top=False)
            else:
                out.append({"field": label, "from": plain(item), "to": plain(nmap[key])})
    for key, item in nmap.items():
        if key not in omap:
            label = f"{field}[{_label(key, item)}]"
            out.append({"field": label, "from": None, "to": plain(item)})


def _label(key: tuple[str, str], item: Any) -> str:
    """How an item is named in a field path: its id, path, or for entries without
    one (stage history) the time it was made; scalars (tags) by value."""
    if key[0] != "v":
        return key[1]
    if isinstance(item, dict):
        for k in ("at", "when", "date"):
            if item.get(k):
                return str(item[k])
    return _short(item)


def _short(item: Any) -> str:
    text = item if isinstance(item, str) else canonical(item)
    return text if len(text) <= 30 else text[:27] + "..."


def _parse(blob_bytes: bytes | None) -> dict:
    if not blob_bytes:
        return {}
    from solarcli.storage.yamlio import loads_fast

    try:
        data = loads_fast(blob_bytes.decode("utf-8"))
    except Exception:  # noqa: BLE001 - a broken historic version: show it as unparsable
        return {"(unparsable)": True}
    return data if isinstance(data, dict) else {}


def _blob(commit, path: str, *more: str) -> bytes | None:
    """The file at ``path`` in ``commit``, else at the first of ``more`` that exists there."""
    for p in (path, *more):
        try:
            return commit.tree[p].data_stream.read()
        except KeyError:
            continue
    return None


def _trailers(message: str) -> dict[str, str]:
    out = {}
    for line in message.strip().splitlines()[1:]:
        if ": " in line and line.split(": ", 1)[0].replace("-", "").isalnum():
            k, v = line.split(": ", 1)
            out[k.strip()] = v.strip()
    return out


def record_path_for(repo, ref: str) -> tuple[str, str, str]:
    """(id, kind, relative path) of a record, also one that was deleted since."""
    from solarcli import ids, records
    from solarcli.storage.gitio import git

    try:
        rid, kind = repo.resolve(ref)
        return rid, kind, records.record_path(kind, rid)
    except NotFoundError:
        pass
    ref = str(ref).strip().lower()
    if not ids.is_prefix(ref):
        raise NotFoundError(f"no record with ID {ref!r}")
    folders = list(records.KINDS.values())
    # --no-renames: the same answer whatever diff.renames says ('solar migrate' moved every file)
    out = git(repo.root, "log", "--all", "--format=", "--name-only", "--no-renames", "--diff-filter=D", "--",
              *folders, check=False).stdout
    found: dict[tuple[str, str], str] = {}
    for p in out.splitlines():
        hit = records.parse_path(p)
        if hit and hit[1].startswith(ref) and (hit not in found or records.is_flat_path(found[hit])):
            found[hit] = p  # one record, once: its shard path if it ever had one
    hits = sorted(found.values())
    if not hits:
        raise NotFoundError(f"no record with ID {ref!r} (not now, and not in the history)")
    if len(hits) > 1:
        from solarcli.errors import AmbiguousIdError

        raise AmbiguousIdError(f"ID prefix {ref!r} is ambiguous: matches {', '.join(hits[:10])}; type more characters")
    hit = records.parse_path(hits[0])
    if hit is None:
        raise NotFoundError(f"no record with ID {ref!r} (not now, and not in the history)")
    kind, rid = hit
    return rid, kind, hits[0]


def history(repo, ref: str, *, rev: str = "HEAD", limit: int | None = None) -> list[dict]:
    """Newest first: ``{commit, date, author, email, message, command, merge, changes}``."""
    import git as gitpython

    from solarcli import records

    rid, kind, rel = record_path_for(repo, ref)
    former = [p for p in (records.record_path(kind, rid), records.flat_path(kind, rid)) if p != rel]
    g = gitpython.Repo(repo.root)
    try:  # the path before 'solar migrate' too: the history goes on across the move
        commits = list(g.iter_commits(rev, paths=[rel, *former], max_count=limit))
    except gitpython.GitCommandError as exc:
        raise NotFoundError(f"revision {rev!r}: {exc.stderr.strip().splitlines()[-1] if exc.stderr else exc}") from None
    out = []
    for c in commits:
        new = _parse(_blob(c, rel, *former))
        parents = list(c.parents)
        old = _parse(_blob(parents[0], rel, *former)) if parents else {}
        changes = field_changes(old, new)
        if len(parents) > 1:
            # a merge: keep only fields whose result is in neither parent (the merge's own work)
            other_fields = {x["field"] for x in field_changes(_parse(_blob(parents[1], rel, *former)), new)}
            changes = [ch for ch in changes if ch["field"] in other_fields]
        if not changes and len(parents) > 1:
            continue
        msg = c.message
        out.append({
            "commit": c.hexsha,
            "date": c.authored_datetime.isoformat(),
            "author": c.author.name,
            "email": c.author.email,
            "message": msg.strip().splitlines()[0] if msg.strip() else "",
            "command": _trailers(msg).get("Solar-Command"),
            "merge": len(parents) > 1,
            "changes": changes,
            "id": rid,
            "kind": kind,
        })
    return out
