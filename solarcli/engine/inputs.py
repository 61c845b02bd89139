"""Project inputs of the engine, edited in place in the project's YAML:
``designs`` / ``current_design``, ``consumption``, ``tariff``, ``bom``, ``finance``.

Every function here is one transaction (one commit, or nothing written when the
input is invalid). The commands in solarcli/commands/{design,bom,estimate}.py only
parse options and call these. Never imports click.
"""
from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path
from typing import Any

from solarcli.engine import balance as bal
from solarcli.engine import finance as fin
from solarcli.engine import production as prod
from solarcli.errors import ConflictError, EngineError, NotFoundError, ValidationError

DESIGN_KEYS = ("name", "arrays", "inverter", "losses", "gamma_pct", "temperature_model", "albedo",
               "battery", "production", "prices", "notes")
PRODUCTION_SOURCES = ("entered", "weather-file", "map")


# --------------------------------------------------------------------------- values


def parse_value(raw: str) -> Any:
    """FIELD=VALUE from the command line: numbers, true/false, comma lists, text."""
    text = raw.strip()
    if text == "":
        return None
    low = text.lower()
    if low in ("true", "yes"):
        return True
    if low in ("false", "no"):
        return False
    if "," in text:
        parts = [p.strip() for p in text.split(",")]
        nums = [_num(p) for p in parts]
        if all(n is not None for n in nums):
            return nums
        return parts
    n = _num(text)
    return n if n is not None else text


def _num(text: str):
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return None


def money_str(value: Any, field: str) -> str:
    """Money is stored as a string ('0.10') so YAML never turns it into a float."""
    d = fin.D(value, field)
    if d < 0:
        raise EngineError(f"{field}: {d} must not be negative")
    return str(d)


# --------------------------------------------------------------------------- validation


def check_design(design: dict, *, where: str = "design") -> None:
    """Structural checks of one design (no files read). Raises EngineError naming the field."""
    from solarcli.engine.estimate import plain, system_of

    if not isinstance(design, dict):
        raise EngineError(f"{where}: expected a mapping")
    name = design.get("name")
    if name in (None, ""):
        raise EngineError(f"{where}.name: missing")
    try:
        system_of(plain(design))
    except EngineError as exc:
        raise EngineError(f"design {name}: {exc.message}") from None
    prod.total_losses_pct(plain(design.get("losses") or {}))
    tm = design.get("temperature_model")
    if tm is not None and tm not in prod.TEMPERATURE_MODELS:
        raise EngineError(f"design {name}: temperature_model: {tm!r}; expected fuentes or sapm")
    g = design.get("gamma_pct")
    if g is not None and not (isinstance(g, (int, float)) and -2 <= g <= 0):
        raise EngineError(f"design {name}: gamma_pct: {g!r}; expected a number between -2 and 0 (%/°C)")
    p = design.get("production") or {}
    src = p.get("source")
    if src is not None and src not in PRODUCTION_SOURCES:
        raise EngineError(f"design {name}: production.source: {src!r}; expected entered, weather-file or map")
    if src == "entered" or p.get("annual_kwh") is not None or p.get("monthly_kwh"):
        if src in (None, "entered"):
            kwp = sum(a.kwp for a in prod.as_arrays(plain(design.get("arrays") or [])))
            try:
                prod.entered(kwp, annual_kwh=p.get("annual_kwh"),
                             monthly_kwh=list(p["monthly_kwh"]) if p.get("monthly_kwh") else None)
            except EngineError as exc:
                raise EngineError(f"design {name}: {exc.message}") from None
    if src == "weather-file" and not p.get("weather_file"):
        raise EngineError(f"design {name}: production.weather_file: missing for source weather-file")


