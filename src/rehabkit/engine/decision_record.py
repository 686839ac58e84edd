"""What the store keeps of how a session ended: the decision record, written and read here only.

The course service writes it (:meth:`DecisionRecord.to_dict`, the stored JSON)
and the engine reads what the course carries from it through
:func:`read_decision_record`: regressions, exercises removed until a review,
dose steps, and the movements screening left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from .dose import DoseState

__all__ = ["DecisionRecord", "read_decision_record"]


@attrs.frozen(slots=True)
class DecisionRecord:
    """What the store keeps of how a session ended (its decision detail), in one of four shapes.

    ``shape``: ``decision`` (the session was completed and decided, or left unfinished after a pain over a limit,
    which counts for what it says), ``screening``
    (a red-flag answer stopped it), ``gate`` (a criterion asked at the session was
    not met) or ``empty-plan`` (nothing was left to do). :meth:`to_dict` gives the
    stored JSON, keys in the order rehabkit has always written them.
    """

    shape: str
    within_limits: bool
    reasons: tuple[str, ...] = ()
    messages: tuple[str, ...] = ()
    details: tuple[Mapping[str, Any], ...] = ()
    regressions: Mapping[str, str] = attrs.field(factory=dict)
    removed: tuple[str, ...] = ()
    next_phase: str | None = None
    doses: Mapping[str, DoseState] = attrs.field(factory=dict)
    adjustments: tuple[str, ...] = ()
    left_out: tuple[str, ...] = ()
    omitted_movements: tuple[str, ...] = ()
    positives: tuple[str, ...] = ()
    gate: tuple[Mapping[str, Any], ...] = ()
    #: Exercises whose pain went above their own limit in this session: stopped for the rest of its day.
    stopped_today: tuple[str, ...] = ()
    #: The exercises done (pain during answered), by their schedule key (the phase's exercise a regression stands in
    #: for): what the weekly schedule counts (:mod:`rehabkit.engine.schedule`).
    done: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The stored form."""
        if self.shape == "screening":
            return {"positives": list(self.positives), "within_limits": False, "messages": list(self.messages)}
        if self.shape == "gate":
            return {"gate": [dict(item) for item in self.gate], "within_limits": False}
        if self.shape == "empty-plan":
            return {"within_limits": False, "reasons": list(self.reasons)}
        data: dict[str, Any] = {
            "reasons": list(self.reasons),
            "messages": list(self.messages),
            "details": [dict(d) for d in self.details],
            "regressions": dict(self.regressions),
            "removed": list(self.removed),
            "next_phase": self.next_phase,
            "within_limits": self.within_limits,
            "doses": {key: state.to_dict() for key, state in self.doses.items()},
            "adjustments": list(self.adjustments),
            "left_out": list(self.left_out),
            "omitted_movements": list(self.omitted_movements),
        }
        if self.stopped_today:
            data["stopped_today"] = list(self.stopped_today)
        if self.done:
            data["done"] = list(self.done)
        return data


def _texts(value: Any) -> tuple[str, ...]:
    return tuple(str(item) for item in value) if isinstance(value, list | tuple) else ()


def _dose_states(value: Any) -> dict[str, DoseState]:
    """Stored dose states; an entry that cannot be read starts again at the bottom of its range."""
    states: dict[str, DoseState] = {}
    for key, state in value.items() if isinstance(value, Mapping) else ():
        try:
            states[str(key)] = DoseState.from_dict(state)
        except (AttributeError, TypeError, ValueError, OverflowError):
            states[str(key)] = DoseState()
    return states


def read_decision_record(data: Mapping[str, Any]) -> DecisionRecord:
    """A stored decision record read back (what the course carries from it: regressions, removed exercises, dose
    steps, movements screening left out). A field of the wrong type reads as absent, never a crash."""
    shape = "screening" if "positives" in data else "gate" if "gate" in data else "decision"
    if shape == "decision" and "doses" not in data:
        shape = "empty-plan"
    regressions = data.get("regressions")
    return DecisionRecord(
        shape, data.get("within_limits") is True, reasons=_texts(data.get("reasons")),
        messages=_texts(data.get("messages")),
        regressions={str(k): str(v) for k, v in regressions.items()} if isinstance(regressions, Mapping) else {},
        removed=_texts(data.get("removed")), doses=_dose_states(data.get("doses")),
        omitted_movements=_texts(data.get("omitted_movements")), positives=_texts(data.get("positives")),
        stopped_today=_texts(data.get("stopped_today")), done=_texts(data.get("done")),
    )  # fmt: skip
