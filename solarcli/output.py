"""One renderer for every listing and show command: table | json | csv | yaml.

JSON keys are stable (documented in README); dates are ISO 8601; Decimals are strings.
CSV cells that a spreadsheet would execute as a formula are neutralised.
"""
from __future__ import annotations

import csv
import datetime as _dt
import decimal
import io
import json
import re
from typing import Any, Iterable

FORMATS = ["table", "json", "csv", "yaml"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def json_default(o: Any):
    if isinstance(o, decimal.Decimal):
        return str(o)
    if isinstance(o, (_dt.date, _dt.datetime)):
        return o.isoformat()
    if isinstance(o, (set, tuple)):
        return list(o)
    return str(o)


def plain(o: Any) -> Any:
    """ruamel CommentedMap/Seq and friends → plain dict/list/str/number."""
    if isinstance(o, dict):
        return {str(k): plain(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [plain(v) for v in o]
    if o is None or isinstance(o, bool):
        return o
    if isinstance(o, int):
        return int(o)
    if isinstance(o, float):
        return float(o)
    if isinstance(o, (_dt.date, _dt.datetime)):
        return o.isoformat()
    if isinstance(o, decimal.Decimal):
        return str(o)
    return str(o)


def neutralise(value: str) -> str:
    """``=SUM(A1)`` -> ``'=SUM(A1)``: a cell a spreadsheet would run as a formula gets a
    leading quote. A cell that already starts with ``'`` gets one more, so the importer's
    removal of one quote gives back exactly the original. A cell of only blanks (a tab)
    runs nothing and stays as it is, so a blank row still reads as blank."""
    if value and ((value.startswith(FORMULA_START) and value.strip()) or value[0] == "'"):
        return "'" + value
    return value


def cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (list, tuple)):
        return ", ".join(cell(x) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{k}={cell(x)}" for k, x in v.items())
    if isinstance(v, float):
        return f"{v:g}" if abs(v) < 1e15 else str(v)
    return str(v)


def to_json(data: Any) -> str:
    return json.dumps(plain(data), indent=2, ensure_ascii=False, default=json_default)


def render(rows: Iterable[dict] | dict, fmt: str = "table", columns: list[str] | None = None,
           *, headers: dict[str, str] | None = None, safe_csv: bool = True) -> str:
    """Render a list of flat dicts (or one mapping) in ``fmt``. Returns text ending in newline
    (empty string for an empty table)."""
    if isinstance(rows, dict):
        if fmt == "json":
            return to_json(rows) + "\n"
        if fmt == "yaml":
            from solarcli.storage.yamlio import dump_plain

            return dump_plain(plain(rows))
        rows = [rows]
    rows = list(rows)
    if columns:
        rows = [{c: r.get(c) for c in columns} for r in rows]
    if fmt == "json":
        return to_json(rows) + "\n"
    if fmt == "yaml":
        from solarcli.storage.yamlio import dump_plain

        return dump_plain(plain(rows)) if rows else "[]\n"
    cols = columns or (list(rows[0].keys()) if rows else [])
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(cols)
        for r in rows:
            vals = [cell(r.get(c)) for c in cols]
            if safe_csv:
                vals = [neutralise(v) for v in vals]
            # a bare CR is not quoted by csv (lineterminator is \n) but spreadsheets split rows on it
            w.writerow([v.replace("\r\n", "\n").replace("\r", "\n") for v in vals])
        return buf.getvalue()
    if fmt == "table":
        if not rows:
            return ""
        hdr = [_clip(str((headers or {}).get(c, c))) for c in cols]
        body = [[_table_cell(r.get(c)) for c in cols] for r in rows]
        return simple_table(hdr, body)
    raise ValueError(f"unknown format {fmt!r}")


# C0/C1 controls, line/paragraph separators and bidi controls (which reorder what follows)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _clip(s: str, width: int = 60) -> str:
    """One table cell: one line, no terminal control characters (a record value cannot move
    the cursor or recolour the terminal), at most ``width`` characters, no outer spaces."""
    if _CONTROL.search(s):
        s = _CONTROL.sub(lambda m: " " if m.group() in "\n\r\t" else "\ufffd", s)
    s = s.strip()
    return s if len(s) <= width else s[: width - 1] + "…"


def _table_cell(v: Any) -> str:
    # the common case first: short printable text is its own cell (20,000 rows x 8 columns)
    if type(v) is str and len(v) <= 60 and v.isprintable() and v.strip() == v:
        return v
    return _clip(cell(v))


def simple_table(headers: list[str], body: list[list[str]]) -> str:
    """The table ``tabulate(body, headers, tablefmt="simple", disable_numparse=True)`` prints,
    for one-line cells without control characters (what ``_clip`` makes), ~10x faster: a
    list of 20,000 leads renders in 0.1 s instead of 1 s. Tested against tabulate."""
    widths = [len(h) + 2 for h in headers]  # tabulate's minimum padding around a header
    for row in body:
        for i, v in enumerate(row):
            if len(v) > widths[i]:
                widths[i] = len(v)
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in body]
    return "\n".join(lines) + "\n"
