"""The hash of everything a proposal's numbers were computed from, and stale detection.

``inputs_parts(repo, project, design)`` hashes each input separately, from the records
alone (no production modelling, so checking every accepted proposal stays fast):

- ``design``: the design the proposal was made from (arrays, inverter, battery, losses,
  production source and entered values)
- ``bom``: the project's bill of materials and the solar.yaml cost presets
- ``tariff``: the project's tariff and the solar.yaml tariff presets
- ``consumption``: the project's consumption
- ``finance``: project and solar.yaml finance settings, CO2 factors
- ``site``: site, grid connection, currency, country
- ``files``: SHA-256 of the weather file / hourly load file the design and consumption
  point at

``inputs_hash`` is the hash of those part hashes. A proposal record stores both, so
``solar proposal show`` can say *what* changed. ``is_stale(repo, proposal)`` is what the
repository check (``solar check``) calls: true when an **accepted** proposal's inputs no
longer match the current project.
"""
from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

PARTS = ("design", "bom", "tariff", "consumption", "finance", "site", "files")


def _plain(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    if isinstance(x, Decimal):
        return str(x)
    return str(x)


def _h(obj: Any) -> str:
    blob = json.dumps(_plain(obj), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def pick_design(project: dict, name: str | None) -> dict | None:
    designs = project.get("designs") or []
    if not isinstance(designs, list) or not designs:
        return None
    want = name if name is not None else project.get("current_design")
    if want is None:
        return designs[0]
    for d in designs:
        if isinstance(d, dict) and str(d.get("name")) == str(want):
            return d
    return None


def _file_hash(root: Path, project: dict, ref: Any) -> str | None:
    """SHA-256 of a file a design/consumption points at (a document name or a path)."""
    if not ref:
        return None
    ref = str(ref)
    for doc in project.get("documents") or []:
        if isinstance(doc, dict) and ref in (doc.get("name"), doc.get("path")):
            path = root / str(doc.get("path") or "")
            if path.is_file():
                return hashlib.sha256(path.read_bytes()).hexdigest()
            return doc.get("sha256")
    for cand in (root / ref, root / "documents" / str(project.get("id", "")) / ref):
        if cand.is_file():
            return hashlib.sha256(cand.read_bytes()).hexdigest()
    return "missing:" + ref


def inputs_parts(repo, project: dict, design: str | None) -> dict[str, str]:
    """One hash per input (see module doc); ``design`` is the design's name."""
    cfg = getattr(getattr(repo, "config", None), "data", None) or {}
    root = Path(getattr(repo, "root", "."))
    d = pick_design(project, design)
    files = {}
    if d is not None:
        files["weather"] = _file_hash(root, project, ((d.get("production") or {}).get("weather_file")))
    files["consumption"] = _file_hash(root, project, (project.get("consumption") or {}).get("hourly_file"))
    return {
        "design": _h(d if d is not None else {"missing": design}),
        "bom": _h({"bom": project.get("bom"), "costs": cfg.get("costs"), "packages": cfg.get("packages")}),
        "tariff": _h({"tariff": project.get("tariff"), "tariffs": cfg.get("tariffs")}),
        "consumption": _h(project.get("consumption")),
        "finance": _h({"finance": project.get("finance"), "config": cfg.get("finance"),
                       "co2": cfg.get("co2_factors")}),
        "site": _h({"site": project.get("site"), "grid": project.get("grid"),
                    "currency": cfg.get("currency"), "country": cfg.get("country")}),
        "files": _h(files),
    }


def combine(parts: dict[str, str]) -> str:
    return "sha256:" + _h([parts.get(p) for p in PARTS])


def changed_inputs(repo, proposal: dict, project: dict | None = None) -> list[str]:
    """Names of the inputs that changed since the proposal was made ([] = up to date).

    ``project`` may be passed (plain data) to avoid loading it again."""
    if project is None:
        from solarcli.errors import NotFoundError

        try:
            project = repo.load(str(proposal.get("project")), "project").data
        except NotFoundError:
            return ["project"]
    current = inputs_parts(repo, project, proposal.get("design"))
    stored = proposal.get("inputs") or {}
    if stored:
        changed = [p for p in PARTS if stored.get(p) != current.get(p)]
        if changed:
            return changed
    if proposal.get("inputs_hash") and proposal.get("inputs_hash") != combine(current):
        return ["inputs"]
    return []


def is_stale(repo, proposal: dict, project: dict | None = None) -> bool:
    """True when an accepted proposal no longer matches the project's current design, BOM,
    tariff (or consumption, finance settings, site, input files). For the repository
    check (issue 6): ``solarcli.proposals.stale.is_stale(repo, proposal_data)``."""
    if proposal.get("status") != "accepted":
        return False
    return bool(changed_inputs(repo, proposal, project))
