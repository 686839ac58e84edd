"""The course service: the one place where a patient's course changes.

Every front end (the ``rehabkit`` commands, the pack harness, and later the
browser) changes a course only through these operations: admit and record a
session step by step (:func:`admit`, :func:`open_session`, then the
:class:`SessionRun`'s steps), record approvals and clearances, a review, a
next-morning report, a measure, a surgery date. Each takes the date, and the
acting person (:class:`Actor`) where it records what someone did; it asks the
pure engine what follows, records it in the store and returns a typed result.
Printing is the front end's work. Each operation first checks that the actor
may do it (:mod:`rehabkit._sessions.staff`: the roles of clinical-policy data,
and a patient on their own course only): a refusal raises
:class:`~rehabkit._sessions.staff.NotPermitted` before anything is recorded.

A session is recorded as it goes: every answer is stored the moment it is
given, so an interrupted session keeps what the patient said.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Collection, Mapping
from typing import Any

import attrs

from .._common.errors import RehabkitError
from .._common.vocabulary import REVIEW_ACTIONS
from ..engine import Course, CriteriaResult, Decision, Facts, SessionPlan, SessionResult, ends_screening, screen
from ..engine.conclude import Conclusion, conclude, empty_plan_stop, gate_refusal, interrupted, screening_stop
from ..engine.course import active_precautions, morning_reasons, weeks_stuck_with
from ..engine.decision_record import DecisionRecord
from ..engine.event_fields import REVIEW_OUTCOMES
from ..engine.events import Approval, Pause, PhaseEntry, Review
from ..engine.outcomes import OutcomeMeasure, Score
from ..engine.records import NextDayRecord, PastSession
from ..engine.symptoms import Reason
from ..engine.today import OMITTED_TODAY, check_gate, facts_with_pain, morning_doses, plan_for, session_facts
from ..model import Exercise, Precaution, ScreeningQuestion
from ..model import Protocol as ProtocolModel
from .course import load_course
from .staff import Actor, NotPermitted, note_required, require
from .store_api import SessionStore

__all__ = [
    "APPROVAL_KINDS",
    "REVIEW_OUTCOMES",
    "Actor",
    "Admitted",
    "ApprovalRecorded",
    "Clearance",
    "CourseContext",
    "CourseRequestError",
    "CourseStopped",
    "DateOrderError",
    "GateClosed",
    "NextDayRecorded",
    "NoSessionError",
    "NotPermitted",
    "RestDay",
    "ReviewRecorded",
    "RunOutcome",
    "SessionRun",
    "SessionStepError",
    "admit",
    "approval_kind",
    "approve",
    "check_surgery_date",
    "gate_kinds",
    "next_day_session",
    "open_session",
    "record_gate_approvals",
    "record_measure",
    "record_next_day",
    "review",
    "set_surgery_date",
    "stopped_in",
    "unruled_morning",
]

#: The action of a red flag that sends the patient for urgent medical help.
URGENT = "refer-urgently"
#: The kinds of approval a gate may ask for.
APPROVAL_KINDS = ("surgeon-clearance", "clinician-approval")
#: A review's outcomes, and those that leave the course stopped.
STOPPING_REVIEWS = ("refer", "discharge")


@attrs.frozen(slots=True)
class CourseContext:
    """What the operations need from the installed packs for one protocol."""

    protocol: ProtocolModel
    library: Mapping[str, Exercise] = attrs.field(factory=dict)
    measures: Mapping[str, OutcomeMeasure] = attrs.field(factory=dict)
    extra_screening: tuple[ScreeningQuestion, ...] = ()
    #: The progression policy (the plugin manager's ``decide``: the packs' ``rehabkit_progression_decision`` hooks, then
    #: the engine's default); ``None``: the engine's default only.
    decide: Callable[[SessionPlan, SessionResult, Facts], Decision] | None = None
    #: The effective clinical policy (packs may override rehabkit's defaults).
    policy: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def new_symptom_question(self) -> str:
        """The question asked after every session (clinical policy data; packs may reword it)."""
        configured = self.policy.get("session", {}).get("new_symptom_question")
        if configured is None:
            from .._common.clinical_data import policy

            configured = policy()["session"]["new_symptom_question"]
        return str(configured)

    @property
    def relax_seconds(self) -> int:
        """Seconds to relax between the holds of a set where a dose gives none (clinical policy data; packs may
        change it)."""
        configured = self.policy.get("session", {}).get("relax_seconds_between_holds")
        if configured is None:
            from .._common.clinical_data import policy

            configured = policy()["session"]["relax_seconds_between_holds"]
        return int(configured)

    @property
    def questions(self) -> tuple[ScreeningQuestion, ...]:
        """Every red-flag question of the session: the protocol's, then those packs add, then rehabkit's shared
        question for each sign of the red-flag minimum set in force that none of them covers (a protocol of an older
        format, which lint warns about: no patient misses a sign the clinic requires)."""
        asked = (*self.protocol.red_flags, *self.extra_screening)
        return (*asked, *shared_questions(self.policy, self.protocol.conditions, asked))

    def course(self, store: SessionStore, patient: str, day: datetime.date) -> Course:
        """The patient's course in this protocol on ``day``."""
        return load_course(store, patient, self.protocol, self.measures, day)


