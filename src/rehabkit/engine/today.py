"""Today's session before it starts: the gate, the doses after the next-morning report, and the plan.

Pure: everything is worked out from the :class:`~rehabkit.engine.course.Course` the
store's records gave; nothing here reads or writes the store.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping

import attrs

from .._common.text import and_list
from .._common.vocabulary import CRITERION_MEASURES, SESSION_MEASURED
from ..model import Exercise
from .course import Course, counts
from .criteria import CriteriaResult, Facts, check_criteria
from .dose import DoseState, step_back
from .plan import STOPPED_TODAY, LeftOut, SessionPlan, plan_session
from .schedule import DoneDay, WeekSchedule, week_schedule

__all__ = [
    "OMITTED_LAST_TIME",
    "OMITTED_TODAY",
    "check_gate",
    "counted_today",
    "day_words",
    "facts_with_pain",
    "morning_doses",
    "plan_for",
    "returned_after_review",
    "schedule_of",
    "session_facts",
]

#: Why exercises are left out after a screening answer, in plain words.
OMITTED_TODAY = "left out today because of your screening answer"
OMITTED_LAST_TIME = "left out because of your last screening answer; you will be asked again before the session"


def morning_doses(course: Course) -> tuple[Mapping[str, DoseState], tuple[str, ...]]:
    """Today's dose states after the last session's next-morning report, and the reasons in plain words."""
    if not course.morning:
        return course.doses, ()
    words = "; ".join(reason.describe() for reason in course.morning)
    messages = " ".join(dict.fromkeys(reason.rule.message for reason in course.morning))
    if course.morning_action == "reduce-load":
        lower = any(state.step > 0 for state in course.doses.values())
        change = "one step lower" if lower else "at the start of their ranges (they cannot go lower)"
        return step_back(course.doses), (f"Today's doses are {change}: {words}. {messages}",)
    # hold (and milder): keep the dose; the count of days within the limits starts again
    kept = {key: DoseState(state.step) for key, state in course.doses.items()}
    return kept, (f"Today's doses stay as they were: {words}. {messages}",)


def returned_after_review(
    course: Course, library: Mapping[str, Exercise], doses: Mapping[str, DoseState]
) -> tuple[str, ...]:
    """In plain words, each exercise a clinician's review brought back after it was stopped for pain, and its dose."""
    names = {**{key: e.name for key, e in library.items()}, **{e.id: e.name for e in course.protocol.exercises}}
    lines = []
    for key in course.returned:
        state = doses.get(key, DoseState())
        where = (
            "one dose step lower than when it was stopped"
            if state.step > 0
            else "at the start of its range: it cannot go lower"
        )
        lines.append(f"{names.get(key, key)} is back after your clinician's review, {where}.")
    return tuple(lines)


def plan_for(
    course: Course,
    library: Mapping[str, Exercise],
    omit: frozenset[str] | None = None,
    omit_reason: str = "",
    *,
    day: datetime.date | None = None,
) -> SessionPlan:
    """Today's plan for a course, after the next-morning report acted on it.

    ``omit``: movements left out after today's screening; by default those the
    last session's screening left out (a plan shown before screening). ``day``:
    the session's date, when the weekly schedule is to leave out the exercises
    not due on it (:mod:`rehabkit.engine.schedule`); without it, the whole week's
    exercises (a handout, a calendar).
    """
    if omit is None:
        omit, omit_reason = course.omitted_movements, OMITTED_LAST_TIME
    doses, adjustments = morning_doses(course)
    adjustments = (*adjustments, *returned_after_review(course, library, doses))
    plan = plan_session(
        course.protocol,
        course.phase,
        library,
        course.regressions,
        {key: state.step for key, state in doses.items()},
        removed=course.removed,
        omit_movements=omit,
        omit_reason=omit_reason,
        adjustments=adjustments,
        stopped_today=course.stopped_today,
    )
    return plan if day is None else _on_schedule(plan, course, day)


def schedule_of(plan: SessionPlan, start: datetime.date) -> WeekSchedule:
    """The weekly schedule of a plan's phase from ``start``, with its exercises' days a week at today's doses."""
    counts = {item.schedule_key: item.dose.days_per_week if item.dose else None for item in plan.items}
    per_day = {item.schedule_key: item.dose.times_per_day if item.dose else None for item in plan.items}
    return week_schedule(plan.phase, counts, start, per_day)


