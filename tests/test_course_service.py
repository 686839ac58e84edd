"""The course service driven step by step, as a front end other than the terminal would, on a real store file.

Each step records its answer at once; the result must be the very course the terminal's session makes from the
same answers, and a session left at any step keeps what was said.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from rehabkit._documents.loader import load_file
from rehabkit._plugins.manager import PluginManager
from rehabkit._sessions.runner import Display, FileAnswers, run_session
from rehabkit._sessions.service import (
    Actor,
    CourseContext,
    CourseRequestError,
    CourseStopped,
    GateClosed,
    RunOutcome,
    admit,
    approve,
    open_session,
    review,
)
from rehabkit._sessions.store import Store
from rehabkit.engine.decision_record import DecisionRecord, read_decision_record
from rehabkit.engine.dose import DoseState
from rehabkit.engine.events import Approval, OtherDetail, Pause, PhaseEntry, Review, event_detail
from rehabkit.model import Protocol

from conftest import PROTOCOLS

NECK = Protocol.from_dict(load_file(str(PROTOCOLS / "neck" / "neck-pain.yaml")).data)
DAY = datetime.date(2026, 10, 1)
PT = Actor("PT-1")


@pytest.fixture(scope="module")
def context() -> CourseContext:
    manager = PluginManager()
    manager.load()
    registry = manager.registry()
    return CourseContext(
        protocol=NECK,
        library=registry.exercise_library(),
        measures={k: r.item for k, r in registry.outcome_measures.items()},
        decide=manager.decide,
        policy=registry.policy(),
    )


def _approved(store: Store, context: CourseContext) -> None:
    store.ensure_patient("P1")
    approve(store, context, "P1", PT, DAY, phase="acute", kind="clinician-approval")


def _step_by_step(store: Store, context: CourseContext, day: datetime.date, pain: float) -> RunOutcome:
    course = admit(store, context, "P1", day)
    assert not isinstance(course, RunOutcome)
    run = open_session(store, context, "P1", course, PT, day)
    for question in context.questions:
        assert not run.answer_screening(question, False)
    assert run.end_screening() == ()
    plan = run.pain_before(2)
    assert not isinstance(plan, RunOutcome)
    for item in plan.items:
        assert run.pain_during(item.exercise.id, pain) is None
    run.pain_after(2)
    run.new_symptom(False)
    return run.finish()


def _scripted(store: Store, context: CourseContext, day: datetime.date, pain: float) -> RunOutcome:
    answers = {"screening": {"all": False}, "pain_before": 2, "exercises": {"all": pain}, "pain_after": 2,
               "new_symptom": False}  # fmt: skip
    return run_session(store, context, "P1", FileAnswers(answers, "answers"), Display(lambda _: None), today=day)


def _course_rows(path: Path) -> list[tuple[object, ...]]:
    with Store(path) as store:
        sessions = [(s.date, s.phase, s.status, s.decision, s.decision_detail) for s in store.sessions("P1")]
        events = [(e.kind, e.date, e.phase, e.detail) for e in store.events("P1")]
    return [*sessions, *events]


def test_steps_make_the_same_course_as_the_terminal_session(context, tmp_path) -> None:
    stepped, scripted = tmp_path / "stepped.db", tmp_path / "scripted.db"
    for path, run in ((stepped, _step_by_step), (scripted, _scripted)):
        with Store(path) as store:
            _approved(store, context)
            for n in range(15):
                outcome = run(store, context, DAY + datetime.timedelta(days=n), 1)
                assert outcome.status == "active"
    rows = _course_rows(stepped)
    assert rows == _course_rows(scripted)
    assert "progress" in [row[3] for row in rows[:15]]  # calm days move the course on to its next phase


def test_a_session_left_after_pain_after_keeps_every_answer_given(context, tmp_path) -> None:
    with Store(tmp_path / "s.db") as store:
        _approved(store, context)
        course = admit(store, context, "P1", DAY)
        assert not isinstance(course, RunOutcome)
        run = open_session(store, context, "P1", course, PT, DAY)
        for question in context.questions:
            run.answer_screening(question, False)
        run.end_screening()
        run.pain_before(3)
        run.pain_after(5)
        run.interrupt()
        (session,) = store.sessions("P1")
        kinds = [kind for kind, _, _ in store.answers(session.id)]
    assert session.status == "incomplete" and session.pain_after == 5
    assert kinds[-2:] == ["pain-before", "pain-after"]


def test_an_urgent_answer_pauses_the_course_and_only_a_review_lets_it_go_on(context, tmp_path) -> None:
    urgent = next(q for q in context.questions if q.action == "refer-urgently")
    with Store(tmp_path / "s.db") as store:
        _approved(store, context)
        course = admit(store, context, "P1", DAY)
        assert not isinstance(course, RunOutcome)
        run = open_session(store, context, "P1", course, PT, DAY)
        assert run.answer_screening(urgent, True)  # an urgent yes ends screening at once
        ended = run.end_screening()
        assert isinstance(ended, RunOutcome) and ended.paused and ended.action == "refer-urgently"
        with pytest.raises(CourseStopped):
            admit(store, context, "P1", DAY + datetime.timedelta(days=1))
        with pytest.raises(CourseRequestError) as refused:
            review(store, context, "P1", PT, DAY - datetime.timedelta(days=1), outcome="resume")
        assert refused.value.param == "--date"
        done = review(store, context, "P1", PT, DAY + datetime.timedelta(days=1), outcome="resume", note="seen")
        assert (done.before.status, done.after.status) == ("paused", "active")
        pause = next(e for e in store.events("P1") if e.kind == "pause")
    assert event_detail("pause", pause.detail) == Pause(
        "refer-urgently", "screening", (urgent.question,), (urgent.message,), pause.detail["session"]
    )


def test_a_withdrawn_approval_closes_the_gate(context, tmp_path) -> None:
    with Store(tmp_path / "s.db") as store:
        _approved(store, context)
        approve(store, context, "P1", PT, DAY, phase="acute", kind="clinician-approval", given=False)
        with pytest.raises(GateClosed) as closed:
            admit(store, context, "P1", DAY)
    assert closed.value.phase == "acute"


@pytest.mark.parametrize(
    ("kind", "detail"),
    [
        ("enter-phase", PhaseEntry("start of the protocol")),
        ("pause", Pause("stop-and-review", "next-day", ("pain 7",), None, None)),
        ("pause", Pause("refer-urgently", "screening", ("q?",), ("go now",), 4)),
        ("review", Review("resume", None, "paused")),
        ("approval", Approval("surgeon-clearance", True, "approve")),
        ("approval", Approval("clinician-approval", False, None)),
    ],
)
def test_event_details_read_back_as_they_were_written(kind, detail) -> None:
    assert event_detail(kind, json.loads(json.dumps(detail.to_dict()))) == detail


@pytest.mark.parametrize("damaged", [[], "text", None, 3, {"value": "yes", "kind": 1, "session": "x", "reasons": 5}])
def test_a_damaged_event_detail_is_read_as_far_as_it_goes(damaged) -> None:
    approval = event_detail("approval", damaged)
    assert isinstance(approval, Approval) and approval.value is False  # nothing but a plain true opens a gate
    pause = event_detail("pause", damaged)
    assert isinstance(pause, Pause) and pause.action == "stop-and-review" and pause.session is None
    assert isinstance(event_detail("something-new", damaged), OtherDetail)


def test_the_decision_record_carries_regressions_removed_doses_and_omitted_movements_across_a_store(tmp_path) -> None:
    record = DecisionRecord(
        "decision", True, reasons=("calm",), regressions={"chin-tuck": "chin-nod"}, removed=("walk",),
        doses={"chin-nod": DoseState(2, 1, "2026-10-01")}, omitted_movements=("flexion",),
    )  # fmt: skip
    with Store(tmp_path / "s.db") as store:
        session = store.start_session("P1", NECK.id, NECK.version, "acute", DAY)
        store.finish_session(session, "complete", "continue", record.to_dict())
        (stored,) = store.sessions("P1")
    back = read_decision_record(stored.decision_detail)
    assert (back.regressions, back.removed, back.doses, back.omitted_movements, back.within_limits) == (
        record.regressions, record.removed, record.doses, record.omitted_movements, True,
    )  # fmt: skip


def test_a_damaged_decision_record_reads_as_far_as_it_goes() -> None:
    back = read_decision_record({"doses": {"a": {"step": "two"}, "b": [], "c": {"step": 3}}, "regressions": [1],
                                 "removed": "walk", "within_limits": "yes"})  # fmt: skip
    assert back.doses == {"a": DoseState(), "b": DoseState(), "c": DoseState(3)}  # unreadable: back to the start
    assert (back.regressions, back.removed, back.within_limits) == ({}, (), False)
