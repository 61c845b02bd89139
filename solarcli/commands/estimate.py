"""Project verbs of the solar engine: ``solar project consumption|tariff|finance|estimate``."""
from __future__ import annotations

import click

from solarcli.commands._common import emit, get_repo, info, parse_numbers
from solarcli.commands.project import project

__all__: list[str] = []  # verbs are added to the existing `project` group


def _show_section(repo, ref: str, key: str, fmt: str = "yaml") -> None:
    from solarcli.engine.estimate import plain

    rec = repo.load(ref, "project")
    emit(plain(rec.data.get(key) or {}), fmt)


@project.command("consumption")
@click.argument("project_ref", metavar="ID")
@click.option("--annual", "annual_kwh", type=float, metavar="KWH", help="Annual consumption in kWh.")
@click.option("--monthly", metavar="V1,...,V12", help="12 monthly kWh values, January to December.")
@click.option("--profile", type=click.Choice(["family-day", "one-two-person", "retiree-home-office", "night-time", "custom"]),
              help="Daily consumption profile used to spread annual/monthly values over the hours.")
@click.option("--custom-profile", metavar="S0,...,S23", help="24 hourly shares in % summing to 100 (sets --profile custom).")
@click.option("--hourly", metavar="FILE|DOC", help="Hourly consumption of a year (CSV or XLSX, 8760 values); attached to the project.")
@click.option("--no-hourly", is_flag=True, help="Stop using the hourly file.")
def project_consumption(project_ref, annual_kwh, monthly, profile, custom_profile, hourly, no_hourly):
    """Set (or, without options, show) the consumption of project ID."""
    from solarcli.engine import inputs

    repo = get_repo()
    if all(v is None for v in (annual_kwh, monthly, profile, custom_profile, hourly)) and not no_hourly:
        _show_section(repo, project_ref, "consumption")
        return
    if annual_kwh is not None and monthly is not None:
        raise click.UsageError("give --annual or --monthly, not both")
    rec = inputs.set_consumption(repo, project_ref, annual_kwh=annual_kwh,
                                 monthly_kwh=parse_numbers(monthly, 12, "--monthly"), profile=profile,
                                 custom_profile=parse_numbers(custom_profile, 24, "--custom-profile"),
                                 hourly=hourly, clear_hourly=no_hourly)
    info(f"{rec.label}: consumption updated")


@project.command("tariff")
@click.argument("project_ref", metavar="ID")
@click.option("--preset", metavar="NAME", help="Start from a tariff preset of solar.yaml (tariffs:).")
@click.option("--purchase", "purchase_price", metavar="PRICE", help="Retail (purchase) price per kWh.")
@click.option("--export", "export_price", metavar="PRICE", help="Export price per kWh (feed-in / net billing).")
@click.option("--regime", type=click.Choice(["feed-in", "net-billing", "net-metering", "zero-injection"]))
@click.option("--escalation", "escalation_pct", type=float, metavar="PCT", help="Annual retail price escalation, %.")
@click.option("--export-escalation", "export_escalation_pct", type=float, metavar="PCT",
              help="Annual export price change, % (default 0: flat).")
@click.option("--vat", "vat_pct", type=float, metavar="PCT", help="VAT on electricity, %.")
@click.option("--prices-exclude-vat", is_flag=True, default=None,
              help="The prices given are without VAT (VAT is added to the retail price).")
@click.option("--currency", metavar="CODE", help="Currency (default: solar.yaml currency).")
def project_tariff(project_ref, preset, purchase_price, export_price, regime, escalation_pct,
                   export_escalation_pct, vat_pct, prices_exclude_vat, currency):
    """Set (or, without options, show) the electricity tariff of project ID."""
    from solarcli.engine import inputs

    repo = get_repo()
    values = {"purchase_price": purchase_price, "export_price": export_price, "regime": regime,
              "escalation_pct": escalation_pct, "export_escalation_pct": export_escalation_pct,
              "vat_pct": vat_pct, "currency": currency,
              "prices_include_vat": False if prices_exclude_vat else None}
    if preset is None and all(v is None for v in values.values()):
        _show_section(repo, project_ref, "tariff")
        return
    rec = inputs.set_tariff(repo, project_ref, preset=preset, values=values)
    info(f"{rec.label}: tariff updated")


def _replacement(text: str) -> dict:
    parts = text.split(":", 2)
    if len(parts) < 2:
        raise click.BadParameter(f"{text!r}: expected YEAR:COST[:NAME]", param_hint="--replacement")
    try:
        year = int(parts[0])
    except ValueError:
        raise click.BadParameter(f"{text!r}: YEAR must be a whole number", param_hint="--replacement")
    return {"year": year, "cost": parts[1], "name": parts[2] if len(parts) > 2 else None}