def shared_questions(
    policy: Mapping[str, Any], conditions: Collection[str], asked: Collection[ScreeningQuestion]
) -> tuple[ScreeningQuestion, ...]:
    """rehabkit's shared red-flag questions for the signs that ``policy`` (the clinical policy in force; empty: the
    defaults) requires for ``conditions`` and that no question ``asked`` covers, in the minimum set's order."""
    from .._common.clinical_data import policy as default_policy
    from .._common.clinical_data import shared_red_flags, uncovered_signs

    flags = policy.get("red_flags") or default_policy()["red_flags"]
    missing = uncovered_signs(flags, conditions, (sign for q in asked for sign in q.covers))
    shared = shared_red_flags()
    return tuple(ScreeningQuestion.from_dict(shared[sign]) for sign in missing if sign in shared)


class CourseStopped(RehabkitError, RuntimeError):
    """The course is paused, referred or discharged: nothing runs until a clinician records a review."""

    def __init__(self, course: Course) -> None:
        super().__init__(f"the course is {course.status}")
        self.course = course


class RestDay(RehabkitError, RuntimeError):
    """The weekly schedule plans no exercise for the day (a rest day, or today's exercises are done): nothing is
    recorded. ``plan`` says what is left out and why; ``plan.rest_until`` the next day with exercise."""

    def __init__(self, course: Course, plan: SessionPlan) -> None:
        super().__init__("no exercise is planned for this day")
        self.course = course
        self.plan = plan


class DateOrderError(RehabkitError, ValueError):
    """A session dated before what the course already holds: a course is recorded in date order."""


class GateClosed(RehabkitError, RuntimeError):
    """A criterion of the phase's gate does not hold, so no exercise may start."""

    def __init__(self, course: Course, phase: str, result: CriteriaResult) -> None:
        super().__init__(f"the gate of phase {phase!r} is closed")
        self.course = course
        self.phase = phase
        self.result = result


class CourseRequestError(RehabkitError, ValueError):
    """A request the course cannot take as asked (a phase that does not exist, a review that needs a phase...).

    ``param`` names the option at fault (``--phase``), or ``None`` when the request as a whole is at fault.
    """

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


@attrs.frozen(slots=True)
class RunOutcome:
    """How a session ended: screening stop or a decision, the course after it, and the next session's plan."""

    session: int
    phase: str
    stopped_by_screening: bool
    screening_action: str
    messages: tuple[str, ...]
    decision: Decision | None = None
    next_plan: SessionPlan | None = None
    plan: SessionPlan | None = None
    #: The course's state after the session: ``active``, or ``paused`` when it now waits for a clinician's review.
    status: str = "active"

    @property
    def action(self) -> str:
        """What ended the session: the screening action when screening stopped it, else the decision's action."""
        if self.decision is None:
            return self.screening_action
        return self.decision.action

    @property
    def paused(self) -> bool:
        """True when the course now waits for a clinician's review."""
        return self.action in REVIEW_ACTIONS


# --- a session --------------------------------------------------------------------------------------------------


def _record(
    store: SessionStore, patient: str, course: Course, session: int, end: Conclusion, day: datetime.date
) -> None:
    """Record how a session ended: its status and decision record, and the pause or phase entry it causes."""
    store.finish_session(session, end.status, end.action, end.record.to_dict())
    protocol = course.protocol.id
    if end.pause is not None:
        store.add_event(patient, "pause", day, protocol=protocol, phase=course.phase, detail=end.pause.to_dict())
    if end.entry is not None:
        phase, entry = end.entry
        store.add_event(patient, "enter-phase", day, protocol=protocol, phase=phase, detail=entry.to_dict())


def _urgent_stop(
    store: SessionStore,
    ctx: CourseContext,
    patient: str,
    course: Course,
    urgent: list[ScreeningQuestion],
    day: datetime.date,
    not_sure: Collection[str] = (),
) -> RunOutcome:
    """Urgent red flags answered yes (or not sure, recorded as such) by name act before anything else, whatever else
    is wrong with the course."""
    protocol = ctx.protocol
    session = store.start_session(patient, protocol.id, protocol.version, course.phase, day)
    for question in urgent:
        store.record_answer(session, "screening", question.id, "not-sure" if question.id in not_sure else True)
    end = screening_stop(screen(urgent, {q.id: True for q in urgent}), session)
    _record(store, patient, course, session, end, day)
    return RunOutcome(session, course.phase, True, "refer-urgently", end.record.messages, status="paused")


def _pause_for_morning(
    store: SessionStore, ctx: CourseContext, patient: str, course: Course, day: datetime.date
) -> None:
    """The next-morning report asks for review and nothing has paused the course yet (next-day could not check)."""
    pause = Pause(
        course.morning_action,
        "next-day",
        tuple(r.describe() for r in course.morning),
        tuple(r.rule.message for r in course.morning),
    )
    store.add_event(patient, "pause", day, protocol=ctx.protocol.id, phase=course.phase, detail=pause.to_dict())


