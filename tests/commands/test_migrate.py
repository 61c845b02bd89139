"""Record files live in shard folders (leads/<x>/<id>.yaml); 'solar migrate' moves a
repository of the old flat layout (leads/<id>.yaml) there in one commit."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import yaml


def git(root, *args):
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


def head(root):
    return git(root, "rev-parse", "HEAD").strip()


def flatten(root, *rels):
    """Turn shard files back into the old flat layout, as an old solarcli left them (one commit)."""
    for rel in rels:
        folder, _, name = rel.split("/")
        git(root, "mv", rel, f"{folder}/{name}")
    git(root, "commit", "-qm", "flat layout (solarcli 0.1)")


def crm(records, ok):
    c = ok("contact", "add", "Ada Lovelace", "--email", "ada@example.org").strip()
    lead = ok("lead", "add", "--title", "Roof in Potsdam", "--contact", c).strip()
    ok("note", "add", lead, "called her")
    return c, lead


def test_new_records_are_written_into_the_shard_folder_of_their_first_id_character(records, ok):
    c, lead = crm(records, ok)
    assert (records / "contacts" / c[0] / f"{c}.yaml").is_file()
    assert (records / "leads" / lead[0] / f"{lead}.yaml").is_file()
    assert sorted(p.name for p in (records / "leads").iterdir() if not p.name.startswith(".")) == [lead[0]]


def test_flat_files_are_refused_with_a_pointer_to_migrate_and_reported_by_check(records, ok, cli):
    c, lead = crm(records, ok)
    flatten(records, f"contacts/{c[0]}/{c}.yaml", f"leads/{lead[0]}/{lead}.yaml")
    r = cli("lead", "list")
    assert r.exit_code == 5
    assert "record file(s) in the old flat layout" in r.stderr and "run 'solar migrate'" in r.stderr
    r = cli("check", "--format", "json")
    assert r.exit_code == 8
    found = {(p["file"], p["rule"]) for p in json.loads(r.stdout)}
    assert found == {(f"contacts/{c}.yaml", "layout"), (f"leads/{lead}.yaml", "layout")}


def test_migrate_moves_every_flat_file_unchanged_in_one_commit(records, ok, cli, gitlog):
    c, lead = crm(records, ok)
    before = {p: (records / p).read_bytes() for p in (f"contacts/{c[0]}/{c}.yaml", f"leads/{lead[0]}/{lead}.yaml")}
    flatten(records, *before)
    # an old repository also has the old merge-driver lines
    attrs = records / ".gitattributes"
    attrs.write_text(attrs.read_text().replace("/**/*.yaml merge=solar", "/*.yaml merge=solar"))
    git(records, "commit", "-qam", "old attributes")
    n = len(gitlog(records))

    r = cli("migrate", "--dry-run")
    assert r.exit_code == 0 and "would move 2 record file(s)" in r.stderr
    assert len(gitlog(records)) == n and (records / "leads" / f"{lead}.yaml").is_file()

    r = cli("migrate")
    assert r.exit_code == 0, r.stderr
    assert "moved 2 record file(s)" in r.stderr
    assert len(gitlog(records)) == n + 1 and gitlog(records)[0].startswith("migrate 2 record file(s)")
    assert {p: (records / p).read_bytes() for p in before} == before
    assert not (records / "leads" / f"{lead}.yaml").exists()
    status = git(records, "show", "--format=", "-M", "--name-status", "HEAD").split("\n")
    assert f"R100\tleads/{lead}.yaml\tleads/{lead[0]}/{lead}.yaml" in status
    assert "leads/**/*.yaml merge=solar" in attrs.read_text() and "leads/*.yaml merge=solar" not in attrs.read_text()
    assert git(records, "status", "--porcelain") == ""
    rows = json.loads(ok("lead", "list", "--format", "json"))
    assert [(x["id"], x["contact"]) for x in rows] == [(lead, c)]

    # nothing left to do: no commit
    r = cli("migrate")
    assert r.exit_code == 0 and "nothing to migrate" in r.stderr and len(gitlog(records)) == n + 1


def test_history_and_show_at_go_on_across_the_migration(records, ok, cli):
    c, lead = crm(records, ok)
    flatten(records, f"contacts/{c[0]}/{c}.yaml", f"leads/{lead[0]}/{lead}.yaml")
    old = head(records)
    ok("migrate")
    ok("lead", "stage", lead, "contacted")
    hist = json.loads(ok("history", lead, "--format", "json"))
    fields = [ch["field"] for h in hist for ch in h["changes"]]
    assert "stage" in fields and any(f.startswith("notes[") for f in fields) and "title" in fields
    assert yaml.safe_load(ok("show", lead, "--at", old, "--format", "yaml"))["stage"] == "new"


def test_migrate_refuses_uncommitted_changes_and_a_file_in_both_places(records, ok, cli, gitlog):
    c, lead = crm(records, ok)
    flatten(records, f"contacts/{c[0]}/{c}.yaml", f"leads/{lead[0]}/{lead}.yaml")
    n = len(gitlog(records))
    flat = records / "leads" / f"{lead}.yaml"
    flat.write_text(flat.read_text() + "tags: [hand-edited]\n")
    r = cli("migrate")
    assert r.exit_code == 5 and f"leads/{lead}.yaml: uncommitted changes" in r.stderr
    assert flat.is_file() and len(gitlog(records)) == n
    git(records, "checkout", "--", f"leads/{lead}.yaml")

    (records / "leads" / lead[0]).mkdir(exist_ok=True)
    (records / "leads" / lead[0] / f"{lead}.yaml").write_text(flat.read_text())
    r = cli("migrate")
    assert r.exit_code == 5 and "both exist" in r.stderr and len(gitlog(records)) == n
    assert flat.is_file()


def test_a_killed_migration_is_rolled_back_and_can_run_again(records, ok, gitlog):
    c, lead = crm(records, ok)
    flatten(records, f"contacts/{c[0]}/{c}.yaml", f"leads/{lead[0]}/{lead}.yaml")
    n = len(gitlog(records))
    r = subprocess.run([sys.executable, "-m", "solarcli", "migrate"], capture_output=True, text=True,
                       env={**os.environ, "SOLAR_CRASH_AFTER": "1"})
    assert r.returncode == 137
    assert (records / "leads" / f"{lead}.yaml").is_file() != (records / "contacts" / f"{c}.yaml").is_file()
    # the next command puts the moved file back before anything else
    r = subprocess.run([sys.executable, "-m", "solarcli", "migrate", "--dry-run"], capture_output=True, text=True)
    assert r.returncode == 0 and "would move 2" in r.stderr
    assert (records / "leads" / f"{lead}.yaml").is_file() and (records / "contacts" / f"{c}.yaml").is_file()
    assert git(records, "status", "--porcelain") == "" and len(gitlog(records)) == n
    ok("migrate")
    assert git(records, "status", "--porcelain") == ""
    assert json.loads(ok("lead", "list", "--format", "json"))[0]["id"] == lead


def test_a_file_in_the_wrong_shard_folder_is_an_error_naming_the_right_one(records, ok, cli):
    c, lead = crm(records, ok)
    wrong = "z" if lead[0] != "z" else "y"
    (records / "leads" / wrong).mkdir(exist_ok=True)
    os.rename(records / "leads" / lead[0] / f"{lead}.yaml", records / "leads" / wrong / f"{lead}.yaml")
    r = cli("lead", "list")
    assert r.exit_code == 4
    assert f"leads/{wrong}/{lead}.yaml" in r.stderr and f"expected leads/{lead[0]}/{lead}.yaml" in r.stderr


def test_a_hand_edit_is_seen_after_solar_wrote_another_file_in_the_same_shard(records, ok):
    """Solar's own write re-digests its shard folder only if every other file there still
    matches the index: an earlier hand edit in that folder is never hidden."""
    c, lead = crm(records, ok)
    twin = lead[0] + "zzzzzzzzz" if lead[1:] != "zzzzzzzzz" else lead[0] + "yyyyyyyyy"
    (records / "leads" / lead[0] / f"{twin}.yaml").write_text(
        f"id: {twin}\ntitle: Twin\nstage: new\nsource: manual\ncreated: '2026-01-01T00:00:00Z'\n")
    assert {r["id"] for r in json.loads(ok("lead", "list", "--format", "json"))} == {lead, twin}
    p = records / "leads" / lead[0] / f"{lead}.yaml"
    p.write_text(p.read_text().replace("Roof in Potsdam", "Roof in Babelsberg"))
    ok("note", "add", twin, "a write by solar in the same folder")
    names = {r["id"]: r["name"] for r in json.loads(ok("lead", "list", "--format", "json"))}
    assert names[lead] == "Roof in Babelsberg"


def test_an_import_made_before_the_migration_can_still_be_reverted(records, ok, monkeypatch, gitlog):
    """The batch commit names flat paths; revert acts on where the files are now."""
    from pathlib import Path

    from solarcli import records as rec

    csv = Path(__file__).resolve().parents[2] / "examples" / "imports" / "zoho-leads.csv"
    sharded = rec.record_path
    monkeypatch.setattr(rec, "record_path", rec.flat_path)  # write like solarcli 0.1
    batch = json.loads(ok("lead", "import", str(csv), "-f", "json"))["batch"]
    monkeypatch.setattr(rec, "record_path", sharded)
    assert list((records / "leads").glob("*.yaml"))  # flat files, as 0.1 wrote them
    ok("migrate")
    assert not list((records / "leads").glob("*.yaml"))
    ok("import", "revert", batch)
    assert gitlog(records)[0].startswith("revert import " + batch)
    assert not list((records / "leads").rglob("*.yaml")) and not list((records / "contacts").rglob("*.yaml"))
    assert git(records, "status", "--porcelain") == ""


def test_history_of_a_record_removed_after_the_migration_whatever_diff_renames_says(records, ok):
    c, lead = crm(records, ok)
    other = ok("contact", "add", "Bob Builder").strip()
    flatten(records, f"contacts/{c[0]}/{c}.yaml", f"leads/{lead[0]}/{lead}.yaml",
            f"contacts/{other[0]}/{other}.yaml")
    ok("migrate")
    ok("contact", "rm", other)
    git(records, "config", "diff.renames", "false")  # the migration then reads as delete + add
    hist = json.loads(ok("history", other, "--format", "json"))
    assert hist and all(h["id"] == other for h in hist)
    assert any(ch["field"] == "name" and ch.get("to") == "Bob Builder" for h in hist for ch in h["changes"])


def test_migrate_refuses_a_file_that_is_not_named_like_a_record(records, ok, cli, gitlog):
    c, lead = crm(records, ok)
    flatten(records, f"leads/{lead[0]}/{lead}.yaml")
    (records / "leads" / "notes.yaml").write_text("todo: call Ada\n")
    n = len(gitlog(records))
    r = cli("migrate")
    assert r.exit_code == 4
    assert "leads/notes.yaml: not a record file name" in r.stderr and "rename or remove it" in r.stderr
    assert (records / "leads" / f"{lead}.yaml").is_file() and len(gitlog(records)) == n
