"""The planner: rows -> create/update/unchanged/rejected, without a repository."""
from __future__ import annotations

import copy

import pytest

from solarcli.importing.mapping import build_mapping
from solarcli.importing.planner import Planner, Settings, default_title


def settings():
    def check(v):
        if v.lower() in ("anna", "user:anna", "anna schmidt"):
            return "user:anna"
        raise ValueError(f"no user {v!r}")

    return Settings(region="DE", check_assignee=check, by="test", now="2026-12-03T10:00:00Z")


def plan(headers, rows, kind="lead", contacts=(), leads=(), **kw):
    m = build_mapping(headers, kind, **({"preset": kw.pop("preset")} if "preset" in kw else {}))
    p = Planner(m, settings(), contacts=contacts, leads=leads, batch="imp-test", **kw)
    return p.run([(n, dict(zip(headers, r))) for n, r in enumerate(rows, 2)])


def existing(p):
    """The records a plan would create, as the index would return them."""
    out = {"contact": [], "lead": []}
    for c in p.changes:
        assert c.op == "create"
        out[c.kind].append(dict(copy.deepcopy(c.data), id=c.id, import_batches=["imp-old"]))
    return out


H = ["Name", "Email", "Phone", "City", "Message", "Interests"]
ENQUIRIES = [
    ["Ayşe Yılmaz", "ayse@example.com", "0171 5551234", "Berlin", "PV?", "battery"],
    ["Ayşe Yılmaz", "AYSE@example.com", "", "Berlin", "Wallbox?", "wallbox"],
    ["A. Yılmaz", "", "+49 171 5551234", "Berlin", "Wärmepumpe?", "heat pump"],
]


def test_one_person_three_enquiries_is_one_contact_three_leads():
    p = plan(H, ENQUIRIES)
    c = p.counts()["records"]
    assert c["contact"]["created"] == 1 and c["lead"]["created"] == 3
    cid = [ch.id for ch in p.changes if ch.kind == "contact"][0]
    assert all(ch.data["contact"] == cid for ch in p.changes if ch.kind == "lead")
    contact = [ch.data for ch in p.changes if ch.kind == "contact"][0]
    assert contact["emails"] == ["ayse@example.com"] and contact["phones"] == ["+491715551234"]
    assert contact["name"] == "Ayşe Yılmaz"  # a later row fills only empty contact fields
    titles = sorted(ch.data["title"] for ch in p.changes if ch.kind == "lead")
    assert titles == ["PV + EV charger, Berlin", "PV + battery, Berlin", "PV + heat pump, Berlin"]
    assert all(ch.data["import_batches"] == ["imp-test"] for ch in p.changes)


def test_same_rows_again_change_nothing():
    first = plan(H, ENQUIRIES)
    ex = existing(first)
    again = plan(H, ENQUIRIES, contacts=ex["contact"], leads=ex["lead"])
    assert again.changes == []
    assert again.counts()["rows"] == {"created": 0, "updated": 0, "unchanged": 3, "rejected": 0}


def test_rows_seen_before_keep_local_edits():
    first = plan(H, ENQUIRIES)
    ex = existing(first)
    ex["lead"][0]["stage"] = "contacted"  # edited in solar after the import
    again = plan(H, ENQUIRIES, contacts=ex["contact"], leads=ex["lead"])
    assert again.changes == []


def test_upsert_by_external_id_updates_changed_fields_and_stage_history():
    h = ["Lead ID", "Name", "Email", "Stage", "Annual kWh"]
    first = plan(h, [["L1", "Ada", "ada@example.com", "new", "4.500"]])
    ex = existing(first)
    assert [c.data["consumption"] for c in first.changes if c.kind == "lead"] == [{"annual_kwh": 4500}]
    p = plan(h, [["L1", "Ada", "ada@example.com", "Contacted", "5000"]], contacts=ex["contact"], leads=ex["lead"])
    [ch] = p.changes
    assert ch.kind == "lead" and ch.op == "update"
    assert ch.fields() == ["consumption.annual_kwh", "import_batches", "stage", "stage_history"]
    hist = [v for op, path, v in ch.ops if path == "stage_history"][0]
    assert hist == {"at": "2026-12-03T10:00:00Z", "by": "test", "from": "new", "to": "contacted"}


def test_mode_create_leaves_existing_records_alone():
    h = ["Lead ID", "Name", "Email", "Stage"]
    ex = existing(plan(h, [["L1", "Ada", "ada@example.com", "new"]]))
    p = plan(h, [["L1", "Ada B.", "ada@example.com", "qualified"], ["L2", "Bob", "bob@example.com", "new"]],
             contacts=ex["contact"], leads=ex["lead"], mode="create")
    assert [(c.kind, c.op) for c in p.changes] == [("contact", "create"), ("lead", "create")]


