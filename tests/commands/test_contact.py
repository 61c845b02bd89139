"""``solar contact add|list|show|set|edit|rm`` (and the shared set/edit/rm machinery)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from solarcli import ids


def git(root, *args):
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


def head(root):
    return git(root, "rev-parse", "HEAD").strip()


def load(root, rid, folder="contacts"):
    return yaml.safe_load((root / folder / rid[0] / f"{rid}.yaml").read_text())


# ------------------------------------------------------------------------ add
def test_add_prints_only_the_id_and_writes_one_file(records, cli):
    r = cli("contact", "add", "Ada Lovelace", "--email", "Ada@Example.COM", "--phone", "030 1234567",
            "--phone", "+44 20 7946 0958", "--street", "Hauptstr. 1", "--postcode", "10115", "--city", "Berlin",
            "--tag", "vip", "--tag", "fair", "--custom", "roof=south", "--company", "Analytical Engines")
    assert r.exit_code == 0, r.stderr
    rid = r.stdout.strip()
    assert r.stdout == rid + "\n" and ids.is_id(rid)
    data = load(records, rid)
    assert data["id"] == rid and data["type"] == "person" and data["name"] == "Ada Lovelace"
    assert data["company"] == "Analytical Engines"
    assert data["emails"] == ["Ada@example.com"]  # domain is case-insensitive, local part is kept
    assert data["phones"] == ["+49301234567", "+442079460958"]  # E.164 with the repository region (DE)
    assert data["address"] == {"street": "Hauptstr. 1", "postcode": "10115", "city": "Berlin", "country": "DE"}
    assert data["tags"] == ["vip", "fair"] and data["custom"] == {"roof": "south"}
    assert data["created"] == data["updated"]


def test_add_company(records, ok):
    rid = ok("contact", "add", "--type", "company", "--company", "Solar AG").strip()
    data = load(records, rid)
    assert data["type"] == "company" and data["name"] == "Solar AG"


def test_add_needs_a_name(records, fail):
    r = fail(2, "contact", "add", "--email", "a@b.de")
    assert "NAME" in r.stderr
    assert list((records / "contacts").rglob("*.yaml")) == []


@pytest.mark.parametrize("opt,value,field", [("--email", "not-an-email", "emails"),
                                             ("--email", "a@b", "emails"),
                                             ("--phone", "12", "phones"),
                                             ("--phone", "call me maybe", "phones")])
def test_add_rejects_invalid_email_and_phone(records, fail, opt, value, field):
    before = head(records)
    r = fail(4, "contact", "add", "Ada", opt, value)
    assert value in r.stderr and field in r.stderr and "expected" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert head(records) == before and list((records / "contacts").rglob("*.yaml")) == []


# ------------------------------------------------------------------------ list
@pytest.fixture
def people(records, ok):
    a = ok("contact", "add", "Ada Lovelace", "--email", "ada@example.com", "--city", "Berlin", "--tag", "vip").strip()
    b = ok("contact", "add", "Bob Builder", "--city", "Hamburg", "--tag", "vip", "--tag", "fair").strip()
    c = ok("contact", "add", "--type", "company", "--company", "Carbon AG", "--city", "Berlin").strip()
    return a, b, c


def ids_of(ok, *args):
    return [r["id"] for r in json.loads(ok("contact", "list", *args, "--format", "json"))]


def test_list_shows_every_contact(people, ok):
    assert sorted(ids_of(ok)) == sorted(people)
    table = ok("contact", "list")
    assert table.splitlines()[0].split() == ["id", "name", "type", "email", "phone", "city", "tags"]
    for rid in people:
        assert rid[:7] in table


def test_list_filters(people, ok, fail):
    a, b, c = people
    def found(*args):
        return sorted(ids_of(ok, *args))

    assert found("--tag", "vip") == sorted([a, b])
    assert found("--tag", "vip", "--tag", "fair") == [b]
    assert found("--search", "berlin") == sorted([a, c])
    assert found("--search", "ada berlin") == [a]
    assert found("--search", "EXAMPLE.COM") == [a]
    assert found("--type", "company") == [c]
    assert found("--type", "person") == sorted([a, b])
    assert found("--search", "nobody") == []
    fail(2, "contact", "list", "--type", "robot")


def test_list_sort_limit_columns(people, ok, fail):
    a, b, c = people
    assert ids_of(ok, "--sort", "name") == [a, b, c]
    assert ids_of(ok, "--sort", "-name") == [c, b, a]
    assert ids_of(ok, "--sort", "city")[2] == b
    assert [r["city"] for r in json.loads(ok("contact", "list", "--sort", "-city", "--format", "json"))] == \
        ["Hamburg", "Berlin", "Berlin"]
    assert ids_of(ok, "--sort", "name", "--limit", "2") == [a, b]
    assert len(ids_of(ok, "--limit", "2")) == 2
    assert ids_of(ok, "--sort", "-name", "--limit", "1") == [c]
    rows = json.loads(ok("contact", "list", "--columns", "name,city", "--sort", "name", "--format", "json"))
    assert rows == [{"name": "Ada Lovelace", "city": "Berlin"}, {"name": "Bob Builder", "city": "Hamburg"},
                    {"name": "Carbon AG", "city": "Berlin"}]
    table = ok("contact", "list", "--columns", "name,city")
    assert table.splitlines()[0].split() == ["name", "city"]
    r = fail(2, "contact", "list", "--columns", "name,shoe_size")
    assert "shoe_size" in r.stderr
    r = fail(4, "contact", "list", "--sort", "shoe_size")
    assert "shoe_size" in r.stderr
    fail(2, "contact", "list", "--limit", "0")


def test_list_since_until(people, records, ok, fail):
    a, b, c = people
    for rid, day in ((a, "2025-01-10"), (b, "2025-03-05"), (c, "2025-06-30")):
        p = records / "contacts" / rid[0] / f"{rid}.yaml"
        text = p.read_text()
        created = load(records, rid)["created"]
        p.write_text(text.replace(f"created: '{created}'", f"created: '{day}T09:00:00Z'"))
    git(records, "commit", "-qam", "backdate")
    assert ids_of(ok, "--since", "2025-03-05") == [b, c]
    assert ids_of(ok, "--until", "2025-03-05") == [a, b]
    assert ids_of(ok, "--since", "2025-02-01", "--until", "2025-04-01") == [b]
    r = fail(4, "contact", "list", "--since", "last tuesday")
    assert "--since" in r.stderr and "YYYY-MM-DD" in r.stderr


# ------------------------------------------------------------------------ show
def test_show_contact_with_links(records, ok):
    c = ok("contact", "add", "Ada", "--email", "ada@example.com").strip()
    lead = ok("lead", "add", "--title", "Roof", "--contact", c).strip()
    out = ok("contact", "show", c)
    assert out.splitlines()[0] == f"contact {c}  Ada"
    data = json.loads(ok("contact", "show", c, "--format", "json"))
    assert data["leads"] == [lead] and data["projects"] == []
    assert data["emails"] == ["ada@example.com"]
    assert yaml.safe_load(ok("contact", "show", c, "--format", "yaml"))["id"] == c


# ------------------------------------------------------------------------ set
def test_set_fields_in_one_commit(records, ok, gitlog):
    c = ok("contact", "add", "Ada").strip()
    n = len(gitlog(records))
    ok("contact", "set", c, "name=Ada King", "emails=ada@example.com, a.king@EXAMPLE.org", "phones=030 1234567",
       "address.city=London", "address.country=GB", "tags=vip,fair", "custom.roof=south", "type=person")
    data = load(records, c)
    assert data["name"] == "Ada King"
    assert data["emails"] == ["ada@example.com", "a.king@example.org"]
    assert data["phones"] == ["+49301234567"]
    assert data["address"] == {"city": "London", "country": "GB"}
    assert data["tags"] == ["vip", "fair"] and data["custom"] == {"roof": "south"}
    assert len(gitlog(records)) == n + 1
    assert gitlog(records)[0].startswith(f"contact {c[:7]}: set ")


def test_set_clears_with_an_empty_value(records, ok):
    c = ok("contact", "add", "Ada", "--email", "ada@example.com", "--tag", "vip", "--city", "Berlin",
           "--custom", "roof=south").strip()
    ok("contact", "set", c, "emails=", "tags=", "address.city=", "custom.roof=")
    data = load(records, c)
    assert "emails" not in data and "tags" not in data and "roof" not in (data.get("custom") or {})
    assert "city" not in (data.get("address") or {})


@pytest.mark.parametrize("assignment,words", [
    ("id=abcdefghjk", ["id", "never change"]),
    ("created=2020-01-01", ["created"]),
    ("updated=2020-01-01", ["updated"]),
    ("notes=hi", ["notes", "solar note add"]),
    ("documents=x", ["documents", "solar doc attach"]),
    ("kind=lead", ["kind"]),
])
def test_set_refuses_reserved_fields(records, ok, fail, assignment, words):
    c = ok("contact", "add", "Ada").strip()
    before = head(records)
    r = fail(4, "contact", "set", c, assignment)
    for w in words:
        assert w in r.stderr
    assert head(records) == before


def test_set_rejects_unknown_field_invalid_values_and_bad_syntax(records, ok, fail):
    c = ok("contact", "add", "Ada", "--email", "ada@example.com").strip()
    before, text = head(records), (records / "contacts" / c[0] / f"{c}.yaml").read_text()
    r = fail(4, "contact", "set", c, "shoe_size=42")
    assert "shoe_size" in r.stderr and "unknown field" in r.stderr and "custom.NAME" in r.stderr
    r = fail(4, "contact", "set", c, "emails=ada@@example")
    assert "ada@@example" in r.stderr and "emails" in r.stderr
    r = fail(4, "contact", "set", c, "phones=12")
    assert "phones" in r.stderr and "12" in r.stderr
    r = fail(4, "contact", "set", c, "type=robot")
    assert "robot" in r.stderr and "person, company" in r.stderr
    r = fail(2, "contact", "set", c, "name")
    assert "FIELD=VALUE" in r.stderr
    fail(2, "contact", "set", c)
    r = fail(4, "contact", "set", c, "name=")  # a contact needs a name
    assert "name" in r.stderr
    assert head(records) == before
    assert (records / "contacts" / c[0] / f"{c}.yaml").read_text() == text


def test_set_unknown_record(records, fail):
    fail(3, "contact", "set", "zzzzzzz", "name=x")


# ------------------------------------------------------------------------ edit ($EDITOR)
EDITOR_SCRIPT = r'''
import json, pathlib, sys
state, target = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
st = json.loads(state.read_text())
text = target.read_text()
st["seen"].append(text)
step = st["steps"][len(st["seen"]) - 1]
if "replace" in step:
    old, new = step["replace"]
    assert old in text, (old, text)
    text = text.replace(old, new)
if "append" in step:
    text += step["append"]
if "write" in step:
    text = step["write"]
target.write_text(text)
state.write_text(json.dumps(st))
'''


@pytest.fixture
def editor(tmp_path, monkeypatch):
    """``editor(step, ...)`` makes $EDITOR apply one step per invocation; returns the texts it saw."""
    script = tmp_path / "fake_editor.py"
    script.write_text(EDITOR_SCRIPT)
    state = tmp_path / "editor-state.json"

    def configure(*steps):
        state.write_text(json.dumps({"steps": list(steps), "seen": []}))
        monkeypatch.setenv("EDITOR", f"{sys.executable} {script} {state}")
        return lambda: json.loads(state.read_text())["seen"]

    return configure


def test_edit_saves_a_valid_result_keeping_the_comment(records, ok, editor, gitlog):
    c = ok("contact", "add", "Ada", "--email", "ada@example.com").strip()
    seen = editor({"replace": ["name: Ada", "name: Ada King  # married name"]})
    r = ok("contact", "edit", c)
    assert r == ""
    path = records / "contacts" / c[0] / f"{c}.yaml"
    assert "name: Ada King  # married name" in path.read_text()
    assert len(seen()) == 1 and f"id: {c}" in seen()[0]
    assert gitlog(records)[0] == f"contact {c[:7]}: edit"
    assert git(records, "status", "--porcelain") == ""
    assert "Ada King" in ok("contact", "list")


def test_edit_invalid_result_then_abort_leaves_the_file_untouched(records, ok, cli, editor):
    c = ok("contact", "add", "Ada", "--email", "ada@example.com").strip()
    path = records / "contacts" / c[0] / f"{c}.yaml"
    before, before_head = path.read_bytes(), head(records)
    seen = editor({"replace": ["ada@example.com", "ada-at-example"]})
    r = cli("contact", "edit", c, input="a\n")
    assert r.exit_code == 4, r.stderr
    assert "ada-at-example" in r.stderr and "emails" in r.stderr  # says why
    assert "Re-edit (r) or abort (a)" in r.stderr
    assert len(seen()) == 1
    assert path.read_bytes() == before and head(records) == before_head
    assert git(records, "status", "--porcelain") == ""


def test_edit_broken_yaml_offers_re_edit_and_keeps_the_users_text(records, ok, cli, editor):
    c = ok("contact", "add", "Ada").strip()
    seen = editor({"append": "tags: [unclosed\n"},
                  {"replace": ["tags: [unclosed\n", "tags: [fixed]\n"]})
    r = cli("contact", "edit", c, input="r\n")
    assert r.exit_code == 0, r.stderr
    assert "invalid YAML" in r.stderr
    texts = seen()
    assert len(texts) == 2
    assert "tags: [unclosed" in texts[1]  # re-editing starts from the person's own attempt
    assert load(records, c)["tags"] == ["fixed"]


def test_edit_without_changes_makes_no_commit(records, ok, cli, editor):
    c = ok("contact", "add", "Ada").strip()
    before = head(records)
    editor({"append": ""})
    r = cli("contact", "edit", c)
    assert r.exit_code == 0 and "no changes" in r.stderr
    assert head(records) == before


def test_edit_refuses_changing_the_id(records, ok, cli, editor):
    c = ok("contact", "add", "Ada").strip()
    path = records / "contacts" / c[0] / f"{c}.yaml"
    before = path.read_bytes()
    editor({"replace": [f"id: {c}", "id: abcdefghjk"]})
    r = cli("contact", "edit", c, input="a\n")
    assert r.exit_code == 4 and "id" in r.stderr
    assert path.read_bytes() == before


# ------------------------------------------------------------------------ rm
def test_rm_unlinked_contact(records, ok, gitlog):
    c = ok("contact", "add", "Ada").strip()
    ok("contact", "rm", c)
    assert not (records / "contacts" / c[0] / f"{c}.yaml").exists()
    assert gitlog(records)[0] == f"contact {c[:7]}: remove Ada"
    assert git(records, "status", "--porcelain") == ""
    assert ok("contact", "list", "--format", "json").strip() == "[]"


def test_rm_refused_while_linked(records, ok, fail):
    c = ok("contact", "add", "Ada").strip()
    lead = ok("lead", "add", "--title", "Roof", "--contact", c).strip()
    before = head(records)
    r = fail(5, "contact", "rm", c)
    assert f"lead {lead[:7]}" in r.stderr and "--force" in r.stderr
    assert (records / "contacts" / c[0] / f"{c}.yaml").exists() and head(records) == before


def test_rm_force_clears_the_links_in_one_commit(records, ok, cli):
    c = ok("contact", "add", "Ada").strip()
    l1 = ok("lead", "add", "--title", "Roof", "--contact", c).strip()
    l2 = ok("lead", "add", "--title", "Barn", "--contact", c).strip()
    r = cli("contact", "rm", c, "--force")
    assert r.exit_code == 0, r.stderr
    assert l1[:7] in r.stderr and l2[:7] in r.stderr  # says what happened to the links
    assert not (records / "contacts" / c[0] / f"{c}.yaml").exists()
    for lead in (l1, l2):
        assert "contact" not in load(records, lead, "leads")
    changed = sorted(git(records, "show", "--name-only", "--format=", "HEAD").split())
    assert changed == sorted([f"contacts/{c[0]}/{c}.yaml", f"leads/{l1[0]}/{l1}.yaml", f"leads/{l2[0]}/{l2}.yaml"])
    assert json.loads(ok("lead", "list", "--format", "json"))[0]["contact"] is None


def test_rm_removes_attached_documents(records, ok, tmp_path):
    c = ok("contact", "add", "Ada").strip()
    f = tmp_path / "id.pdf"
    f.write_bytes(b"%PDF")
    ok("doc", "attach", c, f)
    ok("contact", "rm", c)
    assert not (records / "documents" / c).exists()
    assert git(records, "ls-files", "documents").strip() == ""


def test_rm_unknown(records, fail):
    fail(3, "contact", "rm", "zzzzzzz")


CONCURRENT_EDITOR = r'''
import pathlib, sys
tmp, real = pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[1])
tmp.write_text(tmp.read_text().replace("name: Ada", "name: Ada from the editor"))
real.write_text(real.read_text() + "# changed by someone else meanwhile\n")
'''


def test_edit_refuses_to_overwrite_a_change_made_meanwhile(records, ok, cli, tmp_path, monkeypatch):
    c = ok("contact", "add", "Ada").strip()
    path = records / "contacts" / c[0] / f"{c}.yaml"
    script = tmp_path / "ed.py"
    script.write_text(CONCURRENT_EDITOR)
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script} {path}")
    before = head(records)
    r = cli("contact", "edit", c, input="a\n")
    assert r.exit_code == 5, r.stderr
    assert "changed" in r.stderr
    assert path.read_text().endswith("# changed by someone else meanwhile\n")
    assert "from the editor" not in path.read_text()
    assert head(records) == before


# ------------------------------------------------------------------------ normalisers (property tests)
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from solarcli import records as _records  # noqa: E402
from solarcli.errors import ValidationError  # noqa: E402


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["DE", "TR", "US", "GB", "FR"]),
       st.text(alphabet="0123456789 +-()/", min_size=1, max_size=20))
def test_phone_normalisation_gives_e164_or_a_clear_error(region, raw):
    try:
        out = _records.normalise_phone(raw, region, where="contact field phones")
    except ValidationError as e:
        assert repr(raw) in e.message and "contact field phones" in e.message
        return
    assert out.startswith("+") and out[1:].isdigit()
    assert _records.normalise_phone(out, "US") == out  # idempotent, whatever the region


@settings(max_examples=200, deadline=None)
@given(st.emails())
def test_email_normalisation_is_idempotent_and_lowercases_the_domain(email):
    out = _records.normalise_email(email)
    local, _, domain = out.rpartition("@")
    assert domain == domain.lower() and local == email.rpartition("@")[0]
    assert _records.normalise_email(out) == out
