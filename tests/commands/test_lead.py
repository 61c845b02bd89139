"""``solar lead ...``: add, list (every filter), show, set, stage, assign, convert, board, rm."""
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


def load(root, rid, folder="leads"):
    return yaml.safe_load((root / folder / rid[0] / f"{rid}.yaml").read_text())


def listed(ok, *args, kind="lead"):
    return sorted(r["id"] for r in json.loads(ok(kind, "list", *args, "--format", "json")))


# ------------------------------------------------------------------------ add
def test_add_prints_only_the_id(records, cli):
    r = cli("lead", "add", "--title", "PV + battery, family home")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.endswith("\n") and r.stdout.count("\n") == 1 and ids.is_id(r.stdout.strip())


def test_add_stores_every_field(records, ok):
    c = ok("contact", "add", "Ada").strip()
    lead = ok("lead", "add", "--title", "Roof", "--contact", c[:6], "--source", "web form", "--assignee", "team:sales",
              "--street", "Hauptstr. 1", "--postcode", "10115", "--city", "Berlin", "--lat", "52.5", "--lon", "13.4",
              "--facility", "residential", "--grid", "zero-injection", "--annual-kwh", "4500", "--profile",
              "family-day", "--interest", "battery", "--interest", "ev-charger", "--value", "18000", "--tag", "hot",
              "--custom", "roof=south").strip()
    d = load(records, lead)
    assert d["title"] == "Roof" and d["contact"] == c and d["source"] == "web form"
    assert d["stage"] == "new" and d["assignee"] == "team:sales"
    assert d["site"] == {"address": {"street": "Hauptstr. 1", "postcode": "10115", "city": "Berlin", "country": "DE"},
                         "lat": 52.5, "lon": 13.4}
    assert d["facility"] == "residential" and d["grid"] == "zero-injection"
    assert d["consumption"] == {"annual_kwh": 4500, "profile": "family-day"}
    assert d["interests"] == ["battery", "ev-charger"] and d["value"] == 18000
    assert d["tags"] == ["hot"] and d["custom"] == {"roof": "south"}
    (h,) = d["stage_history"]
    assert h["from"] is None and h["to"] == "new" and h["by"] == "test" and h["at"] <= d["created"]


def test_add_prospect_is_normalised(records, ok):
    lead = ok("lead", "add", "--name", "Max Mustermann", "--email", "max@Example.DE", "--phone", "0170 1234567",
              "--company", "Muster KG").strip()
    d = load(records, lead)
    assert d["prospect"] == {"name": "Max Mustermann", "company": "Muster KG", "email": "max@example.de",
                             "phone": "+491701234567"}
    assert d["source"] == "manual"
    assert json.loads(ok("lead", "show", lead, "--format", "json"))["name"] == "Max Mustermann"


def test_add_monthly_consumption(records, ok, fail):
    months = ",".join(str(300 + i) for i in range(12))
    lead = ok("lead", "add", "--title", "x", "--monthly-kwh", months).strip()
    d = load(records, lead)
    assert d["consumption"]["monthly_kwh"] == [300 + i for i in range(12)]
    assert d["consumption"]["annual_kwh"] == sum(300 + i for i in range(12))
    r = fail(4, "lead", "add", "--title", "x", "--monthly-kwh", "1,2,3")
    assert "monthly_kwh" in r.stderr and "12" in r.stderr


def test_add_with_initial_stage(records, ok, fail):
    lead = ok("lead", "add", "--title", "x", "--stage", "qualified").strip()
    assert load(records, lead)["stage"] == "qualified"
    r = fail(4, "lead", "add", "--title", "x", "--stage", "hot")
    assert "'hot'" in r.stderr and "new, contacted, qualified" in r.stderr


