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

from .._common.errors import NotPermitted, StoreError
from .erasure import ErasureRefused
from .locations import FIRST_WRITERS, redact
from .locks import PatientBusy, holder_name
from .pg_schema import BASELINE, MIGRATIONS, SCHEMA_TABLE, TABLES
from .queries import StoreQueries
from .readable import json_state
from .statements import POSTGRES, RECORD_TABLES

__all__ = ["LATEST", "SESSION_LIFECYCLE", "PgStore", "grant_staff_login", "revoke_staff_login"]

#: The first key of rehabkit's advisory locks ("RK" and a version), so they stay apart from other programs' locks.
LOCK_CLASS = 0x524B0001
#: The second key of the migration lock (patient locks use hashtext(patient id)).
MIGRATION_LOCK = 0
#: The first key of the write lock every write transaction takes (:meth:`PgStore._write_transaction`): a class of
#: its own, apart from the patient locks' hashes.
WRITE_LOCK_CLASS = LOCK_CLASS + 1
#: The latest schema version this rehabkit knows.
LATEST = max(MIGRATIONS)


class PgStore(StoreQueries):
    """An open session store in a PostgreSQL database. Use as a context manager, or call :meth:`close`."""

    #: Which database holds the store (``db status`` and messages say so).
    backend = "postgresql"
    #: psycopg's connection, in autocommit mode.
    _db: psycopg.Connection[Any]
    _sql = POSTGRES

    def __init__(
        self,
        url: str,
        *,
        create: bool = True,
        clinician: str | None = None,
        migrate: bool = True,
        read_only: bool = False,
    ) -> None:
        """Connect; with ``create``, make the store's tables in an empty database. A database holding other tables
        is refused, and so is a schema newer than this rehabkit's. ``migrate``: upgrade an older store (else it is
        opened as it is); ``read_only``: every transaction of the connection is read-only, so nothing is written."""
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
            version = self.schema_version
            if version < LATEST:
                version = self._settled_version()
            if version == 0 and not create:
                raise StoreError(
                    f"there is no session store in {self.path!r}: check --db or REHABKIT_DB (a store is created by "
                    f"the first {FIRST_WRITERS})."
                )
            if read_only:
                self._db.execute("SET default_transaction_read_only = on")
            if not read_only and (migrate or version == 0):
                self._migrate()
            else:
                self._refuse_newer(version)
        except psycopg.errors.InsufficientPrivilege:
            login = self._login()
            self._db.close()
            raise NotPermitted(
                f"the login {login!r} may not read the session store {self.path!r}: it is registered as no one on it. "
                f"The store's admin registers it with 'rehabkit staff add YOUR-STAFF-ID --role ROLE --db-role {login}'."
            ) from None
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

    def _settled_version(self) -> int:
        """The schema version once a creation or upgrade under way on another connection has committed: it holds the
        migration lock for its whole transaction, so taking the lock waits for it."""
        with self._db.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_CLASS, MIGRATION_LOCK))
            return self.schema_version

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
                step = MIGRATIONS[number]
                if callable(step):
                    step(self._db)
                    continue
                for statement in (s.strip() for s in step.split(";")):
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

    @contextmanager
    def _write_transaction(self) -> Iterator[None]:
        """A transaction holding the store's write lock (an advisory lock, released at commit or rollback), taken
        before the chain's head is read: writers from every machine append one after another, and the chain never
        forks. An advisory lock needs no privilege on any table."""
        with self._db.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(%s, 0)", (WRITE_LOCK_CLASS,))
            yield

    @contextmanager
    def _guards_lifted(self, tables: Sequence[str]) -> Iterator[None]:
        """The refusing triggers disabled for the erasure's transaction (``ALTER TABLE ... DISABLE TRIGGER``, itself
        transactional, and taking each table's lock until the erasure commits): only the tables' owner may."""
        login, owner = self._login(), self._owner()  # read first: a refusal aborts the transaction
        try:
            for table in tables:
                self._db.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")  # rehabkit's own table names
        except psycopg.errors.InsufficientPrivilege:
            raise ErasureRefused(
                f"the login {login!r} may not erase a patient from {self.path!r}: an erasure lifts the "
                "triggers that refuse changing records, for its own transaction, and only the owner of the store's "
                f"tables ({owner!r}) may do that. Nothing was erased: run 'rehabkit patient erase' as the "
                "owner."
            ) from None
        yield
        for table in tables:
            self._db.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")

    def _settle_erasure(self) -> str | None:
        return (
            "PostgreSQL keeps the erased rows' old versions in the database's files until VACUUM reclaims them "
            "(VACUUM FULL on the store's tables rewrites them at once), and in its write-ahead archive and backups"
        )

    def _login(self) -> str:
        return str(self._db.execute("SELECT session_user").fetchone()[0])  # type: ignore[index]

    def _owner(self) -> str:
        row = self._db.execute(
            "SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'audit'"
        ).fetchone()
        return str(row[0]) if row else "?"

    def iter_tables(self) -> Iterator[str]:
        """Names of the store's tables (for diagnostics and tests)."""
        yield from sorted(self._tables())


