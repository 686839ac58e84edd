"""The session store: one SQLite file holding patients' sessions, answers and measures.

Every answer is committed as it is given (autocommit, write-ahead log), so
that Ctrl-C or a crash loses nothing already answered. The schema is versioned
with SQLite's ``user_version`` and upgraded by the ordered ``MIGRATIONS``.
Patient ids are pseudonymous strings chosen by the clinic; nothing else
identifying is stored.

The file lives under the user's data directory unless ``--db`` or the
``REHABKIT_DB`` environment variable names another.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import nullcontext
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import attrs

from .._common.errors import StoreError
from .locations import default_db_path
from .locks import sqlite_patient_lock

__all__ = [
    "EVENT_KINDS",
    "MIGRATIONS",
    "PATIENT_ID",
    "EventRecord",
    "Overview",
    "SessionRecord",
    "Store",
    "StoreError",
    "default_db_path",
]

#: Pseudonymous patient ids: letters, digits, '-', '_' and '.', 1 to 64 characters.
PATIENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # use fullmatch: "$" would accept a trailing newline


def _migrate_to_dated_courses(db: sqlite3.Connection) -> None:
    """Schema 3: every record has a calendar date, and a course is a list of dated events.

    Phase entries become ``enter-phase`` events placed after the session that
    led to them. Approvals recorded before version 3 named no gate: they are
    kept as events for no phase, which open no gate (a clinician records them
    again for the phase they open), rather than guessed at.
    """
    for statement in (
        "ALTER TABLE sessions ADD COLUMN date TEXT",
        "UPDATE sessions SET date = substr(started, 1, 10)",
        "ALTER TABLE next_day ADD COLUMN date TEXT",
        "UPDATE next_day SET date = substr(at, 1, 10)",
        "ALTER TABLE next_day ADD COLUMN settled_hours REAL",
        "ALTER TABLE measures ADD COLUMN date TEXT",
        "UPDATE measures SET date = substr(at, 1, 10)",
        """CREATE TABLE course_events (
            id INTEGER PRIMARY KEY,
            patient TEXT NOT NULL REFERENCES patients(id),
            protocol TEXT,
            kind TEXT NOT NULL CHECK (kind IN ('enter-phase', 'pause', 'review', 'approval')),
            date TEXT NOT NULL,
            phase TEXT,
            by TEXT,
            after_session INTEGER NOT NULL DEFAULT 0,
            detail TEXT NOT NULL,
            at TEXT NOT NULL
        )""",
        "CREATE INDEX course_events_by_patient ON course_events (patient, id)",
    ):
        db.execute(statement)
    rows = db.execute("SELECT id, patient, protocol, phase, reason, at FROM phases ORDER BY id").fetchall()
    for _, patient, protocol, phase, reason, at in rows:
        after = db.execute(
            "SELECT max(id) FROM sessions WHERE patient = ? AND protocol = ? AND (started < ? OR (started = ? AND decision = 'progress'))",
            (patient, protocol, at, at),
        ).fetchone()[0]
        db.execute(
            "INSERT INTO course_events (patient, protocol, kind, date, phase, after_session, detail, at) VALUES (?, ?, 'enter-phase', ?, ?, ?, ?, ?)",
            (patient, protocol, at[:10], phase, after or 0, json.dumps({"reason": reason}), at),
        )
    for patient, kind, value, at in db.execute("SELECT patient, kind, value, at FROM approvals ORDER BY id").fetchall():
        db.execute(
            "INSERT INTO course_events (patient, kind, date, detail, at) VALUES (?, 'approval', ?, ?, ?)",
            (patient, at[:10], json.dumps({"kind": kind, "value": bool(value), "legacy": True}), at),
        )
    db.execute("DROP TABLE phases")
    db.execute("DROP TABLE approvals")


def _migrate_to_clinicians(db: sqlite3.Connection) -> None:
    """Schema 6 (issue 16): every record names the clinician who made it, and a session keeps ``within_limits``.

    ``clinician`` is NULL where none was given: every record made before version 6, and a patient's own session at
    home. ``within_limits`` (1, 0, or NULL for a session without a decision) is the value of the decision record's key
    of that name, kept beside it so that the clinic overview reads a thousand courses without decoding 50,000 JSON
    documents; it is filled here from the records already stored.
    """
    for table in ("sessions", "measures", "next_day", "course_events"):
        db.execute(f"ALTER TABLE {table} ADD COLUMN clinician TEXT")
    db.execute("ALTER TABLE sessions ADD COLUMN within_limits INTEGER")
    rows = db.execute("SELECT id, decision_detail FROM sessions WHERE decision_detail IS NOT NULL").fetchall()
    for session, text in rows:
        db.execute("UPDATE sessions SET within_limits = ? WHERE id = ?", (_within_limits(_loads(text)), session))


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _within_limits(detail: Any) -> int | None:
    """A decision record's ``within_limits`` as the column keeps it: 1, 0, or None when the record has none."""
    if isinstance(detail, Mapping) and "within_limits" in detail:
        return int(bool(detail["within_limits"]))
    return None


