"""``rehabkit db status|upgrade|copy``: a store as a whole, on SQLite and PostgreSQL, copied both ways and verified."""

from __future__ import annotations

import json
import sqlite3

import pytest
import yaml

from rehabkit._sessions.backends import open_store
from rehabkit._sessions.store import MIGRATIONS


def _course(cli, db: str, tmp_path, patients: int = 3) -> None:
    """A few patients with sessions, reports, measures, a pause and a review: every table has rows."""
    calm = tmp_path / "calm.yaml"
    calm.write_text(
        yaml.safe_dump(
            {
                "screening": {"all": False},
                "pain_before": 2.5,
                "exercises": {"all": 1},
                "pain_after": 2,
                "new_symptom": False,
            }
        )
    )
    flag = tmp_path / "flag.yaml"
    flag.write_text(yaml.safe_dump({"screening": {"all": False, "spreading-pain": True}}))
    for n in range(patients):
        p = f"P-{n}"
        steps = [
            ("approve", p, "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1", "--date", "2026-11-01"),
            ("run", "neck-pain", "--patient", p, "--answers", str(calm), "--date", "2026-11-02", "--clinician", "PT-1"),
            ("next-day", p, "--pain", "3", "--settled-after-hours", "2.5", "--date", "2026-11-03"),
            (
                "measure",
                p,
                "ndi",
                *[
                    f"--score={i}=1"
                    for i in (
                        "pain-intensity",
                        "personal-care",
                        "lifting",
                        "reading",
                        "headaches",
                        "concentration",
                        "work",
                        "sleeping",
                        "recreation",
                    )
                ],
                "--skip",
                "driving",
                "--date",
                "2026-11-03",
            ),
            ("run", "neck-pain", "--patient", p, "--answers", str(flag), "--date", "2026-11-04"),
            ("review", p, "--clinician", "PT-2", "--outcome", "resume", "--note", "é ü — ok", "--date", "2026-11-05"),
        ]
        for step in steps:
            result = cli(*step, "--db", db)
            assert result.exit_code in (0, 4), (step, result.output)


def test_status_shows_the_database_schema_and_rows_and_changes_nothing(cli, store_db, tmp_path) -> None:
    _course(cli, store_db, tmp_path, patients=2)
    result = cli("db", "status", "--db", store_db, "--format", "json")
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["schema_version"] == info["latest_schema_version"] == len(MIGRATIONS)
    assert info["state"] == "current"
    assert info["counts"]["patients"] == 2 and info["counts"]["sessions"] == 4
    text = cli("db", "status", "--db", store_db).stdout
    assert "Schema version: " in text and "patients" in text


def test_status_and_upgrade_of_an_old_sqlite_file(cli, tmp_path) -> None:
    path = tmp_path / "v1.db"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])  # type: ignore[arg-type]
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    status = cli("db", "status", "--db", str(path))
    assert status.exit_code == 0 and "Schema version: 1, older than this rehabkit's" in status.stdout
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 1  # status changed nothing
    result = cli("db", "upgrade", "--db", str(path))
    assert result.exit_code == 0 and f"schema version 1 -> {len(MIGRATIONS)}" in result.stdout
    assert "already" in cli("db", "upgrade", "--db", str(path)).stdout


def test_status_of_a_missing_store_is_an_error_and_creates_nothing(cli, tmp_path) -> None:
    result = cli("db", "status", "--db", str(tmp_path / "none.db"))
    assert result.exit_code == 1 and "there is no session store" in result.stderr
    assert not (tmp_path / "none.db").exists()


def test_upgrade_creates_the_tables_of_an_empty_postgresql_database(cli, pg_url) -> None:
    status = json.loads(cli("db", "status", "--db", pg_url, "--format", "json").stdout)
    assert status["schema_version"] == 0 and status["state"].startswith("empty")
    result = cli("db", "upgrade", "--db", pg_url)
    assert result.exit_code == 0 and f"schema version 0 -> {len(MIGRATIONS)} (a new store)" in result.stdout


def _dump(location: str) -> dict:
    """Everything a store holds as the store's own methods return it."""
    with open_store(location, create=False) as store:
        patients = sorted({p for p in (f"P-{n}" for n in range(10)) if store.has_patient(p)})
        return {
            p: {
                "sessions": [(s, store.answers(s.id)) for s in store.sessions(p)],
                "events": store.events(p),
                "measures": store.measures(p),
                "next_days": store.next_days(p),
                "surgery": store.surgery_date(p),
            }
            for p in patients
        }


def test_a_sqlite_store_copied_into_postgresql_and_back_is_the_same_store(cli, pg_url, tmp_path) -> None:
    source = str(tmp_path / "clinic.sqlite3")
    _course(cli, source, tmp_path)
    into = cli("db", "copy", source, pg_url, "--format", "json")
    assert into.exit_code == 0, into.output
    report = json.loads(into.stdout)
    assert report["identical"] and all(
        t["rows"] == t["copied"] and t["digest"] == t["copy_digest"] for t in report["tables"]
    )
    assert {t["table"]: t["rows"] for t in report["tables"]}["answers"] > 30
    back = str(tmp_path / "back.sqlite3")
    result = cli("db", "copy", pg_url, back)
    assert result.exit_code == 0, result.output
    assert "Verified: every table has the same rows" in result.stdout
    assert _dump(source) == _dump(pg_url) == _dump(back)
    # and the copy is a working store: the course goes on where it was
    assert cli("history", "P-0", "--db", pg_url).exit_code == 0


def test_copy_refuses_a_destination_that_holds_records(cli, store_db, tmp_path) -> None:
    _course(cli, store_db, tmp_path, patients=1)
    other = str(tmp_path / "other.sqlite3")
    _course(cli, other, tmp_path, patients=1)
    result = cli("db", "copy", other, store_db)
    assert result.exit_code == 1 and "is not empty" in result.stderr
    assert cli("db", "copy", other, other).exit_code == 2


def test_a_copy_that_does_not_read_back_the_same_is_rolled_back(cli, store_db, tmp_path, monkeypatch) -> None:
    from rehabkit._sessions import transfer

    source = str(tmp_path / "clinic.sqlite3")
    _course(cli, source, tmp_path, patients=2)
    write = transfer._write

    def lossy(store, table, columns, rows):
        rows = list(rows)
        write(store, table, columns, rows[:-1] if table == "answers" else rows)  # one answer lost on the way

    monkeypatch.setattr(transfer, "_write", lossy)
    result = cli("db", "copy", source, store_db)
    assert result.exit_code == 3, result.output
    assert "the copy of the table answers does not read back as the source" in result.stderr
    with open_store(store_db) as store:
        assert not store.has_patient("P-0")  # nothing was kept


def test_copy_of_a_missing_source_creates_nothing(cli, tmp_path) -> None:
    result = cli("db", "copy", str(tmp_path / "none.db"), str(tmp_path / "new.db"))
    assert result.exit_code == 1 and "there is no session store" in result.stderr
    assert not (tmp_path / "new.db").exists()


@pytest.mark.parametrize("args", [("db",), ("db", "copy", "only-one")])
def test_db_usage(cli, args) -> None:
    assert cli(*args).exit_code in (0, 2)
