"""solar sync with a real bare remote and several clones."""
from __future__ import annotations

import json
import os
import stat
import sys

from .conftest import clean_tree, git, load


def lead_path(lid: str) -> str:
    return f"leads/{lid[0]}/{lid}.yaml"


def test_first_sync_pushes_and_registers_driver(team):
    assert git(team.remote, "rev-parse", "main").strip() == git(team.a, "rev-parse", "HEAD").strip()
    driver = git(team.a, "config", "--get", "merge.solar.driver")
    assert sys.executable in driver and "merge-driver %O %A %B %P" in driver
    assert "leads/**/*.yaml merge=solar" in (team.a / ".gitattributes").read_text()
    b = team.clone("b", sync=False)
    assert git(b, "config", "--get", "merge.solar.driver", check=False) == ""
    # any solar command in a fresh clone registers the driver (so a plain git pull merges fields)
    r = team.res(b, "sync")
    assert r.exit_code == 0, r.stderr
    assert sys.executable in git(b, "config", "--get", "merge.solar.driver")


def test_no_remote(tmp_path, fail, ok):
    ok("init", tmp_path / "solo")
    r = fail(7, "--repo", tmp_path / "solo", "sync")
    assert r.stderr.startswith("solar: error: no remote configured")
    assert len(r.stderr.strip().splitlines()) == 1


def test_unknown_remote_name(team, fail):
    r = fail(7, "--repo", team.a, "sync", "upstream")
    assert "no remote named 'upstream'" in r.stderr


def test_unreachable_remote_leaves_repo_unchanged(team, fail):
    lid = team.out(team.a, "lead", "add", "--title", "Roof")
    head = git(team.a, "rev-parse", "HEAD")
    git(team.a, "remote", "set-url", "origin", str(team.tmp / "gone.git"))
    r = fail(7, "--repo", team.a, "sync")
    assert "cannot reach remote 'origin'" in r.stderr and "nothing was changed" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert git(team.a, "rev-parse", "HEAD") == head
    assert clean_tree(team.a)
    assert (team.a / lead_path(lid)).exists()


def test_dirty_tree_refused(team, fail):
    lid = team.out(team.a, "lead", "add", "--title", "Roof")
    p = team.a / lead_path(lid)
    p.write_text(p.read_text() + "# hand edit\n")
    r = fail(5, "--repo", team.a, "sync")
    assert f"uncommitted changes in leads/{lid[0]}/{lid}.yaml" in r.stderr


def test_different_fields_both_survive(team):
    lid = team.out(team.a, "lead", "add", "--title", "Roof", "--city", "Berlin")
    team.run(team.a, "sync")
    b = team.clone("b")
    team.run(team.a, "lead", "stage", lid, "contacted")
    team.run(b, "lead", "set", lid, "source=referral", "site.address.city=Potsdam")
    team.run(team.a, "sync")
    team.run(b, "sync")
    team.run(team.a, "sync")
    for clone in (team.a, b):
        rec = load(clone, lead_path(lid))
        assert rec["stage"] == "contacted"
        assert rec["source"] == "referral"
        assert rec["site"]["address"]["city"] == "Potsdam"
        assert "conflicts" not in rec
        assert clean_tree(clone)
    assert git(team.a, "rev-parse", "HEAD") == git(b, "rev-parse", "HEAD")
    # the index was refreshed: list sees the merged stage
    rows = json.loads(team.run(b, "lead", "list", "--format", "json"))
    assert [(r["id"], r["stage"], r["source"]) for r in rows] == [(lid, "contacted", "referral")]


