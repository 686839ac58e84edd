"""Red-flag screening: every question answered before exercise; any positive answer acts first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from .._common.vocabulary import REVIEW_ACTIONS, SCREENING_ACTIONS
from ..model import ScreeningQuestion

__all__ = ["SCREENING_ORDER", "ScreeningResult", "ends_screening", "screen"]

#: Screening actions from mildest to most urgent; "clear" means no positive answer.
SCREENING_ORDER = ("clear", *SCREENING_ACTIONS)


def ends_screening(question: ScreeningQuestion, answer: bool) -> bool:
    """True when this answer ends screening at once: a yes that sends the patient for urgent help."""
    return answer and question.action == "refer-urgently"


@attrs.frozen(slots=True)
class ScreeningResult:
    """The outcome of screening: the most urgent action, and each question answered yes."""

    action: str
    positives: tuple[ScreeningQuestion, ...] = ()

    @property
    def stops_session(self) -> bool:
        """True when exercise must not go ahead today."""
        return self.action in REVIEW_ACTIONS

    @property
    def omitted_movements(self) -> frozenset[str]:
        """Movements whose exercises are left out today because of a yes."""
        return frozenset(m for q in self.positives for m in q.omit_movements)

    def messages(self) -> list[str]:
        """What the patient is told, most urgent first."""
        ordered = sorted(self.positives, key=lambda q: SCREENING_ORDER.index(q.action), reverse=True)
        return [q.message for q in ordered]


def screen(questions: Sequence[ScreeningQuestion], answers: Mapping[str, bool]) -> ScreeningResult:
    """Screen today's answers (question id -> yes/no).

    Raises ``ValueError`` naming the first unanswered question: screening is
    never skipped, except that an urgent yes ends it at once (the remaining
    questions need no answer then).
    """
    missing = [q.id for q in questions if q.id not in answers]
    urgent = any(ends_screening(q, answers[q.id]) for q in questions if q.id in answers)
    if missing and not urgent:
        raise ValueError(
            f"screening question {missing[0]!r} was not answered; "
            "every red-flag question must be answered before exercise."
        )
    positives = tuple(q for q in questions if answers.get(q.id))
    action = max((q.action for q in positives), key=SCREENING_ORDER.index, default="clear")
    return ScreeningResult(action=action, positives=positives)
