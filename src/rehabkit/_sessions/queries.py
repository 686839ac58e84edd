"""The session store's query methods, written once for SQLite and PostgreSQL alike.

:class:`StoreQueries` is what :class:`rehabkit._sessions.store.Store` and :class:`rehabkit._sessions.pg_store.PgStore`
share: every method that reads or writes records, run on the store's own database connection (sqlite3's or psycopg's,
which answer ``execute`` alike) with the statements of its dialect (:mod:`rehabkit._sessions.statements`). A backend
adds connecting, its schema and migrations, its patient lock, and how an INSERT gives the new row's id.

Every row is read into typed values through the checks of :mod:`rehabkit._sessions.readable`: a row that cannot be read
(a date that is not a date, text for a pain score, a decision record or event detail that is not JSON, an approval that
does not say whether it was given) raises :class:`rehabkit._common.errors.DamagedRecord` naming it, never a guess;
:meth:`StoreQueries.damaged_rows` checks a patient's whole record before a command acts on it, and the clinic overview
sets a damaged patient aside (:attr:`rehabkit._sessions.store_api.Overview.damaged`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, cast

from .._common.errors import DamagedRecord, DamagedRow, StoreError
from ..engine.stored_session import PastSession, StoredDetail, stored_session
from .readable import (
    event_problem,
    measure_problem,
    missing_patient_problem,
    next_day_problem,
    session_problem,
    stored_day,
    surgery_problem,
)
from .statements import Statements
from .store_api import (
    EVENT_KINDS,
    PATIENT_ID,
    EventRecord,
    MeasureRow,
    NextDayRow,
    Overview,
    PatientRow,
    StaffChange,
)

if TYPE_CHECKING:
    from .audit import AuditEntry
    from .erasure import Erasure

__all__ = ["StoreQueries", "within_limits_column"]

#: Larger than any session id (SQLite's and PostgreSQL's largest integer): "after it" matches no session.
_NO_SESSION = 2**63 - 1

#: Next-morning reports are read this many sessions at a time, each found through its session's index.
_CHUNK = 500


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def within_limits_column(detail: Any) -> int | None:
    """A decision record's ``within_limits`` as the column keeps it: 1, 0, or None when the record has none."""
    if isinstance(detail, Mapping) and "within_limits" in detail:
        return int(bool(detail["within_limits"]))
    return None


def _session(row: Sequence[Any]) -> PastSession:
    """A row of :data:`rehabkit._sessions.statements.SESSION_COLUMNS` (its decision record is checked when decoded)."""
    id_, patient, protocol, version, phase, started, finished, status, before, after, decision, text, day, who = row
    problem = session_problem(day, status, before, after)
    if problem is not None:
        raise DamagedRecord("sessions", id_, patient, problem)
    # By position (engine.stored_session.STORED_FIELDS), the store's quick way of making a record.
    return stored_session(
        id_,
        stored_day(day),
        phase,
        status,
        before,
        after,
        decision,
        StoredDetail(text, None, None, None, id_, patient) if text else {},
        patient,
        protocol,
        version,
        started,
        finished,
        who,
    )


def _staff_change(row: Sequence[Any]) -> StaffChange:
    sid, staff, action, roles, name, os_user, db_role, at, actor, account = row
    listed = tuple(json.loads(roles)) if roles else None
    return StaffChange(staff, action, listed, name, os_user, db_role, actor, account, at=at, id=sid)


def _event(row: Sequence[Any]) -> EventRecord:
    id_, patient, protocol, kind, day, phase, by, after_session, detail, at, clinician = row
    problem, data = event_problem(kind, day, after_session, detail)
    if problem is not None:
        raise DamagedRecord("course_events", id_, patient, problem)
    return EventRecord(id_, patient, protocol, kind, day, phase, by, after_session, data, at, clinician)


