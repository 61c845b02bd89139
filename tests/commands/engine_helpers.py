"""Shared set-up for the engine command tests: a project ready for an estimate."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pvlib

TMY3 = Path(pvlib.__path__[0]) / "data" / "723170TYA.CSV"


def new_project(ok, *, lat="36.1", lon="-79.95", country="US", grid=None) -> str:
    contact = ok("contact", "add", "Ada Muster").strip()
    args = ["project", "add", "Roof Ada", "--contact", contact, "--lat", lat, "--lon", lon,
            "--country", country, "--city", "Greensboro"]
    if grid:
        args += ["--grid", grid]
    return ok(*args).strip()


def ready_project(ok, *, annual_kwh="10000", battery=False, grid=None) -> str:
    """Project with an entered-production design, consumption and a feed-in tariff."""
    pid = new_project(ok, grid=grid)
    args = ["design", "add", pid, "A", "--module", "Acme 400", "--module-wp", "400", "--count", "20",
            "--tilt", "30", "--azimuth", "180", "--annual-kwh", annual_kwh, "--tool", "PVGIS 5.3"]
    if battery:
        args += ["--battery-kwh", "10", "--battery-kw", "5"]
    ok(*args)
    ok("project", "consumption", pid, "--annual", "4500", "--profile", "family-day")
    ok("project", "tariff", pid, "--purchase", "0.30", "--export", "0.08", "--regime", "feed-in",
       "--escalation", "0", "--currency", "EUR")
    return pid


def commits(root: Path) -> int:
    out = subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=root, capture_output=True, text=True,
                         check=True).stdout
    return int(out.strip())


def project_file(root: Path, pid: str) -> Path:
    return root / "projects" / pid[0] / f"{pid}.yaml"
