"""Benchmark bulk import and export (issue 3).

    python benchmarks/bench_import.py            # 10k rows
    python benchmarks/bench_import.py 10000 100000

For each N: generate N lead rows (CSV, and XLSX), then in a fresh records
repository time, as the user runs them (``python -m solarcli ...`` in a child
process, start-up included):

* ``lead import leads.csv`` (N leads + ~0.8 N contacts, one commit)
* the same import again (must change nothing, no commit)
* ``lead import leads.xlsx`` into another fresh repository
* ``lead export --to csv`` of all N leads

Peak memory is the child's maximum resident set size (``os.wait4`` rusage).
BENCH_STAGE_ONLY=N measures only reading, planning and staging from N rows on.
Targets: 10k rows with the commit < 15 s, re-import of 10k < 5 s, < 500 MB at 100k.
"""
from __future__ import annotations

import csv
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FIRST = ["Jürgen", "Ayşe", "Emily", "Klaus", "Fatma", "Mehmet", "Sabine", "Lukas", "Zeynep", "Hans",
         "Elif", "Oliver", "Gülşen", "Peter", "Can", "Monika", "Derya", "Thomas", "Ingrid", "Ali"]
LAST = ["Müller", "Yılmaz", "Clarke", "Öztürk", "Kaya", "Demir", "Weiß", "Schäfer", "Arslan", "Meier",
        "Şahin", "Grant", "Koç", "Hoffmann", "Aydın", "Fischer", "Çelik", "Wagner", "Vogel", "Korkmaz"]
CITIES = [("Berlin", "10115"), ("Köln", "50667"), ("München", "80331"), ("Hamburg", "20095"),
          ("Stuttgart", "70173"), ("Leipzig", "04109"), ("Dortmund", "44137"), ("Bremen", "28195")]
INTERESTS = ["", "battery", "heat pump", "wallbox", "battery, wallbox", "Speicher, Wärmepumpe"]
STAGES = ["new", "contacted", "qualified"]
HEADERS = ["Lead ID", "First Name", "Last Name", "Email", "Phone", "Street", "Postcode", "City",
           "Stage", "Annual kWh", "Interests", "Facility", "Message", "Dachfläche m²"]


def rows(n: int, seed: int = 7):
    rnd = random.Random(seed)
    people = max(1, int(n * 0.8))  # some people send several enquiries
    for i in range(n):
        p = rnd.randrange(people) if i >= people else i
        city, pc = CITIES[p % len(CITIES)]
        yield [f"L{i:07d}", FIRST[p % 20], LAST[(p // 20) % 20] + ("" if p < 400 else f"-{p}"),
               f"kunde{p}@example.de", f"0171 {p:07d}", f"Hauptstraße {p % 200 + 1}", pc, city,
               STAGES[i % 3], str(2500 + (i * 37) % 9000), INTERESTS[i % len(INTERESTS)],
               "residential" if i % 10 else "commercial", f"Anfrage {i}: PV für unser Haus?",
               str(20 + i % 80)]


def write_csv(path: Path, n: int) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADERS)
        w.writerows(rows(n))


def write_xlsx(path: Path, n: int) -> None:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Leads")
    ws.append(HEADERS)
    for r in rows(n):
        ws.append(r)
    wb.save(path)


STAGE_ONLY = int(os.environ.get("BENCH_STAGE_ONLY", "10000000"))  # set lower to stop before the commit


def run(args: list[str], env: dict, stdout=None) -> tuple[float, float, int]:
    """(seconds, peak MB, exit code) of ``python -m solarcli args``."""
    t = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-m", "solarcli", *args], env=env,
                         stdout=stdout or subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        print(p.stderr.read().decode(errors="replace"), file=sys.stderr)
    p.stderr.close()
    return dt, ru.ru_maxrss / 1024, p.returncode


def fresh_repo(base: Path, name: str, env: dict) -> Path:
    root = base / name
    subprocess.run([sys.executable, "-m", "solarcli", "init", str(root), "--company", "Bench GmbH",
                    "--locale", "de_DE"], env=env, check=True, capture_output=True)
    return root


def bench(n: int, base: Path) -> list[tuple[str, float, float, int]]:
    env = dict(os.environ)
    env.setdefault("GIT_AUTHOR_NAME", "Bench")
    home = base / "home"
    home.mkdir(exist_ok=True)
    (home / ".gitconfig").write_text("[user]\n\tname = Bench\n\temail = bench@example.com\n")
    env.update(HOME=str(home), GIT_CONFIG_GLOBAL=str(home / ".gitconfig"))
    env.pop("SOLAR_REPO", None)
    out: list[tuple[str, float, float, int]] = []
    csv_path = base / f"leads-{n}.csv"
    t = time.perf_counter()
    write_csv(csv_path, n)
    print(f"  generated {csv_path.name} in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    repo = fresh_repo(base, f"csv-{n}", env)
    e = dict(env, SOLAR_REPO=str(repo))
    xlsx_path = base / f"leads-{n}.xlsx"
    if n >= STAGE_ONLY:
        # Optional (BENCH_STAGE_ONLY): measure the import without its commit.
        # SOLAR_CRASH_AFTER=0 stops the process where the transaction starts replacing
        # files (after reading, planning, rendering and staging every record, and writing
        # the journal); the next command rolls the journal back.
        e0 = dict(e, SOLAR_CRASH_AFTER="0")
        dt, mb, rc = run(["lead", "import", str(csv_path)], e0)
        out.append((f"import {n} rows CSV up to the commit (read, plan, stage)", dt, mb, rc))
        write_xlsx(xlsx_path, n)
        dt, mb, rc = run(["lead", "import", str(xlsx_path)], e0)
        out.append((f"import {n} rows XLSX up to the commit (read, plan, stage)", dt, mb, rc))
        return out
    dt, mb, rc = run(["lead", "import", str(csv_path)], e)
    out.append((f"import {n} rows CSV (with commit)", dt, mb, rc))
    dt, mb, rc = run(["lead", "import", str(csv_path)], e)
    out.append((f"re-import the same {n} rows CSV (no changes)", dt, mb, rc))
    with open(base / "export.csv", "wb") as fh:
        dt, mb, rc = run(["lead", "export", "--to", "csv"], e, stdout=fh)
    out.append((f"export {n} leads to CSV", dt, mb, rc))
    write_xlsx(xlsx_path, n)
    repo2 = fresh_repo(base, f"xlsx-{n}", env)
    e2 = dict(env, SOLAR_REPO=str(repo2))
    dt, mb, rc = run(["lead", "import", str(xlsx_path)], e2)
    out.append((f"import {n} rows XLSX (with commit)", dt, mb, rc))
    dt, mb, rc = run(["lead", "import", str(xlsx_path)], e2)
    out.append((f"re-import the same {n} rows XLSX (no changes)", dt, mb, rc))
    return out


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [10000]
    base = Path(tempfile.mkdtemp(prefix="solar-bench-import-"))
    print(f"| step | seconds | peak MB | exit |\n|---|---:|---:|---:|")
    try:
        for n in sizes:
            for name, dt, mb, rc in bench(n, base):
                print(f"| {name} | {dt:.1f} | {mb:.0f} | {rc} |", flush=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
