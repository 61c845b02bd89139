"""Pure tests of the field-by-field three-way record merge."""
from __future__ import annotations

import copy

from hypothesis import given, settings, strategies as st

from solarcli.sync.merge import DELETED_FIELD, merge_records, plain
from solarcli.storage.yamlio import dump_roundtrip as dumps_roundtrip, loads_roundtrip

BASE_YAML = """\
# a hand-written comment that must survive
id: 7k2m4p9q1a
kind: person
name: Ada Lovelace   # trailing comment
stage: new
created: '2026-01-01T10:00:00+00:00'
updated: '2026-01-01T10:00:00+00:00'
tags: [solar, vip]
site:
  city: Berlin
  postcode: '10115'
notes:
  - id: n0000000001
    at: '2026-01-01T10:00:00+00:00'
    by: anna
    text: first call
activities:
  - id: a0000000001
    type: call
    summary: call back
    done: false
"""


def rt(text=BASE_YAML):
    return loads_roundtrip(text)


def bump(rec, ts):
    rec["updated"] = ts


def test_different_fields_both_survive():
    b, o, t = rt(), rt(), rt()
    o["stage"] = "contacted"
    bump(o, "2026-01-02T10:00:00+00:00")
    t["site"]["city"] = "Hamburg"
    bump(t, "2026-01-03T10:00:00+00:00")
    res = merge_records(b, o, t)
    m = res.merged
    assert m["stage"] == "contacted"
    assert m["site"]["city"] == "Hamburg"
    assert m["site"]["postcode"] == "10115"
    assert m["updated"] == "2026-01-03T10:00:00+00:00"
    assert res.conflicts == []
    assert "conflicts" not in m


def test_comments_survive():
    b, o, t = rt(), rt(), rt()
    t["stage"] = "qualified"
    out = dumps_roundtrip(merge_records(b, o, t).merged)
    assert "# a hand-written comment that must survive" in out
    assert "# trailing comment" in out
    assert "stage: qualified" in out
    assert "tags: [solar, vip]" in out


def test_same_field_later_wins_and_loser_recorded():
    b, o, t = rt(), rt(), rt()
    o["stage"] = "contacted"
    bump(o, "2026-01-05T10:00:00+00:00")
    t["stage"] = "lost"
    bump(t, "2026-01-04T10:00:00+00:00")
    res = merge_records(b, o, t)
    assert res.merged["stage"] == "contacted"
    assert res.conflicts == [
        {"field": "stage", "value": "lost", "lost_to": "contacted", "at": "2026-01-04T10:00:00+00:00"}
    ]
    assert plain(res.merged["conflicts"]) == res.conflicts


def test_same_field_is_symmetric():
    for o_ts, t_ts in [("2026-01-05T10:00:00Z", "2026-01-04T10:00:00+00:00"),
                       ("2026-01-04T10:00:00+00:00", "2026-01-04T10:00:00+00:00")]:
        b = rt()
        o, t = rt(), rt()
        o["name"], t["name"] = "Ada King", "Ada Byron"
        bump(o, o_ts)
        bump(t, t_ts)
        m1 = plain(merge_records(copy.deepcopy(b), copy.deepcopy(o), copy.deepcopy(t)).merged)
        m2 = plain(merge_records(copy.deepcopy(b), copy.deepcopy(t), copy.deepcopy(o)).merged)
        assert m1["name"] == m2["name"]
        assert m1["conflicts"] == m2["conflicts"]


def test_notes_added_on_both_sides_all_kept():
    b, o, t = rt(), rt(), rt()
    o["notes"].append({"id": "n0000000002", "text": "ours"})
    t["notes"].append({"id": "n0000000003", "text": "theirs"})
    t["tags"].append("battery")
    o["tags"].remove("vip")
    m = merge_records(b, o, t).merged
    assert [n["id"] for n in m["notes"]] == ["n0000000001", "n0000000002", "n0000000003"]
    assert list(m["tags"]) == ["solar", "battery"]


def test_item_edit_on_one_side_taken():
    b, o, t = rt(), rt(), rt()
    t["activities"][0]["done"] = True
    o["activities"].append({"id": "a0000000002", "type": "task", "summary": "x", "done": False})
    m = merge_records(b, o, t).merged
    assert m["activities"][0]["done"] is True
    assert len(m["activities"]) == 2


def test_item_edited_both_sides_merged_field_by_field():
    b, o, t = rt(), rt(), rt()
    t["activities"][0]["done"] = True
    o["activities"][0]["summary"] = "call back tomorrow"
    m = merge_records(b, o, t).merged
    assert m["activities"][0]["done"] is True
    assert m["activities"][0]["summary"] == "call back tomorrow"


