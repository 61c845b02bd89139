"""Apply an import plan to the repository: one transaction, one commit.

The commit carries the trailers ``Solar-Batch: <batch>`` and ``Solar-Import:
<kind> <file>``; every record created or changed gets the batch appended to its
``import_batches`` list. ``revert_batch`` undoes one batch in one commit.
"""
from __future__ import annotations

import copy
import datetime as _dt
import secrets
from dataclasses import dataclass
from typing import Any, Callable

from solarcli import ids, records
from solarcli.errors import ConflictError, NotFoundError, ValidationError
from solarcli.importing.planner import Change, Plan
from solarcli.timeutil import now_iso

BATCH_TRAILER = "Solar-Batch"
IMPORT_TRAILER = "Solar-Import"
REVERT_TRAILER = "Solar-Revert-Batch"


def new_batch_id() -> str:
    """``imp-20261203-1642-7k2m``: sortable by time, unique across clones."""
    now = _dt.datetime.now(_dt.timezone.utc)
    tail = "".join(secrets.choice(ids.ALPHABET) for _ in range(4))
    return f"imp-{now:%Y%m%d-%H%M%S}-{tail}"


def apply_ops(data: Any, ops: list[tuple[str, str, Any]]) -> None:
    """Apply planner ops in place on a (round-trip) mapping, keeping comments."""
    for op, path, value in ops:
        if op == "append":
            cur = records.get_path(data, path)
            if isinstance(cur, list):
                cur.append(value)
            else:
                records.set_path(data, path, [value])
        else:
            records.set_path(data, path, value)


def commit_message(plan: Plan, source: str) -> str:
    c = plan.counts()["records"]
    parts = []
    for kind in ("lead", "contact"):
        if kind in c and (c[kind]["created"] or c[kind]["updated"]):
            parts.append(f"{c[kind]['created']} {kind}s created, {c[kind]['updated']} updated")
    return f"import {plan.kind}s from {source}: " + "; ".join(parts)


def apply_plan(repo: Any, plan: Plan, *, batch: str, source: str,
               progress: Callable[[int], None] | None = None) -> str | None:
    """Write the plan in one transaction. Returns the commit sha (None: nothing changed)."""
    if not plan.changes:
        return None
    with repo.transaction() as tx:
        write_plan(tx, plan, batch=batch, source=source, progress=progress)
    return tx.commit_sha


PARALLEL_MIN = 2000  # new records from which their YAML is rendered by forked workers
RENDER_CHUNK = 250  # new records per task of a worker


def write_plan(tx: Any, plan: Plan, *, batch: str, source: str,
               progress: Callable[[int], None] | None = None) -> None:
    """Stage every change of ``plan`` in the open transaction ``tx`` (commit on exit)."""
    tx.message = commit_message(plan, source)
    tx.trailers[BATCH_TRAILER] = batch
    tx.trailers[IMPORT_TRAILER] = f"{plan.kind} {source}"
    now = now_iso()
    created = {c.id for c in plan.changes if c.op == "create"}
    with _Renderer(plan.changes, now, tx.repo.config, len(created)) as rendered:
        for n, ch in enumerate(plan.changes, 1):
            if ch.op == "create":
                pre = rendered.next()
                if pre is not None:
                    _stage_rendered(tx, ch, pre, created)
                else:
                    _apply_change(tx, ch, now, created)
                ch.data = None  # the YAML text is staged now; free the record (100k rows)
            else:
                _apply_change(tx, ch, now, created)
            if progress is not None:
                progress(n)


def _apply_change(tx: Any, ch: Change, now: str, created: set[str]) -> None:
    if ch.op == "create":
        if tx.exists(ch.kind, ch.id):  # pragma: no cover - ids are random and checked
            raise ConflictError(f"{ch.kind} {ch.id} exists already")
        _create_fast(tx, ch, now, created)
    else:
        rec = tx.load(ch.id, ch.kind)
        apply_ops(rec.data, ch.ops)
        tx.save(rec)


def _new_record(ch_kind: str, ch_id: str, fields: dict, now: str) -> dict[str, Any]:
    data: dict[str, Any] = {"id": ch_id}
    data.update({k: v for k, v in (fields or {}).items() if k not in ("id", "created", "updated")})
    data["created"] = now
    data["updated"] = now
    return data


def _render(data: dict) -> str:
    """The record's YAML: the fast emitter when its text loads back to the same data."""
    from solarcli.storage import fastyaml, yamlio

    text = fastyaml.dump(data)
    if text is None or _fast_load(text) != data:
        text = yamlio.dump_roundtrip(copy.deepcopy(data))
    return text


def _links(data: dict) -> list[tuple[str, Any]]:
    return [(fld, data.get(fld)) for fld in ("contact", "lead", "project") if data.get(fld)]


def _check_links(tx: Any, label: str, links: list[tuple[str, Any]], created: set[str]) -> None:
    for fld, v in links:
        if v not in created and not (ids.is_id(str(v)) and tx.exists(fld, str(v))):
            raise ValidationError(f"{label}: field {fld}: no {fld} with ID {v!r}; expected an existing {fld}")