def test_add_errors_write_nothing(records, ok, fail):
    before = head(records)
    fail(2, "lead", "add")  # nothing to call it by
    r = fail(4, "lead", "add", "--title", "x", "--email", "max(at)example.de")
    assert "max(at)example.de" in r.stderr and "prospect.email" in r.stderr
    r = fail(4, "lead", "add", "--title", "x", "--assignee", "user:nobody")
    assert "nobody" in r.stderr and "user:anna" in r.stderr
    r = fail(3, "lead", "add", "--title", "x", "--contact", "zzzzzz")
    assert "zzzzzz" in r.stderr
    fail(2, "lead", "add", "--title", "x", "--facility", "castle")
    fail(2, "lead", "add", "--title", "x", "--lat", "91")
    assert head(records) == before and list((records / "leads").rglob("*.yaml")) == []


# ------------------------------------------------------------------------ list
@pytest.fixture
def pipeline(records, ok):
    c1 = ok("contact", "add", "Ada").strip()
    c2 = ok("contact", "add", "Bob").strip()
    a = ok("lead", "add", "--title", "Alpha roof", "--contact", c1, "--source", "referral", "--assignee", "anna",
           "--facility", "residential", "--grid", "on-grid", "--tag", "hot", "--value", "9000").strip()
    b = ok("lead", "add", "--title", "Beta barn", "--contact", c2, "--source", "Web Form", "--assignee", "team:sales",
           "--facility", "agricultural", "--grid", "off-grid", "--tag", "hot", "--tag", "battery",
           "--value", "30000").strip()
    c = ok("lead", "add", "--title", "Gamma hall", "--contact", c1, "--assignee", "partner:sunpartner",
           "--facility", "commercial", "--grid", "on-grid", "--value", "120000").strip()
    ok("lead", "stage", b, "contacted")
    ok("note", "add", c, "wants a carport with a wallbox")
    return {"a": a, "b": b, "c": c, "c1": c1, "c2": c2}


def test_list_filters(pipeline, ok):
    p = pipeline
    assert listed(ok) == sorted([p["a"], p["b"], p["c"]])
    assert listed(ok, "--stage", "contacted") == [p["b"]]
    assert listed(ok, "--stage", "new") == sorted([p["a"], p["c"]])
    assert listed(ok, "--stage", "new", "--stage", "contacted") == sorted([p["a"], p["b"], p["c"]])
    assert listed(ok, "--assignee", "anna") == [p["a"]]
    assert listed(ok, "--assignee", "user:anna") == [p["a"]]
    assert listed(ok, "--assignee", "team:sales") == [p["b"]]
    assert listed(ok, "--assignee", "partner:sunpartner", "--assignee", "anna") == sorted([p["a"], p["c"]])
    assert listed(ok, "--source", "referral") == [p["a"]]
    assert listed(ok, "--source", "web form") == [p["b"]]  # case-insensitive
    assert listed(ok, "--source", "manual") == [p["c"]]
    assert listed(ok, "--facility", "agricultural") == [p["b"]]
    assert listed(ok, "--facility", "residential", "--facility", "commercial") == sorted([p["a"], p["c"]])
    assert listed(ok, "--grid", "on-grid") == sorted([p["a"], p["c"]])
    assert listed(ok, "--grid", "off-grid") == [p["b"]]
    assert listed(ok, "--tag", "hot") == sorted([p["a"], p["b"]])
    assert listed(ok, "--tag", "hot", "--tag", "battery") == [p["b"]]
    assert listed(ok, "--search", "BARN") == [p["b"]]
    assert listed(ok, "--search", "wallbox") == [p["c"]]  # notes are searched too
    assert listed(ok, "--search", "roof alpha") == [p["a"]]
    assert listed(ok, "--contact", p["c1"]) == sorted([p["a"], p["c"]])
    assert listed(ok, "--contact", p["c2"][:6]) == [p["b"]]
    assert listed(ok, "--stage", "new", "--grid", "on-grid", "--tag", "hot") == [p["a"]]
    assert listed(ok, "--stage", "lost") == []


def test_list_filter_errors(pipeline, fail):
    r = fail(4, "lead", "list", "--stage", "hot")
    assert "hot" in r.stderr and "qualified" in r.stderr
    r = fail(4, "lead", "list", "--assignee", "nobody")
    assert "nobody" in r.stderr
    fail(3, "lead", "list", "--contact", "zzzzzz")
    fail(2, "lead", "list", "--grid", "island")
    fail(4, "lead", "list", "--until", "2025-13-01")


