"""One renderer for every listing/show: table, json, csv, yaml; stable JSON keys; safe CSV."""
from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import re

import pytest
import yaml

from solarcli.output import render

ROWS = [
    {"id": "abc", "name": "Ada", "value": 12.5, "tags": ["a", "b"], "done": True},
    {"id": "def", "name": "Bob", "value": None, "tags": [], "done": False},
]
STABLE_KEYS = ["id", "kind", "name", "stage", "contact", "lead", "project", "assignee", "source", "email", "phone"]
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


# ------------------------------------------------------------------ the renderer itself
def test_json_round_trips_the_rows():
    assert json.loads(render(ROWS, "json")) == ROWS


def test_json_handles_decimal_and_dates():
    out = json.loads(render([{"price": decimal.Decimal("10.50"), "day": dt.date(2026, 3, 1)}], "json"))
    assert out == [{"price": "10.50", "day": "2026-03-01"}]


def test_yaml_round_trips_the_rows():
    assert yaml.safe_load(render(ROWS, "yaml")) == ROWS
    assert yaml.safe_load(render([], "yaml")) == []


def test_csv_has_a_header_and_one_line_per_row():
    got = list(csv.reader(io.StringIO(render(ROWS, "csv"))))
    assert got[0] == ["id", "name", "value", "tags", "done"]
    assert got[1][:2] == ["abc", "Ada"] and got[2][:2] == ["def", "Bob"]
    assert got[1][3] == "a, b"
    assert len(got) == 3


def test_columns_select_and_order_fields_in_every_format():
    assert json.loads(render(ROWS, "json", ["name", "id"])) == [{"name": "Ada", "id": "abc"},
                                                                {"name": "Bob", "id": "def"}]
    assert list(csv.reader(io.StringIO(render(ROWS, "csv", ["name", "id"]))))[0] == ["name", "id"]
    header = render(ROWS, "table", ["name", "id"]).splitlines()[0].split()
    assert header == ["name", "id"]


def test_table_has_header_and_every_row():
    lines = render(ROWS, "table").splitlines()
    assert lines[0].split() == ["id", "name", "value", "tags", "done"]
    assert set(lines[1]) <= {"-", " "}
    assert lines[2].split()[:2] == ["abc", "Ada"] and lines[3].split()[:2] == ["def", "Bob"]
    assert render([], "table") == ""


def test_table_keeps_one_line_per_record_for_multiline_text():
    out = render([{"id": "x", "text": "line one\nline two"}], "table")
    assert len(out.splitlines()) == 3


def test_table_is_the_layout_tabulate_prints():
    """The fast renderer draws exactly tabulate's 'simple' table (header padding, dashes,
    left-aligned text, no trailing blanks), for random cells including number-, bool- and
    blank-looking text."""
    import random

    from tabulate import tabulate

    from solarcli.output import _clip, simple_table

    rnd = random.Random(7)
    words = ["", " ", "1", "-2.5", "1e5", "True", "False", "None", "nan", "Ada Lovelace", "Müller & Söhne",
             "x" * 59, "y" * 75, "  padded  ", "a,b", "€ 12.000,00"]
    for _ in range(500):
        ncol, nrow = rnd.randint(1, 6), rnd.randint(1, 6)
        hdr = [_clip(rnd.choice(["id", "", "name", "a very long header name", "value"])) for _ in range(ncol)]
        body = [[_clip(rnd.choice(words)) for _ in range(ncol)] for _ in range(nrow)]
        assert simple_table(hdr, body) == tabulate(body, headers=hdr, tablefmt="simple", disable_numparse=True) + "\n"


def test_table_cells_cannot_carry_terminal_control_sequences():
    out = render([{"id": "x", "name": "\x1b[2J\x1b]0;pwned\x07Eve\u2028next", "note": "a\tb\r\nc",
                   "file": "invoice\u202etxt.exe"}], "table")
    assert "\x1b" not in out and "\x07" not in out and "\u2028" not in out and "\t" not in out
    assert "\u202e" not in out  # a bidi override would print "invoiceexe.txt"
    assert "Eve" in out and len(out.splitlines()) == 3


@pytest.mark.parametrize("evil", ["=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)",
                                  "\t=1+1"])
def test_csv_neutralises_formula_cells(evil):
    got = list(csv.reader(io.StringIO(render([{"name": evil}], "csv"), newline="")))
    assert got[1][0] == "'" + evil


@pytest.mark.parametrize("evil", ["\r=1+1", "Ada\r=1+1", "Ada\r\n=1+1"])
def test_csv_carriage_return_cannot_start_a_new_row(evil):
    """Spreadsheets split rows on a bare CR: it must end up inside a quoted cell."""
    text = render([{"name": evil, "n": "1"}], "csv")
    got = list(csv.reader(io.StringIO(text, newline="")))
    assert len(got) == 2, text
    assert got[1][1] == "1"
    assert got[1][0].replace("\n", "\r") in ("'" + evil.replace("\r\n", "\r"), evil.replace("\r\n", "\r"))
    assert got[1][0].startswith("'") == evil.startswith("\r")
    assert "\r" not in text  # a spreadsheet reading the raw file cannot see a row break outside quotes


