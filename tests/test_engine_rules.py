"""The engine's screening and symptom-rule decisions, on the shipped protocols' own data."""

from __future__ import annotations

import pytest

from rehabkit._documents.loader import load_file
from rehabkit.engine import Observation, evaluate, screen, worst
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


@pytest.mark.parametrize(
    ("pain", "action", "rule"),
    [
        (2, "continue", None),  # 0-2: safe, no rule fires
        (4, "continue", "pain-during-acceptable"),  # up to 5/10 acceptable
        (5, "continue", "pain-during-acceptable"),
        (6, "regress", "pain-during-too-high"),  # above 5/10: regress
    ],
)
def test_pain_monitoring_model_during_exercise(pain: float, action: str, rule: str | None) -> None:
    reasons = evaluate(NECK.symptom_rules, [Observation("pain-during", pain, exercise="chin-tuck")])
    assert worst(reasons) == action
    assert (reasons[0].rule.id if reasons else None) == rule


def test_reason_carries_the_rule_and_the_figures() -> None:
    (reason,) = evaluate(NECK.symptom_rules, [Observation("pain-during", 6, exercise="glute-bridge")])
    assert reason.describe({"glute-bridge": "Bridge"}) == "pain during Bridge was 6/10, above 5/10"
    assert reason.to_dict() == {
        "rule": "pain-during-too-high",
        "measure": "pain-during",
        "value": 6,
        "limit": 5,
        "exercise": "glute-bridge",
        "action": "regress",
    }


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
    approved = {"recovery": {"clinician-approval": True}}  # the approval to start strengthening opens the recovery gate
    early = check_criteria(
        acute.exit, Facts({"weeks-since-surgery": 4, "pain-at-rest": 2}, approvals=approved), "recovery"
    )
    assert not early.met
    assert early.unmet == ("weeks since surgery: 4 weeks, needs at least 6 weeks",)
    ready = check_criteria(
        acute.exit, Facts({"weeks-since-surgery": 6, "pain-at-rest": 3}, approvals=approved), "recovery"
    )
    assert ready.met


def test_an_approval_opens_only_the_gate_it_was_recorded_for() -> None:
    from rehabkit.engine import Facts, check_criteria

    first_gate = Facts({"weeks-since-surgery": 6, "pain-at-rest": 3}, approvals={"acute": {"clinician-approval": True}})
    result = check_criteria(POST.phase("acute").exit, first_gate, "recovery")
    assert result.unmet == ("your clinician's approval: not recorded yet",)
    withdrawn = Facts(
        {"weeks-since-surgery": 6, "pain-at-rest": 3}, approvals={"recovery": {"clinician-approval": False}}
    )
    assert check_criteria(POST.phase("acute").exit, withdrawn, "recovery").unmet == (
        "your clinician's approval: recorded as no, needs yes",
    )


def test_unknown_measures_never_meet_a_criterion_and_say_how_to_record_them() -> None:
    from rehabkit.engine import Facts, check_criteria

    recovery = POST.phase("recovery")
    result = check_criteria(
        recovery.exit, Facts({"weeks-since-surgery": 13, "pain-at-rest": 1, "consecutive-sessions-within-limits": 8})
    )
    assert result.unmet == ("Oswestry Disability Index: not recorded yet (needs at most 30%)",)
    assert result.missing[0].unknown and result.missing[0].measure == "odi-percent"
    cleared = {"recovery": {"surgeon-clearance": True}}
    entry = check_criteria(recovery.entry, Facts({"weeks-since-surgery": 7}, frozenset({"acute"}), cleared), "recovery")
    assert entry.met
    assert check_criteria(
        recovery.entry,
        Facts({"weeks-since-surgery": 7}, approvals=cleared),
        "recovery",
        phase_names={"acute": "Protect and walk"},
    ).unmet == ("the phase 'Protect and walk' is not completed yet",)


def _library() -> dict:
    from rehabkit.model import ExerciseLibrary

    data = load_file(str(PROTOCOLS / "exercises" / "spine-exercises.yaml")).data
    return {e.id: e for e in ExerciseLibrary.from_dict(data).exercises}


