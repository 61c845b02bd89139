"""``solar project proposal`` and ``solar proposal list|show|mark`` through the CLI, with
real git in temporary repositories."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import pytest

from solarcli.proposals import service
from solarcli.proposals.stale import is_stale
from solarcli.repo import Repo


@pytest.fixture
def project_id(records, ok) -> str:
    """A project with contact, site, design (entered production), consumption, tariff, BOM."""
    from solarcli.proposals.sample import fill_project

    contact = ok("contact", "add", "Anna Schneider", "--email", "anna@example.com", "--street", "Lindenweg 4",
                 "--postcode", "79100", "--city", "Freiburg").strip()
    pid = ok("project", "add", "Schneider residence", "--contact", contact, "--street", "Lindenweg 4",
             "--postcode", "79100", "--city", "Freiburg", "--lat", "47.99", "--lon", "7.84",
             "--grid", "on-grid").strip()
    fill_project(Repo.find(records), pid)
    return pid


def commits(root: Path) -> list[str]:
    out = subprocess.run(["git", "log", "--format=%s"], cwd=root, check=True, capture_output=True, text=True).stdout
    return out.splitlines()


def files_in_head(root: Path) -> list[str]:
    out = subprocess.run(["git", "show", "--name-only", "--format=", "HEAD"], cwd=root, check=True,
                         capture_output=True, text=True).stdout
    return sorted(out.split())


def test_generate_html_stores_document_and_record_in_one_commit(records, project_id, cli):
    before = len(commits(records))
    r = cli("project", "proposal", project_id[:5])
    assert r.exit_code == 0, r.stderr
    path = Path(r.stdout.strip())
    assert path.is_file() and path.suffix == ".html"
    assert path.parent == records / "documents" / project_id / "proposals"
    assert len(commits(records)) == before + 1
    year = dt.date.today().year  # the project was created today
    number = f"P-{year}-{project_id[:7].upper()} v1"
    assert commits(records)[0] == f"proposal {number}: generated for project {project_id[:7]} (html)"
    head = files_in_head(records)
    assert len(head) == 2 and head[0].startswith(f"documents/{project_id}/proposals/") and head[1].startswith("proposals/")
    assert f"proposal {number} (" in r.stderr
    html = path.read_text()
    # solar.yaml locale is de_DE: German by default, numbers from the real engine
    assert "16.084,49\xa0€" in html and "9.790 kWh" in html and number in html
    rec = json.loads(cli("proposal", "show", number, "--format", "json").stdout)
    assert rec["number"] == number and rec["version"] == 1 and rec["status"] == "draft"
    assert rec["language"] == "de" and rec["format"] == "html" and rec["template"] == "proposal.html.j2"
    assert rec["design"] == "south-battery" and rec["project"] == project_id
    assert rec["totals"]["total"] == "16084.49" and rec["totals"]["currency"] == "EUR"
    assert rec["valid_until"] == (dt.date.fromisoformat(rec["date"]) + dt.timedelta(days=30)).isoformat()
    assert rec["inputs_hash"].startswith("sha256:") and set(rec["inputs"]) >= {"design", "bom", "tariff"}
    assert rec["files"][0]["path"] == f"documents/{project_id}/proposals/{number.replace(' ', '-')}.html"
    assert rec["stale"] is False and rec["changed_inputs"] == []


def test_output_option_writes_only_that_file(records, project_id, cli, tmp_path):
    before = commits(records)
    out = tmp_path / "out" / "offer.md"
    r = cli("project", "proposal", project_id, "--to", "md", "--lang", "en", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    assert r.stdout.strip() == str(out.resolve())
    text = out.read_text()
    assert text.startswith("# Solar proposal: Schneider residence")
    assert "| **Total price** | **€16,084.49** |" in text
    assert commits(records) == before
    assert not list((records / "proposals").rglob("*.yaml"))
    status = subprocess.run(["git", "status", "--porcelain"], cwd=records, capture_output=True, text=True).stdout
    assert status == ""


def test_pdf_has_the_key_numbers_and_page_numbers(records, project_id, cli):
    pypdf = pytest.importorskip("pypdf")
    r = cli("project", "proposal", project_id, "--to", "pdf", "--lang", "en")
    assert r.exit_code == 0, r.stderr
    path = Path(r.stdout.strip())
    assert path.suffix == ".pdf" and path.read_bytes().startswith(b"%PDF")
    reader = pypdf.PdfReader(str(path))
    n = len(reader.pages)
    assert 5 <= n <= 14
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (210, 297)  # A4
    text = "\n".join(p.extract_text() for p in reader.pages)
    number = f"P-{dt.date.today().year}-{project_id[:7].upper()} v1"
    for needle in ("€16,084.49", "9,790 kWh", "€2,156.82", number, "Bill of materials", "Cash flow over 25 years",
                   f"Page 2 of {n}", "CO₂"):
        assert needle in text, needle
    assert "1,723.34" not in text  # the margin


def test_regenerating_makes_a_new_version_and_keeps_the_accepted_one(records, project_id, cli, ok):
    first = Path(ok("project", "proposal", project_id).strip())
    number1 = f"P-{dt.date.today().year}-{project_id[:7].upper()} v1"
    ok("proposal", "mark", number1, "accepted")
    content = first.read_bytes()
    r = cli("project", "proposal", project_id)
    assert r.exit_code == 0
    second = Path(r.stdout.strip())
    assert second != first and second.name.endswith("-v2.html")
    assert first.read_bytes() == content
    assert f"already has accepted proposal {number1}" in r.stderr
    rows = json.loads(ok("proposal", "list", project_id, "--format", "json"))
    assert [(row["version"], row["status"]) for row in rows] == [(1, "accepted"), (2, "draft")]


def test_mark_moves_the_project_stage_where_the_pipeline_says(records, project_id, ok, fail, gitlog):
    ok("project", "proposal", project_id)
    pid7 = project_id[:7]
    rows = json.loads(ok("proposal", "list", "--format", "json"))
    prop = rows[0]["id"]
    out = ok("proposal", "mark", prop[:6], "sent", "--note", "by e-mail")
    assert out.strip().endswith(": sent")
    assert gitlog(records)[0] == f"proposal {rows[0]['number']}: draft -> sent; project {pid7}: stage design -> proposal (by e-mail)"
    assert files_in_head(records) == sorted([f"projects/{project_id[0]}/{project_id}.yaml", f"proposals/{prop[0]}/{prop}.yaml"])
    assert json.loads(ok("project", "show", project_id, "--format", "json"))["stage"] == "proposal"
    ok("proposal", "mark", prop, "accepted")
    project = json.loads(ok("project", "show", project_id, "--format", "json"))
    assert project["stage"] == "won"
    rec = json.loads(ok("proposal", "show", prop, "--format", "json"))
    assert [(h["from"], h["to"]) for h in rec["status_history"]] == [("draft", "sent"), ("sent", "accepted")]
    assert rec["status_history"][0]["note"] == "by e-mail"
    n = len(gitlog(records))
    ok("proposal", "mark", prop, "accepted")  # no change, no commit
    assert len(gitlog(records)) == n
    r = fail(5, "proposal", "mark", prop, "rejected")
    assert "is accepted; an accepted proposal is kept as it is" in r.stderr
    fail(2, "proposal", "mark", prop, "draft")


def test_stage_never_moves_backwards(records, project_id, ok):
    ok("project", "stage", project_id, "negotiation")
    ok("project", "proposal", project_id)
    prop = json.loads(ok("proposal", "list", "--format", "json"))[0]["id"]
    ok("proposal", "mark", prop, "sent")
    assert json.loads(ok("project", "show", project_id, "--format", "json"))["stage"] == "negotiation"


def test_accepted_proposal_goes_stale_when_the_tariff_changes(records, project_id, ok):
    ok("project", "proposal", project_id)
    prop = json.loads(ok("proposal", "list", "--format", "json"))[0]["id"]
    repo = Repo.find(records)
    data = service.find(repo, prop)
    assert not is_stale(repo, data)  # draft: never stale
    ok("proposal", "mark", prop, "accepted")
    repo = Repo.find(records)
    assert not is_stale(repo, service.find(repo, prop))
    with repo.transaction("tariff up") as tx:
        rec = tx.load(project_id, "project")
        rec.data["tariff"]["purchase_price"] = "0.4100"
        tx.save(rec)
    repo = Repo.find(records)
    assert is_stale(repo, service.find(repo, prop))
    shown = json.loads(ok("proposal", "show", prop, "--format", "json"))
    assert shown["stale"] is True and shown["changed_inputs"] == ["tariff"]
    cli_out = ok("proposal", "show", prop)
    assert "yes: tariff changed since it was accepted" in cli_out


@pytest.mark.parametrize("change,part", [
    (lambda p: p["designs"][0]["arrays"][0].__setitem__("count", 24), "design"),
    (lambda p: p["bom"]["items"][0].__setitem__("unit_price", "0.10"), "bom"),
    (lambda p: p["consumption"].__setitem__("annual_kwh", 6000), "consumption"),
])
def test_changed_inputs_name_what_changed(records, project_id, ok, change, part):
    ok("project", "proposal", project_id)
    prop = json.loads(ok("proposal", "list", "--format", "json"))[0]["id"]
    ok("proposal", "mark", prop, "accepted")
    repo = Repo.find(records)
    with repo.transaction("change") as tx:
        rec = tx.load(project_id, "project")
        change(rec.data)
        tx.save(rec)
    shown = json.loads(ok("proposal", "show", prop, "--format", "json"))
    assert shown["stale"] is True and shown["changed_inputs"] == [part]


def test_expired_shows_as_expired(records, project_id, ok):
    ok("project", "proposal", project_id)
    rows = json.loads(ok("proposal", "list", "--format", "json"))
    assert rows[0]["status"] == "draft"
    repo = Repo.find(records)
    with repo.transaction("backdate") as tx:
        rec = tx.load(rows[0]["id"], "proposal")
        rec.data["date"] = "2025-01-01"
        rec.data["valid_until"] = "2025-01-31"
        tx.save(rec)
    rows = json.loads(ok("proposal", "list", "--format", "json"))
    assert rows[0]["status"] == "expired"
    assert json.loads(ok("proposal", "show", rows[0]["id"], "--format", "json"))["status"] == "expired"
    table = ok("proposal", "list")
    assert "expired" in table and rows[0]["id"][:7] in table


def test_list_filters_by_project(records, project_id, ok):
    other_contact = ok("contact", "add", "Bob").strip()
    other = ok("project", "add", "Other", "--contact", other_contact).strip()
    ok("project", "proposal", project_id)
    assert json.loads(ok("proposal", "list", other, "--format", "json")) == []
    assert len(json.loads(ok("proposal", "list", project_id, "--format", "json"))) == 1
    assert len(json.loads(ok("proposal", "list", "--format", "json"))) == 1


def test_repository_template_override_and_errors(records, project_id, cli, fail):
    (records / "templates").mkdir()
    (records / "templates" / "proposal.html.j2").write_text(
        '{% extends "builtin/proposal.html.j2" %}\n{% block signature %}<p>Sign: {{ customer.name }}</p>{% endblock %}\n')
    r = cli("project", "proposal", project_id, "-o", str(records.parent / "x.html"))
    assert r.exit_code == 0, r.stderr
    assert "<p>Sign: Anna Schneider</p>" in (records.parent / "x.html").read_text()
    (records / "templates" / "proposal.html.j2").write_text("{{ customer.shoe_size }}\n")
    n = len(commits(records))
    r = fail(9, "project", "proposal", project_id)
    assert r.stderr.startswith("solar: error: template templates/proposal.html.j2 line 1: ")
    assert "shoe_size" in r.stderr
    assert len(commits(records)) == n
    r = fail(3, "project", "proposal", project_id, "--template", "nope")
    assert "template 'nope.html.j2' not found" in r.stderr


def test_contact_name_is_escaped_in_the_stored_document(records, ok):
    from solarcli.proposals.sample import fill_project

    c = ok("contact", "add", "<script>alert(1)</script> {{ 7*7 }}").strip()
    pid = ok("project", "add", "P", "--contact", c, "--lat", "48", "--lon", "8").strip()
    fill_project(Repo.find(records), pid)
    html = Path(ok("project", "proposal", pid).strip()).read_text()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }}" in html


def test_off_grid_project_gets_the_off_grid_template(records, project_id, ok):
    repo = Repo.find(records)
    with repo.transaction("off-grid") as tx:
        rec = tx.load(project_id, "project")
        rec.data["grid"] = "off-grid"
        tx.save(rec)
    path = Path(ok("project", "proposal", project_id, "--lang", "tr").strip())
    html = path.read_text()
    assert "Şebekeden bağımsız" in html and "Bağımsızlık" in html
    rec = json.loads(ok("proposal", "list", "--format", "json"))[0]
    assert rec["template"] == "proposal-off-grid.html.j2" and rec["language"] == "tr"


def test_unknown_language_is_a_clear_error(records, project_id, fail):
    r = fail(4, "project", "proposal", project_id, "--lang", "xx")
    assert "language 'xx': no catalogue i18n/xx.yaml; available: de, en, tr" in r.stderr


def test_help_for_every_command(ok):
    for args in (["project", "proposal"], ["proposal"], ["proposal", "list"], ["proposal", "show"],
                 ["proposal", "mark"]):
        assert "Usage:" in ok(*args, "--help")


def test_find_by_number_or_file_stem(records, project_id, ok):
    ok("project", "proposal", project_id)
    number = json.loads(ok("proposal", "list", "--format", "json"))[0]["number"]
    for ref in (number, number.lower(), number.replace(" ", "-")):
        assert json.loads(ok("proposal", "show", ref, "--format", "json"))["number"] == number


def test_number_lookup_with_a_project_id_starting_with_v(monkeypatch):
    class FakeRepo:
        def iter_records(self, kind):
            return iter([{"id": "a", "number": "P-2026-VPTS2GA v1"}, {"id": "b", "number": "P-2026-VPTS2GA v12"}])

    assert service.find(FakeRepo(), "P-2026-VPTS2GA v1")["id"] == "a"
    assert service.find(FakeRepo(), "p-2026-vpts2ga-v12")["id"] == "b"


def test_engine_flags_go_to_the_installer_not_into_the_document(records, project_id, cli):
    repo = Repo.find(records)
    with repo.transaction("implausible") as tx:
        rec = tx.load(project_id, "project")
        rec.data["designs"][0]["production"]["monthly_kwh"] = [3000] * 12  # 3,636 kWh/kWp
        tx.save(rec)
    r = cli("project", "proposal", project_id, "--lang", "en")
    assert r.exit_code == 0, r.stderr
    assert "solar: estimate: implausible specific yield 3636 kWh/kWp" in r.stderr
    assert "implausible" not in Path(r.stdout.strip()).read_text()


def test_two_processes_proposing_at_once_get_different_versions(records, project_id):
    import os
    import sys

    env = dict(os.environ, SOLAR_REPO=str(records))
    cmd = [sys.executable, "-m", "solarcli", "project", "proposal", project_id]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate() for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    paths = sorted(Path(o[0].strip()).name for o in outs)
    assert paths[0].endswith("-v1.html") and paths[1].endswith("-v2.html")
    repo = Repo.find(records)
    assert sorted(p["version"] for p in service.project_proposals(repo, project_id)) == [1, 2]
    assert service.duplicate_numbers(repo) == {}
