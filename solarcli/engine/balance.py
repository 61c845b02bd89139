"""Hourly energy balance (DOMAIN.md §4) on 8760 hours of a non-leap year, local
standard time, index = (day_of_year - 1) * 24 + hour. Pure Python (no numpy).

SC_h = min(PV_h, Load_h); export = max(PV_h - Load_h, 0); import = max(Load_h - PV_h, 0).
A battery in self-consumption mode charges from the surplus and discharges into the
deficit, within its usable capacity (kWh), power (kW) and round-trip efficiency
(applied half on charge, half on discharge: sqrt(eta) each way). Zero injection:
the export is curtailed (worth nothing).
"""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

from solarcli.errors import EngineError, ParseError

DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
HOURS = 8760

# Daily consumption profiles, share of the day's energy per hour 0..23 (percent, sum 100).
# (ours) Shapes follow typical European household load curves (e.g. the BDEW H0
# standard profile and published smart-meter averages), simplified:
#  family-day           breakfast peak 6-8, moderate daytime (children, appliances),
#                       main evening peak 17-21 (cooking, lighting, TV)
#  one-two-person       out at work: low 9-16, sharp morning and evening peaks
#  retiree-home-office  people at home: high and fairly flat 8-20, lunch bump
#  night-time           heavy night use (night-rate storage heating, EV charging 22-6)
PROFILES: dict[str, list[float]] = {
    "family-day": [
        2.0, 1.6, 1.5, 1.5, 1.6, 2.2, 4.0, 5.4, 4.8, 4.3, 4.0, 4.2,
        4.7, 4.4, 4.0, 3.7, 4.4, 6.3, 7.7, 8.0, 7.3, 5.6, 4.0, 2.8,
    ],
    "one-two-person": [
        2.4, 2.0, 1.8, 1.8, 1.9, 2.5, 4.9, 6.8, 5.0, 2.8, 2.5, 2.6,
        2.8, 2.7, 2.6, 2.8, 3.8, 6.5, 8.8, 9.2, 8.4, 7.0, 5.0, 3.4,
    ],
    "retiree-home-office": [
        2.0, 1.7, 1.6, 1.6, 1.6, 1.9, 2.8, 4.2, 5.3, 5.5, 5.5, 5.9,
        6.4, 5.7, 5.2, 5.0, 5.1, 5.7, 6.2, 6.0, 5.1, 4.1, 3.3, 2.6,
    ],
    "night-time": [
        6.8, 6.8, 6.6, 6.4, 6.0, 5.2, 4.2, 3.6, 2.8, 2.4, 2.2, 2.2,
        2.4, 2.2, 2.1, 2.2, 2.6, 3.2, 3.8, 4.0, 4.2, 4.6, 6.4, 7.1,
    ],
}
PROFILE_NAMES = tuple(PROFILES) + ("custom",)

# (ours) Monthly shares of a household's annual consumption when only the annual
# figure is known: about 20 % more in winter than in summer (lighting, heating aids).
# Northern hemisphere; mirrored (shifted 6 months) south of the equator.
MONTHLY_LOAD_SHARES = [9.6, 8.6, 8.8, 8.0, 7.6, 7.1, 7.2, 7.3, 7.5, 8.3, 9.0, 11.0]


def profile_shares(name: str | None, custom: list[float] | None = None) -> list[float]:
    """Return 24 shares summing to 1 for a profile name (or the custom shares)."""
    name = name or "family-day"
    if name == "custom":
        if custom is None or len(custom) != 24:
            n = 0 if custom is None else len(custom)
            raise EngineError(f"consumption.custom_profile: {n} values, expected 24 hourly shares")
        vals = [float(v) for v in custom]
        if any(v < 0 for v in vals):
            raise EngineError("consumption.custom_profile: shares must not be negative")
        total = sum(vals)
        if abs(total - 100.0) > 0.01:
            raise EngineError(
                f"consumption.custom_profile: shares sum to {total:g} %, expected 100 %"
            )
        return [v / 100.0 for v in vals]
    if name not in PROFILES:
        raise EngineError(
            f"consumption.profile: {name!r}; expected one of {', '.join(PROFILE_NAMES)}"
        )
    vals = PROFILES[name]
    total = sum(vals)
    return [v / total for v in vals]


