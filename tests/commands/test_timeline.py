"""What stays on a record: ``solar show``, ``note``, ``activity`` and ``doc``."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import subprocess

import pytest
import yaml


def git(root, *args):
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


def head(root):
    return git(root, "rev-parse", "HEAD").strip()


def changed(root, rev="HEAD"):
    return sorted(git(root, "show", "--name-only", "--format=", rev).splitlines())


def load(root, rid, folder="leads"):
    return yaml.safe_load((root / folder / rid[0] / f"{rid}.yaml").read_text())


ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture
def lead(records, ok):
    c = ok("contact", "add", "Ada").strip()
    return ok("lead", "add", "--title", "Roof", "--contact", c).strip()


# ------------------------------------------------------------------------ notes
def test_note_add_prints_its_id_and_is_one_commit(records, ok, cli, lead, gitlog):
    r = cli("note", "add", lead[:6], "Called, wants an offer by Friday")
    assert r.exit_code == 0, r.stderr
    nid = r.stdout.strip()
    assert r.stdout == nid + "\n"
    (note,) = load(records, lead)["notes"]
    assert note["id"] == nid and note["text"] == "Called, wants an offer by Friday" and note["by"] == "test"
    assert ISO.match(note["at"])
    assert changed(records) == [f"leads/{lead[0]}/{lead}.yaml"]
    assert gitlog(records)[0] == f"lead {lead[:7]}: note: Called, wants an offer by Friday"


def test_multiline_note_is_a_literal_block(records, ok, lead):
    text = "Site visit:\n- roof faces south\n- 35 degrees\n\nNext: send offer"
    ok("note", "add", lead, text)
    raw = (records / "leads" / lead[0] / f"{lead}.yaml").read_text()
    assert "text: |" in raw and "    - roof faces south\n" in raw
    assert load(records, lead)["notes"][0]["text"] == text


@pytest.mark.parametrize("text", ["\tindented first line\nsecond", "bell\x07 in a\nnote", "windows\r\nline ends",
                                  "line\u2028separator\nend"])
def test_awkward_note_text_keeps_the_record_readable(records, ok, lead, text):
    ok("note", "add", lead, text)
    assert load(records, lead)["notes"][0]["text"] == text
    assert [r["id"] for r in json.loads(ok("lead", "list", "--format", "json"))] == [lead]
    assert json.loads(ok("note", "list", lead, "--format", "json"))[0]["text"] == text


def test_note_from_stdin(records, ok, lead):
    ok("note", "add", lead, "-", input="from a pipe\nsecond line\n")
    assert load(records, lead)["notes"][0]["text"] == "from a pipe\nsecond line\n"
    ok("note", "add", lead, input="no argument at all")
    assert load(records, lead)["notes"][1]["text"] == "no argument at all"


def test_note_errors(records, ok, fail, lead):
    before = head(records)
    r = fail(4, "note", "add", lead, "   ")
    assert "empty" in r.stderr
    fail(3, "note", "add", "zzzzzz", "text")
    assert head(records) == before


def test_note_list(records, ok, lead):
    ok("note", "add", lead, "first")
    ok("--as", "anna", "note", "add", lead, "second")
    rows = json.loads(ok("note", "list", lead, "--format", "json"))
    assert [(r["text"], r["by"]) for r in rows] == [("first", "test"), ("second", "anna")]


def test_notes_on_any_kind(records, ok):
    c = ok("contact", "add", "Ada").strip()
    p = ok("project", "add", "P", "--contact", c).strip()
    ok("note", "add", c, "on the contact")
    ok("note", "add", p, "on the project")
    assert load(records, c, "contacts")["notes"][0]["text"] == "on the contact"
    assert load(records, p, "projects")["notes"][0]["text"] == "on the project"


# ------------------------------------------------------------------------ activities
def test_activity_add_and_done(records, ok, cli, lead, gitlog):
    r = cli("activity", "add", lead, "--type", "site-visit", "--summary", "Measure the roof", "--due", "2026-05-04")
    assert r.exit_code == 0, r.stderr
    aid = r.stdout.strip()
    assert r.stdout == aid + "\n"
    (act,) = load(records, lead)["activities"]
    assert act == {"id": aid, "type": "site-visit", "summary": "Measure the roof", "at": act["at"], "by": "test",
                   "done": False, "due": "2026-05-04"}
    assert gitlog(records)[0] == f"lead {lead[:7]}: site-visit: Measure the roof"
    ok("activity", "done", lead, aid[:4])
    (act,) = load(records, lead)["activities"]
    assert act["done"] is True and ISO.match(act["done_at"])
    assert changed(records) == [f"leads/{lead[0]}/{lead}.yaml"]


def test_activity_relative_due_dates(records, ok, lead):
    today = dt.date.today()
    ok("activity", "add", lead, "--type", "call", "--summary", "a", "--due", "today")
    ok("activity", "add", lead, "--type", "call", "--summary", "b", "--due", "tomorrow")
    ok("activity", "add", lead, "--type", "task", "--summary", "c", "--due", "+10d")
    ok("activity", "add", lead, "--type", "email", "--summary", "d", "--done")
    acts = load(records, lead)["activities"]
    assert [a.get("due") for a in acts] == [today.isoformat(), (today + dt.timedelta(days=1)).isoformat(),
                                            (today + dt.timedelta(days=10)).isoformat(), None]
    assert [a["done"] for a in acts] == [False, False, False, True]


def test_activity_errors(records, ok, fail, lead):
    before = head(records)
    r = fail(4, "activity", "add", lead, "--type", "call", "--summary", "x", "--due", "next week")
    assert "next week" in r.stderr and "YYYY-MM-DD" in r.stderr
    fail(2, "activity", "add", lead, "--type", "lunch", "--summary", "x")
    fail(2, "activity", "add", lead, "--type", "call")
    fail(4, "activity", "add", lead, "--type", "call", "--summary", "  ")
    fail(3, "activity", "add", "zzzzzz", "--type", "call", "--summary", "x")
    r = fail(3, "activity", "done", lead, "nothere")
    assert "nothere" in r.stderr
    assert head(records) == before


def test_activity_list_agenda(records, ok):
    c = ok("contact", "add", "Ada").strip()
    l1 = ok("lead", "add", "--title", "One", "--contact", c).strip()
    l2 = ok("lead", "add", "--title", "Two", "--contact", c).strip()
    a1 = ok("activity", "add", l1, "--type", "call", "--summary", "late", "--due", "2030-01-01").strip()
    a2 = ok("activity", "add", l2, "--type", "meeting", "--summary", "soon", "--due", "2029-01-01").strip()
    a3 = ok("activity", "add", c, "--type", "task", "--summary", "open-ended").strip()
    ok("activity", "done", l1, a1)
    rows = json.loads(ok("activity", "list", "--format", "json"))
    assert [r["id"] for r in rows] == [a2, a1, a3]  # by due date, undated last
    assert {r["id"]: r["record"] for r in rows} == {a1: l1, a2: l2, a3: c}
    assert [r["id"] for r in json.loads(ok("activity", "list", "--open", "--format", "json"))] == [a2, a3]
    assert [r["id"] for r in json.loads(ok("activity", "list", "--due-before", "2029-06-01", "--format", "json"))] == [a2]
    assert [r["id"] for r in json.loads(ok("activity", "list", l1, "--format", "json"))] == [a1]


# ------------------------------------------------------------------------ documents
def test_doc_attach_copies_the_file_with_size_and_sha256(records, ok, cli, lead, tmp_path, gitlog):
    content = b"%PDF-1.7\n" + bytes(range(256)) * 40
    f = tmp_path / "Angebot 2026.pdf"
    f.write_bytes(content)
    r = cli("doc", "attach", lead, f)
    assert r.exit_code == 0, r.stderr
    rel = f"documents/{lead}/Angebot 2026.pdf"
    assert r.stdout == rel + "\n"
    assert (records / rel).read_bytes() == content
    (doc,) = load(records, lead)["documents"]
    assert doc["name"] == "Angebot 2026.pdf" and doc["path"] == rel
    assert doc["size"] == len(content) and doc["sha256"] == hashlib.sha256(content).hexdigest()
    assert doc["by"] == "test" and ISO.match(doc["at"])
    assert changed(records) == sorted([rel, f"leads/{lead[0]}/{lead}.yaml"])
    assert gitlog(records)[0] == f"lead {lead[:7]}: attach Angebot 2026.pdf"
    f.write_bytes(b"changed afterwards")
    assert (records / rel).read_bytes() == content  # a copy, not a link


def test_doc_attach_under_another_name_and_duplicates(records, ok, fail, lead, tmp_path):
    f = tmp_path / "scan.jpg"
    f.write_bytes(b"\xff\xd8jpeg")
    ok("doc", "attach", lead, f)
    before = head(records)
    r = fail(5, "doc", "attach", lead, f)
    assert "scan.jpg" in r.stderr and "--name" in r.stderr
    assert head(records) == before
    ok("doc", "attach", lead, f, "--name", "roof-photo.jpg")
    assert [d["name"] for d in load(records, lead)["documents"]] == ["scan.jpg", "roof-photo.jpg"]


@pytest.mark.parametrize("name", ["../evil.txt", "../../outside.txt", "sub/dir.txt", "..", ".hidden", "a\\..\\b.txt"])
def test_doc_names_with_paths_are_refused(records, ok, fail, lead, tmp_path, name):
    f = tmp_path / "x.txt"
    f.write_text("x")
    before = head(records)
    r = fail(4, "doc", "attach", lead, f, "--name", name)
    assert "file name" in r.stderr
    assert head(records) == before
    assert not (records / "documents").exists() or list((records / "documents").rglob("*")) == []
    assert not (records.parent / "outside.txt").exists() and not (records / "evil.txt").exists()


def test_doc_attach_missing_file(records, fail, lead, tmp_path):
    fail(3, "doc", "attach", lead, tmp_path / "nope.pdf")


def test_doc_list_and_get(records, ok, cli, fail, lead, tmp_path):
    content = b"binary\x00data\xff"
    f = tmp_path / "plan.dwg"
    f.write_bytes(content)
    ok("doc", "attach", lead, f)
    rows = json.loads(ok("doc", "list", lead, "--format", "json"))
    assert [(r["name"], r["size"], r["sha256"]) for r in rows] == [("plan.dwg", len(content),
                                                                    hashlib.sha256(content).hexdigest())]
    out = tmp_path / "out" / "copy.dwg"
    out.parent.mkdir()
    r = cli("doc", "get", lead, "plan.dwg", "-o", out)
    assert r.exit_code == 0 and r.stdout == ""
    assert out.read_bytes() == content
    r = cli("doc", "get", lead, "plan.dwg")
    assert r.exit_code == 0 and r.stdout_bytes == content
    r = fail(3, "doc", "get", lead, "other.pdf")
    assert "plan.dwg" in r.stderr  # says what is attached
    assert git(records, "status", "--porcelain") == ""


def test_doc_get_never_reads_outside_the_repository(records, ok, fail, lead, tmp_path):
    secret = records.parent / "secret.txt"
    secret.write_text("top secret")
    path = records / "leads" / lead[0] / f"{lead}.yaml"
    path.write_text(path.read_text() + "documents:\n  - name: s.txt\n    path: ../secret.txt\n    size: 10\n")
    git(records, "commit", "-qam", "hand-edited, hostile")
    r = fail(4, "doc", "get", lead, "s.txt")
    assert "top secret" not in r.stdout


# ------------------------------------------------------------------------ show / timeline
def test_show_timeline_has_everything_oldest_first(records, ok, lead, tmp_path):
    ok("lead", "stage", lead, "contacted")
    ok("note", "add", lead, "first note")
    aid = ok("activity", "add", lead, "--type", "call", "--summary", "follow up", "--due", "2026-02-01").strip()
    f = tmp_path / "offer.pdf"
    f.write_bytes(b"12345")
    ok("doc", "attach", lead, f)
    ok("activity", "done", lead, aid)
    data = json.loads(ok("show", lead, "--format", "json"))
    tl = data["timeline"]
    kinds = sorted(e["what"] for e in tl)
    assert kinds == ["activity", "document", "note", "stage", "stage"]
    assert [e["at"] for e in tl] == sorted(e["at"] for e in tl)
    byw = {e["what"]: e for e in tl}
    assert byw["note"]["text"] == "first note" and byw["note"]["by"] == "test"
    assert byw["activity"]["text"] == "call: follow up (due 2026-02-01)" and byw["activity"]["done"] is True
    assert byw["document"]["text"] == "offer.pdf (5 bytes)"
    text = ok("lead", "show", lead)
    lines = text.splitlines()
    tl_lines = lines[lines.index("timeline:") + 1:]
    assert len(tl_lines) == 5
    assert any("[x] call: follow up (due 2026-02-01)" in ln and f"#{aid}" in ln for ln in tl_lines)
    assert any("first note" in ln and "test" in ln for ln in tl_lines)
    assert any("offer.pdf (5 bytes)" in ln for ln in tl_lines)
    as_yaml = yaml.safe_load(ok("lead", "show", lead, "--format", "yaml"))
    assert as_yaml["id"] == lead and len(as_yaml["timeline"]) == 5


def test_show_any_kind_by_prefix_and_at_a_revision(records, ok, fail, lead):
    first = head(records)
    ok("lead", "set", lead, "title=Roof and battery")
    assert "Roof and battery" in ok("show", lead[:5])
    old = ok("show", lead, "--at", first)
    assert old.splitlines()[0] == f"lead {lead}  Roof"
    fail(3, "show", lead, "--at", "no-such-rev")


def test_read_only_commands_change_nothing(records, ok, lead, tmp_path):
    f = tmp_path / "a.pdf"
    f.write_bytes(b"x")
    ok("doc", "attach", lead, f)
    ok("note", "add", lead, "n")
    ok("activity", "add", lead, "--type", "call", "--summary", "s")
    before = head(records)
    mtimes = {p: p.stat().st_mtime_ns for p in records.rglob("*") if ".git" not in p.parts and ".solar" not in p.parts}
    for args in (("show", lead), ("lead", "show", lead, "--format", "json"), ("note", "list", lead),
                 ("activity", "list"), ("doc", "list", lead), ("doc", "get", lead, "a.pdf")):
        ok(*args)
    assert head(records) == before and git(records, "status", "--porcelain") == ""
    assert {p: p.stat().st_mtime_ns for p in mtimes} == mtimes


def test_show_never_follows_a_link_out_of_the_repository(records, ok, fail):
    """A pulled or hand-edited project whose lead link is a path must not make show read that file."""
    outside = records.parent / "outside.yaml"
    outside.write_text("id: outside\nnotes:\n  - at: '2026-01-01T00:00:00Z'\n    by: x\n    text: SECRET CONTENT\n")
    c = ok("contact", "add", "Ada").strip()
    p = ok("project", "add", "P", "--contact", c).strip()
    path = records / "projects" / p[0] / f"{p}.yaml"
    path.write_text(path.read_text() + "lead: ../../outside\n")
    res = ok("project", "show", p, "--format", "json")
    assert "SECRET CONTENT" not in res
    assert "SECRET CONTENT" not in ok("show", p)


def test_doc_get_of_a_listed_but_missing_file_is_not_found(records, ok, fail, lead, tmp_path):
    f = tmp_path / "gone.pdf"
    f.write_bytes(b"x")
    ok("doc", "attach", lead, f)
    (records / "documents" / lead / "gone.pdf").unlink()
    r = fail(3, "doc", "get", lead, "gone.pdf")
    assert "gone.pdf" in r.stderr and "missing" in r.stderr
