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
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from .._common.errors import StoreError
from ..engine.stored_session import PastSession
from .locations import FIRST_WRITERS, default_db_path
from .queries import StoreQueries, within_limits_column
from .statements import SQLITE
from .store_api import EVENT_KINDS, PATIENT_ID, EventRecord, Overview

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

#: A stored session: the engine's record of it (the name ``history`` and older code used).
SessionRecord = PastSession


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
            "SELECT max(id) FROM sessions WHERE patient = ? AND protocol = ? "
            "AND (started < ? OR (started = ? AND decision = 'progress'))",
            (patient, protocol, at, at),
        ).fetchone()[0]
        db.execute(
            "INSERT INTO course_events (patient, protocol, kind, date, phase, after_session, detail, at) "
            "VALUES (?, ?, 'enter-phase', ?, ?, ?, ?, ?)",
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
        db.execute("UPDATE sessions SET within_limits = ? WHERE id = ?", (within_limits_column(_loads(text)), session))


#: Schema 8's tables (issue 25): the store's settings (its random key for erasure tombstones) and the audit trail.
AUDIT_TABLES = """
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT,
        account TEXT,
        action TEXT NOT NULL,
        tbl TEXT,
        record TEXT,
        patient TEXT,
        content TEXT,
        digest TEXT,
        prev TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE INDEX audit_by_patient ON audit (patient, id)
"""


def _migrate_to_audit_trail(db: sqlite3.Connection) -> None:
    """Schema 8 (issue 25): a tamper-evident audit trail, and records that are never changed in place.

    Every row already stored gets a ``baseline`` entry (unverified history: who made it is what its ``clinician``
    column says, as typed), so that an upgraded store verifies; the triggers of :mod:`rehabkit._sessions.guards`
    then refuse UPDATE and DELETE on every record table, the audit trail and the settings.
    """
    from datetime import UTC, datetime

    from .audit import write_baseline  # hashlib: imported by the migration, never by a store that reads
    from .guards import sqlite_guards
    from .statements import SCHEMA_8_TABLES, SQLITE

    for statement in (s.strip() for s in AUDIT_TABLES.split(";")):
        if statement:
            db.execute(statement)
    write_baseline(db, SQLITE, datetime.now(UTC).isoformat(timespec="seconds"), SCHEMA_8_TABLES)
    for statement in sqlite_guards((*SCHEMA_8_TABLES, "audit", "settings")):
        db.execute(statement)


def _add_append_only_table(db: sqlite3.Connection, ddl: str, table: str) -> None:
    """A new table from its statements (``ddl``, with ``{id}`` for its key column) and the guards that keep its
    rows from being changed in place."""
    from .guards import sqlite_guards

    for statement in (s.strip() for s in ddl.format(id="INTEGER PRIMARY KEY").split(";")):
        if statement:
            db.execute(statement)
    for statement in sqlite_guards((table,)):
        db.execute(statement)


def _migrate_to_sign_ins(db: sqlite3.Connection) -> None:
    """Schema 9 (issue 27): the sign-in links' table, its rows never changed in place (its guards)."""
    from .statements import SIGN_INS

    _add_append_only_table(db, SIGN_INS, "sign_ins")


def _migrate_to_staff_sign_ins(db: sqlite3.Connection) -> None:
    """Schema 10 (issue 27): the staff's passwords and web sessions, its rows never changed in place (its guards)."""
    from .statements import STAFF_SIGN_INS

    _add_append_only_table(db, STAFF_SIGN_INS, "staff_sign_ins")


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
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
    # Who may act (issue 25): the staff register as dated changes, and a surgery date that replaces another is a new
    # record keeping the one before (records are never changed in place).
    """
    CREATE TABLE staff_events (
        id INTEGER PRIMARY KEY,
        staff TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('add', 'disable', 'enable')),
        roles TEXT,
        name TEXT,
        os_user TEXT,
        db_role TEXT,
        at TEXT NOT NULL,
        actor TEXT,
        account TEXT
    );
    CREATE INDEX staff_events_by_staff ON staff_events (staff, id);
    CREATE TABLE surgery_dates (
        id INTEGER PRIMARY KEY,
        patient TEXT NOT NULL REFERENCES patients(id),
        date TEXT NOT NULL,
        replaces TEXT,
        day TEXT NOT NULL,
        at TEXT NOT NULL,
        clinician TEXT
    );
    CREATE INDEX surgery_dates_by_patient ON surgery_dates (patient, id);
    """,
    _migrate_to_audit_trail,
    _migrate_to_sign_ins,
    _migrate_to_staff_sign_ins,
)


