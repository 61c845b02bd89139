"""Export records as CSV, XLSX, JSON or vCard.

Lead and contact exports use the import targets as column names (see
:mod:`solarcli.importing.mapping`), so an exported file imports back onto the
same fields: ``solar lead export --to csv | solar lead import -`` changes
nothing. Notes, activities, documents and stage history are not columns
(the YAML files and ``solar ... show --format json`` have them).

CSV and XLSX cells that a spreadsheet would run as a formula (starting with
``=`` ``+`` ``-`` ``@``, tab or CR) get a leading ``'`` unless ``raw`` is set;
the importer removes that quote again.
"""
from __future__ import annotations

import csv
import json
from typing import IO, Any, Iterable

from solarcli.output import json_default, neutralise, plain

EXPORT_FORMATS = ("csv", "xlsx", "json", "vcf")

CONTACT_COLUMNS = ["id", "kind", "name", "company", "email", "phone", "street", "postcode", "city",
                   "region", "country", "external_id", "tags", "created", "updated"]
LEAD_COLUMNS = ["id", "title", "stage", "source", "assignee", "facility", "grid", "annual_kwh",
                "monthly_kwh", "profile", "interests", "value", "site.street", "site.postcode",
                "site.city", "site.country", "site.lat", "site.lon", "external_id", "tags",
                "contact.id", "kind", "name", "company", "email", "phone", "street", "postcode",
                "city", "region", "country", "contact.external_id", "contact.tags",
                "created", "updated"]
PROJECT_COLUMNS = ["id", "name", "type", "stage", "assignee", "facility", "grid", "interests",
                   "value", "site.street", "site.postcode", "site.city", "site.country",
                   "site.lat", "site.lon", "tags", "contact.id", "contact.name", "lead",
                   "created", "updated"]
NUMERIC = {"annual_kwh", "value", "site.lat", "site.lon"}


def contact_columns(c: dict, prefix: str = "") -> dict[str, Any]:
    addr = c.get("address") or {}
    out = {
        "kind": c.get("type"), "name": c.get("name"), "company": c.get("company"),
        "email": list(c.get("emails") or []), "phone": list(c.get("phones") or []),
        "street": addr.get("street"), "postcode": addr.get("postcode"), "city": addr.get("city"),
        "region": addr.get("region"), "country": addr.get("country"),
    }
    return out


def contact_row(c: dict) -> dict[str, Any]:
    row: dict[str, Any] = {"id": c.get("id")}
    row.update(contact_columns(c))
    row.update({"external_id": c.get("external_id"), "tags": list(c.get("tags") or []),
                "created": c.get("created"), "updated": c.get("updated")})
    for k, v in (c.get("custom") or {}).items():
        row[f"custom.{k}"] = v
    return row


def lead_row(ld: dict, contact: dict | None) -> dict[str, Any]:
    cons = ld.get("consumption") or {}
    site = ld.get("site") or {}
    saddr = site.get("address") or {}
    row: dict[str, Any] = {
        "id": ld.get("id"), "title": ld.get("title"), "stage": ld.get("stage"),
        "source": ld.get("source"), "assignee": ld.get("assignee"),
        "facility": ld.get("facility"), "grid": ld.get("grid"),
        "annual_kwh": cons.get("annual_kwh"), "monthly_kwh": cons.get("monthly_kwh"),
        "profile": cons.get("profile"), "interests": list(ld.get("interests") or []),
        "value": ld.get("value"), "site.street": saddr.get("street"),
        "site.postcode": saddr.get("postcode"), "site.city": saddr.get("city"),
        "site.country": saddr.get("country"), "site.lat": site.get("lat"), "site.lon": site.get("lon"),
        "external_id": ld.get("external_id"), "tags": list(ld.get("tags") or []),
        "contact.id": ld.get("contact"),
    }
    if contact:
        row.update(contact_columns(contact))
        row["contact.external_id"] = contact.get("external_id")
        row["contact.tags"] = list(contact.get("tags") or [])
    else:
        p = ld.get("prospect") or {}
        row.update({"name": p.get("name"), "company": p.get("company"),
                    "email": [p["email"]] if p.get("email") else [],
                    "phone": [p["phone"]] if p.get("phone") else []})
    row["created"] = ld.get("created")
    row["updated"] = ld.get("updated")
    for k, v in (ld.get("custom") or {}).items():
        row[f"custom.{k}"] = v
    for k, v in ((contact or {}).get("custom") or {}).items():
        row[f"contact.custom.{k}"] = v
    return row


