"""Look up annual irradiation in the shipped 0.25° grid (derived from pvcz/GLDAS,
see solarcli/data/ATTRIBUTION.md and scripts/derive_irradiation_grid.py)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from solarcli.errors import EngineError

GRID_FILE = Path(__file__).resolve().parents[1] / "data" / "irradiation_grid.npz"
SEARCH_CELLS = 8  # coastal sites: nearest land cell within 8 cells (~2°)


@dataclass
class Cell:
    lat: float
    lon: float
    ghi_kwh_m2: float
    t_mean_c: float
    distance_km: float


@lru_cache(maxsize=1)
def _grid():
    import numpy as np

    if not GRID_FILE.is_file():
        raise EngineError(f"irradiation map {GRID_FILE.name}: missing from the installation")
    z = np.load(GRID_FILE)
    return z["ghi"], z["tmean"], float(z["lat0"]), float(z["lon0"]), float(z["step"])


def distance_km(lat1, lon1, lat2, lon2) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(min(1.0, math.sqrt(a)))


def lookup(latitude: float, longitude: float) -> Cell:
    ghi, tmean, lat0, lon0, step = _grid()
    rows, cols = ghi.shape
    i0 = int(round((latitude - lat0) / step))
    j0 = int(round((longitude - lon0) / step))
    best = None
    for di in range(-SEARCH_CELLS, SEARCH_CELLS + 1):
        i = i0 + di
        if not 0 <= i < rows:
            continue
        for dj in range(-SEARCH_CELLS, SEARCH_CELLS + 1):
            j = (j0 + dj) % cols
            if ghi[i, j] == 0:
                continue
            clat, clon = lat0 + i * step, lon0 + j * step
            d = distance_km(latitude, longitude, clat, clon)
            if best is None or d < best.distance_km:
                best = Cell(clat, clon, float(ghi[i, j]), float(tmean[i, j]), d)
    if best is None:
        raise EngineError(
            f"site {latitude}, {longitude}: no land cell of the irradiation map within "
            f"{SEARCH_CELLS * step:.0f}°; enter production or attach a weather file"
        )
    return best
