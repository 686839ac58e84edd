"""A command that does not record never creates, upgrades or writes a store, whatever the file holds (issue 29).

Every command that opens a store is run on a missing file, an empty file, a file that is not a database, a store of an
older schema, one of a newer schema, and a current store: the commands that only read (and every writing command
refused before it records) leave the file byte for byte as it was, its modification time included, and a missing file
missing. An older store is upgraded by 'rehabkit db upgrade' only, which the refusal names.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from rehabkit._sessions.store import MIGRATIONS

from conftest import sign_in

#: The commands that only read: they succeed on a current store holding P-1's course, and never write.
READERS = (
    ("history", "P-1"),
    ("report", "P-1", "-o", "{out}/report.html"),
    ("handout", "--patient", "P-1", "-o", "{out}/handout.html"),
    ("calendar", "P-1", "-o", "{out}/plan.ics"),
    ("clinic",),
    ("audit", "verify"),
    ("audit", "show"),
    ("staff", "list"),
    ("staff", "whoami"),
    ("db", "status"),
    ("db", "copy", "{db}", "{out}/copy.sqlite3"),
    ("run", "neck-pain", "--patient", "P-1", "--plan"),
)
#: Commands that record, each given something they refuse before recording (an unknown patient, phase or person).
REFUSED_WRITERS = (
    ("next-day", "P-404", "--pain", "3"),
    ("measure", "P-404", "nprs", "--score", "pain=11"),
    ("review", "P-404", "--outcome", "resume", "--note", "seen"),
    ("approve", "P-1", "--protocol", "neck-pain", "--phase", "no-such-phase"),
    ("patient", "export", "P-404", "-o", "{out}/p.json"),
    ("patient", "erase", "P-404", "--reason", "asked", "--yes"),
    ("export", "--patient", "P-404", "--fhir", "r5", "-o", "{out}/p.fhir.json"),
    ("staff", "disable", "NOBODY-1"),
    ("run", "neck-pain", "--patient", "P-404", "--answers", "{out}/no-such-answers.yaml"),
)


def _current(path: Path) -> None:
    """A current store holding P-1's approved course, made through the real commands."""
    sign_in(str(path))


def _older(path: Path) -> None:
    """A schema-7 store (the release before the audit trail) holding patient P-1."""
    connection = sqlite3.connect(path, isolation_level=None)
    for number, step in enumerate(MIGRATIONS[:7], 1):
        if callable(step):
            step(connection)
        else:
            for statement in step.split(";"):
                if statement.strip():
                    connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {number}")
    connection.execute("INSERT INTO patients (id, created) VALUES ('P-1', '2026-11-01T09:00:00+00:00')")
    connection.close()


def _newer(path: Path) -> None:
    sign_in(str(path))
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    connection.close()


#: Each kind of file, how it is made, and what a refused command says of it.
STATES: dict[str, tuple[Callable[[Path], None] | None, str]] = {
    "missing": (None, "there is no session store"),
    "empty": (lambda p: p.write_bytes(b""), "is empty: it is not a session store yet"),
    "not-sqlite": (lambda p: p.write_bytes(b"my notes, not a database\n" * 200), "file is not a database"),
    "older": (_older, "older than this rehabkit's"),
    "newer": (_newer, "newer than this rehabkit understands"),
}


def _snapshot(path: Path) -> tuple[bytes, int] | None:
    if not path.exists():
        return None
    return path.read_bytes(), path.stat().st_mtime_ns


def _args(command: tuple[str, ...], db: Path, out: Path) -> list[str]:
    return [a.format(db=db, out=out) for a in command] + ["--db", str(db)] * (command[:2] != ("db", "copy"))