def check_project_inputs(data: dict) -> None:
    """Everything this module owns in a project record."""
    designs = data.get("designs")
    if designs is not None:
        if not isinstance(designs, list):
            raise EngineError("designs: expected a list of designs")
        names = set()
        for i, d in enumerate(designs):
            check_design(d, where=f"designs[{i}]")
            if d.get("name") in names:
                raise EngineError(f"designs: two designs named {d.get('name')!r}")
            names.add(d.get("name"))
        cur = data.get("current_design")
        if cur is not None and cur not in names:
            raise EngineError(f"current_design: {cur!r} is not one of the designs")
    cons = data.get("consumption") or {}
    if isinstance(cons, dict) and cons.get("custom_profile") is not None:
        shares = cons["custom_profile"]
        if not isinstance(shares, list):
            raise EngineError("consumption.custom_profile: expected a list of 24 shares")
        bal.profile_shares("custom", list(shares))
    if data.get("tariff"):
        from solarcli.engine.estimate import plain

        fin.tariff_from(plain(data["tariff"]))
    bom = data.get("bom") or {}
    if bom:
        from solarcli.engine.estimate import plain

        for i, item in enumerate(bom.get("items") or []):
            fin.bom_item(plain(item), i, Decimal(1000))
        for key, hi in (("discount_pct", 100), ("margin_pct", 1000), ("vat_pct", 100)):
            if bom.get(key) is not None:
                fin.pct(bom[key], f"bom.{key}", 0, hi)


def validate_project(data: dict, config: Any, where: str) -> None:
    """Called by ``records.validate`` for every project save (hand edits included)."""
    try:
        check_project_inputs(data)
    except EngineError as exc:
        raise ValidationError(f"{where}: {exc.message}") from None


# --------------------------------------------------------------------------- helpers


def _find_design(rec_data: dict, name: str | None) -> dict:
    designs = rec_data.get("designs") or []
    if not designs:
        raise NotFoundError("designs: the project has no design; add one with `solar design add`")
    want = name if name is not None else rec_data.get("current_design")
    if want is None:
        return designs[0]
    for d in designs:
        if str(d.get("name")) == str(want):
            return d
    raise NotFoundError(f"design {want!r}: not found; the project has "
                        + ", ".join(str(d.get("name")) for d in designs))


def attach_weather(repo, tx, rec, src: str | Path) -> str:
    """Attach (or reuse) a weather file after checking that it is one."""
    from solarcli.engine import weather as wx

    if Path(src).is_file():
        wx.detect_format(src)
    name = attach_file(repo, tx, rec, src, "--weather")
    doc = next(d for d in rec.data["documents"] if d.get("name") == name)
    full = Path(repo.root) / str(doc.get("path"))
    if full.is_file():
        wx.detect_format(full)
    return name


def attach_file(repo, tx, rec, src: str | Path, what: str) -> str:
    """Return the name of an attached document: ``src`` is either the name of a
    document already attached to the project, or a file that is attached now (in the
    same commit)."""
    from solarcli.repo import safe_filename
    from solarcli.timeutil import now_iso

    docs = rec.data.get("documents") or []
    for d in docs:
        if str(d.get("name")) == str(src):
            return str(d.get("name"))
    p = Path(src)
    if not p.is_file():
        names = ", ".join(str(d.get("name")) for d in docs) or "none"
        raise NotFoundError(f"{what}: {src}: no such file, and no document of that name (attached: {names})")
    fname = safe_filename(p.name)
    data = p.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    for d in docs:
        if d.get("name") == fname:
            if d.get("sha256") == sha:
                return fname
            raise ConflictError(f"{rec.label}: already has a different document named {fname!r}")
    rel = f"documents/{rec.id}/{fname}"
    tx.write_file(rel, data)
    rec.data.setdefault("documents", [])
    rec.data["documents"].append({"name": fname, "path": rel, "size": len(data), "sha256": sha,
                                  "at": now_iso(), "by": repo.actor_id})
    return fname


def _set_path(target: dict, path: str, value: Any) -> None:
    """Dotted path; list elements by index (arrays.0.tilt) or by name (arrays.south.tilt)."""
    parts = path.split(".")
    cur: Any = target
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(cur, list):
            idx = None
            if part.isdigit():
                idx = int(part)
            else:
                for j, item in enumerate(cur):
                    if isinstance(item, dict) and str(item.get("name")) == part:
                        idx = j
            if idx is None or not 0 <= idx < len(cur):
                raise EngineError(f"{path}: no element {part!r}")
            if last:
                cur[idx] = value
                return
            cur = cur[idx]
            continue
        if not isinstance(cur, dict):
            raise EngineError(f"{path}: {parts[i - 1]!r} is not a mapping")
        if last:
            if value is None:
                cur.pop(part, None)
            else:
                cur[part] = value
            return
        if cur.get(part) is None:
            cur[part] = {}
        cur = cur[part]


