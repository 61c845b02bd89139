"""pyproject lists every package (explicit list, because the built-in templates are mapped
from the top-level templates/ folder as solarcli.templates)."""
from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_is_listed_and_templates_are_mapped():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(cfg["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "solarcli").rglob("__init__.py")}
    assert found <= listed, f"add to [tool.setuptools] packages in pyproject.toml: {sorted(found - listed)}"
    assert cfg["package-dir"]["solarcli.templates"] == "templates"
    assert {"solarcli.templates", "solarcli.templates.i18n"} <= listed
    assert (ROOT / "templates" / "__init__.py").is_file()
    assert "*.j2" in cfg["package-data"]["solarcli.templates"]
    assert "*.yaml" in cfg["package-data"]["solarcli.templates.i18n"]