def test_mode_update_rejects_rows_without_a_match():
    h = ["Lead ID", "Name", "Email", "Stage"]
    ex = existing(plan(h, [["L1", "Ada", "ada@example.com", "new"]]))
    p = plan(h, [["L1", "Ada", "ada@example.com", "qualified"], ["L2", "Bob", "bob@example.com", "new"]],
             contacts=ex["contact"], leads=ex["lead"], mode="update")
    assert [r.status for r in p.rows] == ["updated", "rejected"]
    assert "no existing lead" in p.rows[1].errors[0].reason


def test_key_option_restricts_matching():
    h = ["Name", "Email", "Phone"]
    ex = existing(plan(h, [["Ada", "ada@example.com", "030 1234567"]], kind="contact"))
    same_phone = [["Ada Other", "other@example.com", "030 1234567"]]
    assert plan(h, same_phone, kind="contact", contacts=ex["contact"]).changes[0].op == "update"
    p = plan(h, same_phone, kind="contact", contacts=ex["contact"], keys=["email"])
    assert [c.op for c in p.changes] == ["create"]


def test_contact_import_upsert_overwrites_scalars_and_adds_list_items():
    h = ["Name", "Email", "City", "Tags"]
    ex = existing(plan(h, [["Ada", "ada@example.com", "Köln", "a"]], kind="contact"))
    p = plan(h, [["Ada Lovelace", "ada@example.com", "Bonn", "b"]], kind="contact", contacts=ex["contact"])
    [ch] = p.changes
    assert sorted(ch.fields()) == ["address.city", "import_batches", "name", "tags"]
    assert ("append", "tags", "b") in ch.ops
    assert ("append", "import_batches", "imp-test") in ch.ops


@pytest.mark.parametrize("row,column,reason", [
    (["Ada", "ada(at)example.com", "new", "4000", "battery"], "Email", "not a valid e-mail"),
    (["Ada", "ada@example.com", "angebot", "4000", ""], "Stage", "unknown stage"),
    (["Ada", "ada@example.com", "converted", "4000", ""], "Stage", "solar lead convert"),
    (["Ada", "ada@example.com", "new", "viel", ""], "kWh", "expected a number"),
    (["Ada", "ada@example.com", "new", "-5", ""], "kWh", ">= 0"),
    (["Ada", "ada@example.com", "new", "4000", "solar thermal"], "Interests", "unknown interest"),
    (["", "ada@example.com", "new", "4000", ""], "Name", "missing required field"),
    (["", "", "", "", "battery"], "Name", "missing required field"),
])
def test_rejected_rows_name_column_value_and_reason(row, column, reason):
    p = plan(["Name", "Email", "Stage", "kWh", "Interests"], [row])
    [r] = p.rows
    assert r.status == "rejected"
    assert r.errors[0].column == column and reason in r.errors[0].reason
    assert p.changes == []


def test_owner_is_assignee_when_known_else_kept():
    p = plan(["Name", "Lead Owner"], [["Ada", "Anna Schmidt"], ["Bob", "Tom Becker"]])
    leads = [c.data for c in p.changes if c.kind == "lead"]
    assert leads[0]["assignee"] == "user:anna" and "assignee" not in leads[1]
    assert leads[1]["custom"] == {"crm_owner": "Tom Becker"}
    bad = plan(["Name", "Assignee"], [["Ada", "tom"]])
    assert bad.rows[0].status == "rejected" and bad.rows[0].errors[0].column == "Assignee"


def test_lost_without_reason_gets_one_and_preset_values_translate():
    p = plan(["Vorname", "Nachname", "Lead-Status"], [["Hülya", "Aksoy", "Geschlossen - Nicht konvertiert"]],
             preset="salesforce")
    [lead] = [c.data for c in p.changes if c.kind == "lead"]
    assert lead["stage"] == "lost"
    assert lead["stage_history"][0]["reason"] == "imported as lost"


def test_formula_quote_from_an_export_is_removed():
    p = plan(["name", "phone"], [["Ada", "'+49 30 1234567"]], kind="contact")
    assert p.changes[0].data["phones"] == ["+49301234567"]


def test_default_title():
    assert default_title({}) == "PV"
    assert default_title({"interests": ["battery"], "site": {"address": {"city": "Köln"}}}) == "PV + battery, Köln"


# ---------------------------------------------------------------- existing records on demand

class CountingRecords:
    """Existing records that hand out match keys up front and a fresh copy of a record
    only when asked (as the index does); counts what was asked for."""

    def __init__(self, contacts=(), leads=()):
        from solarcli.importing.planner import RecordDicts

        self.inner = RecordDicts(copy.deepcopy(list(contacts)), copy.deepcopy(list(leads)))
        self.asked: list[str] = []

    def keys(self, kind):
        return self.inner.keys(kind)

    def get(self, kind, rid):
        self.asked.append(rid)
        d = self.inner.get(kind, rid)
        return copy.deepcopy(d) if d is not None else None


