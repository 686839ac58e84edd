"""Whole-store operations for ``rehabkit db``: what a store holds, and copying one store into another, verified.

A copy reads the source in one snapshot (a read transaction), writes the
destination in one transaction, and before committing it reads every table
back and compares it with the source, row count and content (a SHA-256 of
every row, column by column, in id order): a copy that would differ is rolled
back and leaves the destination as it was. Ids are kept, so that sessions,
answers, reports and events still point at each other; a PostgreSQL
destination's id sequences then go on after the largest id copied.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import attrs

from .._common.errors import StoreError
from .pg_schema import TABLES

__all__ = [
    "CopyMismatch",
    "TableSummary",
    "columns_of",
    "copy_store",
    "count_rows",
    "read_snapshot",
    "summarise",
    "table_rows",
]


class CopyMismatch(StoreError):
    """The destination did not read back as the source: nothing was kept."""


@attrs.frozen(slots=True)
class TableSummary:
    """One table of a store: its name, how many rows, and the digest of its content."""

    table: str
    rows: int
    digest: str


def _is_pg(store: Any) -> bool:
    return getattr(store, "backend", "sqlite") == "postgresql"


def _raw(store: Any) -> Any:
    """The store's own database connection (psycopg's, or sqlite3's): whole-store work speaks each one's dialect."""
    return store._db


def _order(store: Any, table: str) -> str:
    # Patient ids are ASCII codes: byte order ("C" collation) is the same on both databases, whatever the server's
    # locale.
    keys = {"patients": "id", "settings": "key"}
    if table in keys:
        return f'{keys[table]} COLLATE "C"' if _is_pg(store) else keys[table]
    return "id"


def columns_of(store: Any, table: str) -> list[str]:
    """The columns of ``table`` in the store, in the order they were made."""
    if _is_pg(store):
        rows = (
            _raw(store)
            .execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND table_name = %s ORDER BY ordinal_position",
                (table,),
            )
            .fetchall()
        )
        return [name for (name,) in rows]
    return [row[1] for row in _raw(store).execute(f"PRAGMA table_info({table})")]


def _quote(column: str) -> str:
    return f'"{column}"'


def table_rows(store: Any, table: str, columns: list[str]) -> Iterator[tuple[Any, ...]]:
    """Every row of ``table`` (the values of ``columns``) in id order, read in batches on PostgreSQL."""
    query = f"SELECT {', '.join(map(_quote, columns))} FROM {table} ORDER BY {_order(store, table)}"
    if _is_pg(store):
        # A server-side cursor reads in batches; it lives in a transaction (a savepoint inside the copy's snapshot).
        with _raw(store).transaction(), _raw(store).cursor(name=f"rehabkit_read_{table}") as cursor:
            cursor.itersize = 5000
            cursor.execute(query)
            yield from cursor
        return
    yield from _raw(store).execute(query)


def _digest(rows: Iterable[tuple[Any, ...]]) -> tuple[int, str]:
    sha = hashlib.sha256()
    count = 0
    for row in rows:
        sha.update(json.dumps([repr(v) if isinstance(v, float) else v for v in row]).encode())
        sha.update(b"\n")
        count += 1
    return count, sha.hexdigest()


def summarise(store: Any, tables: Iterable[str] = TABLES) -> list[TableSummary]:
    """Each table's row count and content digest (columns in name order, so both databases agree)."""
    result = []
    for table in tables:
        columns = sorted(columns_of(store, table))
        count, digest = _digest(table_rows(store, table, columns))
        result.append(TableSummary(table, count, digest))
    return result


def count_rows(store: Any, tables: Iterable[str] = TABLES) -> dict[str, int]:
    """How many rows each table holds (a table an older schema has not got yet is left out)."""
    counts = {}
    for table in tables:
        if columns_of(store, table):
            counts[table] = int(_raw(store).execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    return counts


@contextmanager
def read_snapshot(store: Any) -> Iterator[None]:
    """One consistent view of the store while it is read (others may go on writing)."""
    if _is_pg(store):
        with _raw(store).transaction():
            _raw(store).execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
        return
    _raw(store).execute("BEGIN")
    try:
        _raw(store).execute("SELECT count(*) FROM patients").fetchone()  # the read snapshot starts at the first read
        yield
    finally:
        _raw(store).execute("COMMIT")


@contextmanager
def _writing(store: Any) -> Iterator[None]:
    """One write transaction on the destination: committed only when the block ends without an exception."""
    if _is_pg(store):
        with _raw(store).transaction():
            yield
        return
    _raw(store).execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        _raw(store).execute("ROLLBACK")
        raise
    _raw(store).execute("COMMIT")


def _write(store: Any, table: str, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
    names = ", ".join(map(_quote, columns))
    if _is_pg(store):
        with _raw(store).cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        if "id" in columns and table not in ("patients", "audit"):  # an audit entry's number is its own
            _raw(store).execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
            )
        return
    marks = ", ".join("?" * len(columns))
    _raw(store).executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


def copy_store(source: Any, destination: Any) -> list[tuple[TableSummary, TableSummary]]:
    """Copy every table of ``source`` into the empty ``destination`` and verify it; (source, copy) summaries per table.

    Raises :class:`StoreError` when the destination already holds records or the two schemas differ, and
    :class:`CopyMismatch` (after rolling the copy back) when a table does not read back the same.
    """
    if source.schema_version != destination.schema_version:
        raise StoreError(
            f"the two stores have different schema versions ({source.schema_version} and "
            f"{destination.schema_version}); open both with this rehabkit first ('rehabkit db upgrade')."
        )
    held = {table: n for table, n in count_rows(destination).items() if n}
    if held:
        raise StoreError(
            f"the destination {destination.path!s} is not empty ({', '.join(f'{n} {t}' for t, n in held.items())}); "
            "copy into a new SQLite file or an empty PostgreSQL database, so that no two stores' records are mixed."
        )
    pairs: list[tuple[TableSummary, TableSummary]] = []
    with read_snapshot(source), _writing(destination):
        for table in TABLES:
            columns = columns_of(source, table)
            if sorted(columns) != sorted(columns_of(destination, table)):
                raise StoreError(
                    f"the table {table} has different columns in the two stores: {columns} and "
                    f"{columns_of(destination, table)}."
                )
            _write(destination, table, columns, table_rows(source, table, columns))
        for table in TABLES:
            (before,), (after,) = summarise(source, [table]), summarise(destination, [table])
            if before != after:
                raise CopyMismatch(
                    f"the copy of the table {table} does not read back as the source ({before.rows} rows, "
                    f"{after.rows} copied; content {'identical' if before.digest == after.digest else 'different'}): "
                    "nothing was kept in the destination. Report this as a bug, naming both databases' versions."
                )
            pairs.append((before, after))
    return pairs
