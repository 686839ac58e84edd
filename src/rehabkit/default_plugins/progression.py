"""rehabkit's default progression policy, behind the ``rehabkit_progression_decision`` hook."""

from __future__ import annotations

from typing import Any

from ..hookspecs import hookimpl


@hookimpl(trylast=True)
def rehabkit_progression_decision(plan: Any, result: Any, facts: Any) -> Any:
    """Symptom rules first, then phase criteria (:func:`rehabkit.engine.decide`)."""
    from ..engine import decide

    return decide(plan, result, facts)
