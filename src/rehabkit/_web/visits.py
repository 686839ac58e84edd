"""A patient's session in the browser, step by step, held in the server process between requests.

Each patient has at most one :class:`Visit` in the server: the course service's
:class:`~rehabkit._sessions.service.SessionRun` of today's session, held under the patient's course lock (as
``rehabkit run`` holds it) from the start of the session to its end, and where the patient stands in it (the red-flag
question, the exercise). Every answer goes to the ``SessionRun``, which records it the moment it is given; this
module decides only which page comes next. Each page names its step (:attr:`Visit.step`): an answer posted for
another step (a form sent twice, an old page) is not recorded, and the patient is shown where they stand.

A visit idle for longer than :data:`IDLE_SECONDS` is interrupted (the session marked incomplete, as Ctrl-C at the
terminal) and its lock released. A server restart loses the visits: the session stays in progress in the store, and
the course service marks it incomplete when the patient next starts one (:func:`rehabkit._sessions.service.admit`).
"""

from __future__ import annotations

import contextlib
import datetime
import time
from collections.abc import Callable
from typing import Any

import attrs

from .._common.errors import NotPermitted
from .._sessions.locks import PatientBusy, patient_lock
from .._sessions.runner import NOT_SURE_WORDS, WITHIN_LIMIT_WORDS, above_limit_words
from .._sessions.service import (
    CourseContext,
    CourseStopped,
    DateOrderError,
    GateClosed,
    RestDay,
    RunOutcome,
    SessionRun,
    admit,
    open_session,
)
from .._sessions.staff import Actor
from .._sessions.store_api import SessionStore

__all__ = ["IDLE_SECONDS", "KEPT_KEYS", "Refusal", "Visit", "Visits", "Words"]

#: How long a session may wait for the patient's next answer before it is marked incomplete.
IDLE_SECONDS = 2 * 3600
#: How many answers' idempotency keys a visit keeps (far more than a session's answers).
KEPT_KEYS = 500


@attrs.frozen(slots=True)
class Words:
    """The terminal's words, which the pages repeat (given by the command that starts the server, so that the
    browser and the terminal say the same)."""

    #: Why a stopped course runs nothing: (course, patient) -> lines.
    stopped: Callable[[Any, str], list[str]]
    #: Why a closed gate refuses the session: (patient, protocol, phase, result) -> lines.
    gate: Callable[[str, Any, str, Any], list[str]]
    #: A rest day: plan -> one line.
    rest_day: Callable[[Any], str]
    #: A decision in the patient's words.
    decision: Callable[[Any], str]
    #: A stop at screening, line by line.
    screening_stop: Callable[[Any], list[str]]
    screening_pause: str
    decision_pause: str
    #: What 'rehabkit next-day' says of a report it recorded: (patient, day, pain, recorded) -> lines.
    morning: Callable[[str, datetime.date, float, Any], list[str]]


@attrs.frozen(slots=True)
class Refusal:
    """Today's session refused before it started: a title and the terminal's lines."""

    title: str
    lines: tuple[str, ...]


