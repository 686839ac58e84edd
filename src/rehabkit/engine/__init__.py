"""The session engine: pure decisions, no I/O.

Given a protocol and a patient's dated records it works out, in order: the
course's state and today's facts (:mod:`.course`), whether a phase's gate is
open (:mod:`.criteria`), the red-flag screening result (:mod:`.screening`),
today's plan at the patient's own dose (:mod:`.plan`, :mod:`.dose`), then,
after the session, which symptom rules fired and what they ask for
(:mod:`.symptoms`), and the decision (:mod:`.decide`).
Every decision carries the rule and the figures that caused it, in plain words
from the protocol's data. All thresholds and wording come from the protocol.

The names below are resolved on first use (as the package root's are), so that a module that needs one record
class, such as the session store reading :class:`PastSession`, does not import every decision module with it.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

#: Each name and the module of the engine that defines it.
_NAMES: dict[str, str] = {
    "Course": "course",
    "LATEST_NEEDED": "course",
    "STOPPED_STATES": "course",
    "build_course": "course",
    "current_entry": "course",
    "morning_reasons": "course",
    "pain_target": "course",
    "CriteriaResult": "criteria",
    "Facts": "criteria",
    "Unmet": "criteria",
    "check_criteria": "criteria",
    "Decision": "decide",
    "SessionResult": "decide",
    "decide": "decide",
    "exit_gate": "decide",
    "within_limits": "decide",
    "DoseState": "dose",
    "advance_doses": "dose",
    "step_back": "dose",
    "LeftOut": "plan",
    "PlannedExercise": "plan",
    "SessionPlan": "plan",
    "at_step": "plan",
    "plan_session": "plan",
    "weeks_without_improvement": "progress",
    "CourseEvent": "records",
    "MeasureRecord": "records",
    "NextDayRecord": "records",
    "PastSession": "records",
    "ScreeningResult": "screening",
    "ends_screening": "screening",
    "screen": "screening",
    "ACTION_ORDER": "symptoms",
    "Observation": "symptoms",
    "Reason": "symptoms",
    "evaluate": "symptoms",
    "worst": "symptoms",
}

__all__ = [
    "ACTION_ORDER",
    "LATEST_NEEDED",
    "STOPPED_STATES",
    "Course",
    "CourseEvent",
    "CriteriaResult",
    "Decision",
    "DoseState",
    "Facts",
    "LeftOut",
    "MeasureRecord",
    "NextDayRecord",
    "Observation",
    "PastSession",
    "PlannedExercise",
    "Reason",
    "ScreeningResult",
    "SessionPlan",
    "SessionResult",
    "Unmet",
    "advance_doses",
    "at_step",
    "build_course",
    "check_criteria",
    "current_entry",
    "decide",
    "ends_screening",
    "evaluate",
    "exit_gate",
    "morning_reasons",
    "pain_target",
    "plan_session",
    "screen",
    "step_back",
    "weeks_without_improvement",
    "within_limits",
    "worst",
]

if TYPE_CHECKING:
    from .course import (
        LATEST_NEEDED as LATEST_NEEDED,
    )
    from .course import (
        STOPPED_STATES as STOPPED_STATES,
    )
    from .course import (
        Course as Course,
    )
    from .course import (
        build_course as build_course,
    )
    from .course import (
        current_entry as current_entry,
    )
    from .course import (
        morning_reasons as morning_reasons,
    )
    from .course import (
        pain_target as pain_target,
    )
    from .criteria import (
        CriteriaResult as CriteriaResult,
    )
    from .criteria import (
        Facts as Facts,
    )
    from .criteria import (
        Unmet as Unmet,
    )
    from .criteria import (
        check_criteria as check_criteria,
    )
    from .decide import (
        Decision as Decision,
    )
    from .decide import (
        SessionResult as SessionResult,
    )
    from .decide import (
        decide as decide,
    )
    from .decide import (
        exit_gate as exit_gate,
    )
    from .decide import (
        within_limits as within_limits,
    )
    from .dose import DoseState as DoseState
    from .dose import advance_doses as advance_doses
    from .dose import step_back as step_back
    from .plan import (
        LeftOut as LeftOut,
    )
    from .plan import (
        PlannedExercise as PlannedExercise,
    )
    from .plan import (
        SessionPlan as SessionPlan,
    )
    from .plan import (
        at_step as at_step,
    )
    from .plan import (
        plan_session as plan_session,
    )
    from .progress import weeks_without_improvement as weeks_without_improvement
    from .records import (
        CourseEvent as CourseEvent,
    )
    from .records import (
        MeasureRecord as MeasureRecord,
    )
    from .records import (
        NextDayRecord as NextDayRecord,
    )
    from .records import (
        PastSession as PastSession,
    )
    from .screening import ScreeningResult as ScreeningResult
    from .screening import ends_screening as ends_screening
    from .screening import screen as screen
    from .symptoms import (
        ACTION_ORDER as ACTION_ORDER,
    )
    from .symptoms import (
        Observation as Observation,
    )
    from .symptoms import (
        Reason as Reason,
    )
    from .symptoms import (
        evaluate as evaluate,
    )
    from .symptoms import (
        worst as worst,
    )


class _Engine(types.ModuleType):
    """The package: a name the engine exports keeps its meaning when a submodule of that name is imported.

    Importing ``rehabkit.engine.decide`` sets the package's attribute ``decide`` to the submodule; here it becomes the
    function of that name instead, which is what ``from rehabkit.engine import decide`` has always given.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and name in _NAMES and hasattr(value, name):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Engine


def __getattr__(name: str) -> Any:
    module = _NAMES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # resolved once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
