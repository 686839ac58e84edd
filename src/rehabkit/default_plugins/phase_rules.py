"""Core lint rules on phases: ordered, reachable, each with entry and exit criteria."""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import Severity
from ..lint import LintContext, LintRule, Violation
from ..model import Criteria

#: Stages in the order a patient goes through them.
STAGES = ("acute", "recovery", "maintenance")


def _completed_phases(criteria: Criteria | None) -> list[tuple[int, str]]:
    return [(k, c.phase) for k, c in enumerate(criteria.all if criteria else ()) if c.measure == "phase-completed" and c.phase]


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
                    f"phase {phase.id!r} is at stage {phase.stage!r} but comes after phase {phases[previous_stage[0]].id!r} "
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
                    f"phase {phase.id!r} has no '{part}' criteria: add a summary of {meaning} and, where it can be measured, 'all' criteria.",
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
                f"the first phase {phase.id!r} waits for another phase to be completed, so no patient can ever start the protocol.",
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
                        f"phase {phase.id!r}: the {part} criteria ask for {measure} at least {lowest[measure]:g} "
                        f"and at most {highest[measure]:g}, which no patient can meet.",
                        ("phases", i, part, "all", k),
                    )


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
)
