"""``rehabkit history``, ``next-day`` and ``measure``: a patient's record in the session store."""

from __future__ import annotations

import datetime
import json
import sys
from typing import TYPE_CHECKING, Any

import click

from .._common.exit_codes import GENERAL_EXIT_CODES, ExitCode, exit_code_help
from . import AppState, echo
from .completion import complete_measures
from .exits import error_exit, exit_with, request_error
from .options import PAIN_SCORE, Score, clinician_option, date_option, db_option, format_option, patient_argument
from .protocols import resolve_protocol
from .stores import (
    acting,
    check_new_patient,
    check_patient_id,
    check_record,
    course_lock,
    open_store,
    require_patient,
    require_store_to_record,
)

if TYPE_CHECKING:
    pass

#: Sessions ``history`` lists in text by default (the latest; --all for every one).
HISTORY_SHOWN = 50


@click.command(epilog=exit_code_help((*GENERAL_EXIT_CODES, ExitCode.DAMAGED_RECORD)))
@patient_argument()
@click.option("--protocol", default=None, help="Only sessions of this protocol id.")
@format_option(
    "text: the course and a table of sessions; json: the patient's sessions, course events, next-morning "
    "reports and measures as one object."
)
@click.option(
    "--last",
    "last",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help=f"Only the latest N sessions, with the events and measures since the first of them (text default: "
    f"{HISTORY_SHOWN}; json default: every record).",
)
@click.option("--all", "show_all", is_flag=True, help="Every session, event and measure (the default for json).")
@db_option
def history(
    patient: str, protocol: str | None, output_format: str, last: int | None, show_all: bool, db: str | None
) -> None:
    """List PATIENT's course: sessions (date, phase, status, pain before, after and the next morning, decision),
    phases entered, pauses, approvals and reviews, and the latest measures.

    The text lists the latest sessions (and the events and measures since the first of them) and says how many
    earlier ones there are: --all lists everything.

    \b
    Examples:
      rehabkit history P-0042
      rehabkit history P-0042 --all
      rehabkit history P-0042 --format json
    """
    if show_all and last is not None:
        raise click.UsageError("give --last N or --all, not both.")
    if last is None and not show_all and output_format == "text":
        last = HISTORY_SHOWN
    with open_store(db, read_only=True) as store:
        require_patient(store, patient)
        sessions = store.sessions(patient, protocol, last=last)
        total = store.count_sessions(patient, protocol) if last is not None else len(sessions)
        since = sessions[0].date.isoformat() if total > len(sessions) else ""  # what the shown sessions span
        measures = [
            (*m, band)
            for m, band in zip(store.measures(patient), store.measure_bands(patient), strict=True)
            if m[2] >= since
        ]
        course_events = [e for e in store.events(patient) if protocol is None or e.protocol in (None, protocol)]
        events = [e for e in course_events if e.date >= since]
        mornings: dict[int, tuple[str, float, float | None]] = {}
        for session, day, pain, settled in store.next_days(
            patient, sessions=[s.id for s in sessions] if since else None
        ):
            mornings[session] = (day, pain, settled)
        surgery = store.surgery_date(patient)
        part_way = store.part_way_stops(patient, sessions[0].id if sessions else 0)
    status = _status(course_events)
    if output_format == "json":
        _history_json(patient, surgery, status, sessions, mornings, part_way, events, measures)
        return
    echo(f"Patient {patient}: course {status}" + (f"; surgery on {surgery}" if surgery else ""))
    if since:
        earlier = total - len(sessions)
        echo(
            f"The latest {len(sessions)} of {total:,} sessions, with the events and measures since {since}; "
            f"{earlier:,} earlier session{'s' if earlier != 1 else ''} not shown (--all shows every one)."
        )
    if not sessions:
        echo(f"no sessions recorded for {patient}.", err=True)
    else:
        echo(f"{'DATE':<11} {'PROTOCOL':<22} {'PHASE':<12} {'STATUS':<11} {'PAIN':<12} DECISION")
    for s in sessions:
        morning = mornings.get(s.id)
        scores = f"{_pain(s.pain_before)}->{_pain(s.pain_after)}" + (f"/{morning[1]:g}" if morning else "")
        echo(f"{s.date.isoformat():<11} {s.protocol:<22} {s.phase:<12} {s.status:<11} {scores:<12} {s.decision or '-'}")
        detail = s.decision_detail if s.status == "incomplete" else None
        for reason in detail.get("reasons", []) if isinstance(detail, dict) else []:
            echo(f"{'':<11} {reason}")  # what a session left unfinished counts for
        for key, done, sets in part_way.get(s.id, []):
            echo(f"{'':<11} stopped part-way: {key}, {done} of {sets} sets done")
    if sessions:
        echo("PAIN is before->after the session, and /the next morning where reported.")
    for event in events:
        if not _start_of_protocol(event):
            echo(f"{event.date:<11} {_event_text(event)}")
    for measure, value, day, band in measures:
        echo(f"{day:<11} {measure}: {value:g}" + (f" ({band})" if band else ""))


