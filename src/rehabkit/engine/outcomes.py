"""Outcome measures: questionnaires scored by their published rules.

A measure is data (``OutcomeMeasure``): its items, the highest score of each
item, how the item scores combine, and the bands its score falls into. The
scoring code here is generic; the measures themselves come through the
``rehabkit_register_outcome_measures`` hook (rehabkit's own numeric pain
rating, Oswestry and Neck Disability Index definitions are data files of the
``core`` pack, with their references). Pure, as the rest of the engine: no I/O
(``rehabkit.OutcomeMeasure``; the old path ``rehabkit._sessions.outcomes`` still imports).

Scoring methods:

* ``percent-of-answered``: sum of the answered items divided by the most they
  could score, times 100. Each skipped item lowers the denominator by its
  maximum (the Oswestry rule: 16 of 50 is 32 %; 16 with one section skipped is
  16/45 = 35.6 %).
* ``sum-prorated``: the sum, scaled up to all items when some are skipped
  (the Neck Disability Index raw score out of 50, whose percentage is twice it).
* ``sum``: the plain total of the answered items (EAT-10 and many other
  questionnaires); set ``min_answered`` to the number of items when the
  published rule needs every item answered.
* ``mean``: the mean of the answered items (Patient-Specific Functional Scale).
* ``single``: one item, its value (numeric pain rating).

Item wording of licensed questionnaires is not reproduced: items carry the
section's name, and the patient or clinician scores each section from the
official form.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from .._common.errors import RehabkitError

__all__ = ["METHODS", "Band", "OutcomeItem", "OutcomeMeasure", "Score", "ScoringError"]

METHODS = ("percent-of-answered", "sum-prorated", "sum", "mean", "single")


class ScoringError(RehabkitError, ValueError):
    """Answers that cannot be scored (out of range, unknown item, nothing answered)."""


@attrs.frozen(slots=True)
class OutcomeItem:
    """One item (section) of a questionnaire, scored ``0..max``."""

    id: str
    label: str
    max: int
    #: What the lowest and highest scores mean, for the prompt.
    anchors: tuple[str, str] = ("", "")


@attrs.frozen(slots=True)
class Band:
    """A named range of scores, inclusive at both ends."""

    low: float
    high: float
    label: str


@attrs.frozen(slots=True)
class Score:
    """A scored questionnaire: the value, its unit and band, and what was skipped."""

    measure: str
    value: float
    unit: str
    band: str | None
    answered: int
    skipped: tuple[str, ...]

    def describe(self) -> str:
        """For example ``ODI 35.6 % (moderate), 9 of 10 items answered``."""
        band = f" ({self.band})" if self.band else ""
        total = self.answered + len(self.skipped)
        items = f", {self.answered} of {total} items answered" if self.skipped else ""
        return f"{self.measure.upper()} {self.value:g} {self.unit}{band}{items}".replace("  ", " ")


def _change(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
        raise ValueError(f"meaningful_change must be a number above 0 (got {value!r})")
    return float(value)


@attrs.frozen(slots=True)
class OutcomeMeasure:
    """A questionnaire and its published scoring rule.

    ``criterion`` names the protocol criterion measure its score feeds
    (``odi-percent``, ``ndi-raw``, ``psfs-mean``, ``pain-at-rest``).
    """

    id: str
    name: str
    method: str = attrs.field(validator=attrs.validators.in_(METHODS))
    items: tuple[OutcomeItem, ...]
    unit: str
    criterion: str | None = None
    bands: tuple[Band, ...] = ()
    #: At least this many items must be answered for a score.
    min_answered: int = 1
    reference: str = ""
    pack: str = "core"
    #: The smallest change in score that matters to a patient (from the measure's reference), if known.
    meaningful_change: float | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OutcomeMeasure:
        """Build from plain data (the form of the shipped ``outcome_measures.json``)."""
        items = tuple(
            OutcomeItem(id=i["id"], label=i["label"], max=int(i["max"]), anchors=tuple(i.get("anchors", ("", ""))))
            for i in data["items"]
        )
        bands = tuple(Band(low=b["low"], high=b["high"], label=b["label"]) for b in data.get("bands", ()))
        return cls(
            id=data["id"],
            name=data["name"],
            method=data["method"],
            items=items,
            unit=data["unit"],
            criterion=data.get("criterion"),
            bands=bands,
            min_answered=int(data.get("min_answered", 1)),
            reference=data.get("reference", ""),
            meaningful_change=_change(data.get("meaningful_change")),
        )

    def score(self, answers: Mapping[str, int | None]) -> Score:
        """Score ``answers`` (item id -> score, ``None`` for a skipped item).

        Raises :class:`ScoringError` naming the item for an unknown item, a
        score out of range, or too few answers.
        """
        known = {item.id: item for item in self.items}
        unknown = sorted(set(answers) - set(known))
        if unknown:
            raise ScoringError(f"{self.name}: unknown item {unknown[0]!r}; items are {', '.join(known)}.")
        given: dict[str, int] = {}
        for item in self.items:
            answer = answers.get(item.id)
            if answer is None:
                continue
            if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer <= item.max:
                raise ScoringError(
                    f"{self.name}: {item.label} must be a whole number from 0 to {item.max} (got {answer!r})."
                )
            given[item.id] = answer
        if len(given) < self.min_answered:
            raise ScoringError(f"{self.name}: at least {self.min_answered} item(s) must be answered to give a score.")
        skipped = tuple(item.id for item in self.items if item.id not in given)
        total = sum(given.values())
        possible = sum(known[i].max for i in given)
        value: float
        if self.method == "percent-of-answered":
            value = total / possible * 100
        elif self.method == "sum-prorated":
            value = total * sum(item.max for item in self.items) / possible
        elif self.method == "sum":
            value = total
        elif self.method == "mean":
            value = total / len(given)
        else:
            (value,) = given.values()
        value = round(value, 1)
        return Score(
            measure=self.id, value=value, unit=self.unit, band=self.band(value), answered=len(given), skipped=skipped
        )

    @property
    def scale(self) -> tuple[float, float]:
        """The lowest and highest score the measure can give, from its items and method."""
        if self.method == "percent-of-answered":
            return (0.0, 100.0)
        if self.method in ("sum-prorated", "sum"):
            return (0.0, float(sum(item.max for item in self.items)))
        return (0.0, float(max((item.max for item in self.items), default=0)))

    def band(self, value: float) -> str | None:
        """The band a score falls in; between two bands' ends (20.5 with bands 0-20, 21-40), the higher band."""
        for band in self.bands:
            if band.low <= value <= band.high:
                return band.label
        for band in self.bands:
            if value < band.low:
                return band.label
        return None
