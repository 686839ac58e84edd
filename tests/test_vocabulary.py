"""One vocabulary: the schema's enums, the engine and the lint rules name the same things, and every measure has a
producer."""

from __future__ import annotations

import datetime

import pytest

from rehabkit._common import vocabulary
from rehabkit._documents.schemas import load_schema
from rehabkit.engine import CourseEvent, MeasureRecord, NextDayRecord, PastSession, build_course, morning_reasons
from rehabkit.engine.decide import _observations
from rehabkit.engine.events import Approval
from rehabkit.engine.screening import SCREENING_ORDER
from rehabkit.engine.symptoms import ACTION_ORDER

SCHEMA = load_schema()
DEFS = SCHEMA["$defs"]


def test_criterion_measures_are_the_schema_enum() -> None:
    assert DEFS["criterion"]["properties"]["measure"]["enum"] == list(vocabulary.CRITERION_MEASURES)


def test_symptom_measures_are_the_schema_enum() -> None:
    assert DEFS["symptomRule"]["properties"]["measure"]["enum"] == list(vocabulary.SYMPTOM_MEASURES)


def test_actions_are_the_schema_enums_in_the_engines_order() -> None:
    assert DEFS["symptomRule"]["properties"]["action"]["enum"] == list(vocabulary.SYMPTOM_ACTIONS)
    assert ACTION_ORDER == vocabulary.SYMPTOM_ACTIONS
    assert set(DEFS["screeningQuestion"]["properties"]["action"]["enum"]) == set(vocabulary.SCREENING_ACTIONS)
    assert SCREENING_ORDER[1:] == vocabulary.SCREENING_ACTIONS


def test_stages_movements_and_signs_are_the_schema_enums() -> None:
    assert DEFS["stage"]["enum"] == list(vocabulary.STAGES)
    assert DEFS["movement"]["enum"] == list(vocabulary.MOVEMENTS)
    assert DEFS["screeningQuestion"]["properties"]["covers"]["items"]["enum"] == list(vocabulary.RED_FLAG_SIGNS)
    assert set(vocabulary.REQUIRED_SIGNS) <= set(vocabulary.RED_FLAG_SIGNS)
    assert vocabulary.URGENT_SIGNS <= set(vocabulary.RED_FLAG_SIGNS)


def _protocol_with_every_measure():
    from rehabkit.model import Protocol

    criteria = [
        {
            "measure": m,
            **(
                {"equals": True}
                if info.kind == "yes-no"
                else {"phase": "one"}
                if info.kind == "phase"
                else {"at_least": 0}
            ),
        }
        for m, info in vocabulary.CRITERION_MEASURES.items()
    ]
    rules = [
        {"id": f"r{i}", "measure": m, "above": 0, "action": "hold", "message": "m"}
        for i, m in enumerate(vocabulary.SYMPTOM_MEASURES)
    ]
    return Protocol.from_dict(
        {
            "kind": "protocol",
            "id": "every",
            "version": "1.0.0",
            "title": "t",
            "summary": "s",
            "conditions": ["neck-pain"],
            "supervision": {"clinical_assessment_required": True, "statement": "s"},
            "phases": [
                {
                    "id": "one",
                    "name": "One",
                    "focus": ["pain-and-spasm-control"],
                    "exercises": [{"exercise": "x"}],
                    "exit": {"summary": "all", "all": criteria},
                    "review_after_weeks": 1,
                },
                {"id": "two", "name": "Two", "focus": ["pain-and-spasm-control"], "exercises": [{"exercise": "x"}]},
            ],
            "red_flags": [],
            "symptom_rules": rules,
            "references": [],
            "reviewed": "2026-01-01",
        }
    )


