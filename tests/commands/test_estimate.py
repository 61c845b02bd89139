"""solar project estimate (and consumption/tariff/finance): every tier end to end,
tariff regimes, battery, errors, JSON keys."""
from __future__ import annotations

import json
import subprocess

import pytest

from solarcli.storage.yamlio import load_fast

from .engine_helpers import TMY3, commits, new_project, project_file, ready_project

TOP_KEYS = {"project", "design", "system", "production", "consumption", "balance", "losses", "price",
            "finance", "tariff", "assumptions", "inputs_hash"}


def estimate(ok, pid, *extra):
    return json.loads(ok("project", "estimate", pid, "--format", "json", *extra))


def test_entered_tier_end_to_end_from_a_converted_lead(records, ok):
    lead = ok("lead", "add", "--title", "PV family home", "--name", "Ada Muster", "--annual-kwh", "4500",
              "--profile", "family-day", "--lat", "36.1", "--lon", "-79.95", "--country", "DE").strip()
    ok("lead", "convert", lead)
    pid = load_fast(records / "leads" / lead[0] / f"{lead}.yaml")["project"]
    ok("design", "add", pid, "A", "--module", "Acme 400", "--module-wp", "400", "--count", "25",
       "--annual-kwh", "10000", "--tool", "PVGIS 5.3")
    ok("project", "tariff", pid, "--purchase", "0.30", "--export", "0.08", "--regime", "feed-in", "--escalation", "0")
    before = commits(records)
    r = estimate(ok, pid)
    assert set(r) == TOP_KEYS
    assert commits(records) == before  # read-only
    assert subprocess.run(["git", "status", "--porcelain"], cwd=records, capture_output=True,
                          text=True).stdout == ""
    p, b, f = r["production"], r["balance"], r["finance"]
    assert p["source"] == "entered" and "PVGIS 5.3" in p["source_detail"]
    assert p["annual_kwh"] == 10000 and p["monthly_kwh"] is None
    assert p["specific_yield_kwh_kwp"] == 1000
    assert r["consumption"]["annual_kwh"] == pytest.approx(4500)
    # the balance adds up
    assert b["self_consumed_kwh"] + b["exported_kwh"] == pytest.approx(10000, abs=0.2)
    assert b["self_consumed_kwh"] + b["imported_kwh"] == pytest.approx(4500, abs=0.2)
    # year-1 savings = SC × 0.30 + export × 0.08 (feed-in)
    assert float(f["year1_savings"]) == pytest.approx(b["self_consumed_kwh"] * 0.30 + b["exported_kwh"] * 0.08,
                                                      abs=0.05)
    # the investment is the BOM total incl. VAT
    bom = json.loads(ok("bom", "list", pid, "-f", "json"))
    assert f["cash_flow"][0]["cash_flow"] == "-" + bom["total"] == "-" + r["price"]["total"]
    assert len(f["cash_flow"]) == 26 and f["years"] == 25
    # CO2 from solar.yaml co2_factors for the site country, factor printed
    assert f["co2_factor"]["country"] == "DE" and f["co2_factor"]["source"]
    assert f["co2_avoided_kg"] > 0
    assert r["assumptions"]["degradation_pct"] == 0.5 and r["assumptions"]["discount_rate_pct"] == 4
    # money is text with 2 decimals
    assert all(isinstance(c["savings"], str) and c["savings"].count(".") == 1 for c in f["cash_flow"])
    assert r["inputs_hash"] == estimate(ok, pid)["inputs_hash"]


def test_entered_monthly_shows_monthly_bars(records, ok):
    pid = ready_project(ok)
    months = "300,400,700,900,1100,1200,1250,1100,850,600,350,250"
    ok("design", "set", pid, "A", f"production.monthly_kwh={months}", "production.annual_kwh=")
    r = estimate(ok, pid)
    assert r["production"]["monthly_kwh"] == [float(v) for v in months.split(",")]
    assert [m["production_kwh"] for m in r["balance"]["monthly"]] == r["production"]["monthly_kwh"]


def test_weather_file_tier(records, ok):
    pid = ready_project(ok)
    ok("design", "add", pid, "W", "--kwp", "10", "--tilt", "25", "--mounting", "open-rack",
       "--weather", str(TMY3), "--temperature-model", "sapm")
    r = estimate(ok, pid)
    p = r["production"]
    assert p["source"] == "weather-file" and "723170TYA.CSV" in p["source_detail"]
    assert abs(p["annual_kwh"] - 13838) / 13838 < 0.01  # the golden reference system
    assert len(p["monthly_kwh"]) == 12 and p["uncertainty_pct"] == 10
    assert p["uncertainty_band_kwh"] == [pytest.approx(p["annual_kwh"] * 0.9, abs=0.2),
                                         pytest.approx(p["annual_kwh"] * 1.1, abs=0.2)]
    assert 0.7 < p["performance_ratio"] < 0.9
    assert "SAPM" in p["model"] and r["assumptions"]["temperature_model"] == "sapm"
    assert p["flags"] == []  # the file is for the site (Greensboro)
    # the weather file is part of the inputs hash
    h = r["inputs_hash"]
    path = records / "documents" / pid / "723170TYA.CSV"
    path.write_bytes(path.read_bytes().replace(b"GREENSBORO", b"GREENSBORX"))
    assert estimate(ok, pid)["inputs_hash"] != h


