"""``solar project ...``: projects (converted leads) and their pipeline."""
from __future__ import annotations

import click

from solarcli.commands._common import get_repo, parse_assignments
from solarcli.commands._records import add_common_verbs, add_pipeline_verbs
from solarcli.commands.lead import site_from, site_options

__all__ = ["project"]


@click.group()
def project():
    """Projects: designs, prices and proposals for a customer's site."""


@project.command("add")
@click.argument("name")
@click.option("--contact", "contact_ref", required=True, metavar="ID", help="Customer contact (ID or prefix).")
@click.option("--type", "ptype", type=click.Choice(["basic", "professional"]), default="basic", show_default=True)
@click.option("--stage", help="Initial stage (default: the pipeline's first).")
@site_options
def project_add(name, contact_ref, ptype, stage, street, postcode, city, country, lat, lon, facility, grid,
                interests, tags, customs, assignee):
    """Add a project directly (without a lead); prints its ID."""
    from solarcli import crm

    repo = get_repo()
    rec = crm.add_project(repo, name=name, contact=contact_ref, type=ptype, stage=stage, assignee=assignee,
                          site=site_from(repo, street, postcode, city, country, lat, lon), facility=facility,
                          grid=grid, interests=list(interests), tags=list(tags),
                          custom=dict(parse_assignments(customs)))
    click.echo(rec.id)


add_common_verbs(project, "project")
add_pipeline_verbs(project, "project")
