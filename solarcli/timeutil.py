"""Time helpers: every timestamp solar writes is ISO 8601 UTC with seconds."""
from __future__ import annotations

import datetime as _dt


def now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)


def now_iso() -> str:
    return now().isoformat().replace("+00:00", "Z")


def today() -> _dt.date:
    return _dt.date.today()


def parse_date(value: str, *, field: str = "date") -> _dt.date:
    """Parse YYYY-MM-DD (also accepts 'today', 'tomorrow', '+Nd')."""
    from solarcli.errors import ValidationError

    v = str(value).strip().lower()
    if v == "today":
        return today()
    if v == "tomorrow":
        return today() + _dt.timedelta(days=1)
    if v.startswith("+") and v.endswith("d") and v[1:-1].isdigit():
        return today() + _dt.timedelta(days=int(v[1:-1]))
    try:
        return _dt.date.fromisoformat(v[:10])
    except ValueError:
        raise ValidationError(
            f"{field}: {value!r} is not a date; expected YYYY-MM-DD, 'today', 'tomorrow' or '+Nd'"
        ) from None