def monthly_load_shares(latitude: float | None = None) -> list[float]:
    shares = list(MONTHLY_LOAD_SHARES)
    if latitude is not None and latitude < 0:
        shares = shares[6:] + shares[:6]
    total = sum(shares)
    return [s / total for s in shares]


def spread_load(
    *,
    annual_kwh: float | None = None,
    monthly_kwh: list[float] | None = None,
    profile: str | None = None,
    custom_profile: list[float] | None = None,
    latitude: float | None = None,
) -> tuple[list[float], list[float]]:
    """Spread annual or monthly consumption over 8760 hours with a daily profile.
    Returns (hourly, monthly)."""
    shares = profile_shares(profile, custom_profile)
    if monthly_kwh is not None:
        if len(monthly_kwh) != 12:
            raise EngineError(f"consumption.monthly_kwh: {len(monthly_kwh)} values, expected 12")
        monthly = [float(v) for v in monthly_kwh]
        if any(v < 0 for v in monthly):
            raise EngineError("consumption.monthly_kwh: values must not be negative")
    elif annual_kwh is not None:
        if float(annual_kwh) < 0:
            raise EngineError(f"consumption.annual_kwh: {annual_kwh} must not be negative")
        monthly = [float(annual_kwh) * s for s in monthly_load_shares(latitude)]
    else:
        raise EngineError("consumption: give annual_kwh, monthly_kwh or an hourly file")
    hourly: list[float] = []
    for m, days in enumerate(DAYS_IN_MONTH):
        per_day = monthly[m] / days
        day = [per_day * s for s in shares]
        for _ in range(days):
            hourly.extend(day)
    return hourly, monthly


