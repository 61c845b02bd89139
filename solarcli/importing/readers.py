"""Read import files into rows.

Every reader produces a :class:`Source`: the column headers (in file order) and
an iterator of ``(row_number, {header: value})``. Row numbers are what a person
sees in a spreadsheet: the header is row 1, the first data row is row 2 (a
quoted multi-line CSV field still counts as one row). For JSON arrays the row
number is the 1-based position in the list, for NDJSON the line number, for
vCard the 1-based card number.

Values are ``str`` for CSV, NDJSON/JSON scalars as parsed (str, int, float,
bool, None, lists), and openpyxl's cell values for XLSX (str, int, float,
datetime, bool, None). Completely blank rows are skipped.
"""
from __future__ import annotations

import csv
import io
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Iterator

from solarcli.errors import NotFoundError, ParseError, UsageError

FORMATS = ("csv", "xlsx", "json", "ndjson", "vcf")
DELIMITERS = (",", ";", "\t")
EXTRA_KEY = "\0extra"  # key holding surplus cells of a CSV row (more cells than headers)

_EXT = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv",
    ".xlsx": "xlsx", ".xlsm": "xlsx",
    ".json": "json", ".ndjson": "ndjson", ".jsonl": "ndjson",
    ".vcf": "vcf", ".vcard": "vcf",
}

# csv refuses fields above 128 KiB by default; a notes column can be longer.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@dataclass
class Source:
    """An opened import file."""

    name: str  # file name as given ("-" for stdin)
    format: str
    headers: list[str]
    _rows: Callable[[], Iterator[tuple[int, dict[str, Any]]]]
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def rows(self) -> Iterator[tuple[int, dict[str, Any]]]:
        return self._rows()


def detect_format(name: str, data: bytes | None = None) -> str:
    """Guess the format from the file name, else from the first bytes."""
    ext = Path(name).suffix.lower()
    if ext in _EXT:
        return _EXT[ext]
    if data is not None:
        head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
        if head.startswith(b"PK\x03\x04"):
            return "xlsx"
        if head.upper().startswith(b"BEGIN:VCARD"):
            return "vcf"
        if head.startswith(b"["):
            return "json"
        if head.startswith(b"{"):
            first = head.split(b"\n", 1)[0].strip()
            try:
                json.loads(first)
                return "ndjson"
            except ValueError:
                return "json"
        return "csv"
    raise UsageError(
        f"{name}: cannot tell the file format from its name; "
        f"pass --from {'|'.join(FORMATS)}")


