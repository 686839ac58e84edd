"""``rehabkit run``: the course's state and gates, red-flag screening, today's session, then the decision."""

from __future__ import annotations

import datetime
import json
import sys
from pathlib import Path
from typing import Any

import click

from .._common.exit_codes import RUN_EXIT_CODES, ExitCode, exit_code_help
from . import AppState, echo, format_option
from .completion import complete_patients
from .course_support import (
    PAIN_SCORE,
    check_staff_id,
    date_option,
    describe_stop,
    how_to_record,
    note_surgery_change,
    protocol_argument,
    refuse,
    refuse_gate,
    resolve_protocol,
)
from .patient_cmds import clinician_option, course_lock, db_option, open_store


class TerminalAnswers:
    """Answers typed at the terminal, re-asked until valid; Ctrl-C or end of input interrupts the session."""

    def yes_no(self, key: str, question: str) -> bool:
        try:
            return bool(click.confirm(question, default=None, err=True))
        except click.Abort:
            raise KeyboardInterrupt from None

    def pain(self, key: str, prompt: str) -> float:
        try:
            return float(click.prompt(prompt, type=PAIN_SCORE, err=True))
        except click.Abort:
            raise KeyboardInterrupt from None


@click.command(epilog=exit_code_help(RUN_EXIT_CODES))
@protocol_argument
@click.option(
    "--patient",
    required=True,
    shell_complete=complete_patients,
    help="Pseudonymous patient id (letters, digits, '-', '_', '.'), never a name.",
)
@click.option("--plan", "plan_only", is_flag=True, help="Print today's plan without running or recording anything.")
@click.option(
    "--answers",
    "answers_file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Run non-interactively from a YAML or JSON file of answers (see docs/run.md).",
)
@click.option("--no-timer", is_flag=True, help="Do not guide the sets: no 'press Enter', countdowns or rests.")
@click.option(
    "-q",
    "--quiet",
    "brief",
    is_flag=True,
    help="Shorter: each exercise's name and dose without its steps and tips (for a patient who knows them).",
)
@date_option("the session took place")
@format_option("json: the outcome as one JSON object on standard output.")
@click.option("--surgery-date", default=None, metavar="YYYY-MM-DD", help="Record the date of the patient's surgery.")
@click.option(
    "--surgeon-cleared/--surgeon-not-cleared",
    default=None,
    help="Record the surgeon's clearance (or its withdrawal) for the gate the patient stands at: the current "
    "phase before it is entered, else the next one.",
)
@click.option(
    "--clinician-approved/--clinician-not-approved",
    default=None,
    help="Record the clinician's approval (or its withdrawal) for the gate the patient stands at.",
)
@click.option(
    "--by", "by", default=None, metavar="ID", help="Who gave the clearance or approval (a pseudonymous staff id)."
)
@clinician_option
@db_option
@click.pass_obj
def run(
    state: AppState,
    protocol_id: str,
    patient: str,
    plan_only: bool,
    answers_file: str | None,
    no_timer: bool,
    brief: bool,
    day: datetime.date,
    output_format: str,
    surgery_date: str | None,
    surgeon_cleared: bool | None,
    clinician_approved: bool | None,
    by: str | None,
    clinician: str | None,
    db: str | None,
) -> None:
    """Run today's session of PROTOCOL for a patient.

    PROTOCOL is an installed protocol id or a protocol file (an author's
    preview); a protocol with lint errors is refused. A paused, referred or
    discharged course runs nothing until a clinician records a review
    ('rehabkit review'). Every entry criterion of the patient's phase (approvals,
    clearance, weeks since surgery) must hold, or the session is refused with what
    is missing and how to record it.

    Red-flag screening comes next: a yes that asks to stop pauses the course (an
    urgent one ends screening at once). Then pain now (0-10), each exercise with
    its dose, what you need, what to avoid, steps and tips, counters and a
    countdown for holds, pain during each exercise, pain after, and the decision
    with the next session's plan. Every answer is saved as it is given; Ctrl-C
    keeps them and marks the session incomplete. The plan assumes a prior
    clinical assessment. Two sessions for one patient never run at once: the
    second is refused (exit 8) while the first is being recorded.

    \b
    Examples:
      rehabkit run neck-pain --patient P-0042
      rehabkit run neck-pain --patient P-0042 --plan
      rehabkit run low-back-pain-acute --patient P-7 --answers today.yaml --date 2026-11-20
      rehabkit run post-surgical-lumbar --patient P-9 --surgery-date 2026-10-01 --surgeon-cleared --by DR-3
      rehabkit run ./my-protocol.yaml --patient TEST-1 --plan
    """
    from .._sessions.runner import FileAnswers

    recording = [
        name
        for name, value in (
            ("--surgery-date", surgery_date),
            ("--surgeon-cleared", surgeon_cleared),
            ("--clinician-approved", clinician_approved),
        )
        if value is not None
    ]
    if plan_only and recording:
        raise click.UsageError(
            f"--plan records nothing, so it does not take {', '.join(recording)}: record "
            "them with 'rehabkit approve', or run the session without --plan."
        )
    surgery = _surgery_date(surgery_date, day)
    protocol, _ = resolve_protocol(state, protocol_id)
    registry = state.registry()
    library = registry.exercise_library()
    measures = {key: r.item for key, r in registry.outcome_measures.items()}
    extra = tuple(r.item for r in registry.screening.values())
    quiet = output_format == "json"
    if by is not None:
        check_staff_id(by)

    from .session_screen import SessionScreen

    screen = SessionScreen(colour=None if state.color == "auto" else state.color == "always")

    def say(text: str) -> None:
        if not quiet:
            screen.say(text)

    def warn(text: str) -> None:
        if not quiet:
            screen.warn(text)

    # An answers file's answers are shown after each question, so a scripted session reads like one typed in.
    answers: Any = (
        TerminalAnswers() if answers_file is None else FileAnswers(_load_answers(answers_file), answers_file, show=say)
    )
    # At a terminal (no answers file) the screen guides each exercise: Enter before a set, holds and rests timed.
    # Only at a real terminal: piped answers would be taken for the "press Enter" prompts.
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    pace = screen.pace if answers_file is None and not no_timer and not quiet and interactive else None

    # --plan creates nothing: without a store file it plans from an empty one in memory, and never makes a database's tables.
    location = db if not plan_only or _store_exists(db) else ":memory:"
    with open_store(location, create=not plan_only or location == ":memory:", clinician=clinician) as store:
        if plan_only:
            _print_plan(store, patient, protocol, library, measures, output_format, day)
            return
        with course_lock(store, patient, "a session", clinician):
            _record_session(
                store,
                state,
                patient,
                protocol,
                registry,
                library,
                measures,
                extra,
                answers,
                pace,
                day,
                surgery,
                by,
                surgeon_cleared,
                clinician_approved,
                say,
                warn,
                brief,
                output_format,
                screen,
                quiet,
            )


