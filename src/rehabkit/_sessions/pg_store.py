"""The session store on PostgreSQL, for a clinic whose clinicians record from several machines.

:class:`PgStore` *is* a :class:`rehabkit._sessions.store.Store`: every query
method is the SQLite store's own, run through :class:`_Connection`, which
speaks PostgreSQL's dialect where SQLite's differs (``%s`` placeholders,
``ON CONFLICT DO NOTHING``, ``RETURNING id`` for the new row's id, the column
``by`` quoted). What cannot be shared is here: connecting, the schema version
and migrations, refusing another program's database, and the patient lock. So
a query added to the store works on both at once, and the store's tests run
on both (tests/test_store.py). Imported only when ``--db`` or ``REHABKIT_DB``
is a ``postgresql://`` URL, so that neither ``--help`` nor a SQLite store pays
for psycopg.

Every answer is committed as it is given (the connection is in autocommit
mode, as the SQLite store is); a migration runs in one transaction, under an
advisory lock, so that several machines opening a new or old database at once
wait for each other and each step runs once.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg

from .locations import redact
from .pg_schema import BASELINE, MIGRATIONS, SCHEMA_TABLE, TABLES
from .store import Store, StoreError

__all__ = ["LATEST", "PgStore"]

#: The first key of rehabkit's advisory locks ("RK" and a version), so they stay apart from other programs' locks.
LOCK_CLASS = 0x524B0001
#: The second key of the migration lock (patient locks use hashtext(patient id)).
MIGRATION_LOCK = 0
#: The latest schema version this rehabkit knows.
LATEST = max(MIGRATIONS)


#: Tables whose rows get their id from an identity column (an INSERT into them returns it).
_IDENTITY_TABLES = frozenset(TABLES) - {"patients"}


@functools.lru_cache(maxsize=256)
def translate(sql: str, parameters: bool) -> tuple[str, bool]:
    """A statement of the SQLite store in PostgreSQL's dialect, and whether it returns the new row's id.

    The store's SQL is written for both: standard SQL but for these four differences, which are mended here.
    """
    text = sql.strip()
    if text.upper().startswith("INSERT OR IGNORE INTO "):
        text = "INSERT INTO " + text[len("INSERT OR IGNORE INTO ") :] + " ON CONFLICT DO NOTHING"
    if parameters:
        text = text.replace("%", "%%").replace("?", "%s")
    text = re.sub(
        r'(?<!")\bby\b(?!")', '"by"', text
    )  # a reserved word in PostgreSQL; the store's keywords are upper case
    match = re.match(r"INSERT INTO (\w+)", text)
    returning = bool(match and match.group(1) in _IDENTITY_TABLES and "RETURNING" not in text.upper())
    return (text + " RETURNING id" if returning else text), returning


class _Result:
    """A psycopg cursor as the store reads sqlite3's: rows, ``rowcount`` and ``lastrowid``."""

    def __init__(self, cursor: Any, lastrowid: int | None) -> None:
        self._cursor = cursor
        self.lastrowid = lastrowid
        self.rowcount = cursor.rowcount

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        return list(self._cursor.fetchall())

    def __iter__(self) -> Iterator[Any]:
        return iter(self._cursor)


class _Connection:
    """What :class:`~rehabkit._sessions.store.Store` calls on its sqlite3 connection, on a psycopg one."""

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self.connection = connection

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> _Result:
        text, returning = translate(sql, bool(parameters))
        cursor = self.connection.execute(text, list(parameters) if parameters else None)
        lastrowid = None
        if returning:
            row = cursor.fetchone()
            lastrowid = int(row[0]) if row else None
        return _Result(cursor, lastrowid)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        text, _ = translate(sql, True)
        with self.connection.cursor() as cursor:
            cursor.executemany(text.removesuffix(" RETURNING id"), list(rows))

    def close(self) -> None:
        self.connection.close()


