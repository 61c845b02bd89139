"""``solar project ...``: add, list, show, set, stage, assign, board, rm."""
from __future__ import annotations

import json
import subprocess

import pytest
import yaml

from solarcli import ids


def git(root, *args):
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


def head(root):
    return git(root, "rev-parse", "HEAD").strip()


def load(root, rid, folder="projects"):
    return yaml.safe_load((root / folder / rid[0] / f"{rid}.yaml").read_text())


def listed(ok, *args):
    return sorted(r["id"] for r in json.loads(ok("project", "list", *args, "--format", "json")))


def test_add_prints_only_the_id_and_stores_fields(records, cli, ok):
    c = ok("contact", "add", "Ada").strip()
    r = cli("project", "add", "Ada – Berlin", "--contact", c[:5], "--type", "professional", "--city", "Berlin",
            "--lat", "52.5", "--lon", "13.4", "--facility", "commercial", "--grid", "zero-injection",
            "--interest", "battery", "--tag", "q3", "--assignee", "team:sales", "--custom", "roof=flat")
    assert r.exit_code == 0, r.stderr
    pid = r.stdout.strip()
    assert r.stdout == pid + "\n" and ids.is_id(pid)
    p = load(records, pid)
    assert p["name"] == "Ada – Berlin" and p["contact"] == c and p["type"] == "professional"
    assert p["stage"] == "design" and p["assignee"] == "team:sales"
    assert p["site"] == {"address": {"city": "Berlin", "country": "DE"}, "lat": 52.5, "lon": 13.4}
    assert (p["facility"], p["grid"], p["interests"], p["tags"]) == ("commercial", "zero-injection", ["battery"], ["q3"])
    assert p["custom"] == {"roof": "flat"}
    assert [(h["from"], h["to"], h["by"]) for h in p["stage_history"]] == [(None, "design", "test")]


def test_add_errors(records, ok, fail):
    c = ok("contact", "add", "Ada").strip()
    before = head(records)
    r = fail(2, "project", "add", "No customer")
    assert "--contact" in r.stderr
    fail(3, "project", "add", "Ghost", "--contact", "zzzzzz")
    r = fail(4, "project", "add", "Bad stage", "--contact", c, "--stage", "qualified")
    assert "qualified" in r.stderr and "design" in r.stderr
    fail(4, "project", "add", "Bad who", "--contact", c, "--assignee", "team:nobody")
    fail(2, "project", "add", "Bad type", "--contact", c, "--type", "deluxe")
    lead = ok("lead", "add", "--title", "x").strip()
    fail(3, "project", "add", "Lead is no contact", "--contact", lead)
    assert list((records / "projects").rglob("*.yaml")) == []
    assert git(records, "rev-list", "--count", f"{before}..HEAD").strip() == "1"  # only the lead


@pytest.fixture
def projects(records, ok):
    c1 = ok("contact", "add", "Ada").strip()
    c2 = ok("contact", "add", "Bob").strip()
    a = ok("project", "add", "Alpha", "--contact", c1, "--facility", "residential", "--grid", "on-grid",
           "--assignee", "anna", "--tag", "q3").strip()
    b = ok("project", "add", "Beta", "--contact", c2, "--type", "professional", "--facility", "industrial",
           "--grid", "off-grid", "--assignee", "partner:sunpartner").strip()
    ok("project", "stage", b, "proposal")
    return {"a": a, "b": b, "c1": c1, "c2": c2}


