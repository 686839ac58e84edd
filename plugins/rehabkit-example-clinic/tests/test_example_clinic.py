"""The example-clinic pack's own tests, written with rehabkit's pytest fixtures.

They are the reference for pack authors: each uses ``rehabkit_pack`` (the pack
alone) or ``rehabkit_packs(...)`` (the pack plus named installed packs).
"""

from __future__ import annotations

import pytest

CALM = {"screening": {"all": False}, "pain_before": 2, "exercises": {"all": 2}, "pain_after": 2, "new_symptom": False}
#: The clinician has assessed the patient and approved the first phase (its gate asks for it).
APPROVED = {"clinician-approval": True}


def test_the_pack_loads_and_registers_what_it_promises(rehabkit_pack):
    rehabkit_pack.assert_loaded()
    assert set(rehabkit_pack.status.hooks) == {
        "rehabkit_register_clinical_policy",
        "rehabkit_register_commands",
        "rehabkit_register_lint_rules",
        "rehabkit_register_outcome_measures",
        "rehabkit_register_renderers",
        "rehabkit_register_screening",
    }
    assert list(rehabkit_pack.contributed("screening")) == ["immune-or-steroid-treatment"]
    assert list(rehabkit_pack.contributed("lint_rules")) == ["EXC001"]
    assert list(rehabkit_pack.contributed("outcome_measures")) == ["psfs"]
    assert list(rehabkit_pack.contributed("commands")) == ["dose-table"]
    assert list(rehabkit_pack.contributed("renderers")) == ["clinic-handout"]
    assert list(rehabkit_pack.contributed("clinical_policy")) == ["red_flags.required_signs"]


def test_exc001_warns_about_a_phase_with_too_many_exercises(rehabkit_pack, tmp_path):
    exercises = [
        {
            "id": f"move-{n}",
            "name": f"Move {n}",
            "component": "mobility-and-flexibility",
            "region": "lumbar",
            "steps": ["Move gently."],
        }
        for n in range(7)
    ]
    document = {
        "kind": "protocol",
        "id": "busy",
        "version": "1.0.0",
        "title": "Busy",
        "summary": "Too much.",
        "conditions": ["low-back-pain-acute"],
        "exercises": exercises,
        "supervision": {"clinical_assessment_required": True, "statement": "Assumes an assessment."},
        "phases": [
            {
                "id": "only",
                "name": "Only",
                "focus": ["mobility-and-flexibility"],
                "exercises": [{"exercise": e["id"]} for e in exercises],
            }
        ],
        "red_flags": [{"id": "x", "question": "Any?", "action": "stop-and-review", "message": "Stop."}],
        "symptom_rules": [
            {"id": "pain", "measure": "pain-during", "above": 5, "action": "regress", "message": "Ease off."}
        ],
        "references": [{"citation": "Test."}],
        "reviewed": "2026-01-01",
    }
    findings = {f.code: f for f in rehabkit_pack.check(document)}
    assert "RK020" not in findings  # the document itself matches the schema
    assert findings["EXC001"].json_path == "$.phases[0].exercises"
    assert "7 exercises" in findings["EXC001"].message
    document["phases"][0]["exercises"] = document["phases"][0]["exercises"][:6]
    assert "EXC001" not in {f.code for f in rehabkit_pack.check(document)}


def test_psfs_scores_the_mean_of_the_activities_answered(rehabkit_pack):
    psfs = rehabkit_pack.registry.measure("psfs")
    score = psfs.score({"activity-1": 3, "activity-2": 5, "activity-3": 7, "activity-4": None, "activity-5": None})
    assert score.value == pytest.approx(5.0)
    assert psfs.criterion == "psfs-mean"


@pytest.mark.rehabkit_with("exercises", "neck")
def test_the_screening_question_stops_a_session_in_another_packs_protocol(rehabkit_pack):
    rehabkit_pack.assert_loaded()
    answers = {**CALM, "screening": {"all": False, "immune-or-steroid-treatment": True}}
    session = rehabkit_pack.run_session("neck-pain", answers, approvals=APPROVED)
    assert session.outcome.stopped_by_screening
    assert session.action == "stop-and-review"
    assert "tell your clinician before you exercise again" in " ".join(session.outcome.messages)


@pytest.mark.rehabkit_with("exercises", "neck")
def test_a_calm_session_asks_the_question_and_goes_on(rehabkit_pack):
    session = rehabkit_pack.run_session("neck-pain", CALM, approvals=APPROVED)
    assert not session.outcome.stopped_by_screening
    assert session.action == "continue"


def test_the_clinic_handout_renders_a_phase_for_the_patient(rehabkit_packs, tmp_path):
    harness = rehabkit_packs("exercises", "low-back")
    out = tmp_path / "h.md"
    result = harness.invoke(
        "handout", "low-back-pain-acute", "--phase", "recovery", "--renderer", "clinic-handout", "-o", str(out)
    )
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    protocol = harness.registry.find_protocol("low-back-pain-acute").item
    from rehabkit_example_clinic.handout import md  # protocol text is escaped for Markdown

    assert text.startswith("**Example Spine Clinic")
    assert md(protocol.supervision.statement) in text
    library = harness.registry.exercise_library()
    for ref in protocol.phase("recovery").exercises:
        assert md(library[ref.exercise].name) in text


def test_the_dose_table_lists_every_phase(rehabkit_packs):
    result = rehabkit_packs("exercises", "neck").invoke("dose-table", "neck-pain")
    assert result.exit_code == 0, result.output
    assert [line.split(":")[0] for line in result.output.splitlines() if not line.startswith(" ")] == [
        "acute",
        "recovery",
        "maintenance",
    ]
