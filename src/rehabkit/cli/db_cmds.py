"""``rehabkit db status|upgrade|copy``: a session store as a whole, on SQLite or PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import click

from .._common.exit_codes import ExitCode
from . import EXIT_CODES, echo
from .exits import error_exit
from .options import db_option, format_option, warn_password_in_argv
from .stores import open_store


@click.group(epilog=EXIT_CODES)
def db() -> None:
    """Show, upgrade or copy a session store: a SQLite file, or a PostgreSQL database (--db postgresql://USER@HOST/DBNAME).

    \b
    Examples:
      rehabkit db status
      rehabkit db upgrade
      rehabkit db copy store.sqlite3 copy-of-store.sqlite3
    """


def _state(version: int, latest: int) -> str:
    if version == 0:
        return "empty: no store yet ('rehabkit staff add' or 'rehabkit db upgrade' creates it)"
    if version < latest:
        return (
            f"older than this rehabkit's ({latest}): 'rehabkit db upgrade' upgrades it; until then every other "
            "command refuses it"
        )
    if version > latest:
        return f"newer than this rehabkit understands ({latest}): upgrade rehabkit on this machine"
    return "current"


def _inspect(db: str | None) -> dict[str, Any]:
    """What ``status`` shows, read without creating, upgrading or locking anything."""
    import sqlite3

    from .._sessions.backends import describe, store_location
    from .._sessions.locations import FIRST_WRITERS
    from .._sessions.store import MIGRATIONS, StoreError
    from .._sessions.transfer import count_rows

    location = store_location(db)
    latest = len(MIGRATIONS)
    info: dict[str, Any] = {
        "store": describe(location),
        "database": "postgresql" if isinstance(location, str) else "sqlite",
        "latest_schema_version": latest,
    }
    if isinstance(location, str):
        with _open_pg_readonly(location) as store:
            version = store.schema_version
            info.update(exists=True, schema_version=version, counts=count_rows(store) if 0 < version <= latest else {})
    else:
        if not location.is_file():
            raise click.ClickException(
                f"there is no session store at {str(location)!r}: check --db or REHABKIT_DB "
                f"(a store is created by the first {FIRST_WRITERS})."
            )
        try:
            connection = sqlite3.connect(f"{location.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
            try:
                version = int(connection.execute("PRAGMA user_version").fetchone()[0])
                fake = _Connection(connection)
                info.update(
                    exists=True, schema_version=version, counts=count_rows(fake) if 3 <= version <= latest else {}
                )
            finally:
                connection.close()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the session store {str(location)!r}: {exc}.") from None
    info["state"] = _state(info["schema_version"], latest)
    return info


class _Connection:
    """A read-only SQLite connection seen as a store by :func:`rehabkit._sessions.transfer.count_rows`."""

    backend = "sqlite"

    def __init__(self, connection: Any) -> None:
        self._db = connection


def _open_pg_readonly(url: str) -> Any:
    from .._sessions.backends import StoreUnavailable
    from .._sessions.store import StoreError

    try:
        from .._sessions.backends import open_store as open_location

        return open_location(url, create=False, migrate=False, read_only=True)
    except StoreUnavailable as exc:
        raise error_exit(ExitCode.USAGE, str(exc)) from None
    except StoreError as exc:
        if "there is no session store" in str(exc):
            from .._sessions.pg_store import PgStore

            return PgStore(url, create=True, read_only=True)  # an empty database: status says so, nothing is made
        raise click.ClickException(str(exc)) from None


@db.command(epilog=EXIT_CODES)
@format_option("json: the store, its schema version and the rows in each table as one object.")
@db_option
def status(output_format: str, db: str | None) -> None:
    """Show a store's database, schema version (and this rehabkit's) and how many rows each table holds.

    Reads only: it never creates, upgrades or locks a store.

    \b
    Examples:
      rehabkit db status
      rehabkit db status --format json
    """
    from .._sessions.store import StoreError

    try:
        info = _inspect(db)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    if output_format == "json":
        click.echo(json.dumps(info, indent=2))
        return
    echo(f"Store: {info['store']} ({'PostgreSQL' if info['database'] == 'postgresql' else 'SQLite'})")
    echo(f"Schema version: {info['schema_version']}, {info['state']}")
    for table, count in info.get("counts", {}).items():
        echo(f"  {table:<14} {count:>9,} rows")


@db.command(epilog=EXIT_CODES)
@db_option
def upgrade(db: str | None) -> None:
    """Create a store, or bring an older one to this rehabkit's schema (each migration once, in order).

    It is the one command that upgrades a store: every other command refuses an
    older store, leaving it as it is, and says to run this (for example on a
    clinic's PostgreSQL database before the clinicians' machines run the new
    rehabkit). A store newer than this rehabkit is refused.

    \b
    Examples:
      rehabkit db upgrade
      rehabkit db upgrade --db postgresql://rehabkit@db.clinic/rehabkit
    """
    from .._sessions.backends import describe, store_location
    from .._sessions.store import MIGRATIONS

    location = store_location(db)
    before = 0
    if not isinstance(location, str) and location.is_file():
        before = int(_inspect(db)["schema_version"])
    elif isinstance(location, str):
        with _open_pg_readonly(location) as store:
            before = store.schema_version
    with _open_to_upgrade(db) as store:
        after = store.schema_version
    if before == after:
        echo(f"{describe(location)}: schema version {after}, already this rehabkit's ({len(MIGRATIONS)}).")
    else:
        echo(f"{describe(location)}: schema version {before} -> {after}" + (" (a new store)." if before == 0 else "."))


def _open_to_upgrade(db: str | None) -> Any:
    """The store, created or brought to this rehabkit's schema: the one command that upgrades a store."""
    from .._sessions.backends import StoreUnavailable, open_store
    from .._sessions.store import StoreError

    try:
        return open_store(db, create=True, migrate=True)
    except StoreUnavailable as exc:
        raise error_exit(ExitCode.USAGE, str(exc)) from None
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None


