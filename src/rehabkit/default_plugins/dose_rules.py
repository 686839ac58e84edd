"""Core lint rules on doses and thresholds: plausible counts, scales respected, a dose for every exercise."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .._common.clinical_data import policy
from .._common.errors import Severity
from .._common.text import number_text
from .._common.vocabulary import CRITERION_MEASURES, SYMPTOM_MEASURES
from .._documents.lint import DOCUMENT_KINDS, LintContext, LintRule, Violation
from ..model import Dose, Range
from .policy_wording import and_list, in_force

#: The scale of every measure a criterion or symptom rule can name (from rehabkit's vocabulary).
SCALES: dict[str, tuple[float, float]] = {
    **{name: (0.0, float(m.scale)) for name, m in SYMPTOM_MEASURES.items() if m.scale is not None},
    **{name: (float(m.scale[0]), float(m.scale[1])) for name, m in CRITERION_MEASURES.items() if m.scale is not None},
}
#: A symptom rule's thresholds, in the order they are checked.
_BOUNDS = ("above", "at_most")
#: The measure a no-improvement rule's ``min_change`` is a change of: pain before a session.
_CHANGE_MEASURE = "pain-at-rest"
#: Symptom-rule actions that end or scale back an exercise.
STOPPING_ACTIONS = frozenset({"regress", "stop-exercise", "stop-and-review", "refer-urgently"})


#: A dose, where it is, whose it is (words for a message: see :func:`_whose`) and its ranges (``Dose.ranges()``).
_Found = tuple[Dose, tuple[str | int, ...], tuple[str, str | None], dict[str, Range]]


def _doses(context: LintContext) -> list[_Found]:
    """Every dose in the document, found once per check and shared by the dose rules."""
    found: list[_Found] | None = context._shared.get("doses")
    if found is None:
        found = context._shared["doses"] = list(_find_doses(context))
    return found


def _find_doses(context: LintContext) -> Iterator[_Found]:
    for i, exercise in enumerate(context.own_exercises()):
        if exercise.dose is not None:
            yield exercise.dose, ("exercises", i, "dose"), (exercise.id, None), exercise.dose.ranges()
    if context.protocol is not None:
        for i, phase in enumerate(context.protocol.phases):
            for j, ref in enumerate(phase.exercises):
                if ref.dose is not None:
                    yield ref.dose, ("phases", i, "exercises", j, "dose"), (ref.exercise, phase.id), ref.dose.ranges()


def _whose(owner: tuple[str, str | None]) -> str:
    """``exercise 'x'`` for an exercise's own dose, ``'x' in phase 'p'`` for a phase's (made only for a message)."""
    exercise, phase = owner
    return f"exercise {exercise!r}" if phase is None else f"{exercise!r} in phase {phase!r}"


def implausible_dose(context: LintContext) -> Iterator[Violation]:
    """Counts are positive, ranges run upwards, and nothing exceeds the documented bounds."""
    bounds = [
        (name, bound["max"], bound["zero_allowed"], bound["noun"])
        for name, bound in context.policy["dose_bounds"].items()
    ]
    for dose, path, owner, _ in _doses(context):
        for name, highest, zero_ok, noun in bounds:
            value: Range | None = getattr(dose, name)
            if value is None or (0 < value.min <= value.max <= highest):
                continue  # the usual case, decided at once
            where, what = (*path, name), _whose(owner)
            if value.min > value.max:
                yield Violation(
                    f"{what}: the range {value.min}-{value.max} {noun} runs backwards; write the smaller number as "
                    "'min'.",
                    where,
                )
            elif value.min == 0 and not zero_ok:
                yield Violation(f"{what}: 0 {noun} is no dose; give at least 1, or leave the field out.", where)
            elif value.max > highest:
                yield Violation(
                    f"{what}: {value.max} {noun} is beyond the plausible {highest}; check for a typo (see 'rehabkit "
                    "rules RK201').",
                    where,
                )


def _outside(context: LintContext, measure: str, bound: float | None) -> tuple[float, float] | None:
    """The scale of ``measure`` when ``bound`` lies outside it, else None."""
    if bound is None:
        return None
    scale = SCALES.get(measure) or context.measure_scales.get(measure)
    if scale is None or scale[0] <= bound <= scale[1]:
        return None
    return scale


def _off_scale(
    what: str, measure: str, bound: float, scale: tuple[float, float], where: tuple[str | int, ...]
) -> Violation:
    return Violation(
        f"{what}: {number_text(bound)} is outside the {number_text(scale[0])}-{number_text(scale[1])} scale of "
        f"{measure}.",
        where,
    )


def off_scale(context: LintContext) -> Iterator[Violation]:
    """Thresholds lie on their measure's scale, and a band between two thresholds is not empty."""
    assert context.protocol is not None
    protocol = context.protocol
    for i, rule in enumerate(protocol.symptom_rules):
        what = f"symptom rule {rule.id!r}"
        for name in _BOUNDS:
            bound = getattr(rule, name)
            scale = _outside(context, rule.measure, bound)
            if scale is not None:
                yield _off_scale(what, rule.measure, bound, scale, ("symptom_rules", i, name))
        change = _outside(context, _CHANGE_MEASURE, rule.min_change)
        if change is not None:  # a change in pain larger than the scale: and arithmetic on it would overflow
            yield _off_scale(what, _CHANGE_MEASURE, rule.min_change or 0, change, ("symptom_rules", i, "min_change"))
        if rule.above is not None and rule.at_most is not None and rule.at_most <= rule.above:
            yield Violation(
                f"{what} fires above {number_text(rule.above)} and at most {number_text(rule.at_most)}: no value is "
                "in that band; 'at_most' "
                "must be higher than 'above'.",
                ("symptom_rules", i, "at_most"),
            )
    for i, phase in enumerate(protocol.phases):
        for part in ("entry", "exit"):
            criteria = getattr(phase, part)
            for k, criterion in enumerate(criteria.all if criteria else ()):
                for bound_name in ("at_least", "at_most"):
                    bound = getattr(criterion, bound_name)
                    scale = _outside(context, criterion.measure, bound)
                    if scale is not None:
                        what = f"phase {phase.id!r} {part} criterion {criterion.measure}"
                        yield _off_scale(
                            what, criterion.measure, bound, scale, ("phases", i, part, "all", k, bound_name)
                        )


