"""Production tiers (DOMAIN.md §3): golden pvlib run, Fuentes default, map fallback,
entered values, guards and input errors."""
from __future__ import annotations

import pytest

from solarcli.engine import production as P
from solarcli.engine import weather as W
from solarcli.errors import EngineError

from . import weather_files as WF

REF = [P.Array("ref", 10.0, 25.0, 180.0, "open-rack")]


@pytest.fixture(scope="module")
def greensboro():
    return W.read_weather(WF.TMY3)


@pytest.fixture(scope="module")
def fuentes(greensboro):
    return P.from_weather(greensboro, REF, kw_ac=10 / 1.2)


def test_golden_reference_run_sapm(greensboro):
    """DOMAIN.md §3: 10 kWp, 25°, 180°, 14.08 %, DC/AC 1.2, 96 %, SAPM open rack → 13,838 kWh."""
    p = P.from_weather(greensboro, REF, kw_ac=10 / 1.2, inverter_eff_pct=96, losses=None,
                       temperature_model="sapm", clear_sky_guard=False)
    assert abs(p.annual_kwh - 13838) / 13838 < 0.01
    assert p.source == "weather-file"
    assert "SAPM" in p.model


def test_default_chain_is_fuentes_and_plausible(fuentes):
    assert "Fuentes" in fuentes.model
    assert fuentes.uncertainty_pct == 10
    assert abs(fuentes.annual_kwh - 13838) / 13838 < 0.03  # same site, other temperature model
    assert len(fuentes.monthly_kwh) == 12
    assert abs(sum(fuentes.monthly_kwh) - fuentes.annual_kwh) < 1e-6
    # northern hemisphere: summer months out-produce December
    assert fuentes.monthly_kwh[5] > fuentes.monthly_kwh[11]
    assert len(fuentes.hourly_kwh) == 8760
    assert all(v == 0 for v in fuentes.hourly_kwh[0:5])  # midnight to 5 am on 1 January
    assert fuentes.flags == []
    pr = P.performance_ratio(fuentes.annual_kwh, 10, fuentes.poa_kwh_m2)
    assert 0.7 < pr < 0.9
    # clear-sky is only the guard: production is below it
    assert fuentes.annual_kwh < fuentes.clear_sky_kwh


def test_roof_mount_runs_hotter_than_open_rack(greensboro, fuentes):
    roof = P.from_weather(greensboro, [P.Array("r", 10, 25, 180, "roof")], kw_ac=10 / 1.2,
                          clear_sky_guard=False)
    assert roof.annual_kwh < fuentes.annual_kwh


def test_losses_are_editable_and_combine_like_pvwatts(greensboro):
    assert abs(P.total_losses_pct(None) - 14.08) < 0.01
    no_shading = P.total_losses_pct({"shading": 0})
    assert abs(no_shading - (100 * (1 - (1 - 0.1408) / 0.97))) < 0.01
    a = P.from_weather(greensboro, REF, kw_ac=10 / 1.2, temperature_model="sapm", clear_sky_guard=False)
    b = P.from_weather(greensboro, REF, kw_ac=10 / 1.2, temperature_model="sapm", clear_sky_guard=False,
                       losses={"shading": 0})
    assert abs(b.annual_kwh / a.annual_kwh - 1 / 0.97) < 0.005


def test_two_arrays_east_west(greensboro):
    ew = [P.Array("east", 5, 15, 90), P.Array("west", 5, 15, 270)]
    p = P.from_weather(greensboro, ew, kw_ac=10 / 1.2, temperature_model="sapm", clear_sky_guard=False)
    south = P.from_weather(greensboro, [P.Array("s", 10, 15, 180)], kw_ac=10 / 1.2,
                           temperature_model="sapm", clear_sky_guard=False)
    assert 0.8 * south.annual_kwh < p.annual_kwh < south.annual_kwh


def test_map_fallback_is_rough_and_close(greensboro, fuentes):
    m = P.from_map(greensboro.latitude, greensboro.longitude, REF, kw_ac=10 / 1.2)
    assert m.source == "map"
    assert m.monthly_kwh is None
    assert m.uncertainty_pct == 15
    assert "rough, ±15 %" in m.source_detail
    assert abs(m.annual_kwh / fuentes.annual_kwh - 1) < 0.15
    assert m.annual_kwh < m.clear_sky_kwh


def test_map_fallback_southern_hemisphere_and_ocean():
    # Sydney: more production around December than June
    m = P.from_map(-33.87, 151.21, [P.Array("n", 5, 30, 0)])
    assert 1100 < m.annual_kwh / 5 < 1800
    hourly = m.hourly_kwh
    assert sum(hourly[334 * 24:]) > sum(hourly[151 * 24:181 * 24])
    with pytest.raises(EngineError, match="no land cell"):
        P.from_map(0.0, -140.0, REF)  # mid Pacific


def test_entered_annual_and_monthly():
    a = P.entered(5, annual_kwh=5000, tool="PVGIS 5.2")
    assert a.annual_kwh == 5000 and a.monthly_kwh is None
    assert a.source == "entered" and "PVGIS 5.2" in a.source_detail
    assert abs(sum(a.hourly_kwh) - 5000) < 1e-6 and len(a.hourly_kwh) == 8760
    monthly = [200, 260, 400, 500, 600, 620, 640, 580, 450, 330, 220, 180]
    m = P.entered(5, monthly_kwh=monthly)
    assert m.monthly_kwh == monthly and m.annual_kwh == sum(monthly)
    assert abs(sum(m.hourly_kwh[:31 * 24]) - 200) < 1e-6  # January keeps its total
    assert all(v == 0 for v in m.hourly_kwh[:4])  # no sun at night


def test_entered_errors():
    with pytest.raises(EngineError, match="monthly_kwh"):
        P.entered(5, monthly_kwh=[1] * 11)
    with pytest.raises(EngineError, match="annual_kwh"):
        P.entered(5, annual_kwh=-3)
    with pytest.raises(EngineError, match="annual_kwh"):
        P.entered(5)
    with pytest.raises(EngineError, match="does not match"):
        P.entered(5, annual_kwh=9000, monthly_kwh=[100] * 12)


def test_implausible_yield_is_flagged():
    assert P.entered(5, annual_kwh=20000).flags  # 4,000 kWh/kWp
    assert P.entered(5, annual_kwh=1000).flags  # 200 kWh/kWp
    assert P.entered(5, annual_kwh=5000).flags == []
    assert P.flag_yield(1500, clear_sky_yield=1400)  # above clear sky


@pytest.mark.parametrize("raw,field", [
    ({"kwp": -2, "tilt": 30}, "kwp"),
    ({"kwp": 0, "tilt": 30}, "kwp"),
    ({"kwp": 5, "tilt": 95}, "tilt"),
    ({"kwp": 5, "tilt": -1}, "tilt"),
    ({"kwp": 5, "azimuth": 400}, "azimuth"),
    ({"kwp": 5, "mounting": "carport"}, "mounting"),
    ({"module_wp": 400}, "kwp"),
])
def test_bad_arrays_name_the_field(raw, field):
    with pytest.raises(EngineError, match=field):
        P.as_arrays([raw])


def test_kwp_from_modules():
    (a,) = P.as_arrays([{"module": "X", "module_wp": 425, "count": 20, "tilt": 30}])
    assert a.kwp == pytest.approx(8.5)


def test_unknown_loss_and_temperature_model(greensboro):
    with pytest.raises(EngineError, match="losses.dust"):
        P.total_losses_pct({"dust": 3})
    with pytest.raises(EngineError, match="temperature_model"):
        P.from_weather(greensboro, REF, temperature_model="faiman")
