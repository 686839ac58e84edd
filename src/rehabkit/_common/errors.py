"""Findings, error types and exit codes shared by every part of rehabkit.

Every problem a user can cause is reported as a :class:`Finding` that names the
file, the line and column where known, a stable code and the JSON path of the
field.  Exceptions subclass the built-in they specialise, so ordinary
``except ValueError`` clauses keep working.
"""

from __future__ import annotations

import enum
import json
from typing import Any, NamedTuple

import attrs

from .exit_codes import EXIT_CODE_MEANINGS, GENERAL_EXIT_CODES, RUN_EXIT_CODES, ExitCode, exit_code_help

__all__ = [
    "EXIT_CODE_MEANINGS",
    "GENERAL_EXIT_CODES",
    "RUN_EXIT_CODES",
    "DamagedRecord",
    "DamagedRow",
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


#: What to do about a damaged row, said with every refusal and in ``rehabkit clinic``.
_REMEDY = (
    "Correct each row named, or restore it from a backup of the store or from what was recorded at the time: "
    "rehabkit does not guess what a damaged row said. Every other patient's course still works, and "
    "'rehabkit clinic' lists the damaged rows of every patient."
)


class DamagedRow(NamedTuple):
    """One stored row rehabkit cannot read: its table, its id (the patient's id for the ``patients`` table), the
    patient whose record it belongs to (None where it is not known), and what is wrong with it, in plain words.
    (A named tuple: the clinic overview may name many, and every command imports this module.)"""

    table: str
    row: int | str
    patient: str | None
    problem: str

    def describe(self) -> str:
        """``sessions row 5: its date '2026-13-45' is not a calendar date (YYYY-MM-DD)``."""
        return f"{self.table} row {self.row}: {self.problem}"

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--format json``."""
        return {"patient": self.patient, "table": self.table, "row": self.row, "problem": self.problem}


class DamagedRecord(RehabkitError, ValueError):
    """A patient's stored record holds a row rehabkit cannot read (exit 10): it is named, and never guessed at.

    Raised where a stored row is read into typed values (:mod:`rehabkit._sessions.queries`, a session's decision
    record, a course event's detail), and by a store's check of a patient's whole record. ``rows`` are every damaged row
    found (at least one); ``table``, ``row``, ``patient`` and ``problem`` are the first's. ``remedy`` says what to do.
    """

    remedy = _REMEDY

    def __init__(self, table: str, row: int | str, patient: str | None, problem: str) -> None:
        self.rows: tuple[DamagedRow, ...] = (DamagedRow(table, row, patient, problem),)
        super().__init__(self._message())

    @classmethod
    def of(cls, rows: tuple[DamagedRow, ...] | list[DamagedRow]) -> DamagedRecord:
        """The error for several damaged rows (at least one), the first named first."""
        first, *_ = rows
        error = cls(first.table, first.row, first.patient, first.problem)
        error.rows = tuple(rows)
        error.args = (error._message(),)
        return error

    def for_patient(self, patient: str) -> DamagedRecord:
        """The same error, with ``patient`` named on the rows that named none (a reader that did not know whose)."""
        return DamagedRecord.of([r._replace(patient=r.patient or patient) for r in self.rows])

    @property
    def table(self) -> str:
        """The table of the first damaged row."""
        return self.rows[0].table

    @property
    def row(self) -> int | str:
        """The id of the first damaged row."""
        return self.rows[0].row

    @property
    def patient(self) -> str | None:
        """The patient whose record holds the first damaged row, where known."""
        return self.rows[0].patient

    @property
    def problem(self) -> str:
        """What is wrong with the first damaged row."""
        return self.rows[0].problem

    def _message(self) -> str:
        whose = f" of patient {self.patient}" if self.patient else ""
        more = f" (and {len(self.rows) - 1} more)" if len(self.rows) > 1 else ""
        return f"a stored record{whose} cannot be read: {self.rows[0].describe()}{more}"

    def __str__(self) -> str:
        return self._message()


class PackInterrupted(KeyboardInterrupt):
    """Ctrl-C (or a KeyboardInterrupt) while a pack's code ran: the message names the pack and how to block it.

    Still a ``KeyboardInterrupt``, so that everything that stops on Ctrl-C stops.
    """


class NotPermitted(RehabkitError, PermissionError):
    """The acting person may not do this (their role, or not their own course), or no registered person acts from
    this account or login (:mod:`rehabkit._sessions.staff`); commands exit with ``ExitCode.NOT_PERMITTED``."""
