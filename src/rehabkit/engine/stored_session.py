"""A stored session as the engine reads it, and as every other part of rehabkit does: :class:`PastSession`.

One shape for the engine, the store (``history``, the clinic overview), a course report and an export; its decision
record is a :class:`StoredDetail`, decoded from the store's JSON on first use. It is re-exported by
:mod:`rehabkit.engine.records` (its documented home) and kept in a module of its own so that the store can give it
without creating the engine's other records (``history`` reads sessions only).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import attrs

from .._common.errors import DamagedRecord

__all__ = ["STORED_FIELDS", "PastSession", "StoredDetail", "stored_session"]


class StoredDetail(Mapping[str, Any]):
    """A stored session's decision record: a read-only mapping of its JSON text, decoded on first use.

    The engine reads the records of the current phase's sessions and of the latest few only, so a long history costs
    a row each, not a JSON document each. Where the store has more than the text:

    * ``within_limits`` (its column, 1, 0 or None; what the engine reads of every session in the phase) is answered
      without decoding;
    * ``present`` (whether a record is stored at all, worked out by the query) answers ``bool()`` without decoding;
    * ``fetch(session)`` reads the text from the store when the record is first needed, for a session whose text
      the query left out (the clinic overview brings it for the latest two sessions of each course only).

    No record (none stored, an empty text, JSON ``null``) reads as empty. A text that is not JSON, or JSON that is not
    an object, is damaged: decoding it raises :class:`rehabkit._common.errors.DamagedRecord` naming the session (and
    ``patient``, where given), never a guess. (The store makes tens of thousands of these for the clinic overview: its
    arguments may be given by position.)
    """

    __slots__ = ("_data", "_fetch", "_patient", "_present", "_session", "_text", "_within")

    def __init__(
        self,
        text: str | None,
        within_limits: int | bool | None = None,
        present: bool | None = None,
        fetch: Callable[[int], str | None] | None = None,
        session: int = 0,
        patient: str | None = None,
    ) -> None:
        self._text = text
        self._within = within_limits  # 1, 0 or None as the column keeps it: read as a bool
        self._present = present
        self._fetch = fetch
        self._session = session
        self._patient = patient
        self._data: dict[str, Any] | None = None

    def _stored_text(self) -> str | None:
        if self._text is None and self._fetch is not None:
            self._text, self._fetch = self._fetch(self._session), None
        return self._text

    def _value(self) -> dict[str, Any] | None:
        """The stored JSON object, None when there is no record; a damaged record raises."""
        text = self._stored_text()
        if not text:
            return None
        try:
            value = json.loads(text)
        except (ValueError, TypeError):  # not JSON text (JSONDecodeError; UnicodeDecodeError from bytes)
            raise DamagedRecord(
                "sessions", self._session, self._patient, "its decision record (decision_detail) is not JSON"
            ) from None
        if value is not None and not isinstance(value, dict):
            raise DamagedRecord(
                "sessions", self._session, self._patient, "its decision record (decision_detail) is not a JSON object"
            )
        return value

    def _decoded(self) -> dict[str, Any]:
        if self._data is None:
            self._data = self._value() or {}
        return self._data

    @property
    def stored(self) -> Any:
        """The record's JSON object as stored, or None when the session has none."""
        return self._value()

    def __bool__(self) -> bool:
        return self._present if self._present is not None else bool(self._decoded())

    def __contains__(self, key: object) -> bool:
        if key == "within_limits" and self._within is not None:
            return True
        return key in self._decoded()

    def __getitem__(self, key: str) -> Any:
        if key == "within_limits" and self._within is not None:
            return bool(self._within)
        return self._decoded()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._decoded())

    def __len__(self) -> int:
        return len(self._decoded())

    def __repr__(self) -> str:
        return repr(self._decoded())


