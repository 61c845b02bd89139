"""Every change is one commit with only the touched paths, authored by the acting user;
concurrent writers never lose a write; a killed transaction is rolled back."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

PYTHON = sys.executable


def git(root, *args, check=True):
    return subprocess.run(["git", *args], cwd=root, check=check, capture_output=True, text=True).stdout


def head(root):
    return git(root, "rev-parse", "HEAD").strip()


def commit_count(root):
    return int(git(root, "rev-list", "--count", "HEAD"))


def files_of(root, rev="HEAD"):
    return sorted(git(root, "show", "--name-only", "--format=", rev).split())


def author(root, rev="HEAD"):
    return git(root, "log", "-1", "--format=%an <%ae>", rev).strip()


def snapshot(root: Path) -> dict:
    """Every file outside .git and .solar, with its bytes."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if rel.parts[0] in (".git", ".solar") or not p.is_file():
            continue
        out[rel.as_posix()] = p.read_bytes()
    return out


def solar_proc(*args, env=None):
    """Run ``python -m solarcli`` in a child process (for kills and concurrency)."""
    return subprocess.run([PYTHON, "-m", "solarcli", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})})


# --------------------------------------------------------------------------- one commit
def test_each_change_is_one_commit_with_only_its_paths(records, ok, gitlog):
    n = commit_count(records)
    c = ok("contact", "add", "Ada Lovelace").strip()
    assert commit_count(records) == n + 1
    assert files_of(records) == [f"contacts/{c[0]}/{c}.yaml"]
    lead = ok("lead", "add", "--title", "Roof", "--contact", c).strip()
    assert files_of(records) == [f"leads/{lead[0]}/{lead}.yaml"]
    ok("lead", "stage", lead, "contacted")
    assert files_of(records) == [f"leads/{lead[0]}/{lead}.yaml"]
    assert gitlog(records)[0] == f"lead {lead[:7]}: stage new -> contacted"
    project = ok("lead", "convert", lead).strip()
    assert files_of(records) == sorted([f"leads/{lead[0]}/{lead}.yaml", f"projects/{project[0]}/{project}.yaml"])
    assert commit_count(records) == n + 4
    assert git(records, "status", "--porcelain") == ""


def test_commit_messages_name_the_record_and_what_happened(records, ok, gitlog):
    c = ok("contact", "add", "Ada Lovelace").strip()
    assert gitlog(records)[0] == f"contact {c[:7]}: add Ada Lovelace"
    lead = ok("lead", "add", "--title", "Roof", "--contact", c).strip()
    assert gitlog(records)[0] == f"lead {lead[:7]}: add Roof"
    ok("lead", "stage", lead, "lost", "--reason", "too expensive")
    assert gitlog(records)[0] == f"lead {lead[:7]}: stage new -> lost (too expensive)"
    ok("lead", "set", lead, "title=Roof 2")
    assert gitlog(records)[0] == f"lead {lead[:7]}: set title"


def test_a_users_staged_file_is_not_committed_and_stays_staged(records, ok):
    (records / "my-notes.txt").write_text("private\n")
    git(records, "add", "my-notes.txt")
    cfg = records / "solar.yaml"
    cfg.write_text(cfg.read_text() + "# my pending change\n")
    git(records, "add", "solar.yaml")
    c = ok("contact", "add", "Ada").strip()
    assert files_of(records) == [f"contacts/{c[0]}/{c}.yaml"]
    assert sorted(git(records, "diff", "--cached", "--name-only").split()) == ["my-notes.txt", "solar.yaml"]
    assert "my pending change" not in git(records, "show", "HEAD:solar.yaml")
    # and an unstaged edit of another record is not committed either
    other = ok("contact", "add", "Bob").strip()
    p = records / "contacts" / other[0] / f"{other}.yaml"
    p.write_text(p.read_text().replace("name: Bob", "name: Bobby"))
    ok("note", "add", c, "hello")
    assert files_of(records) == [f"contacts/{c[0]}/{c}.yaml"]
    assert "name: Bob\n" in git(records, "show", f"HEAD:contacts/{other[0]}/{other}.yaml")
    assert f"contacts/{other[0]}/{other}.yaml" in git(records, "status", "--porcelain")


