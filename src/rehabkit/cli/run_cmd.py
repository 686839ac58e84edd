"""``rehabkit run``: the course's state and gates, red-flag screening, today's session, then the decision."""

from __future__ import annotations

import datetime
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs
import click

from .._common.exit_codes import RUN_EXIT_CODES, ExitCode, exit_code_help
from . import AppState, echo
from .completion import complete_patients
from .exits import error_exit, exit_with
from .options import (
    clinician_option,
    date_option,
    db_option,
    format_option,
    protocol_argument,
    surgery_date,
    surgery_date_option,
)
from .protocols import course_context, refuse_example, resolve_protocol
from .refusals import gate_refusal, how_to_record, stop_refusal
from .stores import (
    acting,
    check_new_patient,
    check_record,
    course_lock,
    note_surgery_change,
    open_store,
    require_store_to_record,
    store_exists,
)

if TYPE_CHECKING:
    from .._sessions.runner import Guide, Paced
    from .._sessions.service import Actor, CourseContext
    from ..model import Protocol
    from .session_screen import SessionScreen


class TerminalAnswers:
    """Answers typed at the terminal, through the session screen: questions wrapped to the window, keys pressed
    before a question discarded, an answer it cannot take explained in the patient's words and asked again; Ctrl-C
    or end of input interrupts the session."""

    def __init__(self, screen: SessionScreen) -> None:
        self.screen = screen

    def yes_no(self, key: str, question: str) -> bool:
        return bool(self.screen.yes_no(question))  # a pack's question: never sent raw (as every line of the screen)

    def red_flag(self, key: str, question: str) -> bool | None:
        """A red-flag answer: yes, no, or not sure (``None``), which the session takes as yes."""
        return self.screen.yes_no(question, not_sure=True)

    def pain(self, key: str, prompt: str) -> float:
        return self.screen.pain(prompt)


