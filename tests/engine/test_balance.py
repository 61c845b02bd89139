"""Hourly energy balance, battery, zero injection, load spreading and hourly files,
checked against hand-computed days."""
from __future__ import annotations

import pytest

from solarcli.engine import balance as B
from solarcli.errors import EngineError, ParseError

DAYS = 365


def day_pattern(values_by_hour: dict[int, float], default: float = 0.0) -> list[float]:
    day = [values_by_hour.get(h, default) for h in range(24)]
    return day * DAYS


PV = day_pattern({10: 2.0, 11: 2.0, 12: 2.0})  # 6 kWh a day around noon
LOAD = [1.0] * 8760  # 24 kWh a day, flat


def test_no_battery_min_rule():
    b = B.simulate(PV, LOAD)
    # per day: SC 3×1, export 3×1, import 21×1
    assert b.self_consumed_kwh == pytest.approx(3 * DAYS)
    assert b.exported_kwh == pytest.approx(3 * DAYS)
    assert b.imported_kwh == pytest.approx(21 * DAYS)
    assert b.curtailed_kwh == 0
    assert b.self_consumption_pct == pytest.approx(50.0)
    assert b.self_sufficiency_pct == pytest.approx(12.5)
    assert b.monthly[0]["self_consumed_kwh"] == pytest.approx(3 * 31)
    assert [m["month"] for m in b.monthly] == list(range(1, 13))


def test_zero_injection_curtails_export():
    b = B.simulate(PV, LOAD, zero_injection=True)
    assert b.exported_kwh == 0
    assert b.curtailed_kwh == pytest.approx(3 * DAYS)
    assert b.self_consumed_kwh == pytest.approx(3 * DAYS)


def test_battery_lossless_stores_the_surplus():
    b = B.simulate(PV, LOAD, battery=B.Battery(kwh=5, kw=10, efficiency_pct=100))
    # the 3 kWh surplus is stored at noon and used in the afternoon
    assert b.self_consumed_kwh == pytest.approx(6 * DAYS)
    assert b.exported_kwh == pytest.approx(0)
    assert b.imported_kwh == pytest.approx(18 * DAYS)
    assert b.battery_throughput_kwh == pytest.approx(3 * DAYS)


def test_battery_round_trip_efficiency():
    b = B.simulate(PV, LOAD, battery=B.Battery(kwh=5, kw=10, efficiency_pct=81))
    # 3 kWh in, 3 × 0.81 = 2.43 kWh back out
    assert b.self_consumed_kwh == pytest.approx((3 + 2.43) * DAYS)
    assert b.imported_kwh == pytest.approx((24 - 5.43) * DAYS)


def test_battery_power_and_capacity_limits():
    slow = B.simulate(PV, LOAD, battery=B.Battery(kwh=5, kw=0.5, efficiency_pct=100))
    assert slow.self_consumed_kwh == pytest.approx((3 + 1.5) * DAYS)  # 0.5 kW × 3 h
    assert slow.exported_kwh == pytest.approx(1.5 * DAYS)
    small = B.simulate(PV, LOAD, battery=B.Battery(kwh=2, kw=10, efficiency_pct=100))
    assert small.self_consumed_kwh == pytest.approx(5 * DAYS)
    assert small.exported_kwh == pytest.approx(1 * DAYS)


@pytest.mark.parametrize("kw", [dict(kwh=-1, kw=3), dict(kwh=5, kw=0), dict(kwh=5, kw=3, efficiency_pct=120),
                                dict(kwh=5, kw=3, use_case="arbitrage")])
def test_bad_battery(kw):
    with pytest.raises(EngineError, match="battery"):
        B.simulate(PV, LOAD, battery=B.Battery(**kw))


def test_profiles_are_24_shares_of_100():
    for name, shares in B.PROFILES.items():
        assert len(shares) == 24, name
        assert sum(shares) == pytest.approx(100, abs=0.01), name
    fam = B.PROFILES["family-day"]
    assert max(range(24), key=fam.__getitem__) in range(17, 22)  # evening peak
    night = B.PROFILES["night-time"]
    assert sum(night[22:] + night[:6]) > 50
    office = B.PROFILES["retiree-home-office"]
    one = B.PROFILES["one-two-person"]
    assert sum(office[9:17]) > sum(one[9:17])  # home during the day


def test_spread_annual_load():
    hourly, monthly = B.spread_load(annual_kwh=3650, profile="one-two-person")
    assert sum(hourly) == pytest.approx(3650)
    assert sum(monthly) == pytest.approx(3650)
    assert monthly[11] > monthly[6]  # winter above summer
    jan1 = hourly[:24]
    shares = B.profile_shares("one-two-person")
    assert jan1[19] / sum(jan1) == pytest.approx(shares[19])


