"""solar check: one test per rule, JSON output, and --fix."""
from __future__ import annotations

import json
import sqlite3

import pytest

from .conftest import git, load


def in_shard(path):
    """A record file path whose shard folder (the ID's first character) exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def crm(records, ok):
    """A contact, a lead of it converted to a project."""
    cid = ok("contact", "add", "Ada Lovelace", "--email", "ada@example.com").strip()
    lid = ok("lead", "add", "--title", "Roof", "--contact", cid).strip()
    pid = ok("lead", "convert", lid).strip()
    return {"root": records, "contact": cid, "lead": lid, "project": pid}


def problems(cli, *extra):
    r = cli("check", "--format", "json", *extra)
    return r, json.loads(r.stdout)


def rules(found):
    return sorted((p["file"], p["field"], p["rule"]) for p in found)


def test_clean_repository_passes(crm, cli):
    r = cli("check")
    assert r.exit_code == 0, r.stdout + r.stderr
    assert r.stdout == ""
    assert "ok: no problems found" in r.stderr
    r, found = problems(cli)
    assert r.exit_code == 0 and found == []


def test_parse_error_and_conflict_markers_reported_never_skipped(crm, cli):
    root = crm["root"]
    in_shard(root / "leads" / "0" / "0000000001.yaml").write_text("id: 0000000001\ntitle: [unclosed\n")
    in_shard(root / "contacts" / "0" / "0000000002.yaml").write_text(
        "id: 0000000002\n<<<<<<< ours\nname: A\n=======\nname: B\n>>>>>>> theirs\ntype: person\n")
    r, found = problems(cli)
    assert r.exit_code == 8
    assert rules(found) == [("contacts/0/0000000002.yaml", "-", "conflict-markers"),
                            ("leads/0/0000000001.yaml", "-", "parse")]
    r = cli("check")
    lines = r.stdout.splitlines()
    assert len(lines) == 2
    assert lines[1].startswith("leads/0/0000000001.yaml: -: parse: invalid YAML at line")
    assert r.stderr.strip() == "solar: error: 2 problem(s) found"


def test_schema_stage_and_enum(crm, cli):
    root = crm["root"]
    p = root / "leads" / crm['lead'][0] / f"{crm['lead']}.yaml"
    p.write_text(p.read_text().replace("stage: converted", "stage: flying"))
    r, found = problems(cli)
    assert r.exit_code == 8
    assert rules(found) == [(f"leads/{crm['lead'][0]}/{crm['lead']}.yaml", "stage", "schema")]
    assert "flying" in found[0]["message"] and "expected one of new" in found[0]["message"]
    p.write_text(p.read_text().replace("stage: flying", "stage: converted") + "facility: castle\n")
    r, found = problems(cli)
    assert rules(found) == [(f"leads/{crm['lead'][0]}/{crm['lead']}.yaml", "facility", "schema")]


def test_id_mismatch_and_duplicate_ids(crm, cli):
    root = crm["root"]
    src = root / "contacts" / crm['contact'][0] / f"{crm['contact']}.yaml"
    in_shard(root / "contacts" / "0" / "0000000003.yaml").write_text(src.read_text())
    in_shard(root / "projects" / crm['contact'][0] / f"{crm['contact']}.yaml").write_text(
        f"id: {crm['contact']}\nname: X\ntype: basic\nstage: design\n")
    r, found = problems(cli)
    got = rules(found)
    assert ("contacts/0/0000000003.yaml", "id", "id") in got
    assert (f"contacts/{crm['contact'][0]}/{crm['contact']}.yaml", "id", "duplicate-id") in got
    assert (f"projects/{crm['contact'][0]}/{crm['contact']}.yaml", "id", "duplicate-id") in got


def test_links_and_backlinks_with_fix(crm, cli, ok):
    root = crm["root"]
    proj = root / "projects" / crm['project'][0] / f"{crm['project']}.yaml"
    text = proj.read_text()
    proj.write_text("\n".join(ln for ln in text.splitlines() if not ln.startswith("lead:")) + "\n")
    lead2 = ok("lead", "add", "--title", "Other").strip()
    p2 = root / "leads" / lead2[0] / f"{lead2}.yaml"
    p2.write_text(p2.read_text() + "contact: zzzzzzzzzz\n")
    git(root, "commit", "-qam", "break links")
    r, found = problems(cli)
    assert r.exit_code == 8
    assert rules(found) == sorted([(f"leads/{crm['lead'][0]}/{crm['lead']}.yaml", "project", "backlink"),
                                   (f"leads/{lead2[0]}/{lead2}.yaml", "contact", "link")])
    assert [p["fixable"] for p in sorted(found, key=lambda p: p["rule"])] == [True, False]
    r = cli("check", "--fix")
    assert r.exit_code == 8  # the broken link is not safe to repair
    assert f"fixed: projects/{crm['project'][0]}/{crm['project']}.yaml: lead: set to {crm['lead']}" in r.stderr
    assert r.stdout.splitlines() == [f"leads/{lead2[0]}/{lead2}.yaml: contact: link: no contact with ID 'zzzzzzzzzz'"]
    assert load(root, f"projects/{crm['project'][0]}/{crm['project']}.yaml")["lead"] == crm["lead"]
    assert git(root, "log", "-1", "--format=%s").strip() == "check --fix: repair 1 back-link"
    assert git(root, "status", "--porcelain", "--untracked-files=no") == ""


def test_documents_missing_and_hash(crm, cli, ok, tmp_path):
    root = crm["root"]
    f = tmp_path / "offer.pdf"
    f.write_bytes(b"%PDF-1.4 offer")
    ok("doc", "attach", crm["contact"], f)
    g = tmp_path / "site.jpg"
    g.write_bytes(b"\xff\xd8photo")
    ok("doc", "attach", crm["contact"], g)
    (root / "documents" / crm["contact"] / "offer.pdf").write_bytes(b"%PDF-1.4 tampered")
    (root / "documents" / crm["contact"] / "site.jpg").unlink()
    r, found = problems(cli)
    assert rules(found) == [(f"contacts/{crm['contact'][0]}/{crm['contact']}.yaml", "documents[offer.pdf]", "document"),
                            (f"contacts/{crm['contact'][0]}/{crm['contact']}.yaml", "documents[site.jpg]", "document")]
    assert "sha256 does not match" in found[0]["message"]
    assert "missing" in found[1]["message"]


def test_index_disagreement_is_fixed_by_rebuild(crm, cli, ok):
    root = crm["root"]
    ok("lead", "list")  # the index exists and is fresh
    # a hand edit is not a problem: the index catches up by itself (stat changed)
    p = root / "contacts" / crm['contact'][0] / f"{crm['contact']}.yaml"
    p.write_text(p.read_text().replace("Ada Lovelace", "Ada King"))
    r, found = problems(cli)
    assert found == [], found
    # a stale entry the index cannot notice (file stat unchanged) is
    db = sqlite3.connect(root / ".solar" / "index.sqlite")
    db.execute("UPDATE records SET data='{}' WHERE path=?", (f"leads/{crm['lead'][0]}/{crm['lead']}.yaml",))
    db.commit()
    db.close()
    r, found = problems(cli)
    assert rules(found) == [(f"leads/{crm['lead'][0]}/{crm['lead']}.yaml", "-", "index")]
    assert found[0]["fixable"] is True
    r = cli("check", "--fix")
    assert r.exit_code == 0, r.stdout + r.stderr
    assert "fixed: .solar/index.sqlite: rebuilt from the files" in r.stderr
    r, found = problems(cli)
    assert found == []


def test_unmerged_file_reported(crm, cli, tmp_path):
    root = crm["root"]
    git(root, "checkout", "-q", "-b", "side")
    cfg = root / "solar.yaml"
    cfg.write_text(cfg.read_text().replace("Sunny Roofs GmbH", "Side GmbH", 1))
    git(root, "commit", "-qam", "side")
    git(root, "checkout", "-q", "main")
    cfg.write_text(cfg.read_text().replace("Sunny Roofs GmbH", "Main GmbH", 1))
    git(root, "commit", "-qam", "main")
    git(root, "merge", "side", check=False)
    r = cli("check")
    assert r.exit_code == 8
    assert "solar.yaml: -: conflict-markers: contains git conflict markers" in r.stdout
    assert "solar.yaml: -: unmerged: git merge not finished" in r.stdout


def test_stale_accepted_proposal(crm, cli):
    pytest.importorskip("solarcli.proposals.stale")
    root = crm["root"]
    (root / "proposals").mkdir(exist_ok=True)
    in_shard(root / "proposals" / "0" / "0000000009.yaml").write_text(
        f"id: '0000000009'\nproject: {crm['project']}\nstatus: accepted\n"
        "inputs_hash: 'sha256:0000'\ncreated: '2026-01-01T00:00:00Z'\n")
    r, found = problems(cli)
    stale = [p for p in found if p["rule"] == "stale-proposal"]
    assert [(p["file"], p["field"]) for p in stale] == [("proposals/0/0000000009.yaml", "inputs_hash")]
    assert "accepted, but" in stale[0]["message"]


def test_check_outside_repo(cli, tmp_path):
    r = cli("--repo", tmp_path, "check")
    assert r.exit_code == 3
