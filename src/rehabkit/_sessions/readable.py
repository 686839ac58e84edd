"""What makes a stored row readable: one check per table, shared by everything that reads the session store.

The store's readers (:mod:`rehabkit._sessions.queries`) turn rows into typed values through these checks, and so do the
check of a patient's whole record (``damaged_rows``) and the clinic overview. A row that fails one is damaged: it is
named (:class:`rehabkit._common.errors.DamagedRow`: its table, id and patient, and what is wrong in plain words) and
set aside, and nothing is guessed from it. A date, a pain score, a session's status or decision record, what an
approval, a pause or a review said: each is read as it was written by rehabkit, or not at all. (A detail's other
fields, such as a pause's reasons or a review's note, are read as far as they go: :mod:`rehabkit.engine.events`.)

Each check returns what is wrong (a sentence without its row: ``its date '2026-13-45' is not a calendar date``), or
None when the row reads. Stored values are quoted by their repr, cut short, so that no text of a row reaches a
terminal raw.
"""

from __future__ import annotations

import datetime
import functools
import json
import math
from collections.abc import Mapping
from typing import Any

from ..engine.event_fields import detail_problem
from .store_api import EVENT_KINDS

__all__ = [
    "SESSION_STATUSES",
    "event_problem",
    "json_state",
    "measure_problem",
    "missing_patient_problem",
    "next_day_problem",
    "pain_problem",
    "session_problem",
    "stored_day",
    "surgery_problem",
]

#: The states a session can be stored in.
SESSION_STATUSES = ("in-progress", "complete", "incomplete", "stopped")
_STATUSES = frozenset(SESSION_STATUSES)
#: What a database or :func:`json_state` says of a decision record that is not there (or JSON ``null``).
_NO_RECORD = frozenset({"none", "null"})
#: The JSON states of a decision record that reads.
_RECORD_READS = _NO_RECORD | {"object"}


def _shown(value: Any) -> str:
    """A stored value as a message quotes it: its repr (control characters written out), cut to 40 characters."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


@functools.lru_cache(maxsize=4096)
def stored_day(text: Any) -> datetime.date | None:
    """A stored ``YYYY-MM-DD`` as a date; None when it is not a calendar date written so (a store holds few distinct
    days: each is read once)."""
    if type(text) is not str or len(text) != 10 or text[4] != "-" or text[7] != "-":
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


def _day_problem(text: Any, what: str = "its date") -> str | None:
    if stored_day(text) is not None:
        return None
    if text is None or text == "":
        return f"{what} is missing"
    return f"{what} {_shown(text)} is not a calendar date (YYYY-MM-DD)"


def _number(value: Any) -> bool:
    return type(value) in (float, int) and math.isfinite(value)


def pain_problem(column: str, value: Any) -> str | None:
    """A stored pain score must be a number from 0 to 10 (or none recorded)."""
    if value is None or (type(value) in (float, int) and 0 <= value <= 10):
        return None
    return f"{column} {_shown(value)} is not a pain score from 0 to 10"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def json_state(text: Any) -> str:
    """What a stored JSON text holds, in the words the store's own check gives (``statements``' JSON state): ``none``
    (no text, empty, or ``null``), ``object``, ``invalid`` (not JSON), or the type of another value."""
    if text is None or text in ("", "null"):
        return "none"
    try:
        value = json.loads(text, parse_constant=_reject_constant)  # as the databases: NaN and Infinity are not JSON
    except (ValueError, TypeError):
        return "invalid"
    if value is None:
        return "null"
    return "object" if isinstance(value, dict) else type(value).__name__


def _record_problem(state: str) -> str | None:
    if state == "object" or state in _NO_RECORD:
        return None
    if state == "invalid":
        return "its decision record (decision_detail) is not JSON"
    return "its decision record (decision_detail) is not a JSON object"


def session_problem(day: Any, status: Any, before: Any, after: Any, record: str = "object") -> str | None:
    """A session row: its date, status and pain scores, and its decision record's JSON state (:func:`json_state`)."""
    if (  # the common case first, in one test: the clinic overview checks 50,000 sessions
        status in _STATUSES
        and record in _RECORD_READS
        and (before is None or (type(before) is float and 0.0 <= before <= 10.0))
        and (after is None or (type(after) is float and 0.0 <= after <= 10.0))
        and stored_day(day) is not None
    ):
        return None
    if stored_day(day) is None:
        return _day_problem(day)
    if status not in _STATUSES:
        return f"its status {_shown(status)} is not one of {', '.join(SESSION_STATUSES)}"
    return pain_problem("pain_before", before) or pain_problem("pain_after", after) or _record_problem(record)


def event_problem(kind: Any, day: Any, after_session: Any, detail: Any) -> tuple[str | None, Any]:
    """A course event row: what is wrong (None: it reads), and its detail decoded (``None`` when it is not JSON)."""
    if kind not in EVENT_KINDS:
        return f"its kind {_shown(kind)} is not one of {', '.join(EVENT_KINDS)}", None
    problem = _day_problem(day)
    if problem is None and (type(after_session) is not int or after_session < 0):
        problem = f"its after_session {_shown(after_session)} is not a session id"
    try:
        data = json.loads(detail)
    except (ValueError, TypeError):
        return problem or "its detail is not JSON", None
    return problem or detail_problem(kind, data), data


def next_day_problem(session: Any, day: Any, pain: Any, settled: Any) -> str | None:
    """A next-morning report row: the session it is about, its date, the pain and the hours pain took to settle."""
    if (
        type(session) is int
        and type(pain) is float
        and 0.0 <= pain <= 10.0
        and (settled is None or (type(settled) is float and 0.0 <= settled < math.inf))
        and stored_day(day) is not None
    ):
        return None
    if type(session) is not int:
        return f"its session {_shown(session)} is not a session id"
    if settled is not None and not (_number(settled) and settled >= 0):
        return f"its settled_hours {_shown(settled)} is not a number of hours"
    return _day_problem(day) or ("its pain is missing" if pain is None else pain_problem("pain", pain))


def measure_problem(day: Any, value: Any) -> str | None:
    """A scored outcome measure row: its date and its value."""
    if not _number(value):
        return f"its value {_shown(value)} is not a number"
    return _day_problem(day)


def surgery_problem(text: Any) -> str | None:
    """A patient's recorded surgery date (none recorded reads)."""
    return None if text is None else _day_problem(text, "its surgery date")


def missing_patient_problem(counts: Mapping[str, int]) -> str:
    """A patient whose row is gone while other tables still hold their rows (deleted with foreign keys off)."""
    held = ", ".join(f"{count} in {table}" for table, count in counts.items() if count)
    return f"missing: the patient's row is gone, yet other rows still name the patient ({held})"
