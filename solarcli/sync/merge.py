"""Three-way, field-by-field merge of record mappings.

``merge_records(base, ours, theirs)`` merges two concurrent versions of one
record against their common ancestor and never produces conflict markers:

* mappings are merged key by key, recursively; a key changed on one side only
  takes that change;
* the list fields in ``SET_FIELDS`` (notes, activities, documents, stage
  history, tags, ...) are merged as ordered sets keyed by the item's ``id``
  (documents: ``path``/``name``; anything else: the whole value). Nothing
  added on either side is lost, an item removed on one side (and untouched on
  the other) is removed, an item edited on one side takes the edit, and an
  item edited on both sides is merged field by field;
* when both sides changed the same field to different values the *later*
  change wins: the side whose record ``updated`` timestamp is later; on a tie
  the larger canonical value (so every clone picks the same winner). The
  losing value is recorded in the record's ``conflicts`` list as
  ``{field, value, lost_to, at}`` where ``solar conflicts`` finds it;
* a field (or list item) deleted on one side and edited on the other keeps
  the edit and records a conflict; a record deleted on one side and edited on
  the other is kept (``MergeResult.deleted_vs_edited``) with a ``(deleted)``
  conflict entry.

The merge edits ``ours`` **in place** when it is a ruamel round-trip mapping,
so comments and styles of the local file survive; values taken from
``theirs`` keep their own comments. Pure Python: no click, no git.
"""
from __future__ import annotations

import copy
import datetime as _dt
import json
from collections.abc import Mapping, MutableMapping, MutableSequence, Sequence
from dataclasses import dataclass, field as dc_field
from typing import Any

__all__ = [
    "SET_FIELDS",
    "CONFLICTS_KEY",
    "DELETED_FIELD",
    "MergeResult",
    "merge_records",
    "canonical",
    "plain",
]

#: List fields (dotted paths) merged as sets: nothing added on either side is lost.
SET_FIELDS = frozenset(
    {
        "notes",
        "activities",
        "documents",
        "stage_history",
        "tags",
        "emails",
        "phones",
        "interests",
        "conflicts",
        "designs",      # project design versions, one per name
        "bom.items",    # bill of materials lines
    }
)
#: How items of a set field are identified (first key present); default ``id``,
#: items without one are identified by their whole value.
ITEM_KEYS = {"documents": ("id", "path", "name"), "designs": ("id", "name")}
#: Where losing values of same-field conflicts are kept on the record.
CONFLICTS_KEY = "conflicts"
#: ``field`` of the conflict entry reporting a record deleted on one side and
#: edited on the other.
DELETED_FIELD = "(deleted)"
#: Keys that are bookkeeping, never reported as conflicts.
_TIMESTAMP_KEYS = frozenset({"updated"})


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()


@dataclass
class MergeResult:
    """Outcome of :func:`merge_records`.

    ``merged`` is the merged mapping (``ours`` edited in place where
    possible) or ``None`` when the record is deleted. ``conflicts`` lists the
    conflict entries recorded by *this* merge (they are also in
    ``merged["conflicts"]``).
    """

    merged: MutableMapping | None
    conflicts: list[dict] = dc_field(default_factory=list)
    deleted_vs_edited: bool = False

    @property
    def deleted(self) -> bool:
        return self.merged is None


# --------------------------------------------------------------------------- helpers
def plain(value: Any) -> Any:
    """A deep copy of ``value`` as plain Python (dict/list/str/int/...)."""
    if isinstance(value, Mapping):
        return {str(k) if not isinstance(k, (str, int)) else k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, _dt.datetime):
        # ruamel's TimeStamp is a datetime subclass; normalise to datetime
        return _dt.datetime(
            value.year, value.month, value.day, value.hour, value.minute,
            value.second, value.microsecond, value.tzinfo,
        )
    return value


def _json_default(value: Any) -> str:
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    return str(value)


def canonical(value: Any) -> str:
    """A stable text form of ``value`` used for equality and tie-breaks."""
    if value is MISSING:
        return ""
    return json.dumps(plain(value), sort_keys=True, default=_json_default, ensure_ascii=False)


def _eq(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if a is MISSING or b is MISSING:
        return False
    return canonical(a) == canonical(b)


def _parse_time(value: Any) -> _dt.datetime | None:
    if value is None or value is MISSING:
        return None
    if isinstance(value, _dt.datetime):
        dt = value
    elif isinstance(value, _dt.date):
        dt = _dt.datetime(value.year, value.month, value.day)
    else:
        text = str(value).strip()
        if not text:
            return None
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            dt = _dt.datetime.fromisoformat(text)
        except ValueError:
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=_dt.timezone.utc)
    return dt


def _time_text(value: Any) -> Any:
    if value is None or value is MISSING:
        return None
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    return str(value)


def _item_key(field: str | None, item: Any) -> tuple[str, str]:
    if isinstance(item, Mapping):
        for k in ITEM_KEYS.get(field or "", ("id",)):
            if item.get(k) is not None and item.get(k) != "":
                return (k, str(item[k]))
    return ("v", canonical(item))


