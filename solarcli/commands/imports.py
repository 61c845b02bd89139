"""Bulk import and export, duplicates and merging (issue 3).

``solar import columns|list|revert``, ``solar lead import|export``,
``solar contact import|export|dupes|merge``, ``solar project export``.
The work is done by :mod:`solarcli.importing`; these commands parse options,
call it and render the result.
"""
from __future__ import annotations

import sys
from typing import Any

import click

from solarcli.commands._common import (emit, format_option, get_repo, info, list_filters,
                                       query_from_options)
from solarcli.commands.contact import contact
from solarcli.commands.lead import lead
from solarcli.commands.project import project

__all__ = ["import_group"]

FORMATS_IN = ["csv", "xlsx", "json", "ndjson", "vcf"]


@click.group("import")
def import_group():
    """Import batches: inspect a file's column mapping, list and revert imports.

    Importing itself is 'solar lead import FILE' and 'solar contact import FILE'."""


# ------------------------------------------------------------------ shared options

def source_options(f):
    opts = [
        click.option("--from", "fmt_in", type=click.Choice(FORMATS_IN),
                     help="File format (default: from the file name, or sniffed for '-')."),
        click.option("--encoding", metavar="NAME",
                     help="Text encoding of CSV/JSON/vCard files, e.g. cp1252 (default: UTF-8, BOM or not)."),
        click.option("--delimiter", metavar="CHAR",
                     help="CSV delimiter: ',', ';', tab (default: sniffed from the header)."),
        click.option("--sheet", metavar="NAME", help="XLSX sheet name or number (default: the first)."),
        click.option("--preset", metavar="NAME",
                     help="Column layout of a CRM export: hubspot, salesforce, salesforce-dataloader, "
                          "pipedrive, zoho, google; 'none' to switch off detection (default: detected)."),
        click.option("--map", "maps", multiple=True, metavar="COLUMN=FIELD|FILE.yaml",
                     help="Map a column to a field (repeatable), or read a YAML map file; FIELD '-' ignores "
                          "the column."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def _open(file: str, fmt_in, encoding, delimiter, sheet):
    from solarcli.importing.readers import open_source

    return open_source(file, fmt=fmt_in, encoding=encoding, sheet=sheet, delimiter=delimiter,
                       stdin=getattr(sys.stdin, "buffer", sys.stdin))


def _mapping(src, kind: str, preset, maps):
    from solarcli.importing.mapping import build_mapping, parse_map_options

    overrides, values = parse_map_options(maps)
    auto = preset != "none" and src.format != "vcf"
    return build_mapping(src.headers, kind, preset=None if preset in (None, "none") else preset,
                         overrides=overrides, value_maps=values, auto_preset=auto)


class _Progress:
    """A progress bar on stderr only when stderr is a terminal (silence in CI).
    With an unknown total (rows of a file being read) it counts rows instead."""

    def __init__(self, label: str, total: int | None):
        self.bar = None
        self.stream = sys.stderr
        self.label = label
        self.counting = False
        if self.stream.isatty():
            if total:
                self.bar = click.progressbar(length=total, label=label, file=self.stream)
                self.bar.__enter__()
            else:
                self.counting = True
        self.last = 0

    def __call__(self, n: int) -> None:
        if self.counting:
            if n % 1000 == 0:
                self.stream.write(f"\r{self.label}: {n} rows")
                self.stream.flush()
            self.last = n
            return
        if self.bar is not None:
            self.bar.update(n - self.last)
            self.last = n

    def close(self) -> None:
        if self.counting and self.last >= 1000:
            self.stream.write(f"\r{self.label}: {self.last} rows\n")
            self.stream.flush()
        self.counting = False
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None




# ------------------------------------------------------------------ import

def _import_command(group: click.Group, kind: str) -> None:
    @group.command("import")
    @click.argument("file")
    @source_options
    @click.option("--mode", type=click.Choice(["create", "upsert", "update"]), default="upsert",
                  show_default=True,
                  help="create: only new records; update: only existing ones (others rejected); upsert: both.")
    @click.option("--key", "keys", metavar="KEYS", default="id,external_id,email,phone", show_default=True,
                  help="How rows find their contact, tried in order (comma-separated subset).")
    @click.option("--dry-run", is_flag=True, help="Report what would happen; write nothing.")
    @click.option("--on-error", type=click.Choice(["abort", "skip"]), default="abort", show_default=True,
                  help="abort: any rejected row stops the import (exit 4, nothing written); "
                       "skip: import the good rows, exit 6.")
    @click.option("--errors-out", type=click.Path(dir_okay=False, writable=True), metavar="FILE.csv",
                  help="Write rejected rows (original cells + row, column, reason) to this CSV file.")
    @click.option("--format", "-f", "fmt", type=click.Choice(["table", "json"]), default="table",
                  show_default=True, help="Output format of the report.")
    def import_cmd(file, fmt_in, encoding, delimiter, sheet, preset, maps, mode, keys, dry_run,
                   on_error, errors_out, fmt):
        run_import(kind, file, fmt_in=fmt_in, encoding=encoding, delimiter=delimiter, sheet=sheet,
                   preset=preset, maps=maps, mode=mode, keys=keys, dry_run=dry_run,
                   on_error=on_error, errors_out=errors_out, fmt=fmt)

    import_cmd.help = (
        f"Import {kind}s from FILE (CSV, XLSX, JSON, NDJSON{', vCard' if kind == 'contact' else ''}; "
        f"'-' reads stdin).\n\nColumns are mapped from their headers (see 'solar import columns'); "
        f"unknown columns become custom fields. "
        + ("Each row creates or matches its contact (by e-mail, phone or external ID) and a lead. "
           if kind == "lead" else "")
        + "Re-importing the same file changes nothing. One import = one commit with a batch ID "
          "('solar import list', 'solar import revert')."
    )


def run_import(kind: str, file: str, *, fmt_in=None, encoding=None, delimiter=None, sheet=None,
               preset=None, maps=(), mode="upsert", keys="id,external_id,email,phone",
               dry_run=False, on_error="abort", errors_out=None, fmt="table") -> None:
    from solarcli.errors import PartialImportError, UsageError, ValidationError
    from solarcli.importing.apply import new_batch_id, write_plan
    from solarcli.importing.existing import IndexRecords
    from solarcli.importing.planner import CONTACT_KEYS, Planner, Settings
    from solarcli.output import to_json
    from solarcli.timeutil import now_iso

    key_list = [k.strip().replace("-", "_") for k in keys.split(",") if k.strip()]
    bad = [k for k in key_list if k not in CONTACT_KEYS]
    if bad or not key_list:
        raise UsageError(f"--key: unknown key(s) {', '.join(bad) or '(none)'}; expected some of "
                         f"{', '.join(CONTACT_KEYS)}")
    repo = get_repo()
    src = _open(file, fmt_in, encoding, delimiter, sheet)
    if src.format == "vcf" and kind != "contact":
        raise UsageError("vCard files hold contacts: use 'solar contact import'")
    if not src.headers:
        raise ValidationError(f"{file}: no header row found")
    mapping = _mapping(src, kind, preset, maps)
    batch = new_batch_id()
    settings = Settings.from_config(repo.config, by=repo.actor_id, now=now_iso())

    def make_plan():
        existing = IndexRecords(repo, ("contact", "lead") if kind == "lead" else ("contact",))
        planner = Planner(mapping, settings, mode=mode, keys=key_list, batch=batch, existing=existing)
        prog = _Progress(f"reading {file}", None)
        try:
            return planner.run(src.rows(), progress=prog)
        finally:
            prog.close()

    class _Abort(Exception):
        pass

    commit = None
    if dry_run:
        plan = make_plan()
    else:
        # plan under the repository lock: a concurrent import cannot slip in between
        try:
            with repo.transaction() as tx:
                plan = make_plan()
                if plan.rejected and on_error == "abort":
                    raise _Abort
                if plan.has_changes:
                    prog = _Progress("writing", len(plan.changes))
                    try:
                        write_plan(tx, plan, batch=batch, source=_source_name(file), progress=prog)
                    finally:
                        prog.close()
            commit = tx.commit_sha
        except _Abort:
            pass
    rejected = plan.rejected
    if errors_out and rejected:
        _write_errors(errors_out, src.headers, rejected)
    counts = plan.counts()
    summary: dict[str, Any] = {
        "file": file, "kind": kind, "format": src.format, "preset": mapping.preset,
        "mode": mode, "dry_run": dry_run, "batch": batch if commit else None,
        "commit": commit, "counts": counts,
        "errors": [{"row": r.row, "column": e.column, "value": e.value, "reason": e.reason}
                   for r in rejected for e in r.errors],
    }
    if dry_run:
        summary["rows"] = [r.as_dict() for r in plan.rows]
        summary["changes"] = [{"kind": c.kind, "id": c.id, "op": c.op,
                               "fields": c.fields() if c.op == "update" else None, "rows": c.rows}
                              for c in plan.changes]
    if fmt == "json":
        click.echo(to_json(summary))
    else:
        _print_report(summary, plan, dry_run, written=bool(commit) or not plan.has_changes)
    if rejected:
        n = len(rejected)
        if on_error == "abort":
            raise ValidationError(
                f"{file}: {n} row(s) rejected; nothing was imported" + (" (dry run)" if dry_run else ""),
                hint="fix them, or pass --on-error skip to import the other rows"
                     + (f"; rejected rows written to {errors_out}" if errors_out else ""))
        raise PartialImportError(
            f"{file}: {n} row(s) rejected, the other rows were "
            + ("checked (dry run)" if dry_run else (f"imported (batch {batch})" if commit else "already up to date"))
            + (f"; rejected rows written to {errors_out}" if errors_out else ""))
    if dry_run:
        info("dry run: nothing was written")
    elif commit:
        info(f"imported {file}: batch {batch}, commit {commit[:10]}")
    else:
        info(f"{file}: nothing to change (already imported)")


def _source_name(file: str) -> str:
    from pathlib import Path

    return "stdin" if file == "-" else Path(file).name


def _print_report(summary: dict, plan, dry_run: bool, written: bool = True) -> None:
    from solarcli.output import render

    rows = []
    label = "records" if written and not dry_run else "records (not written)"
    for kind, c in summary["counts"]["records"].items():
        rows.append({label: kind + "s", "created": c["created"], "updated": c["updated"],
                     "unchanged": c["unchanged"]})
    click.echo(render(rows, "table"), nl=False)
    r = summary["counts"]["rows"]
    click.echo(f"rows: {r['created']} created, {r['updated']} updated, {r['unchanged']} unchanged, "
               f"{r['rejected']} rejected" + (f"; batch {summary['batch']}" if summary["batch"] else ""))
    if dry_run:
        lines = []
        for res in plan.rows:
            what = []
            if res.contact:
                what.append(f"contact {res.contact[:7]} {res.contact_op}")
            if res.lead:
                what.append(f"lead {res.lead[:7]} {res.lead_op}")
            detail = "; ".join(what)
            if res.errors:
                detail = "; ".join(f"{e.column or '-'}: {e.value!r}: {e.reason}" for e in res.errors)
            lines.append({"row": res.row, "status": res.status, "detail": detail})
        if lines:
            click.echo("")
            click.echo(render(lines, "table"), nl=False)
    elif summary["errors"]:
        click.echo("")
        click.echo(render(summary["errors"], "table"), nl=False)


def _write_errors(path: str, headers: list[str], rejected) -> None:
    import csv

    extra = [h for r in rejected for h in (r.raw or {}) if h not in headers]
    cols = list(headers) + [h for h in dict.fromkeys(extra)]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(cols + ["row", "column", "reason"])
        for r in rejected:
            from solarcli.importing.values import text

            raw = r.raw or {}
            w.writerow([text(raw.get(h)) for h in cols]
                       + [r.row, "; ".join(e.column for e in r.errors if e.column),
                          "; ".join(e.reason for e in r.errors)])


_import_command(lead, "lead")
_import_command(contact, "contact")


# ------------------------------------------------------------------ import columns / list / revert

@import_group.command("columns")
@click.argument("file")
@click.option("--kind", type=click.Choice(["lead", "contact"]), default="lead", show_default=True,
              help="Map for 'solar lead import' or 'solar contact import'.")
@source_options
@format_option
def columns_cmd(file, kind, fmt_in, encoding, delimiter, sheet, preset, maps, fmt):
    """Show how the columns of FILE map to fields (with a sample value of each)."""
    from solarcli.importing.values import is_blank, text

    src = _open(file, fmt_in, encoding, delimiter, sheet)
    mapping = _mapping(src, kind, preset, maps)
    samples: dict[str, str] = {}
    for n, (_, row) in enumerate(src.rows()):
        for h in src.headers:
            if h not in samples and not is_blank(row.get(h)):
                samples[h] = text(row.get(h)).replace("\n", " ")[:40]
        if n >= 200 or len(samples) == len(src.headers):
            break
    rows = [{"column": c.header, "field": c.target, "how": c.how, "sample": samples.get(c.header, "")}
            for c in mapping.columns]
    if fmt == "table":
        info(f"{file}: {src.format}"
             + (f", delimiter {src.delimiter!r}" if src.delimiter else "")
             + (f", encoding {src.encoding}" if src.encoding and src.format == "csv" else "")
             + (f", sheet {src.sheet!r}" if src.sheet else "")
             + (f"; preset {mapping.preset}" + (" (detected)" if mapping.preset_detected else "")
                if mapping.preset else "; no preset"))
    emit(rows, fmt)


@import_group.command("list")
@format_option
def list_cmd(fmt):
    """List past imports (batches), newest first."""
    from solarcli.importing.apply import list_batches

    repo = get_repo()
    rows = [b.as_dict() for b in list_batches(repo)]
    if fmt == "table":
        rows = [{"batch": r["batch"], "date": r["date"], "author": r["author"], "kind": r["kind"],
                 "file": r["file"], "records": r["records"],
                 "reverted": "yes" if r["reverted"] else ""} for r in rows]
        if not rows:
            info("no imports yet")
    emit(rows, fmt)


@import_group.command("revert")
@click.argument("batch")
@click.option("--dry-run", is_flag=True, help="Show what would be removed and restored; write nothing.")
@format_option
def revert_cmd(batch, dry_run, fmt):
    """Undo one import in one commit: records it created are removed, records it changed
    get their earlier content back. Refused when any of them was changed since."""
    from solarcli.importing.apply import plan_revert, revert_batch

    repo = get_repo()
    rp = plan_revert(repo, batch)
    if dry_run or fmt != "table":
        d = rp.as_dict()
        if fmt == "table":
            rows = [{"action": "remove", "path": p} for p in rp.delete] + \
                   [{"action": "restore", "path": p} for p, _ in rp.restore] + \
                   [{"action": "blocked", "path": b} for b in rp.blocked]
            emit(rows, "table")
        elif dry_run:
            emit(d, fmt)
    if dry_run:
        info("dry run: nothing was written")
        return
    sha = revert_batch(repo, rp)
    if fmt != "table":
        emit({"batch": rp.batch.batch, "commit": sha, "removed": rp.delete,
              "restored": [p for p, _ in rp.restore]}, fmt)
    info(f"reverted {rp.batch.batch}: {len(rp.delete)} record(s) removed, {len(rp.restore)} restored"
         + (f", commit {sha[:10]}" if sha else ""))


# ------------------------------------------------------------------ export

def _export_command(group: click.Group, kind: str) -> None:
    choices = ["csv", "xlsx", "json"] + (["vcf"] if kind == "contact" else [])

    @group.command("export")
    @list_filters(kind)
    @click.option("--to", "to", type=click.Choice(choices), default="csv", show_default=True,
                  help="Output format.")
    @click.option("-o", "--output", metavar="FILE", help="Write to FILE (default: stdout; xlsx needs -o).")
    @click.option("--raw", is_flag=True,
                  help="Do not neutralise cells that a spreadsheet would run as a formula.")
    def export_cmd(to, output, raw, **opts):
        run_export(kind, to, output, raw, opts)

    export_cmd.help = (f"Export {kind}s (same filters as 'solar {kind} list') as "
                       f"{', '.join(choices)}. Lead and contact exports import back losslessly.")


def run_export(kind: str, to: str, output: str | None, raw: bool, opts: dict) -> None:
    """Stream the export: records are read from the index a chunk at a time and each row
    is written as it is made (a first pass over only the custom fields gives the columns)."""
    repo = get_repo()
    repo.recover()
    repo.index.refresh()
    db = repo.index.db
    db.execute("BEGIN")  # one read snapshot for the query and every pass over the records
    try:
        _export(repo, db, kind, to, output, raw, opts)
    finally:
        db.execute("COMMIT")


def _export(repo, db, kind: str, to: str, output: str | None, raw: bool, opts: dict) -> None:
    import io

    from solarcli.errors import UsageError
    from solarcli.importing import export as X

    wanted = [r["id"] for r in query_from_options(repo, kind, opts)]
    if to == "xlsx" and (not output or output == "-") and sys.stdout.isatty():
        raise UsageError("--to xlsx writes a binary file: pass -o FILE.xlsx")
    cols = None if to == "vcf" else X.columns_for(kind, _custom_keys(db, kind, wanted))
    if to == "vcf":
        records = (rec for rec, _ in _export_records(db, kind, wanted, with_contacts=False))
    else:
        fn = {"contact": lambda r, _: X.contact_row(r), "lead": X.lead_row, "project": X.project_row}[kind]
        records = None
        out_rows = (fn(rec, contact) for rec, contact in
                    _export_records(db, kind, wanted, with_contacts=kind != "contact"))
    if to == "xlsx":
        if output and output != "-":
            n = X.write_xlsx(output, cols, out_rows, raw=raw, title=kind + "s")
        else:
            buf = io.BytesIO()
            n = X.write_xlsx(buf, cols, out_rows, raw=raw, title=kind + "s")
            out = getattr(sys.stdout, "buffer", None)
            if out is None:
                raise UsageError("--to xlsx writes a binary file: pass -o FILE.xlsx")
            out.write(buf.getvalue())
            out.flush()
        info(f"exported {n} {kind}(s)" + (f" to {output}" if output else ""))
        return

    def write(fh) -> int:
        if to == "vcf":
            return X.write_vcf(fh, records)
        if to == "json":
            return X.write_json(fh, cols, out_rows)
        return X.write_csv(fh, cols, out_rows, raw=raw)

    if output and output != "-":
        with open(output, "w", encoding="utf-8", newline="") as fh:
            n = write(fh)
        info(f"exported {n} {kind}(s) to {output}")
    else:
        echo = _EchoWriter()
        write(echo)
        echo.flush()


EXPORT_CHUNK = 500  # records read from the index per query


class _EchoWriter:
    """A text file for the export writers that passes what they write to ``click.echo``
    (as the whole text was before), about 64 KB at a time and only between writes."""

    LIMIT = 1 << 16

    def __init__(self):
        self.parts: list[str] = []
        self.size = 0

    def write(self, s: str) -> int:
        self.parts.append(s)
        self.size += len(s)
        if self.size >= self.LIMIT:
            self.flush()
        return len(s)

    def flush(self) -> None:
        if self.parts:
            click.echo("".join(self.parts), nl=False)
            self.parts.clear()
            self.size = 0


def _export_records(db, kind: str, wanted: list[str], *, with_contacts: bool):
    """(record, its contact or None) for the IDs in ``wanted``, in that order, read from the
    index a chunk at a time (the record's contact: the one its ``contact`` field names)."""
    import json

    from solarcli.importing.existing import fetch

    chunk = EXPORT_CHUNK
    for n in range(0, len(wanted), chunk):
        part = wanted[n:n + chunk]
        data = {}
        for _, text in fetch(db, kind, dict.fromkeys(part), chunk=chunk):
            d = json.loads(text)
            if d.get("id") is not None:
                data[d["id"]] = d
        contacts: dict = {}
        if with_contacts:
            need = {d.get("contact") for d in data.values() if d.get("contact")}
            for _, text in fetch(db, "contact", need, chunk=chunk):
                c = json.loads(text)
                if c.get("id") in need:
                    contacts[c["id"]] = c
        for i in part:
            if i in data:
                rec = data[i]
                yield rec, contacts.get(rec.get("contact")) if with_contacts else None


def _custom_keys(db, kind: str, wanted: list[str]):
    """Rows holding only the custom-field columns of the export (all that ``columns_for``
    adds to the fixed columns), read without loading whole records."""
    import json

    from solarcli.importing.existing import fetch

    expr = "json_extract(data, '$.custom', '$.contact')"  # several paths: always a JSON array
    chunk = EXPORT_CHUNK
    for n in range(0, len(wanted), chunk):
        part = wanted[n:n + chunk]
        found: dict[str, None] = {}
        contacts: set = set()
        for _, text in fetch(db, kind, dict.fromkeys(part), chunk=chunk, expr=expr):
            custom, contact = json.loads(text)
            for k in (custom or {}).keys():
                found[f"custom.{k}"] = None
            if contact:
                contacts.add(contact)
        if kind == "lead":
            for _, text in fetch(db, "contact", contacts, chunk=chunk,
                                 expr="json_extract(data, '$.custom', '$.id')"):
                custom, cid = json.loads(text)
                if cid in contacts:
                    for k in (custom or {}).keys():
                        found[f"contact.custom.{k}"] = None
        yield found


_export_command(lead, "lead")
_export_command(contact, "contact")
_export_command(project, "project")


# ------------------------------------------------------------------ dupes / merge

@contact.command("dupes")
@format_option
def dupes_cmd(fmt):
    """List clusters of likely duplicate contacts: the same e-mail or phone, or a very
    similar name at the same address. Merge them with 'solar contact merge KEEP OTHER'."""
    from solarcli.importing.dupes import find_dupes

    repo = get_repo()
    contacts = list(repo.iter_records("contact"))
    by_id = {c["id"]: c for c in contacts}
    clusters = find_dupes(contacts)
    rows = []
    for cl in clusters:
        for cid in cl["ids"]:
            c = by_id[cid]
            rows.append({
                "cluster": cl["cluster"], "id": cid if fmt != "table" else cid[:7],
                "name": c.get("name"), "email": (c.get("emails") or [None])[0],
                "phone": (c.get("phones") or [None])[0],
                "city": (c.get("address") or {}).get("city"),
                "created": c.get("created"), "reasons": ", ".join(cl["reasons"]) if fmt == "table" else cl["reasons"],
            })
    if fmt == "table" and not rows:
        info("no likely duplicates")
        return
    emit(rows, fmt)
    if fmt == "table":
        info(f"{len(clusters)} cluster(s); merge with 'solar contact merge KEEP OTHER'")


@contact.command("merge")
@click.argument("keep")
@click.argument("other")
@click.option("--prefer", type=click.Choice(["keep", "other"]), default="keep", show_default=True,
              help="Whose value wins when both contacts have a different one.")
@click.option("--dry-run", is_flag=True, help="Show what would happen; write nothing.")
@format_option
def merge_cmd(keep, other, prefer, dry_run, fmt):
    """Merge contact OTHER into KEEP: its leads, projects, notes, activities and documents
    move to KEEP, KEEP's empty fields are filled from OTHER, OTHER is removed; one commit."""
    from solarcli.importing.dupes import merge_contacts, plan_merge
    from solarcli.output import plain

    repo = get_repo()
    k = repo.load(keep, "contact")
    o = repo.load(other, "contact")
    linked = repo.links_to(o.id)
    mp = plan_merge(plain(k.data), plain(o.data), linked, prefer=prefer)
    if not dry_run:
        mp_sha = merge_contacts(repo, mp)
    else:
        mp_sha = None
    d = mp.as_dict()
    d["dry_run"] = dry_run
    d["commit"] = mp_sha
    if fmt == "table":
        lines = [{"what": "moved", "detail": f"{m['kind']} {m['id'][:7]}"} for m in mp.moved]
        lines += [{"what": "filled", "detail": f"{f} = {v}"} for f, v in mp.fills]
        lines += [{"what": "conflict", "detail": f"{c['field']}: keep {c['keep']!r}, other {c['other']!r} "
                                                 f"-> {c['chosen']!r}"} for c in mp.conflicts]
        if mp.notes:
            lines.append({"what": "notes", "detail": f"{mp.notes} moved"})
        if mp.activities:
            lines.append({"what": "activities", "detail": f"{mp.activities} moved"})
        lines += [{"what": "document", "detail": f"{a} -> {b}"} for a, b in mp.documents]
        lines.append({"what": "removed" if not dry_run else "would remove", "detail": f"contact {mp.other[:7]}"})
        emit(lines, "table")
    else:
        emit(d, fmt)
    if dry_run:
        info("dry run: nothing was written")
    else:
        info(f"merged contact {mp.other[:7]} into {mp.keep[:7]}")
