"""A rebuildable, gitignored SQLite index of every record (``.solar/index.sqlite``).

``list``, ``board``, ``search`` and prefix lookups answer from here. Before answering, the
index is brought up to date from the files: every record file is stat()ed and the ones
whose (mtime, size, inode, ctime) changed — hand edits, ``git pull``, another clone's merge —
are parsed again; deleted files are dropped. A file that fails to parse is an error, never
silently skipped (and never left in the index with stale data). ``rebuild`` starts over.

Fast path: record files live in shard folders (``leads/7/7k2m9x4abc.yaml``, see
``records.record_path``). The ``shards`` table keeps, per shard folder, a digest of the
(name, stat) list the rows were made from. A refresh stats every file, digests each
shard, and reads rows back only for the shards whose digest differs. Solar's own writes
(``update_paths``) re-digest the shards they touched, after checking that every other
file there still matches its row. Any doubt (a concurrent writer, a file that fails to
parse) stores an empty digest, so the next refresh compares that shard file by file.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

from solarcli import records
from solarcli.errors import LayoutError, ParseError

if TYPE_CHECKING:  # sqlite3 and the YAML loader are imported when used: 'solar --help' needs neither
    import sqlite3

SCHEMA_VERSION = "6"  # 6: sharded record folders, one scan digest per shard (table shards)
PARALLEL_MIN = 400  # changed files from which parsing is spread over forked workers
PARALLEL_SCAN_BYTES = 256 * 1024  # shard directory files this big (~5,000+ entries): stat in two processes
UPDATE_CHUNK = 4000  # files re-read (and rows held in memory) at a time after a bulk change
COLUMNS = ["id", "kind", "name", "type", "stage", "contact", "lead", "project", "assignee", "source",
           "facility", "grid", "email", "phone", "city", "value", "tags", "created", "updated"]


_SCHEMA = [
    "DROP TABLE IF EXISTS records",
    "DROP TABLE IF EXISTS meta",
    "DROP TABLE IF EXISTS shards",
    "CREATE TABLE meta(k TEXT PRIMARY KEY, v TEXT)",
    "CREATE TABLE shards(dir TEXT PRIMARY KEY, digest TEXT)",
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
    def _shards(self) -> tuple[list[str], int]:
        """The shard folders ('leads/7', ...) and the summed size of their directory files
        (a cheap measure of how many files they hold). Raises LayoutError for record files
        in the old flat layout (``leads/<id>.yaml``): they would otherwise be invisible."""
        dirs: list[str] = []
        size = 0
        for folder in records.KINDS.values():
            try:
                it = os.scandir(self.root / folder)
            except (FileNotFoundError, NotADirectoryError):
                continue
            flat = 0
            with it:
                for e in it:
                    name = e.name
                    if len(name) == 1 and e.is_dir(follow_symlinks=False):
                        dirs.append(f"{folder}/{name}")
                        size += e.stat(follow_symlinks=False).st_size
                    elif name.endswith(".yaml") and not name.startswith("."):
                        flat += 1
            if flat:
                raise LayoutError(
                    f"{folder}/: {flat} record file(s) in the old flat layout ({folder}/<id>.yaml); "
                    f"run 'solar migrate' to move them into shard folders ({folder}/<x>/<id>.yaml, one commit)")
        return sorted(dirs), size

    def _digests(self, dirs: list[str], size: int) -> dict[str, str]:
        """Shard folder -> digest of its files' (name, stat). The stat() of every file is
        most of a warm command's time at 100k records: big repositories split the folders
        with one forked child (os.stat runs in parallel there; the GIL does not allow it in
        threads)."""
        threads = sys.modules.get("threading")
        if size < PARALLEL_SCAN_BYTES or len(dirs) < 2 or (os.cpu_count() or 1) < 2 or not hasattr(os, "fork") \
                or (threads is not None and threads.active_count() > 1):  # a fork would copy held locks
            return {d: _digest_dir(self.root, d) for d in dirs}
        _hash([], [])  # its imports happen here, not in the child (no import lock to inherit)
        r, w = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(r)
            os.close(w)
            return {d: _digest_dir(self.root, d) for d in dirs}
        if pid == 0:  # the child: digest every other folder, send them, leave without cleanup
            code = 0
            try:
                os.close(r)
                data = json.dumps({d: _digest_dir(self.root, d) for d in dirs[1::2]}).encode()
                with os.fdopen(w, "wb") as fh:
                    fh.write(data)
            except BaseException:  # noqa: BLE001 - the parent sees no answer and digests alone
                code = 1
            os._exit(code)
        os.close(w)
        fh = os.fdopen(r, "rb")
        try:
            out = {d: _digest_dir(self.root, d) for d in dirs[0::2]}
            data = fh.read()
        finally:
            fh.close()  # the child never blocks on a full pipe, even when we fail
            _, status = os.waitpid(pid, 0)
        theirs = json.loads(data) if status == 0 and data else {}
        out.update(theirs if set(theirs) == set(dirs[1::2]) else {d: _digest_dir(self.root, d) for d in dirs[1::2]})
        return out

    def refresh(self, *, force: bool = False) -> dict:
        """Bring the index up to date; returns counts of what changed."""
        if self._fresh and not force:
            return {"parsed": 0, "removed": 0}
        db = self.db
        dirs, size = self._shards()
        digests = self._digests(dirs, size)
        stored = dict(db.execute("SELECT dir, digest FROM shards"))
        stale = [d for d in dirs if stored.get(d) != digests[d]]
        vanished = [d for d in stored if d not in digests]
        if not stale and not vanished:
            self._fresh = True
            return {"parsed": 0, "removed": 0}
        # the stale folders file by file; their new digests are of exactly this listing
        scan = {d: _stat_dir(self.root, d) for d in stale}
        digests.update({d: _digest(files) for d, files in scan.items()})
        db.execute("BEGIN")  # one read snapshot: rows and the generation they belong to
        try:
            gen = self._gen(db)
            known = {p: st for d in stale + vanished for p, st in self._stats_in(db, d).items()}
        finally:
            db.execute("COMMIT")
        found = {f"{d}/{name}": st for d in stale for name, st in scan[d].items()}
        changed = [p for p, st in found.items() if known.get(p) != st]
        removed = [p for p in known if p not in found]
        errors: list[tuple[str, ParseError]] = []
        insert = f"INSERT OR REPLACE INTO records VALUES ({','.join('?' * 26)})"
        for rows, errs in self._row_chunks([(p, found[p]) for p in changed]):
            db.execute("BEGIN IMMEDIATE")  # short write transactions: other solar commands go on
            try:
                db.executemany(insert, rows)
                # never keep stale data for a file that no longer parses
                db.executemany("DELETE FROM records WHERE path=?", [(p,) for p, _ in errs])
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            errors += errs
            del rows
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany("DELETE FROM records WHERE path=?", [(p,) for p in removed])
            # the digests are valid only if no one else wrote since 'known' was read
            bad = {p.rsplit("/", 1)[0] for p, _ in errors}
            same = self._gen(db) == gen
            db.executemany("INSERT OR REPLACE INTO shards VALUES(?, ?)",
                           [(d, digests[d] if same and d not in bad else "") for d in stale])
            db.executemany("DELETE FROM shards WHERE dir=?", [(d,) for d in vanished])
            self._bump(db)
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
    def _gen(db: sqlite3.Connection) -> str | None:
        row = db.execute("SELECT v FROM meta WHERE k='gen'").fetchone()
        return row[0] if row else None

    @staticmethod
    def _bump(db: sqlite3.Connection) -> None:
        """Inside a write transaction: bump the generation counter (every write does)."""
        cur = db.execute("SELECT v FROM meta WHERE k='gen'").fetchone()
        db.execute("INSERT OR REPLACE INTO meta VALUES('gen', ?)", (str(int(cur[0] if cur else 0) + 1),))

    @staticmethod
    def _stats_in(db: sqlite3.Connection, shard_dir: str) -> dict[str, tuple[int, ...]]:
        """path -> stat key of the rows in one shard folder ('/' + 1 == '0': a range scan)."""
        return {p: (m, s, i, c) for p, m, s, i, c in db.execute(
            "SELECT path, mtime_ns, size, ino, ctime_ns FROM records WHERE path >= ? AND path < ?",
            (shard_dir + "/", shard_dir + "0"))}

    def _row_chunks(self, todo: list[tuple[str, tuple[int, ...]]]) -> Iterator[tuple[list, list]]:
        """Index rows for (path, stat) pairs, ``UPDATE_CHUNK`` at a time, each with the
        (path, ParseError) of the files in it that fail; ``todo``'s order is kept.

        Many files (a rebuild, a big pull, an import) are parsed by forked workers, one per
        core, from one pool: YAML parsing is CPU-bound and dominates. Only one chunk of rows
        is in memory at a time (a rebuild of 200k records would otherwise hold them all)."""
        workers = min(os.cpu_count() or 1, 8)
        pool = None
        if len(todo) >= PARALLEL_MIN and workers > 1 and hasattr(os, "fork"):
            import multiprocessing

            try:
                pool = multiprocessing.get_context("fork").Pool(workers)
            except (OSError, AssertionError):  # no processes left, or we are a daemon worker
                pool = None
        if pool is None:
            for i in range(0, len(todo), UPDATE_CHUNK):
                rows, errors = [], []
                for p, st in todo[i:i + UPDATE_CHUNK]:
                    try:
                        rows.append(self._row(p, st))
                    except ParseError as exc:
                        errors.append((p, exc))
                yield rows, errors
            return
        size = max(1, min(500, -(-len(todo) // (workers * 4))))
        parts = [(self.root, todo[i:i + size]) for i in range(0, len(todo), size)]
        with pool:
            rows, errors = [], []
            for part_rows, part_errors in pool.imap(_parse_part, parts):
                rows += part_rows
                errors += [(p, ParseError(msg)) for p, msg in part_errors]
                if len(rows) + len(errors) >= UPDATE_CHUNK:
                    yield rows, errors
                    rows, errors = [], []
            if rows or errors:
                yield rows, errors

    def _row(self, relpath: str, st: tuple[int, ...]) -> tuple:
        from solarcli.storage import yamlio

        data = yamlio.load_fast(self.root / relpath, name=relpath)
        folder, _, fname = relpath.split("/", 2)
        kind = records.FOLDER_KIND[folder]
        if not isinstance(data, dict):
            raise ParseError(f"{relpath}: expected a mapping of fields, found {type(data).__name__}")
        rid = str(data.get("id") or "")
        if rid != fname[:-5]:
            raise ParseError(f"{relpath}: field id is {rid!r}; expected {fname[:-5]!r} (the file name)")
        if records.record_path(kind, rid) != relpath:
            raise ParseError(f"{relpath}: file is in the wrong folder; expected {records.record_path(kind, rid)}")
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
        """After solar itself wrote ``paths``: re-read exactly those (many: in parallel), then
        re-digest their shard folders if every other file there still matches its row."""
        if not self.path.exists():
            return
        db = self.db
        gone: list[str] = []
        todo: list[tuple[str, tuple]] = []
        mine: set[str] = set()
        for p in paths:
            if p.count("/") != 2 or records.parse_path(p) is None:  # record files in shard folders only
                continue
            mine.add(p)
            try:
                st = (self.root / p).stat()
            except FileNotFoundError:
                gone.append(p)
                continue
            todo.append((p, (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)))
        if not mine:
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            for rows, errors in self._row_chunks(todo):  # bounded memory for bulk changes
                db.executemany(f"INSERT OR REPLACE INTO records VALUES ({','.join('?' * 26)})", rows)
                gone += [p for p, _ in errors]
                mine -= {p for p, _ in errors}  # dropped: the next refresh reports the error
                del rows
            db.executemany("DELETE FROM records WHERE path=?", [(p,) for p in gone])
            dirs = sorted({p.rsplit("/", 1)[0] for p in mine | set(gone)})
            for d in dirs:
                files = _stat_dir(self.root, d)
                rows_now = self._stats_in(db, d)
                ok = all(rows_now.get(f"{d}/{name}") == st for name, st in files.items()) \
                    and len(rows_now) == len(files)
                db.execute("INSERT OR REPLACE INTO shards VALUES(?, ?)", (d, _digest(files) if ok else ""))
            self._bump(db)
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
        if kind:  # '+kind': SQLite would otherwise pick the (kind, stage) index and scan the kind
            sql += " AND +kind=?"
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


def _stat_dir(root: Path, shard_dir: str) -> dict[str, tuple[int, ...]]:
    """{file name -> (mtime_ns, size, inode, ctime_ns)} of the ``*.yaml`` files in one shard folder."""
    try:
        fd = os.open(root / shard_dir, os.O_RDONLY | os.O_DIRECTORY)
    except (FileNotFoundError, NotADirectoryError):
        return {}
    try:  # stat relative to a descriptor: a cheap fstatat(fd, name)
        out = {}
        for n in os.listdir(fd):
            if n.endswith(".yaml") and not n.startswith("."):
                st = _stat_or_none(n, fd)
                if st is not None:
                    out[n] = (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)
        return out
    finally:
        os.close(fd)


def _stat_or_none(name: str, dir_fd: int):
    """stat() of a file listed a moment ago: None if it is gone (removed meanwhile, or a
    dangling link); the folder's digest then differs and the next look compares again."""
    try:
        return os.stat(name, dir_fd=dir_fd)
    except FileNotFoundError:
        return None