def _history_json(
    patient: str,
    surgery: Any,
    status: str,
    sessions: list[Any],
    mornings: dict[int, tuple[str, float, float | None]],
    part_way: dict[int, list[tuple[str, int, int]]],
    events: list[Any],
    measures: list[Any],
) -> None:
    """History as one JSON object on standard output."""
    click.echo(
        json.dumps(
            {
                "patient": patient,
                "surgery_date": surgery,
                "status": status,
                "sessions": [
                    {
                        **_session_dict(s, mornings.get(s.id)),
                        "stopped_part_way": [
                            {"exercise": key, "sets_done": done, "sets": sets}
                            for key, done, sets in part_way.get(s.id, [])
                        ],
                    }
                    for s in sessions
                ],
                "events": [_event_dict(e) for e in events],
                "measures": [{"measure": m, "value": v, "date": d, "band": b} for m, v, d, b in measures],
                "latest_measures": {m: v for m, v, _, _ in measures},
            },
            indent=2,
        )
    )


def _start_of_protocol(event: Any) -> bool:
    """The phase entry every course begins with (history does not list it)."""
    from ..engine.events import PhaseEntry, event_detail

    detail = event_detail(event.kind, event.detail)
    return isinstance(detail, PhaseEntry) and detail.reason == "start of the protocol"


def _status(events: list[Any]) -> str:
    """The patient's state in words: a pause or referral stops every programme; a discharge ends one."""
    from ..engine.events import Pause, Review, event_detail

    state = "active" if events else "not started"
    discharged: dict[str, str] = {}
    for event in events:
        detail = event_detail(event.kind, event.detail)
        if isinstance(detail, Pause):
            state = f"paused since {event.date} ({detail.action}, {detail.cause})"
        elif isinstance(detail, Review):
            state = f"referred on {event.date}" if detail.outcome == "refer" else "active"
            if detail.outcome == "discharge" and event.protocol:
                discharged[event.protocol] = event.date
            elif event.protocol:
                discharged.pop(event.protocol, None)
    ended = "; ".join(f"discharged from {protocol} on {day}" for protocol, day in sorted(discharged.items()))
    return f"{state}; {ended}" if ended else state


def _event_text(event: Any) -> str:
    from .._common.text import visible
    from ..engine.events import Approval, Pause, Review, event_detail

    detail = event_detail(event.kind, event.detail)
    if event.kind == "enter-phase":
        return f"{event.protocol}: entered phase {event.phase}"
    if isinstance(detail, Pause):
        return f"{event.protocol}: paused ({detail.action}, {detail.cause})"
    if isinstance(detail, Review):
        note = f": {visible(detail.note)}" if detail.note else ""  # one line: a newline cannot forge another
        return f"review by {event.by}: {detail.outcome}{note}"
    kind, given = (detail.kind, detail.value) if isinstance(detail, Approval) else (event.kind, False)
    gate = f" for phase {event.phase}" if event.phase else " (before version 3: opens no gate)"
    value = "given" if given else "withdrawn"
    return f"{event.protocol or ''}: {kind} {value}{gate}" + (f" by {event.by}" if event.by else "")


