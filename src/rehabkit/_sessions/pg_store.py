"""The session store on PostgreSQL, for a clinic whose clinicians record from several machines.

:class:`PgStore` has the SQLite store's query methods (:class:`rehabkit._sessions.queries.StoreQueries`), run with
the statements written for PostgreSQL (:data:`rehabkit._sessions.statements.POSTGRES`) on psycopg's connection. What
cannot be shared is here: connecting, the schema version and migrations, refusing another program's database, the
patient lock, and the new row's id (``RETURNING id``). The store's tests run on both databases (tests/test_store.py).
Imported only when ``--db`` or ``REHABKIT_DB`` is a ``postgresql://`` URL, so that neither ``--help`` nor a SQLite
store pays for psycopg.

Every answer is committed as it is given (the connection is in autocommit
mode, as the SQLite store is); a migration runs in one transaction, under an
advisory lock, so that several machines opening a new or old database at once
wait for each other and each step runs once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg

from .._common.errors import StoreError
from .locations import redact
from .locks import PatientBusy, holder_name
from .pg_schema import BASELINE, MIGRATIONS, SCHEMA_TABLE, TABLES
from .queries import StoreQueries
from .readable import json_state
from .statements import POSTGRES

__all__ = ["LATEST", "PgStore"]

#: The first key of rehabkit's advisory locks ("RK" and a version), so they stay apart from other programs' locks.
LOCK_CLASS = 0x524B0001
#: The second key of the migration lock (patient locks use hashtext(patient id)).
MIGRATION_LOCK = 0
#: The latest schema version this rehabkit knows.
LATEST = max(MIGRATIONS)


class PgStore(StoreQueries):
    """An open session store in a PostgreSQL database. Use as a context manager, or call :meth:`close`."""

    #: Which database holds the store (``db status`` and messages say so).
    backend = "postgresql"
    #: psycopg's connection, in autocommit mode.
    _db: psycopg.Connection[Any]
    _sql = POSTGRES

    def __init__(self, url: str, *, create: bool = True, clinician: str | None = None, migrate: bool = True) -> None:
        """Connect; with ``create``, make the store's tables in an empty database. A database holding other tables
        is refused, and so is a schema newer than this rehabkit's."""
        self.url = url
        #: What messages name: the URL without its password.
        self.path = redact(url)
        #: The clinician every record made through this store is attributed to (None: not given).
        self.clinician = clinician
        try:
            self._db = psycopg.connect(url, autocommit=True, connect_timeout=10, application_name="rehabkit")
        except psycopg.Error as exc:
            raise StoreError(
                f"cannot connect to the session store {self.path!r}: {_first_line(exc)}. Check that the PostgreSQL "
                "server is running and the URL's user, host and database are right (--db or REHABKIT_DB); the "
                "database itself must exist (createdb NAME)."
            ) from None
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
            self._db.close()
            raise StoreError(
                f"cannot open the session store {self.path!r}: {_first_line(exc)}. Check that the database user may "
                "create and write tables in it, or choose another with --db or REHABKIT_DB."
            ) from None
        except BaseException:
            self._db.close()
            raise

    def _tables(self) -> set[str]:
        rows = self._db.execute(
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
        self._db.close()

    @property
    def schema_version(self) -> int:
        """The store's schema version (0 for an empty database)."""
        if self._db.execute("SELECT to_regclass(%s)", (SCHEMA_TABLE,)).fetchone() == (None,):
            return 0
        row = self._db.execute(f"SELECT max(version) FROM {SCHEMA_TABLE}").fetchone()
        return int(row[0] or 0) if row else 0

    def _refuse_newer(self, version: int) -> None:
        if 0 < version < BASELINE:
            raise StoreError(
                f"the session store {self.path!r} has schema version {version}, which no PostgreSQL store of "
                f"rehabkit has had (they begin at {BASELINE}); it was not made by rehabkit and is left as it is. Give "
                "rehabkit a database of its own."
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
        with self._db.transaction():
            # One transaction under one lock: DDL is transactional in PostgreSQL, so a failed step leaves nothing.
            self._db.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_CLASS, MIGRATION_LOCK))
            self._db.execute(f"CREATE TABLE IF NOT EXISTS {SCHEMA_TABLE} (version INTEGER NOT NULL)")
            version = self.schema_version
            self._refuse_newer(version)
            for number in range(max(version + 1, BASELINE), LATEST + 1):
                for statement in (s.strip() for s in MIGRATIONS[number].split(";")):
                    if statement:
                        self._db.execute(statement)  # rehabkit's own SQL, no input
            self._db.execute(f"DELETE FROM {SCHEMA_TABLE}")
            self._db.execute(f"INSERT INTO {SCHEMA_TABLE} (version) VALUES (%s)", (LATEST,))

    def upgrade(self) -> tuple[int, int]:
        """Bring the store to this rehabkit's schema; returns (version before, version after)."""
        before = self.schema_version
        self._migrate()
        return before, self.schema_version

    # --- locks ----------------------------------------------------------------

    @contextmanager
    def patient_lock(self, patient: str, what: str = "a session", clinician: str | None = None) -> Iterator[None]:
        """Hold the patient's advisory lock while the block writes (see :mod:`rehabkit._sessions.locks`)."""
        row = self._db.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", (LOCK_CLASS, patient)).fetchone()
        if not row or not row[0]:
            holder = self._db.execute(
                "SELECT a.application_name, to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ') FROM pg_locks l "
                "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
                "AND l.classid = %s::bigint::oid AND l.objid = (hashtext(%s)::bigint & 4294967295)::oid "
                "AND l.objsubid = 2",
                (LOCK_CLASS, patient),
            ).fetchone()
            name = None
            if holder:
                name = str(holder[0]).removeprefix("rehabkit: ") + (
                    f", connected since {holder[1]}" if holder[1] else ""
                )
            raise PatientBusy(patient, what, name)
        try:
            self._db.execute(
                "SELECT set_config('application_name', %s, false)",
                (f"rehabkit: {holder_name(what, patient, clinician or self.clinician)}"[:63],),
            )
            yield
        finally:
            if not self._db.closed:
                self._db.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", (LOCK_CLASS, patient))
                self._db.execute("SELECT set_config('application_name', 'rehabkit', false)")

    def session_login(self) -> str | None:
        """The login this store is connected as (``session_user``: a ``SET ROLE`` does not change it)."""
        row = self._db.execute("SELECT session_user").fetchone()
        return str(row[0]) if row else None

    def _rows_with_json_state(self, name: str, parameters: Sequence[Any]) -> list[Any]:
        """The rows of statement ``name`` ending with a stored text's JSON state (see
        :meth:`rehabkit._sessions.queries.StoreQueries._rows_with_json_state`). PostgreSQL's cast to ``json`` fails on
        a text that is not JSON, so that one damaged record would fail the whole query: then the rows are read again
        with the text itself (statement ``name_text``), and each text's state is worked out here. The first try runs in
        a transaction of its own (a savepoint inside one), so that its failure leaves nothing aborted."""
        try:
            with self._db.transaction():
                return list(self._db.execute(getattr(self._sql, name), parameters).fetchall())
        except psycopg.DataError:
            rows = self._db.execute(getattr(self._sql, f"{name}_text"), parameters).fetchall()
            return [(*row[:-1], json_state(row[-1])) for row in rows]

    def _insert(self, statement: str, parameters: Sequence[Any]) -> int:
        row = self._db.execute(statement, parameters).fetchone()  # the statement ends RETURNING id
        return int(row[0]) if row else 0

    def iter_tables(self) -> Iterator[str]:
        """Names of the store's tables (for diagnostics and tests)."""
        yield from sorted(self._tables())


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0].rstrip(".")
