"""The decision after a session: what the symptom rules ask for, else whether the phase is complete.

This is rehabkit's default progression policy; packs may replace it through
the ``rehabkit_progression_decision`` hook (first result wins). Every reason is
a sentence in plain words from the protocol's data; ``details`` carries the
same with ids, for programs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from .._common.vocabulary import REVIEW_ACTIONS
from ..model import Phase
from .criteria import CriteriaResult, Facts, Unmet, check_criteria
from .plan import PlannedExercise, SessionPlan
from .symptoms import Observation, evaluate, worst

__all__ = ["Decision", "SessionResult", "decide", "exit_gate", "symptom_decision", "within_limits"]


@attrs.frozen(slots=True)
class SessionResult:
    """What the patient reported: pain before and after (0-10), pain during each exercise, new symptoms."""

    pain_before: float
    pain_during: Mapping[str, float] = attrs.field(factory=dict)
    pain_after: float | None = None
    new_symptom: bool = False
    #: Next-morning pain after the previous session, above its pre-session pain, when reported. rehabkit's
    #: runner has already acted on it before showing this session's plan (see ``SessionPlan.adjustments``).
    next_morning_over_baseline: float | None = None
    #: Weeks without a meaningful improvement in this phase (see :func:`rehabkit.engine.weeks_without_improvement`).
    weeks_without_improvement: float | None = None
    #: Exercises the patient stopped part-way (fewer sets than planned): they earn no dose step today.
    stopped_part_way: frozenset[str] = frozenset()


@attrs.frozen(slots=True)
class Decision:
    """The outcome of a session, with the reasons behind it.

    ``action``: continue, progress (to ``next_phase``), hold, reduce-load,
    regress (``regressions`` maps exercise -> easier exercise), stop-exercise,
    stop-and-review or refer-urgently. ``reasons`` are sentences in plain words
    from the protocol's data; ``messages`` what the protocol tells the patient;
    ``details`` the same facts with ids (rule, measure, value, limit) for
    programs. ``removed`` lists exercises that leave the plan until a clinician
    reviews them. ``within_limits`` says whether the session stayed within the
    protocol's pain limits (``None``: judge by the action). ``unmet`` holds the
    criteria that kept the patient in the phase, and ``gate`` the phase whose
    gate they guard.
    """

    action: str
    reasons: tuple[str, ...] = ()
    messages: tuple[str, ...] = ()
    next_phase: str | None = None
    regressions: Mapping[str, str] = attrs.field(factory=dict)
    removed: tuple[str, ...] = ()
    within_limits: bool | None = None
    details: tuple[Mapping[str, Any], ...] = ()
    unmet: tuple[Unmet, ...] = ()
    gate: str | None = None
    #: Whether every dose of the session steps back one (``None``: judge by the action). Each rule acts at its own
    #: scope: a whole-session reduce-load steps every dose back even when an exercise's stop is the most serious
    #: action.
    step_back: bool | None = None


def within_limits(decision: Decision) -> bool:
    """Whether the session counts toward days in a row within the limits (and toward a dose step)."""
    if decision.within_limits is not None:
        return decision.within_limits
    return decision.action in ("continue", "progress")


def exit_gate(plan: SessionPlan) -> str:
    """The gate a phase's exit criteria guard: the next phase, or the phase itself when it is the last."""
    phases = plan.protocol.phases
    index = next(i for i, p in enumerate(phases) if p.id == plan.phase.id)
    return phases[index + 1].id if index + 1 < len(phases) else plan.phase.id


