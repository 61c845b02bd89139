"""``solar search`` across every kind, and ``solar index`` maintenance."""
from __future__ import annotations

import click

from solarcli.commands._common import emit, format_option, get_repo, info, shorten_ids

__all__ = ["search", "index"]


@click.command()
@click.argument("text", nargs=-1, required=True)
@click.option("--kind", type=click.Choice(["contact", "lead", "project", "proposal"]), help="Only this kind.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@format_option
def search(text, kind, limit, fmt):
    """Find records of every kind containing all words of TEXT (any field, notes included)."""
    repo = get_repo()
    rows = repo.query(kind, search=" ".join(text), limit=limit, sort="-updated")
    out = [{"id": r["id"], "kind": r["kind"], "name": r["name"], "stage": r["stage"], "email": r["email"],
            "phone": r["phone"], "city": r["city"]} for r in rows]
    emit(shorten_ids(out, fmt), fmt)
    if not out and fmt == "table":
        info("no matches")


@click.group()
def index():
    """The local, gitignored index behind list, board and search."""


@index.command("rebuild")
def index_rebuild():
    """Recreate the index from the record files."""
    repo = get_repo()
    counts = repo.index.rebuild()
    info(f"index rebuilt: {counts['parsed']} record file(s)")


@index.command("status")
@format_option
def index_status(fmt):
    """Bring the index up to date and say what changed."""
    repo = get_repo()
    counts = repo.index.refresh()
    emit({"records": repo.index.count(), "reparsed": counts["parsed"], "removed": counts["removed"],
          "path": str(repo.index.path)}, fmt)
