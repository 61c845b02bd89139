"""Fixtures for the proposal tests: estimate dicts in the engine's schema, a renderer, and a
records repository with a complete sample project."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"

CONFIG = {
    "company": {"name": "Sonnenwerk Freiburg GmbH", "tax_id": "DE 812 345 678", "phone": "+49 761 123456",
                "email": "angebot@sonnenwerk.example", "website": "www.sonnenwerk.example",
                "address": {"street": "Wiesentalstr. 12", "postcode": "79115", "city": "Freiburg"},
                "colors": {"primary": "#f59e0b", "secondary": "#1f3a5f"}},
    "currency": "EUR", "locale": "de_DE",
}
PROJECT = {"id": "7k2mq4xd9b", "name": "Schneider residence", "grid": "on-grid", "created": "2026-11-20T10:00:00Z",
           "site": {"address": {"street": "Lindenweg 4", "postcode": "79100", "city": "Freiburg"},
                    "lat": 47.99, "lon": 7.84}}
CONTACT = {"id": "c0ntact123", "name": "Anna Schneider", "emails": ["anna@example.com"],
           "address": {"street": "Lindenweg 4", "postcode": "79100", "city": "Freiburg"}}
META = {"number": "P-2026-7K2MQ4X v1", "version": 1, "date": "2026-12-03", "valid_until": "2027-01-02",
        "status": "draft", "template": "proposal.html.j2", "language": "de", "design": "d1"}


def load_estimate(name: str) -> dict:
    return json.loads((FIXTURES / f"estimate_{name}.json").read_text())


@pytest.fixture
def est_on() -> dict:
    return load_estimate("on_grid")


@pytest.fixture
def est_off() -> dict:
    return load_estimate("off_grid")


@pytest.fixture
def render():
    """render(template, lang, estimate, *, repo_root=None, config=None, contact=None, project=None)
    → the rendered text, through the one Jinja environment."""
    from solarcli.proposals.context import build_context
    from solarcli.proposals.render import Renderer

    def run(template: str, lang: str, estimate: dict, *, repo_root=None, config=None, contact=None,
            project=None, off_grid=None):
        r = Renderer(repo_root)
        dirs = [d for d in (r.repo_templates, r.builtin) if d is not None and d.is_dir()]
        prj = copy.deepcopy(project or PROJECT)
        if off_grid:
            prj["grid"] = "off-grid"
        ctx = build_context(config_data=copy.deepcopy(config or CONFIG), project=prj,
                            contact=copy.deepcopy(contact or CONTACT), estimate=copy.deepcopy(estimate),
                            proposal=dict(META, language=lang), lang=lang, template_dirs=dirs,
                            repo_root=repo_root)
        return r.render(template, ctx)

    return run