def _create_fast(tx: Any, ch: Change, now: str, created: set[str]) -> None:
    """Create a record like ``tx.create`` does (same key order, timestamps and checks),
    but emit its YAML with :mod:`fastyaml` (ruamel's dumper is ~15x slower)."""
    data = _new_record(ch.kind, ch.id, ch.data, now)
    label = f"{ch.kind} {ids.short(ch.id)}"
    records.validate(ch.kind, data, tx.repo.config, name=label)
    _check_links(tx, label, _links(data), created)
    tx.write_file(records.record_path(ch.kind, ch.id), _render(data).encode("utf-8"))


def _stage_rendered(tx: Any, ch: Change, pre: tuple[bytes, list], created: set[str]) -> None:
    """Stage a new record a worker validated and rendered (the same checks, in the same
    order, as :func:`_create_fast`)."""
    text, links = pre
    if tx.exists(ch.kind, ch.id):  # pragma: no cover - ids are random and checked
        raise ConflictError(f"{ch.kind} {ch.id} exists already")
    _check_links(tx, f"{ch.kind} {ids.short(ch.id)}", links, created)
    tx.write_file(records.record_path(ch.kind, ch.id), text)


# set in the parent before forking the render workers
_RENDER_CONFIG: Any = None


def _render_part(part: list[tuple[str, str, Any, str]]) -> list[tuple[bytes, list] | None]:
    """Worker: (YAML bytes, links) of each new record; None where validation or rendering
    failed (the parent then does that record itself and reports the error as usual)."""
    import json

    out: list[tuple[bytes, list] | None] = []
    for kind, rid, fields, now in part:
        try:
            if isinstance(fields, (bytes, bytearray)):
                fields = json.loads(fields)
            data = _new_record(kind, rid, fields, now)
            records.validate(kind, data, _RENDER_CONFIG, name=f"{kind} {ids.short(rid)}")
            out.append((_render(data).encode("utf-8"), _links(data)))
        except Exception:  # noqa: BLE001 - redone (and reported) by the parent
            out.append(None)
    return out


class _Renderer:
    """Renders the YAML of the new records of a plan ahead, in forked workers (YAML
    emitting and the check that the text loads back are CPU-bound: ~0.3 ms a record),
    when there are many and more than one core; else ``next()`` gives None and the
    caller renders each record itself."""

    def __init__(self, changes: list[Change], now: str, config: Any, n_created: int):
        self.changes, self.now, self.config = changes, now, config
        self.n_created = n_created
        self.pool = None
        self.results = iter(())

    def __enter__(self) -> "_Renderer":
        import os

        workers = min(os.cpu_count() or 1, 8)
        if self.n_created < PARALLEL_MIN or workers < 2 or not hasattr(os, "fork"):
            return self
        import gc
        import multiprocessing

        global _RENDER_CONFIG
        _RENDER_CONFIG = self.config
        gc.freeze()  # the workers share the parent's memory: keep the collector off its pages
        try:
            self.pool = multiprocessing.get_context("fork").Pool(workers)
        except (OSError, AssertionError):  # no processes left, or we are a daemon worker
            self.pool = None
        finally:
            gc.unfreeze()
        if self.pool is not None:
            self.results = (r for part in self.pool.imap(_render_part, self._parts()) for r in part)
        return self

    def _parts(self):
        part = []
        for ch in self.changes:
            if ch.op == "create":
                raw = ch._data
                part.append((ch.kind, ch.id, bytes(raw) if isinstance(raw, bytes) else raw, self.now))
                if len(part) >= RENDER_CHUNK:
                    yield part
                    part = []
        if part:
            yield part

    def next(self) -> tuple[bytes, list] | None:
        if self.pool is None:
            return None
        return next(self.results)

    def __exit__(self, *exc: Any) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None


def _fast_load(text: str) -> Any:
    """The text as the index will read it (None if it does not parse)."""
    from solarcli.errors import ParseError
    from solarcli.storage import yamlio

    try:
        return yamlio.loads_fast(text)
    except ParseError:
        return None


# ---------------------------------------------------------------------------- batches

@dataclass
class BatchInfo:
    batch: str
    commit: str
    date: str
    author: str
    subject: str
    kind: str
    source: str
    files: int
    reverted_by: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"batch": self.batch, "commit": self.commit, "date": self.date,
                "author": self.author, "kind": self.kind, "file": self.source,
                "records": self.files, "reverted": bool(self.reverted_by),
                "reverted_by": self.reverted_by, "message": self.subject}


