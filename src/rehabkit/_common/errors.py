"""Findings, error types and exit codes shared by every part of rehabkit.

Every problem a user can cause is reported as a :class:`Finding` that names the
file, the line and column where known, a stable code and the JSON path of the
field.  Exceptions subclass the built-in they specialise, so ordinary
``except ValueError`` clauses keep working.
"""

from __future__ import annotations

import enum
import json
from typing import Any

import attrs

from .exit_codes import EXIT_CODE_MEANINGS, GENERAL_EXIT_CODES, RUN_EXIT_CODES, ExitCode, exit_code_help

__all__ = [
    "EXIT_CODE_MEANINGS",
    "GENERAL_EXIT_CODES",
    "RUN_EXIT_CODES",
    "DocumentError",
    "ExitCode",
    "Finding",
    "NotPermitted",
    "PackInterrupted",
    "PluginError",
    "RehabkitError",
    "Severity",
    "StoreError",
    "did_you_mean",
    "exit_code_help",
    "format_json_path",
]


class Severity(str, enum.Enum):  # noqa: UP042 - a StrEnum would change str(member), which packs may print
    """How serious a finding is: errors fail validation, warnings do not."""

    ERROR = "error"
    WARNING = "warning"

    def __str__(self) -> str:
        return self.value


def did_you_mean(name: str, known: list[str] | tuple[str, ...], otherwise: str = "") -> str:
    """`` Did you mean 'x'?`` for the closest known name, else ``otherwise`` (a sentence with a leading space)."""
    import difflib  # only when something is misspelt

    close = difflib.get_close_matches(name, list(known), n=1)
    return f" Did you mean {close[0]!r}?" if close else otherwise


def format_json_path(parts: tuple[str | int, ...] | list[str | int]) -> str:
    """Render a path of keys and indexes as ``$.phases[1].exercises[0].dose``."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.replace("_", "a").replace("-", "a").isalnum() and not part[:1].isdigit():
            out += f".{part}"
        else:
            out += "[" + json.dumps(part) + "]"
    return out


@attrs.frozen(slots=True)
class Finding:
    """One problem in one file, with where it is and what to do about it."""

    path: str
    code: str
    message: str
    line: int | None = None
    column: int | None = None
    json_path: str | None = None
    severity: Severity = Severity.ERROR
    source: str = "rehabkit"

    def format_text(self) -> str:
        """``path:line:col: CODE message [$.json.path]``, the form editors and CI parse."""
        from .text import visible  # a file name or message must not forge a line or move the cursor

        where = visible(self.path)
        if self.line is not None:
            where += f":{self.line}:{self.column or 1}"
        message = visible(self.message)
        text = f"{where}: {self.code} {message}"
        if self.severity is Severity.WARNING:
            text = f"{where}: {self.code} warning: {message}"
        if self.json_path and self.json_path != "$":
            text += f" [{visible(self.json_path)}]"
        return text

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--format json``."""
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "severity": str(self.severity),
            "message": self.message,
            "json_path": self.json_path,
            "source": self.source,
        }


class RehabkitError(Exception):
    """Base class of rehabkit's own errors."""


class DocumentError(RehabkitError, ValueError):
    """A protocol document could not be read, parsed or accepted.

    ``code`` is the stable finding code, ``line`` and ``column`` are 1-based
    where known, ``json_path`` names the field where it applies.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        path: str = "<document>",
        line: int | None = None,
        column: int | None = None,
        json_path: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        self.json_path = json_path

    def to_finding(self) -> Finding:
        """The error as a finding, for reports."""
        return Finding(
            path=self.path,
            code=self.code,
            message=self.message,
            line=self.line,
            column=self.column,
            json_path=self.json_path,
        )

    def __str__(self) -> str:
        return self.to_finding().format_text()


class PluginError(RehabkitError, RuntimeError):
    """A plugin pack failed to load, raised in a hook, registered bad data or conflicts."""

    def __init__(self, message: str, *, plugins: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.plugins = plugins


class StoreError(RehabkitError, RuntimeError):
    """The session store cannot be opened or used; the message names the store and what to do."""


class PackInterrupted(KeyboardInterrupt):
    """Ctrl-C (or a KeyboardInterrupt) while a pack's code ran: the message names the pack and how to block it.

    Still a ``KeyboardInterrupt``, so that everything that stops on Ctrl-C stops.
    """


class NotPermitted(RehabkitError, PermissionError):
    """The acting person may not do this (their role, or not their own course), or no registered person acts from
    this account or login (:mod:`rehabkit._sessions.staff`); commands exit with ``ExitCode.NOT_PERMITTED``."""
