"""Bad input, garbage and concurrency: each gets a clear error and its exit code, never a traceback or silent acceptance."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from rehabkit._sessions.store import MIGRATIONS, Store

from conftest import REPO, clean_env


def test_a_patient_id_with_a_trailing_newline_is_refused(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    result = cli("approve", "P-1\n", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1", "--db", db)
    assert result.exit_code == 2 and "never a name" in result.stderr
    staff = cli("approve", "P-1", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1\n", "--db", db)
    assert staff.exit_code == 2
    with pytest.raises(Exception, match="not valid"):
        with Store(db) as store:
            store.ensure_patient("P-1\n")


def test_a_pack_name_with_a_trailing_newline_is_refused(cli, tmp_path) -> None:
    result = cli("new-plugin", "myclinic\n", "--dir", str(tmp_path))
    assert result.exit_code == 2
    assert list(tmp_path.iterdir()) == []


def test_nan_is_never_a_pain_score(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    assert cli("approve", "P1", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1", "--db", db,
               "--date", "2026-11-01").exit_code == 0
    flags = 10
    typed = "n\n" * flags + "nan\n2\n" + "1\n" * 5 + "2\n" + "n\n"  # nan is refused and asked again
    result = cli("run", "neck-pain", "--patient", "P1", "--db", db, "--no-timer", "--date", "2026-11-02", input=typed)
    assert result.exit_code == 0, result.output
    assert "'nan' is not a number" in result.stderr
    with Store(db) as store:
        (session,) = store.sessions("P1")
        assert session.pain_before == 2
    morning = cli("next-day", "P1", "--pain", "nan", "--db", db, "--date", "2026-11-03")
    assert morning.exit_code == 2 and "'nan' is not a number" in morning.stderr


def test_commands_that_read_a_record_never_create_a_store(cli, tmp_path) -> None:
    missing = tmp_path / "typo" / "store.db"
    for args in (("history", "P1"), ("next-day", "P1", "--pain", "3"), ("measure", "P1", "nprs", "--score", "pain=3"),
                 ("review", "P1", "--clinician", "PT-1", "--outcome", "resume")):
        result = cli(*args, "--db", str(missing))
        assert result.exit_code == 1, args
        assert "there is no session store at" in result.stderr
    plan = cli("run", "neck-pain", "--patient", "P1", "--db", str(missing), "--plan")
    assert plan.exit_code == 7  # the first gate: nothing recorded, and no store made to say so
    assert not missing.parent.exists()


def test_another_programs_database_is_refused_and_left_alone(cli, tmp_path) -> None:
    other = tmp_path / "other-app.sqlite3"
    connection = sqlite3.connect(other)
    connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    connection.commit()
    connection.close()
    before = other.read_bytes()
    result = cli("approve", "P1", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1", "--db", str(other))
    assert result.exit_code == 1
    assert "is not a rehabkit session store (it holds the tables invoices)" in result.stderr
    assert other.read_bytes() == before
    connection = sqlite3.connect(other)
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # not switched to WAL
    connection.close()


def test_a_file_that_is_not_a_database_is_a_clear_error(cli, tmp_path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("my notes, not a database\n" * 100)
    result = cli("approve", "P1", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1", "--db", str(junk))
    assert result.exit_code == 1 and "cannot open the session store" in result.stderr


def _spawn_many(commands: list[list[str]]) -> list[subprocess.CompletedProcess[str]]:
    processes = [subprocess.Popen([sys.executable, "-m", "rehabkit", *c], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, cwd=REPO, env=clean_env()) for c in commands]
    results = []
    for process, command in zip(processes, commands, strict=True):
        out, err = process.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(command, process.returncode, out, err))
    return results


def test_concurrent_first_use_of_a_new_store_by_real_processes(tmp_path) -> None:
    db = str(tmp_path / "new.db")
    commands = [["approve", f"P{n}", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1", "--db", db]
                for n in range(6)]
    results = _spawn_many(commands)
    assert [r.returncode for r in results] == [0] * 6, [r.stderr for r in results]
    with Store(db) as store:
        assert store.schema_version == len(MIGRATIONS)
        assert all(store.has_patient(f"P{n}") for n in range(6))


def test_concurrent_upgrade_of_an_old_store_runs_each_migration_once(tmp_path) -> None:
    path = tmp_path / "v1.db"
    connection = sqlite3.connect(path)
    connection.executescript(MIGRATIONS[0])  # type: ignore[arg-type]
    connection.execute("PRAGMA user_version = 1")
    connection.execute("INSERT INTO patients (id, created) VALUES ('P1', '2026-01-01T00:00:00+00:00')")
    connection.commit()
    connection.close()
    results = _spawn_many([["history", "P1", "--db", str(path)] for _ in range(5)])
    assert [r.returncode for r in results] == [0] * 5, [r.stderr for r in results]
    with Store(path) as store:
        assert store.schema_version == len(MIGRATIONS) and store.has_patient("P1")


def test_a_read_only_store_is_a_clear_error_not_a_bug(cli, tmp_path) -> None:
    import os

    if os.geteuid() == 0:
        pytest.skip("root writes to read-only files; the check needs an unprivileged user")
    db = tmp_path / "s.db"
    assert cli("approve", "P1", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1", "--db", str(db)).exit_code == 0
    db.chmod(0o444)
    tmp_path.chmod(0o555)
    try:
        result = cli("approve", "P1", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-2", "--db", str(db))
    finally:
        tmp_path.chmod(0o755)
        db.chmod(0o644)
    assert result.exit_code == 1 and "internal error" not in result.stderr


def test_the_docs_name_the_guarantees_and_their_tests() -> None:
    page = (REPO / "docs" / "guarantees.md").read_text()
    import re

    named = set(re.findall(r"`(tests/test_\w+\.py)::(test_\w+)`", page))
    assert named, "docs/guarantees.md names no test"
    for path, test in named:
        assert f"def {test}(" in (REPO / path).read_text(), (path, test)
    assert Path(REPO / "docs" / "guarantees.md").exists()


def test_a_damaged_store_is_a_clear_error_not_a_bug(cli, tmp_path) -> None:
    db = tmp_path / "s.db"
    for n in range(30):
        assert cli("approve", f"P{n}", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1", "--db", str(db)).exit_code == 0
    with Store(db) as store:
        store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(db.read_bytes())
    data[4096:8192] = b"\xff" * 4096  # a page of garbage
    db.write_bytes(bytes(data))
    result = cli("history", "P1", "--db", str(db))
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.stderr and "Traceback" not in result.output
    assert "session store" in result.stderr
