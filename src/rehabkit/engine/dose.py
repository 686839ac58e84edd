"""Gradual dose progression inside the protocol's ranges, one earned step at a time.

A phase's exercise starts at the bottom of each range. After ``sessions_per_step``
days in a row on which every session stayed within the pain limits (and the
exercise within its own ``pain_limit``), each range moves up by its own
``step``, never past its top. Too much pain steps back one; a hold keeps the
dose. All numbers come from the protocol: a dose without steps stays where it is.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

import attrs

from .._common.vocabulary import REVIEW_ACTIONS
from .decide import Decision, SessionResult, within_limits
from .plan import SessionPlan, top_step

__all__ = ["STEP_BACK_ACTIONS", "DoseState", "advance_doses", "step_back"]

#: Decisions after which every dose steps back one.
STEP_BACK_ACTIONS = frozenset({"reduce-load"}) | REVIEW_ACTIONS


@attrs.frozen(slots=True)
class DoseState:
    """Where one exercise's dose stands: steps earned, days within limits since the last step, the last day counted."""

    step: int = 0
    days: int = 0
    last_day: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data, for the session record."""
        return {"step": self.step, "days": self.days, "last_day": self.last_day}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DoseState:
        """From the session record."""
        return cls(step=int(data.get("step", 0)), days=int(data.get("days", 0)), last_day=data.get("last_day"))


def step_back(states: Mapping[str, DoseState]) -> dict[str, DoseState]:
    """Every dose one step lower (not below the start), with its count of days started again."""
    return {key: DoseState(max(0, state.step - 1)) for key, state in states.items()}


def advance_doses(
    plan: SessionPlan,
    result: SessionResult,
    decision: Decision,
    states: Mapping[str, DoseState],
    today: datetime.date,
) -> dict[str, DoseState]:
    """The dose states after a session, by exercise id (exercises not in the session keep theirs).

    Every dose steps back one after a reduce-load or a stop (the decision's ``step_back``, else its action), those
    the weekly schedule left out of the session too, and an exercise that leaves the plan (``removed``) steps back
    one, so that it comes back lower after a review."""
    out = dict(states)
    within = within_limits(decision)
    back = decision.step_back if decision.step_back is not None else decision.action in STEP_BACK_ACTIONS
    if back:
        out = {key: DoseState(max(0, state.step - 1)) for key, state in states.items()}
    for item in plan.items:
        key = item.exercise.id
        state = states.get(key, DoseState())
        if back or key in decision.removed:  # a stopped exercise comes back one step lower after a review
            out[key] = DoseState(max(0, state.step - 1))
            continue
        pain = result.pain_during.get(key)
        limit = item.dose.pain_limit if item.dose else None
        if not within or (limit is not None and pain is not None and pain > limit):
            out[key] = DoseState(state.step)  # no gain today; the count starts again
            continue
        if state.last_day == today.isoformat() or state.step >= top_step(item.prescribed):
            continue  # a day counts once; a dose at its top stays there
        if key in result.stopped_part_way:
            continue  # fewer sets than planned earn nothing, and lose nothing
        days = state.days + 1
        needed = item.prescribed.sessions_per_step if item.prescribed else None
        if needed and days >= needed:
            out[key] = DoseState(state.step + 1, 0, today.isoformat())
        else:
            out[key] = DoseState(state.step, days, today.isoformat())
    return out