def test_csv_cells_read_back_exactly_after_the_importer_removes_one_quote():
    from solarcli.importing.planner import unneutralise

    values = ["'=x", "=1+1", "'", "''", "\t", "it's", "+4930123"]
    out = render([{"v": v} for v in values], "csv")
    cells = [row[0] for row in csv.reader(io.StringIO(out))][1:]
    assert cells[0] == "''=x" and cells[1] == "'=1+1" and cells[4] == "\t"
    assert [unneutralise(c) for c in cells] == values


def test_csv_leaves_ordinary_cells_alone():
    got = list(csv.reader(io.StringIO(render([{"name": "Müller, Anna", "n": 3}], "csv"))))
    assert got[1] == ["Müller, Anna", "3"]


# ------------------------------------------------------------------ through the CLI
def _lead_world(ok):
    c = ok("contact", "add", "Ada Lovelace", "--email", "ada@example.com", "--phone", "+49 30 1234567").strip()
    lead = ok("lead", "add", "--title", "Roof PV", "--contact", c, "--source", "referral",
              "--assignee", "anna").strip()
    return c, lead


def test_list_json_uses_the_stable_documented_keys(records, ok):
    c, lead = _lead_world(ok)
    rows = json.loads(ok("lead", "list", "--format", "json"))
    assert len(rows) == 1
    row = rows[0]
    for k in STABLE_KEYS:
        assert k in row, k
    assert row["id"] == lead and row["kind"] == "lead" and row["name"] == "Roof PV"
    assert row["stage"] == "new" and row["contact"] == c and row["assignee"] == "user:anna"
    assert row["source"] == "referral" and row["lead"] is None and row["project"] is None
    assert ISO_UTC.match(row["created"]) and ISO_UTC.match(row["updated"])
    crow = json.loads(ok("contact", "list", "--format", "json"))[0]
    for k in STABLE_KEYS:
        assert k in crow, k
    assert crow["email"] == "ada@example.com" and crow["phone"] == "+49301234567"
    assert crow["kind"] == "contact" and crow["name"] == "Ada Lovelace"


def test_show_json_has_stable_keys_for_each_kind(records, ok):
    c, lead = _lead_world(ok)
    project = ok("lead", "convert", lead).strip()
    shown = json.loads(ok("contact", "show", c, "--format", "json"))
    assert (shown["id"], shown["kind"], shown["name"]) == (c, "contact", "Ada Lovelace")
    assert shown["email"] == "ada@example.com" and shown["phone"] == "+49301234567"
    assert shown["leads"] == [lead] and shown["projects"] == [project]
    ls = json.loads(ok("lead", "show", lead, "--format", "json"))
    assert (ls["id"], ls["kind"], ls["name"], ls["stage"]) == (lead, "lead", "Roof PV", "converted")
    assert ls["contact"] == c and ls["project"] == project
    assert ls["assignee"] == "user:anna" and ls["source"] == "referral"
    ps = json.loads(ok("project", "show", project, "--format", "json"))
    assert (ps["id"], ps["kind"], ps["stage"]) == (project, "project", "design")
    assert ps["contact"] == c and ps["lead"] == lead and ps["assignee"] == "user:anna"
    assert isinstance(ps["timeline"], list)


def test_list_json_keeps_full_ids_table_shows_short(records, ok):
    c, lead = _lead_world(ok)
    rows = json.loads(ok("lead", "list", "--format", "json"))
    assert rows[0]["id"] == lead and len(rows[0]["id"]) == 10
    table = ok("lead", "list")
    assert lead[:7] in table and lead not in table


def test_list_yaml_and_csv_carry_the_same_records(records, ok):
    c, lead = _lead_world(ok)
    as_json = json.loads(ok("lead", "list", "--format", "json"))
    as_yaml = yaml.safe_load(ok("lead", "list", "--format", "yaml"))
    assert as_yaml == as_json
    rows = list(csv.DictReader(io.StringIO(ok("lead", "list", "--format", "csv"))))
    assert [r["id"] for r in rows] == [lead]
    assert rows[0]["stage"] == "new" and rows[0]["contact"] == c


def test_csv_export_of_a_hostile_contact_name_is_neutralised(records, ok):
    ok("contact", "add", "=HYPERLINK(\"http://evil\",\"x\")")
    rows = list(csv.DictReader(io.StringIO(ok("contact", "list", "--format", "csv"))))
    assert rows[0]["name"] == "'=HYPERLINK(\"http://evil\",\"x\")"
    # the record itself keeps the real name
    assert json.loads(ok("contact", "list", "--format", "json"))[0]["name"].startswith("=HYPERLINK")


def test_empty_list_prints_nothing_on_stdout_in_table_and_valid_empty_data_otherwise(records, cli, ok):
    r = cli("lead", "list")
    assert r.exit_code == 0 and r.stdout == "" and "no leads" in r.stderr
    assert json.loads(ok("lead", "list", "--format", "json")) == []
    assert yaml.safe_load(ok("lead", "list", "--format", "yaml")) == []


def test_unknown_format_is_a_usage_error(records, fail):
    fail(2, "lead", "list", "--format", "xml")
