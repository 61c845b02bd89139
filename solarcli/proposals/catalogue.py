"""The documented variables of proposal templates (``solar template vars``).

One entry per variable: (name, type, description). Top-level names are exactly the keys
``build_context`` produces (a test checks both ways); nested names document the fields
templates use most. Engine fields follow the estimate JSON (docs: 40-estimate-json).
"""
from __future__ import annotations

VARIABLES: list[tuple[str, str, str]] = [
    ("lang", "str", "language of the proposal: en, de, tr, ..."),
    ("locale", "str", "babel locale used by the filters, e.g. de_DE"),
    ("currency", "str", "ISO currency code of the prices, e.g. EUR"),
    ("t", "function", "t(key, **values): text from templates/i18n/<lang>.yaml, e.g. t('price.total')"),
    ("months", "list[str]", "12 abbreviated month names in the proposal's language"),
    ("company", "map", "from solar.yaml company:"),
    ("company.name", "str", "company name"),
    ("company.tax_id", "str", "VAT / tax number"),
    ("company.website", "str", "website"),
    ("company.phone", "str", "phone"),
    ("company.email", "str", "e-mail"),
    ("company.address_lines", "list[str]", "address, one line per item"),
    ("company.logo", "str", "logo as a data: URI (empty when not set)"),
    ("brand", "map", "brand colours (hex) from solar.yaml company.colors"),
    ("brand.primary", "str", "primary colour, e.g. #f59e0b"),
    ("brand.secondary", "str", "secondary colour"),
    ("brand.primary_light", "str", "primary colour lightened (backgrounds)"),
    ("brand.secondary_light", "str", "secondary colour lightened (table heads)"),
    ("customer", "map", "the project's customer contact"),
    ("customer.name", "str", "name (or company name)"),
    ("customer.company", "str", "company of a person contact"),
    ("customer.email", "str", "first e-mail"),
    ("customer.phone", "str", "first phone (E.164)"),
    ("customer.address_lines", "list[str]", "address lines"),
    ("project", "map", "the project"),
    ("project.id", "str", "full project ID"),
    ("project.short_id", "str", "7-character project ID"),
    ("project.name", "str", "project name"),
    ("project.facility", "str", "residential | commercial | industrial | agricultural"),
    ("project.grid", "str", "on-grid | zero-injection | off-grid"),
    ("project.site.address_lines", "list[str]", "site address lines"),
    ("project.site.lat", "float|None", "site latitude"),
    ("project.site.lon", "float|None", "site longitude"),
    ("proposal", "map", "this proposal"),
    ("proposal.number", "str", "e.g. P-2026-7K2MQ4X v3"),
    ("proposal.version", "int", "per-project version"),
    ("proposal.date", "str", "ISO date of the proposal (use |date)"),
    ("proposal.valid_until", "str", "ISO date the offer expires (use |date)"),
    ("proposal.status", "str", "draft when rendered"),
    ("proposal.template", "str", "template file name"),
    ("proposal.language", "str", "language"),
    ("proposal.design", "str", "design name"),
    ("offer", "map", "offer settings from solar.yaml offer:"),
    ("offer.pages", "map[str,bool]", "which pages show: cover, summary, system, production, consumption, flow, "
                                     "battery, bom, price, finance, cash_flow, environment, assumptions, terms, signature"),
    ("offer.texts", "map[str,str]", "page texts intro, terms, payment, closing, warranty (language resolved, "
                                    "placeholders filled)"),
    ("offer.validity_days", "int", "validity period in days"),
    ("offer.cover_image", "str", "cover image as a data: URI (empty when not set)"),
    ("offer.show_unit_prices", "bool", "show unit prices in the BOM"),
    ("off_grid", "bool", "the project is off-grid"),
    ("has_battery", "bool", "the design has a battery"),
    ("design", "str", "design name (estimate.design)"),
    ("system", "map", "estimate.system: kwp_dc, kw_ac, dc_ac_ratio, arrays[], inverter{}, battery{}|None"),
    ("system.arrays", "list", "name, module, module_wp, count, kwp, tilt, azimuth, mounting"),
    ("system.inverter", "map", "name, kw_ac, efficiency_pct"),
    ("system.battery", "map|None", "kwh, kw, efficiency_pct, use_case"),
    ("production", "map", "estimate.production: annual_kwh, monthly_kwh (None on the map tier), "
                          "specific_yield_kwh_kwp, performance_ratio, source, source_detail, model, "
                          "uncertainty_pct, uncertainty_band_kwh [low, high], flags[]"),
    ("consumption", "map", "estimate.consumption: annual_kwh, monthly_kwh[12], profile"),
    ("balance", "map", "estimate.balance: self_consumed_kwh, exported_kwh, imported_kwh, curtailed_kwh, "
                       "self_consumption_pct, self_sufficiency_pct, battery_throughput_kwh, monthly[]"),
    ("losses", "list", "[{name, label (translated), pct}] from estimate.losses"),
    ("price", "map", "the BOM as the customer sees it (margin folded into the prices, never shown)"),
    ("price.items", "list", "visible items: name, category, pricing, quantity, unit, unit_price, total "
                            "(write price['items'] in templates)"),
    ("price.other_items_total", "str|None", "hidden items pooled into one amount (None when there are none)"),
    ("price.subtotal", "str", "sum of the lines"),
    ("price.discount_pct", "number", "discount in percent"),
    ("price.discount", "str", "discount amount"),
    ("price.net", "str", "net price"),
    ("price.vat_pct", "number", "VAT in percent"),
    ("price.vat", "str", "VAT amount"),
    ("price.total", "str", "total price incl. VAT"),
    ("finance", "map", "estimate.finance: year1_savings, simple_payback_years, payback_years (None = never), "
                       "npv, irr_pct (None = none), lcoe, cash_flow[], co2_avoided_kg, co2_factor{}, years"),
    ("finance.co2_avoided_t", "float", "CO2 avoided over the period in tonnes"),
    ("finance.cash_flow", "list", "year, production_kwh, savings, om, replacements, cash_flow, cumulative"),
    ("tariff", "map", "estimate.tariff: name, regime, purchase_price, export_price, escalation_pct, vat_pct, ..."),
    ("assumptions", "map", "estimate.assumptions: degradation_pct, escalation_pct, discount_rate_pct, years, "
                           "losses_pct, dc_ac_ratio, inverter_efficiency_pct, temperature_model, ..."),
    ("charts", "map", "inline SVG charts (print with {{ charts.production }})"),
    ("charts.production", "svg", "monthly production bars (empty without monthly values)"),
    ("charts.balance", "svg", "production, consumption and self-consumption by month"),
    ("charts.cash_flow", "svg", "annual and cumulative cash flow"),
    ("charts.flow", "svg", "energy flow diagram"),
]

FILTERS: list[tuple[str, str]] = [
    ("money", "{{ price.total|money }} → 16.084,49 € (de); money(digits=0), money('USD')"),
    ("number", "{{ production.annual_kwh|number }} → 9.790; number(2) → 9,90"),
    ("percent", "{{ balance.self_sufficiency_pct|percent }} → 77,0 % (value in percent); percent(0)"),
    ("date", "{{ proposal.date|date }} → 3. Dezember 2026; date('short'|'medium'|'long')"),
    ("years", "{{ finance.payback_years|years }} → 8,3, or the translated 'never' for None"),
    ("css_string", "a quoted CSS string (for @page content)"),
    ("md", "escape Markdown syntax (Markdown templates escape printed values already)"),
]


def top_level() -> set[str]:
    return {name for name, _, _ in VARIABLES if "." not in name}
