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
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import attrs

__all__ = ["MIGRATIONS", "PATIENT_ID", "SessionRecord", "Store", "StoreError", "default_db_path"]

#: Pseudonymous patient ids: letters, digits, '-', '_' and '.', 1 to 64 characters.
PATIENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

#: Schema migrations, in order; migration N brings the file to user_version N.
MIGRATIONS: tuple[str, ...] = (
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
)


class StoreError(RuntimeError):
    """The store cannot be opened or used; the message names the file and what to do."""


def default_db_path(env: Mapping[str, str] | None = None) -> Path:
    """``REHABKIT_DB``, else ``rehabkit/rehabkit.sqlite3`` under the user's data directory."""
    env = os.environ if env is None else env
    if env.get("REHABKIT_DB"):
        return Path(env["REHABKIT_DB"]).expanduser()
    if os.name == "nt" and env.get("APPDATA"):
        base = Path(env["APPDATA"])
    elif env.get("XDG_DATA_HOME"):
        base = Path(env["XDG_DATA_HOME"])
    else:
        base = Path(env.get("HOME", str(Path.home()))) / ".local" / "share"
    return base / "rehabkit" / "rehabkit.sqlite3"


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


class Store:
    """An open session store. Use as a context manager, or call :meth:`close`."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None)  # autocommit: each write is durable at once
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._migrate()
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(
                f"cannot open the session store {str(self.path)!r}: {exc}. "
                "Choose another file with --db or REHABKIT_DB."
            ) from None

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

    def _migrate(self) -> None:
        version = self.schema_version
        if version > len(MIGRATIONS):
            raise StoreError(
                f"the session store {str(self.path)!r} has schema version {version}, newer than this rehabkit "
                f"understands ({len(MIGRATIONS)}); upgrade rehabkit."
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            self._db.execute("BEGIN IMMEDIATE")
            try:
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
        if not PATIENT_ID.match(patient):
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

    def start_session(self, patient: str, protocol: str, version: str, phase: str) -> int:
        """Open a session (status in-progress) and return its id."""
        self.ensure_patient(patient)
        cursor = self._db.execute(
            "INSERT INTO sessions (patient, protocol, version, phase, started, status) VALUES (?, ?, ?, ?, ?, 'in-progress')",
            (patient, protocol, version, phase, _now()),
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
            "UPDATE sessions SET finished = ?, status = ?, decision = ?, decision_detail = ? WHERE id = ?",
            (_now(), status, decision, json.dumps(detail) if detail is not None else None, session),
        )

    def answers(self, session: int) -> list[tuple[str, str, Any]]:
        """A session's answers in the order given: (kind, key, value)."""
        rows = self._db.execute("SELECT kind, key, value FROM answers WHERE session = ? ORDER BY id", (session,))
        return [(kind, key, json.loads(value)) for kind, key, value in rows]

    def sessions(self, patient: str, protocol: str | None = None) -> list[SessionRecord]:
        """A patient's sessions, oldest first (optionally for one protocol)."""
        query = "SELECT * FROM sessions WHERE patient = ?"
        args: list[Any] = [patient]
        if protocol is not None:
            query += " AND protocol = ?"
            args.append(protocol)
        rows = self._db.execute(query + " ORDER BY started, id", args).fetchall()
        return [
            SessionRecord(*row[:-1], decision_detail=json.loads(row[-1]) if row[-1] else None)  # type: ignore[misc]
            for row in rows
        ]

    def mark_unfinished_incomplete(self, patient: str) -> int:
        """Sessions left in progress (a crash, a killed terminal) become incomplete; returns how many."""
        cursor = self._db.execute(
            "UPDATE sessions SET status = 'incomplete' WHERE patient = ? AND status = 'in-progress'", (patient,)
        )
        return cursor.rowcount

    # --- measures and next-day pain ----------------------------------------

    def record_measure(self, patient: str, measure: str, value: float, unit: str, band: str | None, answers: Any) -> None:
        """Store a scored outcome measure."""
        self.ensure_patient(patient)
        self._db.execute(
            "INSERT INTO measures (patient, measure, value, unit, band, answers, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (patient, measure, value, unit, band, json.dumps(answers), _now()),
        )

    def latest_measures(self, patient: str) -> dict[str, float]:
        """The latest value of each measure the patient has recorded."""
        rows = self._db.execute(
            "SELECT measure, value FROM measures WHERE patient = ? ORDER BY at, id", (patient,)
        ).fetchall()
        return {measure: value for measure, value in rows}

    def record_next_day(self, patient: str, pain: float) -> int | None:
        """Store next-morning pain against the patient's latest session; returns that session's id."""
        self.ensure_patient(patient)
        row = self._db.execute(
            "SELECT id FROM sessions WHERE patient = ? ORDER BY started DESC, id DESC LIMIT 1", (patient,)
        ).fetchone()
        session = row[0] if row else None
        self._db.execute(
            "INSERT INTO next_day (patient, session, pain, at) VALUES (?, ?, ?, ?)", (patient, session, pain, _now())
        )
        return session

    def next_day(self, patient: str) -> dict[int, float]:
        """Next-morning pain by session id (the latest report for each)."""
        rows = self._db.execute(
            "SELECT session, pain FROM next_day WHERE patient = ? AND session IS NOT NULL ORDER BY id", (patient,)
        ).fetchall()
        return {session: pain for session, pain in rows}

    # --- phases and approvals (schema version 2) ------------------------------

    def enter_phase(self, patient: str, protocol: str, phase: str, reason: str) -> None:
        """Record that the patient starts ``phase`` of ``protocol`` now, and why."""
        self.ensure_patient(patient)
        self._db.execute(
            "INSERT INTO phases (patient, protocol, phase, reason, at) VALUES (?, ?, ?, ?, ?)",
            (patient, protocol, phase, reason, _now()),
        )

    def phase_history(self, patient: str, protocol: str) -> list[tuple[str, str, str]]:
        """The phases the patient entered in ``protocol``, oldest first: (phase, reason, at)."""
        rows = self._db.execute(
            "SELECT phase, reason, at FROM phases WHERE patient = ? AND protocol = ? ORDER BY id", (patient, protocol)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]

    def record_approval(self, patient: str, kind: str, value: bool) -> None:
        """Record a surgeon's clearance or a clinician's approval (or its withdrawal)."""
        self.ensure_patient(patient)
        self._db.execute(
            "INSERT INTO approvals (patient, kind, value, at) VALUES (?, ?, ?, ?)", (patient, kind, int(value), _now())
        )

    def approvals(self, patient: str) -> dict[str, bool]:
        """The latest answer for each kind of approval."""
        rows = self._db.execute("SELECT kind, value FROM approvals WHERE patient = ? ORDER BY id", (patient,))
        return {kind: bool(value) for kind, value in rows}

    def iter_tables(self) -> Iterator[str]:
        """Names of the store's tables (for diagnostics and tests)."""
        for (name,) in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
            yield name
