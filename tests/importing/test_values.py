"""Cell values: numbers in German and English notation, enumerations, yes/no."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from solarcli.importing import values as V


@pytest.mark.parametrize("raw,expected", [
    ("4500", "4500"), ("4.500", "4500"), ("4,500", "4500"), ("4.500 kWh", "4500"), ("12.345,67 €", "12345.67"),
    ("12,345.67", "12345.67"), ("3,5", "3.5"), ("3.5", "3.5"), ("0,750", "0.750"), ("1.234.567", "1234567"),
    (4500, "4500"), (31500.5, "31500.5"), ("-5", "-5"), ("5 200 kWh/a", "5200"),
])
def test_parse_number(raw, expected):
    assert V.parse_number(raw) == Decimal(expected)


@pytest.mark.parametrize("raw", ["viel", "", "1.23.4", "12-3", True, "abc kWh"])
def test_parse_number_rejects(raw):
    with pytest.raises(V.BadValue):
        V.parse_number(raw)


def test_interests_and_enums():
    assert V.parse_interests("Speicher, Wallbox; Wärmepumpe") == ["battery", "ev-charger", "heat-pump"]
    assert V.parse_interests(["battery", "EV charger", "battery"]) == ["battery", "ev-charger"]
    assert V.parse_enum("Einfamilienhaus", "facility") == "residential"
    assert V.parse_enum("Landwirtschaft", "facility") == "agricultural"
    assert V.parse_enum("Nulleinspeisung", "grid") == "zero-injection"
    with pytest.raises(V.BadValue, match="expected one of battery"):
        V.parse_interests("solar thermal")


def test_bool_text_monthly():
    assert V.parse_bool("Ja") and V.parse_bool("x") and not V.parse_bool("No") and not V.parse_bool("")
    with pytest.raises(V.BadValue):
        V.parse_bool("vielleicht")
    assert V.text(4500.0) == "4500" and V.text(dt.datetime(2026, 1, 2)) == "2026-01-02"
    assert V.parse_monthly("1;2;3;4;5;6;7;8;9;10;11;12,5") == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12.5]
    with pytest.raises(V.BadValue, match="12 monthly"):
        V.parse_monthly("1;2;3")
