"""Phase criteria: does a patient's current state meet a phase's entry or exit criteria?

Approvals and clearances open one gate each: the gate into a phase (its entry
criteria and the exit criteria of the phase before it). An approval recorded
for one phase never satisfies a criterion of another, so one "yes" at the first
session cannot open every later gate.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import attrs

from .._common.vocabulary import CRITERION_MEASURES
from ..model import Criteria, Criterion

__all__ = ["APPROVAL_MEASURES", "CriteriaResult", "Facts", "Unmet", "amount", "check_criteria"]

#: Criterion measures recorded by a clinician or surgeon for one gate.
APPROVAL_MEASURES = frozenset(name for name, m in CRITERION_MEASURES.items() if m.recorded_by == "approval")


@attrs.frozen(slots=True)
class Facts:
    """What is known about a patient today, by criterion measure name.

    ``values`` holds numbers (``pain-at-rest``, ``odi-percent``,
    ``weeks-since-surgery``, ``consecutive-sessions-within-limits``, ...) and
    yes/no facts (``no-red-flags``); ``completed_phases`` the phases done;
    ``approvals`` maps a gate (the phase it opens) to the approvals recorded for
    it (``surgeon-clearance``, ``clinician-approval`` -> given or withdrawn).
    A measure missing from ``values`` is unknown, which never meets a criterion.
    """

    values: Mapping[str, float | bool] = attrs.field(factory=dict)
    completed_phases: frozenset[str] = frozenset()
    approvals: Mapping[str, Mapping[str, bool]] = attrs.field(factory=dict)

    def value(self, criterion: Criterion, gate: str | None) -> float | bool | None:
        """The value a criterion is compared with (``gate``: the phase whose gate the criterion guards)."""
        if criterion.measure == "phase-completed":
            return criterion.phase in self.completed_phases
        if criterion.measure in APPROVAL_MEASURES:
            return self.approvals.get(gate or "", {}).get(criterion.measure)
        return self.values.get(criterion.measure)


@attrs.frozen(slots=True)
class Unmet:
    """One criterion that does not hold: the measure, what it is, what it needs, and a sentence in plain words."""

    measure: str
    text: str
    value: float | bool | None = None
    needs: str = ""
    phase: str | None = None

    @property
    def unknown(self) -> bool:
        """True when nothing is recorded for the measure yet."""
        return self.value is None

    def to_dict(self) -> dict[str, object]:
        """Plain data (ids included) for ``--format json``."""
        return {
            "measure": self.measure,
            "value": self.value,
            "needs": self.needs,
            "completed_phase": self.phase,
            "text": self.text,
        }


@attrs.frozen(slots=True)
class CriteriaResult:
    """Whether every criterion holds; the criteria's own summary, and each that does not hold."""

    met: bool
    missing: tuple[Unmet, ...] = ()
    summary: str | None = None

    @property
    def unmet(self) -> tuple[str, ...]:
        """A plain sentence for each criterion that does not hold."""
        return tuple(u.text for u in self.missing)


def amount(value: float, unit: str) -> str:
    """``6 weeks``, ``1 week``, ``3/10``, ``20%``: a number with its unit."""
    text = f"{value:g}{unit}"
    if value == 1 and unit.endswith("s") and unit.startswith(" "):
        text = text[:-1]
    return text


def _unmet(criterion: Criterion, value: float | bool | None, phase_names: Mapping[str, str]) -> Unmet | None:
    """Why a criterion is not met, or None when it is."""
    measure = criterion.measure
    info = CRITERION_MEASURES.get(measure)
    label = criterion.description or (info.label if info else measure.replace("-", " "))
    unit = info.unit if info else ""
    if measure == "phase-completed":
        if value:
            return None
        name = phase_names.get(criterion.phase or "", criterion.phase)
        return Unmet(measure, f"the phase {name!r} is not completed yet", False, "completed", criterion.phase)
    if criterion.equals is not None:
        needs = "yes" if criterion.equals else "no"
        if value is None:
            return Unmet(measure, f"{label}: not recorded yet", None, needs)
        if bool(value) == criterion.equals:
            return None
        return Unmet(measure, f"{label}: recorded as {'yes' if value else 'no'}, needs {needs}", bool(value), needs)
    bounds = []
    if criterion.at_least is not None:
        bounds.append(f"at least {amount(criterion.at_least, unit)}")
    if criterion.at_most is not None:
        bounds.append(f"at most {amount(criterion.at_most, unit)}")
    needs = " and ".join(bounds)
    if value is None:
        return Unmet(measure, f"{label}: not recorded yet" + (f" (needs {needs})" if needs else ""), None, needs)
    number = float(value)
    too_low = criterion.at_least is not None and number < criterion.at_least
    too_high = criterion.at_most is not None and number > criterion.at_most
    if not (too_low or too_high):
        return None
    return Unmet(measure, f"{label}: {amount(round(number, 1), unit)}, needs {needs}", number, needs)


def check_criteria(
    criteria: Criteria | None,
    facts: Facts,
    gate: str | None = None,
    *,
    skip: Collection[str] = (),
    phase_names: Mapping[str, str] | None = None,
) -> CriteriaResult:
    """Check every measurable criterion; criteria with no measurable part are met (the clinician decides).

    ``gate`` is the phase whose gate these criteria guard (entry criteria of a
    phase: that phase; exit criteria: the phase after it, or the phase itself
    when it is the last): approvals are looked up for that gate only. Measures
    in ``skip`` are left for later (a session checks pain and red flags once it
    has asked about them).
    """
    missing: list[Unmet] = []
    for criterion in criteria.all if criteria else ():
        if criterion.measure in skip:
            continue
        reason = _unmet(criterion, facts.value(criterion, gate), phase_names or {})
        if reason is not None:
            missing.append(reason)
    return CriteriaResult(met=not missing, missing=tuple(missing), summary=criteria.summary if criteria else None)