def test_plan_uses_the_phase_dose_over_the_exercise_default() -> None:
    from rehabkit.engine import plan_session

    plan = plan_session(BACK, "acute", _library())
    assert plan.statement.startswith("This plan assumes a clinician has examined you")
    walking = next(item for item in plan.items if item.exercise.id == "walking-programme")
    assert walking.dose.describe() == "5 min, 2 times a day, pain limit 3/10"  # the start of 5-10 min, 2-3 times a day
    one = plan_session(BACK, "acute", _library(), steps={"walking-programme": 1})
    assert (
        next(i for i in one.items if i.exercise.id == "walking-programme").dose.describe()
        == "6 min, 2 times a day, pain limit 3/10"
    )
    two = plan_session(BACK, "acute", _library(), steps={"walking-programme": 2})  # one count moves per step, in turn
    assert (
        next(i for i in two.items if i.exercise.id == "walking-programme").dose.describe()
        == "6 min, 3 times a day, pain limit 3/10"
    )
    top = plan_session(BACK, "acute", _library(), steps={"walking-programme": 99})
    assert (
        next(i for i in top.items if i.exercise.id == "walking-programme").dose.describe()
        == "10 min, 3 times a day, pain limit 3/10"
    )
    assert walking.note == "Short, frequent walks on level ground."
    assert [item.exercise.id for item in plan.items] == [ref.exercise for ref in BACK.phase("acute").exercises]


def test_plan_swaps_a_regressed_exercise_for_its_easier_one() -> None:
    from rehabkit.engine import plan_session

    library = _library()
    plan = plan_session(BACK, "recovery", library, regressed={"glute-bridge": library["glute-bridge"].regression})
    swapped = next(item for item in plan.items if item.replaces == "glute-bridge")
    assert swapped.exercise.id == "pelvic-tilt"
    assert swapped.dose == library["pelvic-tilt"].dose


def test_plan_leaves_out_exercises_with_a_movement_screening_ruled_out_and_says_why() -> None:
    from rehabkit.engine import plan_session

    upper = _protocol("neck/upper-back-posture.yaml")
    phase = [ref.exercise for ref in upper.phase("recovery").exercises]
    why = "you answered that hanging is not safe for you"
    plan = plan_session(upper, "recovery", _library(), omit_movements={"hang"}, omit_reason=why)
    assert [(out.exercise, out.name, out.why) for out in plan.left_out] == [
        ("half-hang-thoracic-stretch", "Supported half-hang", why)
    ]
    assert [item.exercise.id for item in plan.items] == [e for e in phase if e != "half-hang-thoracic-stretch"]
    unexplained = plan_session(upper, "recovery", _library(), omit_movements={"hang"})
    assert [out.why for out in unexplained.left_out] == ["left out today after screening"]


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

    decision = _decide(
        BACK, "recovery", SessionResult(pain_before=3, pain_during={"glute-bridge": 6, "cat-camel": 2}, pain_after=3)
    )
    assert decision.action == "regress"
    assert decision.regressions == {"glute-bridge": "pelvic-tilt"}
    assert decision.reasons == (
        "pain during Bridge was 6/10, above 5/10: Bridge is replaced by its easier version, Pelvic tilt",
    )
    assert decision.details[0]["rule"] == "pain-during-too-high" and decision.within_limits is False
    assert decision.messages[0].startswith("Pain above 5/10 is too much")


def test_a_new_symptom_stops_for_review() -> None:
    from rehabkit.engine import SessionResult

    decision = _decide(
        BACK, "acute", SessionResult(pain_before=3, pain_during={"pelvic-tilt": 3}, pain_after=3, new_symptom=True)
    )
    assert decision.action == "stop-and-review"


def test_criteria_met_progresses_to_the_next_phase() -> None:
    from rehabkit.engine import Facts, SessionResult

    calm = SessionResult(pain_before=2, pain_during={"pelvic-tilt": 1}, pain_after=2)
    not_yet = _decide(
        BACK, "acute", calm, Facts({"pain-at-rest": 2, "consecutive-sessions-within-limits": 3, "weeks-in-phase": 1})
    )
    assert not_yet.action == "continue" and not_yet.within_limits
    assert not_yet.reasons == (
        f"you stay in the phase 'Settle pain and keep moving' until: {BACK.phase('acute').exit.summary}",
        "still needed: days in a row within the pain limits: 3 days, needs at least 5 days",
    )
    too_soon = _decide(
        BACK, "acute", calm, Facts({"pain-at-rest": 2, "consecutive-sessions-within-limits": 5, "weeks-in-phase": 0.6})
    )
    assert too_soon.action == "continue"  # a phase's minimum time has to pass, however many days in a row
    assert too_soon.reasons[1] == "still needed: weeks in this phase: 0.6 weeks, needs at least 1 week"
    ready = _decide(
        BACK, "acute", calm, Facts({"pain-at-rest": 2, "consecutive-sessions-within-limits": 5, "weeks-in-phase": 1})
    )
    assert (ready.action, ready.next_phase) == ("progress", "recovery")