def test_weather_file_far_from_the_site_is_flagged(records, ok):
    contact = ok("contact", "add", "Eva").strip()
    pid = ok("project", "add", "Freiburg roof", "--contact", contact, "--lat", "47.99", "--lon", "7.85").strip()
    ok("project", "consumption", pid, "--annual", "4000")
    ok("project", "tariff", pid, "--purchase", "0.35", "--export", "0.08")
    ok("design", "add", pid, "W", "--kwp", "5", "--weather", str(TMY3), "--temperature-model", "sapm")
    flags = estimate(ok, pid)["production"]["flags"]
    assert any("km from the site" in f for f in flags)


def test_map_tier(records, ok):
    pid = ready_project(ok)
    ok("design", "add", pid, "M", "--kwp", "10", "--tilt", "25", "--map")
    r = estimate(ok, pid)
    p = r["production"]
    assert p["source"] == "map" and "rough, ±15 %" in p["source_detail"]
    assert p["monthly_kwh"] is None and p["uncertainty_pct"] == 15
    assert all(m["production_kwh"] is None for m in r["balance"]["monthly"])
    assert 1100 < p["specific_yield_kwh_kwp"] < 1600
    table = ok("project", "estimate", pid)
    assert "monthly production is not shown" in table


def test_map_needs_site_coordinates(records, ok, fail):
    contact = ok("contact", "add", "Bo").strip()
    pid = ok("project", "add", "No coords", "--contact", contact).strip()
    ok("design", "add", pid, "M", "--kwp", "5", "--map")
    ok("project", "consumption", pid, "--annual", "3000")
    ok("project", "tariff", pid, "--purchase", "0.3", "--export", "0.1")
    assert "site.lat" in fail(4, "project", "estimate", pid).stderr


def test_zero_injection_curtails(records, ok):
    pid = ready_project(ok, grid="zero-injection")
    r = estimate(ok, pid)
    b = r["balance"]
    assert b["exported_kwh"] == 0 and b["curtailed_kwh"] > 0
    assert r["tariff"]["regime"] == "zero-injection"
    assert float(r["finance"]["year1_savings"]) == pytest.approx(b["self_consumed_kwh"] * 0.30, abs=0.05)


def test_net_metering(records, ok):
    pid = ready_project(ok)
    ok("project", "tariff", pid, "--regime", "net-metering", "--export", "0")
    r = estimate(ok, pid)
    # production 10,000 > load 4,500: the whole load is valued at the retail price
    assert float(r["finance"]["year1_savings"]) == pytest.approx(4500 * 0.30, abs=0.05)


def test_battery_raises_self_sufficiency(records, ok):
    plain = estimate(ok, ready_project(ok))
    with_battery = estimate(ok, ready_project(ok, battery=True))
    assert with_battery["system"]["battery"] == {"kwh": 10.0, "kw": 5.0, "efficiency_pct": 90.0,
                                                 "use_case": "self-consumption"}
    assert with_battery["balance"]["battery_throughput_kwh"] > 0
    assert with_battery["balance"]["self_sufficiency_pct"] > plain["balance"]["self_sufficiency_pct"] + 10
    assert float(with_battery["price"]["total"]) > float(plain["price"]["total"])


def test_never_pays_back(records, ok):
    pid = ready_project(ok)
    ok("project", "tariff", pid, "--purchase", "0.01", "--export", "0")
    ok("project", "finance", pid, "--om", "100")
    r = estimate(ok, pid)
    assert r["finance"]["payback_years"] is None
    assert r["finance"]["simple_payback_years"] is None
    assert r["finance"]["irr_pct"] is None
    table = ok("project", "estimate", pid)
    assert "never" in table and "IRR" in table


