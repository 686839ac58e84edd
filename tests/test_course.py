"""A patient's course read back from a real store file into the engine's inputs."""

from __future__ import annotations

import datetime

from rehabkit.course import course_state
from rehabkit.loader import load_file
from rehabkit.model import Protocol
from rehabkit.outcomes import OutcomeMeasure
from rehabkit.plugins import PluginManager
from rehabkit.store import Store

from conftest import PROTOCOLS

POST = Protocol.from_dict(load_file(str(PROTOCOLS / "post-surgery" / "post-surgical-lumbar.yaml")).data)
TODAY = datetime.date.today()


def _measures() -> dict[str, OutcomeMeasure]:
    manager = PluginManager()
    manager.load()
    return {k: r.item for k, r in manager.registry(protocols=False).outcome_measures.items()}


def _session(store: Store, phase: str, before: float, decision: str, detail=None) -> int:
    session = store.start_session("P1", POST.id, POST.version, phase)
    store.record_answer(session, "pain-before", "pain", before)
    store.finish_session(session, "complete", decision, detail)
    return session


def test_a_new_patient_starts_in_the_first_phase(tmp_path) -> None:
    with Store(tmp_path / "s.db") as store:
        state = course_state(store, "P1", POST, _measures(), TODAY)
    assert state.phase == "acute" and state.sessions_in_phase == 0
    assert state.facts.values["consecutive-sessions-within-limits"] == 0
    assert "weeks-since-surgery" not in state.facts.values


def test_facts_come_from_sessions_measures_approvals_and_the_surgery_date(tmp_path) -> None:
    with Store(tmp_path / "s.db") as store:
        store.ensure_patient("P1", surgery_date=(TODAY - datetime.timedelta(weeks=7)).isoformat())
        store.enter_phase("P1", POST.id, "acute", "start")
        _session(store, "acute", 4, "continue")
        _session(store, "acute", 3, "reduce-load")
        _session(store, "acute", 3, "continue")
        last = _session(store, "acute", 2, "regress", {"regressions": {"glute-bridge": "heel-slides"}})
        _session(store, "acute", 2, "continue")
        store.record_next_day("P1", 4)
        store.record_measure("P1", "odi", 28.0, "%", "moderate disability", {})
        store.record_approval("P1", "surgeon-clearance", True)
        state = course_state(store, "P1", POST, _measures(), TODAY)
    values = state.facts.values
    assert values["consecutive-sessions-within-limits"] == 1  # the regress broke the streak
    assert values["pain-at-rest"] == 2.0
    assert values["weeks-since-surgery"] == 7.0
    assert values["odi-percent"] == 28.0
    assert values["surgeon-clearance"] is True
    assert state.regressed == {"glute-bridge": "heel-slides"}
    assert state.next_morning_over_baseline == 2  # 4 the next morning after a session started at 2
    assert state.weeks_without_improvement == 0.0  # 4 -> 2 today
    assert last > 0


def test_entering_a_phase_moves_the_patient_on(tmp_path) -> None:
    with Store(tmp_path / "s.db") as store:
        store.enter_phase("P1", POST.id, "acute", "start")
        _session(store, "acute", 2, "progress")
        store.enter_phase("P1", POST.id, "recovery", "the exit criteria of phase 'acute' are met")
        state = course_state(store, "P1", POST, _measures(), TODAY)
    assert state.phase == "recovery"
    assert state.facts.completed_phases == frozenset({"acute"})
    assert state.sessions_in_phase == 0