class PgStore(Store):
    """An open session store in a PostgreSQL database. Use as a context manager, or call :meth:`close`."""

    #: Which database holds the store (``db status`` and messages say so).
    backend = "postgresql"

    def __init__(self, url: str, *, create: bool = True, clinician: str | None = None, migrate: bool = True) -> None:  # noqa: D107
        """Connect; with ``create``, make the store's tables in an empty database. A database holding other tables
        is refused, and so is a schema newer than this rehabkit's."""
        self.url = url
        #: What messages name: the URL without its password.
        self.path = redact(url)  # type: ignore[assignment]
        #: The clinician every record made through this store is attributed to (None: not given).
        self.clinician = clinician
        try:
            self._conn = psycopg.connect(url, autocommit=True, connect_timeout=10, application_name="rehabkit")
        except psycopg.Error as exc:
            raise StoreError(
                f"cannot connect to the session store {self.path!r}: {_first_line(exc)}. Check that the PostgreSQL "
                "server is running and the URL's user, host and database are right (--db or REHABKIT_DB); the "
                "database itself must exist (createdb NAME)."
            ) from None
        self._db = _Connection(self._conn)
        try:
            self._refuse_foreign()
            if not create and self.schema_version == 0:
                raise StoreError(
                    f"there is no session store in {self.path!r}: check --db or REHABKIT_DB (a store is created by "
                    "the first 'rehabkit run' or 'rehabkit approve', or by 'rehabkit db upgrade')."
                )
            if migrate:
                self._migrate()
            else:
                self._refuse_newer(self.schema_version)
        except psycopg.Error as exc:
            self._conn.close()
            raise StoreError(
                f"cannot open the session store {self.path!r}: {_first_line(exc)}. Check that the database user may "
                "create and write tables in it, or choose another with --db or REHABKIT_DB."
            ) from None
        except BaseException:
            self._conn.close()
            raise

    def _tables(self) -> set[str]:
        rows = self._conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchall()
        return {name for (name,) in rows}

    def _refuse_foreign(self) -> None:
        """A database holding another program's tables is never turned into a store."""
        tables = self._tables()
        ours = {*TABLES, SCHEMA_TABLE}
        if tables - ours or (tables and SCHEMA_TABLE not in tables):
            raise StoreError(
                f"{self.path!r} is not a rehabkit session store (it holds the tables {', '.join(sorted(tables))}); "
                "rehabkit will not change it. Give rehabkit a database of its own (createdb rehabkit) in --db or "
                "REHABKIT_DB."
            )

    def __enter__(self) -> PgStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (which releases any lock it holds)."""
        self._conn.close()

    @property
    def schema_version(self) -> int:
        """The store's schema version (0 for an empty database)."""
        if self._conn.execute("SELECT to_regclass(%s)", (SCHEMA_TABLE,)).fetchone() == (None,):
            return 0
        row = self._conn.execute(f"SELECT max(version) FROM {SCHEMA_TABLE}").fetchone()
        return int(row[0] or 0) if row else 0

    def _refuse_newer(self, version: int) -> None:
        if 0 < version < BASELINE:
            raise StoreError(
                f"the session store {self.path!r} has schema version {version}, which no PostgreSQL store of rehabkit "
                f"has had (they begin at {BASELINE}); it was not made by rehabkit and is left as it is. Give rehabkit a "
                "database of its own."
            )
        if version > LATEST:
            raise StoreError(
                f"the session store {self.path!r} has schema version {version}, newer than this rehabkit "
                f"understands ({LATEST}); upgrade rehabkit (pip install -U 'rehabkit[postgres]') on this machine, "
                "as on the one that upgraded the store."
            )

    def _migrate(self) -> None:
        version = self.schema_version
        self._refuse_newer(version)
        if version == LATEST:
            return
        with self._conn.transaction():
            # One transaction under one lock: DDL is transactional in PostgreSQL, so a failed step leaves nothing.
            self._conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_CLASS, MIGRATION_LOCK))
            self._conn.execute(f"CREATE TABLE IF NOT EXISTS {SCHEMA_TABLE} (version INTEGER NOT NULL)")
            version = self.schema_version
            self._refuse_newer(version)
            for number in range(max(version + 1, BASELINE), LATEST + 1):
                for statement in (s.strip() for s in MIGRATIONS[number].split(";")):
                    if statement:
                        self._conn.execute(statement)  # rehabkit's own SQL, no input
            self._conn.execute(f"DELETE FROM {SCHEMA_TABLE}")
            self._conn.execute(f"INSERT INTO {SCHEMA_TABLE} (version) VALUES (%s)", (LATEST,))

    def upgrade(self) -> tuple[int, int]:
        """Bring the store to this rehabkit's schema; returns (version before, version after)."""
        before = self.schema_version
        self._migrate()
        return before, self.schema_version

    # --- locks ----------------------------------------------------------------

    @contextmanager
    def patient_lock(self, patient: str, what: str = "a session", clinician: str | None = None) -> Iterator[None]:
        """Hold the patient's advisory lock while the block writes (see :mod:`rehabkit._sessions.locks`)."""
        from .locks import PatientBusy, holder_name

        row = self._conn.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", (LOCK_CLASS, patient)).fetchone()
        if not row or not row[0]:
            holder = self._conn.execute(
                "SELECT a.application_name, to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ') FROM pg_locks l "
                "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
                "AND l.classid = %s::bigint::oid AND l.objid = (hashtext(%s)::bigint & 4294967295)::oid AND l.objsubid = 2",
                (LOCK_CLASS, patient),
            ).fetchone()
            name = None
            if holder:
                name = str(holder[0]).removeprefix("rehabkit: ") + (
                    f", connected since {holder[1]}" if holder[1] else ""
                )
            raise PatientBusy(patient, what, name)
        try:
            self._conn.execute(
                "SELECT set_config('application_name', %s, false)",
                (f"rehabkit: {holder_name(what, patient, clinician or self.clinician)}"[:63],),
            )
            yield
        finally:
            if not self._conn.closed:
                self._conn.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", (LOCK_CLASS, patient))
                self._conn.execute("SELECT set_config('application_name', 'rehabkit', false)")

    def iter_tables(self) -> Iterator[str]:
        """Names of the store's tables (for diagnostics and tests)."""
        yield from sorted(self._tables())


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0].rstrip(".")
