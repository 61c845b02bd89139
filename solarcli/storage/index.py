"""A rebuildable, gitignored SQLite index of every record (``.solar/index.sqlite``).

``list``, ``board``, ``search`` and prefix lookups answer from here. Before answering, the
index is brought up to date from the files: every record file is stat()ed and the ones
whose (mtime, size, inode, ctime) changed — hand edits, ``git pull``, another clone's merge —
are parsed again; deleted files are dropped. A file that fails to parse is an error, never
silently skipped (and never left in the index with stale data). ``rebuild`` starts over.

Fast path: comparing the stat of every file with the (path, stat) of every row means
reading all rows back (~0.3 s at 200k files). Instead ``meta`` keeps a digest of the
directory scan the rows were made from (``scan``), the stat changes solar's own writes
made since (``overrides``: path -> [stat in the digested scan, stat now in the rows]) and a
generation counter (``gen``) bumped by every write. When a fresh scan, with the overrides
undone, has the same digest, the rows are exactly up to date and nothing is read back.
Any doubt (digest or order differs, a concurrent writer, an unknown Python) falls back to
the full comparison, which rewrites the digest.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

from solarcli import records
from solarcli.errors import ParseError

if TYPE_CHECKING:  # sqlite3 and the YAML loader are imported when used: 'solar --help' needs neither
    import sqlite3

SCHEMA_VERSION = "5"  # 5: ctime_ns in the stat key; scan digest in meta (gen, scan, overrides)
PARALLEL_MIN = 400  # changed files from which parsing is spread over forked workers
UPDATE_CHUNK = 4000  # files re-read (and rows held in memory) at a time after a bulk change
MAX_OVERRIDES = 2000  # solar's own writes tracked on top of the scan digest before it is dropped
COLUMNS = ["id", "kind", "name", "type", "stage", "contact", "lead", "project", "assignee", "source",
           "facility", "grid", "email", "phone", "city", "value", "tags", "created", "updated"]


_SCHEMA = [
    "DROP TABLE IF EXISTS records",
    "DROP TABLE IF EXISTS meta",
    "CREATE TABLE meta(k TEXT PRIMARY KEY, v TEXT)",
    """CREATE TABLE records(
        path TEXT PRIMARY KEY, mtime_ns INTEGER, size INTEGER, ino INTEGER, ctime_ns INTEGER,
        id TEXT, kind TEXT, name TEXT, type TEXT, stage TEXT, contact TEXT, lead TEXT,
        project TEXT, assignee TEXT, source TEXT, facility TEXT, grid TEXT, email TEXT,
        phone TEXT, city TEXT, value REAL, tags TEXT, created TEXT, updated TEXT,
        text TEXT, data TEXT)""",
    "CREATE INDEX records_id ON records(id)",
    "CREATE INDEX records_kind_stage ON records(kind, stage)",
]


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
            import sqlite3

            self.path.parent.mkdir(exist_ok=True)
            try:
                self._db = self._open()
            except sqlite3.DatabaseError as exc:
                if isinstance(exc, sqlite3.OperationalError):  # locked, disk full, ...: not ours to fix
                    raise
                # 'file is not a database': the index is a cache of the files, so start it over
                for suffix in ("", "-wal", "-shm"):
                    try:
                        os.unlink(str(self.path) + suffix)
                    except FileNotFoundError:
                        pass
                self._db = self._open()
        return self._db

    def _open(self) -> sqlite3.Connection:
        import sqlite3

        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            version = None
            try:
                version = db.execute("SELECT v FROM meta WHERE k='schema'").fetchone()
            except sqlite3.Error:
                pass
            if not version or version[0] != SCHEMA_VERSION:
                self._create(db)
        except BaseException:
            db.close()
            raise
        return db

    def _create(self, db: sqlite3.Connection) -> None:
        # Two solar processes may open a missing index at once: check and create inside one
        # write transaction, so the second one finds the first one's tables.
        import sqlite3

        db.execute("BEGIN IMMEDIATE")
        try:
            try:
                version = db.execute("SELECT v FROM meta WHERE k='schema'").fetchone()
            except sqlite3.Error:
                version = None
            if not version or version[0] != SCHEMA_VERSION:
                for stmt in _SCHEMA:
                    db.execute(stmt)
                db.execute("INSERT INTO meta VALUES('schema', ?)", (SCHEMA_VERSION,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # ------------------------------------------------------------------ freshness
    def _scan(self) -> dict[str, dict[str, tuple[int, ...]]]:
        """folder -> {file name -> (mtime_ns, size, inode)} of every record file."""
        found: dict[str, dict[str, tuple[int, ...]]] = {}
        for folder in records.KINDS.values():
            files: dict[str, tuple[int, ...]] = {}
            found[folder] = files
            try:
                fd = os.open(self.root / folder, os.O_RDONLY | os.O_DIRECTORY)
            except FileNotFoundError:
                continue
            try:  # scandir on a descriptor: each stat is a cheap fstatat(fd, name)
                with os.scandir(fd) as it:
                    for e in it:
                        name = e.name
                        if name.endswith(".yaml") and not name.startswith("."):
                            st = e.stat()
                            files[name] = (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)
            finally:
                os.close(fd)
        return found

    @staticmethod
    def _digest(found: dict[str, dict]) -> str:
        import hashlib

        h = hashlib.blake2b(digest_size=20)
        for folder, files in found.items():
            h.update(folder.encode() + b"\0")
            h.update(repr(files).encode())  # deterministic for str keys and int tuples
        return h.hexdigest()

    def _meta(self, db: sqlite3.Connection) -> dict[str, str]:
        return {k: v for k, v in db.execute("SELECT k, v FROM meta WHERE k IN ('gen', 'scan', 'overrides')")}

    def _up_to_date(self, found: dict[str, dict], meta: dict[str, str]) -> bool:
        """True if the rows are exactly the files of ``found`` (see the module docstring)."""
        digest = meta.get("scan")
        if not digest:
            return False
        overrides = json.loads(meta.get("overrides") or "{}")
        if overrides:
            found = {folder: files for folder, files in found.items()}
            copied: set[str] = set()
            for path, (base, now) in overrides.items():
                folder, _, name = path.partition("/")
                files = found.get(folder)
                if files is None:
                    return False
                if files.get(name) != (tuple(now) if now is not None else None):
                    return False  # changed again since solar wrote it
                if folder not in copied:
                    files = found[folder] = dict(files)
                    copied.add(folder)
                if base is None:
                    files.pop(name, None)
                else:
                    files[name] = tuple(base)
        return self._digest(found) == digest

    def refresh(self, *, force: bool = False) -> dict:
        """Bring the index up to date; returns counts of what changed."""
        if self._fresh and not force:
            return {"parsed": 0, "removed": 0}
        db = self.db
        meta = self._meta(db)
        scan = self._scan()
        if self._up_to_date(scan, meta):
            self._fresh = True
            return {"parsed": 0, "removed": 0}
        db.execute("BEGIN")  # one read snapshot: rows and the generation they belong to
        try:
            gen = self._meta(db).get("gen")
            known = {p: (m, s, i, c) for p, m, s, i, c in
                     db.execute("SELECT path, mtime_ns, size, ino, ctime_ns FROM records")}
        finally:
            db.execute("COMMIT")
        found = {f"{folder}/{name}": st for folder, files in scan.items() for name, st in files.items()}
        changed = [p for p, st in found.items() if known.get(p) != st]
        removed = [p for p in known if p not in found]
        rows, errors = self._rows([(p, found[p]) for p in changed])
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany("DELETE FROM records WHERE path=?", [(p,) for p in removed])
            db.executemany(f"INSERT OR REPLACE INTO records VALUES ({','.join('?' * 26)})", rows)
            if errors:
                # never keep stale data for a file that no longer parses
                db.executemany("DELETE FROM records WHERE path=?", [(p,) for p, _ in errors])
            # the digest is valid only if no one else wrote since 'known' was read
            valid = not errors and self._meta(db).get("gen") == gen
            self._set_meta(db, gen, self._digest(scan) if valid else "", {})
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        if errors:
            more = f" (and {len(errors) - 1} more file(s); run 'solar check')" if len(errors) > 1 else ""
            raise ParseError(str(errors[0][1]) + more)
        self._fresh = True
        return {"parsed": len(changed), "removed": len(removed)}

    @staticmethod
    def _set_meta(db: sqlite3.Connection, gen: str | None, scan: str, overrides: dict) -> None:
        """Inside a write transaction: bump the generation, store digest and overrides."""
        cur = db.execute("SELECT v FROM meta WHERE k='gen'").fetchone()
        db.executemany("INSERT OR REPLACE INTO meta VALUES(?, ?)", [
            ("gen", str(int(cur[0] if cur else 0) + 1)), ("scan", scan),
            ("overrides", json.dumps(overrides) if scan else "{}")])

    def _rows(self, todo: list[tuple[str, tuple[int, ...]]]) -> tuple[list, list]:
        """Index rows for (path, stat) pairs, and the (path, ParseError) of files that fail.

        Many files (a rebuild, a big pull) are parsed by forked workers, one per core:
        YAML parsing is CPU-bound and dominates. Results and errors keep ``todo``'s order."""
        workers = min(os.cpu_count() or 1, 8)
        if len(todo) >= PARALLEL_MIN and workers > 1 and hasattr(os, "fork"):
            import multiprocessing

            chunk = -(-len(todo) // (workers * 4))
            parts = [todo[i:i + chunk] for i in range(0, len(todo), chunk)]
            try:
                pool = multiprocessing.get_context("fork").Pool(workers)
            except (OSError, AssertionError):  # no processes left, or we are a daemon worker
                pool = None
            if pool is not None:
                with pool:
                    done = pool.map(_parse_part, [(self.root, part) for part in parts])
                rows = [r for part_rows, _ in done for r in part_rows]
                errors = [(p, ParseError(msg)) for _, part_errors in done for p, msg in part_errors]
                return rows, errors
        rows, errors = [], []
        for p, st in todo:
            try:
                rows.append(self._row(p, st))
            except ParseError as exc:
                errors.append((p, exc))
        return rows, errors

    def _row(self, relpath: str, st: tuple[int, ...]) -> tuple:
        from solarcli.storage import yamlio

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
    def row_for(relpath: str, kind: str, data: dict, st: tuple[int, ...]) -> tuple:
        s = records.summary(kind, data)
        return (
            relpath, st[0], st[1], st[2], st[3], s["id"], kind, s["name"], _t(s["type"]), _t(s["stage"]),
            _t(s["contact"]), _t(s["lead"]), _t(s["project"]), _t(s["assignee"]), _t(s["source"]),
            _t(s["facility"]), _t(s["grid"]), _t(s["email"]), _t(s["phone"]), _t(s["city"]),
            s["value"] if isinstance(s["value"], (int, float)) else None,
            json.dumps(s["tags"], ensure_ascii=False, default=str), s["created"], s["updated"],
            records.search_text(data), json.dumps(data, ensure_ascii=False, default=str),
        )

    def update_paths(self, paths: Iterable[str]) -> None:
        """After solar itself wrote ``paths``: re-read exactly those (many: in parallel)."""
        if not self.path.exists():
            return
        db = self.db
        gone: list[str] = []
        todo: list[tuple[str, tuple]] = []
        now: dict[str, tuple | None] = {}
        for p in paths:
            folder = p.split("/", 1)[0]
            if folder not in records.FOLDER_KIND or not p.endswith(".yaml") or p.count("/") != 1:
                continue
            try:
                st = (self.root / p).stat()
            except FileNotFoundError:
                gone.append(p)
                now[p] = None
                continue
            key = (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)
            todo.append((p, key))
            now[p] = key
        db.execute("BEGIN IMMEDIATE")
        try:
            for i in range(0, len(todo), UPDATE_CHUNK):  # bounded memory for bulk changes
                rows, errors = self._rows(todo[i:i + UPDATE_CHUNK])
                db.executemany(f"INSERT OR REPLACE INTO records VALUES ({','.join('?' * 26)})", rows)
                for p, _ in errors:
                    gone.append(p)
                    now[p] = None
                del rows
            meta = self._meta(db)
            scan = meta.get("scan") or ""
            overrides = json.loads(meta.get("overrides") or "{}") if scan else {}
            if len(now) > MAX_OVERRIDES:  # a bulk change: the next refresh compares every file
                scan, overrides = "", {}
            for p in (now if scan else ()):  # remember the stat the digested scan had, the first time a path changes
                if p not in overrides:
                    row = db.execute("SELECT mtime_ns, size, ino, ctime_ns FROM records WHERE path=?", (p,)).fetchone()
                    overrides[p] = [list(row) if row else None, None]
            db.executemany("DELETE FROM records WHERE path=?", [(p,) for p in gone])
            for p, key in (now.items() if scan else ()):
                overrides[p][1] = list(key) if key is not None else None
            if len(overrides) > MAX_OVERRIDES:
                scan = ""
            self._set_meta(db, meta.get("gen"), scan, overrides)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

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


def _parse_part(args: tuple[Path, list[tuple[str, tuple[int, ...]]]]) -> tuple[list, list]:
    """Worker of ``Index._rows``: rows of one slice, parse errors as (path, message)."""
    root, part = args
    rows, errors = [], []
    ix = Index(root)
    for p, st in part:
        try:
            rows.append(ix._row(p, st))
        except ParseError as exc:
            errors.append((p, exc.message))
    return rows, errors


def _t(v):
    return None if v is None else str(v)
