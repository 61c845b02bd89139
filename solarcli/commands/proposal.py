"""``solar project proposal`` and ``solar proposal list|show|mark``: customer-ready
proposals rendered from templates, stored and tracked in the records repository."""
from __future__ import annotations

import click

from solarcli.commands._common import emit, format_option, get_repo, info
from solarcli.commands.project import project

__all__ = ["proposal"]

LIST_COLUMNS = ["id", "number", "project", "date", "valid_until", "status", "language", "format", "total",
                "currency"]
LIST_KEYS = ["id", "number", "project", "version", "date", "valid_until", "status", "language", "format",
             "template", "design", "total", "currency", "path"]


@project.command("proposal")
@click.argument("project_ref", metavar="ID")
@click.option("--design", "design", metavar="D", help="Design name (default: the project's current design).")
@click.option("--template", "template", metavar="NAME",
              help="Template name or file (default: offer.template, or proposal-off-grid for off-grid projects).")
@click.option("--lang", "lang", metavar="LANG", help="Language: en, de, tr, ... (default: offer.language, else the locale's).")
@click.option("--to", "fmt", type=click.Choice(["html", "pdf", "md"]), default="html", show_default=True,
              help="Output format.")
@click.option("-o", "--output", "output", metavar="PATH", type=click.Path(dir_okay=True, writable=True),
              help="Write only this file (no proposal record, no commit).")
def project_proposal(project_ref, design, template, lang, fmt, output):
    """Render a proposal for a project and print the path of the document.

    Without -o the document is stored under documents/<project>/proposals/ together with a
    new proposal record (next version), in one commit.
    """
    from solarcli.proposals import service

    repo = get_repo()
    result = service.generate(repo, project_ref, design=design, template=template, lang=lang, fmt=fmt,
                              output=output)
    for w in result.warnings:
        info(f"solar: {w}")
    if result.record is not None:
        info(f"proposal {result.number} ({str(result.record.get('id'))[:7]}) created")
    click.echo(str(result.path))


@click.group()
def proposal():
    """Proposals: list, show (expired, stale), mark sent/accepted/rejected."""


@proposal.command("list")
@click.argument("project_ref", metavar="[PROJECT]", required=False)
@format_option
def proposal_list(project_ref, fmt):
    """List proposals (of one project); status shows 'expired' past the validity date."""
    from solarcli.proposals import service

    repo = get_repo()
    rows = service.listing(repo, project_ref)
    if fmt == "table":
        rows = [dict(r, id=str(r["id"])[:7], project=str(r["project"])[:7]) for r in rows]
        emit(rows, fmt, LIST_COLUMNS)
    else:
        emit(rows, fmt, LIST_KEYS)


@proposal.command("show")
@click.argument("ref", metavar="ID")
@format_option
def proposal_show(ref, fmt):
    """Show a proposal (by ID prefix or number); reports stale when an accepted proposal's
    design, BOM, tariff or other inputs changed since."""
    from solarcli.proposals import service

    repo = get_repo()
    data = service.show(repo, ref)
    if fmt == "table":
        totals = data.get("totals") or {}
        rows = {
            "id": data.get("id"), "number": data.get("number"), "project": data.get("project"),
            "status": data.get("status"), "date": data.get("date"), "valid_until": data.get("valid_until"),
            "template": data.get("template"), "language": data.get("language"), "design": data.get("design"),
            "total": f"{totals.get('total')} {totals.get('currency')}",
            "files": ", ".join(f.get("path", "") for f in data.get("files") or []),
            "inputs_hash": data.get("inputs_hash"),
            "stale": ("yes: " + ", ".join(data["changed_inputs"]) + " changed since it was accepted")
            if data.get("stale") else "no",
        }
        if data.get("changed_inputs") and not data.get("stale"):
            rows["changed_inputs"] = ", ".join(data["changed_inputs"])
        history = [f"{h.get('at')} {h.get('by')}: {h.get('from')} -> {h.get('to')}"
                   + (f" ({h['note']})" if h.get("note") else "") for h in data.get("status_history") or []]
        if history:
            rows["history"] = "; ".join(history)
        emit([{"field": k, "value": v} for k, v in rows.items()], fmt, ["field", "value"])
    else:
        emit(data, fmt)
    if data.get("stale"):
        info(f"solar: proposal {data.get('number')} is stale: {', '.join(data['changed_inputs'])} changed "
             f"after it was accepted")


@proposal.command("mark")
@click.argument("ref", metavar="ID")
@click.argument("status", type=click.Choice(["sent", "accepted", "rejected"]))
@click.option("--note", help="A note kept in the status history.")
def proposal_mark(ref, status, note):
    """Mark a proposal sent, accepted or rejected (the project's stage follows the pipeline)."""
    from solarcli.proposals import service

    repo = get_repo()
    data, messages = service.mark(repo, ref, status, note)
    for m in messages:
        info(m)
    click.echo(f"{data.get('number')}: {data.get('status')}")
