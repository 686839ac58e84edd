"""A course report's content, read from the session store for the clinician at follow-up.

Pain before and after each session and the next morning, against the
protocol's pain limits; pain during each exercise against its own limit, with
the exercises stopped part-way; each outcome measure over time with the change that
counts as meaningful; sessions done each week against the phase's sessions per
week; the course's events; and the criteria of the next gate still open.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

import attrs

from .._sessions.course import parse_date
from .._sessions.store_api import EventRecord, SessionStore
from ..engine import Course, PastSession, check_criteria, pain_target
from ..model import Exercise, Protocol
from .content import (
    ChartPoint,
    CourseReport,
    ExerciseCard,
    ExercisePain,
    MeasureSeries,
    TimelineEntry,
    WeekAdherence,
)
from .handout import exercise_figure, stop_threshold

__all__ = ["build_report", "event_text"]


def _pain_limits(protocol: Protocol, phase_id: str) -> tuple[tuple[str, float], ...]:
    limits = []
    target = pain_target(protocol, phase_id)
    if target is not None:
        limits.append(("pain goal of the phase (at rest)", float(target)))
    stop = stop_threshold(protocol)  # the same level the handout's "stop if" line gives
    if stop is not None:
        limits.append(("too much pain during exercise", float(stop)))
    return tuple(limits)


def _weeks(protocol: Protocol, sessions: list[PastSession], today: datetime.date) -> tuple[WeekAdherence, ...]:
    """Sessions done per week of the course (weeks counted from the first session) against the phase's prescription."""
    if not sessions:
        return ()
    first = sessions[0].date
    weeks: list[WeekAdherence] = []
    start = first
    while start <= today:
        end = start + datetime.timedelta(days=7)
        inside = [s for s in sessions if start <= s.date < end]
        done = len({s.date for s in inside if s.status == "complete"})
        phase_id = inside[-1].phase if inside else (weeks[-1].phase if weeks else sessions[0].phase)
        spw = protocol.phase(phase_id).sessions_per_week if phase_id in {p.id for p in protocol.phases} else None
        weeks.append(
            WeekAdherence(
                start=start,
                done=done,
                prescribed_min=spw.min if spw else None,
                prescribed_max=spw.max if spw else None,
                phase=phase_id,
            )
        )
        start = end
    return tuple(weeks)


def event_text(event: Any, names: Mapping[str, str], *, reasons: bool = False) -> str:
    """A stored course event in plain words (``names``: phase id -> name); ``reasons`` adds a pause's reasons."""
    from ..engine.events import Approval, Pause, PhaseEntry, Review, event_detail

    detail = event_detail(event.kind, event.detail)
    if isinstance(detail, PhaseEntry):
        reason = f" ({detail.reason})" if detail.reason else ""
        return f"entered phase {names.get(event.phase, event.phase)}{reason}"
    if isinstance(detail, Pause):
        why = "; ".join(detail.reasons) if reasons else ""
        return f"course paused: {detail.action} ({detail.cause})" + (f": {why}" if why else "")
    if isinstance(detail, Review):
        who = f" by {event.by}" if event.by else ""
        return f"review{who}: {detail.outcome}" + (f": {detail.note}" if detail.note else "")
    kind, given = (detail.kind, detail.value) if isinstance(detail, Approval) else (event.kind, False)
    gate = f" for phase {names.get(event.phase, event.phase)}" if event.phase else ""
    return f"{kind} {'given' if given else 'withdrawn'}{gate}" + (f" by {event.by}" if event.by else "")


def _timeline(
    store_events: list[EventRecord], sessions: list[PastSession], protocol: Protocol
) -> tuple[TimelineEntry, ...]:
    names = {p.id: p.name for p in protocol.phases}
    entries = []
    for event in store_events:
        # Pauses and reviews concern the patient in every protocol (a red flag in one stops all): keep them, named.
        other = event.protocol not in (None, protocol.id)
        if other and event.kind not in ("pause", "review"):
            continue
        text = event_text(event, names)
        entries.append(
            TimelineEntry(parse_date(event.date), event.kind, f"{text} (in {event.protocol})" if other else text)
        )
    for session in sessions:
        if session.status == "stopped" or (session.decision and session.decision != "continue"):
            what = session.decision or "stopped"
            entries.append(TimelineEntry(session.date, "decision", f"session {session.id}: {what}"))
    return tuple(sorted(entries, key=lambda e: e.date))


def _series(
    store_measures: list[tuple[str, float, str]], bands: list[str | None], measures: Mapping[str, Any]
) -> tuple[MeasureSeries, ...]:
    """Each measure's scores for the chart; its band is the latest score's, as given when it was scored."""
    grouped: dict[str, list[ChartPoint]] = {}
    latest_band: dict[str, str | None] = {}
    for (measure_id, value, day), band in zip(store_measures, bands, strict=True):
        grouped.setdefault(measure_id, []).append(ChartPoint(parse_date(day), float(value)))
        latest_band[measure_id] = band
    series = []
    for measure_id, points in sorted(grouped.items()):
        measure = measures.get(measure_id)
        if measure is None:  # scored with a pack that is no longer installed: still shown, without its scale
            top = max(p.value for p in points)
            series.append(MeasureSeries(measure_id, measure_id, "", (0.0, top or 1.0), tuple(points)))
            continue
        series.append(
            MeasureSeries(
                measure.id,
                measure.name,
                measure.unit,
                measure.scale,
                tuple(points),
                measure.meaningful_change,
                latest_band[measure_id],
            )
        )
    return tuple(series)