def _approvals_belong_to_approve(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """``run`` records no approval or clearance (before 0.3 it did, for whoever sat at the terminal): say where they
    are recorded."""
    if value is not None:
        raise click.UsageError(
            f"run no longer records approvals or clearances ({param.opts[0]}): the clinician or surgeon records them "
            "with 'rehabkit approve PATIENT --protocol PROTOCOL --phase PHASE --kind KIND' (a surgeon's letter: "
            "--kind surgeon-clearance --surgeon NAME --evidence TEXT), then the session runs."
        )


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
    "--new-patient",
    is_flag=True,
    help="PATIENT is a new patient although the id looks like a recorded one (asked at a terminal).",
)
@click.option(
    "-q",
    "--quiet",
    "brief",
    is_flag=True,
    help="Shorter: each exercise's name and dose without its steps and tips (for a patient who knows them).",
)
@date_option("the session took place")
@format_option("json: the outcome as one JSON object on standard output.")
@surgery_date_option("Record the date of the patient's surgery.")
@click.option(
    "--surgeon-cleared/--surgeon-not-cleared", default=None, hidden=True, callback=_approvals_belong_to_approve
)
@click.option(
    "--clinician-approved/--clinician-not-approved",
    default=None,
    hidden=True,
    callback=_approvals_belong_to_approve,
)
@click.option("--by", "by", default=None, hidden=True, callback=_approvals_belong_to_approve)
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
    new_patient: bool,
    brief: bool,
    day: datetime.date,
    output_format: str,
    surgery_text: str | None,
    surgeon_cleared: None,
    clinician_approved: None,
    by: None,
    clinician: str | None,
    db: str | None,
) -> None:
    """Run today's session of PROTOCOL for a patient.

    PROTOCOL is an installed protocol id or a protocol file (an author's
    preview); a protocol with lint errors is refused. A paused, referred or
    discharged course runs nothing until a clinician records a review
    ('rehabkit review'). Every entry criterion of the patient's phase (approvals,
    clearance, weeks since surgery) must hold, or the session is refused with what
    is missing and how to record it ('rehabkit approve' records approvals and
    clearances). The session is recorded as the registered person acting from
    this account ('rehabkit staff'): a clinician, or the patient on their own
    course.

    Red-flag screening comes next: a yes that asks to stop pauses the course (an
    urgent one ends screening at once). Then pain now (0-10), each exercise with
    its dose, what you need, what to avoid, steps and tips, counters and a
    countdown for holds, the relaxation between them and rests (space pauses, s
    skips a rest, x stops an exercise part-way, h reports pain above its limit
    at once), pain during each exercise, pain after, and the decision with the
    next session's plan. "Not sure" to a red-flag question counts as yes. Every answer is saved as it is given; Ctrl-C
    keeps them and marks the session incomplete. The plan assumes a prior
    clinical assessment. Two sessions for one patient never run at once: the
    second is refused (exit 8) while the first is being recorded.

    \b
    Examples:
      rehabkit run neck-pain --patient P-0042
      rehabkit run neck-pain --patient P-0042 --plan
      rehabkit run low-back-pain-acute --patient P-7 --answers today.yaml --date 2026-11-20
      rehabkit run post-surgical-lumbar --patient P-9 --surgery-date 2026-10-01
      rehabkit run ./my-protocol.yaml --patient TEST-1 --plan
    """
    _check_plan_options(plan_only, surgery_text)
    surgery = surgery_date(surgery_text, day)
    protocol, _ = resolve_protocol(state, protocol_id)
    request = SessionRequest(
        patient=patient,
        protocol=protocol,
        day=day,
        context=course_context(state, protocol, session=True),
        terminal=SessionTerminal.from_options(state, output_format, answers_file, no_timer),
        output_format=output_format,
        brief=brief,
        surgery=surgery,
        clinician=clinician,
    )
    # --plan creates nothing: without a store file it plans from an empty one in memory, and never makes a
    # database's tables.
    location = db if not plan_only or store_exists(db) else ":memory:"
    if not plan_only:
        refuse_example(protocol, "a session")
        require_store_to_record(db)
    with open_store(location, create=location == ":memory:", read_only=plan_only and location != ":memory:") as store:
        if plan_only:
            _print_plan(store, request)
            return
        actor = acting(store, clinician)
        interactive = answers_file is None and sys.stdin.isatty()
        check_new_patient(store, patient, confirmed=new_patient, interactive=interactive)
        with course_lock(store, patient, "a session", actor.id):
            _record_session(state, store, request, actor)


def _check_plan_options(plan_only: bool, surgery_text: str | None) -> None:
    """A usage error when --plan, which records nothing, comes with an option that records."""
    if plan_only and surgery_text is not None:
        raise click.UsageError(
            "--plan records nothing, so it does not take --surgery-date: record it with 'rehabkit approve', or run "
            "the session without --plan."
        )


def _silent(text: str) -> None:
    """What ``--format json`` says on the screen: nothing (standard output holds the JSON object)."""


@attrs.frozen
class SessionTerminal:
    """Where a session is shown and where its answers come from."""

    screen: SessionScreen
    #: Shows a line of the session (nothing under --format json).
    say: Callable[[str], None]
    #: Shows a warning (nothing under --format json).
    warn: Callable[[str], None]
    #: The answers: typed at the terminal, or read from --answers.
    answers: Any
    #: Guides each exercise's sets, holds and rests; only at a real terminal, without --answers or --no-timer.
    pace: Callable[[Guide], Paced] | None

    @classmethod
    def from_options(
        cls, state: AppState, output_format: str, answers_file: str | None, no_timer: bool
    ) -> SessionTerminal:
        """The session screen under ``--color``, and the answers (an answers file is read now: a usage error if it
        cannot be)."""
        from .._sessions.runner import FileAnswers
        from .session_screen import SessionScreen

        quiet = output_format == "json"
        screen = SessionScreen(colour=None if state.color == "auto" else state.color == "always")
        say = _silent if quiet else screen.say
        # An answers file's answers are shown after each question, so a scripted session reads like one typed in.
        answers: Any = (
            TerminalAnswers(screen)
            if answers_file is None
            else FileAnswers(_load_answers(answers_file), answers_file, show=say)
        )
        # At a terminal (no answers file) the screen guides each exercise: Enter before a set, holds and rests timed.
        # Only at a real terminal: piped answers would be taken for the "press Enter" prompts.
        interactive = sys.stdin.isatty() and sys.stdout.isatty()
        pace = screen.pace if answers_file is None and not no_timer and not quiet and interactive else None
        return cls(screen=screen, say=say, warn=_silent if quiet else screen.warn, answers=answers, pace=pace)


