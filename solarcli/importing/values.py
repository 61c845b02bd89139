"""Parse cell values of import files into field values.

Every parser takes the raw cell (str, int, float, bool, datetime, list, None)
and returns the parsed value or raises :class:`BadValue` with a reason.
"""
from __future__ import annotations

import datetime as _dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from solarcli.importing.mapping import normalise_header


class BadValue(ValueError):
    """A cell cannot be used; ``str(exc)`` is the reason shown to the user."""


def is_blank(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, str):
        return not v.strip()
    if isinstance(v, (list, tuple, dict)):
        return not v
    return False


def text(v: Any) -> str:
    """A cell as trimmed text (numbers without a spurious ``.0``)."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, _dt.datetime):
        if v.time() == _dt.time(0):
            return v.date().isoformat()
        return v.isoformat()
    if isinstance(v, _dt.date):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return ", ".join(text(x) for x in v if not is_blank(x))
    return str(v).strip()


def split_multi(v: Any) -> list[str]:
    """Several values in one cell: lists, or text split on ``,`` ``;`` ``|``,
    newlines and Google's ``:::``."""
    if isinstance(v, (list, tuple)):
        out: list[str] = []
        for x in v:
            out.extend(split_multi(x))
        return out
    s = text(v)
    parts = re.split(r"\s*(?::::|[,;|\n])\s*", s)
    return [p.strip() for p in parts if p.strip()]


def split_list_keep_commas(v: Any) -> list[str]:
    """Split e-mail or phone cells: ``;``, ``|``, newlines, ``:::`` and ``,``
    (commas never occur inside an e-mail address or a phone number)."""
    return split_multi(v)


_UNIT_RE = re.compile(r"(?i)\s*(kwh|kw|mwh|eur|€|usd|\$|try|tl|chf|£|kwp|/\s*a|/\s*jahr|p\.?\s*a\.?)\s*")


def parse_number(v: Any, *, what: str = "number") -> Decimal:
    """``"4.500"``, ``"4,500 kWh"``, ``"12.345,67 €"``, ``"3.5"``, ``4500`` -> Decimal.

    One separator that occurs several times, or once followed by exactly three
    digits, is a thousands separator; with both ``.`` and ``,`` the last one is
    the decimal separator."""
    if isinstance(v, bool):
        raise BadValue(f"expected a {what}, got a yes/no value")
    if isinstance(v, int):
        return Decimal(v)
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            raise BadValue(f"expected a {what}")
        return Decimal(repr(v))
    if isinstance(v, Decimal):
        return v
    s = text(v)
    s = _UNIT_RE.sub("", s).replace("\u00a0", "").replace(" ", "").replace("'", "")
    if not s:
        raise BadValue(f"expected a {what}")
    neg = s.startswith("-")
    if s[0] in "+-":
        s = s[1:]
    if not re.fullmatch(r"[0-9.,]+", s) or not re.search(r"[0-9]", s):
        raise BadValue(f"expected a {what}, got {text(v)!r}")
    if "." in s and "," in s:
        dec = "." if s.rfind(".") > s.rfind(",") else ","
        thou = "," if dec == "." else "."
        s = s.replace(thou, "").replace(dec, ".")
    elif "," in s or "." in s:
        sep = "," if "," in s else "."
        parts = s.split(sep)
        if len(parts) > 2 or (len(parts[1]) == 3 and parts[0] not in ("", "0")):
            if not all(len(p) == 3 for p in parts[1:]):
                raise BadValue(f"expected a {what}, got {text(v)!r}")
            s = "".join(parts)
        else:
            s = parts[0] + "." + parts[1]
    try:
        d = Decimal(s)
    except InvalidOperation:
        raise BadValue(f"expected a {what}, got {text(v)!r}") from None
    return -d if neg else d


def number_value(d: Decimal) -> int | float:
    """Decimal -> int when whole, else float (for YAML)."""
    if d == d.to_integral_value():
        return int(d)
    return float(d)


_TRUE = {"1", "yes", "y", "true", "x", "ja", "j", "evet", "wahr", "on", "ok", "checked", "✓"}
_FALSE = {"0", "no", "n", "false", "nein", "hayır", "hayir", "falsch", "off", "-", ""}


