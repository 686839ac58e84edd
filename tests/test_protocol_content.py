"""What the clinical review asked of the shipped content, checked on the documents themselves."""

from __future__ import annotations

import pytest

from rehabkit._documents.loader import load_file
from rehabkit._documents.validation import iter_document_files
from rehabkit.model import ExerciseLibrary, Protocol

from conftest import PROTOCOLS

DOCUMENTS = [load_file(str(path)).data for path in sorted(iter_document_files(PROTOCOLS))]
PROTOCOL_LIST = [Protocol.from_dict(d) for d in DOCUMENTS if d["kind"] == "protocol"]
LIBRARY = next(ExerciseLibrary.from_dict(d) for d in DOCUMENTS if d["kind"] == "exercise-library")
EXERCISES = {e.id: e for e in LIBRARY.exercises}
HANGING = sorted(e.id for e in LIBRARY.exercises if "hang" in e.movements)
LOW_BACK = [
    p
    for p in PROTOCOL_LIST
    if set(p.conditions)
    & {
        "low-back-pain-acute",
        "low-back-pain-chronic",
        "recurrent-back-pain",
        "disc-problem-conservative",
        "stiffness-after-injury-or-rest",
    }
]
BY_ID = {p.id: p for p in PROTOCOL_LIST}


def _uses(protocol: Protocol, exercise_ids: list[str]) -> bool:
    return any(ref.exercise in exercise_ids for phase in protocol.phases for ref in phase.exercises)


@pytest.mark.parametrize("exercise", HANGING)
def test_hanging_exercises_rule_out_instability_osteoporosis_and_spine_surgery(exercise: str) -> None:
    text = " ".join(EXERCISES[exercise].contraindications).lower()
    assert "unstable spine" in text or "instability" in text
    assert "osteoporosis" in text
    assert "spine surgery" in text or "spinal surgery" in text


def test_no_hanging_exercise_swings_the_legs() -> None:
    for exercise in HANGING:
        steps = " ".join(EXERCISES[exercise].steps).lower()
        assert "swing them" not in steps and "circular" not in steps, exercise


@pytest.mark.parametrize("protocol", [p for p in PROTOCOL_LIST if _uses(p, HANGING)], ids=lambda p: p.id)
def test_a_protocol_that_prescribes_hanging_asks_about_osteoporosis_and_leaves_it_out_on_a_yes(
    protocol: Protocol,
) -> None:
    asks = [q for q in protocol.red_flags if "osteoporosis" in q.covers]
    assert asks and any("hang" in q.omit_movements for q in asks)


def test_after_spine_surgery_hanging_is_never_allowed_on_the_patients_word() -> None:
    post = BY_ID["post-surgical-lumbar"]
    assert not _uses(post, HANGING)
    hang = [p for p in post.precautions if p.movement == "hang"]
    assert hang and not hang[0].surgeon_may_override and hang[0].until_weeks_after_surgery is None
    assert any("significant-trauma" in q.covers for q in post.red_flags)  # a fall since surgery


@pytest.mark.parametrize("protocol", LOW_BACK, ids=lambda p: p.id)
def test_new_weakness_in_one_leg_is_urgent_in_every_low_back_protocol(protocol: Protocol) -> None:
    urgent = [
        q
        for q in protocol.red_flags
        if q.action == "refer-urgently"
        and "weak" in q.question.lower()
        and ("leg" in q.question.lower() or "foot" in q.question.lower())
    ]
    assert urgent, [q.id for q in protocol.red_flags]


@pytest.mark.parametrize("protocol_id", ["neck-pain", "neck-arm-pain"])
def test_neck_protocols_screen_for_spinal_cord_signs(protocol_id: str) -> None:
    cord = [q for q in BY_ID[protocol_id].red_flags if "spinal-cord-compression" in q.covers]
    assert cord and cord[0].action == "refer-urgently"
    assert "clumsy" in cord[0].question.lower() and "walk" in cord[0].question.lower()


@pytest.mark.parametrize("protocol", PROTOCOL_LIST, ids=lambda p: p.id)
def test_immunosuppression_is_screened_wherever_systemic_red_flags_are(protocol: Protocol) -> None:
    covers = {sign for q in protocol.red_flags for sign in q.covers}
    if covers & {"infection-or-fever", "unexplained-weight-loss", "cancer-history"}:
        assert "immunosuppression" in covers


@pytest.mark.parametrize("protocol", LOW_BACK, ids=lambda p: p.id)
def test_low_back_maintenance_phases_include_postural_correction(protocol: Protocol) -> None:
    last = protocol.phases[-1]
    assert "postural-and-movement-re-education" in last.focus
    assert any(
        EXERCISES[ref.exercise].component == "postural-and-movement-re-education"
        for ref in last.exercises
        if ref.exercise in EXERCISES
    )


@pytest.mark.parametrize("protocol", PROTOCOL_LIST, ids=lambda p: p.id)
def test_a_question_about_the_legs_does_not_answer_about_the_arms(protocol: Protocol) -> None:
    for question in protocol.red_flags:
        asks, says = question.question.lower(), question.message.lower()
        if "leg" in asks and "arm" not in asks:
            assert "arm" not in says, question.id
        if "arm" in asks and "leg" not in asks:
            assert " leg" not in says, question.id


@pytest.mark.parametrize("protocol", PROTOCOL_LIST, ids=lambda p: p.id)
def test_every_protocol_carries_the_daily_habits(protocol: Protocol) -> None:
    advice = " ".join(protocol.advice).lower()
    assert "break" in advice or "get up" in advice or "change position" in advice  # movement breaks
    assert "weight" in advice and ("mattress" in advice or "pillow" in advice)
