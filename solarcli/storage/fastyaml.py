"""Write new record files fast, in the same layout as ``yamlio.dump_roundtrip``.

ruamel's round-trip dumper costs ~6 ms per record, which dominates a bulk
import (10k rows = ~18k files). New records created by an import are plain
data (dicts, lists, str, int, float, bool, None), so they are emitted here
directly in ruamel's layout (mapping indent 2, sequences ``  - `` with offset
2, literal ``|`` blocks for multi-line text). A string is written plain only
when both YAML 1.2 (ruamel) and YAML 1.1 (PyYAML, the index) read it back as
the same string; otherwise it is single-quoted (or double-quoted with escapes).
``dump`` returns None for anything unusual and the caller falls back to ruamel;
the caller also checks that the text loads back to the same data.
"""
from __future__ import annotations

import functools
import math
import unicodedata
from typing import Any

_STR = "tag:yaml.org,2002:str"
_resolvers: tuple[Any, Any] | None = None
_FIRST_BAD = set("-?:,[]{}#&*!|>'\"%@` ")
_BREAKS = "\r\x85\u2028\u2029\ufeff"


class _Unsupported(Exception):
    pass


def _res():
    global _resolvers
    if _resolvers is None:
        import yaml
        from ruamel.yaml.nodes import ScalarNode
        from ruamel.yaml.resolver import VersionedResolver

        r12 = VersionedResolver(version=(1, 2))
        r11 = yaml.resolver.Resolver()
        _resolvers = (lambda s: r12.resolve(ScalarNode, s, (True, False)),
                      lambda s: r11.resolve(yaml.ScalarNode, s, (True, False)))
    return _resolvers


def _printable(s: str) -> bool:
    return not any(unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn") or c in _BREAKS for c in s)


def _plain_ok(s: str) -> bool:
    if not s or s[0] in _FIRST_BAD or s[-1] in " :" or ": " in s or " #" in s:
        return False
    if "\t" in s or "\n" in s or not _printable(s):
        return False
    if s.lower() in ("yes", "no", "on", "off", "true", "false", "null", "~"):
        return False
    r12, r11 = _res()
    return r12(s) == _STR and r11(s) == _STR


@functools.lru_cache(maxsize=65536)
def _str_scalar(v: str) -> str:
    if _plain_ok(v):
        return v
    if _printable(v) and "\n" not in v and "\t" not in v:
        return "'" + v.replace("'", "''") + "'"
    return _double(v)


def _scalar(v: Any) -> str:
    if isinstance(v, str):
        return _str_scalar(v)
    if v is None:
        return ""
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            raise _Unsupported
        return repr(v)
    raise _Unsupported


_ESC = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _double(s: str) -> str:
    out = []
    for c in s:
        if c in _ESC:
            out.append(_ESC[c])
        elif unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn") or c in _BREAKS:
            o = ord(c)
            out.append(f"\\x{o:02x}" if o < 0x100 else (f"\\u{o:04x}" if o < 0x10000 else f"\\U{o:08x}"))
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def _literal(v: str, indent: int) -> str | None:
    """``|-`` / ``|`` block lines for a multi-line string, or None if it cannot be one."""
    if v.startswith(" ") or any(line.startswith("\t") for line in v.split("\n")):
        return None
    if not _printable(v.replace("\n", "").replace("\t", "")):
        return None
    if v.endswith("\n\n"):
        return None
    chomp = "" if v.endswith("\n") else "-"
    body = v[:-1] if v.endswith("\n") else v
    pad = " " * indent
    lines = [(pad + ln) if ln else "" for ln in body.split("\n")]
    if any(ln.endswith(" ") for ln in body.split("\n")):
        return None  # trailing spaces: let ruamel decide
    return "|" + chomp + "\n" + "\n".join(lines)


def _value(v: Any, indent: int) -> str:
    """Text after ``key:`` (including the leading space or newline)."""
    if isinstance(v, dict):
        if not v:
            return " {}"
        return "\n" + _mapping(v, indent + 2)
    if isinstance(v, list):
        if not v:
            return " []"
        return "\n" + _sequence(v, indent + 2)
    if isinstance(v, str) and "\n" in v:
        lit = _literal(v, indent + 2)
        if lit is not None:
            return " " + lit
    s = _scalar(v)
    return (" " + s) if s != "" else ""


def _key(k: Any) -> str:
    if not isinstance(k, str):
        raise _Unsupported
    s = _scalar(k)
    if "\n" in k or s.startswith('"'):
        raise _Unsupported
    return s


def _mapping(d: dict, indent: int) -> str:
    pad = " " * indent
    return "\n".join(f"{pad}{_key(k)}:{_value(v, indent)}" for k, v in d.items())


def _sequence(items: list, indent: int) -> str:
    pad = " " * indent
    out = []
    for it in items:
        if isinstance(it, dict) and it:
            body = _mapping(it, indent + 2)
            out.append(pad + "- " + body[indent + 2:])
        elif isinstance(it, (dict, list)):
            raise _Unsupported  # nested empty containers / lists of lists: ruamel
        elif isinstance(it, str) and "\n" in it:
            raise _Unsupported
        else:
            s = _scalar(it)
            out.append(pad + "- " + s if s != "" else pad + "- ")
    return "\n".join(out)


def dump(data: dict) -> str | None:
    """The YAML text of a plain record, or None when it should go through ruamel."""
    try:
        return _mapping(data, 0) + "\n"
    except _Unsupported:
        return None


