"""The records repository: finding it, reading records, and changing them safely.

Every change goes through ``Repo.transaction``: it holds an exclusive lock (so two
``solar`` processes never lose a write), validates every record, journals the old file
contents, replaces files atomically and makes exactly one git commit with only the
touched paths. A process killed in the middle is rolled back by the next ``solar``
command that takes the lock.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from solarcli import ids, records
from solarcli.config import CONFIG_FILE, Config
from solarcli.errors import (AmbiguousIdError, ConflictError, GitError, NotFoundError,
                             RepoNotFoundError, ValidationError)
from solarcli.storage import gitio, yamlio
from solarcli.storage.gitio import Actor
from solarcli.storage.index import Index
from solarcli.timeutil import now_iso

SOLAR_DIR = ".solar"
BULK_FILES = 50  # a transaction writing more files than this syncs them to disk in one go
TXN_TRAILER = "Solar-Txn"
GITIGNORE = "# solarcli local state: index, lock, journal (rebuildable, never committed)\n/.solar/\n"


@dataclass
class Record:
    kind: str
    data: Any  # ruamel CommentedMap (round-trip) or dict
    path: str = ""

    @property
    def id(self) -> str:
        return str(self.data.get("id"))

    @property
    def name(self) -> str:
        return records.display_name(self.kind, self.data)

    @property
    def label(self) -> str:
        """``lead 7k2m9x4`` style label for messages."""
        return f"{self.kind} {ids.short(self.id)}"


def find_root(start: str | os.PathLike | None = None) -> Path:
    """--repo PATH, else $SOLAR_REPO, else walk up from the working directory."""
    if start:
        root = Path(start).expanduser().resolve()
        if not (root / CONFIG_FILE).is_file():
            raise RepoNotFoundError(
                f"{start}: not a solar records repository (no {CONFIG_FILE}); create one with 'solar init {start}'"
            )
        return root
    env = os.environ.get("SOLAR_REPO")
    if env:
        root = Path(env).expanduser().resolve()
        if not (root / CONFIG_FILE).is_file():
            raise RepoNotFoundError(
                f"SOLAR_REPO={env}: not a solar records repository (no {CONFIG_FILE}); create one with 'solar init {env}'"
            )
        return root
    cur = Path.cwd().resolve()
    for d in (cur, *cur.parents):
        if (d / CONFIG_FILE).is_file() and (d / ".git").exists():
            return d
    raise RepoNotFoundError(
        "not inside a solar records repository; create one with 'solar init PATH', "
        "or point to one with --repo PATH or SOLAR_REPO"
    )


class Repo:
    def __init__(self, root: Path, actor: Actor | None = None):
        self.root = Path(root)
        self.config = Config.load(self.root)
        self.index = Index(self.root)
        self._actor = actor
        self.command: str | None = None  # e.g. "lead stage"; recorded as a commit trailer
        self._recovered = False

    # ----------------------------------------------------------------- opening
    @classmethod
    def find(cls, path: str | os.PathLike | None = None, actor: Actor | None = None) -> "Repo":
        return cls(find_root(path), actor)

    @classmethod
    def init(cls, path: str | os.PathLike, *, company: str, currency: str = "EUR",
             locale: str = "en_US", actor: Actor | None = None, extra_config: str = "") -> "Repo":
        from solarcli.config import default_config_yaml, slug

        root = Path(path).expanduser().resolve()
        if (root / CONFIG_FILE).exists():
            raise ConflictError(f"{root}: already a solar records repository ({CONFIG_FILE} exists)")
        if not (len(currency) == 3 and currency.isalpha()):
            raise ValidationError(f"--currency: {currency!r} is not an ISO 4217 code; expected e.g. EUR, USD, TRY")
        try:
            from babel import Locale

            Locale.parse(locale)
        except Exception:
            raise ValidationError(f"--locale: {locale!r} is not a known locale; expected e.g. en_US, de_DE, tr_TR") from None
        new_dir = not root.exists()
        root.mkdir(parents=True, exist_ok=True)
        new_git = not (root / ".git").exists()
        if new_git:
            gitio.init(root)
        actor = actor or gitio.identity(root)
        if actor is None:
            if new_git:  # leave nothing behind: a second 'solar init' must start clean
                shutil.rmtree(root / ".git", ignore_errors=True)
            if new_dir:
                root.rmdir()
            raise GitError("no git identity: set one with 'git config --global user.name NAME' and "
                           "'git config --global user.email EMAIL', or pass --as NAME")
        user = {"id": slug(actor.name.split()[0]), "name": actor.name, "email": actor.email}
        text = default_config_yaml(company=company, currency=currency.upper(), locale=locale, user=user)
        text += _default_sections() + extra_config
        yamlio.atomic_write(root / CONFIG_FILE, text)
        gi = root / ".gitignore"
        existing = gi.read_text() if gi.exists() else ""
        if "/.solar/" not in existing:
            yamlio.atomic_write(gi, existing + ("\n" if existing and not existing.endswith("\n") else "") + GITIGNORE)
        paths = [CONFIG_FILE, ".gitignore"]
        for folder in records.KINDS.values():
            (root / folder).mkdir(exist_ok=True)
            keep = root / folder / ".gitkeep"
            if not keep.exists():
                keep.write_text("")
            paths.append(f"{folder}/.gitkeep")
        try:  # the field-by-field merge driver (issue 6) registers itself when present
            from solarcli.sync.setup import install_merge_driver

            paths += list(install_merge_driver(root) or [])
        except ImportError:
            pass
        repo = cls(root, actor)
        gitio.commit(root, paths, f"init solar records repository for {company}", actor,
                     {gitio.SOLAR_TRAILER: "init"})
        return repo

    # ----------------------------------------------------------------- identity
    @property
    def actor(self) -> Actor:
        if self._actor is None:
            self._actor = gitio.identity(self.root)
            if self._actor is None:
                raise GitError("no git identity for this repository: pass --as NAME (a user in solar.yaml) "
                               "or set 'git config user.name' and 'git config user.email'")
        return self._actor

    def set_actor(self, name: str) -> Actor:
        user = self.config.find_user(name)
        if user is None:
            known = ", ".join(str(u.get("id")) for u in self.config.users()) or "(none)"
            raise ValidationError(f"--as: no user {name!r} in solar.yaml users; expected one of {known}")
        email = str(user.get("email") or f"{user.get('id')}@users.solar.invalid")
        self._actor = Actor(str(user.get("name") or user.get("id")), email)
        return self._actor

    @property
    def actor_id(self) -> str:
        """The solar.yaml user id of the actor (for 'by' fields), else the git name."""
        u = self.config.find_user(self.actor.email) or self.config.find_user(self.actor.name)
        return str(u.get("id")) if u else self.actor.name

    # ----------------------------------------------------------------- reading
    def path_of(self, kind: str, record_id: str) -> Path:
        return self.root / records.record_path(kind, record_id)

    def resolve(self, ref: str, kind: str | None = None) -> tuple[str, str]:
        """(full id, kind) for an ID or unambiguous prefix."""
        ref = str(ref or "").strip().lower()
        if not ids.is_prefix(ref):
            what = kind or "record"
            raise ValidationError(
                f"{what} ID {ref!r}: not an ID; expected letters and digits of a record ID (0-9, a-z without i, l, o, u)"
            )
        self.recover()
        if ids.is_id(ref):  # exact id: no index needed
            for k in ([kind] if kind else list(records.KINDS)):
                if self.path_of(k, ref).is_file():
                    return ref, k
        matches = self.index.lookup_prefix(ref, kind)
        if not matches:
            raise NotFoundError(f"no {kind or 'record'} with ID {ref!r}")
        if len({m[0] for m in matches}) > 1:
            listed = ", ".join(f"{k} {i}" for i, k in matches[:10])
            raise AmbiguousIdError(f"ID prefix {ref!r} is ambiguous: matches {listed}; type more characters")
        return matches[0]

    def load(self, ref: str, kind: str | None = None) -> Record:
        rid, k = self.resolve(ref, kind)
        return self._load_exact(k, rid)

    def _load_exact(self, kind: str, rid: str) -> Record:
        rel = records.record_path(kind, rid)
        try:
            data = yamlio.load_roundtrip(self.root / rel, name=rel)
        except FileNotFoundError:
            raise NotFoundError(f"no {kind} with ID {rid!r}") from None
        if not isinstance(data, dict):
            raise ValidationError(f"{rel}: expected a mapping of fields, found {type(data).__name__}")
        return Record(kind, data, rel)

    def exists(self, kind: str, rid: str) -> bool:
        # a link value from a (hand-edited, pulled) file is never a path: leads/../../x is no record
        return ids.is_id(str(rid)) and self.path_of(kind, str(rid)).is_file()

    def query(self, kind: str | None = None, *, stage=None, assignee=None, source=None, facility=None,
              grid=None, tag=None, search=None, since=None, until=None, contact=None, type=None,
              sort: str | None = None, limit: int | None = None, with_data: bool = False) -> list[dict]:
        """Records from the index as flat dicts (see records.summary), filtered and sorted."""
        self.recover()
        where, args = [], []

        def multi(col, values):
            vals = [values] if isinstance(values, str) else list(values or [])
            if vals:
                where.append(f"{col} IN ({','.join('?' * len(vals))})")
                args.extend(vals)

        if kind:
            where.append("kind=?")
            args.append(kind)
        multi("stage", stage)
        if assignee:
            vals = [assignee] if isinstance(assignee, str) else list(assignee)
            vals = [v if ":" in v else f"user:{v}" for v in vals]
            multi("assignee", vals)
        if source:
            where.append("lower(source)=lower(?)")
            args.append(source)
        multi("facility", facility)
        multi("grid", grid)
        multi("type", type)
        if contact:
            where.append("contact=?")
            args.append(contact)
        for t in ([tag] if isinstance(tag, str) else list(tag or [])):
            where.append("EXISTS (SELECT 1 FROM json_each(records.tags) WHERE json_each.value = ?)")
            args.append(t)
        if search:
            # every word must occur in the record, or (leads, projects) in its contact,
            # so 'lead list --search "Ada Lovelace"' finds Ada's leads without copying her name
            for word in str(search).lower().split():
                where.append("(instr(text, ?) > 0 OR (contact IS NOT NULL AND contact IN "
                             "(SELECT c.id FROM records c WHERE c.kind='contact' AND instr(c.text, ?) > 0)))")
                args.extend([word, word])
        if since:
            where.append("created >= ?")
            args.append(str(since))
        if until:
            where.append("substr(created, 1, 10) <= ?")
            args.append(str(until))
        order = "created, id"
        if sort:
            desc = sort.startswith("-")
            col = sort.lstrip("-")
            from solarcli.storage.index import COLUMNS

            if col not in COLUMNS:
                raise ValidationError(f"--sort: unknown column {col!r}; expected one of {', '.join(COLUMNS)} (prefix - for descending)")
            order = f"{col} IS NULL, {col} {'DESC' if desc else 'ASC'}, id"
        return self.index.select(" AND ".join(where), args, order, limit, with_data=with_data)

    def iter_records(self, kind: str) -> Iterator[dict]:
        self.recover()
        return self.index.iter_data(kind)

    def links_to(self, rid: str) -> list[dict]:
        """Records whose contact/lead/project field points at ``rid``."""
        self.recover()
        return self.index.select("(contact=? OR lead=? OR project=?) AND id != ?", (rid, rid, rid, rid))

    # ----------------------------------------------------------------- writing
    def transaction(self, message: str = "") -> "Transaction":
        return Transaction(self, message)

    def lock(self, blocking: bool = True):
        return _Lock(self.root / SOLAR_DIR / "lock", blocking)

    def recover(self) -> None:
        """Roll back a transaction that a killed process left behind (if any)."""
        if self._recovered:
            return
        self._recovered = True
        jdir = self.root / SOLAR_DIR / "journal"
        if not jdir.exists():
            return
        try:
            with self.lock(blocking=False):
                _recover(self)
        except ConflictError:
            pass  # another solar process is writing right now; it owns the journal


def _default_sections() -> str:
    """Presets other parts of solar contribute to a new solar.yaml (engine, proposals)."""
    import importlib

    out = ""
    for modname, attr, title in (
        ("solarcli.engine.defaults", "ENGINE_DEFAULTS",
         "Solar engine: finance defaults, CO2 factors, tariff presets, cost presets and packages"),
        ("solarcli.proposals.defaults", "PROPOSAL_DEFAULTS", "Proposals: offer settings"),
    ):
        try:
            section = getattr(importlib.import_module(modname), attr)
        except (ImportError, AttributeError):
            continue
        out += f"\n# {title}\n" + yamlio.dump_plain(section)
    return out


class _Lock:
    def __init__(self, path: Path, blocking: bool):
        self.path, self.blocking, self.fh = path, blocking, None

    def __enter__(self):
        self.path.parent.mkdir(exist_ok=True)
        self.fh = open(self.path, "a+")
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | (0 if self.blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            self.fh.close()
            raise ConflictError("the records repository is busy (another solar command is writing); try again") from None
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.fh, fcntl.LOCK_UN)
        self.fh.close()


# ------------------------------------------------------------------- transactions
@dataclass
class _Pending:
    data: bytes | None  # None = delete


@dataclass
class Transaction:
    repo: Repo
    message: str = ""
    trailers: dict = field(default_factory=dict)
    _writes: dict = field(default_factory=dict)       # relpath -> _Pending
    _records: dict = field(default_factory=dict)      # relpath -> Record (saved, to validate)
    _moves: list = field(default_factory=list)        # (from relpath, to relpath): renamed as they are
    _lock: Any = None
    commit_sha: str | None = None

    def __enter__(self) -> "Transaction":
        self._lock = self.repo.lock()
        self._lock.__enter__()
        try:
            _recover(self.repo)
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self._commit()
        finally:
            self._lock.__exit__(None, None, None)
        return False

    # --- reading inside the transaction ---------------------------------------------
    def load(self, ref: str, kind: str | None = None) -> Record:
        rid, k = self.repo.resolve(ref, kind)
        rel = records.record_path(k, rid)
        if rel in self._records:
            return self._records[rel]
        if rel in self._writes and self._writes[rel].data is None:
            raise NotFoundError(f"no {k} with ID {rid!r} (deleted in this change)")
        return self.repo._load_exact(k, rid)

    def exists(self, kind: str, rid: str) -> bool:
        rel = records.record_path(kind, rid)
        if rel in self._writes:
            return self._writes[rel].data is not None
        return self.repo.exists(kind, rid)

    # --- changing --------------------------------------------------------------------
    def create(self, kind: str, data: dict, *, record_id: str | None = None) -> Record:
        from ruamel.yaml.comments import CommentedMap

        rid = record_id or ids.new_id()
        while self.exists(kind, rid) and record_id is None:
            rid = ids.new_id()
        cm = CommentedMap()
        cm["id"] = rid
        ts = now_iso()
        for k, v in data.items():
            if k != "id":
                cm[k] = v
        cm.setdefault("created", ts)
        cm["updated"] = ts
        rec = Record(kind, cm, records.record_path(kind, rid))
        self.save(rec, touch=False, label=f"new {kind}")  # errors must not name an ID that never existed
        return rec

    def save(self, rec: Record, *, touch: bool = True, label: str | None = None) -> None:
        if touch:
            rec.data["updated"] = now_iso()
        self._check(rec, label)
        self._records[rec.path] = rec
        self._writes[rec.path] = _Pending(yamlio.dump_roundtrip(rec.data).encode("utf-8"))

    def delete(self, rec: Record) -> None:
        self._records.pop(rec.path, None)
        self._writes[rec.path] = _Pending(None)

    def write_file(self, relpath: str, data: bytes) -> None:
        """Write any repository file (record files too, as YAML text)."""
        self._writes[safe_relpath(self.repo.root, relpath)] = _Pending(data)

    def remove_file(self, relpath: str) -> None:
        self._writes[safe_relpath(self.repo.root, relpath)] = _Pending(None)

    def move_file(self, src: str, dst: str) -> None:
        """Rename a file unchanged (``solar migrate``): cheap, and rolled back like a write."""
        self._moves.append((safe_relpath(self.repo.root, src), safe_relpath(self.repo.root, dst)))

    @property
    def paths(self) -> list[str]:
        return list(self._writes)

    def _check(self, rec: Record, label: str | None = None) -> None:
        records.validate(rec.kind, rec.data, self.repo.config, name=label or rec.label)
        self._check_links(rec, label)

    def _check_links(self, rec: Record, label: str | None = None) -> None:
        for fld, target in (("contact", "contact"), ("lead", "lead"), ("project", "project")):
            v = rec.data.get(fld)
            if v:
                if not ids.is_id(str(v)) or not self.exists(target, str(v)):
                    raise ValidationError(f"{label or rec.label}: field {fld}: no {target} with ID {v!r}; expected an existing {target}")

    # --- commit -----------------------------------------------------------------------
    def _commit(self) -> None:
        root = self.repo.root
        # drop writes that change nothing (idempotent commands make no commit)
        real: dict[str, _Pending] = {}
        for rel, p in self._writes.items():
            full = root / rel
            if p.data is None:
                if full.exists():
                    real[rel] = p
            elif not full.exists() or full.read_bytes() != p.data:
                real[rel] = p
        if not real and not self._moves:
            return
        for rel, rec in self._records.items():  # validated at save; links may point at records
            if rel in real:                      # created or deleted later in this change
                self._check_links(rec)
        actor = self.repo.actor
        txid = ids.new_id()
        jdir = root / SOLAR_DIR / "journal"
        _write_journal(root, jdir, txid, real, self._moves)
        crash_after = int(os.environ.get("SOLAR_CRASH_AFTER", "-1"))  # test hook: simulate a kill
        bulk = len(real) + len(self._moves) > BULK_FILES  # many files: one os.sync() instead of one fsync each
        for n, (src, dst) in enumerate(self._moves):
            if n == crash_after:
                os._exit(137)
            (root / dst).parent.mkdir(parents=True, exist_ok=True)
            os.rename(root / src, root / dst)
        for d in {(root / src).parent for src, _ in self._moves}:  # once per folder: listing one is O(files)
            _prune_empty_dirs(root, d)
        for n, (rel, p) in enumerate(real.items(), len(self._moves)):
            if n == crash_after:
                os._exit(137)
            full = root / rel
            if p.data is None:
                full.unlink()
                _prune_empty_dirs(root, full.parent)
            else:
                yamlio.atomic_write(full, p.data, fsync=not bulk)
        if bulk:
            os.sync()
        real = list(real) + [p for move in self._moves for p in move]  # contents on disk: free them
        self._writes = dict.fromkeys(real)
        self._records.clear()
        trailers = {gitio.SOLAR_TRAILER: self.repo.command or "api", **self.trailers, TXN_TRAILER: txid}
        msg = self.message or f"update {len(real)} file(s)"
        try:
            self.commit_sha = gitio.commit(root, list(real), msg, actor, trailers)
        except BaseException:
            _rollback(root, jdir)
            raise
        shutil.rmtree(jdir, ignore_errors=True)
        self.repo.index.update_paths(real)


def _write_journal(root: Path, jdir: Path, txid: str, real: dict, moves: list | None = None) -> None:
    if jdir.exists():
        shutil.rmtree(jdir)
    (jdir / "files").mkdir(parents=True)
    entries = []
    for n, rel in enumerate(real):
        full = root / rel
        existed = full.exists()
        if existed:
            shutil.copy2(full, jdir / "files" / str(n))
        entries.append({"path": rel, "existed": existed, "backup": str(n)})
    manifest = jdir / "manifest.json"
    tmp = jdir / "manifest.tmp"
    with open(tmp, "w") as fh:
        json.dump({"txid": txid, "head": gitio.head(root), "entries": entries, "moves": moves or []}, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, manifest)


def _recover(repo: Repo) -> None:
    root = repo.root
    jdir = root / SOLAR_DIR / "journal"
    if not (jdir / "manifest.json").exists():
        if jdir.exists():
            shutil.rmtree(jdir, ignore_errors=True)  # killed before the journal was armed
        return
    manifest = json.loads((jdir / "manifest.json").read_text())
    if f"{TXN_TRAILER}: {manifest['txid']}" in gitio.head_message(root):
        shutil.rmtree(jdir, ignore_errors=True)  # the commit landed; only cleanup was missed
        return
    _rollback(root, jdir)


def _rollback(root: Path, jdir: Path) -> None:
    manifest = json.loads((jdir / "manifest.json").read_text())
    paths = []
    for e in manifest["entries"]:
        full = root / e["path"]
        paths.append(e["path"])
        for tmp in full.parent.glob(f".{full.name}.*.tmp"):  # atomic_write killed before its rename
            tmp.unlink(missing_ok=True)
        if e["existed"]:
            yamlio.atomic_write(full, (jdir / "files" / e["backup"]).read_bytes())
        elif full.exists():
            full.unlink()
            _prune_empty_dirs(root, full.parent)
    for src, dst in reversed(manifest.get("moves") or []):
        paths += [src, dst]
        if (root / dst).exists() and not (root / src).exists():
            (root / src).parent.mkdir(parents=True, exist_ok=True)
            os.rename(root / dst, root / src)
    for d in {(root / dst).parent for _, dst in manifest.get("moves") or []}:
        _prune_empty_dirs(root, d)
    # unstage what a killed 'git update-index' may have staged
    if paths and gitio.head(root):
        gitio.unstage(root, paths)
    shutil.rmtree(jdir, ignore_errors=True)


def _prune_empty_dirs(root: Path, d: Path) -> None:
    while d != root and d.parent != root and d.is_dir() and _empty(d):
        d.rmdir()
        d = d.parent


def _empty(d: Path) -> bool:
    with os.scandir(d) as it:  # reads one block of entries, not the whole folder
        return next(it, None) is None


def safe_relpath(root: Path, relpath: str) -> str:
    """A repository-relative path that cannot escape the repository or touch .git/.solar."""
    p = Path(relpath)
    if p.is_absolute() or ".." in p.parts or not p.parts or p.parts[0] in (".git", SOLAR_DIR):
        raise ValidationError(f"path {relpath!r}: must stay inside the records repository")
    full = (root / p).resolve()
    if root.resolve() not in full.parents:
        raise ValidationError(f"path {relpath!r}: must stay inside the records repository")
    return p.as_posix()


def safe_filename(name: str) -> str:
    """A document file name from user input: no directories, no hidden or special names."""
    base = str(name).strip()
    if "/" in base or "\\" in base:  # refused, not silently cut: --name ../x would be stored as x
        raise ValidationError(f"file name {name!r}: expected a plain file name (no path, not hidden)")
    if base in ("", ".", "..") or base.startswith(".") or "\0" in base or len(base) > 200:
        raise ValidationError(f"file name {name!r}: expected a plain file name (no path, not hidden)")
    return base
