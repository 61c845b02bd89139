"""Turn rows into a plan: which records are created, updated, left unchanged, and
which rows are rejected (with row, column, value and reason).

The planner is pure: it gets the existing contacts and leads through an
:class:`Existing` (their IDs and match keys up front, a record's data only when a
row touches it; :mod:`solarcli.importing.existing` reads them from the index) and
the repository settings, and never writes. Applying a plan is
:mod:`solarcli.importing.apply`.

Matching (documented in the README):

* contacts: by the keys of ``--key`` in order (default ``id,external_id,email,phone``):
  a solar ID, an external ID, any normalised e-mail, any E.164 phone number. Rows
  of the same file that share a key are one contact.
* leads (``lead import``): by solar ID or external ID when the file has such a
  column; otherwise by the *fingerprint* of the row (a hash of its parsed
  values) stored on the lead as ``import_fingerprint``, so importing the same
  row again finds the lead it created.
* ``--mode create`` only creates (existing records are left as they are),
  ``update`` only changes existing records (rows without a match are rejected),
  ``upsert`` (default) does both. Updating a lead overwrites the fields the row
  has (empty cells never clear a field); a contact reached through a lead row
  only gets its empty fields filled and new e-mails, phones and tags added.
"""
from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

from solarcli import ids
from solarcli.importing import values as V
from solarcli.importing.mapping import IGNORE, MULTI, Mapping, normalise_header
from solarcli.importing.readers import EXTRA_KEY
from solarcli.output import FORMULA_START

MODES = ("create", "upsert", "update")
CONTACT_KEYS = ("id", "external_id", "email", "phone")
PROFILES = ("family-day", "one-two-person", "retiree-home-office", "night-time", "custom")
# fields the planner maintains itself: never counted as a change of the record
BOOKKEEPING = ("import_batches", "updated", "created")


@dataclass(slots=True)
class RowError:
    column: str
    value: str
    reason: str


@dataclass(slots=True)
class RowResult:
    row: int
    status: str  # created | updated | unchanged | rejected
    contact: str | None = None
    contact_op: str | None = None
    lead: str | None = None
    lead_op: str | None = None
    errors: list[RowError] = field(default_factory=list)
    note: str = ""
    raw: dict[str, Any] | None = None  # the row's cells, kept for --errors-out

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"row": self.row, "status": self.status}
        if self.contact:
            d["contact"] = self.contact
            d["contact_op"] = self.contact_op
        if self.lead:
            d["lead"] = self.lead
            d["lead_op"] = self.lead_op
        if self.errors:
            d["errors"] = [{"column": e.column, "value": e.value, "reason": e.reason} for e in self.errors]
        if self.note:
            d["note"] = self.note
        return d


@dataclass
class Change:
    """What happens to one record: ``create`` (data = the whole record) or
    ``update`` (ops = [("set", path, value) | ("append", path, item)]).

    New records may be held as compact JSON text (a 100k-row import would otherwise
    keep 180k nested dicts alive); ``data`` turns it back into a dict on access."""

    def __init__(self, kind: str, id: str, op: str, data: Any = None,
                 ops: list[tuple[str, str, Any]] | None = None, rows: list[int] | None = None):
        self.kind, self.id, self.op = kind, id, op
        self._data = data
        self.ops = ops or []
        self.rows = rows or []

    @property
    def data(self) -> dict[str, Any] | None:
        d = self._data
        return _thaw(d) if isinstance(d, _Frozen) else d

    @data.setter
    def data(self, value: Any) -> None:
        self._data = value

    def fields(self) -> list[str]:
        return sorted({p for _, p, _ in self.ops})

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Change({self.kind} {self.id} {self.op})"


class _Frozen(bytes):
    """A finished new record as UTF-8 JSON (about a fifth of the memory of the dicts)."""


