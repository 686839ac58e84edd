"""``rehabkit handout``, ``report`` and ``calendar``: files for patients and clinicians, written by renderers.

The content is worked out here and in :mod:`rehabkit._outputs`; the renderer
(rehabkit's own or a pack's) is chosen by the output file's ending or by
``--renderer``. A file is written whole or not at all.
"""

from __future__ import annotations

import datetime
from typing import Any

import click

from .._common.exit_codes import GENERAL_EXIT_CODES, ExitCode, exit_code_help
from .._common.vocabulary import REVIEW_ACTIONS
from . import AppState, echo
from .completion import complete_patients, complete_protocols
from .options import date_option, db_option, output_options, patient_argument
from .protocols import patient_protocol, resolve_protocol
from .refusals import describe_morning_review, gate_refusal, refusal, stop_refusal
from .rendering import output_renderer, render, write_output
from .stores import open_store, require_patient

_PATIENT_CODES = (*GENERAL_EXIT_CODES, ExitCode.COURSE_STOPPED, ExitCode.GATE_CLOSED, ExitCode.DAMAGED_RECORD)


def _patient_handout(
    state: AppState, store: Any, patient: str, protocol: Any, day: datetime.date, **options: Any
) -> Any:
    """The handout of the patient's plan today, refused like 'run --plan' when the course is stopped or a gate
    closed."""
    from .._outputs.handout import build_handout
    from .._sessions.course import load_course
    from ..engine.course import active_precautions
    from ..engine.today import check_gate, plan_for

    registry = state.registry()
    measures = {key: r.item for key, r in registry.outcome_measures.items()}
    course = load_course(store, patient, protocol, measures, day)
    if not course.stopped and course.morning_action in REVIEW_ACTIONS:
        # The next-morning report asks for review (next-day could not act on it): no plan, as run would not run.
        raise refusal(
            "text",
            patient,
            "course-stopped",
            describe_morning_review(course, patient),
            status="paused",
            code=ExitCode.COURSE_STOPPED,
        )
    if course.stopped:
        raise stop_refusal("text", patient, course)
    gate = check_gate(course)
    if not gate.met:
        raise gate_refusal("text", patient, protocol, course.phase, gate, course.status)
    plan = plan_for(course, registry.exercise_library())
    return build_handout(
        plan,
        policy=registry.policy(),
        extra_screening=[r.item for r in registry.screening.values()],
        course=course,
        precautions=active_precautions(course),
        patient=patient,
        date=day,
        **options,
    )


@click.command(epilog=exit_code_help(_PATIENT_CODES))
@click.argument("protocol_id", metavar="[PROTOCOL]", required=False, shell_complete=complete_protocols)
@click.option(
    "--patient",
    default=None,
    metavar="ID",
    shell_complete=complete_patients,
    help="The patient's current plan, at the patient's own dose.",
)
@click.option(
    "--phase",
    "phase_id",
    default=None,
    metavar="ID",
    help="The phase to print (default: the first). Not with --patient: a patient's phase is the course's.",
)
@click.option("--large-print", is_flag=True, help="Larger type for readers who need it.")
@output_options
@date_option("the plan is for (with --patient)")
@db_option
@click.pass_obj
def handout(
    state: AppState,
    protocol_id: str | None,
    patient: str | None,
    phase_id: str | None,
    large_print: bool,
    output: str,
    renderer_name: str | None,
    paper: str,
    day: datetime.date,
    db: str | None,
) -> None:
    """Write a printable handout: a phase of PROTOCOL, or a patient's current plan (--patient).

    The handout starts with the statement that the plan assumes a prior
    clinical assessment, then a card per exercise (dose in words, equipment,
    steps, cues, when to avoid it and when to stop), the warning signs grouped
    by urgency, daily advice, and a paper log whose columns are what 'rehabkit
    run' and 'next-day' record, so that a paper session can be entered later
    with --date. The file's ending picks the format: .html (self-contained,
    prints on A4 or Letter), .pdf (needs: pip install "rehabkit[pdf]"), .md.

    \b
    Examples:
      rehabkit handout neck-pain -o neck-pain.html
      rehabkit handout low-back-pain-acute --phase recovery -o recovery.pdf
      rehabkit handout --patient P-0042 -o plan.html --large-print
    """
    kind = "patient-plan" if patient is not None else "protocol-phase"
    if patient is None and protocol_id is None:
        raise click.UsageError("name a PROTOCOL, or a patient with --patient ID.")
    if patient is not None and phase_id is not None:
        raise click.UsageError(
            "--phase is for a protocol's handout; a patient's handout shows the phase of their course."
        )
    renderer = output_renderer(state, kind, output, renderer_name)
    options = {"large_print": large_print, "paper": paper}
    if patient is not None:
        with open_store(db, read_only=True) as store:
            require_patient(store, patient)
            protocol = patient_protocol(
                state, store, patient, protocol_id, f"rehabkit handout PROTOCOL --patient {patient}"
            )
            content = _patient_handout(state, store, patient, protocol, day, **options)
    else:
        content = _phase_handout(state, str(protocol_id), phase_id, options)
    content = _figure_files(content, output)
    where = write_output(output, *render(renderer, content))
    if output != "-":
        echo(
            f"Wrote the {renderer.name} handout of {content.protocol.key}, phase {content.phase.id}"
            + (f", for {patient}" if patient else "")
            + f", to {where}."
            + _figures_written(content),
            err=True,
        )