# --------------------------------------------------------------------------- designs


def array_from_spec(spec: dict, index: int) -> dict:
    """Normalise an array mapping (from options or a KEY=VALUE spec)."""
    out: dict = {}
    allowed = ("name", "module", "module_wp", "count", "kwp", "tilt", "azimuth", "mounting")
    for k, v in spec.items():
        if k not in allowed:
            raise EngineError(f"arrays[{index}].{k}: unknown key; expected {', '.join(allowed)}")
        if v is not None:
            out[k] = v
    out.setdefault("name", f"array {index + 1}")
    out.setdefault("tilt", 30)
    out.setdefault("azimuth", 180)
    out.setdefault("mounting", "roof")
    return out


def parse_array_spec(text: str, index: int) -> dict:
    """``name=south,module=Acme 400,module_wp=400,count=20,tilt=30,azimuth=180``"""
    spec: dict = {}
    for part in text.split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise EngineError(f"--array {text!r}: expected KEY=VALUE pairs separated by commas")
        k, _, v = part.partition("=")
        k = k.strip()
        v = v.strip()
        spec[k] = v if k in ("name", "module", "mounting") else _num(v) if _num(v) is not None else v
    return array_from_spec(spec, index)


def add_design(repo, ref: str, design: dict, *, make_current: bool = True,
               weather: str | None = None, copy_from: str | None = None):
    """Add a design version. Returns the record."""
    import copy

    from solarcli.engine.estimate import plain

    with repo.transaction() as tx:
        rec = tx.load(ref, "project")
        designs = rec.data.get("designs")
        if designs is None:
            rec.data["designs"] = []
            designs = rec.data["designs"]
        if any(str(d.get("name")) == str(design["name"]) for d in designs):
            raise ConflictError(f"{rec.label}: already has a design named {design['name']!r}")
        new: dict = {}
        if copy_from is not None:
            base = plain(_find_design(rec.data, copy_from))
            new.update(copy.deepcopy(base))
        for k, v in design.items():
            if v is not None:
                new[k] = v
        if weather:
            new.setdefault("production", {})
            new["production"] = {"source": "weather-file",
                                 "weather_file": attach_weather(repo, tx, rec, weather)}
        check_design(new)
        designs.append(new)
        if make_current or rec.data.get("current_design") is None:
            rec.data["current_design"] = new["name"]
        tx.save(rec)
        tx.message = f"{rec.label}: design {new['name']} added"
    return rec


def set_design(repo, ref: str, name: str | None, assignments: list[tuple[str, str]], *,
               weather: str | None = None, add_arrays: list[dict] | None = None,
               remove_arrays: list[str] | None = None, no_battery: bool = False):
    with repo.transaction() as tx:
        rec = tx.load(ref, "project")
        d = _find_design(rec.data, name)
        old_name = d.get("name")
        changed = []
        for path, raw in assignments:
            top = path.split(".")[0]
            if top not in DESIGN_KEYS:
                raise EngineError(f"{path}: unknown design field; expected one of {', '.join(DESIGN_KEYS)}")
            value = parse_value(raw)
            if top == "name" and value is not None:
                value = str(value)
            if path == "production.tool" and value is not None:
                value = str(value)
            _set_path(d, path, value)
            changed.append(path)
        for spec in add_arrays or []:
            d.setdefault("arrays", [])
            d["arrays"].append(spec)
            changed.append(f"arrays+{spec.get('name')}")
        for nm in remove_arrays or []:
            arrays = d.get("arrays") or []
            keep = [a for a in arrays if str(a.get("name")) != nm]
            if len(keep) == len(arrays):
                raise NotFoundError(f"design {old_name}: no array named {nm!r}")
            arrays[:] = keep
            changed.append(f"arrays-{nm}")
        if no_battery and "battery" in d:
            del d["battery"]
            changed.append("battery")
        if weather:
            doc = attach_weather(repo, tx, rec, weather)
            d["production"] = {"source": "weather-file", "weather_file": doc}
            changed.append("production")
        if d.get("name") != old_name:
            if rec.data.get("current_design") == old_name:
                rec.data["current_design"] = d.get("name")
        check_design(d)
        check_project_inputs(rec.data)
        if changed:
            tx.save(rec)
        tx.message = f"{rec.label}: design {d.get('name')}: set {', '.join(changed)}"
    return rec


