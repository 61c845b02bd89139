"""Verbs every record kind shares (list, show, set, edit, rm) and the pipeline verbs of
leads and projects (stage, assign, board). Each kind's module calls these factories on
its own group so the behaviour is written once."""
from __future__ import annotations

import os

import click

from solarcli import ids
from solarcli.commands._common import (LIST_COLUMNS, columns_option, emit, format_option, get_repo, info,
                                       list_filters, parse_assignments, query_from_options, shorten_ids)


def add_common_verbs(group: click.Group, kind: str) -> None:
    @group.command("list")
    @list_filters(kind)
    @columns_option(kind)
    @format_option
    def list_cmd(fmt, columns, **opts):
        rows = query_from_options(get_repo(), kind, opts)
        cols = columns or (LIST_COLUMNS[kind] if fmt == "table" else None)
        if fmt != "table" and not columns:
            cols = None
        emit(shorten_ids(rows, fmt), fmt, cols)
        if fmt == "table" and not rows:
            info(f"no {kind}s match")

    list_cmd.help = f"List {kind}s, filtered and sorted (from the index; fast)."

    @group.command("show")
    @click.argument("id")
    @format_option
    def show_cmd(id, fmt):
        show_record(id, kind, fmt)

    show_cmd.help = f"Show one {kind} with its notes, activities, documents and stage history."

    @group.command("set")
    @click.argument("id")
    @click.argument("assignments", nargs=-1, required=True, metavar="FIELD=VALUE...")
    def set_cmd(id, assignments):
        from solarcli import crm

        rec = crm.set_fields(get_repo(), id, parse_assignments(assignments), kind)
        info(f"{rec.label}: updated")

    set_cmd.help = (f"Set fields of a {kind}: FIELD=VALUE (dotted paths like site.address.city=Berlin; "
                    "lists comma-separated; empty value clears; custom.NAME=VALUE for custom fields).")

    @group.command("edit")
    @click.argument("id")
    def edit_cmd(id):
        edit_record(id, kind)

    edit_cmd.help = f"Open a {kind}'s YAML file in $EDITOR; the result is validated before it is saved."

    @group.command("rm")
    @click.argument("id")
    @click.option("--force", is_flag=True, help="Also clear the links other records have to it.")
    def rm_cmd(id, force):
        from solarcli import crm

        rec, cleared = crm.remove(get_repo(), id, kind, force=force)
        info(f"{rec.label}: removed" + (f"; links cleared in {', '.join(cleared)}" if cleared else ""))

    rm_cmd.help = f"Remove a {kind} (refused while other records link to it, unless --force)."


def add_pipeline_verbs(group: click.Group, kind: str) -> None:
    @group.command("stage")
    @click.argument("id")
    @click.argument("stage")
    @click.option("--reason", metavar="TEXT", help="Why (required for stages such as lost).")
    def stage_cmd(id, stage, reason):
        from solarcli import crm

        rec = crm.change_stage(get_repo(), id, stage, kind, reason=reason)
        info(f"{rec.label}: stage {rec.data.get('stage')}")

    stage_cmd.help = f"Move a {kind} to another stage of its pipeline (solar.yaml), recorded in its stage history."

    @group.command("assign")
    @click.argument("id")
    @click.argument("who")
    def assign_cmd(id, who):
        from solarcli import crm

        rec = crm.assign(get_repo(), id, who, kind)
        info(f"{rec.label}: assigned to {rec.data.get('assignee')}")

    assign_cmd.help = f"Assign a {kind} to WHO: user:NAME, team:NAME or partner:NAME (from solar.yaml)."

    @group.command("board")
    @list_filters(kind)
    @click.option("--per-stage", type=click.IntRange(min=1), default=20, show_default=True,
                  help="Cards shown per column.")
    @click.option("--all-stages", is_flag=True, help="Also show terminal stages (converted, lost, ...).")
    @format_option
    def board_cmd(per_stage, all_stages, fmt, **opts):
        repo = get_repo()
        rows = query_from_options(repo, kind, opts)
        stages = repo.config.stages(kind)
        if not all_stages and not opts.get("stages"):
            terminal = set(repo.config.terminal_stages(kind))
            stages = [s for s in stages if s not in terminal]
        elif opts.get("stages"):
            stages = [s for s in stages if s in opts["stages"]]
        columns = {s: [r for r in rows if r["stage"] == s] for s in stages}
        if fmt != "table":
            emit({s: [{k: r.get(k) for k in ("id", "name", "contact_name", "assignee", "value")} for r in col]
                  for s, col in columns.items()}, fmt)
            return
        click.echo(render_board(columns, per_stage), nl=False)

    board_cmd.help = f"Kanban view of {kind}s: one column per stage."


