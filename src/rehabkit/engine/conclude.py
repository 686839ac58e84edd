"""The end of a session, worked out without the store: what is to be recorded, and the next plan.

The progression policy (:func:`rehabkit.engine.decide` by default, or a pack's)
decides; :func:`conclude` turns that decision into what the course keeps: the
regressions merged with the course's earlier ones, exercises removed until a
review, "nothing left to do: stop and review" when the plan has emptied, the
doses' steps, the decision record, the pause or phase entry, and the next plan.
The course service records what it returns.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping

import attrs

from .._common.vocabulary import REVIEW_ACTIONS
from ..model import Exercise
from .course import Course
from .criteria import Unmet
from .decide import Decision, SessionResult, symptom_decision, within_limits
from .decision_record import DecisionRecord
from .dose import DoseState, advance_doses
from .events import Pause, PhaseEntry
from .plan import PlannedExercise, SessionPlan, plan_session
from .screening import ScreeningResult
from .symptoms import Observation, evaluate
from .today import OMITTED_LAST_TIME

__all__ = [
    "Conclusion",
    "conclude",
    "empty_plan_stop",
    "gate_refusal",
    "interrupted",
    "over_limit",
    "screening_stop",
]

#: Why a session stops when today's plan has nothing left in it.
EMPTY_PLAN = "no exercise of this phase is left to do today: every one has been left out"
#: Why the decision becomes "stop and review" when the next plan would be empty.
NOTHING_LEFT = "no exercise of this phase is left in the plan: a clinician must review it before the next session"


@attrs.frozen(slots=True)
class Conclusion:
    """What a session's end records: its status and action, the decision record, the course event it causes
    (a pause, or entering the next phase), and the next session's plan (``None`` when the course pauses)."""

    status: str
    action: str
    record: DecisionRecord
    decision: Decision | None = None
    pause: Pause | None = None
    entry: tuple[str, PhaseEntry] | None = None
    next_plan: SessionPlan | None = None

    @property
    def paused(self) -> bool:
        """True when the course now waits for a clinician's review."""
        return self.pause is not None


def screening_stop(screening: ScreeningResult, session: int) -> Conclusion:
    """A red-flag answer stopped the session: it pauses the course until a review."""
    messages = tuple(screening.messages())
    positives = tuple(q.id for q in screening.positives)
    record = DecisionRecord("screening", False, messages=messages, positives=positives)
    reasons = tuple(q.question for q in screening.positives)
    pause = Pause(screening.action, "screening", reasons, messages, session)
    return Conclusion("stopped", screening.action, record, pause=pause)


def gate_refusal(missing: tuple[Unmet, ...]) -> Conclusion:
    """A criterion asked at the session (pain at rest) was not met: no exercise today, nothing paused."""
    record = DecisionRecord("gate", False, gate=tuple(u.to_dict() for u in missing))
    return Conclusion("stopped", "hold", record)


def empty_plan_stop(session: int) -> Conclusion:
    """Every exercise of today's plan was left out: the course waits for a clinician's review."""
    reasons = (EMPTY_PLAN,)
    decision = Decision(action="stop-and-review", reasons=reasons, within_limits=False)
    record = DecisionRecord("empty-plan", False, reasons=reasons)
    pause = Pause("stop-and-review", "empty-plan", reasons, None, session)
    return Conclusion("stopped", "stop-and-review", record, decision, pause)


def _merged_regressions(course: Course, decision: Decision) -> dict[str, str]:
    """The course's regressions with the decision's: an easier exercise replacing a replacement keeps its original."""
    regressions = dict(course.regressions)
    for done, easier in decision.regressions.items():
        original = next((key for key, value in regressions.items() if value == done), done)
        regressions[original] = easier
    return regressions


def _nothing_left(decision: Decision) -> Decision:
    return attrs.evolve(
        decision, action="stop-and-review", within_limits=False, reasons=(*decision.reasons, NOTHING_LEFT)
    )