@db.command(epilog=EXIT_CODES)
@click.argument("source", metavar="SOURCE", callback=warn_password_in_argv)
@click.argument("destination", metavar="DESTINATION", callback=warn_password_in_argv)
@format_option("json: each table's rows and content digest in both stores.")
def copy(source: str, destination: str, output_format: str) -> None:
    """Copy the whole store SOURCE into DESTINATION and verify the copy, table by table (rows and content).

    Each is a SQLite file or a postgresql:// URL: a clinic moves its SQLite store
    into PostgreSQL, and back. DESTINATION must be new or empty; ids are kept.
    SOURCE is read in one snapshot and DESTINATION written in one transaction,
    kept only when every table reads back the same (else exit 3, nothing kept).

    \b
    Examples:
      rehabkit db copy clinic.sqlite3 copy-of-clinic.sqlite3
      rehabkit db copy clinic.sqlite3 postgresql://rehabkit@db.clinic/rehabkit
    """
    from .._sessions.backends import describe, store_location
    from .._sessions.store import StoreError
    from .._sessions.transfer import CopyMismatch, copy_store

    if describe(store_location(source)) == describe(store_location(destination)):
        raise click.UsageError("SOURCE and DESTINATION are the same store.")
    with open_store(source, read_only=True) as origin, open_store(destination, create=True) as target:
        try:
            pairs = copy_store(origin, target)
        except CopyMismatch as exc:
            raise error_exit(ExitCode.FAILURE, str(exc)) from None
        except StoreError as exc:
            raise click.ClickException(str(exc)) from None
        names = (
            f"{origin.path} ({_kind(origin)}, schema {origin.schema_version})",
            f"{target.path} ({_kind(target)}, schema {target.schema_version})",
        )
    if output_format == "json":
        click.echo(
            json.dumps(
                {
                    "source": str(names[0]),
                    "destination": str(names[1]),
                    "identical": True,
                    "tables": [
                        {
                            "table": a.table,
                            "rows": a.rows,
                            "copied": b.rows,
                            "digest": a.digest,
                            "copy_digest": b.digest,
                        }
                        for a, b in pairs
                    ],
                },
                indent=2,
            )
        )
        return
    echo(f"Copied {names[0]}")
    echo(f"  into {names[1]}:")
    for before, _ in pairs:
        echo(f"  {before.table:<14} {before.rows:>9,} rows  identical (sha256 {before.digest[:12]})")
    echo("Verified: every table has the same rows, column for column, in both stores.")


def _kind(store: Any) -> str:
    return "PostgreSQL" if getattr(store, "backend", "sqlite") == "postgresql" else "SQLite"
