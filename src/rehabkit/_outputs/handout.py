"""A handout's content, worked out from a protocol's phase or a patient's course.

The dose is the plan's (the patient's own step, after regressions and a worse
next morning); the cautions those that apply today; the "stop if" lines come
from each exercise's pain limit and the protocol's symptom rules; the warning
signs from the protocol's and the packs' screening questions. The headings of
each urgency and the log's length without a review date are the clinical
policy's data (``handout`` in ``clinical_policy.json``).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from .._common.text import and_list
from .._common.vocabulary import REVIEW_ACTIONS, SCREENING_ACTIONS, SYMPTOM_ACTIONS
from ..engine import Course, PlannedExercise, SessionPlan
from ..engine.progress import weeks_after
from ..engine.schedule import DAY_NAMES, WeekSchedule
from ..engine.today import schedule_of
from ..model import Exercise, Phase, Precaution, Protocol, ScreeningQuestion
from .content import ExerciseCard, Handout, HelpGroup, PaperLog, WeekDay

__all__ = ["build_handout", "exercise_figure", "phase_precautions", "review_date", "schedule_start", "stop_threshold"]

#: The longest paper log printed at once (six weeks); a later review gets a note to print another sheet.
MAX_LOG_DAYS = 42


def build_handout(
    plan: SessionPlan,
    *,
    policy: Mapping[str, Any],
    extra_screening: Iterable[ScreeningQuestion] = (),
    course: Course | None = None,
    precautions: Iterable[Precaution] | None = None,
    patient: str | None = None,
    date: datetime.date | None = None,
    large_print: bool = False,
    paper: str = "a4",
) -> Handout:
    """The handout of a plan: a protocol's phase (no ``patient``), or a patient's plan on ``date``."""
    protocol, phase = plan.protocol, plan.phase
    if precautions is None:
        precautions = phase_precautions(protocol, phase.id)
    review = review_date(phase, course, date) if patient is not None else None
    log = _paper_log(plan, patient, date, review, int(policy["handout"]["log_days_without_review"]))
    changes = [*plan.adjustments, *(f"{left.name} is left out: {left.why}." for left in plan.left_out)]
    schedule = schedule_of(plan, schedule_start(course, date))
    return Handout(
        kind="patient-plan" if patient is not None else "protocol-phase",
        protocol=protocol,
        phase=phase,
        plan=plan,
        statement=plan.statement,
        cards=tuple(_card(item, protocol, schedule) for item in plan.items),
        get_help=_help_groups((*protocol.red_flags, *extra_screening), policy["handout"]["help"]),
        cautions=tuple(p.description + (f" {p.limit}" if p.limit else "") for p in precautions),
        advice=protocol.advice,
        log=log,
        changes=tuple(changes),
        patient=patient,
        date=date,
        large_print=large_print,
        paper=paper,
        source=protocol.key,
        reviewed=protocol.reviewed,
        week=_week(plan, schedule),
        week_note=_week_note(plan, schedule),
        week_start=schedule.start,
    )


def schedule_start(course: Course | None, date: datetime.date | None) -> datetime.date:
    """Where a handout's or calendar's weekly schedule starts: the day the patient entered the phase, else the day
    it is made for, else (a phase's handout, no patient) a Monday."""
    if course is not None and course.entered is not None:
        return course.entered
    if date is not None:
        return date
    return datetime.date(2026, 1, 5)  # a Monday: a phase's week reads Monday first


def _week(plan: SessionPlan, schedule: WeekSchedule) -> tuple[WeekDay, ...]:
    """Monday to Sunday, each with the exercises the schedule plans on it; empty when every one is daily."""
    if all(schedule.is_daily(item.schedule_key) for item in plan.items):
        return ()
    days = []
    for weekday, name in enumerate(DAY_NAMES):
        offset = (weekday - schedule.start.weekday()) % 7
        names = tuple(i.exercise.name for i in plan.items if offset in schedule.days_of(i.schedule_key))
        days.append(WeekDay(name, names))
    return tuple(days)


def _week_note(plan: SessionPlan, schedule: WeekSchedule) -> str:
    """What the week allows beyond its planned days, in words (``""`` when every exercise is daily)."""
    if all(schedule.is_daily(item.schedule_key) for item in plan.items):
        return ""
    planned = len(schedule.session_days)
    text = f"Your plan has {planned} exercise day{'s' if planned != 1 else ''} a week."
    if any(item.schedule_key not in schedule.exercise_days for item in plan.items) and planned < 7:
        most = schedule.most or 7
        if most > planned:
            text += (
                f" You may exercise on up to {most} days a week: on the other days, do the exercises without set days."
            )
    return text + " An exercise with set days missed on its day can be done later the same week, never more often."


def phase_precautions(protocol: Protocol, phase_id: str) -> tuple[Precaution, ...]:
    """The precautions that can apply in a phase when no patient is known: those that last past its start.

    A precaution limited by weeks after surgery or by a clearance is kept: without a
    patient's dates nothing says it has ended.
    """
    order = [p.id for p in protocol.phases]
    here = order.index(phase_id)
    return tuple(
        p
        for p in protocol.precautions
        if p.until_phase is None or p.until_phase not in order or here < order.index(p.until_phase)
    )


def review_date(phase: Phase, course: Course | None, today: datetime.date | None) -> datetime.date | None:
    """The next review of a patient's phase: its start plus ``review_after_weeks`` (else the least expected weeks).

    ``None`` when the phase names neither; a date on or before ``today`` means the review is due now.
    """
    weeks = phase.review_after_weeks or (phase.expected_weeks.min if phase.expected_weeks else None)
    start = course.entered if course is not None and course.entered is not None else today
    if weeks is None or start is None:
        return None
    return weeks_after(start, weeks)


def stop_threshold(protocol: Protocol) -> float | None:
    """The protocol's pain-during level above which an exercise stops: the lowest ``above`` of its pain-during rules
    whose action is ``regress`` or stronger (they act on the exercise, or the whole session)."""
    stopping = SYMPTOM_ACTIONS[SYMPTOM_ACTIONS.index("regress") :]
    limits = [
        r.above
        for r in protocol.symptom_rules
        if r.measure == "pain-during" and r.above is not None and r.action in stopping
    ]
    return min(limits) if limits else None


def _stop_if(item: PlannedExercise, protocol: Protocol) -> tuple[str, ...]:
    """When to stop an exercise: above its own pain limit, else the protocol's stop threshold; and each new-symptom
    rule's message."""
    lines = []
    limit = item.dose.pain_limit if item.dose is not None else None
    if limit is None:
        limit = stop_threshold(protocol)
    if limit is not None:
        lines.append(f"pain during it goes above {limit:g}/10")
    lines += [r.message for r in protocol.symptom_rules if r.measure == "new-symptom" and r.action in REVIEW_ACTIONS]
    return tuple(lines)


def _card(item: PlannedExercise, protocol: Protocol, schedule: WeekSchedule) -> ExerciseCard:
    exercise = item.exercise
    key = item.schedule_key
    days = "" if schedule.is_daily(key) else and_list(schedule.weekday_names(schedule.days_of(key)))
    figure_svg, figure_text = exercise_figure(exercise)
    return ExerciseCard(
        id=exercise.id,
        name=exercise.name,
        dose=item.dose_text,
        steps=exercise.steps,
        equipment=exercise.equipment,
        cues=exercise.cues,
        avoid_if=exercise.contraindications,
        stop_if=_stop_if(item, protocol),
        note=item.note,
        replaces=item.replaces_name,
        days=days,
        figure_svg=figure_svg,
        figure_text=figure_text,
    )


def exercise_figure(exercise: Exercise) -> tuple[str, str]:
    """An exercise card's figure: the still SVG and its text alternative (both ``""`` when the exercise has none)."""
    if exercise.figure is None:
        return "", ""
    from .figures import figure_text, still_svg

    return still_svg(exercise), figure_text(exercise)


def _help_groups(
    questions: Iterable[ScreeningQuestion], wording: Mapping[str, Mapping[str, str]]
) -> tuple[HelpGroup, ...]:
    """Warning signs grouped by urgency, the most urgent first; a question asked twice is shown once."""
    groups = []
    for action in reversed(SCREENING_ACTIONS):
        seen: dict[str, str] = {}
        for question in questions:
            if question.action == action and question.question not in seen:
                seen[question.question] = question.message
        if seen:
            groups.append(
                HelpGroup(
                    action=action,
                    heading=wording[action]["heading"],
                    what_to_do=wording[action]["what_to_do"],
                    signs=tuple(seen.items()),
                )
            )
    return tuple(groups)


def _paper_log(
    plan: SessionPlan, patient: str | None, today: datetime.date | None, review: datetime.date | None, default_days: int
) -> PaperLog:
    """The paper log: its columns are what ``run`` (the answers file's keys) and ``next-day`` record."""
    columns = ["Date", "Any warning sign? (yes/no)", "Pain before (0-10)"]
    keys = ["--date", "screening", "pain_before"]
    for item in plan.items:
        columns.append(f"Pain during {item.exercise.name} (0-10)")
        keys.append(f"exercises.{item.exercise.id}")
    columns += ["Pain after (0-10)", "New symptoms? (yes/no)", "Next-morning pain (0-10)", "Hours until settled"]
    keys += ["pain_after", "new_symptom", "next-day --pain", "next-day --settled-after-hours"]
    overdue = review is not None and today is not None and review <= today
    if review is not None and today is not None and not overdue:
        days = (review - today).days
    elif plan.phase.review_after_weeks:
        days = plan.phase.review_after_weeks * 7
    else:
        days = default_days
    days = max(1, min(days, MAX_LOG_DAYS))
    rows = tuple(
        today + datetime.timedelta(days=n) if today is not None and patient is not None else None for n in range(days)
    )
    who = patient or "PATIENT"
    how = (
        f"rehabkit run {plan.protocol.id} --patient {who} --answers DAY.yaml --date YYYY-MM-DD "
        "(DAY.yaml holds the row: screening, pain_before, exercises, pain_after, new_symptom)",
        f"rehabkit next-day {who} --pain N [--settled-after-hours H] --date YYYY-MM-DD",
    )
    return PaperLog(
        columns=tuple(columns), keys=tuple(keys), rows=rows, review=review, how_to_enter=how, overdue=overdue
    )