def missing_dose(context: LintContext) -> Iterator[Violation]:
    """Every exercise in a phase has a dose, from the phase or the exercise's default."""
    assert context.protocol is not None
    for i, phase in enumerate(context.protocol.phases):
        for j, ref in enumerate(phase.exercises):
            exercise = context.exercises.get(ref.exercise)
            if ref.dose is None and exercise is not None and exercise.dose is None:
                yield Violation(
                    f"{ref.exercise!r} in phase {phase.id!r} has no dose: give one here or a default dose on the "
                    "exercise.",
                    ("phases", i, "exercises", j, "exercise"),
                )


def pain_limit_above_stop(context: LintContext) -> Iterator[Violation]:
    """No exercise allows more pain than the level at which the symptom rules stop it."""
    assert context.protocol is not None
    stops = [
        (rule.above, rule.id)
        for rule in context.protocol.symptom_rules
        if rule.measure == "pain-during" and rule.action in STOPPING_ACTIONS and rule.above is not None
    ]
    if not stops:
        return
    threshold, rule_id = min(stops)
    for i, phase in enumerate(context.protocol.phases):
        for j, ref in enumerate(phase.exercises):
            exercise = context.exercises.get(ref.exercise)
            dose = ref.dose or (exercise.dose if exercise else None)
            if dose is None or dose.pain_limit is None or dose.pain_limit <= threshold:
                continue
            path = (
                ("phases", i, "exercises", j, "dose", "pain_limit")
                if ref.dose
                else ("phases", i, "exercises", j, "exercise")
            )
            yield Violation(
                f"{ref.exercise!r} in phase {phase.id!r} allows pain up to {number_text(dose.pain_limit)}/10, but "
                f"symptom rule {rule_id!r} stops exercise above {number_text(threshold)}/10: the patient would get "
                "two different answers.",
                path,
            )


def range_without_step(context: LintContext) -> Iterator[Violation]:
    """Every range says how it moves: a step, and the days within limits that earn one."""
    for _, path, owner, ranges in _doses(context):
        for name, value in ranges.items():
            if value.step is None:
                yield Violation(
                    f"{_whose(owner)}: the range {value.min}-{value.max} of {name} has no 'step', so it stays at "
                    f"{value.min}; add 'step' (how much one step adds) or give a single number.",
                    (*path, name),
                )


def step_without_pace(context: LintContext) -> Iterator[Violation]:
    """A dose with stepped ranges says how many days within the limits earn a step, and only such a dose does."""
    for dose, path, owner, ranges in _doses(context):
        stepped = [name for name, value in ranges.items() if value.step is not None]
        if stepped and dose.sessions_per_step is None:
            yield Violation(
                f"{_whose(owner)}: {', '.join(stepped)} can move by a step, but the dose does not say after how many "
                "days within the pain limits: add 'sessions_per_step'.",
                path,
                at_key=True,
            )
        elif dose.sessions_per_step is not None and not stepped:
            yield Violation(
                f"{_whose(owner)}: 'sessions_per_step' is given but no range of the dose has a 'step', so nothing "
                "moves.",
                (*path, "sessions_per_step"),
            )