def _record_session(
    store: Any,
    state: AppState,
    patient: str,
    protocol: Any,
    registry: Any,
    library: Any,
    measures: Any,
    extra: Any,
    answers: Any,
    pace: Any,
    day: datetime.date,
    surgery: str | None,
    by: str | None,
    surgeon_cleared: bool | None,
    clinician_approved: bool | None,
    say: Any,
    warn: Any,
    brief: bool,
    output_format: str,
    screen: Any,
    quiet: bool,
) -> None:
    """The session itself, under the patient's lock: approvals given with it, screening, exercises, the decision."""
    from .._sessions.runner import (
        AnswersFileError,
        CourseStopped,
        DateOrderError,
        GateClosed,
        Display,
        SessionInterrupted,
        run_session,
    )
    from .._sessions.service import Actor, CourseContext
    from .._sessions.store import StoreError

    try:
        note_surgery_change(store, patient, surgery)
        store.ensure_patient(patient, surgery_date=surgery)
    except StoreError as exc:
        raise click.BadParameter(str(exc), param_hint="'--patient'") from None
    if surgeon_cleared is not None or clinician_approved is not None:
        _record_approvals(store, patient, protocol, measures, day, by, surgeon_cleared, clinician_approved, say)
    try:
        context = CourseContext(
            protocol=protocol,
            library=library,
            measures=measures,
            extra_screening=extra,
            decide=state.manager().decide,
            policy=registry.policy(),
        )
        display = Display(say, warn, pace, brief)
        outcome = run_session(store, context, patient, answers, display, actor=Actor(by), today=day)
    except (AnswersFileError, DateOrderError) as exc:
        echo(f"rehabkit: error: {exc}", err=True)
        raise SystemExit(ExitCode.USAGE) from None
    except CourseStopped as exc:
        refuse(
            output_format,
            patient,
            "course-stopped",
            describe_stop(exc.course, patient),
            status=exc.course.status,
            code=ExitCode.COURSE_STOPPED,
        )
    except GateClosed as exc:
        refuse_gate(output_format, patient, protocol, exc.phase, exc.result, exc.course.status)
    except SessionInterrupted as exc:
        echo(f"\nSession {exc.session} stopped. Your answers so far are saved; it is marked incomplete.", err=True)
        raise SystemExit(ExitCode.INTERRUPTED) from None
    if output_format == "json":
        click.echo(json.dumps(_outcome_dict(outcome, patient, protocol), indent=2))
    else:
        _print_outcome(outcome, patient, protocol, screen)
    if outcome.paused:
        raise SystemExit(
            ExitCode.URGENT_REFERRAL if outcome.action == "refer-urgently" else ExitCode.STOPPED_FOR_REVIEW
        )


