"""Derive solarcli/data/irradiation_grid.npz from the pvcz package (run once).

    pip download --no-deps pvcz -d /tmp/pvcz && tar xzf /tmp/pvcz/pvcz-*.tar.gz -C /tmp/pvcz
    python scripts/derive_irradiation_grid.py /tmp/pvcz/pvcz-0.3.0/pvcz

pvcz (MIT, Karin et al. 2019) ships GLDAS NOAH 0.25° climate stressors for every land
cell. We keep two of its columns on the full 0.25° grid (no coarsening):
  ghi  uint16  annual global horizontal irradiation, kWh/m²/yr  (GHI_mean × 365.25)
  tmean int8   mean ambient temperature, °C (rounded)
Ocean cells (not in pvcz) are 0 / -128. Rows: latitude -60 + 0.125 + 0.25 i
(i = 0..599), columns: longitude -180 + 0.125 + 0.25 j (j = 0..1439).
"""
import sys
from pathlib import Path

import numpy as np
import pandas as pd

src = Path(sys.argv[1]) / "PVCZ-2019_ver0p2_world_PV_climate_stressors_and_zones.pkl"
out = Path(__file__).resolve().parents[1] / "solarcli" / "data" / "irradiation_grid.npz"
df = pd.read_pickle(src)
lat = df["lat"].to_numpy(dtype=float)
lon = df["lon"].to_numpy(dtype=float)
i = np.rint((lat - (-60 + 0.125)) / 0.25).astype(int)
j = np.rint((lon - (-180 + 0.125)) / 0.25).astype(int)
ok = (i >= 0) & (i < 600) & (j >= 0) & (j < 1440)
ghi = np.zeros((600, 1440), dtype=np.uint16)
tmean = np.full((600, 1440), -128, dtype=np.int8)
ghi[i[ok], j[ok]] = np.rint(df["GHI_mean"].to_numpy(dtype=float)[ok] * 365.25).astype(np.uint16)
tmean[i[ok], j[ok]] = np.clip(np.rint(df["T_ambient_mean"].to_numpy(dtype=float)[ok]), -127, 127)
np.savez_compressed(out, ghi=ghi, tmean=tmean, lat0=-60 + 0.125, lon0=-180 + 0.125, step=0.25)
print(f"{ok.sum()} land cells of {len(df)}; wrote {out} ({out.stat().st_size} bytes)")
