"""A rebuildable, gitignored SQLite index of every record (``.solar/index.sqlite``).

``list``, ``board``, ``search`` and prefix lookups answer from here. Before answering, the
index is brought up to date from the files: every record file is stat()ed and the ones
whose (mtime, size, inode) changed — hand edits, ``git pull``, another clone's merge —
are parsed again; deleted files are dropped. A file that fails to parse is an error, never
silently skipped (and never left in the index with stale data). ``rebuild`` starts over.
"""
from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Iterable, Iterator

from solarcli import records
from solarcli.errors import ParseError
from solarcli.storage import yamlio

SCHEMA_VERSION = "3"
COLUMNS = ["id", "kind", "name", "type", "stage", "contact", "lead", "project", "assignee", "source",
           "facility", "grid", "email", "phone", "city", "value", "tags", "created", "updated"]


class Index:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.path = self.root / ".solar" / "index.sqlite"
        self._db: sqlite3.Connection | None = None
        self._fresh = False

    # ------------------------------------------------------------------ connection
    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            version = None
            try:
                version = db.execute("SELECT v FROM meta WHERE k='schema'").fetchone()
            except sqlite3.Error:
                pass
            if not version or version[0] != SCHEMA_VERSION:
                self._create(db)
            self._db = db
        return self._db

    def _create(self, db: sqlite3.Connection) -> None:
        db.executescript(
            """
            DROP TABLE IF EXISTS records; DROP TABLE IF EXISTS meta;
            CREATE TABLE meta(k TEXT PRIMARY KEY, v TEXT);
            CREATE TABLE records(
                path TEXT PRIMARY KEY, mtime_ns INTEGER, size INTEGER, ino INTEGER,
                id TEXT, kind TEXT, name TEXT, type TEXT, stage TEXT, contact TEXT, lead TEXT,
                project TEXT, assignee TEXT, source TEXT, facility TEXT, grid TEXT, email TEXT,
                phone TEXT, city TEXT, value REAL, tags TEXT, created TEXT, updated TEXT,
                text TEXT, data TEXT);
            CREATE INDEX records_id ON records(id);
            CREATE INDEX records_kind_stage ON records(kind, stage);
            """
        )
        db.execute("INSERT INTO meta VALUES('schema', ?)", (SCHEMA_VERSION,))

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # ------------------------------------------------------------------ freshness
    def _scan(self) -> dict[str, tuple[int, int, int]]:
        found: dict[str, tuple[int, int, int]] = {}
        for folder in records.KINDS.values():
            d = self.root / folder
            try:
                it = os.scandir(d)
            except FileNotFoundError:
                continue
            with it:
                for e in it:
                    if e.name.endswith(".yaml") and not e.name.startswith("."):
                        st = e.stat()
                        found[f"{folder}/{e.name}"] = (st.st_mtime_ns, st.st_size, st.st_ino)
        return found

    def refresh(self, *, force: bool = False) -> dict:
        """Bring the index up to date; returns counts of what changed."""
        if self._fresh and not force:
            return {"parsed": 0, "removed": 0}
        db = self.db
        known = {p: (m, s, i) for p, m, s, i in db.execute("SELECT path, mtime_ns, size, ino FROM records")}
        found = self._scan()
        changed = [p for p, st in found.items() if known.get(p) != st]
        removed = [p for p in known if p not in found]
        if changed or removed:
            rows = []
            errors = []
            for p in changed:
                try:
                    rows.append(self._row(p, found[p]))
                except ParseError as exc:
                    errors.append((p, exc))
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany("DELETE FROM records WHERE path=?", [(p,) for p in removed])
                db.executemany(f"INSERT OR REPLACE INTO records VALUES ({','.join('?' * 25)})", rows)
                if errors:
                    # never keep stale data for a file that no longer parses
                    db.executemany("DELETE FROM records WHERE path=?", [(p,) for p, _ in errors])
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            if errors:
                more = f" (and {len(errors) - 1} more file(s); run 'solar check')" if len(errors) > 1 else ""
                raise ParseError(str(errors[0][1]) + more)
        self._fresh = True
        return {"parsed": len(changed), "removed": len(removed)}

    def _row(self, relpath: str, st: tuple[int, int, int]) -> tuple:
        data = yamlio.load_fast(self.root / relpath, name=relpath)
        folder, fname = relpath.split("/", 1)
        kind = records.FOLDER_KIND[folder]
        if not isinstance(data, dict):
            raise ParseError(f"{relpath}: expected a mapping of fields, found {type(data).__name__}")
        rid = str(data.get("id") or "")
        if rid != fname[:-5]:
            raise ParseError(f"{relpath}: field id is {rid!r}; expected {fname[:-5]!r} (the file name)")
        return self.row_for(relpath, kind, data, st)

    @staticmethod
    def row_for(relpath: str, kind: str, data: dict, st: tuple[int, int, int]) -> tuple:
        s = records.summary(kind, data)
        return (
            relpath, st[0], st[1], st[2], s["id"], kind, s["name"], _t(s["type"]), _t(s["stage"]),
            _t(s["contact"]), _t(s["lead"]), _t(s["project"]), _t(s["assignee"]), _t(s["source"]),
            _t(s["facility"]), _t(s["grid"]), _t(s["email"]), _t(s["phone"]), _t(s["city"]),
            s["value"] if isinstance(s["value"], (int, float)) else None,
            json.dumps(s["tags"], ensure_ascii=False, default=str), s["created"], s["updated"],
            records.search_text(data), json.dumps(data, ensure_ascii=False, default=str),
        )

    def update_paths(self, paths: Iterable[str]) -> None:
        """After solar itself wrote ``paths``: re-read exactly those (cheap)."""
        if not self.path.exists():
            return
        db = self.db
        rows, gone = [], []
        for p in paths:
            folder = p.split("/", 1)[0]
            if folder not in records.FOLDER_KIND or not p.endswith(".yaml") or p.count("/") != 1:
                continue
            full = self.root / p
            try:
                st = full.stat()
            except FileNotFoundError:
                gone.append(p)
                continue
            try:
                rows.append(self._row(p, (st.st_mtime_ns, st.st_size, st.st_ino)))
            except ParseError:
                gone.append(p)
        db.execute("BEGIN IMMEDIATE")
        db.executemany("DELETE FROM records WHERE path=?", [(p,) for p in gone])
        db.executemany(f"INSERT OR REPLACE INTO records VALUES ({','.join('?' * 25)})", rows)
        db.execute("COMMIT")

    def rebuild(self) -> dict:
        self.close()
        for suffix in ("", "-wal", "-shm"):
            try:
                os.unlink(str(self.path) + suffix)
            except FileNotFoundError:
                pass
        self._fresh = False
        return self.refresh(force=True)

    # ------------------------------------------------------------------ queries
    def lookup_prefix(self, prefix: str, kind: str | None = None) -> list[tuple[str, str]]:
        self.refresh()
        sql = "SELECT DISTINCT id, kind FROM records WHERE id >= ? AND id < ?"
        args: list = [prefix, prefix + "\U0010ffff"]
        if kind:
            sql += " AND kind=?"
            args.append(kind)
        return [(r[0], r[1]) for r in self.db.execute(sql + " ORDER BY id LIMIT 50", args)]

    def select(self, where: str = "", args: Iterable = (), order: str = "", limit: int | None = None,
               with_data: bool = False) -> list[dict]:
        self.refresh()
        cols = COLUMNS + (["data"] if with_data else [])
        sql = f"SELECT {', '.join(cols)} FROM records"
        if where:
            sql += " WHERE " + where
        if order:
            sql += " ORDER BY " + order
        if limit:
            sql += f" LIMIT {int(limit)}"
        out = []
        for row in self.db.execute(sql, list(args)):
            d = dict(zip(cols, row))
            d["tags"] = json.loads(d["tags"] or "[]")
            if with_data:
                d["data"] = json.loads(d["data"])
            out.append(d)
        return out

    def iter_data(self, kind: str) -> Iterator[dict]:
        self.refresh()
        for (data,) in self.db.execute("SELECT data FROM records WHERE kind=? ORDER BY created, id", (kind,)):
            yield json.loads(data)

    def names(self, ids: Iterable[str]) -> dict[str, str]:
        ids = [i for i in set(ids) if i]
        out: dict[str, str] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            q = f"SELECT id, name FROM records WHERE id IN ({','.join('?' * len(chunk))})"
            out.update({r[0]: r[1] for r in self.db.execute(q, chunk)})
        return out

    def count(self) -> int:
        self.refresh()
        return self.db.execute("SELECT COUNT(*) FROM records").fetchone()[0]


def _t(v):
    return None if v is None else str(v)