def _store_exists(db: str | None) -> bool:
    from .._sessions.backends import store_location

    location = store_location(db)
    return isinstance(location, str) or location.exists()  # a PostgreSQL store is opened without creating one


def _surgery_date(text: str | None, today: datetime.date) -> str | None:
    if text is None:
        return None
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a date: write YYYY-MM-DD.", param_hint="'--surgery-date'") from None
    if day > today:
        raise click.BadParameter(
            f"{text} is after the session's date ({today.isoformat()}); a surgery date cannot be in the future.",
            param_hint="'--surgery-date'",
        )
    return day.isoformat()


def _record_approvals(
    store: Any,
    patient: str,
    protocol: Any,
    measures: Any,
    day: datetime.date,
    by: str | None,
    surgeon: bool | None,
    clinician: bool | None,
    say: Any,
) -> None:
    from .._sessions.course import load_course

    course = load_course(store, patient, protocol, measures, day)
    for kind, value in (("surgeon-clearance", surgeon), ("clinician-approval", clinician)):
        if value is None:
            continue
        # A withdrawal closes the phase the patient is in as well as the next one; an approval opens the next gate.
        gates = [course.gate] if value or not course.started else list(dict.fromkeys([course.phase, course.gate]))
        for gate in gates:
            store.add_event(
                patient,
                "approval",
                day,
                protocol=protocol.id,
                phase=gate,
                by=by,
                detail={"kind": kind, "value": value, "via": "run"},
            )
        word = {"surgeon-clearance": "surgeon's clearance", "clinician-approval": "clinician's approval"}[kind]
        names = " and ".join(repr(protocol.phase(gate).name) for gate in gates)
        say(
            f"Recorded the {word} ({'given' if value else 'withdrawn'}) for the phase {names}"
            + (f", by {by}" if by else "")
            + "."
        )


def _load_answers(path: str) -> Any:
    from .._common.errors import DocumentError
    from .._documents.loader import load_file

    try:
        return load_file(path).data
    except DocumentError as exc:
        echo(f"rehabkit: error: cannot read the answers file: {exc}", err=True)
        raise SystemExit(ExitCode.USAGE) from None


def _print_plan(
    store: Any, patient: str, protocol: Any, library: Any, measures: Any, output_format: str, day: datetime.date
) -> None:
    from .._sessions.course import load_course
    from .._sessions.runner import check_gate, plan_for
    from ..engine.course import active_precautions

    course = load_course(store, patient, protocol, measures, day)
    if course.stopped:
        refuse(
            output_format,
            patient,
            "course-stopped",
            describe_stop(course, patient),
            status=course.status,
            code=ExitCode.COURSE_STOPPED,
        )
    gate = check_gate(course)
    if not gate.met:
        refuse_gate(output_format, patient, protocol, course.phase, gate, course.status)
    plan = plan_for(course, library)
    if output_format == "json":
        click.echo(
            json.dumps(
                {
                    **_plan_dict(plan),
                    "cautions": [
                        {"id": p.id, "movement": p.movement, "text": p.description + (f" {p.limit}" if p.limit else "")}
                        for p in active_precautions(course)
                    ],
                },
                indent=2,
            )
        )
        return
    echo(plan.statement)
    for precaution in active_precautions(course):
        echo(f"Caution: {precaution.description}" + (f" {precaution.limit}" if precaution.limit else ""))
    _print_plan_lines(plan, f"Today's plan: {protocol.title}, phase {plan.phase.name}")


