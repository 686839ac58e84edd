"""The triggers that refuse changing a record in place, on SQLite and on PostgreSQL (schema 8).

Records are appended, never changed: a correction is a new record that keeps the old value. Every record table, the
audit trail and the store's settings refuse UPDATE and DELETE, whoever sends them, rehabkit or a SQL shell. The one
exception is a session's own lifecycle: while its status is ``in-progress``, a ``sessions`` row may have its pain
before and after set and be finished (or marked incomplete) once; its patient, protocol, phase, date and clinician
never change. Every such update is an audit entry of its own.

The triggers are the second line: ``rehabkit audit verify`` finds whatever a writer who drops them changes. An
erasure (``rehabkit patient erase``) lifts them inside its own transaction and puts them back before it commits:
on SQLite by dropping and re-creating them, on PostgreSQL with ``ALTER TABLE ... DISABLE TRIGGER``, which only the
tables' owner may run.

On PostgreSQL one more trigger keeps an entry's ``account`` honest: a login that does not own the store may append an
entry only in its own name (its ``account`` is ``session_user``), so a staff member's login cannot write entries as
someone else's.
"""

from __future__ import annotations

from .statements import RECORD_TABLES

__all__ = [
    "GUARDED_TABLES",
    "SESSION_FIXED",
    "postgres_guards",
    "postgres_table_guards",
    "sqlite_guards",
    "sqlite_unguards",
]

#: The tables whose rows are never changed in place: every record table, the audit trail and the settings.
GUARDED_TABLES = (*RECORD_TABLES, "audit", "settings")

#: A session's columns that never change, even while it is in progress.
SESSION_FIXED = ("id", "patient", "protocol", "version", "phase", "started", "date", "clinician")

_REFUSAL = "rehabkit: {table} rows are never changed in place (a correction is a new record; see docs/security.md)"


def _session_may_not_change(old: str, new: str, differ: str) -> str:
    """The condition (SQL) under which an update of a sessions row is refused."""
    fixed = " OR ".join(f"{new}.{column} {differ} {old}.{column}" for column in SESSION_FIXED)
    return f"{old}.status <> 'in-progress' OR {fixed}"


def sqlite_guards(tables: tuple[str, ...] = GUARDED_TABLES) -> list[str]:
    """The statements creating SQLite's refusing triggers on ``tables`` (each one statement: their bodies hold
    semicolons)."""
    statements = []
    for table in tables:
        message = _REFUSAL.format(table=table).replace("'", "''")
        when = f" WHEN {_session_may_not_change('OLD', 'NEW', 'IS NOT')}" if table == "sessions" else ""
        statements.append(
            f"CREATE TRIGGER {table}_never_updated BEFORE UPDATE ON {table}{when} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
        )
        statements.append(
            f"CREATE TRIGGER {table}_never_deleted BEFORE DELETE ON {table} BEGIN SELECT RAISE(ABORT, '{message}'); END"
        )
    return statements


def sqlite_unguards(tables: tuple[str, ...] = GUARDED_TABLES) -> list[str]:
    """The statements dropping SQLite's refusing triggers on ``tables`` (an erasure, inside its transaction)."""
    return [f"DROP TRIGGER IF EXISTS {table}_never_{what}" for table in tables for what in ("updated", "deleted")]


def postgres_guards(tables: tuple[str, ...] = GUARDED_TABLES) -> list[str]:
    """The statements creating PostgreSQL's refusing trigger function and the triggers on ``tables`` (each one
    statement)."""
    statements = [
        # No '%' anywhere: psycopg would read it as a placeholder. The message is built with ||.
        "CREATE FUNCTION rehabkit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation', MESSAGE = 'rehabkit: ' || TG_TABLE_NAME "
        "|| ' rows are never changed in place (a correction is a new record; see docs/security.md)'; END $$"
    ]
    statements += [
        "CREATE FUNCTION rehabkit_audit_account() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF NEW.account IS DISTINCT FROM session_user AND NOT pg_has_role(session_user, "
        "(SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN "
        "RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = 'rehabkit: the login ' || session_user "
        "|| ' may append audit entries only in its own name (account ' || session_user || ')'; "
        "END IF; RETURN NEW; END $$",
        "CREATE TRIGGER audit_account_is_login BEFORE INSERT ON audit FOR EACH ROW "
        "EXECUTE FUNCTION rehabkit_audit_account()",
    ]
    return statements + postgres_table_guards(tables)


def postgres_table_guards(tables: tuple[str, ...]) -> list[str]:
    """The statements creating PostgreSQL's refusing triggers on ``tables`` (the function exists: schema 8)."""
    statements: list[str] = []
    for table in tables:
        when = f" WHEN ({_session_may_not_change('OLD', 'NEW', 'IS DISTINCT FROM')})" if table == "sessions" else ""
        statements += [
            f"CREATE TRIGGER {table}_never_updated BEFORE UPDATE ON {table} FOR EACH ROW{when} "
            "EXECUTE FUNCTION rehabkit_refuse_change()",
            f"CREATE TRIGGER {table}_never_deleted BEFORE DELETE ON {table} FOR EACH ROW "
            "EXECUTE FUNCTION rehabkit_refuse_change()",
            f"CREATE TRIGGER {table}_never_truncated BEFORE TRUNCATE ON {table} FOR EACH STATEMENT "
            "EXECUTE FUNCTION rehabkit_refuse_change()",
        ]
    return statements
