"""Production estimate in three tiers (DOMAIN.md §3).

1. ``entered``: annual kWh or 12 monthly values typed in by the installer, with the
   tool they came from. No pvlib.
2. ``weather-file``: a weather file modelled locally the PVWatts way::

       solar position (pvlib.solarposition, pressure from altitude, air temp)
       -> Perez plane-of-array (relative air mass Kasten-Young 1989, albedo 0.25;
          NaN filled with 0)
       -> physical IAM on the beam component (pvlib.iam.physical)
       -> cell temperature: Fuentes (INOCT 49 °C roof, 45 °C open rack) by default,
          or SAPM (open_rack_glass_polymer / insulated_back_glass_polymer)
       -> pvwatts_dc (gamma default -0.37 %/°C)
       -> PVWatts losses (default 14.08 %, each one editable)
       -> inverter.pvwatts (pdc0 = AC rating, default DC/AC 1.2, 96 % nominal)

   Uncertainty ±10 % annual (±30 % monthly).
3. ``map``: no file: annual irradiation of the site from a 0.25° grid derived once
   from pvcz (GLDAS) → a clear-sky year (Ineichen, Linke turbidity 3) scaled to it
   → Erbs decomposition → the same chain. Labelled "rough, ±15 %", no monthly values.

Clear sky is never production. It is used only as a guard: a specific yield above
the clear-sky yield of the same system, or outside 500–2,300 kWh/kWp, is flagged.

The hourly production the balance needs is returned as a list of 8760 floats (kWh)
in local standard time of a non-leap year (index = (day_of_year-1)*24 + hour).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from solarcli.errors import EngineError

DEFAULT_LOSSES = {
    "soiling": 2.0,
    "shading": 3.0,
    "snow": 0.0,
    "mismatch": 2.0,
    "wiring": 2.0,
    "connections": 0.5,
    "lid": 1.5,
    "nameplate_rating": 1.0,
    "age": 0.0,
    "availability": 3.0,
}
DEFAULT_GAMMA_PCT = -0.37
DEFAULT_DC_AC = 1.2
DEFAULT_INVERTER_EFF_PCT = 96.0
DEFAULT_ALBEDO = 0.25
INOCT = {"roof": 49.0, "open-rack": 45.0}
SAPM_PARAMS = {"open-rack": "open_rack_glass_polymer", "roof": "insulated_back_glass_polymer"}
TEMPERATURE_MODELS = ("fuentes", "sapm")
MOUNTINGS = ("roof", "open-rack")
YIELD_RANGE = (500.0, 2300.0)
UNCERTAINTY = {"weather-file": 10.0, "map": 15.0}
DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@dataclass
class Array:
    name: str
    kwp: float
    tilt: float
    azimuth: float
    mounting: str = "roof"
    module: str | None = None
    module_wp: float | None = None
    count: int | None = None


@dataclass
class Production:
    annual_kwh: float
    monthly_kwh: list[float] | None
    hourly_kwh: list[float] | None  # 8760, local standard time
    source: str
    source_detail: str
    model: str
    uncertainty_pct: float | None
    poa_kwh_m2: float | None = None  # annual plane-of-array irradiation (kWp-weighted)
    clear_sky_kwh: float | None = None
    flags: list[str] = field(default_factory=list)


def total_losses_pct(losses: dict[str, float] | None) -> float:
    """PVWatts combination: 100 * (1 - prod(1 - l/100))."""
    merged = dict(DEFAULT_LOSSES)
    for key, value in (losses or {}).items():
        if key not in DEFAULT_LOSSES:
            raise EngineError(
                f"losses.{key}: unknown loss; expected one of {', '.join(DEFAULT_LOSSES)}"
            )
        v = float(value)
        if not 0 <= v < 100:
            raise EngineError(f"losses.{key}: {v} is not a percentage between 0 and 100")
        merged[key] = v
    keep = 1.0
    for v in merged.values():
        keep *= 1.0 - v / 100.0
    return 100.0 * (1.0 - keep)


def merged_losses(losses: dict[str, float] | None) -> dict[str, float]:
    total_losses_pct(losses)  # validates
    merged = dict(DEFAULT_LOSSES)
    merged.update({k: float(v) for k, v in (losses or {}).items()})
    return merged


def check_arrays(arrays: list[Array]) -> None:
    if not arrays:
        raise EngineError("design.arrays: the design has no PV array")
    for i, a in enumerate(arrays):
        where = f"arrays[{i}] ({a.name})"
        if not a.kwp or a.kwp <= 0:
            raise EngineError(f"{where}.kwp: {a.kwp} must be a positive number")
        if not 0 <= a.tilt <= 90:
            raise EngineError(f"{where}.tilt: {a.tilt} is outside 0-90 degrees")
        if not 0 <= a.azimuth <= 360:
            raise EngineError(f"{where}.azimuth: {a.azimuth} is outside 0-360 degrees (180 = south)")
        if a.mounting not in MOUNTINGS:
            raise EngineError(f"{where}.mounting: {a.mounting!r}; expected roof or open-rack")


def flag_yield(specific_yield: float, clear_sky_yield: float | None = None) -> list[str]:
    flags = []
    lo, hi = YIELD_RANGE
    if specific_yield < lo or specific_yield > hi:
        flags.append(
            f"implausible specific yield {specific_yield:.0f} kWh/kWp (expected about {lo:.0f}-{hi:.0f})"
        )
    if clear_sky_yield is not None and specific_yield > clear_sky_yield:
        flags.append(
            f"specific yield {specific_yield:.0f} kWh/kWp is above the clear-sky yield "
            f"{clear_sky_yield:.0f} kWh/kWp of the same system"
        )
    return flags


# --------------------------------------------------------------------------- tier 1


def entered(
    kwp: float,
    *,
    annual_kwh: float | None = None,
    monthly_kwh: list[float] | None = None,
    tool: str | None = None,
    latitude: float | None = None,
    uncertainty_pct: float | None = None,
) -> Production:
    """Production typed in by the installer. Hourly values are synthesised for the
    balance only (see :func:`spread_monthly_pv`)."""
    if monthly_kwh is not None:
        if len(monthly_kwh) != 12:
            raise EngineError(f"production.monthly_kwh: {len(monthly_kwh)} values, expected 12")
        monthly = [float(v) for v in monthly_kwh]
        if any(v < 0 for v in monthly):
            raise EngineError("production.monthly_kwh: values must not be negative")
        annual = sum(monthly)
        if annual_kwh is not None and abs(float(annual_kwh) - annual) > max(1.0, 0.005 * annual):
            raise EngineError(
                f"production.annual_kwh: {annual_kwh} does not match the sum of monthly_kwh ({annual:.0f})"
            )
        shown_monthly: list[float] | None = monthly
    elif annual_kwh is not None:
        annual = float(annual_kwh)
        if annual <= 0:
            raise EngineError(f"production.annual_kwh: {annual_kwh} must be positive")
        monthly = [annual * s for s in pv_month_shares(latitude)]
        shown_monthly = None
    else:
        raise EngineError("production.annual_kwh: entered production needs annual_kwh or monthly_kwh")
    hourly = spread_monthly_pv(monthly, latitude)
    detail = f"entered by the installer (from {tool})" if tool else "entered by the installer"
    prod = Production(
        annual_kwh=annual,
        monthly_kwh=shown_monthly,
        hourly_kwh=hourly,
        source="entered",
        source_detail=detail,
        model=tool or "entered",
        uncertainty_pct=uncertainty_pct,
    )
    prod.flags = flag_yield(annual / kwp) if kwp > 0 else []
    return prod


def pv_month_shares(latitude: float | None) -> list[float]:
    """Monthly share of annual PV when only an annual figure is known (ours):
    1 + a*cos(2π(m-6.5)/12) with amplitude a = clamp(|lat|/70, 0.1, 0.8),
    peaking in June/July (December/January south of the equator)."""
    lat = 45.0 if latitude is None else float(latitude)
    a = min(max(abs(lat) / 70.0, 0.1), 0.8)
    sign = 1.0 if lat >= 0 else -1.0
    w = [
        DAYS_IN_MONTH[m] * (1.0 + sign * a * math.cos(2 * math.pi * (m + 1 - 6.5) / 12.0))
        for m in range(12)
    ]
    s = sum(w)
    return [x / s for x in w]


def day_length_hours(latitude: float, day_of_year: int) -> float:
    decl = 23.44 * math.sin(math.radians(360.0 / 365.0 * (day_of_year - 81)))
    x = -math.tan(math.radians(latitude)) * math.tan(math.radians(decl))
    x = min(1.0, max(-1.0, x))
    return 2.0 * math.degrees(math.acos(x)) / 15.0


def daily_pv_shape(latitude: float, day_of_year: int) -> list[float]:
    """Typical daily PV shape (ours): a sine² bell between sunrise and sunset
    centred on 12:30 local standard time, integrated per hour; sums to 1."""
    L = max(day_length_hours(latitude, day_of_year), 4.0)
    rise, sset = 12.5 - L / 2.0, 12.5 + L / 2.0
    out = []
    for h in range(24):
        a, b = max(h, rise), min(h + 1, sset)
        if b <= a:
            out.append(0.0)
            continue
        # integral of sin²(pi (t-rise)/L) from a to b
        def F(t: float) -> float:
            x = math.pi * (t - rise) / L
            return (t - rise) / 2.0 - L * math.sin(2 * x) / (4 * math.pi)

        out.append(F(b) - F(a))
    s = sum(out)
    return [v / s for v in out]


def spread_monthly_pv(monthly: list[float], latitude: float | None) -> list[float]:
    lat = 45.0 if latitude is None else float(latitude)
    hourly: list[float] = []
    doy = 1
    for m in range(12):
        per_day = monthly[m] / DAYS_IN_MONTH[m]
        for _ in range(DAYS_IN_MONTH[m]):
            shape = daily_pv_shape(lat, doy)
            hourly.extend(per_day * s for s in shape)
            doy += 1
    return hourly


# --------------------------------------------------------------------------- model chain


def _chain(times, ghi, dni, dhi, temp_air, wind, lat, lon, alt, arrays, *, kw_ac,
           inverter_eff_pct, losses_pct, gamma_pct, temperature_model, albedo):
    """Run the PVWatts chain; returns (ac_w ndarray, poa_kwh_m2 weighted by kWp)."""
    import numpy as np

    with np.errstate(all="ignore"):
        return _chain_inner(times, ghi, dni, dhi, temp_air, wind, lat, lon, alt, arrays,
                            kw_ac=kw_ac, inverter_eff_pct=inverter_eff_pct,
                            losses_pct=losses_pct, gamma_pct=gamma_pct,
                            temperature_model=temperature_model, albedo=albedo)


def _chain_inner(times, ghi, dni, dhi, temp_air, wind, lat, lon, alt, arrays, *, kw_ac,
                 inverter_eff_pct, losses_pct, gamma_pct, temperature_model, albedo):
    import numpy as np
    from pvlib import atmosphere, iam, inverter, irradiance, pvsystem, solarposition, temperature

    sp = solarposition.get_solarposition(
        times, lat, lon, alt, pressure=atmosphere.alt2pres(alt), temperature=temp_air
    )
    zen = sp["apparent_zenith"].to_numpy()
    az = sp["azimuth"].to_numpy()
    dni_extra = irradiance.get_extra_radiation(times).to_numpy()
    am = atmosphere.get_relative_airmass(zen, model="kastenyoung1989")
    dc = np.zeros(len(times))
    poa_weighted = 0.0
    total_kwp = sum(a.kwp for a in arrays)
    for a in arrays:
        poa = irradiance.get_total_irradiance(
            a.tilt, a.azimuth, zen, az, dni, ghi, dhi,
            dni_extra=dni_extra, airmass=am, albedo=albedo, model="perez",
        )
        poa_global = np.nan_to_num(np.asarray(poa["poa_global"], dtype=float))
        poa_direct = np.nan_to_num(np.asarray(poa["poa_direct"], dtype=float))
        poa_diffuse = np.nan_to_num(np.asarray(poa["poa_diffuse"], dtype=float))
        aoi = irradiance.aoi(a.tilt, a.azimuth, zen, az)
        m = np.nan_to_num(np.asarray(iam.physical(aoi), dtype=float))
        effective = poa_direct * m + poa_diffuse
        if temperature_model == "sapm":
            params = temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"][SAPM_PARAMS[a.mounting]]
            tcell = temperature.sapm_cell(poa_global, temp_air, wind, **params)
        else:
            import pandas as pd

            tcell = temperature.fuentes(
                pd.Series(poa_global, index=times), pd.Series(temp_air, index=times),
                pd.Series(wind, index=times), INOCT[a.mounting], surface_tilt=a.tilt,
            ).to_numpy()
        dc += pvsystem.pvwatts_dc(effective, tcell, a.kwp * 1000.0, gamma_pct / 100.0)
        poa_weighted += poa_global.sum() / 1000.0 * a.kwp / total_kwp
    dc = dc * (1.0 - losses_pct / 100.0)
    ac = inverter.pvwatts(dc, kw_ac * 1000.0, eta_inv_nom=inverter_eff_pct / 100.0)
    ac = np.nan_to_num(np.asarray(ac, dtype=float)).clip(min=0)
    return ac, poa_weighted


def _typical_year(times, values, utc_offset_hours: float) -> list[float]:
    """Average hourly values by (month, day, hour) in local standard time → 8760."""
    import numpy as np
    import pandas as pd

    local = times.tz_convert("UTC") + pd.Timedelta(hours=utc_offset_hours)
    key_m = local.month.to_numpy()
    key_d = local.day.to_numpy()
    key_h = local.hour.to_numpy()
    keep = ~((key_m == 2) & (key_d == 29))
    cum = np.cumsum((0,) + DAYS_IN_MONTH[:-1])
    slot = (cum[key_m[keep] - 1] + key_d[keep] - 1) * 24 + key_h[keep]
    sums = np.bincount(slot, weights=np.asarray(values)[keep], minlength=8760)
    counts = np.bincount(slot, minlength=8760)
    out = np.divide(sums, counts, out=np.zeros(8760), where=counts > 0)
    return out.tolist()


def _monthly_from_hourly(hourly: list[float]) -> list[float]:
    out, i = [], 0
    for d in DAYS_IN_MONTH:
        out.append(sum(hourly[i:i + d * 24]))
        i += d * 24
    return out


def _clear_sky_inputs(times, lat, lon, alt):
    import numpy as np

    with np.errstate(all="ignore"):
        return _clear_sky_inputs_inner(times, lat, lon, alt)


def _clear_sky_inputs_inner(times, lat, lon, alt):
    import numpy as np
    from pvlib import atmosphere, clearsky, irradiance, solarposition

    sp = solarposition.get_solarposition(times, lat, lon, alt)
    zen = sp["apparent_zenith"].to_numpy()
    am_rel = atmosphere.get_relative_airmass(zen)
    am_abs = atmosphere.get_absolute_airmass(am_rel, atmosphere.alt2pres(alt))
    dni_extra = irradiance.get_extra_radiation(times).to_numpy()
    cs = clearsky.ineichen(zen, am_abs, 3.0, altitude=alt, dni_extra=dni_extra)
    return (
        np.nan_to_num(np.asarray(cs["ghi"], dtype=float)),
        np.nan_to_num(np.asarray(cs["dni"], dtype=float)),
        np.nan_to_num(np.asarray(cs["dhi"], dtype=float)),
        sp["zenith"].to_numpy(),
    )


def _model_common(arrays, kw_ac, inverter_eff_pct, losses, gamma_pct, temperature_model):
    check_arrays(arrays)
    if temperature_model not in TEMPERATURE_MODELS:
        raise EngineError(f"temperature_model: {temperature_model!r}; expected fuentes or sapm")
    kwp = sum(a.kwp for a in arrays)
    if kw_ac is None:
        kw_ac = kwp / DEFAULT_DC_AC
    if kw_ac <= 0:
        raise EngineError(f"inverter.kw_ac: {kw_ac} must be positive")
    if not 50 <= inverter_eff_pct <= 100:
        raise EngineError(f"inverter.efficiency_pct: {inverter_eff_pct} is outside 50-100")
    return kwp, kw_ac, total_losses_pct(losses)


def model_name(temperature_model: str) -> str:
    temp = "Fuentes" if temperature_model == "fuentes" else "SAPM"
    return (
        "pvlib PVWatts chain: Perez POA, physical IAM, "
        f"{temp} cell temperature, pvwatts_dc, PVWatts losses, inverter.pvwatts"
    )


def from_weather(
    weather,
    arrays: list[Array],
    *,
    kw_ac: float | None = None,
    inverter_eff_pct: float = DEFAULT_INVERTER_EFF_PCT,
    losses: dict[str, float] | None = None,
    gamma_pct: float = DEFAULT_GAMMA_PCT,
    temperature_model: str = "fuentes",
    albedo: float = DEFAULT_ALBEDO,
    clear_sky_guard: bool = True,
) -> Production:
    """Model production from a :class:`solarcli.engine.weather.Weather`."""
    kwp, kw_ac, losses_pct = _model_common(arrays, kw_ac, inverter_eff_pct, losses, gamma_pct,
                                           temperature_model)
    d = weather.data
    times = d.index
    ac, poa = _chain(
        times, d["ghi"].to_numpy(), d["dni"].to_numpy(), d["dhi"].to_numpy(),
        d["temp_air"].to_numpy(), d["wind_speed"].to_numpy(),
        weather.latitude, weather.longitude, weather.altitude, arrays,
        kw_ac=kw_ac, inverter_eff_pct=inverter_eff_pct, losses_pct=losses_pct,
        gamma_pct=gamma_pct, temperature_model=temperature_model, albedo=albedo,
    )
    hourly = [v / 1000.0 for v in _typical_year(times, ac, weather.utc_offset_hours)]
    annual = sum(hourly)
    years = max(len(times) / 8760.0, 1.0)
    prod = Production(
        annual_kwh=annual,
        monthly_kwh=_monthly_from_hourly(hourly),
        hourly_kwh=hourly,
        source="weather-file",
        source_detail=weather.describe(),
        model=model_name(temperature_model),
        uncertainty_pct=UNCERTAINTY["weather-file"],
        poa_kwh_m2=poa / years,
    )
    clear = None
    if clear_sky_guard:
        # the guard uses SAPM temperatures (fast; the bound does not need Fuentes)
        clear = _clear_sky_yield(weather.latitude, weather.longitude, weather.altitude, arrays,
                                 kw_ac, inverter_eff_pct, losses_pct, gamma_pct, "sapm", albedo)
        prod.clear_sky_kwh = clear * kwp
    prod.flags = flag_yield(annual / kwp, clear)
    return prod


def _year_times(longitude: float):
    """Mid-hour timestamps of a non-leap reference year in the site's standard time."""
    import pandas as pd

    offset = int(round(longitude / 15.0))
    tz = "Etc/GMT%+d" % (-offset) if offset else "UTC"
    times = pd.date_range("2019-01-01 00:30", periods=8760, freq="h", tz=tz)
    return times, float(offset)


