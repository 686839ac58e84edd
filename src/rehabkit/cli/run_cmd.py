"""``rehabkit run``: red-flag screening, then today's session, then the decision."""

from __future__ import annotations

import datetime
import json
from typing import Any

import click

from . import EXIT_CODES, AppState, format_option
from .patient_cmds import db_option, open_store

# Appended, not substituted: a change to the shared lines cannot silently drop these.
RUN_EXIT_CODES = EXIT_CODES + (
    "  4  red-flag screening stopped the session (see the message; it is recorded)\n"
    "  130  interrupted (Ctrl-C): answers so far are recorded, the session is marked incomplete\n"
)


class TerminalAnswers:
    """Answers typed at the terminal, re-asked until valid."""

    def yes_no(self, key: str, question: str) -> bool:
        return bool(click.confirm(question, default=None, err=True))

    def pain(self, key: str, prompt: str) -> float:
        return float(click.prompt(prompt, type=click.FloatRange(0, 10), err=True))


@click.command(epilog=RUN_EXIT_CODES)
@click.argument("protocol_id", metavar="PROTOCOL")
@click.option("--patient", required=True, help="Pseudonymous patient id (letters, digits, '-', '_', '.'), never a name.")
@click.option("--plan", "plan_only", is_flag=True, help="Print today's plan without running or recording anything.")
@click.option("--answers", "answers_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Run non-interactively from a YAML or JSON file of answers (see docs/run.md).")
@click.option("--no-timer", is_flag=True, help="Do not count down holds or show rep counters.")
@format_option("json: the outcome as one JSON object on standard output.")
@click.option("--surgery-date", default=None, metavar="YYYY-MM-DD", help="Record the date of the patient's surgery.")
@click.option("--surgeon-cleared/--surgeon-not-cleared", default=None, help="Record the surgeon's clearance.")
@click.option("--clinician-approved/--clinician-not-approved", default=None, help="Record the clinician's approval.")
@db_option
@click.pass_obj
def run(state: AppState, protocol_id: str, patient: str, plan_only: bool, answers_file: str | None, no_timer: bool,
        output_format: str, surgery_date: str | None, surgeon_cleared: bool | None, clinician_approved: bool | None,
        db: str | None) -> None:
    """Run today's session of PROTOCOL for a patient.

    Red-flag screening comes first: any yes stops the session with a referral
    message (exit 4) and is recorded. Then pain now (0-10), each exercise with
    its dose, set and rep counters and a countdown for holds, pain during each
    exercise, pain after, and the decision with the next session's plan. Every
    answer is saved as it is given; Ctrl-C keeps them and marks the session
    incomplete. The plan assumes a prior clinical assessment.

    \b
    Examples:
      rehabkit run neck-pain --patient P-0042
      rehabkit run neck-pain --patient P-0042 --plan
      rehabkit run low-back-pain-acute --patient P-7 --answers today.yaml --format json
    """
    from ..errors import ExitCode
    from ..runner import AnswersFileError, FileAnswers, SessionInterrupted, run_session
    from ..store import StoreError

    registry = state.registry()
    try:
        protocol = registry.find_protocol(protocol_id).item
    except LookupError as exc:
        click.echo(f"rehabkit: {exc}", err=True)
        raise SystemExit(ExitCode.FINDINGS) from None
    library = registry.exercise_library()
    measures = {key: r.item for key, r in registry.outcome_measures.items()}
    extra = tuple(r.item for r in registry.screening.values())
    answers: Any = TerminalAnswers() if answers_file is None else FileAnswers(_load_answers(answers_file), answers_file)
    quiet = output_format == "json"

    def say(text: str) -> None:
        if not quiet:
            click.echo(text)

    with open_store(db) as store:
        try:
            store.ensure_patient(patient, surgery_date=_date(surgery_date))
        except StoreError as exc:
            raise click.BadParameter(str(exc), param_hint="'--patient'") from None
        if surgeon_cleared is not None:
            store.record_approval(patient, "surgeon-clearance", surgeon_cleared)
        if clinician_approved is not None:
            store.record_approval(patient, "clinician-approval", clinician_approved)
        if plan_only:
            _print_plan(store, patient, protocol, library, measures, output_format)
            return
        try:
            outcome = run_session(store=store, patient=patient, protocol=protocol, library=library, measures=measures,
                                  extra_screening=extra, answers=answers, decide=state.manager().decide, say=say,
                                  timer=not no_timer and answers_file is None)
        except AnswersFileError as exc:
            raise click.ClickException(f"{exc} The session is kept as incomplete.") from None
        except SessionInterrupted as exc:
            click.echo(f"\nSession {exc.session} stopped. Your answers so far are saved; it is marked incomplete.", err=True)
            raise SystemExit(130) from None
    if output_format == "json":
        click.echo(json.dumps(_outcome_dict(outcome, patient, protocol), indent=2))
    else:
        _print_outcome(outcome)
    if outcome.stopped_by_screening:
        raise SystemExit(4)


def _date(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a date: write YYYY-MM-DD.", param_hint="'--surgery-date'") from None


def _load_answers(path: str) -> Any:
    from ..errors import DocumentError
    from ..loader import load_file

    try:
        return load_file(path).data
    except DocumentError as exc:
        raise click.ClickException(f"cannot read the answers file: {exc}") from None


def _print_plan(store: Any, patient: str, protocol: Any, library: Any, measures: Any, output_format: str) -> None:
    from ..course import course_state
    from ..engine import plan_session

    state = course_state(store, patient, protocol, measures, datetime.date.today())
    plan = plan_session(protocol, state.phase, library, state.regressed, state.dose_level)
    if output_format == "json":
        click.echo(json.dumps(_plan_dict(plan), indent=2))
        return
    click.echo(plan.statement)
    click.echo(f"Today's plan: {protocol.title}, phase {plan.phase.name} ({plan.phase.id})")
    for number, item in enumerate(plan.items, 1):
        click.echo(f"  {number}. {item.exercise.name}: {item.dose_text}" + (f" (in place of {item.replaces})" if item.replaces else ""))


def _plan_dict(plan: Any) -> dict[str, Any]:
    return {
        "statement": plan.statement,
        "phase": plan.phase.id,
        "dose_level": plan.level,
        "exercises": [
            {"id": i.exercise.id, "name": i.exercise.name, "dose": i.dose.to_dict() if i.dose else None,
             "dose_text": i.dose.describe() if i.dose else None, "replaces": i.replaces}
            for i in plan.items
        ],
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
        "messages": list(outcome.messages) + (list(decision.messages) if decision else []),
        "decision": None if decision is None else {
            "action": decision.action, "reasons": list(decision.reasons), "dose_level": decision.dose_level,
            "next_phase": decision.next_phase, "regressions": dict(decision.regressions),
        },
        "next_plan": _plan_dict(outcome.next_plan) if outcome.next_plan else None,
    }


def _print_outcome(outcome: Any) -> None:
    if outcome.stopped_by_screening:
        click.echo("STOP: no exercise today.")
        for message in outcome.messages:
            click.echo(f"  {message}")
        click.echo("This answer is recorded.")
        return
    decision = outcome.decision
    click.echo(f"Decision: {decision.action}")
    for reason in decision.reasons:
        click.echo(f"  because {reason}")
    for message in decision.messages:
        click.echo(f"  {message}")
    plan = outcome.next_plan
    click.echo(f"Next session: phase {plan.phase.name} ({plan.phase.id})")
    for number, item in enumerate(plan.items, 1):
        click.echo(f"  {number}. {item.exercise.name}: {item.dose_text}")
