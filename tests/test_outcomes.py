"""Outcome measures score by their published rules, skipped items included (worked examples from CLINICAL.md)."""

from __future__ import annotations

import pytest

from rehabkit._plugins.manager import PluginManager
from rehabkit._sessions.outcomes import OutcomeMeasure, ScoringError


@pytest.fixture(scope="module")
def measures() -> dict[str, OutcomeMeasure]:
    manager = PluginManager()
    manager.load()
    registry = manager.registry(protocols=False)
    return {key: registered.item for key, registered in registry.outcome_measures.items()}


def _answers(measure: OutcomeMeasure, scores: list[int | None]) -> dict[str, int | None]:
    return {item.id: score for item, score in zip(measure.items, scores, strict=True)}


def test_core_registers_pain_rating_odi_and_ndi_through_the_hook(measures) -> None:
    assert sorted(measures) == ["ndi", "nprs", "odi", "peg", "startback"]
    assert all(m.pack == "core" and m.reference for m in measures.values())
    assert [m.criterion for m in (measures["odi"], measures["ndi"], measures["nprs"])] == [
        "odi-percent",
        "ndi-raw",
        "pain-at-rest",
    ]


def test_odi_16_of_50_is_32_percent_moderate(measures) -> None:
    odi = measures["odi"]
    score = odi.score(_answers(odi, [2, 1, 3, 1, 2, 2, 1, 0, 2, 2]))
    assert (score.value, score.unit, score.band, score.answered, score.skipped) == (
        32.0,
        "%",
        "moderate disability",
        10,
        (),
    )


def test_odi_with_one_section_skipped_divides_by_45(measures) -> None:
    odi = measures["odi"]
    score = odi.score(_answers(odi, [2, 1, 3, 1, 2, 2, 1, None, 2, 2]))
    assert score.value == 35.6  # 16 / 45
    assert score.skipped == ("sex-life",)
    assert score.describe() == "ODI 35.6 % (moderate disability), 9 of 10 items answered"


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal disability"),
        (10, "minimal disability"),
        (11, "moderate disability"),
        (25, "severe disability"),
        (35, "crippled"),
        (45, "bed-bound"),
        (50, "bed-bound"),
    ],
)
def test_odi_bands(measures, total: int, band: str) -> None:
    odi = measures["odi"]
    scores = [min(5, max(0, total - 5 * i)) for i in range(10)]
    assert odi.score(_answers(odi, scores)).band == band


def test_ndi_raw_score_and_bands(measures) -> None:
    ndi = measures["ndi"]
    score = ndi.score(_answers(ndi, [2, 1, 2, 2, 3, 1, 2, 2, 2, 1]))
    assert (score.value, score.unit, score.band) == (18.0, "/50", "moderate disability")
    mild = ndi.score(_answers(ndi, [1, 0, 1, 1, 1, 0, 1, 1, 1, 0]))
    assert (mild.value, mild.band) == (7.0, "mild disability")
    assert ndi.score(_answers(ndi, [0] * 10)).band == "no disability"
    assert ndi.score(_answers(ndi, [4] * 10)).band == "complete disability"


def test_ndi_with_driving_skipped_is_prorated_to_50(measures) -> None:
    ndi = measures["ndi"]
    score = ndi.score(_answers(ndi, [2, 1, 2, 2, 3, 1, 2, None, 2, 1]))
    assert score.value == 17.8  # 16 of 45 -> 35.6 %, raw-equivalent 16 x 50/45
    assert score.skipped == ("driving",)


def test_pain_rating_is_the_single_answer(measures) -> None:
    nprs = measures["nprs"]
    assert nprs.score({"pain": 6}).value == 6


@pytest.mark.parametrize(
    ("answers", "words"),
    [
        ({"pain-intensity": 6}, "Section 1, pain intensity must be a whole number from 0 to 5 (got 6)"),
        ({"pain-intensity": -1}, "from 0 to 5 (got -1)"),
        ({"pain-intensity": True}, "(got True)"),
        ({"nope": 1}, "unknown item 'nope'"),
        ({}, "at least 1 item(s) must be answered"),
    ],
)
def test_bad_answers_are_named(measures, answers, words: str) -> None:
    with pytest.raises(ScoringError, match=__import__("re").escape(words)):
        measures["odi"].score(answers)


def test_a_pack_registers_a_measure_as_a_mapping() -> None:
    psfs = OutcomeMeasure.from_dict(
        {
            "id": "psfs",
            "name": "Patient-Specific Functional Scale",
            "method": "mean",
            "unit": "/10",
            "criterion": "psfs-mean",
            "items": [{"id": f"activity-{n}", "label": f"Activity {n}", "max": 10} for n in (1, 2, 3)],
        }
    )
    assert psfs.score({"activity-1": 4, "activity-2": 6, "activity-3": 8}).value == 6.0


def test_a_plain_sum_adds_the_answered_items() -> None:
    from rehabkit._sessions.outcomes import OutcomeMeasure, ScoringError

    eat10 = OutcomeMeasure.from_dict(
        {
            "id": "eat10",
            "name": "Eating Assessment Tool",
            "method": "sum",
            "unit": "points",
            "min_answered": 10,
            "items": [{"id": f"item-{n}", "label": f"Item {n}", "max": 4} for n in range(1, 11)],
            "bands": [{"low": 0, "high": 2, "label": "normal"}, {"low": 3, "high": 40, "label": "abnormal"}],
        }
    )
    score = eat10.score({f"item-{n}": n % 3 for n in range(1, 11)})
    assert (score.value, score.band) == (sum(n % 3 for n in range(1, 11)), "abnormal")
    with pytest.raises(ScoringError, match="at least 10 item"):
        eat10.score({"item-1": 1})