def _freeze(d: dict) -> _Frozen:
    return _Frozen(json.dumps(d, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _thaw(b: _Frozen) -> dict:
    return json.loads(b)


def _set_batches(data: Any, batch: str) -> Any:
    """``data["import_batches"] = [batch]`` for a new record, dict or frozen (a new lead
    has it from the start; a new contact gets it last, after all its other fields)."""
    if not isinstance(data, _Frozen):
        data["import_batches"] = [batch]
        return data
    tail = b'"import_batches":' + json.dumps([batch], ensure_ascii=False).encode("utf-8") + b"}"
    if data.endswith(b"," + tail):
        return data  # a new lead: set when it was made
    if b'"import_batches"' not in data and data.endswith(b"}") and data != b"{}":
        return _Frozen(data[:-1] + b"," + tail)  # the key added last, without parsing again
    d = _thaw(data)
    d["import_batches"] = [batch]
    return _freeze(d)


@dataclass
class Plan:
    kind: str
    mode: str
    rows: list[RowResult]
    changes: list[Change]
    unchanged: dict[str, int]  # kind -> number of matched records left unchanged
    headers: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> list[RowResult]:
        return [r for r in self.rows if r.status == "rejected"]

    def counts(self) -> dict[str, Any]:
        rows: dict[str, int] = {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0}
        for r in self.rows:
            rows[r.status] += 1
        recs: dict[str, dict[str, int]] = {}
        for k in ("contact", "lead"):
            recs[k] = {"created": 0, "updated": 0, "unchanged": self.unchanged.get(k, 0)}
        for c in self.changes:
            recs.setdefault(c.kind, {"created": 0, "updated": 0, "unchanged": 0})
            recs[c.kind]["created" if c.op == "create" else "updated"] += 1
        if self.kind == "contact":
            recs.pop("lead", None)
        return {"rows": rows, "records": recs}

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)


@dataclass
class Settings:
    """What the planner needs to know about the repository."""

    region: str = "DE"
    stages: list[str] = field(default_factory=lambda: ["new", "contacted", "qualified", "converted", "lost"])
    reason_required: list[str] = field(default_factory=lambda: ["lost"])
    check_assignee: Callable[[str], str] | None = None  # raises on unknown
    by: str = "import"
    now: str = ""
    default_source: str = "import"

    @classmethod
    def from_config(cls, config: Any, *, by: str, now: str) -> "Settings":
        return cls(region=config.phone_region, stages=config.stages("lead"),
                   reason_required=config.reason_required("lead"),
                   check_assignee=lambda v: config.check_assignee(v), by=by, now=now)


class _Bad(Exception):
    pass


def unneutralise(v: Any) -> Any:
    """Undo the ``'`` an export put before a cell that looked like a formula (or that
    started with ``'`` itself)."""
    if isinstance(v, str) and len(v) > 1 and v[0] == "'" and (v[1] in FORMULA_START or v[1] == "'"):
        return v[1:]
    return v


def _item_id() -> str:
    return ids.new_id()[:8]  # like 'solar note add'


KeyRow = tuple  # (id, external_id, emails, phones, import_fingerprint)


class Existing:
    """The existing records as the planner sees them: up front only IDs and the keys rows
    are matched by (:meth:`keys`), a record's whole data only when a row touches it
    (:meth:`get`), so a re-import of 100k rows does not hold 180k records.
    :class:`solarcli.importing.existing.IndexRecords` reads them from the index."""

    def keys(self, kind: str) -> Iterable[KeyRow]:
        """(id, external_id, emails, phones, import_fingerprint) of every record of
        ``kind``, oldest first (the first record with a key wins it)."""
        raise NotImplementedError

    def get(self, kind: str, rid: str) -> dict | None:
        """The record's data (a fresh dict the planner may keep), None if unknown."""
        raise NotImplementedError


class RecordDicts(Existing):
    """Existing records given as dicts (tests, callers holding them anyway)."""

    def __init__(self, contacts: Iterable[dict] = (), leads: Iterable[dict] = ()):
        self.data = {"contact": {c["id"]: c for c in contacts}, "lead": {ld["id"]: ld for ld in leads}}

    def keys(self, kind: str) -> Iterator[KeyRow]:
        for rid, d in self.data[kind].items():
            yield rid, d.get("external_id"), d.get("emails"), d.get("phones"), d.get("import_fingerprint")

    def get(self, kind: str, rid: str) -> dict | None:
        return self.data[kind].get(rid)


class Planner:
    def __init__(self, mapping: Mapping, settings: Settings, *, mode: str = "upsert",
                 keys: Iterable[str] | None = None, batch: str = "",
                 contacts: Iterable[dict] = (), leads: Iterable[dict] = (),
                 existing: "Existing | None" = None):
        if mode not in MODES:
            raise ValueError(mode)
        self.m = mapping
        self.kind = mapping.kind
        self.s = settings
        self.mode = mode
        self.keys = list(keys or CONTACT_KEYS)
        self.batch = batch
        self.targets = mapping.targets()
        # state: id -> working copy of a record (a shallow copy of an existing record, edited
        # as rows are applied; new records between rows as compact JSON); orig: id -> the
        # existing record it was copied from. Only what a row touched is here, and after the
        # row only new records and existing ones it changed (see _release).
        self.orig: dict[str, dict] = {}
        self.state: dict[str, Any] = {}
        self.kind_of: dict[str, str] = {}
        self.created: set[str] = set()
        self.rows_of: dict[str, list[int]] = {}
        self.by_ext: dict[tuple[str, str], str] = {}
        self.by_email: dict[str, str] = {}
        self.by_phone: dict[str, str] = {}
        self.by_fp: dict[str, str] = {}
        self.matched: dict[str, set[str]] = {"contact": set(), "lead": set()}
        self.touched_in_file: set[str] = set()
        self.dirty: set[str] = set()
        self.live: list[str] = []  # records the current row holds as working copies
        if existing is None:
            existing = RecordDicts(contacts, leads)
        self.existing = existing
        self.ids: dict[str, set[str]] = {"contact": set(), "lead": set()}
        for rid, ext, emails, phones, _ in existing.keys("contact"):
            self.ids["contact"].add(rid)
            self._add_contact_keys(rid, ext, emails, phones)
        for rid, ext, _, _, fp in existing.keys("lead"):
            self.ids["lead"].add(rid)
            self._add_lead_keys(rid, ext, fp)

    # ------------------------------------------------------------------ indexes
    def _add_contact_keys(self, cid: str, ext: Any, emails: Any, phones: Any) -> None:
        if ext:
            self.by_ext.setdefault(("contact", str(ext)), cid)
        for e in emails or []:
            self.by_email.setdefault(str(e).casefold(), cid)
        for p in phones or []:
            self.by_phone.setdefault(str(p), cid)

    def _add_lead_keys(self, lid: str, ext: Any, fp: Any) -> None:
        if ext:
            self.by_ext.setdefault(("lead", str(ext)), lid)
        if fp:
            self.by_fp.setdefault(str(fp), lid)

    def _index_contact(self, cid: str, c: dict) -> None:
        self._add_contact_keys(cid, c.get("external_id"), c.get("emails"), c.get("phones"))

    def _index_lead(self, lid: str, ld: dict) -> None:
        self._add_lead_keys(lid, ld.get("external_id"), ld.get("import_fingerprint"))

    def _get(self, kind: str, rid: str) -> dict:
        """The working copy of a record: fetched from the existing records when a row
        first needs it (held until the row is done, longer only if the row changed it)."""
        cur = self.state.get(rid)
        if cur is None:
            src = self.existing.get(kind, rid) or {}
            self.orig[rid] = src
            cur = self.state[rid] = _Rec(src)  # shallow: changes replace whole top-level values
            self.kind_of[rid] = kind
            self.live.append(rid)
        elif isinstance(cur, _Frozen):
            cur = self.state[rid] = _Rec(_thaw(cur))
            self.live.append(rid)
        return cur

    def _release(self) -> None:
        """After a row: new records go back to compact JSON; existing records the row did
        not change are dropped (a later row fetches them again); changed ones are kept
        with their original, for the diff."""
        for rid in self.live:
            cur = self.state.get(rid)
            if not isinstance(cur, dict):
                continue
            if rid in self.created:
                self.state[rid] = _freeze(cur)
            elif rid not in self.dirty:
                del self.state[rid]
                del self.orig[rid]
        self.live.clear()

    def _exists(self, kind: str, rid: str) -> bool:
        if rid in self.created:
            return self.kind_of.get(rid) == kind
        return rid in self.ids[kind]

    # ------------------------------------------------------------------ rows
    def run(self, rows: Iterable[tuple[int, dict[str, Any]]], *,
            progress: Callable[[int], None] | None = None) -> Plan:
        results: list[RowResult] = []
        for n, (rownum, row) in enumerate(rows, 1):
            try:
                res = self.row(rownum, row)
            except _Bad as exc:  # pragma: no cover - row() turns these into results
                res = RowResult(rownum, "rejected", errors=[RowError("", "", str(exc))])
            if res.status == "rejected":
                res.raw = {k: v for k, v in row.items() if k != EXTRA_KEY}
                if EXTRA_KEY in row:
                    res.raw["(extra cells)"] = " | ".join(V.text(x) for x in row[EXTRA_KEY])
            results.append(res)
            if progress is not None:
                progress(n)
        return self.finish(results)

    def _collect(self, row: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str], list[RowError]]:
        """target -> value (lists for multi targets), target -> column, errors."""
        vals: dict[str, Any] = {}
        cols: dict[str, str] = {}
        errors: list[RowError] = []
        if EXTRA_KEY in row:
            errors.append(RowError("", " | ".join(V.text(x) for x in row[EXTRA_KEY]),
                                   "the row has more cells than the header has columns"))
        for c in self.m.columns:
            if c.target == IGNORE or c.header not in row:
                continue
            v = unneutralise(row[c.header])
            if V.is_blank(v):
                continue
            t = c.target
            if t in MULTI:
                vals.setdefault(t, []).append(v)
                cols.setdefault(t, c.header)
            else:
                vals[t] = v
                cols[t] = c.header
        return vals, cols, errors

    def row(self, rownum: int, row: dict[str, Any]) -> RowResult:
        try:
            return self._row(rownum, row)
        finally:
            self._release()

    def _row(self, rownum: int, row: dict[str, Any]) -> RowResult:
        vals, cols, errors = self._collect(row)
        parsed: dict[str, Any] = {}

        def err(t: str, v: Any, reason: str) -> None:
            errors.append(RowError(cols.get(t, t), V.text(v), reason))

        def vmap(t: str, v: Any) -> Any:
            table = self.m.values.get(t)
            if table and isinstance(v, (str, int, float)):
                hit = table.get(normalise_header(V.text(v)))
                if hit is not None:
                    return hit
            return v

        # --- contact fields ----------------------------------------------------------
        name = V.text(vals.get("name", ""))
        if not name:
            name = " ".join(V.text(vals[k]) for k in ("first_name", "last_name") if k in vals).strip()
        if name:
            parsed["name"] = name
        if "company" in vals:
            parsed["company"] = V.text(vals["company"])
        if "kind" in vals:
            try:
                parsed["type"] = V.parse_enum(vmap("kind", vals["kind"]), "kind")
            except V.BadValue as exc:
                err("kind", vals["kind"], str(exc))
        emails: list[str] = []
        for v in vals.get("email", []):
            for part in V.split_list_keep_commas(v):
                try:
                    e = _norm_email(part)
                except ValueError as exc:
                    err("email", part, str(exc))
                    continue
                if e.casefold() not in {x.casefold() for x in emails}:
                    emails.append(e)
        phones: list[str] = []
        for v in vals.get("phone", []):
            for part in _split_phones(v):
                try:
                    p = _norm_phone(part, self.s.region)
                except ValueError as exc:
                    err("phone", part, str(exc))
                    continue
                if p not in phones:
                    phones.append(p)
        address = {k: V.text(vals[k]) for k in ("street", "postcode", "city", "region", "country")
                   if k in vals}
        primary = self.kind
        ctags_t = "tags" if primary == "contact" else "contact.tags"
        cnote_t = "note" if primary == "contact" else "contact.note"
        ctags = [t for v in vals.get(ctags_t, []) for t in _tags(v)]
        cnote = "\n\n".join(V.text(v) for v in vals.get(cnote_t, []))
        ccustom = {}
        for t, v in vals.items():
            if primary == "contact" and t.startswith("custom."):
                ccustom[t[7:]] = V.text(v)
            elif primary == "lead" and t.startswith("contact.custom."):
                ccustom[t[15:]] = V.text(v)
        cid_val = V.text(vals.get("id" if primary == "contact" else "contact.id", ""))
        cext = V.text(vals.get("external_id" if primary == "contact" else "contact.external_id", ""))
        if cid_val and not cext and not self._exists("contact", cid_val.lower()):
            cext = cid_val  # not one of ours (another system's ID, or another repository's)

        # --- lead fields -------------------------------------------------------------
        lead: dict[str, Any] = {}
        lid_val = lext = ""
        lnote = ""
        if primary == "lead":
            lid_val = V.text(vals.get("id", ""))
            lext = V.text(vals.get("external_id", ""))
            if "title" in vals:
                lead["title"] = V.text(vals["title"])
            if "source" in vals:
                lead["source"] = V.text(vmap("source", vals["source"]))
            if "stage" in vals:
                st = vmap("stage", vals["stage"])
                stage = _match_stage(V.text(st), self.s.stages)
                if stage is None:
                    err("stage", vals["stage"], f"unknown stage; expected one of {', '.join(self.s.stages)}")
                elif stage == "converted":
                    err("stage", vals["stage"], "stage converted is set by 'solar lead convert' "
                        "(import the lead as qualified, then convert it)")
                else:
                    lead["stage"] = stage
            if "reason" in vals:
                lead["_reason"] = V.text(vals["reason"])
            if "assignee" in vals:
                a = V.text(vmap("assignee", vals["assignee"]))
                try:
                    lead["assignee"] = self.s.check_assignee(a) if self.s.check_assignee else a
                except Exception as exc:  # ValidationError from the config
                    err("assignee", vals["assignee"], _reason(exc))
            if "owner" in vals:
                o = V.text(vmap("owner", vals["owner"]))
                owner = None
                if self.s.check_assignee:
                    try:
                        owner = self.s.check_assignee(o)
                    except Exception:
                        owner = None
                if owner and "assignee" not in lead:
                    lead["assignee"] = owner
                elif not owner:
                    lead.setdefault("custom", {})["crm_owner"] = o
            for t, key in (("facility", "facility"), ("grid", "grid")):
                if t in vals:
                    try:
                        lead[key] = V.parse_enum(vmap(t, vals[t]), t)
                    except V.BadValue as exc:
                        err(t, vals[t], str(exc))
            cons: dict[str, Any] = {}
            if "annual_kwh" in vals:
                try:
                    d = V.parse_number(vals["annual_kwh"], what="number of kWh")
                    if d < 0:
                        raise V.BadValue("expected a number of kWh >= 0")
                    cons["annual_kwh"] = V.number_value(d)
                except V.BadValue as exc:
                    err("annual_kwh", vals["annual_kwh"], str(exc))
            if "monthly_kwh" in vals:
                try:
                    cons["monthly_kwh"] = V.parse_monthly(vals["monthly_kwh"])
                except V.BadValue as exc:
                    err("monthly_kwh", vals["monthly_kwh"], str(exc))
            if "profile" in vals:
                prof = normalise_header(V.text(vmap("profile", vals["profile"])))
                hit = [p for p in PROFILES if normalise_header(p) == prof]
                if hit:
                    cons["profile"] = hit[0]
                else:
                    err("profile", vals["profile"], f"unknown profile; expected one of {', '.join(PROFILES)}")
            if cons:
                lead["consumption"] = cons
            interests: list[str] = []
            for v in vals.get("interests", []):
                try:
                    for i in V.parse_interests(vmap("interests", v)):
                        if i not in interests:
                            interests.append(i)
                except V.BadValue as exc:
                    err("interests", v, str(exc))
            for key in ("battery", "heat-pump", "ev-charger"):
                t = f"interest.{key}"
                if t in vals:
                    try:
                        if V.parse_bool(vals[t]) and key not in interests:
                            interests.append(key)
                    except V.BadValue as exc:
                        err(t, vals[t], str(exc))
            if interests:
                lead["interests"] = sorted(interests, key=("battery", "heat-pump", "ev-charger").index)
            if "value" in vals:
                try:
                    d = V.parse_number(vals["value"], what="amount")
                    if d < 0:
                        raise V.BadValue("expected an amount >= 0")
                    lead["value"] = V.number_value(d)
                except V.BadValue as exc:
                    err("value", vals["value"], str(exc))
            site_addr = {k[5:]: V.text(vals[k]) for k in
                         ("site.street", "site.postcode", "site.city", "site.country") if k in vals}
            site: dict[str, Any] = {}
            if site_addr:
                site["address"] = site_addr
            elif address:
                site["address"] = {k: v for k, v in address.items() if k != "region"}
            for t, key, is_lat in (("site.lat", "lat", True), ("site.lon", "lon", False)):
                if t in vals:
                    try:
                        site[key] = V.parse_coordinate(vals[t], lat=is_lat)
                    except V.BadValue as exc:
                        err(t, vals[t], str(exc))
            if site:
                lead["site"] = site
            ltags = [t for v in vals.get("tags", []) for t in _tags(v)]
            if ltags:
                lead["tags"] = _dedupe(ltags)
            lnote = "\n\n".join(V.text(v) for v in vals.get("note", []))
            lcustom = {t[7:]: V.text(v) for t, v in vals.items() if t.startswith("custom.")}
            if lcustom:
                lead.setdefault("custom", {}).update(lcustom)

        if errors:
            return RowResult(rownum, "rejected", errors=errors)

        # --- match the contact -----------------------------------------------------------
        contact_in = {
            "name": parsed.get("name"), "company": parsed.get("company"), "type": parsed.get("type"),
            "emails": emails, "phones": phones, "address": address, "tags": _dedupe(ctags),
            "custom": ccustom, "note": cnote, "external_id": cext,
        }
        has_contact_info = bool(parsed.get("name") or parsed.get("company") or emails or phones
                                or cid_val or cext)

        lead_id: str | None = None
        fingerprint = ""
        if primary == "lead":
            if lid_val and ids.is_id(lid_val.lower()) and self._exists("lead", lid_val.lower()):
                lead_id = lid_val.lower()
            else:
                if lid_val and not lext:
                    lext = lid_val  # not a solar ID: an ID from another system
                if lext:
                    lead_id = self.by_ext.get(("lead", lext))
                else:
                    fingerprint = _fingerprint(contact_in, lead, lnote)
                    lead_id = self.by_fp.get(fingerprint)

        # the same row imported before (matched by its fingerprint): nothing new in it,
        # so local edits made since are kept
        seen_row = bool(fingerprint) and lead_id is not None
        cid, how = self._match_contact(cid_val, cext, emails, phones)
        if cid is not None and cext.lower() == cid:
            contact_in["external_id"] = ""  # solar's own ID (an exported vCard UID), not a foreign one
        if seen_row:
            cid, how = self._get("lead", lead_id).get("contact") or cid, "lead"
        if cid is None and primary == "lead" and lead_id is not None:
            cid = self._get("lead", lead_id).get("contact") or None
            how = "lead"

        res = RowResult(rownum, "unchanged")
        # --- mode checks (before anything is changed) -----------------------------------
        if primary == "contact":
            if cid is None and self.mode == "update":
                return self._reject(res, "", "", "no existing contact matches this row (--mode update)")
            if cid is None and not (parsed.get("name") or parsed.get("company")):
                col = self._col_for("name")
                return self._reject(res, col, "", "missing required field: name (or company)")
        else:
            if lead_id is None and self.mode == "update":
                return self._reject(res, "", "", "no existing lead matches this row (--mode update)")
            if cid is None and not has_contact_info:
                return self._reject(res, self._col_for("name"), "",
                                    "missing required field: the contact's name, e-mail or phone")
            if cid is None and not (parsed.get("name") or parsed.get("company")):
                return self._reject(res, self._col_for("name"), "",
                                    "missing required field: name (or company) for the new contact")
            if lead.get("stage") in self.s.reason_required and not lead.get("_reason"):
                lead["_reason"] = f"imported as {lead['stage']}"

        # --- contact ---------------------------------------------------------------------
        if cid is None:
            cid = self._new_id()
            data = {"type": contact_in["type"] or ("company" if contact_in["company"] and not contact_in["name"] else "person")}
            self._fill_contact(data, contact_in, overwrite=True)
            data = _Rec(data)
            self.state[cid] = data
            self.live.append(cid)
            self.kind_of[cid] = "contact"
            self.created.add(cid)
            self._index_contact(cid, data)
            res.contact_op = "created"
        else:
            data = self._get("contact", cid)
            data.changed = False
            overwrite = primary == "contact" and self.mode != "create" and cid not in self.touched_in_file
            if (self.mode != "create" or cid in self.created) and not seen_row:
                self._fill_contact(data, contact_in, overwrite=overwrite)
                self._index_contact(cid, data)
            else:
                self.matched["contact"].add(cid)
            res.contact_op = "updated" if data.changed else "unchanged"
            if data.changed:
                self.dirty.add(cid)
            if cid in self.created:
                res.contact_op = "unchanged" if res.contact_op == "unchanged" else "updated"
        self.touched_in_file.add(cid)
        self.rows_of.setdefault(cid, []).append(rownum)
        self.matched["contact"].add(cid)
        res.contact = cid
        if how and how not in ("lead",):
            res.note = f"contact matched by {how}"

        if primary == "contact":
            res.status = res.contact_op or "unchanged"
            return res

        # --- lead ------------------------------------------------------------------------
        if lead_id is None:
            lead_id = self._new_id()
            stage = lead.get("stage") or self.s.stages[0]
            ldata: dict[str, Any] = {}
            ldata["title"] = lead.get("title") or default_title(lead)
            ldata["contact"] = cid
            ldata["source"] = lead.get("source") or self.s.default_source
            ldata["stage"] = stage
            hist = {"at": self.s.now, "by": self.s.by, "from": None, "to": stage}
            if lead.get("_reason"):
                hist["reason"] = lead["_reason"]
            ldata["stage_history"] = [hist]
            for k in ("assignee", "facility", "grid", "consumption", "interests", "value", "site"):
                if k in lead:
                    ldata[k] = copy.deepcopy(lead[k])
            if lext:
                ldata["external_id"] = lext
            if fingerprint:
                ldata["import_fingerprint"] = fingerprint
            if lead.get("tags"):
                ldata["tags"] = list(lead["tags"])
            if lead.get("custom"):
                ldata["custom"] = dict(lead["custom"])
            if lnote:
                ldata["notes"] = [{"id": _item_id(), "at": self.s.now, "by": self.s.by, "text": lnote}]
            if self.batch:
                ldata["import_batches"] = [self.batch]
            self.kind_of[lead_id] = "lead"
            self.created.add(lead_id)
            self._index_lead(lead_id, ldata)
            self.state[lead_id] = _freeze(ldata)  # thawed again if a later row matches it
            res.lead_op = "created"
        else:
            ldata = self._get("lead", lead_id)
            ldata.changed = False
            if (self.mode != "create" or lead_id in self.created) and not seen_row:
                self._update_lead(ldata, lead, lnote, cid, lext)
            res.lead_op = "updated" if ldata.changed else "unchanged"
            if ldata.changed:
                self.dirty.add(lead_id)
            self.matched["lead"].add(lead_id)
        self.rows_of.setdefault(lead_id, []).append(rownum)
        res.lead = lead_id
        res.status = res.lead_op
        if res.status == "unchanged" and res.contact_op in ("created", "updated"):
            res.status = "updated"
        return res

    # ------------------------------------------------------------------ helpers
    def _col_for(self, target: str) -> str:
        heads = self.targets.get(target) or []
        return heads[0] if heads else ""

    @staticmethod
    def _reject(res: RowResult, col: str, value: str, reason: str) -> RowResult:
        res.status = "rejected"
        res.errors.append(RowError(col, value, reason))
        return res

    def _new_id(self) -> str:
        while True:
            rid = ids.new_id()
            if rid not in self.state and rid not in self.ids["contact"] and rid not in self.ids["lead"]:
                return rid

    def _match_contact(self, cid_val: str, cext: str, emails: list[str],
                       phones: list[str]) -> tuple[str | None, str]:
        for key in self.keys:
            if key == "id" and cid_val:
                v = cid_val.lower()
                if ids.is_id(v) and self._exists("contact", v):
                    return v, "id"
                hit = self.by_ext.get(("contact", cid_val))
                if hit:
                    return hit, "external id"
            elif key == "external_id" and cext:
                hit = self.by_ext.get(("contact", cext))
                if hit:
                    return hit, "external id"
                v = cext.lower()
                if ids.is_id(v) and self._exists("contact", v):
                    return v, "id"
            elif key == "email":
                for e in emails:
                    hit = self.by_email.get(e.casefold())
                    if hit:
                        return hit, "e-mail"
            elif key == "phone":
                for p in phones:
                    hit = self.by_phone.get(p)
                    if hit:
                        return hit, "phone"
        return None, ""

    def _fill_contact(self, data: dict, c: dict, *, overwrite: bool) -> None:
        """Apply contact values: scalars overwrite (or only fill when empty), lists grow."""

        def put(key: str, value: Any) -> None:
            if value in (None, "", [], {}):
                return
            if overwrite or data.get(key) in (None, "", [], {}):
                data[key] = value

        put("name", c["name"])
        put("company", c["company"])
        if c["type"]:
            put("type", c["type"])
        if c["emails"]:
            cur = list(data.get("emails") or [])
            low = {str(x).casefold() for x in cur}
            cur += [e for e in c["emails"] if e.casefold() not in low]
            data["emails"] = cur
        if c["phones"]:
            cur = list(data.get("phones") or [])
            cur += [p for p in c["phones"] if p not in cur]
            data["phones"] = cur
        if c["address"]:
            addr = dict(data.get("address") or {})
            for k, v in c["address"].items():
                if overwrite or not addr.get(k):
                    addr[k] = v
            data["address"] = addr
        if c["external_id"] and not data.get("external_id"):
            data["external_id"] = c["external_id"]
        elif c["external_id"] and overwrite:
            data["external_id"] = c["external_id"]
        if c["tags"]:
            cur = list(data.get("tags") or [])
            cur += [t for t in c["tags"] if t not in cur]
            data["tags"] = cur
        if c["custom"]:
            custom = dict(data.get("custom") or {})
            for k, v in c["custom"].items():
                if V.text(custom.get(k)) == v:
                    continue  # 5 in the file == "5" in the cell
                if overwrite or custom.get(k) in (None, ""):
                    custom[k] = v
            data["custom"] = custom
        if c["note"]:
            notes = list(data.get("notes") or [])
            if not any(str(n.get("text", "")).strip() == c["note"].strip() for n in notes if isinstance(n, dict)):
                notes.append({"id": _item_id(), "at": self.s.now, "by": self.s.by, "text": c["note"]})
                data["notes"] = notes

    def _update_lead(self, ldata: dict, lead: dict, lnote: str, cid: str, lext: str) -> None:
        if ldata.get("contact") != cid:
            ldata["contact"] = cid
        for k in ("title", "source", "assignee", "facility", "grid", "value"):
            if k in lead and not _same(ldata.get(k), lead[k]):
                ldata[k] = lead[k]
        for k in ("consumption", "site"):
            if k in lead:
                cur = copy.deepcopy(ldata.get(k) or {})
                for kk, vv in lead[k].items():
                    if isinstance(vv, dict):
                        sub = dict(cur.get(kk) or {})
                        sub.update(vv)
                        cur[kk] = sub
                    else:
                        cur[kk] = vv
                if not _same(cur, ldata.get(k)):
                    ldata[k] = cur
        if "interests" in lead and sorted(ldata.get("interests") or []) != sorted(lead["interests"]):
            ldata["interests"] = list(lead["interests"])
        if lead.get("tags"):
            cur = list(ldata.get("tags") or [])
            new = cur + [t for t in lead["tags"] if t not in cur]
            if new != cur:
                ldata["tags"] = new
        if lead.get("custom"):
            custom = dict(ldata.get("custom") or {})
            for k, v in lead["custom"].items():
                if V.text(custom.get(k)) != v:
                    custom[k] = v
            if custom != (ldata.get("custom") or {}):
                ldata["custom"] = custom
        if lext and not ldata.get("external_id"):
            ldata["external_id"] = lext
        if "stage" in lead and ldata.get("stage") != lead["stage"]:
            hist = list(ldata.get("stage_history") or [])
            entry = {"at": self.s.now, "by": self.s.by,
                     "from": ldata.get("stage"), "to": lead["stage"]}
            if lead.get("_reason"):
                entry["reason"] = lead["_reason"]
            hist.append(entry)
            ldata["stage_history"] = hist
            ldata["stage"] = lead["stage"]
        if lnote:
            notes = list(ldata.get("notes") or [])
            if not any(str(n.get("text", "")).strip() == lnote.strip() for n in notes if isinstance(n, dict)):
                notes.append({"id": _item_id(), "at": self.s.now, "by": self.s.by, "text": lnote})
                ldata["notes"] = notes

    # ------------------------------------------------------------------ finish
    def finish(self, results: list[RowResult]) -> Plan:
        changes: list[Change] = []
        unchanged = {"contact": 0, "lead": 0}
        # every record a row touched (rows_of), and any other working copy still held
        todo = list(self.rows_of) + [rid for rid in self.state if rid not in self.rows_of]
        for rid in todo:
            kind = self.kind_of[rid]
            rows = self.rows_of.get(rid, [])
            data = self.state.get(rid)
            if rid in self.created:
                if self.batch:
                    data = _set_batches(data, self.batch)
                changes.append(Change(kind, rid, "create", data=data, rows=rows))
                continue
            # an existing record no longer held was not changed by any row
            ops = diff(self.orig[rid], data) if rid in self.dirty and data is not None else []
            if not ops:
                if rows:
                    unchanged[kind] += 1
                continue
            if self.batch:
                batches = list(self.orig[rid].get("import_batches") or [])
                if self.batch not in batches:
                    ops.append(("append", "import_batches", self.batch)
                               if isinstance(self.orig[rid].get("import_batches"), list)
                               else ("set", "import_batches", batches + [self.batch]))
            changes.append(Change(kind, rid, "update", ops=ops, rows=rows))
        # contacts first: leads link to them
        changes.sort(key=lambda c: (c.kind != "contact", min(c.rows) if c.rows else 0))
        return Plan(self.kind, self.mode, results, changes, unchanged, headers=[])


