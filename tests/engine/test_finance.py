"""Money (DOMAIN.md §4) against hand-computed cases. All money is Decimal."""
from __future__ import annotations

from decimal import Decimal as Dec

import pytest

from solarcli.engine import balance as B
from solarcli.engine import finance as F
from solarcli.errors import EngineError


def tariff(regime="feed-in", p="0.30", f="0.08", e="0", **kw):
    return F.Tariff(currency="EUR", purchase_price=Dec(p), export_price=Dec(f), regime=regime,
                    escalation_pct=Dec(e), **kw)


def run(**kw):
    base = dict(investment=Dec("10000"), production_kwh=10000.0, self_consumed_kwh=3000.0,
                exported_kwh=7000.0, consumption_kwh=4000.0, tariff=tariff(), years=25,
                degradation_pct=Dec("0"), discount_rate_pct=Dec("0"))
    base.update(kw)
    return F.cash_flows(F.FinanceInputs(**base))


def test_feed_in_with_self_consumption():
    r = run()
    # value = 3000 × 0.30 + 7000 × 0.08 = 900 + 560 = 1460 a year
    assert r.year1_savings == Dec("1460")
    assert isinstance(r.npv, Dec)
    assert r.cash_flow[0]["cash_flow"] == Dec("-10000")
    assert float(r.simple_payback_years) == pytest.approx(10000 / 1460)
    # after 6 years: -10000 + 8760 = -1240; year 7 adds 1460 → 6 + 1240/1460
    assert float(r.payback_years) == pytest.approx(6 + 1240 / 1460)
    assert r.npv == Dec("26500")  # r = 0: -10000 + 25 × 1460
    assert r.lcoe == Dec("0.04")  # 10000 / (25 × 10000)
    assert r.cash_flow[-1]["cumulative"] == Dec("26500")


def test_escalation_degradation_discounting_by_hand():
    r = run(investment=Dec("500"), production_kwh=1000, self_consumed_kwh=400, exported_kwh=600,
            tariff=tariff(p="0.30", f="0.10", e="2"), years=3, degradation_pct=Dec("0.5"),
            discount_rate_pct=Dec("4"))
    v1 = 400 * 0.30 + 600 * 0.10                       # 180
    v2 = 398 * 0.306 + 597 * 0.10                      # 121.788 + 59.7
    v3 = 396.01 * 0.31212 + 594.015 * 0.10
    assert [float(row["savings"]) for row in r.cash_flow[1:]] == pytest.approx([v1, v2, v3])
    npv = -500 + v1 / 1.04 + v2 / 1.04 ** 2 + v3 / 1.04 ** 3
    assert float(r.npv) == pytest.approx(npv, abs=1e-9)
    e_disc = 1000 / 1.04 + 995 / 1.04 ** 2 + 990.025 / 1.04 ** 3
    assert float(r.lcoe) == pytest.approx(500 / e_disc)
    # IRR makes the NPV zero (same definition as numpy-financial)
    irr = float(r.irr_pct) / 100
    assert -500 + v1 / (1 + irr) + v2 / (1 + irr) ** 2 + v3 / (1 + irr) ** 3 == pytest.approx(0, abs=1e-6)


def test_irr_simple_and_npv_definition():
    assert float(F.irr([Dec(-100), Dec(110)])) == pytest.approx(0.1)
    flows = [Dec(-1000), Dec(300), Dec(400), Dec(500)]
    # numpy-financial npv: first flow not discounted
    assert float(F.npv(Dec("0.05"), flows)) == pytest.approx(-1000 + 300 / 1.05 + 400 / 1.05 ** 2 + 500 / 1.05 ** 3)
    assert F.irr([Dec(-100), Dec(-5)]) is None
    assert F.irr([Dec(100), Dec(5)]) is None


def test_net_metering_values_production_up_to_the_load():
    r = run(tariff=tariff("net-metering", p="0.25", f="0"), production_kwh=5000, consumption_kwh=4000)
    assert r.year1_savings == Dec("1000.00")  # min(5000, 4000) × 0.25
    r2 = run(tariff=tariff("net-metering", p="0.25", f="0"), production_kwh=3000, consumption_kwh=4000)
    assert r2.year1_savings == Dec("750.00")


def test_zero_injection_values_only_self_consumption():
    r = run(tariff=tariff("zero-injection", p="0.30", f="0.08"))
    assert r.year1_savings == Dec("900.00")  # export worth nothing