def use_design(repo, ref: str, name: str):
    with repo.transaction() as tx:
        rec = tx.load(ref, "project")
        d = _find_design(rec.data, name)
        if rec.data.get("current_design") != d.get("name"):
            rec.data["current_design"] = d.get("name")
            tx.save(rec)
        tx.message = f"{rec.label}: current design {d.get('name')}"
    return rec


def remove_design(repo, ref: str, name: str):
    with repo.transaction() as tx:
        rec = tx.load(ref, "project")
        d = _find_design(rec.data, name)
        rec.data["designs"].remove(d)
        if rec.data.get("current_design") == d.get("name"):
            rest = rec.data["designs"]
            if rest:
                rec.data["current_design"] = rest[0].get("name")
            else:
                rec.data.pop("current_design", None)
        tx.save(rec)
        tx.message = f"{rec.label}: design {d.get('name')} removed"
    return rec


def design_rows(rec_data: dict) -> list[dict]:
    from solarcli.engine.estimate import plain

    rows = []
    cur = rec_data.get("current_design")
    designs = rec_data.get("designs") or []
    for i, d in enumerate(designs):
        pd = plain(d)
        arrays = prod.as_arrays(pd.get("arrays") or [])
        kwp = sum(a.kwp for a in arrays)
        inv = pd.get("inverter") or {}
        kw_ac = inv.get("kw_ac") or round(kwp / prod.DEFAULT_DC_AC, 3)
        b = pd.get("battery")
        p = pd.get("production") or {}
        src = p.get("source") or ("entered" if p.get("annual_kwh") is not None or p.get("monthly_kwh")
                                  else "weather-file" if p.get("weather_file") else "map")
        rows.append({
            "name": pd.get("name"),
            "current": (pd.get("name") == cur) if cur is not None else i == 0,
            "kwp_dc": round(kwp, 3),
            "kw_ac": kw_ac,
            "arrays": len(arrays),
            "battery_kwh": b.get("kwh") if b else None,
            "production": src,
        })
    return rows


# --------------------------------------------------------------------------- consumption, tariff, finance


def set_consumption(repo, ref: str, *, annual_kwh=None, monthly_kwh=None, profile=None,
                    custom_profile=None, hourly=None, clear_hourly=False):
    with repo.transaction() as tx:
        rec = tx.load(ref, "project")
        c = rec.data.get("consumption")
        if c is None:
            rec.data["consumption"] = {}
            c = rec.data["consumption"]
        if annual_kwh is not None:
            if annual_kwh < 0:
                raise EngineError(f"consumption.annual_kwh: {annual_kwh} must not be negative")
            c["annual_kwh"] = annual_kwh
            c.pop("monthly_kwh", None)
            c.pop("hourly_file", None)
        if monthly_kwh is not None:
            if len(monthly_kwh) != 12 or any(v < 0 for v in monthly_kwh):
                raise EngineError(f"consumption.monthly_kwh: {len(monthly_kwh)} values; expected 12 numbers >= 0")
            c["monthly_kwh"] = list(monthly_kwh)
            c["annual_kwh"] = round(sum(monthly_kwh), 3)
            c.pop("hourly_file", None)
        if custom_profile is not None:
            bal.profile_shares("custom", list(custom_profile))
            c["custom_profile"] = list(custom_profile)
            profile = profile or "custom"
        if profile is not None:
            if profile not in bal.PROFILE_NAMES:
                raise EngineError(f"consumption.profile: {profile!r}; expected one of {', '.join(bal.PROFILE_NAMES)}")
            if profile == "custom" and c.get("custom_profile") is None:
                raise EngineError("consumption.custom_profile: profile custom needs 24 shares (--custom-profile)")
            c["profile"] = profile
            if profile != "custom":
                c.pop("custom_profile", None)
        if hourly is not None:
            name = attach_file(repo, tx, rec, hourly, "--hourly")
            doc_path = next(Path(repo.root) / str(d["path"]) for d in rec.data["documents"] if d["name"] == name)
            path = doc_path if doc_path.is_file() else Path(hourly)
            values = bal.read_hourly_load(path)
            c["hourly_file"] = name
            c["annual_kwh"] = round(sum(values), 3)
            c.pop("monthly_kwh", None)
        if clear_hourly:
            c.pop("hourly_file", None)
        check_project_inputs(rec.data)
        tx.save(rec)
        tx.message = f"{rec.label}: consumption set"
    return rec