#: Schema migrations, in order; migration N brings the file to user_version N. A migration is a
#: SQL script, or a function given the connection for one that moves data.
MIGRATIONS: tuple[str | Callable[[sqlite3.Connection], None], ...] = (
    """
    CREATE TABLE patients (
        id TEXT PRIMARY KEY,
        created TEXT NOT NULL,
        surgery_date TEXT
    );
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        patient TEXT NOT NULL REFERENCES patients(id),
        protocol TEXT NOT NULL,
        version TEXT NOT NULL,
        phase TEXT NOT NULL,
        started TEXT NOT NULL,
        finished TEXT,
        status TEXT NOT NULL CHECK (status IN ('in-progress', 'complete', 'incomplete', 'stopped')),
        pain_before REAL,
        pain_after REAL,
        decision TEXT,
        decision_detail TEXT
    );
    CREATE INDEX sessions_by_patient ON sessions (patient, started);
    CREATE TABLE answers (
        id INTEGER PRIMARY KEY,
        session INTEGER NOT NULL REFERENCES sessions(id),
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX answers_by_session ON answers (session, id);
    CREATE TABLE measures (
        id INTEGER PRIMARY KEY,
        patient TEXT NOT NULL REFERENCES patients(id),
        measure TEXT NOT NULL,
        value REAL NOT NULL,
        unit TEXT NOT NULL,
        band TEXT,
        answers TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE TABLE next_day (
        id INTEGER PRIMARY KEY,
        patient TEXT NOT NULL REFERENCES patients(id),
        session INTEGER REFERENCES sessions(id),
        pain REAL NOT NULL,
        at TEXT NOT NULL
    );
    """,
    """
    CREATE TABLE phases (
        id INTEGER PRIMARY KEY,
        patient TEXT NOT NULL REFERENCES patients(id),
        protocol TEXT NOT NULL,
        phase TEXT NOT NULL,
        reason TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE TABLE approvals (
        id INTEGER PRIMARY KEY,
        patient TEXT NOT NULL REFERENCES patients(id),
        kind TEXT NOT NULL CHECK (kind IN ('surgeon-clearance', 'clinician-approval')),
        value INTEGER NOT NULL,
        at TEXT NOT NULL
    );
    """,
    _migrate_to_dated_courses,
    # Every query a command runs finds a patient's rows through an index, not a scan of every patient's.
    """
    CREATE INDEX IF NOT EXISTS measures_by_patient ON measures (patient, date, id);
    CREATE INDEX IF NOT EXISTS next_day_by_patient ON next_day (patient, id);
    CREATE INDEX IF NOT EXISTS next_day_by_session ON next_day (session);
    """,
    # A course (and history's latest sessions) are read from the latest sessions, however long the history (issue 14).
    """
    CREATE INDEX IF NOT EXISTS sessions_by_patient_id ON sessions (patient, id);
    CREATE INDEX IF NOT EXISTS sessions_by_course ON sessions (patient, protocol, id);
    CREATE INDEX IF NOT EXISTS sessions_by_course_date ON sessions (patient, protocol, date, id);
    """,
    _migrate_to_clinicians,
)