def test_post_surgical_progress_waits_for_the_surgeon() -> None:
    from rehabkit.engine import Facts, SessionResult

    calm = SessionResult(pain_before=2, pain_during={"ankle-pumps": 1}, pain_after=2)
    facts = Facts(
        {"weeks-since-surgery": 6, "pain-at-rest": 2},
        approvals={"acute": {"surgeon-clearance": True}, "recovery": {"clinician-approval": True}},
    )
    decision = _decide(POST, "acute", calm, facts)
    assert (
        decision.action == "hold" and decision.within_limits
    )  # waiting for a gate is no reason to start the count again
    assert decision.reasons[1:] == ("still needed: the surgeon's clearance: not recorded yet",)
    assert (decision.gate, [u.measure for u in decision.unmet]) == ("recovery", ["surgeon-clearance"])


def test_progression_policy_is_a_firstresult_hook_a_pack_can_take_over() -> None:
    from rehabkit import hookimpl
    from rehabkit._plugins.manager import PluginManager
    from rehabkit.engine import Decision, Facts, SessionResult, plan_session

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

    limit = BACK.phase("acute").review_after_weeks  # the phase's review period is the limit
    stuck = SessionResult(pain_before=5, pain_during={"pelvic-tilt": 3}, pain_after=5, weeks_without_improvement=limit)
    decision = _decide(BACK, "acute", stuck)
    assert decision.action == "stop-and-review"
    assert decision.reasons == (
        f"time without a meaningful improvement: {limit} weeks, the review point is {limit} weeks",
    )
    almost = SessionResult(pain_before=5, pain_after=5, weeks_without_improvement=limit - 0.1)
    assert _decide(BACK, "acute", almost).action == "continue"


def test_a_patient_at_the_pain_goal_is_not_counted_as_not_improving() -> None:
    import datetime

    from rehabkit.engine import pain_target, weeks_without_improvement

    day = datetime.date(2026, 1, 1)
    target = pain_target(BACK, "acute")
    assert target == 3  # the acute phase's exit asks for pain at rest 3/10 or less
    steady_low = [(day + datetime.timedelta(weeks=n), 2) for n in range(5)]
    assert weeks_without_improvement(steady_low, day + datetime.timedelta(weeks=5), 2, target) == 1.0
    assert weeks_without_improvement(steady_low, day + datetime.timedelta(weeks=5), 2) == 5.0  # the old floor effect
    assert pain_target(BACK, "maintenance") == pain_target(BACK, "recovery")  # kept once reached


def test_of_two_packs_policies_the_last_registered_answers_first_and_tryfirst_goes_before() -> None:
    from rehabkit import hookimpl
    from rehabkit._plugins.manager import PluginManager
    from rehabkit.engine import Decision, Facts, SessionResult, plan_session

    manager = PluginManager()
    manager.load()
    plan = plan_session(BACK, "recovery", _library())
    calm = SessionResult(pain_before=2, pain_during={"glute-bridge": 2}, pain_after=2)

    def policy(name: str, **marker: bool) -> object:
        class Policy:
            @hookimpl(**marker)
            def rehabkit_progression_decision(self, plan, result, facts):
                return Decision(action="hold", reasons=(name,))

        return Policy()

    manager.pm.register(policy("a-pack"), name="a-pack")
    manager.pm.register(policy("z-pack"), name="z-pack")
    assert manager.decide(plan, calm, Facts()).reasons == ("z-pack",)  # registered last, asked first
    first = policy("first", tryfirst=True)
    manager.pm.register(first, name="first")
    manager.pm.register(policy("zz-later"), name="zz-later")
    assert manager.decide(plan, calm, Facts()).reasons == ("first",)