_INTEREST_WORDS = {"battery": "battery", "heat-pump": "heat pump", "ev-charger": "EV charger"}


def default_title(lead: dict) -> str:
    """``PV + battery + EV charger, Berlin`` for rows without a title column."""
    words = ["PV"] + [_INTEREST_WORDS.get(i, i) for i in lead.get("interests") or []]
    city = ((lead.get("site") or {}).get("address") or {}).get("city")
    return " + ".join(words) + (f", {city}" if city else "")


class _Rec(dict):
    """A working copy that notices real changes (assigning an equal value is none)."""

    changed = False

    def __setitem__(self, key: str, value: Any) -> None:
        if key in self and _same(dict.__getitem__(self, key), value):
            return
        self.changed = True
        dict.__setitem__(self, key, value)


def diff(old: Any, new: Any, prefix: str = "") -> list[tuple[str, str, Any]]:
    """Ops that turn ``old`` into ``new``: ("set", path, value) for changed leaves
    and ("append", path, item) when a list only grew at its end."""
    ops: list[tuple[str, str, Any]] = []
    for k, v in new.items():
        if not prefix and k in BOOKKEEPING:
            continue
        path = f"{prefix}{k}"
        o = old.get(k) if isinstance(old, dict) else None
        if isinstance(v, dict) and isinstance(o, dict):
            ops += diff(o, v, path + ".")
        elif isinstance(v, list) and isinstance(o, list) and len(v) > len(o) \
                and _same(v[:len(o)], o):
            ops += [("append", path, item) for item in v[len(o):]]
        elif not _same(o, v):
            ops.append(("set", path, v))
    return ops