def done_days(course: Course) -> tuple[DoneDay, ...]:
    """The phase's sessions that count, each with its date and the exercises done (a session recorded before
    rehabkit kept them, complete, is taken as every exercise done)."""
    days = []
    for session in course.stint:
        if not counts(session):
            continue
        done = session.detail.get("done") if session.detail else None
        if isinstance(done, list):
            days.append(DoneDay(session.date, frozenset(str(key) for key in done)))
        elif session.status == "complete":
            days.append(DoneDay(session.date, None))
    return tuple(day for day in days if day.done is None or day.done)


def _on_schedule(plan: SessionPlan, course: Course, day: datetime.date) -> SessionPlan:
    """``plan`` with the exercises the weekly schedule does not plan for ``day`` left out, each saying when it is
    next; when that leaves nothing, the day is a rest day (:attr:`SessionPlan.rest_until`), as it is when every
    exercise was stopped earlier the same day for pain above its limit (back tomorrow, not a reason for review)."""
    if not plan.items:
        stopped = plan.left_out and all(left.why == STOPPED_TODAY for left in plan.left_out)
        return attrs.evolve(plan, rest_until=day + datetime.timedelta(days=1)) if stopped else plan
    schedule = schedule_of(plan, course.entered or day)
    done = done_days(course)
    full = not schedule.sessions_left(day, done)
    after = schedule.next_week(day) - datetime.timedelta(days=1) if full else day  # when the next one may be
    kept, later = [], []
    for item in plan.items:
        if not full and schedule.due(item.schedule_key, day, done):
            kept.append(item)
            continue
        key = item.schedule_key
        when = schedule.next_day(key, after)
        days = schedule.days_of(key)
        why = (
            f"this week already has the {schedule.most} sessions the phase plans"
            if full
            else "already done today"
            if any(d.date == day and (d.done is None or key in d.done) for d in done)
            else f"planned {len(days)} days a week ({and_list(schedule.weekday_names(days))})"
        )
        later.append(LeftOut(item.exercise.id, item.exercise.name, f"{why}; next on {day_words(when)}"))
    if not later:
        return plan
    rest = min((schedule.next_day(i.schedule_key, after) for i in plan.items), default=None) if not kept else None
    return attrs.evolve(plan, items=tuple(kept), left_out=(*plan.left_out, *later), rest_until=rest)


def day_words(day: datetime.date) -> str:
    """A date as people say it, ``Wednesday 14 October 2026``."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def check_gate(course: Course, facts: Facts | None = None, *, session_measured: bool = False) -> CriteriaResult:
    """The entry criteria of the patient's phase: those known before a session, or (``session_measured``) those
    the session asks."""
    phase = course.protocol.phase(course.phase)
    names = {p.id: p.name for p in course.protocol.phases}
    skip = set(CRITERION_MEASURES) - SESSION_MEASURED if session_measured else SESSION_MEASURED
    return check_criteria(phase.entry, facts or course.facts, phase.id, skip=skip, phase_names=names)


def counted_today(course: Course, today: datetime.date, statuses: tuple[str, ...] = ("complete", "stopped")) -> bool:
    """True when the current phase already has a session of these statuses on ``today`` (a day counts once); with
    the default statuses, a session left unfinished that counts for what it says (:func:`counts`) is one too."""
    default = statuses == ("complete", "stopped")
    return any(s.date == today and (s.status in statuses or (default and counts(s))) for s in course.stint)


def facts_with_pain(course: Course, pain_before: float) -> Facts:
    """The course's facts with the pain at rest the patient gave before today's exercise."""
    return attrs.evolve(course.facts, values=dict(course.facts.values, **{"pain-at-rest": pain_before}))


def session_facts(course: Course, pain_before: float, today: datetime.date) -> Facts:
    """The facts a session dated ``today`` is judged on: the course's, with today's pain at rest, and today
    counted once among the days within the limits and the sessions completed (unless already counted)."""
    values = dict(facts_with_pain(course, pain_before).values)
    streak = int(values.get("consecutive-sessions-within-limits", 0))
    completed = int(values.get("sessions-completed", 0))
    values["consecutive-sessions-within-limits"] = streak if counted_today(course, today) else streak + 1
    values["sessions-completed"] = completed if counted_today(course, today, ("complete",)) else completed + 1
    return attrs.evolve(course.facts, values=values)
