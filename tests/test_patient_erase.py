"""A patient's own data (issue 25): 'patient export' gives everything held on them, 'patient erase' removes it.

Through the real commands, on SQLite and on PostgreSQL (``store_db``): the export holds every row of every table
that is the patient's, and their audit entries, in a file only its owner can read, and is itself an audit entry;
after an erasure no table and no column holds the id (nor, on SQLite, the file's bytes), the other patients are as
they were, and 'audit verify' still passes, with a tombstone that names the patient only by a keyed hash.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from test_audit import _answers

from rehabkit._sessions.backends import open_store

from conftest import sign_in
from fhir_check import check

PATIENT, OTHER = "P-1", "P-2"


def _courses(cli, db: str, tmp_path: Path) -> None:
    """P-1 in two protocols (sessions, answers, a pause and a review, a next morning, a measure, a surgery date, a
    sign-in link);
    P-2 in one."""
    calm, urgent = _answers(tmp_path, "calm"), _answers(tmp_path, "urgent", **{"numbness-weakness": True})
    steps = [
        (
            ("approve", PATIENT, "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1", "--date", "2026-11-01"),
            0,
        ),
        (("run", "neck-pain", "--patient", PATIENT, "--answers", calm, "--date", "2026-11-02"), 0),
        (("next-day", PATIENT, "--pain", "2", "--date", "2026-11-03"), 0),
        (("measure", PATIENT, "nprs", "--score", "pain=2", "--date", "2026-11-03"), 0),
        (("run", "neck-pain", "--patient", PATIENT, "--answers", urgent, "--date", "2026-11-04"), 5),
        (
            ("review", PATIENT, "--clinician", "PT-2", "--outcome", "resume", "--note", "seen", "--date", "2026-11-05"),
            0,
        ),
        (
            (
                "approve",
                PATIENT,
                "--protocol",
                "post-surgical-lumbar",
                "--phase",
                "acute",
                "--kind",
                "surgeon-clearance",
                "--by",
                "DR-3",
                "--surgery-date",
                "2026-10-01",
                "--date",
                "2026-11-05",
            ),
            0,
        ),
        (("approve", OTHER, "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1", "--date", "2026-11-01"), 0),
        (("run", "neck-pain", "--patient", OTHER, "--answers", calm, "--date", "2026-11-02"), 0),
        # a sign-in link for P-1's own pages (rehabkit serve)
        (("staff", "add", PATIENT, "--role", "patient"), 0),
        (("invite", PATIENT), 0),
    ]
    for args, code in steps:
        if args[0] in ("review", "staff", "invite"):
            result = cli(*args, "--db", db)
        else:
            result = cli(*args, "--db", db, "--clinician", "PT-1")
        assert result.exit_code == code, (args, result.output)


def _connect(db: str):
    if db.startswith("postgresql://"):
        import psycopg

        return psycopg.connect(db, autocommit=True)
    return sqlite3.connect(db)


def _everything(db: str) -> dict[str, list[dict[str, object]]]:
    """Every row of every table of the store, read with plain SQL (not rehabkit's)."""
    connection = _connect(db)
    try:
        if db.startswith("postgresql://"):
            query = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        else:
            query = "SELECT name FROM sqlite_master WHERE type = 'table'"
        tables = [name for (name,) in connection.execute(query).fetchall()]
        found = {}
        for table in tables:
            cursor = connection.execute(f"SELECT * FROM {table}")
            names = [d[0] for d in cursor.description]
            found[table] = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        return found
    finally:
        connection.close()


def _holding(db: str, text: str) -> list[tuple[str, str]]:
    """Every (table, column) where a value holds ``text``, anywhere in it."""
    return sorted(
        {
            (table, column)
            for table, rows in _everything(db).items()
            for row in rows
            for column, value in row.items()
            if text in str(value)
        }
    )


def test_erase_removes_every_row_of_the_patient_and_the_trail_still_verifies(cli, store_db, tmp_path) -> None:
    _courses(cli, store_db, tmp_path)
    sign_in(store_db, "PT-9")  # the admin who erases
    before = _everything(store_db)
    other_history = cli("history", OTHER, "--db", store_db, "--format", "json").stdout
    assert _holding(store_db, PATIENT)  # the patient is everywhere before ...
    result = cli("patient", "erase", PATIENT, "--reason", "asked by the patient in writing", "--yes", "--db", store_db,
                 "--clinician", "PT-9")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Erased {PATIENT}: ") and "Tombstone: audit entry" in result.stdout
    assert _holding(store_db, PATIENT) == []  # ... and nowhere after: no table, no column
    with open_store(store_db, create=False) as store:
        assert store.mentions(PATIENT) == []
    if not store_db.startswith("postgresql://"):
        for path in Path(store_db).parent.glob(Path(store_db).name + "*"):
            if path.is_file():
                assert PATIENT.encode() not in path.read_bytes(), path  # not in a freed page or the log either
    verified = cli("audit", "verify", "--db", store_db)
    assert verified.exit_code == 0, verified.output
    after = _everything(store_db)
    assert cli("history", OTHER, "--db", store_db, "--format", "json").stdout == other_history
    assert len(after["sessions"]) == 1 and len(after["audit"]) == len(before["audit"]) + 1
    entries = json.loads(cli("audit", "show", "--format", "json", "--content", "--db", store_db).stdout)
    tombstone = entries[-1]
    assert tombstone["action"] == "erase" and tombstone["actor"] == "PT-9" and tombstone["patient"] is None
    assert tombstone["content"]["reason"] == "asked by the patient in writing"
    assert tombstone["content"]["rows"]["sessions"] == 2 and tombstone["content"]["rows"]["surgery_dates"] == 1
    blanked = [e for e in entries if e["id"] in tombstone["content"]["entries"]]
    assert blanked and all(e["content"] is None and e["patient"] is None and e["digest"] for e in blanked)
    assert cli("history", PATIENT, "--db", store_db).exit_code == 1


def test_a_row_of_an_erased_patient_put_back_by_sql_is_found(cli, store_db, tmp_path) -> None:
    _courses(cli, store_db, tmp_path)
    assert cli("patient", "erase", PATIENT, "--reason", "asked", "--yes", "--db", store_db).exit_code == 0
    connection = _connect(store_db)
    try:
        connection.execute(f"INSERT INTO patients (id, created) VALUES ('{PATIENT}', '2026-11-01T00:00:00+00:00')")
        connection.commit()
    finally:
        connection.close()
    result = cli("audit", "verify", "--db", store_db)
    assert result.exit_code == 1 and f"patients {PATIENT}: present again after its erasure" in result.stdout


def test_export_holds_every_row_of_the_patient_in_every_table_and_is_an_entry(cli, store_db, tmp_path) -> None:
    _courses(cli, store_db, tmp_path)
    everything = _everything(store_db)
    sessions = {row["id"] for row in everything["sessions"] if row["patient"] == PATIENT}
    expected = {
        table: sorted(
            json.dumps(row, sort_keys=True, default=str)
            for row in rows
            if (row.get("patient") == PATIENT or row.get("session") in sessions or row.get("id") == PATIENT)
            and not (table == "next_day" and row.get("patient") != PATIENT)
        )
        for table, rows in everything.items()
        if table not in ("audit", "settings", "staff_events", "staff_sign_ins", "rehabkit_schema")
    }
    output = tmp_path / "P-1.json"
    result = cli("patient", "export", PATIENT, "-o", str(output), "--db", store_db, "--clinician", "PT-3")
    assert result.exit_code == 0, result.output
    assert output.stat().st_mode & 0o777 == 0o600
    exported = json.loads(output.read_text())
    assert exported["format"] == "rehabkit-patient-export/1" and exported["patient"] == PATIENT
    got = {
        table: sorted(json.dumps(row, sort_keys=True, default=str) for row in rows)
        for table, rows in exported["records"].items()
    }
    assert got == expected
    assert all(got[table] for table in expected)  # every table holds something of P-1
    audit = [e for e in everything["audit"] if e["patient"] == PATIENT]
    assert [e["id"] for e in exported["audit"]] == sorted(e["id"] for e in audit)
    assert all(e["content"] for e in exported["audit"])
    assert OTHER not in output.read_text()
    last = json.loads(cli("audit", "show", "--format", "json", "--content", "--db", store_db).stdout)[-1]
    assert (last["action"], last["patient"], last["actor"]) == ("export", PATIENT, "PT-3")
    assert last["content"]["format"] == "json" and last["content"]["rows"]["sessions"] == 2
    assert cli("audit", "verify", "--db", store_db).exit_code == 0


@pytest.mark.parametrize("version", ["r4b", "r5"])
def test_the_fhir_export_holds_every_course_of_the_patient(cli, tmp_path, version) -> None:
    pytest.importorskip("fhirpathpy", reason="the FHIR checks need fhirpathpy (pip install -e '.[test]')")
    db = str(tmp_path / "s.db")
    _courses(cli, db, tmp_path)
    output = tmp_path / "P-1.fhir.json"
    result = cli("patient", "export", PATIENT, "--format", "fhir", "--fhir", version, "-o", str(output), "--db", db)
    assert result.exit_code == 0, result.output
    bundle = json.loads(output.read_text())
    plans = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "CarePlan"]
    assert len(plans) == 2  # neck-pain and post-surgical-lumbar
    assert check(bundle, version).errors == ()
    assert output.stat().st_mode & 0o777 == 0o600
    course = tmp_path / "course.fhir.json"  # one course, 'rehabkit export --patient': an export too
    assert cli("export", "--patient", PATIENT, "--protocol", "neck-pain", "--fhir", version, "-o", str(course),
               "--db", db).exit_code == 0  # fmt: skip
    entries = json.loads(cli("audit", "show", "--format", "json", "--content", "--db", db).stdout)
    assert [(e["action"], e["patient"], e["content"]["format"]) for e in entries[-2:]] == [
        ("export", PATIENT, f"fhir-{version}"),
        ("export", PATIENT, f"fhir-{version}"),
    ]
    assert entries[-1]["content"]["protocol"].startswith("neck-pain@")