def _clear_sky_yield(lat, lon, alt, arrays, kw_ac, eff, losses_pct, gamma_pct, tmodel, albedo):
    import numpy as np

    times, _ = _year_times(lon)
    ghi, dni, dhi, _zen = _clear_sky_inputs(times, lat, lon, alt)
    ac, _ = _chain(times, ghi, dni, dhi, np.full(8760, 20.0), np.full(8760, 1.0),
                   lat, lon, alt, arrays, kw_ac=kw_ac, inverter_eff_pct=eff,
                   losses_pct=losses_pct, gamma_pct=gamma_pct, temperature_model=tmodel,
                   albedo=albedo)
    return float(ac.sum()) / 1000.0 / sum(a.kwp for a in arrays)


def from_map(
    latitude: float,
    longitude: float,
    arrays: list[Array],
    *,
    altitude: float = 0.0,
    kw_ac: float | None = None,
    inverter_eff_pct: float = DEFAULT_INVERTER_EFF_PCT,
    losses: dict[str, float] | None = None,
    gamma_pct: float = DEFAULT_GAMMA_PCT,
    temperature_model: str = "fuentes",
    albedo: float = DEFAULT_ALBEDO,
) -> Production:
    """Rough fallback from the shipped irradiation grid (see solarcli/data/ATTRIBUTION.md)."""
    import numpy as np
    from pvlib import irradiance

    from solarcli.engine import irradiation_map

    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise EngineError(f"site latitude/longitude: {latitude}, {longitude} out of range")
    kwp, kw_ac, losses_pct = _model_common(arrays, kw_ac, inverter_eff_pct, losses, gamma_pct,
                                           temperature_model)
    cell = irradiation_map.lookup(latitude, longitude)
    times, offset = _year_times(longitude)
    cs_ghi, cs_dni, cs_dhi, zen = _clear_sky_inputs(times, latitude, longitude, altitude)
    cs_annual = cs_ghi.sum() / 1000.0
    if cs_annual <= 0:
        raise EngineError(f"site {latitude}, {longitude}: no sun in the clear-sky year")
    scale = min(cell.ghi_kwh_m2 / cs_annual, 1.0)
    ghi = cs_ghi * scale
    doy = times.day_of_year.to_numpy()
    erbs = irradiance.erbs(ghi, zen, doy)
    dni = np.nan_to_num(np.asarray(erbs["dni"], dtype=float))
    dhi = np.nan_to_num(np.asarray(erbs["dhi"], dtype=float))
    temp = np.full(8760, cell.t_mean_c)
    wind = np.full(8760, 1.0)
    ac, poa = _chain(times, ghi, dni, dhi, temp, wind, latitude, longitude, altitude, arrays,
                     kw_ac=kw_ac, inverter_eff_pct=inverter_eff_pct, losses_pct=losses_pct,
                     gamma_pct=gamma_pct, temperature_model=temperature_model, albedo=albedo)
    hourly = [v / 1000.0 for v in _typical_year(times, ac, offset)]
    annual = sum(hourly)
    cs_ac, _ = _chain(times, cs_ghi, cs_dni, cs_dhi, np.full(8760, 20.0), wind, latitude,
                      longitude, altitude, arrays, kw_ac=kw_ac, inverter_eff_pct=inverter_eff_pct,
                      losses_pct=losses_pct, gamma_pct=gamma_pct,
                      temperature_model="sapm", albedo=albedo)
    clear = float(cs_ac.sum()) / 1000.0 / kwp
    detail = (
        f"rough, ±15 %: irradiation map {cell.ghi_kwh_m2:.0f} kWh/m²/yr at "
        f"{cell.lat:.3f}, {cell.lon:.3f} ({cell.distance_km:.0f} km from the site; pvcz/GLDAS)"
    )
    prod = Production(
        annual_kwh=annual,
        monthly_kwh=None,
        hourly_kwh=hourly,
        source="map",
        source_detail=detail,
        model=model_name(temperature_model) + "; clear-sky year scaled to the map, Erbs decomposition",
        uncertainty_pct=UNCERTAINTY["map"],
        poa_kwh_m2=poa,
        clear_sky_kwh=clear * kwp,
    )
    prod.flags = flag_yield(annual / kwp, clear)
    return prod


