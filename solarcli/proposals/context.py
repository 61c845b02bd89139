"""Builds the template context of a proposal from plain data.

Inputs are plain dicts (solar.yaml, the project and customer records, the engine's
estimate) so this is testable without a repository. The variable catalogue
(``solar template vars``) documents every top-level name produced here
(``solarcli.proposals.catalogue``); a test keeps the two in step.

What the customer must never see is removed here, before any template runs: the BOM
margin (folded into the displayed prices, see ``customer_price``) and hidden BOM items
(pooled into one line).
"""
from __future__ import annotations

import base64
import datetime as _dt
import mimetypes
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from solarcli.errors import ValidationError
from solarcli.proposals import charts
from solarcli.proposals.formatting import fmt_money, fmt_number, locale_for, month_names, to_decimal
from solarcli.proposals.i18n import Translator

CENT = Decimal("0.01")

PAGES = ["cover", "summary", "system", "production", "consumption", "flow", "battery",
         "bom", "price", "finance", "cash_flow", "environment", "assumptions", "terms",
         "signature"]
TEXTS = ["intro", "terms", "payment", "closing", "warranty"]
DEFAULT_VALIDITY_DAYS = 30

DEFAULT_PRIMARY = "#f59e0b"
DEFAULT_SECONDARY = "#1f2937"


def _q(x: Decimal) -> Decimal:
    return x.quantize(CENT, ROUND_HALF_UP)


def _s(x: Decimal) -> str:
    return str(_q(x))


# ----------------------------------------------------------------------------- offer
def offer_settings(config_data: dict) -> dict:
    """``offer:`` from solar.yaml with defaults; unknown page names are an error."""
    offer = dict((config_data or {}).get("offer") or {})
    pages_cfg = offer.get("pages") or {}
    if not isinstance(pages_cfg, dict):
        raise ValidationError(f"solar.yaml: offer.pages: found {pages_cfg!r}; expected a mapping of page: true|false")
    unknown = sorted(set(pages_cfg) - set(PAGES))
    if unknown:
        raise ValidationError(f"solar.yaml: offer.pages: unknown page {unknown[0]!r}; expected any of {', '.join(PAGES)}")
    pages = {p: bool(pages_cfg.get(p, True)) for p in PAGES}
    days = offer.get("validity_days", DEFAULT_VALIDITY_DAYS)
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValidationError(f"solar.yaml: offer.validity_days: found {days!r}; expected a whole number of days >= 1")
    texts = offer.get("texts") or {}
    if not isinstance(texts, dict):
        raise ValidationError(f"solar.yaml: offer.texts: found {texts!r}; expected a mapping (intro, terms, payment, closing, warranty)")
    return {"pages": pages, "validity_days": days, "texts": texts,
            "language": offer.get("language"), "template": offer.get("template"),
            "cover_image": offer.get("cover_image") or "",
            "show_unit_prices": bool(offer.get("show_unit_prices", True))}


_PH = re.compile(r"\{(customer|company|valid_until|validity_days|number|project)\}")


def offer_text(settings: dict, key: str, lang: str, t: Translator, values: dict) -> str:
    """A page text: solar.yaml ``offer.texts.KEY`` (a string, or one per language), else
    the catalogue's default ``text.KEY``. Only the documented ``{placeholders}`` are
    filled; the text is never evaluated as a template."""
    raw = settings["texts"].get(key)
    if isinstance(raw, dict):
        raw = raw.get(lang, raw.get("default"))
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raw = t.get(f"text.{key}", "")
    return _PH.sub(lambda m: str(values.get(m.group(1), m.group(0))), str(raw)).strip()