def test_spread_monthly_load_keeps_months():
    months = [500, 450, 400, 350, 300, 250, 250, 300, 350, 400, 450, 500]
    hourly, monthly = B.spread_load(monthly_kwh=months, profile="family-day")
    assert B.monthly_sums(hourly) == pytest.approx(months)
    assert monthly == months


def test_custom_profile():
    flat = [100 / 24] * 24
    hourly, _ = B.spread_load(annual_kwh=8760, profile="custom", custom_profile=flat)
    assert hourly[0] == pytest.approx(hourly[12])
    with pytest.raises(EngineError, match=r"custom_profile.*sum to 90"):
        B.spread_load(annual_kwh=1000, profile="custom", custom_profile=[90 / 24] * 24)
    with pytest.raises(EngineError, match="custom_profile: 23 values"):
        B.spread_load(annual_kwh=1000, profile="custom", custom_profile=[100 / 23] * 23)
    with pytest.raises(EngineError, match="consumption.profile"):
        B.spread_load(annual_kwh=1000, profile="weekend")


def test_hourly_csv(tmp_path):
    import datetime as dt

    start = dt.datetime(2023, 1, 1)
    lines = ["timestamp;kWh"] + [
        f"{(start + dt.timedelta(hours=h)).isoformat(' ')};{'0,5' if h % 2 else '1,5'}" for h in range(8760)
    ]
    p = tmp_path / "load.csv"
    p.write_text("\n".join(lines) + "\n")
    values = B.read_hourly_load(p)
    assert len(values) == 8760
    assert values[:2] == [1.5, 0.5]
    assert sum(values) == pytest.approx(8760)


def test_hourly_csv_leap_year_drops_29_february(tmp_path):
    vals = [1.0] * 8784
    for h in range(59 * 24, 60 * 24):
        vals[h] = 9.0  # 29 February
    p = tmp_path / "leap.csv"
    p.write_text("kwh\n" + "\n".join(str(v) for v in vals) + "\n")
    assert B.read_hourly_load(p) == [1.0] * 8760


def test_hourly_xlsx(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["hour", "consumption kWh"])
    for h in range(8760):
        ws.append([h, 0.25])
    p = tmp_path / "load.xlsx"
    wb.save(p)
    assert sum(B.read_hourly_load(p)) == pytest.approx(2190)


@pytest.mark.parametrize("content,msg", [
    ("kwh\n" + "1\n" * 100, "100 hourly values"),
    ("kwh\n" + "1\n" * 10 + "-1\n" + "1\n" * 8749, "row 12"),
    ("kwh\n" + "1\n" * 10 + "abc\n" + "1\n" * 8749, "row 12"),
])
def test_hourly_file_errors(tmp_path, content, msg):
    p = tmp_path / "bad.csv"
    p.write_text(content)
    with pytest.raises(ParseError, match=msg):
        B.read_hourly_load(p)


def test_balance_conserves_energy_for_any_day():
    """Property: whatever the hourly PV and load, energy is conserved."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    hours = st.lists(st.floats(min_value=0, max_value=20, allow_nan=False), min_size=24, max_size=24)

    @settings(max_examples=40, deadline=None)
    @given(pv_day=hours, load_day=hours, kwh=st.floats(0.5, 20), kw=st.floats(0.5, 10),
           eff=st.floats(60, 100), zero=st.booleans())
    def check(pv_day, load_day, kwh, kw, eff, zero):
        pv, load = pv_day * DAYS, load_day * DAYS
        plain = B.simulate(pv, load, zero_injection=zero)
        assert plain.self_consumed_kwh + plain.exported_kwh + plain.curtailed_kwh == pytest.approx(sum(pv), abs=1e-6)
        assert plain.self_consumed_kwh + plain.imported_kwh == pytest.approx(sum(load), abs=1e-6)
        b = B.simulate(pv, load, battery=B.Battery(kwh=kwh, kw=kw, efficiency_pct=eff), zero_injection=zero)
        assert b.self_consumed_kwh + b.imported_kwh == pytest.approx(sum(load), abs=1e-6)
        # a battery never creates energy and never lowers self-consumption
        assert b.self_consumed_kwh + b.exported_kwh + b.curtailed_kwh <= sum(pv) + 1e-6
        assert b.self_consumed_kwh >= plain.self_consumed_kwh - 1e-6

    check()