def _digest_dir(root: Path, shard_dir: str) -> str:
    """``_digest(_stat_dir(root, shard_dir))``, without building the mapping (the hot path)."""
    try:
        fd = os.open(root / shard_dir, os.O_RDONLY | os.O_DIRECTORY)
    except (FileNotFoundError, NotADirectoryError):
        return _digest({})
    try:
        stat = os.stat
        names = sorted(n for n in os.listdir(fd) if n.endswith(".yaml") and not n.startswith("."))
        try:
            sts = [stat(n, dir_fd=fd) for n in names]
        except FileNotFoundError:  # one went away meanwhile: the slow way, file by file
            pairs = [(n, _stat_or_none(n, fd)) for n in names]
            names = [n for n, st in pairs if st is not None]
            sts = [st for _, st in pairs if st is not None]
    finally:
        os.close(fd)
    return _hash(names, [x for st in sts for x in (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)])


def _digest(files: dict[str, tuple[int, ...]]) -> str:
    names = sorted(files)
    return _hash(names, [x for n in names for x in files[n]])


def _hash(names: list[str], numbers: list[int]) -> str:
    import hashlib  # imported here ('solar --help' needs neither), and before any fork
    from array import array

    h = hashlib.blake2b("\0".join(names).encode("utf-8", "surrogateescape"), digest_size=16)
    try:
        h.update(b"\1" + array("q", numbers).tobytes())
    except OverflowError:  # an inode number beyond 2**63 (some network file systems)
        h.update(b"\2" + repr(numbers).encode())
    return h.hexdigest()


def _t(v):
    return None if v is None else str(v)