@attrs.frozen(slots=True)
class Admitted:
    """A course :func:`admit` let a session start in on ``day``: what :func:`open_session` takes."""

    patient: str
    course: Course
    day: datetime.date


def admit(
    store: SessionStore,
    ctx: CourseContext,
    patient: str,
    day: datetime.date,
    *,
    actor: Actor,
    urgent: Collection[str] = (),
    not_sure: Collection[str] = (),
) -> Admitted | RunOutcome:
    """Whether a session may start on ``day``: the admitted course, or the refusal, raised.

    ``urgent``: questions already answered yes, or not sure (``not_sure``, taken as yes), by an answers file naming
    them: an urgent one stops the session at once, recorded, and its :class:`RunOutcome` is returned. Raises
    :class:`DateOrderError` for a date before the course's latest entry, :class:`CourseStopped` for a paused, referred
    or discharged course, :class:`GateClosed` when an entry criterion of the patient's phase does not hold and
    :class:`RestDay` when the weekly schedule plans nothing for ``day``. A session left unfinished earlier is marked
    incomplete first. :class:`NotPermitted` when ``actor`` may not run this patient's session.
    """
    require(actor, "run-session", ctx.policy, patient)
    course = ctx.course(store, patient, day)
    if _close_unfinished(store, ctx, patient, course):
        course = ctx.course(store, patient, day)
    named = [q for q in ctx.questions if q.action == URGENT and q.id in urgent]
    if named:
        return _urgent_stop(store, ctx, patient, course, named, day, not_sure)
    if course.latest_date is not None and day < course.latest_date:
        raise DateOrderError(
            f"{day.isoformat()} is before the latest entry of this course ({course.latest_date.isoformat()}): a course "
            "is recorded in date order, so enter sessions done on paper oldest first, before any later ones."
        )
    if not course.stopped and course.morning_action in REVIEW_ACTIONS:
        _pause_for_morning(store, ctx, patient, course, day)
        course = ctx.course(store, patient, day)
    _refuse_if_closed(course)
    plan = plan_for(course, ctx.library, day=day)
    if plan.rest_until is not None:
        raise RestDay(course, plan)
    return Admitted(patient, course, day)


def _close_unfinished(store: SessionStore, ctx: CourseContext, patient: str, course: Course) -> bool:
    """Sessions left in progress (a killed terminal, a crash) become incomplete; one of this protocol whose pain went
    over a limit keeps a record of it first, as an interrupted session does (:meth:`SessionRun.interrupt`). True when
    one of the course's sessions was in progress (the course is then read again)."""
    found = False
    for session in (s for s in course.stint if s.status == "in-progress"):
        found = True
        during = {key: float(value) for kind, key, value in store.answers(session.id) if kind == "pain-during"}
        # the plan it followed: the course's, as no later session changed it
        plan = plan_for(course, ctx.library, day=session.date)
        record = interrupted(course, plan, during, course.omitted_movements, session.date) if during else None
        if record is not None:
            store.finish_session(session.id, "incomplete", _unfinished_action(course, record), record.to_dict())
    store.mark_unfinished_incomplete(patient)
    return found


def _unfinished_action(course: Course, record: DecisionRecord) -> str:
    """What a session left unfinished did, for its decision column: an exercise stopped until a review, one replaced
    by its easier version, or held (stopped for the rest of the day only)."""
    if record.removed != course.removed:
        return "stop-exercise"
    return "regress" if dict(record.regressions) != dict(course.regressions) else "hold"


def _refuse_if_closed(course: Course) -> None:
    if course.stopped:
        raise CourseStopped(course)
    gate = check_gate(course)
    if not gate.met:
        raise GateClosed(course, course.phase, gate)


def open_session(store: SessionStore, ctx: CourseContext, admitted: Admitted, actor: Actor) -> SessionRun:
    """Start the session of a course :func:`admit` let in: the first phase is entered if the course has not
    started. The course is checked again: a stopped course or a closed gate never opens a session."""
    course, patient, day, protocol = admitted.course, admitted.patient, admitted.day, ctx.protocol
    require(actor, "run-session", ctx.policy, patient)
    _refuse_if_closed(course)
    if not course.started:
        entry = PhaseEntry("start of the protocol")
        store.add_event(patient, "enter-phase", day, protocol=protocol.id, phase=course.phase, detail=entry.to_dict())
    session = store.start_session(patient, protocol.id, protocol.version, course.phase, day)
    return SessionRun(store, ctx, patient, course, session, actor, day)


class SessionStepError(RehabkitError, RuntimeError):
    """A session's step asked for out of order (pain before screening, anything after the session ended): the
    front end's mistake, refused before anything is recorded."""


#: A session's steps, in order: the step each may follow.
_AFTER = {
    "answer_screening": ("screening",),
    "end_screening": ("screening",),
    "pain_before": ("screened",),
    "pain_during": ("exercising",),
    "stopped_part_way": ("exercising",),
    "pain_after": ("exercising",),
    "new_symptom": ("answered",),
    "finish": ("asked",),
    "interrupt": ("screening", "screened", "exercising", "answered", "asked"),
}


