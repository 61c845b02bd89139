"""Random record IDs that never collide between clones.

10 characters of Crockford base32 (lower case, no i l o u): 50 random bits.
Shown as the first ``SHORT`` characters; any unambiguous prefix is accepted.
"""
from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
LENGTH = 10
SHORT = 7
ID_RE = re.compile(r"^[0-9a-hjkmnp-tv-z]{10}$")
PREFIX_RE = re.compile(r"^[0-9a-hjkmnp-tv-z]{1,10}$")


def new_id() -> str:
    """LENGTH characters of ALPHABET, uniformly random: 5 bits per character, all of them
    from one call (an import makes ~3 IDs a row)."""
    n = secrets.randbits(5 * LENGTH)
    return "".join([ALPHABET[(n >> s) & 31] for s in range(0, 5 * LENGTH, 5)])


def short(record_id: str) -> str:
    return record_id[:SHORT]


def is_id(value: str) -> bool:
    return bool(ID_RE.match(value or ""))


def is_prefix(value: str) -> bool:
    return bool(PREFIX_RE.match(value or ""))