@pytest.mark.parametrize("state", list(STATES))
def test_no_command_writes_a_file_that_is_not_a_current_store(cli, tmp_path, state) -> None:
    make, said = STATES[state]
    db, out = tmp_path / "store.sqlite3", tmp_path / "out"
    out.mkdir()
    if make is not None:
        make(db)
    before = _snapshot(db)
    for command in (*READERS, *REFUSED_WRITERS):
        result = cli(*_args(command, db, out), as_staff=False)
        assert "Traceback" not in result.output
        assert _snapshot(db) == before, f"{' '.join(command)} changed the {state} file"
        if command == ("db", "status") and state in ("empty", "older", "newer"):
            assert result.exit_code == 0 and state in {"empty": "empty", "older": "older", "newer": "newer"}[state]
            continue  # status describes the file as it is
        assert result.exit_code != 0, (command, result.output)
        if "--answers" in command or ("--plan" in command and make in (None, STATES["empty"][0])):
            continue  # a missing answers file is refused first; --plan plans from an empty store in memory
        if command[0] in ("run", "approve", "measure") and make in (None, STATES["empty"][0]):
            assert result.exit_code == 9 and "rehabkit staff add YOUR-STAFF-ID --role ROLE" in result.stderr
        else:
            assert said in result.stderr, (command, result.stderr)
        if state == "older" and command[:2] != ("db", "status"):
            assert "'rehabkit db upgrade'" in result.stderr
    # Nothing beside it either; a reader of a store in WAL mode may leave SQLite's shared-memory files, which hold no
    # record and which the next writer removes.
    sidecars = {"store.sqlite3-wal", "store.sqlite3-shm"} if state == "newer" else set()
    left = {p.name for p in tmp_path.iterdir()} - sidecars
    assert sorted(left) == ["out", "store.sqlite3"][: 1 + (make is not None)]


def test_reading_a_current_store_and_refused_writes_leave_it_byte_for_byte(cli, tmp_path) -> None:
    db, out = tmp_path / "store.sqlite3", tmp_path / "out"
    out.mkdir()
    sign_in(str(db))
    approve = ("approve", "P-1", "--protocol", "neck-pain", "--phase", "acute", "--db", str(db))
    assert cli(*approve, as_staff=False).exit_code == 0
    before = _snapshot(db)
    for command in READERS:
        result = cli(*_args(command, db, out), as_staff=False)
        assert result.exit_code in (0, 7), (command, result.output)  # 7: --plan says the gate is closed
        assert _snapshot(db) == before, f"{' '.join(command)} wrote to the store"
    for command in REFUSED_WRITERS:
        result = cli(*_args(command, db, out), as_staff=False)
        assert result.exit_code not in (0, 3), (command, result.output)
        assert _snapshot(db) == before, f"{' '.join(command)} wrote to the store though it recorded nothing"


def test_only_db_upgrade_upgrades_an_older_store(cli, tmp_path) -> None:
    db = tmp_path / "store.sqlite3"
    _older(db)
    refused = cli("history", "P-1", "--db", str(db), as_staff=False)
    assert refused.exit_code == 1
    assert "schema version 7, older than this rehabkit's (10)" in refused.stderr
    assert "Upgrade it once with 'rehabkit db upgrade' and the same --db" in refused.stderr
    added = cli("staff", "add", "CLIN-1", "--role", "clinician", "--db", str(db), as_staff=False)
    assert added.exit_code == 1 and "older than this rehabkit's" in added.stderr
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == 7
    upgraded = cli("db", "upgrade", "--db", str(db), as_staff=False)
    assert upgraded.exit_code == 0 and "schema version 7 -> 10" in upgraded.stdout
    assert cli("history", "P-1", "--db", str(db), as_staff=False).exit_code == 0


@pytest.mark.parametrize("state", ["missing", "empty"])
def test_staff_add_makes_a_new_store_of_a_missing_or_empty_file(cli, tmp_path, state) -> None:
    db = tmp_path / "store.sqlite3"
    if state == "empty":
        db.write_bytes(b"")
    added = cli("staff", "add", "CLIN-1", "--role", "clinician", "--db", str(db), as_staff=False)
    assert added.exit_code == 0, added.output
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert cli("staff", "whoami", "--db", str(db), as_staff=False).exit_code == 0


def test_a_first_registration_refused_creates_no_store(cli, tmp_path) -> None:
    db = tmp_path / "store.sqlite3"
    refused = cli("staff", "add", "CLIN-1", "--role", "clinician", "--os-user", "someone-else", "--db", str(db))
    assert refused.exit_code == 2 and "the first person registered on a store acts from" in refused.output
    assert sorted(p.name for p in tmp_path.iterdir()) == []