def test_list_since_until(pipeline, records, ok):
    p = pipeline
    for key, day in (("a", "2025-01-10"), ("b", "2025-03-05"), ("c", "2025-06-30")):
        path = records / "leads" / p[key][0] / f"{p[key]}.yaml"
        created = load(records, p[key])["created"]
        path.write_text(path.read_text().replace(f"created: '{created}'", f"created: '{day}T23:59:59Z'"))
    git(records, "commit", "-qam", "backdate")
    assert listed(ok, "--since", "2025-03-05") == sorted([p["b"], p["c"]])
    assert listed(ok, "--until", "2025-03-05") == sorted([p["a"], p["b"]])
    assert listed(ok, "--since", "2025-01-11", "--until", "2025-06-29") == [p["b"]]


def test_list_sort_limit_columns_formats(pipeline, ok):
    p = pipeline
    by_value = [r["id"] for r in json.loads(ok("lead", "list", "--sort", "value", "--format", "json"))]
    assert by_value == [p["a"], p["b"], p["c"]]
    by_value_desc = [r["id"] for r in json.loads(ok("lead", "list", "--sort", "-value", "--format", "json"))]
    assert by_value_desc == [p["c"], p["b"], p["a"]]
    top = json.loads(ok("lead", "list", "--sort", "-value", "--limit", "2", "--format", "json"))
    assert [r["id"] for r in top] == [p["c"], p["b"]]
    rows = json.loads(ok("lead", "list", "--sort", "name", "--columns", "name,stage,contact_name", "--format", "json"))
    assert rows == [{"name": "Alpha roof", "stage": "new", "contact_name": "Ada"},
                    {"name": "Beta barn", "stage": "contacted", "contact_name": "Bob"},
                    {"name": "Gamma hall", "stage": "new", "contact_name": "Ada"}]
    table = ok("lead", "list", "--sort", "name")
    lines = table.splitlines()
    assert lines[0].split()[:4] == ["id", "name", "contact_name", "stage"]
    assert lines[2].startswith(p["a"][:7]) and "Alpha roof" in lines[2] and "Ada" in lines[2]
    csv_lines = ok("lead", "list", "--sort", "name", "--columns", "id,stage", "--format", "csv").splitlines()
    assert csv_lines == ["id,stage", f"{p['a']},new", f"{p['b']},contacted", f"{p['c']},new"]
    as_yaml = yaml.safe_load(ok("lead", "list", "--stage", "contacted", "--format", "yaml"))
    assert [r["id"] for r in as_yaml] == [p["b"]] and as_yaml[0]["contact"] == p["c2"]


# ------------------------------------------------------------------------ show
def test_show_has_fields_and_timeline(pipeline, ok):
    b = pipeline["b"]
    out = ok("lead", "show", b)
    lines = out.splitlines()
    assert lines[0] == f"lead {b}  Beta barn"
    assert any(ln.split() == ["stage", "contacted"] for ln in lines)
    assert "timeline:" in lines
    tl = lines[lines.index("timeline:") + 1:]
    assert "- -> new" in tl[0] and "new -> contacted" in tl[1]
    data = json.loads(ok("lead", "show", b, "--format", "json"))
    assert [(e["what"], e["text"]) for e in data["timeline"]] == [("stage", "- -> new"), ("stage", "new -> contacted")]