def test_every_criterion_measure_has_a_producer() -> None:
    """Each measure a criterion may name is a value the course computes, an approval, or a completed phase."""
    protocol = _protocol_with_every_measure()
    day = datetime.date(2026, 3, 1)
    sessions = [PastSession(1, day, "one", "complete", 3, 3, "continue", {"within_limits": True, "doses": {}})]
    events = [
        CourseEvent(1, "enter-phase", day, "every", "one"),
        CourseEvent(2, "approval", day, "every", "two", detail=Approval("surgeon-clearance", True)),
        CourseEvent(3, "approval", day, "every", "two", detail=Approval("clinician-approval", True)),
    ]
    measures = [
        MeasureRecord("odi", 20, day),
        MeasureRecord("ndi", 10, day),
        MeasureRecord("psfs", 6, day),
        MeasureRecord("startback", 4, day),
        MeasureRecord("peg", 5, day),
    ]
    course = build_course(
        protocol,
        sessions,
        events,
        [],
        measures,
        day,
        surgery_date=datetime.date(2026, 1, 1),
        measure_criteria={
            "odi": "odi-percent",
            "ndi": "ndi-raw",
            "psfs": "psfs-mean",
            "startback": "startback-total",
            "peg": "peg-mean",
        },
    )
    produced = (
        set(course.facts.values) | {k for gate in course.facts.approvals.values() for k in gate} | {"phase-completed"}
    )
    assert produced >= set(vocabulary.CRITERION_MEASURES)
    for name, info in vocabulary.CRITERION_MEASURES.items():
        assert info.recorded_by in (
            "session",
            "screening",
            "course",
            "surgery-date",
            "approval",
        ) or info.recorded_by.startswith("outcome:"), name


def test_every_symptom_measure_has_a_producer() -> None:
    """Each measure a symptom rule may name is observed after a session, the next morning, or over the course."""
    from rehabkit.engine import SessionResult, plan_session
    from rehabkit.model import Exercise

    protocol = _protocol_with_every_measure()
    library = {"x": Exercise(id="x", name="X", component="c", region="lumbar", steps=("s",))}
    plan = plan_session(protocol, "one", library)
    result = SessionResult(
        pain_before=2, pain_during={"x": 3}, pain_after=4, new_symptom=True, weeks_without_improvement=2
    )
    seen = {o.measure for o in _observations(plan, result)}
    day = datetime.date(2026, 3, 1)
    session = PastSession(1, day, "one", "complete", 2)
    seen |= {r.observation.measure for r in morning_reasons(protocol, session, NextDayRecord(1, day, 5, 3))}
    assert seen == set(vocabulary.SYMPTOM_MEASURES)
    when = {m.when for m in vocabulary.SYMPTOM_MEASURES.values()}
    assert when == {"exercise", "session", "next-day", "course"}


@pytest.mark.parametrize("measure", sorted(vocabulary.CRITERION_MEASURES))
def test_every_criterion_measure_is_explained_in_the_schema(measure: str) -> None:
    assert measure in DEFS["criterion"]["properties"]["measure"]["description"]


def test_the_clinical_policy_data_names_only_known_things() -> None:
    from rehabkit._common.clinical_data import policy
    from rehabkit.model import Dose

    data = policy()
    signs = set(vocabulary.RED_FLAG_SIGNS)
    assert set(data["red_flags"]["required_signs"]) <= signs
    assert set(data["red_flags"]["urgent_signs"]) <= signs
    assert set(data["red_flags"]["lumbar_required_signs"]) <= signs
    conditions = set(SCHEMA["properties"]["conditions"]["items"]["enum"])
    assert set(data["red_flags"]["lumbar_conditions"]) <= conditions
    counts = {
        name for name in DEFS["dose"]["properties"] if DEFS["dose"]["properties"][name].get("$ref") == "#/$defs/count"
    }
    assert set(data["dose_bounds"]) == counts
    assert data["session"]["new_symptom_question"].endswith("?")
    assert vocabulary.REQUIRED_SIGNS == tuple(data["red_flags"]["required_signs"])
    assert {name for name, _ in Dose.STEPPED} <= counts
