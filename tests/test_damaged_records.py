"""Damaged data never takes everyone down (issue 25): a stored row rehabkit cannot read is named and set aside.

Each store is built by the real command over dated days, then damaged by SQL from outside rehabkit, as a mistaken
hand edit, a faulty migration script or a bad restore would. What a user then sees is checked: ``rehabkit clinic``
shows every other patient and lists the damaged rows under their own heading (and in its JSON), and every command on
the damaged patient's course refuses with exit 10 naming the row and what to do, records nothing, and never prints a
traceback; the other patients' commands work as before. On SQLite, and on a real PostgreSQL server.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from rehabkit.cli import main

from conftest import signed_in

START = datetime.date(2026, 1, 5)
DAMAGED = 10  # ExitCode.DAMAGED_RECORD
TABLES = ("patients", "sessions", "answers", "course_events", "next_day", "measures")
CALM = {"screening": {"all": False}, "pain_before": 2, "exercises": {"all": 1}, "pain_after": 2, "new_symptom": False}


def day(n: int) -> str:
    return (START + datetime.timedelta(days=n)).isoformat()


def _invoke(*args: str):
    """``rehabkit ARGS`` in-process, without any REHABKIT_* setting of the developer's."""
    unset = {key: None for key in os.environ if key.startswith("REHABKIT_")}
    signed_in(args, None)
    return CliRunner().invoke(main, list(args), env=unset, catch_exceptions=False)


def _answers(folder: Path, name: str, **changes) -> str:
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump({**CALM, **changes}))
    return str(path)