def _observations(plan: SessionPlan, result: SessionResult, settled: bool = False) -> list[Observation]:
    """What the symptom rules look at; ``settled``: the phase's exit criteria hold, so lack of change is no concern."""
    observations = [
        Observation("pain-during", value, exercise=exercise) for exercise, value in result.pain_during.items()
    ]
    if result.pain_after is not None:
        observations.append(Observation("pain-after", result.pain_after))
        observations.append(Observation("increase-over-baseline", result.pain_after - result.pain_before))
    if result.new_symptom:
        observations.append(Observation("new-symptom", 1))
    if result.weeks_without_improvement is not None and not settled:
        observations.append(
            Observation("no-improvement-weeks", result.weeks_without_improvement, limit=plan.phase.review_after_weeks)
        )
    return observations


#: Rule actions that act at their own scope whatever else fires: on their exercise, or on every dose.
_SCOPED = frozenset({"regress", "stop-exercise", "reduce-load"})


def _exercise_sentence(item: PlannedExercise, action: str, plan: SessionPlan, in_plan: set[str]) -> tuple[str, str]:
    """What an exercise's own rule does to it, in words, and how (``regress:<easier>``, ``removed`` or ``""``)."""
    name = item.exercise.name
    if action == "regress":
        easier = item.exercise.regression
        if easier is not None and plan.library and easier not in plan.library:
            easier = None  # its easier version is not installed: treat it as having none
        if easier and easier in in_plan:
            return f": {name} leaves the plan, as its easier version is already in it", f"regress:{easier}"
        if easier:
            known = plan.library.get(easier)
            return f": {name} is replaced by its easier version, {known.name if known else easier}", f"regress:{easier}"
        return f": {name} has no easier version, so it leaves the plan; ask your clinician to review it", "removed"
    if action == "stop-exercise":
        back = (
            "it comes back one dose step lower"
            if item.step > 0
            else "it comes back at the start of its range, which is as low as it goes"
        )
        return f": {name} is stopped and leaves the plan until your clinician has reviewed it; {back}", "removed"
    return "", ""


def symptom_decision(plan: SessionPlan, result: SessionResult, settled: bool) -> Decision | None:
    """What the symptom rules ask for, each at its own scope: an exercise's rule acts on that exercise, a session's on
    the whole session; the decision's action is the most serious, and every rule that acts is among its reasons."""
    names = {item.exercise.id: item.exercise.name for item in plan.items}
    reasons = evaluate(plan.protocol.symptom_rules, _observations(plan, result, settled))
    action = worst(reasons)
    if action == "continue":
        return None
    in_plan = set(names)
    regressions: dict[str, str] = {}
    removed: list[str] = []
    sentences = []
    acted: set[str] = set()  # an exercise acted on by its most serious rule only
    # The most serious action's rules, and each rule that acts at its own scope beside it (a hold is subsumed).
    reasons = [r for r in reasons if r.action == action or r.action in _SCOPED]
    for reason in reasons:
        sentence = reason.describe(names)
        exercise = reason.observation.exercise
        item = next((i for i in plan.items if i.exercise.id == exercise), None) if exercise else None
        if item is not None and item.exercise.id not in acted and reason.action in ("regress", "stop-exercise"):
            acted.add(item.exercise.id)
            words, how = _exercise_sentence(item, reason.action, plan, in_plan)
            sentence += words
            if how.startswith("regress:"):
                regressions[item.exercise.id] = how.split(":", 1)[1]
            elif how == "removed":
                removed.append(item.exercise.id)
        elif reason.action == "reduce-load" and action != "reduce-load":
            sentence += ": every dose is one step lower next time"
        sentences.append(sentence)
    return Decision(
        action=action,
        reasons=tuple(dict.fromkeys(sentences)),
        messages=tuple(dict.fromkeys(r.rule.message for r in reasons)),
        regressions=regressions,
        removed=tuple(dict.fromkeys(removed)),
        within_limits=False,
        details=tuple(r.to_dict() for r in reasons),
        step_back=any(r.action == "reduce-load" or r.action in REVIEW_ACTIONS for r in reasons),
    )