# ------------------------------------------------------------------------ set
def test_set_dotted_lists_custom_and_links(records, ok):
    c1 = ok("contact", "add", "Ada").strip()
    c2 = ok("contact", "add", "Bob").strip()
    lead = ok("lead", "add", "--title", "Roof", "--contact", c1).strip()
    ok("lead", "set", lead, "site.address.city=Potsdam", "site.lat=52.4", "interests=battery,heat-pump",
       "consumption.monthly_kwh=" + ",".join(["250"] * 12), "consumption.profile=night-time", "value=12_500",
       "prospect.phone=+44 20 7946 0958", "prospect.email=x@Y.org", "custom.roof_age=12", f"contact={c2[:5]}",
       "assignee=anna", "facility=industrial", "grid=off-grid", "source=event", "tags=a,b")
    d = load(records, lead)
    assert d["site"] == {"address": {"city": "Potsdam"}, "lat": 52.4}
    assert d["interests"] == ["battery", "heat-pump"]
    assert d["consumption"] == {"monthly_kwh": [250] * 12, "profile": "night-time"}
    assert d["value"] == 12500 and d["contact"] == c2 and d["assignee"] == "user:anna"
    assert d["prospect"] == {"phone": "+442079460958", "email": "x@y.org"}
    assert d["custom"] == {"roof_age": "12"} and d["tags"] == ["a", "b"]
    assert (d["facility"], d["grid"], d["source"]) == ("industrial", "off-grid", "event")
    ok("lead", "set", lead, "interests=", "assignee=", "site.lat=")
    d = load(records, lead)
    assert "interests" not in d and "assignee" not in d and "lat" not in d["site"]


@pytest.mark.parametrize("assignment,code,words", [
    ("stage=won", 4, ["stage", "solar lead stage"]),
    ("stage_history=x", 4, ["stage_history"]),
    ("project=abcdefghjk", 4, ["project", "solar lead convert"]),
    ("colour=red", 4, ["colour", "unknown field"]),
    ("interests=pool", 4, ["pool", "battery, heat-pump, ev-charger"]),
    ("value=lots", 4, ["lots", "number"]),
    ("value=-5", 4, ["value", "-5"]),
    ("site.lat=123", 4, ["site.lat", "90"]),
    ("consumption.monthly_kwh=1,2", 4, ["monthly_kwh"]),
    ("prospect.email=nope", 4, ["nope", "prospect.email"]),
    ("prospect.phone=abc", 4, ["abc", "prospect.phone"]),
    ("assignee=partner:oldpartner", 4, ["oldpartner", "suspended"]),
    ("assignee=zoe", 4, ["zoe"]),
    ("facility=castle", 4, ["castle", "residential"]),
    ("contact=zzzzzz", 3, ["zzzzzz"]),
])
def test_set_refuses_bad_values(records, ok, fail, assignment, code, words):
    lead = ok("lead", "add", "--title", "Roof").strip()
    before, text = head(records), (records / "leads" / lead[0] / f"{lead}.yaml").read_bytes()
    r = fail(code, "lead", "set", lead, assignment)
    for w in words:
        assert w in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert head(records) == before and (records / "leads" / lead[0] / f"{lead}.yaml").read_bytes() == text


# ------------------------------------------------------------------------ stage
def test_stage_changes_are_recorded_with_who_when_from_to_reason(records, ok, gitlog):
    lead = ok("lead", "add", "--title", "Roof").strip()
    ok("lead", "stage", lead, "contacted")
    ok("--as", "anna", "lead", "stage", lead, "qualified", "--reason", "budget confirmed")
    ok("lead", "stage", lead, "lost", "--reason", "went with a competitor")
    d = load(records, lead)
    hist = d["stage_history"]
    assert [(h["from"], h["to"]) for h in hist] == [(None, "new"), ("new", "contacted"), ("contacted", "qualified"),
                                                    ("qualified", "lost")]
    assert [h["by"] for h in hist] == ["test", "test", "anna", "test"]
    assert hist[2]["reason"] == "budget confirmed" and hist[3]["reason"] == "went with a competitor"
    assert "reason" not in hist[1]
    assert all(h["at"] <= d["updated"] for h in hist) and hist[0]["at"] <= hist[3]["at"]
    assert d["stage"] == "lost"
    assert gitlog(records)[0] == f"lead {lead[:7]}: stage qualified -> lost (went with a competitor)"
    ok("lead", "stage", lead, "contacted")  # reopening is allowed
    assert load(records, lead)["stage"] == "contacted"