#: The columns of a session that its own lifecycle sets while it is in progress (pain before and after, how it
#: ended): the only ones a staff login may UPDATE, and only while the session is in progress (the triggers).
SESSION_LIFECYCLE = ("pain_before", "pain_after", "finished", "status", "decision", "decision_detail", "within_limits")


def _grants(login: str, database: str, schema: str) -> list[Any]:
    from psycopg import sql

    who, tables = sql.Identifier(login), sql.SQL(", ").join(map(sql.Identifier, (*RECORD_TABLES, "audit", "settings")))
    columns = sql.SQL(", ").join(map(sql.Identifier, SESSION_LIFECYCLE))
    return [
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), who),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema), who),
        sql.SQL("GRANT SELECT ON {} TO {}").format(sql.Identifier(SCHEMA_TABLE), who),
        sql.SQL("GRANT SELECT, INSERT ON {} TO {}").format(tables, who),
        sql.SQL("GRANT UPDATE ({}) ON sessions TO {}").format(columns, who),
        sql.SQL("GRANT USAGE ON ALL SEQUENCES IN SCHEMA {} TO {}").format(sql.Identifier(schema), who),
    ]


def _revokes(login: str, database: str, schema: str) -> list[Any]:
    from psycopg import sql

    who, tables = sql.Identifier(login), sql.SQL(", ").join(map(sql.Identifier, (*RECORD_TABLES, "audit", "settings")))
    return [
        sql.SQL("REVOKE ALL ON {}, {} FROM {}").format(tables, sql.Identifier(SCHEMA_TABLE), who),
        sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA {} FROM {}").format(sql.Identifier(schema), who),
        sql.SQL("REVOKE USAGE ON SCHEMA {} FROM {}").format(sql.Identifier(schema), who),
        sql.SQL("REVOKE CONNECT ON DATABASE {} FROM {}").format(sql.Identifier(database), who),
    ]


def _run_privileges(store: PgStore, login: str, build: Any, what: str) -> None:
    db = store._db
    database, schema = db.execute("SELECT current_database(), current_schema()").fetchone() or ("", "")
    try:
        with db.transaction():
            for statement in build(login, database, schema):
                db.execute(statement)
    except psycopg.errors.UndefinedObject:
        raise StoreError(
            f"there is no PostgreSQL login {login!r} on the server of {store.path!r}: create it first "
            f"(CREATE ROLE {login} LOGIN), then {what} it."
        ) from None
    except psycopg.errors.InsufficientPrivilege:
        raise ErasureRefused(
            f"the login {store._login()!r} may not {what} {login!r} on {store.path!r}: only the owner of the store's "
            f"tables ({store._owner()!r}) may. Nothing was changed."
        ) from None


def grant_staff_login(store: PgStore, login: str) -> None:
    """Grant a staff member's PostgreSQL ``login`` what rehabkit needs on this store, and nothing more.

    SELECT and INSERT on every record table, the audit trail and the settings; UPDATE on a session's lifecycle
    columns only (:data:`SESSION_LIFECYCLE`; the triggers allow it while the session is in progress); USAGE on the
    id sequences; SELECT on the schema version. No DELETE, no TRUNCATE, no UPDATE of anything else, and not the
    tables' ownership, so the login can neither change a record in place nor lift the triggers that refuse it
    (docs/security.md). Run by the store's owner, in one transaction: all of it or nothing."""
    _run_privileges(store, login, _grants, "grant")


def revoke_staff_login(store: PgStore, login: str) -> None:
    """Take back from ``login`` everything :func:`grant_staff_login` gave (a staff member disabled)."""
    _run_privileges(store, login, _revokes, "revoke")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0].rstrip(".")
