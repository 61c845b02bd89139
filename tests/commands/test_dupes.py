"""solar contact dupes / merge."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from solarcli.importing.dupes import find_dupes, name_key, plan_merge


def load(records: Path, kind: str, rid: str) -> dict:
    return yaml.safe_load((records / f"{kind}s" / rid[0] / f"{rid}.yaml").read_text(encoding="utf-8"))


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


def add(ok, *args) -> str:
    return ok("contact", "add", *args).strip()


@pytest.fixture
def people(records, ok):
    ids = {
        "juergen": add(ok, "Jürgen Müller", "--email", "juergen.mueller@example.de", "--street", "Lindenstraße 12",
                       "--postcode", "10115", "--city", "Berlin"),
        "juergen2": add(ok, "Juergen Mueller", "--email", "j.mueller@mueller-it.de", "--phone", "0171 2345678",
                        "--street", "Lindenstr. 12", "--postcode", "10115", "--city", "Berlin", "--tag", "Kunde"),
        "ayse": add(ok, "Ayşe Yılmaz", "--email", "AYSE@example.com"),
        "ayse2": add(ok, "A. Yilmaz", "--email", "ayse@example.com", "--phone", "+49 30 98765432"),
        "ayse3": add(ok, "Ayse Y.", "--phone", "030 98765432"),
        "other": add(ok, "Emily Clarke", "--email", "emily@example.co.uk", "--postcode", "10115",
                     "--city", "Berlin"),
    }
    return ids


def test_dupes_clusters(people, ok):
    rows = json.loads(ok("contact", "dupes", "-f", "json"))
    clusters: dict[int, set[str]] = {}
    for r in rows:
        clusters.setdefault(r["cluster"], set()).add(r["id"])
    got = sorted(sorted(c) for c in clusters.values())
    want = sorted([sorted([people["juergen"], people["juergen2"]]),
                   sorted([people["ayse"], people["ayse2"], people["ayse3"]])])
    assert got == want
    reasons = {r["id"]: r["reasons"] for r in rows}
    assert "similar name and address" in reasons[people["juergen"]]
    assert "same e-mail ayse@example.com" in reasons[people["ayse"]]
    assert "same phone +493098765432" in reasons[people["ayse3"]]
    table = ok("contact", "dupes")
    assert "Jürgen Müller" in table and "Emily" not in table


def test_no_dupes(records, ok, cli):
    add(ok, "Ada")
    r = cli("contact", "dupes")
    assert r.exit_code == 0 and r.stdout == "" and "no likely duplicates" in r.stderr


def test_merge_moves_everything_and_removes_other(people, records, ok, tmp_path):
    keep, other = people["juergen"], people["juergen2"]
    lead = ok("lead", "add", "--title", "PV + Speicher", "--contact", other).strip()
    ok("lead", "convert", lead)
    ok("note", "add", other, "Ruft nach 18 Uhr zurück")
    ok("activity", "add", other, "--type", "call", "--summary", "Rückruf")
    doc = tmp_path / "angebot.pdf"
    doc.write_bytes(b"%PDF-1.4 offer")
    ok("doc", "attach", other, doc)
    (tmp_path / "k.pdf").write_bytes(b"%PDF-1.4 keep")
    ok("doc", "attach", keep, tmp_path / "k.pdf", "--name", "angebot.pdf")
    before = git(records, "rev-list", "--count", "HEAD")
    dry = json.loads(ok("contact", "merge", keep, other, "--dry-run", "-f", "json"))
    assert git(records, "rev-list", "--count", "HEAD") == before
    assert dry["dry_run"] and {m["kind"] for m in dry["moved"]} == {"lead", "project"}
    assert [c["field"] for c in dry["conflicts"]] == ["name", "address.street"]
    out = ok("contact", "merge", keep[:6], other[:6])
    assert "conflict" in out and "Juergen Mueller" in out
    assert int(git(records, "rev-list", "--count", "HEAD")) == int(before) + 1
    assert not (records / "contacts" / other[0] / f"{other}.yaml").exists()
    k = load(records, "contact", keep)
    assert k["name"] == "Jürgen Müller"  # KEEP wins
    assert k["emails"] == ["juergen.mueller@example.de", "j.mueller@mueller-it.de"]
    assert k["phones"] == ["+491712345678"] and k["tags"] == ["Kunde"]
    assert [n["text"] for n in k["notes"]] == ["Ruft nach 18 Uhr zurück"]
    assert [a["summary"] for a in k["activities"]] == ["Rückruf"]
    assert sorted(d["name"] for d in k["documents"]) == ["angebot-2.pdf", "angebot.pdf"]
    assert (records / "documents" / keep / "angebot-2.pdf").read_bytes() == b"%PDF-1.4 offer"
    assert not (records / "documents" / other).exists()
    assert k["merged_from"] == [other]
    assert load(records, "lead", lead)["contact"] == keep
    projects = json.loads(ok("project", "list", "-f", "json"))
    assert projects[0]["contact"] == keep
    assert "merge contact" in git(records, "log", "-1", "--format=%s")
    assert json.loads(ok("contact", "show", keep, "-f", "json"))["leads"] == [lead]


def test_merge_prefer_other(people, records, ok):
    ok("contact", "merge", people["juergen"], people["juergen2"], "--prefer", "other")
    k = load(records, "contact", people["juergen"])
    assert k["name"] == "Juergen Mueller" and k["address"]["street"] == "Lindenstr. 12"


def test_merge_errors(people, fail):
    fail(2, "contact", "merge", people["ayse"], people["ayse"])
    fail(3, "contact", "merge", people["ayse"], "zzzzzzzzzz")


def test_name_key_and_pure_functions():
    assert name_key("Müller, Jürgen") == name_key("Juergen Mueller")
    a = {"id": "a" * 10, "name": "Ada", "emails": ["ada@x.de"]}
    b = {"id": "b" * 10, "name": "Ada", "emails": ["ADA@x.de"], "company": "X"}
    assert find_dupes([a, b])[0]["ids"] == ["a" * 10, "b" * 10]
    mp = plan_merge(a, b, [])
    assert mp.fills == [("company", "X")] and mp.conflicts == []