@project.command("finance")
@click.argument("project_ref", metavar="ID")
@click.option("--years", type=int, help="Years of the cash flow (default 25).")
@click.option("--degradation", "degradation_pct", type=float, metavar="PCT", help="Yearly production loss, % (default 0.5).")
@click.option("--discount-rate", "discount_rate_pct", type=float, metavar="PCT", help="Discount rate for NPV/LCOE, % (default 4).")
@click.option("--om", "om_per_year", metavar="AMOUNT", help="Operation and maintenance per year.")
@click.option("--om-escalation", "om_escalation_pct", type=float, metavar="PCT", help="Yearly O&M increase, %.")
@click.option("--incentives", metavar="AMOUNT", help="Upfront incentives (subtracted from the investment).")
@click.option("--replacement", "replacements", multiple=True, metavar="YEAR:COST[:NAME]",
              help="A replacement cost in a year, e.g. 13:1500:inverter (repeatable).")
@click.option("--clear-replacements", is_flag=True, help="Remove all replacements first.")
@click.option("--co2", "co2_kg_per_kwh", type=float, metavar="KG_PER_KWH",
              help="CO2 factor for this project (default: solar.yaml co2_factors for the site country).")
@click.option("--co2-source", metavar="TEXT", help="Where the CO2 factor comes from.")
@click.option("--co2-year", type=int, help="Year of the CO2 factor.")
def project_finance(project_ref, years, degradation_pct, discount_rate_pct, om_per_year, om_escalation_pct,
                    incentives, replacements, clear_replacements, co2_kg_per_kwh, co2_source, co2_year):
    """Set (or, without options, show) the financial assumptions of project ID."""
    from solarcli.engine import inputs

    repo = get_repo()
    values = {"years": years, "degradation_pct": degradation_pct, "discount_rate_pct": discount_rate_pct,
              "om_per_year": om_per_year, "om_escalation_pct": om_escalation_pct, "incentives": incentives,
              "co2_kg_per_kwh": co2_kg_per_kwh, "co2_source": co2_source, "co2_year": co2_year}
    if all(v is None for v in values.values()) and not replacements and not clear_replacements:
        _show_section(repo, project_ref, "finance")
        return
    rec = inputs.set_finance(repo, project_ref, values=values,
                             replacements=[_replacement(t) for t in replacements],
                             clear_replacements=clear_replacements)
    info(f"{rec.label}: finance updated")


