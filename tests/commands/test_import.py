"""solar lead import / contact import / import columns|list|revert, through the CLI."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from solarcli.records import record_path


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "imports"


def ex(name: str) -> str:
    return str(EXAMPLES / name)


def head(root: Path) -> str:
    return git(root, "rev-parse", "HEAD").strip()


def files(root: Path, kind: str) -> list[Path]:
    return sorted(p for p in (root / kind).rglob("*.yaml") if not p.name.startswith("."))


def load(path: Path) -> dict:
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8"))


def summary(out: str) -> dict:
    return json.loads(out)


# ----------------------------------------------------------------------------- formats

@pytest.mark.parametrize("file,kind,args,contacts,leads", [
    ("hubspot-contacts.csv", "lead", [], 6, 6),
    ("salesforce-leads-report.csv", "lead", ["--encoding", "cp1252"], 4, 4),
    ("zoho-leads.csv", "lead", [], 5, 5),
    ("webform-leads.ndjson", "lead", [], 3, 5),
    ("google-contacts.csv", "contact", [], 4, None),
    ("contacts.vcf", "contact", [], 3, None),
])
def test_each_example_imports_and_reimports_without_changes(records, ok, file, kind, args, contacts, leads):
    s = summary(ok(kind, "import", ex(file), *args, "--format", "json"))
    assert s["counts"]["records"]["contact"]["created"] == contacts
    if leads is not None:
        assert s["counts"]["records"]["lead"]["created"] == leads
    assert s["counts"]["rows"]["rejected"] == 0 and s["errors"] == []
    assert s["batch"].startswith("imp-") and s["commit"] == head(records)
    before = head(records)
    again = summary(ok(kind, "import", ex(file), *args, "--format", "json"))
    assert again["commit"] is None and again["batch"] is None
    assert again["counts"]["rows"]["created"] == again["counts"]["rows"]["updated"] == 0
    assert head(records) == before  # no commit


def test_pipedrive_xlsx(records, ok, tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_xlsx", EXAMPLES / "make_xlsx.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    path = mod.main(tmp_path / "pipedrive-deals.xlsx")
    s = summary(ok("lead", "import", path, "-f", "json"))
    assert s["preset"] == "pipedrive" and s["counts"]["records"]["lead"]["created"] == 4
    leads = {load(p)["external_id"]: load(p) for p in files(records, "leads")}
    big = leads["1202"]
    assert big["title"] == "Gewerbe-PV Kaya Metallbau" and big["value"] == 142000
    assert big["stage"] == "qualified" and big["facility"] == "commercial"
    assert big["interests"] == ["battery", "ev-charger"] and big["consumption"] == {"annual_kwh": 180000}
    assert big["custom"]["deal_status"] == "open" and big["custom"]["crm_owner"] == "Tom Becker"
    assert leads["1201"]["assignee"] == "user:anna"  # "Anna Schmidt" is a user in solar.yaml
    assert leads["1203"]["value"] == 31500.5


def test_commit_and_batch_recorded_on_every_record(records, ok):
    s = summary(ok("lead", "import", ex("zoho-leads.csv"), "-f", "json"))
    msg = git(records, "log", "-1", "--format=%B")
    assert f"Solar-Batch: {s['batch']}" in msg and "Solar-Import: lead zoho-leads.csv" in msg
    assert msg.startswith("import leads from zoho-leads.csv: 5 leads created, 0 updated; 5 contacts created")
    changed = git(records, "show", "--format=", "--name-only", "HEAD").split()
    assert len(changed) == 10
    for p in changed:
        assert load(records / p)["import_batches"] == [s["batch"]]


def test_zoho_fields(records, ok):
    ok("lead", "import", ex("zoho-leads.csv"))
    leads = {load(p)["external_id"]: load(p) for p in files(records, "leads")}
    bakery = leads["zcrm_5725767000000436002"]
    assert bakery["stage"] == "contacted" and bakery["facility"] == "commercial"
    assert bakery["interests"] == ["battery"] and bakery["tags"] == ["Gewerbe"]
    assert bakery["notes"][0]["text"] == "Backstube mit hohem Tagesverbrauch,\nÖfen laufen ab 3 Uhr."
    assert leads["zcrm_5725767000000436005"]["stage"] == "lost"
    contact = load(records / record_path("contact", bakery["contact"]))
    assert contact["company"] == "Bäckerei Hoffmann" and contact["phones"] == ["+49911556677"]


def test_webform_one_person_three_enquiries(records, ok):
    ok("lead", "import", ex("webform-leads.ndjson"))
    contacts = [load(p) for p in files(records, "contacts")]
    ayse = [c for c in contacts if c["name"] == "Ayşe Yılmaz"]
    assert len(ayse) == 1
    leads = [load(p) for p in files(records, "leads") if load(p)["contact"] == ayse[0]["id"]]
    assert len(leads) == 3
    assert sorted(ld["external_id"] for ld in leads) == ["wf-20261101-0001", "wf-20261103-0003", "wf-20261107-0005"]


def test_stdin_ndjson(records, ok):
    data = (EXAMPLES / "webform-leads.ndjson").read_bytes()
    s = summary(ok("lead", "import", "-", "-f", "json", input=data))
    assert s["format"] == "ndjson" and s["counts"]["records"]["lead"]["created"] == 5


def test_contacts_from_vcard_and_lead_import_of_vcard_refused(records, ok, fail):
    ok("contact", "import", ex("contacts.vcf"))
    burak = [load(p) for p in files(records, "contacts") if load(p)["name"] == "Burak Öztürk"][0]
    assert burak["company"] == "Öztürk Enerji A.Ş." and burak["phones"] == ["+902325550199"]
    assert burak["address"]["city"] == "İzmir" and burak["tags"] == ["Partner"]
    r = fail(2, "lead", "import", ex("contacts.vcf"))
    assert "contact import" in r.stderr


# ----------------------------------------------------------------------------- errors

def test_bad_rows_abort_by_default_and_write_nothing(records, fail, tmp_path):
    before = head(records)
    r = fail(4, "lead", "import", ex("leads-with-errors.csv"), "--errors-out", tmp_path / "bad.csv")
    assert "5 row(s) rejected; nothing was imported" in r.stderr
    assert head(records) == before and files(records, "leads") == []
    with open(tmp_path / "bad.csv", encoding="utf-8") as fh:
        bad = list(csv.DictReader(fh))
    assert [b["row"] for b in bad] == ["3", "4", "5", "6", "7"]
    assert bad[0]["Email"] == "thomas.wagner(at)example.de" and bad[0]["column"] == "Email"
    assert "e-mail" in bad[0]["reason"]
    assert bad[1]["reason"].startswith("unknown stage")
    assert "number" in bad[2]["reason"] and "required" in bad[3]["reason"]
    assert "Phone" in bad[4]["column"] and "Interests" in bad[4]["column"]  # two problems in one row
    # the table on stdout names row, column, value and reason
    assert "thomas.wagner(at)example.de" in r.stdout and "angebot" in r.stdout


def test_on_error_skip_imports_good_rows_and_exits_6(records, fail, ok, tmp_path):
    r = fail(6, "lead", "import", ex("leads-with-errors.csv"), "--on-error", "skip", "-f", "json",
             "--errors-out", tmp_path / "bad.csv")
    s = summary(r.stdout)
    assert s["counts"]["rows"] == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 5}
    assert len(files(records, "leads")) == 2
    assert {e["row"] for e in s["errors"]} == {3, 4, 5, 6, 7}
    assert "5 row(s) rejected" in r.stderr
    # fix the rejected rows and import them: the reason columns are ignored... by mapping them away
    with open(tmp_path / "bad.csv", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    fixed = tmp_path / "fixed.csv"
    with open(fixed, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(rows[0])
        w.writerow([c.replace("(at)", "@") for c in rows[1]])
    s2 = summary(ok("lead", "import", fixed, "--map", "row=-", "--map", "column=-", "--map", "reason=-",
                    "-f", "json"))
    assert s2["counts"]["records"]["lead"]["created"] == 1


def test_dry_run_reports_and_writes_nothing(records, ok, fail):
    before = head(records)
    s = summary(ok("lead", "import", ex("hubspot-contacts.csv"), "--dry-run", "-f", "json"))
    assert s["dry_run"] and s["commit"] is None and head(records) == before
    assert files(records, "leads") == []
    assert [r["status"] for r in s["rows"]] == ["created"] * 6
    assert {c["kind"] for c in s["changes"]} == {"contact", "lead"}
    out = ok("lead", "import", ex("hubspot-contacts.csv"), "--dry-run")
    assert "row" in out and "lead" in out and "created" in out
    r = fail(4, "lead", "import", ex("leads-with-errors.csv"), "--dry-run")
    assert "(dry run)" in r.stderr


def test_modes_and_keys(records, ok, fail, tmp_path):
    f = tmp_path / "a.csv"
    f.write_text("Lead ID,Name,Email,Stage\nL1,Ada,ada@example.com,new\n", encoding="utf-8")
    ok("lead", "import", f)
    f.write_text("Lead ID,Name,Email,Stage\nL1,Ada,ada@example.com,contacted\nL2,Bob,bob@example.com,new\n",
                 encoding="utf-8")
    s = summary(ok("lead", "import", f, "--mode", "create", "-f", "json"))
    assert s["counts"]["records"]["lead"] == {"created": 1, "updated": 0, "unchanged": 1}
    f.write_text("Lead ID,Name,Email,Stage\nL1,Ada,ada@example.com,qualified\nL3,Cem,cem@example.com,new\n",
                 encoding="utf-8")
    r = fail(4, "lead", "import", f, "--mode", "update", "-f", "json")
    assert "no existing lead" in summary(r.stdout)["errors"][0]["reason"]
    s = summary(fail(6, "lead", "import", f, "--mode", "update", "--on-error", "skip", "-f", "json").stdout)
    assert s["counts"]["records"]["lead"]["updated"] == 1
    stages = sorted(load(p)["stage"] for p in files(records, "leads"))
    assert stages == ["new", "qualified"]
    fail(2, "lead", "import", f, "--key", "fax")


def test_map_option_and_preset_option(records, ok, tmp_path):
    f = tmp_path / "m.csv"
    f.write_text("Kunde;Mail;Wunsch;Intern\nAda;ada@example.com;Speicher;geheim\n", encoding="utf-8")
    ok("lead", "import", f, "--map", "Kunde=name", "--map", "Wunsch=interests", "--map", "Intern=-")
    [lead] = [load(p) for p in files(records, "leads")]
    assert lead["interests"] == ["battery"] and "custom" not in lead
    [c] = [load(p) for p in files(records, "contacts")]
    assert c["name"] == "Ada" and c["emails"] == ["ada@example.com"]


def test_import_columns(ok, tmp_path, records):
    out = ok("import", "columns", ex("salesforce-leads-report.csv"), "--encoding", "cp1252", "-f", "json")
    cols = {r["column"]: r for r in json.loads(out)}
    assert cols["Lead-Status"]["field"] == "stage" and cols["Lead-Status"]["how"] == "preset"
    assert cols["Dachfläche m²"]["field"] == "custom.dachfläche_m2" and cols["Dachfläche m²"]["how"] == "custom"
    assert cols["Nachname"]["sample"] == "Schröder"
    table = ok("import", "columns", ex("google-contacts.csv"), "--kind", "contact")
    assert "ignored" in table and "E-mail 1 - Value" in table


def test_unknown_file_and_encoding(records, fail):
    fail(3, "lead", "import", "nope.csv")
    fail(2, "lead", "import", ex("zoho-leads.csv"), "--encoding", "klingon")


# ----------------------------------------------------------------------------- batches

def test_import_list_and_revert(records, ok, fail):
    s1 = summary(ok("lead", "import", ex("hubspot-contacts.csv"), "-f", "json"))
    s2 = summary(ok("lead", "import", ex("webform-leads.ndjson"), "-f", "json"))
    listed = json.loads(ok("import", "list", "-f", "json"))
    assert [b["batch"] for b in listed] == [s2["batch"], s1["batch"]]
    assert listed[0]["kind"] == "lead" and listed[0]["file"] == "webform-leads.ndjson"
    # the web form batch created 2 contacts + 5 leads and updated Ayşe's contact (fills nothing new?)
    contacts_before = {p.name: p.read_bytes() for p in files(records, "contacts")}
    dry = json.loads(ok("import", "revert", s2["batch"], "--dry-run", "-f", "json"))
    assert len(dry["delete"]) == 7 and dry["blocked"] == []
    ok("import", "revert", s2["batch"])
    assert "revert import " + s2["batch"] in git(records, "log", "-1", "--format=%s")
    assert len(files(records, "leads")) == 6
    assert {p.name for p in files(records, "contacts")} <= set(contacts_before)
    listed = json.loads(ok("import", "list", "-f", "json"))
    assert listed[0]["reverted"] is True
    fail(5, "import", "revert", s2["batch"])  # already reverted
    fail(3, "import", "revert", "imp-nope")


def test_revert_refused_when_records_were_edited_since(records, ok, fail):
    s = summary(ok("lead", "import", ex("zoho-leads.csv"), "-f", "json"))
    lead = files(records, "leads")[0].stem
    ok("note", "add", lead, "Rückruf erledigt")
    before = head(records)
    r = fail(5, "import", "revert", s["batch"])
    assert "changed after the import" in r.stderr
    assert head(records) == before


def test_revert_refused_when_a_later_record_links_to_an_imported_contact(records, ok, fail):
    s = summary(ok("contact", "import", ex("contacts.vcf"), "-f", "json"))
    cid = files(records, "contacts")[0].stem
    ok("lead", "add", "--title", "Balkonkraftwerk", "--contact", cid)
    r = fail(5, "import", "revert", s["batch"])
    assert "links to" in r.stderr


def test_update_batch_revert_restores_old_content(records, ok, tmp_path):
    f = tmp_path / "c.csv"
    f.write_text("Name,Email,City\nAda,ada@example.com,Köln\n", encoding="utf-8")
    ok("contact", "import", f)
    [path] = files(records, "contacts")
    old = path.read_bytes()
    f.write_text("Name,Email,City\nAda Lovelace,ada@example.com,Bonn\n", encoding="utf-8")
    s = summary(ok("contact", "import", f, "-f", "json"))
    assert s["counts"]["records"]["contact"]["updated"] == 1
    assert load(path)["address"]["city"] == "Bonn"
    ok("import", "revert", s["batch"])
    assert path.read_bytes() == old


# ----------------------------------------------------------------------------- crash safety

def test_killed_import_leaves_the_repository_as_before(records, ok):
    ok("lead", "import", ex("zoho-leads.csv"))
    before_head = head(records)
    before = {p: p.read_bytes() for p in records.rglob("*.yaml") if ".solar" not in p.parts}
    env = dict(os.environ, SOLAR_CRASH_AFTER="5", SOLAR_REPO=str(records))
    proc = subprocess.run([sys.executable, "-m", "solarcli", "lead", "import", ex("hubspot-contacts.csv")],
                          env=env, capture_output=True, text=True)
    assert proc.returncode == 137, proc.stderr
    # the kill happened after 5 of 12 files were replaced
    assert (records / ".solar" / "journal").exists()
    # the next solar command rolls the half-written import back
    out = ok("lead", "list", "-f", "json")
    assert len(json.loads(out)) == 5
    assert head(records) == before_head
    after = {p: p.read_bytes() for p in records.rglob("*.yaml") if ".solar" not in p.parts}
    assert after == before
    assert git(records, "status", "--porcelain") == ""
    # and the import then works
    s = summary(ok("lead", "import", ex("hubspot-contacts.csv"), "-f", "json"))
    assert s["counts"]["records"]["lead"]["created"] == 6


def test_progress_only_on_a_terminal(monkeypatch):
    import io

    from solarcli.commands.imports import _Progress

    class Tty(io.StringIO):
        def isatty(self):
            return True

    quiet = io.StringIO()
    monkeypatch.setattr(sys, "stderr", quiet)
    p = _Progress("writing", 10)
    for n in range(1, 11):
        p(n)
    p.close()
    assert quiet.getvalue() == ""
    tty = Tty()
    monkeypatch.setattr(sys, "stderr", tty)
    p = _Progress("writing", 10)
    for n in range(1, 11):
        p(n)
    p.close()
    r = _Progress("reading x.csv", None)
    for n in range(1, 2001):
        r(n)
    r.close()
    out = tty.getvalue()
    assert "writing" in out and "100%" in out and "reading x.csv: 2000 rows" in out


def test_the_cli_stays_light():
    code = ("import sys, solarcli.cli, solarcli.commands.imports; "
            "print(sorted(m for m in ('openpyxl', 'vobject', 'solarcli.importing.planner') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_lead_row_keeps_its_contact_and_revert_restores_both(records, ok, tmp_path):
    f = tmp_path / "l.csv"
    f.write_text("Lead ID,Name,Email,Stage\nX1,Ada,ada@example.com,new\n", encoding="utf-8")
    ok("lead", "import", f)
    [lead] = files(records, "leads")
    [contact] = files(records, "contacts")
    before = lead.read_bytes(), contact.read_bytes()
    # the CRM now has another address for lead X1: it is added to the lead's contact
    f.write_text("Lead ID,Name,Email,Stage\nX1,Ada,ada@work.example,contacted\n", encoding="utf-8")
    s = summary(ok("lead", "import", f, "-f", "json"))
    assert s["counts"]["records"] == {"contact": {"created": 0, "updated": 1, "unchanged": 0},
                                      "lead": {"created": 0, "updated": 1, "unchanged": 0}}
    assert load(contact)["emails"] == ["ada@example.com", "ada@work.example"]
    ok("import", "revert", s["batch"])
    assert (lead.read_bytes(), contact.read_bytes()) == before


def test_foreign_id_column_is_kept_as_external_id(records, ok, tmp_path):
    f = tmp_path / "c.csv"
    f.write_text("id,name,city\n4711,Ada Kaya,Köln\n4712,Bob Yıldız,Bonn\n", encoding="utf-8")
    ok("contact", "import", f)
    assert sorted(load(p)["external_id"] for p in files(records, "contacts")) == ["4711", "4712"]
    s = summary(ok("contact", "import", f, "-f", "json"))  # no e-mail or phone: matched by that ID
    assert s["commit"] is None and s["counts"]["records"]["contact"]["unchanged"] == 2


def test_sigkill_while_files_are_replaced_rolls_back(records, ok, tmp_path):
    """A real SIGKILL (not the test hook) while the import replaces its files."""
    import signal
    import time

    ok("lead", "import", ex("zoho-leads.csv"))
    before_head = head(records)
    before = {p: p.read_bytes() for p in records.rglob("*.yaml") if ".solar" not in p.parts}
    big = tmp_path / "big.csv"
    with open(big, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Lead ID", "Name", "Email", "City", "Annual kWh"])
        for i in range(1500):
            w.writerow([f"B{i}", f"Kunde {i}", f"kunde{i}@example.de", "Köln", 3000 + i])
    env = dict(os.environ, SOLAR_REPO=str(records))
    proc = subprocess.Popen([sys.executable, "-m", "solarcli", "lead", "import", str(big)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    manifest = records / ".solar" / "journal" / "manifest.json"
    deadline = time.time() + 120
    while not manifest.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.005)
    if proc.poll() is not None:
        pytest.skip("the import finished before it could be killed")
    time.sleep(0.2)  # let it replace some files
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert json.loads(ok("lead", "list", "-f", "json")).__len__() == 5  # rolled back by this command
    assert head(records) == before_head
    after = {p: p.read_bytes() for p in records.rglob("*.yaml") if ".solar" not in p.parts}
    assert after == before
    # Known records-core gap (reported): a kill between atomic_write's temp file and its
    # rename leaves that '.<name>.<random>.tmp' file behind, untracked. Nothing else may differ.
    status = [ln for ln in git(records, "status", "--porcelain").splitlines() if ln]
    assert all(ln.startswith("?? ") and ln.endswith(".tmp") for ln in status), status