def _key_label(key: tuple[str, str]) -> str:
    kind, value = key
    if kind == "v":
        return value if len(value) <= 40 else value[:37] + "..."
    return value


class _Ctx:
    def __init__(self, ours_time: Any, theirs_time: Any):
        self.ours_raw = ours_time
        self.theirs_raw = theirs_time
        self.ours_time = _parse_time(ours_time)
        self.theirs_time = _parse_time(theirs_time)
        self.conflicts: list[dict] = []

    def ours_wins(self, ov: Any, tv: Any) -> bool:
        ot, tt = self.ours_time, self.theirs_time
        if ot is not None and tt is not None and ot != tt:
            return ot > tt
        if ot is not None and tt is None:
            return True
        if tt is not None and ot is None:
            return False
        return canonical(ov) >= canonical(tv)

    def record(self, path: str, lost: Any, won: Any, lost_side: str) -> None:
        at = self.ours_raw if lost_side == "ours" else self.theirs_raw
        entry = {
            "field": path,
            "value": None if lost is MISSING else plain(lost),
            "lost_to": None if won is MISSING else plain(won),
            "at": _time_text(at),
        }
        if not any(_eq(entry, e) for e in self.conflicts):
            self.conflicts.append(entry)


def _join(prefix: str, key: Any) -> str:
    return f"{prefix}.{key}" if prefix else str(key)


# --------------------------------------------------------------------------- merge
def _merge_value(bv: Any, ov: Any, tv: Any, path: str, top_field: str | None, ctx: _Ctx) -> Any:
    if _eq(ov, tv):
        return ov
    if _eq(ov, bv):
        return tv
    if _eq(tv, bv):
        return ov
    # both sides changed this value, differently
    if path in SET_FIELDS and all(
        v is MISSING or v is None or (isinstance(v, Sequence) and not isinstance(v, str))
        for v in (bv, ov, tv)
    ):
        return _merge_set(bv, ov, tv, path, path, ctx)
    if isinstance(ov, MutableMapping) and isinstance(tv, Mapping):
        return _merge_map(bv if isinstance(bv, Mapping) else {}, ov, tv, path, ctx, top=False)
    if ov is MISSING:  # deleted on ours, edited on theirs: keep the edit
        ctx.record(path, MISSING, tv, "ours")
        return tv
    if tv is MISSING:  # deleted on theirs, edited on ours
        ctx.record(path, MISSING, ov, "theirs")
        return ov
    if ctx.ours_wins(ov, tv):
        ctx.record(path, tv, ov, "theirs")
        return ov
    ctx.record(path, ov, tv, "ours")
    return tv


def _merge_map(b: Mapping, o: MutableMapping, t: Mapping, prefix: str, ctx: _Ctx, *, top: bool) -> MutableMapping:
    keys = list(o.keys())
    seen = set(keys)
    for k in t.keys():
        if k not in seen:
            keys.append(k)
            seen.add(k)
    for k in b.keys():
        if k not in seen:  # deleted on both sides
            seen.add(k)
    tkeys = list(t.keys())
    for k in keys:
        bv, ov, tv = b.get(k, MISSING), o.get(k, MISSING), t.get(k, MISSING)
        if top and k in _TIMESTAMP_KEYS:
            if ov is MISSING or tv is MISSING:
                res = tv if ov is MISSING else ov
            else:
                po, pt = _parse_time(ov), _parse_time(tv)
                if po is not None and pt is not None:
                    res = ov if po >= pt else tv
                else:
                    res = ov if canonical(ov) >= canonical(tv) else tv
        elif top and k == CONFLICTS_KEY:
            res = _merge_set(bv, ov, tv, CONFLICTS_KEY, CONFLICTS_KEY, ctx) if not _eq(ov, tv) else ov
        else:
            res = _merge_value(bv, ov, tv, _join(prefix, k), None, ctx)
        if res is MISSING:
            if k in o:
                del o[k]
        elif k in o:
            if res is not ov:
                o[k] = res
        else:
            _insert_key(o, k, res, tkeys)
    return o


def _insert_key(o: MutableMapping, k: Any, value: Any, tkeys: list) -> None:
    """Insert a key that only ``theirs`` has near where ``theirs`` has it."""
    insert = getattr(o, "insert", None)
    if insert is None:
        o[k] = value
        return
    okeys = list(o.keys())
    idx = tkeys.index(k) if k in tkeys else -1
    pos = len(okeys)
    for prev in reversed(tkeys[:idx] if idx > 0 else []):
        if prev in o:
            pos = okeys.index(prev) + 1
            break
    else:
        if idx == 0:
            pos = 0
    try:
        insert(pos, k, value)
    except Exception:  # pragma: no cover - ruamel edge cases
        o[k] = value


