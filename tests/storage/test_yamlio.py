"""The YAML layer: round-trip edits keep a person's comments and order, long text is a
literal block, writes are atomic, and no YAML tag can construct Python objects."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import ruamel.yaml  # noqa: F401  (imported before pyfakefs patches the file system)
import ruamel.yaml.scalarstring  # noqa: F401
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from solarcli.errors import ParseError
from solarcli.storage import yamlio

yamlio._roundtrip_yaml()  # build the ruamel instance outside pyfakefs

HAND_WRITTEN = """\
# Lead for the Müller family — called them on Monday
id: 7k2m9x4abc
title: 'PV + battery'   # keep the quotes
stage: new
site:
  # the barn, not the house
  address:
    city: Berlin
    street: Hauptstr. 1
tags:
  - hot    # from the fair
  - battery
value: 12000
"""


def test_in_place_edit_keeps_comments_order_and_quotes():
    data = yamlio.loads_roundtrip(HAND_WRITTEN)
    data["stage"] = "contacted"
    data["site"]["address"]["city"] = "Potsdam"
    data["tags"].append("ev")
    data["custom"] = {"roof": "south"}
    out = yamlio.dump_roundtrip(data)
    for comment in ("# Lead for the Müller family — called them on Monday", "# keep the quotes",
                    "# the barn, not the house", "# from the fair"):
        assert comment in out
    assert "title: 'PV + battery'" in out
    keys = [ln.split(":")[0] for ln in out.splitlines() if ln and not ln.startswith((" ", "#", "-"))]
    assert keys == ["id", "title", "stage", "site", "tags", "value", "custom"]
    inner = [ln.strip().split(":")[0] for ln in out.splitlines() if ln.startswith("    ") and ":" in ln]
    assert inner == ["city", "street"]
    assert yaml.safe_load(out) == {**yaml.safe_load(HAND_WRITTEN), "stage": "contacted",
                                   "site": {"address": {"city": "Potsdam", "street": "Hauptstr. 1"}},
                                   "tags": ["hot", "battery", "ev"], "custom": {"roof": "south"}}


def test_unchanged_document_dumps_byte_identical():
    assert yamlio.dump_roundtrip(yamlio.loads_roundtrip(HAND_WRITTEN)) == HAND_WRITTEN


def test_multiline_text_becomes_a_literal_block():
    data = yamlio.loads_roundtrip("id: x\nnotes: []\n")
    data["notes"].append({"text": "Called Mrs Müller.\nShe wants a battery.\n\nCall back in May."})
    out = yamlio.dump_roundtrip(data)
    assert "text: |" in out
    assert "    Called Mrs Müller.\n" in out and "    She wants a battery.\n" in out
    assert yamlio.loads_fast(out)["notes"][0]["text"] == "Called Mrs Müller.\nShe wants a battery.\n\nCall back in May."


def test_single_line_text_stays_plain():
    data = yamlio.loads_roundtrip("id: x\n")
    data["title"] = "just one line"
    assert "title: just one line\n" in yamlio.dump_roundtrip(data)


text_values = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\ufeff"), max_size=40)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(["title", "text", "name", "city", "a", "b"]),
                       st.one_of(text_values, st.integers(-10**6, 10**6), st.booleans(), st.none(),
                                 st.lists(text_values, max_size=3)), max_size=6))
def test_any_text_survives_a_round_trip(fields):
    data = yamlio.loads_roundtrip("id: x\n")
    for k, v in fields.items():
        data[k] = v
    out = yamlio.dump_roundtrip(data)
    assert yamlio.loads_fast(out) == {"id": "x", **fields}
    assert yamlio.loads_roundtrip(out) == {"id": "x", **fields}


# ------------------------------------------------------------------ errors
def test_parse_error_names_file_and_line():
    with pytest.raises(ParseError) as e:
        yamlio.loads_fast("id: x\ntitle: [unclosed\nstage: new\n", name="leads/x.yaml")
    assert "leads/x.yaml" in e.value.message and "line" in e.value.message
    with pytest.raises(ParseError) as e:
        yamlio.loads_roundtrip("id: x\n  bad: indent\n", name="leads/y.yaml")
    assert "leads/y.yaml" in e.value.message and "line 2" in e.value.message


@pytest.mark.parametrize("text", ["id: x\nstage: new\nstage: lost\n", "id: x\nsite:\n  city: A\n  city: B\n",
                                  "id: x\n'stage': new\nstage: lost\n"])
def test_duplicate_keys_are_an_error_for_both_loaders(text):
    """PyYAML would silently keep the last value; a record must not mean two things."""
    for load in (yamlio.loads_fast, yamlio.loads_roundtrip):
        with pytest.raises(ParseError) as e:
            load(text, name="leads/x.yaml")
        assert "leads/x.yaml" in e.value.message and "duplicate" in e.value.message


def test_merge_keys_still_load_in_the_fast_loader():
    text = "base: &b {city: A, street: S}\nsite:\n  <<: *b\n  city: B\n"
    assert yamlio.loads_fast(text)["site"] == {"city": "B", "street": "S"}


def test_conflict_markers_are_an_error():
    text = "id: x\n<<<<<<< HEAD\nstage: new\n=======\nstage: lost\n>>>>>>> other\n"
    for load in (yamlio.loads_fast, yamlio.loads_roundtrip):
        with pytest.raises(ParseError) as e:
            load(text, name="leads/x.yaml")
        assert "conflict" in e.value.message and "leads/x.yaml" in e.value.message


@pytest.mark.parametrize("payload", [
    "!!python/object/apply:os.system ['touch {marker}']",
    "!!python/object/apply:subprocess.call [['touch', '{marker}']]",
    "!!python/object/new:subprocess.Popen [['touch', '{marker}']]",
    "!python/object/apply:os.system ['touch {marker}']",
])
def test_python_tags_are_never_executed(tmp_path, payload):
    marker = tmp_path / "pwned"
    text = f"id: x\ntitle: {payload.format(marker=marker)}\n"
    for load in (yamlio.loads_fast, yamlio.loads_roundtrip):
        try:
            result = load(text, name="leads/x.yaml")
        except ParseError:
            result = None
        assert not marker.exists()
        # if a loader accepted the text at all, it produced plain data, never an object
        if result is not None:
            assert isinstance(result["title"], (str, list, dict)), type(result["title"])
    with pytest.raises(ParseError):
        yamlio.loads_fast(text, name="leads/x.yaml")


def test_python_tag_in_a_record_file_is_an_error_through_the_cli(records, ok, fail, tmp_path):
    lead = ok("lead", "add", "--title", "Roof").strip()
    marker = tmp_path / "pwned"
    path = records / "leads" / lead[0] / f"{lead}.yaml"
    path.write_text(path.read_text() + f"custom: !!python/object/apply:os.system ['touch {marker}']\n")
    for args in (("lead", "list"), ("lead", "show", lead), ("search", "Roof"), ("lead", "set", lead, "title=x")):
        r = fail(4, *args)
        assert f"leads/{lead[0]}/{lead}.yaml" in r.stderr
    assert not marker.exists()


# ------------------------------------------------------------------ atomic_write (fake fs)
def test_atomic_write_creates_folders_and_writes_bytes(fs):
    p = Path("/repo/leads/a.yaml")
    yamlio.atomic_write(p, "title: ä\n")
    assert p.read_bytes() == "title: ä\n".encode()
    assert os.listdir("/repo/leads") == ["a.yaml"]


def test_atomic_write_replaces_via_a_temp_file_in_the_same_folder(fs, monkeypatch):
    p = Path("/repo/leads/a.yaml")
    yamlio.atomic_write(p, b"old\n")
    calls = []
    real_replace = os.replace

    def spy(src, dst):
        calls.append((Path(src), Path(dst), Path(src).read_bytes(), Path(dst).read_bytes()))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    yamlio.atomic_write(p, b"new\n")
    (src, dst, src_bytes, dst_bytes), = calls
    assert src.parent == dst.parent == p.parent
    assert src_bytes == b"new\n" and dst_bytes == b"old\n"  # target untouched until the replace
    assert p.read_bytes() == b"new\n"
    assert os.listdir("/repo/leads") == ["a.yaml"]


@pytest.mark.parametrize("breaking", ["write", "fsync", "replace"])
def test_atomic_write_failure_leaves_the_old_file_and_no_temp(fs, monkeypatch, breaking):
    p = Path("/repo/leads/a.yaml")
    yamlio.atomic_write(p, b"old contents\n")

    def boom(*a, **kw):
        raise OSError(28, "No space left on device")

    if breaking == "write":
        real_fdopen = os.fdopen

        class Half:
            def __init__(self, fh):
                self.fh = fh

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.fh.close()

            def write(self, data):
                self.fh.write(data[:3])
                boom()

        monkeypatch.setattr(os, "fdopen", lambda fd, mode: Half(real_fdopen(fd, mode)))
    elif breaking == "fsync":
        monkeypatch.setattr(os, "fsync", boom)
    else:
        monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        yamlio.atomic_write(p, b"new contents that are longer\n")
    assert p.read_bytes() == b"old contents\n"
    assert os.listdir("/repo/leads") == ["a.yaml"]


def test_atomic_write_new_file_failure_leaves_nothing(fs, monkeypatch):
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(OSError(5, "I/O error")))
    with pytest.raises(OSError):
        yamlio.atomic_write(Path("/repo/leads/b.yaml"), b"x\n")
    assert os.listdir("/repo/leads") == []


def test_killed_writer_leaves_old_or_new_file(tmp_path):
    """A process killed while writing in a loop: the file always parses as one complete version."""
    target = tmp_path / "rec.yaml"
    yamlio.atomic_write(target, "v: 0\n" + "pad: " + "x" * 50_000 + "\n")
    script = (
        "import sys\nfrom pathlib import Path\nfrom solarcli.storage.yamlio import atomic_write\n"
        f"p = Path({str(target)!r})\n"
        "i = 0\n"
        "while True:\n"
        "    i += 1\n"
        "    atomic_write(p, f'v: {i}\\n' + 'pad: ' + 'x' * (50_000 + i % 7) + '\\n')\n"
        "    if i == 3: print('ready', flush=True)\n"
    )
    proc = subprocess.Popen([os.environ.get("PYTHON", "/work/venv/bin/python"), "-c", script],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        for _ in range(30):
            data = yaml.safe_load(target.read_text())
            assert data["v"] >= 3 and len(data["pad"]) >= 50_000
    finally:
        proc.kill()
        proc.wait()
    data = yaml.safe_load(target.read_text())
    assert set(data) == {"v", "pad"} and len(data["pad"]) == 50_000 + data["v"] % 7


# ------------------------------------------------------------------ through the CLI
def test_cli_edit_keeps_a_hand_written_comment_and_key_order(records, ok):
    lead = ok("lead", "add", "--title", "Roof", "--city", "Berlin", "--facility", "residential").strip()
    path = records / "leads" / lead[0] / f"{lead}.yaml"
    lines = path.read_text().splitlines(keepends=True)
    lines.insert(1, "# met at the Intersolar fair\n")
    lines = [ln.replace("facility: residential", "facility: residential  # family home") for ln in lines]
    path.write_text("".join(lines))
    subprocess.run(["git", "commit", "-qam", "hand edit"], cwd=records, check=True)
    before_keys = [ln.split(":")[0] for ln in path.read_text().splitlines() if ln[:1].isalpha()]
    ok("lead", "set", lead, "title=Roof and battery", "site.address.city=Potsdam", "custom.roof=south")
    text = path.read_text()
    assert "# met at the Intersolar fair\n" in text
    assert "facility: residential  # family home" in text
    after_keys = [ln.split(":")[0] for ln in text.splitlines() if ln[:1].isalpha()]
    assert after_keys[:len(before_keys)] == before_keys
    assert after_keys[len(before_keys):] == ["custom"]
    data = yaml.safe_load(text)
    assert data["title"] == "Roof and battery" and data["site"]["address"]["city"] == "Potsdam"


def test_file_round_trip_on_disk_keeps_the_persons_text(fs):
    p = Path("/repo/leads/7k2m9x4abc.yaml")
    p.parent.mkdir(parents=True)
    p.write_text(HAND_WRITTEN, encoding="utf-8")
    data = yamlio.load_roundtrip(p, name="leads/7/7k2m9x4abc.yaml")
    data["notes"] = [{"text": "line one\nline two"}]
    yamlio.atomic_write(p, yamlio.dump_roundtrip(data))
    text = p.read_text(encoding="utf-8")
    assert text.startswith(HAND_WRITTEN)  # everything the person wrote, byte for byte, then the new key
    assert "text: |-\n" in text
    assert yamlio.load_fast(p)["notes"] == [{"text": "line one\nline two"}]


def test_non_utf8_file_is_a_parse_error_naming_it(fs):
    p = Path("/repo/contacts/x.yaml")
    p.parent.mkdir(parents=True)
    p.write_bytes("name: M\xfcller\n".encode("latin-1"))
    for load in (yamlio.load_fast, yamlio.load_roundtrip):
        with pytest.raises(ParseError) as e:
            load(p, name="contacts/x.yaml")
        assert "contacts/x.yaml" in e.value.message and "UTF-8" in e.value.message
