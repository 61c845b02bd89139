"""``solar check``: is the records repository sound?

Rules (each problem is one line naming file, field and rule):

``parse``            the file is not valid YAML / not a mapping / not UTF-8
``conflict-markers`` the file contains git conflict markers (``<<<<<<<``)
``unmerged``         git has the file in an unfinished merge
``schema``           the record does not validate (fields, enums, stages, ...)
``id``               the ``id`` field does not match the file name
``duplicate-id``     the same ID is used by records of two kinds
``link``             contact/lead/project points to a missing record
``backlink``         lead.project and project.lead disagree (fixable when one side is empty)
``document``         a listed document is missing or its size/sha256 differ
``stale-proposal``   an accepted proposal's inputs changed since (when the proposals module tells)
``index``            the local index disagrees with the files (fixable: rebuilt)

``check(repo)`` returns problems; ``fix(repo, problems)`` repairs the fixable
ones (back-links in one commit, the index by a rebuild) and says what it did.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from solarcli.errors import LayoutError, ParseError, SolarError

_MARKER_RE = re.compile(r"^(<<<<<<< |>>>>>>> |=======$)", re.M)


@dataclass
class Problem:
    file: str
    field: str
    rule: str
    message: str
    fixable: bool = False

    def line(self) -> str:
        return f"{self.file}: {self.field}: {self.rule}: {self.message}"

    def as_dict(self) -> dict:
        return asdict(self)


def _field_of(message: str) -> str:
    m = re.search(r"field ([\w.\[\]-]+)", message)
    return m.group(1) if m else "-"


def check_config_file(root: Path) -> list[Problem]:
    """Problems of solar.yaml itself (so check can report them even when the repo
    cannot be opened)."""
    from solarcli.storage import yamlio

    p = root / "solar.yaml"
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [Problem("solar.yaml", "-", "parse", "missing")]
    except UnicodeDecodeError:
        return [Problem("solar.yaml", "-", "parse", "not UTF-8 text")]
    if _MARKER_RE.search(text):
        return [Problem("solar.yaml", "-", "conflict-markers", "contains git conflict markers; resolve them")]
    try:
        data = yamlio.loads_fast(text, name="solar.yaml")
    except ParseError as exc:
        return [Problem("solar.yaml", "-", "parse", exc.message.removeprefix("solar.yaml: "))]
    if not isinstance(data, dict):
        return [Problem("solar.yaml", "-", "parse", "expected a mapping")]
    return []


def check_git_state(root: Path) -> list[Problem]:
    """Files git left in an unfinished merge."""
    try:
        from solarcli.sync.engine import unmerged_paths

        return [Problem(path, "-", "unmerged", "git merge not finished for this file; "
                        "resolve it ('git status') or run 'git merge --abort'")
                for path in sorted(unmerged_paths(root))]
    except SolarError:
        return []


def check(repo) -> list[Problem]:
    from solarcli import ids, records
    from solarcli.storage import yamlio

    root = Path(repo.root)
    problems: list[Problem] = []
    problems += check_config_file(root)
    loaded: dict[str, tuple[str, dict]] = {}  # relpath -> (kind, data)
    by_id: dict[str, list[str]] = {}

    problems += check_git_state(root)

    # --- every record file parses, has the right id, validates
    for kind, folder in records.KINDS.items():
        for p, rel in _record_files(root, folder, problems):
            try:
                text = p.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                problems.append(Problem(rel, "-", "parse", "not UTF-8 text"))
                continue
            if _MARKER_RE.search(text):
                problems.append(Problem(rel, "-", "conflict-markers",
                                        "contains git conflict markers (<<<<<<<); resolve them by hand"))
                continue
            try:
                data = yamlio.loads_fast(text, name=rel)
            except ParseError as exc:
                problems.append(Problem(rel, "-", "parse", exc.message.removeprefix(f"{rel}: ")))
                continue
            if not isinstance(data, dict):
                problems.append(Problem(rel, "-", "parse", f"expected a mapping of fields, found {type(data).__name__}"))
                continue
            rid = str(data.get("id") or "")
            if rid != p.name[:-5]:
                problems.append(Problem(rel, "id", "id", f"found {rid!r}; expected {p.name[:-5]!r} (the file name)"))
            elif ids.is_id(rid) and not records.is_flat_path(rel) and records.record_path(kind, rid) != rel:
                problems.append(Problem(rel, "-", "layout", f"in the wrong folder; expected {records.record_path(kind, rid)}"))
            try:
                records.validate(kind, data, repo.config, name=rel)
            except SolarError as exc:
                msg = exc.message.removeprefix(f"{rel}: ")
                problems.append(Problem(rel, _field_of(msg), "schema", msg))
            loaded[rel] = (kind, data)
            by_id.setdefault(p.name[:-5], []).append(rel)

    for rid, paths in sorted(by_id.items()):
        if len(paths) > 1:
            for rel in paths:
                others = ", ".join(x for x in paths if x != rel)
                problems.append(Problem(rel, "id", "duplicate-id", f"ID {rid} is also used by {others}"))

    problems += _check_links(root, loaded)
    problems += _check_documents(root, loaded)
    problems += _check_proposals(repo, loaded)
    problems += _check_index(repo, loaded)
    return problems


def _record_files(root: Path, folder: str, problems: list[Problem]) -> list[tuple[Path, str]]:
    """(path, relative path) of the record files of one kind folder, shard folders first
    level; files in the old flat layout are reported and still checked."""
    d = root / folder
    if not d.is_dir():
        return []
    out = []
    for p in sorted(d.iterdir()):
        if p.name.startswith("."):
            continue
        rel = f"{folder}/{p.name}"
        if p.is_dir():
            if len(p.name) != 1:
                problems.append(Problem(rel + "/", "-", "layout", "not a shard folder (expected one character, the ID's first)"))
                continue
            for f in sorted(p.iterdir()):
                if f.name.startswith(".") or f.is_dir():
                    continue
                if f.name.endswith(".yaml"):
                    out.append((f, f"{rel}/{f.name}"))
                else:
                    problems.append(Problem(f"{rel}/{f.name}", "-", "parse", "not a record file (expected <id>.yaml)"))
        elif p.name.endswith(".yaml"):
            problems.append(Problem(rel, "-", "layout", "record file in the old flat layout; run 'solar migrate'"))
            out.append((p, rel))
        else:
            problems.append(Problem(rel, "-", "parse", "not a record file (expected <id>.yaml)"))
    return out


def _exists(root: Path, kind: str, rid: Any) -> bool:
    from solarcli import ids, records

    return bool(rid) and ids.is_id(str(rid)) and any(
        (root / p).is_file() for p in (records.record_path(kind, str(rid)), records.flat_path(kind, str(rid))))


def _load_plain(root: Path, kind: str, rid: str, loaded: dict) -> dict | None:
    from solarcli import records

    entry = loaded.get(records.record_path(kind, rid))
    return entry[1] if entry else None


def _check_links(root: Path, loaded: dict) -> list[Problem]:
    out: list[Problem] = []
    for rel, (kind, data) in sorted(loaded.items()):
        rid = str(data.get("id"))
        for fld in ("contact", "lead", "project"):
            v = data.get(fld)
            if v in (None, ""):
                continue
            if not _exists(root, fld, v):
                out.append(Problem(rel, fld, "link", f"no {fld} with ID {v!r}"))
        # lead.project and project.lead must point at each other
        other = {"lead": "project", "project": "lead"}.get(kind)
        if other and data.get(other) and _exists(root, other, data[other]):
            target = _load_plain(root, other, str(data[other]), loaded) or {}
            back = target.get(kind)
            if back != rid:
                fixable = not back
                out.append(Problem(rel, other, "backlink",
                                   f"{other} {data[other]} has {kind} {back!r}; expected {rid!r}"
                                   + (" (fixable)" if fixable else ""), fixable=fixable))
        if kind == "lead" and data.get("stage") == "converted" and not data.get("project"):
            out.append(Problem(rel, "project", "link", "stage is converted but no project is linked"))
    return out


def _check_documents(root: Path, loaded: dict) -> list[Problem]:
    out: list[Problem] = []
    for rel, (_kind, data) in sorted(loaded.items()):
        docs = data.get("documents") or []
        if not isinstance(docs, list):
            continue
        for i, d in enumerate(docs):
            if not isinstance(d, dict):
                continue
            name = d.get("name") or d.get("path") or str(i)
            field = f"documents[{name}]"
            path = d.get("path")
            if not path:
                out.append(Problem(rel, field, "document", "no path"))
                continue
            full = root / str(path)
            try:
                inside = root.resolve() in full.resolve().parents
            except OSError:
                inside = False
            if not inside:
                out.append(Problem(rel, field, "document", f"path {path!r} is outside the repository"))
                continue
            if not full.is_file():
                out.append(Problem(rel, field, "document", f"file {path} is missing"))
                continue
            blob = full.read_bytes()
            want = d.get("sha256")
            if want and hashlib.sha256(blob).hexdigest() != str(want):
                out.append(Problem(rel, field, "document", f"{path}: sha256 does not match (file changed or damaged)"))
            elif d.get("size") is not None and d.get("size") != len(blob):
                out.append(Problem(rel, field, "document", f"{path}: size {len(blob)}; expected {d.get('size')}"))
    return out


def _check_proposals(repo, loaded: dict) -> list[Problem]:
    """Accepted proposals whose inputs changed since (``solarcli.proposals.stale``)."""
    try:
        from solarcli.proposals import stale as stale_mod
    except ImportError:
        return []
    is_stale = getattr(stale_mod, "is_stale", None)
    if is_stale is None:
        return []
    changed_inputs = getattr(stale_mod, "changed_inputs", None)
    out = []
    for rel, (kind, data) in sorted(loaded.items()):
        if kind != "proposal" or data.get("status") != "accepted":
            continue
        project = None
        pid = data.get("project")
        if pid:
            from solarcli import records

            entry = loaded.get(records.record_path("project", str(pid)))
            project = entry[1] if entry else None
        try:
            if not is_stale(repo, data, project):
                continue
            what = changed_inputs(repo, data, project) if changed_inputs else []
        except Exception as exc:  # noqa: BLE001 - report, never crash the check
            out.append(Problem(rel, "inputs_hash", "stale-proposal", f"cannot check staleness: {exc}"))
            continue
        why = f"{', '.join(what)} changed" if what else "inputs changed"
        out.append(Problem(rel, "inputs_hash", "stale-proposal",
                           f"accepted, but the project's {why} since; make a new proposal"))
    return out


def _canon(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)


def _check_index(repo, loaded: dict) -> list[Problem]:
    """After the index's own refresh (what every command does), does it hold what the
    files hold? A disagreement here means a stale cache that would show wrong data."""
    import sqlite3

    path = Path(repo.root) / ".solar" / "index.sqlite"
    if not path.exists():
        return []  # built on first use; nothing to disagree with
    try:
        repo.index.refresh(force=True)
    except LayoutError:
        return []  # flat-layout files are reported above; 'solar migrate' moves them
    except ParseError:
        pass  # unparsable files are reported above and dropped from the index
    except Exception as exc:  # noqa: BLE001 - a damaged index
        return [Problem(".solar/index.sqlite", "-", "index", f"cannot refresh ({exc}); rebuild it (fixable)", True)]
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        rows = {p: d for p, d in db.execute("SELECT path, data FROM records")}
        db.close()
    except sqlite3.Error as exc:
        return [Problem(".solar/index.sqlite", "-", "index", f"unreadable ({exc}); rebuild it (fixable)", True)]
    out = []
    for rel, (_kind, data) in sorted(loaded.items()):
        if rel not in rows:
            if (Path(repo.root) / rel).name[:-5] == str(data.get("id")):
                out.append(Problem(rel, "-", "index", "missing from the index (fixable)", True))
        elif _canon(json.loads(rows[rel])) != _canon(json.loads(_canon(data))):
            out.append(Problem(rel, "-", "index", "the index holds other data than the file (fixable)", True))
    for rel in sorted(set(rows) - set(loaded)):
        if not (Path(repo.root) / rel).exists():
            out.append(Problem(rel, "-", "index", "in the index but the file is gone (fixable)", True))
    return out


def fix(repo, problems: list[Problem]) -> list[str]:
    """Repair the fixable problems; returns one line per repair."""
    done: list[str] = []
    backlinks = [p for p in problems if p.rule == "backlink" and p.fixable]
    if backlinks:
        from solarcli.storage import yamlio

        with repo.transaction("check --fix: repair back-links") as tx:
            for p in backlinks:
                data = yamlio.load_fast(Path(repo.root) / p.file, name=p.file)
                rid = str(data.get("id"))
                if p.file.startswith("leads/"):
                    other = tx.load(str(data["project"]), "project")
                    if not other.data.get("lead"):
                        other.data["lead"] = rid
                        tx.save(other)
                        done.append(f"{other.path}: lead: set to {rid} (back-link of {p.file})")
                else:
                    other = tx.load(str(data["lead"]), "lead")
                    if not other.data.get("project"):
                        other.data["project"] = rid
                        tx.save(other)
                        done.append(f"{other.path}: project: set to {rid} (back-link of {p.file})")
            n = len(done)
            tx.message = f"check --fix: repair {n} back-link{'s' if n != 1 else ''}"
    if any(p.rule == "index" for p in problems) or done:
        try:
            repo.index.rebuild()
            if any(p.rule == "index" for p in problems):
                done.append(".solar/index.sqlite: rebuilt from the files")
        except ParseError as exc:
            done.append(f".solar/index.sqlite: rebuilt, except unparsable files ({exc.message})")
    return done