def test_item_deleted_vs_edited_keeps_edit():
    b, o, t = rt(), rt(), rt()
    del o["notes"][0]
    t["notes"][0]["text"] = "first call, corrected"
    res = merge_records(b, o, t)
    assert [n["text"] for n in res.merged["notes"]] == ["first call, corrected"]
    assert res.conflicts[0]["field"] == "notes[n0000000001]"


def test_item_deleted_one_side_untouched_other_is_removed():
    b, o, t = rt(), rt(), rt()
    del o["notes"][0]
    t["stage"] = "contacted"
    m = merge_records(b, o, t).merged
    assert list(m["notes"]) == []
    assert m["stage"] == "contacted"


def test_record_deleted_vs_edited_kept_and_reported():
    b, t = rt(), rt()
    t["stage"] = "qualified"
    res = merge_records(b, None, t)
    assert res.deleted_vs_edited
    assert res.merged["stage"] == "qualified"
    assert res.merged["conflicts"][0]["field"] == DELETED_FIELD


def test_record_deleted_untouched_other_side_is_deleted():
    assert merge_records(rt(), None, rt()).deleted
    assert merge_records(rt(), rt(), None).deleted


def test_field_deleted_vs_edited_keeps_edit():
    b, o, t = rt(), rt(), rt()
    del o["site"]
    t["site"]["city"] = "Köln"
    m = merge_records(b, o, t).merged
    assert m["site"]["city"] == "Köln"


def test_new_key_from_theirs_and_add_add_without_base():
    o, t = rt(), rt()
    t["source"] = "referral"
    o["custom"] = {"roof": "tiles"}
    m = merge_records(None, o, t).merged
    assert m["source"] == "referral" and m["custom"] == {"roof": "tiles"}


def test_conflicts_resolved_on_one_side_stay_resolved():
    b = rt()
    b["conflicts"] = [{"field": "stage", "value": "lost", "lost_to": "new", "at": None}]
    o, t = copy.deepcopy(b), copy.deepcopy(b)
    del o["conflicts"][0]
    t["name"] = "Ada B."
    m = merge_records(b, o, t).merged
    assert list(m["conflicts"]) == []


def test_merged_yaml_has_no_anchors():
    b, o, t = rt(), rt(), rt()
    o["site"] = {"city": "A", "geo": {"lat": 1}}
    t["site"] = {"city": "B", "geo": {"lat": 2}}
    bump(t, "2027-01-01T00:00:00+00:00")
    out = dumps_roundtrip(merge_records(b, o, t).merged)
    assert "&id" not in out and "*id" not in out
    assert loads_roundtrip(out)["site"]["city"] == "B"


# ---------------------------------------------------------------- property test
FIELDS = ["stage", "name", "source", "assignee"]
VALUES = st.sampled_from(["a", "b", "c", "new", "qualified", "", "ü"])

TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs")) | st.just("\n"), max_size=8)

op = st.one_of(
    st.tuples(st.just("set"), st.sampled_from(FIELDS), VALUES),
    st.tuples(st.just("note"), TEXT),
    st.tuples(st.just("rm_note"), st.integers(0, 5)),
    st.tuples(st.just("tag"), st.sampled_from(["x", "y", "z", "solar"])),
    st.tuples(st.just("untag"), st.sampled_from(["x", "y", "z", "solar"])),
    st.tuples(st.just("done"), st.integers(0, 3)),
    st.tuples(st.just("activity"), TEXT),
    st.tuples(st.just("city"), VALUES),
    st.tuples(st.just("drop_site"),),
)


def apply_ops(rec, ops, side, clock):
    added = []
    for i, o in enumerate(ops):
        kind = o[0]
        if kind == "set":
            rec[o[1]] = o[2]
        elif kind == "note":
            nid = f"{side}{i:09d}"
            rec.setdefault("notes", []).append({"id": nid, "text": o[1]})
            added.append(nid)
        elif kind == "rm_note":
            notes = rec.get("notes") or []
            base_notes = [j for j, n in enumerate(notes) if n["id"] not in added]
            if base_notes:
                del notes[base_notes[o[1] % len(base_notes)]]
        elif kind == "tag":
            tags = rec.setdefault("tags", [])
            if o[1] not in tags:
                tags.append(o[1])
        elif kind == "untag":
            tags = rec.get("tags") or []
            if o[1] in tags:
                tags.remove(o[1])
        elif kind == "done":
            acts = rec.get("activities") or []
            if acts:
                acts[o[1] % len(acts)]["done"] = True
        elif kind == "activity":
            rec.setdefault("activities", []).append(
                {"id": f"{side}a{i:08d}", "type": "task", "summary": o[1], "done": False})
        elif kind == "city":
            rec.setdefault("site", {})["city"] = o[1]
        elif kind == "drop_site":
            rec.pop("site", None)
        rec["updated"] = f"2026-02-{clock:02d}T10:00:00+00:00"
    return added


