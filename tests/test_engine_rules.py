"""The engine's screening and symptom-rule decisions, on the shipped protocols' own data."""

from __future__ import annotations

import pytest

from rehabkit.engine import Observation, evaluate, screen, worst
from rehabkit.loader import load_file
from rehabkit.model import Protocol

from conftest import PROTOCOLS


def _protocol(path: str) -> Protocol:
    return Protocol.from_dict(load_file(str(PROTOCOLS / path)).data)


NECK = _protocol("neck/neck-pain.yaml")
BACK = _protocol("low-back/low-back-pain-acute.yaml")


def test_clear_screening_lets_the_session_start() -> None:
    result = screen(NECK.red_flags, {q.id: False for q in NECK.red_flags})
    assert result.action == "clear" and not result.stops_session and result.messages() == []


def test_the_most_urgent_positive_answer_decides() -> None:
    answers = {q.id: q.id in ("spreading-pain", "bladder-bowel-saddle") for q in BACK.red_flags}
    result = screen(BACK.red_flags, answers)
    assert result.action == "refer-urgently" and result.stops_session
    assert result.messages()[0].startswith("Do not exercise. These can mean pressure on the nerves")
    assert [q.id for q in result.positives] == ["bladder-bowel-saddle", "spreading-pain"]


def test_screening_is_never_skipped() -> None:
    answers = {q.id: False for q in NECK.red_flags[1:]}
    with pytest.raises(ValueError, match=f"screening question '{NECK.red_flags[0].id}' was not answered"):
        screen(NECK.red_flags, answers)


@pytest.mark.parametrize(("pain", "action", "rule"), [
    (2, "continue", None),                          # 0-2: safe, no rule fires
    (4, "continue", "pain-during-acceptable"),      # up to 5/10 acceptable
    (5, "continue", "pain-during-acceptable"),
    (6, "regress", "pain-during-too-high"),         # above 5/10: regress
])
def test_pain_monitoring_model_during_exercise(pain: float, action: str, rule: str | None) -> None:
    reasons = evaluate(NECK.symptom_rules, [Observation("pain-during", pain, exercise="chin-tuck")])
    assert worst(reasons) == action
    assert (reasons[0].rule.id if reasons else None) == rule


def test_reason_carries_the_rule_and_the_figures() -> None:
    (reason,) = evaluate(NECK.symptom_rules, [Observation("pain-during", 6, exercise="glute-bridge")])
    assert reason.describe({"glute-bridge": "Bridge"}) == "pain during Bridge 6/10 is above 5/10 (rule pain-during-too-high): regress"


def test_most_serious_action_wins_across_observations() -> None:
    observations = [
        Observation("pain-during", 4, exercise="chin-tuck"),
        Observation("increase-over-baseline", 3),
        Observation("new-symptom", 1),
    ]
    reasons = evaluate(NECK.symptom_rules, observations)
    assert [r.action for r in reasons] == ["stop-and-review", "reduce-load", "continue"]
    assert worst(reasons) == "stop-and-review"


def test_next_morning_worse_than_baseline_reduces_the_load() -> None:
    assert worst(evaluate(NECK.symptom_rules, [Observation("next-morning-over-baseline", 1)])) == "reduce-load"
    assert worst(evaluate(NECK.symptom_rules, [Observation("next-morning-over-baseline", 0)])) == "continue"


POST = _protocol("post-surgery/post-surgical-lumbar.yaml")


def test_post_surgical_acute_exit_waits_for_six_weeks_and_approval() -> None:
    from rehabkit.engine import Facts, check_criteria

    acute = POST.phase("acute")
    early = check_criteria(acute.exit, Facts({"weeks-since-surgery": 4, "pain-at-rest": 2, "clinician-approval": True}))
    assert not early.met
    assert early.unmet == ("weeks-since-surgery is 4, needs at least 6",)
    ready = check_criteria(acute.exit, Facts({"weeks-since-surgery": 6, "pain-at-rest": 3, "clinician-approval": True}))
    assert ready.met