# ----------------------------------------------------------------------------- price
def customer_price(price: dict) -> dict:
    """The BOM as the customer sees it: margin folded into the prices, hidden items pooled.

    Every displayed amount is the engine's amount times ``1 + margin_pct/100``; the
    discount shown is the engine's discount times that factor, and the subtotal shown is
    ``net + discount shown``, so the list adds up to the engine's net price to the cent
    and nothing reveals the margin. Hidden items are pooled into one line (their share,
    plus the cent residual of rounding); without hidden items the residual goes to the
    largest lump-sum line.
    """
    items = list(price.get("items") or [])
    net = to_decimal(price["net"])
    subtotal = to_decimal(price["subtotal"])
    discount = to_decimal(price.get("discount", 0))
    margin_pct = to_decimal(price.get("margin_pct", 0) or 0)
    factor = 1 + margin_pct / 100
    discount_shown = _q(discount * factor)
    subtotal_shown = net + discount_shown

    visible, hidden_total = [], Decimal(0)
    for it in items:
        total = to_decimal(it["total"])
        if not it.get("visible", True):
            hidden_total += total
            continue
        qty = to_decimal(it.get("quantity", 1))
        unit = to_decimal(it.get("unit_price", total))
        if it.get("pricing") == "per-watt" or qty == 0:
            line = _q(total * factor)
            unit_shown = (unit * factor).quantize(Decimal("0.0001"), ROUND_HALF_UP)
        else:
            unit_shown = _q(unit * factor)
            line = _q(unit_shown * qty)
        visible.append({"name": str(it.get("name", "")), "category": str(it.get("category", "")),
                        "pricing": str(it.get("pricing", "")), "quantity": it.get("quantity", 1),
                        "unit": str(it.get("unit", "")), "unit_price": unit_shown, "total": line})
    residual = subtotal_shown - sum((v["total"] for v in visible), Decimal(0))
    other = None
    if hidden_total or (residual and not visible):
        other = residual
    elif residual:
        lumps = [v for v in visible if to_decimal(v["quantity"]) == 1] or visible
        target = max(lumps, key=lambda v: v["total"])
        target["total"] += residual
        if to_decimal(target["quantity"]) == 1:
            target["unit_price"] = target["total"]
    for v in visible:
        v["unit_price"] = str(v["unit_price"])
        v["total"] = _s(v["total"])
    _ = subtotal  # the engine's own subtotal is at cost; never shown
    return {
        "currency": str(price.get("currency") or "EUR"),
        "items": visible,
        "other_items_total": None if other is None else _s(other),
        "subtotal": _s(subtotal_shown),
        "discount_pct": to_decimal(price.get("discount_pct") or 0),
        "discount": _s(discount_shown),
        "net": _s(net),
        "vat_pct": to_decimal(price.get("vat_pct") or 0),
        "vat": _s(to_decimal(price.get("vat", 0))),
        "total": _s(to_decimal(price["total"])),
    }


# ----------------------------------------------------------------------------- helpers
def _address_lines(addr: Any, home_country: str = "") -> list[str]:
    """Street, postcode + city, country (the country only when it is not the installer's)."""
    if not addr:
        return []
    if isinstance(addr, str):
        return [line.strip() for line in addr.splitlines() if line.strip()]
    if not isinstance(addr, dict):
        return [str(addr)]
    lines = []
    if addr.get("street"):
        lines.append(str(addr["street"]))
    city = " ".join(str(addr[k]) for k in ("postcode", "city") if addr.get(k))
    if city:
        lines.append(city)
    if addr.get("country") and str(addr["country"]).upper() != home_country.upper():
        lines.append(str(addr["country"]))
    return lines


