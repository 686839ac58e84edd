"""``rehabkit approve`` and ``rehabkit review``: what clinicians record about a patient's course."""

from __future__ import annotations

import datetime
import json
from typing import Any

import click

from .._common.exit_codes import GENERAL_EXIT_CODES, ExitCode, exit_code_help
from . import AppState, echo
from .exits import exit_with, request_error
from .options import (
    check_staff_id,
    clinician_option,
    date_option,
    db_option,
    format_option,
    patient_argument,
    surgery_date,
    surgery_date_option,
)
from .protocols import course_context, resolve_protocol
from .refusals import APPROVAL_WORDS, describe_stop
from .stores import course_lock, note_surgery_change, open_store, require_patient

APPROVAL_KINDS = tuple(APPROVAL_WORDS)
OUTCOMES = ("resume", "earlier-phase", "discharge", "refer")


def _course_protocol(state: AppState, store: Any, patient: str, wanted: str | None) -> Any:
    """The protocol a course command is about: the one ``wanted``, else the patient's only or latest one."""
    if wanted is None:
        mine = store.protocols_of(patient)
        if not mine:
            raise click.UsageError(f"patient {patient!r} has no course yet: name the protocol with --protocol.")
        wanted = mine[-1]
    protocol, _ = resolve_protocol(state, wanted, lint=False)
    return protocol


@click.command(epilog=exit_code_help((*GENERAL_EXIT_CODES, ExitCode.PATIENT_BUSY, ExitCode.DAMAGED_RECORD)))
@patient_argument()
@click.option("--phase", "phase_id", required=True, metavar="PHASE", help="The phase whose gate the approval opens.")
@click.option(
    "--by", "by", required=True, metavar="ID", help="Who gives it: the clinician's or surgeon's pseudonymous staff id."
)
@click.option(
    "--kind",
    type=click.Choice(APPROVAL_KINDS),
    default=None,
    help="What is recorded (default: the one the phase's gate asks for).",
)
@click.option(
    "--protocol",
    "protocol_id",
    default=None,
    metavar="PROTOCOL",
    help="The protocol (default: the patient's latest; needed for a patient with no course yet).",
)
@click.option("--withdraw", is_flag=True, help="Record that the approval or clearance is withdrawn.")
@surgery_date_option("Also record the date of the patient's surgery.")
@date_option("it was given")
@clinician_option
@db_option
@click.pass_obj
def approve(
    state: AppState,
    patient: str,
    phase_id: str,
    by: str,
    kind: str | None,
    protocol_id: str | None,
    withdraw: bool,
    surgery_text: str | None,
    day: datetime.date,
    clinician: str | None,
    db: str | None,
) -> None:
    """Record a clinician's approval or a surgeon's clearance for the gate into PHASE.

    An approval opens one gate only: the gate into PHASE (its entry criteria and
    the exit criteria of the phase before it). An approval for the first phase
    never opens a later one.

    \b
    Examples:
      rehabkit approve P-0042 --protocol neck-pain --phase acute --by PT-7
      rehabkit approve P-9 --protocol post-surgical-lumbar --phase acute --by DR-3 --surgery-date 2026-10-01
      rehabkit approve P-9 --phase recovery --kind surgeon-clearance --by DR-3 --date 2026-11-12
    """
    from .._sessions.service import Actor, CourseRequestError, approval_kind, set_surgery_date
    from .._sessions.service import approve as approve_gate
    from .._sessions.store import StoreError

    check_staff_id(by)
    with open_store(db, clinician=clinician) as store, course_lock(store, patient, "an approval", clinician):
        protocol = _course_protocol(state, store, patient, protocol_id)
        context = course_context(state, protocol)
        try:
            kind = approval_kind(protocol, phase_id, kind)  # a request refused before the surgery date is read
            surgery = surgery_date(surgery_text, day)
            replaced = set_surgery_date(store, patient, datetime.date.fromisoformat(surgery) if surgery else None, day)
            note_surgery_change(patient, replaced, surgery)
            recorded = approve_gate(store, context, patient, Actor(by), day, phase=phase_id, kind=kind,
                                    given=not withdraw)  # fmt: skip
        except CourseRequestError as exc:
            raise request_error(str(exc), exc.param) from None
        except StoreError as exc:
            raise click.BadParameter(str(exc), param_hint="'PATIENT'") from None
    word = APPROVAL_WORDS[recorded.kind]
    phase = protocol.phase(phase_id)
    echo(
        f"Recorded the {word} ({'withdrawn' if withdraw else 'given'}) by {by} on {day.isoformat()} for the phase "
        f"{phase.name!r} ({phase_id}) of {protocol.title}."
    )
    if not recorded.asked:
        echo(f"Note: the gate into {phase_id!r} does not ask for the {word}.", err=True)


