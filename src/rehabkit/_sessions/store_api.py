"""What a session store is to the rest of rehabkit: :class:`SessionStore`, and the records it gives.

Two classes implement it: :class:`rehabkit._sessions.store.Store` (a SQLite file) and
:class:`rehabkit._sessions.pg_store.PgStore` (a PostgreSQL database), both through the query methods of
:class:`rehabkit._sessions.queries.StoreQueries`; :func:`rehabkit._sessions.backends.open_store` opens the one
``--db`` names. A stored session is the engine's own record, :class:`rehabkit.engine.PastSession`, whatever reads it
(the engine, ``history``, the clinic overview, a course report, an export): the engine imports nothing from here.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, Self

import attrs

from ..engine.stored_session import PastSession

if TYPE_CHECKING:
    from .._common.errors import DamagedRow
    from ..engine.records import CourseEvent
    from .audit import AuditEntry
    from .erasure import Erasure

__all__ = [
    "EVENT_KINDS",
    "PATIENT_ID",
    "EventRecord",
    "MeasureRow",
    "NextDayRow",
    "Overview",
    "PatientRow",
    "SessionStore",
    "StaffChange",
    "parse_day",
]

#: Pseudonymous patient ids: letters, digits, '-', '_' and '.', 1 to 64 characters.
PATIENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # use fullmatch: "$" would accept a trailing newline

#: Kinds of course event.
EVENT_KINDS = ("enter-phase", "pause", "review", "approval")


@functools.lru_cache(maxsize=4096)
def parse_day(text: str) -> datetime.date:
    """A stored ``YYYY-MM-DD`` (or timestamp) as a date; a store holds few distinct days, so each is parsed once."""
    return datetime.date.fromisoformat(text[:10])


@attrs.frozen(slots=True)
class StaffChange:
    """One change of the staff register: ``staff`` added (with its roles and the account or login it acts from),
    disabled or enabled, by ``actor`` acting from ``account``. The register is the list of these changes, in order:
    nothing in it is changed in place."""

    staff: str
    #: ``add``, ``disable`` or ``enable``.
    action: str
    roles: tuple[str, ...] | None = None
    name: str | None = None
    #: The operating-system account this person acts from on a SQLite store.
    os_user: str | None = None
    #: The PostgreSQL login this person acts from on a PostgreSQL store.
    db_role: str | None = None
    #: The staff id of who made the change (None: the first registration of a store).
    actor: str | None = None
    #: The account or login the change was made from.
    account: str | None = None
    #: When it was recorded (UTC, ISO); set by the store.
    at: str | None = None
    id: int | None = None


@attrs.frozen(slots=True)
class EventRecord:
    """One course event as stored (see :class:`rehabkit.engine.CourseEvent`, what the engine reads of it)."""

    id: int
    patient: str
    protocol: str | None
    kind: str
    date: str
    phase: str | None
    by: str | None
    after_session: int
    detail: Any
    at: str
    #: The clinician who recorded it (None: not given). ``by`` is who gave an approval or made a review.
    clinician: str | None = None

    def course_event(self) -> CourseEvent:
        """The event as the engine reads it."""
        from ..engine.events import event_detail
        from ..engine.records import CourseEvent  # the engine's other records: not for history, which reads events

        return CourseEvent(
            id=int(self.id),
            kind=self.kind,
            date=parse_day(self.date),
            protocol=self.protocol,
            phase=self.phase,
            by=self.by,
            after_session=int(self.after_session),
            detail=event_detail(self.kind, self.detail),
        )


class PatientRow(NamedTuple):
    """A patient of :meth:`SessionStore.overview`: the id and the surgery date, if recorded."""

    id: str
    surgery_date: str | None


class NextDayRow(NamedTuple):
    """A next-morning report of :meth:`SessionStore.overview`: whose, about which session, when, and the pain."""

    patient: str
    session: int
    date: str
    pain: float
    settled_hours: float | None


class MeasureRow(NamedTuple):
    """A scored outcome measure of :meth:`SessionStore.overview`."""

    patient: str
    measure: str
    value: float
    date: str


class Overview(NamedTuple):
    """Every patient's records, from :meth:`SessionStore.overview`, each table in the order recorded.

    ``sessions`` give ``patient``, ``protocol``, ``clinician``, ``started`` and what the engine reads; a session's
    decision record is a :class:`rehabkit.engine.stored_session.StoredDetail` whose ``within_limits`` comes from its
    column, whose text comes with the latest two sessions of each course and is read from the store for an older one
    when asked. ``measures`` are in date order. The rows are named tuples (a clinic's overview reads thousands of them).
    A row that cannot be read is not among them: it is named in ``damaged``.
    """

    patients: list[PatientRow]
    sessions: list[PastSession]
    events: list[EventRecord]
    next_days: list[NextDayRow]
    measures: list[MeasureRow]
    #: The rows that cannot be read, left out of the lists above (the clinic overview sets their patients aside).
    damaged: tuple[DamagedRow, ...] = ()


class SessionStore(Protocol):
    """An open session store: what every command, the runner, the clinic overview and the outputs call.

    Every write is committed at once. Dates are ``datetime.date`` going in; records coming out give a session's date as
    a ``datetime.date`` (:class:`~rehabkit.engine.PastSession`) and other records' dates as stored (``YYYY-MM-DD``).
    A stored row that cannot be read raises :class:`rehabkit._common.errors.DamagedRecord` where it is read.
    Use it as a context manager, or call :meth:`close`.
    """

    #: Which database holds the store: ``sqlite`` or ``postgresql`` (``db status`` and messages say so).
    backend: str
    #: The person every record made through this store is attributed to (set by
    #: :func:`rehabkit._sessions.staff.who_acts`; None: no one recognised). Kept in every record it makes and in
    #: every audit entry.
    clinician: str | None
    #: The operating-system account or database login that person acts from (None: not recognised), kept in every
    #: audit entry. On PostgreSQL, a login that does not own the store may only append entries naming itself.
    account: str | None

    def session_login(self) -> str | None:
        """The database login this store is connected as (PostgreSQL's ``session_user``); None for a SQLite file."""
        ...

    @property
    def path(self) -> Path | str:
        """What messages name the store by: the SQLite file, or the PostgreSQL URL without its password."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...

    def close(self) -> None:
        """Close the connection (which releases any lock it holds)."""
        ...

    @property
    def schema_version(self) -> int:
        """The store's schema version (0 for a PostgreSQL database without a store yet)."""
        ...

    def upgrade(self) -> tuple[int, int]:
        """Bring the store to this rehabkit's schema; returns (version before, version after)."""
        ...

    def patient_lock(
        self, patient: str, what: str = "a session", clinician: str | None = None
    ) -> AbstractContextManager[None]:
        """Hold the patient's lock while a command writes their course; ``PatientBusy`` when another holds it."""
        ...

    def iter_tables(self) -> Iterator[str]:
        """Names of the store's tables (for diagnostics and tests)."""
        ...

    # --- patients

    def ensure_patient(self, patient: str, surgery_date: str | None = None, day: datetime.date | None = None) -> None:
        """Create the patient record if needed; record the surgery date when given and not the one recorded (a new
        record for ``day``, keeping the date it replaces).

        A patient id that is not a pseudonymous code (:data:`PATIENT_ID`) is refused with ``StoreError``."""
        ...

    def surgery_date(self, patient: str) -> str | None:
        """The recorded surgery date, if any."""
        ...

    def has_patient(self, patient: str) -> bool:
        """True when the patient has a record."""
        ...

    def patient_ids(self) -> list[str]:
        """Every recorded patient's id, in order."""
        ...

    # --- sessions and answers

    def start_session(
        self, patient: str, protocol: str, version: str, phase: str, day: datetime.date | None = None
    ) -> int:
        """Open a session (status in-progress) on ``day`` (default today) and return its id."""
        ...

    def record_answer(self, session: int, kind: str, key: str, value: Any) -> None:
        """Store one answer at once (kind: screening, pain-before, exercise, pain-during, pain-after, ...)."""
        ...

    def finish_session(self, session: int, status: str, decision: str | None = None, detail: Any = None) -> None:
        """Close a session with its status (complete, incomplete, stopped), decision and decision record."""
        ...

    def answers(self, session: int) -> list[tuple[str, str, Any]]:
        """A session's answers in the order given: (kind, key, value)."""
        ...

    def part_way_stops(self, patient: str, first: int = 0) -> dict[int, list[tuple[str, int, int]]]:
        """The exercises stopped part-way in each of a patient's sessions from session ``first`` on: session id ->
        [(exercise, sets done, sets)]."""
        ...

    def sessions(self, patient: str, protocol: str | None = None, *, last: int | None = None) -> list[PastSession]:
        """A patient's sessions in the order recorded, which is date order (optionally for one protocol, and only the
        ``last`` so many), with every field the store keeps."""
        ...

    def count_sessions(self, patient: str, protocol: str | None = None) -> int:
        """How many sessions the patient has (of one protocol, when given)."""
        ...

    def course_sessions(self, patient: str, protocol: str, after: int | None) -> list[PastSession]:
        """What a course is worked out from (see :data:`rehabkit.engine.LATEST_NEEDED`): the patient's sessions of
        ``protocol`` after session ``after`` (the current phase's; ``None`` before the course starts), and the latest
        session of each kind the course reads from before it, in the order recorded."""
        ...

    def mark_unfinished_incomplete(self, patient: str) -> int:
        """Sessions left in progress (a crash, a killed terminal) become incomplete; returns how many."""
        ...

    def last_session_id(self, patient: str) -> int:
        """The id of the patient's latest session (0 when there is none)."""
        ...

    def session_before(self, patient: str, day: datetime.date) -> PastSession | None:
        """The patient's latest complete or stopped session dated before ``day`` (what a next-morning report is
        about)."""
        ...

    def decision_detail(self, session: int) -> str | None:
        """A session's decision record as stored (JSON text)."""
        ...

    # --- measures and next-morning reports

    def record_measure(
        self,
        patient: str,
        measure: str,
        value: float,
        unit: str,
        band: str | None,
        answers: Any,
        day: datetime.date | None = None,
    ) -> None:
        """Store a scored outcome measure, dated ``day`` (default today)."""
        ...

    def measures(self, patient: str) -> list[tuple[str, float, str]]:
        """Every scored measure of the patient: (measure, value, date), in date order."""
        ...

    def measure_bands(self, patient: str) -> list[str | None]:
        """The band each scored measure of the patient was given when it was scored, in :meth:`measures`' order."""
        ...

    def latest_measures(self, patient: str) -> dict[str, float]:
        """The latest value of each measure the patient has recorded."""
        ...

    def record_next_day(
        self,
        patient: str,
        session: int,
        pain: float,
        day: datetime.date | None = None,
        settled_hours: float | None = None,
    ) -> None:
        """Store next-morning pain (and the hours pain took to settle, where given) against ``session``."""
        ...

    def next_days(
        self, patient: str, sessions: Iterable[int] | None = None
    ) -> list[tuple[int, str, float, float | None]]:
        """Next-morning reports in the order recorded: (session, date, pain, hours to settle); only those about
        ``sessions`` when given."""
        ...

    def next_day(self, patient: str) -> dict[int, float]:
        """Next-morning pain by session id (the latest report for each)."""
        ...

    # --- course events

    def add_event(
        self,
        patient: str,
        kind: str,
        day: datetime.date,
        *,
        protocol: str | None = None,
        phase: str | None = None,
        by: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> int:
        """Record a course event (one of :data:`EVENT_KINDS`) dated ``day``, after the patient's latest session; returns
        its id."""
        ...

    def events(self, patient: str) -> list[EventRecord]:
        """The patient's course events in the order recorded."""
        ...

    def protocols_of(self, patient: str) -> list[str]:
        """The protocols the patient has sessions or course events in, the most recently used last."""
        ...

    # --- the staff register

    def add_sign_in(
        self, patient: str, kind: str, token: str, session: str | None = None, expires: str | None = None
    ) -> int:
        """Record a sign-in link made, used or revoked (hashed tokens only); returns its id."""
        ...

    def sign_in_link(self, token: str) -> list[tuple[str, str, str | None]]:
        """The rows of the link whose hashed token is ``token``: (patient, kind, expires)."""
        ...

    def sign_ins_of(self, patient: str) -> list[tuple[str, str]]:
        """Every sign-in row of ``patient``: (kind, hashed link token)."""
        ...

    def sign_in_session(self, session: str) -> tuple[str, str, str] | None:
        """The patient, expiry and hashed link token of the web session whose hashed cookie is ``session``."""
        ...

    def add_staff_sign_in(self, staff: str, kind: str, secret: str | None = None, expires: str | None = None) -> int:
        """Record a staff password set, a sign-in refused, or a web session begun or ended; returns its id."""
        ...

    def staff_sign_ins_of(self, staff: str) -> list[tuple[str, str | None, str | None, str]]:
        """Every password, refusal and web session of ``staff``: (kind, secret, expires, at)."""
        ...

    def staff_session(self, session: str) -> tuple[str, str] | None:
        """The person and expiry of the staff web session whose hashed cookie is ``session``."""
        ...

    def add_staff_event(self, change: StaffChange) -> int:
        """Record one change of the staff register; returns its id."""
        ...

    def staff_events(self) -> list[StaffChange]:
        """Every change of the staff register, in the order recorded."""
        ...

    # --- the audit trail and a patient's own data

    def audit_entries(self, patient: str | None = None, since: str | None = None) -> list[AuditEntry]:
        """The audit trail's entries in order: every one, or only a patient's, or only those at or after ``since``
        (an ISO date or UTC time)."""
        ...

    def patient_rows(self, patient: str) -> dict[str, list[dict[str, Any]]]:
        """Every row that is the patient's, in every record table, each as column -> value, by table."""
        ...

    def record_export(self, patient: str, detail: Mapping[str, Any]) -> int:
        """Append the audit entry of an export of the patient's data; returns its number."""
        ...

    def erase_patient(self, patient: str, reason: str) -> Erasure:
        """Erase every row of the patient and blank their audit entries, leaving a tombstone entry; raises
        ``LookupError`` for a patient the store holds nothing of, ``ValueError`` for a reason that is empty or names
        the patient, and ``ErasureRefused`` when the store's login may not."""
        ...

    def mentions(self, text: str) -> list[tuple[str, str, int]]:
        """Where ``text`` appears in the store, in any table and column, in any case: (table, column, rows)."""
        ...

    # --- the whole clinic

    def overview(self, between: tuple[str, str] | None = None) -> Overview:
        """Every patient's records, one query per table, for the clinic overview; the rows that cannot be read are
        left out and named in ``damaged``. ``between``: only ids from the first on and before the second ('' for no
        end), and the rows naming them."""
        ...

    # --- damaged records

    def damaged_rows(self, patient: str) -> list[DamagedRow]:
        """Every row of the patient's record that cannot be read (empty: it all reads): the patient's own row, sessions,
        course events, next-morning reports and measures (answers, read only by an export, are checked as they are
        read). A command checks this before it acts on a patient's course; the store's readers raise ``DamagedRecord``
        on such a row, never guess."""
        ...
