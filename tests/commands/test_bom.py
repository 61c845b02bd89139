"""solar bom add|list|rm|set|apply-preset, with totals computed by hand."""
from __future__ import annotations

import json

from solarcli.storage.yamlio import load_fast

from .engine_helpers import commits, new_project, project_file


def priced_project(ok) -> str:
    pid = new_project(ok)
    ok("design", "add", pid, "A", "--module", "Acme 400", "--module-wp", "400", "--count", "20")
    ok("design", "set", pid, "A", "prices.module=100", "prices.inverter=1000")
    return pid


def test_totals_by_hand(records, ok, gitlog):
    pid = priced_project(ok)
    ok("bom", "add", pid, "Mounting", "--pricing", "per-watt", "--price", "0.10", "--category", "mounting")
    ok("bom", "add", pid, "Cabling", "--pricing", "set", "--price", "450", "--hidden")
    ok("bom", "add", pid, "Surge protector", "--price", "35.50", "-q", "2")
    ok("bom", "set", pid, "--discount", "10", "--margin", "20", "--vat", "19")
    assert gitlog(records)[0] == f"project {pid[:7]}: BOM settings"
    out = json.loads(ok("bom", "list", pid, "-f", "json"))
    totals = {i["name"]: i["total"] for i in out["items"]}
    # 20 × 100, 1 × 1000 from the design; 0.10 × 8000 Wp; 450 set; 2 × 35.50
    assert totals == {"Acme 400": "2000.00", "Inverter 6.67 kW AC": "1000.00", "Mounting": "800.00",
                      "Cabling": "450.00", "Surge protector": "71.00"}
    assert [i["no"] for i in out["items"]] == ["D1", "D2", "M1", "M2", "M3"]
    assert [i["visible"] for i in out["items"]] == [True, True, True, False, True]
    assert out["subtotal"] == "4321.00"
    assert out["discount"] == "432.10"       # 10 %
    assert out["after_discount"] == "3888.90"
    assert out["margin"] == "777.78"         # 20 % of 3888.90
    assert out["net"] == "4666.68"
    assert out["vat"] == "886.67"            # 19 % of 4666.68 = 886.6692
    assert out["total"] == "5553.35"
    table = ok("bom", "list", pid)
    assert "Surge protector" in table and "5553.35" in table


def test_rm_by_number_and_name(records, ok, fail):
    pid = priced_project(ok)
    ok("bom", "add", pid, "A1", "--price", "1")
    ok("bom", "add", pid, "A2", "--price", "2")
    ok("bom", "add", pid, "A3", "--price", "3")
    ok("bom", "rm", pid, "M2")
    ok("bom", "rm", pid, "A3")
    items = load_fast(project_file(records, pid))["bom"]["items"]
    assert [i["name"] for i in items] == ["A1"]
    assert "not found" in fail(3, "bom", "rm", pid, "nothing").stderr


def test_prices_are_stored_as_exact_strings(records, ok):
    pid = priced_project(ok)
    ok("bom", "add", pid, "Clamp", "--price", "0.1", "-q", "3")
    text = project_file(records, pid).read_text()
    assert "unit_price: '0.1'" in text


def test_apply_package_and_preset(records, ok, fail, gitlog):
    pid = priced_project(ok)
    ok("bom", "apply-preset", pid, "main")
    items = load_fast(project_file(records, pid))["bom"]["items"]
    assert len(items) >= 2 and all(i["source"].startswith("preset:") for i in items)
    assert "package main" in gitlog(records)[0]
    ok("bom", "apply-preset", pid, "ev-charger")
    assert "preset or package 'solarium'" in fail(3, "bom", "apply-preset", pid, "solarium").stderr


def test_design_items_can_be_left_out(records, ok):
    pid = priced_project(ok)
    ok("bom", "add", pid, "Only item", "--pricing", "set", "--price", "100")
    ok("bom", "set", pid, "--no-design-items", "--margin", "0", "--vat", "0")
    out = json.loads(ok("bom", "list", pid, "-f", "json"))
    assert [i["name"] for i in out["items"]] == ["Only item"]
    assert out["total"] == "100.00"


def test_bad_items_write_nothing(records, ok, fail):
    pid = priced_project(ok)
    before = commits(records)
    assert "unit_price" in fail(4, "bom", "add", pid, "X", "--price", "abc").stderr
    assert "unit_price" in fail(4, "bom", "add", pid, "X", "--price", "-5").stderr
    assert "quantity" in fail(4, "bom", "add", pid, "X", "--price", "5", "-q", "-1").stderr
    assert "discount_pct" in fail(4, "bom", "set", pid, "--discount", "150").stderr
    assert commits(records) == before


def test_design_price_needs_costs(records, ok, fail):
    """Without solar.yaml costs and without design prices, the BOM says what is missing."""
    cfg = records / "solar.yaml"
    text = cfg.read_text()
    assert "module_per_wp" in text
    cfg.write_text(text.replace("module_per_wp", "module_per_wp_unused"))
    pid = new_project(ok)
    ok("design", "add", pid, "A", "--kwp", "5")
    assert "costs.module_per_wp" in fail(4, "bom", "list", pid).stderr


def test_help(ok):
    out = ok("bom", "--help")
    for verb in ("add", "list", "rm", "apply-preset", "set"):
        assert verb in out
