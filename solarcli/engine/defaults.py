"""Suggested ``solar.yaml`` sections for the engine, for ``solar init`` to merge.

Every key is optional in an existing repository: without ``finance`` the DOMAIN.md
§4 defaults apply; without ``co2_factors`` CO2 avoided is 0 and says "no factor";
without ``costs`` design items must carry their own prices (``design.prices``);
without ``tariffs`` every project needs a full tariff.

CO2 factors: average grid emission intensity of electricity generation, kg CO2/kWh.
Sources: European Environment Agency (EEA), "Greenhouse gas emission intensity of
electricity generation" (2023 data); US EPA eGRID 2022 (US average); UK DESNZ 2024
conversion factors (2023 data). Values are rounded and approximate; they are starting
points: installers should set the factor their market uses (solar.yaml ``co2_factors``).
"""
from __future__ import annotations

ENGINE_DEFAULTS: dict = {
    # DOMAIN.md §4 defaults; a project's `finance:` mapping overrides any of them.
    "finance": {
        "years": 25,
        "degradation_pct": 0.5,
        "escalation_pct": 2,
        "discount_rate_pct": 4,
        "om_per_year": 0,
        "om_escalation_pct": 0,
    },
    "co2_factors": {
        "DE": {"kg_per_kwh": 0.380, "year": 2023, "source": "EEA, GHG emission intensity of electricity generation"},
        "AT": {"kg_per_kwh": 0.090, "year": 2023, "source": "EEA, GHG emission intensity of electricity generation"},
        "FR": {"kg_per_kwh": 0.032, "year": 2023, "source": "EEA, GHG emission intensity of electricity generation"},
        "ES": {"kg_per_kwh": 0.110, "year": 2023, "source": "EEA, GHG emission intensity of electricity generation"},
        "IT": {"kg_per_kwh": 0.230, "year": 2023, "source": "EEA, GHG emission intensity of electricity generation"},
        "NL": {"kg_per_kwh": 0.270, "year": 2023, "source": "EEA, GHG emission intensity of electricity generation"},
        "PL": {"kg_per_kwh": 0.660, "year": 2023, "source": "EEA, GHG emission intensity of electricity generation"},
        "PT": {"kg_per_kwh": 0.100, "year": 2023, "source": "EEA, GHG emission intensity of electricity generation"},
        "GB": {"kg_per_kwh": 0.207, "year": 2023, "source": "UK DESNZ GHG conversion factors 2024"},
        "US": {"kg_per_kwh": 0.373, "year": 2022, "source": "US EPA eGRID2022, U.S. total output emission rate (823 lb/MWh)"},
    },
    # Tariff presets for `solar project tariff ID --preset NAME` (prices per kWh incl. VAT).
    "tariffs": {
        "de-household-feed-in": {
            "currency": "EUR", "regime": "feed-in", "purchase_price": "0.35",
            "export_price": "0.0794", "escalation_pct": 2, "vat_pct": 19,
            "prices_include_vat": True,
        },
        "net-metering": {
            "currency": "EUR", "regime": "net-metering", "purchase_price": "0.25",
            "export_price": "0", "escalation_pct": 2, "vat_pct": 0, "prices_include_vat": True,
        },
        "zero-injection": {
            "currency": "EUR", "regime": "zero-injection", "purchase_price": "0.25",
            "export_price": "0", "escalation_pct": 2, "vat_pct": 0, "prices_include_vat": True,
        },
    },
    # Prices of the items taken from a design, and reusable BOM presets/packages.
    "costs": {
        "module_per_wp": "0.20",      # PV modules, per Wp
        "inverter_per_kw": "150",     # inverter, per kW AC
        "battery_per_kwh": "450",     # battery, per kWh usable
        "bom": {"discount_pct": 0, "margin_pct": 20, "vat_pct": 19},
        "presets": {
            "mounting-roof": {"name": "Roof mounting system", "category": "mounting",
                              "pricing": "per-watt", "unit_price": "0.10"},
            "mounting-open-rack": {"name": "Ground mounting system", "category": "mounting",
                                   "pricing": "per-watt", "unit_price": "0.15"},
            "cabling": {"name": "DC/AC cabling and protection", "category": "electrical",
                        "pricing": "set", "unit_price": "450"},
            "installation": {"name": "Installation labour", "category": "labour",
                             "pricing": "per-watt", "unit_price": "0.25"},
            "grid-registration": {"name": "Grid registration and commissioning",
                                  "category": "service", "pricing": "set", "unit_price": "300"},
            "battery-installation": {"name": "Battery installation", "category": "labour",
                                     "pricing": "set", "unit_price": "600"},
            "heat-pump": {"name": "Air-to-water heat pump 8 kW", "category": "heat-pump",
                          "pricing": "set", "unit_price": "9500"},
            "ev-charger": {"name": "EV charger 11 kW (wallbox)", "category": "ev-charger",
                           "pricing": "quantity", "quantity": 1, "unit_price": "850"},
            "ev-charger-installation": {"name": "EV charger installation", "category": "labour",
                                        "pricing": "set", "unit_price": "400"},
        },
        "packages": {
            "main": {"kind": "main", "presets": ["mounting-roof", "cabling", "installation",
                                                 "grid-registration"]},
            "battery": {"kind": "add-on", "presets": ["battery-installation"]},
            "heat-pump": {"kind": "add-on", "presets": ["heat-pump"]},
            "ev-charger": {"kind": "add-on", "presets": ["ev-charger", "ev-charger-installation"]},
        },
    },
}


def defaults_yaml() -> str:
    """The same sections as commented YAML, for appending to a new solar.yaml."""
    import io

    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.default_flow_style = False
    buf = io.StringIO()
    yaml.dump(ENGINE_DEFAULTS, buf)
    return (
        "# Solar engine: finance defaults, CO2 factors (kg/kWh), tariff presets,\n"
        "# cost presets and packages. See README 'Estimates'.\n" + buf.getvalue()
    )