class SessionRun:
    """A session being recorded, step by step: screening, pain before, each exercise, then the end.

    Each step records its answer at once and says what follows; :meth:`finish` asks the progression policy and
    records the decision. The steps come in order (:class:`SessionStepError` otherwise): every red-flag answer then
    :meth:`end_screening`; :meth:`pain_before`; :meth:`pain_during` for each exercise of the plan;
    :meth:`pain_after`; :meth:`new_symptom`; :meth:`finish`. A step that ends the session (a red flag, a gate, an
    empty plan) leaves nothing more to record.
    """

    def __init__(
        self,
        store: SessionStore,
        ctx: CourseContext,
        patient: str,
        course: Course,
        session: int,
        actor: Actor,
        day: datetime.date,
    ) -> None:
        self.store, self.ctx, self.patient, self.course = store, ctx, patient, course
        self.session, self.actor, self.day = session, actor, day
        #: Where the session stands: screening, screened, exercising, answered, asked, or ended.
        self.state = "screening"
        self.given: dict[str, bool] = {}
        self.plan: SessionPlan | None = None
        self.pain_before_value: float | None = None
        self.during: dict[str, float] = {}
        #: Exercises stopped part-way (:meth:`stopped_part_way`).
        self.part_way: set[str] = set()
        self.pain_after_value: float | None = None
        self.new_symptom_value: bool | None = None
        self._omitted: frozenset[str] = frozenset()
        self._screening_action = "continue"
        self._screening_messages: tuple[str, ...] = ()

    def _step(self, name: str) -> None:
        if self.state not in _AFTER[name]:
            raise SessionStepError(f"session {self.session}: {name} cannot come now (the session is {self.state})")

    @property
    def cautions(self) -> tuple[Precaution, ...]:
        """The protocol's precautions that apply to the patient today."""
        return active_precautions(self.course)

    def answer_screening(self, question: ScreeningQuestion, answer: bool | None) -> bool:
        """Record one red-flag answer (``None``: not sure, recorded as ``"not-sure"`` and taken as the cautious
        answer, yes); True when screening ends here (an urgent yes ends it at once)."""
        self._step("answer_screening")
        if question not in self.ctx.questions:
            raise SessionStepError(f"session {self.session}: {question.id!r} is not one of today's red-flag questions")
        self.given[question.id] = answer is not False
        self.store.record_answer(self.session, "screening", question.id, "not-sure" if answer is None else answer)
        return ends_screening(question, answer is not False)

    def end_screening(self) -> RunOutcome | tuple[str, ...]:
        """After the last answer: the session's end when an answer stops it (the course pauses), else the
        screening's messages for the patient (cautions of answers that only leave movements out).

        Raises ``ValueError`` naming the first question not answered (screening is never skipped).
        """
        self._step("end_screening")
        result = screen(self.ctx.questions, self.given)
        self._screening_action, self._screening_messages = result.action, tuple(result.messages())
        if result.stops_session:
            self.state = "ended"
            end = screening_stop(result, self.session)
            _record(self.store, self.patient, self.course, self.session, end, self.day)
            phase = self.course.phase
            return RunOutcome(self.session, phase, True, result.action, self._screening_messages, status="paused")
        self.state = "screened"
        self._omitted = frozenset(result.omitted_movements)
        return self._screening_messages

    def pain_before(self, pain: float) -> SessionPlan | RunOutcome:
        """Record pain at rest before exercise; today's plan, or the session's end when nothing is left to do.

        Raises :class:`GateClosed` when a criterion measured now (pain at rest) keeps the gate shut.
        """
        self._step("pain_before")
        self.pain_before_value = pain
        self.store.record_answer(self.session, "pain-before", "pain", pain)
        asked = check_gate(self.course, facts_with_pain(self.course, pain), session_measured=True)
        if not asked.met:
            self.state = "ended"
            self.store.finish_session(self.session, "stopped", "hold", gate_refusal(asked.missing).record.to_dict())
            raise GateClosed(self.course, self.course.phase, asked)
        self.plan = plan_for(self.course, self.ctx.library, self._omitted, OMITTED_TODAY, day=self.day)
        if self.plan.items:
            self.state = "exercising"
            return self.plan
        self.state = "ended"
        end = empty_plan_stop(self.session)
        _record(self.store, self.patient, self.course, self.session, end, self.day)
        return self._outcome(end, None)

    def pain_during(self, exercise: str, pain: float) -> float | None:
        """Record pain during an exercise; the exercise's pain limit when the pain went over it."""
        self._step("pain_during")
        assert self.plan is not None
        item = next((i for i in self.plan.items if i.exercise.id == exercise), None)
        if item is None:
            raise SessionStepError(f"session {self.session}: {exercise!r} is not in today's plan")
        self.during[exercise] = pain
        self.store.record_answer(self.session, "pain-during", exercise, pain)
        limit = item.dose.pain_limit if item.dose is not None else None
        return limit if limit is not None and pain > limit else None

    def stopped_part_way(self, exercise: str, sets_done: int, sets: int) -> None:
        """Record that the patient stopped an exercise of today's plan after ``sets_done`` of its ``sets`` sets (by
        choice, or for pain above its limit, which :meth:`pain_during` records)."""
        self._step("stopped_part_way")
        assert self.plan is not None
        if all(i.exercise.id != exercise for i in self.plan.items):
            raise SessionStepError(f"session {self.session}: {exercise!r} is not in today's plan")
        done = {"sets_done": sets_done, "sets": sets}
        self.store.record_answer(self.session, "stopped-part-way", exercise, done)
        self.part_way.add(exercise)

    def pain_after(self, pain: float) -> None:
        """Record pain after the session."""
        self._step("pain_after")
        missing = [i.exercise.id for i in self.plan.items if i.exercise.id not in self.during] if self.plan else []
        if missing:
            raise SessionStepError(f"session {self.session}: no pain during {', '.join(missing)} yet")
        self.state = "answered"
        self.pain_after_value = pain
        self.store.record_answer(self.session, "pain-after", "pain", pain)

    def new_symptom(self, answer: bool) -> None:
        """Record the answer to the new-symptom question asked after every session."""
        self._step("new_symptom")
        self.state = "asked"
        self.new_symptom_value = answer
        self.store.record_answer(self.session, "new-symptom", "new-symptom", answer)

    def finish(self) -> RunOutcome:
        """Decide through the progression policy, once every answer is in, and record the decision."""
        self._step("finish")
        assert self.plan is not None and self.pain_before_value is not None and self.pain_after_value is not None
        self.state = "ended"
        result = SessionResult(
            pain_before=self.pain_before_value,
            pain_during=dict(self.during),
            pain_after=self.pain_after_value,
            new_symptom=bool(self.new_symptom_value),
            weeks_without_improvement=weeks_stuck_with(self.course, self.day, self.pain_before_value),
            stopped_part_way=frozenset(self.part_way),
        )
        decision = self._decide(result)
        doses, _ = morning_doses(self.course)
        end = conclude(
            self.course,
            self.plan,
            result,
            decision,
            doses=doses,
            library=self.ctx.library,
            omitted=self._omitted,
            session=self.session,
            today=self.day,
        )
        _record(self.store, self.patient, self.course, self.session, end, self.day)
        return self._outcome(end, self.plan)

    def interrupt(self) -> None:
        """The patient stopped: the answers so far are kept and the session is marked incomplete. A pain over a limit
        already given counts for what it says: the session keeps a record of it (the exercise stopped for the rest of
        the day, its own rule acting, the day not within the limits)."""
        self._step("interrupt")
        self.state = "ended"
        record = interrupted(self.course, self.plan, self.during, self._omitted, self.day) if self.plan else None
        if record is None:
            self.store.finish_session(self.session, "incomplete")
        else:
            self.store.finish_session(
                self.session, "incomplete", _unfinished_action(self.course, record), record.to_dict()
            )

    def _decide(self, result: SessionResult) -> Decision:
        from ..engine import decide as default_policy

        assert self.plan is not None and self.pain_before_value is not None
        policy = self.ctx.decide or default_policy
        try:
            return policy(self.plan, result, session_facts(self.course, self.pain_before_value, self.day))
        except BaseException:
            self.state = "asked"
            self.interrupt()  # no decision: the answers are kept, the session is not complete
            raise

    def _outcome(self, end: Conclusion, plan: SessionPlan | None) -> RunOutcome:
        status = "paused" if end.paused else "active"
        return RunOutcome(
            self.session,
            self.course.phase,
            False,
            self._screening_action,
            self._screening_messages,
            end.decision,
            end.next_plan,
            plan if plan is not None else self.plan,
            status,
        )


