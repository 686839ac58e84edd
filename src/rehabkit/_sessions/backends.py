"""Which store a ``--db`` value names: a SQLite file, or a PostgreSQL database by its URL.

``--db`` (else ``REHABKIT_DB``, else the file under the user's data directory)
is a file path for SQLite, or ``postgresql://USER@HOST/DBNAME`` (also
``postgres://``, and libpq's ``?host=/socket/dir`` form) for PostgreSQL. psycopg
is imported only when such a URL is opened: ``rehabkit --help`` and every
SQLite run never load it, and without the ``postgres`` extra a PostgreSQL URL is
a usage error that says how to install it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from .._common.errors import StoreError
from .._common.exit_codes import ExitCode
from .locations import POSTGRES_SCHEMES, describe, is_postgres, redact, store_location

if TYPE_CHECKING:
    from .store_api import SessionStore

__all__ = [
    "POSTGRES_SCHEMES",
    "StoreUnavailable",
    "describe",
    "is_postgres",
    "latest_schema",
    "open_current",
    "open_store",
    "redact",
    "store_location",
]


class StoreUnavailable(StoreError):
    """The store's database needs something not installed (psycopg for PostgreSQL): a usage error, exit 2."""

    exit_code = ExitCode.USAGE


def open_store(
    db: str | None,
    *,
    create: bool = True,
    clinician: str | None = None,
    migrate: bool = True,
    env: Mapping[str, str] | None = None,
    read_only: bool = False,
) -> SessionStore:
    """Open the store ``db`` names (see :func:`store_location`): a :class:`~rehabkit._sessions.store.Store`, or a
    :class:`~rehabkit._sessions.pg_store.PgStore` for a PostgreSQL URL. ``create=False`` never creates one,
    ``migrate=False`` never upgrades one, ``read_only`` writes nothing at all."""
    location = store_location(db, env)
    if isinstance(location, str):
        try:
            from .pg_store import PgStore
        except ImportError as exc:
            raise StoreUnavailable(
                f"{describe(location)!r} is a PostgreSQL store, and the PostgreSQL driver is not installed ({exc}). "
                "Install it with: pip install 'rehabkit[postgres]' (psycopg 3), or give --db a SQLite file."
            ) from None
        return PgStore(location, create=create, clinician=clinician, migrate=migrate, read_only=read_only)
    from .store import Store

    return Store(location, create=create, clinician=clinician, migrate=migrate, read_only=read_only)


def latest_schema(store: SessionStore) -> int:
    """The schema version this rehabkit gives a store of ``store``'s database."""
    if store.backend == "postgresql":
        from .pg_store import LATEST

        return LATEST
    from .store import MIGRATIONS

    return len(MIGRATIONS)


def open_current(
    db: str | None, *, create: bool = False, clinician: str | None = None, read_only: bool = False
) -> SessionStore:
    """Open the store ``db`` names as a command that is not 'db upgrade' does: never upgrading it. ``create`` makes a
    new store of a missing or empty file (or database); an older store is refused (:class:`StoreError`) and left as
    it is, naming 'rehabkit db upgrade'; ``read_only`` writes nothing at all."""
    store = open_store(db, create=create, clinician=clinician, migrate=False, read_only=read_only)
    version, latest = store.schema_version, latest_schema(store)
    if version < latest:
        store.close()
        raise StoreError(
            f"the session store {describe(store_location(db))!r} has schema version {version}, older than this "
            f"rehabkit's ({latest}): nothing was read or recorded, and the store is left as it is. Upgrade it once "
            "with 'rehabkit db upgrade' and the same --db (back it up first), then run this command again."
        )
    return store
