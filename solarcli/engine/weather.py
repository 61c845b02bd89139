"""Weather files: detect the format, read with ``pvlib.iotools``, fix timestamps.

Supported (DOMAIN.md §3): PVGIS TMY (csv, json, epw), PVGIS hourly (csv, json),
EPW, NSRDB PSM / SAM csv, TMY3, TMY2.

Every reader returns a :class:`Weather` whose ``data`` frame has the columns
``ghi, dni, dhi`` (W/m²), ``temp_air`` (°C), ``wind_speed`` (m/s) and an index
of **timestamps at the instant the irradiance values represent** (the middle of
the averaging interval). Getting this right matters: a half-hour error moves
the annual yield of a site by several percent. The conventions:

=====================  ===================================  =====================
format                 what pvlib's index labels            shift applied
=====================  ===================================  =====================
TMY3 (``read_tmy3``)   end of the hour the value averages    −30 min
TMY2 (``read_tmy2``)   start of the hour (pvlib subtracts 1) +30 min
EPW  (``read_epw``)    start of the hour (pvlib subtracts 1) +30 min
NSRDB PSM / SAM csv    the Minute column (mid-hour in TMYs)  none
PVGIS hourly           instant of the satellite value, UTC   none
PVGIS TMY csv/json     hour, UTC; the file states an         + the offset
                       irradiance time offset (csv header,    (0 if absent)
                       json inputs.location)
=====================  ===================================  =====================

Azimuth: every format gives horizontal components, so no azimuth conversion is
needed for the weather itself. (PVGIS *metadata* uses 0 = south for its own
plane; we never use it. Our designs use pvlib's convention: 180 = south.)

pandas/pvlib are imported inside the functions, never at module import.
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from solarcli.errors import EngineError, ParseError

FORMATS = (
    "tmy3",
    "tmy2",
    "epw",
    "nsrdb-psm",
    "pvgis-tmy-csv",
    "pvgis-tmy-json",
    "pvgis-tmy-epw",
    "pvgis-hourly-csv",
    "pvgis-hourly-json",
)

SHIFT_MINUTES = {
    "tmy3": -30.0,
    "tmy2": 30.0,
    "epw": 30.0,
    "pvgis-tmy-epw": 30.0,
    "nsrdb-psm": 0.0,
    "pvgis-hourly-csv": 0.0,
    "pvgis-hourly-json": 0.0,
    # pvgis-tmy-csv/json: the file's own "Irradiance Time Offset (h)"
}


@dataclass
class Weather:
    data: Any  # pandas.DataFrame
    latitude: float
    longitude: float
    altitude: float
    format: str
    shift_minutes: float
    name: str = ""
    sha256: str = ""
    utc_offset_hours: float = 0.0  # local standard time of the site (for load matching)
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return (
            f"{self.name or 'weather file'} ({self.format}, {self.latitude:.3f}, "
            f"{self.longitude:.3f}, timestamps shifted {self.shift_minutes:+.0f} min)"
        )


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _head(path: Path, n: int = 4096) -> str:
    with open(path, "rb") as fh:
        raw = fh.read(n)
    return raw.decode("utf-8", errors="replace").lstrip("\ufeff")


def detect_format(path: str | Path) -> str:
    """Return one of FORMATS, or raise ParseError naming the file."""
    p = Path(path)
    if not p.is_file():
        raise EngineError(f"weather file {p}: not found")
    suffix = p.suffix.lower()
    head = _head(p)
    lines = head.splitlines()
    first = lines[0] if lines else ""
    second = lines[1] if len(lines) > 1 else ""
    if first.startswith("LOCATION,"):
        # PVGIS writes its EPWs with "LOCATION,unknown,..." and a PVGIS comment
        return "pvgis-tmy-epw" if "PVGIS" in head.upper() else "epw"
    if first.startswith("Latitude (decimal degrees):"):
        if "Irradiance Time Offset" in head or "time(UTC)" in head or "month,year" in head:
            return "pvgis-tmy-csv"
        return "pvgis-hourly-csv"
    if suffix == ".json" or first.lstrip().startswith("{"):
        try:
            with open(p, encoding="utf-8") as fh:
                src = json.load(fh)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"weather file {p.name}: not valid JSON ({exc})") from None
        outputs = src.get("outputs") if isinstance(src, dict) else None
        if isinstance(outputs, dict):
            if "tmy_hourly" in outputs:
                return "pvgis-tmy-json"
            if "hourly" in outputs:
                return "pvgis-hourly-json"
        raise ParseError(
            f"weather file {p.name}: JSON is not a PVGIS TMY or hourly file "
            "(expected outputs.tmy_hourly or outputs.hourly)"
        )
    if "Date (MM/DD/YYYY)" in second:
        return "tmy3"
    if first.startswith("Source,") and "Latitude" in first and len(lines) > 2 and "Year" in lines[2]:
        return "nsrdb-psm"
    if suffix in (".tm2", ".tmy2") or _looks_tmy2(lines):
        return "tmy2"
    raise ParseError(
        f"weather file {p.name}: not a recognised weather file "
        "(expected PVGIS TMY/hourly csv or json, EPW, NSRDB PSM csv, TMY3 or TMY2)"
    )


def _looks_tmy2(lines: list[str]) -> bool:
    if len(lines) < 3:
        return False
    parts = lines[0].split()
    return (
        len(parts) >= 9
        and parts[0].isdigit()
        and len(lines[1]) >= 100
        and lines[1][1:9].strip().isdigit()
    )


def read_weather(path: str | Path, fmt: str | None = None) -> Weather:
    """Read a weather file of any supported format into a :class:`Weather`."""
    p = Path(path)
    fmt = fmt or detect_format(p)
    if fmt not in FORMATS:
        raise EngineError(f"weather format {fmt!r}: expected one of {', '.join(FORMATS)}")
    try:
        weather = _READERS[fmt](p)
    except (EngineError, ParseError):
        raise
    except Exception as exc:  # pvlib raises ValueError/KeyError/IndexError...
        raise ParseError(
            f"weather file {p.name}: cannot be read as {fmt} ({type(exc).__name__}: {exc})"
        ) from None
    weather.format = fmt
    weather.name = p.name
    weather.sha256 = file_sha256(p)
    _finish(weather)
    return weather


# --------------------------------------------------------------------------- readers


def _tz_hours(index) -> float:
    tz = index.tz
    if tz is None:
        return 0.0
    off = index[0].utcoffset()
    return off.total_seconds() / 3600.0 if off is not None else 0.0


def _read_tmy3(p: Path) -> Weather:
    from pvlib.iotools import read_tmy3

    data, meta = read_tmy3(str(p), coerce_year=1990, map_variables=True)
    w = Weather(data, float(meta["latitude"]), float(meta["longitude"]),
                float(meta.get("altitude") or 0.0), "tmy3", SHIFT_MINUTES["tmy3"])
    w.utc_offset_hours = float(meta.get("TZ") or 0.0)
    return w


def _read_tmy2(p: Path) -> Weather:
    from pvlib.iotools import read_tmy2

    data, meta = read_tmy2(str(p))
    # TMY2 stores temperature and wind speed in tenths (pvlib does not scale).
    data = data.rename(columns={"GHI": "ghi", "DNI": "dni", "DHI": "dhi"})
    data["temp_air"] = data["DryBulb"].astype(float) / 10.0
    data["wind_speed"] = data["Wspd"].astype(float) / 10.0
    data["pressure"] = data["Pressure"].astype(float) * 100.0
    w = Weather(data, float(meta["latitude"]), float(meta["longitude"]),
                float(meta.get("altitude") or 0.0), "tmy2", SHIFT_MINUTES["tmy2"])
    w.utc_offset_hours = float(meta.get("TZ") or 0.0)
    return w


def _read_epw(p: Path, fmt: str = "epw") -> Weather:
    from pvlib.iotools import read_epw

    data, meta = read_epw(str(p), coerce_year=1990)
    w = Weather(data, float(meta["latitude"]), float(meta["longitude"]),
                float(meta.get("altitude") or 0.0), fmt, SHIFT_MINUTES[fmt])
    w.utc_offset_hours = float(meta.get("TZ") or 0.0)
    return w


def _read_psm(p: Path) -> Weather:
    from pvlib.iotools import read_nsrdb_psm4

    data, meta = read_nsrdb_psm4(str(p), map_variables=True)
    if "pressure" in data:
        data["pressure"] = data["pressure"].astype(float) * 100.0  # mbar -> Pa
    w = Weather(data, float(meta["latitude"]), float(meta["longitude"]),
                float(meta.get("altitude") or 0.0), "nsrdb-psm", SHIFT_MINUTES["nsrdb-psm"])
    w.utc_offset_hours = float(meta.get("Time Zone") or 0.0)
    return w


def _pvgis_offset_hours(meta: dict) -> float:
    """PVGIS states when its TMY irradiance values were observed: csv header line
    "Irradiance Time Offset (h)", json ``inputs.location.irradiance_time_offset``."""
    inputs = meta.get("inputs") or {}
    places = [inputs, inputs.get("location") or {}, meta]
    for place in places:
        if not isinstance(place, dict):
            continue
        for key, value in place.items():
            if isinstance(key, str) and "offset" in key.lower():
                try:
                    return float(value)
                except (TypeError, ValueError):
                    continue
    return 0.0


def _read_pvgis_tmy(p: Path, pvgis_format: str) -> Weather:
    from pvlib.iotools import read_pvgis_tmy

    data, meta = read_pvgis_tmy(str(p), pvgis_format=pvgis_format, map_variables=True)
    loc = meta.get("inputs", {}).get("location", meta.get("inputs", {}))
    lat = float(loc.get("latitude"))
    lon = float(loc.get("longitude"))
    alt = float(loc.get("elevation") or 0.0)
    offset = _pvgis_offset_hours(meta)
    fmt = f"pvgis-tmy-{pvgis_format}"
    w = Weather(data, lat, lon, alt, fmt, offset * 60.0)
    w.utc_offset_hours = float(round(lon / 15.0))
    return w


def _read_pvgis_hourly(p: Path, pvgis_format: str) -> Weather:
    from pvlib.iotools import read_pvgis_hourly

    data, meta = read_pvgis_hourly(str(p), pvgis_format=pvgis_format, map_variables=True)
    inputs = meta.get("inputs", {})
    loc = inputs.get("location", inputs)
    lat = float(loc.get("latitude"))
    lon = float(loc.get("longitude"))
    alt = float(loc.get("elevation") or 0.0)
    if not {"ghi", "dni", "dhi"} <= set(data.columns):
        data = _pvgis_horizontal_components(p, data, inputs, lat, lon, alt)
    w = Weather(data, lat, lon, alt, f"pvgis-hourly-{pvgis_format}", 0.0)
    w.utc_offset_hours = float(round(lon / 15.0))
    return w


def _pvgis_horizontal_components(p, data, inputs, lat, lon, alt):
    """PVGIS hourly files hold plane-of-array values. With a horizontal plane
    (slope 0) and components, they are GHI and its parts; anything else
    cannot be turned back into horizontal data honestly."""
    slope = None
    plane = inputs.get("mounting_system", {})
    if isinstance(plane, dict):
        for v in plane.values():
            if isinstance(v, dict) and isinstance(v.get("slope"), dict):
                slope = v["slope"].get("value")
    for key, value in inputs.items():
        if isinstance(key, str) and key.lower().startswith("slope"):
            try:
                slope = float(str(value).split()[0])
            except ValueError:
                pass
    if not {"poa_direct", "poa_sky_diffuse"} <= set(data.columns) or slope not in (0, 0.0):
        raise ParseError(
            f"weather file {p.name}: PVGIS hourly file has plane-of-array irradiance only; "
            "download it with slope 0 and 'radiation components' ticked"
        )
    import numpy as np
    from pvlib import solarposition

    sp = solarposition.get_solarposition(data.index, lat, lon, alt)
    cosz = np.cos(np.radians(sp["zenith"].to_numpy()))
    beam_h = data["poa_direct"].astype(float).to_numpy()
    dni = np.where(cosz > 0.05, beam_h / np.maximum(cosz, 0.05), 0.0)
    data = data.copy()
    data["dhi"] = data["poa_sky_diffuse"].astype(float)
    data["ghi"] = beam_h + data["dhi"].to_numpy()
    data["dni"] = dni
    return data


_READERS = {
    "tmy3": _read_tmy3,
    "tmy2": _read_tmy2,
    "epw": _read_epw,
    "pvgis-tmy-epw": lambda p: _read_epw(p, "pvgis-tmy-epw"),
    "nsrdb-psm": _read_psm,
    "pvgis-tmy-csv": lambda p: _read_pvgis_tmy(p, "csv"),
    "pvgis-tmy-json": lambda p: _read_pvgis_tmy(p, "json"),
    "pvgis-hourly-csv": lambda p: _read_pvgis_hourly(p, "csv"),
    "pvgis-hourly-json": lambda p: _read_pvgis_hourly(p, "json"),
}


def _finish(w: Weather) -> None:
    """Check columns and values, apply the timestamp shift, keep what we need."""
    import pandas as pd

    data = w.data
    missing = [c for c in ("ghi", "dni", "dhi") if c not in data.columns]
    if missing:
        raise ParseError(f"weather file {w.name}: no {', '.join(missing)} column(s)")
    if not (-90 <= w.latitude <= 90) or not (-180 <= w.longitude <= 180) or math.isnan(w.latitude):
        raise ParseError(f"weather file {w.name}: latitude/longitude out of range")
    out = pd.DataFrame(index=data.index)
    for col in ("ghi", "dni", "dhi"):
        out[col] = pd.to_numeric(data[col], errors="coerce").astype(float).clip(lower=0).fillna(0.0)
    out["temp_air"] = (
        pd.to_numeric(data["temp_air"], errors="coerce").astype(float) if "temp_air" in data else 20.0
    )
    out["wind_speed"] = (
        pd.to_numeric(data["wind_speed"], errors="coerce").astype(float) if "wind_speed" in data else 1.0
    )
    out["temp_air"] = out["temp_air"].fillna(out["temp_air"].mean() if out["temp_air"].notna().any() else 20.0)
    out["wind_speed"] = out["wind_speed"].fillna(1.0).clip(lower=0)
    if len(out) < 24 * 28:
        raise ParseError(f"weather file {w.name}: only {len(out)} rows, expected hourly data of a year")
    if out["ghi"].max() <= 0:
        raise ParseError(f"weather file {w.name}: irradiance is zero everywhere")
    if out["ghi"].max() > 1500 or out["dni"].max() > 1500:
        raise ParseError(f"weather file {w.name}: irradiance above 1500 W/m2; not hourly W/m2 data")
    idx = out.index
    if idx.tz is None:
        idx = idx.tz_localize("UTC")
    if w.utc_offset_hours == 0.0 and str(idx.tz) != "UTC":
        w.utc_offset_hours = _tz_hours(idx)
    out.index = idx + pd.Timedelta(minutes=w.shift_minutes)
    w.data = out


def load_bytes_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


__all__ = ["Weather", "FORMATS", "detect_format", "read_weather", "file_sha256"]
