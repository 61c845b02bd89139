"""``solar init`` and how every command finds its records repository."""
from __future__ import annotations

import subprocess

import pytest
import yaml


def git(root, *args):
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


def test_init_creates_a_committed_repository(tmp_path, ok):
    root = tmp_path / "crm"
    out = ok("init", root, "--company", "Sunny Roofs GmbH", "--currency", "eur", "--locale", "de_DE")
    assert out == f"{root.resolve()}\n"
    cfg = yaml.safe_load((root / "solar.yaml").read_text())
    assert cfg["company"]["name"] == "Sunny Roofs GmbH"
    assert cfg["currency"] == "EUR" and cfg["locale"] == "de_DE" and cfg["phone_region"] == "DE"
    assert cfg["users"] == [{"id": "test", "name": "Test User", "email": "test@example.com", "active": True}]
    assert {"name": "sales", "active": True} in cfg["teams"]
    assert cfg["pipelines"]["lead"]["stages"] == ["new", "contacted", "qualified", "converted", "lost"]
    assert cfg["pipelines"]["lead"]["reason_required"] == ["lost"]
    assert cfg["pipelines"]["project"]["stages"][:5] == ["design", "proposal", "negotiation", "won", "lost"]
    assert "/.solar/" in (root / ".gitignore").read_text().splitlines()
    assert git(root, "status", "--porcelain") == ""
    tracked = git(root, "ls-files").split()
    assert "solar.yaml" in tracked and ".gitignore" in tracked
    assert git(root, "rev-list", "--count", "HEAD").strip() == "1"
    assert git(root, "log", "-1", "--format=%an <%ae>").strip() == "Test User <test@example.com>"
    # comments are there for the person editing it by hand
    assert (root / "solar.yaml").read_text().startswith("#")


