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

__all__ = ["POSTGRES_SCHEMES", "StoreUnavailable", "describe", "is_postgres", "open_store", "redact", "store_location"]


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
) -> SessionStore:
    """Open the store ``db`` names (see :func:`store_location`): a :class:`~rehabkit._sessions.store.Store`, or a
    :class:`~rehabkit._sessions.pg_store.PgStore` for a PostgreSQL URL. ``create=False`` never creates one."""
    location = store_location(db, env)
    if isinstance(location, str):
        try:
            from .pg_store import PgStore
        except ImportError as exc:
            raise StoreUnavailable(
                f"{describe(location)!r} is a PostgreSQL store, and the PostgreSQL driver is not installed ({exc}). "
                "Install it with: pip install 'rehabkit[postgres]' (psycopg 3), or give --db a SQLite file."
            ) from None
        return PgStore(location, create=create, clinician=clinician, migrate=migrate)
    from .store import Store

    return Store(location, create=create, clinician=clinician, migrate=migrate)
