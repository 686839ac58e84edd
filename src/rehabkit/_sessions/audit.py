"""The audit trail: every write to a store's records is an entry chained by hash to the entry before it.

An entry names who wrote (``actor``, the acting staff id, and ``account``, the operating-system account or database
login they act from), when (``at``, UTC), what (``action``: insert, update, baseline, export, erase), and the record
(``tbl`` and ``record``, the row's id). ``content`` is the row as it stands after the write, as canonical JSON (every
column, keys sorted), and ``digest`` its SHA-256. ``hash`` is the SHA-256 of the entry's number, the hash of the
entry before it (``prev``) and every field above but ``content`` and ``patient``: the hash covers the digest, not the
content, so that erasing a patient blanks the content of their entries and the chain still verifies, while any
other change to an entry, its removal or a change of order breaks it.

Two fields name a patient outside the content, and neither is hashed: ``patient``, which finds a patient's entries
(for ``audit show --patient``, an export and an erasure), and nothing else. A ``patients`` row's own id *is* a
patient id, so its entries name the row by a keyed hash of the id (:func:`patient_key`, HMAC-SHA256 with a random key
kept in the store's ``settings`` table), the same value an erasure's tombstone keeps: an erased patient's id is found
nowhere in the store, and whoever holds the id can still find the tombstone.

This module knows no dialect: the store's statements (:mod:`.statements`) and its connection (sqlite3's or
psycopg's) are passed in. :mod:`.queries` calls :func:`append` from its one write path, migration 8 calls
:func:`write_baseline` for the rows already stored, and :mod:`.audit_check` verifies the chain.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from .statements import RECORD_TABLES, Statements

__all__ = [
    "BASELINE",
    "ERASE",
    "EXPORT",
    "GENESIS",
    "RECORD_TABLES",
    "SELF",
    "AuditEntry",
    "actor_for",
    "append",
    "canonical",
    "chain_hash",
    "content_digest",
    "patient_key",
    "read_row",
    "record_of",
    "row_patient",
    "store_key",
    "write_baseline",
]


#: The ``prev`` of the first entry.
GENESIS = "0" * 64
#: The action of the entries migration 8 wrote for the rows stored before the audit trail: unverified history.
BASELINE = "baseline"
#: The action of a patient's export.
EXPORT = "export"
#: The action of an erasure's tombstone.
ERASE = "erase"

#: The actor of an entry a patient made on their own record (a session at home, their own export): their id is in
#: the entry's ``patient`` column, which an erasure blanks, never in the hashed ``actor``, which it cannot. Not a
#: valid staff id, so it names no one else.
SELF = "(the patient)"

#: The ``settings`` key of the store's random key for :func:`patient_key`.
KEY_SETTING = "patient-key"


@attrs.frozen(slots=True)
class AuditEntry:
    """One entry of the audit trail, as stored."""

    id: int
    at: str
    actor: str | None
    account: str | None
    action: str
    tbl: str | None
    record: str | None
    patient: str | None
    content: str | None
    digest: str | None
    prev: str
    hash: str

    @property
    def unverified(self) -> bool:
        """True for a baseline entry: a row stored before the audit trail, whose author and history nobody checked
        (an earlier free-text clinician id stays as it was recorded)."""
        return self.action == BASELINE

    def expected_hash(self) -> str:
        """The hash this entry's fields give (equal to :attr:`hash` unless the entry was changed)."""
        return chain_hash(
            self.prev, self.id, self.at, self.actor, self.account, self.action, self.tbl, self.record, self.digest
        )


def actor_for(actor: str | None, patient: str | None) -> str | None:
    """How an entry names who wrote it: the acting person's id, or :data:`SELF` for the patient acting on their own
    record."""
    return SELF if actor is not None and actor == patient else actor


def canonical(row: Mapping[str, Any]) -> str:
    """A row as the audit trail keeps it: JSON of column -> value, keys sorted, no spaces, non-ASCII kept."""
    return json.dumps(dict(row), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_digest(content: str | None) -> str | None:
    """SHA-256 of an entry's content (None for none)."""
    return None if content is None else hashlib.sha256(content.encode("utf-8")).hexdigest()


def chain_hash(
    prev: str,
    number: int,
    at: str,
    actor: str | None,
    account: str | None,
    action: str,
    tbl: str | None,
    record: str | None,
    digest: str | None,
) -> str:
    """The hash of an entry: SHA-256 of a JSON array of its fields, so that no two different entries read alike."""
    fields = [prev, number, at, actor, account, action, tbl, record, digest]
    return hashlib.sha256(json.dumps(fields, separators=(",", ":")).encode("utf-8")).hexdigest()


def patient_key(key: str, patient: str) -> str:
    """The keyed hash (HMAC-SHA256, hex) of a patient id: how a ``patients`` row's entries and a tombstone name it."""
    return hmac.new(key.encode("ascii"), patient.encode("utf-8"), hashlib.sha256).hexdigest()


def store_key(db: Any, sql: Statements) -> str:
    """The store's random key for :func:`patient_key`, made (inside the caller's write transaction) at first need."""
    row = db.execute(sql.patient_key_setting, (KEY_SETTING,)).fetchone()
    if row is None:
        db.execute(sql.add_setting, (KEY_SETTING, secrets.token_hex(32)))
        row = db.execute(sql.patient_key_setting, (KEY_SETTING,)).fetchone()
    return str(row[0])


def read_row(db: Any, sql: Statements, table: str, record: Any) -> dict[str, Any] | None:
    """The row ``record`` of ``table`` as column -> value (None when there is none)."""
    cursor = db.execute(sql.row(table), (record,))
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in cursor.description], row, strict=True))


