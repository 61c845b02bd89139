"""``solar migrate``: move record files of the old flat layout into shard folders."""
from __future__ import annotations

import click

from solarcli.commands._common import emit, format_option, get_repo, info

__all__ = ["migrate"]


@click.command()
@click.option("--dry-run", is_flag=True, help="Say how many files would move; change nothing.")
@format_option
def migrate(dry_run, fmt):
    """Move record files from the old flat layout (leads/<id>.yaml) into shard folders
    (leads/<x>/<id>.yaml, x = the ID's first character): contents unchanged, one commit.
    Safe to run again; does nothing when there is nothing to move."""
    from solarcli.layout import migrate as do_migrate

    repo = get_repo()
    res = do_migrate(repo, dry_run=dry_run)
    if fmt != "table":
        emit(res, fmt)
    if not res["moved"]:
        info("nothing to migrate: every record file is in its shard folder")
        return
    per = ", ".join(f"{n} in {folder}/" for folder, n in sorted(res["files"].items()))
    if dry_run:
        info(f"would move {res['moved']} record file(s) into shard folders ({per}); nothing changed")
        return
    info(f"moved {res['moved']} record file(s) into shard folders ({per}) in commit {res['commit'][:10]}")
    counts = repo.index.rebuild()
    info(f"index rebuilt: {counts['parsed']} record(s)")
