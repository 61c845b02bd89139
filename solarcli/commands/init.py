"""``solar init``: create a records repository."""
from __future__ import annotations

import click

from solarcli.commands._common import info

__all__ = ["init"]


@click.command()
@click.argument("path", default=".", type=click.Path(file_okay=False))
@click.option("--company", default="My Solar Company", show_default=True, help="Company name (proposals, solar.yaml).")
@click.option("--currency", default="EUR", show_default=True, help="ISO 4217 currency code.")
@click.option("--locale", default="en_US", show_default=True, help="Locale for numbers, money and dates (de_DE, tr_TR, ...).")
@click.pass_context
def init(ctx: click.Context, path: str, company: str, currency: str, locale: str) -> None:
    """Create a records repository at PATH (a git repository with solar.yaml)."""
    from solarcli.repo import Repo
    from solarcli.storage import gitio

    actor = None
    as_user = (ctx.find_root().obj or {}).get("as_user")
    if as_user:
        from pathlib import Path

        ident = gitio.identity(Path(path) if Path(path).exists() else Path.cwd())
        actor = gitio.Actor(as_user, ident.email if ident else f"{as_user}@users.solar.invalid")
    repo = Repo.init(path, company=company, currency=currency, locale=locale, actor=actor)
    info(f"Created solar records repository in {repo.root}")
    info("Next: solar contact add NAME, solar lead add --title TEXT, solar lead list")
    click.echo(str(repo.root))
