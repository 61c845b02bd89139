"""Team work on git: ``solar sync``, ``conflicts``, ``history``, ``undo``,
``check`` and the git ``merge-driver`` entry point (issue 6)."""
from __future__ import annotations

import click

from solarcli.commands._common import emit, format_option, get_repo, info

__all__ = ["sync", "conflicts", "history", "undo", "check", "merge_driver"]


@click.command()
@click.argument("remote", required=False)
@click.option("--retries", type=click.IntRange(min=1, max=20), default=4, show_default=True,
              help="Attempts when someone pushes in between.")
@format_option
def sync(remote, retries, fmt):
    """Fetch from REMOTE (default: the upstream, else origin), merge records field by
    field, push; retry when someone pushed in between."""
    from solarcli.sync.engine import sync as do_sync

    repo = get_repo()
    rep = do_sync(repo, remote, max_attempts=retries)
    if fmt != "table":
        emit(rep.as_dict(), fmt)
    if rep.rolled_back_previous:
        info("an interrupted sync was rolled back first")
    if rep.driver_registered:
        info("registered the solar merge driver for record files")
    parts = [f"received {rep.received} commit(s)", f"sent {rep.sent} commit(s)"]
    if rep.attempts > 1:
        parts.append(f"{rep.attempts} attempts (someone pushed in between)")
    info(f"synced with {rep.remote}/{rep.branch}: " + ", ".join(parts))
    for c in rep.conflicts:
        info(f"conflict: {c['path']}: {c['field']}: kept {_txt(c.get('lost_to'))}, "
             f"other value {_txt(c.get('value'))} recorded (see 'solar conflicts')")
    for path in rep.kept_deleted:
        info(f"kept {path}: deleted on one side, edited on the other (see 'solar conflicts')")
    for doc, other in rep.kept_both:
        info(f"kept both versions of {doc}: the other one is {other}")
    for w in rep.warnings:
        info(f"warning: {w}")


def _txt(v) -> str:
    s = repr(v) if not isinstance(v, str) else v
    return s if len(s) <= 40 else s[:37] + "..."


CONFLICT_COLUMNS = ["id", "kind", "field", "value", "lost_to", "at"]


@click.group(invoke_without_command=True)
@click.option("--record", "id", metavar="ID", help="Only the conflicts of this record.")
@format_option
@click.pass_context
def conflicts(ctx, id, fmt):
    """List the field conflicts merges recorded (the values that lost).
    Resolve them with 'solar conflicts resolve ID FIELD --keep|--take VALUE|--lost'."""
    if ctx.invoked_subcommand is not None:
        return
    from solarcli import ids
    from solarcli.sync.conflicts import list_conflicts

    rows = list_conflicts(get_repo(), id)
    if fmt == "table":
        for r in rows:
            r["id"] = ids.short(r["id"])
        emit(rows, fmt, CONFLICT_COLUMNS)
        if not rows:
            info("no conflicts")
    else:
        emit(rows, fmt)


@conflicts.command("resolve")
@click.argument("id")
@click.argument("field")
@click.option("--keep", is_flag=True, help="Keep the current value.")
@click.option("--take", metavar="VALUE", help="Set the field to VALUE.")
@click.option("--lost", is_flag=True, help="Take the value that lost the merge.")
def conflicts_resolve(id, field, keep, take, lost):
    """Resolve the conflict on FIELD of record ID (e.g. stage, site.address.city,
    activities[ID].summary) and clear it (one commit)."""
    from solarcli.sync.conflicts import resolve

    out = resolve(get_repo(), id, field, take=take, keep=keep, lost=lost)
    what = "kept the current value" if out["action"] == "keep" else f"set to {out['value']!r}"
    info(f"{out['kind']} {out['id'][:7]}: {field}: {what}; {out['removed']} conflict entr"
         f"{'y' if out['removed'] == 1 else 'ies'} cleared")


HISTORY_COLUMNS = ["commit", "date", "author", "field", "from", "to"]


