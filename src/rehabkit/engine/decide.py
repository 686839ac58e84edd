"""The decision after a session: what the symptom rules ask for, else whether the phase is complete.

This is rehabkit's default progression policy; packs may replace it through
the ``rehabkit_progression_decision`` hook (first result wins).
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from .criteria import Facts, check_criteria
from .plan import SessionPlan
from .symptoms import Observation, evaluate, worst

__all__ = ["Decision", "SessionResult", "decide"]


@attrs.frozen(slots=True)
class SessionResult:
    """What the patient reported: pain before and after (0-10), pain during each exercise, new symptoms."""

    pain_before: float
    pain_during: Mapping[str, float] = attrs.field(factory=dict)
    pain_after: float | None = None
    new_symptom: bool = False
    #: Earlier sessions' next-morning pain above their pre-session pain, when reported.
    next_morning_over_baseline: float | None = None
    #: Weeks since pain last improved meaningfully (see :func:`rehabkit.engine.progress.weeks_without_improvement`).
    weeks_without_improvement: float | None = None


@attrs.frozen(slots=True)
class Decision:
    """The outcome of a session, with the reasons behind it.

    ``action``: continue, progress (to ``next_phase``), hold, reduce-load,
    regress (``regressions`` maps exercise -> easier exercise), stop-exercise,
    stop-and-review or refer-urgently. ``reasons`` are sentences that name the
    rule or criterion and the figures; ``messages`` what the patient is told.
    """

    action: str
    reasons: tuple[str, ...] = ()
    messages: tuple[str, ...] = ()
    next_phase: str | None = None
    regressions: Mapping[str, str] = attrs.field(factory=dict)
    #: Where the next session sits in the dose ranges: ``low``, ``high``, or ``None`` to keep this session's.
    dose_level: str | None = None


def _observations(plan: SessionPlan, result: SessionResult) -> list[Observation]:
    observations = [Observation("pain-during", value, exercise=exercise) for exercise, value in result.pain_during.items()]
    if result.pain_after is not None:
        observations.append(Observation("pain-after", result.pain_after))
        observations.append(Observation("increase-over-baseline", result.pain_after - result.pain_before))
    if result.new_symptom:
        observations.append(Observation("new-symptom", 1))
    if result.next_morning_over_baseline is not None:
        observations.append(Observation("next-morning-over-baseline", result.next_morning_over_baseline))
    if result.weeks_without_improvement is not None:
        observations.append(Observation("no-improvement-weeks", result.weeks_without_improvement))
    return observations


def decide(plan: SessionPlan, result: SessionResult, facts: Facts) -> Decision:
    """Decide after a session. ``facts`` describe the patient with this session counted."""
    names = {item.exercise.id: item.exercise.name for item in plan.items}
    reasons = evaluate(plan.protocol.symptom_rules, _observations(plan, result))
    action = worst(reasons)
    if action != "continue":
        acting = [r for r in reasons if r.action == action]
        regressions: dict[str, str] = {}
        sentences = []
        for reason in acting:
            sentence = reason.describe(names)
            exercise = reason.observation.exercise
            if action == "regress" and exercise is not None:
                item = next((i for i in plan.items if i.exercise.id == exercise), None)
                easier = item.exercise.regression if item else None
                if easier:
                    regressions[exercise] = easier
                    sentence += f" to {easier}"
            sentences.append(sentence)
        return Decision(action=action, reasons=tuple(sentences), messages=tuple(dict.fromkeys(r.rule.message for r in acting)),
                        regressions=regressions, dose_level=None if action == "hold" else "low")
    phases = plan.protocol.phases
    index = next(i for i, p in enumerate(phases) if p.id == plan.phase.id)
    done = check_criteria(plan.phase.exit, facts)
    if not done.met:
        reasons = [f"phase {plan.phase.id!r} continues: {u}" for u in done.unmet]
        level = None
        limits = {i.exercise.id: i.dose.pain_limit for i in plan.items if i.dose and i.dose.pain_limit is not None}
        if plan.level == "low" and all(result.pain_during.get(e, 0) <= limit for e, limit in limits.items()):
            level = "high"
            reasons.append("pain stayed within every exercise's pain limit: next session moves to the top of each dose range")
        return Decision(action="continue", reasons=tuple(reasons), dose_level=level)
    if index + 1 == len(phases):
        return Decision(action="continue", reasons=(f"phase {plan.phase.id!r} is complete; it is the last phase: keep going and review with your clinician",))
    following = phases[index + 1]
    ready = check_criteria(following.entry, attrs.evolve(facts, completed_phases=facts.completed_phases | {plan.phase.id}))
    if not ready.met:
        return Decision(action="hold", reasons=tuple(f"phase {following.id!r} cannot start yet: {u}" for u in ready.unmet))
    return Decision(action="progress", next_phase=following.id, dose_level="low",
                    reasons=(f"the exit criteria of phase {plan.phase.id!r} are met: move on to phase {following.id!r}",))
