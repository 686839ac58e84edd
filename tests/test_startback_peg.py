"""STarT Back and PEG (issue 26 item 16): data-defined measures scored through the real `rehabkit measure` command,
worked cases from CLINICAL.md, their stored value and band in history, report and FHIR, and in phase criteria."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from test_courses import Course, day

from rehabkit._plugins.manager import PluginManager
from rehabkit._sessions.outcomes import OutcomeMeasure, ScoringError

#: STarT Back's items in the form's order: eight agree (1) / disagree (0), then bothersomeness 0-4.
STARTBACK_ITEMS = (
    "leg-pain",
    "neck-shoulder-pain",
    "walking",
    "dressing",
    "fear",
    "worry",
    "catastrophising",
    "enjoyment",
    "bothersomeness",
)
#: Bothersomeness answers, 0 to 4.
NOT_AT_ALL, SLIGHTLY, MODERATELY, VERY_MUCH, EXTREMELY = range(5)


def startback_scores(*answers: int) -> list[str]:
    assert len(answers) == 9
    return [f"--score={item}={answer}" for item, answer in zip(STARTBACK_ITEMS, answers, strict=True)]


def peg_scores(pain: int, enjoyment: int, activity: int) -> list[str]:
    return [f"--score=pain={pain}", f"--score=enjoyment={enjoyment}", f"--score=activity={activity}"]


@pytest.fixture(scope="module")
def measures() -> dict[str, OutcomeMeasure]:
    manager = PluginManager()
    manager.load()
    registry = manager.registry(protocols=False)
    return {key: registered.item for key, registered in registry.outcome_measures.items()}


def _patient(cli, tmp_path: Path, patient: str = "LBP-1") -> Course:
    course = Course(cli, tmp_path, "low-back-pain-chronic", patient=patient)
    course.approve("acute", 0)
    return course


def _measured(course: Course, measure: str, scores: list[str], n: int = 1) -> dict:
    result = course.do("measure", course.patient, measure, *scores, "--format", "json", n=n)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --- worked cases through the real command ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "value", "band"),
    [
        ((0, 0, 0, 0, 0, 0, 0, 0, NOT_AT_ALL), 0, "low risk"),  # all disagree, not at all bothered
        ((1, 1, 1, 0, 0, 0, 0, 0, MODERATELY), 3, "low risk"),  # "moderately" does not count
        ((1, 1, 1, 1, 0, 0, 0, 0, NOT_AT_ALL), 4, "medium risk"),  # total 4, subscale 0
        ((1, 0, 0, 0, 1, 1, 0, 0, VERY_MUCH), 4, "medium risk"),  # total 4 with subscale 3: medium
        ((0, 0, 0, 0, 1, 1, 1, 0, EXTREMELY), 4, "high risk"),  # subscale 4: high whatever the total
        ((1, 1, 1, 1, 1, 1, 1, 1, EXTREMELY), 9, "high risk"),
        ((1, 1, 1, 1, 1, 1, 1, 1, SLIGHTLY), 8, "high risk"),  # subscale 4 without bothersomeness
        ((1, 1, 1, 1, 1, 0, 1, 0, SLIGHTLY), 6, "medium risk"),  # subscale 2
    ],
)
def test_startback_scores_and_bands_through_the_measure_command(cli, tmp_path, answers, value, band) -> None:
    course = _patient(cli, tmp_path)
    scored = _measured(course, "startback", startback_scores(*answers))
    assert (scored["value"], scored["unit"], scored["band"]) == (value, "/9", band)
    psychosocial = sum(answers[4:8]) + (answers[8] >= VERY_MUCH)  # fear, worry, catastrophising, mood, bother
    assert scored["subscales"] == {"psychosocial subscale": psychosocial}
    history = course.history()
    assert [(m["measure"], m["value"], m["band"]) for m in history["measures"]] == [("startback", value, band)]


def test_startback_text_names_the_psychosocial_subscale_and_history_shows_the_band(cli, tmp_path) -> None:
    course = _patient(cli, tmp_path)
    result = course.do("measure", "LBP-1", "startback", *startback_scores(1, 0, 0, 0, 1, 1, 0, 0, VERY_MUCH), n=1)
    assert result.exit_code == 0, result.output
    assert "STARTBACK 4 /9 (medium risk), psychosocial subscale 3: recorded for LBP-1." in result.stdout
    shown = course.cli("history", "LBP-1", "--db", course.db)
    assert f"{day(1)}  startback: 4 (medium risk)" in shown.stdout


def test_peg_is_the_mean_of_its_three_items_without_a_band(cli, tmp_path) -> None:
    course = _patient(cli, tmp_path)
    scored = _measured(course, "peg", peg_scores(3, 5, 7))
    assert (scored["value"], scored["unit"], scored["band"], scored["subscales"]) == (5.0, "/10", None, {})
    assert _measured(course, "peg", peg_scores(2, 3, 3), n=2)["value"] == 2.7  # rounded to one decimal
    assert [(m["measure"], m["value"]) for m in course.history()["measures"]] == [("peg", 5.0), ("peg", 2.7)]


def test_startback_and_peg_need_every_item_and_refuse_answers_out_of_range(cli, tmp_path) -> None:
    course = _patient(cli, tmp_path)
    skipped = course.do(
        "measure",
        "LBP-1",
        "startback",
        *startback_scores(0, 0, 0, 0, 0, 0, 0, 0, 0)[:8],
        "--skip",
        "bothersomeness",
        n=1,
    )
    assert skipped.exit_code == 1 and "at least 9 item(s)" in skipped.stderr
    too_high = course.do("measure", "LBP-1", "startback", *startback_scores(2, 0, 0, 0, 0, 0, 0, 0, 0), n=1)
    assert too_high.exit_code == 1 and "from 0 to 1" in too_high.stderr
    bother = course.do("measure", "LBP-1", "startback", *startback_scores(0, 0, 0, 0, 0, 0, 0, 0, 5), n=1)
    assert bother.exit_code == 1 and "from 0 to 4" in bother.stderr
    peg = course.do("measure", "LBP-1", "peg", *peg_scores(3, 5, 7)[:2], "--skip", "activity", n=1)
    assert peg.exit_code == 1 and "at least 3 item(s)" in peg.stderr
    assert course.history()["measures"] == []


def test_the_measure_command_asks_startback_in_the_forms_order_with_what_each_answer_means(rehabkit, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    approved = rehabkit("approve", "LBP-1", "--protocol", "low-back-pain-chronic", "--phase", "acute", "--db", db)
    assert approved.returncode == 0, approved.stderr
    answers = "\n".join(["0", "0", "1", "0", "1", "1", "1", "0", "3"]) + "\n"
    result = rehabkit("measure", "LBP-1", "startback", "--db", db, input=answers)
    assert result.returncode == 0, result.stderr
    assert "STARTBACK 5 /9 (high risk), psychosocial subscale 4: recorded for LBP-1." in result.stdout
    prompts = [line for line in result.stdout.replace(": ", ":\n").splitlines() if line.startswith("Item ")]
    assert [p.split(",")[0] for p in prompts] == [f"Item {n}" for n in range(1, 10)]
    assert "(0 disagree, 1 agree; blank to skip)" in prompts[0]
    assert "(0 not at all, 1 slightly, 2 moderately, 3 very much, 4 extremely; blank to skip)" in prompts[8]


# --- the scoring interface ---------------------------------------------------------------------------------------


def test_startback_scores_by_construct_not_by_position(measures) -> None:
    startback = measures["startback"]
    assert [item.id for item in startback.items] == list(STARTBACK_ITEMS)
    assert {item.construct for item in startback.items if item.construct} >= {"fear", "anxiety", "low-mood"}
    assert startback.scale == (0.0, 9.0)
    assert startback.reference.startswith("Hill JC") and "Keele" in startback.reference
    assert measures["peg"].reference.startswith("Krebs EE") and measures["peg"].scale == (0.0, 10.0)
    reordered = OutcomeMeasure.from_dict(
        {
            "id": "shuffled",
            "name": "Shuffled",
            "method": "sum",
            "unit": "/9",
            "items": [
                {"id": i.id, "label": i.label, "max": i.max, "construct": i.construct, "scored_as": list(i.scored_as)}
                for i in reversed(startback.items)
            ],
            "subscales": [{"id": "psychosocial", "label": "psychosocial", "constructs": ["fear", "anxiety"]}],
            "bands": [
                {"of": "psychosocial", "low": 2, "high": 2, "label": "both"},
                {"low": 0, "high": 9, "label": "-"},
            ],
        }
    )
    score = reordered.score({"fear": 1, "worry": 1, "bothersomeness": 3})
    assert (score.value, score.band, score.subscales) == (3, "both", (("psychosocial", 2.0),))  # "very much" counts 1


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"scored_as": [0, 1]}, "one entry for each answer 0 to 4"),
        ({"choices": ["a", "b"]}, "one entry for each answer 0 to 4"),
    ],
)
def test_an_items_scoring_must_cover_every_answer(measures, change, words) -> None:
    data = {
        "id": "x",
        "name": "X",
        "method": "sum",
        "unit": "",
        "items": [{"id": "a", "label": "A", "max": 4, **change}],
    }
    with pytest.raises(ValueError, match=words):
        OutcomeMeasure.from_dict(data)


def test_subscales_and_bands_must_name_what_exists() -> None:
    item = {"id": "a", "label": "A", "max": 1, "construct": "fear"}
    with pytest.raises(ValueError, match="'mood', which no item measures"):
        OutcomeMeasure.from_dict(
            {"id": "x", "name": "X", "method": "sum", "unit": "", "items": [item],
             "subscales": [{"id": "s", "label": "s", "constructs": ["mood"]}]}
        )  # fmt: skip
    with pytest.raises(ValueError, match="is of 'other', which is not a subscale"):
        OutcomeMeasure.from_dict(
            {"id": "x", "name": "X", "method": "sum", "unit": "", "items": [item],
             "bands": [{"of": "other", "low": 0, "high": 1, "label": "b"}]}
        )  # fmt: skip
    with pytest.raises(ScoringError):
        OutcomeMeasure.from_dict({"id": "x", "name": "X", "method": "sum", "unit": "", "items": [item]}).score({"a": 2})


# --- report, FHIR and phase criteria --------------------------------------------------------------------------------


def test_the_report_and_the_fhir_export_carry_the_stored_score_and_band(cli, tmp_path) -> None:
    course = _patient(cli, tmp_path)
    for n in range(2):
        result, _ = course.run(n)
        assert result.exit_code == 0, result.output
    _measured(course, "startback", startback_scores(0, 0, 0, 0, 1, 1, 1, 0, EXTREMELY), n=1)  # total 4, high
    _measured(course, "peg", peg_scores(3, 5, 7), n=1)
    out = tmp_path / "r.html"
    report = course.do("report", "LBP-1", "-o", str(out), n=2)
    assert report.exit_code == 0, report.output
    text = out.read_text(encoding="utf-8")
    assert "STarT Back Screening Tool" in text and "latest: high risk" in text
    assert "PEG pain intensity and interference scale" in text
    exported = course.do("export", "--patient", "LBP-1", "--fhir", "r4b", n=2)
    assert exported.exit_code == 0, exported.output
    bundle = json.loads(exported.stdout)
    responses = [
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "QuestionnaireResponse" and "measure-" in e["resource"]["questionnaire"]
    ]
    answers = [{i["linkId"]: next(iter(i["answer"][0].values())) for i in r["item"]} for r in responses]
    assert answers == [{"score": 4, "band": "high risk"}, {"score": 5.0}]
    titles = {e["resource"].get("title") for e in bundle["entry"] if e["resource"]["resourceType"] == "Questionnaire"}
    assert {"STarT Back Screening Tool", "PEG pain intensity and interference scale"} <= titles


def _gated_by(tmp_path: Path, criterion: dict) -> str:
    data = yaml.safe_load((Path(__file__).parent / "corpus" / "good" / "minimal.yaml").read_text())
    data["reviewed"] = str(data["reviewed"])
    first = data["phases"][0]
    first["exit"] = {"summary": "A score low enough.", "all": [criterion]}
    second = {**copy.deepcopy(first), "id": "strength", "name": "Strength"}
    second["entry"] = {
        "summary": "The first phase is complete.",
        "all": [{"measure": "phase-completed", "phase": "acute"}],
    }
    second["exit"] = {"summary": "The clinician decides.", "all": [{"measure": "clinician-approval", "equals": True}]}
    data["phases"].append(second)
    path = tmp_path / f"gated-{criterion['measure']}.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


@pytest.mark.parametrize(
    ("criterion", "measure", "high", "low"),
    [
        ({"measure": "startback-total", "at_most": 3}, "startback", (1, 1, 1, 1, 0, 0, 0, 0, 0),
         (1, 1, 0, 0, 0, 0, 0, 0, 0)),
        ({"measure": "peg-mean", "at_most": 4}, "peg", (6, 6, 6), (3, 5, 3)),
    ],
)  # fmt: skip
def test_a_phase_criterion_uses_the_latest_score(cli, tmp_path, criterion, measure, high, low) -> None:
    scores = startback_scores if measure == "startback" else peg_scores
    course = Course(cli, tmp_path, _gated_by(tmp_path, criterion), patient="LBP-2")
    _result, out = course.run(0)  # no score yet: the phase waits for one
    assert out["decision"]["action"] != "progress"
    _measured(course, measure, scores(*high), n=1)
    _result, out = course.run(1)
    assert out["decision"]["action"] != "progress"
    waiting = {d["measure"]: d["value"] for d in out["decision"]["details"]}
    assert waiting[criterion["measure"]] > criterion["at_most"]
    _measured(course, measure, scores(*low), n=2)
    _result, out = course.run(2)
    assert (out["decision"]["action"], out["decision"]["next_phase"]) == ("progress", "strength")


@pytest.mark.parametrize(("measure", "threshold"), [("startback-total", 12), ("peg-mean", 11)])
def test_a_threshold_beyond_the_scores_scale_is_a_lint_error(cli, tmp_path, measure, threshold) -> None:
    fine = cli("validate", _gated_by(tmp_path, {"measure": measure, "at_most": 3}))
    assert fine.exit_code == 0, fine.output
    beyond = cli("validate", _gated_by(tmp_path, {"measure": measure, "at_most": threshold}))
    assert beyond.exit_code != 0 and "RK202" in beyond.output
