"""``solar template list|export|vars``: the proposal templates and their variables."""
from __future__ import annotations

from pathlib import Path

import click

from solarcli.commands._common import emit, format_option, info

__all__ = ["template"]


def _renderer():
    """Templates of the current records repository if there is one, else built-ins only."""
    from solarcli.errors import RepoNotFoundError
    from solarcli.proposals.render import Renderer
    from solarcli.commands._common import get_repo

    try:
        return Renderer(get_repo().root), True
    except RepoNotFoundError:
        return Renderer(None), False


@click.group()
def template():
    """Proposal templates: list, export a built-in to customise, document the variables."""


@template.command("list")
@format_option
def template_list(fmt):
    """Templates and translation catalogues: built-in, or from the repository's templates/."""
    r, _ = _renderer()
    rows = r.list_templates()
    for row in rows:
        row["overrides"] = "builtin" if row["overrides"] else ""
    emit(rows, fmt, ["name", "source", "overrides", "path"] if fmt != "table" else ["name", "source", "overrides"])


@template.command("export")
@click.argument("name")
@click.argument("directory", metavar="[DIR]", required=False, type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def template_export(name, directory, force):
    """Copy a built-in template (or i18n/<lang>.yaml) to DIR (default: the repository's
    templates/) to start a customised one; prints the path."""
    from solarcli.errors import ConflictError, NotFoundError, UsageError
    from solarcli.proposals.render import BUILTIN_PREFIX, Renderer, builtin_dir
    from solarcli.storage.yamlio import atomic_write

    root = builtin_dir()
    rel = name[len(BUILTIN_PREFIX) + 1:] if name.startswith(BUILTIN_PREFIX + "/") else name
    candidates = [rel] if "." in Path(rel).name else [rel + ".html.j2", rel]
    src = next((root / c for c in candidates if (root / c).is_file()), None)
    names = [row["name"] for row in Renderer(None).list_templates()]
    if src is None or ".." in Path(rel).parts:
        raise NotFoundError(f"no built-in template {name!r}; built-ins: {', '.join(names)}")
    if directory is None:
        r, in_repo = _renderer()
        if not in_repo:
            raise UsageError("no records repository here: pass a DIR to export to")
        dest_dir = r.repo_templates
    else:
        dest_dir = Path(directory)
    dest = dest_dir / src.relative_to(root)
    if dest.exists() and not force:
        raise ConflictError(f"{dest} exists; pass --force to overwrite")
    dest.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(dest, src.read_bytes())
    info(f"exported {src.relative_to(root).as_posix()}; it now overrides the built-in. Edit it, then commit "
         f"it with git when it is ready (solar does not commit it)")
    click.echo(str(dest))


@template.command("vars")
@format_option
def template_vars(fmt):
    """The documented variable catalogue (and the formatting filters)."""
    from solarcli.proposals.catalogue import FILTERS, VARIABLES

    rows = [{"name": n, "type": t, "description": d} for n, t, d in VARIABLES]
    rows += [{"name": f"|{n}", "type": "filter", "description": d} for n, d in FILTERS]
    emit(rows, fmt, ["name", "type", "description"])