def _next_day(patient: str, row: Sequence[Any]) -> tuple[int, str, float, float | None]:
    """A row of :attr:`Statements.next_days`: (session, date, pain, hours to settle)."""
    id_, session, day, pain, settled = row
    problem = next_day_problem(session, day, pain, settled)
    if problem is not None:
        raise DamagedRecord("next_day", id_, patient, problem)
    return session, day, pain, settled


def _measure(patient: str, row: Sequence[Any]) -> tuple[str, float, str]:
    """A row of :attr:`Statements.measures`: (measure, value, date)."""
    id_, measure, value, day = row
    problem = measure_problem(day, value)
    if problem is not None:
        raise DamagedRecord("measures", id_, patient, problem)
    return measure, value, day


class StoreQueries:
    """Every query method of a session store (see :class:`rehabkit._sessions.store_api.SessionStore`).

    Every write goes through :meth:`_write`, the one path that writes a record: the row is written and its audit
    entry appended (:mod:`rehabkit._sessions.audit`) in one write transaction, so that no record is ever without its
    entry and two writers never fork the chain. A method that writes several rows (an answer and its pain column, a
    patient and their surgery date) writes them in one transaction too (:meth:`_transaction`), committed when it
    returns: every answer is durable at once, as before the audit trail.
    """

    #: The clinician every record made through this store is attributed to (None: not given). Once staff are
    #: registered, the authenticated acting staff member's id.
    clinician: str | None
    #: The operating-system account or database login the actor acts from (None until set), kept in each audit
    #: entry beside ``clinician``.
    account: str | None = None
    #: The database connection: sqlite3's, or psycopg's in autocommit mode.
    _db: Any
    #: The statements of the connection's dialect.
    _sql: Statements
    #: True while a write transaction is open: a write inside it joins it.
    _writing: bool = False

    def _insert(self, statement: str, parameters: Sequence[Any]) -> int:
        """Run an INSERT whose statement gives the new row's id, and return it."""
        raise NotImplementedError

    def session_login(self) -> str | None:
        """The database login this store is connected as; None for a SQLite file (the PostgreSQL store's gives it)."""
        return None

    def _write_transaction(self) -> AbstractContextManager[None]:
        """The backend's write transaction, holding the store's write lock until it commits (or rolls back)."""
        raise NotImplementedError

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One write transaction for the block; a write made inside another's block joins it."""
        if self._writing:
            yield
            return
        self._writing = True
        try:
            with self._write_transaction():
                yield
        finally:
            self._writing = False

    def _write(self, table: str, statement: str, parameters: Sequence[Any], record: Any = None) -> Any:
        """Write one row of ``table`` and append its audit entry, in one transaction: the store's one way of writing.

        ``record`` names the row an UPDATE (or an INSERT of a known id) writes; an INSERT without it gives the new
        row's id. Returns the row's id, or None when the statement wrote nothing (a patient already recorded, a
        session no longer in progress), which makes no entry."""
        with self._transaction():
            if record is None:
                record = self._insert(statement, parameters) or None
            elif not self._db.execute(statement, parameters).rowcount:
                record = None
            if record is not None:
                inserted = statement.lstrip().upper().startswith("INSERT")
                self._audit_row(table, record, "insert" if inserted else "update")
            return record

    def _audit_row(self, table: str, record: Any, action: str) -> None:
        """Append the entry of a row just written: the row as it now stands."""
        from . import audit  # hashlib: only a command that writes imports it

        row = audit.read_row(self._db, self._sql, table, record)
        if row is None:  # the statement said it wrote the row: a trigger or another program removed it
            raise StoreError(f"the {table} row {record} just written cannot be read back; nothing was recorded")
        key = audit.store_key(self._db, self._sql) if table == "patients" else None
        patient = audit.row_patient(self._db, self._sql, table, row)
        audit.append(
            self._db,
            self._sql,
            at=_now(),
            actor=audit.actor_for(self.clinician, patient),
            account=self.account,
            action=action,
            tbl=table,
            record=audit.record_of(table, row, key),
            patient=patient,
            content=audit.canonical(row),
        )

    # --- patients -----------------------------------------------------------

    def ensure_patient(self, patient: str, surgery_date: str | None = None, day: date | None = None) -> None:
        """Create the patient record if needed; record the surgery date when given and not already the one recorded
        (a new record for ``day``, default today, keeping the date it replaces: nothing is changed in place)."""
        if not PATIENT_ID.fullmatch(patient):
            raise StoreError(
                f"patient id {patient!r} is not valid: use a pseudonymous code of letters, digits, '-', '_' or '.' "
                "(up to 64 characters), never a name."
            )
        with self._transaction():
            if not self.has_patient(patient):
                other = self._db.execute(self._sql.patient_other_case, (patient, patient)).fetchone()
                if other is not None:
                    raise StoreError(
                        f"patient {patient!r} is not recorded, but {other[0]!r} is: ids that differ only in case "
                        f"name one patient to a reader, so no new patient is started. Use {other[0]!r}."
                    )
            self._write("patients", self._sql.add_patient, (patient, _now()), record=patient)
            if surgery_date is not None:
                old = self.surgery_date(patient)
                if old != surgery_date:
                    when = (day or date.today()).isoformat()
                    values = (patient, surgery_date, old, when, _now(), self.clinician)
                    self._write("surgery_dates", self._sql.set_surgery_date, values)

    def surgery_date(self, patient: str) -> str | None:
        """The recorded surgery date (the latest recorded), if any."""
        row = self._db.execute(self._sql.surgery_date, (patient, patient)).fetchone()
        if row is None:
            return None
        problem = surgery_problem(row[0])
        if problem is not None:
            raise DamagedRecord("patients", patient, patient, problem)
        return str(row[0]) if row[0] is not None else None

    def has_patient(self, patient: str) -> bool:
        """True when the patient has a record."""
        return self._db.execute(self._sql.has_patient, (patient,)).fetchone() is not None

    def patient_ids(self) -> list[str]:
        """Every recorded patient's id, in order."""
        return [str(row[0]) for row in self._db.execute(self._sql.patient_ids).fetchall()]

    # --- sessions -----------------------------------------------------------

    def start_session(self, patient: str, protocol: str, version: str, phase: str, day: date | None = None) -> int:
        """Open a session (status in-progress) on ``day`` (default today) and return its id."""
        with self._transaction():
            self.ensure_patient(patient)
            return int(
                self._write(
                    "sessions",
                    self._sql.start_session,
                    (patient, protocol, version, phase, _now(), (day or date.today()).isoformat(), self.clinician),
                )
            )

    def record_answer(self, session: int, kind: str, key: str, value: Any) -> None:
        """Store one answer at once (kind: screening, pain-before, exercise, pain-during, pain-after, ...)."""
        with self._transaction():
            self._write("answers", self._sql.add_answer, (session, kind, key, json.dumps(value), _now()))
            if kind == "pain-before":
                self._write("sessions", self._sql.set_pain_before, (value, session), record=session)
            elif kind == "pain-after":
                self._write("sessions", self._sql.set_pain_after, (value, session), record=session)

    def finish_session(self, session: int, status: str, decision: str | None = None, detail: Any = None) -> None:
        """Close a session with its status (complete, incomplete, stopped) and decision."""
        text = json.dumps(detail) if detail is not None else None
        values = (_now(), status, decision, text, within_limits_column(detail), session)
        self._write("sessions", self._sql.finish_session, values, record=session)

    def answers(self, session: int) -> list[tuple[str, str, Any]]:
        """A session's answers in the order given: (kind, key, value)."""
        answers = []
        for id_, kind, key, value in self._db.execute(self._sql.answers, (session,)).fetchall():
            try:
                answers.append((kind, key, json.loads(value)))
            except (ValueError, TypeError):
                whose = self._db.execute(self._sql.session_patient, (session,)).fetchone()
                problem = f"its value (an answer of session {session}) is not JSON"
                raise DamagedRecord("answers", id_, whose[0] if whose else None, problem) from None
        return answers

    def part_way_stops(self, patient: str, first: int = 0) -> dict[int, list[tuple[str, int, int]]]:
        """The exercises stopped part-way in each of a patient's sessions from session ``first`` on: session id ->
        [(exercise, sets done, sets)]. An answer that cannot be read is left out (the damaged-record check names
        it)."""
        stops: dict[int, list[tuple[str, int, int]]] = {}
        for session, key, value in self._db.execute(self._sql.part_way_stops, (patient, first)).fetchall():
            try:
                done = json.loads(value)
                stops.setdefault(session, []).append((key, int(done["sets_done"]), int(done["sets"])))
            except (ValueError, TypeError, KeyError):
                continue
        return stops

    def sessions(self, patient: str, protocol: str | None = None, *, last: int | None = None) -> list[PastSession]:
        """A patient's sessions in the order recorded, which is date order (optionally for one protocol, and only
        the ``last`` so many)."""
        sql = self._sql
        args: tuple[Any, ...] = (patient,) if protocol is None else (patient, protocol)
        if last is not None:
            statement = sql.patient_sessions_last if protocol is None else sql.course_sessions_last
            rows = self._db.execute(statement, (*args, last)).fetchall()[::-1]
        else:
            statement = sql.patient_sessions if protocol is None else sql.course_sessions_all
            rows = self._db.execute(statement, args).fetchall()
        return [_session(row) for row in rows]

    def count_sessions(self, patient: str, protocol: str | None = None) -> int:
        """How many sessions the patient has (of one protocol, when given)."""
        if protocol is None:
            return int(self._db.execute(self._sql.count_patient_sessions, (patient,)).fetchone()[0])
        return int(self._db.execute(self._sql.count_course_sessions, (patient, protocol)).fetchone()[0])

    def course_sessions(self, patient: str, protocol: str, after: int | None) -> list[PastSession]:
        """What a course is worked out from (see :data:`rehabkit.engine.LATEST_NEEDED`): the patient's sessions of
        ``protocol`` after session ``after`` (the current phase's; ``None`` before the course starts), and the
        latest session of each kind the course reads from before it, in the order recorded.

        Each decision record is decoded only when the engine reads it."""
        rows = self._db.execute(
            self._sql.course_sessions,
            (patient, protocol, _NO_SESSION if after is None else after, *(patient, protocol) * 3),
        ).fetchall()
        sessions = []
        for id_, day, phase, status, before, after_, decision, text in rows:
            problem = session_problem(day, status, before, after_)
            if problem is not None:
                raise DamagedRecord("sessions", id_, patient, problem)
            detail = StoredDetail(text, None, None, None, id_, patient) if text else {}
            day_ = cast(date, stored_day(day))
            sessions.append(PastSession(id_, day_, phase, status, before, after_, decision, detail))
        return sessions

    def mark_unfinished_incomplete(self, patient: str) -> int:
        """Sessions left in progress (a crash, a killed terminal) become incomplete; returns how many."""
        with self._transaction():
            unfinished = [row[0] for row in self._db.execute(self._sql.unfinished_sessions, (patient,)).fetchall()]
            marked = [self._write("sessions", self._sql.mark_incomplete, (s,), record=s) for s in unfinished]
        return sum(1 for session in marked if session is not None)

    def last_session_id(self, patient: str) -> int:
        """The id of the patient's latest session (0 when there is none)."""
        row = self._db.execute(self._sql.last_session_id, (patient,)).fetchone()
        return int(row[0] or 0)

    def session_before(self, patient: str, day: date) -> PastSession | None:
        """The patient's latest finished or stopped session dated before ``day`` (what a next-morning report is
        about)."""
        row = self._db.execute(self._sql.session_before, (patient, day.isoformat())).fetchone()
        return _session(row) if row else None

    def decision_detail(self, session: int) -> str | None:
        """A session's decision record as stored (JSON text)."""
        row = self._db.execute(self._sql.decision_detail, (session,)).fetchone()
        return row[0] if row else None

    # --- measures and next-day pain ----------------------------------------

    def record_measure(
        self,
        patient: str,
        measure: str,
        value: float,
        unit: str,
        band: str | None,
        answers: Any,
        day: date | None = None,
    ) -> None:
        """Store a scored outcome measure, dated ``day`` (default today)."""
        when = (day or date.today()).isoformat()
        values = (patient, measure, value, unit, band, json.dumps(answers), _now(), when, self.clinician)
        with self._transaction():
            self.ensure_patient(patient)
            self._write("measures", self._sql.add_measure, values)

    def measures(self, patient: str) -> list[tuple[str, float, str]]:
        """Every scored measure of the patient: (measure, value, date), in date order."""
        return [_measure(patient, row) for row in self._db.execute(self._sql.measures, (patient,)).fetchall()]

    def measure_bands(self, patient: str) -> list[str | None]:
        """The band each scored measure of the patient was given when it was scored, in :meth:`measures`' order."""
        rows = self._db.execute(self._sql.measure_bands, (patient,)).fetchall()
        return [row[0] if isinstance(row[0], str) else None for row in rows]

    def latest_measures(self, patient: str) -> dict[str, float]:
        """The latest value of each measure the patient has recorded."""
        return {measure: value for measure, value, _ in self.measures(patient)}

    def record_next_day(
        self, patient: str, session: int, pain: float, day: date | None = None, settled_hours: float | None = None
    ) -> None:
        """Store next-morning pain (and the hours pain took to settle, where given) against ``session``."""
        when = (day or date.today()).isoformat()
        values = (patient, session, pain, _now(), when, settled_hours, self.clinician)
        self._write("next_day", self._sql.add_next_day, values)

    def next_days(
        self, patient: str, sessions: Iterable[int] | None = None
    ) -> list[tuple[int, str, float, float | None]]:
        """Next-morning reports in the order recorded: (session, date, pain, hours to settle); only those about
        ``sessions`` when given."""
        if sessions is None:
            rows = self._db.execute(self._sql.next_days, (patient,)).fetchall()
        else:
            wanted, rows = list(sessions), []
            for start in range(0, len(wanted), _CHUNK):  # each report found through its session's index
                chunk = wanted[start : start + _CHUNK]
                rows += self._db.execute(self._sql.next_days_about(len(chunk)), (patient, *chunk)).fetchall()
            rows.sort()
        return [_next_day(patient, row) for row in rows]

    def next_day(self, patient: str) -> dict[int, float]:
        """Next-morning pain by session id (the latest report for each)."""
        return {session: pain for session, _, pain, _ in self.next_days(patient)}

    # --- course events ---------------------------------------------------------

    def add_event(
        self,
        patient: str,
        kind: str,
        day: date,
        *,
        protocol: str | None = None,
        phase: str | None = None,
        by: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> int:
        """Record a course event (enter-phase, pause, review, approval) dated ``day``, after the patient's latest
        session."""
        if kind not in EVENT_KINDS:
            raise ValueError(f"unknown course event {kind!r}; one of {', '.join(EVENT_KINDS)}")
        with self._transaction():
            self.ensure_patient(patient)
            after = self.last_session_id(patient)
            values = (patient, protocol, kind, day.isoformat(), phase, by, after, json.dumps(dict(detail or {})),
                      _now(), self.clinician)  # fmt: skip
            return int(self._write("course_events", self._sql.add_event, values))

    def events(self, patient: str) -> list[EventRecord]:
        """The patient's course events in the order recorded."""
        return [_event(row) for row in self._db.execute(self._sql.events, (patient,)).fetchall()]

    def protocols_of(self, patient: str) -> list[str]:
        """The protocols the patient has sessions or phases in, the most recently used last."""
        rows = self._db.execute(self._sql.protocols_of, (patient,)).fetchall()
        names = [protocol for protocol, _ in rows]
        for event in self.events(patient):
            if event.protocol and event.protocol not in names:
                names.insert(0, event.protocol)
        return names

    # --- sign-in links (issue 27) -----------------------------------------------

    def add_sign_in(
        self, patient: str, kind: str, token: str, session: str | None = None, expires: str | None = None
    ) -> int:
        """Record a sign-in link made (``link``), used (``exchange``, with the web session's hashed cookie) or revoked
        (``revoke``); ``token`` is the link's token hashed, never the token; returns the row's id."""
        values = (patient, kind, token, session, expires, _now(), self.clinician)
        return int(self._write("sign_ins", self._sql.add_sign_in, values))

    def sign_in_link(self, token: str) -> list[tuple[str, str, str | None]]:
        """The rows of the link whose hashed token is ``token``, in the order recorded: (patient, kind, expires)."""
        rows = self._db.execute(self._sql.sign_in_link, (token,)).fetchall()
        return [(str(patient), str(kind), expires) for _, patient, kind, expires in rows]

    def sign_ins_of(self, patient: str) -> list[tuple[str, str]]:
        """Every sign-in row of ``patient``, in the order recorded: (kind, hashed link token)."""
        rows = self._db.execute(self._sql.sign_ins_of, (patient,)).fetchall()
        return [(str(kind), str(token)) for kind, token in rows]

    def sign_in_session(self, session: str) -> tuple[str, str, str] | None:
        """The patient, expiry and hashed link token of the web session whose hashed cookie is ``session`` (None:
        none, or its link was revoked)."""
        row = self._db.execute(self._sql.sign_in_session, (session,)).fetchone()
        return None if row is None else (str(row[0]), str(row[1]), str(row[2]))

    # --- staff passwords and web sessions (issue 27) ---------------------------

    def add_staff_sign_in(self, staff: str, kind: str, secret: str | None = None, expires: str | None = None) -> int:
        """Record a staff password set (``password``: its argon2 hash), a sign-in refused (``failed``), or a web
        session begun (``session``) or ended (``sign-out``: the cookie's SHA-256); returns the row's id."""
        values = (staff, kind, secret, expires, _now(), self.clinician)
        return int(self._write("staff_sign_ins", self._sql.add_staff_sign_in, values))

    def staff_sign_ins_of(self, staff: str) -> list[tuple[str, str | None, str | None, str]]:
        """Every password, refusal and web session of ``staff``, in the order recorded: (kind, secret, expires, at)."""
        rows = self._db.execute(self._sql.staff_sign_ins_of, (staff,)).fetchall()
        return [(str(kind), secret, expires, str(at)) for kind, secret, expires, at in rows]

    def staff_session(self, session: str) -> tuple[str, str] | None:
        """The person and expiry of the staff web session whose hashed cookie is ``session`` (None: none, or ended)."""
        row = self._db.execute(self._sql.staff_session, (session,)).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    # --- the staff register ------------------------------------------------------

    def add_staff_event(self, change: StaffChange) -> int:
        """Record one change of the staff register (a person added, disabled or enabled); returns its id."""
        roles = json.dumps(list(change.roles)) if change.roles is not None else None
        values = (change.staff, change.action, roles, change.name, change.os_user, change.db_role, _now(),
                  change.actor, change.account)  # fmt: skip
        return int(self._write("staff_events", self._sql.add_staff_event, values))

    def staff_events(self) -> list[StaffChange]:
        """Every change of the staff register, in the order recorded."""
        return [_staff_change(row) for row in self._db.execute(self._sql.staff_events).fetchall()]

    # --- the audit trail and a patient's own data --------------------------------

    def audit_entries(self, patient: str | None = None, since: str | None = None) -> list[AuditEntry]:
        """The audit trail's entries in order: every one, or only a patient's, or only those at or after ``since``
        (a date or UTC time, ISO)."""
        from .audit import AuditEntry

        if patient is not None:
            rows = self._db.execute(self._sql.audit_of_patient, (patient,)).fetchall()
        elif since is not None:
            rows = self._db.execute(self._sql.audit_since, (since,)).fetchall()
        else:
            rows = self._db.execute(self._sql.audit_entries).fetchall()
        entries = [AuditEntry(*row) for row in rows]
        return [e for e in entries if since is None or e.at >= since]

    def patient_rows(self, patient: str) -> dict[str, list[dict[str, Any]]]:
        """Every row that is the patient's, in every record table (an export), each as column -> value."""
        from .erasure import patient_rows

        return patient_rows(self, patient)

    def record_export(self, patient: str, detail: Mapping[str, Any]) -> int:
        """Append the audit entry of an export of the patient's data (``detail``: what was exported, how; never
        the data itself); returns its number."""
        from . import audit

        with self._transaction():
            return audit.append(
                self._db,
                self._sql,
                at=_now(),
                actor=audit.actor_for(self.clinician, patient),
                account=self.account,
                action=audit.EXPORT,
                tbl=None,
                record=None,
                patient=patient,
                content=audit.canonical(detail),
            )

    def erase_patient(self, patient: str, reason: str) -> Erasure:
        """Erase every row of the patient and blank their audit entries, leaving a tombstone entry (see
        :mod:`rehabkit._sessions.erasure`)."""
        from .erasure import erase_patient

        return erase_patient(self, patient, reason)

    def mentions(self, text: str) -> list[tuple[str, str, int]]:
        """Where ``text`` appears in the store, in any table and column: (table, column, rows). A scan of everything,
        for checking that an erasure left nothing of a patient."""
        from .erasure import mentions

        return mentions(self, text)

    def _guards_lifted(self, tables: Sequence[str]) -> AbstractContextManager[None]:
        """Inside an erasure's transaction: the triggers refusing changes on ``tables`` lifted for the block."""
        raise NotImplementedError

    def _settle_erasure(self) -> str | None:
        """After an erasure has committed: whatever the backend does so that the erased rows leave its files; what
        is left in them for now, if anything, in words."""
        return None

    # --- the whole clinic -----------------------------------------------------

    def overview(self, between: tuple[str, str] | None = None) -> Overview:
        """Every patient's records, one query per table, for the clinic overview (:mod:`rehabkit._sessions.clinic`).

        A session's decision record comes whole only for the latest two of each course (all the engine reads of it
        beyond ``within_limits``, which has a column); any other is read from the store when asked. A row that cannot
        be read is left out and named in ``damaged`` (the overview sets its patient aside); whether each decision record
        is a JSON object is asked of the database, so that 50,000 records are checked without decoding them.
        ``between``: only the patients whose ids are from the first on and before the second ('' for no end), and
        the rows that name them, so that a large store can be read a part at a time.
        """
        sql, damaged = self._sql, []
        suffix, ranged = ("_in", (between[0], between[1], between[1])) if between else ("", ())

        def rows(name: str) -> list[Any]:
            return list(self._db.execute(getattr(sql, name + suffix), ranged).fetchall())

        patients = []
        for id_, surgery in rows("overview_patients"):
            problem = surgery_problem(surgery)
            if problem is not None:
                damaged.append(DamagedRow("patients", id_, id_, problem))
            patients.append(PatientRow(id_, surgery if problem is None else None))
        sessions = self._overview_sessions(damaged, suffix, ranged)
        events = []
        for row in rows("overview_events"):
            try:
                events.append(_event(row))
            except DamagedRecord as exc:
                damaged += exc.rows
        next_days = []
        for id_, patient, session, day, pain, settled in rows("overview_next_days"):
            problem = next_day_problem(session, day, pain, settled)
            if problem is not None:
                damaged.append(DamagedRow("next_day", id_, patient, problem))
            else:
                next_days.append(NextDayRow(patient, session, day, pain, settled))
        measures = []
        for id_, patient, measure, value, day in rows("overview_measures"):
            problem = measure_problem(day, value)
            if problem is not None:
                damaged.append(DamagedRow("measures", id_, patient, problem))
            else:
                measures.append(MeasureRow(patient, measure, value, day))
        return Overview(patients, sessions, events, next_days, measures, tuple(damaged))

    def _overview_sessions(
        self, damaged: list[DamagedRow], suffix: str = "", ranged: Sequence[str] = ()
    ) -> list[PastSession]:
        """Every session of the store, as :meth:`overview` gives them (one that cannot be read is added to
        ``damaged``)."""
        fetch, sessions = self.decision_detail, []
        for (
            patient,
            protocol,
            sid,
            day,
            phase,
            status,
            before,
            after,
            decision,
            within,
            present,
            text,
            clinician,
            started,
            state,
        ) in self._rows_with_json_state("overview_sessions" + suffix, ranged):
            problem = session_problem(day, status, before, after, state)
            if problem is not None:
                damaged.append(DamagedRow("sessions", sid, patient, problem))
                continue
            later = None if text is not None else fetch
            detail = StoredDetail(text, within, True, later, sid, patient) if present else {}
            # By position (see _session): 50,000 sessions of a clinic, read in one go.
            made = stored_session(
                sid, stored_day(day), phase, status, before, after, decision, detail, patient, protocol, "",
                str(started or ""), None, clinician,
            )  # fmt: skip
            sessions.append(made)
        return sessions

    def _rows_with_json_state(self, name: str, parameters: Sequence[Any]) -> list[Any]:
        """The rows of statement ``name``, whose last column is what a stored JSON text holds (``object``, ``none``,
        ``invalid``, or another type; :func:`rehabkit._sessions.readable.json_state`), worked out by the database.
        (PostgreSQL's store reads the text itself where the database fails on one that is not JSON.)"""
        return list(self._db.execute(getattr(self._sql, name), parameters).fetchall())

    # --- damaged records --------------------------------------------------------

    def damaged_rows(self, patient: str) -> list[DamagedRow]:
        """Every row of the patient's record that cannot be read (empty: it all reads), table by table: the patient's
        own row (missing while other rows name the patient, or a surgery date that is not a date), sessions, course
        events, next-morning reports and measures. A command checks this before it acts on a patient's course.

        Whether a session's decision record is a JSON object is asked of the database: none is decoded here. A session's
        answers are not part of it: no course, history or clinic reads them, and an export, which does, meets a damaged
        one as it reads it (:meth:`answers` raises ``DamagedRecord``) before it writes anything. They are many (a
        session's every answer), and checking them with the rest would cost a patient of 2,000 sessions more than the
        rest together."""
        sql, found = self._sql, []
        row = self._db.execute(sql.surgery_date, (patient, patient)).fetchone()
        if row is None:
            tables = ("sessions", "course_events", "next_day", "measures")
            counts = dict(zip(tables, self._db.execute(sql.patient_rows, (patient,) * 4).fetchone(), strict=True))
            if any(counts.values()):
                found.append(DamagedRow("patients", patient, patient, missing_patient_problem(counts)))
        elif (problem := surgery_problem(row[0])) is not None:
            found.append(DamagedRow("patients", patient, patient, problem))
        for id_, day, status, before, after, state in self._rows_with_json_state("check_sessions", (patient,)):
            if (problem := session_problem(day, status, before, after, state)) is not None:
                found.append(DamagedRow("sessions", id_, patient, problem))
        for event in self._db.execute(sql.events, (patient,)).fetchall():
            if (problem := event_problem(event[3], event[4], event[7], event[8])[0]) is not None:
                found.append(DamagedRow("course_events", event[0], patient, problem))
        for id_, session, day, pain, settled in self._db.execute(sql.next_days, (patient,)).fetchall():
            if (problem := next_day_problem(session, day, pain, settled)) is not None:
                found.append(DamagedRow("next_day", id_, patient, problem))
        for id_, _, value, day in self._db.execute(sql.measures, (patient,)).fetchall():
            if (problem := measure_problem(day, value)) is not None:
                found.append(DamagedRow("measures", id_, patient, problem))
        return found