@attrs.frozen(slots=True)
class PastSession:
    """One recorded session: what the engine reads of it, and every part of it the store keeps.

    ``status``: ``complete``, ``stopped`` (screening or the decision stopped it),
    ``incomplete`` or ``in-progress``. ``detail`` is the decision's record,
    including the course state after the session (``doses``, ``regressions``,
    ``removed``) and ``within_limits``: from the store, a :class:`StoredDetail`
    (``{}`` when the session has none).

    The store fills the fields after ``detail`` that its query reads (``history`` reads them all, the engine's queries
    only what a course needs). ``next_morning``, ``next_morning_date``, ``pain_during`` and ``screening`` come from
    other records: a course report and an export fill them in (``attrs.evolve``); the store leaves them empty.
    """

    id: int
    date: datetime.date
    phase: str
    status: str
    pain_before: float | None = None
    pain_after: float | None = None
    decision: str | None = None
    detail: Mapping[str, Any] = attrs.field(factory=dict)
    patient: str = ""
    protocol: str = ""
    #: The protocol's version the session followed.
    version: str = ""
    #: When the session was started and finished (UTC timestamps; ``date`` is the patient's calendar day).
    started: str = ""
    finished: str | None = None
    #: The clinician who recorded it (None: not given, as for a patient's own session at home).
    clinician: str | None = None
    #: Pain the morning after, and the date it was reported, if reported.
    next_morning: float | None = None
    next_morning_date: datetime.date | None = None
    #: Pain during each exercise done, as (exercise id, score), in the order answered.
    pain_during: tuple[tuple[str, float], ...] = ()
    #: Red-flag answers, as (question id, yes), in the order asked.
    screening: tuple[tuple[str, bool], ...] = ()

    @property
    def decision_detail(self) -> Any:
        """The decision record as stored (its JSON value), or None when the session has none."""
        if isinstance(self.detail, StoredDetail):
            return self.detail.stored
        return dict(self.detail) if self.detail else None


#: The fields the store gives, in the order :data:`stored_session` takes them (the others keep their defaults).
STORED_FIELDS = (
    "id",
    "date",
    "phase",
    "status",
    "pain_before",
    "pain_after",
    "decision",
    "detail",
    "patient",
    "protocol",
    "version",
    "started",
    "finished",
    "clinician",
)


def _stored_session_builder() -> Callable[..., PastSession]:
    """Generate :data:`stored_session`: a function of :data:`STORED_FIELDS` that makes the record as attrs'
    ``__init__`` would (every slot set, the rest at their defaults), through the slots' own setters.

    ``__init__`` sets each slot through ``object.__setattr__``, which looks the name up first; the setters here are
    looked up once. That halves what making a record costs (about 1.2 against 2 microseconds on the 2-core machine),
    which the clinic overview pays 50,000 times. Only for a class whose fields have no validator, converter or
    factory outside the fields given, which is checked here.
    """
    fields = attrs.fields(PastSession)
    names = [field.name for field in fields]
    if names[: len(STORED_FIELDS)] != list(STORED_FIELDS):
        raise TypeError("PastSession's first fields are not STORED_FIELDS")
    scope: dict[str, Any] = {"new": object.__new__, "cls": PastSession}
    lines = [f"def stored_session({', '.join(STORED_FIELDS)}):", "    self = new(cls)"]
    for field in fields:
        if field.validator is not None or field.converter is not None:
            raise TypeError(f"PastSession.{field.name} has a validator or converter: build it with __init__")
        scope[f"set_{field.name}"] = vars(PastSession)[field.name].__set__
        if field.name in STORED_FIELDS:
            lines.append(f"    set_{field.name}(self, {field.name})")
            continue
        if not isinstance(field.default, (type(None), str, int, float, tuple)):  # a factory, or no default
            raise TypeError(f"PastSession.{field.name} has no plain, immutable default: build it with __init__")
        scope[f"default_{field.name}"] = field.default
        lines.append(f"    set_{field.name}(self, default_{field.name})")
    lines.append("    return self")
    exec(compile("\n".join(lines), "<rehabkit stored_session>", "exec"), scope)  # generated from the field names
    built: Callable[..., PastSession] = scope["stored_session"]
    return built


#: ``stored_session(id, date, phase, status, pain_before, pain_after, decision, detail, patient, protocol, version,
#: started, finished, clinician)``: a :class:`PastSession` equal to the one ``PastSession(...)`` makes of the same
#: arguments, made in about half the time (the store's path for many rows).
stored_session = _stored_session_builder()