def test_erase_refuses_what_it_cannot_do_and_erases_nothing(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    _courses(cli, db, tmp_path)
    before = _everything(db)
    unknown = cli("patient", "erase", "P-404", "--reason", "asked", "--yes", "--db", db)
    assert unknown.exit_code == 1 and "holds nothing of patient 'P-404'" in unknown.stderr
    named = cli("patient", "erase", PATIENT, "--reason", f"asked by {PATIENT.lower()}", "--yes", "--db", db)
    assert named.exit_code == 2 and "the reason names the patient" in named.output
    unconfirmed = cli("patient", "erase", PATIENT, "--reason", "asked", "--db", db)
    assert unconfirmed.exit_code == 2 and "give --yes" in unconfirmed.output
    assert cli("patient", "export", "P-404", "-o", str(tmp_path / "x.json"), "--db", db).exit_code == 1
    assert not (tmp_path / "x.json").exists()
    assert _everything(db) == before


def test_at_a_terminal_erase_asks_for_the_id_typed_out(cli, tmp_path) -> None:
    import sys

    import pexpect

    from conftest import REPO, SCREEN_WAIT, clean_env

    db = str(tmp_path / "s.db")
    _courses(cli, db, tmp_path)
    for typed, code, history in (("P-2", 1, 0), (PATIENT, 0, 1)):  # history: 0 still there, 1 erased
        child = pexpect.spawn(
            sys.executable,
            ["-m", "rehabkit", "patient", "erase", PATIENT, "--reason", "asked", "--db", db],
            cwd=str(REPO),
            env=clean_env(),
            encoding="utf-8",
            timeout=SCREEN_WAIT,
        )
        child.expect(f"Type {PATIENT} to erase every record of it")
        child.sendline(typed)
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == code, child.before
        assert cli("history", PATIENT, "--db", db).exit_code == history


def test_a_patient_who_acted_on_their_own_course_is_erased_whole(cli, store_db, tmp_path) -> None:
    """A patient registered to act on their own course (under their own id) records their own sessions: the trail
    names them as the patient, never by the id in a hashed field, and an erasure takes their registration too."""
    import datetime

    from rehabkit._sessions.store_api import StaffChange

    _courses(cli, store_db, tmp_path)
    with open_store(store_db, create=False, clinician="PT-1") as store:
        store.add_staff_event(StaffChange(PATIENT, "add", ("patient",), os_user="home-laptop", actor="PT-1"))
    with open_store(store_db, create=False, clinician=PATIENT) as store:
        store.account = "home-laptop"
        session = store.start_session(PATIENT, "neck-pain", "2.1.0", "acute", datetime.date(2026, 11, 6))
        store.record_answer(session, "pain-before", "pain", 1)
        mine = [e for e in store.audit_entries(patient=PATIENT) if e.account == "home-laptop"]
    assert len(mine) == 3 and {e.actor for e in mine} == {"(the patient)"}
    result = cli("patient", "erase", PATIENT, "--reason", "asked", "--yes", "--db", store_db)
    assert result.exit_code == 0 and "warning" not in result.stderr, result.output
    assert _holding(store_db, PATIENT) == []
    assert cli("audit", "verify", "--db", store_db).exit_code == 0