def test_stage_errors(records, ok, fail):
    lead = ok("lead", "add", "--title", "Roof").strip()
    before = head(records)
    r = fail(4, "lead", "stage", lead, "won")
    assert "'won'" in r.stderr and "new, contacted, qualified, converted, lost" in r.stderr
    r = fail(4, "lead", "stage", lead, "lost")
    assert "reason" in r.stderr and "--reason" in r.stderr
    fail(4, "lead", "stage", lead, "lost", "--reason", "   ")
    r = fail(4, "lead", "stage", lead, "converted")
    assert "solar lead convert" in r.stderr
    fail(3, "lead", "stage", "zzzzzz", "contacted")
    assert head(records) == before and load(records, lead)["stage"] == "new"


def test_stages_come_from_solar_yaml(records, ok, fail):
    cfg = records / "solar.yaml"
    cfg.write_text(cfg.read_text().replace("stages: [new, contacted, qualified, converted, lost]",
                                           "stages: [new, contacted, site-visit, qualified, converted, lost]"))
    git(records, "commit", "-qam", "custom pipeline")
    lead = ok("lead", "add", "--title", "Roof").strip()
    ok("lead", "stage", lead, "site-visit")
    assert load(records, lead)["stage"] == "site-visit"
    assert "site-visit (1)" in ok("lead", "board")


# ------------------------------------------------------------------------ assign
def test_assign_users_teams_partners(records, ok, gitlog):
    lead = ok("lead", "add", "--title", "Roof").strip()
    for who, stored in (("user:anna", "user:anna"), ("anna", "user:anna"), ("Anna Schmidt", "user:anna"),
                        ("team:sales", "team:sales"), ("partner:sunpartner", "partner:sunpartner"),
                        ("test", "user:test")):
        ok("lead", "assign", lead, who)
        assert load(records, lead)["assignee"] == stored
    assert gitlog(records)[0] == f"lead {lead[:7]}: assign partner:sunpartner -> user:test"


def test_assign_unknown_or_suspended_is_refused(records, ok, fail):
    cfg = records / "solar.yaml"
    cfg.write_text(cfg.read_text().replace("teams:\n", "  - id: olga\n    name: Olga\n    active: false\nteams:\n", 1)
                   .replace("  - name: sales\n    active: true\n",
                            "  - name: sales\n    active: true\n  - name: service\n    active: false\n"))
    git(records, "commit", "-qam", "suspended people")
    lead = ok("lead", "add", "--title", "Roof", "--assignee", "anna").strip()
    before = head(records)
    for who, words in (("user:zoe", ["zoe", "user:anna"]), ("team:marketing", ["marketing"]),
                       ("partner:nobody", ["nobody"]), ("olga", ["olga", "suspended"]),
                       ("team:service", ["service", "suspended"]), ("partner:oldpartner", ["oldpartner", "suspended"]),
                       ("group:x", ["group"])):
        r = fail(4, "lead", "assign", lead, who)
        for w in words:
            assert w in r.stderr, (who, r.stderr)
    assert head(records) == before and load(records, lead)["assignee"] == "user:anna"


# ------------------------------------------------------------------------ convert
def test_convert_copies_fields_and_links_both_ways(records, ok, cli, gitlog):
    c = ok("contact", "add", "Ada", "--email", "ada@example.com").strip()
    lead = ok("lead", "add", "--title", "Roof and battery", "--contact", c, "--city", "Berlin", "--street", "Am Hang 3",
              "--lat", "52.5", "--lon", "13.4", "--facility", "residential", "--grid", "on-grid",
              "--annual-kwh", "4200", "--profile", "family-day", "--interest", "battery", "--assignee", "team:sales",
              "--value", "15000", "--tag", "hot").strip()
    ok("note", "add", lead, "prefers a black module")
    r = cli("lead", "convert", lead)
    assert r.exit_code == 0, r.stderr
    project = r.stdout.strip()
    assert r.stdout == project + "\n" and ids.is_id(project)
    p = load(records, project, "projects")
    d = load(records, lead)
    assert p["name"] == "Roof and battery" and p["type"] == "basic" and p["stage"] == "design"
    assert p["contact"] == c and p["lead"] == lead
    for k in ("site", "facility", "grid", "consumption", "interests", "assignee", "value", "tags"):
        assert p[k] == d[k], k
    assert d["stage"] == "converted" and d["project"] == project
    last = d["stage_history"][-1]
    assert (last["from"], last["to"], last["by"]) == ("new", "converted", "test") and project in last["reason"]
    assert gitlog(records)[0].startswith(f"lead {lead[:7]}: convert to project {project[:7]}")
    assert len(list((records / "contacts").rglob("*.yaml"))) == 1  # no new contact
    shown = json.loads(ok("contact", "show", c, "--format", "json"))
    assert shown["projects"] == [project]
    # the lead's notes stay on the lead and show on the project's timeline
    ptl = json.loads(ok("project", "show", project, "--format", "json"))["timeline"]
    assert any(e["what"] == "note" and e["text"] == "prefers a black module" and e["from"] == f"lead {lead[:7]}"
               for e in ptl)