@attrs.define
class Visit:
    """One patient's session in the browser: the run, the lock held for it, and where the patient stands."""

    patient: str
    run: SessionRun | None = None
    lock: contextlib.ExitStack | None = None
    question: int = 0
    exercise: int = 0
    #: Lines to show on the next page (cautions, what an answer meant), then forgotten.
    notes: list[str] = attrs.field(factory=list)
    outcome: RunOutcome | None = None
    refusal: Refusal | None = None
    seen: float = attrs.field(factory=time.monotonic)
    #: The idempotency keys of the answers this visit took (the latest :data:`KEPT_KEYS`), oldest first.
    keys: dict[str, None] = attrs.field(factory=dict)

    def repeated(self, key: str) -> bool:
        """True when an answer with the idempotency key ``key`` was recorded before (a queue sent again). No key (a
        form sent without the page's script) is never a repeat. Checking keeps nothing: see :meth:`taken`."""
        return bool(key) and key in self.keys

    def taken(self, key: str) -> None:
        """Keep ``key`` as the key of an answer just recorded (the latest :data:`KEPT_KEYS` are kept); only after the
        answer is stored, so that a first attempt that failed leaves its retry free to record it."""
        if not key:
            return
        self.keys[key] = None
        while len(self.keys) > KEPT_KEYS:
            del self.keys[next(iter(self.keys))]

    @property
    def step(self) -> str:
        """The step the patient stands at, as the pages name it."""
        run = self.run
        if self.refusal is not None or self.outcome is not None:
            return "end"
        if run is None:
            return "start"
        if run.state == "screening":
            return f"question:{run.ctx.questions[self.question].id}"
        if run.state == "screened":
            return "pain-before"
        if run.state == "exercising":
            assert run.plan is not None
            items = run.plan.items
            return f"exercise:{items[self.exercise].exercise.id}" if self.exercise < len(items) else "pain-after"
        if run.state == "answered":
            return "new-symptom"
        return "end"

    def take_notes(self) -> list[str]:
        """The lines to show now (each shown once)."""
        notes, self.notes = self.notes, []
        return notes

    def release(self) -> None:
        """Let go of the patient's course lock (the session ended, or was interrupted)."""
        if self.lock is not None:
            self.lock.close()
            self.lock = None

    # --- the steps ---------------------------------------------------------------------------------------------

    def start(self, store: SessionStore, ctx: CourseContext, actor: Actor, day: datetime.date, words: Words) -> None:
        """Admit today's session and open it, under the patient's lock; a refusal is kept to be shown."""
        self.notes, self.outcome, self.refusal, self.question, self.exercise = [], None, None, 0, 0
        self.run = None  # an ended session before it: today's may be refused, and must not look open
        stack = contextlib.ExitStack()
        try:
            stack.enter_context(patient_lock(store, self.patient, "a session in the browser", actor.id))
        except PatientBusy as exc:
            self.refusal = Refusal("Your session is open elsewhere", (str(exc),))
            return
        self.lock = stack
        try:
            self._open(store, ctx, actor, day, words)
        finally:
            if self.run is None:
                self.release()  # refused, or failed: the lock is never left held
        if self.run is not None:
            self.notes = [self.run.ctx.protocol.supervision.statement]
            self.notes += [p.description + (f" {p.limit}" if p.limit else "") for p in self.run.cautions]

    def _open(self, store: SessionStore, ctx: CourseContext, actor: Actor, day: datetime.date, words: Words) -> None:
        """Admit and open today's session; a refusal is kept to be shown, in the terminal's words."""
        try:
            admitted = admit(store, ctx, self.patient, day, actor=actor)
            if isinstance(admitted, RunOutcome):  # never: the browser names no urgent answer before screening
                self._end(admitted)
                return
            self.run = open_session(store, ctx, admitted, actor)
        except (DateOrderError, NotPermitted) as exc:
            self.refusal = Refusal("Today's session cannot start", (str(exc),))
        except CourseStopped as exc:
            self.refusal = Refusal("No session today", tuple(words.stopped(exc.course, self.patient)))
        except GateClosed as exc:
            lines = words.gate(self.patient, ctx.protocol, exc.phase, exc.result)
            self.refusal = Refusal("Today's session cannot start", tuple(lines))
        except RestDay as exc:
            lines = [words.rest_day(exc.plan), *(f"{left.name}: {left.why}." for left in exc.plan.left_out)]
            self.refusal = Refusal("A rest day", tuple(lines))

    def answer(self, value: str) -> None:
        """A red-flag answer (``yes``, ``no``, ``not-sure``); screening ends at a stopping yes or the last one."""
        run = self._run()
        question = run.ctx.questions[self.question]
        given = {"yes": True, "no": False}.get(value)
        if given is None:
            self.notes.append(NOT_SURE_WORDS)
        ends = run.answer_screening(question, given)
        self.question += 1
        if not ends and self.question < len(run.ctx.questions):
            return
        screened = run.end_screening()
        if isinstance(screened, RunOutcome):
            self._end(screened)
        else:
            self.notes.extend(screened)

    def pain_before(self, pain: float, words: Words) -> None:
        """Pain before exercise: today's plan, or the end (a gate measured now, nothing left to do)."""
        run = self._run()
        try:
            planned = run.pain_before(pain)
        except GateClosed as exc:
            lines = words.gate(self.patient, run.ctx.protocol, exc.phase, exc.result)
            self.refusal = Refusal("Today's session cannot go on", tuple(lines))
            self.release()
            return
        plan = planned.plan if isinstance(planned, RunOutcome) else planned
        if plan is not None:
            self.notes.extend(plan.adjustments)
            self.notes.extend(f"Not today: {left.name}: {left.why}." for left in plan.left_out)
        if isinstance(planned, RunOutcome):
            self._end(planned)

    def sets(self) -> int:
        """The sets of the exercise shown, as the terminal guides them (the dose's lower bound; 1 without one)."""
        run = self._run()
        assert run.plan is not None
        dose = run.plan.items[self.exercise].dose
        return int(dose.sets.min) if dose is not None and dose.sets is not None else 1

    def pain_during(self, pain: float, hurts: int | None) -> None:
        """Pain during the exercise shown: after it (``hurts`` None), or reported while it ran ("this hurts", after
        ``hurts`` sets); above its limit the exercise stops for today at once, recorded as stopped part-way after the
        sets finished, as the terminal records a stop for pain."""
        run = self._run()
        assert run.plan is not None
        item = run.plan.items[self.exercise]
        limit = run.pain_during(item.exercise.id, pain)
        if limit is not None:
            if hurts is not None:
                run.stopped_part_way(item.exercise.id, hurts, self.sets())
            self.notes.append(above_limit_words(limit))
            self.exercise += 1
        elif hurts is not None:
            self.notes.append(f"{WITHIN_LIMIT_WORDS}, or tell us your pain when you have finished it.")
        else:
            self.exercise += 1

    def pain_after(self, pain: float) -> None:
        """Pain after the session."""
        self._run().pain_after(pain)

    def new_symptom(self, answer: bool) -> None:
        """The question after every session, then the decision."""
        run = self._run()
        run.new_symptom(answer)
        self._end(run.finish())

    def interrupt(self) -> None:
        """The patient left (idle too long, or the server stops): answers kept, the session marked incomplete."""
        if self.run is not None and self.run.state != "ended":
            self.run.interrupt()
        self.release()

    def _run(self) -> SessionRun:
        assert self.run is not None
        return self.run

    def _end(self, outcome: RunOutcome) -> None:
        self.outcome = outcome
        self.release()


class Visits:
    """The visits of the server process, one per patient; idle ones are interrupted."""

    def __init__(self) -> None:
        self._visits: dict[str, Visit] = {}

    def get(self, patient: str) -> Visit:
        """The patient's visit (a new one when there is none), after interrupting every idle visit."""
        now = time.monotonic()
        for key, visit in list(self._visits.items()):
            if now - visit.seen > IDLE_SECONDS:
                visit.interrupt()
                del self._visits[key]
        visit = self._visits.setdefault(patient, Visit(patient))
        visit.seen = now
        return visit

    def close(self) -> None:
        """The server stops: every open session is marked incomplete and its lock released."""
        for visit in self._visits.values():
            visit.interrupt()
        self._visits.clear()
