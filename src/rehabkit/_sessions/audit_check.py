"""``rehabkit audit verify``: the audit trail recomputed, and every record compared with its latest entry.

Two passes over one consistent snapshot of the store (others may go on writing meanwhile):

1. **The chain.** Entries are numbered 1, 2, 3 ... with no gap; each one's ``prev`` is the hash of the one before, its
   own fields give its ``hash``, and its content gives its ``digest``. A gap is an entry deleted; a ``prev`` that does
   not follow is an entry deleted, inserted or moved; a hash that does not match is an entry edited. An entry whose
   content was blanked must be listed by an erasure's tombstone.
2. **The records.** Every row of every record table must be exactly what its latest entry says (a column missing from
   the entry, added by a later schema, counts as NULL); a row no entry records was inserted outside rehabkit; an
   entry whose row is gone records a deletion, unless an erasure removed it.

What this proves, and what it cannot (a writer who rewrites the whole trail consistently), is in docs/security.md.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Iterable
from typing import Any

import attrs

from .audit import BASELINE, ERASE, GENESIS, AuditEntry, canonical, content_digest, record_of
from .statements import AUDIT_COLUMNS, RECORD_TABLES, STAFF_TABLES
from .transfer import columns_of, read_snapshot, table_rows

__all__ = ["AuditFinding", "Verification", "verify_store"]


@attrs.frozen(slots=True)
class AuditFinding:
    """One thing the audit trail and the records disagree on, said in a sentence that names it."""

    #: ``edited``, ``deleted``, ``inserted`` (a record); ``entry-edited``, ``entry-deleted``, ``chain-broken``,
    #: ``content-removed``, ``patient-changed``, ``head-missing`` (the trail itself); ``table-missing``.
    kind: str
    message: str
    table: str | None = None
    #: The record as people name it: the row's id, or a patient's id.
    record: str | None = None
    #: The audit entry concerned.
    entry: int | None = None
    #: The columns that differ (an edited record).
    columns: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The finding as JSON (``audit verify --format json``)."""
        return attrs.asdict(self)


@attrs.frozen(slots=True)
class Verification:
    """What ``audit verify`` found: the trail's length, its head, and every finding (none: it verifies)."""

    entries: int
    #: Entries migration 8 wrote for rows stored before the trail (unverified history).
    baseline: int
    #: The hash of the last entry (what to record elsewhere, to check later that the trail was not rewritten).
    head: str
    #: Rows of the record tables compared with their entries.
    records: int
    findings: tuple[AuditFinding, ...]

    @property
    def ok(self) -> bool:
        """True when nothing was found."""
        return not self.findings


#: An answer's session in its canonical content.
_SESSION = re.compile(r'"session":(-?\d+)[,}]')


