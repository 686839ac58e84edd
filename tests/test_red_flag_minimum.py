"""The red-flag minimum set covers every region the shipped protocols treat, and every protocol asks at least one
question that refers urgently (issue 26 item 6), through the real `rehabkit validate` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from rehabkit._common.clinical_data import policy

REPO = Path(__file__).resolve().parent.parent
UPPER_BACK = REPO / "protocols" / "neck" / "upper-back-posture.yaml"

#: Five stop-and-review questions and nothing on fever, cancer, trauma or anything urgent: what validated clean before.
THIN_SCREENING = [
    {
        "id": f"question-{n}",
        "question": question,
        "covers": covers,
        "action": "stop-and-review",
        "message": "Stop the programme and see your clinician before you continue.",
    }
    for n, (question, covers) in enumerate(
        [
            ("Is your pain increasing, or spreading into an arm?", ["increasing-or-radiating-pain"]),
            ("Is an arm or hand numb, tingling or weak?", ["numbness-tingling-weakness"]),
            ("Is the pain severe at night or at rest?", ["night-or-rest-pain"]),
            ("Have your symptoms suddenly got much worse?", ["sudden-worsening"]),
            ("Have weeks of exercise brought no improvement?", ["no-improvement"]),
        ],
        start=1,
    )
]


def _upper_back_with(tmp_path: Path, red_flags: list[dict]) -> str:
    data = yaml.safe_load(UPPER_BACK.read_text())
    data["reviewed"] = str(data["reviewed"])
    data["red_flags"] = red_flags
    path = tmp_path / "upper-back.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(path)


def _rk301(rehabkit, path: str) -> list[str]:
    result = rehabkit("validate", path, "--format", "json")
    findings = json.loads(result.stdout)["files"][0]["findings"]
    return [f["message"] for f in findings if f["code"] == "RK301"]


def test_an_upper_back_protocol_without_fever_cancer_trauma_or_an_urgent_question_gets_findings(
    rehabkit, tmp_path
) -> None:
    path = _upper_back_with(tmp_path, THIN_SCREENING)
    result = rehabkit("validate", path)
    assert result.returncode == 1, result.stdout
    messages = _rk301(rehabkit, path)
    for words in (
        "fever or signs of infection",
        "a history of cancer",
        "unexplained weight loss",
        "a fall, blow or accident",
        "numbness or weakness in an arm together with upper-back pain (needed for the upper back)",
        "no red-flag question refers urgently",
    ):
        assert any(words in m for m in messages), (words, messages)
    assert not any("cauda equina" in m for m in messages)  # the lower back's own sign is not asked of the upper back


def test_adding_the_missing_questions_in_the_protocols_own_words_makes_it_valid(rehabkit, tmp_path) -> None:
    added = [
        {
            "id": "serious-causes",
            "question": "Have you had a fever, lost weight without trying, been told you have cancer, or had a fall?",
            "covers": ["infection-or-fever", "unexplained-weight-loss", "cancer-history", "significant-trauma"],
            "action": "stop-and-review",
            "message": "Do not exercise today and see your doctor soon.",
        },
        {
            "id": "arm-and-upper-back",
            "question": "With this upper-back pain, is an arm or hand newly numb or weak?",
            "covers": ["arm-numbness-or-weakness"],
            "action": "refer-urgently",
            "message": "Do not exercise. Get medical help today.",
        },
    ]
    path = _upper_back_with(tmp_path, THIN_SCREENING + added)
    assert _rk301(rehabkit, path) == []
    result = rehabkit("validate", path)
    assert result.returncode == 0, result.stdout
    weak = _upper_back_with(tmp_path, [*THIN_SCREENING, added[0], {**added[1], "action": "stop-and-review"}])
    result = rehabkit("validate", weak)  # arm numbness with upper-back pain needs same-day help (RK306)
    assert result.returncode == 1 and "RK306" in result.stdout


@pytest.mark.parametrize(
    ("region", "condition", "sign"),
    [
        ("the neck", "neck-pain", "spinal-cord-compression"),
        ("the upper back", "upper-back-postural-pain", "arm-numbness-or-weakness"),
        ("recovery from spine surgery", "post-surgical-lumbar", "wound-problem"),
        ("recovery from spine surgery", "post-surgical-lumbar", "blood-clot"),
    ],
)
def test_each_region_the_shipped_protocols_treat_has_its_signs_in_the_policy(region, condition, sign) -> None:
    groups = policy()["red_flags"]["region_required_signs"]
    assert any(g["region"] == region and condition in g["conditions"] and sign in g["signs"] for g in groups)
    assert {"infection-or-fever", "cancer-history", "significant-trauma"} <= set(
        policy()["red_flags"]["required_signs"]
    )


def test_every_shipped_protocol_asks_an_urgent_question_and_validates(rehabkit) -> None:
    result = rehabkit("validate", "protocols/")
    assert result.returncode == 0, result.stdout
    for path in sorted((REPO / "protocols").rglob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        if data.get("kind") == "protocol":
            assert any(q["action"] == "refer-urgently" for q in data["red_flags"]), path.name


def test_a_clinics_region_setting_is_checked() -> None:
    from rehabkit._plugins.policy_settings import settings_from

    with pytest.raises(ValueError, match="region_required_signs must be a list"):
        settings_from({"red_flags": {"region_required_signs": {"region": "the neck"}}})
    with pytest.raises(ValueError, match="unknown signs"):
        settings_from(
            {"red_flags": {"region_required_signs": [{"region": "x", "conditions": ["neck-pain"], "signs": ["nope"]}]}}
        )
    (setting,) = settings_from(
        {"red_flags": {"region_required_signs": [{"region": "x", "conditions": ["neck-pain"], "signs": ["other"]}]}}
    )
    assert setting.value == [{"region": "x", "conditions": ["neck-pain"], "signs": ["other"]}]
