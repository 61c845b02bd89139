"""Write the bundled Greensboro TMY3 year (pvlib/data/723170TYA.CSV) in the other
weather formats, each with its own timestamp convention, so that tests can check
that every reader puts the same sun at the same hour."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pvlib

DATA = Path(pvlib.__path__[0]) / "data"
TMY3 = DATA / "723170TYA.CSV"
TMY2 = DATA / "12839.tm2"
TMY3_ALASKA = DATA / "703165TY.csv"
LAT, LON, ELEV, TZ = 36.1, -79.95, 273.0, -5


def _rows():
    """(month, day, hour_ending 1..24, ghi, dni, dhi, temp, wind, pressure_mbar)."""
    with open(TMY3, newline="") as fh:
        r = csv.reader(fh)
        next(r)
        head = next(r)
        col = {name: i for i, name in enumerate(head)}
        for row in r:
            m, d, _y = row[col["Date (MM/DD/YYYY)"]].split("/")
            h = int(row[col["Time (HH:MM)"]].split(":")[0])
            yield (int(m), int(d), h, float(row[col["GHI (W/m^2)"]]), float(row[col["DNI (W/m^2)"]]),
                   float(row[col["DHI (W/m^2)"]]), float(row[col["Dry-bulb (C)"]]),
                   float(row[col["Wspd (m/s)"]]), float(row[col["Pressure (mbar)"]]))


def _utc(month, day, hour_start_local, minute):
    """Local standard time (UTC-5) interval start → UTC 'YYYYMMDD:HHMM' in 1990/1991."""
    import datetime as dt

    t = dt.datetime(1990, month, day) + dt.timedelta(hours=hour_start_local - TZ, minutes=minute)
    return t.strftime("%Y%m%d:%H%M")


def write_epw(path: Path) -> Path:
    lines = [
        f"LOCATION,Greensboro,NC,USA,TMY3,723170,{LAT},{LON},{TZ:.1f},{ELEV}",
        "DESIGN CONDITIONS,0", "TYPICAL/EXTREME PERIODS,0", "GROUND TEMPERATURES,0",
        "HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0", "COMMENTS 1,synthetic from 723170TYA",
        "COMMENTS 2,", "DATA PERIODS,1,1,Data,Sunday, 1/ 1,12/31",
    ]
    for m, d, h, ghi, dni, dhi, t, ws, p in _rows():
        fields = [1990, m, d, h, 60, "?", t, 0.0, 50, p * 100, 0, 0, 300, ghi, dni, dhi,
                  0, 0, 0, 0, 180, ws, 5, 5, 10, 77777, 9, 999999999, 10, 0.1, 0, 88, 0.2, 0, 1]
        lines.append(",".join(str(x) for x in fields))
    path.write_text("\n".join(lines) + "\n")
    return path


def write_psm(path: Path) -> Path:
    """NSRDB PSM / SAM csv: mid-hour labels (Minute 30), local standard time."""
    lines = [
        "Source,Location ID,City,State,Country,Latitude,Longitude,Time Zone,Elevation,Local Time Zone,Version",
        f"NSRDB,123,Greensboro,NC,US,{LAT},{LON},{TZ},{int(ELEV)},{TZ},3.2.0",
        "Year,Month,Day,Hour,Minute,GHI,DNI,DHI,Temperature,Wind Speed,Pressure",
    ]
    for m, d, h, ghi, dni, dhi, t, ws, p in _rows():
        lines.append(f"1990,{m},{d},{h - 1},30,{ghi},{dni},{dhi},{t},{ws},{p}")
    path.write_text("\n".join(lines) + "\n")
    return path


def write_pvgis_tmy_csv(path: Path) -> Path:
    """PVGIS TMY csv: UTC hour stamps plus an 'Irradiance Time Offset (h)' line."""
    lines = [f"Latitude (decimal degrees): {LAT}", f"Longitude (decimal degrees): {LON}",
             f"Elevation (m): {ELEV}", "Irradiance Time Offset (h): 0.5", "month,year"]
    lines += [f"{m},1990" for m in range(1, 13)]
    lines.append("time(UTC),T2m,RH,G(h),Gb(n),Gd(h),IR(h),WS10m,WD10m,SP")
    for m, d, h, ghi, dni, dhi, t, ws, p in _rows():
        lines.append(f"{_utc(m, d, h - 1, 0)},{t},50,{ghi},{dni},{dhi},300,{ws},180,{p * 100}")
    lines += ["", "T2m: 2-m air temperature (degree Celsius)", "G(h): Global irradiance on the horizontal plane (W/m2)"]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    return path


def _pvgis_json_rows(key_time: str):
    for m, d, h, ghi, dni, dhi, t, ws, p in _rows():
        yield m, d, h, ghi, dni, dhi, t, ws, p, _utc(m, d, h - 1, 30)


def write_pvgis_tmy_json(path: Path) -> Path:
    """PVGIS TMY json: UTC hour stamps, the offset in inputs.location.irradiance_time_offset."""
    hourly = [{"time(UTC)": _utc(m, d, h - 1, 0), "T2m": t, "RH": 50, "G(h)": ghi, "Gb(n)": dni,
               "Gd(h)": dhi, "IR(h)": 300, "WS10m": ws, "WD10m": 180, "SP": p * 100}
              for m, d, h, ghi, dni, dhi, t, ws, p in _rows()]
    src = {"inputs": {"location": {"latitude": LAT, "longitude": LON, "elevation": ELEV,
                                   "irradiance_time_offset": 0.5}},
           "outputs": {"months_selected": [{"month": i, "year": 1990} for i in range(1, 13)],
                       "tmy_hourly": hourly},
           "meta": {"inputs": {}}}
    path.write_text(json.dumps(src))
    return path


def write_pvgis_hourly_csv(path: Path) -> Path:
    """PVGIS hourly (seriescalc) on a horizontal plane with radiation components."""
    lines = [f"Latitude (decimal degrees):\t{LAT}", f"Longitude (decimal degrees):\t{LON}",
             f"Elevation (m):\t{ELEV}", "Radiation database:\tPVGIS-NSRDB", "",
             "Slope: 0 deg. ", "Azimuth: 0 deg. ", "time,Gb(i),Gd(i),Gr(i),H_sun,T2m,WS10m,Int"]
    for m, d, h, ghi, dni, dhi, t, ws, p, ts in _pvgis_json_rows("time"):
        lines.append(f"{ts},{max(ghi - dhi, 0)},{dhi},0.0,0.0,{t},{ws},0")
    lines += ["", "Gb(i): Beam (direct) irradiance on the inclined plane (plane of the array) (W/m2)"]
    path.write_text("\r\n".join(lines) + "\r\n")
    return path


def write_pvgis_hourly_json(path: Path, slope: float = 0) -> Path:
    hourly = [{"time": ts, "Gb(i)": max(ghi - dhi, 0), "Gd(i)": dhi, "Gr(i)": 0.0, "H_sun": 0.0,
               "T2m": t, "WS10m": ws, "Int": 0}
              for m, d, h, ghi, dni, dhi, t, ws, p, ts in _pvgis_json_rows("time")]
    src = {"inputs": {"location": {"latitude": LAT, "longitude": LON, "elevation": ELEV},
                      "mounting_system": {"fixed": {"slope": {"value": slope}, "azimuth": {"value": 0}}}},
           "outputs": {"hourly": hourly}, "meta": {"inputs": {}}}
    path.write_text(json.dumps(src))
    return path


WRITERS = {
    "epw": write_epw,
    "nsrdb-psm": write_psm,
    "pvgis-tmy-csv": write_pvgis_tmy_csv,
    "pvgis-tmy-json": write_pvgis_tmy_json,
    "pvgis-hourly-csv": write_pvgis_hourly_csv,
    "pvgis-hourly-json": write_pvgis_hourly_json,
}
SUFFIX = {"epw": ".epw", "nsrdb-psm": ".csv", "pvgis-tmy-csv": ".csv", "pvgis-tmy-json": ".json",
          "pvgis-hourly-csv": ".csv", "pvgis-hourly-json": ".json"}