TARIFF_KEYS = ("preset", "currency", "regime", "purchase_price", "export_price", "escalation_pct",
               "export_escalation_pct", "vat_pct", "prices_include_vat")


def set_tariff(repo, ref: str, *, preset: str | None = None, values: dict | None = None):
    from solarcli.engine.estimate import plain

    values = {k: v for k, v in (values or {}).items() if v is not None}
    with repo.transaction() as tx:
        rec = tx.load(ref, "project")
        t = rec.data.get("tariff")
        if t is None or preset is not None:
            rec.data["tariff"] = {}
            t = rec.data["tariff"]
        if preset is not None:
            presets = plain(repo.config.data.get("tariffs") or {})
            if preset not in presets:
                known = ", ".join(presets) or "none defined in solar.yaml tariffs"
                raise NotFoundError(f"tariff preset {preset!r}: not found; known: {known}")
            t["preset"] = preset
            for k, v in presets[preset].items():
                if k not in TARIFF_KEYS:
                    raise EngineError(f"solar.yaml tariffs.{preset}.{k}: unknown tariff key")
                t[k] = money_str(v, f"tariffs.{preset}.{k}") if k in ("purchase_price", "export_price") else v
        if values and preset is None:
            t.pop("preset", None)  # no longer the preset's values
        for k, v in values.items():
            if k in ("purchase_price", "export_price"):
                v = money_str(v, f"tariff.{k}")
            t[k] = v
        if "currency" not in t:
            t["currency"] = repo.config.currency
        fin.tariff_from(plain(t))
        tx.save(rec)
        tx.message = f"{rec.label}: tariff set" + (f" (preset {preset})" if preset else "")
    return rec


FINANCE_KEYS = ("years", "degradation_pct", "discount_rate_pct", "om_per_year", "om_escalation_pct",
                "incentives", "co2_kg_per_kwh", "co2_year", "co2_source")


def set_finance(repo, ref: str, *, values: dict | None = None, replacements: list[dict] | None = None,
                clear_replacements: bool = False):
    values = {k: v for k, v in (values or {}).items() if v is not None}
    with repo.transaction() as tx:
        rec = tx.load(ref, "project")
        f = rec.data.get("finance")
        if f is None:
            rec.data["finance"] = {}
            f = rec.data["finance"]
        for k, v in values.items():
            if k not in FINANCE_KEYS:
                raise EngineError(f"finance.{k}: unknown key")
            if k in ("om_per_year", "incentives"):
                v = money_str(v, f"finance.{k}")
            if k == "years" and not 1 <= int(v) <= 60:
                raise EngineError(f"finance.years: {v} is outside 1-60")
            if k == "degradation_pct":
                fin.pct(v, "finance.degradation_pct", 0, 10)
            f[k] = v
        if clear_replacements:
            f.pop("replacements", None)
        for r in replacements or []:
            f.setdefault("replacements", [])
            years = int(f.get("years", 25))
            if not 1 <= r["year"] <= years:
                raise EngineError(f"finance.replacements: year {r['year']} is outside 1-{years}")
            f["replacements"].append({"year": r["year"], "cost": money_str(r["cost"], "finance.replacements.cost"),
                                      "name": r.get("name") or "replacement"})
        tx.save(rec)
        tx.message = f"{rec.label}: finance set"
    return rec


