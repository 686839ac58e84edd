"""A patient's course worked out from a real store file: states, dated facts, approvals per gate, next mornings."""

from __future__ import annotations

import datetime

from rehabkit._documents.loader import load_file
from rehabkit._plugins.manager import PluginManager
from rehabkit._sessions.course import load_course
from rehabkit._sessions.outcomes import OutcomeMeasure
from rehabkit._sessions.store import Store
from rehabkit.model import Protocol

from conftest import PROTOCOLS

POST = Protocol.from_dict(load_file(str(PROTOCOLS / "post-surgery" / "post-surgical-lumbar.yaml")).data)
NECK = Protocol.from_dict(load_file(str(PROTOCOLS / "neck" / "neck-pain.yaml")).data)
DAY = datetime.date(2026, 10, 1)


def _measures() -> dict[str, OutcomeMeasure]:
    manager = PluginManager()
    manager.load()
    return {k: r.item for k, r in manager.registry(protocols=False).outcome_measures.items()}


def _session(store: Store, protocol: Protocol, day: datetime.date, before: float, decision: str, **detail) -> int:
    session = store.start_session("P1", protocol.id, protocol.version, "acute", day)
    store.record_answer(session, "pain-before", "pain", before)
    store.finish_session(session, "complete", decision, {"doses": {}, **detail})
    return session


def test_a_new_patient_has_not_started_and_stands_at_the_first_gate(tmp_path) -> None:
    with Store(tmp_path / "s.db") as store:
        course = load_course(store, "P1", POST, _measures(), DAY)
    assert (course.status, course.phase, course.gate, course.started) == ("not-started", "acute", "acute", False)
    assert course.facts.values["consecutive-sessions-within-limits"] == 0
    assert "weeks-since-surgery" not in course.facts.values


def test_dated_facts_approvals_per_gate_and_the_streak_by_day(tmp_path) -> None:
    day = lambda n: DAY + datetime.timedelta(days=n)  # noqa: E731
    with Store(tmp_path / "s.db") as store:
        store.ensure_patient("P1", surgery_date=(DAY - datetime.timedelta(weeks=5)).isoformat())
        store.add_event("P1", "enter-phase", DAY, protocol=POST.id, phase="acute")
        store.add_event(
            "P1",
            "approval",
            DAY,
            protocol=POST.id,
            phase="acute",
            by="DR-1",
            detail={"kind": "surgeon-clearance", "value": True},
        )
        _session(store, POST, day(0), 4, "continue", within_limits=True)
        _session(store, POST, day(1), 3, "reduce-load", within_limits=False)
        _session(store, POST, day(2), 3, "continue", within_limits=True)
        _session(store, POST, day(2), 3, "continue", within_limits=True)  # the same day counts once
        _session(store, POST, day(3), 2, "hold", within_limits=True)  # a hold waiting for a gate keeps the count
        store.record_measure("P1", "odi", 28.0, "%", "moderate disability", {}, day(3))
        store.record_measure("P1", "odi", 40.0, "%", "moderate disability", {}, day(1))  # entered later, dated earlier
        course = load_course(store, "P1", POST, _measures(), day(7))
    values = course.facts.values
    assert course.status == "active"
    assert values["consecutive-sessions-within-limits"] == 2  # days 2 and 3, after the reduce-load of day 1
    assert values["sessions-completed"] == 4  # four days with a completed session
    assert values["pain-at-rest"] == 2.0
    assert values["weeks-since-surgery"] == 6.0
    assert values["weeks-in-phase"] == 1.0
    assert values["odi-percent"] == 28.0  # the latest score by date
    assert course.facts.approvals == {"acute": {"surgeon-clearance": True}}  # recorded for the acute gate only
    assert course.gate == "recovery"


def test_a_worse_next_morning_breaks_the_streak_and_acts_on_the_next_plan(tmp_path) -> None:
    with Store(tmp_path / "s.db") as store:
        store.add_event("P1", "enter-phase", DAY, protocol=NECK.id, phase="acute")
        _session(store, NECK, DAY, 2, "continue", within_limits=True)
        last = _session(store, NECK, DAY + datetime.timedelta(days=1), 2, "continue", within_limits=True)
        store.record_next_day("P1", last, 5, DAY + datetime.timedelta(days=2))
        course = load_course(store, "P1", NECK, _measures(), DAY + datetime.timedelta(days=2))
    assert course.facts.values["consecutive-sessions-within-limits"] == 0
    assert course.morning_action == "reduce-load"
    assert (
        course.morning[0].describe()
        == "next-morning pain over the level before the session was 3 points, above 0 points"
    )


def test_a_pause_stops_every_protocol_until_a_review(tmp_path) -> None:
    with Store(tmp_path / "s.db") as store:
        store.add_event("P1", "enter-phase", DAY, protocol=NECK.id, phase="acute")
        store.add_event(
            "P1", "pause", DAY, protocol=NECK.id, detail={"action": "stop-and-review", "cause": "screening"}
        )
        assert load_course(store, "P1", NECK, _measures(), DAY).status == "paused"
        assert load_course(store, "P1", POST, _measures(), DAY).status == "paused"  # a red flag concerns the patient
        store.add_event("P1", "review", DAY, protocol=NECK.id, by="PT-1", detail={"outcome": "resume"})
        assert load_course(store, "P1", NECK, _measures(), DAY).status == "active"
        store.add_event("P1", "review", DAY, protocol=NECK.id, by="PT-1", detail={"outcome": "discharge"})
        assert load_course(store, "P1", NECK, _measures(), DAY).status == "discharged"
        assert load_course(store, "P1", POST, _measures(), DAY).status == "not-started"
        store.add_event("P1", "review", DAY, protocol=NECK.id, by="PT-1", detail={"outcome": "refer"})
        assert load_course(store, "P1", POST, _measures(), DAY).status == "referred"