@click.command()
@click.argument("id")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many commits.")
@click.option("--rev", default="HEAD", show_default=True, help="Start from this revision.")
@format_option
def history(id, limit, rev, fmt):
    """Who changed which fields of record ID, and when (newest first; from git)."""
    from solarcli.sync.history import history as do_history

    entries = do_history(get_repo(), id, rev=rev, limit=limit)
    if fmt in ("json", "yaml"):
        emit(entries, fmt)
        return
    rows = []
    for e in entries:
        head = {"commit": e["commit"][:7] if fmt == "table" else e["commit"], "date": e["date"],
                "author": e["author"], "message": e["message"]}
        if not e["changes"]:
            rows.append({**head, "field": "-", "from": None, "to": None})
        for ch in e["changes"]:
            if fmt == "table" and ch["field"] == "updated":
                continue  # bookkeeping: the commit date says it
            rows.append({**head, "field": ch["field"], "from": ch["from"], "to": ch["to"]})
    if fmt == "table":
        for r in rows:
            r["date"] = str(r["date"])[:16].replace("T", " ")
    emit(rows, fmt, HISTORY_COLUMNS if fmt == "table" else HISTORY_COLUMNS + ["message"])
    if not rows:
        info("no history")


@click.command()
@click.option("--dry-run", is_flag=True, help="Only say which change would be undone.")
def undo(dry_run):
    """Revert the last change made with solar, as a new commit (run again to go further back)."""
    from solarcli.sync.undo import undo as do_undo

    out = do_undo(get_repo(), dry_run=dry_run)
    if dry_run:
        info(f"would undo {out['undone'][:7]} {out['subject']} ({', '.join(out['paths'])})")
        return
    info(f"undid {out['undone'][:7]} {out['subject']}")
    for k in out["kept"]:
        info(f"  kept a later change: {k}")
    if out["commit"]:
        click.echo(out["commit"])


@click.command()
@click.option("--fix", is_flag=True, help="Repair what is safe (missing back-links, the index) and say what was done.")
@format_option
@click.pass_context
def check(ctx, fix, fmt):
    """Check the records repository: files parse and validate, links both ways, unique IDs,
    no conflict markers, documents match their hashes, index agrees. Exit 8 on problems."""
    from pathlib import Path

    from solarcli.errors import CheckFailed, SolarError
    from solarcli.sync import check as chk

    try:
        repo = get_repo()
    except SolarError as exc:
        # solar.yaml itself may be what is broken: report it as a problem when we can
        from solarcli.errors import RepoNotFoundError
        from solarcli.repo import find_root

        if isinstance(exc, RepoNotFoundError):
            raise
        root = find_root((ctx.find_root().obj or {}).get("repo_path"))
        problems = chk.check_config_file(Path(root)) or [chk.Problem("solar.yaml", "-", "parse", exc.message)]
        problems += chk.check_git_state(Path(root))
        _report(problems, fmt, [])
        raise CheckFailed(f"{len(problems)} problem(s) found") from None
    problems = chk.check(repo)
    fixed: list[str] = []
    if fix and any(p.fixable for p in problems):
        fixed = chk.fix(repo, problems)
        problems = chk.check(repo)
    _report(problems, fmt, fixed)
    if problems:
        raise CheckFailed(f"{len(problems)} problem(s) found" + ("" if fix or not any(p.fixable for p in problems)
                                                                   else "; some can be repaired with 'solar check --fix'"))


def _report(problems, fmt, fixed) -> None:
    for line in fixed:
        info(f"fixed: {line}")
    if fmt == "table":
        for p in problems:
            click.echo(p.line())
        if not problems:
            info("ok: no problems found")
    else:
        emit([p.as_dict() for p in problems], fmt)


@click.command("merge-driver")
@click.argument("base", type=click.Path())
@click.argument("ours", type=click.Path())
@click.argument("theirs", type=click.Path())
@click.argument("path", required=False, default="")
@click.pass_context
def merge_driver(ctx, base, ours, theirs, path):
    """git merge driver (registered by 'solar init' / 'solar sync'): merge record file
    versions BASE, OURS, THEIRS of PATH field by field into OURS. Exit 0 when merged,
    1 for a normal git conflict (not a record, or unparsable)."""
    from solarcli.sync.driver import merge_files

    code, found = merge_files(base, ours, theirs, path)
    for c in found:
        if c.get("message"):
            info(f"solar merge: {path}: {c['message']}")
        else:
            info(f"solar merge: {path}: {c['field']}: kept {_txt(c.get('lost_to'))}, "
                 f"recorded {_txt(c.get('value'))} (see 'solar conflicts')")
    if code and not found:
        info(f"solar merge: {path}: not a record file that solar can merge; left to git")
    ctx.exit(code)
