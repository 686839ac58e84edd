"""The session engine: pure decisions, no I/O.

Given a protocol, a patient's history and today's answers it decides, in
order: the red-flag screening result (:mod:`.screening`), then, after the
session, which symptom rules fired and what they ask for (:mod:`.symptoms`).
Every decision carries the rule and the figures that caused it. All
thresholds and wording come from the protocol's data.
"""

from .screening import ScreeningResult, screen
from .symptoms import ACTION_ORDER, Observation, Reason, evaluate, worst

__all__ = ["ACTION_ORDER", "Observation", "Reason", "ScreeningResult", "evaluate", "screen", "worst"]