def test_init_defaults_to_the_current_directory(tmp_path, ok, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ok("init")
    assert (tmp_path / "solar.yaml").is_file() and (tmp_path / ".git").is_dir()
    ok("contact", "add", "Ada")  # found from the working directory


def test_init_region_follows_the_locale(tmp_path, ok):
    root = tmp_path / "tr"
    ok("init", root, "--locale", "tr_TR", "--currency", "TRY")
    cfg = yaml.safe_load((root / "solar.yaml").read_text())
    assert cfg["phone_region"] == "TR" and cfg["currency"] == "TRY"
    c = ok("--repo", root, "contact", "add", "Ayşe", "--phone", "0212 555 12 34").strip()
    assert yaml.safe_load((root / "contacts" / c[0] / f"{c}.yaml").read_text())["phones"] == ["+902125551234"]


def test_init_twice_is_refused(tmp_path, ok, fail):
    root = tmp_path / "crm"
    ok("init", root)
    before = (root / "solar.yaml").read_bytes()
    r = fail(5, "init", root, "--company", "Other")
    assert "already" in r.stderr
    assert (root / "solar.yaml").read_bytes() == before


def test_init_rejects_bad_currency_and_locale_writing_nothing(tmp_path, fail):
    r = fail(4, "init", tmp_path / "a", "--currency", "EURO")
    assert "EURO" in r.stderr and "--currency" in r.stderr
    r = fail(4, "init", tmp_path / "b", "--locale", "xx_NOPE")
    assert "xx_NOPE" in r.stderr and "--locale" in r.stderr
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_init_inside_an_existing_git_repository_keeps_its_gitignore(tmp_path, ok):
    root = tmp_path / "existing"
    root.mkdir()
    git(root, "init", "-q")
    (root / ".gitignore").write_text("*.tmp")
    (root / "README.txt").write_text("mine\n")
    ok("init", root)
    lines = (root / ".gitignore").read_text().splitlines()
    assert lines[0] == "*.tmp" and "/.solar/" in lines
    assert "README.txt" not in git(root, "ls-files")  # solar committed only its own files


def test_init_without_git_identity_is_exit_7(tmp_path, fail, ok, monkeypatch):
    empty = tmp_path / "empty.gitconfig"
    empty.write_text("[init]\n\tdefaultBranch = main\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("EMAIL", "")
    root = tmp_path / "crm"
    r = fail(7, "init", root)
    assert "git config" in r.stderr and "identity" in r.stderr
    assert not root.exists()  # nothing left behind, not even an empty git repository
    existing = tmp_path / "mine"
    (existing / "notes").mkdir(parents=True)
    fail(7, "init", existing)
    assert sorted(p.name for p in existing.iterdir()) == ["notes"]  # the user's folder stays as it was
    git_cfg = tmp_path / "id.gitconfig"
    git_cfg.write_text("[user]\n\tname = Later User\n\temail = later@example.com\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(git_cfg))
    ok("init", root)
    assert git(root, "log", "-1", "--format=%an").strip() == "Later User"


# ----------------------------------------------------------------- finding the repository
def test_outside_a_repository_exit_3_with_a_hint(fail):
    for args in (("contact", "list"), ("lead", "add", "--title", "x"), ("search", "x"), ("show", "abcd")):
        r = fail(3, *args)
        assert "solar init" in r.stderr, r.stderr
        assert "--repo" in r.stderr and "SOLAR_REPO" in r.stderr
        assert r.stdout == ""
        assert len(r.stderr.strip().splitlines()) == 1
        assert "Traceback" not in r.stderr


def test_repo_option_and_env_and_walking_up(tmp_path, ok, fail, monkeypatch):
    a, b = tmp_path / "a", tmp_path / "b"
    ok("init", a, "--company", "A")
    ok("init", b, "--company", "B")
    ca = ok("--repo", a, "contact", "add", "In A").strip()
    assert (a / "contacts" / ca[0] / f"{ca}.yaml").exists()
    monkeypatch.setenv("SOLAR_REPO", str(b))
    cb = ok("contact", "add", "In B").strip()
    assert (b / "contacts" / cb[0] / f"{cb}.yaml").exists()
    # --repo wins over SOLAR_REPO
    assert "In A" in ok("--repo", a, "contact", "list") and "In B" not in ok("--repo", a, "contact", "list")
    # SOLAR_REPO wins over the working directory
    monkeypatch.chdir(a)
    assert "In B" in ok("contact", "list")
    # walking up from a subdirectory
    monkeypatch.delenv("SOLAR_REPO")
    deep = a / "documents" / "x" / "y"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert "In A" in ok("contact", "list")
    cc = ok("contact", "add", "From deep").strip()
    assert (a / "contacts" / cc[0] / f"{cc}.yaml").exists()


def test_repo_paths_that_are_not_repositories_are_named(tmp_path, fail, monkeypatch):
    nothing = tmp_path / "nothing"
    nothing.mkdir()
    r = fail(3, "--repo", nothing, "contact", "list")
    assert str(nothing) in r.stderr and "solar init" in r.stderr
    monkeypatch.setenv("SOLAR_REPO", str(nothing))
    r = fail(3, "contact", "list")
    assert "SOLAR_REPO" in r.stderr and str(nothing) in r.stderr


def test_a_plain_git_repository_is_not_a_records_repository(tmp_path, fail, monkeypatch):
    plain = tmp_path / "plain"
    plain.mkdir()
    git(plain, "init", "-q")
    monkeypatch.chdir(plain)
    r = fail(3, "lead", "list")
    assert "solar init" in r.stderr


# ----------------------------------------------------------------- a hand-edited solar.yaml
@pytest.mark.parametrize("change,words", [
    (("currency: EUR", "currency: [EUR"), ["solar.yaml", "line"]),
    (("terminal: [converted, lost]", "terminal: [converted, gone]"), ["solar.yaml", "gone", "pipelines.lead"]),
    (("reason_required: [lost]\n  project:", "reason_required: [lost]\n  project:\n    stages: []\n  x:"),
     ["solar.yaml", "pipelines.project.stages"]),
])
def test_a_broken_solar_yaml_is_a_clear_error(records, ok, fail, change, words):
    c = ok("contact", "add", "Ada").strip()
    cfg = records / "solar.yaml"
    text = cfg.read_text()
    assert change[0] in text
    cfg.write_text(text.replace(change[0], change[1], 1))
    for args in (("contact", "list"), ("note", "add", c, "x"), ("show", c)):
        r = fail(4, *args)
        for w in words:
            assert w in r.stderr, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1


def test_company_and_user_names_with_yaml_special_characters(tmp_path, ok, monkeypatch):
    cfg = tmp_path / "id.gitconfig"
    cfg.write_text("[user]\n\tname = \"Jürgen O'Neill: #1\"\n\temail = j@example.com\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(cfg))
    root = tmp_path / "crm"
    ok("init", root, "--company", "O'Brien & Sons: Solar # best")
    data = yaml.safe_load((root / "solar.yaml").read_text())
    assert data["company"]["name"] == "O'Brien & Sons: Solar # best"
    assert data["users"][0]["name"] == "Jürgen O'Neill: #1"
    c = ok("--repo", root, "contact", "add", "Ada").strip()
    ok("--repo", root, "note", "add", c, "hi")
    note = yaml.safe_load((root / "contacts" / c[0] / f"{c}.yaml").read_text())["notes"][0]
    assert note["by"] == data["users"][0]["id"]
