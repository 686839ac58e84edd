"""The tamper-evident audit trail (issue 25), through the real commands, on SQLite and on PostgreSQL (``store_db``).

Every write through rehabkit is an audit entry chained by hash; the triggers refuse changing a record in place; a
store changed by SQL (by someone who drops the triggers first, as an attacker would) is caught by 'audit verify',
which names the record and the columns, or the audit entry where the chain breaks. An upgraded store verifies, its
older records marked as unverified history; a copy verifies as its source does; writers in several processes never
fork the chain; a staff login granted by rehabkit cannot change a finished record nor the trail.
"""

from __future__ import annotations

import datetime
import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from rehabkit._sessions.backends import open_store

from conftest import REPO, clean_env

URGENT = "numbness-weakness"  # neck-pain's red flag that refers urgently (exit 5)


def _answers(tmp_path: Path, name: str, **screening: bool) -> str:
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "screening": {"all": False, **screening},
                "pain_before": 2,
                "exercises": {"all": 1},
                "pain_after": 2,
                "new_symptom": False,
            }
        )
    )
    return str(path)


def _course(cli, db: str, tmp_path: Path) -> dict[str, int]:
    """P-1: an approval, a calm session, and an urgent referral (a stopped session, its screening answers, a pause);
    P-2: an approval. Returns the ids a tamperer aims at."""
    calm, urgent = _answers(tmp_path, "calm"), _answers(tmp_path, "urgent", **{URGENT: True})
    steps = [
        (("approve", "P-1", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1"), 0),
        (("run", "neck-pain", "--patient", "P-1", "--answers", calm, "--date", "2026-11-02"), 0),
        (("run", "neck-pain", "--patient", "P-1", "--answers", urgent, "--date", "2026-11-03"), 5),
        (("approve", "P-2", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1"), 0),
    ]
    for args, code in steps:
        result = cli(*args, "--date", "2026-11-01", "--db", db) if args[0] == "approve" else cli(*args, "--db", db)
        assert result.exit_code == code, (args, result.output)
    with open_store(db, create=False) as store:
        calm_session, stopped = (s.id for s in store.sessions("P-1"))
        (pause,) = (e.id for e in store.events("P-1") if e.kind == "pause")
        flagged = store._db.execute(f"SELECT id FROM answers WHERE session = {stopped} ORDER BY id").fetchall()
    return {"calm": calm_session, "stopped": stopped, "pause": pause, "answer": flagged[0][0]}


def _sql(db: str, *statements: str) -> None:
    """Run SQL on the store as someone at a SQL shell would: no rehabkit, each statement committed."""
    if db.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(db, autocommit=True) as connection:
            for statement in statements:
                connection.execute(statement)
        return
    connection = sqlite3.connect(db, isolation_level=None)
    try:
        for statement in statements:
            connection.execute(statement)
    finally:
        connection.close()


def _unguarded(db: str, *tables: str) -> list[str]:
    """What an attacker runs first: the refusing triggers dropped (SQLite) or disabled (PostgreSQL, as the owner)."""
    if db.startswith("postgresql://"):
        return [f"ALTER TABLE {table} DISABLE TRIGGER USER" for table in tables]
    return [f"DROP TRIGGER {table}_never_{what}" for table in tables for what in ("updated", "deleted")]


def _verify(cli, db: str, *more: str):
    return cli("audit", "verify", "--db", db, *more)


def test_every_write_of_a_course_is_an_entry_and_the_store_verifies(cli, store_db, tmp_path) -> None:
    _course(cli, store_db, tmp_path)
    assert cli("review", "P-1", "--clinician", "PT-2", "--outcome", "resume", "--note", "seen", "--date",
               "2026-11-04", "--db", store_db).exit_code == 0  # fmt: skip
    assert cli("next-day", "P-2", "--pain", "1", "--db", store_db).exit_code == 1  # no session: nothing written
    result = _verify(cli, store_db)
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"Audit trail verified: \d+ entries; \d+ records match their latest entries\. "
                        r"Chain head: [0-9a-f]{64}\n", result.stdout), result.stdout  # fmt: skip
    with open_store(store_db, create=False) as store:
        entries = store.audit_entries()
        rows = sum(len(found) for found in store.patient_rows("P-1").values())
        rows += sum(len(found) for found in store.patient_rows("P-2").values())
    inserted = {(e.tbl, e.record) for e in entries if e.action == "insert" and e.tbl != "staff_events"}
    assert len(inserted) == rows  # every row has its insert entry (and the staff register's changes theirs)
    assert [e.id for e in entries] == list(range(1, len(entries) + 1))
    review = [e for e in entries if e.tbl == "course_events" and e.content and '"kind":"review"' in e.content]
    assert review and review[0].actor == "PT-2"
    report = json.loads(_verify(cli, store_db, "--format", "json").stdout)
    assert report["verified"] and report["findings"] == [] and report["entries"] == len(entries)
    assert report["head"] == entries[-1].hash


REFUSED = [
    "UPDATE sessions SET pain_before = 0 WHERE id = {calm}",
    "UPDATE sessions SET status = 'complete' WHERE id = {stopped}",
    "DELETE FROM course_events WHERE id = {pause}",
    "DELETE FROM answers WHERE id = {answer}",
    "UPDATE patients SET surgery_date = '2026-01-01' WHERE id = 'P-1'",
    "UPDATE audit SET actor = 'DR-3' WHERE id = 1",
    "DELETE FROM audit WHERE id = 1",
    "DELETE FROM settings",
]


def test_the_triggers_refuse_changing_a_record_by_plain_sql(cli, store_db, tmp_path) -> None:
    ids = _course(cli, store_db, tmp_path)
    for statement in REFUSED:
        with pytest.raises(Exception, match="never changed in place") as caught:
            _sql(store_db, statement.format(**ids))
        assert "rows are never changed in place" in str(caught.value), statement
    assert _verify(cli, store_db).exit_code == 0


# Each tampering by SQL (triggers out of the way first), and what 'audit verify' must say of it.
TAMPERING = {
    "a pain value changed": (
        ["sessions"],
        ["UPDATE sessions SET pain_before = 0 WHERE id = {calm}"],
        ["sessions {calm}: edited outside rehabkit (pain_before differs from audit entry"],
    ),
    "an urgent referral erased in three statements": (
        ["course_events", "sessions", "answers"],
        [
            "DELETE FROM course_events WHERE id = {pause}",
            "UPDATE sessions SET status = 'complete' WHERE id = {stopped}",
            "DELETE FROM answers WHERE session = {stopped} AND kind = 'screening'",
        ],
        [
            "course_events {pause}: deleted outside rehabkit",
            "sessions {stopped}: edited outside rehabkit (status differs",
            "answers {answer}: deleted outside rehabkit",
        ],
    ),
    "a row inserted": (
        [],
        [
            "INSERT INTO next_day (patient, session, pain, at, date) "
            "VALUES ('P-1', {calm}, 0, '2026-11-03T08:00:00+00:00', '2026-11-03')"
        ],
        ["next_day 1: inserted outside rehabkit (no audit entry records it)"],
    ),
    "an audit entry edited": (
        ["audit"],
        ["UPDATE audit SET actor = 'DR-3' WHERE id = 3"],
        ["audit entry 3 was edited: its fields no longer give its hash"],
    ),
    "an audit entry's content edited": (
        ["audit"],
        ["UPDATE audit SET content = content || ' ' WHERE id = 2"],
        ["audit entry 2 was edited: its content no longer gives its digest"],
    ),
    "an audit entry deleted": (["audit"], ["DELETE FROM audit WHERE id = 3"], ["audit entry 3 is missing"]),
    "two audit entries swapped": (
        ["audit"],
        [
            "UPDATE audit SET id = -3 WHERE id = 3",
            "UPDATE audit SET id = 3 WHERE id = 4",
            "UPDATE audit SET id = 4 WHERE id = -3",
        ],
        ["the chain breaks at audit entry 3"],
    ),
    "an audit entry moved to another patient": (
        ["audit"],
        ["UPDATE audit SET patient = 'P-2' WHERE id = 2"],
        ["audit entry 2 was edited: its patient column reads 'P-2', its record is of 'P-1'"],
    ),
    "the audit trail dropped": ([], ["DROP TABLE audit"], ["the table audit is missing: dropped outside rehabkit"]),
    "an audit entry blanked as if erased": (
        ["audit"],
        ["UPDATE audit SET content = NULL, patient = NULL WHERE id = 2"],
        ["audit entry 2's content was removed outside an erasure"],
    ),
}


@pytest.mark.parametrize("case", list(TAMPERING))
def test_audit_verify_names_each_change_made_by_sql(cli, store_db, tmp_path, case) -> None:
    ids = _course(cli, store_db, tmp_path)
    tables, statements, expected = TAMPERING[case]
    _sql(store_db, *_unguarded(store_db, *tables), *(s.format(**ids) for s in statements))
    result = _verify(cli, store_db)
    assert result.exit_code == 1, result.output
    for words in expected:
        assert words.format(**ids) in result.stdout, (case, result.stdout)
    assert "the store was changed outside rehabkit" in result.stderr
    report = json.loads(_verify(cli, store_db, "--format", "json").stdout)
    assert not report["verified"] and len(report["findings"]) == len(result.stdout.splitlines())


def _rechain(db: str, start: int) -> None:
    """What an attacker who knows rehabkit's code does: every entry from ``start`` on rewritten with its content
    as the records now stand and its hashes recomputed, so that the chain verifies again."""
    from rehabkit._sessions import audit

    with open_store(db, create=False) as store:
        entries = store.audit_entries()
        rows = {}
        for entry in entries[start - 1 :]:
            if entry.tbl and entry.content is not None:
                row = audit.read_row(store._db, store._sql, entry.tbl, json.loads(entry.content)["id"])
                rows[entry.id] = audit.canonical(row)
    prev, statements = entries[start - 2].hash, []
    for entry in entries[start - 1 :]:
        content = rows.get(entry.id, entry.content)
        digest = audit.content_digest(content)
        hashed = audit.chain_hash(prev, entry.id, entry.at, entry.actor, entry.account, entry.action, entry.tbl,
                                  entry.record, digest)  # fmt: skip
        quoted = "NULL" if content is None else "'" + content.replace("'", "''") + "'"
        statements.append(f"UPDATE audit SET content = {quoted}, digest = '{digest}', prev = '{prev}', "
                          f"hash = '{hashed}' WHERE id = {entry.id}")  # fmt: skip
        prev = hashed
    _sql(db, *_unguarded(db, "audit"), *statements)


def test_a_trail_rewritten_whole_verifies_but_not_against_a_head_kept_elsewhere(cli, store_db, tmp_path) -> None:
    ids = _course(cli, store_db, tmp_path)
    head = _verify(cli, store_db).stdout.split("Chain head: ")[1].strip()
    assert _verify(cli, store_db, "--head", head).exit_code == 0
    _sql(store_db, *_unguarded(store_db, "sessions"), f"UPDATE sessions SET pain_before = 0 WHERE id = {ids['calm']}")
    _rechain(store_db, 2)
    assert _verify(cli, store_db).exit_code == 0  # what the trail alone cannot prove (docs/security.md)
    result = _verify(cli, store_db, "--head", head)
    assert result.exit_code == 1 and f"the chain head {head} recorded earlier is not in the trail" in result.stdout


def _schema_7_store(location: str) -> None:
    """A store as rehabkit wrote it before the audit trail (schema 7), with a record whose clinician id was typed
    freely."""
    from rehabkit._sessions import pg_schema
    from rehabkit._sessions.store import MIGRATIONS

    rows = [
        "INSERT INTO patients (id, created) VALUES ('P-1', '2026-10-01T09:00:00+00:00')",
        "INSERT INTO sessions (patient, protocol, version, phase, started, finished, status, pain_before, date, "
        "clinician) VALUES ('P-1', 'neck-pain', '2.1.0', 'acute', '2026-10-02T09:00:00+00:00', "
        "'2026-10-02T09:30:00+00:00', 'complete', 3, '2026-10-02', 'pt-1 (typed)')",
        "INSERT INTO answers (session, kind, key, value, at) VALUES (1, 'pain-before', 'pain', '3', "
        "'2026-10-02T09:01:00+00:00')",
        "INSERT INTO course_events (patient, protocol, kind, date, phase, after_session, detail, at) VALUES "
        "('P-1', 'neck-pain', 'enter-phase', '2026-10-02', 'acute', 0, '{}', '2026-10-02T09:00:00+00:00')",
    ]
    if location.startswith("postgresql://"):
        steps = [pg_schema.MIGRATIONS[n] for n in range(pg_schema.BASELINE, 8)]
        _sql(location, "CREATE TABLE rehabkit_schema (version INTEGER NOT NULL)",
             *(s for step in steps for s in str(step).split(";") if s.strip()),
             "INSERT INTO rehabkit_schema (version) VALUES (7)", *rows)  # fmt: skip
        return
    connection = sqlite3.connect(location, isolation_level=None)
    for step in MIGRATIONS[:7]:
        if callable(step):
            step(connection)
        else:
            for statement in step.split(";"):
                if statement.strip():
                    connection.execute(statement)
    connection.execute("PRAGMA user_version = 7")
    for statement in rows:
        connection.execute(statement)
    connection.close()


def test_an_upgraded_store_verifies_with_its_older_records_as_unverified_history(cli, store_db) -> None:
    _schema_7_store(store_db)
    refused = _verify(cli, store_db)  # only 'db upgrade' upgrades a store: a read leaves it as it is (issue 29)
    assert refused.exit_code == 1 and "'rehabkit db upgrade'" in refused.stderr
    assert cli("db", "upgrade", "--db", store_db).exit_code == 0
    result = _verify(cli, store_db)
    assert result.exit_code == 0, result.output
    assert "4 entries, 4 of them unverified history from before the trail" in result.stdout
    shown = cli("audit", "show", "--patient", "P-1", "--db", store_db).stdout
    assert shown.count("[unverified history: recorded before the audit trail]") == 4
    assert cli("history", "P-1", "--db", store_db, "--format", "json").exit_code == 0
    with open_store(store_db, create=False) as store:
        (session,) = store.sessions("P-1")
        assert session.clinician == "pt-1 (typed)"  # kept as recorded
        assert store.schema_version == 10  # upgraded through 8 (the audit trail) and on
    entries = json.loads(cli("audit", "show", "--format", "json", "--db", store_db).stdout)
    entries = [e for e in entries if e["table"] != "staff_events"]  # the admin registered since, to read the trail
    assert [e["unverified"] for e in entries] == [True] * 4 and [e["actor"] for e in entries] == [None] * 4


def test_audit_show_never_prints_clinical_content_and_shows_control_characters(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    _course(cli, db, tmp_path)
    with open_store(db, create=False, clinician="PT-9") as store:
        store.account = "pt9\n     1  2026-01-01T00:00:00+00:00  insert  forged"
        store.add_event("P-2", "review", datetime.date(2026, 11, 4), detail={"outcome": "resume"})
    shown = cli("audit", "show", "--db", db)
    assert shown.exit_code == 0
    assert "PT-9 (pt9\\x0a     1  2026-01-01" in shown.stdout and "\n     1  2026-01-01T00:00:00" not in shown.stdout
    assert "numbness" not in shown.stdout and "pain_before" not in shown.stdout
    listed = json.loads(cli("audit", "show", "--db", db, "--patient", "P-2", "--format", "json").stdout)
    assert listed and all("content" not in e and e["patient"] == "P-2" for e in listed)
    full = json.loads(cli("audit", "show", "--db", db, "--since", "2026-01-01", "--format", "json", "--content").stdout)
    assert any(e["content"] and e["content"].get("kind") == "review" for e in full)
    assert cli("audit", "show", "--db", db, "--since", "2999-01-01").stdout.startswith("No audit entries since")
    assert cli("audit", "show", "--db", db, "--content").exit_code == 2


def test_a_copy_carries_the_trail_and_verifies_with_the_same_head(cli, pg_url, tmp_path) -> None:
    source, back = str(tmp_path / "s.db"), str(tmp_path / "back.db")
    _course(cli, source, tmp_path)
    head = _verify(cli, source).stdout.split("Chain head: ")[1]
    assert cli("db", "copy", source, pg_url).exit_code == 0
    assert _verify(cli, pg_url).stdout.split("Chain head: ")[1] == head
    assert cli("db", "copy", pg_url, back).exit_code == 0
    assert _verify(cli, back).stdout.split("Chain head: ")[1] == head
    assert cli("approve", "P-3", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1", "--db", pg_url,
               "--date", "2026-11-01").exit_code == 0  # fmt: skip
    assert _verify(cli, pg_url).exit_code == 0  # the copy's trail goes on from the source's


def test_writers_in_several_processes_never_fork_the_chain(cli, store_db, tmp_path) -> None:
    calm = _answers(tmp_path, "calm")
    assert cli("approve", "P-0", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1", "--db",
               store_db).exit_code == 0  # fmt: skip
    commands = []
    for n in range(1, 7):
        commands.append(["approve", f"P-{n}", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1"])
    commands.append(["run", "neck-pain", "--patient", "P-0", "--answers", calm])
    processes = [
        subprocess.Popen([sys.executable, "-m", "rehabkit", *c, "--db", store_db], cwd=REPO, env=clean_env(),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for c in commands
    ]  # fmt: skip
    outcomes = [(p.wait(timeout=180), p.communicate()[1]) for p in processes]
    assert [code for code, _ in outcomes] == [0] * len(commands), outcomes
    result = _verify(cli, store_db)
    assert result.exit_code == 0, result.output
    with open_store(store_db, create=False) as store:
        entries = store.audit_entries()
    assert [e.id for e in entries] == list(range(1, len(entries) + 1))
    assert len({e.prev for e in entries}) == len(entries)  # no two entries follow the same one


def _login_url(url: str, role: str, login: str) -> str:
    return url.replace(f"//{role}@", f"//{login}@", 1)


def test_a_staff_login_granted_by_rehabkit_cannot_change_a_finished_record_nor_the_trail(
    cli, pg_server, pg_url, tmp_path
) -> None:
    import psycopg

    from rehabkit._sessions.pg_store import PgStore, grant_staff_login, revoke_staff_login

    ids = _course(cli, pg_url, tmp_path)
    login = f"pt_{Path(tmp_path).name[-8:].lower().replace('-', '_')}"
    pg_server.psql("postgres", f"CREATE ROLE {login} LOGIN")
    try:
        with open_store(pg_url, create=False) as owner:
            grant_staff_login(owner, login)  # type: ignore[arg-type]
        url = _login_url(pg_url, pg_server.role, login)
        with PgStore(url, create=False, clinician="PT-7") as store:
            store.account = login
            session = store.start_session("P-2", "neck-pain", "2.1.0", "acute")
            store.record_answer(session, "pain-before", "pain", 2)
            store.finish_session(session, "complete", "continue", {"within_limits": True})
        refused = [
            (f"UPDATE sessions SET pain_before = 0 WHERE id = {session}", "never changed in place"),
            (f"UPDATE sessions SET patient = 'P-1' WHERE id = {ids['calm']}", "permission denied"),
            (f"DELETE FROM sessions WHERE id = {ids['stopped']}", "permission denied"),
            (f"DELETE FROM course_events WHERE id = {ids['pause']}", "permission denied"),
            ("UPDATE audit SET actor = 'DR-3' WHERE id = 1", "permission denied"),
            ("DELETE FROM audit WHERE id = 1", "permission denied"),
            ("TRUNCATE audit", "permission denied"),
            ("ALTER TABLE audit DISABLE TRIGGER USER", "must be owner"),
            ("INSERT INTO audit (id, at, action, prev, hash, account) VALUES (999, 'x', 'insert', 'x', 'x', 'DR-3')",
             "may append audit entries only in its own name"),
        ]  # fmt: skip
        with psycopg.connect(url, autocommit=True) as connection:
            for statement, words in refused:
                with pytest.raises(psycopg.Error, match=words):
                    connection.execute(statement)
        result = cli("patient", "erase", "P-1", "--reason", "asked", "--yes", "--db", url)
        assert result.exit_code == 9 and "only the owner of the store's tables" in result.stderr, result.output
        verified = _verify(cli, pg_url)
        assert verified.exit_code == 0, verified.output
        entries = json.loads(cli("audit", "show", "--patient", "P-2", "--format", "json", "--db", pg_url).stdout)
        assert {(e["actor"], e["account"]) for e in entries[-4:]} == {("PT-7", login)}
    finally:
        with open_store(pg_url, create=False) as owner:
            revoke_staff_login(owner, login)  # type: ignore[arg-type]
        pg_server.psql("postgres", f"DROP ROLE {login}")