def conclude(
    course: Course,
    plan: SessionPlan,
    result: SessionResult,
    decision: Decision,
    *,
    doses: Mapping[str, DoseState],
    library: Mapping[str, Exercise],
    omitted: frozenset[str],
    session: int,
    today: datetime.date,
) -> Conclusion:
    """What a completed session records, after the progression policy decided ``decision``.

    ``doses`` are today's dose states (after the next-morning report acted on them); ``omitted`` the movements
    today's screening left out (the next plan leaves them out too, until the next screening).
    """
    protocol = course.protocol
    regressions = _merged_regressions(course, decision)
    removed = tuple(dict.fromkeys((*course.removed, *decision.removed)))
    if decision.action not in REVIEW_ACTIONS and decision.action != "progress":
        if not plan_session(protocol, course.phase, library, regressions, removed=removed).items:
            decision = _nothing_left(decision)  # nothing of the phase is left: it cannot go on without a clinician
    new_doses = advance_doses(plan, result, decision, doses, today)
    stopped = tuple(item.exercise.id for item, _ in over_limit(plan, result.pain_during))
    record = DecisionRecord(
        "decision", within_limits(decision), decision.reasons, decision.messages, decision.details, regressions,
        removed, decision.next_phase, new_doses, plan.adjustments, tuple(left.exercise for left in plan.left_out),
        tuple(sorted(omitted)), stopped_today=stopped,
        done=tuple(item.schedule_key for item in plan.items if item.exercise.id in result.pain_during),
    )  # fmt: skip
    if decision.action in REVIEW_ACTIONS:
        no_improvement = any(d.get("measure") == "no-improvement-weeks" for d in decision.details)
        cause = "no-improvement" if no_improvement else "decision"
        pause = Pause(decision.action, cause, decision.reasons, decision.messages, session)
        return Conclusion("complete", decision.action, record, decision, pause=pause)
    phase, steps = course.phase, {key: state.step for key, state in new_doses.items()}
    entry = None
    if decision.action == "progress" and decision.next_phase:
        entry = (decision.next_phase, PhaseEntry("; ".join(decision.reasons)))
        phase, regressions, removed, steps = decision.next_phase, {}, (), {}
    next_plan = plan_session(
        protocol, phase, library, regressions, steps, removed=removed,
        omit_movements=omitted, omit_reason=OMITTED_LAST_TIME,
    )  # fmt: skip
    return Conclusion("complete", decision.action, record, decision, entry=entry, next_plan=next_plan)


def over_limit(plan: SessionPlan, during: Mapping[str, float]) -> list[tuple[PlannedExercise, float]]:
    """The exercises of ``plan`` whose pain during (``during``: exercise id -> 0-10) went above their own limit."""
    return [
        (item, during[item.exercise.id])
        for item in plan.items
        if item.dose is not None and item.dose.pain_limit is not None
        and during.get(item.exercise.id, 0) > item.dose.pain_limit
    ]  # fmt: skip


def interrupted(
    course: Course, plan: SessionPlan, during: Mapping[str, float], omitted: frozenset[str], today: datetime.date
) -> DecisionRecord | None:
    """What a session left unfinished (Ctrl-C, end of input) records of the pain it was told: ``None`` when no pain
    went over a limit, else a record that counts for what it says. An exercise above its own limit is stopped for the
    rest of the day; an exercise's own symptom rule (regress, stop-exercise) acts as after a finished session; the
    day is not within the limits and earns no dose step (the doses stay as they were, the day counted)."""
    over = over_limit(plan, during)
    observations = [Observation("pain-during", value, exercise=key) for key, value in during.items()]
    fired = [r for r in evaluate(course.protocol.symptom_rules, observations) if r.action != "continue"]
    if not over and not fired:
        return None
    reasons = [
        f"pain during {item.exercise.name} was {pain:g}/10, above its limit of {item.dose.pain_limit:g}/10, in a "  # type: ignore[union-attr]
        "session left unfinished: it is stopped for the rest of the day"
        for item, pain in over
    ]
    details = [
        {"measure": "pain-during", "exercise": item.exercise.id, "value": pain, "limit": item.dose.pain_limit,  # type: ignore[union-attr]
         "rule": "pain_limit", "action": "stop-for-today"}
        for item, pain in over
    ]  # fmt: skip
    partial = SessionResult(pain_before=0, pain_during=dict(during))
    decision = symptom_decision(plan, partial, settled=True) if fired else None
    if decision is not None:
        reasons += [f"{reason} (in a session left unfinished)" for reason in decision.reasons]
        details += [dict(d) for d in decision.details]
    regressions = _merged_regressions(course, decision) if decision is not None else dict(course.regressions)
    removed = tuple(dict.fromkeys((*course.removed, *(decision.removed if decision is not None else ()))))
    doses = dict(course.doses)
    for item in plan.items:  # the day is counted (it earns nothing), and the count of days starts again
        step = doses[item.exercise.id].step if item.exercise.id in doses else 0
        doses[item.exercise.id] = DoseState(
            max(0, step - 1) if item.exercise.id in removed else step, 0, today.isoformat()
        )
    return DecisionRecord(
        "decision", False, tuple(reasons), tuple(dict.fromkeys(r.rule.message for r in fired)), tuple(details),
        regressions, removed, None, doses, plan.adjustments, tuple(left.exercise for left in plan.left_out),
        tuple(sorted(omitted)), stopped_today=tuple(item.exercise.id for item, _ in over),
        done=tuple(item.schedule_key for item in plan.items if item.exercise.id in during),
    )  # fmt: skip