def build_clinic(db: str, folder: Path) -> None:
    """Three patients of neck-pain over dated days, through the real command: A and C exercise calmly; B exercises,
    is paused by a red flag on day 3, reviewed (resume) by a clinician the same day, exercises again, reports the next
    morning and scores a measure, so that B's record holds a row of every kind."""
    calm, flag = _answers(folder, "calm"), _answers(folder, "flag", screening={"all": False, "spreading-pain": True})
    for patient in ("A", "B", "C"):
        approve = ("approve", patient, "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1")
        assert _invoke(*approve, "--db", db, "--date", day(0)).exit_code == 0
    for n in (1, 2):
        for patient in ("A", "B", "C"):
            result = _invoke("run", "neck-pain", "--patient", patient, "--answers", calm, "--db", db, "--date", day(n))
            assert result.exit_code == 0, result.output
    assert _invoke("run", "neck-pain", "--patient", "B", "--answers", flag, "--db", db, "--date", day(3)).exit_code == 4
    review = ("review", "B", "--clinician", "PT-1", "--outcome", "resume", "--note", "spreading pain: not radicular")
    assert _invoke(*review, "--db", db, "--date", day(3)).exit_code == 0
    assert _invoke("run", "neck-pain", "--patient", "B", "--answers", calm, "--db", db, "--date", day(4)).exit_code == 0
    assert _invoke("next-day", "B", "--pain", "2", "--db", db, "--date", day(5)).exit_code == 0
    assert _invoke("measure", "B", "nprs", "--score", "pain=2", "--db", db, "--date", day(5)).exit_code == 0


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SQLite store of :func:`build_clinic`, built once; each test damages a copy of its own."""
    folder = tmp_path_factory.mktemp("built")
    db = folder / "clinic.sqlite3"
    build_clinic(str(db), folder)
    with sqlite3.connect(db) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db


@pytest.fixture
def store(built: Path, tmp_path: Path) -> str:
    """A copy of the built store, for one test to damage."""
    target = tmp_path / "store.sqlite3"
    shutil.copy(built, target)
    return str(target)


def _sql(db: str, *statements: str) -> None:
    """Damage the store from outside rehabkit, as a SQL shell that first drops the triggers refusing it would (a
    store never changes in place through them: docs/security.md)."""
    connection = sqlite3.connect(db, isolation_level=None)
    guards = connection.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%never%'")
    for (name,) in guards.fetchall():
        connection.execute(f'DROP TRIGGER "{name}"')
    for statement in statements:
        connection.execute(statement)
    connection.close()


def _one(db: str, query: str) -> object:
    with sqlite3.connect(db) as connection:
        return connection.execute(query).fetchone()[0]


def _counts(db: str) -> dict[str, int]:
    with sqlite3.connect(db) as connection:
        return {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES}


B_SESSION = "(SELECT min(id) FROM sessions WHERE patient = 'B')"
B_LAST_SESSION = "(SELECT max(id) FROM sessions WHERE patient = 'B')"


def _event(kind: str) -> str:
    return f"(SELECT min(id) FROM course_events WHERE patient = 'B' AND kind = '{kind}')"


#: (what was done by SQL, the table, the query giving the damaged row's id, words of what the message says is wrong).
DAMAGES = {
    "session-date-not-a-date": (
        [f"UPDATE sessions SET date = '2026-13-45' WHERE id = {B_SESSION}"],
        "sessions",
        B_SESSION,
        "its date '2026-13-45' is not a calendar date (YYYY-MM-DD)",
    ),
    "session-date-null": (
        [f"UPDATE sessions SET date = NULL WHERE id = {B_LAST_SESSION}"],
        "sessions",
        B_LAST_SESSION,
        "its date is missing",
    ),
    "approval-detail-an-array": (
        [f"UPDATE course_events SET detail = '[]' WHERE id = {_event('approval')}"],
        "course_events",
        _event("approval"),
        "its detail is an array, not a JSON object",
    ),
    "phase-entry-detail-not-json": (
        [f"UPDATE course_events SET detail = 'reason: start' WHERE id = {_event('enter-phase')}"],
        "course_events",
        _event("enter-phase"),
        "its detail is not JSON",
    ),
    "approval-value-not-a-boolean": (
        [
            f"""UPDATE course_events SET detail = '{{"kind": "clinician-approval", "value": "yes"}}'
            WHERE id = {_event("approval")}"""
        ],
        "course_events",
        _event("approval"),
        "its detail does not say whether the clinician-approval was given or withdrawn (value: true or false)",
    ),
    "pause-action-missing": (
        [f"""UPDATE course_events SET detail = '{{"cause": "screening"}}' WHERE id = {_event("pause")}"""],
        "course_events",
        _event("pause"),
        "its detail does not say what the pause asks for",
    ),
    "review-outcome-unknown": (
        [f"""UPDATE course_events SET detail = '{{"outcome": "maybe"}}' WHERE id = {_event("review")}"""],
        "course_events",
        _event("review"),
        "its detail's review outcome 'maybe' is not one of resume, earlier-phase, discharge, refer",
    ),
    "event-date-not-a-date": (
        [f"UPDATE course_events SET date = '2026-02-30' WHERE id = {_event('review')}"],
        "course_events",
        _event("review"),
        "its date '2026-02-30' is not a calendar date",
    ),
    "event-kind-unknown": (
        [
            "PRAGMA ignore_check_constraints = ON",
            f"UPDATE course_events SET kind = 'pardon' WHERE id = {_event('pause')}",
        ],
        "course_events",
        _event("pause"),
        "its kind 'pardon' is not one of enter-phase, pause, review, approval",
    ),
    "event-after-session-text": (
        [f"UPDATE course_events SET after_session = 'the third' WHERE id = {_event('review')}"],
        "course_events",
        _event("review"),
        "its after_session 'the third' is not a session id",
    ),
    "decision-detail-not-json": (
        [f"UPDATE sessions SET decision_detail = '{{\"reasons\": [' WHERE id = {B_SESSION}"],
        "sessions",
        B_SESSION,
        "its decision record (decision_detail) is not JSON",
    ),
    "pain-after-text": (
        [f"UPDATE sessions SET pain_after = 'seven' WHERE id = {B_SESSION}"],
        "sessions",
        B_SESSION,
        "pain_after 'seven' is not a pain score from 0 to 10",
    ),
    "pain-before-out-of-range": (
        [f"UPDATE sessions SET pain_before = 99 WHERE id = {B_LAST_SESSION}"],
        "sessions",
        B_LAST_SESSION,
        "pain_before 99.0 is not a pain score from 0 to 10",
    ),
    "pain-after-negative": (
        [f"UPDATE sessions SET pain_after = -1 WHERE id = {B_LAST_SESSION}"],
        "sessions",
        B_LAST_SESSION,
        "pain_after -1.0 is not a pain score from 0 to 10",
    ),
    "status-unknown": (
        ["PRAGMA ignore_check_constraints = ON", f"UPDATE sessions SET status = 'paused' WHERE id = {B_SESSION}"],
        "sessions",
        B_SESSION,
        "its status 'paused' is not one of in-progress, complete, incomplete, stopped",
    ),
    "next-morning-date": (
        ["UPDATE next_day SET date = 'tomorrow' WHERE patient = 'B'"],
        "next_day",
        "(SELECT id FROM next_day WHERE patient = 'B')",
        "its date 'tomorrow' is not a calendar date",
    ),
    "next-morning-pain-out-of-range": (
        ["PRAGMA ignore_check_constraints = ON", "UPDATE next_day SET pain = 11 WHERE patient = 'B'"],
        "next_day",
        "(SELECT id FROM next_day WHERE patient = 'B')",
        "pain 11.0 is not a pain score from 0 to 10",
    ),
    "measure-date": (
        ["UPDATE measures SET date = '2026-99-01' WHERE patient = 'B'"],
        "measures",
        "(SELECT id FROM measures WHERE patient = 'B')",
        "its date '2026-99-01' is not a calendar date",
    ),
    "measure-value-text": (
        ["UPDATE measures SET value = 'two' WHERE patient = 'B'"],
        "measures",
        "(SELECT id FROM measures WHERE patient = 'B')",
        "its value 'two' is not a number",
    ),
    "surgery-date": (
        ["UPDATE patients SET surgery_date = 'last spring' WHERE id = 'B'"],
        "patients",
        "'B'",
        "its surgery date 'last spring' is not a calendar date",
    ),
    "patient-row-deleted": (
        ["PRAGMA foreign_keys = OFF", "DELETE FROM patients WHERE id = 'B'"],
        "patients",
        "'B'",
        "missing: the patient's row is gone, yet other rows still name the patient (4 in sessions",
    ),
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_one_damaged_row_sets_its_patient_aside_and_everyone_else_is_seen(cli, store, damage) -> None:
    statements, table, row_query, words = DAMAGES[damage]
    row = _one(store, f"SELECT {row_query}")
    _sql(store, *statements)
    named = f"{table} row {row}: "
    # the clinic: every other patient as usual, the damaged rows under their own heading, exit 0
    text = cli("clinic", "--db", store, "--date", day(20))
    assert text.exit_code == 0, text.output
    assert "Traceback" not in text.output and "internal error" not in text.output
    assert "Damaged records need attention" in text.stdout and f"  - B: {named}{words}" in text.stdout, text.stdout
    assert "A  neck-pain" in text.stdout and "C  neck-pain" in text.stdout  # no session for 18 days: listed
    report = json.loads(cli("clinic", "--db", store, "--date", day(20), "--format", "json").stdout)
    assert {c["patient"] for c in report["courses"]} == {"A", "C"} and report["patients_considered"] == 3
    (listed,) = report["damaged_records"]
    assert (listed["patient"], listed["table"], listed["row"]) == ("B", table, row) and words in listed["problem"]
    assert "restore it from a backup" in listed["what_to_do"]
    # B's commands refuse, naming the row and what to do, and record nothing
    before = _counts(store)
    for args in (
        ("history", "B"),
        ("run", "neck-pain", "--patient", "B", "--answers", _answers(Path(store).parent, "calm"), "--date", day(6)),
    ):
        refused = cli(*args, "--db", store)
        assert refused.exit_code == DAMAGED, (args, refused.output)
        assert "the stored record of B cannot be read" in refused.stderr and f"  - {named}{words}" in refused.stderr
        assert "What to do: Correct each row named" in refused.stderr and "Traceback" not in refused.output
    assert _counts(store) == before
    # A's course goes on as before
    calm = _answers(Path(store).parent, "calm")
    assert cli("run", "neck-pain", "--patient", "A", "--answers", calm, "--db", store, "--date", day(6)).exit_code == 0
    assert cli("history", "A", "--db", store).exit_code == 0


#: Every command that acts on one patient's course, for patient P (its output files under OUT).
PATIENT_COMMANDS = [
    ("run", "neck-pain", "--patient", "{P}", "--answers", "{calm}", "--date", day(6)),
    ("run", "neck-pain", "--patient", "{P}", "--plan", "--date", day(6)),
    ("history", "{P}"),
    ("history", "{P}", "--all", "--format", "json"),
    ("report", "{P}", "-o", "{out}/report.html", "--date", day(6)),
    ("export", "--patient", "{P}", "--fhir", "r5", "-o", "{out}/course.json", "--date", day(6)),
    ("handout", "--patient", "{P}", "-o", "{out}/handout.html", "--date", day(6)),
    ("calendar", "{P}", "-o", "{out}/plan.ics", "--date", day(6)),
    ("next-day", "{P}", "--pain", "2", "--date", "{morning}"),
    ("measure", "{P}", "nprs", "--score", "pain=2", "--date", day(6)),
    ("approve", "{P}", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1", "--date", day(6)),
    ("review", "{P}", "--clinician", "PT-1", "--outcome", "discharge", "--date", day(6)),
]


def _command(args: tuple[str, ...], patient: str, folder: Path) -> list[str]:
    calm = _answers(folder, "calm")
    (folder / f"out-{patient}").mkdir(exist_ok=True)
    morning = day(5) if patient == "B" else day(3)  # the morning after the patient's latest session before it
    return [part.format(P=patient, calm=calm, out=folder / f"out-{patient}", morning=morning) for part in args]


def test_every_command_on_a_damaged_course_refuses_with_exit_10_and_records_nothing(cli, store, tmp_path) -> None:
    row = _one(store, f"SELECT {B_SESSION}")
    _sql(store, f"UPDATE sessions SET date = '2026-13-45' WHERE id = {row}")
    before = _counts(store)
    for args in PATIENT_COMMANDS:
        result = cli(*_command(args, "B", tmp_path), "--db", store)
        assert result.exit_code == DAMAGED, (args, result.output)
        assert f"sessions row {row}: its date '2026-13-45' is not a calendar date" in result.stderr, args
        assert "Traceback" not in result.output and "internal error" not in result.output
    assert _counts(store) == before
    assert not any((tmp_path / "out-B").iterdir())  # no file written
    # the same commands for an undamaged patient in the same store work as before
    for args in PATIENT_COMMANDS:
        result = cli(*_command(args, "C", tmp_path), "--db", store)
        assert result.exit_code in (0, 4), (args, result.output)  # 4: C's morning report asks for nothing
    assert _counts(store)["sessions"] == before["sessions"] + 1


def test_a_damaged_answer_stops_the_export_that_reads_it(cli, store, tmp_path) -> None:
    """A session's answers are read by an export only (no course, history or clinic reads them): an answer that is not
    JSON is named when the export reads it, exit 10, and no file is written; what does not read answers goes on."""
    session = _one(store, f"SELECT {B_SESSION}")
    answer = _one(store, f"SELECT min(id) FROM answers WHERE session = {session}")
    _sql(store, f"UPDATE answers SET value = 'yes' WHERE id = {answer}")
    output = tmp_path / "course.json"
    export = cli("export", "--patient", "B", "--fhir", "r5", "-o", str(output), "--db", store, "--date", day(6))
    assert export.exit_code == DAMAGED and not output.exists(), export.output
    assert f"  - answers row {answer}: its value (an answer of session {session}) is not JSON" in export.stderr
    assert "the stored record of B cannot be read" in export.stderr and "Traceback" not in export.output
    assert cli("history", "B", "--db", store).exit_code == 0
    assert cli("export", "--patient", "A", "--fhir", "r5", "--db", store, "--date", day(6)).exit_code == 0


def test_a_refusal_is_a_json_object_under_format_json_and_names_every_damaged_row(cli, store) -> None:
    first, last = _one(store, f"SELECT {B_SESSION}"), _one(store, f"SELECT {B_LAST_SESSION}")
    _sql(
        store,
        f"UPDATE sessions SET pain_after = 'seven' WHERE id = {first}",
        f"UPDATE sessions SET decision_detail = 'oops' WHERE id = {last}",
    )
    result = cli("history", "B", "--db", store, "--format", "json")
    assert result.exit_code == DAMAGED
    refusal = json.loads(result.stdout)
    assert (refusal["patient"], refusal["refused"], refusal["status"]) == ("B", "damaged-record", "damaged")
    assert [(d["table"], d["row"]) for d in refusal["damaged"]] == [("sessions", first), ("sessions", last)]
    assert f"  - sessions row {last}: its decision record (decision_detail) is not JSON" in result.stderr


def test_a_damaged_value_never_reaches_the_terminal_raw(cli, store) -> None:
    _sql(store, f"UPDATE sessions SET date = '2026-01-0' || char(27) || '[2J' WHERE id = {B_SESSION}")
    for args in (("history", "B"), ("clinic", "--date", day(20))):
        result = cli(*args, "--db", store)
        assert "\x1b" not in result.output and "\\x1b[2J" in result.output, result.output


def test_rows_read_as_far_as_they_go_where_no_decision_rests_on_them(cli, store) -> None:
    """Only what a decision rests on is strict: a detail without its display fields (a phase entry's reason, a
    pause's reasons and messages, a review's note) still reads, as a detail from an older release does."""
    _sql(
        store,
        f"UPDATE course_events SET detail = '{{}}' WHERE id = {_event('enter-phase')}",
        f"""UPDATE course_events SET detail = '{{"action": "stop-and-review"}}' WHERE id = {_event("pause")}""",
        f"""UPDATE course_events SET detail = '{{"outcome": "resume"}}' WHERE id = {_event("review")}""",
    )
    assert cli("history", "B", "--db", store).exit_code == 0
    report = json.loads(cli("clinic", "--db", store, "--date", day(20), "--format", "json").stdout)
    assert report["damaged_records"] == [] and "B" in {c["patient"] for c in report["courses"]}


def test_the_clinic_lists_a_damaged_patient_whatever_since_says(cli, store) -> None:
    _sql(store, f"UPDATE sessions SET date = '2026-13-45' WHERE id = {B_SESSION}")
    report = json.loads(cli("clinic", "--db", store, "--date", day(20), "--since", day(19), "--format", "json").stdout)
    assert report["courses"] == [] and [d["patient"] for d in report["damaged_records"]] == ["B"]
    text = cli("clinic", "--db", store, "--date", day(20), "--since", day(19)).stdout
    assert text.startswith("The audit trail does not verify: the triggers")  # the SQL that damaged it dropped them
    text = "".join(line for line in text.splitlines(True) if not line.startswith("The audit trail"))
    assert text.startswith("1 of 1 patients with records since") and "  - B: sessions row" in text


def test_a_damaged_record_through_the_real_command(rehabkit, store) -> None:
    """The console command in its own process: exit 10, never a traceback, the others untouched."""
    _sql(store, "UPDATE course_events SET detail = '[]' WHERE patient = 'B' AND kind = 'approval'")
    clinic = rehabkit("clinic", "--db", store, "--date", day(20))
    assert clinic.returncode == 0 and "A  neck-pain" in clinic.stdout and "  - B: course_events row" in clinic.stdout
    refused = rehabkit("run", "neck-pain", "--patient", "B", "--plan", "--db", store, "--date", day(6))
    assert refused.returncode == DAMAGED and "Traceback" not in refused.stderr
    assert "its detail is an array, not a JSON object" in refused.stderr
    assert rehabkit("run", "neck-pain", "--patient", "A", "--plan", "--db", store, "--date", day(6)).returncode == 0


def test_damaged_rows_on_postgresql(cli, pg_url, tmp_path) -> None:
    """Text in a numeric column is impossible on PostgreSQL; a date that is not a date, a decision record or detail
    that is not JSON (the database's own JSON check fails on it: the store reads the text itself) and a patient's row
    deleted without its sessions (triggers off, as a restore with session_replication_role = replica does) are not."""
    import psycopg

    build_clinic(pg_url, tmp_path)
    with psycopg.connect(pg_url, autocommit=True) as db:
        db.execute("SET session_replication_role = replica")  # the superuser, past the triggers that refuse edits
        first = db.execute("SELECT min(id) FROM sessions WHERE patient = 'B'").fetchone()[0]
        db.execute("UPDATE sessions SET decision_detail = '{\"reasons\": [' WHERE id = %s", (first,))
        db.execute("UPDATE sessions SET date = '2026-13-45' WHERE patient = 'C' AND id = %s", (first + 1,))
        db.execute("SET session_replication_role = replica")
        db.execute("DELETE FROM patients WHERE id = 'A'")
        counts = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    report = json.loads(cli("clinic", "--db", pg_url, "--date", day(20), "--format", "json").stdout)
    damaged = {(d["patient"], d["table"]) for d in report["damaged_records"]}
    assert damaged == {("A", "patients"), ("B", "sessions"), ("C", "sessions")}, report
    assert report["courses"] == [] and report["patients_considered"] == 3
    for patient, words in (
        ("A", "patients row A: missing"),
        ("B", f"sessions row {first}: its decision record (decision_detail) is not JSON"),
        ("C", "its date '2026-13-45' is not a calendar date"),
    ):
        result = cli("run", "neck-pain", "--patient", patient, "--plan", "--db", pg_url, "--date", day(6))
        assert result.exit_code == DAMAGED and words in result.stderr, result.output
        history = cli("history", patient, "--db", pg_url)
        assert history.exit_code == DAMAGED and words in history.stderr
    with psycopg.connect(pg_url, autocommit=True) as db:
        assert {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES} == counts
    approve = ("approve", "D", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1", "--date", day(5))
    assert cli(*approve, "--db", pg_url).exit_code == 0  # a new patient is not held up by the others' damage
    calm = _answers(tmp_path, "calm")
    assert cli("run", "neck-pain", "--patient", "D", "--answers", calm, "--db", pg_url, "--date", day(6)).exit_code == 0


@pytest.mark.parametrize("damage", [None, "patient-row-deleted", "decision-detail-not-json", "surgery-date"])
def test_the_clinic_read_a_patient_at_a_time_says_what_it_says_read_whole(cli, store, damage, monkeypatch) -> None:
    """The clinic reads a large store a part at a time (rehabkit._sessions.clinic.PART patients), so that its memory
    does not grow with the store: with parts of one patient, the ranking, the count and the damaged rows are those of
    one part holding every patient (a patient's row deleted puts their rows in a neighbour's part)."""
    from rehabkit._sessions import clinic

    if damage is not None:
        _sql(store, *DAMAGES[damage][0])
    reports = []
    for part in (1, 1000):
        monkeypatch.setattr(clinic, "PART", part)
        result = cli("clinic", "--db", store, "--date", day(20), "--format", "json")
        assert result.exit_code == 0, result.output
        reports.append(json.loads(result.stdout))
    assert reports[0] == reports[1] and reports[0]["patients_considered"] == 3
