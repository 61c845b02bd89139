"""``solar search``, ``solar index``, and the index never showing stale or wrong data:
after hand edits, after ``git pull``, after deletions; broken files are errors, never skipped."""
from __future__ import annotations

import json
import os
import subprocess
import time

import pytest
import yaml


def in_shard(path):
    """A record file path whose shard folder (the ID's first character) exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def git(root, *args):
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


def head(root):
    return git(root, "rev-parse", "HEAD").strip()


def found(ok, *args):
    return sorted(r["id"] for r in json.loads(ok("search", *args, "--format", "json")))


def lead_rows(ok, *args):
    return {r["id"]: r for r in json.loads(ok("lead", "list", *args, "--format", "json"))}


@pytest.fixture
def world(records, ok):
    c = ok("contact", "add", "Ada Lovelace", "--email", "ada@example.com", "--city", "Berlin").strip()
    lead = ok("lead", "add", "--title", "Roof in Potsdam", "--contact", c).strip()
    ok("note", "add", lead, "She asked about a Wallbox for the garage")
    project = ok("project", "add", "Berlin Kreuzberg flat roof", "--contact", c).strip()
    other = ok("contact", "add", "Bob Builder", "--city", "Hamburg").strip()
    return {"c": c, "lead": lead, "project": project, "other": other}


# ------------------------------------------------------------------------ search
def test_search_across_kinds(world, ok):
    w = world
    assert found(ok, "kreuzberg") == [w["project"]]
    assert found(ok, "wallbox") == [w["lead"]]  # in a note
    # leads and projects also match through their contact
    assert found(ok, "ada@example.com") == sorted([w["c"], w["lead"], w["project"]])
    assert found(ok, "berlin") == sorted([w["c"], w["lead"], w["project"]])
    assert found(ok, "BUILDER") == [w["other"]]
    assert found(ok, "potsdam", "wallbox") == [w["lead"]]  # every word must match
    assert found(ok, "potsdam kreuzberg") == []
    assert found(ok, "berlin", "--kind", "contact") == [w["c"]]
    assert found(ok, "berlin", "--kind", "project") == [w["project"]]
    rows = json.loads(ok("search", "berlin", "--format", "json"))
    assert {"contact", "project"} <= {r["kind"] for r in rows}
    for r in rows:
        assert {"id", "kind", "name", "stage", "email", "phone"} <= set(r)
    assert len(json.loads(ok("search", "berlin", "--limit", "1", "--format", "json"))) == 1


def test_search_table_and_no_match(world, ok, cli):
    out = ok("search", "wallbox")
    assert world["lead"][:7] in out and "Roof in Potsdam" in out and world["lead"] not in out
    r = cli("search", "zeppelin")
    assert r.exit_code == 0 and r.stdout == "" and "no matches" in r.stderr
    assert json.loads(ok("search", "zeppelin", "--format", "json")) == []


def test_search_needs_text(records, fail):
    fail(2, "search")


# ------------------------------------------------------------------------ index commands
def test_index_status_and_rebuild(world, records, ok, cli):
    st = json.loads(ok("index", "status", "--format", "json"))
    assert st["records"] == 4
    r = cli("index", "rebuild")
    assert r.exit_code == 0 and "4" in r.stderr
    assert found(ok, "kreuzberg") == [world["project"]]
    (records / ".solar" / "index.sqlite").unlink()
    assert found(ok, "wallbox") == [world["lead"]]  # recreated on demand
    assert json.loads(ok("index", "status", "--format", "json"))["records"] == 4


def test_index_status_reports_reparsed_files(world, records, ok):
    ok("index", "status")
    p = records / "contacts" / world['other'][0] / f"{world['other']}.yaml"
    p.write_text(p.read_text().replace("Hamburg", "Bremen"))
    st = json.loads(ok("index", "status", "--format", "json"))
    assert st["reparsed"] == 1 and st["records"] == 4


def test_rebuild_recovers_from_a_corrupt_index(world, records, ok):
    ok("lead", "list")
    for suffix in ("-wal", "-shm"):
        try:
            os.unlink(str(records / ".solar" / "index.sqlite") + suffix)
        except FileNotFoundError:
            pass
    (records / ".solar" / "index.sqlite").write_bytes(b"this is not a database" * 100)
    ok("index", "rebuild")
    assert found(ok, "wallbox") == [world["lead"]]


def test_a_corrupt_index_is_not_a_crash(world, records, cli, ok):
    """The index is a cache: a damaged one is rebuilt from the files."""
    ok("lead", "list")
    for suffix in ("-wal", "-shm"):
        try:
            os.unlink(str(records / ".solar" / "index.sqlite") + suffix)
        except FileNotFoundError:
            pass
    (records / ".solar" / "index.sqlite").write_bytes(b"this is not a database" * 100)
    r = cli("lead", "list", "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert [x["id"] for x in json.loads(r.stdout)] == [world["lead"]]
    assert found(ok, "kreuzberg") == [world["project"]]


# ------------------------------------------------------------------------ freshness
def test_hand_edits_show_immediately(world, records, ok):
    lead = world["lead"]
    assert lead_rows(ok)[lead]["name"] == "Roof in Potsdam"
    p = records / "leads" / lead[0] / f"{lead}.yaml"
    # same length on purpose: only the content differs
    p.write_text(p.read_text().replace("title: Roof in Potsdam", "title: Roof in Pottsdm"))
    assert lead_rows(ok)[lead]["name"] == "Roof in Pottsdm"
    assert found(ok, "pottsdm") == [lead] and found(ok, "potsdam") == []
    text = p.read_text().replace("stage: new", "stage: qualified")
    p.write_text(text)
    assert list(lead_rows(ok, "--stage", "qualified")) == [lead]
    assert lead_rows(ok, "--stage", "new") == {}
    assert "qualified (1)" in ok("lead", "board")


def test_edits_within_the_same_instant_are_seen(world, records, ok):
    """A file rewritten with the same size and the same mtime as when it was indexed."""
    lead = world["lead"]
    p = records / "leads" / lead[0] / f"{lead}.yaml"
    ok("lead", "list")
    st = p.stat()
    p.write_text(p.read_text().replace("Roof in Potsdam", "Roof in Nauen!!"))
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert p.stat().st_size == st.st_size
    assert lead_rows(ok)[lead]["name"] == "Roof in Nauen!!"


def test_files_added_and_deleted_by_hand(world, records, ok, fail):
    p = records / "leads" / world['lead'][0] / f"{world['lead']}.yaml"
    p.unlink()
    assert lead_rows(ok) == {}
    assert found(ok, "wallbox") == []
    fail(3, "lead", "show", world["lead"][:7])
    in_shard(records / "leads" / "a" / "abcdefghjk.yaml").write_text(
        "id: abcdefghjk\ntitle: Written by hand\nstage: contacted\ncreated: '2026-01-01T00:00:00Z'\n")
    assert list(lead_rows(ok, "--stage", "contacted")) == ["abcdefghjk"]
    assert "Written by hand" in ok("lead", "show", "abcdefg")


def test_changes_arriving_by_git_pull(world, records, ok, tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(records), str(clone)], check=True)
    lead, other = world["lead"], world["other"]
    ok("lead", "list")  # the index is warm and knows the old state
    ok("search", "x")
    ok("--repo", clone, "lead", "stage", lead, "qualified")
    ok("--repo", clone, "lead", "set", lead, "title=Roof in Werder")
    ok("--repo", clone, "contact", "rm", other)
    new = ok("--repo", clone, "lead", "add", "--title", "Arrived by pull").strip()
    git(records, "pull", "-q", "--ff-only", str(clone), "main")
    rows = lead_rows(ok)
    assert set(rows) == {lead, new}
    assert rows[lead]["stage"] == "qualified" and rows[lead]["name"] == "Roof in Werder"
    assert found(ok, "builder") == []
    assert found(ok, "werder") == [lead]
    assert "Arrived by pull" in ok("lead", "show", new[:6])
    # and going back in history (checkout of an older commit) is seen too
    git(records, "checkout", "-q", "HEAD~4")
    rows = lead_rows(ok)
    assert set(rows) == {lead} and rows[lead]["name"] == "Roof in Potsdam" and rows[lead]["stage"] == "new"
    assert found(ok, "builder") == [other]


def test_solar_writes_are_seen_by_a_second_process_index(world, records, ok):
    """Another clone's solar (separate process, own index state) sees the changes at once."""
    ok("lead", "list")
    env = {**os.environ}
    r = subprocess.run([os.sys.executable, "-m", "solarcli", "lead", "stage", world["lead"], "contacted"],
                       env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert list(lead_rows(ok, "--stage", "contacted")) == [world["lead"]]


# ------------------------------------------------------------------------ broken files
BROKEN = [
    ("title: [unclosed\n", ["line"]),
    ("stage: lost\n", ["duplicate", "stage"]),
    ("<<<<<<< HEAD\nstage: new\n=======\nstage: lost\n>>>>>>> theirs\n", ["conflict"]),
]


@pytest.mark.parametrize("tail,words", BROKEN)
def test_broken_yaml_is_an_error_never_skipped(world, records, ok, fail, tail, words):
    lead = world["lead"]
    ok("lead", "list")
    p = records / "leads" / lead[0] / f"{lead}.yaml"
    good = p.read_text()
    p.write_text(good + tail)
    for args in (("lead", "list"), ("search", "berlin"), ("lead", "board"), ("lead", "list"),
                 ("contact", "list"), ("index", "status"), ("show", lead[:6])):
        r = fail(4, *args)
        assert f"leads/{lead[0]}/{lead}.yaml" in r.stderr, (args, r.stderr)
        for w in words:
            assert w in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and r.stdout == ""
    fail(4, "index", "rebuild")
    p.write_text(good.replace("Roof in Potsdam", "Roof repaired"))
    assert lead_rows(ok)[lead]["name"] == "Roof repaired"


def test_record_whose_id_does_not_match_its_file_is_an_error(world, records, fail):
    in_shard(records / "leads" / "a" / "abcdefghjk.yaml").write_text("id: zzzzzzzzzz\ntitle: Copied file\nstage: new\n")
    r = fail(4, "lead", "list")
    assert "leads/a/abcdefghjk.yaml" in r.stderr and "zzzzzzzzzz" in r.stderr


def test_record_that_is_not_a_mapping_is_an_error(world, records, fail):
    in_shard(records / "contacts" / "a" / "abcdefghjk.yaml").write_text("- just\n- a list\n")
    r = fail(4, "search", "ada")
    assert "contacts/a/abcdefghjk.yaml" in r.stderr


def test_writing_commands_refuse_to_build_on_a_broken_record(world, records, ok, fail):
    lead = world["lead"]
    p = records / "leads" / lead[0] / f"{lead}.yaml"
    p.write_text(p.read_text() + "title: [unclosed\n")
    before = head(records)
    fail(4, "note", "add", lead, "x")
    fail(4, "lead", "stage", lead, "contacted")
    assert head(records) == before


# ------------------------------------------------------------------------ read-only
def test_read_only_commands_never_change_tracked_files(world, records, ok):
    w = world
    ok("lead", "stage", w["lead"], "contacted")
    before = head(records)
    time.sleep(0.01)
    for args in (("lead", "list"), ("contact", "list", "--format", "csv"), ("project", "list", "--format", "yaml"),
                 ("lead", "show", w["lead"]), ("show", w["c"], "--format", "json"), ("search", "berlin"),
                 ("lead", "board"), ("project", "board", "--all-stages"), ("index", "status"),
                 ("index", "rebuild"), ("note", "list", w["lead"]), ("activity", "list")):
        ok(*args)
        assert git(records, "status", "--porcelain", "--ignored=no") == "", args
    assert head(records) == before
    # the index and lock live in the gitignored .solar/ folder
    assert (records / ".solar" / "index.sqlite").exists()
    assert git(records, "check-ignore", ".solar/index.sqlite").strip() == ".solar/index.sqlite"


def test_the_two_process_scan_of_a_big_repository_sees_every_change(world, records, ok, monkeypatch):
    """Big repositories stat their shard folders in two processes; the digests and what the
    index notices must be exactly those of the one-process scan."""
    from solarcli.storage import index as ix

    small = ix.Index(records)
    dirs, size = small._shards()
    sequential = small._digests(dirs, size)
    monkeypatch.setattr(ix, "PARALLEL_SCAN_BYTES", 0)
    assert len(dirs) >= 3 and small._digests(dirs, size) == sequential
    lead, other = world["lead"], world["other"]
    p = records / "leads" / lead[0] / f"{lead}.yaml"
    p.write_text(p.read_text().replace("Roof in Potsdam", "Roof in Werder"))
    q = records / "contacts" / other[0] / f"{other}.yaml"
    q.write_text(q.read_text().replace("Hamburg", "Bremen"))
    assert lead_rows(ok)[lead]["name"] == "Roof in Werder"
    assert json.loads(ok("contact", "show", other, "--format", "json"))["address"]["city"] == "Bremen"
    st = json.loads(ok("index", "status", "--format", "json"))
    assert st["reparsed"] == 0


def test_rebuild_in_chunks_with_worker_processes_indexes_everything_and_reports_bad_files(world, records, ok, fail,
                                                                                         monkeypatch):
    """A big rebuild parses in forked workers and writes the index a chunk at a time: the
    result is the same as one by one, and a bad file is still an error, never skipped."""
    from solarcli.storage import index as ix

    monkeypatch.setattr(ix, "PARALLEL_MIN", 1)
    monkeypatch.setattr(ix, "UPDATE_CHUNK", 2)
    for n in range(7):
        rid = f"q{n}zzzzzzzz"
        (records / "leads" / "q").mkdir(exist_ok=True)
        (records / "leads" / "q" / f"{rid}.yaml").write_text(
            f"id: {rid}\ntitle: Batch {n}\nstage: qualified\nsource: manual\ncreated: '2026-01-0{n + 1}T00:00:00Z'\n")
    ok("index", "rebuild")
    rows = lead_rows(ok, "--stage", "qualified")
    assert sorted(r["name"] for r in rows.values()) == [f"Batch {n}" for n in range(7)]
    assert len(json.loads(ok("contact", "list", "--format", "json"))) == 2
    (records / "leads" / "q" / "q3zzzzzzzz.yaml").write_text("id: q3zzzzzzzz\ntitle: [unclosed\n")
    r = fail(4, "index", "rebuild")
    assert "leads/q/q3zzzzzzzz.yaml" in r.stderr