def open_source(path: str, *, fmt: str | None = None, encoding: str | None = None,
                sheet: str | None = None, delimiter: str | None = None,
                stdin: IO[bytes] | None = None) -> Source:
    """Open ``path`` (``-`` = standard input) and return a :class:`Source`."""
    data: bytes | None = None
    if path == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        data = stream.read()
        if isinstance(data, str):  # a text stream (tests)
            data = data.encode("utf-8")
    else:
        p = Path(path)
        if not p.is_file():
            raise NotFoundError(f"{path}: no such file")
    if fmt is None:
        if data is None:
            ext = Path(path).suffix.lower()
            if ext not in _EXT:
                with open(path, "rb") as fh:
                    data = fh.read(65536)
                fmt = detect_format(path, data)
                data = None
            else:
                fmt = _EXT[ext]
        else:
            fmt = detect_format("-", data)
    fmt = fmt.lower()
    if fmt == "jsonl":
        fmt = "ndjson"
    if fmt not in FORMATS:
        raise UsageError(f"unknown import format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if fmt == "csv":
        return _csv_source(path, data, encoding, delimiter)
    if fmt == "xlsx":
        return _xlsx_source(path, data, sheet)
    if fmt == "json":
        return _json_source(path, data, encoding)
    if fmt == "ndjson":
        return _ndjson_source(path, data, encoding)
    return _vcf_source(path, data, encoding)


# ----------------------------------------------------------------------------- CSV

def _decode_error(name: str, enc: str, exc: UnicodeDecodeError) -> ParseError:
    return ParseError(
        f"{name}: not valid {enc} text (byte 0x{exc.object[exc.start]:02x} at offset "
        f"{exc.start} of the block being read)",
        hint="legacy files from Excel on Windows are usually cp1252: pass --encoding cp1252")


def sniff_delimiter(sample: str) -> str:
    """Pick ``,`` ``;`` or tab: the candidate that splits the header into the most
    columns while giving the following rows a consistent column count."""
    best, best_score = ",", (-1, -1)
    lines = sample
    for cand in DELIMITERS:
        try:
            recs = []
            reader = csv.reader(io.StringIO(lines), delimiter=cand)
            for rec in reader:
                if rec:
                    recs.append(rec)
                if len(recs) >= 20:
                    break
        except csv.Error:
            continue
        if not recs:
            continue
        width = len(recs[0])
        # the last record of the sample may be cut in half: ignore it for consistency
        body = recs[1:-1] if len(recs) > 2 else recs[1:]
        consistent = sum(1 for r in body if len(r) == width)
        score = (width if width > 1 else 0, consistent)
        if score > best_score:
            best, best_score = cand, score
    return best


def _csv_source(path: str, data: bytes | None, encoding: str | None,
                delimiter: str | None) -> Source:
    enc = encoding or "utf-8-sig"
    if enc.replace("-", "").replace("_", "").lower() == "utf8":
        enc = "utf-8-sig"  # tolerate a BOM even when told utf-8
    name = path

    def open_text() -> IO[str]:
        if data is not None:
            return io.TextIOWrapper(io.BytesIO(data), encoding=enc, newline="")
        return open(path, encoding=enc, newline="")

    try:
        with open_text() as fh:
            sample = fh.read(65536)
    except UnicodeDecodeError as exc:
        raise _decode_error(name, enc, exc) from None
    except LookupError:
        raise UsageError(f"unknown encoding {encoding!r}") from None
    if not sample.strip():
        raise ParseError(f"{name}: the file is empty")
    if delimiter in (None, "", "auto"):
        delim = sniff_delimiter(sample)
    else:
        delim = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";"}.get(delimiter, delimiter)
        if len(delim) != 1:
            raise UsageError(f"--delimiter must be one character, got {delimiter!r}")
    with open_text() as fh:
        reader = csv.reader(fh, delimiter=delim, strict=False)
        try:
            headers = []
            for rec in reader:
                if any(c.strip() for c in rec):
                    headers = rec
                    break
        except UnicodeDecodeError as exc:
            raise _decode_error(name, enc, exc) from None
    headers = dedupe_headers([h.strip() for h in headers])

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        with open_text() as fh:
            reader = csv.reader(fh, delimiter=delim, strict=False)
            rownum = 0
            seen_header = False
            width = len(headers)
            try:
                for rec in reader:
                    rownum += 1
                    if not seen_header:
                        if any(c.strip() for c in rec):
                            seen_header = True
                        continue
                    if not any(c.strip() for c in rec):
                        continue
                    row: dict[str, Any] = dict(zip(headers, rec))
                    if len(rec) > width:
                        extra = [c for c in rec[width:] if c.strip()]
                        if extra:
                            row[EXTRA_KEY] = extra
                    yield rownum, row
            except UnicodeDecodeError as exc:
                raise _decode_error(name, enc, exc) from None
            except csv.Error as exc:
                raise ParseError(f"{name}: row {rownum + 1}: {exc}") from None

    return Source(name, "csv", headers, rows, encoding=enc, delimiter=delim)


def dedupe_headers(headers: list[str]) -> list[str]:
    """Make header names unique ("Phone", "Phone" -> "Phone", "Phone (2)");
    name empty headers "column N"."""
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, h in enumerate(headers, 1):
        h = str(h).strip() if h is not None else ""
        if not h:
            h = f"column {i}"
        base = h
        n = seen.get(base.casefold(), 0)
        if n:
            h = f"{base} ({n + 1})"
        seen[base.casefold()] = n + 1
        out.append(h)
    return out


# ----------------------------------------------------------------------------- XLSX