def _print_plan_lines(plan: Any, heading: str) -> None:
    echo(heading)
    for line in plan.adjustments:
        echo(f"  {line}")
    for number, item in enumerate(plan.items, 1):
        echo(
            f"  {number}. {item.exercise.name}: {item.dose_text}"
            + (f" (in place of {item.replaces_name})" if item.replaces else "")
        )
    for left in plan.left_out:
        echo(f"  Left out: {left.name}: {left.why}.")


def _plan_dict(plan: Any) -> dict[str, Any]:
    return {
        "statement": plan.statement,
        "phase": plan.phase.id,
        "adjustments": list(plan.adjustments),
        "exercises": [
            {
                "id": i.exercise.id,
                "name": i.exercise.name,
                "dose": i.dose.to_dict() if i.dose else None,
                "dose_text": i.dose.describe() if i.dose else None,
                "step": i.step,
                "replaces": i.replaces,
            }
            for i in plan.items
        ],
        "left_out": [{"id": left.exercise, "name": left.name, "why": left.why} for left in plan.left_out],
    }


def _outcome_dict(outcome: Any, patient: str, protocol: Any) -> dict[str, Any]:
    decision = outcome.decision
    return {
        "patient": patient,
        "protocol": protocol.key,
        "session": outcome.session,
        "phase": outcome.phase,
        "screening": outcome.screening_action,
        "stopped_by_screening": outcome.stopped_by_screening,
        "status": outcome.status,
        "messages": list(outcome.messages) + (list(decision.messages) if decision else []),
        "decision": None
        if decision is None
        else {
            "action": decision.action,
            "reasons": list(decision.reasons),
            "details": [dict(d) for d in decision.details],
            "next_phase": decision.next_phase,
            "regressions": dict(decision.regressions),
            "removed": list(decision.removed),
            "within_limits": decision.within_limits,
        },
        "plan": _plan_dict(outcome.plan) if outcome.plan else None,
        "next_plan": _plan_dict(outcome.next_plan) if outcome.next_plan else None,
    }


def _print_outcome(outcome: Any, patient: str, protocol: Any, screen: Any) -> None:
    if outcome.stopped_by_screening:
        urgent = outcome.action == "refer-urgently"
        screen.stop("STOP: seek medical help now. No exercise today." if urgent else "STOP: no exercise today.")
        for message in outcome.messages:
            screen.stop(f"  {message}")
        screen.say("This answer is recorded. The programme is paused until a clinician has reviewed you.")
        return
    decision = outcome.decision
    words = {
        "continue": "carry on",
        "progress": "move on to the next phase",
        "hold": "keep the same plan",
        "reduce-load": "do less next time",
        "regress": "use an easier exercise" if decision.regressions else "leave out an exercise",
        "stop-exercise": "stop an exercise",
        "stop-and-review": "stop and see your clinician",
        "refer-urgently": "seek medical help now",
    }
    from .._common.vocabulary import REVIEW_ACTIONS

    tell = screen.stop if decision.action in REVIEW_ACTIONS else screen.say
    tell(f"Decision: {words.get(decision.action, decision.action)}")
    if decision.reasons:
        screen.say("Why:")
    for reason in decision.reasons:
        screen.say(f"  - {reason}")
    for message in decision.messages:
        tell(f"  {message}")
    if outcome.paused:
        screen.stop("The programme is paused until a clinician has reviewed you (rehabkit review).")
        return
    if decision.unmet and decision.gate:
        for hint in how_to_record(decision.unmet, patient, decision.gate, protocol):
            echo(f"  ({hint})")
    plan = outcome.next_plan
    _print_plan_lines(plan, f"Next session: phase {plan.phase.name}")