# --- approvals, surgery date --------------------------------------------------------------------------------------


@attrs.frozen(slots=True)
class ApprovalRecorded:
    """An approval or clearance recorded: its kind, whether given, and the gates (phase ids) it concerns."""

    kind: str
    given: bool
    gates: tuple[str, ...]
    by: str | None
    #: Whether the gate asks for this kind at all (an approval it does not ask for opens nothing).
    asked: bool = True
    #: The surgeon whose letter was transcribed (None: given by the person who recorded it).
    surgeon: str | None = None
    #: When this approval follows a withdrawal of the same kind for the same gate: the withdrawal's date.
    withdrawn: datetime.date | None = None


def gate_kinds(protocol: ProtocolModel, phase_id: str) -> list[str]:
    """The approval kinds the gate into ``phase_id`` asks for (its entry criteria; the exit criteria of the phase
    before; for the last phase, its own exit: the end of the programme)."""
    order = [p.id for p in protocol.phases]
    index = order.index(phase_id)
    parts = [protocol.phases[index].entry, protocol.phases[index - 1].exit if index > 0 else None]
    if index + 1 == len(order):
        parts.append(protocol.phases[index].exit)
    return sorted({c.measure for part in parts if part for c in part.all if c.measure in APPROVAL_KINDS})


def _add_approval(
    store: SessionStore, patient: str, protocol: str, gate: str, actor: Actor, approval: Approval, day: datetime.date
) -> None:
    store.add_event(patient, "approval", day, protocol=protocol, phase=gate, by=actor.id, detail=approval.to_dict())


