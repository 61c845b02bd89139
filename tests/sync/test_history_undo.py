"""solar history, show --at, undo."""
from __future__ import annotations

import json

from .conftest import git, load


def test_history_field_level(records, ok, cli):
    lid = ok("lead", "add", "--title", "Roof", "--city", "Berlin").strip()
    ok("lead", "stage", lid, "contacted")
    ok("--as", "anna", "lead", "set", lid, "site.address.city=Potsdam", "value=9000")
    nid = ok("note", "add", lid, "called").strip()
    entries = json.loads(ok("history", lid[:5], "--format", "json"))
    assert [e["message"] for e in entries] == [
        f"lead {lid[:7]}: note: called",
        f"lead {lid[:7]}: set site.address.city, value",
        f"lead {lid[:7]}: stage new -> contacted",
        f"lead {lid[:7]}: add Roof",
    ]
    assert entries[1]["author"] == "Anna Schmidt" and entries[0]["author"] == "Test User"
    assert entries[1]["command"] == "lead set"
    set_changes = {c["field"]: (c["from"], c["to"]) for c in entries[1]["changes"]}
    assert set_changes["site.address.city"] == ("Berlin", "Potsdam")
    assert set_changes["value"] == (None, 9000)
    note = [c for c in entries[0]["changes"] if c["field"].startswith("notes")]
    assert note == [{"field": f"notes[{nid}]", "from": None, "to": note[0]["to"]}]
    assert note[0]["to"]["text"] == "called"
    stage = {c["field"]: c for c in entries[2]["changes"]}
    assert stage["stage"]["from"] == "new" and stage["stage"]["to"] == "contacted"
    assert any(f.startswith("stage_history[") for f in stage)
    table = ok("history", lid)
    assert "site.address.city" in table and "Potsdam" in table and "Anna Schmidt" in table
    assert len(json.loads(ok("history", lid, "--limit", "1", "--format", "json"))) == 1


def test_history_of_deleted_record_and_unknown(records, ok, fail):
    lid = ok("lead", "add", "--title", "Gone").strip()
    ok("lead", "rm", lid)
    entries = json.loads(ok("history", lid, "--format", "json"))
    assert entries[0]["message"].endswith("remove Gone")
    assert entries[0]["changes"][0]["to"] is None
    fail(3, "history", "zzzzzzzz")


def test_show_at_revision(records, ok, fail):
    lid = ok("lead", "add", "--title", "Roof").strip()
    first = git(records, "rev-parse", "HEAD").strip()
    ok("lead", "stage", lid, "contacted")
    then = json.loads(ok("show", lid, "--at", first, "--format", "json"))
    now = json.loads(ok("show", lid, "--format", "json"))
    assert then["stage"] == "new" and now["stage"] == "contacted"
    assert json.loads(ok("show", lid, "--at", "HEAD~1", "--format", "json"))["stage"] == "new"
    fail(3, "show", lid, "--at", "HEAD~5")


def test_undo_reverts_last_solar_change_as_new_commit(records, ok, fail, gitlog):
    lid = ok("lead", "add", "--title", "Roof").strip()
    ok("lead", "stage", lid, "contacted")
    ok("lead", "set", lid, "source=web")
    sha = ok("undo").strip()
    assert git(records, "rev-parse", "HEAD").strip() == sha
    rec = load(records, f"leads/{lid[0]}/{lid}.yaml")
    assert rec.get("source") in (None, "manual") and rec["stage"] == "contacted"
    assert gitlog(records)[0] == f"undo: lead {lid[:7]}: set source"
    body = git(records, "log", "-1", "--format=%B")
    assert "Solar-Command: undo" in body and "Solar-Undo: " in body
    # again: goes further back (the stage change), not redo
    ok("undo")
    rec = load(records, f"leads/{lid[0]}/{lid}.yaml")
    assert rec["stage"] == "new" and len(rec["stage_history"]) == 1
    # again: the record's creation is undone: the file goes
    ok("undo")
    assert not (records / f"leads/{lid[0]}/{lid}.yaml").exists()
    r = fail(3, "undo")
    assert "nothing to undo" in r.stderr
    assert git(records, "status", "--porcelain", "--untracked-files=no") == ""


def test_undo_keeps_later_changes_to_other_fields(records, ok):
    lid = ok("lead", "add", "--title", "Roof").strip()
    ok("lead", "set", lid, "source=web")
    # a non-solar commit afterwards touching the same record (hand edit + git commit)
    p = records / f"leads/{lid[0]}/{lid}.yaml"
    p.write_text(p.read_text().replace("title: Roof", "title: Roof (hand)"))
    git(records, "commit", "-qam", "hand edit")
    ok("undo")
    rec = load(records, f"leads/{lid[0]}/{lid}.yaml")
    assert rec["title"] == "Roof (hand)"
    assert rec["source"] == "manual"


def test_undo_refuses_during_merge_conflict_and_dirty(records, ok, fail):
    lid = ok("lead", "add", "--title", "Roof").strip()
    ok("lead", "set", lid, "source=web")
    p = records / f"leads/{lid[0]}/{lid}.yaml"
    p.write_text(p.read_text() + "# uncommitted\n")
    r = fail(5, "undo")
    assert "uncommitted changes" in r.stderr
    git(records, "checkout", "--", f"leads/{lid[0]}/{lid}.yaml")
    doc = records / "documents" / "shared.txt"
    doc.parent.mkdir(exist_ok=True)
    doc.write_text("base\n")
    git(records, "add", "documents/shared.txt")
    git(records, "commit", "-qm", "doc")
    git(records, "checkout", "-q", "-b", "side")
    doc.write_text("side\n")
    git(records, "commit", "-qam", "side")
    git(records, "checkout", "-q", "main")
    doc.write_text("main\n")
    git(records, "commit", "-qam", "main")
    git(records, "merge", "side", check=False)
    r = fail(5, "undo")
    assert "unresolved merge conflicts" in r.stderr


def test_undo_dry_run(records, ok, cli):
    lid = ok("lead", "add", "--title", "Roof").strip()
    r = cli("undo", "--dry-run")
    assert r.exit_code == 0 and f"would undo" in r.stderr and f"leads/{lid[0]}/{lid}.yaml" in r.stderr
    assert (records / f"leads/{lid[0]}/{lid}.yaml").exists()


def test_undo_refuses_to_remove_a_record_that_another_now_links_to(records, ok, fail):
    lid = ok("lead", "add", "--title", "Roof").strip()
    cid = ok("contact", "add", "Ada Lovelace").strip()
    # the link is made by hand and committed with plain git: the last solar change is still 'contact add'
    p = records / f"leads/{lid[0]}/{lid}.yaml"
    p.write_text(p.read_text() + f"contact: {cid}\n")
    git(records, "commit", "-qam", "link by hand")
    r = fail(5, "undo")
    assert f"contacts/{cid[0]}/{cid}.yaml" in r.stderr and f"lead {lid[:7]}" in r.stderr
    assert (records / f"contacts/{cid[0]}/{cid}.yaml").is_file()