# --------------------------------------------------------------------------- bill of materials


def _bom(rec) -> dict:
    b = rec.data.get("bom")
    if b is None:
        rec.data["bom"] = {"items": []}
        b = rec.data["bom"]
    if b.get("items") is None:
        b["items"] = []
    return b


def bom_add(repo, ref: str, item: dict):
    with repo.transaction() as tx:
        rec = tx.load(ref, "project")
        b = _bom(rec)
        clean = {k: v for k, v in item.items() if v is not None}
        if "unit_price" in clean:
            clean["unit_price"] = money_str(clean["unit_price"], "unit_price")
        fin.bom_item(clean, len(b["items"]), Decimal(1000))
        b["items"].append(clean)
        tx.save(rec)
        tx.message = f"{rec.label}: BOM + {clean['name']}"
    return rec


def bom_rm(repo, ref: str, which: str):
    """Remove a manual item by its number in `solar bom list` (1-based among the
    project's own items, shown as M1, M2...) or by its exact name."""
    with repo.transaction() as tx:
        rec = tx.load(ref, "project")
        items = _bom(rec)["items"]
        key = which[1:] if which[:1].upper() == "M" and which[1:].isdigit() else which
        idx = None
        if key.isdigit() and 1 <= int(key) <= len(items):
            idx = int(key) - 1
        else:
            matches = [i for i, it in enumerate(items) if str(it.get("name")) == which]
            if len(matches) > 1:
                raise ConflictError(f"BOM item {which!r}: {len(matches)} items have that name; remove by number")
            idx = matches[0] if matches else None
        if idx is None:
            raise NotFoundError(f"BOM item {which!r}: not found (design items are changed with `solar design set`)")
        removed = items.pop(idx)
        tx.save(rec)
        tx.message = f"{rec.label}: BOM - {removed.get('name')}"
    return rec, removed


def bom_settings(repo, ref: str, *, discount_pct=None, margin_pct=None, vat_pct=None, include_design=None):
    with repo.transaction() as tx:
        rec = tx.load(ref, "project")
        b = _bom(rec)
        for key, v, hi in (("discount_pct", discount_pct, 100), ("margin_pct", margin_pct, 1000),
                           ("vat_pct", vat_pct, 100)):
            if v is not None:
                fin.pct(v, f"bom.{key}", 0, hi)
                b[key] = v
        if include_design is not None:
            b["include_design"] = include_design
        tx.save(rec)
        tx.message = f"{rec.label}: BOM settings"
    return rec


def apply_preset(repo, ref: str, name: str):
    """Add the items of a cost preset or of a package (costs.presets / costs.packages)."""
    from solarcli.engine.estimate import plain

    costs = plain(repo.config.data.get("costs") or {})
    presets = costs.get("presets") or {}
    packages = costs.get("packages") or {}
    if name in packages:
        names = packages[name].get("presets") or []
        for n in names:
            if n not in presets:
                raise EngineError(f"solar.yaml costs.packages.{name}: preset {n!r} is not in costs.presets")
        chosen = [(n, presets[n]) for n in names]
        what = f"package {name}"
    elif name in presets:
        chosen = [(name, presets[name])]
        what = f"preset {name}"
    else:
        known = ", ".join(list(packages) + list(presets)) or "none defined in solar.yaml costs"
        raise NotFoundError(f"cost preset or package {name!r}: not found; known: {known}")
    with repo.transaction() as tx:
        rec = tx.load(ref, "project")
        b = _bom(rec)
        added = []
        for n, p in chosen:
            item = {k: v for k, v in p.items() if k in ("name", "category", "pricing", "quantity", "unit",
                                                          "unit_price", "visible")}
            item["unit_price"] = money_str(item.get("unit_price"), f"costs.presets.{n}.unit_price")
            item["source"] = f"preset:{n}"
            fin.bom_item(item, len(b["items"]), Decimal(1000))
            b["items"].append(item)
            added.append(item["name"])
        tx.save(rec)
        tx.message = f"{rec.label}: BOM + {what} ({len(added)} items)"
    return rec, added
