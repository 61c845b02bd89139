"""The existing contacts and leads of a repository, for the import planner.

Read from the SQLite index (``repo.index``, read-only SQL on its ``records`` table,
whose ``data`` column holds each record as JSON): the match keys of every record
up front, one record's data when a row touches it. Nothing else is held, so a
re-import of 100k rows does not keep 180k records in memory.
"""
from __future__ import annotations

import json
from typing import Any, Iterable, Iterator

from solarcli.importing.planner import Existing, KeyRow

# one JSON parse in SQLite per record: [external_id, emails, phones, import_fingerprint]
_KEYS_SQL = ("SELECT id, json_extract(data, '$.external_id', '$.emails', '$.phones', "
             "'$.import_fingerprint') FROM records WHERE kind=? ORDER BY created, id")
_KEYS_SQL_PLAIN = "SELECT id, data FROM records WHERE kind=? ORDER BY created, id"
# "+kind": not the (kind, stage) index, which SQLite would pick, scanning every record of
# the kind for each ID (4 ms a query at 10k leads); the id index finds the row directly
_GET_SQL = "SELECT data FROM records WHERE id=? AND +kind=?"


class IndexRecords(Existing):
    """Existing records of ``kinds`` (others look empty) from ``repo``'s index."""

    def __init__(self, repo: Any, kinds: Iterable[str] = ("contact", "lead")):
        repo.recover()  # what repo.iter_records does before reading the index
        repo.index.refresh()
        self.db = repo.index.db
        self.kinds = set(kinds)

    def keys(self, kind: str) -> Iterator[KeyRow]:
        if kind not in self.kinds:
            return
        import sqlite3

        try:
            cur = self.db.execute(_KEYS_SQL, (kind,))
        except sqlite3.OperationalError:  # an SQLite without JSON functions
            for rid, data in self.db.execute(_KEYS_SQL_PLAIN, (kind,)):
                d = json.loads(data)
                yield rid, d.get("external_id"), d.get("emails"), d.get("phones"), d.get("import_fingerprint")
            return
        loads = json.loads
        for rid, keys in cur:
            ext, emails, phones, fp = loads(keys)
            yield rid, ext, emails, phones, fp

    def get(self, kind: str, rid: str) -> dict | None:
        if kind not in self.kinds:
            return None
        row = self.db.execute(_GET_SQL, (rid, kind)).fetchone()
        return json.loads(row[0]) if row else None


def fetch(db: Any, kind: str, ids: Iterable[Any], chunk: int = 500,
          expr: str = "data") -> Iterator[tuple[str, Any]]:
    """(id, ``expr``) of the records of ``kind`` with these IDs, a chunk at a time in one
    query each (``expr`` is ``data`` or an SQL expression over it, e.g. a json_extract).
    Order within a chunk: the index's (created, id), as ``repo.iter_records`` yields them."""
    todo = [i for i in ids if isinstance(i, str)]
    for n in range(0, len(todo), chunk):
        part = todo[n:n + chunk]
        q = (f"SELECT id, {expr} FROM records WHERE +kind=? AND id IN ({','.join('?' * len(part))}) "
             "ORDER BY created, id")
        yield from db.execute(q, [kind, *part])
