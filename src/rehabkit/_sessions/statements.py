"""Every statement the session store's query methods run, by name, in each database's dialect.

The store's SQL is standard SQL that SQLite and PostgreSQL both read, but for the placeholder (``?`` for sqlite3,
``%s`` for psycopg), which is chosen once here, when this module is imported, and for the few statements written
twice below, once for each database: adding a patient that may exist (``INSERT OR IGNORE`` against
``ON CONFLICT DO NOTHING``), every INSERT of a record, whose new id the store returns for its audit entry
(sqlite3's ``lastrowid`` against PostgreSQL's ``RETURNING id``), and the two that ask whether a stored decision record
is a JSON object (SQLite's ``json_valid`` against PostgreSQL's cast to ``json``). ``"by"`` is quoted in both (a
reserved word in PostgreSQL). So each backend runs statements written for it, and nothing rewrites SQL while a command
runs.

Each statement finds a patient's rows through an index (tests/test_store.py plans every statement real commands send
with SQLite's ``EXPLAIN QUERY PLAN``; tests/test_pg_store.py plans them on PostgreSQL with sequential scans disabled).
The schemas themselves are the migrations' (``store.MIGRATIONS`` and ``pg_schema.MIGRATIONS``).
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "AUDIT_COLUMNS",
    "POSTGRES",
    "RECORD_TABLES",
    "SCHEMA_8_TABLES",
    "SIGN_INS",
    "SQLITE",
    "STAFF_SIGN_INS",
    "STAFF_TABLES",
    "Statements",
]

#: A session as :class:`rehabkit.engine.PastSession` is read from every column the store keeps of it.
SESSION_COLUMNS = (
    "id, patient, protocol, version, phase, started, finished, status, pain_before, pain_after, decision, "
    "decision_detail, date, clinician"
)

#: The sessions of a course: its own sessions after the current phase's entry (``id > ?``), and the latest of each
#: kind the engine looks back for before it (:data:`rehabkit.engine.LATEST_NEEDED`), each found through an index.
_COURSE = "patient = ? AND protocol = ?"
_DONE = "status IN ('complete', 'stopped')"
_LATEST_OF_COURSE = (
    f"id = (SELECT id FROM sessions WHERE {_COURSE} AND {_DONE} AND pain_before IS NOT NULL ORDER BY id DESC LIMIT 1) "
    f"OR id = (SELECT id FROM sessions WHERE {_COURSE} AND {_DONE} AND decision_detail IS NOT NULL "
    "AND decision_detail NOT IN ('', '{}', 'null') ORDER BY id DESC LIMIT 1) "
    f"OR id = (SELECT id FROM sessions WHERE {_COURSE} ORDER BY date DESC, id DESC LIMIT 1)"
)

#: An audit entry's columns, in the order of :class:`rehabkit._sessions.audit.AuditEntry`.
AUDIT_COLUMNS = "id, at, actor, account, action, tbl, record, patient, content, digest, prev, hash"

#: The tables holding records (:data:`rehabkit._sessions.audit.RECORD_TABLES`), whose rows are read whole by name.
RECORD_TABLES = (
    "patients",
    "sessions",
    "answers",
    "measures",
    "next_day",
    "course_events",
    "staff_events",
    "surgery_dates",
    "sign_ins",
    "staff_sign_ins",
)
#: The record tables about staff, not about a patient: an erasure leaves them, the audit names no patient for them.
STAFF_TABLES = ("staff_events", "staff_sign_ins")
#: The record tables of schema 8, when the audit trail and its guards came: the migration to 8 covers these only
#: (a later table gets its guards, and needs no baseline, in the migration that makes it).
SCHEMA_8_TABLES = RECORD_TABLES[:8]

#: Schema 9 (issue 27): sign-in links for the patient's pages (``rehabkit invite``) and what became of them, as
#: records appended, never changed: a link made (``link``: its token hashed, when it expires), used (``exchange``: the
#: link's token hashed, the web session's cookie hashed, when that session expires) or revoked (``revoke``).
SIGN_INS = """
    CREATE TABLE sign_ins (
        id {id},
        patient TEXT NOT NULL REFERENCES patients(id),
        kind TEXT NOT NULL CHECK (kind IN ('link', 'exchange', 'revoke')),
        token TEXT NOT NULL,
        session TEXT,
        expires TEXT,
        at TEXT NOT NULL,
        clinician TEXT
    );
    CREATE INDEX sign_ins_by_token ON sign_ins (token, id);
    CREATE INDEX sign_ins_by_session ON sign_ins (session);
    CREATE INDEX sign_ins_by_patient ON sign_ins (patient, id)