def test_battery_raises_savings_by_shifted_energy():
    pv = ([0.0] * 10 + [2.0] * 3 + [0.0] * 11) * 365
    load = [1.0] * 8760
    plain = B.simulate(pv, load)
    stored = B.simulate(pv, load, battery=B.Battery(kwh=5, kw=10, efficiency_pct=100))
    a = run(production_kwh=plain.production_kwh, self_consumed_kwh=plain.self_consumed_kwh,
            exported_kwh=plain.exported_kwh, consumption_kwh=plain.consumption_kwh)
    b = run(production_kwh=stored.production_kwh, self_consumed_kwh=stored.self_consumed_kwh,
            exported_kwh=stored.exported_kwh, consumption_kwh=stored.consumption_kwh)
    # 1095 kWh a year move from export (0.08) to self-consumption (0.30)
    assert b.year1_savings - a.year1_savings == Dec("240.90")


def test_never_pays_back():
    r = run(production_kwh=1000, self_consumed_kwh=100, exported_kwh=900, tariff=tariff(p="0.30", f="0.0"))
    # 30 a year on 10000: cumulative stays negative for 25 years
    assert r.payback_years is None
    assert float(r.simple_payback_years) == pytest.approx(10000 / 30)
    assert r.irr_pct is not None and r.irr_pct < 0
    assert r.npv < 0
    worse = run(production_kwh=1000, self_consumed_kwh=100, exported_kwh=900,
                tariff=tariff(p="0.30", f="0.0"), om_per_year=Dec("50"))
    assert worse.irr_pct is None  # every cash flow is negative
    assert worse.simple_payback_years is None
    assert worse.payback_years is None


def test_om_replacements_incentives():
    r = run(om_per_year=Dec("100"), replacements=[F.Replacement(10, Dec("1500"), "inverter")],
            incentives=Dec("2000"))
    assert r.cash_flow[0]["cash_flow"] == Dec("-8000")
    assert r.cash_flow[1]["cash_flow"] == Dec("1360")
    assert r.cash_flow[10]["cash_flow"] == Dec("-140")
    assert r.cash_flow[10]["replacements"] == Dec("1500")
    # LCOE (r = 0) = (8000 + 25 × 100) / 250000
    assert r.lcoe == Dec("0.042")
    with pytest.raises(EngineError, match="replacements"):
        run(replacements=[F.Replacement(30, Dec("1"))])


def test_co2_and_vat_exclusive_tariff():
    r = run(co2_kg_per_kwh=Dec("0.4"))
    assert r.co2_avoided_kg == Dec("100000")  # 25 × 10000 × 0.4
    t = tariff(p="0.25", f="0", prices_include_vat=False, vat_pct=Dec("20"))
    assert t.p1 == Dec("0.30")


def test_tariff_validation():
    with pytest.raises(EngineError, match="tariff: the project has no tariff"):
        F.tariff_from(None)
    with pytest.raises(EngineError, match="tariff.purchase_price"):
        F.tariff_from({"export_price": "0.1"})
    with pytest.raises(EngineError, match="tariff.regime"):
        F.tariff_from({"purchase_price": "0.3", "regime": "barter"})
    with pytest.raises(EngineError, match="tariff.purchase_price"):
        F.tariff_from({"purchase_price": "abc"})
    t = F.tariff_from({"purchase_price": 0.3, "export_price": "0.08"})
    assert t.purchase_price == Dec("0.3") and t.escalation_pct == Dec("2")


def test_bom_pricing_by_hand():
    wp = Dec("8000")
    items = [
        F.bom_item({"name": "Module 400 Wp", "pricing": "quantity", "quantity": 20, "unit_price": "120"}, 0, wp),
        F.bom_item({"name": "Mounting", "pricing": "per-watt", "unit_price": "0.10"}, 1, wp),
        F.bom_item({"name": "Cabling", "pricing": "set", "unit_price": "450", "visible": False}, 2, wp),
    ]
    assert [i.total for i in items] == [Dec("2400.00"), Dec("800.00"), Dec("450.00")]
    p = F.price_bom(items, discount_pct="10", margin_pct="20", vat_pct="19")
    assert p.subtotal == Dec("3650.00")
    assert p.discount == Dec("365.00")
    assert p.after_discount == Dec("3285.00")
    assert p.margin == Dec("657.00")
    assert p.net == Dec("3942.00")
    assert p.vat == Dec("748.98")
    assert p.total == Dec("4690.98")
    assert items[2].visible is False


@pytest.mark.parametrize("raw,field", [
    ({"pricing": "quantity", "unit_price": "1"}, "name"),
    ({"name": "x", "pricing": "per-kg", "unit_price": "1"}, "pricing"),
    ({"name": "x", "unit_price": "-1"}, "unit_price"),
    ({"name": "x", "unit_price": "1", "quantity": -2}, "quantity"),
    ({"name": "x"}, "unit_price"),
])
def test_bad_bom_items(raw, field):
    with pytest.raises(EngineError, match=field):
        F.bom_item(raw, 0, Dec(1000))


def test_bad_bom_percentages():
    with pytest.raises(EngineError, match="discount_pct"):
        F.price_bom([], discount_pct="120")
