"""Existing records for the planner, read from the index (keys up front, data on demand)."""
from __future__ import annotations

import json
from pathlib import Path

from solarcli.importing.existing import IndexRecords, fetch
from solarcli.repo import Repo

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "imports"


def test_keys_and_data_come_from_the_index(records, ok):
    ok("lead", "import", str(EXAMPLES / "webform-leads.ndjson"))
    repo = Repo.find(records)
    src = IndexRecords(repo)
    contacts = {rid: (ext, emails, phones) for rid, ext, emails, phones, _ in src.keys("contact")}
    leads = {rid: (ext, fp) for rid, ext, _, _, fp in src.keys("lead")}
    full = {c["id"]: c for c in repo.iter_records("contact")}
    assert set(contacts) == set(full) and leads
    for ld in repo.iter_records("lead"):
        assert leads[ld["id"]] == (ld.get("external_id"), ld.get("import_fingerprint"))
    for rid, (ext, emails, phones) in contacts.items():
        assert emails == full[rid].get("emails") and phones == full[rid].get("phones")
        assert ext == full[rid].get("external_id")
        assert src.get("contact", rid) == full[rid]
    lid = next(iter(leads))
    assert src.get("lead", lid)["contact"] in contacts
    assert src.get("contact", lid) is None and src.get("lead", "0000000000") is None
    # a contact import sees no leads
    only = IndexRecords(repo, ("contact",))
    assert list(only.keys("lead")) == [] and only.get("lead", lid) is None


def test_fetch_reads_in_chunks(records, ok):
    ok("lead", "import", str(EXAMPLES / "zoho-leads.csv"))
    repo = Repo.find(records)
    repo.index.refresh()
    ids = [c["id"] for c in repo.iter_records("contact")]
    got = dict(fetch(repo.index.db, "contact", ids + ["nope", None], chunk=2))
    assert sorted(got) == sorted(ids)
    assert {k: json.loads(v) for k, v in got.items()} == {c["id"]: c for c in repo.iter_records("contact")}