class _Chain:
    """The first pass: each entry checked against the one before; what the second pass needs kept on the way."""

    def __init__(self, head: str | None) -> None:
        self.findings: list[AuditFinding] = []
        self.count = self.baseline = 0
        self.prev, self.expected = GENESIS, 1
        #: table -> record -> (latest entry, its digest's bytes, or None when its content was blanked); a million
        #: records take a few hundred megabytes
        self.latest: dict[str, dict[str, tuple[int, bytes | None]]] = {table: {} for table in RECORD_TABLES}
        self.blanked: list[int] = []
        self.erased: set[int] = set()
        self.head, self.head_seen = head, head is None
        self.sessions: dict[str, str | None] = {}

    def check(self, entry: AuditEntry) -> None:
        self.count += 1
        self.baseline += entry.action == BASELINE
        if entry.id < self.expected:
            self._find("chain-broken", f"audit entry {entry.id} is numbered out of sequence", entry.id)
        elif entry.id != self.expected:
            missing = (
                f"audit entry {self.expected} is missing"
                if entry.id == self.expected + 1
                else f"audit entries {self.expected} to {entry.id - 1} are missing"
            )
            self._find("entry-deleted", f"{missing}: deleted from the trail", entry.id)
        elif entry.prev != self.prev:
            self._find(
                "chain-broken",
                f"the chain breaks at audit entry {entry.id}: it does not follow the entry before it (an entry "
                "was edited, inserted or moved)",
                entry.id,
            )
        if entry.expected_hash() != entry.hash:
            self._find(
                "entry-edited", f"audit entry {entry.id} was edited: its fields no longer give its hash", entry.id
            )
        self.prev, self.expected = entry.hash, entry.id + 1
        self.head_seen = self.head_seen or entry.hash == self.head
        if entry.content is None:
            if entry.digest is not None:
                self.blanked.append(entry.id)
        elif content_digest(entry.content) != entry.digest:
            self._find(
                "entry-edited", f"audit entry {entry.id} was edited: its content no longer gives its digest", entry.id
            )
            return
        self._keep(entry)

    def _keep(self, entry: AuditEntry) -> None:
        """What the records pass needs of an entry: the latest of each record, erasures, sessions' patients."""
        if entry.action == ERASE and entry.content is not None:
            self.erased.update(_listed(entry.content))
        if entry.tbl not in self.latest or entry.record is None:
            return
        if entry.content is None or entry.digest is None:
            self.latest[entry.tbl][entry.record] = (entry.id, None)
            return
        self.latest[entry.tbl][entry.record] = (entry.id, bytes.fromhex(entry.digest))
        named = self._named_patient(entry.tbl, entry.content, entry.patient)
        if named != entry.patient:
            self._find(
                "patient-changed",
                f"audit entry {entry.id} was edited: its patient column reads {entry.patient!r}, its record is of "
                f"{named!r}",
                entry.id,
            )

    def _named_patient(self, table: str, content: str, patient: str | None) -> str | None:
        """The patient an entry's content names (an answer: its session's patient). Canonical content is one flat
        JSON object, so the patient's key and value appear in it as written only at its top level: the common case
        needs no parsing."""
        if table == "sessions":
            row = json.loads(content)
            self.sessions[str(row.get("id"))] = row.get("patient")
            return row.get("patient")  # type: ignore[no-any-return]
        if table == "answers":
            found = _SESSION.search(content)
            return self.sessions.get(found.group(1)) if found else None
        if table in STAFF_TABLES:
            return None
        column = "id" if table == "patients" else "patient"
        if f'"{column}":{json.dumps(patient, ensure_ascii=False)}' in content:
            return patient
        value = json.loads(content).get(column)
        return None if value is None else str(value)

    def finish(self) -> None:
        for number in self.blanked:
            if number not in self.erased:
                self._find(
                    "content-removed",
                    f"audit entry {number}'s content was removed outside an erasure (no tombstone lists it)",
                    number,
                )
        if not self.head_seen:
            self.findings.append(
                AuditFinding(
                    "head-missing",
                    f"the chain head {self.head} recorded earlier is not in the trail: the trail was rewritten or cut "
                    "back after it",
                )
            )

    def _find(self, kind: str, message: str, entry: int) -> None:
        self.findings.append(AuditFinding(kind, message, entry=entry))


def _listed(content: str) -> Iterable[int]:
    """The entries an erasure's tombstone lists as blanked."""
    try:
        listed = json.loads(content).get("entries", [])
    except (ValueError, AttributeError):
        return ()
    return [number for number in listed if isinstance(number, int)]


def _patient_key(store: Any) -> str | None:
    from .audit import KEY_SETTING

    row = store._db.execute(store._sql.patient_key_setting, (KEY_SETTING,)).fetchone()
    return None if row is None else str(row[0])


def _check_table(store: Any, table: str, chain: _Chain, key: str | None) -> int:
    """The second pass over one table: each row against its latest entry; then the entries whose row is gone."""
    latest = chain.latest[table]
    columns = columns_of(store, table)
    count = 0
    for values in table_rows(store, table, columns):
        count += 1
        row = dict(zip(columns, values, strict=True))
        name = str(row["id"])
        known = latest.pop(record_of(table, row, key), None) if key or table != "patients" else None
        if known is None:
            chain.findings.append(
                AuditFinding("inserted", f"{table} {name}: inserted outside rehabkit (no audit entry records it)",
                             table, name)
            )  # fmt: skip
        elif known[1] is None:
            chain.findings.append(
                AuditFinding("inserted", f"{table} {name}: present again after its erasure (audit entry {known[0]})",
                             table, name, known[0])
            )  # fmt: skip
        elif hashlib.sha256(canonical(row).encode("utf-8")).digest() != known[1]:
            differ = _differences(store, known[0], row)
            if differ:
                chain.findings.append(
                    AuditFinding(
                        "edited",
                        f"{table} {name}: edited outside rehabkit ({', '.join(differ)} "
                        f"{'differs' if len(differ) == 1 else 'differ'} from audit entry {known[0]})",
                        table, name, known[0], tuple(differ),
                    )
                )  # fmt: skip
    for number, digest in latest.values():
        if digest is None and number in chain.erased:
            continue
        name = _recorded_name(store, table, number)
        chain.findings.append(
            AuditFinding("deleted", f"{table} {name}: deleted outside rehabkit (audit entry {number} records it)",
                         table, name, number)
        )  # fmt: skip
    return count