def test_same_field_later_change_wins_and_loser_is_listed(team):
    lid = team.out(team.a, "lead", "add", "--title", "Roof")
    team.run(team.a, "sync")
    b = team.clone("b")
    team.run(team.a, "lead", "set", lid, "value=10000")
    # b changes later (explicit timestamps make "later" unambiguous)
    team.run(b, "lead", "set", lid, "value=12000")
    _bump_updated(b, lid, "2099-01-01T00:00:00Z")
    team.run(team.a, "sync")
    r = team.res(b, "sync")
    assert r.exit_code == 0, r.stderr
    assert "conflict: leads/" in r.stderr and "value" in r.stderr
    rec = load(b, lead_path(lid))
    assert rec["value"] == 12000
    assert rec["conflicts"] == [{"field": "value", "value": 10000, "lost_to": 12000, "at": rec["conflicts"][0]["at"]}]
    assert "<<<<<<<" not in (b / lead_path(lid)).read_text()
    rows = json.loads(team.run(b, "conflicts", "--format", "json"))
    assert [(x["id"], x["field"], x["value"], x["lost_to"]) for x in rows] == [(lid, "value", 10000, 12000)]
    assert lid[:7] in team.run(b, "conflicts")
    # take the losing value back; the conflict is cleared in one commit
    team.run(b, "conflicts", "resolve", lid[:6], "value", "--lost")
    rec = load(b, lead_path(lid))
    assert rec["value"] == 10000 and "conflicts" not in rec
    assert git(b, "log", "-1", "--format=%s").startswith(f"lead {lid[:7]}: resolve conflict on value")
    assert json.loads(team.run(b, "conflicts", "--format", "json")) == []
    team.run(b, "sync")
    team.run(team.a, "sync")
    assert load(team.a, lead_path(lid))["value"] == 10000


def _bump_updated(repo, lid, ts):
    p = repo / lead_path(lid)
    text = p.read_text()
    import re

    text = re.sub(r"^updated: .*$", f"updated: '{ts}'", text, flags=re.M)
    p.write_text(text)
    git(repo, "commit", "-qam", "bump updated")


def test_conflicts_resolve_keep_take_and_errors(team, fail):
    lid = team.out(team.a, "lead", "add", "--title", "Roof")
    team.run(team.a, "sync")
    b = team.clone("b")
    team.run(team.a, "lead", "set", lid, "title=Roof A")
    team.run(b, "lead", "set", lid, "title=Roof B", "source=web")
    _bump_updated(b, lid, "2099-01-01T00:00:00Z")
    team.run(team.a, "sync")
    team.run(b, "sync")
    assert load(b, lead_path(lid))["title"] == "Roof B"
    r = fail(3, "--repo", b, "conflicts", "resolve", lid, "stage", "--keep")
    assert "no conflict on field 'stage'; conflicts: title" in r.stderr
    fail(2, "--repo", b, "conflicts", "resolve", lid, "title")
    team.run(b, "conflicts", "resolve", lid, "title", "--take", "Roof C")
    assert load(b, lead_path(lid))["title"] == "Roof C"
    assert "conflicts" not in load(b, lead_path(lid))


def test_notes_added_on_both_sides_are_all_kept(team):
    lid = team.out(team.a, "lead", "add", "--title", "Roof")
    team.run(team.a, "sync")
    b = team.clone("b")
    c = team.clone("c")
    na = team.out(team.a, "note", "add", lid, "from a")
    nb = team.out(b, "note", "add", lid, "from b")
    nc = team.out(c, "note", "add", lid, "from c")
    ab = team.out(b, "activity", "add", lid, "--type", "call", "--summary", "call back")
    for clone in (team.a, b, c, team.a, b):
        team.run(clone, "sync")
    for clone in (team.a, b, c):
        team.run(clone, "sync")
        rec = load(clone, lead_path(lid))
        assert sorted(n["id"] for n in rec["notes"]) == sorted([na, nb, nc])
        assert [a["id"] for a in rec["activities"]] == [ab]
        assert "conflicts" not in rec
    # marking the activity done on one side while adding a note on the other
    team.run(team.a, "activity", "done", lid, ab)
    team.run(c, "note", "add", lid, "later")
    team.run(team.a, "sync")
    team.run(c, "sync")
    rec = load(c, lead_path(lid))
    assert rec["activities"][0]["done"] is True
    assert len(rec["notes"]) == 4


