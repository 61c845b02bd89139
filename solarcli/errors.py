"""One error hierarchy for solarcli.

Every error a user can cause is a ``SolarError`` subclass that carries its exit
code. The root click group (``solarcli.cli``) turns them into one line on
stderr; nothing else in the code base decides exit codes. The table below is
documented in README ("Exit codes").
"""
from __future__ import annotations


class SolarError(Exception):
    """Base class: a problem the user can act on. Exit code 1."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.message


class UsageError(SolarError):
    """Wrong combination of options or arguments (click's own are exit 2 too)."""

    exit_code = 2


class NotFoundError(SolarError):
    """A record, repository, file, template or batch does not exist."""

    exit_code = 3


class RepoNotFoundError(NotFoundError):
    """No records repository was found (or the path is not one)."""


class ValidationError(SolarError):
    """Input (a field value, a file, a row) is invalid. Nothing was written."""

    exit_code = 4


class ParseError(ValidationError):
    """A file (record YAML, import file, weather file, template) cannot be parsed."""


class ConflictError(SolarError):
    """The request conflicts with the repository state: ambiguous ID prefix,
    lead already converted, record still linked, busy lock, ..."""

    exit_code = 5


class AmbiguousIdError(ConflictError):
    """An ID prefix matches more than one record."""


class LayoutError(ConflictError):
    """Record files in the old flat layout: 'solar migrate' moves them into shard folders."""


class PartialImportError(SolarError):
    """``--on-error skip``: the import committed the good rows, some rows were
    rejected."""

    exit_code = 6


class GitError(SolarError):
    """git failed: no identity, remote unreachable, push rejected, ..."""

    exit_code = 7


class CheckFailed(SolarError):
    """``solar check`` found problems."""

    exit_code = 8


class EngineError(SolarError):
    """The solar/financial engine cannot compute with the given inputs
    (missing tariff, no design, unreadable weather file, ...)."""

    exit_code = 4


class TemplateError(SolarError):
    """A proposal template is missing, broken, or uses an undefined variable."""

    exit_code = 9


EXIT_CODES = {
    0: "success",
    1: "other error reported by solar",
    2: "usage error (unknown option, missing argument, bad option combination)",
    3: "not found (record, repository, file, template, import batch)",
    4: "invalid input (field value, record file, import file, weather file, engine input); nothing written",
    5: "conflict (ambiguous ID prefix, already converted, record still linked, repository busy)",
    6: "import finished with rejected rows (--on-error skip)",
    7: "git error (identity, remote, push, merge)",
    8: "solar check found problems",
    9: "template error (missing variable, syntax error in a template)",
    130: "interrupted (Ctrl-C)",
}
