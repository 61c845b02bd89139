"""Benchmark: `solar project proposal` end to end (fresh process each run).

Cases: HTML with entered production (target < 1 s), PDF (target < 3 s), Markdown, and the
HTML stored in the repository with its record and commit. Each case runs in N fresh
processes; prints a Markdown table and, with --append, adds it to benchmarks/RESULTS.md.

    python benchmarks/bench_proposal.py [--runs 5] [--append]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOLAR = [sys.executable, "-m", "solarcli"]
TARGETS = {"html": 1.0, "pdf": 3.0, "md": 1.0, "html stored": 1.0}


def run(args, env, cwd=None) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(SOLAR + args, env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise SystemExit(f"solar {' '.join(args)} failed: {p.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, p.stdout.strip()


def setup(tmp: Path, env: dict) -> str:
    root = tmp / "records"
    run(["init", str(root), "--company", "Sonnenwerk Freiburg GmbH", "--currency", "EUR", "--locale", "de_DE"], env)
    env["SOLAR_REPO"] = str(root)
    _, _, contact = run(["contact", "add", "Anna Schneider", "--email", "anna@example.com"], env)
    _, _, pid = run(["project", "add", "Schneider residence", "--contact", contact, "--lat", "47.99", "--lon",
                     "7.84", "--grid", "on-grid"], env)
    code = ("import sys; from solarcli.repo import Repo; from solarcli.proposals.sample import fill_project; "
            "fill_project(Repo.find(sys.argv[1]), sys.argv[2])")
    subprocess.run([sys.executable, "-c", code, str(root), pid], env=env, check=True)
    return pid


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--append", action="store_true")
    opts = ap.parse_args()
    env = dict(os.environ)
    env.setdefault("GIT_AUTHOR_NAME", "Bench")
    env.setdefault("GIT_AUTHOR_EMAIL", "bench@example.com")
    env.setdefault("GIT_COMMITTER_NAME", "Bench")
    env.setdefault("GIT_COMMITTER_EMAIL", "bench@example.com")
    env["PYTHONPATH"] = str(HERE.parent) + os.pathsep + env.get("PYTHONPATH", "")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        pid = setup(tmp, env)
        rows = []
        cases = [("html", ["--to", "html", "-o", str(tmp / "p.html")]),
                 ("pdf", ["--to", "pdf", "-o", str(tmp / "p.pdf")]),
                 ("md", ["--to", "md", "-o", str(tmp / "p.md")]),
                 ("html stored", ["--to", "html"])]
        for name, extra in cases:
            walls, cpus = [], []
            for _ in range(opts.runs):
                w, c, _ = run(["project", "proposal", pid, *extra], env)
                walls.append(w)
                cpus.append(c)
            med = statistics.median(walls)
            rows.append((name, med, min(walls), max(walls), statistics.median(cpus), TARGETS[name]))
        size_pdf = (tmp / "p.pdf").stat().st_size
        size_html = (tmp / "p.html").stat().st_size
    load = os.getloadavg()[0]
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = [f"## Proposals: `solar project proposal` (benchmarks/bench_proposal.py)", "",
           f"{now}; Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load:.2f} at the end; "
           f"{opts.runs} fresh processes per case; 9.9 kWp + 10.2 kWh battery, entered monthly production, "
           f"German proposal; HTML {size_html // 1024} KiB, PDF {size_pdf // 1024} KiB.", "",
           "| case | median wall | min | max | median CPU | target | verdict |", "|---|---|---|---|---|---|---|"]
    for name, med, lo, hi, cpu, target in rows:
        out.append(f"| {name} | {med:.2f} s | {lo:.2f} s | {hi:.2f} s | {cpu:.2f} s | < {target:.1f} s | "
                   f"{'ok' if med < target else 'SLOW'} |")
    text = "\n".join(out) + "\n"
    print(text)
    if opts.append:
        with open(HERE / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write("\n" + text + "\n" + NOTES + "\n")


NOTES = """Each run is a fresh `solar` process: start-up, the records repository, the engine's estimate
(entered production never imports pvlib), the Jinja environment, babel formatting and the
inline SVG charts. "html stored" also writes the proposal record and the document in one
git commit. The PDF case adds WeasyPrint (import ~0.5 s, layout of ~9 A4 pages ~1 s)."""


if __name__ == "__main__":
    main()