def test_unknown_measures_never_meet_a_criterion_and_say_how_to_record_them() -> None:
    from rehabkit.engine import Facts, check_criteria

    recovery = POST.phase("recovery")
    result = check_criteria(recovery.exit, Facts({"weeks-since-surgery": 13, "pain-at-rest": 1, "consecutive-sessions-within-limits": 8}))
    assert result.unmet == ("odi-percent is not known yet; record it with 'rehabkit measure ID odi'",)
    entry = check_criteria(recovery.entry, Facts({"weeks-since-surgery": 7, "surgeon-clearance": True}, frozenset({"acute"})))
    assert entry.met
    assert check_criteria(recovery.entry, Facts({"weeks-since-surgery": 7, "surgeon-clearance": True})).unmet == (
        "phase 'acute' is not completed yet",
    )


def _library() -> dict:
    from rehabkit.model import ExerciseLibrary

    data = load_file(str(PROTOCOLS / "exercises" / "spine-exercises.yaml")).data
    return {e.id: e for e in ExerciseLibrary.from_dict(data).exercises}


def test_plan_uses_the_phase_dose_over_the_exercise_default() -> None:
    from rehabkit.engine import plan_session

    plan = plan_session(BACK, "acute", _library())
    assert plan.statement.startswith("This plan assumes a clinician has examined you")
    walking = next(item for item in plan.items if item.exercise.id == "walking-programme")
    assert walking.dose.describe() == "5 min, 2 times a day, pain limit 3/10"  # the low end of 5-10 min, 2-3 times
    high = plan_session(BACK, "acute", _library(), level="high")
    assert next(i for i in high.items if i.exercise.id == "walking-programme").dose.describe() == "10 min, 3 times a day, pain limit 3/10"
    assert walking.note == "Short, frequent walks on level ground."
    assert [item.exercise.id for item in plan.items] == [ref.exercise for ref in BACK.phase("acute").exercises]


def test_plan_swaps_a_regressed_exercise_for_its_easier_one() -> None:
    from rehabkit.engine import plan_session

    library = _library()
    plan = plan_session(BACK, "recovery", library, regressed={"glute-bridge": library["glute-bridge"].regression})
    swapped = next(item for item in plan.items if item.replaces == "glute-bridge")
    assert swapped.exercise.id == "pelvic-tilt"
    assert swapped.dose == library["pelvic-tilt"].dose


def test_plan_names_a_missing_exercise() -> None:
    from rehabkit.engine import plan_session

    with pytest.raises(LookupError, match="exercise 'diaphragmatic-breathing' of phase 'acute' is not installed"):
        plan_session(BACK, "acute", {})


def _decide(protocol, phase, result, facts=None, regressed=None):
    from rehabkit.engine import Facts, decide, plan_session

    plan = plan_session(protocol, phase, _library(), regressed)
    return decide(plan, result, facts or Facts())


def test_a_pain_flare_regresses_the_exercise_with_rule_and_figures() -> None:
    from rehabkit.engine import SessionResult

    decision = _decide(BACK, "recovery", SessionResult(pain_before=3, pain_during={"glute-bridge": 6, "cat-camel": 2}, pain_after=3))
    assert decision.action == "regress"
    assert decision.regressions == {"glute-bridge": "pelvic-tilt"}
    assert decision.reasons == ("pain during Bridge 6/10 is above 5/10 (rule pain-during-too-high): regress to pelvic-tilt",)
    assert decision.messages[0].startswith("Pain above 5/10 is too much")


def test_a_new_symptom_stops_for_review() -> None:
    from rehabkit.engine import SessionResult

    decision = _decide(BACK, "acute", SessionResult(pain_before=3, pain_during={"pelvic-tilt": 3}, pain_after=3, new_symptom=True))
    assert decision.action == "stop-and-review"