def test_convert_with_name_and_type(records, ok):
    c = ok("contact", "add", "Ada").strip()
    lead = ok("lead", "add", "--title", "Roof", "--contact", c).strip()
    project = ok("lead", "convert", lead, "--name", "Ada – Berlin", "--type", "professional").strip()
    p = load(records, project, "projects")
    assert p["name"] == "Ada – Berlin" and p["type"] == "professional"


def test_convert_matches_an_existing_contact_by_email(records, ok):
    c = ok("contact", "add", "Ada Lovelace", "--email", "other@example.org", "--email", "ada@example.com").strip()
    lead = ok("lead", "add", "--name", "A. Lovelace", "--email", "ada@EXAMPLE.com").strip()
    project = ok("lead", "convert", lead).strip()
    assert load(records, project, "projects")["contact"] == c
    assert load(records, lead)["contact"] == c
    assert len(list((records / "contacts").rglob("*.yaml"))) == 1


def test_convert_matches_an_existing_contact_by_phone(records, ok):
    c = ok("contact", "add", "Ada Lovelace", "--phone", "+49 30 1234567").strip()
    lead = ok("lead", "add", "--name", "Ada", "--phone", "030 1234567").strip()
    project = ok("lead", "convert", lead).strip()
    assert load(records, project, "projects")["contact"] == c


def test_convert_creates_the_contact_from_the_prospect(records, ok, gitlog):
    lead = ok("lead", "add", "--name", "Max Mustermann", "--company", "Muster KG", "--email", "max@example.de",
              "--phone", "0170 1234567", "--city", "Köln").strip()
    n = len(gitlog(records))
    project = ok("lead", "convert", lead).strip()
    (cfile,) = list((records / "contacts").rglob("*.yaml"))
    contact = yaml.safe_load(cfile.read_text())
    assert contact["name"] == "Max Mustermann" and contact["company"] == "Muster KG"
    assert contact["emails"] == ["max@example.de"] and contact["phones"] == ["+491701234567"]
    assert contact["address"]["city"] == "Köln"
    assert load(records, lead)["contact"] == contact["id"]
    p = load(records, project, "projects")
    assert p["contact"] == contact["id"] and p["name"] == "Max Mustermann – Köln"
    assert len(gitlog(records)) == n + 1  # contact, project and lead in one commit
    assert len(git(records, "show", "--name-only", "--format=", "HEAD").split()) == 3


def test_second_conversion_is_refused(records, ok, fail, gitlog):
    c = ok("contact", "add", "Ada").strip()
    lead = ok("lead", "add", "--title", "Roof", "--contact", c).strip()
    project = ok("lead", "convert", lead).strip()
    before = head(records)
    r = fail(5, "lead", "convert", lead)
    assert "already converted" in r.stderr and project in r.stderr
    assert r.stdout == ""
    r = fail(5, "lead", "stage", lead, "qualified")
    assert "converted" in r.stderr
    assert head(records) == before
    assert len(list((records / "projects").rglob("*.yaml"))) == 1


def test_lost_lead_and_lead_without_contact_details_are_refused(records, ok, fail):
    lead = ok("lead", "add", "--title", "Roof", "--name", "Ada").strip()
    ok("lead", "stage", lead, "lost", "--reason", "no budget")
    before = head(records)
    r = fail(5, "lead", "convert", lead)
    assert "lost" in r.stderr and "solar lead stage" in r.stderr
    bare = ok("lead", "add", "--title", "Mystery roof").strip()
    before = head(records)
    r = fail(4, "lead", "convert", bare)
    assert "contact" in r.stderr
    assert head(records) == before
    assert list((records / "projects").rglob("*.yaml")) == [] and list((records / "contacts").rglob("*.yaml")) == []


