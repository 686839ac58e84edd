"""The PostgreSQL store on a real, throwaway server (tests/pg_server.py): what only PostgreSQL has to prove.

The behaviour both stores share is tested on both by tests/test_store.py (``store_db``); here: the schema
is the SQLite store's, column for column; a database of another program is refused and left alone; a
server or database that is not there, or a missing driver, is a clear error; psycopg is never imported
unless a PostgreSQL URL is used; every query a course command runs can use an index; and whole courses
run through the command line on PostgreSQL as on SQLite.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from rehabkit._sessions import pg_schema
from rehabkit._sessions.backends import open_store, redact, store_location
from rehabkit._sessions.staff import register
from rehabkit._sessions.store import MIGRATIONS, Store, StoreError

from conftest import REPO, clean_env, sign_in


def _pg(url: str):
    import psycopg

    return psycopg.connect(url, autocommit=True)


def test_both_databases_count_the_same_schema_versions() -> None:
    assert max(pg_schema.MIGRATIONS) == len(MIGRATIONS)
    assert sorted(pg_schema.MIGRATIONS) == list(range(pg_schema.BASELINE, len(MIGRATIONS) + 1))


def test_the_postgresql_schema_has_the_sqlite_tables_columns_and_indexes(pg_url, tmp_path) -> None:
    with Store(tmp_path / "s.db") as store:
        lite = store._db
        tables = {name for (name,) in lite.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        lite_columns = {t: {row[1] for row in lite.execute(f"PRAGMA table_info({t})")} for t in tables}
        lite_indexes = {
            name
            for (name,) in lite.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'"
            )
        }
    open_store(pg_url).close()
    with _pg(pg_url) as db:
        rows = db.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()"
        ).fetchall()
        indexes = {
            name
            for (name,) in db.execute(
                "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND indexname NOT LIKE '%_pkey'"
            )
        }
    pg_columns: dict[str, set[str]] = {}
    for table, column in rows:
        pg_columns.setdefault(table, set()).add(column)
    assert pg_columns.pop(pg_schema.SCHEMA_TABLE) == {"version"}
    assert pg_columns == lite_columns
    assert set(pg_schema.TABLES) == tables
    assert indexes == lite_indexes


def test_a_database_of_another_program_is_refused_and_left_alone(pg_url, cli) -> None:
    with _pg(pg_url) as db:
        db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    result = cli("approve", "P1", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1", "--db", pg_url)
    assert result.exit_code == 1
    assert "is not a rehabkit session store (it holds the tables invoices)" in result.stderr
    with _pg(pg_url) as db:
        assert [
            name
            for (name,) in db.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
            )
        ] == ["invoices"]


def test_a_missing_database_or_server_is_a_clear_error(pg_server, cli) -> None:
    missing = pg_server.url("no_such_database")
    result = cli("history", "P1", "--db", missing)
    assert result.exit_code == 1, result.output
    assert (
        "cannot connect to the session store" in result.stderr
        and 'database "no_such_database" does not exist' in result.stderr
    )
    assert "Traceback" not in result.output
    nowhere = "postgresql://rehabkit:secret@/db?host=/nonexistent/socket/dir"
    result = cli("history", "P1", "--db", nowhere)
    assert result.exit_code == 1 and "cannot connect to the session store" in result.stderr
    assert "secret" not in result.stderr and "rehabkit:***@" in result.stderr


def test_passwords_never_reach_a_message() -> None:
    assert redact("postgresql://pt:s3cret@db.clinic:5433/rehab") == "postgresql://pt:***@db.clinic:5433/rehab"
    assert redact("postgresql://pt@db.clinic/rehab") == "postgresql://pt@db.clinic/rehab"


def test_a_url_in_rehabkit_db_names_a_postgresql_store(tmp_path) -> None:
    url = "postgresql://pt@db.clinic/rehab"
    assert store_location(None, {"REHABKIT_DB": url}) == url
    assert store_location(str(tmp_path / "x.db"), {"REHABKIT_DB": url}) == tmp_path / "x.db"  # --db wins
    assert store_location(None, {"REHABKIT_DB": str(tmp_path / "y.db")}) == tmp_path / "y.db"


def test_read_only_commands_never_create_a_postgresql_store(pg_url, cli) -> None:
    for args in (
        ("history", "P1"),
        ("next-day", "P1", "--pain", "3"),
        ("review", "P1", "--clinician", "PT-1", "--outcome", "resume"),
    ):
        result = cli(*args, "--db", pg_url)
        assert result.exit_code == 1 and "there is no session store in" in result.stderr, (args, result.output)
    assert cli("run", "neck-pain", "--patient", "P1", "--plan", "--db", pg_url).exit_code == 1
    with _pg(pg_url) as db:
        assert db.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchone() == (0,)


def test_without_the_driver_a_postgresql_url_says_how_to_install_it(tmp_path) -> None:
    code = (
        "import sys\n"
        "sys.modules['psycopg'] = None  # as if the postgres extra were not installed\n"
        "from rehabkit.cli import main\n"
        "main(['history', 'P1', '--db', 'postgresql://pt@db.clinic/rehab'])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=clean_env())
    assert result.returncode == 2, result.stderr
    assert "pip install 'rehabkit[postgres]'" in result.stderr and "Traceback" not in result.stderr


def test_psycopg_is_imported_only_for_a_postgresql_url(tmp_path) -> None:
    db = tmp_path / "s.db"
    sign_in(str(db), "PT-1")
    code = (
        "import sys\n"
        "from rehabkit.cli import main\n"
        "for args in (['--help'], ['approve', 'P1', '--protocol', 'neck-pain', '--phase', 'acute', '--by', 'PT-1', "
        f"'--db', {str(db)!r}], ['history', 'P1', '--db', {str(db)!r}], ['db', 'status', '--db', {str(db)!r}]):\n"
        "    try:\n        main(args)\n"
        "    except SystemExit as exc:\n        assert exc.code in (0, None), (args, exc.code)\n"
        "print('PSYCOPG', 'psycopg' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=clean_env())
    assert "PSYCOPG False" in result.stdout, result.stdout + result.stderr


def _answers(tmp_path, **overrides) -> str:
    data = {
        "screening": {"all": False},
        "pain_before": 2,
        "exercises": {"all": 1},
        "pain_after": 2,
        "new_symptom": False,
    }
    data.update(overrides)
    path = tmp_path / f"answers-{len(list(tmp_path.iterdir()))}.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


COURSE = [
    ("approve", "P-1", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1", "--date", "2026-11-01"),
    ("run", "neck-pain", "--patient", "P-1", "--answers", "{calm}", "--date", "2026-11-02"),
    ("next-day", "P-1", "--pain", "2", "--date", "2026-11-03"),
    ("measure", "P-1", "nprs", "--score", "pain=2", "--date", "2026-11-03"),
    ("run", "neck-pain", "--patient", "P-1", "--plan", "--date", "2026-11-03"),
    ("run", "neck-pain", "--patient", "P-1", "--answers", "{calm}", "--date", "2026-11-03"),
    ("run", "neck-pain", "--patient", "P-1", "--answers", "{flag}", "--date", "2026-11-04"),
    ("review", "P-1", "--clinician", "PT-2", "--outcome", "resume", "--date", "2026-11-05"),
    ("run", "neck-pain", "--patient", "P-1", "--answers", "{calm}", "--date", "2026-11-05"),
]


def _history(cli, db: str) -> dict:
    history = json.loads(cli("history", "P-1", "--db", db, "--format", "json").stdout)
    for session in history["sessions"]:
        session.pop("started"), session.pop("finished")
    for event in history["events"]:
        event.pop("id")
    return history


def test_a_course_through_the_command_line_is_the_same_on_both_databases(cli, pg_url, tmp_path) -> None:
    files = {"calm": _answers(tmp_path), "flag": _answers(tmp_path, screening={"all": False, "spreading-pain": True})}
    outcomes = {}
    for db in (str(tmp_path / "s.db"), pg_url):
        codes = []
        for step in COURSE:
            result = cli(*[part.format(**files) for part in step], "--db", db)
            assert "Traceback" not in result.output and "internal error" not in result.output, result.output
            codes.append(result.exit_code)
        outcomes[db] = (codes, _history(cli, db))
    sqlite_run, pg_run = outcomes.values()
    assert sqlite_run[0] == [0, 0, 0, 0, 0, 0, 4, 0, 0]
    assert pg_run == sqlite_run


def test_every_query_a_course_command_runs_can_use_an_index(cli, pg_url, tmp_path, monkeypatch) -> None:
    """The statements real commands send, each planned with sequential scans disabled: none may need one."""
    import psycopg

    files = {"calm": _answers(tmp_path), "flag": _answers(tmp_path, screening={"all": False, "spreading-pain": True})}
    statements: list[tuple[str, object]] = []
    execute = psycopg.Connection.execute

    def traced(self, query, params=None, **kwargs):
        statements.append((str(query), params))
        return execute(self, query, params, **kwargs)

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
                pg_url,
                "--date",
                "2026-11-01",
            ).exit_code
            == 0
        )
    monkeypatch.setattr(psycopg.Connection, "execute", traced)
    for step in [*COURSE, ("history", "P-1")]:
        result = cli(*[part.format(**files) for part in step], "--db", pg_url)
        assert "Traceback" not in result.output, result.output
    monkeypatch.undo()
    queries = {
        (q, json.dumps(p, default=str)): p
        for q, p in statements
        if q.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE"))
        and " FROM " in q.upper()
        and "information_schema" not in q
        and "pg_" not in q
        and "rehabkit_schema" not in q
    }
    assert len(queries) >= 8
    with _pg(pg_url) as db:
        db.execute("SET enable_seqscan = off")
        for (query, _), params in queries.items():
            plan = json.dumps(db.execute(f"EXPLAIN (FORMAT JSON) {query}", params).fetchone()[0])
            assert "Seq Scan" not in plan, (query, plan)


def test_concurrent_first_use_of_a_new_database_by_real_processes(pg_url) -> None:
    """Six first registrations at once on a new database: the schema is made once, and one person (not six) becomes
    the admin acting from this login; each other is either refused while the register is being changed or added by
    that admin, with no login of their own."""
    commands = [["staff", "add", f"PT-{n}", "--role", "physiotherapist", "--db", pg_url] for n in range(6)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "rehabkit", *c],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env=clean_env(),
        )
        for c in commands
    ]
    results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in processes]
    assert {code for code, _ in results} <= {0, 8} and 0 in {code for code, _ in results}, results
    with open_store(pg_url) as store:
        assert store.schema_version == len(MIGRATIONS)
        members = list(register(store.staff_events()).values())
    assert [(m.roles, m.db_role) for m in members][:1] == [(("physiotherapist", "admin"), "postgres")]
    assert [(m.roles, m.db_role) for m in members[1:]] == [(("physiotherapist",), None)] * (len(members) - 1)


def test_a_store_copied_from_sqlite_keeps_its_ids_and_takes_new_ones_after_them(cli, pg_url, tmp_path) -> None:
    """After 'db copy' the PostgreSQL identity columns go on from the largest id copied."""
    source = str(tmp_path / "s.db")
    files = {"calm": _answers(tmp_path), "flag": _answers(tmp_path)}
    for step in COURSE[:2]:
        assert cli(*[part.format(**files) for part in step], "--db", source).exit_code == 0
    result = cli("db", "copy", source, pg_url)
    assert result.exit_code == 0, result.output
    with open_store(pg_url) as store:
        before = store.last_session_id("P-1")
        assert store.start_session("P-1", "neck-pain", "2.1.0", "acute") == before + 1


def test_an_old_sqlite_format_cannot_be_written_into_postgresql(pg_url) -> None:
    """A PostgreSQL store never holds a schema before its baseline: the version is refused, not guessed at."""
    open_store(pg_url).close()
    with _pg(pg_url) as db:
        db.execute("UPDATE rehabkit_schema SET version = 2")
    with pytest.raises(StoreError, match="schema version 2, which no PostgreSQL store of rehabkit has had"):
        open_store(pg_url)


def test_shell_completion_offers_the_patients_of_a_postgresql_store(cli, pg_url) -> None:
    import click

    from rehabkit.cli.completion import complete_patients

    for patient in ("P-17", "P-18", "Q-1"):
        assert (
            cli(
                "approve", patient, "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1", "--db", pg_url
            ).exit_code
            == 0
        )
    ctx = click.Context(click.Command("history"))
    ctx.params = {"db": pg_url}
    assert [item.value for item in complete_patients(ctx, None, "P-")] == ["P-17", "P-18"]  # type: ignore[arg-type]
