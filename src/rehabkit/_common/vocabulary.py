"""rehabkit's controlled vocabularies, defined once.

The JSON Schema's enums, the engine and the lint rules all use these names;
``tests/test_vocabulary.py`` checks that the schema says exactly the same. Each
measure also says how rehabkit records it, so that no criterion or symptom
rule can name something nothing ever measures.

This module holds names and plain-word labels only: thresholds, doses and
patient wording live in protocol data.
"""

from __future__ import annotations

import attrs

from .clinical_data import policy

__all__ = [
    "CRITERION_MEASURES",
    "EXERCISE_ACTIONS",
    "MOVEMENTS",
    "RED_FLAG_SIGNS",
    "REQUIRED_SIGNS",
    "REVIEW_ACTIONS",
    "SCREENING_ACTIONS",
    "SESSION_MEASURED",
    "STAGES",
    "SYMPTOM_ACTIONS",
    "SYMPTOM_MEASURES",
    "URGENT_SIGNS",
    "CriterionMeasure",
    "SymptomMeasure",
]

#: Stages of rehabilitation, in order.
STAGES: tuple[str, ...] = ("acute", "recovery", "maintenance")

#: Screening actions, mildest first ("clear" is screening's own word for no positive answer).
SCREENING_ACTIONS: tuple[str, ...] = ("note", "stop-and-review", "refer-urgently")

#: Symptom-rule actions, mildest first.
SYMPTOM_ACTIONS: tuple[str, ...] = (
    "continue",
    "hold",
    "reduce-load",
    "regress",
    "stop-exercise",
    "stop-and-review",
    "refer-urgently",
)
#: Actions that pause the course until a clinician records a review.
REVIEW_ACTIONS: frozenset[str] = frozenset({"stop-and-review", "refer-urgently"})
#: Actions that act on one exercise, so only a per-exercise measure can trigger them.
EXERCISE_ACTIONS: frozenset[str] = frozenset({"regress", "stop-exercise"})

#: Movements and loads an exercise may involve and a precaution may rule out.
MOVEMENTS: tuple[str, ...] = (
    "bend",
    "extend",
    "twist",
    "side-bend",
    "lift",
    "carry",
    "push",
    "pull",
    "reach",
    "overhead",
    "impact",
    "hang",
    "kneel",
    "sit",
    "stand",
    "drive",
    "other",
)

#: Red-flag signs a screening question may cover, with plain words for messages.
RED_FLAG_SIGNS: dict[str, str] = {
    "increasing-or-radiating-pain": "increasing pain, or pain spreading into the arms or legs",
    "numbness-tingling-weakness": "numbness, tingling or weakness",
    "night-or-rest-pain": "severe pain at night or at rest",
    "sudden-worsening": "a sudden worsening of symptoms",
    "no-improvement": "no improvement despite regular rehabilitation",
    "cauda-equina": "bladder or bowel changes, or numbness in the saddle area (cauda equina)",
    "arm-numbness-or-weakness": "numbness or weakness in an arm together with upper-back pain",
    "infection-or-fever": "fever or signs of infection",
    "wound-problem": "a wound problem after surgery",
    "cancer-history": "a history of cancer",
    "unexplained-weight-loss": "unexplained weight loss",
    "significant-trauma": "a fall, blow or accident",
    "blood-clot": "signs of a blood clot",
    "spinal-cord-compression": "signs of pressure on the spinal cord (clumsy hands, a changed walk)",
    "immunosuppression": "immunosuppression or long-term steroids",
    "osteoporosis": "osteoporosis",
    "spine-surgery": "previous spine surgery",
    "other": "another sign",
}
#: Signs every protocol screens for (lint rule RK301) and signs whose question must refer urgently (RK306):
#: clinical choices, read from rehabkit's clinical data (see :mod:`rehabkit._common.clinical_data`).
REQUIRED_SIGNS: tuple[str, ...] = tuple(policy()["red_flags"]["required_signs"])
URGENT_SIGNS: frozenset[str] = frozenset(policy()["red_flags"]["urgent_signs"])