@attrs.frozen
class SessionRequest:
    """One session ``rehabkit run`` was asked for, worked out from its options before the store is opened."""

    patient: str
    protocol: Protocol
    #: The session's date (--date).
    day: datetime.date
    #: What the course service needs: the protocol with the installed exercises, measures, screening and policy.
    context: CourseContext
    terminal: SessionTerminal
    output_format: str = "text"
    #: --quiet: each exercise's name and dose without its steps and tips.
    brief: bool = False
    #: --surgery-date, checked against the session's date.
    surgery: str | None = None
    #: The id --clinician or REHABKIT_CLINICIAN gave, if any: it must be the registered person acting.
    clinician: str | None = None


def _record_session(state: AppState, store: Any, request: SessionRequest, actor: Actor) -> None:
    """The session itself, under the patient's lock: the surgery date given with it, screening, exercises, the
    decision."""
    from .._sessions.runner import AnswersFileError, Display, SessionInterrupted, run_session
    from .._sessions.service import CourseStopped, DateOrderError, GateClosed, RestDay, set_surgery_date
    from .._sessions.store import StoreError

    patient, protocol, terminal = request.patient, request.protocol, request.terminal
    context = request.context
    try:
        surgery = datetime.date.fromisoformat(request.surgery) if request.surgery else None
        replaced = set_surgery_date(store, patient, surgery, request.day, actor, context.policy)
        note_surgery_change(patient, replaced, request.surgery)
    except StoreError as exc:
        raise click.BadParameter(str(exc), param_hint="'--patient'") from None
    display = Display(terminal.say, terminal.warn, terminal.pace, request.brief)
    try:
        outcome = run_session(store, context, patient, terminal.answers, display, actor=actor, today=request.day)
    except (AnswersFileError, DateOrderError) as exc:
        raise error_exit(ExitCode.USAGE, str(exc)) from None
    except CourseStopped as exc:
        raise stop_refusal(request.output_format, patient, exc.course) from None
    except GateClosed as exc:
        raise gate_refusal(request.output_format, patient, protocol, exc.phase, exc.result, exc.course.status) from None
    except RestDay as exc:
        _print_rest_day(exc.plan, patient, request.output_format)
        return
    except SessionInterrupted as exc:
        raise exit_with(
            ExitCode.INTERRUPTED,
            f"\nSession {exc.session} stopped. Your answers so far are saved; it is marked incomplete.",
        ) from None
    if request.output_format == "json":
        click.echo(json.dumps(_outcome_dict(outcome, patient, protocol), indent=2))
    else:
        _print_outcome(outcome, patient, protocol, terminal.screen)
    if outcome.paused:
        raise exit_with(ExitCode.URGENT_REFERRAL if outcome.action == "refer-urgently" else ExitCode.STOPPED_FOR_REVIEW)


def rest_day_words(plan: Any) -> str:
    """What a rest day says: nothing planned today, and the next day that plans an exercise."""
    from ..engine.today import day_words

    return f"Nothing more is planned for today: the next exercise day is {day_words(plan.rest_until)}."


