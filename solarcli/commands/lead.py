"""``solar lead ...``: sales opportunities and their pipeline."""
from __future__ import annotations

import click

from solarcli.commands._common import get_repo, info, parse_assignments
from solarcli.commands._records import add_common_verbs, add_pipeline_verbs
from solarcli.records import FACILITY_TYPES, GRID_TYPES, INTERESTS, PROFILES

__all__ = ["lead"]


@click.group()
def lead():
    """Leads: sales opportunities, from capture to conversion into a project."""


def site_options(f):
    for opt in reversed([
        click.option("--street", help="Site street and number."),
        click.option("--postcode", help="Site postcode."),
        click.option("--city", help="Site city."),
        click.option("--country", help="Site country (ISO code; default from solar.yaml)."),
        click.option("--lat", type=click.FloatRange(-90, 90), help="Site latitude."),
        click.option("--lon", type=click.FloatRange(-180, 180), help="Site longitude."),
        click.option("--facility", type=click.Choice(FACILITY_TYPES), help="Facility type."),
        click.option("--grid", type=click.Choice(GRID_TYPES), help="Grid connection."),
        click.option("--interest", "interests", multiple=True, type=click.Choice(INTERESTS),
                     help="System interest (repeatable)."),
        click.option("--tag", "tags", multiple=True, help="Tag (repeatable)."),
        click.option("--custom", "customs", multiple=True, metavar="NAME=VALUE", help="Custom field (repeatable)."),
        click.option("--assignee", metavar="WHO", help="user:NAME, team:NAME or partner:NAME."),
    ]):
        f = opt(f)
    return f


def site_from(repo, street, postcode, city, country, lat, lon) -> dict:
    address = {"street": street, "postcode": postcode, "city": city,
               "country": country or (repo.config.country if (street or city or postcode) else None)}
    return {"address": address, "lat": lat, "lon": lon}


@lead.command("add")
@click.option("--title", help="Short title, e.g. 'PV + battery, family home'.")
@click.option("--contact", "contact_ref", metavar="ID", help="Existing contact (ID or prefix).")
@click.option("--name", help="Prospect name (when there is no contact yet; one is created on conversion).")
@click.option("--company", help="Prospect company.")
@click.option("--email", help="Prospect e-mail.")
@click.option("--phone", help="Prospect phone.")
@click.option("--source", default="manual", show_default=True,
              help="How the lead came in: manual, web form, import, referral, ... (free text).")
@click.option("--stage", help="Initial stage (default: the pipeline's first).")
@click.option("--annual-kwh", type=click.FloatRange(min=0), help="Annual consumption in kWh.")
@click.option("--monthly-kwh", metavar="V1,...,V12", help="12 monthly consumption values in kWh.")
@click.option("--profile", type=click.Choice(PROFILES), help="Daily consumption profile.")
@click.option("--value", type=click.FloatRange(min=0), help="Estimated deal value.")
@site_options
def lead_add(title, contact_ref, name, company, email, phone, source, stage, annual_kwh, monthly_kwh, profile,
             value, street, postcode, city, country, lat, lon, facility, grid, interests, tags, customs, assignee):
    """Add a lead; prints its ID."""
    from solarcli import crm, records
    from solarcli.errors import UsageError

    if not (title or contact_ref or name or company):
        raise UsageError("lead add: give at least --title, --contact or --name")
    repo = get_repo()
    monthly = records.parse_field_value("lead", "consumption.monthly_kwh", monthly_kwh) if monthly_kwh else None
    consumption = {"annual_kwh": annual_kwh, "monthly_kwh": monthly, "profile": profile}
    if monthly and annual_kwh is None:
        consumption["annual_kwh"] = sum(monthly)
    rec = crm.add_lead(
        repo, title=title, contact=contact_ref,
        prospect={"name": name, "company": company, "email": email, "phone": phone},
        source=source, stage=stage, assignee=assignee,
        site=site_from(repo, street, postcode, city, country, lat, lon), facility=facility, grid=grid,
        consumption=consumption, interests=list(interests), value=value, tags=list(tags),
        custom=dict(parse_assignments(customs)))
    click.echo(rec.id)


@lead.command("convert")
@click.argument("id")
@click.option("--name", help="Project name (default: the lead's title).")
@click.option("--type", "ptype", type=click.Choice(["basic", "professional"]), default="basic", show_default=True)
def lead_convert(id, name, ptype):
    """Convert a lead into a project; prints the project ID.

    Site, facility, grid, consumption, interests, assignee and contact are copied; the lead
    stays, marked converted, linked both ways. A lead without a contact gets one (matched
    by e-mail/phone, else created from its prospect details)."""
    from solarcli import crm, ids

    lead_rec, project = crm.convert_lead(get_repo(), id, name=name, type=ptype)
    info(f"lead {ids.short(lead_rec.id)} converted to project {ids.short(project.id)} ({project.name})")
    click.echo(project.id)


add_common_verbs(lead, "lead")
add_pipeline_verbs(lead, "lead")
