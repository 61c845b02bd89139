"""Locale-aware formatting for proposals (babel), exposed to templates as filters.

Templates never format numbers themselves: ``{{ price.total|money }}``,
``{{ production.annual_kwh|number }}``, ``{{ proposal.date|date }}``. Every filter reads
the proposal's locale from the template context (variable ``locale``) so one Jinja
environment serves every language.

Money arrives as strings with two decimals (the engine's JSON-safe schema) or Decimal;
it is converted to ``Decimal`` and never goes through float.
"""
from __future__ import annotations

import datetime as _dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from jinja2 import pass_context

# Default locale for a proposal language when solar.yaml's locale is another language.
LANGUAGE_LOCALES = {"en": "en_GB", "de": "de_DE", "tr": "tr_TR", "fr": "fr_FR", "es": "es_ES",
                    "it": "it_IT", "nl": "nl_NL", "pt": "pt_PT", "pl": "pl_PL"}


def locale_for(language: str, configured: str | None = None) -> str:
    """The babel locale for a proposal in ``language``.

    The repository's configured locale wins when it is for the same language (``de_AT``
    for a German proposal of an Austrian installer); otherwise a sensible default.
    """
    configured = (configured or "").replace("-", "_")
    if configured and configured.split("_")[0].lower() == language.lower():
        return configured
    return LANGUAGE_LOCALES.get(language.lower(), language)


def to_decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or value is None:
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None


def to_date(value: Any) -> _dt.date:
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        return _dt.date.fromisoformat(value[:10])
    raise ValueError(f"not a date: {value!r}")


def fmt_money(value: Any, currency: str, locale: str, digits: int | None = None) -> str:
    """Money in the locale's currency format; ``digits=0`` rounds to whole units."""
    from babel import Locale
    from babel.numbers import format_currency

    amount = to_decimal(value)
    if digits is None or digits == 2:
        return format_currency(amount.quantize(Decimal("0.01"), ROUND_HALF_UP), currency, locale=locale)
    pattern = Locale.parse(locale).currency_formats["standard"].pattern.split(";")[0]
    pattern = pattern.replace("#,##0.00", "#,##0" + ("." + "0" * digits if digits else ""))
    return format_currency(amount.quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP), currency, format=pattern,
                           locale=locale, currency_digits=False)


def fmt_number(value: Any, locale: str, digits: int = 0) -> str:
    from babel.numbers import format_decimal

    num = to_decimal(value).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)
    fmt = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(num, format=fmt, locale=locale, decimal_quantization=False)


def fmt_percent(value: Any, locale: str, digits: int = 1) -> str:
    """``value`` is already in percent (``34.5`` → ``34,5 %`` de, ``%34,5`` tr), as in the
    engine's schema; the locale's own percent pattern decides sign position and spacing."""
    from babel import Locale
    from babel.numbers import format_percent

    num = (to_decimal(value) / 100).quantize(Decimal(1).scaleb(-(digits + 2)), ROUND_HALF_UP)
    pattern = Locale.parse(locale).percent_formats[None].pattern.split(";")[0]
    pattern = pattern.replace("#,##0", "#,##0" + ("." + "0" * digits if digits > 0 else ""), 1)
    return format_percent(num, format=pattern, locale=locale, decimal_quantization=False)


def fmt_date(value: Any, locale: str, style: str = "long") -> str:
    from babel.dates import format_date

    return format_date(to_date(value), format=style, locale=locale)


def month_names(locale: str, width: str = "abbreviated") -> list[str]:
    from babel.dates import get_month_names

    names = get_month_names(width, context="stand-alone", locale=locale)
    return [str(names[i]) for i in range(1, 13)]


# --- Jinja filters (read ``locale`` and ``currency`` from the render context) -------------

def _ctx_locale(ctx) -> str:
    loc = ctx.get("locale")
    return str(loc) if loc else "en_GB"


def _ctx_currency(ctx) -> str:
    cur = ctx.get("currency")
    return str(cur) if cur else "EUR"


@pass_context
def money_filter(ctx, value, currency: str | None = None, digits: int | None = None) -> str:
    """``{{ x|money }}`` → ``12.345,50 €`` (de); ``{{ x|money(digits=0) }}`` → ``12.346 €``."""
    return fmt_money(value, currency or _ctx_currency(ctx), _ctx_locale(ctx), digits)


@pass_context
def number_filter(ctx, value, digits: int = 0) -> str:
    return fmt_number(value, _ctx_locale(ctx), digits)


@pass_context
def percent_filter(ctx, value, digits: int = 1) -> str:
    return fmt_percent(value, _ctx_locale(ctx), digits)


@pass_context
def date_filter(ctx, value, style: str = "long") -> str:
    return fmt_date(value, _ctx_locale(ctx), style)


@pass_context
def years_filter(ctx, value, digits: int = 1) -> str:
    """A payback in years, or the translated word for "never" when it is ``None``."""
    if value is None:
        t = ctx.get("t")
        return t("never") if t is not None else "never"
    return fmt_number(value, _ctx_locale(ctx), digits)


FILTERS = {
    "money": money_filter,
    "number": number_filter,
    "percent": percent_filter,
    "date": date_filter,
    "years": years_filter,
}