def test_same_content_on_two_clones_stays_two_records(team):
    b = team.clone("b")
    c1 = team.out(team.a, "contact", "add", "Ada Lovelace", "--email", "ada@example.com")
    c2 = team.out(b, "contact", "add", "Ada Lovelace", "--email", "ada@example.com")
    assert c1 != c2
    team.run(team.a, "sync")
    team.run(b, "sync")
    assert (b / f"contacts/{c1[0]}/{c1}.yaml").exists() and (b / f"contacts/{c2[0]}/{c2}.yaml").exists()


def test_deleted_vs_edited_is_kept_and_reported(team):
    lid = team.out(team.a, "lead", "add", "--title", "Roof")
    team.run(team.a, "sync")
    b = team.clone("b")
    team.run(team.a, "lead", "rm", lid)
    team.run(b, "note", "add", lid, "still interested!")
    team.run(team.a, "sync")
    r = team.res(b, "sync")
    assert r.exit_code == 0, r.stderr
    assert f"kept leads/{lid[0]}/{lid}.yaml: deleted on one side, edited on the other" in r.stderr
    rec = load(b, lead_path(lid))
    assert rec["notes"][0]["text"] == "still interested!"
    assert rec["conflicts"][0]["field"] == "(deleted)"
    assert clean_tree(b)
    team.run(team.a, "sync")
    assert (team.a / lead_path(lid)).exists()
    rows = json.loads(team.run(team.a, "conflicts", "--format", "json"))
    assert [r["field"] for r in rows] == ["(deleted)"]
    team.run(team.a, "conflicts", "resolve", lid, "(deleted)", "--keep")
    # the other direction: edited here, deleted there
    team.run(team.a, "sync")
    team.run(b, "sync")
    team.run(team.a, "lead", "set", lid, "source=web")
    team.run(b, "lead", "rm", lid)
    team.run(b, "sync")
    team.run(team.a, "sync")
    assert load(team.a, lead_path(lid))["source"] == "web"


def test_deleted_on_one_side_untouched_on_other_is_deleted(team):
    lid = team.out(team.a, "lead", "add", "--title", "Roof")
    team.run(team.a, "sync")
    b = team.clone("b")
    team.run(team.a, "lead", "rm", lid)
    other = team.out(b, "lead", "add", "--title", "Other")
    team.run(team.a, "sync")
    team.run(b, "sync")
    assert not (b / lead_path(lid)).exists()
    assert (b / lead_path(other)).exists()


def test_push_race_is_retried(team):
    lid = team.out(team.a, "lead", "add", "--title", "Roof")
    team.run(team.a, "sync")
    b = team.clone("b")
    c = team.clone("c")
    team.out(c, "note", "add", lid, "from c, pushed during a's sync")
    team.out(team.a, "note", "add", lid, "from a")
    # a pre-push hook in a: the first time, c pushes right before a's push lands
    hook = team.a / ".git" / "hooks" / "pre-push"
    flag = team.tmp / "raced"
    hook.write_text(f"#!/bin/sh\nif [ ! -e '{flag}' ]; then touch '{flag}'; "
                    f"git -C '{c}' push -q origin HEAD:main >/dev/null 2>&1; fi\nexit 0\n")
    hook.chmod(hook.stat().st_mode | stat.S_IEXEC)
    r = team.res(team.a, "sync", "--format", "json")
    assert r.exit_code == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["attempts"] == 2 and rep["pushed"] is True
    assert "someone pushed in between" in r.stderr
    team.run(b, "sync")
    texts = sorted(n["text"] for n in load(b, lead_path(lid))["notes"])
    assert texts == ["from a", "from c, pushed during a's sync"]


