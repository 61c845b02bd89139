"""Readers: every format yields (row number, {header: value})."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from solarcli.errors import NotFoundError, ParseError, UsageError
from solarcli.importing.readers import EXTRA_KEY, open_source, sniff_delimiter

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "imports"


def rows(src):
    return list(src.rows())


@pytest.mark.parametrize("delim", [",", ";", "\t"])
def test_csv_delimiter_is_sniffed(tmp_path, delim):
    p = tmp_path / "x.csv"
    p.write_text(delim.join(["Name", "E-Mail", "City"]) + "\n" + delim.join(["Ada", "ada@example.com", "Köln"]) + "\n",
                 encoding="utf-8")
    src = open_source(str(p))
    assert src.delimiter == delim
    assert src.headers == ["Name", "E-Mail", "City"]
    assert rows(src) == [(2, {"Name": "Ada", "E-Mail": "ada@example.com", "City": "Köln"})]


def test_sniffer_prefers_consistent_columns():
    sample = "a;b;c\n1,5;2,5;x\n3,1;4,2;y\n"
    assert sniff_delimiter(sample) == ";"


def test_csv_with_bom_and_without_give_same_headers(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_bytes(b"\xef\xbb\xbfName,City\nAda,Berlin\n")
    b.write_bytes(b"Name,City\nAda,Berlin\n")
    assert open_source(str(a)).headers == open_source(str(b)).headers == ["Name", "City"]
    assert rows(open_source(str(a))) == rows(open_source(str(b)))


def test_cp1252_needs_encoding_and_then_reads(tmp_path):
    p = EXAMPLES / "salesforce-leads-report.csv"
    with pytest.raises(ParseError) as e:
        rows(open_source(str(p)))
    assert "--encoding cp1252" in e.value.hint
    src = open_source(str(p), encoding="cp1252")
    assert src.delimiter == ";"
    assert "Straße" in src.headers
    got = rows(src)
    assert got[0][1]["Nachname"] == "Schröder"
    # the quoted description with a line break is one field; row numbers count records
    assert [n for n, _ in got] == [2, 3, 4, 5]
    assert got[1][1]["Beschreibung"] == "Scheunendach 600 m²,\nStall mit Melkroboter"


def test_csv_multiline_fields_row_numbers_and_blank_rows(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text('Name,Note\nAda,"line 1\nline 2"\n\n,\nBob,x\n', encoding="utf-8")
    assert rows(open_source(str(p))) == [(2, {"Name": "Ada", "Note": "line 1\nline 2"}),
                                         (5, {"Name": "Bob", "Note": "x"})]


def test_csv_extra_cells_are_kept_for_the_planner(tmp_path):
    p = tmp_path / "e.csv"
    p.write_text("Name,City\nAda,Berlin,surplus\n", encoding="utf-8")
    [(n, row)] = rows(open_source(str(p)))
    assert row[EXTRA_KEY] == ["surplus"]


def test_duplicate_and_empty_headers_are_named(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("Phone,Phone,,Name\n1,2,3,Ada\n", encoding="utf-8")
    assert open_source(str(p)).headers == ["Phone", "Phone (2)", "column 3", "Name"]


def test_empty_file_is_an_error(tmp_path):
    p = tmp_path / "empty.csv"
    p.write_text("\n\n")
    with pytest.raises(ParseError):
        open_source(str(p))


def test_missing_file_and_unknown_format(tmp_path):
    with pytest.raises(NotFoundError):
        open_source(str(tmp_path / "nope.csv"))
    with pytest.raises(UsageError):
        open_source(str(EXAMPLES / "zoho-leads.csv"), fmt="pdf")


def test_xlsx_first_sheet_other_sheet_and_types(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_xlsx", EXAMPLES / "make_xlsx.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    path = mod.main(tmp_path / "p.xlsx")
    src = open_source(str(path))
    assert src.format == "xlsx" and src.sheet == "Deals"
    assert src.headers[:2] == ["Deal - ID", "Deal - Title"]
    got = rows(src)
    assert len(got) == 4 and got[0][0] == 2
    assert got[0][1]["Deal - Value"] == 18900 and got[2][1]["Deal - Value"] == 31500.5
    other = open_source(str(path), sheet="Export info")
    assert other.headers == ["Exported from Pipedrive", "2026-10-20"]
    assert open_source(str(path), sheet="2").sheet == "Export info"
    with pytest.raises(NotFoundError):
        open_source(str(path), sheet="Leads")


def test_json_array_object_with_list_and_nested_objects(tmp_path):
    a = tmp_path / "a.json"
    a.write_text(json.dumps([{"name": "Ada", "address": {"city": "Köln"}}, {"name": "Bob", "tags": ["x", "y"]}]))
    src = open_source(str(a))
    assert src.headers == ["name", "address.city", "tags"]
    assert rows(src) == [(1, {"name": "Ada", "address.city": "Köln"}), (2, {"name": "Bob", "tags": ["x", "y"]})]
    b = tmp_path / "b.json"
    b.write_text(json.dumps({"meta": {"n": 1}, "leads": [{"name": "Ada"}]}))
    assert rows(open_source(str(b))) == [(1, {"name": "Ada"})]


def test_json_errors(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text('[{"name": "Ada"},]')
    with pytest.raises(ParseError, match="line 1"):
        open_source(str(p))
    q = tmp_path / "scalars.json"
    q.write_text("[1, 2]")
    with pytest.raises(ParseError, match="item 1"):
        open_source(str(q))


def test_ndjson_file_and_line_numbers():
    src = open_source(str(EXAMPLES / "webform-leads.ndjson"))
    got = rows(src)
    assert [n for n, _ in got] == [1, 2, 3, 4, 5]
    assert got[0][1]["address.city"] == "Berlin"
    assert "company" in src.headers  # appears only in a later line


def test_ndjson_bad_line(tmp_path):
    p = tmp_path / "x.ndjson"
    p.write_text('{"a": 1}\n\n{"a": \n')
    with pytest.raises(ParseError, match="line 3"):
        open_source(str(p))


@pytest.mark.parametrize("data,fmt", [
    (b'{"name": "Ada"}\n{"name": "Bob"}\n', "ndjson"),
    (b'[{"name": "Ada"}]', "json"),
    (b"name;city\nAda;Berlin\n", "csv"),
    (b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada\r\nEND:VCARD\r\n", "vcf"),
])
def test_stdin_format_is_sniffed(data, fmt):
    src = open_source("-", stdin=io.BytesIO(data))
    assert src.format == fmt
    assert rows(src)


def test_vcard_3_and_4():
    src = open_source(str(EXAMPLES / "contacts.vcf"))
    got = [r for _, r in rows(src)]
    assert got[0]["Full Name"] == "Hannelore Krüger" and got[0]["Categories"] == "Kunden, Speicher"
    assert got[0]["Street"] == "Schloßstraße 8" and got[0]["Postal Code"] == "14467"
    assert got[1]["Organization"] == "Öztürk Enerji A.Ş." and got[1]["Phone"] == "+90-232-555-0199"
    assert got[2]["X-SOLAR-INTEREST"] == "heat pump"