@attrs.frozen(slots=True)
class CriterionMeasure:
    """A measure a phase criterion may name.

    ``kind`` is ``number`` (compared with ``at_least``/``at_most``), ``yes-no``
    (``equals``) or ``phase`` (``phase``); ``scale`` bounds a number where it has
    one. ``recorded_by`` says what records it: ``session`` (asked at each session),
    ``screening`` (today's red-flag screening), ``course`` (counted from the
    course's dates and sessions), ``surgery-date``, ``approval`` (recorded for
    the gate it opens), or ``outcome:ID`` (the latest score of an outcome measure).
    """

    label: str
    kind: str
    recorded_by: str
    scale: tuple[float, float] | None = None
    unit: str = ""


CRITERION_MEASURES: dict[str, CriterionMeasure] = {
    "pain-at-rest": CriterionMeasure("pain at rest", "number", "session", (0, 10), "/10"),
    # Outcome scores take their scale from the registered measure (its items and scoring method).
    "odi-percent": CriterionMeasure("Oswestry Disability Index", "number", "outcome:odi", None, "%"),
    "ndi-raw": CriterionMeasure("Neck Disability Index", "number", "outcome:ndi", None, " points"),
    "psfs-mean": CriterionMeasure("Patient-Specific Functional Scale", "number", "outcome:psfs", None),
    "startback-total": CriterionMeasure(
        "STarT Back Screening Tool total", "number", "outcome:startback", None, " points"
    ),
    "peg-mean": CriterionMeasure("PEG pain and interference score", "number", "outcome:peg", None, "/10"),
    "days-since-surgery": CriterionMeasure("days since surgery", "number", "surgery-date", (0, 36500), " days"),
    "weeks-since-surgery": CriterionMeasure("weeks since surgery", "number", "surgery-date", (0, 5200), " weeks"),
    "consecutive-sessions-within-limits": CriterionMeasure(
        "days in a row within the pain limits", "number", "course", (0, 10000), " days"
    ),
    "sessions-completed": CriterionMeasure(
        "days with a completed session in this phase", "number", "course", (0, 10000), " days"
    ),
    "weeks-in-phase": CriterionMeasure("weeks in this phase", "number", "course", (0, 5200), " weeks"),
    "surgeon-clearance": CriterionMeasure("the surgeon's clearance", "yes-no", "approval"),
    "clinician-approval": CriterionMeasure("your clinician's approval", "yes-no", "approval"),
    "phase-completed": CriterionMeasure("an earlier phase completed", "phase", "course"),
    "no-red-flags": CriterionMeasure("no red flags at today's screening", "yes-no", "screening"),
}
#: Criterion measures a session itself finds out (screening, pain now): a gate checks them once they are asked.
SESSION_MEASURED: frozenset[str] = frozenset(
    name for name, m in CRITERION_MEASURES.items() if m.recorded_by in ("session", "screening")
)


@attrs.frozen(slots=True)
class SymptomMeasure:
    """A measure a symptom rule may name.

    ``when``: ``exercise`` (pain during each exercise), ``session`` (at the end of a
    session), ``next-day`` (reported the morning after, acting on the very next
    plan) or ``course`` (over weeks). ``scale``: the largest value it can take.
    """

    label: str
    when: str
    unit: str
    scale: float | None


SYMPTOM_MEASURES: dict[str, SymptomMeasure] = {
    "pain-during": SymptomMeasure("pain during", "exercise", "/10", 10),
    "pain-after": SymptomMeasure("pain after the session", "session", "/10", 10),
    "pain-next-morning": SymptomMeasure("pain the next morning", "next-day", "/10", 10),
    "increase-over-baseline": SymptomMeasure(
        "rise in pain over the level before the session", "session", " points", 10
    ),
    "next-morning-over-baseline": SymptomMeasure(
        "next-morning pain over the level before the session", "next-day", " points", 10
    ),
    "not-settled-after-hours": SymptomMeasure("time the pain took to settle", "next-day", " hours", None),
    "no-improvement-weeks": SymptomMeasure("time without a meaningful improvement", "course", " weeks", None),
    "new-symptom": SymptomMeasure("a new symptom", "session", "", 1),
}