def render_board(columns: dict[str, list[dict]], per_stage: int) -> str:
    from tabulate import tabulate

    width = max(16, min(30, (_term_width() - 2 * len(columns)) // max(1, len(columns))))

    def card(r):
        text = f"{ids.short(r['id'])} {r.get('name') or ''}"
        if r.get("assignee"):
            text += f" @{str(r['assignee']).split(':', 1)[-1]}"
        return text if len(text) <= width else text[: width - 1] + "…"

    cols = []
    for stage, rows in columns.items():
        cells = [card(r) for r in rows[:per_stage]]
        if len(rows) > per_stage:
            cells.append(f"… {len(rows) - per_stage} more")
        cols.append(cells)
    height = max((len(c) for c in cols), default=0)
    body = [[c[i] if i < len(c) else "" for c in cols] for i in range(height)]
    headers = [f"{s} ({len(r)})" for s, r in columns.items()]
    return tabulate(body, headers=headers, tablefmt="simple") + "\n"


def _term_width() -> int:
    try:
        return os.get_terminal_size().columns
    except OSError:
        return 120


def show_record(ref: str, kind: str | None, fmt: str, at: str | None = None) -> None:
    from solarcli import crm

    repo = get_repo()
    rec = repo.load(ref, kind) if at is None else load_at(repo, ref, kind, at)
    data = crm.view(repo, rec)
    if fmt != "table":
        emit(data, fmt)
        return
    click.echo(format_record(data), nl=False)


def load_at(repo, ref, kind, rev):
    """A record as it was at git revision ``rev`` (``solar show ID --at REV``)."""
    from solarcli import records
    from solarcli.errors import NotFoundError
    from solarcli.repo import Record
    from solarcli.storage import gitio, yamlio

    rid, k = repo.resolve(ref, kind)
    rel = records.record_path(k, rid)
    out = gitio.run(repo.root, "show", f"{rev}:{rel}", check=False)
    if not out:  # before 'solar migrate' the file had no shard folder
        out = gitio.run(repo.root, "show", f"{rev}:{records.flat_path(k, rid)}", check=False)
    if not out:
        raise NotFoundError(f"{k} {ids.short(rid)} did not exist at {rev!r} (or {rev!r} is not a revision)")
    return Record(k, yamlio.loads_roundtrip(out, name=f"{rel}@{rev}"), rel)


def format_record(data: dict) -> str:
    """Human view: header, fields (dotted), then the timeline."""
    from solarcli.output import cell

    lines = [f"{data['kind']} {data['id']}  {data.get('name') or ''}".rstrip()]
    skip = {"id", "kind", "name", "notes", "activities", "documents", "stage_history", "timeline", "email", "phone"}

    def walk(prefix, value):
        if isinstance(value, dict) and value:
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            lines.append(f"  {prefix:<24} ({len(value)} entries)")
        elif value not in (None, "", [], {}):
            lines.append(f"  {prefix:<24} {cell(value)}")

    for k, v in data.items():
        if k not in skip:
            walk(k, v)
    tl = data.get("timeline") or []
    if tl:
        lines.append("timeline:")
        for e in tl:
            mark = ""
            if e["what"] == "activity":
                mark = "[x] " if e.get("done") else "[ ] "
            origin = f" (on {e['from']})" if e.get("from") else ""
            ident = f" #{e['id']}" if e.get("id") and e["what"] == "activity" else ""
            text = str(e.get("text") or "").replace("\n", "\n" + " " * 33)
            lines.append(f"  {e['at'][:16].replace('T', ' '):<16}  {e['what']:<8} {mark}{text}{ident} — {e.get('by')}{origin}")
    return "\n".join(lines) + "\n"


def edit_record(ref: str, kind: str) -> None:
    """Open the record in $EDITOR on a temporary copy; save only a valid result."""
    import tempfile

    from solarcli import crm, records
    from solarcli.errors import SolarError
    from solarcli.storage import yamlio

    repo = get_repo()
    rec = repo.load(ref, kind)
    full = repo.root / rec.path
    original = full.read_bytes()
    text = original.decode("utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, f"{rec.kind}-{rec.id}.yaml")
        while True:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
            click.edit(filename=path, require_save=False)
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
            if text.encode("utf-8") == original:
                info(f"{rec.label}: no changes")
                return
            try:
                data = yamlio.loads_roundtrip(text, name=rec.path)
                records.validate(rec.kind, data, repo.config, name=rec.label)
                crm.replace_record(repo, rec, data, original)
                info(f"{rec.label}: saved")
                return
            except SolarError as exc:
                info(f"solar: error: {exc.message}")
                try:
                    answer = click.prompt("Re-edit (r) or abort (a)? The file is left untouched on abort",
                                          type=click.Choice(["r", "a"]), default="r", err=True)
                except click.Abort:
                    answer = "a"
                if answer == "a":
                    info(f"{rec.label}: aborted; file left untouched")
                    raise
