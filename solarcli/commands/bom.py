"""``solar bom ...``: the bill of materials of a project.

Items come from two places: the current design (modules, inverter, battery, priced
from solar.yaml ``costs`` or the design's ``prices``) and the project's own items
(added by hand or from cost presets and packages). Discount, margin and VAT apply
to the whole BOM."""
from __future__ import annotations

import click

from solarcli.commands._common import emit, format_option, get_repo, info

__all__ = ["bom"]


@click.group()
def bom():
    """Bill of materials of a project: items, presets, discount, margin and VAT."""


@bom.command("add")
@click.argument("project_ref", metavar="PROJECT")
@click.argument("name")
@click.option("--price", "unit_price", required=True, metavar="AMOUNT",
              help="Unit price (quantity), price per Wp (per-watt) or lump sum (set), without VAT.")
@click.option("--pricing", type=click.Choice(["quantity", "per-watt", "set"]), default="quantity", show_default=True)
@click.option("--quantity", "-q", metavar="N", help="Quantity (per-watt: Wp, default the design's DC power).")
@click.option("--unit", metavar="UNIT", help="Unit shown on the proposal (pc, m, h, Wp, set...).")
@click.option("--category", default="other", show_default=True,
              help="module, inverter, battery, mounting, electrical, labour, service, heat-pump, ev-charger, other...")
@click.option("--hidden", is_flag=True, help="Do not show this line on the proposal (still priced).")
def bom_add(project_ref, name, unit_price, pricing, quantity, unit, category, hidden):
    """Add an item NAME to the BOM of PROJECT."""
    from solarcli.engine import inputs

    item = {"name": name, "category": category, "pricing": pricing, "unit_price": unit_price,
            "quantity": inputs.parse_value(quantity) if quantity is not None else None,
            "unit": unit, "visible": not hidden}
    if not hidden:
        item.pop("visible")
    rec = inputs.bom_add(get_repo(), project_ref, item)
    info(f"{rec.label}: BOM item {name!r} added")


@bom.command("rm")
@click.argument("project_ref", metavar="PROJECT")
@click.argument("item")
def bom_rm(project_ref, item):
    """Remove ITEM (its number M1, M2... from `solar bom list`, or its exact name)."""
    from solarcli.engine import inputs

    rec, removed = inputs.bom_rm(get_repo(), project_ref, item)
    info(f"{rec.label}: BOM item {removed.get('name')!r} removed")


@bom.command("apply-preset")
@click.argument("project_ref", metavar="PROJECT")
@click.argument("name")
def bom_apply_preset(project_ref, name):
    """Add the items of cost preset or package NAME (solar.yaml costs.presets / costs.packages)."""
    from solarcli.engine import inputs

    rec, added = inputs.apply_preset(get_repo(), project_ref, name)
    info(f"{rec.label}: added {', '.join(added)}")


@bom.command("set")
@click.argument("project_ref", metavar="PROJECT")
@click.option("--discount", "discount_pct", metavar="PCT", help="Discount on the BOM subtotal, %.")
@click.option("--margin", "margin_pct", metavar="PCT", help="Margin on the discounted amount, %.")
@click.option("--vat", "vat_pct", metavar="PCT", help="VAT rate, %.")
@click.option("--design-items/--no-design-items", "include_design", default=None,
              help="Include the design's modules, inverter and battery (default: include).")
def bom_set(project_ref, discount_pct, margin_pct, vat_pct, include_design):
    """Set discount, margin and VAT of the BOM of PROJECT."""
    from solarcli.engine import inputs

    if discount_pct is None and margin_pct is None and vat_pct is None and include_design is None:
        raise click.UsageError("nothing to change: give --discount, --margin, --vat or --[no-]design-items")
    conv = {k: inputs.parse_value(v) if v is not None else None
            for k, v in (("discount_pct", discount_pct), ("margin_pct", margin_pct), ("vat_pct", vat_pct))}
    rec = inputs.bom_settings(get_repo(), project_ref, include_design=include_design, **conv)
    info(f"{rec.label}: BOM settings updated")


@bom.command("list")
@click.argument("project_ref", metavar="PROJECT")
@click.option("--design", "design_name", metavar="DESIGN", help="Price with this design (default: current).")
@format_option
def bom_list(project_ref, design_name, fmt):
    """List the BOM of PROJECT with line totals, discount, margin, VAT and total."""
    from solarcli.engine import estimate as E

    repo = get_repo()
    rec = repo.load(project_ref, "project")
    data = E.plain(rec.data)
    own = data.get("bom", {}).get("items") or []
    have_design = bool(data.get("designs"))
    if have_design:
        d = E.pick_design(data, design_name)
        arrays, inverter, battery = E.system_of(d)
        currency = E._cfg(repo).get("currency") or "EUR"
        price = E.price_of(repo, data, d, arrays, inverter, battery, str(currency))
    else:
        from decimal import Decimal

        from solarcli.engine import finance as F

        bomcfg = data.get("bom") or {}
        defaults = (E._cfg(repo).get("costs") or {}).get("bom") or {}
        items = [F.bom_item(r, i, Decimal(0)) for i, r in enumerate(own)]
        price = F.price_bom(items, **{k: bomcfg.get(k, defaults.get(k, 0))
                                      for k in ("discount_pct", "margin_pct", "vat_pct")},
                            currency=str(E._cfg(repo).get("currency") or "EUR"))
    rows = []
    n_design = len(price.items) - len(own)
    for i, it in enumerate(price.items):
        rows.append({"no": f"D{i + 1}" if i < n_design else f"M{i - n_design + 1}",
                     "name": it.name, "category": it.category, "pricing": it.pricing,
                     "quantity": E._qty_num(it.quantity), "unit": it.unit,
                     "unit_price": E._unit_price(it.unit_price), "total": E.m2(it.total),
                     "visible": it.visible, "source": it.source})
    totals = {"currency": price.currency, "subtotal": E.m2(price.subtotal),
              "discount_pct": E._pct(price.discount_pct), "discount": E.m2(price.discount),
              "after_discount": E.m2(price.after_discount), "margin_pct": E._pct(price.margin_pct),
              "margin": E.m2(price.margin), "net": E.m2(price.net), "vat_pct": E._pct(price.vat_pct),
              "vat": E.m2(price.vat), "total": E.m2(price.total)}
    if fmt in ("json", "yaml"):
        emit({"items": rows, **totals}, fmt)
        return
    emit(rows, fmt, ["no", "name", "category", "pricing", "quantity", "unit", "unit_price", "total",
                     "visible", "source"])
    if fmt == "table":
        click.echo("")
        c = price.currency
        summary = [
            {"": "subtotal", c: totals["subtotal"]},
            {"": f"discount {totals['discount_pct']:g} %", c: "-" + totals["discount"]},
            {"": "after discount", c: totals["after_discount"]},
            {"": f"margin {totals['margin_pct']:g} %", c: totals["margin"]},
            {"": "net", c: totals["net"]},
            {"": f"VAT {totals['vat_pct']:g} %", c: totals["vat"]},
            {"": "total", c: totals["total"]},
        ]
        emit(summary, "table", ["", c])
