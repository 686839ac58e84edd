"""The session store on PostgreSQL, for a clinic whose clinicians record from several machines.

The same public methods as :class:`rehabkit._sessions.store.Store`, with the
same results: tests run the store's test suite against both. Imported only
when ``--db`` or ``REHABKIT_DB`` is a ``postgresql://`` URL, so that neither
``--help`` nor a SQLite store pays for psycopg.

Every answer is committed as it is given (the connection is in autocommit
mode, as the SQLite store is); a migration runs in one transaction, under an
advisory lock, so that several machines opening a new or old database at once
wait for each other and each step runs once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from typing import Any

import psycopg

from .backends import redact
from .pg_schema import BASELINE, MIGRATIONS, SCHEMA_TABLE, TABLES
from .store import EVENT_KINDS, PATIENT_ID, EventRecord, SessionRecord, StoreError, _now

__all__ = ["LATEST", "PgStore"]

#: The first key of rehabkit's advisory locks ("RK" and a version), so they stay apart from other programs' locks.
LOCK_CLASS = 0x524B0001
#: The second key of the migration lock (patient locks use hashtext(patient id)).
MIGRATION_LOCK = 0
#: The latest schema version this rehabkit knows.
LATEST = max(MIGRATIONS)


class PgStore:
    """An open session store in a PostgreSQL database. Use as a context manager, or call :meth:`close`."""

    #: Which database holds the store (``db status`` and messages say so).
    backend = "postgresql"

    def __init__(self, url: str, *, create: bool = True, clinician: str | None = None, migrate: bool = True) -> None:
        """Connect; with ``create``, make the store's tables in an empty database. A database holding other tables
        is refused, and so is a schema newer than this rehabkit's."""
        self.url = url
        #: What messages name: the URL without its password.
        self.path = redact(url)
        #: The clinician every record made through this store is attributed to (None: not given).
        self.clinician = clinician
        try:
            self._db = psycopg.connect(url, autocommit=True, connect_timeout=10, application_name="rehabkit")
        except psycopg.Error as exc:
            raise StoreError(
                f"cannot connect to the session store {self.path!r}: {_first_line(exc)}. Check that the PostgreSQL "
                "server is running and the URL's user, host and database are right (--db or REHABKIT_DB); the "
                "database itself must exist (createdb NAME)."
            ) from None
        try:
            self._refuse_foreign()
            if not create and self.schema_version == 0:
                raise StoreError(
                    f"there is no session store in {self.path!r}: check --db or REHABKIT_DB (a store is created by "
                    "the first 'rehabkit run' or 'rehabkit approve', or by 'rehabkit db upgrade')."
                )
            if migrate:
                self._migrate()
            else:
                self._refuse_newer(self.schema_version)
        except psycopg.Error as exc:
            self._db.close()
            raise StoreError(
                f"cannot open the session store {self.path!r}: {_first_line(exc)}. Check that the database user may "
                "create and write tables in it, or choose another with --db or REHABKIT_DB."
            ) from None
        except BaseException:
            self._db.close()
            raise

    def _tables(self) -> set[str]:
        rows = self._db.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchall()
        return {name for (name,) in rows}

    def _refuse_foreign(self) -> None:
        """A database holding another program's tables is never turned into a store."""
        tables = self._tables()
        ours = {*TABLES, SCHEMA_TABLE}
        if tables - ours or (tables and SCHEMA_TABLE not in tables):
            raise StoreError(
                f"{self.path!r} is not a rehabkit session store (it holds the tables {', '.join(sorted(tables))}); "
                "rehabkit will not change it. Give rehabkit a database of its own (createdb rehabkit) in --db or "
                "REHABKIT_DB."
            )

    def __enter__(self) -> PgStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (which releases any lock it holds)."""
        self._db.close()

    @property
    def schema_version(self) -> int:
        """The store's schema version (0 for an empty database)."""
        if self._db.execute("SELECT to_regclass(%s)", (SCHEMA_TABLE,)).fetchone() == (None,):
            return 0
        row = self._db.execute(f"SELECT max(version) FROM {SCHEMA_TABLE}").fetchone()
        return int(row[0] or 0) if row else 0

    def _refuse_newer(self, version: int) -> None:
        if 0 < version < BASELINE:
            raise StoreError(
                f"the session store {self.path!r} has schema version {version}, which no PostgreSQL store of rehabkit "
                f"has had (they begin at {BASELINE}); it was not made by rehabkit and is left as it is. Give rehabkit a "
                "database of its own."
            )
        if version > LATEST:
            raise StoreError(
                f"the session store {self.path!r} has schema version {version}, newer than this rehabkit "
                f"understands ({LATEST}); upgrade rehabkit (pip install -U 'rehabkit[postgres]') on this machine, "
                "as on the one that upgraded the store."
            )

    def _migrate(self) -> None:
        version = self.schema_version
        self._refuse_newer(version)
        if version == LATEST:
            return
        with self._db.transaction():
            # One transaction under one lock: DDL is transactional in PostgreSQL, so a failed step leaves nothing.
            self._db.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_CLASS, MIGRATION_LOCK))
            self._db.execute(f"CREATE TABLE IF NOT EXISTS {SCHEMA_TABLE} (version INTEGER NOT NULL)")
            version = self.schema_version
            self._refuse_newer(version)
            for number in range(max(version + 1, BASELINE), LATEST + 1):
                for statement in (s.strip() for s in MIGRATIONS[number].split(";")):
                    if statement:
                        self._db.execute(statement)  # rehabkit's own SQL, no input
            self._db.execute(f"DELETE FROM {SCHEMA_TABLE}")
            self._db.execute(f"INSERT INTO {SCHEMA_TABLE} (version) VALUES (%s)", (LATEST,))

    def upgrade(self) -> tuple[int, int]:
        """Bring the store to this rehabkit's schema; returns (version before, version after)."""
        before = self.schema_version
        self._migrate()
        return before, self.schema_version

    # --- locks ----------------------------------------------------------------

    @contextmanager
    def patient_lock(self, patient: str, what: str = "a session", clinician: str | None = None) -> Iterator[None]:
        """Hold the patient's advisory lock while the block writes (see :mod:`rehabkit._sessions.locks`)."""
        from .locks import PatientBusy, holder_name

        row = self._db.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", (LOCK_CLASS, patient)).fetchone()
        if not row or not row[0]:
            holder = self._db.execute(
                "SELECT a.application_name, to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ') FROM pg_locks l "
                "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
                "AND l.classid = %s::bigint::oid AND l.objid = (hashtext(%s)::bigint & 4294967295)::oid AND l.objsubid = 2",
                (LOCK_CLASS, patient),
            ).fetchone()
            name = None
            if holder:
                name = str(holder[0]).removeprefix("rehabkit: ") + (f", connected since {holder[1]}" if holder[1] else "")
            raise PatientBusy(patient, what, name)
        try:
            self._db.execute("SELECT set_config('application_name', %s, false)",
                             (f"rehabkit: {holder_name(what, patient, clinician or self.clinician)}"[:63],))
            yield
        finally:
            if not self._db.closed:
                self._db.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", (LOCK_CLASS, patient))
                self._db.execute("SELECT set_config('application_name', 'rehabkit', false)")

    # --- patients -----------------------------------------------------------

    def ensure_patient(self, patient: str, surgery_date: str | None = None) -> None:
        """Create the patient record if needed; record or update the surgery date when given."""
        if not PATIENT_ID.fullmatch(patient):
            raise StoreError(
                f"patient id {patient!r} is not valid: use a pseudonymous code of letters, digits, '-', '_' or '.' "
                "(up to 64 characters), never a name."
            )
        self._db.execute("INSERT INTO patients (id, created) VALUES (%s, %s) ON CONFLICT (id) DO NOTHING", (patient, _now()))
        if surgery_date is not None:
            self._db.execute("UPDATE patients SET surgery_date = %s WHERE id = %s", (surgery_date, patient))

    def surgery_date(self, patient: str) -> str | None:
        """The recorded surgery date, if any."""
        row = self._db.execute("SELECT surgery_date FROM patients WHERE id = %s", (patient,)).fetchone()
        return row[0] if row else None

    def has_patient(self, patient: str) -> bool:
        """True when the patient has a record."""
        return self._db.execute("SELECT 1 FROM patients WHERE id = %s", (patient,)).fetchone() is not None

    # --- sessions -----------------------------------------------------------

    _SESSION_COLUMNS = ("id, patient, protocol, version, phase, started, finished, status, pain_before, pain_after, "
                        "decision, decision_detail, date")

    def start_session(self, patient: str, protocol: str, version: str, phase: str, day: date | None = None) -> int:
        """Open a session (status in-progress) on ``day`` (default today) and return its id."""
        self.ensure_patient(patient)
        row = self._db.execute(
            "INSERT INTO sessions (patient, protocol, version, phase, started, status, date) "
            "VALUES (%s, %s, %s, %s, %s, 'in-progress', %s) RETURNING id",
            (patient, protocol, version, phase, _now(), (day or date.today()).isoformat()),
        ).fetchone()
        return int(row[0]) if row else 0

    def record_answer(self, session: int, kind: str, key: str, value: Any) -> None:
        """Store one answer at once (kind: screening, pain-before, exercise, pain-during, pain-after, ...)."""
        self._db.execute(
            "INSERT INTO answers (session, kind, key, value, at) VALUES (%s, %s, %s, %s, %s)",
            (session, kind, key, json.dumps(value), _now()),
        )
        if kind == "pain-before":
            self._db.execute("UPDATE sessions SET pain_before = %s WHERE id = %s", (value, session))
        elif kind == "pain-after":
            self._db.execute("UPDATE sessions SET pain_after = %s WHERE id = %s", (value, session))

    def finish_session(self, session: int, status: str, decision: str | None = None, detail: Any = None) -> None:
        """Close a session with its status (complete, incomplete, stopped) and decision."""
        self._db.execute(
            "UPDATE sessions SET finished = %s, status = %s, decision = %s, decision_detail = %s WHERE id = %s",
            (_now(), status, decision, json.dumps(detail) if detail is not None else None, session),
        )

    def answers(self, session: int) -> list[tuple[str, str, Any]]:
        """A session's answers in the order given: (kind, key, value)."""
        rows = self._db.execute("SELECT kind, key, value FROM answers WHERE session = %s ORDER BY id", (session,))
        return [(kind, key, json.loads(value)) for kind, key, value in rows]

    def sessions(self, patient: str, protocol: str | None = None) -> list[SessionRecord]:
        """A patient's sessions in the order recorded, which is date order (optionally for one protocol)."""
        query = f"SELECT {self._SESSION_COLUMNS} FROM sessions WHERE patient = %s"
        args: list[Any] = [patient]
        if protocol is not None:
            query += " AND protocol = %s"
            args.append(protocol)
        rows = self._db.execute(query + " ORDER BY id", args).fetchall()
        return [
            SessionRecord(id=row[0], patient=row[1], protocol=row[2], version=row[3], phase=row[4], started=row[5],
                          finished=row[6], status=row[7], pain_before=row[8], pain_after=row[9], decision=row[10],
                          decision_detail=json.loads(row[11]) if row[11] else None, date=row[12] or row[5][:10])
            for row in rows
        ]

    def course_sessions(self, patient: str, protocol: str) -> list[tuple[int, str, str, str, float | None, float | None,
                                                                        str | None, str | None]]:
        """What a course is worked out from, for each of the patient's sessions of ``protocol`` in the order recorded:
        (id, date, phase, status, pain before, pain after, decision, the decision's record as JSON text)."""
        rows = self._db.execute(
            "SELECT id, COALESCE(NULLIF(date, ''), substr(started, 1, 10)), phase, status, pain_before, pain_after, decision, "
            "decision_detail FROM sessions WHERE patient = %s AND protocol = %s ORDER BY id",
            (patient, protocol),
        ).fetchall()
        return [(int(r[0]), *r[1:]) for r in rows]

    def mark_unfinished_incomplete(self, patient: str) -> int:
        """Sessions left in progress (a crash, a killed terminal) become incomplete; returns how many."""
        cursor = self._db.execute(
            "UPDATE sessions SET status = 'incomplete' WHERE patient = %s AND status = 'in-progress'", (patient,)
        )
        return cursor.rowcount

    def last_session_id(self, patient: str) -> int:
        """The id of the patient's latest session (0 when there is none)."""
        row = self._db.execute("SELECT max(id) FROM sessions WHERE patient = %s", (patient,)).fetchone()
        return int(row[0] or 0) if row else 0

    # --- measures and next-day pain ----------------------------------------

    def record_measure(self, patient: str, measure: str, value: float, unit: str, band: str | None, answers: Any,
                       day: date | None = None) -> None:
        """Store a scored outcome measure, dated ``day`` (default today)."""
        self.ensure_patient(patient)
        self._db.execute(
            "INSERT INTO measures (patient, measure, value, unit, band, answers, at, date) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (patient, measure, value, unit, band, json.dumps(answers), _now(), (day or date.today()).isoformat()),
        )

    def measures(self, patient: str) -> list[tuple[str, float, str]]:
        """Every scored measure of the patient: (measure, value, date), in date order."""
        rows = self._db.execute(
            "SELECT measure, value, COALESCE(date, substr(at, 1, 10)) AS day FROM measures WHERE patient = %s ORDER BY day, id",
            (patient,),
        ).fetchall()
        return [(measure, value, day) for measure, value, day in rows]

    def latest_measures(self, patient: str) -> dict[str, float]:
        """The latest value of each measure the patient has recorded."""
        return {measure: value for measure, value, _ in self.measures(patient)}

    def session_before(self, patient: str, day: date) -> SessionRecord | None:
        """The patient's latest finished or stopped session dated before ``day`` (what a next-morning report is about)."""
        candidates = [s for s in self.sessions(patient) if s.date < day.isoformat() and s.status in ("complete", "stopped")]
        return candidates[-1] if candidates else None

    def record_next_day(self, patient: str, session: int, pain: float, day: date | None = None,
                        settled_hours: float | None = None) -> None:
        """Store next-morning pain (and the hours pain took to settle, where given) against ``session``."""
        self._db.execute(
            "INSERT INTO next_day (patient, session, pain, at, date, settled_hours) VALUES (%s, %s, %s, %s, %s, %s)",
            (patient, session, pain, _now(), (day or date.today()).isoformat(), settled_hours),
        )

    def next_days(self, patient: str) -> list[tuple[int, str, float, float | None]]:
        """Next-morning reports in the order recorded: (session, date, pain, hours to settle)."""
        rows = self._db.execute(
            "SELECT session, COALESCE(date, substr(at, 1, 10)), pain, settled_hours FROM next_day "
            "WHERE patient = %s AND session IS NOT NULL ORDER BY id",
            (patient,),
        ).fetchall()
        return [(int(session), day, pain, settled) for session, day, pain, settled in rows]

    def next_day(self, patient: str) -> dict[int, float]:
        """Next-morning pain by session id (the latest report for each)."""
        return {session: pain for session, _, pain, _ in self.next_days(patient)}

    # --- course events --------------------------------------------------------

    def add_event(self, patient: str, kind: str, day: date, *, protocol: str | None = None, phase: str | None = None,
                  by: str | None = None, detail: Mapping[str, Any] | None = None) -> int:
        """Record a course event (enter-phase, pause, review, approval) dated ``day``, after the patient's latest session."""
        if kind not in EVENT_KINDS:
            raise ValueError(f"unknown course event {kind!r}; one of {', '.join(EVENT_KINDS)}")
        self.ensure_patient(patient)
        row = self._db.execute(
            'INSERT INTO course_events (patient, protocol, kind, date, phase, "by", after_session, detail, at) '
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
            (patient, protocol, kind, day.isoformat(), phase, by, self.last_session_id(patient),
             json.dumps(dict(detail or {})), _now()),
        ).fetchone()
        return int(row[0]) if row else 0

    def events(self, patient: str) -> list[EventRecord]:
        """The patient's course events in the order recorded."""
        rows = self._db.execute(
            'SELECT id, patient, protocol, kind, date, phase, "by", after_session, detail, at FROM course_events '
            "WHERE patient = %s ORDER BY id",
            (patient,),
        ).fetchall()
        return [EventRecord(id=int(row[0]), patient=row[1], protocol=row[2], kind=row[3], date=row[4], phase=row[5], by=row[6],
                            after_session=int(row[7]), detail=json.loads(row[8]), at=row[9]) for row in rows]

    def protocols_of(self, patient: str) -> list[str]:
        """The protocols the patient has sessions or phases in, the most recently used last."""
        rows = self._db.execute(
            "SELECT protocol, max(id) FROM sessions WHERE patient = %s GROUP BY protocol ORDER BY max(id)", (patient,)
        ).fetchall()
        names = [protocol for protocol, _ in rows]
        for event in self.events(patient):
            if event.protocol and event.protocol not in names:
                names.insert(0, event.protocol)
        return names

    def iter_tables(self) -> Iterator[str]:
        """Names of the store's tables (for diagnostics and tests)."""
        yield from sorted(self._tables())


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0].rstrip(".")

