"""Put the engine together for one project: design → production → balance →
price → cash flow. ``estimate_project`` returns a JSON-safe dict whose keys are
documented in README.md ("Estimate JSON") (the proposals rely on them).
"""
from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from solarcli.engine import balance as bal
from solarcli.engine import finance as fin
from solarcli.engine import production as prod
from solarcli.errors import EngineError, NotFoundError

DOMAIN_FINANCE = {
    "years": 25,
    "degradation_pct": 0.5,
    "escalation_pct": 2,
    "discount_rate_pct": 4,
    "om_per_year": 0,
    "om_escalation_pct": 0,
    "incentives": 0,
}
SOURCES = ("entered", "weather-file", "map")


# --------------------------------------------------------------------------- helpers


def plain(x: Any) -> Any:
    """ruamel CommentedMap/Seq → plain dict/list (recursively)."""
    if isinstance(x, dict):
        return {str(k): plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    if isinstance(x, bool) or x is None or isinstance(x, (int, float, str)):
        return x
    if isinstance(x, Decimal):
        return str(x)
    return str(x)


def m2(x: Decimal | None) -> str | None:
    return None if x is None else str(fin.money(x))


def r1(x: float | None) -> float | None:
    return None if x is None else round(float(x), 1)


def r2(x: Any) -> float | None:
    return None if x is None else round(float(x), 2)


def designs_of(project: dict) -> list[dict]:
    ds = project.get("designs") or []
    if not isinstance(ds, list):
        raise EngineError("designs: expected a list of designs")
    return ds


def pick_design(project: dict, name: str | None = None) -> dict:
    ds = designs_of(project)
    if not ds:
        raise EngineError(
            f"project {project.get('id', '')}: designs: the project has no design; add one with `solar design add`"
        )
    want = name or project.get("current_design")
    if want is None:
        return ds[0]
    for d in ds:
        if str(d.get("name")) == str(want):
            return d
    names = ", ".join(str(d.get("name")) for d in ds)
    raise NotFoundError(f"design {want!r}: not found; the project has {names}")


def site_of(project: dict) -> tuple[float | None, float | None]:
    site = project.get("site") or {}
    lat, lon = site.get("lat"), site.get("lon")
    return (float(lat) if lat is not None else None, float(lon) if lon is not None else None)


def document_path(repo, project: dict, ref: str, what: str) -> Path:
    """A file named by an attached document's name, or a path relative to the repo.
    Never outside the records repository (a hand-edited ``../x`` is refused)."""
    from solarcli.repo import safe_relpath

    root = Path(repo.root)
    for doc in project.get("documents") or []:
        if str(doc.get("name")) == str(ref) or str(doc.get("path")) == str(ref):
            full = root / safe_relpath(root, str(doc.get("path")))
            if not full.is_file():
                raise EngineError(f"{what}: document {ref!r} is listed but {doc.get('path')} is missing")
            return full
    full = root / safe_relpath(root, str(ref))
    if full.is_file():
        return full
    raise EngineError(f"{what}: {ref!r} is not a document attached to the project")


def _cfg(repo) -> dict:
    data = getattr(getattr(repo, "config", None), "data", None) or {}
    return data


# --------------------------------------------------------------------------- parts


def system_of(design: dict) -> tuple[list[prod.Array], dict, dict | None]:
    arrays = prod.as_arrays(design.get("arrays") or [])
    kwp = sum(a.kwp for a in arrays)
    inv = design.get("inverter") or {}
    kw_ac = float(inv["kw_ac"]) if inv.get("kw_ac") is not None else kwp / prod.DEFAULT_DC_AC
    if kw_ac <= 0:
        raise EngineError(f"inverter.kw_ac: {kw_ac} must be positive")
    eff = float(inv.get("efficiency_pct", prod.DEFAULT_INVERTER_EFF_PCT))
    if not 50 <= eff <= 100:
        raise EngineError(f"inverter.efficiency_pct: {eff} is outside 50-100")
    inverter = {"name": inv.get("name"), "kw_ac": kw_ac, "efficiency_pct": eff}
    battery = None
    b = design.get("battery")
    if b:
        battery = {
            "kwh": float(b.get("kwh", 0)), "kw": float(b.get("kw", 0)),
            "efficiency_pct": float(b.get("efficiency_pct", 90)),
            "use_case": str(b.get("use_case", "self-consumption")),
        }
        bal.Battery(**battery).check()
    return arrays, inverter, battery


def production_of(repo, project: dict, design: dict, arrays, inverter) -> tuple[prod.Production, dict]:
    p = design.get("production") or {}
    source = p.get("source")
    lat, lon = site_of(project)
    if p.get("latitude") is not None:
        lat, lon = float(p["latitude"]), float(p["longitude"])
    if source is None:
        if p.get("annual_kwh") is not None or p.get("monthly_kwh"):
            source = "entered"
        elif p.get("weather_file"):
            source = "weather-file"
        elif lat is not None and lon is not None:
            source = "map"
        else:
            raise EngineError(
                "design.production: no production source: enter production, attach a weather "
                "file, or set the site latitude/longitude for the rough map"
            )
    if source not in SOURCES:
        raise EngineError(f"design.production.source: {source!r}; expected entered, weather-file or map")
    kwp = sum(a.kwp for a in arrays)
    tmodel = str(design.get("temperature_model", "fuentes"))
    common = dict(
        kw_ac=inverter["kw_ac"], inverter_eff_pct=inverter["efficiency_pct"],
        losses=plain(design.get("losses") or {}),
        gamma_pct=float(design.get("gamma_pct", prod.DEFAULT_GAMMA_PCT)),
        temperature_model=tmodel, albedo=float(design.get("albedo", prod.DEFAULT_ALBEDO)),
    )
    extra: dict = {}
    if source == "entered":
        monthly = p.get("monthly_kwh")
        result = prod.entered(
            kwp, annual_kwh=p.get("annual_kwh"), monthly_kwh=list(monthly) if monthly else None,
            tool=p.get("tool"), latitude=lat, uncertainty_pct=p.get("uncertainty_pct"),
        )
    elif source == "weather-file":
        from solarcli.engine import weather as wx

        ref = p.get("weather_file")
        if not ref:
            raise EngineError("design.production.weather_file: missing; attach a weather file")
        path = document_path(repo, project, ref, "design.production.weather_file")
        w = wx.read_weather(path, p.get("weather_format"))
        extra["weather_sha256"] = w.sha256
        result = prod.from_weather(w, arrays, **common)
        if lat is not None and lon is not None:
            from solarcli.engine.irradiation_map import distance_km

            km = distance_km(lat, lon, w.latitude, w.longitude)
            if km > 50:
                result.flags.append(
                    f"the weather file is for {w.latitude:.3f}, {w.longitude:.3f}, "
                    f"{km:,.0f} km from the site"
                )
    else:
        if lat is None or lon is None:
            raise EngineError("site.lat/site.lon: the map fallback needs the site latitude and longitude")
        result = prod.from_map(lat, lon, arrays, altitude=float(p.get("altitude", 0) or 0), **common)
    return result, extra


def consumption_of(repo, project: dict) -> tuple[list[float], dict, dict]:
    c = project.get("consumption") or {}
    lat, _ = site_of(project)
    extra: dict = {}
    if c.get("hourly_file"):
        path = document_path(repo, project, c["hourly_file"], "consumption.hourly_file")
        hourly = bal.read_hourly_load(path)
        monthly = bal.monthly_sums(hourly)
        profile = "hourly file"
        extra["consumption_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    else:
        if c.get("annual_kwh") is None and not c.get("monthly_kwh"):
            raise EngineError("consumption.annual_kwh: the project has no consumption; set it with `solar project consumption`")
        custom = c.get("custom_profile")
        hourly, monthly = bal.spread_load(
            annual_kwh=c.get("annual_kwh"),
            monthly_kwh=list(c["monthly_kwh"]) if c.get("monthly_kwh") else None,
            profile=c.get("profile"), custom_profile=list(custom) if custom else None, latitude=lat,
        )
        profile = c.get("profile") or "family-day"
    return hourly, {"annual_kwh": sum(hourly), "monthly_kwh": monthly, "profile": profile}, extra


def tariff_of(repo, project: dict) -> fin.Tariff:
    cfg = _cfg(repo)
    raw = plain(project.get("tariff") or {})
    fdefaults = {**DOMAIN_FINANCE, **plain(cfg.get("finance") or {})}
    return fin.tariff_from(raw, default_currency=str(cfg.get("currency") or "EUR"),
                           default_escalation_pct=fdefaults["escalation_pct"])


def design_items(repo, design: dict, arrays, inverter, battery) -> list[dict]:
    """BOM lines taken from the design: modules, inverter, battery. Prices from
    design.prices (module per piece, inverter, battery) or solar.yaml costs."""
    costs = plain(_cfg(repo).get("costs") or {})
    prices = plain(design.get("prices") or {})

    def need(key: str, what: str) -> Decimal:
        if costs.get(key) is None:
            raise EngineError(
                f"costs.{key}: not set in solar.yaml; set it or give design prices.{what}"
            )
        return fin.D(costs[key], f"costs.{key}")

    items = []
    for a in arrays:
        label = a.module or (f"PV module {a.module_wp:g} Wp" if a.module_wp else "PV modules")
        if a.count and a.module_wp:
            unit = (fin.D(prices["module"], "prices.module") if prices.get("module") is not None
                    else need("module_per_wp", "module") * fin.D(a.module_wp))
            items.append({"name": label, "category": "module", "pricing": "quantity",
                          "quantity": a.count, "unit": "pc", "unit_price": unit, "source": "design"})
        else:
            unit = (fin.D(prices["module_per_wp"], "prices.module_per_wp")
                    if prices.get("module_per_wp") is not None else need("module_per_wp", "module_per_wp"))
            items.append({"name": f"{label} ({a.name})", "category": "module", "pricing": "per-watt",
                          "quantity": fin.D(repr(round(a.kwp * 1000, 3))), "unit_price": unit,
                          "source": "design"})
    inv_name = inverter.get("name") or f"Inverter {round(inverter['kw_ac'], 2):g} kW AC"
    unit = (fin.D(prices["inverter"], "prices.inverter") if prices.get("inverter") is not None
            else need("inverter_per_kw", "inverter") * fin.D(repr(round(inverter["kw_ac"], 3))))
    items.append({"name": inv_name, "category": "inverter", "pricing": "quantity", "quantity": 1,
                  "unit": "pc", "unit_price": unit, "source": "design"})
    if battery:
        b = design.get("battery") or {}
        name = b.get("name") or f"Battery {battery['kwh']:g} kWh / {battery['kw']:g} kW"
        unit = (fin.D(prices["battery"], "prices.battery") if prices.get("battery") is not None
                else need("battery_per_kwh", "battery") * fin.D(repr(round(battery["kwh"], 3))))
        items.append({"name": name, "category": "battery", "pricing": "quantity", "quantity": 1,
                      "unit": "pc", "unit_price": unit, "source": "design"})
    return items


def price_of(repo, project: dict, design: dict, arrays, inverter, battery, currency: str) -> fin.Price:
    cfg = _cfg(repo)
    bom = plain(project.get("bom") or {})
    defaults = plain((cfg.get("costs") or {}).get("bom") or {})
    system_wp = fin.D(repr(round(sum(a.kwp for a in arrays) * 1000, 3)))
    raw_items = []
    if bom.get("include_design", True):
        raw_items += design_items(repo, design, arrays, inverter, battery)
    raw_items += list(bom.get("items") or [])
    items = [fin.bom_item(r, i, system_wp) for i, r in enumerate(raw_items)]

    def setting(key):
        v = bom.get(key)
        return v if v is not None else defaults.get(key, 0)

    return fin.price_bom(items, discount_pct=setting("discount_pct"), margin_pct=setting("margin_pct"),
                         vat_pct=setting("vat_pct"), currency=currency)


def co2_factor(repo, project: dict, finance_cfg: dict) -> dict:
    cfg = _cfg(repo)
    if finance_cfg.get("co2_kg_per_kwh") is not None:
        return {"kg_per_kwh": fin.D(finance_cfg["co2_kg_per_kwh"], "finance.co2_kg_per_kwh"),
                "country": None, "year": finance_cfg.get("co2_year"),
                "source": finance_cfg.get("co2_source") or "project finance.co2_kg_per_kwh"}
    site = project.get("site") or {}
    addr = site.get("address") or {}
    country = str(addr.get("country") or cfg.get("country") or "").upper() or None
    factors = plain(cfg.get("co2_factors") or {})
    f = factors.get(country) if country else None
    if not f:
        return {"kg_per_kwh": fin.ZERO, "country": country, "year": None,
                "source": f"no CO2 factor for {country or 'the site'} in solar.yaml co2_factors"}
    return {"kg_per_kwh": fin.D(f.get("kg_per_kwh"), f"co2_factors.{country}.kg_per_kwh"),
            "country": country, "year": f.get("year"), "source": f.get("source")}


def _unit_price(x: Decimal) -> str:
    q = x.normalize()
    if q.as_tuple().exponent >= -2:
        return str(fin.money(x))
    return format(q, "f")


def _pct(x: Decimal) -> float:
    return float(x)


def _qty_num(q: Decimal) -> int | float:
    return int(q) if q == q.to_integral_value() else float(q)


def _qty(q: Decimal) -> str:
    if q == q.to_integral_value():
        return str(int(q))
    return format(q.normalize(), "f")


def inputs_hash(parts: dict) -> str:
    blob = json.dumps(plain(parts), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- main


def estimate_project(repo, project_data: dict, design: str | None = None) -> dict:
    project = project_data
    cfg = _cfg(repo)
    d = pick_design(project, design)
    arrays, inverter, battery = system_of(d)
    kwp = sum(a.kwp for a in arrays)
    tariff = tariff_of(repo, project)
    currency = tariff.currency
    cfg_currency = cfg.get("currency")
    if cfg_currency and str(cfg_currency) != currency:
        raise EngineError(
            f"tariff.currency: {currency} differs from the repository currency {cfg_currency}"
        )
    production, p_extra = production_of(repo, project, d, arrays, inverter)
    load, consumption, c_extra = consumption_of(repo, project)
    zero_injection = tariff.regime == "zero-injection" or project.get("grid") in ("zero-injection", "off-grid")
    battery_obj = bal.Battery(**battery) if battery else None
    balance = bal.simulate(production.hourly_kwh, load, battery=battery_obj, zero_injection=zero_injection)
    price = price_of(repo, project, d, arrays, inverter, battery, currency)

    fcfg = {**DOMAIN_FINANCE, **plain(cfg.get("finance") or {}), **plain(project.get("finance") or {})}
    years = int(fcfg["years"])
    replacements = []
    for i, rp in enumerate(fcfg.get("replacements") or []):
        try:
            replacements.append(fin.Replacement(int(rp["year"]), fin.D(rp["cost"], f"finance.replacements[{i}].cost"),
                                                str(rp.get("name") or "replacement")))
        except (KeyError, TypeError, ValueError):
            raise EngineError(f"finance.replacements[{i}]: expected year and cost") from None
    co2 = co2_factor(repo, project, fcfg)
    regime_tariff = tariff
    if zero_injection and tariff.regime != "zero-injection":
        regime_tariff = fin.Tariff(**{**tariff.__dict__, "regime": "zero-injection"})
    finput = fin.FinanceInputs(
        investment=price.total,
        production_kwh=balance.production_kwh,
        self_consumed_kwh=balance.self_consumed_kwh,
        exported_kwh=balance.exported_kwh,
        consumption_kwh=balance.consumption_kwh,
        tariff=regime_tariff,
        years=years,
        degradation_pct=fin.pct(fcfg["degradation_pct"], "finance.degradation_pct", 0, 10),
        discount_rate_pct=fin.pct(fcfg["discount_rate_pct"], "finance.discount_rate_pct", -10, 50),
        om_per_year=fin.D(fcfg.get("om_per_year", 0), "finance.om_per_year"),
        om_escalation_pct=fin.pct(fcfg.get("om_escalation_pct", 0), "finance.om_escalation_pct", -50, 50),
        incentives=fin.D(fcfg.get("incentives", 0), "finance.incentives"),
        replacements=replacements,
        co2_kg_per_kwh=co2["kg_per_kwh"],
    )
    fres = fin.cash_flows(finput)

    annual = production.annual_kwh
    unc = production.uncertainty_pct
    pr = prod.performance_ratio(annual, kwp, production.poa_kwh_m2)
    flags = list(production.flags)
    if project.get("grid") == "off-grid":
        flags.append("off-grid site: savings valued at the purchase price; export curtailed")
    losses = prod.merged_losses(plain(d.get("losses") or {}))
    monthly_prod_visible = production.monthly_kwh is not None

    hash_parts = {
        "design": d, "consumption": project.get("consumption"), "tariff": project.get("tariff"),
        "bom": project.get("bom"), "finance": project.get("finance"), "grid": project.get("grid"),
        "site": project.get("site"), **p_extra, **c_extra,
        "config": {k: cfg.get(k) for k in ("currency", "country", "finance", "co2_factors", "costs", "tariffs")},
        "engine": 1,
    }
    result = {
        "project": {"id": project.get("id"), "name": project.get("name"), "grid": project.get("grid"),
                    "site": {"lat": site_of(project)[0], "lon": site_of(project)[1]}},
        "design": str(d.get("name")),
        "system": {
            "kwp_dc": round(kwp, 3),
            "kw_ac": round(inverter["kw_ac"], 3),
            "dc_ac_ratio": round(kwp / inverter["kw_ac"], 3),
            "arrays": [{"name": a.name, "module": a.module, "module_wp": a.module_wp, "count": a.count,
                        "kwp": round(a.kwp, 3), "tilt": a.tilt, "azimuth": a.azimuth,
                        "mounting": a.mounting} for a in arrays],
            "inverter": {"name": inverter["name"], "kw_ac": round(inverter["kw_ac"], 3),
                         "efficiency_pct": inverter["efficiency_pct"]},
            "battery": battery,
        },
        "production": {
            "annual_kwh": r1(annual),
            "monthly_kwh": [r1(v) for v in production.monthly_kwh] if monthly_prod_visible else None,
            "specific_yield_kwh_kwp": r1(annual / kwp),
            "performance_ratio": round(pr, 3) if pr is not None else None,
            "source": production.source,
            "source_detail": production.source_detail,
            "model": production.model,
            "uncertainty_pct": unc,
            "uncertainty_band_kwh": [r1(annual * (1 - unc / 100)), r1(annual * (1 + unc / 100))] if unc else None,
            "flags": flags,
        },
        "consumption": {"annual_kwh": r1(consumption["annual_kwh"]),
                        "monthly_kwh": [r1(v) for v in consumption["monthly_kwh"]],
                        "profile": consumption["profile"]},
        "balance": {
            "self_consumed_kwh": r1(balance.self_consumed_kwh),
            "exported_kwh": r1(balance.exported_kwh),
            "imported_kwh": r1(balance.imported_kwh),
            "curtailed_kwh": r1(balance.curtailed_kwh),
            "self_consumption_pct": r1(balance.self_consumption_pct),
            "self_sufficiency_pct": r1(balance.self_sufficiency_pct),
            "battery_throughput_kwh": r1(balance.battery_throughput_kwh),
            "monthly": [{
                "month": m["month"],
                "production_kwh": r1(m["production_kwh"]) if monthly_prod_visible else None,
                "consumption_kwh": r1(m["consumption_kwh"]),
                "self_consumed_kwh": r1(m["self_consumed_kwh"]),
                "exported_kwh": r1(m["exported_kwh"]),
                "imported_kwh": r1(m["imported_kwh"]),
            } for m in balance.monthly],
        },
        "losses": {k: round(v, 2) for k, v in losses.items()},
        "price": {
            "currency": price.currency,
            "items": [{"name": i.name, "category": i.category, "pricing": i.pricing,
                       "quantity": _qty_num(i.quantity),
                       "unit": i.unit, "unit_price": _unit_price(i.unit_price),
                       "total": m2(i.total), "visible": i.visible, "source": i.source} for i in price.items],
            "subtotal": m2(price.subtotal), "discount_pct": _pct(price.discount_pct),
            "discount": m2(price.discount), "after_discount": m2(price.after_discount),
            "margin_pct": _pct(price.margin_pct), "margin": m2(price.margin), "net": m2(price.net),
            "vat_pct": _pct(price.vat_pct), "vat": m2(price.vat), "total": m2(price.total),
        },
        "finance": {
            "year1_savings": m2(fres.year1_savings),
            "simple_payback_years": r2(fres.simple_payback_years),
            "payback_years": r2(fres.payback_years),
            "npv": m2(fres.npv),
            "irr_pct": r2(fres.irr_pct),
            "lcoe": str(fres.lcoe.quantize(Decimal("0.0001"))) if fres.lcoe is not None else None,
            "cash_flow": [{"year": row["year"], "production_kwh": r1(row["production_kwh"]),
                           "savings": m2(row["savings"]), "om": m2(row["om"]),
                           "replacements": m2(row["replacements"]), "cash_flow": m2(row["cash_flow"]),
                           "cumulative": m2(row["cumulative"])} for row in fres.cash_flow],
            "co2_avoided_kg": r1(fres.co2_avoided_kg),
            "co2_factor": {"kg_per_kwh": float(co2["kg_per_kwh"]), "country": co2["country"],
                           "year": co2["year"], "source": co2["source"]},
            "years": years,
        },
        "tariff": {
            "name": tariff.name, "currency": tariff.currency, "regime": regime_tariff.regime,
            "purchase_price": str(tariff.purchase_price), "export_price": str(tariff.export_price),
            "effective_purchase_price": str(tariff.p1), "escalation_pct": _pct(tariff.escalation_pct),
            "export_escalation_pct": _pct(tariff.export_escalation_pct), "vat_pct": _pct(tariff.vat_pct),
            "prices_include_vat": tariff.prices_include_vat, "zero_injection": zero_injection,
        },
        "assumptions": {
            "degradation_pct": float(finput.degradation_pct),
            "escalation_pct": float(tariff.escalation_pct),
            "export_escalation_pct": float(tariff.export_escalation_pct),
            "discount_rate_pct": float(finput.discount_rate_pct),
            "years": years,
            "losses_pct": round(prod.total_losses_pct(losses), 2),
            "dc_ac_ratio": round(kwp / inverter["kw_ac"], 3),
            "inverter_efficiency_pct": inverter["efficiency_pct"],
            "temperature_model": (None if production.source == "entered"
                                  else str(d.get("temperature_model", "fuentes"))),
            "gamma_pct_per_c": float(d.get("gamma_pct", prod.DEFAULT_GAMMA_PCT)),
            "albedo": float(d.get("albedo", prod.DEFAULT_ALBEDO)),
            "om_per_year": m2(finput.om_per_year),
            "om_escalation_pct": float(finput.om_escalation_pct),
            "incentives": m2(finput.incentives),
            "replacements": [{"year": r.year, "cost": m2(r.cost), "name": r.name} for r in replacements],
            "zero_injection": zero_injection,
            "consumption_profile": consumption["profile"],
            "degradation_applies_to": "production, self-consumption and export alike",
            "p90_kwh": r1(annual * 0.89),
        },
        "inputs_hash": inputs_hash(hash_parts),
    }
    return result
