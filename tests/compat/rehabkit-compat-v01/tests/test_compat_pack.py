"""The pack's own tests, as written for rehabkit 0.1 with its pytest fixtures (kept unchanged)."""

CALM = {"screening": {"all": False}, "pain_before": 2, "exercises": {"all": 2}, "pain_after": 2, "new_symptom": False}


def test_the_pack_loads(rehabkit_pack):
    rehabkit_pack.assert_loaded()
    assert list(rehabkit_pack.contributed("lint_rules")) == ["CVX001"]
    assert list(rehabkit_pack.contributed("outcome_measures")) == ["arm-pain-nrs"]


def test_the_protocol_is_clean(rehabkit_pack):
    rehabkit_pack.assert_protocols_clean()


def test_a_calm_session_goes_on(rehabkit_pack):
    session = rehabkit_pack.run_session("compat-cervical-postop", CALM)
    assert session.action == "continue"


def test_the_screening_question_stops_a_session(rehabkit_pack):
    answers = {**CALM, "screening": {"all": False, "compat-new-medicine": True}}
    session = rehabkit_pack.run_session("compat-cervical-postop", answers)
    assert session.action == "stop-and-review"
