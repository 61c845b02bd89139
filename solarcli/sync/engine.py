"""``solar sync``: fetch, merge field by field, push; retry when someone pushed
in between.

The merge itself is git's, with the ``solar`` merge driver registered for
record files (:mod:`solarcli.sync.setup`), so ``solar sync`` and a plain
``git pull`` give the same result. What git cannot hand to a merge driver is
resolved here:

* a record deleted on one side and edited on the other is kept (with a
  ``(deleted)`` entry in its ``conflicts``);
* a document (binary file) changed on both sides keeps both versions: ours
  under its name, theirs as ``<name>.theirs-<short sha>``, both listed on the
  record;
* anything else (``solar.yaml``, a file that does not parse) aborts the merge
  and leaves the repository exactly as it was.

A sync interrupted in the middle of a merge (Ctrl-C, a killed process) is
rolled back: at once when possible, else by the next ``solar sync``.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from solarcli.errors import ConflictError, GitError, ParseError
from solarcli.sync.driver import is_record_path
from solarcli.storage.gitio import git, git_bytes, git_dir, last_line, net_env
from solarcli.sync.merge import CONFLICTS_KEY, DELETED_FIELD, canonical, merge_records, plain
from solarcli.storage.yamlio import dump_roundtrip as dumps_roundtrip, loads_fast, loads_roundtrip

MARKER = "sync-merge"  # .solar/sync-merge: a merge started by solar sync is in progress
SOLAR_TRAILER = "Solar-Command"


@dataclass
class SyncReport:
    remote: str = ""
    branch: str = ""
    received: int = 0          # commits brought in from the remote
    sent: int = 0              # commits pushed
    attempts: int = 0
    pushed: bool = False
    merged: bool = False       # a merge commit was made
    driver_registered: bool = False
    rolled_back_previous: bool = False
    conflicts: list[dict] = field(default_factory=list)    # {path, field, value, lost_to, at}
    kept_deleted: list[str] = field(default_factory=list)  # records kept: deleted vs edited
    kept_both: list[tuple[str, str]] = field(default_factory=list)  # (document, theirs copy)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "remote": self.remote, "branch": self.branch, "received": self.received, "sent": self.sent,
            "attempts": self.attempts, "pushed": self.pushed, "merged": self.merged,
            "driver_registered": self.driver_registered, "rolled_back_previous": self.rolled_back_previous,
            "conflicts": self.conflicts, "kept_deleted": self.kept_deleted,
            "kept_both": [{"document": a, "theirs": b} for a, b in self.kept_both],
            "warnings": self.warnings,
        }


# --------------------------------------------------------------------------- helpers
def _rev(root: Path, ref: str) -> str | None:
    out = git(root, "rev-parse", "-q", "--verify", ref + "^{commit}", check=False)
    return out.stdout.strip() or None if out.returncode == 0 else None


def _count(root: Path, spec: str) -> int:
    out = git(root, "rev-list", "--count", spec, check=False)
    try:
        return int(out.stdout.strip())
    except ValueError:
        return 0


def _is_ancestor(root: Path, a: str, b: str) -> bool:
    return git(root, "merge-base", "--is-ancestor", a, b, check=False).returncode == 0


def current_branch(root: Path) -> str:
    out = git(root, "symbolic-ref", "--short", "-q", "HEAD", check=False)
    name = out.stdout.strip()
    if out.returncode != 0 or not name:
        raise GitError("HEAD is detached (not on a branch); check out your branch first, e.g. 'git switch main'")
    return name


def pick_remote(root: Path, remote: str | None, branch: str) -> str:
    names = [r for r in git(root, "remote").stdout.split() if r]
    if remote:
        if remote not in names:
            known = ", ".join(names) if names else "none configured"
            raise GitError(f"no remote named {remote!r} (remotes: {known}); "
                           f"add it with 'git remote add {remote} URL'")
        return remote
    if not names:
        raise GitError("no remote configured: add the shared repository with 'git remote add origin URL' "
                       "(a bare repository path, ssh://... or https://...), then run 'solar sync'")
    upstream = git(root, "config", "--get", f"branch.{branch}.remote", check=False).stdout.strip()
    if upstream in names:
        return upstream
    if "origin" in names:
        return "origin"
    if len(names) == 1:
        return names[0]
    raise GitError(f"several remotes ({', '.join(names)}) and none is the upstream of {branch}; "
                   "name one: 'solar sync REMOTE'")


def _remote_url(root: Path, remote: str) -> str:
    return git(root, "remote", "get-url", remote, check=False).stdout.strip() or remote


def unmerged_paths(root: Path) -> dict[str, dict[int, str]]:
    """{path: {stage: blob sha}} of the index entries git could not merge."""
    out = git(root, "ls-files", "-u", "-z").stdout
    result: dict[str, dict[int, str]] = {}
    for entry in out.split("\0"):
        if not entry:
            continue
        meta, _, path = entry.partition("\t")
        _mode, sha, stage = meta.split()
        result.setdefault(path, {})[int(stage)] = sha
    return result


def merge_in_progress(root: Path) -> bool:
    return (git_dir(root) / "MERGE_HEAD").exists()


def _blob(root: Path, sha: str | None) -> bytes | None:
    if not sha:
        return None
    return git_bytes(root, "cat-file", "blob", sha)


def _blob_at(root: Path, rev: str, path: str) -> bytes | None:
    return git_bytes(root, "show", f"{rev}:{path}")


def _env_for(actor) -> dict:
    return {"GIT_AUTHOR_NAME": actor.name, "GIT_AUTHOR_EMAIL": actor.email,
            "GIT_COMMITTER_NAME": actor.name, "GIT_COMMITTER_EMAIL": actor.email}


def _abort_merge(root: Path) -> None:
    if merge_in_progress(root):
        git(root, "merge", "--abort", check=False)
    _marker(root).unlink(missing_ok=True)


def _marker(root: Path) -> Path:
    return root / ".solar" / MARKER


# --------------------------------------------------------------------------- sync
def sync(repo, remote: str | None = None, *, max_attempts: int = 4, timeout: float | None = None) -> SyncReport:
    """Fetch, merge and push ``repo`` (a :class:`solarcli.repo.Repo`)."""
    root = Path(repo.root)
    report = SyncReport()
    repo.recover()
    try:
        _sync_locked(repo, root, remote, report, max_attempts, timeout)
    finally:
        if report.merged or report.received:
            _refresh_index(repo, report)
    return report


def _sync_locked(repo, root: Path, remote: str | None, report: SyncReport, max_attempts: int,
                 timeout: float | None) -> None:
    with repo.lock():
        report.rolled_back_previous = _rollback_interrupted(root)
        if unmerged_paths(root):
            raise ConflictError("the working tree has unmerged files from an earlier git merge; "
                                "finish it ('git status') or abort it ('git merge --abort'), then sync")
        branch = current_branch(root)
        report.branch = branch
        report.remote = remote = pick_remote(root, remote, branch)
        _register_driver(repo, report)
        dirty = _dirty_paths(root)
        if dirty:
            shown = ", ".join(dirty[:5]) + (f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
            raise ConflictError(f"uncommitted changes in {shown}; commit them (e.g. 'git commit -am MESSAGE') "
                                "or discard them ('git checkout -- FILE'), then run 'solar sync' again")
        url = _remote_url(root, remote)
        remote_ref = f"refs/remotes/{remote}/{branch}"
        for attempt in range(1, max_attempts + 1):
            report.attempts = attempt
            fetched = git(root, "fetch", "--quiet", "--no-tags", remote,
                          f"+refs/heads/{branch}:{remote_ref}", check=False, env=net_env(), timeout=timeout)
            if fetched.returncode != 0:
                msg = last_line(fetched.stderr)
                if "couldn't find remote ref" in msg:
                    git(root, "update-ref", "-d", remote_ref, check=False)  # empty remote: nothing to merge
                else:
                    done = ("your changes are merged locally; run 'solar sync' again" if report.merged
                            or report.received else "nothing was changed")
                    raise GitError(f"cannot reach remote {remote!r} ({url}): {msg}; {done}")
            theirs = _rev(root, remote_ref)
            if theirs:
                ours = _rev(root, "HEAD")
                if ours is None or not _is_ancestor(root, theirs, ours):
                    report.received += _count(root, f"HEAD..{theirs}") if ours else _count(root, theirs)
                    if ours is not None and _is_ancestor(root, ours, theirs):
                        git(root, "merge", "--ff-only", "-q", theirs)
                    else:
                        _merge(repo, root, remote, branch, theirs, report)
            ahead = _count(root, f"{theirs}..HEAD") if theirs else _count(root, "HEAD")
            if ahead == 0:
                break
            pushed = git(root, "push", "--porcelain", remote, f"HEAD:refs/heads/{branch}",
                         check=False, env=net_env(), timeout=timeout)
            if pushed.returncode == 0:
                report.sent += ahead
                report.pushed = True
                git(root, "update-ref", remote_ref, "HEAD", check=False)
                if not git(root, "config", "--get", f"branch.{branch}.remote", check=False).stdout.strip():
                    git(root, "branch", f"--set-upstream-to={remote}/{branch}", check=False)
                break
            text = pushed.stdout + "\n" + pushed.stderr
            raced = any(s in text for s in ("[rejected]", "non-fast-forward", "fetch first")) or (
                "[remote rejected]" in text and "lock" in text)  # the remote was updating the ref
            if raced:
                continue  # someone pushed in between: fetch, merge, try again
            raise GitError(f"cannot push to remote {remote!r} ({url}): {last_line(pushed.stderr)}; "
                           "your changes are committed locally, run 'solar sync' again later")
        else:
            raise GitError(f"push to {remote!r} was rejected {max_attempts} times because others keep pushing; "
                           "your changes are merged locally, run 'solar sync' again")


def _rollback_interrupted(root: Path) -> bool:
    marker = _marker(root)
    if merge_in_progress(root):
        if marker.exists():
            _abort_merge(root)
            return True
        raise ConflictError("a git merge is in progress in this repository; finish it ('git commit') or abort it "
                            "('git merge --abort'), then run 'solar sync' again")
    if marker.exists():
        marker.unlink()
    return False


def _dirty_paths(root: Path) -> list[str]:
    out = git(root, "status", "--porcelain=v1", "-z", "--untracked-files=no").stdout
    paths = []
    for entry in out.split("\0"):
        if len(entry) > 3:
            paths.append(entry[3:])
    return paths


def _register_driver(repo, report: SyncReport) -> None:
    from solarcli.storage import gitio
    from solarcli.sync.setup import driver_command, install_merge_driver

    root = Path(repo.root)
    before = git(root, "config", "--local", "--get", "merge.solar.driver", check=False).stdout.strip()
    changed = install_merge_driver(root)
    if changed:
        gitio.commit(root, changed, "sync: route record files to the solar merge driver (.gitattributes)",
                     repo.actor, {SOLAR_TRAILER: "sync"})
    report.driver_registered = bool(changed) or before != driver_command()


def _merge(repo, root: Path, remote: str, branch: str, theirs: str, report: SyncReport) -> None:
    ours_before = _rev(root, "HEAD")
    marker = _marker(root)
    marker.parent.mkdir(exist_ok=True)
    marker.write_text(theirs + "\n")
    env = _env_for(repo.actor)
    message = f"sync: merge {remote}/{branch}\n\n{SOLAR_TRAILER}: sync\n"
    try:
        # exact renames only: a record removed on one side and a similar one created
        # there is not a rename, and the other side's edits must not move into it
        # (merge-ort ignores -X no-renames / merge.renames=false; it honours the score)
        proc = git(root, "-c", "commit.gpgsign=false", "merge", "--no-ff", "--no-edit", "-q",
                   "-X", "find-renames=100%", "-m", message, theirs, check=False, env=env)
        if proc.returncode != 0:
            unmerged = unmerged_paths(root)
            if not unmerged:
                msg = last_line(proc.stderr or proc.stdout)
                _abort_merge(root)
                hint = None
                if "unrelated histories" in msg:
                    hint = ("the remote holds a different records repository; to join a team, clone the shared "
                            "repository ('git clone URL') instead of running 'solar init'")
                raise GitError(f"cannot merge {remote}/{branch}: {msg}; nothing was changed", hint=hint)
            _resolve(repo, root, unmerged, theirs, report)
            git(root, "-c", "commit.gpgsign=false", "commit", "-q", "--no-edit", "--no-verify", env=env)
        report.merged = True
    except BaseException:
        _abort_merge(root)
        raise
    marker.unlink(missing_ok=True)
    _collect_conflicts(root, ours_before, report)


def _resolve(repo, root: Path, unmerged: dict[str, dict[int, str]], theirs: str, report: SyncReport) -> None:
    """Resolve what git left unmerged, or raise (the caller aborts the merge)."""
    unresolvable = []
    records_first = sorted(unmerged, key=lambda p: (not is_record_path(p), p))
    doc_pairs = []
    for path in records_first:
        stages = unmerged[path]
        if is_record_path(path):
            if 2 in stages and 3 in stages:
                unresolvable.append(path)  # the driver refused: unparsable input
                continue
            try:
                res = _merge_record_blobs(root, stages)
            except (ParseError, ValueError, Exception) as exc:  # noqa: BLE001 - any parse problem
                unresolvable.append(f"{path} ({exc})")
                continue
            if res is None:
                git(root, "rm", "-q", "--cached", "--ignore-unmatch", "--", path)
                (root / path).unlink(missing_ok=True)
            else:
                text, kept = res
                (root / path).write_text(text, encoding="utf-8")
                git(root, "add", "--", path)
                if kept:
                    report.kept_deleted.append(path)
        elif path.startswith("documents/"):
            if 2 in stages and 3 in stages:
                doc_pairs.append((path, stages))
            else:  # changed on one side, deleted on the other: keep the file
                sha = stages.get(2) or stages.get(3)
                data = _blob(root, sha) or b""
                (root / path).parent.mkdir(parents=True, exist_ok=True)
                (root / path).write_bytes(data)
                git(root, "add", "--", path)
        else:
            unresolvable.append(path)
    if unresolvable:
        raise GitError("cannot merge " + ", ".join(unresolvable) + " automatically (not a record file, or it does "
                       "not parse); the merge was aborted and nothing changed; fix it and sync again, or merge by "
                       "hand with 'git pull'")
    for path, stages in doc_pairs:
        _keep_both(root, path, stages, theirs, report)


def _merge_record_blobs(root: Path, stages: dict[int, str]):
    def load(stage):
        data = _blob(root, stages.get(stage))
        if data is None:
            return None
        parsed = loads_roundtrip(data.decode("utf-8"))
        return parsed if parsed is not None else None

    base, ours, theirs = load(1), load(2), load(3)
    res = merge_records(base, ours, theirs)
    if res.merged is None:
        return None
    return dumps_roundtrip(res.merged), res.deleted_vs_edited


def _keep_both(root: Path, path: str, stages: dict[int, str], theirs_commit: str, report: SyncReport) -> None:
    ours_data = _blob(root, stages[2]) or b""
    theirs_data = _blob(root, stages[3]) or b""
    other = f"{path}.theirs-{stages[3][:7]}"
    (root / path).write_bytes(ours_data)
    (root / other).write_bytes(theirs_data)
    git(root, "add", "--", path, other)
    report.kept_both.append((path, other))
    parts = path.split("/")
    if len(parts) < 3:
        return
    rid = parts[1]
    from solarcli.records import KINDS, record_path

    for kind in KINDS:
        rel = record_path(kind, rid)
        full = root / rel
        if not full.exists():
            continue
        data = loads_roundtrip(full.read_text(encoding="utf-8"))
        docs = data.get("documents")
        if docs is None:
            docs = data["documents"] = []
        entry = None
        for d in docs:
            if str(d.get("path")) == path:
                entry = d
        if entry is not None:
            entry["size"] = len(ours_data)
            entry["sha256"] = hashlib.sha256(ours_data).hexdigest()
        if not any(str(d.get("path")) == other for d in docs):
            docs.append({
                "name": other.rsplit("/", 1)[-1], "path": other, "size": len(theirs_data),
                "sha256": hashlib.sha256(theirs_data).hexdigest(),
                "at": str(data.get("updated") or ""), "by": "solar sync",
            })
        conflicts = data.get(CONFLICTS_KEY)
        if conflicts is None:
            conflicts = data[CONFLICTS_KEY] = []
        conflicts.append({"field": f"documents[{path}]", "value": f"other version kept as {other}",
                          "lost_to": "this clone's version", "at": str(data.get("updated") or "") or None})
        full.write_text(dumps_roundtrip(data), encoding="utf-8")
        git(root, "add", "--", rel)
        break


def _collect_conflicts(root: Path, before: str | None, report: SyncReport) -> None:
    if not before:
        return
    changed = git(root, "diff", "--name-only", "-z", before, "HEAD").stdout.split("\0")
    for path in changed:
        if not path or not is_record_path(path):
            continue
        full = root / path
        if not full.exists():
            continue
        try:
            now = loads_fast(full.read_text(encoding="utf-8")) or {}
            old_blob = _blob_at(root, before, path)
            old = loads_fast(old_blob.decode("utf-8")) if old_blob else {}
        except Exception:  # noqa: BLE001 - reporting only
            continue
        old_entries = {canonical(e) for e in (old or {}).get(CONFLICTS_KEY) or []}
        for e in now.get(CONFLICTS_KEY) or []:
            if canonical(e) not in old_entries:
                row = {"path": path, **plain(e)}
                report.conflicts.append(row)
                if e.get("field") == DELETED_FIELD and path not in report.kept_deleted:
                    report.kept_deleted.append(path)


def _refresh_index(repo, report: SyncReport) -> None:
    try:
        repo.index.refresh(force=True)
    except ParseError as exc:
        report.warnings.append(f"index not refreshed: {exc.message}")
    except Exception as exc:  # noqa: BLE001 - the index is a cache; sync itself succeeded
        report.warnings.append(f"index not refreshed: {exc}")
