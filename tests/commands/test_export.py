"""solar lead|contact|project export: formats, filters, formula cells, round trips."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "imports"


def ex(name: str) -> str:
    return str(EXAMPLES / name)


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def make_fresh(ok, tmp_path, records, monkeypatch):
    """A second repository with the same solar.yaml (same users and teams)."""
    import shutil
    import subprocess

    fresh = tmp_path / "fresh"
    ok("init", fresh, "--company", "Other GmbH", "--locale", "de_DE")
    shutil.copy(records / "solar.yaml", fresh / "solar.yaml")
    subprocess.run(["git", "commit", "-qam", "same settings"], cwd=fresh, check=True)
    monkeypatch.setenv("SOLAR_REPO", str(fresh))
    return fresh


@pytest.fixture
def filled(records, ok):
    ok("lead", "import", ex("zoho-leads.csv"))
    ok("lead", "import", ex("webform-leads.ndjson"))
    return records


def test_lead_export_csv_with_list_filters(filled, ok):
    rows = csv_rows(ok("lead", "export"))
    assert len(rows) == 10
    r = [x for x in rows if x["external_id"] == "zcrm_5725767000000436002"][0]
    assert r["name"] == "Peter Hoffmann" and r["company"] == "Bäckerei Hoffmann" and r["stage"] == "contacted"
    assert r["annual_kwh"] == "38000" and r["interests"] == "battery" and r["facility"] == "commercial"
    assert r["email"] == "info@baeckerei-hoffmann.de" and r["phone"] == "'+49911556677"  # neutralised
    assert r["custom.crm_owner"] == "Tom Becker"
    only = csv_rows(ok("lead", "export", "--stage", "lost"))
    assert [x["name"] for x in only] == ["Hans Meier"]
    assert len(csv_rows(ok("lead", "export", "--facility", "industrial"))) == 1
    assert len(csv_rows(ok("lead", "export", "--search", "Wärmepumpe"))) == 2
    assert len(csv_rows(ok("lead", "export", "--limit", "3"))) == 3


def test_contact_and_project_export(filled, ok):
    rows = csv_rows(ok("contact", "export"))
    assert len(rows) == 8 and {"id", "name", "email", "phone", "city", "kind"} <= set(rows[0])
    lead = json.loads(ok("lead", "list", "-f", "json", "--search", "Backstube"))[0]["id"]
    ok("lead", "convert", lead)
    prows = csv_rows(ok("project", "export"))
    assert len(prows) == 1 and prows[0]["contact.name"] == "Peter Hoffmann" and prows[0]["lead"] == lead
    data = json.loads(ok("project", "export", "--to", "json"))
    assert data[0]["lead"] == lead


def test_export_to_file_and_json(filled, ok, tmp_path):
    ok("lead", "export", "--to", "json", "-o", tmp_path / "l.json")
    data = json.loads((tmp_path / "l.json").read_text(encoding="utf-8"))
    assert len(data) == 10 and isinstance(data[0]["email"], list)
    assert not any(k for d in data for k, v in d.items() if v in (None, "", []))


def test_export_xlsx_reads_back(filled, ok, tmp_path):
    import openpyxl

    ok("lead", "export", "--to", "xlsx", "-o", tmp_path / "l.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "l.xlsx")
    ws = wb.active
    header = [c.value for c in ws[1]]
    assert header[:3] == ["id", "title", "stage"]
    col = header.index("annual_kwh")
    values = [r[col].value for r in ws.iter_rows(min_row=2)]
    assert 125000 in values  # numbers stay numbers


def test_vcf_export_round_trip(filled, ok, records):
    text = ok("contact", "export", "--to", "vcf")
    assert text.count("BEGIN:VCARD") == 8 and "FN:Ayşe Yılmaz" in text
    s = json.loads(ok("contact", "import", "-", "--from", "vcf", "-f", "json", input=text.encode("utf-8")))
    assert s["commit"] is None and s["counts"]["records"]["contact"] == {"created": 0, "updated": 0, "unchanged": 8}


FORMULAS = ["=HYPERLINK(\"http://evil\",\"x\")", "+SUM(1,2)", "-2+3", "@cmd"]


def test_formula_cells_are_neutralised_and_import_back(records, ok, tmp_path):
    f = tmp_path / "evil.csv"
    with open(f, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Name", "Email", "Hinweis"])
        for i, v in enumerate(FORMULAS):
            w.writerow([f"Kunde {i}", f"k{i}@example.com", v])
    ok("contact", "import", f)
    out = ok("contact", "export")
    rows = csv_rows(out)
    got = sorted(r["custom.hinweis"] for r in rows)
    assert got == sorted("'" + v for v in FORMULAS)
    raw = csv_rows(ok("contact", "export", "--raw"))
    assert sorted(r["custom.hinweis"] for r in raw) == sorted(FORMULAS)
    # xlsx: text cells, never formulas, with the same quote
    import openpyxl

    ok("contact", "export", "--to", "xlsx", "-o", tmp_path / "c.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "c.xlsx").active
    cells = [c for row in ws.iter_rows(min_row=2) for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert any(c.value == "'" + FORMULAS[0] for c in cells)
    # re-import of both exports: nothing changes (the quote is removed again)
    (tmp_path / "c.csv").write_text(out, encoding="utf-8")
    for p in (tmp_path / "c.csv", tmp_path / "c.xlsx"):
        s = json.loads(ok("contact", "import", p, "-f", "json"))
        assert s["commit"] is None and s["counts"]["rows"]["unchanged"] == 4


@pytest.mark.parametrize("to", ["csv", "xlsx", "json"])
def test_lead_round_trip_into_a_fresh_repository(filled, ok, tmp_path, monkeypatch, to):
    out = tmp_path / f"leads.{to}"
    ok("lead", "export", "--to", to, "-o", out)
    # the same repository: nothing to change
    s = json.loads(ok("lead", "import", out, "-f", "json"))
    assert s["commit"] is None and s["counts"]["records"]["lead"]["unchanged"] == 10
    first = csv_rows(ok("lead", "export"))
    # a fresh repository: same content (new IDs; the old ID is kept as external ID where there was none)
    fresh = make_fresh(ok, tmp_path, filled, monkeypatch)
    s = json.loads(ok("lead", "import", out, "-f", "json"))
    assert s["counts"]["records"]["lead"]["created"] == 10 and s["counts"]["records"]["contact"]["created"] == 8
    second = csv_rows(ok("lead", "export"))
    skip = {"id", "contact.id", "created", "updated", "external_id", "contact.external_id"}

    def key(rows):
        return sorted(({k: v for k, v in r.items() if k not in skip} for r in rows), key=lambda r: r["email"] + r["title"])

    assert key(first) == key(second)
    assert json.loads(ok("lead", "import", out, "-f", "json"))["commit"] is None


def test_contact_round_trip_csv(filled, ok, tmp_path, monkeypatch):
    out = tmp_path / "c.csv"
    ok("contact", "export", "-o", out)
    first = csv_rows(out.read_text(encoding="utf-8"))
    make_fresh(ok, tmp_path, filled, monkeypatch)
    ok("contact", "import", out)
    second = csv_rows(ok("contact", "export"))
    skip = {"id", "created", "updated", "external_id"}
    strip = lambda rows: sorted(({k: v for k, v in r.items() if k not in skip} for r in rows), key=lambda r: r["email"])  # noqa: E731
    assert strip(first) == strip(second)


def test_tab_and_cr_cells_are_neutralised_too(records, ok):
    cid = ok("contact", "add", "Ada").strip()
    ok("contact", "set", cid, "custom.a=\tcmd", "custom.b=\rcmd")
    [row] = csv_rows(ok("contact", "export"))
    assert row["custom.a"] == "'\tcmd" and row["custom.b"] == "'\rcmd"


def test_xlsx_to_stdout_needs_output_on_a_terminal(filled, ok):
    # CliRunner's stdout is not a terminal: the bytes are written
    out = ok("lead", "export", "--to", "xlsx")
    assert out.startswith("PK")


@pytest.mark.parametrize("to", ["csv", "json", "vcf"])
def test_export_streams_in_chunks_with_the_same_output(filled, ok, monkeypatch, to):
    import solarcli.commands.imports as cmd

    cid = json.loads(ok("contact", "list", "-f", "json"))[0]["id"]
    ok("contact", "set", cid, "custom.kundentyp=Gewerbe")  # a contact custom field: a column of the lead export
    kinds = ["contact"] if to == "vcf" else ["lead", "contact", "project"]
    whole = {k: ok(k, "export", "--to", to) for k in kinds}
    assert "contact.custom.kundentyp" in whole.get("lead", "contact.custom.kundentyp")
    monkeypatch.setattr(cmd, "EXPORT_CHUNK", 3)  # records read 3 at a time
    monkeypatch.setattr(cmd._EchoWriter, "LIMIT", 10)  # and written in small pieces
    for k in kinds:
        assert ok(k, "export", "--to", to) == whole[k]
