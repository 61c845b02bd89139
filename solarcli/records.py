"""What a record is: kinds, fields, normalisation and validation.

Records are mappings (ruamel round-trip maps when loaded for editing, plain dicts from
the index). This module never does I/O: the repository (``solarcli.repo``) calls
``prepare`` before every write.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable

from solarcli.errors import ValidationError

# kind -> folder in the records repository
KINDS = {"contact": "contacts", "lead": "leads", "project": "projects", "proposal": "proposals"}
FOLDER_KIND = {v: k for k, v in KINDS.items()}

CONTACT_TYPES = ["person", "company"]
FACILITY_TYPES = ["residential", "commercial", "industrial", "agricultural"]
GRID_TYPES = ["on-grid", "zero-injection", "off-grid"]
INTERESTS = ["battery", "heat-pump", "ev-charger"]
PROJECT_TYPES = ["basic", "professional"]
PROFILES = ["family-day", "one-two-person", "retiree-home-office", "night-time", "custom"]
ACTIVITY_TYPES = ["call", "email", "meeting", "site-visit", "task"]

EMAIL_RE = re.compile(r"^[^@\s<>(),;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")

# Names of the list fields that hold items with their own id (merged as sets by sync).
ITEM_LISTS = ("notes", "activities", "documents", "stage_history")


# ---------------------------------------------------------------------------- fields
@dataclass(frozen=True)
class Field:
    """One settable field: how ``FIELD=VALUE`` from the command line is parsed."""

    type: str  # str | int | float | enum | list | enumlist | email | emails | phones | link | assignee | date
    choices: tuple = ()
    link: str | None = None  # kind a link field points to
    hint: str = ""


ADDRESS = {
    "street": Field("str"), "postcode": Field("str"), "city": Field("str"), "country": Field("str"),
}

FIELDS: dict[str, dict[str, Field]] = {
    "contact": {
        "type": Field("enum", tuple(CONTACT_TYPES)),
        "name": Field("str"),
        "company": Field("str"),
        "emails": Field("emails"),
        "phones": Field("phones"),
        **{f"address.{k}": v for k, v in ADDRESS.items()},
        "external_id": Field("str"),
        "tags": Field("list"),
    },
    "lead": {
        "title": Field("str"),
        "contact": Field("link", link="contact"),
        "prospect.name": Field("str"),
        "prospect.company": Field("str"),
        "prospect.email": Field("email"),
        "prospect.phone": Field("phone"),
        "source": Field("str"),
        "assignee": Field("assignee"),
        **{f"site.address.{k}": v for k, v in ADDRESS.items()},
        "site.lat": Field("float"),
        "site.lon": Field("float"),
        "facility": Field("enum", tuple(FACILITY_TYPES)),
        "grid": Field("enum", tuple(GRID_TYPES)),
        "consumption.annual_kwh": Field("float"),
        "consumption.monthly_kwh": Field("floatlist"),
        "consumption.profile": Field("enum", tuple(PROFILES)),
        "interests": Field("enumlist", tuple(INTERESTS)),
        "value": Field("float"),
        "external_id": Field("str"),
        "tags": Field("list"),
    },
    "project": {
        "name": Field("str"),
        "contact": Field("link", link="contact"),
        "type": Field("enum", tuple(PROJECT_TYPES)),
        "assignee": Field("assignee"),
        **{f"site.address.{k}": v for k, v in ADDRESS.items()},
        "site.lat": Field("float"),
        "site.lon": Field("float"),
        "facility": Field("enum", tuple(FACILITY_TYPES)),
        "grid": Field("enum", tuple(GRID_TYPES)),
        "interests": Field("enumlist", tuple(INTERESTS)),
        "value": Field("float"),
        "tags": Field("list"),
    },
}
# Fields changed only by dedicated commands (so history and invariants stay right).
RESERVED = {
    "id": "IDs never change",
    "kind": "the kind is fixed by the folder",
    "created": "set when the record is created",
    "updated": "set on every change",
    "stage": "use 'solar {kind} stage ID STAGE'",
    "stage_history": "written by 'solar {kind} stage'",
    "notes": "use 'solar note add'",
    "activities": "use 'solar activity add|done'",
    "documents": "use 'solar doc attach'",
    "lead": "set by 'solar lead convert'",
    "project": "set by 'solar lead convert'",
}


def folder(kind: str) -> str:
    return KINDS[kind]


def shard(record_id: str) -> str:
    """The sub-folder a record file lives in: the first character of its ID.

    32 shard folders per kind keep each git tree small (a commit rewrites the tree of one
    shard, ~3,000 entries at 100k records, instead of one flat folder of 100k)."""
    return record_id[:1]


def record_path(kind: str, record_id: str) -> str:
    """``leads/7/7k2m9x4abc.yaml``: the repository-relative path of a record file."""
    return f"{KINDS[kind]}/{shard(record_id)}/{record_id}.yaml"


_PATH_RE = re.compile(r"^(%s)/(?:([^/])/)?([^/]+)\.yaml$" % "|".join(re.escape(f) for f in KINDS.values()))


def parse_path(path: str) -> tuple[str, str] | None:
    """(kind, id) of a record file path, in the current or the old flat layout; else None.

    Accepts what ``record_path`` makes and the flat ``leads/<id>.yaml`` of repositories
    not yet migrated (``solar migrate``), so merges and history still read them."""
    m = _PATH_RE.match(path.replace("\\", "/").removeprefix("./"))
    if not m:
        return None
    folder, sub, name = m.groups()
    if sub is not None and sub != shard(name):
        return None
    return FOLDER_KIND[folder], name


def flat_path(kind: str, record_id: str) -> str:
    """Where a record file lived in the old flat layout (history before 'solar migrate')."""
    return f"{KINDS[kind]}/{record_id}.yaml"


def is_flat_path(path: str) -> bool:
    """A record file in the old flat layout (``leads/<id>.yaml``)."""
    return parse_path(path) is not None and path.replace("\\", "/").removeprefix("./").count("/") == 1


# ------------------------------------------------------------------ normalisation
def normalise_email(value: Any, *, where: str = "email") -> str:
    v = str(value or "").strip()
    if v.lower().startswith("mailto:"):
        v = v[7:]
    if not EMAIL_RE.match(v):
        raise ValidationError(f"{where}: {value!r} is not a valid e-mail address; expected name@domain.tld")
    local, _, domain = v.rpartition("@")
    return f"{local}@{domain.lower()}"


def normalise_phone(value: Any, region: str = "DE", *, where: str = "phone") -> str:
    """E.164 (``+4930123456``) using ``region`` for numbers without a country code."""
    import phonenumbers

    raw = str(value or "").strip()
    try:
        num = phonenumbers.parse(raw, (region or "DE").upper())
    except phonenumbers.NumberParseException:
        num = None
    if num is None or not phonenumbers.is_possible_number(num):
        raise ValidationError(
            f"{where}: {value!r} is not a phone number; expected e.g. +49 30 1234567 or a number of region {region}"
        )
    e164 = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    try:  # a number whose E.164 form does not read back as itself is not a real number
        again = phonenumbers.format_number(phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        again = None
    if again != e164:
        raise ValidationError(
            f"{where}: {value!r} is not a phone number; expected e.g. +49 30 1234567 or a number of region {region}"
        )
    return e164


def parse_field_value(kind: str, path: str, raw: str, *, region: str = "DE",
                      resolve: Callable[[str, str], str] | None = None, config=None) -> Any:
    """Parse ``FIELD=VALUE`` text for ``kind``. Empty value clears the field (None)."""
    where = f"{kind} field {path}"
    if path in RESERVED or path.split(".")[0] in RESERVED:
        key = path if path in RESERVED else path.split(".")[0]
        raise ValidationError(f"{where}: cannot be set directly; {RESERVED[key].format(kind=kind)}")
    spec = FIELDS.get(kind, {}).get(path)
    if spec is None:
        if path.startswith("custom.") and len(path) > 7:
            return raw if raw != "" else None
        if kind not in FIELDS:
            raise ValidationError(f"{where}: {kind} records have no settable fields here")
        known = ", ".join(sorted(FIELDS[kind])) + ", custom.NAME"
        raise ValidationError(f"{where}: unknown field; expected one of {known}")
    raw = raw.strip()
    if raw == "":
        return [] if spec.type in ("list", "enumlist", "emails", "phones", "floatlist") else None
    t = spec.type
    if t == "str":
        return raw
    if t in ("int", "float"):
        try:
            v = float(raw.replace("_", ""))
        except ValueError:
            raise ValidationError(f"{where}: {raw!r} is not a number") from None
        return int(v) if t == "int" or v.is_integer() else v
    if t == "floatlist":
        items = [x.strip() for x in raw.split(",") if x.strip()]
        try:
            return [float(x) if not float(x).is_integer() else int(float(x)) for x in items]
        except ValueError:
            raise ValidationError(f"{where}: {raw!r} is not a comma-separated list of numbers") from None
    if t == "enum":
        if raw not in spec.choices:
            raise ValidationError(f"{where}: {raw!r} is not allowed; expected one of {', '.join(spec.choices)}")
        return raw
    if t == "list":
        return [x.strip() for x in raw.split(",") if x.strip()]
    if t == "enumlist":
        items = [x.strip() for x in raw.split(",") if x.strip()]
        for x in items:
            if x not in spec.choices:
                raise ValidationError(f"{where}: {x!r} is not allowed; expected any of {', '.join(spec.choices)}")
        return items
    if t == "email":
        return normalise_email(raw, where=where)
    if t == "emails":
        return [normalise_email(x, where=where) for x in raw.split(",") if x.strip()]
    if t == "phone":
        return normalise_phone(raw, region, where=where)
    if t == "phones":
        return [normalise_phone(x, region, where=where) for x in raw.split(",") if x.strip()]
    if t == "link":
        return resolve(raw, spec.link) if resolve else raw
    if t == "assignee":
        return config.check_assignee(raw, where=f"{kind} ") if config is not None else raw
    raise AssertionError(t)  # pragma: no cover


def get_path(data: Any, path: str) -> Any:
    cur = data
    for part in path.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


def set_path(data: dict, path: str, value: Any) -> None:
    """Set a dotted path in place, creating intermediate mappings."""
    parts = path.split(".")
    cur = data
    for part in parts[:-1]:
        nxt = cur.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            cur[part] = nxt
            nxt = cur[part]
        cur = nxt
    cur[parts[-1]] = value


# -------------------------------------------------------------------- validation
def validate(kind: str, data: Any, config=None, *, name: str | None = None) -> None:
    """Raise ValidationError (naming record, field, value, expectation) if ``data`` is bad."""
    rid = (data or {}).get("id") if isinstance(data, dict) else None
    where = name or f"{kind} {rid or '(new)'}"
    if not isinstance(data, dict):
        raise ValidationError(f"{where}: expected a mapping of fields, found {type(data).__name__}")

    def bad(field: str, value: Any, expected: str):
        raise ValidationError(f"{where}: field {field}: found {value!r}; expected {expected}")

    from solarcli import ids

    if not ids.is_id(str(rid or "")):
        bad("id", rid, "a 10-character record ID")

    def check_enum(field, choices, allow_none=True):
        v = get_path(data, field)
        if v is None and allow_none:
            return
        if v not in choices:
            bad(field, v, "one of " + ", ".join(choices))

    def check_number(field, lo=None, hi=None):
        v = get_path(data, field)
        if v is None:
            return
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            bad(field, v, "a number")
        if not math.isfinite(v):  # nan/inf: invalid JSON output, NULL in the index
            bad(field, v, "a finite number")
        if lo is not None and v < lo:
            bad(field, v, f"a number >= {lo}")
        if hi is not None and v > hi:
            bad(field, v, f"a number <= {hi}")

    def check_list(field, item_check=None):
        v = data.get(field)
        if v is None:
            return
        if not isinstance(v, list):
            bad(field, v, "a list")
        for item in v:
            if item_check:
                item_check(field, item)

    def check_str(field):
        v = get_path(data, field)
        if v is not None and not isinstance(v, str):
            bad(field, v, "text")

    def email_item(field, item):
        if not isinstance(item, str) or not EMAIL_RE.match(item):
            bad(field, item, "valid e-mail addresses (name@domain.tld)")

    def phone_item(field, item):
        if not isinstance(item, str) or not re.match(r"^\+[1-9]\d{4,14}$", item):
            bad(field, item, "phone numbers in E.164 form (+4930123456)")

    check_list("tags", lambda f, i: isinstance(i, (str, int)) or bad(f, i, "a list of words"))
    if data.get("custom") is not None and not isinstance(data.get("custom"), dict):
        bad("custom", data.get("custom"), "a mapping of custom fields")
    for lst in ITEM_LISTS:
        v = data.get(lst)
        if v is not None and (not isinstance(v, list) or not all(isinstance(x, dict) for x in v)):
            bad(lst, v, "a list of entries")
    for act in data.get("activities") or []:
        if act.get("type") not in ACTIVITY_TYPES:
            bad("activities.type", act.get("type"), "one of " + ", ".join(ACTIVITY_TYPES))

    if kind == "contact":
        check_enum("type", CONTACT_TYPES, allow_none=False)
        check_str("name")
        if not (data.get("name") or data.get("company")):
            bad("name", data.get("name"), "a name (or a company name)")
        check_list("emails", email_item)
        check_list("phones", phone_item)
        if data.get("address") is not None and not isinstance(data.get("address"), dict):
            bad("address", data.get("address"), "a mapping with street, postcode, city, country")
    elif kind in ("lead", "project"):
        if config is not None:
            stage = data.get("stage")
            if stage not in config.stages(kind):
                bad("stage", stage, f"one of {', '.join(config.stages(kind))} (solar.yaml pipelines.{kind})")
            if data.get("assignee"):
                config.check_assignee(str(data.get("assignee")), where=f"{where}: ", allow_suspended=True)
        check_enum("facility", FACILITY_TYPES)
        check_enum("grid", GRID_TYPES)
        check_number("value", lo=0)
        check_number("site.lat", -90, 90)
        check_number("site.lon", -180, 180)
        check_list("interests", lambda f, i: i in INTERESTS or bad(f, i, "any of " + ", ".join(INTERESTS)))
        cons = data.get("consumption")
        if cons is not None:
            if not isinstance(cons, dict):
                bad("consumption", cons, "a mapping (annual_kwh, monthly_kwh, profile)")
            check_number("consumption.annual_kwh", lo=0)
            monthly = cons.get("monthly_kwh")
            if monthly not in (None, []):
                if not isinstance(monthly, list) or len(monthly) != 12 or not all(
                        isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x >= 0
                        for x in monthly):
                    bad("consumption.monthly_kwh", monthly, "12 numbers >= 0 (January to December)")
            if cons.get("profile") is not None and cons.get("profile") not in PROFILES:
                bad("consumption.profile", cons.get("profile"), "one of " + ", ".join(PROFILES))
        if kind == "lead":
            check_str("title")
            p = data.get("prospect")
            if p is not None:
                if not isinstance(p, dict):
                    bad("prospect", p, "a mapping (name, company, email, phone)")
                if p.get("email"):
                    email_item("prospect.email", p.get("email"))
        else:
            check_enum("type", PROJECT_TYPES, allow_none=False)
            check_str("name")
            if not data.get("name"):
                bad("name", data.get("name"), "a project name")
    if kind == "project":  # designs, consumption, tariff and BOM belong to the engine
        from solarcli.engine.inputs import validate_project

        validate_project(data, config, where)


# ------------------------------------------------------------------------ summary
def display_name(kind: str, data: dict) -> str:
    if kind == "contact":
        return str(data.get("name") or data.get("company") or "")
    if kind == "lead":
        title = data.get("title")
        if title:
            return str(title)
        p = data.get("prospect") or {}
        return str(p.get("name") or p.get("company") or "")
    if kind == "proposal":
        return str(data.get("number") or "")
    return str(data.get("name") or "")


def summary(kind: str, data: dict) -> dict:
    """The stable, flat fields of a record (index columns, list and JSON output)."""
    emails = data.get("emails") or []
    phones = data.get("phones") or []
    p = data.get("prospect") or {}
    site = data.get("site") or {}
    addr = (data.get("address") if kind == "contact" else (site.get("address") if isinstance(site, dict) else None)) or {}
    out = {
        "id": data.get("id"),
        "kind": kind,
        "name": display_name(kind, data),
        "type": data.get("type"),
        "stage": data.get("stage") if kind != "proposal" else data.get("status"),
        "contact": data.get("contact"),
        "lead": data.get("lead"),
        "project": data.get("project"),
        "assignee": data.get("assignee"),
        "source": data.get("source"),
        "facility": data.get("facility"),
        "grid": data.get("grid"),
        "email": (emails[0] if emails else p.get("email")) or None,
        "phone": (phones[0] if phones else p.get("phone")) or None,
        "city": (addr.get("city") if isinstance(addr, dict) else None) or None,
        "value": data.get("value"),
        "tags": list(data.get("tags") or []),
        "created": _s(data.get("created")),
        "updated": _s(data.get("updated")),
    }
    return out


def _s(v):
    return None if v is None else str(v)


def search_text(data: Any) -> str:
    """Every string in the record, lower-cased, for ``solar search``."""
    out: list[str] = []

    def walk(x):
        if isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
        elif x is not None and not isinstance(x, bool):
            out.append(str(x))

    walk(data)
    return "\n".join(out).lower()