def approval_kind(protocol: ProtocolModel, phase: str, kind: str | None) -> str:
    """The kind of approval asked for the gate into ``phase``: ``kind``, or the clinician's approval when that is all
    the gate asks for. A surgeon's clearance is never assumed: it is named.

    Raises :class:`CourseRequestError` for a phase the protocol does not have, and when no kind is named and the
    gate asks for none or for the surgeon's clearance.
    """
    order = [p.id for p in protocol.phases]
    if phase not in order:
        raise CourseRequestError(
            f"{protocol.key} has no phase {phase!r}; its phases are {', '.join(order)}.", "--phase"
        )
    if kind is not None:
        return kind
    needed = gate_kinds(protocol, phase)
    if needed == ["clinician-approval"]:
        return needed[0]
    if "surgeon-clearance" in needed:
        raise CourseRequestError(
            f"the gate into phase {phase!r} asks for the surgeon's clearance, which is never assumed: a surgeon "
            "records it with --kind surgeon-clearance, or a clinician transcribes the surgeon's letter with "
            "--kind surgeon-clearance --surgeon NAME --evidence TEXT.",
            "--kind",
        )
    raise CourseRequestError(
        f"the gate into phase {phase!r} asks for no approval or clearance: say which with --kind "
        f"({' or '.join(APPROVAL_KINDS)})."
    )


@attrs.frozen(slots=True)
class Clearance:
    """Who an approval or clearance comes from when it is transcribed: the named ``surgeon`` and the ``evidence``
    (their letter: what and when); ``None`` for both when the person recording it gives it themselves."""

    surgeon: str | None = None
    evidence: str | None = None


def _check_approver(ctx: CourseContext, actor: Actor, patient: str, kind: str, given: bool, source: Clearance) -> None:
    """Refuse an approval the actor may not record (the roles of ``who_may_act``), or a transcription without its
    surgeon or evidence."""
    if (source.surgeon is None) != (source.evidence is None):
        raise CourseRequestError(
            "a transcribed clearance names the surgeon and the letter: give --surgeon NAME and --evidence TEXT."
        )
    if source.surgeon is not None and kind != "surgeon-clearance":
        raise CourseRequestError("--surgeon and --evidence go with --kind surgeon-clearance.", "--surgeon")
    if not given:
        require(actor, "withdraw-approval", ctx.policy, patient)
    elif kind == "clinician-approval":
        require(actor, "give-clinician-approval", ctx.policy, patient)
    elif source.surgeon is not None:
        require(actor, "transcribe-surgeon-clearance", ctx.policy, patient)
    else:
        try:
            require(actor, "give-surgeon-clearance", ctx.policy, patient)
        except NotPermitted as exc:
            raise NotPermitted(
                f"{exc} A clinician may transcribe a surgeon's letter: add --surgeon NAME --evidence TEXT "
                "(recorded as transcribed by you)."
            ) from None


def approve(
    store: SessionStore,
    ctx: CourseContext,
    patient: str,
    actor: Actor,
    day: datetime.date,
    *,
    phase: str,
    kind: str | None = None,
    given: bool = True,
    source: Clearance = Clearance(),
) -> ApprovalRecorded:
    """Record an approval or clearance (or its withdrawal) for the gate into ``phase`` only (``kind``: see
    :func:`approval_kind`; ``source``: a clearance transcribed from a surgeon's letter).

    Raises :class:`NotPermitted` when the actor's role may not record it (by default a surgeon's clearance is
    given by a surgeon, or transcribed from a named surgeon's letter by a clinician; a patient never approves).
    """
    kind = approval_kind(ctx.protocol, phase, kind)
    _check_approver(ctx, actor, patient, kind, given, source)
    withdrawn = _withdrawn_on(store, patient, ctx.protocol.id, phase, kind) if given else None
    approval = Approval(kind, given, "approve", source.surgeon, source.evidence)
    _add_approval(store, patient, ctx.protocol.id, phase, actor, approval, day)
    asked = kind in gate_kinds(ctx.protocol, phase)
    return ApprovalRecorded(kind, given, (phase,), actor.id, asked=asked, surgeon=source.surgeon, withdrawn=withdrawn)


def _withdrawn_on(store: SessionStore, patient: str, protocol: str, phase: str, kind: str) -> datetime.date | None:
    """The date the latest ``kind`` for the gate into ``phase`` was withdrawn, when its latest record withdraws it."""
    latest = None
    for record in store.events(patient):
        event = record.course_event()
        detail = event.detail
        if event.protocol == protocol and event.phase == phase and isinstance(detail, Approval) and detail.kind == kind:
            latest = None if detail.value else event.date
    return latest


def record_gate_approvals(
    store: SessionStore,
    ctx: CourseContext,
    patient: str,
    actor: Actor,
    day: datetime.date,
    given: Mapping[str, bool | None],
    *,
    via: str | None = "run",
) -> list[ApprovalRecorded]:
    """Approvals given with a session (``given``: kind -> True, False for a withdrawal, None for nothing).

    They concern the gate the patient stands at; a withdrawal also closes the phase the patient is in.
    """
    course = ctx.course(store, patient, day)
    for kind, value in given.items():
        if value is not None:
            _check_approver(ctx, actor, patient, kind, value, Clearance())
    recorded = []
    for kind, value in given.items():
        if value is None:
            continue
        gates = [course.gate] if value or not course.started else list(dict.fromkeys([course.phase, course.gate]))
        for gate in gates:
            _add_approval(store, patient, ctx.protocol.id, gate, actor, Approval(kind, value, via), day)
        recorded.append(ApprovalRecorded(kind, value, tuple(gates), actor.id))
    return recorded


