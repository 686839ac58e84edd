"""Where a session store lives: what ``--db`` (else ``REHABKIT_DB``, else the file under the user's data directory)
names, and how messages name it.

A SQLite store is a file path; a PostgreSQL store is a ``postgresql://USER@HOST/DBNAME`` URL (also ``postgres://``,
and libpq's ``?host=/socket/dir`` form), shown without its password. Nothing here opens a store or imports a database
driver: :mod:`rehabkit._sessions.backends` opens the store, and :mod:`rehabkit._sessions.pg_store` names its database
through :func:`redact`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

__all__ = [
    "FIRST_WRITERS",
    "POSTGRES_SCHEMES",
    "default_db_path",
    "describe",
    "holds_password",
    "is_postgres",
    "redact",
    "store_location",
]

#: The commands that make a new store, as messages name them: a store with no one registered records nothing, so the
#: other commands never create one.
FIRST_WRITERS = "'rehabkit staff add', which registers you as its first admin, or 'rehabkit db upgrade'"
#: The URL schemes that name a PostgreSQL store (libpq accepts both).
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def default_db_path(env: Mapping[str, str] | None = None) -> Path:
    """``REHABKIT_DB``, else ``rehabkit/rehabkit.sqlite3`` under the user's data directory."""
    env = os.environ if env is None else env
    if env.get("REHABKIT_DB"):
        return Path(env["REHABKIT_DB"]).expanduser()
    if os.name == "nt" and env.get("APPDATA"):
        base = Path(env["APPDATA"])
    elif env.get("XDG_DATA_HOME"):
        base = Path(env["XDG_DATA_HOME"])
    else:
        base = Path(env.get("HOME", str(Path.home()))) / ".local" / "share"
    return base / "rehabkit" / "rehabkit.sqlite3"


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
    """A PostgreSQL URL without its password (``user:***@host``, ``password=***``), to be shown in messages."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        password, port = parts.password, parts.port
    except ValueError:
        return "<an unreadable PostgreSQL URL>"
    fields = [f.partition("=") for f in parts.query.split("&")] if parts.query else []
    if password is None and not any(key.lower() == "password" for key, _, _ in fields):
        return url
    netloc = parts.netloc
    if password is not None:
        netloc = f"{parts.username}:***@{parts.hostname or ''}" + (f":{port}" if port else "")
    # libpq's other place for a password: the query's ``password`` parameter
    query = "&".join(f"{key}=***" if key.lower() == "password" else f"{key}{eq}{value}" for key, eq, value in fields)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def holds_password(location: str) -> bool:
    """True when a PostgreSQL URL carries a password (``user:PASSWORD@host`` or ``?password=...``): given on a command
    line, every user of the machine can read it in the process list."""
    return is_postgres(location) and redact(location) != location


def describe(location: str | Path) -> str:
    """The store as messages name it: a file path, or the URL without its password."""
    if isinstance(location, str) and is_postgres(location):
        return redact(location)
    return str(location)