def read_hourly_load(path: str | Path) -> list[float]:
    """Read a year of hourly consumption (kWh) from CSV or XLSX.

    The last numeric column of each row is taken as the value; a header row and a
    timestamp column are allowed. 8760 rows (8784 in a leap year: 29 February is
    dropped; 8784 rows are taken as a leap year starting 1 January)."""
    p = Path(path)
    if not p.is_file():
        raise EngineError(f"consumption file {p}: not found")
    rows: list[list[object]]
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(p, read_only=True, data_only=True)
        except Exception as exc:
            raise ParseError(f"consumption file {p.name}: not a readable XLSX ({exc})") from None
        ws = wb.worksheets[0]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        wb.close()
    else:
        try:
            text = p.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            text = p.read_text(encoding="latin-1")
        try:
            dialect = csv.Sniffer().sniff(text[:2048], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        rows = [r for r in csv.reader(text.splitlines(), dialect)]
    values: list[float] = []
    for n, row in enumerate(rows, start=1):
        num = None
        for cell in reversed(row):
            if cell is None or cell == "":
                continue
            if isinstance(cell, (int, float)):
                num = float(cell)
                break
            num = _number(cell)
            break
        if num is None:
            if values:  # a non-numeric row after the data started
                raise ParseError(f"consumption file {p.name}: row {n}: no numeric value")
            continue  # header
        if num < 0 or math.isnan(num):
            raise ParseError(f"consumption file {p.name}: row {n}: {num} is not a consumption in kWh")
        values.append(num)
    if len(values) == 8784:
        values = values[: 59 * 24] + values[60 * 24:]
    if len(values) != HOURS:
        raise ParseError(
            f"consumption file {p.name}: {len(values)} hourly values, expected 8760 (or 8784)"
        )
    return values


def _number(cell: object) -> float | None:
    text = str(cell).strip()
    try:
        return float(text)
    except ValueError:
        pass
    if text.count(",") == 1 and "." not in text:  # decimal comma
        try:
            return float(text.replace(",", "."))
        except ValueError:
            return None
    return None


def monthly_sums(hourly: list[float]) -> list[float]:
    out, i = [], 0
    for d in DAYS_IN_MONTH:
        out.append(sum(hourly[i:i + d * 24]))
        i += d * 24
    return out


@dataclass
class Battery:
    kwh: float
    kw: float
    efficiency_pct: float = 90.0
    use_case: str = "self-consumption"

    def check(self) -> None:
        if self.kwh <= 0:
            raise EngineError(f"battery.kwh: {self.kwh} must be positive")
        if self.kw <= 0:
            raise EngineError(f"battery.kw: {self.kw} must be positive")
        if not 50 <= self.efficiency_pct <= 100:
            raise EngineError(f"battery.efficiency_pct: {self.efficiency_pct} is outside 50-100")
        if self.use_case not in ("self-consumption", "backup", "autonomy"):
            raise EngineError(
                f"battery.use_case: {self.use_case!r}; expected self-consumption, backup or autonomy"
            )


@dataclass
class Balance:
    self_consumed_kwh: float
    exported_kwh: float
    imported_kwh: float
    curtailed_kwh: float
    battery_throughput_kwh: float
    production_kwh: float
    consumption_kwh: float
    monthly: list[dict] = field(default_factory=list)

    @property
    def self_consumption_pct(self) -> float:
        return 100.0 * self.self_consumed_kwh / self.production_kwh if self.production_kwh else 0.0

    @property
    def self_sufficiency_pct(self) -> float:
        return 100.0 * self.self_consumed_kwh / self.consumption_kwh if self.consumption_kwh else 0.0


def simulate(
    pv: list[float],
    load: list[float],
    *,
    battery: Battery | None = None,
    zero_injection: bool = False,
) -> Balance:
    """Hour-by-hour balance. ``self_consumed`` counts PV used on site directly or
    through the battery (battery discharge into the load)."""
    if len(pv) != HOURS or len(load) != HOURS:
        raise EngineError(f"balance: expected {HOURS} hourly values (got {len(pv)}, {len(load)})")
    soc = 0.0
    if battery is not None:
        battery.check()
        # backup/autonomy reserve a part of the capacity (ours): 30 % kept for outages
        usable = battery.kwh * (0.7 if battery.use_case == "backup" else 1.0)
        eta = math.sqrt(battery.efficiency_pct / 100.0)
    months = []
    h = 0
    tot = dict(sc=0.0, ex=0.0, im=0.0, cu=0.0, thr=0.0, pv=0.0, load=0.0)
    for m, days in enumerate(DAYS_IN_MONTH):
        acc = dict(sc=0.0, ex=0.0, im=0.0, cu=0.0, pv=0.0, load=0.0)
        for _ in range(days * 24):
            p, l = pv[h], load[h]
            direct = p if p < l else l
            surplus = p - direct
            deficit = l - direct
            sc = direct
            if battery is not None:
                if surplus > 0:
                    charge = min(surplus, battery.kw, (usable - soc) / eta)
                    if charge > 0:
                        soc += charge * eta
                        surplus -= charge
                        tot["thr"] += charge
                elif deficit > 0 and soc > 0:
                    out = min(deficit, battery.kw, soc * eta)
                    soc -= out / eta
                    deficit -= out
                    sc += out
            if zero_injection:
                acc["cu"] += surplus
            else:
                acc["ex"] += surplus
            acc["sc"] += sc
            acc["im"] += deficit
            acc["pv"] += p
            acc["load"] += l
            h += 1
        months.append({
            "month": m + 1,
            "production_kwh": acc["pv"],
            "consumption_kwh": acc["load"],
            "self_consumed_kwh": acc["sc"],
            "exported_kwh": acc["ex"],
            "imported_kwh": acc["im"],
        })
        for k in ("sc", "ex", "im", "cu", "pv", "load"):
            tot[k] += acc[k]
    return Balance(
        self_consumed_kwh=tot["sc"], exported_kwh=tot["ex"], imported_kwh=tot["im"],
        curtailed_kwh=tot["cu"], battery_throughput_kwh=tot["thr"],
        production_kwh=tot["pv"], consumption_kwh=tot["load"], monthly=months,
    )
