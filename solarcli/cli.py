"""The ``solar`` command: the root group, global options, and the one place where
errors become exit codes."""
from __future__ import annotations

import importlib
import sys

import click

from solarcli import __version__
from solarcli.errors import SolarError

# Each module's __all__ names the click commands/groups it adds at the top level.
COMMAND_MODULES = [
    "solarcli.commands.init",
    "solarcli.commands.contact",
    "solarcli.commands.lead",
    "solarcli.commands.project",
    "solarcli.commands.timeline",
    "solarcli.commands.search", "solarcli.commands.migrate",
    "solarcli.commands.sync",
    "solarcli.commands.proposal", "solarcli.commands.template",
    "solarcli.commands.imports",
    "solarcli.commands.design", "solarcli.commands.bom", "solarcli.commands.estimate",
]


class SolarGroup(click.Group):
    """Turns SolarError into one line on stderr and its exit code (traceback with --debug)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except SolarError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            msg = f"solar: error: {exc.message}"
            if exc.hint:
                msg += f" ({exc.hint})"
            click.echo(msg, err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("solar: interrupted", err=True)
            ctx.exit(130)


@click.group(cls=SolarGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--repo", "repo_path", metavar="PATH", envvar=None,
              help="Records repository (default: $SOLAR_REPO, else found by walking up from the current directory).")
@click.option("--as", "as_user", metavar="NAME", help="Act as this user of solar.yaml (commit author, 'by' fields).")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.version_option(__version__, prog_name="solar")
@click.pass_context
def cli(ctx: click.Context, repo_path: str | None, as_user: str | None, debug: bool) -> None:
    """solar: a git-backed CRM and proposal generator for solar installers.

    Contacts, leads and projects are YAML files in a git repository; every change is a
    commit. Start with 'solar init PATH', then 'solar lead add'.
    """
    ctx.ensure_object(dict)
    ctx.obj.update(repo_path=repo_path, as_user=as_user, debug=debug)


def _register() -> None:
    for modname in COMMAND_MODULES:
        mod = importlib.import_module(modname)
        for name in getattr(mod, "__all__", []):
            cmd = getattr(mod, name)
            if isinstance(cmd, click.Command):
                cli.add_command(cmd)


_register()


def main() -> None:
    cli(prog_name="solar")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