# ------------------------------------------------------------------------ board
def test_board_has_one_column_per_stage(pipeline, ok):
    p = pipeline
    out = ok("lead", "board")
    header = out.splitlines()[0].split("  ")
    header = [h.strip() for h in header if h.strip()]
    assert header == ["new (2)", "contacted (1)", "qualified (0)"]
    assert p["a"][:7] in out and p["b"][:7] in out and p["c"][:7] in out
    body = out.splitlines()[2:]
    col_contacted = out.splitlines()[0].index("contacted")
    assert any(ln[col_contacted:].startswith(p["b"][:7]) for ln in body)
    ok("lead", "stage", p["a"], "lost", "--reason", "x")
    assert "lost" not in ok("lead", "board")
    full = ok("lead", "board", "--all-stages")
    assert "converted (0)" in full and "lost (1)" in full
    data = json.loads(ok("lead", "board", "--all-stages", "--format", "json"))
    assert list(data) == ["new", "contacted", "qualified", "converted", "lost"]
    assert [c["id"] for c in data["new"]] == [p["c"]]
    assert [c["id"] for c in data["lost"]] == [p["a"]]
    assert data["contacted"][0]["name"] == "Beta barn" and data["contacted"][0]["contact_name"] == "Bob"
    only = json.loads(ok("lead", "board", "--stage", "contacted", "--format", "json"))
    assert list(only) == ["contacted"]
    filtered = json.loads(ok("lead", "board", "--assignee", "team:sales", "--format", "json"))
    assert sum(len(v) for v in filtered.values()) == 1


def test_board_limits_cards_per_stage(records, ok):
    for i in range(4):
        ok("lead", "add", "--title", f"Lead {i}")
    out = ok("lead", "board", "--per-stage", "2")
    assert "new (4)" in out and "2 more" in out


# ------------------------------------------------------------------------ rm
def test_rm_converted_lead_refused_while_project_links_it(records, ok, fail):
    c = ok("contact", "add", "Ada").strip()
    lead = ok("lead", "add", "--title", "Roof", "--contact", c).strip()
    project = ok("lead", "convert", lead).strip()
    r = fail(5, "lead", "rm", lead)
    assert f"project {project[:7]}" in r.stderr
    ok("lead", "rm", lead, "--force")
    assert not (records / "leads" / lead[0] / f"{lead}.yaml").exists()
    assert "lead" not in load(records, project, "projects")


# ------------------------------------------------------------------------ edit, dangling links, odd text
EDITOR = r'''
import pathlib, sys
p = pathlib.Path(sys.argv[1])
p.write_text(p.read_text().replace("stage: new", "stage: won"))
'''


def test_edit_refuses_a_stage_outside_the_pipeline(records, ok, cli, tmp_path, monkeypatch):
    import sys as _sys

    lead = ok("lead", "add", "--title", "Roof").strip()
    script = tmp_path / "ed.py"
    script.write_text(EDITOR)
    monkeypatch.setenv("EDITOR", f"{_sys.executable} {script}")
    path = records / "leads" / lead[0] / f"{lead}.yaml"
    before, before_head = path.read_bytes(), head(records)
    r = cli("lead", "edit", lead, input="a\n")
    assert r.exit_code == 4
    assert "stage" in r.stderr and "'won'" in r.stderr and "new, contacted" in r.stderr
    assert path.read_bytes() == before and head(records) == before_head


def test_a_dangling_link_is_named_when_the_record_is_written(records, ok, fail):
    lead = ok("lead", "add", "--title", "Roof").strip()
    path = records / "leads" / lead[0] / f"{lead}.yaml"
    path.write_text(path.read_text() + "contact: abcdefghjk\n")
    git(records, "commit", "-qam", "link to a contact that does not exist (e.g. removed in another clone)")
    before = head(records)
    r = fail(4, "lead", "stage", lead, "contacted")
    assert "contact" in r.stderr and "abcdefghjk" in r.stderr and lead[:7] in r.stderr
    assert head(records) == before
    ok("lead", "set", lead, "contact=")  # clearing the link repairs it
    ok("lead", "stage", lead, "contacted")


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