def decide(plan: SessionPlan, result: SessionResult, facts: Facts) -> Decision:
    """Decide after a session. ``facts`` describe the patient with this session counted.

    A patient who meets every exit criterion of the phase (waiting for the next
    gate, or in the last phase) is not asked to a review for lack of change: they
    are where the phase wants them.
    """
    phases = plan.protocol.phases
    names = {p.id: p.name for p in phases}
    index = next(i for i, p in enumerate(phases) if p.id == plan.phase.id)
    gate = exit_gate(plan)
    done = check_criteria(plan.phase.exit, facts, gate, phase_names=names)
    symptoms = symptom_decision(plan, result, settled=done.met)
    if symptoms is not None:
        return symptoms
    over_limit = _pain_limit_decision(plan, result)
    if over_limit is not None:
        return over_limit
    if not done.met:
        why = f"you stay in the phase {plan.phase.name!r} until: {done.summary}"
        return _unmet_decision("continue", why, done, gate, "exit", plan.phase.id)
    if index + 1 == len(phases):
        return Decision(
            action="continue",
            within_limits=True,
            reasons=(
                f"the phase {plan.phase.name!r} is complete and it is the last one: keep going until your clinician "
                "reviews the programme with you",
            ),
        )
    return _next_phase_decision(plan, facts, phases[index + 1], names)


def _pain_limit_decision(plan: SessionPlan, result: SessionResult) -> Decision | None:
    """Hold when pain during an exercise went above the exercise's own limit (None when it stayed within)."""
    over = [
        (item, result.pain_during[item.exercise.id])
        for item in plan.items
        if item.dose is not None
        and item.dose.pain_limit is not None
        and result.pain_during.get(item.exercise.id, 0) > item.dose.pain_limit
    ]
    if not over:
        return None
    # Above an exercise's own pain limit: not a session within the limits, whatever the protocol-wide rules allow.
    return Decision(
        action="hold",
        within_limits=False,
        reasons=tuple(
            f"pain during {item.exercise.name} was {pain:g}/10, above its limit of {item.dose.pain_limit:g}/10: "  # type: ignore[union-attr]
            "the plan stays as it is and the count of days within the limits starts again"
            for item, pain in over
        ),
        details=tuple(
            {
                "measure": "pain-during",
                "exercise": item.exercise.id,
                "value": pain,
                "limit": item.dose.pain_limit,  # type: ignore[union-attr]
                "rule": "pain_limit",
            }
            for item, pain in over
        ),
    )


def _unmet_decision(action: str, why: str, result: CriteriaResult, gate: str, criteria: str, phase: str) -> Decision:
    """``action`` while the ``criteria`` (exit or entry) of ``phase`` do not hold: ``why``, then each one still
    needed; ``gate`` is the phase they guard."""
    return Decision(
        action=action,
        reasons=(why, *(f"still needed: {u.text}" for u in result.missing)),
        within_limits=True,
        unmet=result.missing,
        gate=gate,
        details=tuple({**u.to_dict(), "criteria": criteria, "phase": phase} for u in result.missing),
    )


def _next_phase_decision(plan: SessionPlan, facts: Facts, following: Phase, names: Mapping[str, str]) -> Decision:
    """The phase is complete: progress to ``following``, or hold until its entry criteria hold too."""
    ready = check_criteria(
        following.entry,
        attrs.evolve(facts, completed_phases=facts.completed_phases | {plan.phase.id}),
        following.id,
        phase_names=names,
    )
    if not ready.met:
        why = f"the phase {plan.phase.name!r} is complete, but {following.name!r} cannot start until: {ready.summary}"
        return _unmet_decision("hold", why, ready, following.id, "entry", following.id)
    summary = plan.phase.exit.summary if plan.phase.exit else "its exit criteria are met"
    return Decision(
        action="progress",
        next_phase=following.id,
        within_limits=True,
        reasons=(f"the phase {plan.phase.name!r} is complete ({summary}): move on to {following.name!r}",),
        details=({"criteria": "exit", "phase": plan.phase.id, "met": True},),
    )
