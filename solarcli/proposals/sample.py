"""A realistic sample project for the proposal example, tests and benchmark.

``fill_project(repo, project_id)`` gives an existing project a design (entered monthly
production), consumption, tariff and BOM in the engine's record format, in one commit.
"""
from __future__ import annotations

MONTHLY_KWH = [294, 460, 813, 1096, 1263, 1282, 1302, 1126, 881, 627, 362, 284]

DESIGN = {
    "name": "south-battery",
    "arrays": [{"name": "South roof", "module": "Trina Vertex S+ TSM-450NEG9R.28", "module_wp": 450,
                "count": 22, "tilt": 35, "azimuth": 180, "mounting": "roof"}],
    "inverter": {"name": "Fronius Symo GEN24 10.0 Plus", "kw_ac": 10.0, "efficiency_pct": 97.6},
    "battery": {"name": "BYD Battery-Box Premium HVS 10.2", "kwh": 10.2, "kw": 5.0, "efficiency_pct": 92,
                "use_case": "self-consumption"},
    "production": {"source": "entered", "monthly_kwh": MONTHLY_KWH,
                   "tool": "PVGIS 5.3 (SARAH-3), Freiburg im Breisgau"},
    "prices": {"module": "118.00", "inverter": "2390.00", "battery": "5480.00"},
}

BOM = {
    "include_design": True,
    "discount_pct": 5,
    "margin_pct": 12,
    "vat_pct": 0,
    "items": [
        {"name": "Mounting system, pitched roof (K2 SingleRail)", "category": "mounting", "pricing": "per-watt",
         "unit_price": "0.09"},
        {"name": "DC cabling, connectors, surge protection", "category": "electrical", "pricing": "set",
         "unit_price": "640.00", "visible": False},
        {"name": "Installation and commissioning", "category": "labour", "pricing": "set", "unit_price": "2450.00"},
        {"name": "Scaffolding", "category": "labour", "pricing": "set", "unit_price": "480.00"},
        {"name": "Grid registration (Marktstammdatenregister, DSO)", "category": "service", "pricing": "set",
         "unit_price": "190.00"},
    ],
}

TARIFF = {"name": "Badenova Strom Basis", "regime": "feed-in", "purchase_price": "0.3850",
          "export_price": "0.0811", "escalation_pct": 2, "currency": "EUR"}

CONSUMPTION = {"annual_kwh": 5200, "profile": "family-day"}


def fill_project(repo, project_id: str, *, grid: str | None = None) -> None:
    import copy

    with repo.transaction(f"project {project_id[:7]}: sample design, consumption, tariff, BOM") as tx:
        rec = tx.load(project_id, "project")
        rec.data["designs"] = [copy.deepcopy(DESIGN)]
        rec.data["current_design"] = DESIGN["name"]
        rec.data["consumption"] = copy.deepcopy(CONSUMPTION)
        rec.data["tariff"] = copy.deepcopy(TARIFF)
        rec.data["bom"] = copy.deepcopy(BOM)
        if grid:
            rec.data["grid"] = grid
        tx.save(rec)
