"""Find likely duplicate contacts and merge two contacts into one.

Clusters are built from three kinds of evidence (union-find, so A~B and B~C
make one cluster A, B, C):

* the same normalised e-mail address (case of the address ignored),
* the same E.164 phone number,
* very similar names at the same place: names compared without accents, case
  and word order (``difflib`` ratio >= 0.85), for contacts with the same
  postcode, or the same city and a similar street.

``plan_merge`` / ``merge_contacts`` move every lead, project and proposal of
OTHER to KEEP, append OTHER's notes, activities and documents (document files
move to ``documents/<KEEP>/``), fill KEEP's empty fields from OTHER, list the
conflicting values (KEEP wins unless ``prefer="other"``), and remove OTHER, in
one commit.
"""
from __future__ import annotations

import copy
import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable

from solarcli import ids
from solarcli.errors import UsageError

NAME_RATIO = 0.85
WINDOW = 4  # neighbours compared in sorted order (a block of equal names links as a chain)


def _fold(s: Any) -> str:
    t = unicodedata.normalize("NFKD", str(s or ""))
    t = "".join(c for c in t if not unicodedata.combining(c)).casefold()
    t = t.replace("ı", "i").replace("ß", "ss")
    return re.sub(r"[^0-9a-z]+", " ", t).strip()


def name_key(name: Any) -> str:
    """``"Müller, Jürgen"`` and ``"Jürgen Mueller"`` -> comparable keys."""
    t = _fold(name).replace("ae", "a").replace("oe", "o").replace("ue", "u")
    return " ".join(sorted(t.split()))


