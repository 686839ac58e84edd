"""A PostgreSQL password never needs to be on the command line (issue 29): rehabkit leaves it to libpq's own places.

With a real password-authenticated login on the throwaway server (SCRAM, tests/pg_server.py), a URL without a
password connects when libpq finds it in a password file (PGPASSFILE, else ~/.pgpass), in a service file
(PGSERVICEFILE, ``postgresql://?service=NAME``) or in PGPASSWORD. A password in ``--db`` (or in either of
``db copy``'s stores) still works, but warns on standard error, without printing it: every user of the machine can
read a command line in the process list. REHABKIT_DB, an environment variable, is not shown to other users: no
warning.
"""

from __future__ import annotations

import itertools
import os
from urllib.parse import quote, unquote, urlsplit

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

PASSWORD = "Sp1ne-s3cret-Wx7"
_NAMES = itertools.count(1)


@pytest.fixture
def login(pg_server) -> object:
    """A database owned by a login that must give PASSWORD: its URL without the password."""
    name = f"pw{os.getpid()}_{next(_NAMES)}"
    url = pg_server.password_login(f"{name}_login", PASSWORD, name)
    yield url
    pg_server.drop_database(name)
    pg_server.psql("postgres", f'DROP ROLE IF EXISTS "{name}_login"')


def _no_secret(result) -> None:
    assert PASSWORD not in result.stdout and PASSWORD not in result.stderr
    assert PASSWORD not in quote(result.stderr) and "Traceback" not in result.output


def test_without_a_password_the_login_is_refused_with_a_clear_error(cli, login) -> None:
    result = cli("db", "status", "--db", login, env={"PGPASSWORD": "", "PGPASSFILE": "/nonexistent"})
    assert result.exit_code == 1 and "password" in result.stderr
    assert "cannot connect to the session store" in result.stderr
    _no_secret(result)


def test_a_password_file_is_read_by_libpq(cli, login, tmp_path) -> None:
    role = unquote(urlsplit(login).username or "")
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"*:*:*:{role}:{PASSWORD}\n")
    passfile.chmod(0o600)  # libpq ignores a password file others may read
    env = {"PGPASSFILE": str(passfile), "PGPASSWORD": ""}
    made = cli("db", "upgrade", "--db", login, env=env)
    assert made.exit_code == 0, made.output
    status = cli("db", "status", "--db", login, env=env)
    assert status.exit_code == 0 and "current" in status.stdout
    assert "warning" not in made.stderr + status.stderr
    _no_secret(status)


def test_pgpassword_is_read_by_libpq(cli, login) -> None:
    added = cli("staff", "add", "CLIN-1", "--role", "clinician", "--db", login, env={"PGPASSWORD": PASSWORD})
    assert added.exit_code == 0, added.output
    assert "warning" not in added.stderr


def test_a_service_file_is_read_by_libpq(cli, login, tmp_path) -> None:
    parts = urlsplit(login)
    host = unquote(parts.query.removeprefix("host="))
    services = tmp_path / "pg_service.conf"
    services.write_text(
        f"[clinic]\nhost={host}\ndbname={parts.path.strip('/')}\nuser={parts.username}\npassword={PASSWORD}\n"
    )
    result = cli("db", "upgrade", "--db", "postgresql://?service=clinic", env={"PGSERVICEFILE": str(services)})
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr
    _no_secret(result)


def test_a_password_on_the_command_line_works_but_warns_without_showing_it(cli, login, tmp_path) -> None:
    in_netloc = login.replace("_login@", f"_login:{PASSWORD}@")
    in_query = f"{login}&password={PASSWORD}"
    for url in (in_netloc, in_query):
        result = cli("db", "upgrade", "--db", url, env={"PGPASSWORD": ""})
        assert result.exit_code == 0, result.output
        assert "rehabkit: warning: the PostgreSQL URL given as --db holds a password" in result.stderr
        assert "process list (ps)" in result.stderr and "~/.pgpass" in result.stderr
        _no_secret(result)
    copied = cli("db", "copy", in_query, str(tmp_path / "copy.sqlite3"), env={"PGPASSWORD": ""})
    assert copied.exit_code == 0, copied.output
    assert "given as SOURCE holds a password" in copied.stderr
    _no_secret(copied)
    from_env = cli("db", "status", env={"REHABKIT_DB": in_netloc, "PGPASSWORD": ""})
    assert from_env.exit_code == 0 and "warning" not in from_env.stderr  # the environment is not in ps
    _no_secret(from_env)


@settings(max_examples=150, deadline=None)
@given(
    secret=st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=4, max_size=30),
    in_query=st.booleans(),
    query=st.sampled_from(["", "sslmode=require", "host=%2Fsock&sslmode=require"]),
)
def test_no_message_ever_shows_a_password_given_in_a_url(secret, in_query, query) -> None:
    from rehabkit._sessions.locations import describe, holds_password

    encoded = quote(secret, safe="")
    assume(encoded not in "postgresql://pt@db.clinic:5433/rehab?" + query + "&password=***:")
    if in_query:
        url = f"postgresql://pt@db.clinic:5433/rehab?{query + '&' if query else ''}password={encoded}"
    else:
        url = f"postgresql://pt:{encoded}@db.clinic:5433/rehab" + (f"?{query}" if query else "")
    shown = describe(url)
    assert encoded not in shown and holds_password(url)
    assert shown.startswith("postgresql://pt") and "db.clinic" in shown and "***" in shown
