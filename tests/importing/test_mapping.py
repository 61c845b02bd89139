"""Header normalisation, synonyms, presets and --map."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from solarcli.errors import UsageError
from solarcli.importing.mapping import (IGNORE, PRESETS, build_mapping, canonical_target, custom_key,
                                        detect_preset, normalise_header, parse_map_options)
from solarcli.importing.readers import open_source

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "imports"


def targets(headers, kind="lead", **kw):
    return {c.header: c.target for c in build_mapping(headers, kind, **kw).columns}


def test_normalise_header_ignores_case_spacing_punctuation_accents():
    assert normalise_header("Zip/Postal Code") == "zippostalcode"
    assert normalise_header(" E-Mail ") == normalise_header("email") == "email"
    assert normalise_header("Straße") == "strasse"
    assert normalise_header("Şehir") == "sehir"
    assert normalise_header("Ülke") == "ulke"


@given(st.text(max_size=30))
def test_normalise_header_is_idempotent_and_only_letters_digits(s):
    n = normalise_header(s)
    assert normalise_header(n) == n
    assert all(c.isascii() and c.isalnum() and not c.isupper() for c in n)


@given(st.sampled_from(["E-mail", "Email Address", "Mobile", "Zip/Postal Code", "First Name", "Phone 2"]),
       st.sampled_from(["", " ", "_", "-", "."]), st.booleans())
def test_synonyms_survive_case_and_punctuation_changes(header, junk, upper):
    h = (header.upper() if upper else header.lower()).replace(" ", junk or " ")
    assert targets([h]) == {h: targets([header])[header]}


@pytest.mark.parametrize("header,target", [
    ("E-mail", "email"), ("Email Address", "email"), ("E-Mail-Adresse", "email"), ("E-posta", "email"),
    ("Mobile", "phone"), ("Handy", "phone"), ("Phone 2", "phone"), ("Cep Telefonu", "phone"),
    ("Zip/Postal Code", "postcode"), ("PLZ", "postcode"), ("Posta Kodu", "postcode"),
    ("First Name", "first_name"), ("Vorname", "first_name"), ("Last Name", "last_name"),
    ("Stadt", "city"), ("Ort", "city"), ("Şehir", "city"), ("Straße", "street"),
    ("Jahresverbrauch (kWh)", "annual_kwh"), ("Wallbox", "interest.ev-charger"),
    ("Lead Owner", "owner"), ("Lead Status", "stage"), ("Interessen", "interests"),
    ("Latitude", "site.lat"), ("Anlagenstandort", "site.street"),
])
def test_synonyms(header, target):
    assert targets([header]) == {header: target}


def test_unknown_columns_become_custom_fields_never_dropped():
    got = targets(["Name", "Dachfläche (m²)", "Notiz!", "notiz"])
    assert got["Dachfläche (m²)"] == "custom.dachfläche_m2"
    assert got["Notiz!"] == "note" and got["notiz"] == "note"  # note takes several columns
    got = targets(["Name", "Lieblingsfarbe", "Lieblingsfarbe!"])
    assert got["Lieblingsfarbe"] == "custom.lieblingsfarbe"
    assert got["Lieblingsfarbe!"] == "custom.lieblingsfarbe_2"


def test_second_column_for_a_single_valued_field_is_kept_as_custom():
    got = targets(["City", "Stadt"])
    assert got == {"City": "city", "Stadt": "custom.stadt"}


def test_lead_fields_in_a_contact_import_become_custom():
    got = targets(["Name", "Stage", "Annual kWh"], kind="contact")
    assert got == {"Name": "name", "Stage": "custom.stage", "Annual kWh": "custom.annual_kwh"}


def test_exported_headers_map_onto_themselves():
    from solarcli.importing.export import CONTACT_COLUMNS, LEAD_COLUMNS

    got = targets(LEAD_COLUMNS + ["custom.roof", "contact.custom.vip"])
    for h in LEAD_COLUMNS:
        if h in ("created", "updated"):
            assert got[h] == IGNORE
        else:
            assert got[h] == h, h
    assert got["custom.roof"] == "custom.roof" and got["contact.custom.vip"] == "contact.custom.vip"
    got = targets(CONTACT_COLUMNS, kind="contact")
    assert all(got[h] == (IGNORE if h in ("created", "updated") else h) for h in CONTACT_COLUMNS)


@pytest.mark.parametrize("file,kind,preset,enc", [
    ("hubspot-contacts.csv", "lead", "hubspot", None),
    ("salesforce-leads-report.csv", "lead", "salesforce", "cp1252"),
    ("zoho-leads.csv", "lead", "zoho", None),
    ("google-contacts.csv", "contact", "google", None),
])
def test_presets_are_detected_from_real_layouts(file, kind, preset, enc):
    src = open_source(str(EXAMPLES / file), encoding=enc)
    assert detect_preset(src.headers) == preset
    m = build_mapping(src.headers, kind)
    assert m.preset == preset and m.preset_detected


def test_preset_mappings():
    hub = targets(["Record ID", "Phone Number", "Mobile Phone Number", "Contact owner", "Lead Status",
                   "Lifecycle Stage"], preset="hubspot")
    assert hub == {"Record ID": "external_id", "Phone Number": "phone", "Mobile Phone Number": "phone",
                   "Contact owner": "owner", "Lead Status": "stage", "Lifecycle Stage": "custom.lifecycle_stage"}
    sf = targets(["Id", "FirstName", "LastName", "MobilePhone", "PostalCode", "LeadSource", "Status", "OwnerId"],
                 preset="salesforce-dataloader")
    assert sf["Id"] == "external_id" and sf["PostalCode"] == "postcode" and sf["Status"] == "stage"
    pd = targets(["Deal - Title", "Person - Email - Work", "Deal - Annual consumption (kWh)",
                  "Deal - Building type", "Deal - Status"], preset="pipedrive")
    assert pd == {"Deal - Title": "title", "Person - Email - Work": "email",
                  "Deal - Annual consumption (kWh)": "annual_kwh", "Deal - Building type": "facility",
                  "Deal - Status": "custom.deal_status"}
    g = targets(["E-mail 1 - Label", "E-mail 1 - Value", "Phone 3 - Value", "Labels"], kind="contact",
                preset="google")
    assert g == {"E-mail 1 - Label": IGNORE, "E-mail 1 - Value": "email", "Phone 3 - Value": "phone",
                 "Labels": "tags"}
    assert set(PRESETS) == {"hubspot", "salesforce", "salesforce-dataloader", "pipedrive", "zoho", "google"}


def test_preset_stage_values_are_translated():
    m = build_mapping(["Lead Status"], "lead", preset="salesforce")
    assert m.values["stage"][normalise_header("Working - Contacted")] == "contacted"


def test_map_overrides_and_ignore():
    got = targets(["Kdnr", "Wunsch", "Intern"], overrides={"kdnr": "external_id", "Wunsch": "interests",
                                                           "Intern": "-"})
    assert got == {"Kdnr": "external_id", "Wunsch": "interests", "Intern": IGNORE}


def test_map_file_yaml(tmp_path):
    f = tmp_path / "map.yaml"
    f.write_text("columns:\n  Kdnr: external_id\n  Intern: null\nvalues:\n  stage:\n    Angebot: qualified\n",
                 encoding="utf-8")
    cols, values = parse_map_options([str(f), "Wunsch=interests"])
    assert cols == {"Kdnr": "external_id", "Intern": IGNORE, "Wunsch": "interests"}
    m = build_mapping(["Kdnr", "Intern", "Wunsch", "Stage"], "lead", overrides=cols, value_maps=values)
    assert m.values["stage"]["angebot"] == "qualified"


def test_map_errors():
    with pytest.raises(UsageError, match="unknown --map target"):
        build_mapping(["A"], "lead", overrides={"A": "colour"})
    with pytest.raises(UsageError, match="not in the file"):
        build_mapping(["A"], "lead", overrides={"B": "name"})
    with pytest.raises(UsageError, match="lead field"):
        canonical_target("stage", "contact")
    with pytest.raises(UsageError, match="unknown preset"):
        build_mapping(["A"], "lead", preset="sap")


def test_custom_key():
    assert custom_key("Dachfläche (m²)") == "dachfläche_m2"
    assert custom_key("  ") == "column"