@project.command("estimate")
@click.argument("project_ref", metavar="ID")
@click.option("--design", "design_name", metavar="DESIGN", help="Estimate this design (default: the current one).")
@click.option("--format", "-f", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def project_estimate(project_ref, design_name, fmt):
    """Production, energy balance, price, savings, payback, NPV, IRR, LCOE, cash flow and
    CO2 of project ID, with every assumption used. Read-only."""
    from solarcli.engine.estimate import estimate_project

    repo = get_repo()
    rec = repo.load(project_ref, "project")
    result = estimate_project(repo, rec.data, design_name)
    if fmt == "json":
        emit(result, "json")
    else:
        click.echo(render_table(result), nl=False)


def render_table(r: dict) -> str:
    from tabulate import tabulate

    def kv(rows):
        return tabulate([[k, "" if v is None else v] for k, v in rows], tablefmt="plain", disable_numparse=True)

    out = []
    s, p, b, pr, f = r["system"], r["production"], r["balance"], r["price"], r["finance"]
    cur = pr["currency"]
    out.append(f"Project {r['project']['name']} ({r['project']['id']}), design {r['design']}")
    out.append("")
    out.append("SYSTEM")
    rows = [("DC power", f"{s['kwp_dc']} kWp"), ("AC power", f"{s['kw_ac']} kW"), ("DC/AC ratio", s["dc_ac_ratio"])]
    for a in s["arrays"]:
        mod = f"{a['count']} × {a['module'] or 'module'} {a['module_wp']:g} Wp, " if a["count"] else ""
        rows.append((f"array {a['name']}", f"{mod}{a['kwp']} kWp, tilt {a['tilt']:g}°, azimuth {a['azimuth']:g}°, {a['mounting']}"))
    inv = s["inverter"]
    rows.append(("inverter", f"{inv['name'] or ''} {inv['kw_ac']} kW AC, {inv['efficiency_pct']:g} %".strip()))
    if s["battery"]:
        bt = s["battery"]
        rows.append(("battery", f"{bt['kwh']:g} kWh / {bt['kw']:g} kW, {bt['efficiency_pct']:g} % round trip, {bt['use_case']}"))
    out.append(kv(rows))
    out.append("")
    out.append("PRODUCTION")
    unc = f"±{p['uncertainty_pct']:g} % ({p['uncertainty_band_kwh'][0]:,.0f}–{p['uncertainty_band_kwh'][1]:,.0f} kWh)" \
        if p["uncertainty_pct"] else "not stated"
    rows = [("annual", f"{p['annual_kwh']:,.0f} kWh"), ("specific yield", f"{p['specific_yield_kwh_kwp']:,.0f} kWh/kWp"),
            ("performance ratio", f"{p['performance_ratio']:.3f}" if p["performance_ratio"] is not None else "n/a"),
            ("source", f"{p['source']}: {p['source_detail']}"), ("model", p["model"]), ("uncertainty", unc)]
    for fl in p["flags"]:
        rows.append(("WARNING", fl))
    out.append(kv(rows))
    out.append("")
    out.append("ENERGY BALANCE (kWh)")
    months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    mrows = []
    for m in b["monthly"]:
        mrows.append([months[m["month"] - 1],
                      "" if m["production_kwh"] is None else f"{m['production_kwh']:,.0f}",
                      f"{m['consumption_kwh']:,.0f}", f"{m['self_consumed_kwh']:,.0f}",
                      f"{m['exported_kwh']:,.0f}", f"{m['imported_kwh']:,.0f}"])
    mrows.append(["year", f"{p['annual_kwh']:,.0f}", f"{r['consumption']['annual_kwh']:,.0f}",
                  f"{b['self_consumed_kwh']:,.0f}", f"{b['exported_kwh']:,.0f}", f"{b['imported_kwh']:,.0f}"])
    out.append(tabulate(mrows, headers=["month", "production", "consumption", "self-consumed", "exported", "imported"],
                        tablefmt="simple", disable_numparse=True, colalign=("left",) + ("right",) * 5))
    if p["monthly_kwh"] is None:
        out.append("(monthly production is not shown for this source)")
    rows = [("self-consumption", f"{b['self_consumption_pct']} % of production"),
            ("self-sufficiency", f"{b['self_sufficiency_pct']} % of consumption"),
            ("curtailed (zero injection)", f"{b['curtailed_kwh']:,.0f} kWh"),
            ("battery throughput", f"{b['battery_throughput_kwh']:,.0f} kWh")]
    out.append(kv(rows))
    out.append("")
    out.append(f"PRICE ({cur})")
    irows = [[i["name"], i["pricing"], f"{i['quantity']} {i['unit']}", i["unit_price"], i["total"],
              "" if i["visible"] else "hidden"] for i in pr["items"]]
    out.append(tabulate(irows, headers=["item", "pricing", "quantity", "unit price", "total", ""],
                        tablefmt="simple", disable_numparse=True))
    out.append(kv([("subtotal", pr["subtotal"]), (f"discount {pr['discount_pct']:g} %", "-" + pr["discount"]),
                   ("after discount", pr["after_discount"]), (f"margin {pr['margin_pct']:g} %", pr["margin"]),
                   ("net", pr["net"]), (f"VAT {pr['vat_pct']:g} %", pr["vat"]), ("total", pr["total"])]))
    out.append("")
    out.append(f"FINANCE ({cur})")

    def yrs(v):
        return "never" if v is None else f"{v:.1f} years"

    t = r["tariff"]
    out.append(kv([
        ("tariff", f"{t['regime']}, purchase {t['effective_purchase_price']}/kWh, export {t['export_price']}/kWh"
                   + (f" (preset {t['name']})" if t["name"] else "")),
        ("year-1 savings", f["year1_savings"]), ("simple payback", yrs(f["simple_payback_years"])),
        ("payback (cumulative)", yrs(f["payback_years"])), (f"NPV ({r['assumptions']['discount_rate_pct']:g} %)", f["npv"]),
        ("IRR", "none" if f["irr_pct"] is None else f"{f['irr_pct']:.2f} %"),
        ("LCOE", f"{f['lcoe']}/kWh" if f["lcoe"] is not None else "n/a"),
        ("CO2 avoided", f"{f['co2_avoided_kg'] / 1000:,.1f} t over {f['years']} years "
                        f"({f['co2_factor']['kg_per_kwh']} kg/kWh, {f['co2_factor']['country'] or ''} "
                        f"{f['co2_factor']['year'] or ''}, {f['co2_factor']['source']})"),
    ]))
    out.append("")
    out.append(f"CASH FLOW ({cur})")
    crows = [[c["year"], f"{c['production_kwh']:,.0f}", c["savings"], c["om"], c["replacements"], c["cash_flow"],
              c["cumulative"]] for c in f["cash_flow"]]
    out.append(tabulate(crows, headers=["year", "kWh", "savings", "O&M", "replacements", "cash flow", "cumulative"],
                        tablefmt="simple", disable_numparse=True, colalign=("right",) * 7))
    out.append("")
    out.append("ASSUMPTIONS")
    arows = []
    for k, v in r["assumptions"].items():
        if isinstance(v, list):
            v = "; ".join(", ".join(f"{kk}={vv}" for kk, vv in x.items()) for x in v) or "none"
        arows.append((k, v))
    arows.append(("losses", ", ".join(f"{k} {v:g} %" for k, v in r["losses"].items())))
    out.append(kv(arows))
    out.append(f"inputs hash: {r['inputs_hash']}")
    return "\n".join(out) + "\n"