def _same(a: Any, b: Any) -> bool:
    return a == b  # 18900 == 18900.0; lists and mappings compare deeply


def _fingerprint(contact: dict, lead: dict, note: str) -> str:
    key = {
        "c": {k: contact[k] for k in ("name", "company", "emails", "phones", "address", "external_id")
              if contact.get(k)},
        "l": {k: v for k, v in lead.items()},
        "n": note,
    }
    raw = json.dumps(key, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()[:16]


def _match_stage(value: str, stages: list[str]) -> str | None:
    if value in stages:
        return value
    n = normalise_header(value)
    for s in stages:
        if normalise_header(s) == n:
            return s
    return None


def _tags(v: Any) -> list[str]:
    out = []
    for t in V.split_multi(v):
        t = t.strip()
        if t.startswith("* "):  # Google's system labels ("* myContacts", "* starred")
            continue
        if t:
            out.append(t)
    return out


def _dedupe(items: list[str]) -> list[str]:
    out: list[str] = []
    for i in items:
        if i not in out:
            out.append(i)
    return out


def _split_phones(v: Any) -> list[str]:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return [V.text(v)]
    import re

    parts = re.split(r"\s*(?::::|[;|\n,])\s*", V.text(v))
    return [p for p in parts if p.strip()]


def _norm_email(v: str) -> str:
    from solarcli.records import normalise_email

    try:
        return normalise_email(v)
    except Exception:
        raise ValueError("not a valid e-mail address; expected name@domain.tld") from None


def _norm_phone(v: str, region: str) -> str:
    from solarcli.records import normalise_phone

    try:
        return normalise_phone(v, region)
    except Exception:
        raise ValueError(f"not a phone number (read with region {region})") from None


def _reason(exc: Exception) -> str:
    msg = getattr(exc, "message", None) or str(exc)
    return msg.split("assignee: ", 1)[-1]


def iter_limited(rows: Iterable[tuple[int, dict]], limit: int | None) -> Iterator[tuple[int, dict]]:
    for n, r in enumerate(rows):
        if limit is not None and n >= limit:
            return
        yield r
