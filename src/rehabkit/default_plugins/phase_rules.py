"""Core lint rules on phases: ordered, reachable, each with entry and exit criteria."""

from __future__ import annotations

from collections.abc import Iterator

from .._common.errors import Severity
from .._common.text import number_text
from .._common.vocabulary import CRITERION_MEASURES, STAGES
from .._documents.lint import LintContext, LintRule, Violation
from ..model import Criteria, Criterion


def _completed_phases(criteria: Criteria | None) -> list[tuple[int, str]]:
    return [
        (k, c.phase)
        for k, c in enumerate(criteria.all if criteria else ())
        if c.measure == "phase-completed" and c.phase
    ]


def phase_order(context: LintContext) -> Iterator[Violation]:
    """Stages never go backwards, and a phase only waits for earlier phases."""
    assert context.protocol is not None
    phases = context.protocol.phases
    order = {p.id: i for i, p in enumerate(phases)}
    previous_stage: tuple[int, str] | None = None
    for i, phase in enumerate(phases):
        if phase.stage is not None:
            rank = STAGES.index(phase.stage)
            if previous_stage is not None and rank < STAGES.index(previous_stage[1]):
                yield Violation(
                    f"phase {phase.id!r} is at stage {phase.stage!r} "
                    f"but comes after phase {phases[previous_stage[0]].id!r} "
                    f"at stage {previous_stage[1]!r}: list phases in the order acute, recovery, maintenance.",
                    ("phases", i, "stage"),
                )
            previous_stage = (i, phase.stage)
        for k, named in _completed_phases(phase.entry):
            if named in order and order[named] >= i:
                which = "itself" if named == phase.id else f"the later phase {named!r}"
                yield Violation(
                    f"phase {phase.id!r} can only start once {which} is completed, which can never happen: "
                    "an entry criterion may only wait for an earlier phase.",
                    ("phases", i, "entry", "all", k, "phase"),
                )


def missing_criteria(context: LintContext) -> Iterator[Violation]:
    """Every phase says when a patient may start it and when it is complete."""
    assert context.protocol is not None
    for i, phase in enumerate(context.protocol.phases):
        for part, meaning in (("entry", "when a patient may start it"), ("exit", "when it is complete")):
            if getattr(phase, part) is None:
                yield Violation(
                    f"phase {phase.id!r} has no '{part}' criteria: "
                    f"add a summary of {meaning} and, where it can be measured, 'all' criteria.",
                    ("phases", i, "name"),
                    at_key=True,
                )


_BOUNDS = ("at_least", "at_most")


def unreachable_phase(context: LintContext) -> Iterator[Violation]:
    """Each phase after the first follows from an earlier one, and no criteria contradict themselves."""
    assert context.protocol is not None
    phases = context.protocol.phases
    for i, phase in enumerate(phases):
        completed = _completed_phases(phase.entry)
        if i == 0 and completed:
            yield Violation(
                f"the first phase {phase.id!r} waits for another phase to be completed, "
                "so no patient can ever start the protocol.",
                ("phases", 0, "entry", "all", completed[0][0]),
            )
        elif i > 0 and not completed:
            yield Violation(
                f"phase {phase.id!r} can be entered without completing an earlier phase: add "
                f"{{measure: phase-completed, phase: {phases[i - 1].id}}} to its entry criteria.",
                ("phases", i, "entry") if phase.entry else ("phases", i, "name"),
                at_key=phase.entry is None,
            )
        for part in ("entry", "exit"):
            criteria = getattr(phase, part)
            lowest: dict[str, float] = {}
            highest: dict[str, float] = {}
            first: dict[str, int] = {}
            for k, criterion in enumerate(criteria.all if criteria else ()):
                measure = criterion.measure
                first.setdefault(measure, k)
                if criterion.at_least is not None:
                    lowest[measure] = max(lowest.get(measure, criterion.at_least), criterion.at_least)
                if criterion.at_most is not None:
                    highest[measure] = min(highest.get(measure, criterion.at_most), criterion.at_most)
            for measure, k in first.items():
                if measure in lowest and measure in highest and lowest[measure] > highest[measure]:
                    yield Violation(
                        f"phase {phase.id!r}: the {part} criteria ask for {measure} at least "
                        f"{number_text(lowest[measure])} "
                        f"and at most {number_text(highest[measure])}, which no patient can meet.",
                        ("phases", i, part, "all", k),
                    )


