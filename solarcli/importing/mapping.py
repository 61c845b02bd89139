"""Map the columns of an import file to record fields.

Import *targets* are the names used in ``--map`` and as the headers of an
export, so an exported file maps back onto itself:

primary record (the lead in ``lead import``, the contact in ``contact import``)
    ``id`` (a solar ID; a value that is not one is kept as external id),
    ``external_id``, ``tags``, ``note``, ``custom.<name>``
contact fields
    ``kind``, ``name``, ``first_name``, ``last_name`` (joined into ``name``),
    ``company``, ``email`` (several columns allowed), ``phone`` (several),
    ``street``, ``postcode``, ``city``, ``region``, ``country``;
    in a lead import also ``contact.id``, ``contact.external_id``,
    ``contact.tags``, ``contact.note``, ``contact.custom.<name>``
lead fields (lead import only)
    ``title``, ``source``, ``stage``, ``reason`` (why lost), ``assignee``,
    ``owner`` (a CRM owner name: the assignee when it names a known user, else
    kept in ``custom.crm_owner``), ``facility``, ``grid``, ``annual_kwh``,
    ``monthly_kwh``, ``profile``, ``interests``, ``interest.battery``,
    ``interest.heat-pump``, ``interest.ev-charger`` (yes/no columns), ``value``,
    ``site.street``, ``site.postcode``, ``site.city``, ``site.country``,
    ``site.lat``, ``site.lon``
``-``
    ignore the column (listed as ignored by ``solar import columns``)

Headers are compared normalised: accents removed, case folded, everything but
letters and digits dropped ("E-Mail Adresse" == "emailadresse"). When a header
is not known, its digits are dropped too ("Phone 2", "E-mail 1 - Value").
A column no rule maps becomes ``custom.<name>`` - never silently dropped.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from solarcli.errors import NotFoundError, ParseError, UsageError

CONTACT_FIELDS = ("kind", "name", "first_name", "last_name", "company", "email", "phone",
                  "street", "postcode", "city", "region", "country")
LEAD_FIELDS = ("title", "source", "stage", "reason", "assignee", "owner", "facility", "grid",
               "annual_kwh", "monthly_kwh", "profile", "interests", "interest.battery",
               "interest.heat-pump", "interest.ev-charger", "value", "site.street",
               "site.postcode", "site.city", "site.country", "site.lat", "site.lon")
PRIMARY_FIELDS = ("id", "external_id", "tags", "note")
CONTACT_PREFIXED = ("contact.id", "contact.external_id", "contact.tags", "contact.note")
MULTI = {"email", "phone", "tags", "contact.tags", "interests", "note", "contact.note"}
IGNORE = "-"
# columns of solar's own export that are not imported (set by solar itself)
EXPORT_ONLY = ("created", "updated", "import_batches", "contact.created", "contact.updated")

KINDS = ("lead", "contact")


def normalise_header(text: Any) -> str:
    """``"Zip/Postal Code"`` -> ``"zippostalcode"``; ``"Straße"`` -> ``"strasse"``."""
    s = unicodedata.normalize("NFKD", str(text or ""))
    s = "".join(c for c in s if not unicodedata.combining(c)).casefold()
    s = s.replace("ı", "i")  # Turkish dotless i
    return re.sub(r"[^0-9a-z]+", "", s)


def custom_key(header: str) -> str:
    """A readable custom field name for a header: ``"Dachfläche (m²)"`` ->
    ``"dachfläche_m2"`` (letters kept, everything else becomes ``_``)."""
    s = unicodedata.normalize("NFKC", str(header)).casefold().strip()
    s = re.sub(r"[^\w]+", "_", s).strip("_")
    return s or "column"


# Synonyms: target -> header spellings (compared normalised). English, German, Turkish.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "id": ("id", "solar id"),
    "external_id": ("external id", "ext id", "crm id", "record id", "source id", "uid",
                    "submission id", "form id", "lead id", "deal id", "kundennummer",
                    "customer number", "customer id", "müşteri no"),
    "contact.id": ("contact id", "contact.id", "kontakt id"),
    "contact.external_id": ("contact external id", "contact.external_id", "person id"),
    "contact.tags": ("contact tags",),
    "contact.note": ("contact note",),
    "kind": ("kind", "type", "contact type", "contact kind", "kontaktart", "art"),
    "name": ("name", "full name", "contact name", "contact", "customer", "customer name",
             "kunde", "kundenname", "ad soyad", "isim", "display name", "person name"),
    "first_name": ("first name", "firstname", "given name", "forename", "vorname", "ad",
                   "first"),
    "last_name": ("last name", "lastname", "surname", "family name", "nachname", "soyad",
                  "soyadı", "last"),
    "company": ("company", "company name", "organization", "organisation", "organization name",
                "account", "account name", "company account", "firma", "firmenname",
                "unternehmen", "şirket", "sirket adi"),
    "email": ("email", "emails", "e-mail", "email address", "e-mail address", "mail", "emailadresse",
              "e-mail-adresse", "email value", "e-posta", "eposta", "primary email",
              "secondary email", "work email", "home email", "other email"),
    "phone": ("phone", "phones", "phone number", "telephone", "tel", "mobile", "mobile phone",
              "mobile phone number", "cell", "cell phone", "mobil", "mobilnummer", "handy",
              "mobiltelefon", "telefon", "telefonnummer", "phone value", "cep", "cep telefonu",
              "gsm", "work phone", "home phone", "business phone"),
    "street": ("street", "street address", "address", "address line 1", "address street",
               "mailing street", "straße", "strasse", "straße und hausnummer", "anschrift",
               "adres", "sokak"),
    "postcode": ("postcode", "postal code", "post code", "zip", "zip code", "zipcode",
                 "address postcode", "address zip", "address zip code",
                 "zip/postal code", "address postal code", "mailing zip/postal code", "plz",
                 "postleitzahl", "posta kodu"),
    "city": ("city", "town", "address city", "mailing city", "ort", "stadt", "wohnort",
             "şehir", "sehir", "il"),
    "region": ("region", "state", "state/region", "state/province", "province", "county",
               "address region", "bundesland", "ilçe"),
    "country": ("country", "country/region", "address country", "mailing country", "land",
                "ülke"),
    "tags": ("tags", "tag", "labels", "label", "categories", "schlagworte", "etiketler"),
    "note": ("note", "notes", "comment", "comments", "description", "message", "nachricht",
             "bemerkung", "bemerkungen", "notiz", "kommentar", "beschreibung", "mesaj", "not"),
    "title": ("title", "lead title", "deal title", "deal name", "opportunity name", "subject",
              "betreff", "anfrage", "başlık"),
    "source": ("source", "lead source", "original source", "channel", "quelle", "lead quelle",
               "leadquelle", "kaynak", "utm source"),
    "stage": ("stage", "status", "lead status", "deal stage", "phase", "leadstatus", "aşama",
              "durum"),
    "reason": ("reason", "lost reason", "verlustgrund", "grund"),
    "assignee": ("assignee", "assigned to", "zuständig", "bearbeiter", "sorumlu"),
    "owner": ("owner", "lead owner", "contact owner", "deal owner", "record owner",
              "inhaber", "besitzer", "vertriebler", "sales rep"),
    "facility": ("facility", "facility type", "building type", "property type", "objektart",
                 "gebäudeart", "gebäudetyp", "tesis tipi"),
    "grid": ("grid", "grid connection", "grid type", "netzanschluss", "şebeke"),
    "annual_kwh": ("annual kwh", "consumption annual kwh", "annual consumption", "consumption", "consumption kwh",
                   "annual consumption kwh", "yearly consumption", "kwh per year", "kwh/year",
                   "kwh", "verbrauch", "jahresverbrauch", "jahresverbrauch kwh",
                   "stromverbrauch", "stromverbrauch kwh", "yıllık tüketim", "tüketim",
                   "energy usage", "usage kwh"),
    "monthly_kwh": ("monthly kwh", "consumption monthly kwh", "monthly consumption", "monatsverbrauch"),
    "profile": ("profile", "consumption profile", "consumption profile", "load profile", "lastprofil"),
    "interests": ("interests", "interest", "interested in", "products", "add-ons", "addons",
                  "system interests", "interesse", "interessen", "ilgi", "produkte"),
    "interest.battery": ("battery", "battery interest", "interest battery", "speicher",
                         "batteriespeicher", "stromspeicher", "batterie", "batarya"),
    "interest.heat-pump": ("heat pump", "heat-pump", "heatpump", "interest heat pump",
                           "wärmepumpe", "isı pompası"),
    "interest.ev-charger": ("ev charger", "ev-charger", "wallbox", "ev charging",
                            "interest ev charger", "ladestation", "şarj istasyonu"),
    "value": ("value", "estimated value", "deal value", "amount", "budget", "wert",
              "auftragswert", "volumen", "bütçe", "tutar"),
    "site.street": ("site street", "site address street", "site address", "installation address", "anlagenstandort",
                    "standort straße"),
    "site.postcode": ("site postcode", "site address postcode", "site zip", "site postal code", "standort plz"),
    "site.city": ("site city", "site address city", "installation city", "standort ort", "standort"),
    "site.country": ("site country", "site address country"),
    "site.lat": ("lat", "latitude", "site lat", "breitengrad", "enlem"),
    "site.lon": ("lon", "lng", "long", "longitude", "site lon", "längengrad", "boylam"),
}


def _build_lookup() -> dict[str, str]:
    out: dict[str, str] = {}
    for target, names in SYNONYMS.items():
        for n in (target, *names):
            out.setdefault(normalise_header(n), target)
    return out


_LOOKUP = _build_lookup()


@dataclass
class Preset:
    name: str
    title: str
    columns: dict[str, str]  # header (as exported) -> target
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # target -> {value: value}
    signature: tuple[str, ...] = ()  # headers that identify the layout
    source: str | None = None  # default lead source
    kind: str | None = None  # layout of leads or contacts (informational)
    strip_prefixes: tuple[str, ...] = ()  # "Deal - Building type" -> synonyms of "Building type"

    def lookup(self) -> dict[str, str]:
        return {normalise_header(k): v for k, v in self.columns.items()}


_SF_STATUS = {
    "Open - Not Contacted": "new", "Working - Contacted": "contacted",
    "Closed - Converted": "converted", "Closed - Not Converted": "lost",
    "Offen - Nicht kontaktiert": "new", "In Bearbeitung - Kontaktiert": "contacted",
    "Geschlossen - Konvertiert": "converted", "Geschlossen - Nicht konvertiert": "lost",
}

PRESETS: dict[str, Preset] = {}


def _preset(p: Preset) -> None:
    PRESETS[p.name] = p


_preset(Preset(
    "hubspot", "HubSpot contacts export (CSV/XLSX)",
    {
        "Record ID": "external_id", "Contact ID": "external_id",
        "First Name": "first_name", "Last Name": "last_name",
        "Email": "email", "Phone Number": "phone", "Mobile Phone Number": "phone",
        "Street Address": "street", "City": "city", "State/Region": "region",
        "Postal Code": "postcode", "Country/Region": "country",
        "Company Name": "company", "Contact owner": "owner", "Lead Status": "stage",
        "Original Source": "source", "Message": "note",
    },
    values={"stage": {"New": "new", "Open": "new", "In Progress": "contacted",
                      "Attempted to contact": "contacted", "Connected": "contacted",
                      "Open Deal": "qualified", "Unqualified": "lost", "Bad Timing": "lost",
                      "NEW": "new", "OPEN": "new", "IN_PROGRESS": "contacted",
                      "ATTEMPTED_TO_CONTACT": "contacted", "CONNECTED": "contacted",
                      "OPEN_DEAL": "qualified", "UNQUALIFIED": "lost", "BAD_TIMING": "lost"}},
    signature=("Record ID", "Lifecycle Stage", "Contact owner"), source="import:hubspot",
    kind="contact"))

_preset(Preset(
    "salesforce", "Salesforce lead report, exported as CSV (English or German labels)",
    {
        "Lead ID": "external_id", "First Name": "first_name", "Last Name": "last_name",
        "Title": "custom.job_title", "Company / Account": "company", "Company": "company",
        "Email": "email", "Phone": "phone", "Mobile": "phone", "Street": "street",
        "City": "city", "State/Province": "region", "Zip/Postal Code": "postcode",
        "Country": "country", "Lead Source": "source", "Lead Status": "stage",
        "Lead Owner": "owner", "Description": "note",
        # German user interface
        "Lead-ID": "external_id", "Vorname": "first_name", "Nachname": "last_name",
        "Titel": "custom.job_title", "Firma/Account": "company", "Firma": "company",
        "E-Mail": "email", "Telefon": "phone", "Mobiltelefon": "phone", "Straße": "street",
        "Ort": "city", "Bundesland": "region", "PLZ": "postcode", "Land": "country",
        "Lead-Quelle": "source", "Lead-Status": "stage", "Lead-Inhaber": "owner",
        "Beschreibung": "note",
    },
    values={"stage": _SF_STATUS},
    signature=("Lead Status", "Lead Owner", "Company / Account", "Lead-Status", "Lead-Inhaber",
               "Firma/Account"),
    source="import:salesforce", kind="lead"))

_preset(Preset(
    "salesforce-dataloader", "Salesforce Data Loader export of Lead (API field names)",
    {
        "Id": "external_id", "FirstName": "first_name", "LastName": "last_name",
        "Name": "name", "Company": "company", "Title": "custom.job_title", "Email": "email",
        "Phone": "phone", "MobilePhone": "phone", "Street": "street", "City": "city",
        "State": "region", "PostalCode": "postcode", "Country": "country",
        "Latitude": "site.lat", "Longitude": "site.lon", "LeadSource": "source",
        "Status": "stage", "OwnerId": "owner", "Description": "note",
        "AnnualRevenue": "custom.annual_revenue",
    },
    values={"stage": _SF_STATUS},
    signature=("FirstName", "LastName", "LeadSource", "OwnerId"),
    source="import:salesforce", kind="lead"))

_preset(Preset(
    "pipedrive", "Pipedrive deals or leads export with person fields (XLSX/CSV)",
    {
        "Deal - ID": "external_id", "Deal - Title": "title", "Deal - Value": "value",
        "Deal - Stage": "stage", "Deal - Owner": "owner", "Deal - Contact person": "name",
        "Deal - Organization": "company", "Deal - Lost reason": "reason",
        "Deal - Status": "custom.deal_status", "Lead - Status": "custom.lead_status",
        "Lead - ID": "external_id", "Lead - Title": "title", "Lead - Value": "value",
        "Lead - Owner": "owner", "Lead - Source": "source", "Lead - Labels": "tags",
        "Person - ID": "contact.external_id", "Person - Name": "name",
        "Person - Email": "email", "Person - Email - Work": "email",
        "Person - Email - Home": "email", "Person - Email - Other": "email",
        "Person - Phone": "phone", "Person - Phone - Work": "phone",
        "Person - Phone - Mobile": "phone", "Person - Phone - Home": "phone",
        "Person - Phone - Other": "phone", "Person - Organization": "company",
        "Person - Postal address - Street/road name": "street",
        "Person - Postal address - ZIP/Postal code": "postcode",
        "Person - Postal address - City/town/village/locality": "city",
        "Person - Postal address - Country": "country",
        "Person - Labels": "contact.tags",
    },
    values={"stage": {"Lead In": "new", "Contact Made": "contacted", "Qualified": "qualified",
                      "Demo Scheduled": "qualified", "Proposal Made": "qualified",
                      "Negotiations Started": "qualified"}},
    signature=("Deal - Title", "Lead - Title", "Person - Name"),
    source="import:pipedrive", kind="lead",
    strip_prefixes=("Deal - ", "Lead - ", "Person - ", "Organization - ")))

_preset(Preset(
    "zoho", "Zoho CRM leads export (CSV)",
    {
        "Record Id": "external_id", "Lead Owner": "owner", "Company": "company",
        "First Name": "first_name", "Last Name": "last_name", "Title": "custom.job_title",
        "Email": "email", "Secondary Email": "email", "Phone": "phone", "Mobile": "phone",
        "Lead Source": "source", "Lead Status": "stage", "Street": "street", "City": "city",
        "State": "region", "Zip Code": "postcode", "Country": "country",
        "Description": "note", "Tag": "tags",
    },
    values={"stage": {"Not Contacted": "new", "Attempted to Contact": "contacted",
                      "Contact in Future": "contacted", "Contacted": "contacted",
                      "Pre-Qualified": "qualified", "Not Qualified": "lost",
                      "Junk Lead": "lost", "Lost Lead": "lost"}},
    signature=("Record Id", "Lead Owner", "Lead Status", "Zip Code"),
    source="import:zoho", kind="lead"))

_GOOGLE_IGNORED = ["Address 1 - Formatted", "Address 2 - Formatted", "Photo", "File As",
                   "Phonetic First Name", "Phonetic Middle Name", "Phonetic Last Name",
                   "Name Prefix", "Name Suffix"]
_google_cols: dict[str, str] = {
    "First Name": "first_name", "Middle Name": "custom.middle_name", "Last Name": "last_name",
    "Given Name": "first_name", "Family Name": "last_name", "Additional Name": "custom.middle_name",
    "Name": "name", "Organization Name": "company", "Organization 1 - Name": "company",
    "Organization Title": "custom.job_title", "Organization 1 - Title": "custom.job_title",
    "Notes": "note", "Labels": "tags", "Group Membership": "tags",
    "Address 1 - Street": "street", "Address 1 - City": "city", "Address 1 - Region": "region",
    "Address 1 - Postal Code": "postcode", "Address 1 - Country": "country",
}
for _i in range(1, 6):
    _google_cols[f"E-mail {_i} - Value"] = "email"
    _google_cols[f"Phone {_i} - Value"] = "phone"
    _google_cols[f"E-mail {_i} - Label"] = IGNORE
    _google_cols[f"E-mail {_i} - Type"] = IGNORE
    _google_cols[f"Phone {_i} - Label"] = IGNORE
    _google_cols[f"Phone {_i} - Type"] = IGNORE
    _google_cols[f"Address {_i} - Label"] = IGNORE
    _google_cols[f"Address {_i} - Type"] = IGNORE
for _h in _GOOGLE_IGNORED:
    _google_cols[_h] = IGNORE

_preset(Preset(
    "google", "Google Contacts export (Google CSV, current and legacy layout)",
    _google_cols, values={},
    signature=("E-mail 1 - Value", "Phone 1 - Value", "Labels", "Group Membership",
               "Organization Name", "File As"),
    source="import:google", kind="contact"))


def detect_preset(headers: Iterable[str]) -> str | None:
    """The preset whose signature headers the file has most of (at least two)."""
    have = {str(h).strip().casefold() for h in headers}
    best, best_n = None, 1
    for p in PRESETS.values():
        n = sum(1 for s in p.signature if s.casefold() in have)
        if n > best_n:
            best, best_n = p.name, n
    return best


# ----------------------------------------------------------------------------- targets

def canonical_target(target: str, kind: str) -> str:
    """Validate a ``--map`` target and return its canonical spelling; raise
    UsageError for unknown names or lead fields in a contact import."""
    t = target.strip()
    if t in ("", IGNORE, "ignore", "skip"):
        return IGNORE
    low = t.lower()
    for prefix in ("lead.",) if kind == "lead" else ("contact.",):
        # "lead.stage" in a lead import == "stage"; "contact.email" in a contact import == "email"
        if low.startswith(prefix) and not low.startswith(prefix + "custom."):
            rest = t[len(prefix):]
            if rest in PRIMARY_FIELDS or rest in LEAD_FIELDS or rest in CONTACT_FIELDS:
                low = rest.lower()
                t = rest
    if low.startswith("custom."):
        key = t[len("custom."):]
        if not key:
            raise UsageError(f"--map target {target!r}: custom field name missing")
        return "custom." + key
    if low.startswith("contact.custom."):
        if kind != "lead":
            return "custom." + t[len("contact.custom."):]
        return "contact.custom." + t[len("contact.custom."):]
    if low in PRIMARY_FIELDS or low in CONTACT_FIELDS:
        return low
    if low.startswith("contact.") and low[len("contact."):] in CONTACT_FIELDS:
        return low[len("contact."):]
    if low in CONTACT_PREFIXED:
        if kind != "lead":
            return low[len("contact."):]
        return low
    if low in LEAD_FIELDS:
        if kind != "lead":
            raise UsageError(f"--map target {target!r} is a lead field; "
                             "use it with `solar lead import`")
        return low
    raise UsageError(
        f"unknown --map target {target!r}; expected one of: "
        + ", ".join(PRIMARY_FIELDS + CONTACT_FIELDS + CONTACT_PREFIXED + LEAD_FIELDS)
        + ", custom.<name>, contact.custom.<name> or - (ignore)")


def target_allowed(target: str, kind: str) -> bool:
    return not (kind != "lead" and (target in LEAD_FIELDS or target.startswith("contact.")))


@dataclass
class ColumnMap:
    header: str
    target: str  # canonical target, custom.<k> or "-"
    how: str  # "map", "preset", "synonym", "exact", "custom", "ignored"


@dataclass
class Mapping:
    kind: str
    columns: list[ColumnMap]
    preset: str | None = None
    preset_detected: bool = False
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # normalised value maps
    source: str | None = None  # default lead source from the preset

    def targets(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for c in self.columns:
            if c.target != IGNORE:
                out.setdefault(c.target, []).append(c.header)
        return out

    def as_rows(self) -> list[dict[str, str]]:
        return [{"column": c.header, "field": c.target, "how": c.how} for c in self.columns]


def parse_map_options(items: Iterable[str]) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """``--map`` values: ``"Column=field"`` pairs or a YAML file with
    ``columns: {Column: field}`` (or a plain mapping) and optional
    ``values: {field: {from: to}}``."""
    cols: dict[str, str] = {}
    values: dict[str, dict[str, str]] = {}
    for item in items:
        if "=" in item and not Path(item).is_file():
            col, _, tgt = item.rpartition("=")
            if not col.strip():
                raise UsageError(f"--map {item!r}: expected COLUMN=FIELD")
            cols[col.strip()] = tgt.strip()
            continue
        p = Path(item)
        if not p.is_file():
            raise NotFoundError(f"--map {item}: no such file (or use COLUMN=FIELD)")
        import yaml  # PyYAML safe loader: the map file is only read

        try:
            doc = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ParseError(f"{item}: invalid YAML: {exc}") from None
        if not isinstance(doc, dict):
            raise ParseError(f"{item}: expected a mapping of column: field")
        body = doc.get("columns", doc if "values" not in doc else {})
        if not isinstance(body, dict):
            raise ParseError(f"{item}: 'columns' must be a mapping of column: field")
        for k, v in body.items():
            cols[str(k)] = IGNORE if v in (None, False) else str(v)
        vals = doc.get("values") or {}
        if not isinstance(vals, dict):
            raise ParseError(f"{item}: 'values' must be a mapping of field: {{from: to}}")
        for fld, table in vals.items():
            if not isinstance(table, dict):
                raise ParseError(f"{item}: values.{fld} must be a mapping")
            values.setdefault(str(fld), {}).update({str(a): str(b) for a, b in table.items()})
    return cols, values


def build_mapping(headers: list[str], kind: str, *, preset: str | None = None,
                  overrides: dict[str, str] | None = None,
                  value_maps: dict[str, dict[str, str]] | None = None,
                  auto_preset: bool = True) -> Mapping:
    """Decide the target of every column (see the module doc for the rules)."""
    if kind not in KINDS:
        raise UsageError(f"unknown record kind {kind!r}")
    overrides = dict(overrides or {})
    detected = False
    if preset is None and auto_preset:
        preset = detect_preset(headers)
        detected = preset is not None
    p: Preset | None = None
    if preset is not None:
        if preset not in PRESETS:
            raise UsageError(f"unknown preset {preset!r}; known: {', '.join(sorted(PRESETS))}")
        p = PRESETS[preset]
    plookup = p.lookup() if p else {}

    # override keys are matched exactly first, then normalised
    exact_over = {k: v for k, v in overrides.items()}
    norm_over = {normalise_header(k): v for k, v in overrides.items()}
    used_over: set[str] = set()

    cols: list[ColumnMap] = []
    taken: set[str] = set()  # scalar targets already used
    for h in headers:
        how = ""
        target = None
        if h in exact_over:
            target, how = canonical_target(exact_over[h], kind), "map"
            used_over.add(normalise_header(h))
        elif normalise_header(h) in norm_over:
            target, how = canonical_target(norm_over[normalise_header(h)], kind), "map"
            used_over.add(normalise_header(h))
        else:
            raw = h.strip()
            n = normalise_header(raw)
            if raw in EXPORT_ONLY:
                target, how = IGNORE, "ignored"
            elif raw.lower().startswith(("custom.", "contact.custom.")):
                target, how = canonical_target(raw, kind), "exact"
            elif n in plookup:
                target, how = plookup[n], "preset"
                if target != IGNORE and target.startswith(("custom.", "contact.custom.")):
                    target = canonical_target(target, kind)
            else:
                target = _synonym(raw, n, kind)
                if target is None and p is not None:
                    for pre in p.strip_prefixes:
                        if raw.lower().startswith(pre.lower()):
                            rest = raw[len(pre):].strip()
                            target = _synonym(rest, normalise_header(rest), kind)
                            break
                if target is not None:
                    how = "exact" if _is_exact(raw, target, kind) else "synonym"
            if target is not None and target != IGNORE and not target_allowed(target, kind):
                target = None
            if target is not None and target != IGNORE and target not in MULTI \
                    and not target.startswith(("custom.", "contact.custom.")) and target in taken:
                target = None  # a second column for a single-valued field: keep it as custom
        if target is None:
            target, how = "custom." + custom_key(h), "custom"
        if target == IGNORE:
            how = "ignored" if how != "map" else "map"
        elif target not in MULTI and not target.startswith(("custom.", "contact.custom.")):
            taken.add(target)
        cols.append(ColumnMap(h, target, how))
    unused = [k for k in overrides if normalise_header(k) not in used_over]
    if unused:
        raise UsageError(f"--map names column(s) not in the file: {', '.join(unused)}; "
                         f"columns: {', '.join(headers)}")
    # custom keys must be unique: "Notiz" and "notiz!" would collide
    seen: dict[str, int] = {}
    for c in cols:
        if c.target.startswith(("custom.", "contact.custom.")):
            n = seen.get(c.target, 0)
            if n:
                c.target = f"{c.target}_{n + 1}"
            seen[c.target] = n + 1
    values: dict[str, dict[str, str]] = {}
    if p:
        for fld, table in p.values.items():
            values.setdefault(fld, {}).update({normalise_header(a): b for a, b in table.items()})
    for fld, table in (value_maps or {}).items():
        fld_c = canonical_target(fld, kind)
        values.setdefault(fld_c, {}).update({normalise_header(a): b for a, b in table.items()})
    return Mapping(kind, cols, preset=p.name if p else None, preset_detected=detected,
                   values=values, source=p.source if p else None)


def _is_exact(raw: str, target: str, kind: str) -> bool:
    return raw.strip().lower() in (target, f"{kind}.{target}")


def _synonym(raw: str, n: str, kind: str) -> str | None:
    low = raw.strip().lower()
    if kind == "lead" and low.startswith("lead.") and low[5:] in _LOOKUP.values():
        return low[5:]
    if low.startswith("contact.") and low[8:] in CONTACT_FIELDS:
        return low[8:]
    if n in _LOOKUP:
        return _LOOKUP[n]
    stripped = re.sub(r"[0-9]+", "", n)
    if stripped and stripped != n and stripped in _LOOKUP:
        t = _LOOKUP[stripped]
        return t
    return None