def _create_private(path: Path) -> None:
    """Make a new store file readable and writable by its owner only (0600), in a folder made 0700 when rehabkit
    makes it: SQLite gives its journal and write-ahead files the store file's own mode. An existing file is left
    as it is."""
    if str(path) == ":memory:" or path.exists():
        return
    if not path.parent.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass  # another process made it first: it made it the same way


def _not_yet_a_store(path: Path) -> str:
    what = "is empty" if path.is_file() and path.stat().st_size == 0 else "holds no session store yet"
    return (
        f"{str(path)!r} {what}: it is not a session store yet, and nothing was read or written. A store is created "
        f"by {FIRST_WRITERS}; check --db or REHABKIT_DB."
    )


class Store(StoreQueries):
    """An open session store in a SQLite file. Use as a context manager, or call :meth:`close`.

    The query methods are those of :class:`~rehabkit._sessions.queries.StoreQueries`, run with SQLite's statements;
    this class opens the file, migrates it and locks a patient. :class:`rehabkit._sessions.pg_store.PgStore` is the
    same store on PostgreSQL.
    """

    #: Which database holds the store (``db status`` and messages say so).
    backend = "sqlite"
    #: The file's sqlite3 connection.
    _db: sqlite3.Connection
    _sql = SQLITE

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        create: bool = True,
        clinician: str | None = None,
        migrate: bool = True,
        read_only: bool = False,
    ) -> None:
        """Open (or, with ``create``, create) the store; a file that is not a rehabkit store is refused.

        ``create``: a missing or empty file becomes a new store; without it, either is refused and left as it is.
        ``migrate``: an older store is upgraded; without it, it is opened as it is (the command line then refuses it,
        naming 'rehabkit db upgrade'). ``read_only``: nothing is ever written to the file, not even its journal mode
        (the commands that only read). ``clinician`` is kept with every record made through this store (None: not
        given, as for a patient's own session at home).
        """
        self.path = Path(path)
        #: The clinician every record made through this store is attributed to (None: not given).
        self.clinician = clinician
        self._check_file(create)
        try:
            if create and not read_only:
                _create_private(self.path)
            self._db = self._connect(read_only)
            self._db.execute("PRAGMA foreign_keys = ON")
            self._refuse_foreign()
            version = self.schema_version
            if version < len(MIGRATIONS) and not read_only:
                version = self._settled_version()
            if version == 0 and not create:
                raise StoreError(_not_yet_a_store(self.path))
            self._refuse_newer(version)
            # An older store opened without ``migrate`` is refused by the caller: it is left exactly as it is.
            if not read_only and (migrate or version in (0, len(MIGRATIONS))):
                if self._db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    self._db.execute("PRAGMA journal_mode = WAL")
                self._migrate()
        except (OSError, sqlite3.Error) as exc:
            self._close_refused()
            raise StoreError(
                f"cannot open the session store {str(self.path)!r}: {exc}. Check that the file is a rehabkit store "
                "you may write to and that the disk has room, or choose another file with --db or REHABKIT_DB."
            ) from None
        except BaseException:
            self._close_refused()
            raise

    def _close_refused(self) -> None:
        """Close the connection of a store refused as it opened (its file is left to others at once)."""
        if hasattr(self, "_db"):
            self._db.close()

    def _check_file(self, create: bool) -> None:
        """Refuse, before anything opens it, a path that is not a file, or no file when none may be created."""
        if str(self.path) == ":memory:":
            return
        if not create and not self.path.exists():
            raise StoreError(
                f"there is no session store at {str(self.path)!r}: check --db or REHABKIT_DB (a store is created by "
                f"the first {FIRST_WRITERS})."
            )
        if self.path.exists() and not self.path.is_file():
            raise StoreError(f"{str(self.path)!r} is not a file: choose a session store file with --db or REHABKIT_DB.")

    def _connect(self, read_only: bool) -> sqlite3.Connection:
        # autocommit: each write is durable at once. The busy timeout makes every statement, this connection's first
        # included, wait for another process's write (a migration, a first registration) instead of failing at once.
        if read_only and str(self.path) != ":memory:":
            return sqlite3.connect(
                f"{self.path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None, timeout=30
            )
        return sqlite3.connect(self.path, isolation_level=None, timeout=30)

    def _refuse_newer(self, version: int) -> None:
        if version > len(MIGRATIONS):
            raise StoreError(
                f"the session store {str(self.path)!r} has schema version {version}, newer than this rehabkit "
                f"understands ({len(MIGRATIONS)}); upgrade rehabkit."
            )

    def _refuse_foreign(self) -> None:
        """A database of another program is never turned into a store (nor switched to WAL)."""
        tables = {name for (name,) in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        ours = {
            "patients",
            "sessions",
            "answers",
            "measures",
            "next_day",
            "phases",
            "approvals",
            "course_events",
            "staff_events",
            "surgery_dates",
            "settings",
            "audit",
            "sign_ins",
            "staff_sign_ins",
        }
        if tables - ours or (tables and "patients" not in tables):
            raise StoreError(
                f"{str(self.path)!r} is not a rehabkit session store (it holds the tables "
                f"{', '.join(sorted(tables))}); rehabkit will not change it. Choose another file with --db or "
                "REHABKIT_DB."
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

    def patient_lock(
        self, patient: str, what: str = "a session", clinician: str | None = None
    ) -> AbstractContextManager[None]:
        """A context manager holding the patient's lock while a command writes their course (see
        :mod:`rehabkit._sessions.locks`); :class:`~rehabkit._sessions.locks.PatientBusy` when another holds it."""
        if str(self.path) == ":memory:":
            return nullcontext()
        from .locks import sqlite_patient_lock  # only a command that writes locks (socket, hashlib: not for history)

        return sqlite_patient_lock(self.path, patient, what, clinician or self.clinician)

    def _migrate(self) -> None:
        version = self.schema_version
        self._refuse_newer(version)
        if version == len(MIGRATIONS):
            return
        # Every step in one write transaction, the version read inside it (DDL is transactional in SQLite): processes
        # creating or upgrading one store at once wait for each other, each step runs once, and no other process ever
        # sees a store half made or half upgraded.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            version = self.schema_version
            self._refuse_newer(version)
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                if callable(script):
                    script(self._db)
                else:
                    for statement in (s.strip() for s in script.split(";")):
                        if statement:
                            self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {number}")
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise

    def _settled_version(self) -> int:
        """The schema version once a creation or upgrade under way in another process has committed: it holds the
        write lock from its first step to its last, so taking the lock (and writing nothing) waits for it."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            return self.schema_version
        finally:
            self._db.execute("ROLLBACK")

    def _insert(self, statement: str, parameters: Sequence[Any]) -> int:
        return int(self._db.execute(statement, parameters).lastrowid or 0)

    @contextmanager
    def _write_transaction(self) -> Iterator[None]:
        """``BEGIN IMMEDIATE``: the write lock is taken before the chain's head is read, so that two processes never
        append after the same entry (another writer waits, up to the connection's timeout)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if self._db.in_transaction:  # SQLite may have rolled back already (a full disk)
                self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @contextmanager
    def _guards_lifted(self, tables: Sequence[str]) -> Iterator[None]:
        """An erasure's rows go with their pages zeroed (``secure_delete``); the refusing triggers are dropped and
        made again inside the erasure's transaction, so no other connection ever sees the store without them."""
        from .guards import sqlite_guards, sqlite_unguards

        self._db.execute("PRAGMA secure_delete = ON")
        for statement in sqlite_unguards():
            self._db.execute(statement)
        yield
        for statement in sqlite_guards():
            self._db.execute(statement)

    def _settle_erasure(self) -> str | None:
        # The write-ahead log still holds the pages as they were before the erasure: write it back and empty it.
        busy = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy and busy[0]:
            return (
                "another process has the store open, so its write-ahead log keeps the erased rows' old pages until "
                "SQLite next empties it (once nobody reads it)"
            )
        return None

    def iter_tables(self) -> Iterator[str]:
        """Names of the store's tables (for diagnostics and tests)."""
        for (name,) in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
            yield name