def _trailers(body: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in body.splitlines():
        if ": " in line:
            k, _, v = line.partition(": ")
            if k.startswith("Solar-"):
                out[k] = v.strip()
    return out


def list_batches(repo: Any) -> list[BatchInfo]:
    from solarcli.storage import gitio

    if gitio.head(repo.root) is None:
        return []
    sep, end = "\x1f", "\x1e"
    out = gitio.run(repo.root, "log", f"--format=%H{sep}%aI{sep}%an{sep}%s{sep}%B{end}",
                    "--grep", f"^{BATCH_TRAILER}: ", "--grep", f"^{REVERT_TRAILER}: ")
    batches: dict[str, BatchInfo] = {}
    reverts: dict[str, str] = {}
    order: list[str] = []
    for chunk in out.split(end):
        chunk = chunk.strip("\n")
        if not chunk:
            continue
        sha, date, author, subject, body = chunk.split(sep, 4)
        tr = _trailers(body)
        if REVERT_TRAILER in tr:
            reverts.setdefault(tr[REVERT_TRAILER], sha)
            continue
        b = tr.get(BATCH_TRAILER)
        if not b or b in batches:
            continue
        kind, _, source = tr.get(IMPORT_TRAILER, " ").partition(" ")
        files = gitio.run(repo.root, "show", "--format=", "--name-only", sha).split()
        batches[b] = BatchInfo(b, sha, date, author, subject, kind, source,
                               len([f for f in files if f.endswith(".yaml")]))
        order.append(b)
    for b, info in batches.items():
        info.reverted_by = reverts.get(b)
    return [batches[b] for b in order]


def find_batch(repo: Any, batch: str) -> BatchInfo:
    found = [b for b in list_batches(repo) if b.batch == batch or b.batch.startswith(batch)]
    if not found:
        raise NotFoundError(f"no import batch {batch!r}; see 'solar import list'")
    if len(found) > 1:
        raise ConflictError(f"batch {batch!r} is ambiguous: {', '.join(b.batch for b in found[:5])}")
    return found[0]


@dataclass
class RevertPlan:
    batch: BatchInfo
    restore: list[tuple[str, bytes]]  # path, content before the batch
    delete: list[str]  # paths the batch created
    blocked: list[str]  # reasons the revert is refused

    def as_dict(self) -> dict[str, Any]:
        return {"batch": self.batch.batch, "commit": self.batch.commit,
                "restore": [p for p, _ in self.restore], "delete": self.delete,
                "blocked": self.blocked}


def plan_revert(repo: Any, batch: str) -> RevertPlan:
    """What reverting ``batch`` writes; ``blocked`` lists records edited since."""
    from solarcli.storage import gitio

    info = find_batch(repo, batch)
    if info.reverted_by:
        raise ConflictError(f"batch {info.batch} was already reverted by commit {info.reverted_by[:10]}")
    sha = info.commit
    status = gitio.run(repo.root, "show", "--format=", "--name-status", "--no-renames", sha)
    restore: list[tuple[str, bytes]] = []
    delete: list[str] = []
    blocked: list[str] = []
    deleting: set[str] = set()
    for line in status.splitlines():
        if not line.strip():
            continue
        st, _, then = line.partition("\t")
        # a batch imported before 'solar migrate' names flat paths: act on the file's place now
        hit = records.parse_path(then)
        path = records.record_path(*hit) if hit and records.is_flat_path(then) else then
        full = repo.root / path
        at_batch = _git_bytes(repo.root, f"{sha}:{then}") if st != "D" else None
        now = full.read_bytes() if full.exists() else None
        if now != at_batch:
            blocked.append(f"{path} was changed after the import (see 'solar history')")
            continue
        if st == "A":
            delete.append(path)
            deleting.add(path.rsplit("/", 1)[-1][:-5])
        else:
            before = _git_bytes(repo.root, f"{sha}^:{then}")
            if before is None:  # pragma: no cover - defensive
                blocked.append(f"{path}: no earlier version")
                continue
            restore.append((path, before))
    # records created by the batch may have been linked by later records
    restoring = {p.rsplit("/", 1)[-1][:-5] for p, _ in restore}
    for path in delete:
        rid = path.rsplit("/", 1)[-1][:-5]
        for link in repo.links_to(rid):
            if link["id"] not in deleting and link["id"] not in restoring:
                blocked.append(f"{link['kind']} {link['id']} (created or changed later) links to "
                               f"{path.split('/')[0][:-1]} {rid} created by the import")
    return RevertPlan(info, restore, delete, blocked)


def _git_bytes(root: Any, spec: str) -> bytes | None:
    import subprocess

    proc = subprocess.run(["git", "show", spec], cwd=root, capture_output=True)
    return proc.stdout if proc.returncode == 0 else None


def revert_batch(repo: Any, rp: RevertPlan) -> str | None:
    if rp.blocked:
        raise ConflictError(
            f"cannot revert {rp.batch.batch}: {len(rp.blocked)} record(s) changed since the import: "
            + "; ".join(rp.blocked[:5]) + ("; ..." if len(rp.blocked) > 5 else ""),
            hint="undo or re-apply those edits by hand first, or revert the later commits")
    msg = (f"revert import {rp.batch.batch}: {len(rp.delete)} record(s) removed, "
           f"{len(rp.restore)} restored")
    with repo.transaction(msg) as tx:
        tx.trailers[REVERT_TRAILER] = rp.batch.batch
        for path, data in rp.restore:
            tx.write_file(path, data)
        for path in rp.delete:
            tx.remove_file(path)
    return tx.commit_sha


def check_plan_valid(plan: Plan) -> None:
    if plan.kind not in ("lead", "contact"):
        raise ValidationError(f"cannot import {plan.kind} records")
