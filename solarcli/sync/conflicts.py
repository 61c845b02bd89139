"""Field conflicts left by merges: list them and resolve them.

A merge where both sides changed the same field keeps the later value and
records the losing one on the record::

    conflicts:
      - field: stage
        value: lost            # the value that lost
        lost_to: qualified     # the value the record has now
        at: '2026-03-01T10:00:00+00:00'   # when the losing side changed it

``list_conflicts`` finds them in every record file; ``resolve`` keeps the
current value or takes another one, and removes the entries (one commit).
"""
from __future__ import annotations

import re
from typing import Any

from solarcli.errors import NotFoundError, UsageError, ValidationError
from solarcli.sync.merge import CONFLICTS_KEY, DELETED_FIELD, _item_key, canonical, plain

_SEG_RE = re.compile(r"([^.\[\]]+)((?:\[[^\]]*\])*)")


def list_conflicts(repo, ref: str | None = None) -> list[dict]:
    """Rows ``{id, kind, path, field, value, lost_to, at}`` of every recorded conflict."""
    from solarcli.storage import yamlio

    root = repo.root
    rows: list[dict] = []
    if ref:
        rec = repo.load(ref)
        targets = [(rec.kind, rec.path)]
    else:
        targets = _candidates(root)
    for kind, rel in targets:
        text = (root / rel).read_text(encoding="utf-8")
        if f"{CONFLICTS_KEY}:" not in text:
            continue
        data = yamlio.loads_fast(text, name=rel) or {}
        for entry in data.get(CONFLICTS_KEY) or []:
            if not isinstance(entry, dict):
                continue
            rows.append({
                "id": str(data.get("id")), "kind": kind, "path": rel,
                "field": entry.get("field"), "value": plain(entry.get("value")),
                "lost_to": plain(entry.get("lost_to")), "at": _s(entry.get("at")),
            })
    return rows


def _candidates(root) -> list[tuple[str, str]]:
    """Record files that may hold conflicts: ``git grep`` (fast at 100k records), else a scan."""
    import subprocess

    from solarcli import records

    folders = list(records.KINDS.values())
    proc = subprocess.run(["git", "-C", str(root), "grep", "--untracked", "-l", "-z", "-e", f"^{CONFLICTS_KEY}:",
                           "--", *[f"{f}/*.yaml" for f in folders]], capture_output=True)
    if proc.returncode in (0, 1):
        paths = sorted(p for p in proc.stdout.decode("utf-8", "replace").split("\0") if p)
    else:
        paths = sorted(p.relative_to(root).as_posix() for f in folders if (root / f).is_dir()
                       for p in (root / f).rglob("*.yaml"))
    return [(hit[0], p) for p in paths if (hit := records.parse_path(p)) is not None]


def _s(v: Any) -> Any:
    return None if v is None else str(v)


def _parse_path(path: str) -> list[tuple[str, list[str]]]:
    """``notes[ab12].text`` -> [("notes", ["ab12"]), ("text", [])]."""
    out = []
    pos = 0
    text = path
    while pos < len(text):
        m = _SEG_RE.match(text, pos)
        if not m:
            raise ValidationError(f"field {path!r}: not a field path (e.g. stage, site.address.city, notes[ID].text)")
        keys = re.findall(r"\[([^\]]*)\]", m.group(2))
        out.append((m.group(1), keys))
        pos = m.end()
        if pos < len(text):
            if text[pos] != ".":
                raise ValidationError(f"field {path!r}: not a field path")
            pos += 1
    return out


