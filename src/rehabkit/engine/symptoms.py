"""Symptom rules: pain and other signals measured during and after a session, and what they ask for."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

from ..model import SymptomRule

__all__ = ["ACTION_ORDER", "Observation", "Reason", "evaluate", "fires", "worst"]

#: Symptom-rule actions from mildest to most serious.
ACTION_ORDER = ("continue", "hold", "reduce-load", "regress", "stop-exercise", "stop-and-review", "refer-urgently")
_PAIN_MEASURES = frozenset({"pain-during", "pain-after", "pain-next-morning"})
#: How a measure reads in a sentence, and its unit.
_WORDS = {
    "increase-over-baseline": ("rise in pain over the pre-session level", " points"),
    "next-morning-over-baseline": ("next-morning pain over the pre-session level", " points"),
    "not-settled-after-hours": ("time for pain to settle", " hours"),
    "no-improvement-weeks": ("time without improvement", " weeks"),
    "new-symptom": ("new symptom", ""),
}


@attrs.frozen(slots=True)
class Observation:
    """One measured value of a symptom-rule measure, for one exercise or the whole session."""

    measure: str
    value: float
    exercise: str | None = None


@attrs.frozen(slots=True)
class Reason:
    """A symptom rule that fired, with the figures that made it fire."""

    rule: SymptomRule
    observation: Observation

    @property
    def action(self) -> str:
        """The rule's action."""
        return self.rule.action

    def describe(self, exercise_names: dict[str, str] | None = None) -> str:
        """For example ``pain during Bridge 6/10 is above 5/10 (rule pain-during-too-high): regress``."""
        obs, rule = self.observation, self.rule
        what, scale = _WORDS.get(obs.measure, (obs.measure.replace("-", " "), "/10" if obs.measure in _PAIN_MEASURES else ""))
        if obs.exercise:
            what += f" {(exercise_names or {}).get(obs.exercise, obs.exercise)}"
        band = f" and at most {rule.at_most:g}{scale}" if rule.at_most is not None else ""
        return f"{what} {obs.value:g}{scale} is above {rule.above or 0:g}{scale}{band} (rule {rule.id}): {rule.action}"


def fires(rule: SymptomRule, observation: Observation) -> bool:
    """True when the observation is of the rule's measure and past its threshold (within its band, if any)."""
    if observation.measure != rule.measure:
        return False
    above = rule.above if rule.above is not None else 0
    return observation.value > above and (rule.at_most is None or observation.value <= rule.at_most)


def evaluate(rules: Sequence[SymptomRule], observations: Iterable[Observation]) -> list[Reason]:
    """Every rule that fires on every observation, most serious first (stable within an action)."""
    reasons = [Reason(rule, obs) for obs in observations for rule in rules if fires(rule, obs)]
    return sorted(reasons, key=lambda r: ACTION_ORDER.index(r.action), reverse=True)


def worst(reasons: Sequence[Reason]) -> str:
    """The most serious action among the reasons, ``continue`` when none fired."""
    return reasons[0].action if reasons else "continue"
