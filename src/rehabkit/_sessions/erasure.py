"""A patient's own data: everything held on them, for an export, and their erasure with a tombstone.

An erasure removes every row that carries the patient's id, in every record table (a patient registered to act on
their own course included, with their changes of the staff register), and blanks the content and the patient of
their audit entries, keeping each entry's digest and hash: the chain still verifies, and nothing of the
patient is left to read. It then appends a tombstone entry: a keyed hash of the id (HMAC-SHA256 with the store's
random key, :func:`rehabkit._sessions.audit.patient_key`), who erased, when and why, the rows removed and the entries
blanked (which ``audit verify`` then expects to be blank and gone). The whole erasure is one transaction.

The triggers refusing changes in place (:mod:`.guards`) are lifted for that transaction only, by the backend: SQLite
drops and re-creates them (with ``secure_delete`` on, so the freed pages are zeroed, and the write-ahead log is
checkpointed afterwards); PostgreSQL disables them with ``ALTER TABLE``, which only the tables' owner may do
(:class:`ErasureRefused` otherwise). Copies outside the store (backups, a PostgreSQL server's write-ahead archive, a
file an export wrote) are outside its reach: docs/security.md says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs

from .._common.errors import StoreError
from .._common.exit_codes import ExitCode
from .statements import RECORD_TABLES, STAFF_TABLES

__all__ = ["Erasure", "ErasureRefused", "erase_patient", "mentions", "patient_rows"]

#: The statements removing a patient's rows, children before the rows they refer to: (table, statement name).
ERASE_ORDER = (
    ("answers", "erase_answers"),
    ("next_day", "erase_next_days"),
    ("course_events", "erase_events"),
    ("measures", "erase_measures"),
    ("surgery_dates", "erase_surgery_dates"),
    ("sign_ins", "erase_sign_ins"),
    ("sessions", "erase_sessions"),
    ("patients", "erase_patient"),
    ("staff_events", "erase_staff_events"),
)

#: The tables an erasure writes: the patient's record tables and the audit trail (its triggers are lifted there).
ERASED_TABLES = (*(table for table, _ in ERASE_ORDER), "audit")


class ErasureRefused(StoreError):
    """The erasure needs more than the store's login may do (on PostgreSQL, the tables' owner): nothing was erased."""

    exit_code = ExitCode.NOT_PERMITTED


@attrs.frozen(slots=True)
class Erasure:
    """What an erasure did: the tombstone's keyed hash of the id and its entry, the rows removed by table, how many
    audit entries were blanked, and where the id still appears (text in another patient's record, which an erasure
    of this patient does not touch: see :func:`mentions`)."""

    patient_key: str
    tombstone: int
    rows: dict[str, int]
    blanked: int
    remaining: tuple[tuple[str, str, int], ...] = ()
    #: What the database's files still hold of the erased rows for now, in words (None: nothing).
    leftover: str | None = None


def patient_rows(store: Any, patient: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every record table that is the patient's, by table, each as column -> value, in id order."""
    found: dict[str, list[dict[str, Any]]] = {}
    for table in RECORD_TABLES:
        if table in STAFF_TABLES:
            continue
        cursor = store._db.execute(store._sql.of_patient(table), (patient,))
        names = [d[0] for d in cursor.description]
        found[table] = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return found


def _refuse_naming(patient: str, reason: str) -> None:
    if not reason.strip():
        raise ValueError("give the reason for the erasure (it is kept in the tombstone)")
    if patient.casefold() in reason.casefold():
        raise ValueError(
            f"the reason names the patient ({patient!r}): it is kept in the tombstone after everything else of the "
            "patient is gone, so say why without the id"
        )


def erase_patient(store: Any, patient: str, reason: str) -> Erasure:
    """Erase every row of ``patient`` and blank their audit entries, in one transaction, with a tombstone entry.

    Raises ``LookupError`` when the store holds nothing of the patient, ``ValueError`` for a reason that is empty or
    names the patient, and :class:`ErasureRefused` when the store's login may not lift the triggers."""
    from . import audit

    _refuse_naming(patient, reason)
    db, sql = store._db, store._sql
    with store._transaction():
        entries = [int(row[0]) for row in db.execute(sql.audit_ids_of_patient, (patient,)).fetchall()]
        registered = _registration_entries(db, sql, patient)
        if not entries and not registered and not store.has_patient(patient):
            raise LookupError(f"the store holds nothing of patient {patient!r}: check the id and --db")
        key = audit.patient_key(audit.store_key(db, sql), patient)
        rows: dict[str, int] = {}
        with store._guards_lifted(ERASED_TABLES):
            for table, statement in ERASE_ORDER:
                rows[table] = int(db.execute(getattr(sql, statement), (patient,)).rowcount)
            db.execute(sql.blank_audit_of_patient, (patient,))
            for number in registered:
                db.execute(sql.blank_audit_entry, (number,))
        entries = sorted({*entries, *registered})
        content = {"patient_key": key, "reason": reason, "rows": rows, "entries": entries}
        tombstone = audit.append(
            db,
            sql,
            at=_now(),
            actor=store.clinician,
            account=store.account,
            action=audit.ERASE,
            tbl=None,
            record=None,
            patient=None,
            content=audit.canonical(content),
        )
    leftover = store._settle_erasure()
    return Erasure(key, tombstone, rows, len(entries), tuple(mentions(store, patient)), leftover)


def _registration_entries(db: Any, sql: Any, patient: str) -> list[int]:
    """The audit entries of the staff register's changes of a person registered under the patient's id (a patient
    who acts on their own course), which name no patient in their ``patient`` column."""
    ids = {str(row[0]) for row in db.execute(sql.staff_event_ids, (patient,)).fetchall()}
    if not ids:
        return []
    return [int(number) for number, record in db.execute(sql.audit_of_staff_events).fetchall() if record in ids]


def _now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="seconds")


def _text_columns(store: Any) -> Iterator[tuple[str, str]]:
    from .pg_schema import TABLES
    from .transfer import columns_of

    for table in TABLES:
        for column in columns_of(store, table):
            yield table, column


def mentions(store: Any, text: str) -> list[tuple[str, str, int]]:
    """Where ``text`` appears in the store: (table, column, rows), for every table and column, as text, anywhere in
    the value (a scan of every table: for checking an erasure, not for a command that runs often)."""
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    found = []
    for table, column in _text_columns(store):
        row = store._db.execute(store._sql.mentions(table, column), (pattern,)).fetchone()
        if row and row[0]:
            found.append((table, column, int(row[0])))
    return found
