"""``rehabkit approve`` and ``rehabkit review``: what clinicians record about a patient's course."""

from __future__ import annotations

import datetime
import json
import sys
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
from .protocols import course_context, refuse_example, resolve_protocol
from .refusals import APPROVAL_WORDS, describe_stop
from .stores import (
    acting,
    check_new_patient,
    course_lock,
    note_surgery_change,
    open_store,
    require_patient,
    require_store_to_record,
)

APPROVAL_KINDS = tuple(APPROVAL_WORDS)
OUTCOMES = ("resume", "earlier-phase", "discharge", "refer")


def _one_line(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A third party's name or a letter's reference: one line of printable text, at most 200 characters."""
    if value is not None and (not value.strip() or len(value) > 200 or not value.isprintable()):
        raise click.BadParameter("give one line of printable text, at most 200 characters.")
    return value


def _course_protocol(state: AppState, store: Any, patient: str, wanted: str | None) -> Any:
    """The protocol a course command is about: the one ``wanted``, else the patient's only or latest one."""
    if wanted is None:
        mine = store.protocols_of(patient)
        if not mine:
            raise click.UsageError(f"patient {patient!r} has no course yet: name the protocol with --protocol.")
        wanted = mine[-1]
    protocol, _ = resolve_protocol(state, wanted, lint=False)
    return protocol


@click.command(
    epilog=exit_code_help((*GENERAL_EXIT_CODES, ExitCode.PATIENT_BUSY, ExitCode.NOT_PERMITTED, ExitCode.DAMAGED_RECORD))
)
@patient_argument()
@click.option("--phase", "phase_id", required=True, metavar="PHASE", help="The phase whose gate the approval opens.")
@click.option(
    "--kind",
    type=click.Choice(APPROVAL_KINDS),
    default=None,
    help="What is recorded (default: the clinician's approval when that is all the gate asks for; a surgeon's "
    "clearance is always named).",
)
@click.option(
    "--surgeon",
    default=None,
    metavar="NAME",
    callback=_one_line,
    help="A clearance transcribed from a surgeon's letter: the surgeon who gave it (with --evidence).",
)
@click.option(
    "--evidence",
    default=None,
    metavar="TEXT",
    callback=_one_line,
    help="The letter a transcribed clearance comes from (e.g. 'letter of 2026-11-10, ref 123').",
)
@click.option(
    "--by",
    "by",
    default=None,
    metavar="ID",
    help="Optional: your own staff id, checked against the person signed in (never someone else's).",
)
@click.option(
    "--protocol",
    "protocol_id",
    default=None,
    metavar="PROTOCOL",
    help="The protocol (default: the patient's latest; needed for a patient with no course yet).",
)
@click.option("--withdraw", is_flag=True, help="Record that the approval or clearance is withdrawn.")
@click.option(
    "--new-patient",
    is_flag=True,
    help="PATIENT is a new patient although the id looks like a recorded one (asked at a terminal).",
)
@surgery_date_option("Also record the date of the patient's surgery.")
@date_option("it was given")
@clinician_option
@db_option
@click.pass_obj
def approve(
    state: AppState,
    patient: str,
    phase_id: str,
    kind: str | None,
    surgeon: str | None,
    evidence: str | None,
    by: str | None,
    protocol_id: str | None,
    withdraw: bool,
    new_patient: bool,
    surgery_text: str | None,
    day: datetime.date,
    clinician: str | None,
    db: str | None,
) -> None:
    """Record a clinician's approval or a surgeon's clearance for the gate into PHASE.

    An approval opens one gate only: the gate into PHASE (its entry criteria and
    the exit criteria of the phase before it). An approval for the first phase
    never opens a later one. It is recorded as the registered person acting
    from this account ('rehabkit staff'): by default a surgeon's clearance is
    given by a surgeon, or transcribed by a clinician from a named surgeon's
    letter (--surgeon and --evidence); a clinician's approval by a
    physiotherapist, clinician or surgeon. A surgeon's clearance is never
    assumed from a missing --kind.

    \b
    Examples:
      rehabkit approve P-0042 --protocol neck-pain --phase acute
      rehabkit approve P-9 --protocol post-surgical-lumbar --phase acute --kind surgeon-clearance
      rehabkit approve P-9 --phase recovery --kind surgeon-clearance --surgeon "Dr Bone" --evidence "letter"
    """
    from .._sessions.service import Clearance, CourseRequestError, approval_kind, set_surgery_date
    from .._sessions.service import approve as approve_gate
    from .._sessions.store import StoreError

    if by is not None:
        check_staff_id(by)
    require_store_to_record(db)
    with open_store(db) as store:
        actor = acting(store, by or clinician)
        check_new_patient(store, patient, confirmed=new_patient, interactive=sys.stdin.isatty())
        with course_lock(store, patient, "an approval", actor.id):
            protocol = _course_protocol(state, store, patient, protocol_id)
            if not withdraw:
                refuse_example(protocol, "an approval")
            context = course_context(state, protocol)
            try:
                kind = approval_kind(protocol, phase_id, kind)  # a request refused before the surgery date is read
                surgery = surgery_date(surgery_text, day)
                when = datetime.date.fromisoformat(surgery) if surgery else None
                note_surgery_change(
                    patient, set_surgery_date(store, patient, when, day, actor, context.policy), surgery
                )
                recorded = approve_gate(store, context, patient, actor, day, phase=phase_id, kind=kind,
                                        given=not withdraw, source=Clearance(surgeon, evidence))  # fmt: skip
            except CourseRequestError as exc:
                raise request_error(str(exc), exc.param) from None
            except StoreError as exc:
                raise click.BadParameter(str(exc), param_hint="'PATIENT'") from None
    _say_approved(recorded, protocol, phase_id, day, evidence)


def _say_approved(recorded: Any, protocol: Any, phase_id: str, day: datetime.date, evidence: str | None) -> None:
    """What ``approve`` says it recorded, and a warning when it opens a gate again after a withdrawal."""
    said, warnings = approved_lines(recorded, protocol, phase_id, day, evidence)
    for line in said:
        echo(line)
    for line in warnings:
        echo(line, err=True)


def approved_lines(
    recorded: Any, protocol: Any, phase_id: str, day: datetime.date, evidence: str | None
) -> tuple[list[str], list[str]]:
    """The words of an approval recorded (the terminal's and the clinician's page's): what was recorded, and the
    warnings (a gate opened again after a withdrawal; an approval the gate does not ask for)."""
    word = APPROVAL_WORDS[recorded.kind]
    phase = protocol.phase(phase_id)
    how = "withdrawn" if not recorded.given else "given"
    who = f"{recorded.by}" if recorded.surgeon is None else f"{recorded.surgeon}, transcribed by {recorded.by}"
    said = [
        f"Recorded the {word} ({how}) by {who} on {day.isoformat()} for the phase {phase.name!r} ({phase_id}) of "
        f"{protocol.title}."
    ]
    if recorded.surgeon is not None:
        said.append(f"  From: {evidence}")
    warnings = []
    if recorded.withdrawn is not None:
        warnings.append(
            f"rehabkit: warning: the {word} for this gate was withdrawn on {recorded.withdrawn.isoformat()}; this "
            "opens the gate again (the clinic overview lists it)."
        )
    if not recorded.asked:
        warnings.append(f"Note: the gate into {phase_id!r} does not ask for the {word}.")
    return said, warnings


@click.command(
    epilog=exit_code_help((*GENERAL_EXIT_CODES, ExitCode.PATIENT_BUSY, ExitCode.NOT_PERMITTED, ExitCode.DAMAGED_RECORD))
)
@patient_argument()
@click.option(
    "--clinician",
    default=None,
    metavar="ID",
    envvar="REHABKIT_CLINICIAN",
    help="Optional: your own staff id, checked against the person signed in (default: REHABKIT_CLINICIAN).",
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
    clinician: str | None,
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
    keeps the course stopped while the patient is seen elsewhere. The review is
    recorded as the registered person acting from this account ('rehabkit
    staff'); by default lifting an urgent referral takes a clinician or a
    surgeon, with a --note.

    \b
    Examples:
      rehabkit review P-0042 --outcome resume --note "disc signs excluded"
      rehabkit review P-0042 --outcome earlier-phase --phase acute
    """
    if clinician is not None:
        check_staff_id(clinician, "--clinician")
    with open_store(db, create=False) as store:
        require_patient(store, patient)
        actor = acting(store, clinician)
        clinician = actor.id
        with course_lock(store, patient, "a review", actor.id):
            protocol, course, _before, after = _record_review(
                state, store, patient, actor, outcome, phase_id, note, protocol_id, day
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
    for line in reviewed_lines(patient, day, clinician, outcome, protocol, course, after):
        echo(line)
    if after.stopped and outcome in ("resume", "earlier-phase"):
        raise exit_with(ExitCode.COURSE_STOPPED)


def reviewed_lines(
    patient: str, day: datetime.date, clinician: str | None, outcome: str, protocol: Any, course: Any, after: Any
) -> list[str]:
    """The words of a review recorded (the terminal's and the clinician's page's): who reviewed what, and what
    follows for the course (``course``: before the review; ``after``: after it)."""
    before = describe_stop(course, patient)[:1]
    lines = [f"Review recorded for {patient} on {day.isoformat()} by {clinician}: {outcome}."]
    if before:
        lines.append(f"  It reviews: {before[0]}")
    elif course.status == "active":
        lines.append("  (The course was not paused.)")
    phase = protocol.phase(after.phase)
    messages = {
        "resume": f"The course of {protocol.title} goes on in the phase {phase.name!r}.",
        "earlier-phase": f"The course of {protocol.title} starts the phase {phase.name!r} again.",
        "discharge": f"The patient is discharged from {protocol.title}: no more sessions of it are run.",
        "refer": "The patient is referred on: no session runs until a later review resumes the course.",
    }
    return [*lines, messages[outcome]]


def _record_review(
    state: AppState,
    store: Any,
    patient: str,
    actor: Any,
    outcome: str,
    phase_id: str | None,
    note: str | None,
    protocol_id: str | None,
    day: datetime.date,
) -> tuple[Any, Any, list[str], Any]:
    """Record the review (under the patient's lock): the protocol, the course before, what it reviews, the course
    after."""
    from .._sessions.service import CourseRequestError, stopped_in
    from .._sessions.service import review as record_review

    protocol = _course_protocol(state, store, patient, protocol_id or stopped_in(store, patient))
    try:
        done = record_review(store, course_context(state, protocol), patient, actor, day,
                             outcome=outcome, phase=phase_id, note=note)  # fmt: skip
    except CourseRequestError as exc:
        raise request_error(str(exc), exc.param) from None
    return protocol, done.before, describe_stop(done.before, patient)[:1], done.after