def test_no_commit_when_nothing_changes(records, ok):
    c = ok("contact", "add", "Ada", "--email", "ada@example.com").strip()
    lead = ok("lead", "add", "--title", "Roof", "--contact", c, "--assignee", "anna").strip()
    act = ok("activity", "add", lead, "--type", "call", "--summary", "ring").strip()
    ok("activity", "done", lead, act)
    before = head(records)
    ok("lead", "set", lead, "title=Roof")
    ok("contact", "set", c, "emails=ada@EXAMPLE.com")  # normalises to the same value
    ok("lead", "assign", lead, "user:anna")
    ok("lead", "stage", lead, "new")
    ok("activity", "done", lead, act)
    assert head(records) == before
    assert git(records, "status", "--porcelain") == ""


def test_failed_change_writes_nothing_and_makes_no_commit(records, ok, fail):
    c = ok("contact", "add", "Ada").strip()
    before, files = head(records), snapshot(records)
    fail(4, "contact", "set", c, "name=Ada B", "emails=not-an-email")  # second assignment is bad
    fail(4, "lead", "add", "--title", "x", "--assignee", "nobody")
    fail(3, "lead", "add", "--title", "x", "--contact", "zzzzzzz")
    assert head(records) == before
    assert snapshot(records) == files
    assert git(records, "status", "--porcelain") == ""


# --------------------------------------------------------------------------- authors
def test_author_is_the_git_identity(records, ok):
    ok("contact", "add", "Ada")
    assert author(records) == "Test User <test@example.com>"


def test_author_from_as_user_of_solar_yaml(records, ok):
    c = ok("--as", "anna", "contact", "add", "Ada").strip()
    assert author(records) == "Anna Schmidt <anna@sunny.example>"
    ok("--as", "anna", "note", "add", c, "called her")
    data = yaml.safe_load((records / "contacts" / c[0] / f"{c}.yaml").read_text())
    assert data["notes"][0]["by"] == "anna"
    ok("note", "add", c, "and again")
    data = yaml.safe_load((records / "contacts" / c[0] / f"{c}.yaml").read_text())
    assert data["notes"][1]["by"] == "test"
    assert author(records) == "Test User <test@example.com>"


def test_as_unknown_user_is_refused(records, ok, fail):
    before = head(records)
    r = fail(4, "--as", "mallory", "contact", "add", "Ada")
    assert "mallory" in r.stderr and "anna" in r.stderr
    assert head(records) == before
    assert list((records / "contacts").rglob("*.yaml")) == []


def test_missing_git_identity_is_exit_7_and_nothing_is_written(records, ok, fail, tmp_path, monkeypatch):
    c = ok("contact", "add", "Ada").strip()
    empty = tmp_path / "empty.gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("EMAIL", "")
    before, files = head(records), snapshot(records)
    r = fail(7, "contact", "add", "Bob")
    assert "identity" in r.stderr and "--as" in r.stderr and "git config" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    fail(7, "note", "add", c, "hello")
    assert head(records) == before and snapshot(records) == files
    assert git(records, "status", "--porcelain") == ""
    # --as names a user of solar.yaml and works without a git identity
    ok("--as", "anna", "note", "add", c, "hello")
    assert author(records) == "Anna Schmidt <anna@sunny.example>"


# --------------------------------------------------------------------------- concurrency
WRITER = textwrap.dedent("""
    import sys
    from solarcli.cli import cli
    tag, lead, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    for i in range(n):
        cli.main(["note", "add", lead, f"{tag} {i}"], prog_name="solar", standalone_mode=False)
        cli.main(["contact", "add", f"{tag} person {i}"], prog_name="solar", standalone_mode=False)
""")


