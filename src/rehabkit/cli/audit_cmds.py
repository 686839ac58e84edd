"""``rehabkit audit verify|show``: the store's tamper-evident audit trail (:mod:`rehabkit._sessions.audit`)."""

from __future__ import annotations

import json
from typing import Any

import click

from .._common.exit_codes import GENERAL_EXIT_CODES, ExitCode, exit_code_help
from .._common.text import visible
from . import echo
from .exits import exit_with
from .options import db_option, format_option, parse_date
from .stores import open_store, permitted

__all__ = ["audit"]

_CODES = exit_code_help(GENERAL_EXIT_CODES)


@click.group(epilog=_CODES)
def audit() -> None:
    """Verify the store's audit trail, or list its entries.

    Every write to the store (answers, sessions, course events, staff changes, surgery dates, exports, erasures)
    is an entry of the audit trail, chained by hash to the entry before it. 'audit verify' recomputes the chain
    and compares every record with its latest entry: an edit, deletion or insertion made outside rehabkit, and an
    entry edited, deleted or moved, is named (exit 1). docs/security.md says what it proves and what it cannot.

    \b
    Examples:
      rehabkit audit verify
      rehabkit audit verify --format json
      rehabkit audit show --patient P-0042
      rehabkit audit show --since 2026-11-01 --format json
    """


@audit.command(epilog=_CODES)
@click.option(
    "--head",
    metavar="HASH",
    default=None,
    help="A chain head printed by an earlier 'audit verify' and kept elsewhere: the trail must still hold it.",
)
@format_option("json: the findings, the number of entries and the chain head as one object.")
@db_option
def verify(head: str | None, output_format: str, db: str | None) -> None:
    """Recompute the audit trail's chain and compare every record with its latest entry.

    Names each record edited, deleted or inserted outside rehabkit (its table, id and the columns that differ) and
    each audit entry edited, deleted or moved (where the chain breaks), and exits 1; else prints one line with the
    chain head. Keep the head somewhere else (a printout, another machine) and give it later with --head: a store
    rewritten whole, its chain recomputed, no longer holds it.

    \b
    Examples:
      rehabkit audit verify
      rehabkit audit verify --format json
    """
    from .._sessions.audit_check import verify_store

    with open_store(db, read_only=True) as store:
        result = verify_store(store, head)
    if output_format == "json":
        click.echo(
            json.dumps(
                {
                    "verified": result.ok,
                    "entries": result.entries,
                    "baseline_entries": result.baseline,
                    "records": result.records,
                    "head": result.head,
                    "findings": [finding.to_dict() for finding in result.findings],
                },
                indent=2,
            )
        )
    else:
        for finding in result.findings:
            echo(f"{visible(finding.message)}")
    if not result.ok:
        count = len(result.findings)
        raise exit_with(
            ExitCode.FINDINGS,
            f"rehabkit: audit: {count} finding{'s' if count != 1 else ''}: the store was changed outside rehabkit.",
        )
    if output_format == "text":
        unverified = (
            f", {result.baseline:,} of them unverified history from before the trail" if result.baseline else ""
        )
        echo(
            f"Audit trail verified: {result.entries:,} entries{unverified}; {result.records:,} records match their "
            f"latest entries. Chain head: {result.head}"
        )


@audit.command(epilog=_CODES)
@click.option("--patient", default=None, metavar="ID", help="Only the entries of this patient's records.")
@click.option(
    "--since", default=None, metavar="YYYY-MM-DD", help="Only the entries written on or after this day (UTC)."
)
@click.option(
    "--content",
    "with_content",
    is_flag=True,
    help="Include each entry's content (the record as written: clinical data) in the json output.",
)
@format_option("json: the entries as a list of objects.")
@db_option
def show(patient: str | None, since: str | None, with_content: bool, output_format: str, db: str | None) -> None:
    """List the audit trail's entries: when, what (the action, table and record), whose record, by whom and from
    which account.

    Only an admin reads the trail (clinical policy's who_may_act). The records' content is not printed (only with
    --content, in json). Entries written when the store was
    upgraded to the audit trail are marked as unverified history: their records were made before any actor was
    recorded, and an earlier free-text clinician id stays as it was typed.

    \b
    Examples:
      rehabkit audit show --patient P-0042
      rehabkit audit show --since 2026-11-01 --format json
    """
    day = parse_date(since, "'--since'").isoformat() if since is not None else None
    if with_content and output_format != "json":
        raise click.UsageError("--content is for --format json.")
    with open_store(db, read_only=True) as store:
        permitted(store, "read-audit")
        entries = store.audit_entries(patient=patient, since=day)
    if output_format == "json":
        click.echo(json.dumps([_entry_dict(e, with_content) for e in entries], indent=2))
        return
    if not entries:
        echo("No audit entries" + (f" for {patient}" if patient else "") + (f" since {day}" if day else "") + ".")
        return
    echo(
        f"{'ENTRY':>6}  {'AT (UTC)':<25}  {'ACTION':<8}  {'TABLE':<13}  {'RECORD':<13}  {'PATIENT':<12}  "
        "ACTOR (ACCOUNT)"
    )
    for entry in entries:
        echo(_entry_line(entry))


def _shown(value: str | None, width: int = 0) -> str:
    """A field as a line shows it: control characters written out, a keyed hash shortened."""
    text = "-" if value is None else visible(value)
    if len(text) == 64 and all(c in "0123456789abcdef" for c in text):
        text = f"#{text[:11]}"
    return f"{text:<{width}}"


def _entry_line(entry: Any) -> str:
    who = _shown(entry.actor) + (f" ({_shown(entry.account)})" if entry.account else "")
    line = (
        f"{entry.id:>6}  {_shown(entry.at, 25)}  {_shown(entry.action, 8)}  {_shown(entry.tbl, 13)}  "
        f"{_shown(entry.record, 13)}  {_shown(entry.patient, 12)}  {who}"
    )
    if entry.unverified:
        line += "  [unverified history: recorded before the audit trail]"
    return line


def _entry_dict(entry: Any, with_content: bool) -> dict[str, Any]:
    shown = {
        "id": entry.id,
        "at": entry.at,
        "action": entry.action,
        "table": entry.tbl,
        "record": entry.record,
        "patient": entry.patient,
        "actor": entry.actor,
        "account": entry.account,
        "unverified": entry.unverified,
        "digest": entry.digest,
        "prev": entry.prev,
        "hash": entry.hash,
    }
    if with_content:
        shown["content"] = _content(entry.content)
    return shown


def _content(text: str | None) -> Any:
    """An entry's content as JSON (as stored when it is not: 'audit verify' says so)."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text
