"""``solar design ...``: design versions of a project (PV arrays, inverter, losses,
battery, production source). One design is current; estimates use it by default."""
from __future__ import annotations

import click

from solarcli.commands._common import emit, format_option, get_repo, info, parse_assignments, parse_numbers

__all__ = ["design"]

_MOUNTINGS = ["roof", "open-rack"]


def _production_options(f):
    opts = [
        click.option("--annual-kwh", "prod_annual", type=float, metavar="KWH",
                     help="Entered production: annual kWh (tier 1)."),
        click.option("--monthly-kwh", "prod_monthly", metavar="V1,...,V12",
                     help="Entered production: 12 monthly kWh values (tier 1)."),
        click.option("--tool", metavar="NAME", help="Where the entered production comes from (e.g. 'PVGIS 5.3')."),
        click.option("--weather", metavar="FILE|DOC",
                     help="Model production from a weather file (tier 2): a file (attached to the project) "
                          "or the name of a document already attached."),
        click.option("--map", "use_map", is_flag=True,
                     help="Rough map fallback from the site's latitude/longitude (tier 3, ±15 %)."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def _production_from(prod_annual, prod_monthly, tool, use_map) -> dict | None:
    chosen = prod_annual is not None or prod_monthly is not None
    if use_map and chosen:
        raise click.UsageError("--map cannot be combined with entered production")
    if prod_annual is not None or prod_monthly is not None:
        p: dict = {"source": "entered"}
        if prod_monthly is not None:
            p["monthly_kwh"] = parse_numbers(prod_monthly, 12, "--monthly-kwh")
        else:
            p["annual_kwh"] = prod_annual
        if tool:
            p["tool"] = tool
        return p
    if tool:
        raise click.UsageError("--tool goes with --annual-kwh or --monthly-kwh")
    if use_map:
        return {"source": "map"}
    return None


@click.group()
def design():
    """Designs of a project: arrays, inverter, losses, battery and production source.

    A project can hold several design versions; one is current (`solar design use`).
    """


@design.command("add")
@click.argument("project_ref", metavar="PROJECT")
@click.argument("name")
@click.option("--kwp", type=float, help="Array size in kWp (instead of --module-wp and --count).")
@click.option("--module", metavar="NAME", help="Module name, e.g. 'Acme AC-430'.")
@click.option("--module-wp", type=float, metavar="WP", help="Module power in Wp.")
@click.option("--count", type=int, help="Number of modules.")
@click.option("--tilt", type=float, default=30, show_default=True, help="Tilt in degrees (0-90).")
@click.option("--azimuth", type=float, default=180, show_default=True,
              help="Azimuth in degrees, pvlib convention: 0 north, 90 east, 180 south, 270 west.")
@click.option("--mounting", type=click.Choice(_MOUNTINGS), default="roof", show_default=True)
@click.option("--array", "arrays", multiple=True, metavar="KEY=VALUE,...",
              help="An (additional) array: name=,module=,module_wp=,count=,kwp=,tilt=,azimuth=,mounting= (repeatable).")
@click.option("--inverter", "inverter_name", metavar="NAME", help="Inverter name.")
@click.option("--inverter-kw", type=float, metavar="KW", help="Inverter AC power (default: kWp / 1.2).")
@click.option("--inverter-eff", type=float, metavar="PCT", help="Inverter nominal efficiency in % (default 96).")
@click.option("--battery-kwh", type=float, metavar="KWH", help="Battery usable capacity.")
@click.option("--battery-kw", type=float, metavar="KW", help="Battery power (default: kWh / 2).")
@click.option("--battery-eff", type=float, metavar="PCT", help="Battery round-trip efficiency in % (default 90).")
@click.option("--battery-use", type=click.Choice(["self-consumption", "backup", "autonomy"]),
              help="Battery use case (default self-consumption).")
@click.option("--loss", "losses", multiple=True, metavar="NAME=PCT",
              help="Override one PVWatts loss (soiling, shading, snow, mismatch, wiring, connections, lid, "
                   "nameplate_rating, age, availability); repeatable.")
@click.option("--temperature-model", type=click.Choice(["fuentes", "sapm"]), help="Cell temperature model (default fuentes).")
@click.option("--gamma", "gamma_pct", type=float, metavar="PCT", help="Module power temperature coefficient, %/°C (default -0.37).")
@_production_options
@click.option("--from", "copy_from", metavar="DESIGN", help="Start from a copy of another design of the project.")
@click.option("--no-current", is_flag=True, help="Do not make the new design the current one.")
def design_add(project_ref, name, kwp, module, module_wp, count, tilt, azimuth, mounting, arrays, inverter_name,
               inverter_kw, inverter_eff, battery_kwh, battery_kw, battery_eff, battery_use, losses,
               temperature_model, gamma_pct, prod_annual, prod_monthly, tool, weather, use_map, copy_from,
               no_current):
    """Add a design version NAME to PROJECT (and make it current)."""
    from solarcli.engine import inputs

    repo = get_repo()
    spec: dict = {"name": name}
    array_list = []
    if kwp is not None or module_wp is not None or count is not None or module is not None:
        array_list.append(inputs.array_from_spec(
            {"name": "array 1", "module": module, "module_wp": module_wp, "count": count, "kwp": kwp,
             "tilt": tilt, "azimuth": azimuth, "mounting": mounting}, 0))
    for text in arrays:
        array_list.append(inputs.parse_array_spec(text, len(array_list)))
    if array_list:
        spec["arrays"] = array_list
    elif copy_from is None:
        raise click.UsageError("a design needs an array: --kwp or --module-wp/--count, or --array")
    if inverter_name or inverter_kw is not None or inverter_eff is not None:
        spec["inverter"] = {k: v for k, v in (("name", inverter_name), ("kw_ac", inverter_kw),
                                              ("efficiency_pct", inverter_eff)) if v is not None}
    if battery_kwh is not None:
        spec["battery"] = {"kwh": battery_kwh, "kw": battery_kw if battery_kw is not None else battery_kwh / 2,
                           "efficiency_pct": battery_eff if battery_eff is not None else 90,
                           "use_case": battery_use or "self-consumption"}
    elif battery_kw is not None or battery_eff is not None or battery_use:
        raise click.UsageError("battery options need --battery-kwh")
    if losses:
        spec["losses"] = {k: inputs.parse_value(v) for k, v in parse_assignments(losses)}
    if temperature_model:
        spec["temperature_model"] = temperature_model
    if gamma_pct is not None:
        spec["gamma_pct"] = gamma_pct
    production = _production_from(prod_annual, prod_monthly, tool, use_map)
    if production and weather:
        raise click.UsageError("--weather cannot be combined with other production options")
    if production:
        spec["production"] = production
    rec = inputs.add_design(repo, project_ref, spec, make_current=not no_current, weather=weather,
                            copy_from=copy_from)
    info(f"{rec.label}: design {name} added" + ("" if no_current else " (current)"))


@design.command("list")
@click.argument("project_ref", metavar="PROJECT")
@format_option
def design_list(project_ref, fmt):
    """List the designs of PROJECT (the current one is marked)."""
    from solarcli.engine import inputs

    repo = get_repo()
    rec = repo.load(project_ref, "project")
    rows = inputs.design_rows(rec.data)
    emit(rows, fmt)
    if fmt == "table" and not rows:
        info(f"{rec.label}: no designs; add one with 'solar design add'")


@design.command("show")
@click.argument("project_ref", metavar="PROJECT")
@click.argument("name", required=False)
@format_option(default="yaml")
def design_show(project_ref, name, fmt):
    """Show one design (default: the current one) as stored in the project file."""
    from solarcli.engine import inputs
    from solarcli.engine.estimate import plain

    repo = get_repo()
    rec = repo.load(project_ref, "project")
    d = plain(inputs._find_design(rec.data, name))
    d["current"] = d.get("name") == (rec.data.get("current_design") or (rec.data.get("designs") or [{}])[0].get("name"))
    if fmt in ("table", "csv"):
        rows = [{"field": k, "value": v} for k, v in _flatten(d)]
        emit(rows, fmt, ["field", "value"])
    else:
        emit(d, fmt)


def _flatten(d, prefix=""):
    if isinstance(d, dict):
        for k, v in d.items():
            yield from _flatten(v, f"{prefix}{k}.")
    elif isinstance(d, list) and d and all(isinstance(x, dict) for x in d):
        for i, v in enumerate(d):
            yield from _flatten(v, f"{prefix}{i}.")
    else:
        yield prefix[:-1], d


@design.command("set")
@click.argument("project_ref", metavar="PROJECT")
@click.argument("name")
@click.argument("assignments", nargs=-1, metavar="[FIELD=VALUE]...")
@click.option("--weather", metavar="FILE|DOC", help="Model production from this weather file (attached to the project).")
@click.option("--add-array", "add_arrays", multiple=True, metavar="KEY=VALUE,...", help="Add an array (repeatable).")
@click.option("--remove-array", "remove_arrays", multiple=True, metavar="ARRAY", help="Remove the array with this name.")
@click.option("--no-battery", is_flag=True, help="Remove the battery.")
def design_set(project_ref, name, assignments, weather, add_arrays, remove_arrays, no_battery):
    """Change design NAME of PROJECT: FIELD=VALUE with dotted paths, e.g.

    \b
      arrays.0.tilt=20   arrays.south.count=24   inverter.kw_ac=8
      losses.shading=5   battery.kwh=10          production.source=map
      production.annual_kwh=9500 production.tool='PVGIS 5.3'
      temperature_model=sapm  gamma_pct=-0.29   prices.module=95

    An empty value removes the field. The design is checked before anything is written.
    """
    from solarcli.engine import inputs

    if not (assignments or weather or add_arrays or remove_arrays or no_battery):
        raise click.UsageError("nothing to change: give FIELD=VALUE, --weather, --add-array, --remove-array or --no-battery")
    repo = get_repo()
    specs = [inputs.parse_array_spec(t, 100 + i) for i, t in enumerate(add_arrays)]
    rec = inputs.set_design(repo, project_ref, name, parse_assignments(assignments), weather=weather,
                            add_arrays=specs, remove_arrays=list(remove_arrays), no_battery=no_battery)
    info(f"{rec.label}: design {name} updated")


@design.command("use")
@click.argument("project_ref", metavar="PROJECT")
@click.argument("name")
def design_use(project_ref, name):
    """Make design NAME the current design of PROJECT."""
    from solarcli.engine import inputs

    rec = inputs.use_design(get_repo(), project_ref, name)
    info(f"{rec.label}: current design {name}")


@design.command("rm")
@click.argument("project_ref", metavar="PROJECT")
@click.argument("name")
def design_rm(project_ref, name):
    """Remove design NAME from PROJECT."""
    from solarcli.engine import inputs

    rec = inputs.remove_design(get_repo(), project_ref, name)
    info(f"{rec.label}: design {name} removed")
