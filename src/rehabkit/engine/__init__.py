"""The session engine: pure decisions, no I/O.

Given a protocol and a patient's dated records it works out, in order: the
course's state and today's facts (:mod:`.course`), whether a phase's gate is
open (:mod:`.criteria`), the red-flag screening result (:mod:`.screening`),
today's plan at the patient's own dose (:mod:`.plan`, :mod:`.dose`), then,
after the session, which symptom rules fired and what they ask for
(:mod:`.symptoms`), and the decision (:mod:`.decide`).
Every decision carries the rule and the figures that caused it, in plain words
from the protocol's data. All thresholds and wording come from the protocol.
"""

from .course import LATEST_NEEDED, STOPPED_STATES, Course, build_course, current_entry, morning_reasons, pain_target
from .criteria import CriteriaResult, Facts, Unmet, check_criteria
from .decide import Decision, SessionResult, decide, exit_gate, within_limits
from .dose import DoseState, advance_doses, step_back
from .plan import LeftOut, PlannedExercise, SessionPlan, at_step, plan_session
from .progress import weeks_without_improvement
from .records import CourseEvent, MeasureRecord, NextDayRecord, PastSession
from .screening import ScreeningResult, ends_screening, screen
from .symptoms import ACTION_ORDER, Observation, Reason, evaluate, worst

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