def _merge_set(bv: Any, ov: Any, tv: Any, path: str, top_field: str, ctx: _Ctx) -> Any:
    bl = list(bv) if isinstance(bv, Sequence) and not isinstance(bv, str) else []
    ol_missing = not (isinstance(ov, Sequence) and not isinstance(ov, str))
    tl = list(tv) if isinstance(tv, Sequence) and not isinstance(tv, str) else []
    ol = [] if ol_missing else ov

    def key(item: Any) -> tuple[str, str]:
        return _item_key(top_field, item)

    bmap = {key(i): i for i in bl}
    tmap = {key(i): i for i in tl}
    omap = {key(i): i for i in ol}

    # decide for each of ours' items: keep, drop or replace
    plan: list[tuple[str, Any]] = []  # ("keep", item) | ("drop", None) | ("set", value)
    for item in ol:
        k = key(item)
        label = f"{path}[{_key_label(k)}]"
        if k in tmap:
            ti = tmap[k]
            if _eq(item, ti):
                plan.append(("keep", item))
            else:
                res = _merge_value(bmap.get(k, MISSING), item, ti, label, None, ctx)
                plan.append(("keep", item) if res is item else ("set", res))
        elif k in bmap:  # theirs removed it
            if _eq(item, bmap[k]):
                plan.append(("drop", None))
            else:  # edited here, removed there: keep the edit
                ctx.record(label, MISSING, item, "theirs")
                plan.append(("keep", item))
        else:  # added on ours
            plan.append(("keep", item))
    additions = []
    for item in tl:
        k = key(item)
        if k in omap:
            continue
        if k in bmap:  # ours removed it
            if _eq(item, bmap[k]):
                continue
            ctx.record(f"{path}[{_key_label(k)}]", MISSING, item, "ours")
        if any(_eq(item, a) for a in additions):
            continue
        additions.append(item)

    if ol_missing:
        out = [v for action, v in plan if action != "drop"] + additions
        if not out:
            return MISSING
        return out
    # edit ours in place (keeps comments and flow style of the sequence)
    target: MutableSequence = ol  # type: ignore[assignment]
    for idx in range(len(plan) - 1, -1, -1):
        action, value = plan[idx]
        if action == "drop":
            del target[idx]
        elif action == "set":
            target[idx] = value
    for item in additions:
        target.append(item)
    return target


def merge_records(base: Mapping | None, ours: MutableMapping | None, theirs: Mapping | None,
                  *, record_conflicts: bool = True) -> MergeResult:
    """Merge two concurrent versions of one record (see module docstring).

    ``base`` is the common ancestor (``None`` when both sides created the
    file); ``ours``/``theirs`` are ``None`` when that side deleted the record.
    With ``record_conflicts=False`` the conflict entries are only returned,
    not written into the record (``solar undo`` uses this).
    """
    if ours is None and theirs is None:
        return MergeResult(None)
    if ours is None or theirs is None:
        survivor = theirs if ours is None else ours
        if base is not None and _eq(_without_timestamps(survivor), _without_timestamps(base)):
            return MergeResult(None)  # deleted on one side, untouched on the other
        if base is None:
            return MergeResult(survivor)  # created on one side only
        # deleted on one side, edited on the other: keep the edited record
        survivor = survivor if isinstance(survivor, MutableMapping) else copy.deepcopy(dict(survivor))
        entry = {
            "field": DELETED_FIELD,
            "value": "record deleted",
            "lost_to": "kept: edited on the other side",
            "at": _time_text(survivor.get("updated")),
        }
        if record_conflicts:
            _append_conflicts(survivor, [entry])
        return MergeResult(survivor, [entry], deleted_vs_edited=True)

    ctx = _Ctx(ours.get("updated"), theirs.get("updated"))
    if not isinstance(ours, MutableMapping):  # pragma: no cover - defensive
        ours = dict(ours)
    merged = _merge_map(base if base is not None else {}, ours, theirs, "", ctx, top=True)
    if ctx.conflicts and record_conflicts:
        _append_conflicts(merged, ctx.conflicts)
    return MergeResult(merged, list(ctx.conflicts))


def _without_timestamps(record: Mapping) -> dict:
    return {k: v for k, v in record.items() if k not in _TIMESTAMP_KEYS}


def _append_conflicts(record: MutableMapping, entries: list[dict]) -> None:
    existing = record.get(CONFLICTS_KEY)
    if not isinstance(existing, MutableSequence):
        existing = _new_seq()
        record[CONFLICTS_KEY] = existing
    for entry in entries:
        if not any(_eq(entry, e) for e in existing):
            existing.append(_to_node(entry))


def _new_seq() -> MutableSequence:
    try:
        from ruamel.yaml.comments import CommentedSeq

        return CommentedSeq()
    except Exception:  # pragma: no cover
        return []


def _to_node(entry: dict) -> Any:
    try:
        from ruamel.yaml.comments import CommentedMap

        node = CommentedMap()
        for k, v in entry.items():
            node[k] = copy.deepcopy(v)
        return node
    except Exception:  # pragma: no cover
        return copy.deepcopy(entry)