def test_list_filters(projects, ok, fail):
    p = projects
    assert listed(ok) == sorted([p["a"], p["b"]])
    assert listed(ok, "--stage", "proposal") == [p["b"]]
    assert listed(ok, "--type", "professional") == [p["b"]]
    assert listed(ok, "--type", "basic") == [p["a"]]
    assert listed(ok, "--assignee", "partner:sunpartner") == [p["b"]]
    assert listed(ok, "--facility", "residential") == [p["a"]]
    assert listed(ok, "--grid", "off-grid") == [p["b"]]
    assert listed(ok, "--tag", "q3") == [p["a"]]
    assert listed(ok, "--contact", p["c2"]) == [p["b"]]
    assert listed(ok, "--search", "beta") == [p["b"]]
    rows = json.loads(ok("project", "list", "--sort", "-name", "--columns", "name,contact_name,type", "--format",
                         "json"))
    assert rows == [{"name": "Beta", "contact_name": "Bob", "type": "professional"},
                    {"name": "Alpha", "contact_name": "Ada", "type": "basic"}]
    fail(4, "project", "list", "--stage", "new")  # a lead stage, not a project stage
    fail(2, "project", "list", "--source", "x")  # projects have no source filter


def test_stage_and_assign(projects, records, ok, fail, gitlog):
    a = projects["a"]
    ok("project", "stage", a, "proposal")
    ok("project", "stage", a, "won")
    ok("project", "stage", a, "installation")
    assert [(h["from"], h["to"]) for h in load(records, a)["stage_history"]][1:] == \
        [("design", "proposal"), ("proposal", "won"), ("won", "installation")]
    fail(4, "project", "stage", a, "lost")
    r = fail(4, "project", "stage", a, "converted")
    assert "design, proposal, negotiation, won, lost" in r.stderr
    ok("project", "stage", a, "lost", "--reason", "roof too weak")
    assert load(records, a)["stage_history"][-1]["reason"] == "roof too weak"
    ok("project", "assign", a, "team:sales")
    assert load(records, a)["assignee"] == "team:sales"
    assert gitlog(records)[0] == f"project {a[:7]}: assign user:anna -> team:sales"
    fail(4, "project", "assign", a, "partner:oldpartner")
    fail(4, "project", "assign", a, "user:ghost")


def test_set_fields(projects, records, ok, fail):
    a = projects["a"]
    ok("project", "set", a, "name=Alpha 2", "type=professional", "site.address.street=Ring 1", "value=99000",
       "interests=ev-charger", f"contact={projects['c2']}")
    p = load(records, a)
    assert (p["name"], p["type"], p["value"], p["interests"], p["contact"]) == \
        ("Alpha 2", "professional", 99000, ["ev-charger"], projects["c2"])
    assert p["site"]["address"]["street"] == "Ring 1"
    for bad in ("stage=won", "lead=abcdefghjk", "name=", "type=deluxe", "source=x"):
        fail(4, "project", "set", a, bad)


def test_show_and_board(projects, ok):
    p = projects
    out = ok("project", "show", p["b"])
    assert out.splitlines()[0] == f"project {p['b']}  Beta"
    assert "design -> proposal" in out
    data = json.loads(ok("project", "show", p["b"], "--format", "json"))
    assert data["stage"] == "proposal" and data["contact"] == p["c2"] and data["proposals"] == []
    board = ok("project", "board")
    first = board.splitlines()[0]
    assert "design (1)" in first and "proposal (1)" in first and "negotiation (0)" in first
    assert "lost" not in first and "commissioned" not in first  # terminal stages hidden by default
    data = json.loads(ok("project", "board", "--all-stages", "--format", "json"))
    assert list(data) == ["design", "proposal", "negotiation", "won", "lost", "permitting", "installation",
                          "commissioned"]
    assert [c["id"] for c in data["proposal"]] == [p["b"]]


def test_rm_project_refused_while_a_lead_links_it(records, ok, fail):
    c = ok("contact", "add", "Ada").strip()
    lead = ok("lead", "add", "--title", "Roof", "--contact", c).strip()
    project = ok("lead", "convert", lead).strip()
    r = fail(5, "project", "rm", project)
    assert f"lead {lead[:7]}" in r.stderr
    ok("project", "rm", project, "--force")
    assert not (records / "projects" / project[0] / f"{project}.yaml").exists()
    assert "project" not in load(records, lead, "leads")
    assert git(records, "status", "--porcelain") == ""