def _print_rest_day(plan: Any, patient: str, output_format: str) -> None:
    """A day the weekly schedule plans no exercise: said, with each exercise's next day; nothing recorded."""
    if output_format == "json":
        click.echo(
            json.dumps(
                {
                    "patient": patient,
                    "status": "rest-day",
                    "next_session": plan.rest_until.isoformat(),
                    "left_out": [{"id": left.exercise, "name": left.name, "why": left.why} for left in plan.left_out],
                },
                indent=2,
            )
        )
        return
    echo(f"{rest_day_words(plan)} Nothing was recorded.")
    for left in plan.left_out:
        echo(f"  {left.name}: {left.why}.")


def _load_answers(path: str) -> Any:
    from .._common.errors import DocumentError
    from .._documents.loader import load_file

    try:
        return load_file(path).data
    except DocumentError as exc:
        raise error_exit(ExitCode.USAGE, f"cannot read the answers file: {exc}") from None


def _print_plan(store: Any, request: SessionRequest) -> None:
    """Today's plan, without running or recording anything; refused like a session when the course is stopped or
    the phase's gate is closed."""
    from ..engine.course import active_precautions
    from ..engine.today import check_gate, plan_for

    patient, protocol, output_format = request.patient, request.protocol, request.output_format
    check_record(store, patient)
    course = request.context.course(store, patient, request.day)
    if course.stopped:
        raise stop_refusal(output_format, patient, course)
    gate = check_gate(course)
    if not gate.met:
        raise gate_refusal(output_format, patient, protocol, course.phase, gate, course.status)
    plan = plan_for(course, request.context.library, day=request.day)
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
    if plan.rest_until is not None:
        echo(rest_day_words(plan))


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
        "rest_until": plan.rest_until.isoformat() if plan.rest_until else None,
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


#: How the end of a session names each decision to the patient.
DECISION_WORDS = {
    "continue": "carry on",
    "progress": "move on to the next phase",
    "hold": "keep the same plan",
    "reduce-load": "do less next time",
    "regress": "use an easier exercise",
    "stop-exercise": "stop an exercise",
    "stop-and-review": "stop and see your clinician",
    "refer-urgently": "seek medical help now",
}


def decision_words(decision: Any) -> str:
    """A decision in the patient's words (a regression with no easier exercise leaves one out)."""
    if decision.action == "regress" and not decision.regressions:
        return "leave out an exercise"
    return DECISION_WORDS.get(decision.action, str(decision.action))


def screening_stop_words(outcome: Any) -> list[str]:
    """What a session stopped by a red-flag answer says, line by line."""
    urgent = outcome.action == "refer-urgently"
    return [
        "STOP: seek medical help now. No exercise today." if urgent else "STOP: no exercise today.",
        *[f"  {message}" for message in outcome.messages],
    ]


#: What follows a stop at screening, or a decision that pauses the course.
SCREENING_PAUSE = "This answer is recorded. The programme is paused until a clinician has reviewed you."
DECISION_PAUSE = "The programme is paused until a clinician has reviewed you (rehabkit review)."


def _print_outcome(outcome: Any, patient: str, protocol: Any, screen: Any) -> None:
    if outcome.stopped_by_screening:
        for line in screening_stop_words(outcome):
            screen.stop(line)
        screen.say(SCREENING_PAUSE)
        return
    decision = outcome.decision
    from .._common.vocabulary import REVIEW_ACTIONS

    tell = screen.stop if decision.action in REVIEW_ACTIONS else screen.say
    tell(f"Decision: {decision_words(decision)}")
    if decision.reasons:
        screen.say("Why:")
    for reason in decision.reasons:
        screen.say(f"  - {reason}")
    for message in decision.messages:
        tell(f"  {message}")
    if outcome.paused:
        screen.stop(DECISION_PAUSE)
        return
    if decision.unmet and decision.gate:
        for hint in how_to_record(decision.unmet, patient, decision.gate, protocol):
            echo(f"  ({hint})")
    plan = outcome.next_plan
    _print_plan_lines(plan, f"Next session: phase {plan.phase.name}")