def project_row(p: dict, contact: dict | None) -> dict[str, Any]:
    site = p.get("site") or {}
    saddr = site.get("address") or {}
    row = {
        "id": p.get("id"), "name": p.get("name"), "type": p.get("type"), "stage": p.get("stage"),
        "assignee": p.get("assignee"), "facility": p.get("facility"), "grid": p.get("grid"),
        "interests": list(p.get("interests") or []), "value": p.get("value"),
        "site.street": saddr.get("street"), "site.postcode": saddr.get("postcode"),
        "site.city": saddr.get("city"), "site.country": saddr.get("country"),
        "site.lat": site.get("lat"), "site.lon": site.get("lon"), "tags": list(p.get("tags") or []),
        "contact.id": p.get("contact"), "contact.name": (contact or {}).get("name"),
        "lead": p.get("lead"), "created": p.get("created"), "updated": p.get("updated"),
    }
    for k, v in (p.get("custom") or {}).items():
        row[f"custom.{k}"] = v
    return row


def columns_for(kind: str, rows: list[dict[str, Any]]) -> list[str]:
    base = {"contact": CONTACT_COLUMNS, "lead": LEAD_COLUMNS, "project": PROJECT_COLUMNS}[kind]
    extra: dict[str, None] = {}
    for r in rows:
        for k in r:
            if k not in base:
                extra.setdefault(k, None)
    customs = sorted(k for k in extra if k.startswith("custom."))
    ccustoms = sorted(k for k in extra if k.startswith("contact.custom."))
    return base + customs + ccustoms


def cell_text(col: str, v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (list, tuple)):
        sep = "; " if col == "monthly_kwh" else ", "
        return sep.join(cell_text("", x) for x in v)
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, dict):
        return json.dumps(plain(v), ensure_ascii=False, default=json_default)
    return str(v)


def write_csv(out: IO[str], columns: list[str], rows: Iterable[dict[str, Any]], *, raw: bool = False) -> int:
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(columns)
    n = 0
    for r in rows:
        vals = [cell_text(c, r.get(c)) for c in columns]
        w.writerow(vals if raw else [neutralise(v) for v in vals])
        n += 1
    return n


def write_xlsx(path_or_buf: Any, columns: list[str], rows: Iterable[dict[str, Any]], *,
               raw: bool = False, title: str = "export") -> int:
    import openpyxl  # heavy: only here
    from openpyxl.cell import WriteOnlyCell

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    ws.append(columns)
    n = 0
    for r in rows:
        cells = []
        for c in columns:
            v = r.get(c)
            if c in NUMERIC and isinstance(v, (int, float)) and not isinstance(v, bool):
                cells.append(v)
                continue
            s = cell_text(c, v)
            if not raw:
                s = neutralise(s)
            cell = WriteOnlyCell(ws, value=None)
            cell.value = s if s else None
            if s:
                cell.data_type = "s"  # text, never a formula
            cells.append(cell)
        ws.append(cells)
        n += 1
    wb.save(path_or_buf)
    return n


def write_json(out: IO[str], columns: list[str], rows: Iterable[dict[str, Any]]) -> int:
    out.write("[")
    n = 0
    for r in rows:
        obj = {c: plain(r.get(c)) for c in columns if r.get(c) not in (None, [], "")}
        out.write(("\n  " if n == 0 else ",\n  ") + json.dumps(obj, ensure_ascii=False, default=json_default))
        n += 1
    out.write("\n]\n" if n else "]\n")
    return n


def write_vcf(out: IO[str], contacts: Iterable[dict[str, Any]]) -> int:
    import vobject  # heavy: only here

    n = 0
    for c in contacts:
        card = vobject.vCard()
        card.add("version").value = "3.0"
        card.add("uid").value = str(c.get("id"))
        name = str(c.get("name") or c.get("company") or "")
        card.add("fn").value = name
        parts = name.rsplit(" ", 1)
        given, family = (parts[0], parts[1]) if len(parts) == 2 else ("", parts[0])
        card.add("n").value = vobject.vcard.Name(family=family, given=given)
        if c.get("company"):
            card.add("org").value = [str(c["company"])]
        for e in c.get("emails") or []:
            item = card.add("email")
            item.value = str(e)
            item.type_param = "INTERNET"
        for p in c.get("phones") or []:
            card.add("tel").value = str(p)
        addr = c.get("address") or {}
        if any(addr.get(k) for k in ("street", "postcode", "city", "region", "country")):
            card.add("adr").value = vobject.vcard.Address(
                street=str(addr.get("street") or ""), city=str(addr.get("city") or ""),
                region=str(addr.get("region") or ""), code=str(addr.get("postcode") or ""),
                country=str(addr.get("country") or ""))
        if c.get("tags"):
            card.add("categories").value = [str(t) for t in c["tags"]]
        out.write(card.serialize())
        n += 1
    return n