#: Larger than any session id (SQLite's largest integer): "after it" matches no session.
_NO_SESSION = 2**63 - 1

#: Kinds of course event.
EVENT_KINDS = ("enter-phase", "pause", "review", "approval")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@attrs.frozen(slots=True)
class SessionRecord:
    """One stored session, as ``history`` lists it."""

    id: int
    patient: str
    protocol: str
    version: str
    phase: str
    started: str
    finished: str | None
    status: str
    pain_before: float | None
    pain_after: float | None
    decision: str | None
    decision_detail: Any
    #: The calendar day of the session (the patient's local date, or the --date given for a paper session).
    date: str = ""
    #: The clinician who recorded it (None: not given, as for a patient's own session at home).
    clinician: str | None = None


@attrs.frozen(slots=True)
class EventRecord:
    """One course event as stored (see :class:`rehabkit.engine.CourseEvent`)."""

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


@attrs.frozen(slots=True)
class Overview:
    """Every patient's records as rows, from :meth:`Store.overview`.

    ``sessions``: (patient, protocol, id, date, phase, status, pain before, pain after, decision, within_limits, has a
    decision record, the record's JSON for the latest two of each course else None, clinician); ``events``: (patient,
    id, protocol, kind, date, phase, by, after_session, detail JSON, clinician); ``next_days``: (patient, session,
    date, pain, hours to settle); ``measures``: (patient, measure, value, date); ``patients``: (id, surgery date).
    """

    patients: list[Any]
    sessions: list[Any]
    events: list[Any]
    next_days: list[Any]
    measures: list[Any]


