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

An item may score its answers other than as given (``scored_as``: one scored
value per answer, e.g. a five-point item that counts 1 only for its two
highest answers); an item may name the ``construct`` it measures, a
``subscale`` adds the scored items of the constructs it names, and a band may
apply to a subscale instead of the total (``of``). Bands are tried in order:
the first whose range holds its score gives the label, so a subscale band
listed first outranks the total's bands (STarT Back: a high psychosocial
subscale is high risk whatever the total).

Item wording of licensed questionnaires is not reproduced: items carry the
section's name, and the patient or clinician scores each section from the
official form.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from .._common.errors import RehabkitError

__all__ = ["METHODS", "Band", "OutcomeItem", "OutcomeMeasure", "Score", "ScoringError", "Subscale"]

METHODS = ("percent-of-answered", "sum-prorated", "sum", "mean", "single")


class ScoringError(RehabkitError, ValueError):
    """Answers that cannot be scored (out of range, unknown item, nothing answered)."""


@attrs.frozen(slots=True)
class OutcomeItem:
    """One item (section) of a questionnaire, answered ``0..max``."""

    id: str
    label: str
    max: int
    #: What the lowest and highest scores mean, for the prompt.
    anchors: tuple[str, str] = ("", "")
    #: What each answer ``0..max`` means, in order, for the prompt (empty: the anchors say enough).
    choices: tuple[str, ...] = ()
    #: The score each answer ``0..max`` counts for, in order (empty: the answer itself).
    scored_as: tuple[int, ...] = ()
    #: What the item measures (``fear``, ``low-mood``): subscales name constructs, never positions.
    construct: str = ""

    def __attrs_post_init__(self) -> None:
        for name, values in (("choices", self.choices), ("scored_as", self.scored_as)):
            if values and len(values) != self.max + 1:
                raise ValueError(f"item {self.id!r}: {name} needs one entry for each answer 0 to {self.max}")

    def scored(self, answer: int) -> int:
        """The score an answer counts for."""
        return self.scored_as[answer] if self.scored_as else answer

    @property
    def top(self) -> int:
        """The most the item can score."""
        return max(self.scored_as) if self.scored_as else self.max

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OutcomeItem:
        """Build from plain data (an item of ``outcome_measures.json``)."""
        return cls(
            id=data["id"],
            label=data["label"],
            max=int(data["max"]),
            anchors=tuple(data.get("anchors", ("", ""))),
            choices=tuple(str(c) for c in data.get("choices", ())),
            scored_as=tuple(int(v) for v in data.get("scored_as", ())),
            construct=str(data.get("construct", "")),
        )


@attrs.frozen(slots=True)
class Subscale:
    """Part of a questionnaire scored on its own: the sum of the scored items measuring ``constructs``."""

    id: str
    label: str
    constructs: tuple[str, ...]


@attrs.frozen(slots=True)
class Band:
    """A named range of scores, inclusive at both ends."""

    low: float
    high: float
    label: str
    #: The subscale whose score the range applies to (``None``: the measure's score).
    of: str | None = None


@attrs.frozen(slots=True)
class Score:
    """A scored questionnaire: the value, its unit and band, and what was skipped."""

    measure: str
    value: float
    unit: str
    band: str | None
    answered: int
    skipped: tuple[str, ...]
    #: Each subscale's label and score, in the measure's order.
    subscales: tuple[tuple[str, float], ...] = ()

    def describe(self) -> str:
        """For example ``ODI 35.6 % (moderate), 9 of 10 items answered``."""
        band = f" ({self.band})" if self.band else ""
        parts = "".join(f", {label} {value:g}" for label, value in self.subscales)
        total = self.answered + len(self.skipped)
        items = f", {self.answered} of {total} items answered" if self.skipped else ""
        return f"{self.measure.upper()} {self.value:g} {self.unit}{band}{parts}{items}".replace("  ", " ")


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
    subscales: tuple[Subscale, ...] = ()

    def __attrs_post_init__(self) -> None:
        constructs = {item.construct for item in self.items if item.construct}
        for subscale in self.subscales:
            unknown = sorted(set(subscale.constructs) - constructs)
            if unknown:
                raise ValueError(f"{self.id}: subscale {subscale.id!r} names {unknown[0]!r}, which no item measures")
        named = {subscale.id for subscale in self.subscales}
        for band in self.bands:
            if band.of is not None and band.of not in named:
                raise ValueError(f"{self.id}: band {band.label!r} is of {band.of!r}, which is not a subscale")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OutcomeMeasure:
        """Build from plain data (the form of the shipped ``outcome_measures.json``)."""
        items = tuple(OutcomeItem.from_dict(i) for i in data["items"])
        bands = tuple(
            Band(low=b["low"], high=b["high"], label=b["label"], of=b.get("of")) for b in data.get("bands", ())
        )
        subscales = tuple(
            Subscale(id=s["id"], label=s["label"], constructs=tuple(s["constructs"])) for s in data.get("subscales", ())
        )
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
            subscales=subscales,
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
        scored = {key: known[key].scored(answer) for key, answer in given.items()}
        total = sum(scored.values())
        possible = sum(known[i].top for i in given)
        value: float
        if self.method == "percent-of-answered":
            value = total / possible * 100
        elif self.method == "sum-prorated":
            value = total * sum(item.top for item in self.items) / possible
        elif self.method == "sum":
            value = total
        elif self.method == "mean":
            value = total / len(given)
        else:
            (value,) = scored.values()
        value = round(value, 1)
        parts = self._subscale_scores(scored)
        return Score(
            measure=self.id,
            value=value,
            unit=self.unit,
            band=self.band(value, parts),
            answered=len(given),
            skipped=skipped,
            subscales=tuple((s.label, parts[s.id]) for s in self.subscales),
        )

    def _subscale_scores(self, scored: Mapping[str, int]) -> dict[str, float]:
        """Each subscale's score (subscale id -> the sum of its answered items' scores)."""
        constructs = {item.id: item.construct for item in self.items}
        return {
            sub.id: float(sum(v for key, v in scored.items() if constructs[key] in sub.constructs))
            for sub in self.subscales
        }

    @property
    def scale(self) -> tuple[float, float]:
        """The lowest and highest score the measure can give, from its items and method."""
        if self.method == "percent-of-answered":
            return (0.0, 100.0)
        if self.method in ("sum-prorated", "sum"):
            return (0.0, float(sum(item.top for item in self.items)))
        return (0.0, float(max((item.top for item in self.items), default=0)))

    def band(self, value: float, subscales: Mapping[str, float] | None = None) -> str | None:
        """The band a score falls in; between two bands' ends (20.5 with bands 0-20, 21-40), the higher band.

        A band of a subscale (``of``) is checked against ``subscales`` (subscale id -> score) in its turn; without
        them (a score recorded before) only the measure's own bands are looked at.
        """
        for band in self.bands:
            score = value if band.of is None else (subscales or {}).get(band.of)
            if score is not None and band.low <= score <= band.high:
                return band.label
        for band in self.bands:
            if band.of is None and value < band.low:
                return band.label
        return None