def _pain(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _session_dict(s: Any, morning: tuple[str, float, float | None] | None) -> dict[str, Any]:
    return {
        "id": s.id,
        "date": s.date.isoformat(),
        "protocol": s.protocol,
        "version": s.version,
        "phase": s.phase,
        "started": s.started,
        "finished": s.finished,
        "status": s.status,
        "pain_before": s.pain_before,
        "pain_after": s.pain_after,
        "next_morning": None
        if morning is None
        else {"date": morning[0], "pain": morning[1], "settled_after_hours": morning[2]},
        "decision": s.decision,
        "detail": s.decision_detail,
        "clinician": s.clinician,
    }


def _event_dict(e: Any) -> dict[str, Any]:
    return {
        "id": e.id,
        "kind": e.kind,
        "date": e.date,
        "protocol": e.protocol,
        "phase": e.phase,
        "by": e.by,
        "detail": e.detail,
        "clinician": e.clinician,
    }


@click.command(
    "next-day",
    epilog=exit_code_help(
        (
            *GENERAL_EXIT_CODES,
            ExitCode.STOPPED_FOR_REVIEW,
            ExitCode.URGENT_REFERRAL,
            ExitCode.PATIENT_BUSY,
            ExitCode.NOT_PERMITTED,
            ExitCode.DAMAGED_RECORD,
        )
    ),
)
@patient_argument()
@click.option("--pain", type=PAIN_SCORE, required=True, help="Pain this morning, 0 (none) to 10 (worst imaginable).")
@click.option(
    "--settled-after-hours",
    "settled",
    type=Score(0, 72),
    default=None,
    metavar="HOURS",
    help="How many hours the pain took to settle back to its usual level after the session.",
)
@click.option(
    "--protocol",
    "protocol_id",
    default=None,
    metavar="PROTOCOL",
    help="The protocol whose rules apply, when the session's is not installed (an id or a protocol file).",
)
@date_option("of the morning report")
@clinician_option
@db_option
@click.pass_obj
def next_day(
    state: AppState,
    patient: str,
    pain: float,
    settled: float | None,
    protocol_id: str | None,
    day: datetime.date,
    clinician: str | None,
    db: str | None,
) -> None:
    """Record PATIENT's pain the morning after a session; it acts on the very next session's plan.

    The report belongs to the patient's latest session before its date. When the
    protocol's next-morning rules fire, the next plan is lowered or held at once,
    and a rule that asks for review pauses the course now (exit 4, or 5 for urgent help).

    \b
    Examples:
      rehabkit next-day P-0042 --pain 3
      rehabkit next-day P-0042 --pain 6 --settled-after-hours 4 --date 2026-11-20
    """
    with open_store(db, create=False) as store:
        require_patient(store, patient)
        actor = acting(store, clinician)
        with course_lock(store, patient, "a next-morning report", actor.id):
            _record_next_day(state, store, patient, pain, settled, protocol_id, day, actor)


def _measure_answers(outcome: Any, scores: tuple[str, ...], skips: tuple[str, ...], patient: str) -> dict[str, Any]:
    """The items' answers: from --score and --skip, the others asked at the terminal (exit 130 on Ctrl-C)."""
    items = {item.id: item for item in outcome.items}
    answers: dict[str, int | None] = {}
    for text in scores:
        key, _, value = text.partition("=")
        number = value.strip()
        # ASCII digits, few enough for int() (which refuses 4,300 and more) and for a message to repeat
        if key not in items or not number.lstrip("-").isdecimal() or not number.isascii() or len(number) > 9:
            raise click.BadParameter(
                f"{text!r}: write ITEM=N with ITEM one of {', '.join(items)}.", param_hint="'--score'"
            )
        answers[key] = int(value)
    for key in skips:
        if key not in items:
            raise click.BadParameter(
                f"{key!r} is not an item of {outcome.name}: {', '.join(items)}.", param_hint="'--skip'"
            )
        answers[key] = None
    try:
        for item in outcome.items:
            if item.id not in answers:
                answers[item.id] = _ask_item(item)
    except click.Abort:
        raise exit_with(ExitCode.INTERRUPTED, f"\nStopped: nothing was recorded for {patient}.") from None
    return answers


def _record_next_day(
    state: AppState,
    store: Any,
    patient: str,
    pain: float,
    settled: float | None,
    protocol_id: str | None,
    day: datetime.date,
    actor: Any,
) -> None:
    """Record the report (under the patient's lock) and act on the protocol's next-morning rules."""
    from .._sessions.service import CourseRequestError, NoSessionError, next_day_session, record_next_day

    try:
        session = next_day_session(store, patient, day)
    except NoSessionError as exc:
        raise error_exit(ExitCode.FINDINGS, str(exc)) from None
    except CourseRequestError as exc:
        raise request_error(str(exc), exc.param) from None
    protocol = _next_day_protocol(state, session.protocol, protocol_id)
    recorded = record_next_day(store, patient, actor, day, session=session, pain=pain, settled=settled,
                               protocol=protocol, policy=state.registry().policy())  # fmt: skip
    lines = next_day_lines(patient, day, pain, recorded)
    echo(lines[0])
    if protocol is None:
        echo(
            f"(protocol {session.protocol!r} is not installed: its next-morning rules act when the next session "
            "starts; name it with --protocol to check them now.)",
            err=True,
        )
        return
    for line in lines[1 : 1 + len(recorded.reasons)]:
        echo(line)
    _say_unruled(recorded.unruled, protocol.key, patient, pain, settled)
    for line in lines[1 + len(recorded.reasons) :]:
        echo(line)
    if recorded.paused:
        urgent = recorded.action == "refer-urgently"
        raise exit_with(ExitCode.URGENT_REFERRAL if urgent else ExitCode.STOPPED_FOR_REVIEW)


def next_day_lines(patient: str, day: datetime.date, pain: float, recorded: Any) -> list[str]:
    """What 'rehabkit next-day' says of a report it recorded (``recorded``: the course service's
    ``NextDayRecorded``): what was recorded, each rule it fired, and what happens to the course; the browser's
    morning check-in says the same."""
    session = recorded.session
    compared = f" (pain before that session: {session.pain_before:g}/10)" if session.pain_before is not None else ""
    lines = [
        f"Next-morning pain {pain:g}/10 recorded for {patient} on {day.isoformat()}, after the session of "
        f"{session.date}{compared}."
    ]
    lines += [f"  {reason.describe()}: {reason.rule.message}" for reason in recorded.reasons]
    if recorded.paused:
        lines.append("The programme is paused until a clinician has reviewed you (rehabkit review).")
    elif recorded.reasons:
        lower = recorded.action == "reduce-load"
        lines.append("The next session's plan " + ("is one step lower." if lower else "keeps the same doses."))
    return lines


def _say_unruled(unruled: tuple[str, ...], protocol: str, patient: str, pain: float, settled: float | None) -> None:
    """Say what the report gave that the protocol has no rule for, and what the clinician should do about it."""
    given = {
        "pain-next-morning": f"next-morning pain ({pain:g}/10)",
        "not-settled-after-hours": f"the hours pain took to settle (--settled-after-hours {settled or 0:g})",
    }
    for measure in unruled:
        echo(
            f"{protocol} has no next-morning rule for {given[measure]}: it is recorded, but nothing changes the plan "
            f"because of it. A clinician should look at it and decide: record a review if it needs one (rehabkit "
            f"review {patient} --outcome ...), or give the protocol a '{measure}' symptom rule.",
            err=True,
        )


def _next_day_protocol(state: AppState, session_protocol: str, protocol_id: str | None) -> Any:
    """The protocol whose next-morning rules apply: the one named, else the session's if installed (``None``)."""
    if protocol_id is not None:
        return resolve_protocol(state, protocol_id, lint=False)[0]
    try:
        return state.registry().find_protocol(session_protocol).item
    except LookupError:
        return None


@click.command(
    epilog=exit_code_help(
        (
            *GENERAL_EXIT_CODES,
            ExitCode.PATIENT_BUSY,
            ExitCode.NOT_PERMITTED,
            ExitCode.DAMAGED_RECORD,
            ExitCode.INTERRUPTED,
        )
    )
)
@patient_argument(then="measure_id")
@click.argument("measure_id", metavar="MEASURE", required=False, shell_complete=complete_measures)
@click.option(
    "--score",
    "scores",
    multiple=True,
    metavar="ITEM=N",
    help="An item's score (repeatable); items not given are asked for.",
)
@click.option("--skip", "skips", multiple=True, metavar="ITEM", help="An item the patient left out (repeatable).")
@click.option(
    "--new-patient",
    is_flag=True,
    help="PATIENT is a new patient although the id looks like a recorded one (asked at a terminal).",
)
@format_option("text: the score and its band; json: the score as one object.")
@date_option("the questionnaire was filled in")
@clinician_option
@db_option
@click.pass_obj
def measure(
    state: AppState,
    patient: str,
    measure_id: str,
    scores: tuple[str, ...],
    skips: tuple[str, ...],
    new_patient: bool,
    output_format: str,
    day: datetime.date,
    clinician: str | None,
    db: str | None,
) -> None:
    """Score and record an outcome measure (ODI, NDI, NPRS, STarT Back, PEG, ...) for PATIENT.

    Each item is scored from the official form (0-5 for ODI and NDI sections);
    a blank answer skips the item, which the published scoring rule allows
    for. Phase criteria such as odi-percent use the latest score. A baseline
    measure may come before the first session: a patient the store does not
    know yet is recorded, as 'run' and 'approve' do.

    \b
    Examples:
      rehabkit measure P-0042 odi
      rehabkit measure P-0042 ndi --score pain-intensity=2 --skip driving ...
    """
    from .._sessions.outcomes import ScoringError
    from .._sessions.service import record_measure
    from .._sessions.staff import require

    registry = state.registry(protocols=False, exercises=False)
    try:
        outcome = registry.measure(measure_id)
    except LookupError as exc:
        raise click.BadParameter(str(exc), param_hint="'MEASURE'") from None
    check_patient_id(patient)
    require_store_to_record(db)
    with open_store(db, read_only=True) as store:
        check_record(store, patient)
        actor = acting(store, clinician)  # refused before a question is asked
        require(actor, "record-measure", registry.policy(), patient)
        check_new_patient(store, patient, confirmed=new_patient, interactive=sys.stdin.isatty())
    answers = _measure_answers(outcome, scores, skips, patient)
    try:
        with (
            open_store(db, create=False) as store,
            course_lock(store, patient, "a measure", actor.id),
        ):
            score = record_measure(store, patient, acting(store, clinician), day, measure=outcome, answers=answers,
                                   policy=registry.policy())  # fmt: skip
    except ScoringError as exc:
        raise click.ClickException(str(exc)) from None
    if output_format == "json":
        click.echo(
            json.dumps(
                {
                    "patient": patient,
                    "measure": outcome.id,
                    "value": score.value,
                    "unit": score.unit,
                    "band": score.band,
                    "subscales": dict(score.subscales),
                    "answered": score.answered,
                    "skipped": list(score.skipped),
                },
                indent=2,
            )
        )
    else:
        echo(f"{score.describe()}: recorded for {patient}.")


def _ask_item(item: Any) -> int | None:
    from .._common.text import visible
    from .typed_answers import parse_whole

    label = visible(item.label)  # a pack's words: never sent raw
    choices = getattr(item, "choices", ())
    if choices:  # what each answer means, in the form's words: "0 disagree, 1 agree"
        scale = ", ".join(f"{n} {visible(choice)}" for n, choice in enumerate(choices))
    else:
        scale = f"0-{item.max}"
    while True:
        answer = parse_whole(
            click.prompt(f"{label} ({scale}; blank to skip)", default="", show_default=False), item.max
        )
        if not isinstance(answer, str):
            return answer
        echo(f"  {answer}", err=True)