def _phone(value: str, region: str) -> str:
    """An E.164 number in international format for print (+49 761 234567)."""
    try:
        import phonenumbers

        return phonenumbers.format_number(phonenumbers.parse(value, region or None),
                                          phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except Exception:  # not parseable: print as stored
        return value


def data_uri(repo_root: Path | None, relpath: str, *, where: str) -> str:
    """An image inside the records repository as a data: URI (empty when not set)."""
    if not relpath:
        return ""
    if repo_root is None:
        raise ValidationError(f"{where}: {relpath!r} needs a records repository")
    root = Path(repo_root).resolve()
    path = (root / relpath).resolve()
    try:
        path.relative_to(root)
    except ValueError:
        raise ValidationError(f"{where}: {relpath!r} is outside the records repository") from None
    if not path.is_file():
        raise ValidationError(f"{where}: file {relpath!r} not found in the records repository")
    mime = mimetypes.guess_type(path.name)[0] or ""
    if path.suffix.lower() == ".svg":
        mime = "image/svg+xml"
    if not mime.startswith("image/"):
        raise ValidationError(f"{where}: {relpath!r} is not an image (png, jpg, svg, gif, webp)")
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _lighten(hex_color: str, amount: float) -> str:
    h = hex_color.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    r, g, b = (round(c + (255 - c) * amount) for c in (r, g, b))
    return f"#{r:02x}{g:02x}{b:02x}"


def _customer(contact: dict | None, project: dict, home: str = "") -> dict:
    c = contact or {}
    emails = c.get("emails") or []
    phones = c.get("phones") or []
    name = c.get("name") or c.get("company") or project.get("customer_name") or ""
    return {"id": c.get("id") or "", "name": str(name),
            "company": str(c.get("company") or "") if c.get("name") else "",
            "email": str(emails[0]) if emails else "", "phone": _phone(str(phones[0]), home) if phones else "",
            "address_lines": _address_lines(c.get("address"), home)}


def _plain(x: Any) -> Any:
    """ruamel/compound values → plain dicts/lists (templates see plain data only)."""
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    return x


# ----------------------------------------------------------------------------- context
def build_context(*, config_data: dict, project: dict, contact: dict | None, estimate: dict,
                  proposal: dict, lang: str, template_dirs: list[Path],
                  repo_root: Path | None = None, off_grid: bool | None = None) -> dict:
    """Everything a proposal template can use (see ``solar template vars``)."""
    config_data = _plain(config_data or {})
    project = _plain(project or {})
    contact = _plain(contact) if contact else None
    est = _plain(estimate)
    t = Translator(lang, template_dirs)
    locale = locale_for(lang, config_data.get("locale"))
    settings = offer_settings(config_data)
    company_cfg = config_data.get("company") or {}
    colors = company_cfg.get("colors") or company_cfg.get("colours") or {}
    from solarcli.proposals.render import safe_color

    primary = safe_color(colors.get("primary"), DEFAULT_PRIMARY)
    secondary = safe_color(colors.get("secondary"), DEFAULT_SECONDARY)
    brand = {"primary": primary, "secondary": secondary, "primary_light": _lighten(primary, 0.85),
             "secondary_light": _lighten(secondary, 0.9)}
    home = str(config_data.get("country") or "")
    if not home and "_" in str(config_data.get("locale") or ""):
        home = str(config_data["locale"]).split("_")[1]
    company = {
        "name": str(company_cfg.get("name") or ""),
        "tax_id": str(company_cfg.get("tax_id") or ""),
        "website": str(company_cfg.get("website") or ""),
        "phone": _phone(str(company_cfg.get("phone") or ""), home) if company_cfg.get("phone") else "",
        "email": str(company_cfg.get("email") or ""),
        "address_lines": _address_lines(company_cfg.get("address"), home),
        "logo": data_uri(repo_root, str(company_cfg.get("logo") or ""), where="solar.yaml company.logo"),
    }
    price = customer_price(est["price"])
    currency = price["currency"]
    customer = _customer(contact, project, home)
    site = project.get("site") or {}
    grid = str(project.get("grid") or ("off-grid" if off_grid else "on-grid"))
    if off_grid is None:
        off_grid = grid == "off-grid"
    system = est["system"]
    battery = system.get("battery")
    months = month_names(locale)

    prop = dict(proposal)
    prop.setdefault("status", "draft")
    values = {"customer": customer["name"], "company": company["name"],
              "valid_until": _fmt_date(prop.get("valid_until"), locale),
              "validity_days": settings["validity_days"], "number": prop.get("number", ""),
              "project": project.get("name", "")}
    texts = {k: offer_text(settings, k, lang, t, values) for k in TEXTS}
    pages = dict(settings["pages"])
    if not battery:
        pages["battery"] = False

    production = dict(est["production"])
    balance = dict(est["balance"])
    finance = dict(est["finance"])
    finance["co2_avoided_t"] = round(float(finance.get("co2_avoided_kg") or 0) / 1000, 1)
    co2 = dict(finance.get("co2_factor") or {})
    where = ", ".join(str(co2[k]) for k in ("country", "year") if co2.get(k) not in (None, ""))
    co2["note"] = "; ".join(x for x in (where, str(co2.get("source") or "")) if x)
    co2.setdefault("kg_per_kwh", 0)
    finance["co2_factor"] = co2
    losses = [{"name": k, "label": t.get(f"loss.{k}", k.replace("_", " ")), "pct": v}
              for k, v in (est.get("losses") or {}).items()]
    consumption = dict(est.get("consumption") or {})

    def nfmt(v: float) -> str:
        return fmt_number(v, locale, 0)

    chart = {}
    if production.get("monthly_kwh"):
        chart["production"] = charts.monthly_bars(
            [(t("chart.production"), production["monthly_kwh"], primary)], months, nfmt,
            title=t("production.title"), unit="kWh")
    else:
        chart["production"] = ""
    monthly = balance.get("monthly") or []
    if monthly and production.get("monthly_kwh"):
        chart["balance"] = charts.monthly_bars(
            [(t("chart.production"), [m["production_kwh"] for m in monthly], primary),
             (t("chart.consumption"), [m["consumption_kwh"] for m in monthly], secondary),
             (t("chart.self_consumed"), [m["self_consumed_kwh"] for m in monthly], "#2e8b57")],
            months, nfmt, title=t("consumption.title"), unit="kWh")
    elif consumption.get("monthly_kwh"):
        chart["balance"] = charts.monthly_bars(
            [(t("chart.consumption"), consumption["monthly_kwh"], secondary)], months, nfmt,
            title=t("consumption.title"), unit="kWh")
    else:
        chart["balance"] = ""
    flows = [row for row in finance.get("cash_flow") or []]
    chart["cash_flow"] = charts.cash_flow_chart(
        [int(r["year"]) for r in flows], [float(r["cash_flow"]) for r in flows],
        [float(r["cumulative"]) for r in flows],
        lambda v: fmt_money(v, currency, locale, 0), labels=(t("chart.annual_cash_flow"), t("chart.cumulative")),
        colors=("#2e8b57", "#c0392b", secondary)) if flows else ""
    chart["flow"] = charts.energy_flow(
        pv=float(production["annual_kwh"]),
        home=float(consumption.get("annual_kwh") or 0),
        battery=float(balance.get("battery_throughput_kwh") or 0) if battery else None,
        to_home=float(balance.get("self_consumed_kwh") or 0),
        to_grid=float(balance.get("exported_kwh") or 0),
        from_grid=float(balance.get("imported_kwh") or 0),
        curtailed=float(balance.get("curtailed_kwh") or 0),
        labels={"pv": t("flow.pv"), "home": t("flow.home"), "battery": t("flow.battery"),
                "grid": t("flow.grid"), "curtailed": t("flow.curtailed"), "backup": t("flow.backup"),
                "kwh_year": t("unit.kwh_year"), "title": t("flow.title")},
        fmt=nfmt, brand=primary, off_grid=off_grid)

    return {
        "lang": lang,
        "locale": locale,
        "currency": currency,
        "t": t,
        "months": months,
        "company": company,
        "brand": brand,
        "customer": customer,
        "project": {"id": str(project.get("id", "")), "short_id": str(project.get("id", ""))[:7],
                    "name": str(project.get("name", "")), "facility": str(project.get("facility") or ""),
                    "grid": grid,
                    "site": {"address_lines": _address_lines(site.get("address") if isinstance(site, dict) else site, home),
                             "lat": site.get("lat") if isinstance(site, dict) else None,
                             "lon": site.get("lon") if isinstance(site, dict) else None}},
        "proposal": prop,
        "offer": {"pages": pages, "texts": texts, "validity_days": settings["validity_days"],
                  "cover_image": data_uri(repo_root, str(settings["cover_image"]), where="solar.yaml offer.cover_image"),
                  "show_unit_prices": settings["show_unit_prices"]},
        "off_grid": bool(off_grid),
        "has_battery": bool(battery),
        "design": est.get("design") or {},
        "system": system,
        "production": production,
        "consumption": consumption,
        "balance": balance,
        "losses": losses,
        "price": price,
        "finance": finance,
        "tariff": est.get("tariff") or {},
        "assumptions": est.get("assumptions") or {},
        "charts": chart,
    }


def _fmt_date(value: Any, locale: str) -> str:
    if not value:
        return ""
    from solarcli.proposals.formatting import fmt_date

    return fmt_date(value, locale, "long")


def validity_end(date: _dt.date, days: int) -> _dt.date:
    return date + _dt.timedelta(days=days)