def plan_with(existing_records, headers, rows, kind="lead", **kw):
    m = build_mapping(headers, kind)
    p = Planner(m, settings(), existing=existing_records, batch="imp-test", **kw)
    return p, p.run([(n, dict(zip(headers, r))) for n, r in enumerate(rows, 2)])


def test_existing_records_are_read_only_when_a_row_touches_them():
    first = plan(H, ENQUIRIES + [["Bea Berg", "bea@example.com", "", "Köln", "PV?", ""]])
    ex = existing(first)
    src = CountingRecords(ex["contact"], ex["lead"])
    planner, again = plan_with(src, H, ENQUIRIES)  # Bea's row is not in this file
    assert again.changes == [] and again.counts()["records"]["contact"]["unchanged"] == 1
    assert again.counts()["records"]["lead"]["unchanged"] == 3
    bea = [c["id"] for c in ex["contact"] if c["name"] == "Bea Berg"]
    assert bea and bea[0] not in src.asked
    # records a row did not change are not held once the file is done
    assert planner.state == {} and planner.orig == {}


def test_a_change_by_an_early_row_survives_later_rows_touching_the_same_contact():
    first = plan(H, ENQUIRIES)
    ex = existing(first)
    src = CountingRecords(ex["contact"], ex["lead"])
    rows = [
        ["Ayşe Yılmaz", "ayse@example.com", "0171 5551234", "Berlin", "PV?", "battery"],  # as before
        ["Ayşe Yılmaz", "ayse@example.com", "0172 9998887", "Berlin", "Dach?", ""],  # new phone, new lead
        ["Ayşe Yılmaz", "AYSE@example.com", "", "Berlin", "Wallbox?", "wallbox"],  # as before
        ["Ayşe Yılmaz", "", "+49 171 5551234", "Berlin", "Speicher?", "battery"],  # new lead
    ]
    planner, p = plan_with(src, H, rows)
    [contact] = [c for c in p.changes if c.kind == "contact"]
    assert contact.op == "update" and ("append", "phones", "+491729998887") in contact.ops
    assert ("append", "import_batches", "imp-test") in contact.ops and contact.rows == [2, 3, 4, 5]
    leads = [c for c in p.changes if c.kind == "lead"]
    assert [c.op for c in leads] == ["create", "create"]
    assert all(c.data["contact"] == contact.id for c in leads)
    assert p.counts()["rows"] == {"created": 2, "updated": 0, "unchanged": 2, "rejected": 0}
    # the records handed out were never edited in place
    assert src.inner.data["contact"][contact.id]["phones"] == ["+491715551234"]


def test_a_contact_changed_by_a_later_row_only():
    first = plan(H, ENQUIRIES)
    ex = existing(first)
    src = CountingRecords(ex["contact"], ex["lead"])
    rows = [ENQUIRIES[0], ENQUIRIES[1], ["Ayşe Yılmaz", "ayse@yilmaz.de; ayse@example.com", "", "Berlin", "Wallbox?", "wallbox"]]
    _, p = plan_with(src, H, rows)
    [contact] = [c for c in p.changes if c.kind == "contact"]
    assert contact.ops[0] == ("append", "emails", "ayse@yilmaz.de")
    assert contact.rows == [2, 3, 4]


def test_every_row_updating_its_lead_keeps_every_update():
    h = ["Lead ID", "Name", "Email", "Stage", "Annual kWh"]
    rows = [[f"L{i}", f"Kunde {i // 2}", f"k{i // 2}@example.com", "new", "4000"] for i in range(20)]
    ex = existing(plan(h, rows))
    changed = [[r[0], r[1], r[2], "qualified", "5000"] for r in rows]
    _, p = plan_with(CountingRecords(ex["contact"], ex["lead"]), h, changed)
    leads = [c for c in p.changes if c.kind == "lead"]
    assert len(leads) == 20 and all(c.op == "update" for c in leads)
    assert all(("set", "stage", "qualified") in c.ops and ("set", "consumption.annual_kwh", 5000) in c.ops
               for c in leads)
    assert p.counts()["records"]["contact"] == {"created": 0, "updated": 0, "unchanged": 10}


def test_a_new_contact_touched_by_several_rows_gets_the_batch_last():
    p = plan(H, ENQUIRIES)
    [contact] = [c.data for c in p.changes if c.kind == "contact"]
    assert list(contact)[-1] == "import_batches" and contact["import_batches"] == ["imp-test"]
    assert contact["phones"] == ["+491715551234"]
    leads = [c.data for c in p.changes if c.kind == "lead"]
    assert all(ld["import_batches"] == ["imp-test"] for ld in leads)


def test_new_ids_look_like_solar_ids():
    from solarcli import ids
    from solarcli.importing.planner import _item_id

    made = {ids.new_id() for _ in range(2000)}
    assert len(made) == 2000 and all(ids.is_id(i) for i in made)
    assert {c for i in made for c in i} == set(ids.ALPHABET)  # every character occurs
    assert len(_item_id()) == 8 and ids.is_prefix(_item_id())