def _entry_content(store: Any, number: int) -> dict[str, Any]:
    row = store._db.execute(store._sql.audit_content, (number,)).fetchone()
    return dict(json.loads(row[0])) if row and row[0] else {}


def _differences(store: Any, number: int, row: dict[str, Any]) -> list[str]:
    """The columns in which a row differs from its entry (a column the entry lacks counts as NULL)."""
    recorded = _entry_content(store, number)
    return sorted(column for column in {*row, *recorded} if row.get(column) != recorded.get(column))


def _recorded_name(store: Any, table: str, number: int) -> str:
    """How a missing record is named: its id as its entry recorded it."""
    recorded = _entry_content(store, number)
    return str(recorded.get("id", f"(entry {number})"))


def verify_store(store: Any, head: str | None = None) -> Verification:
    """Verify the store's audit trail and every record against it, in one snapshot.

    ``head``: a chain head recorded earlier (elsewhere); a trail that no longer holds it was rewritten or cut back.
    """
    chain = _Chain(head)
    records = 0
    with read_snapshot(store):
        missing = [table for table in (*RECORD_TABLES, "settings", "audit") if not columns_of(store, table)]
        if missing:  # dropped: nothing to compare with (a store is never without them from schema 8 on)
            gone = tuple(AuditFinding("table-missing", f"the table {t} is missing: dropped outside rehabkit", t)
                         for t in missing)  # fmt: skip
            return Verification(0, 0, GENESIS, 0, gone)
        for values in table_rows(store, "audit", AUDIT_COLUMNS.split(", ")):
            chain.check(AuditEntry(*values))
        chain.finish()
        key = _patient_key(store)
        for table in RECORD_TABLES:
            records += _check_table(store, table, chain, key)
    return Verification(chain.count, chain.baseline, chain.prev, records, tuple(chain.findings))


#: How many of the latest entries :func:`quick_check` recomputes.
RECENT_ENTRIES = 1000


def quick_check(store: Any, recent: int = RECENT_ENTRIES) -> list[str]:
    """What a glance at the trail finds wrong, cheap enough for every ``clinic``: a refusing trigger dropped or
    disabled, an entry missing (the entries' numbers are 1 to n with no gap), and the chain of the latest ``recent``
    entries broken. Empty when none; ``audit verify`` is the full check (every entry and every record)."""
    from .guards import GUARDED_TABLES

    problems = []
    expected = {f"{table}_never_{what}" for table in GUARDED_TABLES for what in ("updated", "deleted")}
    missing = sorted(expected - _active_guards(store))
    if missing:
        problems.append(f"the triggers refusing changes in place are gone or disabled ({', '.join(missing[:3])}"
                        + (", ..." if len(missing) > 3 else "") + ")")  # fmt: skip
    count, last = store._db.execute("SELECT count(*), max(id) FROM audit").fetchone()
    if (last or 0) != count:
        problems.append(f"{(last or 0) - count} audit entries are missing (numbers 1 to {last}, {count} entries)")
    rows = store._db.execute(
        f"SELECT {AUDIT_COLUMNS} FROM audit WHERE id >= ? ORDER BY id".replace("?", store._sql.placeholder),
        ((last or 0) - recent,),
    ).fetchall()
    entries = [AuditEntry(*row) for row in rows]
    for before, entry in itertools.pairwise(entries):
        if entry.prev != before.hash or entry.hash != entry.expected_hash():
            problems.append(f"the chain breaks at audit entry {entry.id}")
            break
    return problems


def _active_guards(store: Any) -> set[str]:
    """The names of the store's refusing triggers that are in force."""
    if store.backend == "postgresql":
        query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D'"
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    return {str(name) for (name,) in store._db.execute(query).fetchall()}