def performance_ratio(annual_kwh: float, kwp: float, poa_kwh_m2: float | None) -> float | None:
    """PR = E_ac / (P_stc × H_poa / 1 kW/m²)."""
    if not poa_kwh_m2 or kwp <= 0:
        return None
    return annual_kwh / (kwp * poa_kwh_m2)


def as_arrays(raw: list[dict[str, Any]]) -> list[Array]:
    """Build :class:`Array` objects from design YAML mappings (validates)."""
    out = []
    for i, a in enumerate(raw or []):
        name = str(a.get("name") or f"array {i + 1}")
        kwp = a.get("kwp")
        if kwp is None:
            wp, count = a.get("module_wp"), a.get("count")
            if wp is None or count is None:
                raise EngineError(f"arrays[{i}] ({name}).kwp: give kwp, or module_wp and count")
            if float(wp) <= 0 or int(count) <= 0:
                raise EngineError(f"arrays[{i}] ({name}).module_wp/count: must be positive")
            kwp = float(wp) * int(count) / 1000.0
        out.append(Array(
            name=name, kwp=float(kwp), tilt=float(a.get("tilt", 30)),
            azimuth=float(a.get("azimuth", 180)), mounting=str(a.get("mounting", "roof")),
            module=a.get("module"),
            module_wp=float(a["module_wp"]) if a.get("module_wp") is not None else None,
            count=int(a["count"]) if a.get("count") is not None else None,
        ))
    check_arrays(out)
    return out