def _figures_written(content: Any) -> str:
    files = [card.figure_file for card in content.cards if card.figure_file]
    if not files:
        return ""
    return f"X{', '.join(files)}."


def _figure_files(content: Any, output: str) -> Any:
    """For a Markdown handout written to a file, each figure written beside it as ``NAME-EXERCISE.svg`` (0600, as
    the handout) and named on its card, for the Markdown to link; any other handout as it was."""
    import re
    from pathlib import Path

    import attrs

    path = Path(output)
    if output == "-" or path.suffix.lower() not in (".md", ".markdown"):
        return content
    cards = []
    for card in content.cards:
        if card.figure_svg:
            name = re.sub(r"[^A-Za-z0-9._-]", "-", f"{path.stem}-{card.id}.svg")
            write_output(str(path.with_name(name)), card.figure_svg.encode("utf-8"))
            card = attrs.evolve(card, figure_file=name)
        cards.append(card)
    return attrs.evolve(content, cards=tuple(cards))


def _phase_handout(state: AppState, protocol_id: str, phase_id: str | None, options: dict[str, Any]) -> Any:
    from .._outputs.handout import build_handout
    from ..engine import plan_session

    protocol = resolve_protocol(state, protocol_id)[0]
    registry = state.registry()
    phase_id = phase_id or protocol.phases[0].id
    if phase_id not in {p.id for p in protocol.phases}:
        known = ", ".join(p.id for p in protocol.phases)
        raise click.BadParameter(
            f"{protocol.id} has no phase {phase_id!r}; its phases are {known}.", param_hint="'--phase'"
        )
    try:
        plan = plan_session(protocol, phase_id, registry.exercise_library())
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None
    return build_handout(
        plan, policy=registry.policy(), extra_screening=[r.item for r in registry.screening.values()], **options
    )


@click.command(epilog=exit_code_help((*GENERAL_EXIT_CODES, ExitCode.DAMAGED_RECORD)))
@patient_argument()
@click.option(
    "--protocol",
    "protocol_id",
    default=None,
    metavar="ID",
    help="The protocol of the course (needed only when the patient has more than one).",
)
@output_options
@date_option("the report is made for")
@db_option
@click.pass_obj
def report(
    state: AppState,
    patient: str,
    protocol_id: str | None,
    output: str,
    renderer_name: str | None,
    paper: str,
    day: datetime.date,
    db: str | None,
) -> None:
    """Write PATIENT's course report for the clinician: charts of pain and measures, adherence, events.

    Pain before and after each session and the next morning against the
    protocol's pain limits; each outcome measure over time against the change
    that counts as meaningful; sessions done each week against those planned;
    decisions, pauses, approvals and reviews; the current phase and the
    criteria still open. Charts are SVG, each with a data table beside it.
    .html or .pdf (pip install "rehabkit[pdf]").

    \b
    Examples:
      rehabkit report P-0042 -o P-0042.html
      rehabkit report P-0042 --protocol neck-pain -o P-0042.pdf
    """
    from .._outputs.report import build_report
    from .._sessions.course import load_course

    renderer = output_renderer(state, "course-report", output, renderer_name, default="html")
    with open_store(db, read_only=True) as store:
        require_patient(store, patient)
        protocol = patient_protocol(state, store, patient, protocol_id)
        registry = state.registry()
        measures = {key: r.item for key, r in registry.outcome_measures.items()}
        course = load_course(store, patient, protocol, measures, day)
        library = registry.exercise_library()
        content = build_report(store, patient, course, measures, day, paper=paper, library=library)
    where = write_output(output, *render(renderer, content))
    if output != "-":
        sessions = f"{len(content.sessions)} session" + ("" if len(content.sessions) == 1 else "s")
        echo(f"Wrote the course report of {patient} ({protocol.key}, {sessions}) to {where}.", err=True)


@click.command(epilog=exit_code_help(_PATIENT_CODES))
@patient_argument()
@click.option(
    "--protocol",
    "protocol_id",
    default=None,
    metavar="ID",
    help="The protocol of the course (needed only when the patient has more than one).",
)
@click.option(
    "-o", "--output", required=True, metavar="FILE.ics", help="The calendar file to write ('-': standard output)."
)
@date_option("the calendar starts")
@db_option
@click.pass_obj
def calendar(
    state: AppState, patient: str, protocol_id: str | None, output: str, day: datetime.date, db: str | None
) -> None:
    """Write PATIENT's plan as an iCalendar file (.ics) for a phone or computer calendar.

    Sessions repeat on the phase's sessions per week until the next review,
    each with a morning reminder to answer the warning-sign questions first;
    the review date is an event of its own. Importing a newer file updates the
    events rather than doubling them.

    \b
    Examples:
      rehabkit calendar P-0042 -o plan.ics
    """
    if output != "-" and not output.lower().endswith(".ics"):
        raise click.BadParameter(f"{output!r}: a calendar is written to a file ending in .ics.", param_hint="'-o'")
    renderer = output_renderer(state, "patient-plan", output, None if output != "-" else "icalendar", default="ics")
    with open_store(db, read_only=True) as store:
        require_patient(store, patient)
        protocol = patient_protocol(state, store, patient, protocol_id)
        content = _patient_handout(state, store, patient, protocol, day)
    where = write_output(output, *render(renderer, content))
    if output != "-":
        review = f"; review on {content.log.review.isoformat()}" if content.log.review else ""
        echo(
            f"Wrote the calendar of {patient} ({protocol.key}, phase {content.phase.id}{review}) to {where}.", err=True
        )
