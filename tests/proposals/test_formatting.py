"""Locale formatting (babel filters) and the customer price as a property."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solarcli.proposals.context import customer_price
from solarcli.proposals.formatting import (fmt_date, fmt_money, fmt_number, fmt_percent, locale_for,
                                           month_names)

NB = "\xa0"


@pytest.mark.parametrize("locale,money,money0,number,percent,date", [
    ("en_GB", "€12,345.50", "€12,346", "9,790", "34.6%", "3 December 2026"),
    ("de_DE", f"12.345,50{NB}€", f"12.346{NB}€", "9.790", f"34,6{NB}%", "3. Dezember 2026"),
    ("tr_TR", "€12.345,50", "€12.346", "9.790", "%34,6", "3 Aralık 2026"),
])
def test_locale_formats(locale, money, money0, number, percent, date):
    assert fmt_money("12345.495", "EUR", locale) == money  # half up, never through float
    assert fmt_money(Decimal("12345.5"), "EUR", locale, 0) == money0
    assert fmt_number(9790.4, locale) == number
    assert fmt_percent("34.55", locale) == percent
    assert fmt_date("2026-12-03", locale) == date


def test_other_currencies_and_digits():
    assert fmt_money("368658.72", "TRY", "tr_TR") == "₺368.658,72"
    assert fmt_money("0.385", "EUR", "de_DE", 4) == f"0,3850{NB}€"
    assert fmt_money("-1234.5", "USD", "en_US") == "-$1,234.50"
    assert fmt_number("0.125", "en_GB", 2) == "0.13"


def test_locale_for_language():
    assert locale_for("de", "de_AT") == "de_AT"
    assert locale_for("de", "en_US") == "de_DE"
    assert locale_for("tr", None) == "tr_TR"
    assert locale_for("en", "de_DE") == "en_GB"
    assert month_names("de_DE")[2] == "Mär" and month_names("tr_TR")[0] == "Oca"


money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("20000"), places=2)


@settings(max_examples=200, deadline=None)
@given(items=st.lists(st.tuples(st.sampled_from(["quantity", "per-watt", "set"]), st.integers(1, 40), money,
                                st.booleans()), min_size=1, max_size=8),
       discount=st.decimals(min_value=0, max_value=30, places=1),
       margin=st.decimals(min_value=0, max_value=40, places=1),
       vat=st.sampled_from([Decimal(0), Decimal(19), Decimal(20), Decimal("7.7")]))
def test_customer_price_always_adds_up_to_the_engines_total(items, discount, margin, vat):
    c = Decimal("0.01")
    raw, sub = [], Decimal(0)
    for pricing, qty, unit, visible in items:
        if pricing == "per-watt":
            qty, unit = qty * 400, (unit / 10000).quantize(Decimal("0.0001"))
        if pricing == "set":
            qty = 1
        total = (unit * qty).quantize(c, ROUND_HALF_UP)
        sub += total
        raw.append({"name": "x", "pricing": pricing, "quantity": str(qty), "unit_price": str(unit),
                    "total": str(total), "visible": visible})
    disc = (sub * discount / 100).quantize(c, ROUND_HALF_UP)
    after = sub - disc
    marg = (after * margin / 100).quantize(c, ROUND_HALF_UP)
    net = after + marg
    vat_amt = (net * vat / 100).quantize(c, ROUND_HALF_UP)
    price = {"currency": "EUR", "items": raw, "subtotal": str(sub), "discount_pct": str(discount),
             "discount": str(disc), "after_discount": str(after), "margin_pct": str(margin),
             "margin": str(marg), "net": str(net), "vat_pct": str(vat), "vat": str(vat_amt),
             "total": str(net + vat_amt)}
    p = customer_price(price)
    lines = sum(Decimal(i["total"]) for i in p["items"]) + Decimal(p["other_items_total"] or 0)
    assert lines == Decimal(p["subtotal"])
    assert Decimal(p["subtotal"]) - Decimal(p["discount"]) == net
    assert Decimal(p["net"]) + Decimal(p["vat"]) == Decimal(p["total"]) == net + vat_amt
    assert len(p["items"]) == sum(1 for *_, v in items if v)
    assert "margin" not in p