class _UF:
    def __init__(self) -> None:
        self.p: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.p.setdefault(x, x)
        while self.p[x] != x:
            self.p[x] = self.p[self.p[x]]
            x = self.p[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.p[max(ra, rb)] = min(ra, rb)


def find_dupes(contacts: Iterable[dict]) -> list[dict[str, Any]]:
    """Clusters of likely duplicates: ``[{"cluster": 1, "ids": [...], "reasons": [...]}]``."""
    cs = {c["id"]: c for c in contacts}
    uf = _UF()
    reasons: dict[tuple[str, str], set[str]] = {}

    def link(a: str, b: str, why: str) -> None:
        if a == b:
            return
        uf.union(a, b)
        reasons.setdefault(tuple(sorted((a, b))), set()).add(why)  # type: ignore[arg-type]

    by_email: dict[str, str] = {}
    by_phone: dict[str, str] = {}
    blocks: dict[str, list[str]] = {}
    for cid, c in cs.items():
        for e in c.get("emails") or []:
            k = str(e).strip().casefold()
            if k in by_email:
                link(by_email[k], cid, f"same e-mail {k}")
            else:
                by_email[k] = cid
        for p in c.get("phones") or []:
            k = re.sub(r"[^0-9+]", "", str(p))
            if k in by_phone:
                link(by_phone[k], cid, f"same phone {k}")
            else:
                by_phone[k] = cid
        addr = c.get("address") or {}
        pc = _fold(addr.get("postcode"))
        city = _fold(addr.get("city"))
        if pc:
            blocks.setdefault("pc:" + pc, []).append(cid)
        elif city:
            blocks.setdefault("city:" + city, []).append(cid)
    for key, members in blocks.items():
        if len(members) < 2:
            continue
        keys = [(name_key(cs[m].get("name") or cs[m].get("company")), m) for m in members]
        keys = [(k, m) for k, m in keys if k]
        # sorted neighbourhood: compare each name with its next WINDOW neighbours in
        # alphabetical order and in order of the reversed name (typos at either end)
        pairs: set[tuple[str, str]] = set()
        for order in (sorted(keys), sorted(keys, key=lambda km: km[0][::-1])):
            for i in range(len(order)):
                for j in range(i + 1, min(i + 1 + WINDOW, len(order))):
                    a, b = order[i][1], order[j][1]
                    pairs.add((a, b) if a < b else (b, a))
        kmap = dict((m, k) for k, m in keys)
        for a, b in pairs:
            ka, kb = kmap[a], kmap[b]
            if ka != kb:
                sm = difflib.SequenceMatcher(None, ka, kb)
                if sm.quick_ratio() < NAME_RATIO or sm.ratio() < NAME_RATIO:
                    continue
            if key.startswith("city:"):
                sa = _fold((cs[a].get("address") or {}).get("street"))
                sb = _fold((cs[b].get("address") or {}).get("street"))
                if not sa or not sb or difflib.SequenceMatcher(None, sa, sb).ratio() < NAME_RATIO:
                    continue
            link(a, b, "similar name and address")
    groups: dict[str, list[str]] = {}
    for cid in cs:
        if cid in uf.p:
            groups.setdefault(uf.find(cid), []).append(cid)
    why_of: dict[str, set[str]] = {}
    for (a, _b), r in reasons.items():
        why_of.setdefault(uf.find(a), set()).update(r)
    out = []
    for members in groups.values():
        if len(members) < 2:
            continue
        members.sort(key=lambda m: (str(cs[m].get("created") or ""), m))
        out.append({"ids": members, "reasons": sorted(why_of.get(uf.find(members[0]), ()))})
    out.sort(key=lambda g: (str(cs[g["ids"][0]].get("name") or ""), g["ids"][0]))
    for n, g in enumerate(out, 1):
        g["cluster"] = n
    return out


# ---------------------------------------------------------------------------- merge

SCALARS = ("type", "name", "company", "external_id")
ADDRESS = ("street", "postcode", "city", "region", "country")
LISTS = ("emails", "phones", "tags")


@dataclass
class MergePlan:
    keep: str
    other: str
    prefer: str
    fills: list[tuple[str, Any]] = field(default_factory=list)  # field, value taken from OTHER
    conflicts: list[dict[str, Any]] = field(default_factory=list)  # field, keep, other, chosen
    moved: list[dict[str, Any]] = field(default_factory=list)  # linked records: kind, id
    notes: int = 0
    activities: int = 0
    documents: list[tuple[str, str]] = field(default_factory=list)  # old path, new path
    data: dict[str, Any] = field(default_factory=dict)  # KEEP's merged data (plain)

    def as_dict(self) -> dict[str, Any]:
        return {
            "keep": self.keep, "other": self.other, "prefer": self.prefer,
            "filled": [{"field": f, "value": v} for f, v in self.fills],
            "conflicts": self.conflicts,
            "moved": self.moved,
            "notes": self.notes, "activities": self.activities,
            "documents": [{"from": a, "to": b} for a, b in self.documents],
        }


def plan_merge(keep: dict, other: dict, linked: list[dict], *, prefer: str = "keep") -> MergePlan:
    """Decide the merged content of KEEP (pure; ``keep``/``other`` are plain dicts)."""
    if prefer not in ("keep", "other"):
        raise UsageError("--prefer must be keep or other")
    if keep.get("id") == other.get("id"):
        raise UsageError("cannot merge a contact into itself")
    mp = MergePlan(str(keep["id"]), str(other["id"]), prefer)
    data = copy.deepcopy(keep)

    def choose(fld: str, kv: Any, ov: Any, setter) -> None:
        if ov in (None, "", [], {}):
            return
        if kv in (None, "", [], {}):
            setter(ov)
            mp.fills.append((fld, ov))
        elif str(kv).strip() != str(ov).strip():
            chosen = ov if prefer == "other" else kv
            mp.conflicts.append({"field": fld, "keep": kv, "other": ov, "chosen": chosen})
            if prefer == "other":
                setter(ov)

    for f in SCALARS:
        choose(f, data.get(f), other.get(f), lambda v, f=f: data.__setitem__(f, v))
    oaddr = other.get("address") or {}
    if oaddr:
        addr = dict(data.get("address") or {})
        for f in ADDRESS:
            choose(f"address.{f}", addr.get(f), oaddr.get(f), lambda v, f=f: addr.__setitem__(f, v))
        if addr:
            data["address"] = addr
    for f in LISTS:
        cur = list(data.get(f) or [])
        low = {str(x).casefold() for x in cur}
        add = [x for x in other.get(f) or [] if str(x).casefold() not in low]
        if add:
            data[f] = cur + add
            mp.fills.append((f, add))
    ocustom = other.get("custom") or {}
    if ocustom:
        custom = dict(data.get("custom") or {})
        for k, v in ocustom.items():
            choose(f"custom.{k}", custom.get(k), v, lambda val, k=k: custom.__setitem__(k, val))
        data["custom"] = custom
    for lst in ("notes", "activities"):
        items = other.get(lst) or []
        if items:
            data[lst] = list(data.get(lst) or []) + [dict(x, merged_from=mp.other) for x in items]
            setattr(mp, lst, len(items))
    kdocs = list(data.get("documents") or [])
    names = {str(d.get("name")) for d in kdocs}
    for d in other.get("documents") or []:
        name = str(d.get("name"))
        base, dot, ext = name.rpartition(".")
        n = 2
        while name in names:
            name = f"{base}-{n}.{ext}" if dot else f"{d.get('name')}-{n}"
            n += 1
        names.add(name)
        newpath = f"documents/{mp.keep}/{name}"
        nd = dict(d, name=name, path=newpath, merged_from=mp.other)
        kdocs.append(nd)
        if d.get("path"):
            mp.documents.append((str(d["path"]), newpath))
    if other.get("documents"):
        data["documents"] = kdocs
    batches = list(data.get("import_batches") or [])
    for b in other.get("import_batches") or []:
        if b not in batches:
            batches.append(b)
    if batches:
        data["import_batches"] = batches
    merged = list(data.get("merged_from") or [])
    merged.append(mp.other)
    data["merged_from"] = merged
    mp.moved = [{"kind": r["kind"], "id": r["id"]} for r in linked if r["id"] != mp.keep]
    mp.data = data
    return mp


def merge_contacts(repo: Any, mp: MergePlan) -> str | None:
    """Write a merge plan in one transaction; returns the commit sha."""
    with repo.transaction(f"contact {ids.short(mp.keep)}: merge contact {ids.short(mp.other)} into it") as tx:
        keep = tx.load(mp.keep, "contact")
        other = tx.load(mp.other, "contact")
        for k, v in mp.data.items():
            if k in ("id", "created", "updated"):
                continue
            if keep.data.get(k) != v:
                keep.data[k] = v
        for old, new in mp.documents:
            full = repo.root / old
            if full.is_file():
                tx.write_file(new, full.read_bytes())
                tx.remove_file(old)
        for r in mp.moved:
            rec = tx.load(r["id"], r["kind"])
            for fld in ("contact", "customer"):
                if rec.data.get(fld) == mp.other:
                    rec.data[fld] = mp.keep
            tx.save(rec)
        tx.delete(other)
        tx.save(keep)
    return tx.commit_sha