def _xlsx_source(path: str, data: bytes | None, sheet: str | None) -> Source:
    import zipfile

    import openpyxl  # heavy: only here

    def open_wb():
        src: Any = io.BytesIO(data) if data is not None else path
        try:
            return openpyxl.load_workbook(src, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise ParseError(f"{path}: not a readable .xlsx workbook ({exc})") from None

    wb = open_wb()
    try:
        if sheet is None:
            ws = wb.worksheets[0]
        elif sheet in wb.sheetnames:
            ws = wb[sheet]
        elif sheet.isdigit() and 1 <= int(sheet) <= len(wb.sheetnames):
            ws = wb.worksheets[int(sheet) - 1]
        else:
            raise NotFoundError(
                f"{path}: no sheet {sheet!r}; sheets: {', '.join(wb.sheetnames)}")
        title = ws.title
        headers: list[str] = []
        for rec in ws.iter_rows(values_only=True):
            if any(_cell_text(c) for c in rec):
                headers = [_cell_text(c) for c in rec]
                break
        # trailing empty header cells are formatting, not columns
        while headers and not headers[-1]:
            headers.pop()
    finally:
        wb.close()
    headers = dedupe_headers(headers)

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        wb2 = open_wb()
        try:
            ws2 = wb2[title]
            width = len(headers)
            seen_header = False
            for rownum, rec in enumerate(ws2.iter_rows(values_only=True), 1):
                if not any(_cell_text(c) for c in rec):
                    continue
                if not seen_header:
                    seen_header = True
                    continue
                row: dict[str, Any] = {}
                for h, v in zip(headers, rec):
                    row[h] = v
                extra = [c for c in rec[width:] if _cell_text(c)]
                if extra:
                    row[EXTRA_KEY] = extra
                yield rownum, row
        finally:
            wb2.close()

    return Source(path, "xlsx", headers, rows, sheet=title)


def _cell_text(v: Any) -> str:
    if v is None:
        return ""
    return str(v).strip()


# ----------------------------------------------------------------------------- JSON

def _read_text(path: str, data: bytes | None, encoding: str | None) -> str:
    enc = encoding or "utf-8-sig"
    try:
        if data is not None:
            return data.decode(enc)
        with open(path, encoding=enc) as fh:
            return fh.read()
    except UnicodeDecodeError as exc:
        raise _decode_error(path, enc, exc) from None


def flatten(obj: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten nested objects into dotted keys; lists stay lists."""
    out: dict[str, Any] = {}
    for k, v in obj.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def _headers_of(objs: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for o in objs:
        for k in o:
            seen.setdefault(k, None)
    return list(seen)


def _json_source(path: str, data: bytes | None, encoding: str | None) -> Source:
    text = _read_text(path, data, encoding)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    items: Any = doc
    if isinstance(doc, dict):
        lists = [(k, v) for k, v in doc.items() if isinstance(v, list)]
        if len(lists) == 1:
            items = lists[0][1]
        else:
            for key in ("records", "data", "items", "results", "leads", "contacts", "rows"):
                if isinstance(doc.get(key), list):
                    items = doc[key]
                    break
            else:
                items = [doc]  # a single object is one row
    if not isinstance(items, list):
        raise ParseError(f"{path}: expected a JSON array of objects (or an object holding one)")
    objs: list[dict[str, Any]] = []
    for i, it in enumerate(items, 1):
        if not isinstance(it, dict):
            raise ParseError(f"{path}: item {i} is a {type(it).__name__}, expected an object")
        objs.append(flatten(it))
    headers = _headers_of(objs)

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        for i, o in enumerate(objs, 1):
            if any(not _blank(v) for v in o.values()):
                yield i, o

    return Source(path, "json", headers, rows)


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or v == [] or v == {}


def _ndjson_source(path: str, data: bytes | None, encoding: str | None) -> Source:
    enc = encoding or "utf-8-sig"

    def lines() -> Iterator[tuple[int, str]]:
        try:
            if data is not None:
                text = data.decode(enc)
                yield from enumerate(text.splitlines(), 1)
            else:
                with open(path, encoding=enc) as fh:
                    for n, line in enumerate(fh, 1):
                        yield n, line
        except UnicodeDecodeError as exc:
            raise _decode_error(path, enc, exc) from None

    def parsed() -> Iterator[tuple[int, dict[str, Any]]]:
        for n, line in lines():
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ParseError(f"{path}: line {n}: invalid JSON: {exc.msg}") from None
            if not isinstance(obj, dict):
                raise ParseError(f"{path}: line {n}: expected a JSON object")
            yield n, flatten(obj)

    seen: dict[str, None] = {}
    for _, o in parsed():
        for k in o:
            seen.setdefault(k, None)
    headers = list(seen)

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        for n, o in parsed():
            if any(not _blank(v) for v in o.values()):
                yield n, o

    return Source(path, "ndjson", headers, rows, encoding=enc)


# ----------------------------------------------------------------------------- vCard

VCF_HEADERS = ("UID", "Full Name", "First Name", "Last Name", "Organization",
               "Street", "Postal Code", "City", "Region", "Country",
               "Categories", "Note")


def _vcf_source(path: str, data: bytes | None, encoding: str | None) -> Source:
    import vobject  # heavy: only here

    text = _read_text(path, data, encoding)
    cards: list[dict[str, Any]] = []
    try:
        for comp in vobject.readComponents(text, ignoreUnreadable=True):
            if comp.name.upper() != "VCARD":
                continue
            cards.append(_card_row(comp))
    except Exception as exc:  # vobject raises its own ParseError and others
        raise ParseError(f"{path}: cannot read vCard: {exc}") from None
    headers = [h for h in VCF_HEADERS if any(h in c for c in cards)]
    extra: dict[str, None] = {}
    for c in cards:
        for k in c:
            if k not in VCF_HEADERS:
                extra.setdefault(k, None)
    headers += list(extra)

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        for i, c in enumerate(cards, 1):
            yield i, c

    return Source(path, "vcf", headers, rows, encoding=encoding or "utf-8")


def _vtext(v: Any) -> str:
    if isinstance(v, (list, tuple)):
        return " ".join(str(x) for x in v if x)
    return str(v or "").strip()


def _card_row(card: Any) -> dict[str, Any]:
    row: dict[str, Any] = {}
    contents = card.contents
    if "uid" in contents:
        row["UID"] = _vtext(contents["uid"][0].value)
    if "fn" in contents:
        row["Full Name"] = _vtext(contents["fn"][0].value)
    if "n" in contents:
        n = contents["n"][0].value
        given = _vtext(getattr(n, "given", ""))
        family = _vtext(getattr(n, "family", ""))
        if given:
            row["First Name"] = given
        if family:
            row["Last Name"] = family
    if "org" in contents:
        org = contents["org"][0].value
        row["Organization"] = _vtext(org[0] if isinstance(org, (list, tuple)) and org else org)
    for i, e in enumerate(contents.get("email", []), 1):
        row["Email" if i == 1 else f"Email {i}"] = _vtext(e.value)
    for i, t in enumerate(contents.get("tel", []), 1):
        val = _vtext(t.value)
        if val.lower().startswith("tel:"):
            val = val[4:]
        row["Phone" if i == 1 else f"Phone {i}"] = val
    if "adr" in contents:
        a = contents["adr"][0].value
        street = _vtext(getattr(a, "street", ""))
        if street:
            row["Street"] = street
        for attr, key in (("code", "Postal Code"), ("city", "City"),
                          ("region", "Region"), ("country", "Country")):
            val = _vtext(getattr(a, attr, ""))
            if val:
                row[key] = val
    if "categories" in contents:
        cats: list[str] = []
        for c in contents["categories"]:
            v = c.value
            cats.extend([str(x).strip() for x in v] if isinstance(v, (list, tuple)) else [str(v)])
        row["Categories"] = ", ".join(x for x in cats if x)
    if "note" in contents:
        row["Note"] = _vtext(contents["note"][0].value)
    for key, items in contents.items():
        if key.startswith("x-") and items:
            row[key.upper()] = _vtext(items[0].value)
    return row


def file_size(path: str) -> int | None:
    try:
        return os.path.getsize(path)
    except OSError:
        return None