def test_two_concurrent_writers_both_land(records, ok):
    lead = ok("lead", "add", "--title", "Shared").strip()
    base = commit_count(records)
    n = 8
    procs = [subprocess.Popen([PYTHON, "-c", WRITER, tag, lead, str(n)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for tag in ("alpha", "beta")]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    data = yaml.safe_load((records / "leads" / lead[0] / f"{lead}.yaml").read_text())
    texts = sorted(x["text"] for x in data["notes"])
    assert texts == sorted([f"alpha {i}" for i in range(n)] + [f"beta {i}" for i in range(n)])
    names = {yaml.safe_load(p.read_text())["name"] for p in (records / "contacts").rglob("*.yaml")}
    assert names == {f"{t} person {i}" for t in ("alpha", "beta") for i in range(n)}
    assert commit_count(records) == base + 4 * n
    assert git(records, "status", "--porcelain") == ""
    # every commit holds exactly one file: no write was folded into another's commit
    commits = git(records, "log", f"-{4 * n}", "--format=>>%h", "--name-only").split(">>")[1:]
    assert len(commits) == 4 * n
    assert all(len(c.split()) == 2 for c in commits), commits  # sha + one path
    listed = {r for r in ok("contact", "list", "--format", "csv").splitlines()[1:]}
    assert len(listed) == 2 * n


# --------------------------------------------------------------------------- crash recovery
def _world(ok):
    c = ok("contact", "add", "Ada", "--email", "ada@example.com").strip()
    l1 = ok("lead", "add", "--title", "Roof one", "--contact", c).strip()
    l2 = ok("lead", "add", "--title", "Roof two", "--contact", c).strip()
    return c, l1, l2


def test_killed_convert_is_rolled_back_by_the_next_command(records, ok):
    c, l1, l2 = _world(ok)
    before_head, before = head(records), snapshot(records)
    r = solar_proc("lead", "convert", l1, env={"SOLAR_CRASH_AFTER": "1"})
    assert r.returncode == 137, r.stderr
    assert snapshot(records) != before  # the kill left a half-done change behind
    assert (records / ".solar" / "journal").exists()
    # the next command (even a read-only one) restores the previous state
    listed = ok("lead", "list", "--format", "json")
    assert snapshot(records) == before
    assert head(records) == before_head
    assert git(records, "status", "--porcelain") == ""
    assert not (records / ".solar" / "journal").exists()
    assert '"stage": "new"' in listed and "converted" not in listed
    assert ok("project", "list", "--format", "json").strip() == "[]"
    # and the repository keeps working: converting again succeeds normally
    project = ok("lead", "convert", l1).strip()
    assert files_of(records) == sorted([f"leads/{l1[0]}/{l1}.yaml", f"projects/{project[0]}/{project}.yaml"])


def test_killed_rm_force_restores_modified_records(records, ok):
    c, l1, l2 = _world(ok)
    before_head, before = head(records), snapshot(records)
    r = solar_proc("contact", "rm", c, "--force", env={"SOLAR_CRASH_AFTER": "2"})
    assert r.returncode == 137, r.stderr
    # both leads were rewritten without the link, the contact not yet removed
    assert (records / "contacts" / c[0] / f"{c}.yaml").exists()
    assert "contact:" not in (records / "leads" / l1[0] / f"{l1}.yaml").read_text()
    # the next writer rolls back first, then does its own change
    ok("note", "add", l2, "after the crash")
    assert head(records) != before_head
    assert files_of(records) == [f"leads/{l2[0]}/{l2}.yaml"]
    assert git(records, "diff", "--name-only", before_head, "HEAD").split() == [f"leads/{l2[0]}/{l2}.yaml"]
    assert git(records, "status", "--porcelain") == ""
    for rel in (f"contacts/{c[0]}/{c}.yaml", f"leads/{l1[0]}/{l1}.yaml"):
        assert (records / rel).read_bytes() == before[rel]
    assert yaml.safe_load((records / "leads" / l2[0] / f"{l2}.yaml").read_text())["contact"] == c


def test_killed_doc_attach_leaves_no_stray_document(records, ok, tmp_path):
    c, l1, l2 = _world(ok)
    f = tmp_path / "offer.pdf"
    f.write_bytes(b"%PDF-1.4 offer")
    before_head, before = head(records), snapshot(records)
    r = solar_proc("doc", "attach", l1, str(f), env={"SOLAR_CRASH_AFTER": "1"})
    assert r.returncode == 137, r.stderr
    assert (records / "documents" / l1 / "offer.pdf").exists()
    ok("show", l1)
    assert snapshot(records) == before
    assert not (records / "documents" / l1).exists()
    assert head(records) == before_head and git(records, "status", "--porcelain") == ""
    # attaching again works
    ok("doc", "attach", l1, f)
    assert files_of(records) == sorted([f"documents/{l1}/offer.pdf", f"leads/{l1[0]}/{l1}.yaml"])


def test_kill_before_any_write_changes_nothing(records, ok):
    c, l1, l2 = _world(ok)
    before_head, before = head(records), snapshot(records)
    r = solar_proc("lead", "stage", l1, "contacted", env={"SOLAR_CRASH_AFTER": "0"})
    assert r.returncode == 137
    assert snapshot(records) == before
    ok("lead", "stage", l1, "qualified")
    assert git(records, "diff", "--name-only", before_head, "HEAD").split() == [f"leads/{l1[0]}/{l1}.yaml"]
    data = yaml.safe_load((records / "leads" / l1[0] / f"{l1}.yaml").read_text())
    assert [(h["from"], h["to"]) for h in data["stage_history"]] == [(None, "new"), ("new", "qualified")]


# --------------------------------------------------------------------------- more failure modes
def test_git_failure_rolls_the_files_back(records, ok, fail):
    c = ok("contact", "add", "Ada").strip()
    before_head, before = head(records), snapshot(records)
    lock = records / ".git" / "index.lock"
    lock.write_text("")  # someone's git is busy in this repository
    try:
        r = fail(7, "note", "add", c, "while git is busy")
        assert "git" in r.stderr and len(r.stderr.strip().splitlines()) == 1
        fail(7, "contact", "add", "Bob")
    finally:
        lock.unlink()
    assert snapshot(records) == before and head(records) == before_head
    assert git(records, "status", "--porcelain") == ""
    ok("note", "add", c, "after git is done")
    assert files_of(records) == [f"contacts/{c[0]}/{c}.yaml"]


def test_repository_local_git_identity_is_used(records, ok):
    git(records, "config", "user.name", "Local Person")
    git(records, "config", "user.email", "local@example.org")
    ok("contact", "add", "Ada")
    assert author(records) == "Local Person <local@example.org>"


CONVERTER = textwrap.dedent("""
    import sys
    from solarcli.cli import cli
    cli.main(["lead", "convert", sys.argv[1]], prog_name="solar")
""")


def test_two_processes_converting_one_lead_convert_it_once(records, ok):
    c = ok("contact", "add", "Ada").strip()
    lead = ok("lead", "add", "--title", "Roof", "--contact", c).strip()
    procs = [subprocess.Popen([PYTHON, "-c", CONVERTER, lead], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    results = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in procs]
    codes = sorted(r[0] for r in results)
    assert codes == [0, 5], results
    loser = [r for r in results if r[0] == 5][0]
    assert "already converted" in loser[2]
    (pfile,) = list((records / "projects").rglob("*.yaml"))
    winner = [r for r in results if r[0] == 0][0]
    assert winner[1].strip() == pfile.stem
    assert yaml.safe_load((records / "leads" / lead[0] / f"{lead}.yaml").read_text())["project"] == pfile.stem
    assert git(records, "status", "--porcelain") == ""
