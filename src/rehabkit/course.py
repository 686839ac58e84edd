"""A patient's course through a protocol, read from the session store for the engine.

The engine is pure; this module turns what the store holds (sessions, phases
entered, measures, approvals, next-morning pain) into the engine's inputs:
the current phase, the :class:`rehabkit.engine.Facts` its criteria are checked
against, the exercises regressed so far, and the figures symptom rules need.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping

import attrs

from .engine import Facts, weeks_without_improvement
from .model import Protocol
from .outcomes import OutcomeMeasure
from .store import Store

__all__ = ["CourseState", "WITHIN_LIMITS", "course_state"]

#: Decisions that mean a session stayed within the protocol's limits.
WITHIN_LIMITS = frozenset({"continue", "progress"})


@attrs.frozen(slots=True)
class CourseState:
    """Where a patient stands in a protocol today."""

    phase: str
    facts: Facts
    regressed: Mapping[str, str]
    #: ``low`` or ``high``: where in the dose ranges the next session sits.
    dose_level: str
    sessions_in_phase: int
    weeks_without_improvement: float | None
    next_morning_over_baseline: float | None


def _date(stamp: str) -> datetime.date:
    return datetime.datetime.fromisoformat(stamp).date()


def course_state(
    store: Store,
    patient: str,
    protocol: Protocol,
    measures: Mapping[str, OutcomeMeasure],
    today: datetime.date,
) -> CourseState:
    """The patient's state in ``protocol`` from the store (the first phase when nothing is recorded yet)."""
    order = [p.id for p in protocol.phases]
    entered = [phase for phase, _, _ in store.phase_history(patient, protocol.id) if phase in order]
    phase = entered[-1] if entered else order[0]
    completed = frozenset(order[: order.index(phase)])
    sessions = [s for s in store.sessions(patient, protocol.id) if s.status in ("complete", "stopped")]
    in_phase = [s for s in sessions if s.phase == phase]

    streak = 0
    for session in reversed(in_phase):
        if session.status != "complete" or session.decision not in WITHIN_LIMITS:
            break
        streak += 1

    values: dict[str, float | bool] = {
        "consecutive-sessions-within-limits": streak,
        "sessions-completed": sum(1 for s in in_phase if s.status == "complete"),
        "no-red-flags": True,  # the session runner screens before anything else
    }
    with_pain = [s for s in sessions if s.pain_before is not None]
    if with_pain:
        values["pain-at-rest"] = float(with_pain[-1].pain_before)  # type: ignore[arg-type]
    surgery = store.surgery_date(patient)
    if surgery:
        days = (today - datetime.date.fromisoformat(surgery)).days
        values["days-since-surgery"] = days
        values["weeks-since-surgery"] = round(days / 7, 1)
    latest = store.latest_measures(patient)
    for measure_id, value in latest.items():
        measure = measures.get(measure_id)
        if measure is not None and measure.criterion and measure.criterion != "pain-at-rest":
            values[measure.criterion] = value
    values.update(store.approvals(patient))
    if in_phase:
        values["weeks-in-phase"] = round((today - _date(in_phase[0].started)).days / 7, 1)

    regressed: dict[str, str] = {}
    level = "low"
    for session in in_phase:
        detail = session.decision_detail or {}
        regressed.update(detail.get("regressions", {}))
        level = detail.get("dose_level") or level

    rule = next((r for r in protocol.symptom_rules if r.measure == "no-improvement-weeks" and r.min_change), None)
    stuck = None
    if rule is not None and in_phase:
        series = [(_date(s.started), float(s.pain_before)) for s in in_phase if s.pain_before is not None]
        stuck = weeks_without_improvement(series, today, rule.min_change or 0)

    morning = None
    next_day = store.next_day(patient)
    if sessions and sessions[-1].id in next_day and sessions[-1].pain_before is not None:
        morning = next_day[sessions[-1].id] - sessions[-1].pain_before

    return CourseState(
        phase=phase,
        facts=Facts(values=values, completed_phases=completed),
        regressed=regressed,
        dose_level=level,
        sessions_in_phase=len(in_phase),
        weeks_without_improvement=stuck,
        next_morning_over_baseline=morning,
    )
