"""Symptom rules: pain and other signals measured during and after a session, and what they ask for."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import attrs

from .._common.vocabulary import SYMPTOM_ACTIONS, SYMPTOM_MEASURES
from ..model import SymptomRule
from .criteria import amount

__all__ = ["ACTION_ORDER", "Observation", "Reason", "evaluate", "fires", "worst"]

#: Symptom-rule actions from mildest to most serious.
ACTION_ORDER = SYMPTOM_ACTIONS


@attrs.frozen(slots=True)
class Observation:
    """One measured value of a symptom-rule measure, for one exercise or the whole session."""

    measure: str
    value: float
    exercise: str | None = None
    #: A limit that replaces the rule's ``above`` (``no-improvement-weeks``: the phase's ``review_after_weeks``).
    limit: float | None = None


@attrs.frozen(slots=True)
class Reason:
    """A symptom rule that fired, with the figures that made it fire."""

    rule: SymptomRule
    observation: Observation

    @property
    def action(self) -> str:
        """The rule's action."""
        return self.rule.action

    @property
    def limit(self) -> float:
        """The threshold the observation went past."""
        return self.observation.limit if self.observation.limit is not None else (self.rule.above or 0)

    def describe(self, exercise_names: Mapping[str, str] | None = None) -> str:
        """In plain words, for example ``pain during Bridge was 7/10, above 5/10``."""
        obs = self.observation
        info = SYMPTOM_MEASURES.get(obs.measure)
        what = info.label if info else obs.measure.replace("-", " ")
        unit = info.unit if info else ""
        if obs.exercise:
            what += f" {(exercise_names or {}).get(obs.exercise, obs.exercise)}"
        if obs.measure == "new-symptom":
            return "you reported a new symptom"
        if obs.measure == "no-improvement-weeks":
            return f"{what}: {amount(obs.value, unit)}, the review point is {amount(self.limit, unit)}"
        band = f" (this rule covers up to {amount(self.rule.at_most, unit)})" if self.rule.at_most is not None else ""
        return f"{what} was {amount(obs.value, unit)}, above {amount(self.limit, unit)}{band}"

    def to_dict(self) -> dict[str, object]:
        """Plain data, ids included, for ``--format json``."""
        return {
            "rule": self.rule.id,
            "measure": self.observation.measure,
            "value": self.observation.value,
            "limit": self.limit,
            "exercise": self.observation.exercise,
            "action": self.action,
        }


def fires(rule: SymptomRule, observation: Observation) -> bool:
    """True when the observation is of the rule's measure and past its threshold (within its band, if any)."""
    if observation.measure != rule.measure:
        return False
    if observation.limit is not None:
        # A limit from the phase (review_after_weeks) is reached, not passed: "after N weeks".
        return observation.value >= observation.limit
    above = rule.above if rule.above is not None else 0
    return observation.value > above and (rule.at_most is None or observation.value <= rule.at_most)


def evaluate(rules: Sequence[SymptomRule], observations: Iterable[Observation]) -> list[Reason]:
    """Every rule that fires on every observation, most serious first (stable within an action)."""
    reasons = [Reason(rule, obs) for obs in observations for rule in rules if fires(rule, obs)]
    return sorted(reasons, key=lambda r: ACTION_ORDER.index(r.action), reverse=True)


def worst(reasons: Sequence[Reason]) -> str:
    """The most serious action among the reasons, ``continue`` when none fired."""
    return reasons[0].action if reasons else "continue"
