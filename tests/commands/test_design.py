"""solar design add|list|show|set|use|rm."""
from __future__ import annotations

import json

import pytest

from solarcli.storage.yamlio import load_fast

from .engine_helpers import TMY3, commits, new_project, project_file


def designs(records, pid):
    return load_fast(project_file(records, pid))


def test_add_design_from_modules(records, ok, gitlog):
    pid = new_project(ok)
    before = commits(records)
    ok("design", "add", pid, "A", "--module", "Acme 400", "--module-wp", "400", "--count", "20",
       "--tilt", "35", "--azimuth", "200", "--mounting", "open-rack")
    assert commits(records) == before + 1
    assert gitlog(records)[0] == f"project {pid[:7]}: design A added"
    data = designs(records, pid)
    assert data["current_design"] == "A"
    (arr,) = data["designs"][0]["arrays"]
    assert arr["module"] == "Acme 400" and arr["count"] == 20 and arr["tilt"] == 35
    assert arr["mounting"] == "open-rack"
    rows = json.loads(ok("design", "list", pid, "--format", "json"))
    assert rows == [{"name": "A", "current": True, "kwp_dc": 8.0, "kw_ac": pytest.approx(8 / 1.2, abs=1e-3),
                     "arrays": 1, "battery_kwh": None, "production": "map"}]


def test_second_design_and_use(records, ok):
    pid = new_project(ok)
    ok("design", "add", pid, "A", "--kwp", "8")
    ok("design", "add", pid, "B", "--kwp", "6", "--no-current", "--battery-kwh", "10")
    assert designs(records, pid)["current_design"] == "A"
    ok("design", "use", pid, "B")
    assert designs(records, pid)["current_design"] == "B"
    rows = {r["name"]: r for r in json.loads(ok("design", "list", pid, "-f", "json"))}
    assert rows["B"]["current"] and not rows["A"]["current"]
    assert rows["B"]["battery_kwh"] == 10
    shown = json.loads(ok("design", "show", pid, "-f", "json"))
    assert shown["name"] == "B" and shown["battery"]["kw"] == 5  # kW defaults to kWh / 2


def test_copy_design_and_multiple_arrays(records, ok):
    pid = new_project(ok)
    ok("design", "add", pid, "EW", "--array", "name=east,kwp=4,tilt=15,azimuth=90",
       "--array", "name=west,kwp=4,tilt=15,azimuth=270", "--inverter-kw", "7", "--inverter", "SunInv 7")
    ok("design", "add", pid, "EW2", "--from", "EW", "--battery-kwh", "5")
    d = designs(records, pid)["designs"]
    assert [a["name"] for a in d[1]["arrays"]] == ["east", "west"]
    assert d[1]["inverter"] == {"name": "SunInv 7", "kw_ac": 7}
    assert d[1]["battery"]["kwh"] == 5 and "battery" not in d[0]


def test_set_edits_in_place_and_keeps_comments(records, ok, gitlog):
    pid = new_project(ok)
    ok("design", "add", pid, "A", "--module", "M", "--module-wp", "400", "--count", "20")
    path = project_file(records, pid)
    text = path.read_text().replace("designs:\n", "designs:  # hand-written comment\n")
    path.write_text(text)
    import subprocess

    subprocess.run(["git", "commit", "-qam", "comment"], cwd=records, check=True)
    ok("design", "set", pid, "A", "arrays.0.tilt=20", "arrays.array 1.count=24", "losses.shading=5",
       "inverter.kw_ac=8.5", "production.annual_kwh=9800", "production.tool=PVGIS 5.3")
    assert "# hand-written comment" in path.read_text()
    d = designs(records, pid)["designs"][0]
    assert d["arrays"][0]["tilt"] == 20 and d["arrays"][0]["count"] == 24
    assert d["losses"] == {"shading": 5}
    assert d["inverter"]["kw_ac"] == 8.5
    assert d["production"] == {"annual_kwh": 9800, "tool": "PVGIS 5.3"}
    assert gitlog(records)[0].startswith(f"project {pid[:7]}: design A: set arrays.0.tilt")
    ok("design", "set", pid, "A", "losses.shading=")  # empty value removes
    assert designs(records, pid)["designs"][0]["losses"] == {}


def test_rename_follows_current(records, ok):
    pid = new_project(ok)
    ok("design", "add", pid, "A", "--kwp", "5")
    ok("design", "set", pid, "A", "name=Final")
    data = designs(records, pid)
    assert data["current_design"] == "Final" and data["designs"][0]["name"] == "Final"