#: How RK201's explanation names a count that may be zero, where its field name would not read.
_ZERO_WORDS = {"rest_seconds": "rest", "relax_seconds": "the relaxation between holds"}


def bounds_explanation(policy: Mapping[str, Any], set_by: Mapping[str, str]) -> str:
    """RK201's explanation for the dose bounds (the highest plausible value of each count, whether zero is allowed)
    of ``policy`` (clinical_policy.json's shape); ``set_by``: the settings packs set, setting -> pack."""
    bounds = policy["dose_bounds"]
    zero = [_ZERO_WORDS.get(name, name) for name, bound in bounds.items() if bound["zero_allowed"]]
    return (
        "Dose counts must be at least 1"
        + (f" ({and_list(zero)} may be 0)" if zero else "")
        + ", a range's 'min' must not exceed its 'max', and no count may exceed these bounds, which catch typos "
        "rather than make clinical choices: "
        + ", ".join(f"{name} {bound['max']}" for name, bound in bounds.items())
        + ". A dose outside them is almost always a slip (300 s meant as 30 s)."
        + in_force(set_by)
    )


RULES = (
    LintRule(
        code="RK201",
        severity=Severity.ERROR,
        summary="a dose is implausible (zero, backwards or beyond bounds)",
        check=implausible_dose,
        applies_to=DOCUMENT_KINDS,
        explanation=bounds_explanation(policy(), {}),
    ),
    LintRule(
        code="RK202",
        severity=Severity.ERROR,
        summary="a threshold is outside its measure's scale",
        check=off_scale,
        explanation=(
            "Pain is rated 0-10 (numeric pain rating scale), so pain thresholds in symptom rules and "
            "criteria must lie in 0-10; the Oswestry Disability Index is a percentage (0-100) and the "
            "Neck Disability Index a raw score (0-50). A symptom rule with both 'above' and 'at_most' "
            "describes a band, which must not be empty. A no-improvement rule's 'min_change' is a change in the "
            "pain before a session, so it lies on the same 0-10 scale."
        ),
    ),
    LintRule(
        code="RK203",
        severity=Severity.ERROR,
        summary="an exercise in a phase has no dose",
        check=missing_dose,
        explanation=(
            "The session runner needs to know how much to do. Each exercise a phase names needs a dose, "
            "either on the phase's entry for it or as the exercise's default 'dose'."
        ),
    ),
    LintRule(
        code="RK204",
        severity=Severity.WARNING,
        summary="a pain limit is higher than the symptom rules allow",
        check=pain_limit_above_stop,
        explanation=(
            "A dose's 'pain_limit' is the most pain allowed during the exercise. If a 'pain-during' "
            "symptom rule already stops, regresses or refers at a lower level, the two disagree and the "
            "patient is told both to carry on and to stop. Lower the pain limit or raise the rule."
        ),
    ),
    LintRule(
        code="RK205",
        severity=Severity.WARNING,
        summary="a dose range has no progression step (it stays at its minimum)",
        check=range_without_step,
        applies_to=DOCUMENT_KINDS,
        explanation=(
            "A range such as 'reps: {min: 6, max: 10}' is a span the dose moves through as the patient copes: "
            "rehabkit starts at 'min' and moves up by the range's 'step' after 'sessions_per_step' days in a "
            "row within the pain limits, never past 'max', and back one step after too much pain. rehabkit "
            "invents no increment, so a range without a step stays at its minimum. Progression should be "
            "gradual and guided by the symptom response (seed documents; pain-monitoring model, Silbernagel 2007). "
            "A warning for every format: 'step' did not exist in format 1 (rehabkit 0.1), and a range without one "
            "keeps the meaning it had there."
        ),
    ),
    LintRule(
        code="RK206",
        severity=Severity.ERROR,
        summary="a dose has progression steps but not the days that earn one (or the reverse)",
        check=step_without_pace,
        applies_to=DOCUMENT_KINDS,
        explanation=(
            "A dose whose ranges have a 'step' must say in 'sessions_per_step' how many days in a row within "
            "the pain limits earn one step; without it the dose could not move. 'sessions_per_step' on a dose "
            "with no stepped range does nothing and usually means a step was forgotten."
        ),
    ),
)