def _usable(kind: str, criterion: Criterion) -> bool:
    """True when the criterion has exactly the threshold its measure's kind takes (the checks below find nothing)."""
    least, most = criterion.at_least, criterion.at_most
    if kind == "number":
        return (
            criterion.equals is None
            and criterion.phase is None
            and (least is not None or most is not None)
            and (least is None or least >= 0)
            and (most is None or most >= 0)
        )
    if kind == "yes-no":
        return least is None and most is None and criterion.equals is not None and criterion.phase is None
    return kind == "phase" and criterion.phase is not None


def unusable_criterion(context: LintContext) -> Iterator[Violation]:
    """Each criterion is one rehabkit can check: the right kind of threshold for its measure, and one at all."""
    assert context.protocol is not None
    for i, phase in enumerate(context.protocol.phases):
        for part in ("entry", "exit"):
            criteria = getattr(phase, part)
            for k, criterion in enumerate(criteria.all if criteria else ()):
                kind = CRITERION_MEASURES[criterion.measure].kind
                if _usable(kind, criterion):
                    continue  # the usual case: nothing to say
                where = ("phases", i, part, "all", k)
                what = f"phase {phase.id!r} {part} criterion {criterion.measure!r}"
                numbers = [name for name in ("at_least", "at_most") if getattr(criterion, name) is not None]
                if kind == "number":
                    if criterion.equals is not None:
                        yield Violation(
                            f"{what} is a number: compare it with 'at_least' or 'at_most', not 'equals'.",
                            (*where, "equals"),
                        )
                    elif not numbers:
                        yield Violation(f"{what} has no threshold: add 'at_least' or 'at_most'.", where, at_key=True)
                    for name in numbers:
                        if getattr(criterion, name) < 0:
                            yield Violation(
                                f"{what}: {name} {number_text(getattr(criterion, name))} is below zero, "
                                "which the measure never is.",
                                (*where, name),
                            )
                elif kind == "yes-no":
                    for name in numbers:
                        yield Violation(
                            f"{what} is a yes/no fact: use 'equals: true' (or false), not '{name}'.", (*where, name)
                        )
                    if criterion.equals is None and not numbers:
                        yield Violation(f"{what} says no answer to require: add 'equals: true'.", where, at_key=True)
                elif criterion.phase is None:
                    yield Violation(f"{what} names no phase: add 'phase: ID'.", where, at_key=True)
                if kind != "phase" and criterion.phase is not None:
                    yield Violation(f"{what}: 'phase' goes with 'phase-completed' only.", (*where, "phase"))


RULES = (
    LintRule(
        code="RK106",
        severity=Severity.ERROR,
        summary="phases are out of order",
        check=phase_order,
        explanation=(
            "Phases are listed in the order a patient goes through them. Their stages (acute, recovery, "
            "maintenance) must not go backwards, and a phase's entry criteria may only wait for an "
            "earlier phase to be completed: waiting for itself or a later phase can never be met."
        ),
    ),
    LintRule(
        code="RK107",
        severity=Severity.ERROR,
        summary="a phase has no entry or no exit criteria",
        check=missing_criteria,
        explanation=(
            "Progression is symptom-led and must be explicit: every phase says when a patient may start "
            "it ('entry') and when it is complete ('exit'), in plain words ('summary') and, where it can "
            "be measured, as 'all' criteria the progression engine checks. An ongoing last phase still "
            "says so in its exit summary, for example 'the clinician decides when the programme ends'."
        ),
    ),
    LintRule(
        code="RK108",
        severity=Severity.ERROR,
        summary="a phase cannot be reached",
        check=unreachable_phase,
        explanation=(
            "The first phase must not wait for another phase; every later phase must require an earlier "
            "phase to be completed (a 'phase-completed' entry criterion), so that patients move through "
            "the phases in order and none is skipped; and criteria must not contradict each other "
            "(at least 6 and at most 4 of the same measure)."
        ),
    ),
    LintRule(
        code="RK109",
        severity=Severity.ERROR,
        summary="a criterion cannot be checked (wrong kind of threshold, or none)",
        check=unusable_criterion,
        explanation=(
            "Number measures (pain, outcome scores, time since surgery, days within the limits, weeks in the "
            "phase) take 'at_least' and/or 'at_most', never below zero; yes/no facts (clearance, approval, no "
            "red flags) take 'equals'; 'phase-completed' takes 'phase'. A criterion with the wrong kind of "
            "threshold, or none, can never be judged, so a gate built on it would never open or always open."
        ),
    ),
)