class Store:
    """An open session store. Use as a context manager, or call :meth:`close`.

    :class:`rehabkit._sessions.pg_store.PgStore` is the same store on PostgreSQL: it inherits every query method
    below, so the SQL here is written for both (standard SQL; the few differences are translated there).
    """

    #: Which database holds the store (``db status`` and messages say so).
    backend = "sqlite"
    #: The connection: sqlite3's here, PostgreSQL's through its dialect adapter in PgStore.
    _db: Any

    def __init__(
        self, path: str | os.PathLike[str], *, create: bool = True, clinician: str | None = None, migrate: bool = True
    ) -> None:
        """Open (or, with ``create``, create) the store; a file that is not a rehabkit store is refused.

        ``clinician`` is kept with every record made through this store (None: not given, as for a patient's own
        session at home). ``migrate=False`` opens an older store without upgrading it (``rehabkit db status``).
        """
        self.path = Path(path)
        #: The clinician every record made through this store is attributed to (None: not given).
        self.clinician = clinician
        if not create and not self.path.is_file():
            raise StoreError(
                f"there is no session store at {str(self.path)!r}: check --db or REHABKIT_DB (a store is created by "
                "the first 'rehabkit run' or 'rehabkit approve')."
            )
        if self.path.exists() and not self.path.is_file():
            raise StoreError(f"{str(self.path)!r} is not a file: choose a session store file with --db or REHABKIT_DB.")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # autocommit: each write is durable at once; wait for another process's write instead of failing at once
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self._db.execute("PRAGMA foreign_keys = ON")
            self._refuse_foreign()
            if self._db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                self._db.execute("PRAGMA journal_mode = WAL")
            if migrate:
                self._migrate()
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(
                f"cannot open the session store {str(self.path)!r}: {exc}. Check that the file is a rehabkit store "
                "you may write to and that the disk has room, or choose another file with --db or REHABKIT_DB."
            ) from None

    def _refuse_foreign(self) -> None:
        """A database of another program is never turned into a store (nor switched to WAL)."""
        tables = {name for (name,) in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        ours = {"patients", "sessions", "answers", "measures", "next_day", "phases", "approvals", "course_events"}
        if tables - ours or (tables and "patients" not in tables):
            raise StoreError(
                f"{str(self.path)!r} is not a rehabkit session store (it holds the tables {', '.join(sorted(tables))}); "
                "rehabkit will not change it. Choose another file with --db or REHABKIT_DB."
            )

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    @property
    def schema_version(self) -> int:
        """The file's schema version (``PRAGMA user_version``)."""
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def upgrade(self) -> tuple[int, int]:
        """Bring the store to this rehabkit's schema; returns (version before, version after)."""
        before = self.schema_version
        self._migrate()
        return before, self.schema_version

    def patient_lock(self, patient: str, what: str = "a session", clinician: str | None = None) -> Any:
        """A context manager holding the patient's lock while a command writes their course (see
        :mod:`rehabkit._sessions.locks`); :class:`~rehabkit._sessions.locks.PatientBusy` when another holds it."""
        if str(self.path) == ":memory:":
            return nullcontext()
        return sqlite_patient_lock(self.path, patient, what, clinician or self.clinician)

    def _migrate(self) -> None:
        version = self.schema_version
        if version > len(MIGRATIONS):
            raise StoreError(
                f"the session store {str(self.path)!r} has schema version {version}, newer than this rehabkit "
                f"understands ({len(MIGRATIONS)}); upgrade rehabkit."
            )
        if version == len(MIGRATIONS):
            return
        for number, script in enumerate(MIGRATIONS, start=1):
            # Each step in its own write transaction, its version read inside it: several processes opening a
            # new or old store at once wait for each other, and each step runs once.
            self._db.execute("BEGIN IMMEDIATE")
            if self.schema_version >= number:
                self._db.execute("COMMIT")
                continue
            try:
                if callable(script):
                    script(self._db)
                else:
                    for statement in (s.strip() for s in script.split(";")):
                        if statement:
                            self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {number}")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    # --- patients -----------------------------------------------------------

    def ensure_patient(self, patient: str, surgery_date: str | None = None) -> None:
        """Create the patient record if needed; record or update the surgery date when given."""
        if not PATIENT_ID.fullmatch(patient):
            raise StoreError(
                f"patient id {patient!r} is not valid: use a pseudonymous code of letters, digits, '-', '_' or '.' "
                "(up to 64 characters), never a name."
            )
        self._db.execute("INSERT OR IGNORE INTO patients (id, created) VALUES (?, ?)", (patient, _now()))
        if surgery_date is not None:
            self._db.execute("UPDATE patients SET surgery_date = ? WHERE id = ?", (surgery_date, patient))

    def surgery_date(self, patient: str) -> str | None:
        """The recorded surgery date, if any."""
        row = self._db.execute("SELECT surgery_date FROM patients WHERE id = ?", (patient,)).fetchone()
        return row[0] if row else None

    def has_patient(self, patient: str) -> bool:
        """True when the patient has a record."""
        return self._db.execute("SELECT 1 FROM patients WHERE id = ?", (patient,)).fetchone() is not None

    # --- sessions -----------------------------------------------------------

    _SESSION_COLUMNS = (
        "id, patient, protocol, version, phase, started, finished, status, pain_before, pain_after, decision, "
        "decision_detail, date, clinician"
    )

    def start_session(self, patient: str, protocol: str, version: str, phase: str, day: date | None = None) -> int:
        """Open a session (status in-progress) on ``day`` (default today) and return its id."""
        self.ensure_patient(patient)
        cursor = self._db.execute(
            "INSERT INTO sessions (patient, protocol, version, phase, started, status, date, clinician) "
            "VALUES (?, ?, ?, ?, ?, 'in-progress', ?, ?)",
            (patient, protocol, version, phase, _now(), (day or date.today()).isoformat(), self.clinician),
        )
        return int(cursor.lastrowid or 0)

    def record_answer(self, session: int, kind: str, key: str, value: Any) -> None:
        """Store one answer at once (kind: screening, pain-before, exercise, pain-during, pain-after, ...)."""
        self._db.execute(
            "INSERT INTO answers (session, kind, key, value, at) VALUES (?, ?, ?, ?, ?)",
            (session, kind, key, json.dumps(value), _now()),
        )
        if kind == "pain-before":
            self._db.execute("UPDATE sessions SET pain_before = ? WHERE id = ?", (value, session))
        elif kind == "pain-after":
            self._db.execute("UPDATE sessions SET pain_after = ? WHERE id = ?", (value, session))

    def finish_session(self, session: int, status: str, decision: str | None = None, detail: Any = None) -> None:
        """Close a session with its status (complete, incomplete, stopped) and decision."""
        self._db.execute(
            "UPDATE sessions SET finished = ?, status = ?, decision = ?, decision_detail = ?, within_limits = ? WHERE id = ?",
            (
                _now(),
                status,
                decision,
                json.dumps(detail) if detail is not None else None,
                _within_limits(detail),
                session,
            ),
        )

    def answers(self, session: int) -> list[tuple[str, str, Any]]:
        """A session's answers in the order given: (kind, key, value)."""
        rows = self._db.execute("SELECT kind, key, value FROM answers WHERE session = ? ORDER BY id", (session,))
        return [(kind, key, json.loads(value)) for kind, key, value in rows]

    def sessions(self, patient: str, protocol: str | None = None, *, last: int | None = None) -> list[SessionRecord]:
        """A patient's sessions in the order recorded, which is date order (optionally for one protocol, and only
        the ``last`` so many)."""
        query = f"SELECT {self._SESSION_COLUMNS} FROM sessions WHERE patient = ?"
        args: list[Any] = [patient]
        if protocol is not None:
            query += " AND protocol = ?"
            args.append(protocol)
        if last is not None:
            rows = self._db.execute(query + " ORDER BY id DESC LIMIT ?", [*args, last]).fetchall()[::-1]
        else:
            rows = self._db.execute(query + " ORDER BY id", args).fetchall()
        return [self._session_record(row) for row in rows]

    def count_sessions(self, patient: str, protocol: str | None = None) -> int:
        """How many sessions the patient has (of one protocol, when given)."""
        if protocol is None:
            return int(self._db.execute("SELECT count(*) FROM sessions WHERE patient = ?", (patient,)).fetchone()[0])
        return int(
            self._db.execute(
                "SELECT count(*) FROM sessions WHERE patient = ? AND protocol = ?", (patient, protocol)
            ).fetchone()[0]
        )

    @staticmethod
    def _session_record(row: Any) -> SessionRecord:
        return SessionRecord(
            id=row[0],
            patient=row[1],
            protocol=row[2],
            version=row[3],
            phase=row[4],
            started=row[5],
            finished=row[6],
            status=row[7],
            pain_before=row[8],
            pain_after=row[9],
            decision=row[10],
            decision_detail=json.loads(row[11]) if row[11] else None,
            date=row[12] or row[5][:10],
            clinician=row[13],
        )

    def course_sessions(
        self, patient: str, protocol: str, after: int | None
    ) -> list[tuple[int, str, str, str, float | None, float | None, str | None, str | None]]:
        """What a course is worked out from (see :data:`rehabkit.engine.LATEST_NEEDED`): the patient's sessions of
        ``protocol`` after session ``after`` (the current phase's; ``None`` before the course starts), and the
        latest session of each kind the course reads from before it, in the order recorded.

        Each is (id, date, phase, status, pain before, pain after, decision, the decision's record as JSON text).
        """
        course = "patient = ? AND protocol = ?"
        latest = (
            "status IN ('complete', 'stopped') AND pain_before IS NOT NULL",
            "status IN ('complete', 'stopped') AND decision_detail IS NOT NULL AND decision_detail NOT IN ('', '{}', 'null')",
        )
        picks = " OR ".join(
            [f"id = (SELECT id FROM sessions WHERE {course} AND {where} ORDER BY id DESC LIMIT 1)" for where in latest]
            + [f"id = (SELECT id FROM sessions WHERE {course} ORDER BY date DESC, id DESC LIMIT 1)"]
        )
        rows: list[Any] = self._db.execute(
            "SELECT id, date, phase, status, pain_before, pain_after, decision, decision_detail FROM sessions "
            f"WHERE {course} AND (id > ? OR {picks}) ORDER BY id",
            (patient, protocol, _NO_SESSION if after is None else after) + (patient, protocol) * (len(latest) + 1),
        ).fetchall()
        return rows

    def mark_unfinished_incomplete(self, patient: str) -> int:
        """Sessions left in progress (a crash, a killed terminal) become incomplete; returns how many."""
        cursor = self._db.execute(
            "UPDATE sessions SET status = 'incomplete' WHERE patient = ? AND status = 'in-progress'", (patient,)
        )
        return int(cursor.rowcount)

    def last_session_id(self, patient: str) -> int:
        """The id of the patient's latest session (0 when there is none)."""
        row = self._db.execute("SELECT max(id) FROM sessions WHERE patient = ?", (patient,)).fetchone()
        return int(row[0] or 0)

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
        self.ensure_patient(patient)
        self._db.execute(
            "INSERT INTO measures (patient, measure, value, unit, band, answers, at, date, clinician) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                patient,
                measure,
                value,
                unit,
                band,
                json.dumps(answers),
                _now(),
                (day or date.today()).isoformat(),
                self.clinician,
            ),
        )

    def measures(self, patient: str) -> list[tuple[str, float, str]]:
        """Every scored measure of the patient: (measure, value, date), in date order."""
        rows = self._db.execute(
            "SELECT measure, value, COALESCE(date, substr(at, 1, 10)) AS day FROM measures WHERE patient = ? ORDER BY day, id",
            (patient,),
        ).fetchall()
        return [(measure, value, day) for measure, value, day in rows]

    def latest_measures(self, patient: str) -> dict[str, float]:
        """The latest value of each measure the patient has recorded."""
        return {measure: value for measure, value, _ in self.measures(patient)}

    def session_before(self, patient: str, day: date) -> SessionRecord | None:
        """The patient's latest finished or stopped session dated before ``day`` (what a next-morning report is about)."""
        row = self._db.execute(
            f"SELECT {self._SESSION_COLUMNS} FROM sessions WHERE patient = ? AND date < ? "
            "AND status IN ('complete', 'stopped') ORDER BY id DESC LIMIT 1",
            (patient, day.isoformat()),
        ).fetchone()
        return self._session_record(row) if row else None

    def record_next_day(
        self, patient: str, session: int, pain: float, day: date | None = None, settled_hours: float | None = None
    ) -> None:
        """Store next-morning pain (and the hours pain took to settle, where given) against ``session``."""
        self._db.execute(
            "INSERT INTO next_day (patient, session, pain, at, date, settled_hours, clinician) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (patient, session, pain, _now(), (day or date.today()).isoformat(), settled_hours, self.clinician),
        )

    def next_days(
        self, patient: str, sessions: Iterable[int] | None = None
    ) -> list[tuple[int, str, float, float | None]]:
        """Next-morning reports in the order recorded: (session, date, pain, hours to settle); only those about
        ``sessions`` when given."""
        query = (
            "SELECT id, session, COALESCE(date, substr(at, 1, 10)), pain, settled_hours FROM next_day "
            "WHERE patient = ? AND session IS NOT NULL"
        )
        if sessions is None:
            rows = self._db.execute(query + " ORDER BY id", (patient,)).fetchall()
        else:
            wanted, rows = list(sessions), []
            for start in range(0, len(wanted), 500):  # each report found through its session's index
                chunk = wanted[start : start + 500]
                rows += self._db.execute(
                    query + f" AND session IN ({', '.join('?' * len(chunk))})", (patient, *chunk)
                ).fetchall()
            rows.sort()
        return [(session, day, pain, settled) for _, session, day, pain, settled in rows]

    def next_day(self, patient: str) -> dict[int, float]:
        """Next-morning pain by session id (the latest report for each)."""
        return {session: pain for session, _, pain, _ in self.next_days(patient)}

    # --- course events (schema version 3) -------------------------------------

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
        """Record a course event (enter-phase, pause, review, approval) dated ``day``, after the patient's latest session."""
        if kind not in EVENT_KINDS:
            raise ValueError(f"unknown course event {kind!r}; one of {', '.join(EVENT_KINDS)}")
        self.ensure_patient(patient)
        cursor = self._db.execute(
            "INSERT INTO course_events (patient, protocol, kind, date, phase, by, after_session, detail, at, clinician) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                patient,
                protocol,
                kind,
                day.isoformat(),
                phase,
                by,
                self.last_session_id(patient),
                json.dumps(dict(detail or {})),
                _now(),
                self.clinician,
            ),
        )
        return int(cursor.lastrowid or 0)

    def events(self, patient: str) -> list[EventRecord]:
        """The patient's course events in the order recorded."""
        rows = self._db.execute(
            "SELECT id, patient, protocol, kind, date, phase, by, after_session, detail, at, clinician FROM course_events "
            "WHERE patient = ? ORDER BY id",
            (patient,),
        ).fetchall()
        return [EventRecord(*row[:8], detail=json.loads(row[8]), at=row[9], clinician=row[10]) for row in rows]  # type: ignore[misc]

    def protocols_of(self, patient: str) -> list[str]:
        """The protocols the patient has sessions or phases in, the most recently used last."""
        rows = self._db.execute(
            "SELECT protocol, max(id) FROM sessions WHERE patient = ? GROUP BY protocol ORDER BY max(id)", (patient,)
        ).fetchall()
        names = [protocol for protocol, _ in rows]
        for event in self.events(patient):
            if event.protocol and event.protocol not in names:
                names.insert(0, event.protocol)
        return names

    # --- the whole clinic -----------------------------------------------------

    def overview(self) -> Overview:
        """Every patient's records, one query per table, for the clinic overview (:mod:`rehabkit._sessions.clinic`).

        A session's decision record comes whole only for the latest two of each course (all the engine reads of it
        beyond ``within_limits``, which has a column); :meth:`decision_detail` reads any other when asked.
        """
        sessions = self._db.execute(
            "SELECT patient, protocol, id, COALESCE(NULLIF(date, ''), substr(started, 1, 10)), phase, status, pain_before, "
            "pain_after, decision, within_limits, CASE WHEN decision_detail IS NULL OR decision_detail IN ('', '{}', 'null') "
            "THEN 0 ELSE 1 END, CASE WHEN latest <= 2 THEN decision_detail END, clinician FROM (SELECT sessions.*, "
            "ROW_NUMBER() OVER (PARTITION BY patient, protocol ORDER BY id DESC) AS latest FROM sessions) AS numbered "
            "ORDER BY id"
        ).fetchall()
        return Overview(
            patients=self._db.execute("SELECT id, surgery_date FROM patients").fetchall(),
            sessions=sessions,
            events=self._db.execute(
                "SELECT patient, id, protocol, kind, date, phase, by, after_session, detail, clinician "
                "FROM course_events ORDER BY id"
            ).fetchall(),
            next_days=self._db.execute(
                "SELECT patient, session, COALESCE(date, substr(at, 1, 10)), pain, settled_hours "
                "FROM next_day WHERE session IS NOT NULL ORDER BY id"
            ).fetchall(),
            measures=self._db.execute(
                "SELECT patient, measure, value, COALESCE(date, substr(at, 1, 10)) AS day FROM measures "
                "ORDER BY day, id"
            ).fetchall(),
        )

    def decision_detail(self, session: int) -> str | None:
        """A session's decision record as stored (JSON text)."""
        row = self._db.execute("SELECT decision_detail FROM sessions WHERE id = ?", (session,)).fetchone()
        return row[0] if row else None

    def iter_tables(self) -> Iterator[str]:
        """Names of the store's tables (for diagnostics and tests)."""
        for (name,) in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
            yield name
