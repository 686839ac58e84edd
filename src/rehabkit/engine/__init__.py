"""The session engine: pure decisions, no I/O.

Given a protocol, a patient's history and today's answers it decides, in
order: the red-flag screening result (:mod:`.screening`), whether a phase's
entry or exit criteria hold (:mod:`.criteria`), today's plan (:mod:`.plan`), then, after the session, which
symptom rules fired and what they ask for (:mod:`.symptoms`), and the
decision (:mod:`.decide`).
Every decision carries the rule and the figures that caused it. All
thresholds and wording come from the protocol's data.
"""

from .criteria import CriteriaResult, Facts, check_criteria
from .decide import Decision, SessionResult, decide
from .plan import PlannedExercise, SessionPlan, plan_session
from .progress import weeks_without_improvement
from .screening import ScreeningResult, screen
from .symptoms import ACTION_ORDER, Observation, Reason, evaluate, worst

__all__ = [
    "ACTION_ORDER",
    "CriteriaResult",
    "Decision",
    "Facts",
    "Observation",
    "PlannedExercise",
    "Reason",
    "ScreeningResult",
    "SessionPlan",
    "SessionResult",
    "check_criteria",
    "decide",
    "evaluate",
    "plan_session",
    "screen",
    "weeks_without_improvement",
    "worst",
]
