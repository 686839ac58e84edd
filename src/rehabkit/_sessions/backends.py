"""Which store a ``--db`` value names: a SQLite file, or a PostgreSQL database by its URL.

``--db`` (else ``REHABKIT_DB``, else the file under the user's data directory)
is a file path for SQLite, or ``postgresql://USER@HOST/DBNAME`` (also
``postgres://``, and libpq's ``?host=/socket/dir`` form) for PostgreSQL. psycopg
is imported only when such a URL is opened: ``rehabkit --help`` and every
SQLite run never load it, and without the ``postgres`` extra a PostgreSQL URL is
a usage error that says how to install it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._common.exit_codes import ExitCode
from .store import StoreError, default_db_path

__all__ = ["POSTGRES_SCHEMES", "StoreUnavailable", "describe", "is_postgres", "open_store", "redact", "store_location"]

#: The URL schemes that name a PostgreSQL store (libpq accepts both).
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class StoreUnavailable(StoreError):
    """The store's database needs something not installed (psycopg for PostgreSQL): a usage error, exit 2."""

    exit_code = ExitCode.USAGE


def is_postgres(location: str | os.PathLike[str] | None) -> bool:
    """True when ``location`` is a PostgreSQL URL rather than a file."""
    return isinstance(location, str) and location.lower().startswith(POSTGRES_SCHEMES)


def store_location(db: str | None, env: Mapping[str, str] | None = None) -> str | Path:
    """What ``--db`` (else ``REHABKIT_DB``, else the default file) names: a PostgreSQL URL as given, or a file path."""
    env = os.environ if env is None else env
    chosen = db or env.get("REHABKIT_DB") or None
    if chosen is not None and is_postgres(chosen):
        return chosen
    if db:
        return Path(db)
    return default_db_path(env)


def redact(url: str) -> str:
    """A PostgreSQL URL without its password, to be shown in messages."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        password, port = parts.password, parts.port
    except ValueError:
        return "<an unreadable PostgreSQL URL>"
    if password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname or ''}" + (f":{port}" if port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def describe(location: str | Path) -> str:
    """The store as messages name it: a file path, or the URL without its password."""
    if isinstance(location, str) and is_postgres(location):
        return redact(location)
    return str(location)


def open_store(
    db: str | None,
    *,
    create: bool = True,
    clinician: str | None = None,
    migrate: bool = True,
    env: Mapping[str, str] | None = None,
) -> Any:
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