def set_field_path(data: Any, path: str, value: Any, *, delete: bool = False) -> None:
    """Set (or delete) a conflict field path in a record mapping, in place."""
    segs = _parse_path(path)
    cur = data
    for i, (name, keys) in enumerate(segs):
        last = i == len(segs) - 1
        if last and not keys:
            if delete:
                cur.pop(name, None)
            else:
                cur[name] = value
            return
        nxt = cur.get(name)
        if nxt is None and not keys:
            nxt = cur[name] = {}
            nxt = cur[name]
        for j, key in enumerate(keys):
            if not isinstance(nxt, list):
                raise NotFoundError(f"field {path!r}: {name} is not a list")
            idx = next((n for n, item in enumerate(nxt) if _matches(name, item, key)), None)
            if last and j == len(keys) - 1:
                if delete:
                    if idx is not None:
                        del nxt[idx]
                elif idx is None:
                    nxt.append(value)
                else:
                    nxt[idx] = value
                return
            if idx is None:
                raise NotFoundError(f"field {path!r}: no entry {key!r} in {name}")
            nxt = nxt[idx]
        cur = nxt


def _matches(field: str, item: Any, key: str) -> bool:
    kind, value = _item_key(field, item)
    return value == key or (kind == "v" and canonical(item) == key)


def resolve(repo, ref: str, field: str, *, take: str | None = None, keep: bool = False,
            lost: bool = False) -> dict:
    """Resolve the conflicts recorded for ``field`` of a record (one commit).

    ``keep``: keep the current value; ``take``: set the field to this text
    (YAML-parsed, so numbers stay numbers); ``lost``: take the recorded losing
    value (the latest one when several). Returns ``{id, kind, field, value, removed}``.
    """
    if sum(bool(x) for x in (take is not None, keep, lost)) != 1:
        raise UsageError("conflicts resolve: pass exactly one of --keep, --take VALUE, --lost")
    with repo.transaction() as tx:
        rec = tx.load(ref)
        entries = rec.data.get(CONFLICTS_KEY) or []
        mine = [e for e in entries if isinstance(e, dict) and str(e.get("field")) == field]
        if not mine:
            fields = sorted({str(e.get("field")) for e in entries if isinstance(e, dict)})
            listed = ", ".join(fields) if fields else "none"
            raise NotFoundError(f"{rec.label}: no conflict on field {field!r}; conflicts: {listed}")
        value: Any = None
        action = "keep"
        if field == DELETED_FIELD and not keep:
            raise UsageError(f"{rec.label}: a '(deleted)' conflict can only be cleared with --keep "
                             f"(remove the record with 'solar {rec.kind} rm' if it should go)")
        if lost:
            latest = sorted(mine, key=lambda e: str(e.get("at") or ""))[-1]
            value = plain(latest.get("value"))
            action = "lost"
        elif take is not None:
            value = _parse_value(take, mine)
            action = "take"
        if action != "keep":
            old = rec.data.get(field) if field == "stage" else None
            if field == "stage" and value != old:  # a stage change stays visible in the stage history
                from solarcli.timeutil import now_iso

                rec.data.setdefault("stage_history", [])
                rec.data["stage_history"].append({"at": now_iso(), "by": repo.actor_id, "from": old,
                                                  "to": value, "reason": "merge conflict resolved"})
            if value is None:
                set_field_path(rec.data, field, None, delete=True)
            else:
                set_field_path(rec.data, field, value)
        for e in mine:
            entries.remove(e)
        if not entries:
            del rec.data[CONFLICTS_KEY]
        tx.save(rec)
        what = "kept current value" if action == "keep" else f"set to {value!r}"
        tx.message = f"{rec.label}: resolve conflict on {field} ({what})"
    return {"id": rec.id, "kind": rec.kind, "field": field, "action": action,
            "value": plain(value) if action != "keep" else None, "removed": len(mine)}


def _parse_value(text: str, entries: list[dict]) -> Any:
    samples = [e.get("value") for e in entries] + [e.get("lost_to") for e in entries]
    if all(isinstance(s, str) or s is None for s in samples):
        return text
    from solarcli.storage.yamlio import loads_fast

    try:
        return loads_fast(text)
    except Exception:  # noqa: BLE001 - then it is plain text
        return text
