"""The merge driver entry point as git calls it."""
from __future__ import annotations

import subprocess
import sys


BASE = "id: 0000000001\ntitle: Roof\nstage: new\nupdated: '2026-01-01T00:00:00Z'\nnotes: []\n"


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_record_merged_exit_0(tmp_path, cli):
    o = write(tmp_path, "O", BASE)
    a = write(tmp_path, "A", BASE.replace("stage: new", "stage: contacted").replace("notes: []", "notes:\n  - id: n1\n    text: a"))
    b = write(tmp_path, "B", BASE.replace("title: Roof", "title: Roof 2").replace("notes: []", "notes:\n  - id: n2\n    text: b"))
    r = cli("merge-driver", o, a, b, "leads/0/0000000001.yaml")
    assert r.exit_code == 0, r.stderr
    text = a.read_text()
    assert "stage: contacted" in text and "title: Roof 2" in text
    assert "id: n1" in text and "id: n2" in text


def test_same_field_reported_on_stderr(tmp_path, cli):
    o = write(tmp_path, "O", BASE)
    a = write(tmp_path, "A", BASE.replace("stage: new", "stage: contacted"))
    b = write(tmp_path, "B", BASE.replace("stage: new", "stage: lost").replace("2026-01-01", "2026-02-01"))
    r = cli("merge-driver", o, a, b, "leads/0/0000000001.yaml")
    assert r.exit_code == 0
    assert "stage: kept lost, recorded contacted" in r.stderr
    assert "conflicts:" in a.read_text()


def test_non_record_and_unparsable_fall_back_to_git(tmp_path, cli):
    o = write(tmp_path, "O", "a: 1\n")
    a = write(tmp_path, "A", "a: 2\n")
    b = write(tmp_path, "B", "a: 3\n")
    r = cli("merge-driver", o, a, b, "solar.yaml")
    assert r.exit_code == 1
    assert "<<<<<<<" in a.read_text()
    o = write(tmp_path, "O", BASE)
    a = write(tmp_path, "A", "id: [broken\n")
    b = write(tmp_path, "B", BASE.replace("new", "lost"))
    r = cli("merge-driver", o, a, b, "leads/0/0000000001.yaml")
    assert r.exit_code == 1
    assert "<<<<<<<" in a.read_text()


def test_driver_runs_as_git_runs_it(tmp_path):
    """``python -m solarcli merge-driver`` in a subprocess (what .git/config names)."""
    o = write(tmp_path, "O", BASE)
    a = write(tmp_path, "A", BASE.replace("stage: new", "stage: contacted"))
    b = write(tmp_path, "B", BASE.replace("title: Roof", "title: Roof 2"))
    proc = subprocess.run([sys.executable, "-m", "solarcli", "merge-driver", str(o), str(a), str(b),
                           "leads/0/0000000001.yaml"], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "title: Roof 2" in a.read_text() and "stage: contacted" in a.read_text()


def test_two_different_records_are_never_merged(tmp_path, cli):
    """git's rename detection may pair a deleted record with a similar new one."""
    o = write(tmp_path, "O", BASE)
    a = write(tmp_path, "A", BASE.replace("stage: new", "stage: contacted"))
    b = write(tmp_path, "B", BASE.replace("0000000001", "0000000002"))
    r = cli("merge-driver", o, a, b, "leads/0/0000000002.yaml")
    assert r.exit_code == 1
    assert a.read_text() == b.read_text()
    assert "git paired two different records" in r.stderr