def test_push_race_gives_up_after_retries(team, fail):
    team.out(team.a, "lead", "add", "--title", "Roof")
    c = team.clone("c")
    hook = team.a / ".git" / "hooks" / "pre-push"
    counter = team.tmp / "n"
    # every push attempt is beaten by c
    hook.write_text(f"#!/bin/sh\necho x >> '{counter}'\n"
                    f"git -C '{c}' commit -q --allow-empty -m race && git -C '{c}' push -q origin HEAD:main >/dev/null 2>&1\nexit 0\n")
    hook.chmod(hook.stat().st_mode | stat.S_IEXEC)
    r = fail(7, "--repo", team.a, "sync", "--retries", "2")
    assert "rejected 2 times" in r.stderr
    assert counter.read_text().count("x") == 2
    assert clean_tree(team.a)


def test_plain_git_pull_uses_the_merge_driver(team):
    lid = team.out(team.a, "lead", "add", "--title", "Roof")
    team.run(team.a, "sync")
    b = team.clone("b")
    team.run(team.a, "lead", "stage", lid, "contacted")
    na = team.out(team.a, "note", "add", lid, "from a")
    team.run(team.a, "sync")
    team.run(b, "lead", "set", lid, "source=referral")
    nb = team.out(b, "note", "add", lid, "from b")
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    out = subprocess_run(["git", "-c", "pull.rebase=false", "pull", "-q", "--no-edit", "origin", "main"], b, env)
    assert out.returncode == 0, out.stderr + out.stdout
    text = (b / lead_path(lid)).read_text()
    assert "<<<<<<<" not in text
    rec = load(b, lead_path(lid))
    assert rec["stage"] == "contacted" and rec["source"] == "referral"
    assert sorted(n["id"] for n in rec["notes"]) == sorted([na, nb])
    assert len(git(b, "log", "-1", "--format=%P").split()) == 2  # a real merge commit


def subprocess_run(args, cwd, env):
    import subprocess

    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)


def test_conflict_in_solar_yaml_aborts_cleanly(team, fail):
    b = team.clone("b")
    for clone, name in ((team.a, "Alpha"), (b, "Beta")):
        cfg = clone / "solar.yaml"
        cfg.write_text(cfg.read_text().replace("Sunny Roofs GmbH", f"Sunny {name}", 1))
        git(clone, "commit", "-qam", f"rename {name}")
    team.run(team.a, "sync")
    head = git(b, "rev-parse", "HEAD")
    r = fail(7, "--repo", b, "sync")
    assert "cannot merge solar.yaml automatically" in r.stderr
    assert git(b, "rev-parse", "HEAD") == head
    assert clean_tree(b)
    assert "Sunny Beta" in (b / "solar.yaml").read_text()