"""

#: Schema 10 (issue 27): the staff's passwords and web sessions for the clinician's pages, as records appended, never
#: changed: a password set (``password``: its argon2 hash), a sign-in refused (``failed``), a web session begun
#: (``session``: the cookie's SHA-256, when it expires) or ended (``sign-out``: that session's hash).
STAFF_SIGN_INS = """
    CREATE TABLE staff_sign_ins (
        id {id},
        staff TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('password', 'failed', 'session', 'sign-out')),
        secret TEXT,
        expires TEXT,
        at TEXT NOT NULL,
        clinician TEXT
    );
    CREATE INDEX staff_sign_ins_by_staff ON staff_sign_ins (staff, id);
    CREATE INDEX staff_sign_ins_by_secret ON staff_sign_ins (secret)
"""

_NEXT_DAYS = "SELECT id, session, date, pain, settled_hours FROM next_day WHERE patient = ? AND session IS NOT NULL"

#: What a stored JSON text holds, worked out by each database: ``none`` (no text, empty or ``null``), ``object``,
#: ``invalid`` (SQLite: not JSON), or another value. SQLite parses each text once (``json_valid``; valid JSON whose
#: first character is ``{`` is an object). PostgreSQL has no test that does not fail: its cast raises on a text that is
#: not JSON, and the store then reads the text itself (the statements ending ``_text``).
_JSON_STATE = {
    "sqlite": "CASE WHEN {c} IS NULL OR {c} IN ('', 'null') THEN 'none' WHEN NOT json_valid({c}) THEN 'invalid' "
    "WHEN ltrim({c}, ' ' || char(9, 10, 13)) GLOB '[{]*' THEN 'object' "
    "WHEN ltrim({c}, ' ' || char(9, 10, 13)) GLOB 'null*' THEN 'null' ELSE 'other' END",
    "postgresql": "CASE WHEN {c} IS NULL OR {c} IN ('', 'null') THEN 'none' ELSE json_typeof({c}::json) END",
}

#: Every session of the store for the clinic overview, ending with ``{state}`` (the decision record's JSON state,
#: or the record itself); a decision record's text only for the latest two sessions of each course.
_OVERVIEW_SESSIONS = (
    "SELECT patient, protocol, id, date, phase, status, pain_before, pain_after, decision, within_limits, "
    "CASE WHEN decision_detail IS NULL OR decision_detail IN ('', '{{}}', 'null') THEN 0 ELSE 1 END, "
    "CASE WHEN latest <= 2 THEN decision_detail END, clinician, started, {state} FROM (SELECT sessions.*, "
    "ROW_NUMBER() OVER (PARTITION BY patient, protocol ORDER BY id DESC) AS latest FROM sessions) AS numbered "
    "ORDER BY id"
)
#: A patient's sessions as the check of their record reads them, ending with ``{state}`` (as above).
_CHECK_SESSIONS = (
    "SELECT id, date, status, pain_before, pain_after, {state} FROM sessions WHERE patient = ? ORDER BY id"
)


class Statements:
    """The store's statements in one database's dialect (:data:`SQLITE`, :data:`POSTGRES`).

    A plain class rather than an attrs one: the store is imported by every command that reads it (``history`` takes
    about 70 ms), and generating the methods of a class of 36 fields would add a millisecond and more to each.
    """

    #: ``sqlite`` or ``postgresql``, as ``Store.backend`` names them.
    dialect: str
    #: The parameter placeholder of the database's driver.
    placeholder: str
    # --- patients
    add_patient: str
    set_surgery_date: str
    surgery_date: str
    has_patient: str
    # --- sessions and answers
    #: Returns the new session's id (in PostgreSQL as a row; sqlite3 gives it as ``lastrowid``).
    start_session: str
    add_answer: str
    set_pain_before: str
    set_pain_after: str
    finish_session: str
    answers: str
    #: A patient's part-way stops from a session on (parameters: the patient, the first session id).
    part_way_stops: str
    patient_sessions: str
    patient_sessions_last: str
    course_sessions_all: str
    course_sessions_last: str
    count_patient_sessions: str
    count_course_sessions: str
    #: (patient, protocol, after, then patient and protocol once for each latest session looked back for).
    course_sessions: str
    #: A patient's sessions still in progress, and marking one of them incomplete.
    unfinished_sessions: str
    mark_incomplete: str
    last_session_id: str
    session_before: str
    decision_detail: str
    session_patient: str
    protocols_of: str
    # --- measures and next-morning reports
    add_measure: str
    measures: str
    #: Every patient id, and a recorded id that differs from the one given only in case.
    patient_ids: str
    patient_other_case: str
    measure_bands: str
    add_next_day: str
    next_days: str
    # --- course events
    #: Returns the new event's id (as ``start_session``; so does every INSERT of a record, for its audit entry).
    add_event: str
    events: str
    # --- the staff register
    #: Returns the new change's id (as ``start_session``).
    add_staff_event: str
    staff_events: str
    # --- the audit trail (:mod:`rehabkit._sessions.audit`)
    #: The last entry's number and hash (found through the primary key, however long the trail).
    audit_head: str
    add_audit: str
    #: Every entry, a patient's entries, the entries since a time, each in order.
    audit_entries: str
    audit_of_patient: str
    audit_since: str
    #: An entry's content (verify reads it only for a record that differs).
    audit_content: str
    #: Whether the store holds any patient (migration 8 makes the store's key only then).
    has_patient_row: str
    patient_key_setting: str
    add_setting: str
    # --- a patient's erasure (:meth:`StoreQueries.erase_patient`), child rows first
    erase_answers: str
    erase_next_days: str
    erase_events: str
    erase_measures: str
    erase_surgery_dates: str
    erase_sessions: str
    erase_patient: str
    #: A person registered under the patient's id (a patient acting on their own course), and their changes.
    erase_staff_events: str
    erase_sign_ins: str
    add_sign_in: str
    sign_in_link: str
    sign_in_session: str
    sign_ins_of: str
    add_staff_sign_in: str
    staff_sign_ins_of: str
    staff_session: str
    staff_event_ids: str
    #: Every entry of the staff register's changes (which of them an erasure blanks: few, and erasures are rare).
    audit_of_staff_events: str
    blank_audit_entry: str
    #: The entries of a patient's records, and blanking their content and patient (digest and hash stay).
    audit_ids_of_patient: str
    blank_audit_of_patient: str
    # --- the whole clinic (one query per table, :meth:`overview`)
    overview_patients: str
    #: Ends with each decision record's JSON state, worked out by the database (:data:`_JSON_STATE`).
    overview_sessions: str
    #: :attr:`overview_sessions` ending with the decision record itself, for PostgreSQL to meet one that is not JSON.
    overview_sessions_text: str
    overview_events: str
    overview_next_days: str
    overview_measures: str
    #: The overview's statements for a range of patients (from, before or '' for no end, the same again).
    overview_patients_in: str
    overview_sessions_in: str
    overview_sessions_in_text: str
    overview_events_in: str
    overview_next_days_in: str
    overview_measures_in: str
    # --- a patient's whole record, checked before a command acts on it (``damaged_rows``)
    #: How many rows of each table (sessions, course events, next-morning reports, measures) name the patient.
    patient_rows: str
    #: Ends with each decision record's JSON state, as :attr:`overview_sessions`.
    check_sessions: str
    check_sessions_text: str

    def __init__(self, dialect: str, placeholder: str, texts: Mapping[str, str]) -> None:
        names = [name for name in Statements.__annotations__ if name not in ("dialect", "placeholder")]
        if sorted(texts) != sorted(names):
            raise ValueError(f"statements missing or unknown: {sorted(set(texts) ^ set(names))}")
        self.dialect = dialect
        self.placeholder = placeholder
        for name in names:
            setattr(self, name, texts[name])

    def next_days_about(self, count: int) -> str:
        """The next-morning reports about ``count`` sessions (parameters: the patient, then the session ids)."""
        marks = ", ".join([self.placeholder] * count)
        return f"{self.next_days_of_patient} AND session IN ({marks})"

    def row(self, table: str) -> str:
        """One row of a record table by its id (parameter: the id), every column."""
        if table not in RECORD_TABLES:
            raise ValueError(f"{table!r} is not a record table")
        return f"SELECT * FROM {table} WHERE id = {self.placeholder}"

    def rows(self, table: str) -> str:
        """Every row of a record table in id order, every column (migration 8's baseline)."""
        if table not in RECORD_TABLES:
            raise ValueError(f"{table!r} is not a record table")
        return f"SELECT * FROM {table} ORDER BY id"

    def of_patient(self, table: str) -> str:
        """A patient's rows of a record table in id order, every column (parameter: the patient id); an answer is a
        patient's through its session."""
        mark = self.placeholder
        if table == "patients":
            return f"SELECT * FROM patients WHERE id = {mark}"
        if table == "answers":
            return (
                f"SELECT answers.* FROM sessions JOIN answers ON answers.session = sessions.id "
                f"WHERE sessions.patient = {mark} ORDER BY answers.id"
            )
        if table not in RECORD_TABLES or table in STAFF_TABLES:
            raise ValueError(f"{table!r} holds no patient's rows")
        return f"SELECT * FROM {table} WHERE patient = {mark} ORDER BY id"

    def mentions(self, table: str, column: str) -> str:
        """How many rows of ``table`` hold a text in ``column``, in any case (parameter: a LIKE pattern, ``\\`` its
        escape): checking that an erasure left nothing of a patient. ``table`` and ``column`` are the store's own
        names, read from its schema."""
        return (
            f'SELECT count(*) FROM {table} WHERE lower(CAST("{column}" AS TEXT)) LIKE lower({self.placeholder}) '
            "ESCAPE '\\'"
        )

    @property
    def next_days_of_patient(self) -> str:
        """:attr:`next_days` without its order, to which :meth:`next_days_about` adds the sessions."""
        return self.next_days.removesuffix(" ORDER BY id")


#: The statements both databases read alike, with ``?`` for each parameter.
_PORTABLE: dict[str, str] = {
    "surgery_date": (
        "SELECT COALESCE((SELECT date FROM surgery_dates WHERE patient = ? ORDER BY id DESC LIMIT 1), surgery_date) "
        "FROM patients WHERE id = ?"
    ),
    "has_patient": "SELECT 1 FROM patients WHERE id = ?",
    "set_pain_before": "UPDATE sessions SET pain_before = ? WHERE id = ?",
    "set_pain_after": "UPDATE sessions SET pain_after = ? WHERE id = ?",
    "finish_session": (
        "UPDATE sessions SET finished = ?, status = ?, decision = ?, decision_detail = ?, within_limits = ? "
        "WHERE id = ?"
    ),
    "answers": "SELECT id, kind, key, value FROM answers WHERE session = ? ORDER BY id",
    "part_way_stops": (
        "SELECT a.session, a.key, a.value FROM answers a JOIN sessions s ON s.id = a.session "
        "WHERE s.patient = ? AND s.id >= ? AND a.kind = 'stopped-part-way' ORDER BY a.id"
    ),
    "patient_sessions": f"SELECT {SESSION_COLUMNS} FROM sessions WHERE patient = ? ORDER BY id",
    "patient_sessions_last": f"SELECT {SESSION_COLUMNS} FROM sessions WHERE patient = ? ORDER BY id DESC LIMIT ?",
    "course_sessions_all": f"SELECT {SESSION_COLUMNS} FROM sessions WHERE patient = ? AND protocol = ? ORDER BY id",
    "course_sessions_last": (
        f"SELECT {SESSION_COLUMNS} FROM sessions WHERE patient = ? AND protocol = ? ORDER BY id DESC LIMIT ?"
    ),
    "count_patient_sessions": "SELECT count(*) FROM sessions WHERE patient = ?",
    "count_course_sessions": "SELECT count(*) FROM sessions WHERE patient = ? AND protocol = ?",
    "course_sessions": (
        "SELECT id, date, phase, status, pain_before, pain_after, decision, decision_detail FROM sessions "
        f"WHERE {_COURSE} AND (id > ? OR {_LATEST_OF_COURSE}) ORDER BY id"
    ),
    "unfinished_sessions": "SELECT id FROM sessions WHERE patient = ? AND status = 'in-progress' ORDER BY id",
    "mark_incomplete": "UPDATE sessions SET status = 'incomplete' WHERE id = ? AND status = 'in-progress'",
    "last_session_id": "SELECT max(id) FROM sessions WHERE patient = ?",
    "session_before": (
        f"SELECT {SESSION_COLUMNS} FROM sessions WHERE patient = ? AND date < ? "
        "AND status IN ('complete', 'stopped') ORDER BY id DESC LIMIT 1"
    ),
    "decision_detail": "SELECT decision_detail FROM sessions WHERE id = ?",
    "session_patient": "SELECT patient FROM sessions WHERE id = ?",
    "protocols_of": ("SELECT protocol, max(id) FROM sessions WHERE patient = ? GROUP BY protocol ORDER BY max(id)"),
    "measures": ("SELECT id, measure, value, date FROM measures WHERE patient = ? ORDER BY date, id"),
    "measure_bands": "SELECT band FROM measures WHERE patient = ? ORDER BY date, id",
    "patient_ids": "SELECT id FROM patients ORDER BY id",
    "patient_other_case": "SELECT id FROM patients WHERE lower(id) = lower(?) AND id <> ? LIMIT 1",
    "next_days": _NEXT_DAYS + " ORDER BY id",
    "events": (
        'SELECT id, patient, protocol, kind, date, phase, "by", after_session, detail, at, clinician '
        "FROM course_events WHERE patient = ? ORDER BY id"
    ),
    "staff_events": (
        "SELECT id, staff, action, roles, name, os_user, db_role, at, actor, account FROM staff_events ORDER BY id"
    ),
    "audit_head": "SELECT id, hash FROM audit WHERE id = (SELECT max(id) FROM audit)",
    "add_audit": (
        "INSERT INTO audit (id, at, actor, account, action, tbl, record, patient, content, digest, prev, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ),
    "audit_entries": f"SELECT {AUDIT_COLUMNS} FROM audit ORDER BY id",
    "audit_of_patient": f"SELECT {AUDIT_COLUMNS} FROM audit WHERE patient = ? ORDER BY id",
    "audit_since": f"SELECT {AUDIT_COLUMNS} FROM audit WHERE at >= ? ORDER BY id",
    "audit_content": "SELECT content FROM audit WHERE id = ?",
    "has_patient_row": "SELECT 1 FROM patients LIMIT 1",
    "patient_key_setting": "SELECT value FROM settings WHERE key = ?",
    "erase_answers": "DELETE FROM answers WHERE session IN (SELECT id FROM sessions WHERE patient = ?)",
    "erase_next_days": "DELETE FROM next_day WHERE patient = ?",
    "erase_events": "DELETE FROM course_events WHERE patient = ?",
    "erase_measures": "DELETE FROM measures WHERE patient = ?",
    "erase_surgery_dates": "DELETE FROM surgery_dates WHERE patient = ?",
    "erase_sessions": "DELETE FROM sessions WHERE patient = ?",
    "erase_patient": "DELETE FROM patients WHERE id = ?",
    "erase_staff_events": "DELETE FROM staff_events WHERE staff = ?",
    "erase_sign_ins": "DELETE FROM sign_ins WHERE patient = ?",
    # A link's rows (made, used, revoked) by its hashed token; a web session's exchange by its hashed cookie.
    "sign_in_link": "SELECT id, patient, kind, expires FROM sign_ins WHERE token = ? ORDER BY id",
    "sign_ins_of": "SELECT kind, token FROM sign_ins WHERE patient = ? ORDER BY id",
    "sign_in_session": (
        "SELECT e.patient, e.expires, e.token FROM sign_ins AS e WHERE e.session = ? AND e.kind = 'exchange' "
        "AND NOT EXISTS (SELECT 1 FROM sign_ins AS r WHERE r.token = e.token AND r.kind = 'revoke')"
    ),
    # A person's passwords, refusals and web sessions; a staff web session by its hashed cookie, unless ended.
    "staff_sign_ins_of": "SELECT kind, secret, expires, at FROM staff_sign_ins WHERE staff = ? ORDER BY id",
    "staff_session": (
        "SELECT s.staff, s.expires FROM staff_sign_ins AS s WHERE s.secret = ? AND s.kind = 'session' "
        "AND NOT EXISTS (SELECT 1 FROM staff_sign_ins AS o WHERE o.secret = s.secret AND o.kind = 'sign-out')"
    ),
    "staff_event_ids": "SELECT id FROM staff_events WHERE staff = ? ORDER BY id",
    "audit_of_staff_events": "SELECT id, record FROM audit WHERE tbl = 'staff_events' ORDER BY id",
    "blank_audit_entry": "UPDATE audit SET content = NULL, patient = NULL WHERE id = ?",
    "audit_ids_of_patient": "SELECT id FROM audit WHERE patient = ? ORDER BY id",
    "blank_audit_of_patient": "UPDATE audit SET content = NULL, patient = NULL WHERE patient = ?",
    "overview_patients": (
        "SELECT id, COALESCE((SELECT s.date FROM surgery_dates AS s WHERE s.patient = patients.id "
        "ORDER BY s.id DESC LIMIT 1), surgery_date) FROM patients"
    ),
    "overview_sessions_text": _OVERVIEW_SESSIONS.format(state="decision_detail"),
    "overview_events": (
        'SELECT id, patient, protocol, kind, date, phase, "by", after_session, detail, at, clinician '
        "FROM course_events ORDER BY id"
    ),
    "overview_next_days": (
        "SELECT id, patient, session, date, pain, settled_hours FROM next_day WHERE session IS NOT NULL ORDER BY id"
    ),
    "overview_measures": "SELECT id, patient, measure, value, date FROM measures ORDER BY date, id",
    "patient_rows": (
        "SELECT (SELECT count(*) FROM sessions WHERE patient = ?), "
        "(SELECT count(*) FROM course_events WHERE patient = ?), "
        "(SELECT count(*) FROM next_day WHERE patient = ?), (SELECT count(*) FROM measures WHERE patient = ?)"
    ),
    "check_sessions_text": _CHECK_SESSIONS.format(state="decision_detail"),
}

_START_SESSION = (
    "INSERT INTO sessions (patient, protocol, version, phase, started, status, date, clinician) "
    "VALUES (?, ?, ?, ?, ?, 'in-progress', ?, ?)"
)
_ADD_SURGERY_DATE = "INSERT INTO surgery_dates (patient, date, replaces, day, at, clinician) VALUES (?, ?, ?, ?, ?, ?)"
_ADD_STAFF_EVENT = (
    "INSERT INTO staff_events (staff, action, roles, name, os_user, db_role, at, actor, account) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_ADD_SIGN_IN = (
    "INSERT INTO sign_ins (patient, kind, token, session, expires, at, clinician) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_ADD_STAFF_SIGN_IN = (
    "INSERT INTO staff_sign_ins (staff, kind, secret, expires, at, clinician) VALUES (?, ?, ?, ?, ?, ?)"
)
_ADD_ANSWER = "INSERT INTO answers (session, kind, key, value, at) VALUES (?, ?, ?, ?, ?)"
_ADD_MEASURE = (
    "INSERT INTO measures (patient, measure, value, unit, band, answers, at, date, clinician) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_ADD_NEXT_DAY = (
    "INSERT INTO next_day (patient, session, pain, at, date, settled_hours, clinician) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_ADD_EVENT = (
    'INSERT INTO course_events (patient, protocol, kind, date, phase, "by", after_session, detail, at, clinician) '
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)

#: The statements each database writes its own way.
_OWN: dict[str, dict[str, str]] = {
    "sqlite": {
        "add_patient": "INSERT OR IGNORE INTO patients (id, created) VALUES (?, ?)",
        "start_session": _START_SESSION,
        "set_surgery_date": _ADD_SURGERY_DATE,
        "add_staff_event": _ADD_STAFF_EVENT,
        "add_event": _ADD_EVENT,
        "add_answer": _ADD_ANSWER,
        "add_sign_in": _ADD_SIGN_IN,
        "add_staff_sign_in": _ADD_STAFF_SIGN_IN,
        "add_measure": _ADD_MEASURE,
        "add_next_day": _ADD_NEXT_DAY,
        "add_setting": "INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)",
    },
    "postgresql": {
        "add_patient": "INSERT INTO patients (id, created) VALUES (?, ?) ON CONFLICT DO NOTHING",
        "start_session": _START_SESSION + " RETURNING id",
        "set_surgery_date": _ADD_SURGERY_DATE + " RETURNING id",
        "add_staff_event": _ADD_STAFF_EVENT + " RETURNING id",
        "add_event": _ADD_EVENT + " RETURNING id",
        "add_answer": _ADD_ANSWER + " RETURNING id",
        "add_sign_in": _ADD_SIGN_IN + " RETURNING id",
        "add_staff_sign_in": _ADD_STAFF_SIGN_IN + " RETURNING id",
        "add_measure": _ADD_MEASURE + " RETURNING id",
        "add_next_day": _ADD_NEXT_DAY + " RETURNING id",
        "add_setting": "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING",
    },
}


def _with_json_state(dialect: str) -> dict[str, str]:
    """The statements that ask the database what a stored JSON text holds, in its own words."""
    state = _JSON_STATE[dialect].replace("{c}", "decision_detail")
    return {
        "overview_sessions": _OVERVIEW_SESSIONS.format(state=state),
        "check_sessions": _CHECK_SESSIONS.format(state=state),
    }


#: Where each overview statement reads its rows from, and that text with the patients limited to a range: ids from
#: the first parameter on, and before the second unless it is empty (the clinic reads a large store in parts).
_RANGES = {
    "overview_patients": ("FROM patients", "FROM patients WHERE {range}"),
    "overview_sessions": ("FROM sessions)", "FROM sessions WHERE {range})"),
    "overview_sessions_text": ("FROM sessions)", "FROM sessions WHERE {range})"),
    "overview_events": ("FROM course_events ", "FROM course_events WHERE {range} "),
    "overview_next_days": ("WHERE session IS NOT NULL", "WHERE session IS NOT NULL AND {range}"),
    "overview_measures": ("FROM measures ", "FROM measures WHERE {range} "),
}


def _in_range(texts: dict[str, str]) -> dict[str, str]:
    """The overview's statements for a range of patients (``NAME_in``, ``overview_sessions_in_text``; see
    :data:`_RANGES`)."""
    ranged = {}
    for name, (plain, limited) in _RANGES.items():
        column = "id" if name == "overview_patients" else "patient"
        where = f"{column} >= ? AND (? = '' OR {column} < ?)"
        assert texts[name].count(plain) == 1, name
        ranged[name.replace("_text", "") + "_in" + ("_text" if name.endswith("_text") else "")] = texts[name].replace(
            plain, limited.format(range=where)
        )
    return ranged


def _statements(dialect: str, placeholder: str) -> Statements:
    texts = {**_PORTABLE, **_OWN[dialect], **_with_json_state(dialect)}
    texts.update(_in_range(texts))
    if any("%" in text for text in texts.values()):
        raise ValueError("a statement holds a literal '%'")  # psycopg would read it as a placeholder
    return Statements(dialect, placeholder, {name: text.replace("?", placeholder) for name, text in texts.items()})


#: The statements run on a SQLite store (sqlite3's ``?`` placeholders).
SQLITE = _statements("sqlite", "?")
#: The statements run on a PostgreSQL store (psycopg's ``%s`` placeholders).
POSTGRES = _statements("postgresql", "%s")
