"""The one Jinja environment that renders proposals (and anything else templated).

Lookup order for a template name:

1. the records repository's ``templates/`` folder (overrides),
2. the built-in templates shipped with solarcli (the top-level ``templates/`` of the
   project, installed as the package ``solarcli.templates``); the built-ins are also
   reachable as ``builtin/<name>``, so an override can
   ``{% extends "builtin/proposal.html.j2" %}`` and replace a single block.

Safety: the environment is a ``SandboxedEnvironment`` with ``StrictUndefined`` (a missing
value is an error, never a blank) and autoescaping for every template except Markdown and
plain text, whatever the file suffix (``.html.j2``, ``.htm``, ``.j2``...). Markdown
templates escape Markdown/HTML syntax in every printed value instead. Values from records
are data: they are printed, never evaluated, so ``{{ 7*7 }}`` in a contact name stays
``{{ 7*7 }}``.

Any problem (syntax error, undefined variable, missing template, a sandbox violation) is
raised as ``solarcli.errors.TemplateError`` naming the template and line.

This module never imports click.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from solarcli.errors import NotFoundError, TemplateError

BUILTIN_PREFIX = "builtin"
TEXT_SUFFIXES = (".md", ".markdown", ".txt", ".text")
FORMAT_SUFFIX = {"html": ".html.j2", "pdf": ".html.j2", "md": ".md.j2"}


def builtin_dir() -> Path:
    """Folder of the built-in templates (installed package ``solarcli.templates``)."""
    try:
        import solarcli.templates as pkg  # mapped from the project's top-level templates/

        paths = list(getattr(pkg, "__path__", []))
        if paths:
            return Path(paths[0])
    except ImportError:  # running from a source tree that was never installed
        pass
    here = Path(__file__).resolve().parent.parent.parent / "templates"
    return here


def is_text_template(name: str) -> bool:
    """True for Markdown / plain-text templates (escaped for Markdown, not HTML)."""
    base = name.rsplit("/", 1)[-1].lower()
    for suffix in (".j2", ".jinja", ".jinja2", ".tmpl", ".tpl"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    return base.endswith(TEXT_SUFFIXES)


def autoescape_for(name: str | None) -> bool:
    """Autoescape everything but Markdown/plain text: HTML whatever the suffix, CSS, SVG."""
    if name is None:
        return True
    return not is_text_template(name)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
_MD_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")


def escape_markdown(text: str) -> str:
    """Backslash-escape Markdown/HTML syntax so a value shows literally when rendered."""
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _MD_ENTITY.sub(r"\\&", text)
    # a value never starts a list, heading or block quote of its own
    text = text.replace("\r\n", "\n").replace("\n", " ")
    return text


def _finalize_factory():
    from jinja2 import pass_context
    from markupsafe import Markup

    @pass_context
    def finalize(ctx, value):
        if ctx.eval_ctx.autoescape or isinstance(value, Markup):
            return value
        if ctx.name and is_text_template(ctx.name) and isinstance(value, str):
            return escape_markdown(value)
        return value

    return finalize


def _css_string(value: Any):
    """A quoted CSS string literal (for ``content:`` in @page rules)."""
    from markupsafe import Markup

    out = []
    for ch in str(value):
        if ch.isalnum() or ch in " .,-:/·@+&()!?%€$£₺":
            out.append(ch)
        else:
            out.append("\\%x " % ord(ch))
    return Markup('"' + "".join(out) + '"')


_COLOR_RE = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def safe_color(value: Any, default: str) -> str:
    """A brand colour from solar.yaml if it is a hex colour, else ``default``."""
    v = str(value or "").strip()
    return v if _COLOR_RE.match(v) else default


class Renderer:
    """Owns the Jinja environment for one records repository (or none: built-ins only)."""

    def __init__(self, repo_root: Path | str | None = None, *, builtin: Path | None = None):
        from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader, StrictUndefined
        from jinja2.sandbox import SandboxedEnvironment

        self.builtin = Path(builtin) if builtin else builtin_dir()
        self.repo_templates = Path(repo_root) / "templates" if repo_root else None
        loaders = []
        if self.repo_templates is not None and self.repo_templates.is_dir():
            loaders.append(FileSystemLoader(str(self.repo_templates)))
        builtin_loader = FileSystemLoader(str(self.builtin))
        loaders.append(PrefixLoader({BUILTIN_PREFIX: builtin_loader}))
        loaders.append(builtin_loader)
        self.env = SandboxedEnvironment(
            loader=ChoiceLoader(loaders),
            undefined=StrictUndefined,
            autoescape=autoescape_for,
            finalize=_finalize_factory(),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        from solarcli.proposals.formatting import FILTERS

        self.env.filters.update(FILTERS)
        self.env.filters["css_string"] = _css_string
        self.env.filters["md"] = lambda v: escape_markdown(str(v))

    # ------------------------------------------------------------------ names
    def template_name(self, template: str, fmt: str) -> str:
        """``proposal`` + ``pdf`` → ``proposal.html.j2``; a full file name is kept."""
        if template.endswith((".j2", ".jinja", ".jinja2")) or "." in template.rsplit("/", 1)[-1]:
            return template
        return template + FORMAT_SUFFIX[fmt]

    def exists(self, name: str) -> bool:
        from jinja2 import TemplateNotFound

        try:
            self.env.loader.get_source(self.env, name)
            return True
        except TemplateNotFound:
            return False

    def list_templates(self) -> list[dict]:
        """Every template: name, source (repo|builtin), overridden flag."""
        out: dict[str, dict] = {}
        for name in _walk(self.builtin):
            out[name] = {"name": name, "source": "builtin", "overrides": False,
                         "path": str(self.builtin / name)}
        if self.repo_templates is not None and self.repo_templates.is_dir():
            for name in _walk(self.repo_templates):
                out[name] = {"name": name, "source": "repo", "overrides": name in out,
                             "path": str(self.repo_templates / name)}
        return [out[k] for k in sorted(out)]

    # ------------------------------------------------------------------ render
    def render(self, name: str, context: dict) -> str:
        from jinja2 import TemplateError as JinjaError, TemplateNotFound, TemplateSyntaxError
        from jinja2.exceptions import UndefinedError
        from jinja2.sandbox import SecurityError

        try:
            template = self.env.get_template(name)
        except TemplateNotFound as e:
            raise TemplateError(f"template {e.name!r} not found (looked in "
                                f"{self._where()})", hint="solar template list") from None
        except TemplateSyntaxError as e:
            raise TemplateError(f"{_display(e.filename, e.name)} line {e.lineno}: syntax error: {e.message}") from None
        try:
            return template.render(context)
        except TemplateNotFound as e:
            raise TemplateError(f"{_where_in_trace(e, name)}: template {e.name!r} not found") from None
        except TemplateSyntaxError as e:
            raise TemplateError(f"{_display(e.filename, e.name)} line {e.lineno}: syntax error: {e.message}") from None
        except UndefinedError as e:
            raise TemplateError(f"{_where_in_trace(e, name)}: {e.message}") from None
        except SecurityError as e:
            raise TemplateError(f"{_where_in_trace(e, name)}: not allowed in a template: {e}") from None
        except JinjaError as e:
            raise TemplateError(f"{_where_in_trace(e, name)}: {e}") from None
        except (ValueError, TypeError, KeyError, ArithmeticError, AttributeError) as e:
            raise TemplateError(f"{_where_in_trace(e, name)}: {type(e).__name__}: {e}") from None

    def _where(self) -> str:
        parts = []
        if self.repo_templates is not None:
            parts.append(str(self.repo_templates))
        parts.append(f"built-in templates {self.builtin}")
        return ", ".join(parts)

    def source_path(self, name: str) -> str:
        from jinja2 import TemplateNotFound

        try:
            _, filename, _ = self.env.loader.get_source(self.env, name)
            return filename or name
        except TemplateNotFound:
            raise NotFoundError(f"template {name!r} not found (looked in {self._where()})") from None


def _walk(root: Path) -> list[str]:
    out = []
    if not root.is_dir():
        return out
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "__")))
        for f in sorted(filenames):
            if f.startswith((".", "__")) or f.endswith((".py", ".pyc")):
                continue
            rel = Path(dirpath, f).relative_to(root).as_posix()
            out.append(rel)
    return out


def _display(filename: str | None, name: str | None) -> str:
    return f"template {_short(filename) if filename else (name or '?')}"


def _where_in_trace(exc: BaseException, default_name: str) -> str:
    """``template NAME line N`` from the innermost template frame of a render error."""
    tb = exc.__traceback__
    found = None
    while tb is not None:
        code = tb.tb_frame.f_code
        fname = code.co_filename
        if fname.endswith((".j2", ".jinja", ".jinja2", ".html", ".md", ".css", ".tmpl")) or "<template>" in fname:
            found = (fname, tb.tb_lineno)
        tb = tb.tb_next
    if found:
        fname, line = found
        return f"template {_short(fname)} line {line}"
    return f"template {default_name}"


def _short(filename: str) -> str:
    """A template file path as the user knows it: ``builtin/x.html.j2`` or the path
    relative to the records repository (``templates/x.html.j2``)."""
    p = Path(filename).resolve()
    builtin = builtin_dir().resolve()
    try:
        return f"{BUILTIN_PREFIX}/" + p.relative_to(builtin).as_posix()
    except ValueError:
        pass
    parts = p.parts
    if "templates" in parts:
        idx = len(parts) - 1 - list(reversed(parts)).index("templates")
        return "/".join(parts[idx:])
    return str(p)
