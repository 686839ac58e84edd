"""``rehabkit patient export|erase``: everything the store holds on one patient, handed over or erased.

The store does the work (:mod:`rehabkit._sessions.erasure`); these commands choose the patient, confirm, write
the file (0600, whole or not at all) and say what was done. An export and an erasure are audit entries themselves.
"""

from __future__ import annotations

import datetime
import json
import sys
from typing import Any

import click

from .._common.exit_codes import GENERAL_EXIT_CODES, ExitCode, exit_code_help
from . import AppState, echo
from .exits import error_exit
from .options import clinician_option, db_option, patient_argument
from .rendering import write_export
from .stores import course_lock, open_store, permitted

__all__ = ["patient"]

#: What the JSON export says it is, so that a reader can tell its form (bumped when the form changes).
EXPORT_FORMAT = "rehabkit-patient-export/1"


@click.group(epilog=exit_code_help(GENERAL_EXIT_CODES))
def patient() -> None:
    """Hand a patient everything the store holds on them, or erase it.

    \b
    Examples:
      rehabkit patient export P-0042 -o P-0042.json
      rehabkit patient export P-0042 --format fhir -o P-0042.fhir.json
      rehabkit patient erase P-0099 --reason "asked by the patient, letter of 2026-11-20" --yes
    """


@patient.command(epilog=exit_code_help((*GENERAL_EXIT_CODES, ExitCode.PATIENT_BUSY)))
@patient_argument()
@click.option("-o", "--output", required=True, metavar="FILE", help="The file to write (readable by you only, 0600).")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["json", "fhir"]),
    default="json",
    show_default=True,
    help="json: every row of every table about the patient, as stored, with their audit entries. fhir: each course "
    "of an installed protocol as FHIR resources, in one Bundle.",
)
@click.option("--fhir", "version", type=click.Choice(["r4b", "r5"]), default="r5", show_default=True,
              help="The FHIR version of --format fhir.")  # fmt: skip
@clinician_option
@db_option
@click.pass_obj
def export(
    state: AppState, patient: str, output: str, output_format: str, version: str, clinician: str | None, db: str | None
) -> None:
    """Write everything the store holds on PATIENT, across every protocol, to one file.

    The JSON export holds the patient's row, surgery dates, sessions, answers, measures, next-morning reports and
    course events, each row as stored, and every audit entry of those records with its content. The FHIR export
    gives each course in an installed protocol as 'rehabkit export --patient' does, in one Bundle (the JSON export
    is the complete one). The export is itself recorded in the audit trail (who, when, what; never the data).

    \b
    Examples:
      rehabkit patient export P-0042 -o P-0042.json
      rehabkit patient export P-0042 --format fhir -o P-0042.fhir.json
    """
    from .._sessions.transfer import read_snapshot

    with open_store(db, create=False) as store:
        permitted(store, "export-patient", state.registry().policy(), patient, clinician)
        with read_snapshot(store):
            rows = store.patient_rows(patient)
            entries = store.audit_entries(patient=patient)
        if not rows["patients"] and not entries:
            raise error_exit(
                ExitCode.FINDINGS, f"the store holds nothing of patient {patient!r}: check the id and --db."
            )
        if output_format == "json":
            data = _json_export(patient, rows, entries)
        else:
            data = _fhir_export(state, store, patient, version)
        counts = {table: len(found) for table, found in rows.items()}
        detail = {
            "format": "json" if output_format == "json" else f"fhir-{version}",
            "rows": counts,
            "audit_entries": len(entries),
        }
        where = write_export(store, patient, output, data, detail)
    counted = ", ".join(f"{n} {table}" for table, n in counts.items() if n)
    echo(f"Wrote everything held on {patient} ({counted}; {len(entries)} audit entries) to {where}.", err=True)


