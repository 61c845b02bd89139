"""What stays on a record: ``solar show``, ``note``, ``activity`` and ``doc``."""
from __future__ import annotations

import click

from solarcli import ids
from solarcli.commands._common import emit, format_option, get_repo, info

__all__ = ["show", "note", "activity", "doc"]


@click.command()
@click.argument("id")
@click.option("--at", "at", metavar="REV", help="Show the record as it was at a git revision (commit, tag, HEAD~3).")
@format_option
def show(id, at, fmt):
    """Show any record (contact, lead, project, proposal) by ID or prefix."""
    from solarcli.commands._records import show_record

    show_record(id, None, fmt, at=at)


@click.group()
def note():
    """Notes on any record."""


@note.command("add")
@click.argument("id")
@click.argument("text", required=False)
def note_add(id, text):
    """Add a note to a record (TEXT, or '-' / nothing to read it from stdin). Prints the note ID."""
    from solarcli import crm

    if text in (None, "-"):
        text = click.get_text_stream("stdin").read()
    rec, n = crm.add_note(get_repo(), id, text)
    info(f"{rec.label}: note added")
    click.echo(n["id"])


@note.command("list")
@click.argument("id")
@format_option
def note_list(id, fmt):
    """List the notes of a record."""
    rec = get_repo().load(id)
    emit([{"id": n.get("id"), "at": n.get("at"), "by": n.get("by"), "text": n.get("text")}
          for n in rec.data.get("notes") or []], fmt)


@click.group()
def activity():
    """Activities (call, email, meeting, site-visit, task) with due dates."""


@activity.command("add")
@click.argument("id")
@click.option("--type", "atype", required=True, type=click.Choice(["call", "email", "meeting", "site-visit", "task"]))
@click.option("--summary", required=True, help="What it is about.")
@click.option("--due", metavar="DATE", help="Due date: YYYY-MM-DD, today, tomorrow or +Nd.")
@click.option("--done", is_flag=True, help="Record it as already done.")
def activity_add(id, atype, summary, due, done):
    """Add an activity to a record; prints the activity ID."""
    from solarcli import crm

    rec, act = crm.add_activity(get_repo(), id, type=atype, summary=summary, due=due, done=done)
    info(f"{rec.label}: {atype} added")
    click.echo(act["id"])


@activity.command("done")
@click.argument("id")
@click.argument("activity_id")
def activity_done(id, activity_id):
    """Mark activity ACTIVITY_ID (or prefix) of record ID as done."""
    from solarcli import crm

    rec, act = crm.complete_activity(get_repo(), id, activity_id)
    info(f"{rec.label}: {act.get('type')} {act.get('id')} done")


@activity.command("list")
@click.argument("id", required=False)
@click.option("--open", "only_open", is_flag=True, help="Only activities not done yet.")
@click.option("--due-before", metavar="DATE", help="Only activities due on or before DATE.")
@format_option
def activity_list(id, only_open, due_before, fmt):
    """List activities of one record, or of every record (an agenda)."""
    from solarcli.timeutil import parse_date

    repo = get_repo()
    limit = parse_date(due_before, field="--due-before").isoformat() if due_before else None
    if id:
        rec = repo.load(id)
        sources = [(rec.kind, rec.data)]
    else:
        sources = [(k, d) for k in ("contact", "lead", "project") for d in repo.iter_records(k)
                   if d.get("activities")]
    rows = []
    for kind, data in sources:
        for a in data.get("activities") or []:
            if only_open and a.get("done"):
                continue
            if limit and (not a.get("due") or str(a.get("due")) > limit):
                continue
            rows.append({"record": str(data.get("id")), "kind": kind, "id": a.get("id"), "type": a.get("type"),
                         "summary": a.get("summary"), "due": a.get("due"), "done": bool(a.get("done")),
                         "by": a.get("by")})
    rows.sort(key=lambda r: (str(r["due"] or "9999"), r["record"]))
    if fmt == "table":
        for r in rows:
            r["record"] = ids.short(r["record"])
    emit(rows, fmt)


@click.group()
def doc():
    """Documents attached to records (copied into the repository)."""


@doc.command("attach")
@click.argument("id")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--name", help="File name to store it under (default: the file's own name).")
def doc_attach(id, file, name):
    """Copy FILE into the repository and attach it to record ID."""
    from solarcli import crm

    rec, d = crm.attach_document(get_repo(), id, file, name=name)
    info(f"{rec.label}: attached {d['name']} ({d['size']} bytes)")
    click.echo(d["path"])


@doc.command("list")
@click.argument("id")
@format_option
def doc_list(id, fmt):
    """List the documents of a record."""
    rec = get_repo().load(id)
    emit([{"name": d.get("name"), "size": d.get("size"), "sha256": d.get("sha256"), "at": d.get("at"),
           "by": d.get("by"), "path": d.get("path")} for d in rec.data.get("documents") or []], fmt)


@doc.command("get")
@click.argument("id")
@click.argument("name")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write here (default: stdout).")
def doc_get(id, name, output):
    """Write a document of a record to a file or stdout."""
    from solarcli import crm

    rec, d, full = crm.find_document(get_repo(), id, name)
    data = full.read_bytes()
    if output:
        from solarcli.storage.yamlio import atomic_write

        atomic_write(output, data)
        info(f"{rec.label}: wrote {name} to {output}")
    else:
        click.get_binary_stream("stdout").write(data)
