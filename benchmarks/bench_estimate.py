#!/usr/bin/env python3
"""Benchmark of the solar engine: `solar project estimate` end to end.

    python benchmarks/bench_estimate.py [--runs 5] [--append benchmarks/RESULTS.md]

Builds a records repository under a temporary directory (``solar init``, a contact, a
project with consumption and a feed-in tariff) with three designs, then runs
``solar project estimate ID --design D --format json`` as a fresh process ``--runs``
times for each:

- ``entered``: entered annual production (no pvlib; target < 0.5 s),
- ``weather``: pvlib's bundled 723170TYA.CSV (TMY3), Fuentes temperature model, with the
  clear-sky guard (target < 4 s),
- ``map``: rough map fallback (same chain on a scaled clear-sky year).

Reported: median / min / max wall time and the median CPU time (user + sys) of the
child, from ``os.wait4``. Wall time includes waiting for the CPU on a busy machine; CPU
time does not. Nothing is written in the source tree unless ``--append`` is given.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SOLAR = [sys.executable, "-m", "solarcli"]
TARGETS = {"entered": 0.5, "weather": 4.0, "map": 4.0}


def run_timed(args, cwd, env) -> tuple[float, float, str]:
    """Fresh process; wall time and CPU time (user+sys) of exactly that child."""
    t0 = time.perf_counter()
    r_out, w_out = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.chdir(cwd)
        os.dup2(w_out, 1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(r_out)
        os.execvpe(SOLAR[0], SOLAR + args, env)
    os.close(w_out)
    chunks = []
    while True:
        b = os.read(r_out, 1 << 16)
        if not b:
            break
        chunks.append(b)
    os.close(r_out)
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"solar {' '.join(args)} failed with {status}")
    return wall, ru.ru_utime + ru.ru_stime, b"".join(chunks).decode()


def setup(work: Path, env: dict) -> str:
    import pvlib

    tmy3 = Path(pvlib.__path__[0]) / "data" / "723170TYA.CSV"
    root = work / "records"
    subprocess.run(SOLAR + ["init", str(root), "--company", "Bench Solar", "--currency", "EUR",
                            "--locale", "de_DE"], env=env, check=True, capture_output=True)

    def solar(*a):
        return subprocess.run(SOLAR + list(a), cwd=root, env=env, check=True, capture_output=True,
                              text=True).stdout.strip()

    contact = solar("contact", "add", "Bench Customer")
    pid = solar("project", "add", "Bench roof", "--contact", contact, "--lat", "36.1", "--lon", "-79.95",
                "--country", "US")
    solar("project", "consumption", pid, "--annual", "4500", "--profile", "family-day")
    solar("project", "tariff", pid, "--purchase", "0.30", "--export", "0.08", "--regime", "feed-in")
    solar("design", "add", pid, "entered", "--module", "Acme 400", "--module-wp", "400", "--count", "25",
          "--tilt", "25", "--annual-kwh", "13000", "--tool", "PVGIS 5.3", "--battery-kwh", "10")
    solar("design", "add", pid, "weather", "--from", "entered", "--weather", str(tmy3))
    solar("design", "add", pid, "map", "--from", "entered", "--map")
    return str(root), pid


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--append", metavar="FILE", help="Append the markdown report to FILE.")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-estimate-") as tmp:
        work = Path(tmp)
        home = work / "home"
        home.mkdir()
        (home / ".gitconfig").write_text("[user]\n\tname = Bench\n\temail = bench@example.com\n"
                                         "[init]\n\tdefaultBranch = main\n")
        env = {**os.environ, "HOME": str(home), "GIT_CONFIG_GLOBAL": str(home / ".gitconfig")}
        env.pop("SOLAR_REPO", None)
        root, pid = setup(work, env)
        results = {}
        for design in ("entered", "weather", "map"):
            walls, cpus = [], []
            out = ""
            for _ in range(args.runs):
                wall, cpu, out = run_timed(["project", "estimate", pid, "--design", design, "--format", "json"],
                                           root, env)
                walls.append(wall)
                cpus.append(cpu)
            est = json.loads(out)
            results[design] = {
                "median_s": statistics.median(walls), "min_s": min(walls), "max_s": max(walls),
                "cpu_median_s": statistics.median(cpus),
                "annual_kwh": est["production"]["annual_kwh"], "source": est["production"]["source"],
            }
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        "",
        "## Solar engine: `solar project estimate` (benchmarks/bench_estimate.py)",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load average {load:.2f} at the end; {args.runs} fresh processes per case; "
        "10 kWp, 10 kWh battery, 4,500 kWh family-day load, feed-in tariff.",
        "",
        "| case | production | median wall | min | max | median CPU | target | verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        if r["min_s"] < TARGETS[name]:
            ok = "ok"
        elif r["cpu_median_s"] < TARGETS[name]:
            ok = "ok on CPU time; wall time lost waiting for a loaded CPU"
        else:
            ok = "SLOW"
        lines.append(f"| {name} | {r['annual_kwh']:,.0f} kWh ({r['source']}) | {r['median_s']:.2f} s | "
                     f"{r['min_s']:.2f} s | {r['max_s']:.2f} s | {r['cpu_median_s']:.2f} s | "
                     f"< {TARGETS[name]} s | {ok} |")
    lines.append("")
    report = "\n".join(lines) + "\n"
    print(report)
    if args.append:
        with open(args.append, "a", encoding="utf-8") as fh:
            fh.write(report)


if __name__ == "__main__":
    main()
