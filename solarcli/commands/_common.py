"""What every command shares: the repository from the context, the --format option,
list filters, and output."""
from __future__ import annotations

import click

from solarcli import ids
from solarcli.output import FORMATS, render


def get_repo(ctx: click.Context | None = None):
    """The records repository for this invocation (found once, actor from --as)."""
    from solarcli.repo import Repo

    ctx = ctx or click.get_current_context()
    root = ctx.find_root()
    obj = root.obj if root.obj is not None else {}
    repo = obj.get("_repo")
    if repo is None:
        repo = Repo.find(obj.get("repo_path"))
        from solarcli.sync.setup import ensure_merge_driver

        ensure_merge_driver(repo.root)  # a fresh clone gets the field-level merge driver (cheap check)
        if obj.get("as_user"):
            repo.set_actor(obj["as_user"])
        obj["_repo"] = repo
    repo.command = " ".join(ctx.command_path.split()[1:]) or None
    return repo


def format_option(func=None, *, default: str = "table"):
    """``--format table|json|csv|yaml`` (``-f``)."""

    def deco(f):
        return click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default=default,
                            show_default=True, help="Output format.")(f)

    return deco(func) if func else deco


def emit(data, fmt: str = "table", columns: list[str] | None = None, **kw) -> None:
    text = render(data, fmt, columns, **kw)
    if text:
        click.echo(text, nl=False)


def info(message: str) -> None:
    """A message for the person (stderr), never mixed into data."""
    click.echo(message, err=True)


def parse_numbers(text: str | None, n: int, opt: str) -> list[float] | None:
    """``V1,...,Vn`` from an option (``;`` also separates); None when the option is absent."""
    if text is None:
        return None
    try:
        vals = [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
    except ValueError:
        raise click.BadParameter(f"{text!r}: expected {n} numbers separated by commas", param_hint=opt) from None
    if len(vals) != n:
        raise click.BadParameter(f"{len(vals)} values; expected {n}", param_hint=opt)
    return vals


def parse_assignments(items: tuple[str, ...]) -> list[tuple[str, str]]:
    out = []
    for item in items:
        if "=" not in item:
            raise click.BadParameter(f"{item!r}: expected FIELD=VALUE", param_hint="FIELD=VALUE")
        k, _, v = item.partition("=")
        out.append((k.strip(), v))
    return out


# ------------------------------------------------------------------ list filters
LIST_COLUMNS = {
    "contact": ["id", "name", "type", "email", "phone", "city", "tags"],
    "lead": ["id", "name", "contact_name", "stage", "assignee", "source", "facility", "value"],
    "project": ["id", "name", "contact_name", "stage", "assignee", "type", "facility"],
}


def list_filters(kind: str):
    """The filter options shared by ``list``, ``board`` and ``export`` of one kind."""

    def deco(f):
        opts = [
            click.option("--tag", "tags", multiple=True, help="Only records with this tag (repeatable: all must match)."),
            click.option("--search", "-s", metavar="TEXT", help="Only records containing every word of TEXT (any field, notes too)."),
            click.option("--since", metavar="DATE", help="Created on or after DATE (YYYY-MM-DD)."),
            click.option("--until", metavar="DATE", help="Created on or before DATE (YYYY-MM-DD)."),
        ]
        if kind in ("lead", "project"):
            opts += [
                click.option("--stage", "stages", multiple=True, help="Only these stages (repeatable)."),
                click.option("--assignee", "assignees", multiple=True, metavar="WHO",
                             help="Only assigned to WHO: user:NAME, team:NAME, partner:NAME (repeatable)."),
                click.option("--facility", "facilities", multiple=True,
                             type=click.Choice(["residential", "commercial", "industrial", "agricultural"])),
                click.option("--grid", "grids", multiple=True, type=click.Choice(["on-grid", "zero-injection", "off-grid"])),
                click.option("--contact", "contact_ref", metavar="ID", help="Only records of this contact."),
            ]
        if kind == "lead":
            opts.append(click.option("--source", metavar="SOURCE", help="Only leads from this source."))
        if kind in ("contact", "project"):
            opts.append(click.option("--type", "types", multiple=True,
                                     type=click.Choice(["person", "company"] if kind == "contact" else ["basic", "professional"])))
        opts += [
            click.option("--sort", metavar="COLUMN", help="Sort by a column (prefix - for descending), e.g. -created."),
            click.option("--limit", type=click.IntRange(min=1), help="At most this many records."),
        ]
        for o in reversed(opts):
            f = o(f)
        return f

    return deco


def query_from_options(repo, kind: str, opts: dict) -> list[dict]:
    """Run the index query described by the options of ``list_filters``."""
    from solarcli.timeutil import parse_date

    contact = None
    if opts.get("contact_ref"):
        contact, _ = repo.resolve(opts["contact_ref"], "contact")
    since = parse_date(opts["since"], field="--since").isoformat() if opts.get("since") else None
    until = parse_date(opts["until"], field="--until").isoformat() if opts.get("until") else None
    for s in opts.get("stages") or ():
        repo.config.check_stage(kind, s, where="--")
    assignees = [repo.config.check_assignee(a, where="--", allow_suspended=True) for a in opts.get("assignees") or ()]
    rows = repo.query(kind, stage=opts.get("stages"), assignee=assignees, source=opts.get("source"),
                      facility=opts.get("facilities"), grid=opts.get("grids"), tag=opts.get("tags"),
                      search=opts.get("search"), since=since, until=until, contact=contact,
                      type=opts.get("types"), sort=opts.get("sort"), limit=opts.get("limit"))
    if kind in ("lead", "project"):
        names = repo.index.names(r["contact"] for r in rows)
        for r in rows:
            r["contact_name"] = names.get(r["contact"]) if r["contact"] else None
    return rows


def shorten_ids(rows: list[dict], fmt: str) -> list[dict]:
    """Tables show IDs short (like git); machine formats keep them whole."""
    if fmt != "table":
        return rows
    for r in rows:
        for k in ("id", "contact", "lead", "project"):
            if r.get(k):
                r[k] = ids.short(str(r[k]))
    return rows


def columns_option(kind: str):
    from solarcli.storage.index import COLUMNS

    avail = COLUMNS + (["contact_name"] if kind in ("lead", "project") else [])
    return click.option("--columns", "-c", metavar="COLS",
                        help=f"Comma-separated columns to show (available: {', '.join(avail)}).",
                        callback=lambda ctx, p, v: _check_columns(v, avail))


def _check_columns(value, avail):
    if not value:
        return None
    cols = [c.strip() for c in value.split(",") if c.strip()]
    for c in cols:
        if c not in avail:
            raise click.BadParameter(f"unknown column {c!r}; expected some of {', '.join(avail)}", param_hint="--columns")
    return cols