def parse_bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return bool(v)
    s = text(v).casefold()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise BadValue(f"expected yes or no, got {text(v)!r}")


# Enumerations with synonyms (compared normalised)
INTERESTS = {
    "battery": ("battery", "batteries", "storage", "battery storage", "home battery", "speicher",
                "stromspeicher", "batteriespeicher", "batterie", "akku", "batarya", "depolama"),
    "heat-pump": ("heat pump", "heat-pump", "heatpump", "wärmepumpe", "waermepumpe", "wp",
                  "isı pompası", "isi pompasi"),
    "ev-charger": ("ev charger", "ev-charger", "ev charging", "ev", "wallbox", "charger",
                   "ladestation", "e-auto", "eauto", "elektroauto", "charging station",
                   "şarj", "şarj istasyonu", "sarj istasyonu"),
}
FACILITIES = {
    "residential": ("residential", "home", "house", "private", "privat", "household", "haushalt",
                    "einfamilienhaus", "efh", "wohnhaus", "mehrfamilienhaus", "mfh", "konut",
                    "ev", "müstakil"),
    "commercial": ("commercial", "business", "gewerbe", "gewerblich", "office", "büro", "retail",
                   "ticari", "işyeri"),
    "industrial": ("industrial", "industry", "industrie", "factory", "fabrik", "halle",
                   "sanayi", "fabrika"),
    "agricultural": ("agricultural", "agriculture", "farm", "landwirtschaft", "hof", "stall",
                     "bauernhof", "tarım", "tarim", "çiftlik"),
}
GRIDS = {
    "on-grid": ("on-grid", "on grid", "ongrid", "grid-tied", "grid tied", "netzgekoppelt",
                "netzparallel", "einspeisung", "şebeke bağlantılı"),
    "zero-injection": ("zero-injection", "zero injection", "zero export", "no export",
                       "nulleinspeisung", "null-einspeisung", "sıfır ihracat"),
    "off-grid": ("off-grid", "off grid", "offgrid", "island", "insel", "inselanlage",
                 "autark", "şebekeden bağımsız"),
}
KINDS = {
    "person": ("person", "individual", "private", "privatperson", "privat", "bireysel", "kişi"),
    "company": ("company", "business", "organisation", "organization", "firma", "unternehmen",
                "gewerbe", "kurumsal", "şirket"),
}


def _enum_lookup(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, names in table.items():
        for n in (key, *names):
            out[normalise_header(n)] = key
    return out


_INTEREST = _enum_lookup(INTERESTS)
_FACILITY = _enum_lookup(FACILITIES)
_GRID = _enum_lookup(GRIDS)
_KIND = _enum_lookup(KINDS)


def parse_enum(v: Any, table: str) -> str:
    lookup = {"interest": _INTEREST, "facility": _FACILITY, "grid": _GRID, "kind": _KIND}[table]
    names = {"interest": INTERESTS, "facility": FACILITIES, "grid": GRIDS, "kind": KINDS}[table]
    n = normalise_header(text(v))
    if n in lookup:
        return lookup[n]
    raise BadValue(f"unknown {table} {text(v)!r}; expected one of {', '.join(names)}")


def parse_interests(v: Any) -> list[str]:
    out: list[str] = []
    for part in split_multi(v):
        key = parse_enum(part, "interest")
        if key not in out:
            out.append(key)
    return out


def parse_monthly(v: Any) -> list[int | float]:
    parts = v if isinstance(v, (list, tuple)) else re.split(r"\s*[;|\s]\s*", text(v))
    parts = [p for p in parts if not is_blank(p)]
    if len(parts) != 12:
        raise BadValue(f"expected 12 monthly values separated by ';', got {len(parts)}")
    return [number_value(parse_number(p, what="monthly kWh value")) for p in parts]


def parse_coordinate(v: Any, *, lat: bool) -> float:
    d = parse_number(v, what="latitude" if lat else "longitude")
    limit = 90 if lat else 180
    if not -limit <= d <= limit:
        raise BadValue(f"{'latitude' if lat else 'longitude'} out of range")
    return float(d)
