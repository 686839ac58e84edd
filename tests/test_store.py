"""The session store on SQLite and on PostgreSQL: versioned schema, every answer durable at once.

Tests taking ``store_db`` run twice, on a new SQLite file and on a new database of the throwaway
PostgreSQL server (tests/pg_server.py); the SQLite file format's own migrations are tested on SQLite,
the PostgreSQL-only behaviour in tests/test_pg_store.py."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest

from rehabkit._sessions.backends import open_store
from rehabkit._sessions.store import MIGRATIONS, Store, StoreError, default_db_path
from rehabkit.engine.events import Approval


def test_default_path_follows_env_and_xdg(tmp_path) -> None:
    assert default_db_path({"REHABKIT_DB": str(tmp_path / "x.db")}) == tmp_path / "x.db"
    assert default_db_path({"XDG_DATA_HOME": str(tmp_path)}) == tmp_path / "rehabkit" / "rehabkit.sqlite3"
    assert default_db_path({"HOME": str(tmp_path)}) == tmp_path / ".local" / "share" / "rehabkit" / "rehabkit.sqlite3"


def test_new_file_gets_the_current_schema(tmp_path) -> None:
    with Store(tmp_path / "deep" / "s.db") as store:
        assert store.schema_version == len(MIGRATIONS)
        assert set(store.iter_tables()) >= {"patients", "sessions", "answers", "measures", "next_day"}


def test_a_new_store_gets_the_current_schema_on_either_database(store_db) -> None:
    with open_store(store_db) as store:
        assert store.schema_version == len(MIGRATIONS)
        assert set(store.iter_tables()) >= {"patients", "sessions", "answers", "measures", "next_day"}


def _set_schema_version(location: str, version: int) -> None:
    if location.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(location, autocommit=True) as connection:
            connection.execute("UPDATE rehabkit_schema SET version = %s", (version,))
        return
    db = sqlite3.connect(location)
    db.execute(f"PRAGMA user_version = {version}")
    db.close()


def test_a_newer_schema_is_refused_with_advice(store_db) -> None:
    open_store(store_db).close()
    _set_schema_version(store_db, len(MIGRATIONS) + 1)
    with pytest.raises(StoreError, match=r"newer than this rehabkit understands.*upgrade rehabkit"):
        open_store(store_db)


def test_unopenable_file_names_the_file(tmp_path) -> None:
    (tmp_path / "not-a-db").write_text("this is not sqlite " * 100)
    with pytest.raises(StoreError, match=r"cannot open the session store .*not-a-db.*--db or REHABKIT_DB"):
        Store(tmp_path / "not-a-db")


def test_patient_ids_are_pseudonymous_codes(store_db) -> None:
    with open_store(store_db) as store:
        store.ensure_patient("P-0042")
        with pytest.raises(StoreError, match="never a name"):
            store.ensure_patient("Jane Doe")


def test_session_answers_and_decision_round_trip(store_db) -> None:
    with open_store(store_db) as store:
        session = store.start_session("P1", "neck-pain", "2.0.0", "acute")
        store.record_answer(session, "screening", "numbness-weakness", False)
        store.record_answer(session, "pain-before", "pain", 3)
        store.record_answer(session, "pain-during", "chin-tuck", 4)
        store.record_answer(session, "pain-after", "pain", 2)
        store.finish_session(session, "complete", "continue", {"rule": "pain-during-acceptable"})
        (record,) = store.sessions("P1")
        assert (record.status, record.pain_before, record.pain_after, record.decision) == ("complete", 3, 2, "continue")
        assert record.decision_detail == {"rule": "pain-during-acceptable"}
        assert store.answers(session)[0] == ("screening", "numbness-weakness", False)


def test_answers_survive_a_killed_process(store_db) -> None:
    path = store_db
    script = (
        "import os, sys\n"
        "from rehabkit._sessions.backends import open_store\n"
        f"s = open_store({str(path)!r})\n"
        "n = s.start_session('P1', 'neck-pain', '2.0.0', 'acute')\n"
        "s.record_answer(n, 'pain-before', 'pain', 5)\n"
        "s.record_answer(n, 'pain-during', 'chin-tuck', 6)\n"
        "os._exit(9)  # no close, no cleanup: as if the machine lost power to this process\n"
    )
    result = subprocess.run([sys.executable, "-c", script], env={**os.environ}, capture_output=True, text=True)
    assert result.returncode == 9, result.stderr
    with open_store(path) as store:
        (record,) = store.sessions("P1")
        assert record.status == "in-progress" and record.pain_before == 5
        assert [key for _, key, _ in store.answers(record.id)] == ["pain", "chin-tuck"]
        assert store.mark_unfinished_incomplete("P1") == 1
        assert store.sessions("P1")[0].status == "incomplete"


def test_measures_and_next_day_pain_are_dated(store_db) -> None:
    import datetime

    day = datetime.date(2026, 11, 2)
    with open_store(store_db) as store:
        store.record_measure("P1", "odi", 40.0, "%", "moderate disability", {"walking": 2}, datetime.date(2026, 11, 1))
        store.record_measure("P1", "odi", 32.0, "%", "moderate disability", {"walking": 1}, day)
        assert store.latest_measures("P1") == {"odi": 32.0}
        assert store.measures("P1") == [("odi", 40.0, "2026-11-01"), ("odi", 32.0, "2026-11-02")]
        assert store.session_before("P1", day) is None  # nothing for a next-morning report to follow
        session = store.start_session("P1", "neck-pain", "2.0.0", "acute", day)
        store.finish_session(session, "complete", "continue")
        assert store.session_before("P1", day) is None  # the same day is not "the morning after"
        after = store.session_before("P1", day + datetime.timedelta(days=1))
        assert after is not None and after.id == session and after.date == day
        store.record_next_day("P1", session, 3, day + datetime.timedelta(days=1), settled_hours=4)
        assert store.next_days("P1") == [(session, "2026-11-03", 3, 4)]


def test_a_version_1_file_is_migrated_in_place_keeping_its_data(tmp_path) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])
    db.execute("PRAGMA user_version = 1")
    db.execute("INSERT INTO patients (id, created) VALUES ('P1', '2026-01-01T00:00:00+00:00')")
    db.commit()
    db.close()
    with Store(path) as store:
        assert store.schema_version == len(MIGRATIONS) >= 3
        assert store.has_patient("P1")


def test_a_version_2_course_becomes_dated_events_and_old_approvals_open_no_gate(tmp_path) -> None:
    path = tmp_path / "v2.db"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])
    db.executescript(MIGRATIONS[1])
    db.execute("PRAGMA user_version = 2")
    db.execute("INSERT INTO patients (id, created) VALUES ('P1', '2026-01-01T00:00:00+00:00')")
    db.execute(
        "INSERT INTO phases (patient, protocol, phase, reason, at) "
        "VALUES ('P1', 'neck-pain', 'acute', 'start of the protocol', '2026-01-02T09:00:00+00:00')"
    )
    db.execute(
        "INSERT INTO sessions (patient, protocol, version, phase, started, status, decision, pain_before) "
        "VALUES ('P1', 'neck-pain', '2.0.0', 'acute', '2026-01-02T09:00:05+00:00', 'complete', 'progress', 2)"
    )
    db.execute(
        "INSERT INTO phases (patient, protocol, phase, reason, at) "
        "VALUES ('P1', 'neck-pain', 'recovery', 'exit met', '2026-01-02T09:10:00+00:00')"
    )
    db.execute(
        "INSERT INTO approvals (patient, kind, value, at) "
        "VALUES ('P1', 'clinician-approval', 1, '2026-01-02T08:00:00+00:00')"
    )
    db.execute(
        "INSERT INTO measures (patient, measure, value, unit, answers, at) "
        "VALUES ('P1', 'ndi', 10, 'points', '{}', '2026-01-03T10:00:00+00:00')"
    )
    db.commit()
    db.close()
    with Store(path) as store:
        assert store.schema_version == len(MIGRATIONS)
        (session,) = store.sessions("P1")
        assert session.date.isoformat() == "2026-01-02"
        events = [(e.kind, e.phase, e.after_session, e.detail) for e in store.events("P1")]
        assert events == [
            ("enter-phase", "acute", 0, {"reason": "start of the protocol"}),
            ("enter-phase", "recovery", session.id, {"reason": "exit met"}),
            ("approval", None, 0, {"kind": "clinician-approval", "value": True, "legacy": True}),
        ]
        assert store.measures("P1") == [("ndi", 10.0, "2026-01-03")]
        assert "phases" not in set(store.iter_tables()) and "approvals" not in set(store.iter_tables())


def test_every_query_a_course_command_runs_uses_an_index(cli, tmp_path, monkeypatch) -> None:
    """The store's queries, traced while real commands run a course, each find a patient's rows by an index."""
    import sqlite3 as real_sqlite3

    import yaml

    from rehabkit._sessions import store as store_module

    statements: list[str] = []
    connect = real_sqlite3.connect

    def traced_connect(*args, **kwargs):
        connection = connect(*args, **kwargs)
        connection.set_trace_callback(statements.append)
        return connection

    db = str(tmp_path / "s.db")
    answers = tmp_path / "a.yaml"
    answers.write_text(
        yaml.safe_dump(
            {
                "screening": {"all": False},
                "pain_before": 2,
                "exercises": {"all": 1},
                "pain_after": 2,
                "new_symptom": False,
            }
        )
    )
    # A store with other patients in it, so that a scan would have something to scan.
    for other in ("Q-1", "Q-2"):
        assert (
            cli(
                "approve",
                other,
                "--protocol",
                "neck-pain",
                "--phase",
                "acute",
                "--by",
                "PT-1",
                "--db",
                db,
                "--date",
                "2026-11-01",
            ).exit_code
            == 0
        )
    monkeypatch.setattr(store_module.sqlite3, "connect", traced_connect)
    steps = [
        ("approve", "P-1", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1", "--date", "2026-11-01"),
        ("run", "neck-pain", "--patient", "P-1", "--answers", str(answers), "--date", "2026-11-02"),
        ("next-day", "P-1", "--pain", "2", "--date", "2026-11-03"),
        ("measure", "P-1", "nprs", "--score", "pain=2", "--date", "2026-11-03"),
        ("run", "neck-pain", "--patient", "P-1", "--plan", "--date", "2026-11-03"),
        ("run", "neck-pain", "--patient", "P-1", "--answers", str(answers), "--date", "2026-11-03"),
        ("history", "P-1"),
        ("review", "P-1", "--clinician", "PT-1", "--outcome", "resume", "--date", "2026-11-03"),
    ]
    for step in steps:
        result = cli(*step, "--db", db)
        assert result.exit_code == 0, (step, result.output)
    monkeypatch.undo()
    queries = sorted(
        {
            s
            for s in statements
            if s.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")) and "sqlite_master" not in s
        }
    )
    assert len(queries) >= 8
    # Read only when a patient is first recorded (once a patient): the recorded ids, for an id that looks like one.
    new_patient_only = ("SELECT id FROM patients ORDER BY id", "SELECT id FROM patients WHERE lower(id) = lower(")
    with real_sqlite3.connect(db) as connection:
        for query in [q for q in queries if not q.startswith(new_patient_only)]:
            plan = [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {query}")]
            scans = [step for step in plan if step.startswith("SCAN") and "CONSTANT ROW" not in step]
            # The staff register is read whole (a clinic's staff, not its patients' records), once a command; the
            # patients' ids (their primary key's index, no record) only when a new patient's record is started.
            wholes = (["SCAN staff_events"], ["SCAN patients USING COVERING INDEX sqlite_autoindex_patients_1"])
            assert not scans or scans in wholes, (query, plan)


def test_a_stored_decision_record_is_decoded_only_when_read() -> None:
    """One lazy decoder (StoredDetail) serves every reader: the engine, history, the clinic overview."""
    from rehabkit.engine.records import StoredDetail  # also rehabkit.engine.stored_session.StoredDetail

    # within_limits from its column and presence from the query: answered without decoding (this text would not decode)
    detail = StoredDetail("not JSON", within_limits=0, present=True)
    assert detail and "within_limits" in detail and detail["within_limits"] is False
    with pytest.raises(ValueError):
        dict(detail)
    fetched: list[int] = []

    def fetch(session: int) -> str:
        fetched.append(session)
        return '{"doses": {"chin-tuck": {"step": 2}}, "within_limits": true}'

    older = StoredDetail(None, within_limits=1, present=True, fetch=fetch, session=7)
    assert older["within_limits"] is True and not fetched  # the column answers
    assert older["doses"] == {"chin-tuck": {"step": 2}} and len(older) == 2 and fetched == [7]
    assert older.stored == {"doses": {"chin-tuck": {"step": 2}}, "within_limits": True} and fetched == [7]
    # no record reads as empty; a record that is not a JSON object is damaged, named, never read as empty (issue 25)
    assert StoredDetail("{}").stored == {} and not StoredDetail("null") and StoredDetail("null").stored is None
    from rehabkit._common.errors import DamagedRecord

    for text in ("[1, 2]", "not JSON"):
        with pytest.raises(DamagedRecord) as damaged:
            dict(StoredDetail(text, session=7, patient="P1"))
        assert (damaged.value.table, damaged.value.row, damaged.value.patient) == ("sessions", 7, "P1")


def test_a_session_is_the_engines_record_with_its_decision_record_as_stored(store_db) -> None:
    import datetime

    from rehabkit.engine import PastSession

    day = datetime.date(2026, 11, 2)
    with open_store(store_db, clinician="PT-1") as store:
        first = store.start_session("P1", "neck-pain", "2.0.0", "acute", day)
        store.record_answer(first, "pain-before", "pain", 3)
        store.finish_session(first, "incomplete")
        second = store.start_session("P1", "neck-pain", "2.0.0", "acute", day)
        store.finish_session(second, "complete", "continue", {})
        third = store.start_session("P1", "neck-pain", "2.0.0", "acute", day)
        store.finish_session(third, "complete", "continue", {"within_limits": True, "doses": {}})
        records = store.sessions("P1")
        assert all(type(r) is PastSession for r in records)
        assert [(r.id, r.date, r.patient, r.protocol, r.version, r.clinician) for r in records] == [
            (n, day, "P1", "neck-pain", "2.0.0", "PT-1") for n in (first, second, third)
        ]
        assert [r.decision_detail for r in records] == [None, {}, {"within_limits": True, "doses": {}}]
        assert [bool(r.detail) for r in records] == [False, False, True]
        assert records[0].pain_before == 3 and records[0].started and records[2].finished
        assert store.sessions("P1", "neck-pain", last=1) == records[2:]
        course = store.course_sessions("P1", "neck-pain", None)
        assert [(s.id, s.date, s.status, dict(s.detail)) for s in course] == [
            (third, day, "complete", {"within_limits": True, "doses": {}})
        ]


def test_the_overview_gives_typed_rows_and_reads_an_older_record_when_asked(store_db) -> None:
    import datetime

    from rehabkit._sessions.store_api import EventRecord, MeasureRow, NextDayRow, PatientRow
    from rehabkit.engine import PastSession

    day = datetime.date(2026, 11, 2)
    with open_store(store_db, clinician="PT-2") as store:
        store.ensure_patient("P1", surgery_date="2026-10-01")
        approval = {"kind": "clinician-approval", "value": True}
        store.add_event("P1", "approval", day, protocol="neck-pain", phase="acute", by="DR-1", detail=approval)
        ids = []
        for n in range(3):
            ids.append(store.start_session("P1", "neck-pain", "2.0.0", "acute", day + datetime.timedelta(days=n)))
            store.finish_session(ids[-1], "complete", "continue", {"within_limits": n != 1, "n": n})
        store.record_next_day("P1", ids[-1], 2, day + datetime.timedelta(days=3), settled_hours=1)
        store.record_measure("P1", "ndi", 12, "points", None, {}, day)
        overview = store.overview()
    assert overview.patients == [PatientRow("P1", "2026-10-01")]
    assert all(type(s) is PastSession for s in overview.sessions)
    assert [(s.id, s.patient, s.protocol, s.clinician, s.date) for s in overview.sessions] == [
        (sid, "P1", "neck-pain", "PT-2", day + datetime.timedelta(days=n)) for n, sid in enumerate(ids)
    ]
    oldest = overview.sessions[0].detail  # not among the latest two: its text is read from the store when needed
    assert oldest["within_limits"] is True
    assert overview.sessions[1].detail["within_limits"] is False
    (event,) = overview.events
    assert type(event) is EventRecord and (event.kind, event.by, event.clinician) == ("approval", "DR-1", "PT-2")
    assert event.course_event().date == day and event.course_event().detail == Approval("clinician-approval", True)
    assert overview.next_days == [NextDayRow("P1", ids[-1], "2026-11-05", 2, 1)]
    assert overview.measures == [MeasureRow("P1", "ndi", 12, "2026-11-02")]
    with open_store(store_db) as store:  # the store is open again for the older record
        older = store.overview().sessions[0].detail
        assert older["n"] == 0 and older.stored == {"within_limits": True, "n": 0}


def test_each_database_runs_statements_written_for_it() -> None:
    """One set of query methods; the statements differ only in the placeholder and in those written twice: adding
    what may exist already, every INSERT of a record (its new id, for its audit entry), and the two that ask the
    database whether a decision record is a JSON object."""
    from rehabkit._sessions.statements import POSTGRES, SQLITE, Statements

    inserts = {"start_session", "add_event", "set_surgery_date", "add_staff_event", "add_answer", "add_measure",
               "add_sign_in", "add_staff_sign_in"}  # fmt: skip
    own = {"add_patient", "add_setting", "add_next_day", *inserts}
    json_state = {"overview_sessions", "overview_sessions_in", "check_sessions"}
    names = [name for name in Statements.__annotations__ if name not in ("dialect", "placeholder")]
    assert len(names) > 30 and (SQLITE.dialect, POSTGRES.dialect) == ("sqlite", "postgresql")
    for name in names:
        lite, pg = getattr(SQLITE, name), getattr(POSTGRES, name)
        assert "%s" not in lite and "?" not in pg, name
        assert lite.count("?") == pg.count("%s"), name
        if name not in own | json_state:
            assert lite.replace("?", "%s") == pg, name
    assert SQLITE.add_patient.startswith("INSERT OR IGNORE") and POSTGRES.add_patient.endswith("ON CONFLICT DO NOTHING")
    assert all(getattr(POSTGRES, name).endswith("RETURNING id") for name in own - {"add_patient", "add_setting"})
    assert '"by"' in SQLITE.events and '"by"' in POSTGRES.add_event
    assert SQLITE.next_days_about(2).endswith("session IN (?, ?)")
    assert POSTGRES.next_days_about(2).endswith("session IN (%s, %s)")
    assert "json_valid" in SQLITE.check_sessions and "::json" in POSTGRES.check_sessions


def test_both_stores_have_every_method_of_the_session_store_protocol() -> None:
    import inspect

    from rehabkit._sessions.pg_store import PgStore
    from rehabkit._sessions.store_api import SessionStore

    methods = {
        name
        for name, value in vars(SessionStore).items()
        if inspect.isfunction(value) and (not name.startswith("__") or name in ("__enter__", "__exit__"))
    }
    properties = {name for name, value in vars(SessionStore).items() if isinstance(value, property)}
    assert {"sessions", "course_sessions", "overview", "patient_lock", "__enter__"} <= methods
    assert properties == {"path", "schema_version"}
    assert set(SessionStore.__annotations__) == {"backend", "clinician", "account"}
    assert {"audit_entries", "patient_rows", "record_export", "erase_patient", "mentions"} <= methods
    for cls in (Store, PgStore):
        assert cls.backend in ("sqlite", "postgresql")
        assert cls.account is None  # until the actor's account or login is set
        assert isinstance(vars(cls)["schema_version"], property)
        for name in sorted(methods):
            wanted = inspect.signature(getattr(SessionStore, name)).parameters
            assert list(inspect.signature(getattr(cls, name)).parameters) == list(wanted), (cls, name)


def test_the_stores_quick_way_of_making_a_session_makes_the_same_record() -> None:
    import datetime

    import attrs

    from rehabkit.engine.stored_session import STORED_FIELDS, PastSession, StoredDetail, stored_session

    values = (7, datetime.date(2026, 11, 2), "acute", "complete", 2.0, 1.0, "continue", StoredDetail('{"a": 1}'))
    values += ("P1", "neck-pain", "2.0.0", "2026-11-02T09:00:00+00:00", None, "PT-1")
    quick, slow = stored_session(*values), PastSession(*values)
    assert quick == slow and repr(quick) == repr(slow) and attrs.asdict(quick) == attrs.asdict(slow)
    assert [field.name for field in attrs.fields(PastSession)][: len(STORED_FIELDS)] == list(STORED_FIELDS)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        quick.status = "stopped"
    assert attrs.evolve(quick, next_morning=3.0).next_morning == 3.0 and quick.next_morning is None
