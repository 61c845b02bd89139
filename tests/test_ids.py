"""Record IDs: random, valid, unique, matched by any unambiguous prefix; path characters refused."""
from __future__ import annotations

import subprocess

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solarcli import ids


def git(root, *args):
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


def write_contact(root, rid, name):
    (root / "contacts" / rid[0]).mkdir(parents=True, exist_ok=True)
    (root / "contacts" / rid[0] / f"{rid}.yaml").write_text(
        f"id: {rid}\ntype: person\nname: {name}\ncreated: '2026-01-01T00:00:00Z'\nupdated: '2026-01-01T00:00:00Z'\n")


def write_lead(root, rid, title):
    (root / "leads" / rid[0]).mkdir(parents=True, exist_ok=True)
    (root / "leads" / rid[0] / f"{rid}.yaml").write_text(
        f"id: {rid}\ntitle: {title}\nstage: new\nsource: manual\n"
        "created: '2026-01-01T00:00:00Z'\nupdated: '2026-01-01T00:00:00Z'\n")


# ----------------------------------------------------------------------------- generation
@settings(max_examples=200)
@given(st.integers(min_value=0, max_value=50))
def test_generated_ids_are_valid_10_char_crockford(_):
    rid = ids.new_id()
    assert len(rid) == 10
    assert set(rid) <= set("0123456789abcdefghjkmnpqrstvwxyz")
    assert not set(rid) & set("ilou")
    assert ids.is_id(rid)
    assert ids.is_prefix(rid[:4])


@settings(max_examples=8, deadline=None)
@given(st.integers(min_value=1000, max_value=5000))
def test_generated_ids_do_not_collide(n):
    batch = [ids.new_id() for _ in range(n)]
    assert len(set(batch)) == n


@given(st.text(min_size=1, max_size=12))
def test_prefix_check_rejects_every_character_outside_the_alphabet(text):
    allowed = set("0123456789abcdefghjkmnpqrstvwxyz")
    expected = len(text) <= 10 and set(text) <= allowed
    assert ids.is_prefix(text) is expected


def test_ids_printed_by_add_are_full_valid_ids_and_distinct(records, ok):
    made = [ok("contact", "add", f"Person {i}").strip() for i in range(5)]
    assert all(ids.is_id(i) for i in made)
    assert len(set(made)) == 5
    for rid in made:
        assert (records / "contacts" / rid[0] / f"{rid}.yaml").is_file()


# ----------------------------------------------------------------------------- prefixes
def test_any_unambiguous_prefix_resolves(records, ok):
    rid = ok("contact", "add", "Ada Lovelace").strip()
    for n in (1, 4, 7, 10):
        data = ok("contact", "show", rid[:n], "--format", "json")
        assert f'"id": "{rid}"' in data
    # upper case is accepted (people copy IDs from e-mails)
    assert f'"id": "{rid}"' in ok("show", rid[:6].upper(), "--format", "json")


def test_table_output_shows_ids_short(records, ok):
    rid = ok("contact", "add", "Ada Lovelace").strip()
    out = ok("contact", "list")
    assert rid[: ids.SHORT] in out
    assert rid not in out


def test_ambiguous_prefix_lists_the_matches_exit_5(records, ok, fail):
    write_contact(records, "abcde00001", "Alpha")
    write_contact(records, "abcde00002", "Beta")
    git(records, "add", "contacts")
    git(records, "commit", "-qm", "two contacts")
    r = fail(5, "contact", "show", "abcde")
    assert "abcde00001" in r.stderr and "abcde00002" in r.stderr
    assert "ambiguous" in r.stderr
    assert r.stdout == ""
    # writing commands refuse just the same, and change nothing
    head = git(records, "rev-parse", "HEAD")
    r = fail(5, "note", "add", "abcde", "hello")
    assert "abcde00001" in r.stderr
    assert git(records, "rev-parse", "HEAD") == head
    # one more character disambiguates
    assert "Beta" in ok("contact", "show", "abcde00002"[:10])
    assert "Alpha" in ok("show", "abcde00001")


def test_prefix_is_resolved_within_the_kind_asked_for(records, ok, fail):
    write_contact(records, "qrstv00001", "Contact Q")
    write_lead(records, "qrstv00002", "Lead Q")
    git(records, "add", "contacts", "leads")
    git(records, "commit", "-qm", "same prefix")
    assert "Contact Q" in ok("contact", "show", "qrstv")
    assert "Lead Q" in ok("lead", "show", "qrstv")
    r = fail(5, "show", "qrstv")  # any kind: two matches
    assert "contact qrstv00001" in r.stderr and "lead qrstv00002" in r.stderr


def test_unknown_id_is_not_found_exit_3(records, ok, fail):
    ok("contact", "add", "Ada")
    r = fail(3, "lead", "show", "zzzzzzz")
    assert "zzzzzzz" in r.stderr
    fail(3, "contact", "show", "zzzzzzzzzz")


def test_contact_id_is_not_found_as_a_lead(records, ok, fail):
    rid = ok("contact", "add", "Ada").strip()
    fail(3, "lead", "show", rid)
    fail(3, "project", "show", rid[:5])


# ----------------------------------------------------------------------------- path characters
BAD_IDS = ["../../etc/passwd", "../contacts/x", "a/b", "abc\\def", "/etc", "..", ".", "abcd.yaml",
           "abc def", "abcde0000i", "abcd%2f"]


def test_ids_with_path_characters_are_rejected_exit_4(records, ok, fail):
    rid = ok("contact", "add", "Ada").strip()
    lead = ok("lead", "add", "--title", "Roof", "--contact", rid).strip()
    head = git(records, "rev-parse", "HEAD")
    for bad in BAD_IDS:
        for args in (("show", bad), ("contact", "show", bad), ("lead", "set", bad, "title=x"),
                     ("note", "add", bad, "text"), ("lead", "rm", bad), ("lead", "stage", bad, "contacted")):
            r = fail(4, *args)
            assert "ID" in r.stderr and "expected" in r.stderr, r.stderr
            assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    # as a link value too
    r = fail(4, "lead", "add", "--title", "x", "--contact", "../" + rid)
    r = fail(4, "lead", "set", lead, "contact=../" + rid)
    assert git(records, "rev-parse", "HEAD") == head
    assert git(records, "status", "--porcelain") == ""


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(st.text(alphabet="./\\~:*?", min_size=1, max_size=3).flatmap(
    lambda bad: st.tuples(st.text(alphabet="0123456789abc", max_size=4), st.just(bad),
                          st.text(alphabet="0123456789abc", max_size=4))))
def test_any_id_containing_path_characters_is_rejected(records, cli, parts):
    ref = "".join(parts)
    r = cli("show", ref)
    assert r.exit_code == 4, (ref, r.stderr)