TITLE = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\ufeff\x85"),
                min_size=1, max_size=30).map(str.strip).filter(bool)


_LEADS: dict = {}


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=TITLE)
def test_any_title_survives_set_show_and_list(records, ok, title):
    lead = _LEADS.get(records) or _LEADS.setdefault(records, ok("lead", "add", "--title", "placeholder").strip())
    ok("lead", "set", lead, f"title={title}")
    assert json.loads(ok("lead", "show", lead, "--format", "json"))["title"] == title
    rows = {r["id"]: r["name"] for r in json.loads(ok("lead", "list", "--format", "json"))}
    assert rows[lead] == title


def test_records_of_a_suspended_assignee_stay_usable(records, ok, fail):
    """Suspending someone stops new assignments; their leads can still be found, noted, moved, reassigned."""
    cfg = records / "solar.yaml"
    cfg.write_text(cfg.read_text().replace("teams:\n", "  - id: olga\n    name: Olga\n    active: true\nteams:\n", 1))
    git(records, "commit", "-qam", "olga joins")
    lead = ok("lead", "add", "--title", "Olga's roof", "--assignee", "olga").strip()
    cfg.write_text(cfg.read_text().replace("name: Olga\n    active: true", "name: Olga\n    active: false"))
    git(records, "commit", "-qam", "olga leaves")
    assert listed(ok, "--assignee", "olga") == [lead]
    assert listed(ok, "--assignee", "user:olga") == [lead]
    assert "new (1)" in ok("lead", "board", "--assignee", "olga")
    ok("note", "add", lead, "Olga is away; Anna takes over")
    ok("lead", "stage", lead, "contacted")
    ok("lead", "set", lead, "title=Roof (was Olga's)")
    r = fail(4, "lead", "assign", lead, "olga")
    assert "suspended" in r.stderr
    fail(4, "lead", "add", "--title", "new one", "--assignee", "olga")
    fail(4, "lead", "list", "--assignee", "nobody")  # unknown names are still refused
    ok("lead", "assign", lead, "anna")
    assert load(records, lead)["assignee"] == "user:anna"


@pytest.mark.parametrize("args", [
    ("set", "value=nan"), ("set", "value=inf"), ("set", "site.lat=nan"), ("set", "site.lon=-inf"),
    ("set", "consumption.annual_kwh=inf"), ("set", "consumption.monthly_kwh=" + ",".join(["1"] * 11 + ["nan"])),
])
def test_numbers_must_be_finite(records, ok, fail, args):
    """NaN/Infinity would make 'show --format json' print invalid JSON."""
    lead = ok("lead", "add", "--title", "Roof").strip()
    before = head(records)
    r = fail(4, "lead", args[0], lead, args[1])
    assert args[1].split("=")[0].split(".")[-1] in r.stderr
    assert head(records) == before
    json.loads(ok("lead", "show", lead, "--format", "json"))


def test_add_refuses_non_finite_numbers(records, fail):
    fail(4, "lead", "add", "--title", "x", "--value", "inf")
    fail(4, "lead", "add", "--title", "x", "--annual-kwh", "nan")
    assert list((records / "leads").rglob("*.yaml")) == []


def test_a_lead_whose_project_was_removed_can_be_reopened_and_converted_again(records, ok, fail):
    c = ok("contact", "add", "Ada").strip()
    lead = ok("lead", "add", "--title", "Roof", "--contact", c).strip()
    project = ok("lead", "convert", lead).strip()
    fail(5, "lead", "stage", lead, "qualified")  # refused while the project exists
    ok("project", "rm", project, "--force")
    ok("lead", "stage", lead, "qualified")
    d = load(records, lead)
    assert d["stage"] == "qualified" and "project" not in d
    again = ok("lead", "convert", lead).strip()
    assert again != project and load(records, lead)["project"] == again