def test_weather_file_is_attached(records, ok):
    pid = new_project(ok)
    ok("design", "add", pid, "W", "--kwp", "10", "--weather", str(TMY3))
    data = designs(records, pid)
    assert data["designs"][0]["production"] == {"source": "weather-file", "weather_file": "723170TYA.CSV"}
    doc = data["documents"][0]
    assert doc["name"] == "723170TYA.CSV"
    assert (records / doc["path"]).read_bytes() == TMY3.read_bytes()
    # a second design can reuse the attached document by name
    ok("design", "add", pid, "W2", "--kwp", "8", "--weather", "723170TYA.CSV")
    assert len(designs(records, pid)["documents"]) == 1


@pytest.mark.parametrize("args,field", [
    (["--kwp", "-5"], "kwp"),
    (["--kwp", "5", "--tilt", "95"], "tilt"),
    (["--kwp", "5", "--tilt", "-3"], "tilt"),
    (["--kwp", "5", "--azimuth", "361"], "azimuth"),
    (["--module-wp", "400"], "kwp"),
    (["--kwp", "5", "--inverter-kw", "0"], "inverter.kw_ac"),
    (["--kwp", "5", "--battery-kwh", "-1"], "battery.kwh"),
    (["--kwp", "5", "--loss", "dust=3"], "losses.dust"),
    (["--kwp", "5", "--loss", "shading=120"], "losses.shading"),
    (["--kwp", "5", "--monthly-kwh", "1,2,3"], "--monthly-kwh"),
    (["--kwp", "5", "--annual-kwh", "-100"], "annual_kwh"),
])
def test_bad_design_names_field_and_writes_nothing(records, ok, fail, args, field):
    pid = new_project(ok)
    before = commits(records)
    text = project_file(records, pid).read_text()
    r = fail(4 if not field.startswith("--") else 2, "design", "add", pid, "A", *args)
    assert field in r.stderr
    if not field.startswith("--"):
        assert len(r.stderr.strip().splitlines()) == 1
    assert commits(records) == before
    assert project_file(records, pid).read_text() == text


def test_not_a_weather_file(records, ok, fail, tmp_path):
    pid = new_project(ok)
    bad = tmp_path / "leads.csv"
    bad.write_text("name,email\nAda,ada@example.com\n")
    before = commits(records)
    r = fail(4, "design", "add", pid, "W", "--kwp", "5", "--weather", bad)
    assert "leads.csv" in r.stderr and "not a recognised weather file" in r.stderr
    assert commits(records) == before
    assert not (records / "documents").exists() or not any((records / "documents").rglob("leads.csv"))


def test_set_bad_value_writes_nothing(records, ok, fail):
    pid = new_project(ok)
    ok("design", "add", pid, "A", "--kwp", "5")
    before = commits(records)
    r = fail(4, "design", "set", pid, "A", "arrays.0.tilt=91")
    assert "tilt" in r.stderr
    r = fail(4, "design", "set", pid, "A", "arrays.0.kwp=-1")
    assert "kwp" in r.stderr
    r = fail(4, "design", "set", pid, "A", "colour=red")
    assert "colour" in r.stderr
    assert commits(records) == before


def test_conflicts_and_missing(records, ok, fail):
    pid = new_project(ok)
    ok("design", "add", pid, "A", "--kwp", "5")
    assert "already has a design" in fail(5, "design", "add", pid, "A", "--kwp", "6").stderr
    assert "design 'Z'" in fail(3, "design", "use", pid, "Z").stderr
    assert "design 'Z'" in fail(3, "design", "show", pid, "Z").stderr
    fail(2, "design", "add", pid, "B")  # no array given


def test_rm(records, ok):
    pid = new_project(ok)
    ok("design", "add", pid, "A", "--kwp", "5")
    ok("design", "add", pid, "B", "--kwp", "6")
    ok("design", "rm", pid, "B")
    data = designs(records, pid)
    assert [d["name"] for d in data["designs"]] == ["A"] and data["current_design"] == "A"


def test_hand_edit_with_bad_design_is_rejected(records, ok, fail):
    """The engine's checks run on every save of the project (hand edits too)."""
    pid = new_project(ok)
    ok("design", "add", pid, "A", "--kwp", "5")
    path = project_file(records, pid)
    path.write_text(path.read_text().replace("tilt: 30", "tilt: 120"))
    r = fail(4, "project", "set", pid, "name=New name")
    assert "tilt" in r.stderr


def test_help_mentions_every_verb(ok):
    out = ok("design", "--help")
    for verb in ("add", "list", "show", "set", "use", "rm"):
        assert verb in out
