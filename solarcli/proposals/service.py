"""Proposals as records: generate, list, show, mark (the API behind ``solar proposal``).

A proposal record lives in ``proposals/<id>.yaml``; the rendered document in
``documents/<project-id>/proposals/<number>.<ext>``. Both are written in one
transaction, so one commit holds the record and the document.

Numbering: ``P-<year>-<PROJECT> v<n>``, e.g. ``P-2026-7K2MQ4X v3``. ``<PROJECT>`` is the
project's short random ID (upper case) and ``<year>`` the year the project was created, so
the number is stable for a project and different projects never collide, even across
clones: no repository-wide counter exists that two clones could both advance. ``<n>`` is
the per-project version: one more than the highest version of that project's proposals
(records and documents). Only two people proposing the *same* project in two clones at the
same time can produce the same ``vN``; the record IDs stay distinct, the second document is
named apart when the files meet, and ``duplicate_numbers`` reports it.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from solarcli.errors import ConflictError, NotFoundError, ValidationError

STATUSES = ("draft", "sent", "accepted", "rejected")
FORMATS = ("html", "pdf", "md")
EXT = {"html": "html", "pdf": "pdf", "md": "md"}
NUMBER_RE = re.compile(r"^P-\d{4}-[0-9A-Z]+ v\d+$")


@dataclass
class Generated:
    path: Path               # the file written (absolute)
    relpath: str | None      # path inside the records repository (None with -o)
    record: dict | None      # the proposal record (None with -o)
    number: str
    content: bytes
    warnings: list[str]


# ----------------------------------------------------------------------------- helpers
def _plain(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    return x


def today() -> _dt.date:
    return _dt.date.today()


def number_for(project: dict, version: int) -> str:
    created = str(project.get("created") or "")
    year = created[:4] if re.match(r"^\d{4}", created) else str(today().year)
    return f"P-{year}-{str(project['id'])[:7].upper()} v{version}"


def file_stem(number: str) -> str:
    return number.replace(" ", "-")


def project_proposals(repo, project_id: str) -> list[dict]:
    return [p for p in repo.iter_records("proposal") if p.get("project") == project_id]


def next_version(repo, project_id: str) -> int:
    versions = [int(p.get("version") or 0) for p in project_proposals(repo, project_id)]
    docdir = repo.root / "documents" / project_id / "proposals"
    if docdir.is_dir():
        for f in docdir.iterdir():
            m = re.search(r"-v(\d+)(?:-\w+)?\.\w+$", f.name)
            if m:
                versions.append(int(m.group(1)))
    return max(versions, default=0) + 1


def display_status(proposal: dict, on: _dt.date | None = None) -> str:
    """The stored status, or ``expired`` for a draft/sent proposal past its validity."""
    status = str(proposal.get("status") or "draft")
    vu = proposal.get("valid_until")
    if status in ("draft", "sent") and vu:
        try:
            if (on or today()) > _dt.date.fromisoformat(str(vu)[:10]):
                return "expired"
        except ValueError:
            pass
    return status


def language_for(repo, lang: str | None, settings: dict) -> str:
    lang = lang or settings.get("language") or str(repo.config.locale).split("_")[0]
    return str(lang).lower()


def default_template(project: dict, settings: dict) -> str:
    if project.get("grid") == "off-grid":
        return str((settings.get("templates") or {}).get("off-grid") or "proposal-off-grid")
    return str(settings.get("template") or "proposal")


def render_document(renderer, name: str, context: dict, fmt: str) -> bytes:
    text = renderer.render(name, context)
    if fmt != "pdf":
        return text.encode("utf-8")
    return html_to_pdf(text)


def html_to_pdf(html: str) -> bytes:
    """A4 PDF (page size, margins and page numbers come from the template's @page CSS)."""
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return HTML(string=html, base_url=None).write_pdf()


def _totals(est: dict) -> dict:
    p, f = est["price"], est["finance"]
    return {"currency": p.get("currency"), "net": p.get("net"), "vat": p.get("vat"), "total": p.get("total"),
            "kwp_dc": est["system"].get("kwp_dc"), "annual_kwh": est["production"].get("annual_kwh"),
            "year1_savings": f.get("year1_savings"), "payback_years": f.get("payback_years")}


# ----------------------------------------------------------------------------- generate
def generate(repo, project_ref: str, *, design: str | None = None, template: str | None = None,
             lang: str | None = None, fmt: str = "html", output: str | Path | None = None,
             estimate: dict | None = None, on: _dt.date | None = None) -> Generated:
    """Render a proposal for the project's current (or named) design.

    Without ``output``: creates a proposal record (new version) and stores the document in
    the repository, one commit. With ``output``: writes only that file.
    ``estimate`` may be passed (an estimate dict) instead of running the engine.
    """
    from solarcli.proposals.context import build_context, offer_settings, validity_end
    from solarcli.proposals.render import Renderer
    from solarcli.proposals.stale import combine, inputs_parts

    if fmt not in FORMATS:
        raise ValidationError(f"--to: {fmt!r}; expected one of {', '.join(FORMATS)}")
    prec = repo.load(project_ref, "project")
    project = _plain(prec.data)
    contact = None
    if project.get("contact"):
        try:
            contact = _plain(repo.load(str(project["contact"]), "contact").data)
        except NotFoundError:
            contact = None
    config_data = _plain(repo.config.data)
    settings = offer_settings(config_data)
    language = language_for(repo, lang, settings)
    if estimate is None:
        from solarcli.engine.estimate import estimate_project

        estimate = estimate_project(repo, project, design)
    design_name = estimate.get("design")
    if isinstance(design_name, dict):
        design_name = design_name.get("name")
    renderer = Renderer(repo.root)
    tname = renderer.template_name(template or default_template(project, settings), fmt)
    if not renderer.exists(tname):
        raise NotFoundError(f"template {tname!r} not found (solar template list shows the templates)")
    date = on or today()
    valid_until = validity_end(date, settings["validity_days"])
    dirs = [d for d in (renderer.repo_templates, renderer.builtin) if d is not None and d.is_dir()]

    def render(version: int) -> tuple[str, bytes]:
        number = number_for(project, version)
        meta = {"number": number, "version": version, "date": date.isoformat(),
                "valid_until": valid_until.isoformat(), "status": "draft", "template": tname,
                "language": language, "design": design_name}
        ctx = build_context(config_data=config_data, project=project, contact=contact, estimate=estimate,
                            proposal=meta, lang=language, template_dirs=dirs, repo_root=repo.root)
        return number, render_document(renderer, tname, ctx, fmt)

    # the engine's plausibility flags are for the installer, not the customer's document
    warnings = [f"estimate: {flag}" for flag in (estimate.get("production") or {}).get("flags") or []]
    accepted = [p for p in project_proposals(repo, prec.id) if p.get("status") == "accepted"]
    if accepted:
        warnings.append(f"project {prec.id[:7]} already has accepted proposal {accepted[-1].get('number')}; "
                        f"it is kept unchanged, this is a new version")

    if output is not None:  # a preview of the next version; nothing in the repository changes
        number, content = render(next_version(repo, prec.id))
        out = Path(output)
        if out.is_dir():
            out = out / f"{file_stem(number)}.{EXT[fmt]}"
        out.parent.mkdir(parents=True, exist_ok=True)
        _write_user_file(out, content)
        return Generated(out.resolve(), None, None, number, content, warnings)

    parts = inputs_parts(repo, project, design_name)
    src_hash = hashlib.sha256(renderer.env.loader.get_source(renderer.env, tname)[0].encode("utf-8")).hexdigest()
    # the version is taken and the files written under the repository lock, so two solar
    # processes proposing the same project at once get v1 and v2, never the same number
    with repo.transaction() as tx:
        version = next_version(repo, prec.id)
        number, content = render(version)
        rel = f"documents/{prec.id}/proposals/{file_stem(number)}.{EXT[fmt]}"
        record = {
            "number": number,
            "project": prec.id,
            "version": version,
            "date": date.isoformat(),
            "valid_until": valid_until.isoformat(),
            "status": "draft",
            "template": tname,
            "language": language,
            "format": fmt,
            "design": design_name,
            "totals": _totals(estimate),
            "inputs_hash": combine(parts),
            "inputs": parts,
            "estimate_hash": estimate.get("inputs_hash"),
            "template_sha256": src_hash,
            "files": [{"path": rel, "format": fmt, "size": len(content),
                       "sha256": hashlib.sha256(content).hexdigest()}],
            "status_history": [],
        }
        tx.message = f"proposal {number}: generated for project {prec.id[:7]} ({fmt})"
        rec = tx.create("proposal", record)
        record_out = rec.data
        tx.write_file(rel, content)
    return Generated(repo.root / rel, rel, _plain(record_out), number, content, warnings)


def _write_user_file(path: Path, content: bytes) -> None:
    """Atomic write of a file outside the repository, with the usual permissions (umask)."""
    import os
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# ----------------------------------------------------------------------------- reading
def find(repo, ref: str) -> dict:
    """A proposal by record ID (prefix) or by its number (``P-2026-7K2MQ4X v3``)."""
    ref = str(ref).strip()
    if ref.upper().startswith("P-"):
        want = re.sub(r"[- ]+V(\d+)$", r" V\1", ref.upper())  # "P-2026-ABC v3" or file stem "P-2026-ABC-v3"
        for p in repo.iter_records("proposal"):
            if str(p.get("number", "")).upper() == want:
                return _plain(p)
        raise NotFoundError(f"no proposal with number {ref!r}")
    return _plain(repo.load(ref, "proposal").data)


def listing(repo, project_ref: str | None = None, on: _dt.date | None = None) -> list[dict]:
    pid = None
    if project_ref:
        pid, _ = repo.resolve(project_ref, "project")
    rows = []
    for p in repo.iter_records("proposal"):
        if pid and p.get("project") != pid:
            continue
        rows.append(summary_row(p, on))
    rows.sort(key=lambda r: (str(r["project"]), int(r["version"] or 0)))
    return rows


def summary_row(p: dict, on: _dt.date | None = None) -> dict:
    totals = p.get("totals") or {}
    return {"id": p.get("id"), "number": p.get("number"), "project": p.get("project"),
            "version": p.get("version"), "date": _iso(p.get("date")), "valid_until": _iso(p.get("valid_until")),
            "status": display_status(p, on), "language": p.get("language"), "format": p.get("format"),
            "template": p.get("template"), "design": p.get("design"),
            "total": totals.get("total"), "currency": totals.get("currency"),
            "path": ((p.get("files") or [{}])[0] or {}).get("path")}


def _iso(v: Any) -> str | None:
    return None if v is None else str(v)[:10]


def show(repo, ref: str, on: _dt.date | None = None) -> dict:
    """The record with computed ``status`` (expired), ``stale`` and ``changed_inputs``."""
    from solarcli.proposals.stale import changed_inputs

    p = find(repo, ref)
    changed = changed_inputs(repo, p)
    out = dict(p)
    out["stored_status"] = p.get("status")
    out["status"] = display_status(p, on)
    out["changed_inputs"] = changed
    out["stale"] = p.get("status") == "accepted" and bool(changed)
    return out


def duplicate_numbers(repo) -> dict[str, list[str]]:
    """Numbers held by more than one proposal record (only possible after two clones
    proposed the same project at the same time): number → record IDs."""
    seen: dict[str, list[str]] = {}
    for p in repo.iter_records("proposal"):
        seen.setdefault(str(p.get("number")), []).append(str(p.get("id")))
    return {k: v for k, v in seen.items() if len(v) > 1}


# ----------------------------------------------------------------------------- mark
def mark(repo, ref: str, status: str, note: str | None = None, on: _dt.date | None = None) -> tuple[dict, list[str]]:
    """Set a proposal's status; the project's stage follows the pipeline's
    ``on_proposal_sent`` / ``on_proposal_accepted`` (forward moves only). One commit."""
    from solarcli.timeutil import now_iso

    if status not in STATUSES or status == "draft":
        raise ValidationError(f"status {status!r}: expected sent, accepted or rejected")
    p = find(repo, ref)
    messages: list[str] = []
    cfg = repo.config
    with repo.transaction() as tx:
        rec = tx.load(str(p["id"]), "proposal")
        old = str(rec.data.get("status") or "draft")
        if old == status:
            messages.append(f"proposal {rec.data.get('number')} is already {status}")
            return _plain(rec.data), messages
        if old == "accepted":
            raise ConflictError(f"proposal {rec.data.get('number')} is accepted; an accepted proposal is kept as "
                                f"it is (generate a new version with 'solar project proposal')")
        if display_status(_plain(rec.data), on) == "expired" and status == "accepted":
            messages.append(f"note: proposal {rec.data.get('number')} expired on {rec.data.get('valid_until')}")
        entry = {"at": now_iso(), "by": repo.actor_id, "from": old, "to": status}
        if note:
            entry["note"] = note
        rec.data["status"] = status
        rec.data.setdefault("status_history", [])
        rec.data["status_history"].append(entry)
        if status == "sent":
            rec.data["sent"] = now_iso()
        elif status == "accepted":
            rec.data["accepted"] = now_iso()
        tx.save(rec)
        msg = f"proposal {rec.data.get('number')}: {old} -> {status}"
        target = cfg.pipeline("project").get(f"on_proposal_{status}")
        if target:
            prj = tx.load(str(rec.data["project"]), "project")
            stages = cfg.stages("project")
            cur = prj.data.get("stage")
            if target in stages and cur in stages and cur not in cfg.terminal_stages("project") \
                    and stages.index(cur) < stages.index(target):
                prj.data["stage"] = target
                prj.data.setdefault("stage_history", [])
                prj.data["stage_history"].append({"at": now_iso(), "by": repo.actor_id, "from": cur, "to": target,
                                                  "reason": f"proposal {rec.data.get('number')} {status}"})
                tx.save(prj)
                msg += f"; project {prj.id[:7]}: stage {cur} -> {target}"
                messages.append(f"project {prj.id[:7]}: stage {cur} -> {target}")
        tx.message = msg + (f" ({note})" if note else "")
    return _plain(rec.data), messages