@settings(max_examples=200, deadline=None)
@given(ours_ops=st.lists(op, max_size=8), theirs_ops=st.lists(op, max_size=8),
       o_clock=st.integers(1, 5), t_clock=st.integers(1, 5))
def test_property_concurrent_edits_merge_without_loss(ours_ops, theirs_ops, o_clock, t_clock):
    base = rt()
    ours, theirs = rt(), rt()
    o_added = apply_ops(ours, ours_ops, "o", o_clock)
    t_added = apply_ops(theirs, theirs_ops, "t", t_clock)
    o_plain, t_plain = plain(ours), plain(theirs)
    res = merge_records(base, ours, theirs)
    text = dumps_roundtrip(res.merged)
    assert "<<<<<<<" not in text and ">>>>>>>" not in text
    again = loads_roundtrip(text)
    note_ids = [n["id"] for n in again.get("notes") or []]
    # nothing added on either side is lost, nothing duplicated
    for nid in o_added + t_added:
        assert nid in note_ids
    assert len(note_ids) == len(set(note_ids))
    # an activity marked done on one side stays done
    done = {a["id"] for side in (o_plain, t_plain) for a in side.get("activities") or [] if a["done"]}
    for a in again.get("activities") or []:
        if a["id"] in done:
            assert a["done"] is True
    # scalar fields hold one side's value; same field changed on both sides is recorded
    for f in FIELDS:
        assert again.get(f) in (o_plain.get(f), t_plain.get(f))
        b = plain(base).get(f)
        if o_plain.get(f) != t_plain.get(f) and b not in (o_plain.get(f), t_plain.get(f)):
            assert any(c["field"] == f for c in again["conflicts"])
    # symmetric: both clones compute the same values
    sym = plain(merge_records(rt(), loads_roundtrip(dumps_roundtrip(t_plain)),
                              loads_roundtrip(dumps_roundtrip(o_plain))).merged)
    mine = plain(again)
    for f in FIELDS + ["site", "updated"]:
        assert sym.get(f) == mine.get(f)
    assert sorted(n["id"] for n in sym.get("notes") or []) == sorted(note_ids)
    assert sorted(sym.get("tags") or []) == sorted(mine.get("tags") or [])


def test_designs_by_name_and_bom_lines_as_sets():
    base = loads_roundtrip("id: p1\nupdated: '2026-01-01T00:00:00Z'\ndesigns:\n  - name: A\n    kwp: 5\n"
                           "bom:\n  items:\n    - name: module\n      qty: 10\n")
    o, t = copy.deepcopy(base), copy.deepcopy(base)
    o["designs"].append({"name": "B", "kwp": 7})
    t["designs"][0]["kwp"] = 6
    t["designs"].append({"name": "C", "kwp": 9})
    o["bom"]["items"].append({"name": "inverter", "qty": 1})
    t["bom"]["items"].append({"name": "battery", "qty": 1})
    res = merge_records(base, o, t)
    m = plain(res.merged)
    assert [(d["name"], d["kwp"]) for d in m["designs"]] == [("A", 6), ("B", 7), ("C", 9)]
    assert [i["name"] for i in m["bom"]["items"]] == ["module", "inverter", "battery"]
    assert res.conflicts == []


def test_other_lists_conflict_as_a_whole():
    base = loads_roundtrip("id: l1\nupdated: '2026-01-01T00:00:00Z'\nconsumption:\n  monthly_kwh: [1, 2, 3]\n")
    o, t = copy.deepcopy(base), copy.deepcopy(base)
    o["consumption"]["monthly_kwh"] = [1, 2, 4]
    t["consumption"]["monthly_kwh"] = [5, 2, 3]
    t["updated"] = "2026-01-02T00:00:00Z"
    res = merge_records(base, o, t)
    assert list(res.merged["consumption"]["monthly_kwh"]) == [5, 2, 3]
    assert res.conflicts[0]["field"] == "consumption.monthly_kwh"
    assert res.conflicts[0]["value"] == [1, 2, 4]
