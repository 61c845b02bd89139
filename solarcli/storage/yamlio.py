"""The one module that reads and writes YAML.

- Round-trip (ruamel.yaml) for files that are being changed: comments, key order and
  quoting survive; edits are made in place on the loaded mapping.
- A fast safe loader (PyYAML's C loader when available) for bulk reads (the index).
- Neither loader ever constructs Python objects from tags: ``!!python/...`` is an error.
- ``atomic_write``: temp file in the same folder, fsync, ``os.replace``.
"""
from __future__ import annotations

import io
import re
import os
import tempfile
from pathlib import Path
from typing import Any

from solarcli.errors import ParseError

_rt = None


def _roundtrip_yaml():
    global _rt
    if _rt is None:
        from ruamel.yaml import YAML
        from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor

        class _Constructor(RoundTripConstructor):
            """Unknown tags (``!!python/object/apply:...`` and any other) are an error, as in
            the fast safe loader; ruamel's default keeps them as tagged data."""

        def _refuse(self, node):
            raise ConstructorError(None, None, f"unknown tag {node.tag!s}; records hold plain data only",
                                   node.start_mark)

        _Constructor.add_constructor(None, _refuse)
        y = YAML(typ="rt")
        y.Constructor = _Constructor
        y.preserve_quotes = True
        y.indent(mapping=2, sequence=4, offset=2)
        y.width = 4096
        _rt = y
    return _rt


def _mark(exc) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}"
    return "unknown position"


def _problem(exc) -> str:
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return str(problem)


def loads_roundtrip(text: str, *, name: str = "<string>") -> Any:
    if "<<<<<<< " in text and "\n=======" in text:
        raise ParseError(f"{name}: contains git conflict markers (<<<<<<<); resolve them or run 'solar check'")
    try:
        return _roundtrip_yaml().load(text)
    except Exception as exc:  # ruamel raises many types
        raise ParseError(f"{name}: invalid YAML at {_mark(exc)}: {_problem(exc)}") from None


def load_roundtrip(path: Path, *, name: str | None = None) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ParseError(f"{name or path}: not UTF-8 text") from None
    return loads_roundtrip(text, name=name or str(path))


def dump_roundtrip(data: Any) -> str:
    _literalise(data)
    buf = io.StringIO()
    _roundtrip_yaml().dump(data, buf)
    return buf.getvalue()


_BREAKS = "\r\x85\u2028\u2029"  # line breaks other than \n: a literal or single-quoted block would lose them


def _literal_ok(v: str) -> bool:
    """Can ``v`` be written as a literal block and read back unchanged (by ruamel and PyYAML)?"""
    import unicodedata

    if v.startswith(" ") or any(line.startswith("\t") for line in v.split("\n")):
        return False
    return not any(ch in _BREAKS or ch == "\ufeff" or (ch not in "\n\t" and unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn"))
                   for ch in v)


def _literalise(node: Any) -> None:
    """Multi-line strings become literal ``|`` blocks (readable diffs); strings a literal
    block cannot carry (control characters, other line breaks) are double-quoted with escapes."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

    if isinstance(node, dict):
        items = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return
    for k, v in list(items):
        if isinstance(v, str) and not isinstance(v, (LiteralScalarString, DoubleQuotedScalarString)):
            if "\n" in v and _literal_ok(v):
                node[k] = LiteralScalarString(v)
            elif "\n" in v or any(ch in _BREAKS for ch in v):
                node[k] = DoubleQuotedScalarString(v)
        elif isinstance(v, (dict, list)):
            _literalise(v)


try:  # PyYAML's libyaml binding is ~10x faster than pure Python
    import yaml as _pyyaml

    class _FastLoader(getattr(_pyyaml, "CSafeLoader", _pyyaml.SafeLoader)):  # type: ignore[misc]
        """The C safe loader, refusing duplicate keys (PyYAML keeps the last one silently,
        while the round-trip loader rejects them: a list must not show what show refuses)."""

        def construct_mapping(self, node, deep=False):
            seen = set()
            for key_node, _ in node.value:
                if isinstance(key_node, _pyyaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                    key = (key_node.tag, key_node.value)
                    if key in seen:
                        raise _pyyaml.constructor.ConstructorError(
                            "while constructing a mapping", node.start_mark,
                            f"found duplicate key {key_node.value!r}", key_node.start_mark)
                    seen.add(key)
            return super().construct_mapping(node, deep=deep)

        def construct_yaml_int(self, node):  # YAML 1.2: "012" is 12, not octal 10
            v = self.construct_scalar(node).replace("_", "")
            sign = -1 if v.startswith("-") else 1
            v = v.lstrip("+-")
            if v.startswith("0o"):
                return sign * int(v[2:], 8)
            if v.startswith("0x"):
                return sign * int(v[2:], 16)
            return sign * int(v)

    # Read the way the round-trip loader (ruamel, YAML 1.2) reads: yes/no/on/off stay
    # strings, 12:30 is not a base-60 number, 1e3 is a float. Otherwise a value solar wrote
    # could show as another type in list/export than in show.
    _BOOL, _INT, _FLOAT = ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
    _FastLoader.yaml_implicit_resolvers = {
        ch: [(tag, rx) for tag, rx in rs if tag not in (_BOOL, _INT, _FLOAT)]
        for ch, rs in _FastLoader.yaml_implicit_resolvers.items()
    }
    _FastLoader.add_implicit_resolver(
        _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
    _FastLoader.add_implicit_resolver(
        _INT, re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789"))
    _FastLoader.add_implicit_resolver(
        _FLOAT, re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                           r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"), list("-+0123456789."))
    _FastLoader.add_constructor(_INT, _FastLoader.construct_yaml_int)
except ImportError:  # pragma: no cover - PyYAML is a dependency
    _pyyaml = None
    _FastLoader = None


def loads_fast(text: str, *, name: str = "<string>") -> Any:
    if "<<<<<<< " in text and "\n=======" in text:
        raise ParseError(f"{name}: contains git conflict markers (<<<<<<<); resolve them or run 'solar check'")
    try:
        if _pyyaml is None:  # pragma: no cover
            from ruamel.yaml import YAML

            return YAML(typ="safe", pure=True).load(text)
        return _pyyaml.load(text, Loader=_FastLoader)
    except Exception as exc:
        raise ParseError(f"{name}: invalid YAML at {_mark(exc)}: {_problem(exc)}") from None


def load_fast(path: Path, *, name: str | None = None) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ParseError(f"{name or path}: not UTF-8 text") from None
    return loads_fast(text, name=name or str(path))


def dump_plain(data: Any) -> str:
    """Dump plain Python data (lists/dicts/scalars) as block-style YAML."""
    from ruamel.yaml import YAML

    y = YAML(typ="safe", pure=True)
    y.default_flow_style = False
    y.sort_base_mapping_type_on_output = False
    buf = io.StringIO()
    y.dump(data, buf)
    return buf.getvalue()


def atomic_write(path: Path, data: bytes | str, *, fsync: bool = True) -> None:
    """Write ``data`` to ``path`` so that a crash leaves the old file or the new one.

    ``fsync=False`` leaves durability to the caller (a transaction writing thousands of
    files calls ``os.sync()`` once instead of paying one fsync per file)."""
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if fsync:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
