"""estimate_project from Python (what the proposals call): JSON-safe, stable keys,
inputs hash, and no pvlib on the entered-production path."""
from __future__ import annotations

import copy
import json
import subprocess
import sys
from types import SimpleNamespace

import pytest

from solarcli.engine.defaults import ENGINE_DEFAULTS
from solarcli.engine.estimate import estimate_project
from solarcli.errors import EngineError, NotFoundError

PROJECT = {
    "id": "abcdefghjk", "name": "Test roof", "grid": "on-grid",
    "site": {"lat": 48.0, "lon": 7.85, "address": {"country": "DE"}},
    "designs": [{"name": "A", "arrays": [{"name": "s", "module": "M", "module_wp": 400, "count": 20,
                                          "tilt": 30, "azimuth": 180, "mounting": "roof"}],
                 "production": {"source": "entered", "annual_kwh": 8000, "tool": "PVGIS"}}],
    "consumption": {"annual_kwh": 4000, "profile": "one-two-person"},
    "tariff": {"currency": "EUR", "regime": "feed-in", "purchase_price": "0.35", "export_price": "0.08"},
}


def repo(tmp_path, **cfg):
    data = {"currency": "EUR", "country": "DE", **copy.deepcopy(ENGINE_DEFAULTS), **cfg}
    return SimpleNamespace(root=tmp_path, config=SimpleNamespace(data=data, currency="EUR"))


def test_json_safe_with_stable_keys(tmp_path):
    r = estimate_project(repo(tmp_path), copy.deepcopy(PROJECT))
    text = json.dumps(r)  # no default= needed: no Decimal, no dates
    assert json.loads(text) == r
    assert list(r) == ["project", "design", "system", "production", "consumption", "balance", "losses",
                       "price", "finance", "tariff", "assumptions", "inputs_hash"]
    assert set(r["system"]) == {"kwp_dc", "kw_ac", "dc_ac_ratio", "arrays", "inverter", "battery"}
    assert set(r["production"]) == {"annual_kwh", "monthly_kwh", "specific_yield_kwh_kwp", "performance_ratio",
                                    "source", "source_detail", "model", "uncertainty_pct",
                                    "uncertainty_band_kwh", "flags"}
    assert set(r["balance"]) == {"self_consumed_kwh", "exported_kwh", "imported_kwh", "curtailed_kwh",
                                 "self_consumption_pct", "self_sufficiency_pct", "battery_throughput_kwh",
                                 "monthly"}
    assert set(r["price"]) == {"currency", "items", "subtotal", "discount_pct", "discount", "after_discount",
                               "margin_pct", "margin", "net", "vat_pct", "vat", "total"}
    assert set(r["finance"]) == {"year1_savings", "simple_payback_years", "payback_years", "npv", "irr_pct",
                                 "lcoe", "cash_flow", "co2_avoided_kg", "co2_factor", "years"}
    assert r["system"]["battery"] is None
    assert len(r["inputs_hash"]) == 64


def test_inputs_hash_follows_every_input(tmp_path):
    base = estimate_project(repo(tmp_path), copy.deepcopy(PROJECT))["inputs_hash"]
    assert estimate_project(repo(tmp_path), copy.deepcopy(PROJECT))["inputs_hash"] == base
    changed = copy.deepcopy(PROJECT)
    changed["tariff"]["purchase_price"] = "0.36"
    assert estimate_project(repo(tmp_path), changed)["inputs_hash"] != base
    changed = copy.deepcopy(PROJECT)
    changed["designs"][0]["arrays"][0]["tilt"] = 31
    assert estimate_project(repo(tmp_path), changed)["inputs_hash"] != base
    costs = copy.deepcopy(ENGINE_DEFAULTS["costs"])
    costs["module_per_wp"] = "0.21"
    assert estimate_project(repo(tmp_path, costs=costs), copy.deepcopy(PROJECT))["inputs_hash"] != base


def test_design_selection_and_errors(tmp_path):
    p = copy.deepcopy(PROJECT)
    with pytest.raises(NotFoundError, match="design 'B'"):
        estimate_project(repo(tmp_path), p, "B")
    p["designs"] = []
    with pytest.raises(EngineError, match="designs"):
        estimate_project(repo(tmp_path), p)


def test_entered_production_never_imports_pvlib(tmp_path):
    code = f"""
import json, sys
from types import SimpleNamespace
from pathlib import Path
from solarcli.engine.defaults import ENGINE_DEFAULTS
from solarcli.engine.estimate import estimate_project
repo = SimpleNamespace(root=Path({str(tmp_path)!r}), config=SimpleNamespace(data={{"currency": "EUR", **ENGINE_DEFAULTS}}))
r = estimate_project(repo, json.loads({json.dumps(json.dumps(PROJECT))}))
print(r["production"]["source"], any(m in sys.modules for m in ("pvlib", "pandas", "numpy", "scipy")))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["entered", "False"]


def test_weather_document_outside_the_repository_is_refused(tmp_path):
    from solarcli.errors import ValidationError

    root = tmp_path / "records"
    root.mkdir()
    (tmp_path / "secret.csv").write_text("x")
    p = copy.deepcopy(PROJECT)
    p["designs"][0]["production"] = {"source": "weather-file", "weather_file": "w.csv"}
    p["documents"] = [{"name": "w.csv", "path": "../secret.csv"}]
    with pytest.raises(ValidationError, match="inside the records repository"):
        estimate_project(repo(root), p)
    p["designs"][0]["production"]["weather_file"] = "../secret.csv"
    p["documents"] = []
    with pytest.raises(ValidationError, match="inside the records repository"):
        estimate_project(repo(root), p)