def _exercise_limits(protocol: Protocol, library: Mapping[str, Exercise]) -> dict[str, float]:
    """Each exercise's pain limit: its own dose's, or a phase's dose for it (the last phase naming one wins)."""
    exercises = {**library, **{e.id: e for e in protocol.exercises}}
    limits = {key: e.dose.pain_limit for key, e in exercises.items() if e.dose is not None and e.dose.pain_limit}
    for phase in protocol.phases:
        for ref in phase.exercises:
            if ref.dose is not None and ref.dose.pain_limit is not None:
                limits[ref.exercise] = ref.dose.pain_limit
    return limits


def _exercise_pain(
    session: PastSession, answers: list[tuple[str, str, Any]], names: Mapping[str, str], limits: Mapping[str, float]
) -> list[ExercisePain]:
    """A session's pain during each exercise, in the order answered, with a part-way stop where recorded."""
    part_way = {}
    for kind, key, value in answers:
        if kind == "stopped-part-way" and isinstance(value, Mapping):
            try:
                part_way[key] = (int(value["sets_done"]), int(value["sets"]))
            except (KeyError, TypeError, ValueError):
                continue
    rows = []
    for kind, key, value in answers:
        if kind == "pain-during" and isinstance(value, int | float) and not isinstance(value, bool):
            rows.append(
                ExercisePain(session.date, session.id, key, names.get(key, key), float(value), limits.get(key),
                             part_way.pop(key, None))
            )  # fmt: skip
    rows += [
        ExercisePain(session.date, session.id, key, names.get(key, key), None, limits.get(key), sets)
        for key, sets in part_way.items()
    ]
    return rows


def build_report(
    store: SessionStore,
    patient: str,
    course: Course,
    measures: Mapping[str, Any],
    today: datetime.date,
    paper: str = "a4",
    library: Mapping[str, Exercise] | None = None,
) -> CourseReport:
    """The course report of ``patient`` in ``course.protocol`` on ``today``; ``library``: the installed exercises,
    to name each exercise and its pain limit in the per-exercise table."""
    protocol = course.protocol
    mornings = {session: pain for session, _day, pain, _settled in store.next_days(patient)}
    stored = store.sessions(patient, protocol.id)
    names = {**{k: e.name for k, e in (library or {}).items()}, **{e.id: e.name for e in protocol.exercises}}
    limits = _exercise_limits(protocol, library or {})
    sessions, exercise_pain = [], []
    for record in stored:
        answers = store.answers(record.id)
        rows = _exercise_pain(record, answers, names, limits)
        exercise_pain += rows
        during = tuple((row.exercise, row.pain) for row in rows if row.pain is not None)
        sessions.append(attrs.evolve(record, next_morning=mornings.get(record.id), pain_during=during))
    phases = {p.id: p.name for p in protocol.phases}
    open_criteria: tuple[str, ...] = ()
    next_gate = None
    if not course.stopped:
        phase = protocol.phase(course.phase)
        criteria = phase.exit if course.started else phase.entry
        next_gate = course.gate if course.started else course.phase
        if criteria is not None:
            result = check_criteria(criteria, course.facts, next_gate, phase_names=phases)
            open_criteria = result.unmet
    return CourseReport(
        patient=patient,
        protocol=protocol,
        course=course,
        date=today,
        status=course.status,
        phase_name=phases.get(course.phase, course.phase),
        sessions=tuple(sessions),
        pain_limits=_pain_limits(protocol, course.phase),
        measures=_series(store.measures(patient), store.measure_bands(patient), measures),
        weeks=_weeks(protocol, sessions, today),
        timeline=_timeline(store.events(patient), stored, protocol),
        open_criteria=open_criteria,
        next_gate=phases.get(next_gate) if next_gate else None,
        statement=protocol.supervision.statement,
        source=protocol.key,
        paper=paper,
        exercise_pain=tuple(exercise_pain),
        plan=_plan(course, library),
    )


def _plan(course: Course, library: Mapping[str, Exercise] | None) -> tuple[ExerciseCard, ...]:
    """The current phase's exercises at the patient's dose, each with its figure (none while stopped)."""
    from ..engine.today import plan_for

    if course.stopped or library is None:
        return ()
    try:
        plan = plan_for(course, library)
    except LookupError:  # an exercise the installed packs no longer provide: the report still reads
        return ()
    cards = []
    for item in plan.items:
        svg, text = exercise_figure(item.exercise)
        cards.append(
            ExerciseCard(
                id=item.exercise.id,
                name=item.exercise.name,
                dose=item.dose_text,
                steps=item.exercise.steps,
                figure_svg=svg,
                figure_text=text,
            )
        )
    return tuple(cards)
