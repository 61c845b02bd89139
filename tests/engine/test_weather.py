"""Weather readers: every format is detected, read, and its timestamps put the sun
where it belongs (DOMAIN.md §3: a wrong half-hour shift moves a site by ~3 %)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from solarcli.engine import production as P
from solarcli.engine import weather as W
from solarcli.errors import EngineError, ParseError, SolarError
from . import weather_files as WF

ARRAY = [P.Array("south", 10.0, 25.0, 180.0, "open-rack")]


def weighted_hour_angle(w: W.Weather) -> float:
    """GHI-weighted mean hour angle (degrees) of the timestamps: ~0 when each value
    sits at the middle of its hour, ±7.5° for a half-hour error."""
    from pvlib import solarposition

    times = w.data.index
    eot = solarposition.equation_of_time_spencer71(times.day_of_year)
    ha = solarposition.hour_angle(times, w.longitude, eot)
    ghi = w.data["ghi"].to_numpy()
    return float(np.sum(ha * ghi) / np.sum(ghi))


def annual(w: W.Weather) -> float:
    return P.from_weather(w, ARRAY, kw_ac=10 / 1.2, temperature_model="sapm",
                          clear_sky_guard=False).annual_kwh


@pytest.fixture(scope="module")
def reference():
    w = W.read_weather(WF.TMY3)
    return w, annual(w)


def test_tmy3_bundled_file_is_detected_and_centred(reference):
    w, _ = reference
    assert w.format == "tmy3"
    assert (w.latitude, w.longitude) == (36.1, -79.95)
    assert len(w.data) == 8760
    assert abs(weighted_hour_angle(w)) < 2.0
    assert w.sha256 == W.file_sha256(WF.TMY3)


def test_tmy3_other_bundled_file():
    w = W.read_weather(WF.TMY3_ALASKA)
    assert w.format == "tmy3"
    assert abs(weighted_hour_angle(w)) < 2.0


def test_tmy2_bundled_file_units_and_timestamps():
    w = W.read_weather(WF.TMY2)
    assert w.format == "tmy2"
    assert abs(w.latitude - 25.8) < 0.01
    # Miami: tenths of a degree and of m/s must be scaled
    assert 20 < w.data["temp_air"].mean() < 30
    assert 0 < w.data["wind_speed"].mean() < 10
    assert abs(weighted_hour_angle(w)) < 2.0


@pytest.mark.parametrize("fmt", sorted(WF.WRITERS))
def test_same_weather_in_every_format_gives_same_production(fmt, tmp_path, reference):
    ref_weather, ref_kwh = reference
    path = WF.WRITERS[fmt](tmp_path / f"greensboro{WF.SUFFIX[fmt]}")
    assert W.detect_format(path) == fmt
    w = W.read_weather(path)
    assert w.format == fmt
    assert abs(w.latitude - 36.1) < 1e-6 and abs(w.longitude + 79.95) < 1e-6
    assert abs(weighted_hour_angle(w)) < 2.0, "timestamps not at the middle of the hour"
    kwh = annual(w)
    assert abs(kwh / ref_kwh - 1) < 0.006, (fmt, kwh, ref_kwh)


def test_a_half_hour_error_would_be_caught(tmp_path, reference):
    """The centring check above is sensitive enough: shifting 30 min moves it."""
    import pandas as pd

    w, _ = reference
    w2 = W.Weather(w.data.copy(), w.latitude, w.longitude, w.altitude, "tmy3", 0)
    w2.data.index = w2.data.index + pd.Timedelta(minutes=30)
    assert abs(weighted_hour_angle(w2)) > 5.0


def test_pvgis_hourly_on_a_tilted_plane_is_refused(tmp_path):
    path = WF.write_pvgis_hourly_json(tmp_path / "tilted.json", slope=35)
    with pytest.raises(ParseError, match="plane-of-array"):
        W.read_weather(path)


@pytest.mark.parametrize("content,name", [
    ("name,email\nAda,ada@example.com\n", "contacts.csv"),
    ("", "empty.csv"),
    ("just some words\nand more\n", "notes.txt"),
    ('{"hello": "world"}', "data.json"),
    ("{not json", "broken.json"),
])
def test_not_a_weather_file(tmp_path, content, name):
    p = tmp_path / name
    p.write_text(content)
    with pytest.raises(ParseError) as exc:
        W.read_weather(p)
    assert name in str(exc.value)
    assert exc.value.exit_code == 4


def test_truncated_weather_file_is_a_parse_error(tmp_path):
    src = WF.TMY3.read_text().splitlines()
    p = tmp_path / "cut.csv"
    p.write_text("\n".join(src[:100]) + "\n")
    with pytest.raises(ParseError, match="cut.csv"):
        W.read_weather(p)


def test_missing_weather_file(tmp_path):
    with pytest.raises(SolarError, match="not found"):
        W.read_weather(tmp_path / "nope.epw")


def test_unknown_forced_format(tmp_path):
    with pytest.raises(EngineError, match="weather format"):
        W.read_weather(WF.TMY3, "xyz")


def test_readers_do_not_import_pvlib_at_module_import():
    import subprocess
    import sys

    code = ("import sys; import solarcli.engine.weather, solarcli.engine.production, "
            "solarcli.engine.balance, solarcli.engine.finance, solarcli.engine.estimate; "
            "print(any(m in sys.modules for m in ('pvlib', 'pandas', 'numpy')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_json_of_pvgis_tmy_has_location(tmp_path):
    path = WF.write_pvgis_tmy_json(tmp_path / "t.json")
    assert json.loads(path.read_text())["inputs"]["location"]["latitude"] == 36.1
