"""CRM operations on records: everything a user can do with contacts, leads and
projects, callable from Python (the click commands are thin wrappers around this)."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from solarcli import ids, records
from solarcli.output import plain
from solarcli.errors import ConflictError, NotFoundError, ValidationError
from solarcli.repo import Record, Repo, safe_filename
from solarcli.timeutil import now_iso


def _clean(d: dict) -> dict:
    """Drop empty values so new files stay short and readable."""
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            v = _clean(v)
        if v in (None, "", [], {}):
            continue
        out[k] = v
    return out


# ------------------------------------------------------------------------ add
def add_contact(repo: Repo, *, name: str | None = None, type: str = "person", company: str | None = None,
                emails: list[str] = (), phones: list[str] = (), address: dict | None = None,
                tags: list[str] = (), custom: dict | None = None, external_id: str | None = None) -> Record:
    region = repo.config.phone_region
    data = _clean({
        "type": type, "name": name, "company": company,
        "emails": [records.normalise_email(e, where="contact field emails") for e in emails],
        "phones": [records.normalise_phone(p, region, where="contact field phones") for p in phones],
        "address": address or {}, "external_id": external_id, "tags": list(tags), "custom": custom or {},
    })
    if type == "company" and not data.get("name") and company:
        data["name"] = company
    with repo.transaction() as tx:
        rec = tx.create("contact", data)
        tx.message = f"contact {ids.short(rec.id)}: add {rec.name}"
    return rec


def add_lead(repo: Repo, *, title: str | None = None, contact: str | None = None, prospect: dict | None = None,
             source: str = "manual", stage: str | None = None, assignee: str | None = None,
             site: dict | None = None, facility: str | None = None, grid: str | None = None,
             consumption: dict | None = None, interests: list[str] = (), value: float | None = None,
             tags: list[str] = (), custom: dict | None = None, external_id: str | None = None) -> Record:
    cfg = repo.config
    contact_id = repo.resolve(contact, "contact")[0] if contact else None
    prospect = dict(prospect or {})
    if prospect.get("email"):
        prospect["email"] = records.normalise_email(prospect["email"], where="lead field prospect.email")
    if prospect.get("phone"):
        prospect["phone"] = records.normalise_phone(prospect["phone"], cfg.phone_region, where="lead field prospect.phone")
    first = stage or cfg.stages("lead")[0]
    cfg.check_stage("lead", first, where="lead ")
    who = cfg.check_assignee(assignee, where="lead ") if assignee else None
    ts = now_iso()
    data = _clean({
        "title": title, "contact": contact_id, "prospect": prospect, "source": source, "stage": first,
        "assignee": who, "site": site or {}, "facility": facility, "grid": grid,
        "consumption": consumption or {}, "interests": list(interests), "value": value,
        "external_id": external_id, "tags": list(tags), "custom": custom or {},
    })
    data["stage_history"] = [{"at": ts, "by": repo.actor_id, "from": None, "to": first}]
    with repo.transaction() as tx:
        rec = tx.create("lead", data)
        tx.message = f"lead {ids.short(rec.id)}: add {rec.name or '(untitled)'}"
    return rec


def add_project(repo: Repo, *, name: str, contact: str, type: str = "basic", stage: str | None = None,
                assignee: str | None = None, site: dict | None = None, facility: str | None = None,
                grid: str | None = None, interests: list[str] = (), tags: list[str] = (),
                custom: dict | None = None) -> Record:
    cfg = repo.config
    contact_id = repo.resolve(contact, "contact")[0]
    first = stage or cfg.stages("project")[0]
    cfg.check_stage("project", first, where="project ")
    who = cfg.check_assignee(assignee, where="project ") if assignee else None
    data = _clean({
        "name": name, "type": type, "contact": contact_id, "stage": first, "assignee": who,
        "site": site or {}, "facility": facility, "grid": grid, "interests": list(interests),
        "tags": list(tags), "custom": custom or {},
    })
    data["stage_history"] = [{"at": now_iso(), "by": repo.actor_id, "from": None, "to": first}]
    with repo.transaction() as tx:
        rec = tx.create("project", data)
        tx.message = f"project {ids.short(rec.id)}: add {rec.name}"
    return rec


# ------------------------------------------------------------------------ change
def set_fields(repo: Repo, ref: str, assignments: list[tuple[str, str]], kind: str | None = None) -> Record:
    """``solar KIND set ID FIELD=VALUE...``: parse, validate and write all fields in one commit."""
    with repo.transaction() as tx:
        rec = tx.load(ref, kind)
        changed = []
        for path, raw in assignments:
            value = records.parse_field_value(
                rec.kind, path, raw, region=repo.config.phone_region,
                resolve=lambda r, k: repo.resolve(r, k)[0], config=repo.config)
            old = records.get_path(rec.data, path)
            if plain(old) == value:
                continue
            if value in (None, []):
                _del_path(rec.data, path)
            else:
                records.set_path(rec.data, path, value)
            changed.append(path)
        if changed:
            tx.save(rec)
        tx.message = f"{rec.label}: set {', '.join(changed)}"
    return rec


def _del_path(data: dict, path: str) -> None:
    parts = path.split(".")
    cur = data
    for p in parts[:-1]:
        cur = cur.get(p)
        if not isinstance(cur, dict):
            return
    cur.pop(parts[-1], None)


def replace_record(repo: Repo, rec_before: Record, new_data: Any, expected_bytes: bytes) -> Record:
    """Write a hand-edited record (``solar KIND edit``) if the file did not change meanwhile."""
    full = repo.root / rec_before.path
    with repo.transaction() as tx:
        if not full.exists() or full.read_bytes() != expected_bytes:
            raise ConflictError(f"{rec_before.path}: changed by someone else while you were editing; edit again")
        if not isinstance(new_data, dict):
            raise ValidationError(f"{rec_before.label}: expected a mapping of fields, found {type(new_data).__name__}")
        if str(new_data.get("id")) != rec_before.id:
            raise ValidationError(f"{rec_before.label}: field id: found {new_data.get('id')!r}; IDs never change (expected {rec_before.id!r})")
        rec = Record(rec_before.kind, new_data, rec_before.path)
        tx.save(rec)
        tx.message = f"{rec.label}: edit"
    return rec


def change_stage(repo: Repo, ref: str, stage: str, kind: str, *, reason: str | None = None) -> Record:
    cfg = repo.config
    with repo.transaction() as tx:
        rec = tx.load(ref, kind)
        cfg.check_stage(kind, stage, where=f"{rec.label}: ")
        old = rec.data.get("stage")
        if old == stage:
            return rec
        if kind == "lead" and stage == "converted":
            raise ValidationError(f"{rec.label}: stage converted is set by 'solar lead convert {ids.short(rec.id)}'")
        if stage in cfg.reason_required(kind) and not (reason or "").strip():
            raise ValidationError(f"{rec.label}: stage {stage} requires a reason; pass --reason TEXT")
        if kind == "lead" and old == "converted" and rec.data.get("project"):  # (project removed: may reopen)
            raise ConflictError(f"{rec.label}: already converted to project {ids.short(str(rec.data.get('project')))}; "
                                "change the project's stage instead")
        entry = {"at": now_iso(), "by": repo.actor_id, "from": old, "to": stage}
        if reason:
            entry["reason"] = reason
        rec.data["stage"] = stage
        rec.data.setdefault("stage_history", [])
        rec.data["stage_history"].append(entry)
        tx.save(rec)
        tx.message = f"{rec.label}: stage {old} -> {stage}" + (f" ({reason})" if reason else "")
    return rec


def assign(repo: Repo, ref: str, who: str, kind: str) -> Record:
    with repo.transaction() as tx:
        rec = tx.load(ref, kind)
        value = repo.config.check_assignee(who, where=f"{rec.label}: ")
        old = rec.data.get("assignee")
        if old != value:
            rec.data["assignee"] = value
            tx.save(rec)
        tx.message = f"{rec.label}: assign {old or '-'} -> {value}"
    return rec


def match_contact(repo: Repo, *, email: str | None = None, phone: str | None = None,
                  external_id: str | None = None) -> str | None:
    """The contact with this external id, e-mail (any of its addresses) or E.164 phone."""
    for needle, field in ((external_id, "external_id"), (email, "emails"), (phone, "phones")):
        if not needle:
            continue
        rows = repo.index.select("kind='contact' AND instr(text, ?) > 0", (str(needle).lower(),),
                                 "created, id", with_data=True)
        for r in rows:
            d = r["data"]
            vals = [d.get("external_id")] if field == "external_id" else (d.get(field) or [])
            if str(needle).lower() in (str(v).lower() for v in vals if v):
                return r["id"]
    return None


def convert_lead(repo: Repo, ref: str, *, name: str | None = None, type: str = "basic") -> tuple[Record, Record]:
    """Lead → project (DOMAIN.md §1). Returns (lead, project)."""
    cfg = repo.config
    with repo.transaction() as tx:
        lead = tx.load(ref, "lead")
        if lead.data.get("project"):
            raise ConflictError(f"{lead.label}: already converted to project {lead.data['project']}; a lead converts once")
        if lead.data.get("stage") in cfg.terminal_stages("lead"):
            raise ConflictError(f"{lead.label}: stage is {lead.data.get('stage')}; reopen it with 'solar lead stage' before converting")
        if "converted" not in cfg.stages("lead"):
            raise ValidationError("solar.yaml pipelines.lead.stages has no 'converted' stage")
        contact_id = lead.data.get("contact")
        created_contact = None
        if not contact_id:
            p = lead.data.get("prospect") or {}
            contact_id = match_contact(repo, email=p.get("email"), phone=p.get("phone"))
            if not contact_id:
                if not (p.get("name") or p.get("company")):
                    raise ValidationError(f"{lead.label}: has no contact and no prospect name to create one from; "
                                          f"set one with 'solar lead set {ids.short(lead.id)} contact=ID'")
                created_contact = tx.create("contact", _clean({
                    "type": "person" if p.get("name") else "company",
                    "name": p.get("name") or p.get("company"), "company": p.get("company"),
                    "emails": [p["email"]] if p.get("email") else [],
                    "phones": [p["phone"]] if p.get("phone") else [],
                    "address": dict((lead.data.get("site") or {}).get("address") or {}),
                }))
                contact_id = created_contact.id
            lead.data["contact"] = contact_id
        contact_name = created_contact.name if created_contact else tx.load(contact_id, "contact").name
        city = ((lead.data.get("site") or {}).get("address") or {}).get("city")
        pname = name or lead.data.get("title") or " – ".join(x for x in (contact_name, city) if x) or "Project"
        first = cfg.stages("project")[0]
        ts = now_iso()
        pdata = _clean({
            "name": pname, "type": type, "contact": contact_id, "lead": lead.id, "stage": first,
            "assignee": lead.data.get("assignee"), "site": plain(lead.data.get("site")),
            "facility": lead.data.get("facility"), "grid": lead.data.get("grid"),
            "consumption": plain(lead.data.get("consumption")), "interests": plain(lead.data.get("interests")),
            "value": lead.data.get("value"), "tags": plain(lead.data.get("tags")),
        })
        pdata["stage_history"] = [{"at": ts, "by": repo.actor_id, "from": None, "to": first,
                                   "reason": f"converted from lead {lead.id}"}]
        project = tx.create("project", pdata)
        old = lead.data.get("stage")
        lead.data["stage"] = "converted"
        lead.data["project"] = project.id
        lead.data.setdefault("stage_history", [])
        lead.data["stage_history"].append({"at": ts, "by": repo.actor_id, "from": old, "to": "converted",
                                           "reason": f"converted to project {project.id}"})
        tx.save(lead)
        tx.message = f"lead {ids.short(lead.id)}: convert to project {ids.short(project.id)} ({pname})"
    return lead, project


def remove(repo: Repo, ref: str, kind: str | None = None, *, force: bool = False) -> tuple[Record, list[str]]:
    """Remove a record. Refused while others link to it; ``force`` clears those links.
    Returns (record, labels of the records whose links were cleared)."""
    with repo.transaction() as tx:
        rec = tx.load(ref, kind)
        linked = repo.links_to(rec.id)
        if linked and not force:
            names = ", ".join(f"{r['kind']} {ids.short(r['id'])}" for r in linked[:10])
            raise ConflictError(f"{rec.label}: still linked from {names}; remove those first or pass --force "
                                "(clears the links to it in those records)")
        cleared = []
        for r in linked:
            other = tx.load(r["id"], r["kind"])
            for fld in ("contact", "lead", "project"):
                if other.data.get(fld) == rec.id:
                    del other.data[fld]
            tx.save(other)
            cleared.append(other.label)
        for doc in rec.data.get("documents") or []:
            if doc.get("path"):
                tx.remove_file(str(doc["path"]))
        tx.delete(rec)
        tx.message = f"{rec.label}: remove {rec.name}" + (f" (links cleared in {', '.join(cleared)})" if cleared else "")
    return rec, cleared


# ------------------------------------------------------------- notes, activities, docs
def add_note(repo: Repo, ref: str, text: str) -> tuple[Record, dict]:
    if not text.strip():
        raise ValidationError("note: text is empty; expected the note's text")
    with repo.transaction() as tx:
        rec = tx.load(ref)
        note = {"id": ids.new_id()[:8], "at": now_iso(), "by": repo.actor_id, "text": text}
        rec.data.setdefault("notes", [])
        rec.data["notes"].append(note)
        tx.save(rec)
        first = text.strip().splitlines()[0]
        tx.message = f"{rec.label}: note: {first[:60]}"
    return rec, note


def add_activity(repo: Repo, ref: str, *, type: str, summary: str, due: str | None = None,
                 done: bool = False) -> tuple[Record, dict]:
    if type not in records.ACTIVITY_TYPES:
        raise ValidationError(f"activity type: {type!r}; expected one of {', '.join(records.ACTIVITY_TYPES)}")
    if not summary.strip():
        raise ValidationError("activity summary: empty; expected a short description")
    with repo.transaction() as tx:
        rec = tx.load(ref)
        act = {"id": ids.new_id()[:8], "type": type, "summary": summary, "at": now_iso(), "by": repo.actor_id,
               "done": bool(done)}
        if due:
            from solarcli.timeutil import parse_date

            act["due"] = parse_date(due, field="--due").isoformat()
        rec.data.setdefault("activities", [])
        rec.data["activities"].append(act)
        tx.save(rec)
        tx.message = f"{rec.label}: {type}: {summary[:60]}"
    return rec, act


def complete_activity(repo: Repo, ref: str, activity: str) -> tuple[Record, dict]:
    with repo.transaction() as tx:
        rec = tx.load(ref)
        acts = rec.data.get("activities") or []
        matches = [a for a in acts if str(a.get("id", "")).startswith(activity.lower())]
        if not matches:
            raise NotFoundError(f"{rec.label}: no activity {activity!r}; see 'solar show {ids.short(rec.id)}'")
        if len(matches) > 1:
            raise ConflictError(f"{rec.label}: activity prefix {activity!r} is ambiguous: "
                                + ", ".join(str(a.get('id')) for a in matches))
        act = matches[0]
        if not act.get("done"):
            act["done"] = True
            act["done_at"] = now_iso()
            tx.save(rec)
        tx.message = f"{rec.label}: done: {act.get('type')} {act.get('summary', '')[:60]}"
    return rec, act


def attach_document(repo: Repo, ref: str, file: str | Path, *, name: str | None = None) -> tuple[Record, dict]:
    src = Path(file)
    if not src.is_file():
        raise NotFoundError(f"{file}: no such file")
    fname = safe_filename(name or src.name)
    data = src.read_bytes()
    with repo.transaction() as tx:
        rec = tx.load(ref)
        docs = rec.data.get("documents") or []
        if any(d.get("name") == fname for d in docs):
            raise ConflictError(f"{rec.label}: already has a document named {fname!r}; pass --name NEWNAME")
        rel = f"documents/{rec.id}/{fname}"
        tx.write_file(rel, data)
        doc = {"name": fname, "path": rel, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
               "at": now_iso(), "by": repo.actor_id}
        rec.data.setdefault("documents", [])
        rec.data["documents"].append(doc)
        tx.save(rec)
        tx.message = f"{rec.label}: attach {fname}"
    return rec, doc


def find_document(repo: Repo, ref: str, name: str) -> tuple[Record, dict, Path]:
    rec = repo.load(ref)
    for d in rec.data.get("documents") or []:
        if d.get("name") == name:
            from solarcli.repo import safe_relpath

            full = repo.root / safe_relpath(repo.root, str(d.get("path")))  # a hand-edited path may not escape
            if not full.is_file():
                raise NotFoundError(f"{rec.label}: document {name!r} is listed but {d.get('path')} is missing; run 'solar check'")
            return rec, d, full
    names = ", ".join(str(d.get("name")) for d in rec.data.get("documents") or []) or "none"
    raise NotFoundError(f"{rec.label}: no document {name!r}; attached: {names}")


# --------------------------------------------------------------------- viewing
def timeline(rec: Record, extra: list[tuple[str, Record]] = ()) -> list[dict]:
    """Notes, activities, documents and stage changes of a record, oldest first."""
    out = []

    def add(r: Record, origin: str | None):
        for n in r.data.get("notes") or []:
            out.append({"at": str(n.get("at")), "what": "note", "by": n.get("by"), "text": n.get("text"),
                        "id": n.get("id"), "from": origin})
        for a in r.data.get("activities") or []:
            text = f"{a.get('type')}: {a.get('summary')}"
            if a.get("due"):
                text += f" (due {a.get('due')})"
            out.append({"at": str(a.get("at")), "what": "activity", "by": a.get("by"), "text": text,
                        "id": a.get("id"), "done": bool(a.get("done")), "from": origin})
        for d in r.data.get("documents") or []:
            out.append({"at": str(d.get("at")), "what": "document", "by": d.get("by"),
                        "text": f"{d.get('name')} ({d.get('size')} bytes)", "from": origin})
        for h in r.data.get("stage_history") or []:
            text = f"{h.get('from') or '-'} -> {h.get('to')}"
            if h.get("reason"):
                text += f": {h.get('reason')}"
            out.append({"at": str(h.get("at")), "what": "stage", "by": h.get("by"), "text": text, "from": origin})

    add(rec, None)
    for label, other in extra:
        add(other, label)
    out.sort(key=lambda e: e["at"])
    return out


def view(repo: Repo, rec: Record) -> dict:
    """The JSON shape of ``solar show``: the record as stored plus stable derived keys."""
    data = plain(rec.data)
    s = records.summary(rec.kind, data)
    out = {"id": rec.id, "kind": rec.kind, "name": s["name"]}
    for k in ("email", "phone"):
        if s.get(k):
            out[k] = s[k]
    out.update({k: v for k, v in data.items() if k not in ("id",)})
    extra = []
    if rec.kind == "contact":
        linked = repo.index.select("contact=?", (rec.id,), "created, id")
        out["leads"] = [r["id"] for r in linked if r["kind"] == "lead"]
        out["projects"] = [r["id"] for r in linked if r["kind"] == "project"]
    if rec.kind == "project" and data.get("lead") and repo.exists("lead", str(data["lead"])):
        lead = repo._load_exact("lead", str(data["lead"]))
        extra.append((f"lead {ids.short(lead.id)}", lead))
    if rec.kind == "project":
        out["proposals"] = [r["id"] for r in repo.index.select("kind='proposal' AND project=?", (rec.id,), "created, id")]
    out["timeline"] = timeline(rec, extra)
    return out
