"""The command tree as a whole: every --help works and is documented in README; the CLI
starts light; --version; errors are one line with an exit code (traceback only with --debug)."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from solarcli import __version__
from solarcli.cli import cli as root
from solarcli.errors import EXIT_CODES, NotFoundError

README = Path(__file__).resolve().parents[1] / "README.md"
HEAVY = ["git", "jinja2", "tabulate", "pvlib", "weasyprint", "openpyxl", "pandas", "numpy", "vobject", "babel",
         "phonenumbers"]


def command_paths(group: click.Group = root, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for name, cmd in sorted(group.commands.items()):
        path = prefix + (name,)
        out.append(path)
        if isinstance(cmd, click.Group):
            out += command_paths(cmd, path)
    return out


PATHS = command_paths()


def test_the_tree_has_the_commands_scripts_rely_on():
    names = {" ".join(p) for p in PATHS}
    for kind in ("contact", "lead", "project"):
        for verb in ("add", "list", "show", "set", "edit", "rm"):
            assert f"{kind} {verb}" in names
    for extra in ("init", "lead stage", "lead assign", "lead convert", "lead board", "project stage",
                  "project assign", "project board", "note add", "activity add", "activity done", "doc attach",
                  "doc list", "doc get", "search", "show", "index rebuild"):
        assert extra in names, extra


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p))
def test_every_command_has_help(cli, path):
    r = cli(*path, "--help")
    assert r.exit_code == 0, r.stderr
    assert re.match(rf"Usage: \S+ {re.escape(' '.join(path))}( |$)", r.stdout), r.stdout[:200]
    cmd = root
    for name in path:
        cmd = cmd.commands[name]
    assert (cmd.help or cmd.short_help or "").strip(), f"solar {' '.join(path)} has no help text"
    assert cli(*path, "-h").stdout == r.stdout


def test_root_help(cli):
    r = cli("--help")
    assert r.exit_code == 0 and "--repo" in r.stdout and "--as" in r.stdout
    for name in root.commands:
        assert name in r.stdout


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p))
def test_readme_mentions_every_command(path):
    assert README.is_file(), "README.md is missing"
    text = README.read_text(encoding="utf-8")
    cmd = "solar " + " ".join(path)
    assert re.search(re.escape(cmd) + r"(?![\w-])", text), f"README.md does not mention '{cmd}'"


def test_readme_documents_every_exit_code():
    assert README.is_file(), "README.md is missing"
    text = README.read_text(encoding="utf-8")
    m = re.search(r"^#+ .*exit codes.*$", text, re.IGNORECASE | re.MULTILINE)
    assert m, "README.md has no 'Exit codes' section"
    section = text[m.end():]
    nxt = re.search(r"^#{1,%d} " % (len(m.group(0)) - len(m.group(0).lstrip("#"))), section, re.MULTILINE)
    section = section[: nxt.start()] if nxt else section
    for code in EXIT_CODES:
        assert re.search(rf"(?<!\d){code}(?!\d)", section), f"exit code {code} is not documented in README"


# ------------------------------------------------------------------------ start-up
def test_importing_the_cli_stays_light():
    code = "import json, sys; import solarcli.cli; print(json.dumps(sorted(sys.modules)))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(r.stdout)
    heavy = sorted(m for m in loaded if m.split(".")[0] in HEAVY)
    assert heavy == [], f"import solarcli.cli pulls in {heavy}"


def test_help_stays_light():
    code = ("import json, sys\nfrom solarcli.cli import cli\n"
            "try:\n    cli.main(['lead', 'list', '--help'], prog_name='solar')\nexcept SystemExit:\n    pass\n"
            "print(json.dumps(sorted(sys.modules)), file=sys.stderr)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(r.stderr.strip().splitlines()[-1])
    assert sorted(m for m in loaded if m.split(".")[0] in HEAVY) == []


def test_python_m_solarcli_version():
    r = subprocess.run([sys.executable, "-m", "solarcli", "--version"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"solar, version {__version__}"


def test_python_m_solarcli_runs_commands(records):
    r = subprocess.run([sys.executable, "-m", "solarcli", "contact", "add", "Ada"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (records / "contacts" / r.stdout.strip()[0] / f"{r.stdout.strip()}.yaml").is_file()


# ------------------------------------------------------------------------ errors
def test_errors_are_one_line_on_stderr_with_the_exit_code(records, fail):
    r = fail(3, "lead", "show", "zzzzzz")
    assert r.stdout == ""
    assert r.stderr.startswith("solar: error: ") and len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.stderr


def test_debug_shows_the_exception(records, cli):
    with pytest.raises(NotFoundError):
        cli("--debug", "lead", "show", "zzzzzz")


def test_unknown_command_and_option_are_usage_errors(records, fail):
    fail(2, "leed", "list")
    fail(2, "lead", "list", "--colour", "red")


def test_exit_code_table_is_consistent():
    from solarcli import errors

    for name in dir(errors):
        cls = getattr(errors, name)
        if isinstance(cls, type) and issubclass(cls, errors.SolarError):
            assert cls.exit_code in EXIT_CODES, name


def test_every_listing_and_show_command_shares_the_format_option():
    from solarcli.output import FORMATS

    def command(path):
        cmd = root
        for name in path:
            cmd = cmd.commands[name]
        return cmd

    for path in PATHS:
        cmd = command(path)
        fmt = [p for p in cmd.params if "--format" in getattr(p, "opts", [])]
        if path[-1] in ("list", "show", "board", "status") or path == ("search",):
            assert fmt, f"solar {' '.join(path)} has no --format"
            for p in fmt:
                assert list(p.type.choices) == FORMATS, path
                assert "-f" in p.opts, path