def _json_export(patient: str, rows: dict[str, list[dict[str, Any]]], entries: list[Any]) -> bytes:
    from .audit_cmds import _entry_dict

    document = {
        "format": EXPORT_FORMAT,
        "patient": patient,
        "exported_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "records": rows,
        "audit": [_entry_dict(entry, with_content=True) for entry in entries],
    }
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _fhir_export(state: AppState, store: Any, patient: str, version: str) -> bytes:
    """Each course of an installed protocol as its Bundle's entries, in one Bundle (type collection)."""
    from .._outputs.exports import build_course_export
    from .._outputs.fhir.record import course_bundle

    registry = state.registry()
    today = datetime.date.today()
    entries: dict[str, Any] = {}
    for protocol_id in store.protocols_of(patient):
        try:
            protocol = registry.find_protocol(protocol_id).item
        except LookupError:
            echo(
                f"rehabkit: warning: the course of {patient} in {protocol_id} is not in the FHIR export: the protocol "
                "is not installed (the JSON export holds every record).",
                err=True,
            )
            continue
        bundle = course_bundle(build_course_export(store, registry, patient, protocol, today), version)
        for entry in bundle["entry"]:
            entries.setdefault(entry["fullUrl"], entry)
    bundle = {
        "resourceType": "Bundle",
        "id": "".join(c if c.isalnum() or c in "-." else "-" for c in f"{patient}.{today.isoformat()}")[:64],
        "type": "collection",
        "timestamp": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "entry": list(entries.values()),
    }
    return (json.dumps(bundle, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


@patient.command(epilog=exit_code_help((*GENERAL_EXIT_CODES, ExitCode.PATIENT_BUSY, ExitCode.NOT_PERMITTED)))
@patient_argument()
@click.option("--reason", required=True, metavar="TEXT", help="Why (kept in the tombstone; never the patient's id).")
@click.option("--yes", is_flag=True, help="Erase without asking to type the patient's id.")
@clinician_option
@db_option
def erase(patient: str, reason: str, yes: bool, clinician: str | None, db: str | None) -> None:
    """Erase every record of PATIENT from the store, leaving a tombstone in the audit trail.

    Every row carrying the id goes, in every table, in one transaction, and the patient's audit entries lose their
    content and patient while keeping their hashes, so that 'audit verify' still passes. The tombstone keeps a
    keyed hash of the id (someone who holds the id can show it was erased), who erased, when and why. Exports
    already written, backups and copies of the store are outside its reach. On PostgreSQL only the owner of the
    store's tables may erase (exit 9 otherwise).

    \b
    Examples:
      rehabkit patient erase P-0099 --reason "asked by the patient, letter of 2026-11-20" --yes
    """
    if not yes:
        _confirm(patient)
    with open_store(db, create=False) as store:
        actor = permitted(store, "erase-patient", None, patient, clinician)
        with course_lock(store, patient, "an erasure", actor.id):
            _erase(store, patient, reason)


def _erase(store: Any, patient: str, reason: str) -> None:
    """Erase the patient (under their lock) and say what was erased and what is left."""
    from .._sessions.erasure import ErasureRefused

    try:
        done = store.erase_patient(patient, reason)
    except LookupError as exc:
        raise error_exit(ExitCode.FINDINGS, str(exc)) from None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--reason'") from None
    except ErasureRefused as exc:
        raise error_exit(ExitCode.NOT_PERMITTED, str(exc)) from None
    removed = ", ".join(f"{n} {table}" for table, n in done.rows.items() if n) or "no rows"
    echo(
        f"Erased {patient}: {removed}; {done.blanked} audit entries blanked. Tombstone: audit entry {done.tombstone} "
        f"(keyed hash {done.patient_key[:16]}...)."
    )
    echo("Exports already written, backups and copies of the store still hold what they held.", err=True)
    if done.leftover:
        echo(f"rehabkit: note: {done.leftover}.", err=True)
    for table, column, count in done.remaining:
        echo(
            f"rehabkit: warning: the id still appears in {count} row{'s' if count != 1 else ''} of {table}.{column} "
            "(text in another record, which this erasure does not change): review it.",
            err=True,
        )


def _confirm(patient: str) -> None:
    if not sys.stdin.isatty():
        raise click.UsageError("an erasure cannot be undone: give --yes to erase without a terminal to confirm at.")
    typed = click.prompt(f"Erasing cannot be undone. Type {patient} to erase every record of it", default="")
    if typed.strip() != patient:
        raise error_exit(ExitCode.FINDINGS, f"nothing was erased ({typed.strip()!r} is not {patient!r}).")
