"""``solar template list|export|vars``."""
from __future__ import annotations

import json
from pathlib import Path

from solarcli.proposals.catalogue import VARIABLES, top_level
from solarcli.proposals.render import builtin_dir


def test_list_outside_a_repository_shows_the_builtins(ok):
    rows = json.loads(ok("template", "list", "--format", "json"))
    names = {r["name"]: r for r in rows}
    assert {"proposal.html.j2", "proposal-off-grid.html.j2", "proposal.md.j2", "proposal-off-grid.md.j2",
            "i18n/en.yaml", "i18n/de.yaml", "i18n/tr.yaml"} <= set(names)
    assert all(r["source"] == "builtin" for r in rows)


def test_export_then_list_shows_the_override(records, ok, fail):
    out = ok("template", "export", "proposal")
    dest = Path(out.strip())
    assert dest == records / "templates" / "proposal.html.j2"
    assert dest.read_text() == (builtin_dir() / "proposal.html.j2").read_text()
    rows = {r["name"]: r for r in json.loads(ok("template", "list", "--format", "json"))}
    assert rows["proposal.html.j2"]["source"] == "repo" and rows["proposal.html.j2"]["overrides"] == "builtin"
    assert rows["proposal.md.j2"]["source"] == "builtin"
    r = fail(5, "template", "export", "proposal.html.j2")
    assert "exists; pass --force to overwrite" in r.stderr
    ok("template", "export", "builtin/proposal.html.j2", "--force")
    i18n = Path(ok("template", "export", "i18n/de.yaml").strip())
    assert i18n == records / "templates" / "i18n" / "de.yaml"


def test_export_to_a_directory(tmp_path, ok, fail):
    dest = Path(ok("template", "export", "proposal-off-grid.md.j2", str(tmp_path / "mine")).strip())
    assert dest == tmp_path / "mine" / "proposal-off-grid.md.j2" and dest.is_file()
    r = fail(3, "template", "export", "nope", str(tmp_path))
    assert "no built-in template 'nope'" in r.stderr
    fail(3, "template", "export", "../pyproject.toml", str(tmp_path))
    r = fail(2, "template", "export", "proposal")  # no repository and no DIR
    assert "pass a DIR" in r.stderr


def test_vars_documents_the_catalogue(ok):
    rows = json.loads(ok("template", "vars", "--format", "json"))
    names = [r["name"] for r in rows]
    assert "price.total" in names and "customer.name" in names and "|money" in names
    assert "price.margin" not in names
    table = ok("template", "vars")
    assert "proposal.valid_until" in table


def test_catalogue_matches_the_context(est_on_context):
    assert set(est_on_context) == top_level()
    for name, _, _ in VARIABLES:
        obj = est_on_context
        for part in name.split("."):
            assert isinstance(obj, dict) and part in obj, name
            obj = obj[part]


def test_help(ok):
    for args in (["template"], ["template", "list"], ["template", "export"], ["template", "vars"]):
        assert "Usage:" in ok(*args, "--help")


import pytest  # noqa: E402


@pytest.fixture
def est_on_context():
    from solarcli.proposals.context import build_context

    est = json.loads((Path(__file__).parent.parent / "proposals" / "fixtures" / "estimate_on_grid.json").read_text())
    return build_context(config_data={"company": {"name": "X"}}, project={"id": "7k2mq4xd9b", "name": "P"},
                         contact={"name": "A"}, estimate=est,
                         proposal={"number": "P-1 v1", "version": 1, "date": "2026-12-03",
                                   "valid_until": "2027-01-02", "status": "draft", "template": "proposal.html.j2",
                                   "language": "en", "design": "d"},
                         lang="en", template_dirs=[builtin_dir()])