def test_criteria_met_progresses_to_the_next_phase() -> None:
    from rehabkit.engine import Facts, SessionResult

    calm = SessionResult(pain_before=2, pain_during={"pelvic-tilt": 1}, pain_after=2)
    not_yet = _decide(BACK, "acute", calm, Facts({"pain-at-rest": 2, "consecutive-sessions-within-limits": 3}))
    assert not_yet.action == "continue"
    assert not_yet.reasons[0] == "phase 'acute' continues: consecutive-sessions-within-limits is 3, needs at least 5"
    assert not_yet.dose_level == "high"  # pain stayed within every exercise's limit
    ready = _decide(BACK, "acute", calm, Facts({"pain-at-rest": 2, "consecutive-sessions-within-limits": 5}))
    assert (ready.action, ready.next_phase) == ("progress", "recovery")


def test_post_surgical_progress_waits_for_the_surgeon() -> None:
    from rehabkit.engine import Facts, SessionResult

    calm = SessionResult(pain_before=2, pain_during={"ankle-pumps": 1}, pain_after=2)
    facts = Facts({"weeks-since-surgery": 6, "pain-at-rest": 2, "clinician-approval": True, "surgeon-clearance": False})
    decision = _decide(POST, "acute", calm, facts)
    assert decision.action == "hold"
    assert decision.reasons == ("phase 'recovery' cannot start yet: surgeon-clearance is false, needs true",)


def test_progression_policy_is_a_firstresult_hook_a_pack_can_take_over() -> None:
    from rehabkit import hookimpl
    from rehabkit.engine import Decision, Facts, SessionResult, plan_session
    from rehabkit.plugins import PluginManager

    manager = PluginManager()
    manager.load()
    plan = plan_session(BACK, "recovery", _library())
    flare = SessionResult(pain_before=3, pain_during={"glute-bridge": 6}, pain_after=4)
    assert manager.decide(plan, flare, Facts()).action == "regress"  # rehabkit's default policy

    class ClinicPolicy:
        @hookimpl
        def rehabkit_progression_decision(self, plan, result, facts):
            if max(result.pain_during.values(), default=0) >= 6:
                return Decision(action="stop-and-review", reasons=("clinic policy: 6/10 or more during exercise",))
            return None

    manager.pm.register(ClinicPolicy(), name="clinic")
    assert manager.decide(plan, flare, Facts()).reasons == ("clinic policy: 6/10 or more during exercise",)
    calm = SessionResult(pain_before=2, pain_during={"glute-bridge": 2}, pain_after=2)
    assert manager.decide(plan, calm, Facts()).action == "continue"  # the clinic returned None: the default decided


def test_weeks_without_improvement_counts_from_the_last_meaningful_fall() -> None:
    import datetime

    from rehabkit.engine import weeks_without_improvement

    day = datetime.date(2026, 1, 1)
    week = datetime.timedelta(weeks=1)
    steady = [(day + n * week, 5) for n in range(6)]
    assert weeks_without_improvement(steady, day + 6 * week, 2) == 6.0
    improving = [(day, 6), (day + week, 5), (day + 2 * week, 4), (day + 3 * week, 4)]
    assert weeks_without_improvement(improving, day + 4 * week, 2) == 2.0  # 6 -> 4 at week 2
    assert weeks_without_improvement([], day, 2) == 0.0


def test_no_improvement_over_the_review_period_asks_for_review() -> None:
    from rehabkit.engine import SessionResult

    stuck = SessionResult(pain_before=5, pain_during={"pelvic-tilt": 3}, pain_after=5, weeks_without_improvement=4)
    decision = _decide(BACK, "acute", stuck)
    assert decision.action == "stop-and-review"
    assert decision.reasons == ("time without improvement 4 weeks is above 3 weeks (rule no-improvement): stop-and-review",)
    assert _decide(BACK, "acute", SessionResult(pain_before=5, pain_after=5, weeks_without_improvement=2)).action == "continue"