def check_surgery_date(surgery: datetime.date, day: datetime.date) -> None:
    """Refuse a surgery date after ``day``, the date the record is for (a surgery date cannot be in the future)."""
    if surgery > day:
        raise CourseRequestError(
            f"{surgery.isoformat()} is after {day.isoformat()}, the date this record is for (--date, default today); "
            "a surgery date cannot be in the future.",
            "--surgery-date",
        )


def set_surgery_date(
    store: SessionStore,
    patient: str,
    surgery: datetime.date | None,
    day: datetime.date,
    actor: Actor,
    policy: Mapping[str, Any] | None = None,
) -> str | None:
    """Create the patient's record if needed and record the surgery date when given; the date it replaces, if any
    (kept in the store: a new date is a new record).

    Raises :class:`CourseRequestError` for a surgery date after ``day`` (the record's date),
    :class:`NotPermitted` when the actor may not record a surgery date, and
    :class:`rehabkit._common.errors.StoreError` for a patient id that is not a pseudonymous code.
    """
    if surgery is not None:
        require(actor, "record-surgery-date", policy, patient)
        check_surgery_date(surgery, day)
    text = surgery.isoformat() if surgery is not None else None
    old = store.surgery_date(patient) if store.has_patient(patient) else None
    store.ensure_patient(patient, surgery_date=text, day=day)
    return old if text is not None and old is not None and old != text else None


# --- reviews ----------------------------------------------------------------------------------------------------


@attrs.frozen(slots=True)
class ReviewRecorded:
    """A review recorded: the course before and after it."""

    before: Course
    after: Course


def _check_review(course: Course, outcome: str, phase: str | None, day: datetime.date) -> None:
    if outcome not in REVIEW_OUTCOMES:
        raise CourseRequestError(f"{outcome!r} is not a review's outcome: one of {', '.join(REVIEW_OUTCOMES)}.")
    protocol = course.protocol
    order = [p.id for p in protocol.phases]
    if outcome == "earlier-phase":
        if phase is None:
            earlier = ", ".join(order[: order.index(course.phase)])
            raise CourseRequestError(
                "--outcome earlier-phase needs --phase: one of "
                f"{earlier or '(none: the patient is in the first phase; use resume)'}."
            )
        if phase not in order:
            raise CourseRequestError(
                f"{protocol.key} has no phase {phase!r}; its phases are {', '.join(order)}.", "--phase"
            )
        if order.index(phase) >= order.index(course.phase) and course.started:
            raise CourseRequestError(f"{phase!r} is not earlier than the patient's phase {course.phase!r}.", "--phase")
    elif phase is not None:
        raise CourseRequestError("--phase goes with --outcome earlier-phase only.")
    if course.stop is not None and day < course.stop.date:
        raise CourseRequestError(
            f"{day.isoformat()} is before the stop it reviews ({course.stop.date.isoformat()}).", "--date"
        )


def review(
    store: SessionStore,
    ctx: CourseContext,
    patient: str,
    actor: Actor,
    day: datetime.date,
    *,
    outcome: str,
    phase: str | None = None,
    note: str | None = None,
) -> ReviewRecorded:
    """Record a clinician's review: ``resume``, ``earlier-phase`` (back to ``phase``), ``discharge`` or ``refer``.

    Raises :class:`NotPermitted` when the actor may not review, or may not lift the urgent referral the course
    stands stopped by (by default a clinician or surgeon, with a note).
    """
    require(actor, "review", ctx.policy, patient)
    course = ctx.course(store, patient, day)
    _check_review(course, outcome, phase, day)
    if outcome in ("resume", "earlier-phase") and lifts_urgent_referral(store, course, patient):
        require(actor, "lift-urgent-referral", ctx.policy, patient)
        if note_required("lift-urgent-referral", ctx.policy) and not (note or "").strip():
            raise CourseRequestError(
                "lifting an urgent referral needs the clinician's note: say what was found with --note TEXT.",
                "--note",
            )
    protocol = ctx.protocol.id
    detail = Review(outcome, note, course.status).to_dict()
    store.add_event(patient, "review", day, protocol=protocol, phase=course.phase, by=actor.id, detail=detail)
    if outcome == "earlier-phase":
        entry = PhaseEntry(f"clinician review by {actor.id}")
        store.add_event(patient, "enter-phase", day, protocol=protocol, phase=phase, detail=entry.to_dict())
    return ReviewRecorded(course, ctx.course(store, patient, day))


def lifts_urgent_referral(store: SessionStore, course: Course, patient: str) -> bool:
    """True when ``course`` stands stopped by an urgent referral (its latest pause refers urgently), so that a review
    letting it go on lifts that referral."""
    if not course.stopped:
        return False
    pauses = [e.course_event() for e in store.events(patient) if e.kind == "pause"]
    mine = [p for p in pauses if p.protocol == course.protocol.id and isinstance(p.detail, Pause)]
    return bool(mine) and isinstance(mine[-1].detail, Pause) and mine[-1].detail.action == URGENT