def row_patient(db: Any, sql: Statements, table: str, row: Mapping[str, Any]) -> str | None:
    """The patient a row is about (None for the staff register): its ``patient``, a patient row's id, an answer's
    session's patient."""
    if table == "answers":
        found = db.execute(sql.session_patient, (row["session"],)).fetchone()
        return str(found[0]) if found else None
    return _own_patient(table, row)


def record_of(table: str, row: Mapping[str, Any], key: str | None) -> str:
    """How an entry names its row: the id, or for a patient row the keyed hash of the id (``key``: the store's)."""
    if table == "patients":
        assert key is not None
        return patient_key(key, str(row["id"]))
    return str(row["id"])


class _Chain:
    """The end of the chain while entries are appended in one write transaction: the last entry's number and hash."""

    def __init__(self, db: Any, sql: Statements) -> None:
        head = db.execute(sql.audit_head).fetchone()
        self.number, self.prev = (int(head[0]), str(head[1])) if head else (0, GENESIS)

    def entry(self, fields: Mapping[str, Any]) -> tuple[Any, ...]:
        """The parameters of ``add_audit`` for the next entry (fields: at, actor, account, action, tbl, record,
        patient, content); the chain's end moves on to it."""
        at, actor, account, action, tbl, record, patient, content = (fields[name] for name in _FIELDS)
        digest = content_digest(content)
        number, prev = self.number + 1, self.prev
        hashed = chain_hash(prev, number, at, actor, account, action, tbl, record, digest)
        self.number, self.prev = number, hashed
        return (number, at, actor, account, action, tbl, record, patient, content, digest, prev, hashed)


_FIELDS = ("at", "actor", "account", "action", "tbl", "record", "patient", "content")


def append(db: Any, sql: Statements, **fields: Any) -> int:
    """Append one entry (fields: at, actor, account, action, tbl, record, patient, content) after the chain's head.

    Called inside the caller's write transaction, which holds the store's write lock (SQLite's ``BEGIN IMMEDIATE``,
    PostgreSQL's advisory lock), so that no two writers read the same head and the chain never forks. Returns the
    entry's number."""
    values = _Chain(db, sql).entry(fields)
    db.execute(sql.add_audit, values)
    return int(values[0])


def write_baseline(db: Any, sql: Statements, at: str, tables: tuple[str, ...] = RECORD_TABLES) -> int:
    """Migration 8: a ``baseline`` entry for every row already stored, table by table in id order; how many.

    Written with no actor: who made a record before the audit trail is what its own ``clinician`` column says, as
    it was typed, which nobody checked."""
    chain = _Chain(db, sql)
    key = store_key(db, sql) if db.execute(sql.has_patient_row).fetchone() else None
    sessions: dict[Any, str] = {}
    count = 0
    for table in tables:
        for rows in _batches(db, sql, table):
            batch = []
            for row in rows:
                if table == "sessions":
                    sessions[row["id"]] = row["patient"]
                fields = {
                    "at": at,
                    "actor": None,
                    "account": None,
                    "action": BASELINE,
                    "tbl": table,
                    "record": record_of(table, row, key),
                    "patient": sessions.get(row["session"]) if table == "answers" else _own_patient(table, row),
                    "content": canonical(row),
                }
                batch.append(chain.entry(fields))
            db.cursor().executemany(sql.add_audit, batch)
            count += len(batch)
    return count


def _batches(db: Any, sql: Statements, table: str, size: int = 5000) -> Iterator[list[dict[str, Any]]]:
    """Every row of a table in id order, a few thousand at a time (a store of a million answers is never held
    whole): through a server-side cursor on PostgreSQL, inside the migration's transaction."""
    cursor = db.cursor(name=f"rehabkit_baseline_{table}") if sql.dialect == "postgresql" else db.cursor()
    cursor.execute(sql.rows(table))
    names: list[str] | None = None
    while rows := cursor.fetchmany(size):
        names = names or [d[0] for d in cursor.description]
        yield [dict(zip(names, values, strict=True)) for values in rows]
    cursor.close()


def _own_patient(table: str, row: Mapping[str, Any]) -> str | None:
    if table == "patients":
        return str(row["id"])
    value = row.get("patient")
    return None if value is None else str(value)