def test_interrupted_sync_is_rolled_back(team, monkeypatch):
    lid = team.out(team.a, "lead", "add", "--title", "Roof")
    team.run(team.a, "sync")
    b = team.clone("b")
    team.run(team.a, "lead", "rm", lid)  # delete vs edit: git stops with an unmerged file
    team.run(b, "note", "add", lid, "edit")
    team.run(team.a, "sync")
    head = git(b, "rev-parse", "HEAD")
    import solarcli.sync.engine as engine

    def boom(*a, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(engine, "_resolve", boom)
    r = team.res(b, "sync")
    assert r.exit_code == 130
    assert git(b, "rev-parse", "HEAD") == head
    assert clean_tree(b)
    assert not (b / ".solar" / "sync-merge").exists()
    monkeypatch.undo()
    team.run(b, "sync")
    assert (b / lead_path(lid)).exists()


def test_killed_sync_is_rolled_back_by_the_next_one(team, fail):
    lid = team.out(team.a, "lead", "add", "--title", "Roof")
    team.run(team.a, "sync")
    b = team.clone("b")
    team.run(team.a, "lead", "rm", lid)
    team.run(b, "note", "add", lid, "edit")
    team.run(team.a, "sync")
    git(b, "fetch", "-q", "origin")
    # what a killed 'solar sync' leaves behind: a merge in progress and solar's marker
    git(b, "merge", "--no-ff", "--no-edit", "origin/main", check=False)
    assert (b / ".git" / "MERGE_HEAD").exists()
    (b / ".solar" / "sync-merge").write_text("x\n")
    r = team.res(b, "sync")
    assert r.exit_code == 0, r.stderr
    assert "an interrupted sync was rolled back first" in r.stderr
    assert clean_tree(b) and (b / lead_path(lid)).exists()


def test_users_own_merge_in_progress_is_refused(team, fail):
    lid = team.out(team.a, "lead", "add", "--title", "Roof")
    team.run(team.a, "sync")
    b = team.clone("b")
    team.run(team.a, "lead", "rm", lid)
    team.run(b, "note", "add", lid, "edit")
    team.run(team.a, "sync")
    git(b, "fetch", "-q", "origin")
    git(b, "merge", "--no-ff", "--no-edit", "origin/main", check=False)
    r = fail(5, "--repo", b, "sync")
    assert "unmerged files" in r.stderr or "merge is in progress" in r.stderr
    assert (b / ".git" / "MERGE_HEAD").exists()  # left for the user


def test_binary_documents_keep_both_versions(team, tmp_path):
    lid = team.out(team.a, "lead", "add", "--title", "Roof")
    f = tmp_path / "roof.png"
    f.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    team.run(team.a, "doc", "attach", lid, f)
    team.run(team.a, "sync")
    b = team.clone("b")
    (team.a / f"documents/{lid}/roof.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x01\x00" * 20)
    git(team.a, "commit", "-qam", "new photo a")
    (b / f"documents/{lid}/roof.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x02\x00" * 20)
    git(b, "commit", "-qam", "new photo b")
    team.run(team.a, "sync")
    r = team.res(b, "sync")
    assert r.exit_code == 0, r.stderr
    assert "kept both versions of documents/" in r.stderr
    files = sorted(p.name for p in (b / "documents" / lid).iterdir())
    assert files[0] == "roof.png" and files[1].startswith("roof.png.theirs-") and len(files) == 2
    assert (b / f"documents/{lid}/roof.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n\x02")
    theirs = b / "documents" / lid / files[1]
    assert theirs.read_bytes().startswith(b"\x89PNG\r\n\x1a\n\x01")
    docs = load(b, lead_path(lid))["documents"]
    assert [d["name"] for d in docs] == ["roof.png", files[1]]
    assert clean_tree(b)
    # both are consistent with their hashes
    r = team.res(b, "check")
    assert "document" not in r.stdout, r.stdout


def test_older_repository_gets_the_driver_registered(team):
    # an older repository: no .gitattributes lines, no driver in .git/config
    (team.a / ".gitattributes").write_text("*.pdf binary\n")
    git(team.a, "commit", "-qam", "old attributes")
    git(team.a, "config", "--unset", "merge.solar.driver")
    r = team.res(team.a, "sync")
    assert r.exit_code == 0, r.stderr
    assert "registered the solar merge driver" in r.stderr
    text = (team.a / ".gitattributes").read_text()
    assert text.startswith("*.pdf binary\n") and "contacts/**/*.yaml merge=solar" in text
    assert git(team.a, "log", "-1", "--format=%s", "--", ".gitattributes").startswith("sync: route record files")
    assert clean_tree(team.a)
    assert git(team.remote, "rev-parse", "main") == git(team.a, "rev-parse", "HEAD")


def test_ensure_merge_driver_is_cheap_and_idempotent(team):
    from solarcli.sync.setup import ensure_merge_driver

    b = team.clone("b", sync=False)
    assert ensure_merge_driver(b) is True
    assert "merge-driver" in git(b, "config", "--get", "merge.solar.driver")
    assert ensure_merge_driver(b) is False
    # a clone also gets git's split index (a commit rewrites a small file, not the whole index)
    assert git(b, "config", "--get", "core.splitIndex").strip() == "true"


def test_a_users_own_split_index_setting_is_kept(team):
    from solarcli.sync.setup import ensure_merge_driver

    b = team.clone("b", sync=False)
    git(b, "config", "core.splitIndex", "false")
    ensure_merge_driver(b)
    assert git(b, "config", "--get", "core.splitIndex").strip() == "false"


def test_a_global_split_index_setting_is_kept(tmp_path, ok, monkeypatch):
    cfg = tmp_path / "global.gitconfig"
    cfg.write_text("[user]\n\tname = G\n\temail = g@example.org\n[core]\n\tsplitIndex = false\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(cfg))
    root = tmp_path / "r"
    ok("init", root)
    assert git(root, "config", "--local", "--get-all", "core.splitIndex", check=False).strip() == ""


def test_unrelated_repository_is_refused_with_a_hint(team, ok, fail, tmp_path):
    other = tmp_path / "other"
    ok("init", other)
    git(other, "remote", "add", "origin", str(team.remote))
    head = git(other, "rev-parse", "HEAD")
    r = fail(7, "--repo", other, "sync")
    assert "unrelated histories" in r.stderr and "clone the shared repository" in r.stderr
    assert git(other, "rev-parse", "HEAD") == head and clean_tree(other)


def test_similar_record_replacing_a_deleted_one_is_not_a_rename(team):
    lid = team.out(team.a, "lead", "add", "--title", "Roof with a long identical title", "--city", "Berlin",
                   "--street", "Main street 1", "--postcode", "10115", "--annual-kwh", "4500")
    team.run(team.a, "sync")
    b = team.clone("b")
    # a: the lead is removed and re-entered (a new ID, nearly the same file)
    team.run(team.a, "lead", "rm", lid)
    new = team.out(team.a, "lead", "add", "--title", "Roof with a long identical title", "--city", "Berlin",
                   "--street", "Main street 1", "--postcode", "10115", "--annual-kwh", "4500")
    # b: edits the old one
    team.run(b, "lead", "set", lid, "source=referral")
    team.run(team.a, "sync")
    team.run(b, "sync")
    assert load(b, lead_path(new)).get("source") == "manual"  # b's edit did not move into the new lead
    assert load(b, lead_path(lid))["source"] == "referral"     # the edited one is kept (deleted vs edited)


def test_init_registers_the_driver_in_its_first_commit(tmp_path, ok):
    root = tmp_path / "fresh"
    ok("init", root)
    assert sys.executable in git(root, "config", "--get", "merge.solar.driver")
    assert "leads/**/*.yaml merge=solar" in git(root, "show", "HEAD:.gitattributes")
    assert git(root, "status", "--porcelain") == ""
    assert git(root, "check-attr", "merge", "--", "leads/x.yaml").strip().endswith("merge: solar")
    assert git(root, "check-attr", "merge", "--", "leads/x/x.yaml").strip().endswith("merge: solar")
    assert git(root, "config", "--get", "core.splitIndex").strip() == "true"


def test_resolving_a_stage_conflict_records_the_stage_change(team):
    lid = team.out(team.a, "lead", "add", "--title", "Roof")
    team.run(team.a, "sync")
    b = team.clone("b")
    team.run(team.a, "lead", "stage", lid, "lost", "--reason", "too expensive")
    team.run(b, "lead", "stage", lid, "qualified")
    _bump_updated(b, lid, "2099-01-01T00:00:00Z")
    team.run(team.a, "sync")
    team.run(b, "sync")
    rec = load(b, lead_path(lid))
    assert rec["stage"] == "qualified"
    assert [h["to"] for h in rec["stage_history"]] == ["new", "qualified", "lost"]  # both transitions kept
    team.run(b, "conflicts", "resolve", lid, "stage", "--lost")
    rec = load(b, lead_path(lid))
    assert rec["stage"] == "lost" and "conflicts" not in rec
    assert rec["stage_history"][-1]["to"] == "lost"
    assert rec["stage_history"][-1]["reason"] == "merge conflict resolved"