def test_finance_settings_flow_into_cash_flow(records, ok, gitlog):
    pid = ready_project(ok)
    ok("project", "finance", pid, "--years", "20", "--replacement", "12:1500:inverter", "--incentives", "500",
       "--discount-rate", "3", "--degradation", "0")
    assert gitlog(records)[0] == f"project {pid[:7]}: finance set"
    r = estimate(ok, pid)
    f = r["finance"]
    assert f["years"] == 20 and len(f["cash_flow"]) == 21
    assert f["cash_flow"][12]["replacements"] == "1500.00"
    assert float(f["cash_flow"][0]["cash_flow"]) == pytest.approx(-(float(r["price"]["total"]) - 500))
    assert r["assumptions"]["replacements"] == [{"year": 12, "cost": "1500.00", "name": "inverter"}]
    assert f["cash_flow"][5]["production_kwh"] == f["cash_flow"][1]["production_kwh"]  # no degradation


def test_consumption_commands(records, ok, fail, tmp_path):
    pid = new_project(ok)
    ok("project", "consumption", pid, "--monthly", "500,450,400,350,300,250,250,300,350,400,450,500")
    c = load_fast(project_file(records, pid))["consumption"]
    assert c["annual_kwh"] == 4500
    before = commits(records)
    r = fail(4, "project", "consumption", pid, "--custom-profile", ",".join(["4"] * 24))
    assert "consumption.custom_profile" in r.stderr and "96" in r.stderr
    assert commits(records) == before
    ok("project", "consumption", pid, "--custom-profile", ",".join(["5"] * 20 + ["0"] * 4))
    assert load_fast(project_file(records, pid))["consumption"]["profile"] == "custom"
    hourly = tmp_path / "meter.csv"
    hourly.write_text("kwh\n" + "0.5\n" * 8760)
    ok("project", "consumption", pid, "--hourly", hourly)
    c = load_fast(project_file(records, pid))["consumption"]
    assert c["hourly_file"] == "meter.csv" and c["annual_kwh"] == 4380
    assert (records / "documents" / pid / "meter.csv").is_file()
    out = ok("project", "consumption", pid)
    assert "hourly_file: meter.csv" in out
    ok("project", "consumption", pid, "--annual", "3000")  # new values replace the hourly file
    c = load_fast(project_file(records, pid))["consumption"]
    assert "hourly_file" not in c and c["annual_kwh"] == 3000


def test_tariff_presets(records, ok, fail):
    pid = new_project(ok)
    assert "tariff preset 'nope'" in fail(3, "project", "tariff", pid, "--preset", "nope").stderr
    ok("project", "tariff", pid, "--preset", "net-metering")
    t = load_fast(project_file(records, pid))["tariff"]
    assert t["preset"] == "net-metering" and t["regime"] == "net-metering"
    ok("project", "tariff", pid, "--purchase", "0.31")
    t = load_fast(project_file(records, pid))["tariff"]
    assert "preset" not in t and t["purchase_price"] == "0.31"
    assert "tariff.purchase_price" in fail(4, "project", "tariff", pid, "--purchase", "-1").stderr


@pytest.mark.parametrize("missing,field", [("tariff", "tariff"), ("designs", "designs"),
                                           ("consumption", "consumption")])
def test_missing_inputs_name_the_field(records, ok, fail, missing, field):
    pid = new_project(ok)
    if missing != "designs":
        ok("design", "add", pid, "A", "--kwp", "5", "--annual-kwh", "5000")
    if missing != "consumption":
        ok("project", "consumption", pid, "--annual", "3000")
    if missing != "tariff":
        ok("project", "tariff", pid, "--purchase", "0.3", "--export", "0.1")
    r = fail(4, "project", "estimate", pid)
    assert field in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_currency_mismatch(records, ok, fail):
    pid = ready_project(ok)
    ok("project", "tariff", pid, "--currency", "USD")
    assert "tariff.currency" in fail(4, "project", "estimate", pid).stderr


def test_other_design_by_option(records, ok, fail):
    pid = ready_project(ok)
    ok("design", "add", pid, "Small", "--kwp", "4", "--annual-kwh", "4000", "--no-current")
    assert estimate(ok, pid)["design"] == "A"
    r = estimate(ok, pid, "--design", "Small")
    assert r["design"] == "Small" and r["system"]["kwp_dc"] == 4
    assert "design 'Z'" in fail(3, "project", "estimate", pid, "--design", "Z").stderr


def test_table_shows_every_section(records, ok):
    out = ok("project", "estimate", ready_project(ok))
    for head in ("SYSTEM", "PRODUCTION", "ENERGY BALANCE", "PRICE (EUR)", "FINANCE (EUR)", "CASH FLOW",
                 "ASSUMPTIONS", "inputs hash"):
        assert head in out
    assert "NPV" in out and "LCOE" in out and "CO2 avoided" in out


def test_help_mentions_project_verbs(ok):
    out = ok("project", "--help")
    for verb in ("consumption", "tariff", "finance", "estimate"):
        assert verb in out
