"""Staging a plan: new records rendered by forked workers give the same files, and the
same errors, as rendered one by one."""
from __future__ import annotations

import pytest

from solarcli.errors import ValidationError
from solarcli.importing import apply as A
from solarcli.importing.mapping import build_mapping
from solarcli.importing.planner import Planner, Settings
from solarcli.repo import Repo

H = ["Lead ID", "Name", "Email", "Phone", "City", "Stage", "Annual kWh", "Message", "Wert: yes"]


def rows(n):
    for i in range(n):
        p = i if i < n * 0.8 else i - n // 2  # some people send two enquiries
        yield i + 2, dict(zip(H, [f"L{i}", f"Kunde {p}", f"k{p}@example.de", f"0171 {p:07d}", "Köln",
                                   ("new", "contacted", "qualified")[i % 3], str(2500 + i),
                                   "Zeile 1\nZeile 2" if i % 7 == 0 else f"Anfrage {i}: PV?",
                                   ("yes", "12:30", "0123", "on", "-")[i % 5]]))


class FakeTx:
    def __init__(self, config):
        self.repo = type("R", (), {"config": config})()
        self.message, self.trailers, self.files = "", {}, {}

    def exists(self, kind, rid):
        return False

    def write_file(self, path, data):
        self.files[path] = data


def make_plan(n=60):
    m = build_mapping(H, "lead")
    s = Settings(region="DE", by="test", now="2026-12-03T10:00:00Z")
    return Planner(m, s, batch="imp-test").run(rows(n))


def stage(config, plan, monkeypatch, parallel):
    monkeypatch.setattr(A, "PARALLEL_MIN", 1 if parallel else 10**9)
    monkeypatch.setattr(A, "RENDER_CHUNK", 7)
    monkeypatch.setattr(A, "now_iso", lambda: "2026-12-03T11:00:00Z")
    tx = FakeTx(config)
    A.write_plan(tx, plan, batch="imp-test", source="x.csv")
    return tx.files


def test_workers_render_the_same_files(records, monkeypatch):
    import copy

    config = Repo.find(records).config
    plan = make_plan()
    serial = stage(config, copy.deepcopy(plan), monkeypatch, parallel=False)
    parallel = stage(config, plan, monkeypatch, parallel=True)
    assert len(serial) == 60 + 48 and list(parallel) == list(serial)
    assert parallel == serial
    assert all(c.data is None for c in plan.changes)  # freed once staged


def test_a_record_that_fails_validation_is_reported_as_without_workers(records, monkeypatch):
    import copy

    config = Repo.find(records).config
    plan = make_plan(30)
    bad = [c for c in plan.changes if c.kind == "lead"][5]
    d = bad.data
    d["stage"] = "nonsense"
    bad.data = d
    errors = []
    for parallel in (False, True):
        with pytest.raises(ValidationError) as exc:
            stage(config, copy.deepcopy(plan), monkeypatch, parallel=parallel)
        errors.append(str(exc.value))
    assert errors[0] == errors[1] and "nonsense" in errors[0]
