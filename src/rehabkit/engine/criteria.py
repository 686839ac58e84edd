"""Phase criteria: does a patient's current state meet a phase's entry or exit criteria?"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from ..model import Criteria, Criterion

__all__ = ["CriteriaResult", "Facts", "check_criteria"]

_HOW_TO_RECORD = {
    "odi-percent": "record it with 'rehabkit measure ID odi'",
    "ndi-raw": "record it with 'rehabkit measure ID ndi'",
    "psfs-mean": "record it with 'rehabkit measure ID psfs'",
    "weeks-since-surgery": "record the surgery date",
    "days-since-surgery": "record the surgery date",
    "surgeon-clearance": "record the surgeon's clearance",
    "clinician-approval": "record the clinician's approval",
}


@attrs.frozen(slots=True)
class Facts:
    """What is known about a patient today, by criterion measure name.

    ``values`` holds numbers (``pain-at-rest``, ``odi-percent``,
    ``weeks-since-surgery``, ``consecutive-sessions-within-limits``, ...) and
    yes/no facts (``surgeon-clearance``, ``clinician-approval``,
    ``no-red-flags``) as booleans; ``completed_phases`` the phases done.
    A measure missing from ``values`` is unknown, which never meets a criterion.
    """

    values: Mapping[str, float | bool] = attrs.field(factory=dict)
    completed_phases: frozenset[str] = frozenset()


@attrs.frozen(slots=True)
class CriteriaResult:
    """Whether every criterion holds, and a sentence for each that does not."""

    met: bool
    unmet: tuple[str, ...] = ()


def _sentence(criterion: Criterion, value: float | bool | None) -> str | None:
    """Why a criterion is not met, or None when it is."""
    measure = criterion.measure
    if measure == "phase-completed":
        return None if value else f"phase {criterion.phase!r} is not completed yet"
    if value is None:
        how = _HOW_TO_RECORD.get(measure)
        return f"{measure} is not known yet" + (f"; {how}" if how else "")
    if criterion.equals is not None:
        return None if bool(value) == criterion.equals else f"{measure} is {str(bool(value)).lower()}, needs {str(criterion.equals).lower()}"
    number = float(value)
    if criterion.at_least is not None and number < criterion.at_least:
        return f"{measure} is {number:g}, needs at least {criterion.at_least:g}"
    if criterion.at_most is not None and number > criterion.at_most:
        return f"{measure} is {number:g}, needs at most {criterion.at_most:g}"
    return None


def check_criteria(criteria: Criteria | None, facts: Facts) -> CriteriaResult:
    """Check every measurable criterion; criteria with no measurable part are met (the clinician decides)."""
    unmet: list[str] = []
    for criterion in criteria.all if criteria else ():
        if criterion.measure == "phase-completed":
            value: float | bool | None = criterion.phase in facts.completed_phases
        else:
            value = facts.values.get(criterion.measure)
        reason = _sentence(criterion, value)
        if reason:
            unmet.append(reason)
    return CriteriaResult(met=not unmet, unmet=tuple(unmet))
