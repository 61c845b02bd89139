#!/usr/bin/env python3
"""Benchmark of the records core: generate a records repository of N leads and time the CLI.

    python benchmarks/bench_core.py --n 10000            # solar only
    python benchmarks/bench_core.py --n 10000 --peers    # plus taskwarrior and khard, same workload

What it does (see benchmarks/RESULTS.md for results and targets):

1. ``solar init``, then N contacts and N leads written directly as YAML files of the shape
   ``solar contact add`` / ``lead add`` / ``note add`` / ``lead stage`` / ``activity add``
   produce (stage history, notes, activities), committed in one git commit.
2. Every measurement is a fresh process of the installed ``solar`` (subprocess), repeated
   (``--runs``, default 5) and reported as median / min / max wall time plus the peak RSS
   of the child (``os.wait4`` rusage = ``getrusage(RUSAGE_CHILDREN)`` for that one child).
3. ``--help``; ``lead list --stage qualified`` cold (index deleted before each run) and warm;
   ``search TEXT``; ``show PREFIX``; ``lead add`` (with its commit); and the first
   ``lead list --stage qualified`` after a ``git pull`` that changed 1,000 lead files
   (bare remote + a second clone that commits the change and pushes). After each pull the
   list is checked against the expected number of qualified leads (never stale).

Output: a markdown report on stdout and a JSON file (``--json``). Nothing is written in
the solarcli source tree; the records repository lives under ``--workdir``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # solarcli.ids alphabet (Crockford base32)
STAGES = ["new", "contacted", "qualified", "lost"]
STAGE_WEIGHTS = [35, 25, 20, 20]
FIRST = ["Anna", "Lukas", "Mia", "Leon", "Emma", "Finn", "Sofia", "Paul", "Hannah", "Jonas", "Lea", "Elias",
         "Marie", "Noah", "Lina", "Ben", "Clara", "Felix", "Ida", "Emil", "Greta", "Max", "Ella", "Theo",
         "Frieda", "Moritz", "Jana", "Tim", "Sarah", "David", "Ayse", "Mehmet", "Zeynep", "Can", "Elif"]
LAST = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
        "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun",
        "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Krause", "Meier", "Lehmann", "Yilmaz",
        "Kaya", "Demir", "Köhler", "Frank", "Berger", "Kaiser", "Fuchs", "Peters", "Lang", "Scholz"]
CITIES = [("Berlin", "10115"), ("Hamburg", "20095"), ("München", "80331"), ("Köln", "50667"),
          ("Frankfurt am Main", "60311"), ("Stuttgart", "70173"), ("Düsseldorf", "40213"), ("Leipzig", "04109"),
          ("Dortmund", "44135"), ("Essen", "45127"), ("Bremen", "28195"), ("Dresden", "01067"),
          ("Hannover", "30159"), ("Nürnberg", "90402"), ("Freiburg", "79098"), ("Augsburg", "86150"),
          ("Regensburg", "93047"), ("Ulm", "89073"), ("Kassel", "34117"), ("Rostock", "18055")]
STREETS = ["Hauptstr.", "Bahnhofstr.", "Gartenweg", "Schulstr.", "Lindenallee", "Bergstr.", "Am Markt",
           "Sonnenweg", "Kirchgasse", "Wiesenweg", "Mühlenstr.", "Birkenweg", "Feldstr.", "Rosenweg"]
TITLES = ["PV + battery, family home", "PV on garage roof", "PV + heat pump", "Rooftop PV, farm barn",
          "PV + wallbox", "Balcony PV", "Commercial rooftop PV", "PV carport", "PV + battery upgrade",
          "Zero-injection PV, workshop"]
SOURCES = ["manual", "web form", "referral", "phone", "email", "event", "partner", "advertising", "import"]
NOTES = ["Called, wants an offer by Friday. Roof faces south, 35 degrees.",
         "Sent brochure and price range; customer compares three installers.",
         "Site visit: roof in good condition, meter cabinet needs an upgrade.",
         "Asked about battery sizing and backup power during outages.",
         "Neighbour has PV from us; referral bonus agreed.",
         "Wants a wallbox later, plan the cable route now.",
         "Roof renovation planned next spring; call back in March.",
         "Budget about 20k, financing through the local bank.",
         "Consumption from last bills:\n- 2023: 4200 kWh\n- 2024: 4650 kWh (heat pump since May)",
         "Prefers e-mail, works shifts; not reachable before 14:00."]
ACTS = [("call", "Follow-up call"), ("email", "Send offer"), ("site-visit", "Roof inspection"),
        ("meeting", "Offer discussion"), ("task", "Check grid operator form")]
FACILITY = ["residential"] * 8 + ["commercial", "agricultural"]
GRID = ["on-grid"] * 8 + ["zero-injection", "off-grid"]
PROFILES = ["family-day", "one-two-person", "retiree-home-office", "night-time"]
INTERESTS = ["battery", "heat-pump", "ev-charger"]
TAGS = ["priority", "roof-south", "roof-east-west", "flat-roof", "newsletter", "referral", "callback"]


# ----------------------------------------------------------------------------- YAML
# A small emitter for the plain data the generator makes, producing exactly the layout
# solar's round-trip dumper writes (mapping indent 2, sequence indent 4 with offset 2,
# '|-' literal blocks for multi-line text). ~10x faster than any general dumper here.
_PLAIN = re.compile(r"[A-Za-zÄÖÜäöüß][\w .,+@/():-]*\Z")
_RESERVED = {"yes", "no", "true", "false", "null", "on", "off", "y", "n", "~"}


def _scalar(v) -> str:
    if v is None:
        return ""
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, float)):
        return repr(v)
    s = str(v)
    if (_PLAIN.match(s) and ": " not in s and " #" not in s and not s.endswith((":", " "))
            and s.lower() not in _RESERVED):
        return s
    return "'" + s.replace("'", "''") + "'"


def _emit_map(d: dict, ind: int, out: list) -> None:
    pad = " " * ind
    for k, v in d.items():
        if isinstance(v, dict):
            out.append(f"{pad}{k}:\n")
            _emit_map(v, ind + 2, out)
        elif isinstance(v, list):
            out.append(f"{pad}{k}:\n")
            _emit_seq(v, ind + 2, out)
        elif isinstance(v, str) and "\n" in v:
            out.append(f"{pad}{k}: |-\n")
            out.extend(f"{pad}  {line}\n" for line in v.split("\n"))
        else:
            s = _scalar(v)
            out.append(f"{pad}{k}: {s}\n" if s else f"{pad}{k}:\n")


def _emit_seq(items: list, ind: int, out: list) -> None:
    pad = " " * ind
    for item in items:
        if isinstance(item, dict):
            sub: list = []
            _emit_map(item, ind + 2, sub)
            sub[0] = f"{pad}- {sub[0][ind + 2:]}"
            out.extend(sub)
        else:
            out.append(f"{pad}- {_scalar(item)}\n")


def dump_yaml(d: dict) -> str:
    out: list = []
    _emit_map(d, 0, out)
    return "".join(out)


# ----------------------------------------------------------------------------- data
def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


class Generator:
    def __init__(self, seed: int, users: list[str]):
        self.rnd = random.Random(seed)
        self.users = users
        self.used: set[str] = set()

    def new_id(self, length: int = 10) -> str:
        while True:
            i = "".join(self.rnd.choices(ALPHABET, k=length))
            if i not in self.used:
                self.used.add(i)
                return i

    def pair(self, t0: float) -> tuple[dict, dict]:
        r = self.rnd
        first, last = r.choice(FIRST), r.choice(LAST)
        city, postcode = r.choice(CITIES)
        street = f"{r.choice(STREETS)} {r.randint(1, 180)}"
        created = t0 + r.random() * 3 * 365 * 86400
        company = r.random() < 0.1
        name = f"{last} {r.choice(['GmbH', 'KG', 'Landwirtschaft', 'Bäckerei'])}" if company else f"{first} {last}"
        mail_local = re.sub(r"[^a-z]", "", (first + "." + last).lower().translate(str.maketrans("äöüß", "aous")))
        contact = {"id": self.new_id(), "type": "company" if company else "person", "name": name,
                   "emails": [f"{mail_local}{r.randint(1, 999)}@example.de"],
                   "phones": [f"+49{r.randint(30, 999)}{r.randint(1000000, 9999999)}"],
                   "address": {"street": street, "postcode": postcode, "city": city, "country": "DE"}}
        if r.random() < 0.3:
            contact["tags"] = r.sample(TAGS, r.randint(1, 2))
        contact["created"] = contact["updated"] = _iso(created)

        stage = r.choices(STAGES, STAGE_WEIGHTS)[0]
        path = ["new"] if stage == "new" else ["new", "contacted"] + (["qualified"] if stage == "qualified" else [])
        if stage == "lost":
            path = ["new", "contacted"][: r.randint(1, 2)] + ["lost"]
        by = r.choice(self.users)
        ts = created + 3600
        hist, prev = [], None
        for s in path:
            h = {"at": _iso(ts), "by": by, "from": prev, "to": s}
            if s == "lost":
                h["reason"] = r.choice(["price too high", "went with competitor", "roof unsuitable"])
            hist.append(h)
            prev, ts = s, ts + r.random() * 20 * 86400
        lead = {"id": self.new_id(), "title": r.choice(TITLES), "contact": contact["id"],
                "source": r.choice(SOURCES), "stage": stage,
                "assignee": r.choice([f"user:{u}" for u in self.users] + ["team:sales"]),
                "site": {"address": dict(contact["address"]),
                         "lat": round(47.5 + r.random() * 7, 5), "lon": round(6 + r.random() * 8.5, 5)},
                "facility": r.choice(FACILITY), "grid": r.choice(GRID),
                "consumption": {"annual_kwh": float(r.randint(25, 120) * 100), "profile": r.choice(PROFILES)},
                "interests": r.sample(INTERESTS, r.randint(0, 2)),
                "value": float(r.randint(8, 60) * 1000)}
        if not lead["interests"]:
            del lead["interests"]
        if r.random() < 0.4:
            lead["tags"] = r.sample(TAGS, r.randint(1, 2))
        lead["stage_history"] = hist
        lead["created"] = _iso(created)
        lead["updated"] = _iso(ts)
        notes = [{"id": self.new_id(8), "at": _iso(created + 7200 + k * 86400), "by": by, "text": r.choice(NOTES)}
                 for k in range(r.choice([0, 1, 1, 2, 3]))]
        if notes:
            lead["notes"] = notes
        if r.random() < 0.4:
            typ, summary = r.choice(ACTS)
            lead["activities"] = [{"id": self.new_id(8), "type": typ, "summary": summary,
                                   "at": _iso(created + 9000), "by": by, "done": r.random() < 0.5,
                                   "due": _iso(created + 5 * 86400)[:10]}]
        return contact, lead


def generate(root: Path, n: int, seed: int, solar: str, env: dict) -> dict:
    """solar init + N contacts + N leads, one commit. Returns facts for the checks."""
    if root.exists():
        shutil.rmtree(root)
    t0 = time.perf_counter()
    subprocess.run([solar, "init", str(root), "--company", "Bench Solar GmbH", "--locale", "de_DE"],
                   check=True, env=env, capture_output=True)
    import yaml  # PyYAML, a solarcli dependency

    cfg = yaml.load((root / "solar.yaml").read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    users = [str(u["id"]) for u in cfg.get("users") or []] or ["seed"]
    gen = Generator(seed, users)
    start = time.mktime((2023, 1, 1, 0, 0, 0, 0, 0, 0))
    (root / "contacts").mkdir(exist_ok=True)
    (root / "leads").mkdir(exist_ok=True)
    stages: dict[str, str] = {}
    contacts: list[str] = []
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for k in range(n):
        c, lead = gen.pair(start)
        for folder, rec in (("contacts", c), ("leads", lead)):
            text = dump_yaml(rec)
            if k < 200:  # the emitter must round-trip exactly
                assert yaml.load(text, Loader=loader) == rec, text
            shard = root / folder / rec["id"][0]  # solarcli.records.record_path: <kind>/<x>/<id>.yaml
            if not shard.is_dir():
                shard.mkdir()
            with open(shard / f"{rec['id']}.yaml", "w", encoding="utf-8") as fh:
                fh.write(text)
        stages[lead["id"]] = lead["stage"]
        contacts.append(c["id"])
    t_files = time.perf_counter() - t0
    git(root, "add", "-A", "--", "contacts", "leads")
    git(root, "-c", "gc.auto=0", "commit", "-q", "--no-verify", "-m", f"bench: {n} contacts and {n} leads")
    t_all = time.perf_counter() - t0
    # pack the objects, as any lived-in repository is: otherwise every later commit starts a
    # background 'git gc --auto' that competes with the measurements for the two cores
    git(root, "repack", "-a", "-d", "-q")
    return {"stages": stages, "contacts": contacts, "users": users, "seconds_files": t_files,
            "seconds_total": t_all, "seconds_repack": time.perf_counter() - t0 - t_all}


def git(root: Path, *args: str, input: str | None = None, env: dict | None = None) -> str:
    p = subprocess.run(["git", *args], cwd=root, input=input, capture_output=True, text=True,
                       env={**os.environ, **(env or {})})
    if p.returncode:
        raise RuntimeError(f"git {' '.join(args[:3])}: {p.stderr.strip()}")
    return p.stdout


# ----------------------------------------------------------------------------- timing
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
CPU: list[float] = []  # CPU seconds (user + system, git children included) of the last run_once


def run_once(cmd: list[str], cwd: Path, env: dict) -> tuple[float, int, int, str, str]:
    """(seconds, peak RSS in KiB, exit code, stdout, stderr) of one child process."""
    # Linux keeps a process's peak RSS across exec, so a child forked from this (large)
    # benchmark process would report our size. GNU time forks the command from a tiny
    # process and reports its peak RSS (%M, KiB) exactly; without it, wait4's figure is
    # an upper bound.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as rss_file:
        wrapped = ([GNU_TIME, "-f", "%M", "-o", rss_file.name, *cmd] if GNU_TIME else cmd)
        t0 = time.perf_counter()
        p = subprocess.Popen(wrapped, cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(p.pid, 0)
        dt = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        CPU[:] = [usage.ru_utime + usage.ru_stime]  # the command and its git children
        kb = usage.ru_maxrss
        if GNU_TIME:
            text = rss_file.read().strip().splitlines()
            if text and text[-1].isdigit():
                kb = int(text[-1])
        out.seek(0)
        err.seek(0)
        return dt, kb, p.returncode, out.read().decode(errors="replace"), err.read().decode(errors="replace")


def measure(name: str, cmd: list[str], cwd: Path, env: dict, runs: int, *, before=None, warmup: int = 1,
            check=None) -> dict:
    for _ in range(warmup):
        run_once(cmd, cwd, env)
    times, rss, cpu = [], [], []
    for _ in range(runs):
        if before:
            before()
        dt, kb, rc, out, err = run_once(cmd, cwd, env)
        cpu.append(CPU[0])
        if rc != 0:
            raise RuntimeError(f"{name}: {' '.join(cmd)} exited {rc}: {err.strip()[-500:]}")
        if check:
            check(out)
        times.append(dt)
        rss.append(kb)
    res = {"name": name, "cmd": " ".join(cmd), "median": statistics.median(times), "min": min(times),
           "max": max(times), "runs": len(times), "rss_mb": max(rss) / 1024, "load": os.getloadavg()[0],
           "cpu": statistics.median(cpu)}
    print(f"  {name:<42} median {res['median'] * 1000:8.1f} ms  (min {res['min'] * 1000:.1f}, "
          f"max {res['max'] * 1000:.1f}; {runs} runs)  peak RSS {res['rss_mb']:.0f} MB", file=sys.stderr, flush=True)
    return res


# ----------------------------------------------------------------------------- solar
def bench_solar(args, work: Path) -> dict:
    solar = args.solar
    root = work / "records"
    env = {**os.environ, "SOLAR_REPO": str(root), "COLUMNS": "120", "PAGER": "cat"}
    env.pop("SOLAR_CRASH_AFTER", None)
    print(f"generating {args.n} contacts + {args.n} leads in {root} ...", file=sys.stderr, flush=True)
    facts = generate(root, args.n, args.seed, solar, env)
    files = len(facts["stages"]) * 2
    print(f"  files written in {facts['seconds_files']:.1f} s, committed after {facts['seconds_total']:.1f} s, "
          f"repacked in {facts['seconds_repack']:.1f} s",
          file=sys.stderr, flush=True)
    du = subprocess.run(["du", "-sm", "--exclude=.git", str(root)], capture_output=True, text=True).stdout.split()[0]
    gitdu = subprocess.run(["du", "-sm", str(root / ".git")], capture_output=True, text=True).stdout.split()[0]
    results: dict = {"n": args.n, "files": files, "generate_s": facts["seconds_total"],
                     "files_s": facts["seconds_files"], "tree_mb": int(du), "git_mb": int(gitdu), "rows": []}
    rows = results["rows"]
    runs = args.runs
    rnd = random.Random(args.seed + 1)

    def qualified_count() -> int:
        return sum(1 for s in facts["stages"].values() if s == "qualified")

    def check_list(out: str) -> None:
        # table output: one line per lead plus header and rule
        lines = [ln for ln in out.splitlines() if ln.strip()]
        if abs(len(lines) - 2 - qualified_count()) > 0:
            raise RuntimeError(f"lead list shows {len(lines) - 2} leads, expected {qualified_count()}")

    def drop_index() -> None:
        for suffix in ("", "-wal", "-shm"):
            try:
                os.unlink(root / ".solar" / f"index.sqlite{suffix}")
            except FileNotFoundError:
                pass

    list_cmd = [solar, "lead", "list", "--stage", "qualified"]
    rows.append(measure("solar --help", [solar, "--help"], root, env, runs))
    rows.append(measure("lead list --stage qualified (cold: no index)", list_cmd, root, env, runs,
                        before=drop_index, warmup=0, check=check_list))
    rows.append(measure("lead list --stage qualified (warm)", list_cmd, root, env, runs, check=check_list))
    rows.append(measure("lead list --stage qualified -f csv (warm)", list_cmd + ["-f", "csv"], root, env, runs))
    rows.append(measure("lead list --stage qualified --limit 50 (warm)", list_cmd + ["--limit", "50"], root, env, runs))
    rows.append(measure(f"search {args.search}", [solar, "search", args.search], root, env, runs,
                        check=lambda out: out.strip() or (_ for _ in ()).throw(RuntimeError("search found nothing"))))
    some_lead = next(iter(facts["stages"]))
    rows.append(measure("show ID (7-char prefix)", [solar, "show", some_lead[:7]], root, env, runs))

    # ---- first list after a git pull that changed 1,000 lead files ------------------
    bare, clone2 = work / "remote.git", work / "clone2"
    for p in (bare, clone2):
        if p.exists():
            shutil.rmtree(p)
    git(work, "clone", "-q", "--bare", str(root), str(bare))
    git(root, "remote", "add", "origin", str(bare))
    git(root, "fetch", "-q", "origin")
    git(root, "branch", "-q", "--set-upstream-to=origin/main")
    git(work, "clone", "-q", "--no-checkout", str(bare), str(clone2))
    changed_n = min(1000, len(facts["stages"]) // 2)
    lead_ids = list(facts["stages"])
    rnd.shuffle(lead_ids)
    pull_times, list_times, list_rss, list_cpu = [], [], [], []
    genv = {"GIT_AUTHOR_NAME": "Other Clone", "GIT_AUTHOR_EMAIL": "other@example.de",
            "GIT_COMMITTER_NAME": "Other Clone", "GIT_COMMITTER_EMAIL": "other@example.de"}
    for cycle in range(runs):
        batch = lead_ids[cycle * changed_n:(cycle + 1) * changed_n]
        # the other clone changes the stage of 1,000 leads (stage, stage_history, updated)
        tmp = work / "changed"
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        ts = _iso(time.time())
        paths = []
        for k, lid in enumerate(batch):
            rel = f"leads/{lid[0]}/{lid}.yaml"
            text = (root / rel).read_text(encoding="utf-8")
            old = facts["stages"][lid]
            new = "qualified" if old == "contacted" else "contacted"  # keeps the stage mix roughly stable
            text = text.replace(f"\nstage: {old}\n", f"\nstage: {new}\n", 1)
            entry = f"  - at: '{ts}'\n    by: {facts['users'][0]}\n    from: {old}\n    to: {new}\n"
            text = text.replace("\ncreated: ", "\n" + entry + "created: ", 1) if "\nstage_history:\n" in text else text
            text = re.sub(r"\nupdated: '[^']*'\n", f"\nupdated: '{ts}'\n", text, count=1)
            (tmp / f"{k}.yaml").write_text(text, encoding="utf-8")
            facts["stages"][lid] = new
            paths.append(rel)
        shas = git(clone2, "hash-object", "-w", "--stdin-paths",
                   input="".join(f"{tmp / f'{k}.yaml'}\n" for k in range(len(batch)))).split()
        idx = {"GIT_INDEX_FILE": str(work / "clone2.index")}
        git(clone2, "read-tree", "HEAD", env=idx)
        git(clone2, "update-index", "--index-info", env=idx,
            input="".join(f"100644 {s}\t{p}\n" for s, p in zip(shas, paths)))
        tree = git(clone2, "write-tree", env=idx).strip()
        head = git(clone2, "rev-parse", "HEAD").strip()
        commit = git(clone2, "commit-tree", tree, "-p", head, "-m", f"bench: stage change of {len(batch)} leads",
                     env=genv).strip()
        git(clone2, "update-ref", "refs/heads/main", commit)
        git(clone2, "push", "-q", "origin", "main")
        t0 = time.perf_counter()
        git(root, "pull", "-q", "--ff-only")
        pull_times.append(time.perf_counter() - t0)
        changed = git(root, "diff", "--name-only", "HEAD~1", "HEAD").split()
        assert len(changed) == len(batch), (len(changed), len(batch))
        dt, kb, rc, out, err = run_once(list_cmd, root, env)
        if rc != 0:
            raise RuntimeError(f"list after pull exited {rc}: {err}")
        check_list(out)  # never stale: the pulled stages are visible at once
        list_times.append(dt)
        list_rss.append(kb)
        list_cpu.append(CPU[0])
    res = {"name": f"first lead list after git pull changing {changed_n} files", "cmd": " ".join(list_cmd),
           "median": statistics.median(list_times), "min": min(list_times), "max": max(list_times),
           "runs": runs, "rss_mb": max(list_rss) / 1024, "load": os.getloadavg()[0],
           "cpu": statistics.median(list_cpu)}
    print(f"  {res['name']:<42} median {res['median'] * 1000:8.1f} ms (git pull itself: median "
          f"{statistics.median(pull_times) * 1000:.0f} ms)", file=sys.stderr, flush=True)
    rows.append(res)
    results["git_pull_median_s"] = statistics.median(pull_times)

    # ---- lead add (with its commit) ------------------------------------------------
    contact = facts["contacts"][0]
    counter = iter(range(10 ** 6))

    def add_cmd() -> list[str]:
        return [solar, "lead", "add", "--title", f"Bench lead {next(counter)}", "--contact", contact,
                "--source", "web form", "--annual-kwh", "4500", "--city", "Berlin", "--facility",
                "residential", "--grid", "on-grid", "--interest", "battery", "--tag", "priority"]

    times, rss, cpu = [], [], []
    run_once(add_cmd(), root, env)  # warm-up
    for _ in range(runs):
        dt, kb, rc, out, err = run_once(add_cmd(), root, env)
        if rc != 0:
            raise RuntimeError(f"lead add exited {rc}: {err}")
        facts["stages"][out.strip()] = "new"
        cpu.append(CPU[0])
        times.append(dt)
        rss.append(kb)
    rows.append({"name": "lead add (one git commit)", "cmd": "solar lead add --title T --contact ID ...",
                 "median": statistics.median(times), "min": min(times), "max": max(times), "runs": runs,
                 "rss_mb": max(rss) / 1024, "load": os.getloadavg()[0], "cpu": statistics.median(cpu)})
    print(f"  {'lead add':<42} median {rows[-1]['median'] * 1000:8.1f} ms", file=sys.stderr, flush=True)
    # one commit per add, nothing left uncommitted
    status = git(root, "status", "--porcelain", "--untracked-files=no")
    assert not status.strip(), status
    return results


# ----------------------------------------------------------------------------- peers
def bench_taskwarrior(args, work: Path) -> dict | None:
    task = shutil.which("task")
    if not task:
        return None
    data = work / "task"
    if data.exists():
        shutil.rmtree(data)
    data.mkdir(parents=True)
    rc = work / "taskrc"
    rc.write_text(f"data.location={data}\nconfirmation=no\nverbose=nothing\nsearch.case.sensitive=no\n"
                  "uda.stage.type=string\nuda.stage.values=new,contacted,qualified,lost\n"
                  "recurrence=no\ngc=on\nhooks=off\nnews.version=2.6.0\n")
    env = {**os.environ, "TASKRC": str(rc), "TASKDATA": str(data), "COLUMNS": "120"}
    # pending.data written directly (the 2.6 format); same leads, notes as annotations
    gen = Generator(args.seed, ["seed"])
    start = time.mktime((2023, 1, 1, 0, 0, 0, 0, 0, 0))
    t0 = time.perf_counter()

    def q(s: str) -> str:
        return s.replace("\\", "\\\\").replace('"', '&dquot;').replace("\n", " ")

    lines = []
    for _ in range(args.n):
        c, lead = gen.pair(start)
        entry = int(time.mktime(time.strptime(lead["created"], "%Y-%m-%dT%H:%M:%SZ")))
        fields = {"description": f"{lead['title']} - {c['name']}, {c['address']['city']} {c['emails'][0]}",
                  "entry": str(entry), "modified": str(entry), "project": "leads", "stage": lead["stage"],
                  "status": "pending", "uuid": str(uuid.UUID(int=gen.rnd.getrandbits(128), version=4))}
        if lead.get("tags"):
            fields["tags"] = ",".join(lead["tags"])
        for k, note in enumerate(lead.get("notes") or []):
            fields[f"annotation_{entry + k + 1}"] = note["text"]
        lines.append("[" + " ".join(f'{k}:"{q(v)}"' for k, v in sorted(fields.items())) + "]\n")
    (data / "pending.data").write_text("".join(lines), encoding="utf-8")
    (data / "completed.data").write_text("")
    gen_s = time.perf_counter() - t0
    rows = []
    rows.append(measure("task add", [task, "add", "Bench lead", "project:leads", "stage:new"], work, env, args.runs))
    rows.append(measure("task stage:qualified list", [task, "stage:qualified", "list"], work, env, args.runs))
    rows.append(measure(f"task {args.search} list (search)", [task, args.search, "list"], work, env, args.runs))
    return {"tool": "taskwarrior " + subprocess.run([task, "--version"], capture_output=True, text=True).stdout.strip(),
            "generate_s": gen_s, "rows": rows}


def bench_khard(args, work: Path) -> dict | None:
    khard = shutil.which("khard")
    if not khard:
        return None
    book = work / "khard" / "book"
    if book.parent.exists():
        shutil.rmtree(book.parent)
    book.mkdir(parents=True)
    conf = work / "khard" / "khard.conf"
    conf.write_text(f"[addressbooks]\n[[book]]\npath = {book}\n\n[general]\ndebug = no\ndefault_action = list\n"
                    "editor = true\nmerge_editor = true\n\n[contact table]\ndisplay = first_name\n"
                    "group_by_addressbook = no\nreverse = no\nshow_nicknames = no\nshow_uids = yes\n"
                    "sort = last_name\nlocalize_dates = yes\npreferred_phone_number_type = pref, cell, home\n"
                    "preferred_email_address_type = pref, work, home\n\n[vcard]\n"
                    "private_objects = Stage,\npreferred_version = 3.0\nsearch_in_source_files = no\n"
                    "skip_unparsable = no\n")
    gen = Generator(args.seed, ["seed"])
    start = time.mktime((2023, 1, 1, 0, 0, 0, 0, 0, 0))
    t0 = time.perf_counter()
    for _ in range(args.n):
        c, lead = gen.pair(start)
        a = c["address"]
        parts = c["name"].split(" ", 1)
        first, last = (parts[0], parts[1]) if c["type"] == "person" and len(parts) == 2 else ("", c["name"])
        note = " / ".join(n["text"].replace("\n", " ") for n in lead.get("notes") or [])
        uid = c["id"]
        vcf = ("BEGIN:VCARD\r\nVERSION:3.0\r\n"
               f"UID:{uid}\r\nN:{last};{first};;;\r\nFN:{c['name']}\r\n"
               f"EMAIL;TYPE=home:{c['emails'][0]}\r\nTEL;TYPE=cell:{c['phones'][0]}\r\n"
               f"ADR;TYPE=home:;;{a['street']};{a['city']};;{a['postcode']};DE\r\n"
               f"X-STAGE:{lead['stage']}\r\n" + (f"NOTE:{note}\r\n" if note else "") + "END:VCARD\r\n")
        (book / f"{uid}.vcf").write_text(vcf, encoding="utf-8")
    gen_s = time.perf_counter() - t0
    env = {**os.environ, "COLUMNS": "120", "EDITOR": "true"}
    tmpl = work / "khard" / "new.yaml"
    tmpl.write_text("First name : Bench\nLast name : Lead\nEmail :\n    home : bench@example.de\n"
                    "Phone :\n    cell : +4930123456\n")
    rows = [
        measure("khard new (from a YAML template)", [khard, "-c", str(conf), "new", "-a", "book", "-i", str(tmpl)],
                work, env, args.runs),
        measure("khard list (all contacts)", [khard, "-c", str(conf), "list"], work, env, args.runs),
        measure(f"khard list {args.search} (search)", [khard, "-c", str(conf), "list", args.search], work, env,
                args.runs),
    ]
    ver = subprocess.run([khard, "--version"], capture_output=True, text=True).stdout.strip()
    return {"tool": ver, "generate_s": gen_s, "rows": rows}


# ----------------------------------------------------------------------------- report
def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    gitv = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    return {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpu": cpu, "cores": os.cpu_count(),
            "memory": mem, "os": platform.platform(), "python": platform.python_version(), "git": gitv}


def markdown(res: dict) -> str:
    out = []
    s = res["solar"]
    out.append(f"N = {s['n']:,} leads + {s['n']:,} contacts ({s['files']:,} record files, {s['tree_mb']} MB; "
               f".git {s['git_mb']} MB); generated and committed in {s['generate_s']:.1f} s "
               f"(files {s['files_s']:.1f} s). git pull of 1,000 changed files: "
               f"{s['git_pull_median_s'] * 1000:.0f} ms (median).\n")
    out.append("| command | median | min | max | median CPU | peak RSS | load avg |")
    out.append("|---|---:|---:|---:|---:|---:|---:|")
    for r in s["rows"]:
        out.append(f"| {r['name']} | {r['median'] * 1000:.0f} ms | {r['min'] * 1000:.0f} ms | "
                   f"{r['max'] * 1000:.0f} ms | {r.get('cpu', 0) * 1000:.0f} ms | {r['rss_mb']:.0f} MB | "
                   f"{r.get('load', 0):.1f} |")
    for peer in res.get("peers", []):
        out.append(f"\n{peer['tool']} (same {s['n']:,} leads generated in {peer['generate_s']:.1f} s):\n")
        out.append("| command | median | min | max | median CPU | peak RSS | load avg |")
        out.append("|---|---:|---:|---:|---:|---:|---:|")
        for r in peer["rows"]:
            out.append(f"| {r['name']} | {r['median'] * 1000:.0f} ms | {r['min'] * 1000:.0f} ms | "
                       f"{r['max'] * 1000:.0f} ms | {r.get('cpu', 0) * 1000:.0f} ms | {r['rss_mb']:.0f} MB | "
                   f"{r.get('load', 0):.1f} |")
    return "\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10000, help="number of leads (and contacts)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per command (median reported)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--search", default="schmidt", help="search text")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "solar-bench")
    here = Path(sys.executable).with_name("solar")
    ap.add_argument("--solar", default=str(here) if here.exists() else shutil.which("solar") or "solar",
                    help="the solar executable")
    ap.add_argument("--peers", action="store_true", help="also run taskwarrior and khard (if installed)")
    ap.add_argument("--json", type=Path, help="write raw results here")
    args = ap.parse_args()
    if args.runs < 5:
        print("note: fewer than 5 runs per command", file=sys.stderr)
    work = args.workdir / f"n{args.n}"
    work.mkdir(parents=True, exist_ok=True)
    res = {"machine": machine(), "solar": bench_solar(args, work), "peers": []}
    if args.peers:
        for fn in (bench_taskwarrior, bench_khard):
            print(f"peer: {fn.__name__[6:]} ...", file=sys.stderr, flush=True)
            p = fn(args, work)
            if p:
                res["peers"].append(p)
    if args.json:
        args.json.write_text(json.dumps(res, indent=2))
    m = res["machine"]
    print(f"{m['date']} · {m['cpu']} · {m['cores']} cores · {m['memory']} · {m['os']} · "
          f"Python {m['python']} · {m['git']}\n")
    print(markdown(res))


if __name__ == "__main__":
    main()
