"""``solar contact ...``: people and companies."""
from __future__ import annotations

import click

from solarcli.commands._common import get_repo
from solarcli.commands._records import add_common_verbs

__all__ = ["contact"]


@click.group()
def contact():
    """Contacts: the people and companies leads and projects belong to."""


@contact.command("add")
@click.argument("name", required=False)
@click.option("--type", "ctype", type=click.Choice(["person", "company"]), default="person", show_default=True)
@click.option("--company", help="Company name (for a person: where they work).")
@click.option("--email", "emails", multiple=True, help="E-mail address (repeatable).")
@click.option("--phone", "phones", multiple=True, help="Phone number, normalised to E.164 (repeatable).")
@click.option("--street")
@click.option("--postcode")
@click.option("--city")
@click.option("--country", help="ISO country code (default: solar.yaml country).")
@click.option("--tag", "tags", multiple=True, help="Tag (repeatable).")
@click.option("--custom", "customs", multiple=True, metavar="NAME=VALUE", help="Custom field (repeatable).")
def contact_add(name, ctype, company, emails, phones, street, postcode, city, country, tags, customs):
    """Add a contact; prints its ID."""
    from solarcli import crm
    from solarcli.commands._common import parse_assignments
    from solarcli.errors import UsageError

    if not name and not company:
        raise UsageError("contact add: give a NAME (or --company for a company)")
    repo = get_repo()
    address = {"street": street, "postcode": postcode, "city": city,
               "country": (country or (repo.config.country if (street or city or postcode) else None))}
    rec = crm.add_contact(repo, name=name, type=ctype, company=company, emails=list(emails), phones=list(phones),
                          address=address, tags=list(tags), custom=dict(parse_assignments(customs)))
    click.echo(rec.id)


add_common_verbs(contact, "contact")
