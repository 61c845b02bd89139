"""YAML helpers for the sync package: the core's round-trip module when it is
available (``solarcli.storage.yamlio``), else an equivalent local setup, so the
merge driver writes files the same way ``solar`` does."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any


def _rt_yaml():
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def loads_roundtrip(text: str) -> Any:
    """Parse YAML text round-trip (comments kept). Raises ruamel errors."""
    return _rt_yaml().load(text)


def load_roundtrip_file(path: str | Path) -> Any:
    return loads_roundtrip(Path(path).read_text(encoding="utf-8"))


def dumps_roundtrip(data: Any) -> str:
    try:
        from solarcli.storage.yamlio import dump_roundtrip  # the core's writer
    except Exception:  # pragma: no cover - core not present
        dump_roundtrip = None
    if dump_roundtrip is not None:
        out = dump_roundtrip(data)
        return out.decode("utf-8") if isinstance(out, bytes) else out
    buf = io.StringIO()
    _rt_yaml().dump(data, buf)
    return buf.getvalue()


def loads_fast(text: str) -> Any:
    """Plain data from YAML text (C safe loader when available)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)
