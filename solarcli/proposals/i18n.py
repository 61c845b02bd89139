"""Translation catalogues for proposal templates: ``templates/i18n/<lang>.yaml``.

The built-in catalogues ship with the templates; a records repository may add
``templates/i18n/<lang>.yaml`` to change wording or add a language (keys it does not
define fall back to the built-in catalogue of that language, then to English).
Catalogues are nested mappings of plain strings; templates call ``t("cover.title")``.
``{name}`` placeholders are filled from keyword arguments: ``t("valid_for", days=30)``.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from solarcli.errors import ParseError, ValidationError

FALLBACK = "en"
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


def _flatten(data: Any, prefix: str = "", out: dict | None = None) -> dict[str, str]:
    """``{"cover": {"title": "x"}}`` → ``{"cover.title": "x"}``."""
    out = {} if out is None else out
    if isinstance(data, dict):
        for k, v in data.items():
            _flatten(v, f"{prefix}.{k}" if prefix else str(k), out)
    elif data is not None:
        out[prefix] = str(data)
    return out


def load_catalogue(path: Path) -> dict[str, str]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise ParseError(f"{path}{line}: not valid YAML: {getattr(e, 'problem', e)}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParseError(f"{path}: expected a mapping of translation keys")
    return _flatten(data)


def available_languages(dirs: list[Path]) -> list[str]:
    langs = set()
    for d in dirs:
        i18n = d / "i18n"
        if i18n.is_dir():
            langs.update(p.stem for p in i18n.glob("*.yaml"))
    return sorted(langs)


class Translator:
    """``t(key, **values)``: the string for ``key`` in the proposal's language."""

    def __init__(self, lang: str, dirs: list[Path]):
        """``dirs``: template folders, most important first (repository, then built-in)."""
        self.lang = lang
        langs = available_languages(dirs)
        if lang not in langs:
            raise ValidationError(
                f"language {lang!r}: no catalogue i18n/{lang}.yaml; available: {', '.join(langs)}")
        self.strings: dict[str, str] = {}
        # lowest priority first: built-in English, repo English, built-in lang, repo lang
        order = [(FALLBACK, d) for d in reversed(dirs)]
        if lang != FALLBACK:
            order += [(lang, d) for d in reversed(dirs)]
        for code, d in order:
            path = d / "i18n" / f"{code}.yaml"
            if path.is_file():
                self.strings.update(load_catalogue(path))

    def __call__(self, key: str, **values: Any) -> str:
        try:
            text = self.strings[key]
        except KeyError:
            raise KeyError(f"no translation {key!r} in i18n/{self.lang}.yaml (nor in {FALLBACK}.yaml)") from None
        if values:
            text = _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), text)
        return text

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.strings.get(key, default)

    def has(self, key: str) -> bool:
        return key in self.strings