@click.command(epilog=exit_code_help((*GENERAL_EXIT_CODES, ExitCode.PATIENT_BUSY, ExitCode.DAMAGED_RECORD)))
@patient_argument()
@click.option(
    "--clinician",
    required=True,
    metavar="ID",
    envvar="REHABKIT_CLINICIAN",
    help="The reviewing clinician's pseudonymous staff id (default: REHABKIT_CLINICIAN).",
)
@click.option(
    "--outcome",
    required=True,
    type=click.Choice(OUTCOMES),
    help="resume: carry on in the current phase; earlier-phase: go back to --phase; discharge: end this "
    "programme; refer: refer the patient on (the course stays stopped).",
)
@click.option(
    "--phase", "phase_id", default=None, metavar="PHASE", help="With --outcome earlier-phase: the phase to go back to."
)
@click.option("--note", default=None, metavar="TEXT", help="The clinician's note, kept with the review.")
@click.option(
    "--protocol",
    "protocol_id",
    default=None,
    metavar="PROTOCOL",
    help="The protocol (default: the one the course was stopped in, else the patient's latest).",
)
@date_option("the review took place")
@format_option("json: the review and the course's state after it.")
@db_option
@click.pass_obj
def review(
    state: AppState,
    patient: str,
    clinician: str,
    outcome: str,
    phase_id: str | None,
    note: str | None,
    protocol_id: str | None,
    day: datetime.date,
    output_format: str,
    db: str | None,
) -> None:
    """Record a clinician's review of PATIENT's course.

    A red-flag stop, a stop or refer decision, or no improvement pauses the
    course; only a review lets it go on. 'resume' carries on in the current
    phase (exercises stopped for pain come back into the plan), 'earlier-phase'
    starts an earlier phase again, 'discharge' ends the programme and 'refer'
    keeps the course stopped while the patient is seen elsewhere.

    \b
    Examples:
      rehabkit review P-0042 --clinician PT-7 --outcome resume --note "disc signs excluded"
      rehabkit review P-0042 --clinician PT-7 --outcome earlier-phase --phase acute
    """
    check_staff_id(clinician)
    with open_store(db, create=False, clinician=clinician) as store:
        require_patient(store, patient)
        with course_lock(store, patient, "a review", clinician):
            protocol, course, before, after = _record_review(
                state, store, patient, clinician, outcome, phase_id, note, protocol_id, day
            )
    if output_format == "json":
        click.echo(
            json.dumps(
                {
                    "patient": patient,
                    "protocol": protocol.key,
                    "date": day.isoformat(),
                    "clinician": clinician,
                    "outcome": outcome,
                    "note": note,
                    "was": course.status,
                    "status": after.status,
                    "phase": after.phase,
                },
                indent=2,
            )
        )
        return
    echo(f"Review recorded for {patient} on {day.isoformat()} by {clinician}: {outcome}.")
    if before:
        echo(f"  It reviews: {before[0]}")
    elif course.status == "active":
        echo("  (The course was not paused.)")
    phase = protocol.phase(after.phase)
    messages = {
        "resume": f"The course of {protocol.title} goes on in the phase {phase.name!r}.",
        "earlier-phase": f"The course of {protocol.title} starts the phase {phase.name!r} again.",
        "discharge": f"The patient is discharged from {protocol.title}: no more sessions of it are run.",
        "refer": "The patient is referred on: no session runs until a later review resumes the course.",
    }
    echo(messages[outcome])
    if after.stopped and outcome in ("resume", "earlier-phase"):
        raise exit_with(ExitCode.COURSE_STOPPED)


def _record_review(
    state: AppState,
    store: Any,
    patient: str,
    clinician: str,
    outcome: str,
    phase_id: str | None,
    note: str | None,
    protocol_id: str | None,
    day: datetime.date,
) -> tuple[Any, Any, list[str], Any]:
    """Record the review (under the patient's lock): the protocol, the course before, what it reviews, the course
    after."""
    from .._sessions.service import Actor, CourseRequestError, stopped_in
    from .._sessions.service import review as record_review

    protocol = _course_protocol(state, store, patient, protocol_id or stopped_in(store, patient))
    try:
        done = record_review(store, course_context(state, protocol), patient, Actor(clinician), day,
                             outcome=outcome, phase=phase_id, note=note)  # fmt: skip
    except CourseRequestError as exc:
        raise request_error(str(exc), exc.param) from None
    return protocol, done.before, describe_stop(done.before, patient)[:1], done.after
