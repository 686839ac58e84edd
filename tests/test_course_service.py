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
    Admitted,
    CourseContext,
    CourseRequestError,
    CourseStopped,
    GateClosed,
    RunOutcome,
    SessionRun,
    SessionStepError,
    admit,
    approve,
    open_session,
    review,
    set_surgery_date,
)
from rehabkit._sessions.store import Store
from rehabkit.engine import CourseEvent, build_course
from rehabkit.engine.decision_record import DecisionRecord, read_decision_record
from rehabkit.engine.dose import DoseState
from rehabkit.engine.events import Approval, OtherDetail, Pause, PhaseEntry, Review, event_detail
from rehabkit.model import Protocol

from conftest import PROTOCOLS

NECK = Protocol.from_dict(load_file(str(PROTOCOLS / "neck" / "neck-pain.yaml")).data)
DAY = datetime.date(2026, 10, 1)
PT = Actor("PT-1", ("physiotherapist", "clinician", "surgeon"))


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
    admitted = admit(store, context, "P1", day, actor=PT)
    assert not isinstance(admitted, RunOutcome)
    run = open_session(store, context, admitted, PT)
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
    return run_session(
        store, context, "P1", FileAnswers(answers, "answers"), Display(lambda _: None), actor=PT, today=day
    )


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
        admitted = admit(store, context, "P1", DAY, actor=PT)
        assert not isinstance(admitted, RunOutcome)
        run = open_session(store, context, admitted, PT)
        for question in context.questions:
            run.answer_screening(question, False)
        run.end_screening()
        plan = run.pain_before(3)
        assert not isinstance(plan, RunOutcome)
        for item in plan.items:
            run.pain_during(item.exercise.id, 2)
        run.pain_after(5)
        run.interrupt()
        (session,) = store.sessions("P1")
        kinds = [kind for kind, _, _ in store.answers(session.id)]
    assert session.status == "incomplete" and session.pain_after == 5
    assert kinds[-1] == "pain-after" and "pain-before" in kinds and "pain-during" in kinds


def test_an_urgent_answer_pauses_the_course_and_only_a_review_lets_it_go_on(context, tmp_path) -> None:
    urgent = next(q for q in context.questions if q.action == "refer-urgently")
    with Store(tmp_path / "s.db") as store:
        _approved(store, context)
        admitted = admit(store, context, "P1", DAY, actor=PT)
        assert not isinstance(admitted, RunOutcome)
        run = open_session(store, context, admitted, PT)
        assert run.answer_screening(urgent, True)  # an urgent yes ends screening at once
        ended = run.end_screening()
        assert isinstance(ended, RunOutcome) and ended.paused and ended.action == "refer-urgently"
        with pytest.raises(CourseStopped):
            admit(store, context, "P1", DAY + datetime.timedelta(days=1), actor=PT)
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
            admit(store, context, "P1", DAY, actor=PT)
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


def _opened(store: Store, context: CourseContext, day: datetime.date = DAY) -> SessionRun:
    admitted = admit(store, context, "P1", day, actor=PT)
    assert isinstance(admitted, Admitted)
    return open_session(store, context, admitted, PT)


def test_a_session_s_steps_come_in_order_and_nothing_follows_its_end(context, tmp_path) -> None:
    with Store(tmp_path / "s.db") as store:
        _approved(store, context)
        run = _opened(store, context)
        with pytest.raises(SessionStepError):
            run.pain_before(2)  # screening comes first, always
        spreading = next(q for q in context.questions if q.action == "stop-and-review")
        run.answer_screening(spreading, True)
        for question in context.questions:
            if question.id != spreading.id:
                run.answer_screening(question, False)
        ended = run.end_screening()
        assert isinstance(ended, RunOutcome) and ended.paused
        for step in (lambda: run.pain_before(2), lambda: run.pain_after(2), run.finish, run.interrupt):
            with pytest.raises(SessionStepError):
                step()  # a red flag ended the session: nothing more is recorded, nothing overwrites the stop
        (session,) = store.sessions("P1")
    assert (session.status, session.decision) == ("stopped", "stop-and-review")


def test_a_finished_session_cannot_be_finished_again_or_marked_incomplete(context, tmp_path) -> None:
    with Store(tmp_path / "s.db") as store:
        _approved(store, context)
        run = _opened(store, context)
        for question in context.questions:
            run.answer_screening(question, False)
        run.end_screening()
        plan = run.pain_before(2)
        assert not isinstance(plan, RunOutcome)
        with pytest.raises(SessionStepError):
            run.pain_after(2)  # not before the pain during every exercise of the plan
        with pytest.raises(SessionStepError):
            run.pain_during("not-in-the-plan", 2)
        for item in plan.items:
            run.pain_during(item.exercise.id, 1)
        run.pain_after(2)
        with pytest.raises(SessionStepError):
            run.finish()  # the new-symptom question is asked first
        run.new_symptom(False)
        assert run.finish().decision is not None
        for step in (run.finish, run.interrupt):
            with pytest.raises(SessionStepError):
                step()
        (session,) = store.sessions("P1")
    assert session.status == "complete"


def test_a_stopped_course_never_opens_a_session_even_when_asked_directly(context, tmp_path) -> None:
    with Store(tmp_path / "s.db") as store:
        _approved(store, context)
        admitted = admit(store, context, "P1", DAY, actor=PT)
        assert isinstance(admitted, Admitted)
        urgent = next(q for q in context.questions if q.action == "refer-urgently")
        run = open_session(store, context, admitted, PT)
        run.answer_screening(urgent, True)
        run.end_screening()
        paused = Admitted("P1", context.course(store, "P1", DAY), DAY)  # what admit would refuse
        with pytest.raises(CourseStopped):
            open_session(store, context, paused, PT)
        assert len(store.sessions("P1")) == 1


def test_a_review_with_an_outcome_rehabkit_does_not_know_is_refused_and_lifts_nothing(context, tmp_path) -> None:
    with Store(tmp_path / "s.db") as store:
        _approved(store, context)
        run = _opened(store, context)
        run.answer_screening(next(q for q in context.questions if q.action == "refer-urgently"), True)
        run.end_screening()
        with pytest.raises(CourseRequestError, match="refer-on"):
            review(store, context, "P1", PT, DAY, outcome="refer-on")
        assert context.course(store, "P1", DAY).status == "paused"


def test_a_surgery_date_after_the_record_s_date_is_refused(tmp_path) -> None:
    with Store(tmp_path / "s.db") as store:
        with pytest.raises(CourseRequestError) as refused:
            set_surgery_date(store, "P1", DAY + datetime.timedelta(days=1), DAY, PT)
        assert refused.value.param == "--surgery-date"
        assert set_surgery_date(store, "P1", DAY, DAY, PT) is None
        assert store.surgery_date("P1") == DAY.isoformat()


def test_events_built_with_stored_details_as_packs_for_0_1_did_read_as_typed() -> None:
    day = DAY
    events = [
        CourseEvent(1, "enter-phase", day, NECK.id, "acute", detail={"reason": "start of the protocol"}),
        CourseEvent(2, "approval", day, NECK.id, "acute", detail={"kind": "clinician-approval", "value": True}),
        CourseEvent(3, "review", day, NECK.id, "acute", detail={"outcome": "refer", "note": None}),
    ]
    course = build_course(NECK, [], events, [], [], day)
    assert events[1].detail == Approval("clinician-approval", True)
    assert (course.status, course.facts.approvals) == ("referred", {"acute": {"clinician-approval": True}})