def stopped_in(store: SessionStore, patient: str) -> str | None:
    """The protocol of the pause or review that leaves the patient's course stopped, if one does."""
    stops = [e.course_event() for e in store.events(patient) if e.kind in ("pause", "review")]
    last = stops[-1] if stops else None
    if last is None:
        return None
    if isinstance(last.detail, Pause) or (isinstance(last.detail, Review) and last.detail.outcome in STOPPING_REVIEWS):
        return last.protocol
    return None


# --- the next morning -------------------------------------------------------------------------------------------


@attrs.frozen(slots=True)
class NextDayRecorded:
    """A next-morning report recorded after ``session``: the rules it fired, most serious first (none when the
    session's protocol is not known), and whether the course is now paused."""

    session: PastSession
    reasons: tuple[Reason, ...] = ()
    #: What the report gave that the protocol has no next-morning rule for, as the symptom-rule measures it would
    #: feed (``pain-next-morning``, ``not-settled-after-hours``): recorded, but nothing acts on it.
    unruled: tuple[str, ...] = ()

    @property
    def action(self) -> str:
        """The most serious action of the rules that fired (``continue`` when none)."""
        return self.reasons[0].action if self.reasons else "continue"

    @property
    def paused(self) -> bool:
        """True when the report paused the course until a clinician's review."""
        return self.action in REVIEW_ACTIONS


class NoSessionError(RehabkitError, LookupError):
    """A next-morning report with no session before it."""


def next_day_session(store: SessionStore, patient: str, day: datetime.date) -> PastSession:
    """The session a next-morning report dated ``day`` follows: the patient's latest before it, on the eve."""
    session = store.session_before(patient, day)
    if session is None:
        raise NoSessionError(f"{patient} has no session before {day.isoformat()} for this morning report to follow.")
    if session.date != day - datetime.timedelta(days=1):
        raise CourseRequestError(
            f"{patient}'s latest session before {day.isoformat()} was on {session.date}: a next-morning report is for "
            "the morning after a session. Date it that morning with --date, or leave it out.",
            "--date",
        )
    return session


#: The symptom-rule measures a next-morning report feeds: pain (against the scale, and against the pain before the
#: session), and the hours pain took to settle.
MORNING_PAIN = ("pain-next-morning", "next-morning-over-baseline")
MORNING_SETTLED = ("not-settled-after-hours",)


def unruled_morning(protocol: ProtocolModel, settled: bool) -> tuple[str, ...]:
    """What a next-morning report gives that ``protocol`` has no rule for: ``pain-next-morning`` when no rule looks at
    next-morning pain, ``not-settled-after-hours`` when the hours to settle are given (``settled``) and no rule looks
    at them."""
    measures = {rule.measure for rule in protocol.symptom_rules}
    unruled = [] if measures & set(MORNING_PAIN) else ["pain-next-morning"]
    if settled and not measures & set(MORNING_SETTLED):
        unruled.append("not-settled-after-hours")
    return tuple(unruled)


def record_next_day(
    store: SessionStore,
    patient: str,
    actor: Actor,
    day: datetime.date,
    *,
    session: PastSession,
    pain: float,
    settled: float | None = None,
    protocol: ProtocolModel | None = None,
    policy: Mapping[str, Any] | None = None,
) -> NextDayRecorded:
    """Record next-morning pain after ``session`` (see :func:`next_day_session`) and act on ``protocol``'s
    next-morning rules at once: a rule asking for review pauses the course now."""
    require(actor, "record-next-day", policy, patient)
    store.record_next_day(patient, session.id, pain, day, settled)
    if protocol is None:
        return NextDayRecorded(session)
    reasons = morning_reasons(protocol, session, NextDayRecord(session.id, day, pain, settled))
    recorded = NextDayRecorded(session, reasons, unruled_morning(protocol, settled is not None))
    if recorded.paused:
        pause = Pause(
            recorded.action,
            "next-day",
            tuple(r.describe() for r in reasons),
            tuple(r.rule.message for r in reasons),
            session.id,
        )
        store.add_event(patient, "pause", day, protocol=protocol.id, phase=session.phase, detail=pause.to_dict())
    return recorded


# --- outcome measures ---------------------------------------------------------------------------------------------


def record_measure(
    store: SessionStore,
    patient: str,
    actor: Actor,
    day: datetime.date,
    *,
    measure: OutcomeMeasure,
    answers: Mapping[str, int | None],
    policy: Mapping[str, Any] | None = None,
) -> Score:
    """Score a questionnaire's answers (item id -> score, ``None`` for a skipped item) and record the score; a
    patient the store does not know yet is recorded with it, in one transaction (a baseline measure before the
    first session).

    Raises :class:`rehabkit._sessions.outcomes.ScoringError` when the published scoring rule cannot score them
    (too many items skipped, a score out of range); nothing is recorded then.
    """
    require(actor, "record-measure", policy, patient)
    score = measure.score(dict(answers))
    store.record_measure(patient, measure.id, score.value, score.unit, score.band, dict(answers), day)
    return score
