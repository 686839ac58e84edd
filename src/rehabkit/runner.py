"""The session runner: screening, pain before, each exercise, pain after, the decision.

It asks through an :class:`AnswerSource` (the terminal, or a file of answers
for scripts and tests), records every answer in the store as it is given, and
leaves the decisions to the engine and the progression-policy hook.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import attrs

from .course import course_state
from .engine import Decision, Facts, SessionPlan, SessionResult, plan_session, screen
from .model import Exercise, ScreeningQuestion
from .model import Protocol as ProtocolModel
from .outcomes import OutcomeMeasure
from .store import Store

__all__ = ["AnswerSource", "FileAnswers", "RunOutcome", "SessionInterrupted", "run_session"]

NEW_SYMPTOM_QUESTION = "Since you started, has any new pain spread into an arm or leg, or any new numbness or tingling appeared?"


class AnswerSource(Protocol):
    """Where answers come from: the terminal or a file."""

    def yes_no(self, key: str, question: str) -> bool:
        """A yes/no answer."""

    def pain(self, key: str, prompt: str) -> float:
        """A pain score from 0 to 10."""


class AnswersFileError(ValueError):
    """An answers file that lacks an answer or holds a wrong one; the message names the key."""


class FileAnswers:
    """Answers from a mapping (a YAML or JSON answers file), for scripts and tests.

    Form::

        screening: {spreading-pain: no, ...}   # or {all: no}
        pain_before: 3
        exercises: {chin-tuck: 2, glute-bridge: 4}   # pain during each
        pain_after: 3
        new_symptom: no
    """

    def __init__(self, data: Mapping[str, Any], source: str) -> None:
        self.data = data
        self.source = source

    def _get(self, section: str, key: str | None) -> Any:
        value: Any = self.data.get(section)
        if key is not None and isinstance(value, Mapping):
            value = value.get(key, value.get("all"))
        if value is None:
            where = f"{section}.{key}" if key else section
            raise AnswersFileError(f"{self.source}: no answer for {where!r}; add it to the answers file.")
        return value

    def yes_no(self, key: str, question: str) -> bool:
        section, _, item = key.partition(":")
        value = self._get(section, item or None)
        if not isinstance(value, bool):
            raise AnswersFileError(f"{self.source}: {key!r} must be yes or no (got {value!r}).")
        return value

    def pain(self, key: str, prompt: str) -> float:
        section, _, item = key.partition(":")
        value = self._get(section, item or None)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 10:
            raise AnswersFileError(f"{self.source}: {key!r} must be a pain score from 0 to 10 (got {value!r}).")
        return float(value)


class SessionInterrupted(Exception):
    """The patient stopped the session (Ctrl-C); answers so far are recorded."""

    def __init__(self, session: int) -> None:
        super().__init__(f"session {session} interrupted")
        self.session = session


@attrs.frozen(slots=True)
class RunOutcome:
    """How a session ended: screening stop or a decision, and the next session's plan."""

    session: int
    phase: str
    stopped_by_screening: bool
    screening_action: str
    messages: tuple[str, ...]
    decision: Decision | None = None
    next_plan: SessionPlan | None = None


def run_session(
    *,
    store: Store,
    patient: str,
    protocol: ProtocolModel,
    library: Mapping[str, Exercise],
    measures: Mapping[str, OutcomeMeasure],
    extra_screening: tuple[ScreeningQuestion, ...],
    answers: AnswerSource,
    decide: Callable[[SessionPlan, SessionResult, Facts], Decision],
    say: Callable[[str], None],
    timer: bool = True,
    today: datetime.date | None = None,
) -> RunOutcome:
    """Run one session and record it. Raises :class:`SessionInterrupted` on Ctrl-C (the session is kept, incomplete)."""
    today = today or datetime.date.today()
    store.mark_unfinished_incomplete(patient)
    state = course_state(store, patient, protocol, measures, today)
    if not store.phase_history(patient, protocol.id):
        store.enter_phase(patient, protocol.id, state.phase, "start of the protocol")
    plan = plan_session(protocol, state.phase, library, state.regressed, state.dose_level)
    session = store.start_session(patient, protocol.id, protocol.version, state.phase)
    try:
        say(plan.statement)
        say("Red-flag screening: answer every question before exercise.")
        questions = (*protocol.red_flags, *extra_screening)
        given: dict[str, bool] = {}
        for question in questions:
            given[question.id] = answers.yes_no(f"screening:{question.id}", question.question)
            store.record_answer(session, "screening", question.id, given[question.id])
        screening = screen(questions, given)
        if screening.stops_session:
            detail = {"positives": [q.id for q in screening.positives]}
            store.finish_session(session, "stopped", screening.action, detail)
            return RunOutcome(session, state.phase, True, screening.action, tuple(screening.messages()))
        pain_before = answers.pain("pain_before", "Pain now, before exercise (0-10)")
        store.record_answer(session, "pain-before", "pain", pain_before)
        during: dict[str, float] = {}
        for number, item in enumerate(plan.items, 1):
            _show_exercise(say, number, len(plan.items), item, timer)
            during[item.exercise.id] = answers.pain(f"exercises:{item.exercise.id}", f"Pain during {item.exercise.name} (0-10)")
            store.record_answer(session, "pain-during", item.exercise.id, during[item.exercise.id])
        pain_after = answers.pain("pain_after", "Pain now, after the session (0-10)")
        store.record_answer(session, "pain-after", "pain", pain_after)
        new_symptom = answers.yes_no("new_symptom", NEW_SYMPTOM_QUESTION)
        store.record_answer(session, "new-symptom", "new-symptom", new_symptom)
    except KeyboardInterrupt:
        store.finish_session(session, "incomplete")
        raise SessionInterrupted(session) from None

    result = SessionResult(
        pain_before=pain_before, pain_during=during, pain_after=pain_after, new_symptom=new_symptom,
        next_morning_over_baseline=state.next_morning_over_baseline,
        weeks_without_improvement=state.weeks_without_improvement,
    )
    values = dict(state.facts.values)
    values["pain-at-rest"] = pain_before
    values["consecutive-sessions-within-limits"] = int(values.get("consecutive-sessions-within-limits", 0)) + 1
    values["sessions-completed"] = int(values.get("sessions-completed", 0)) + 1
    decision = decide(plan, result, attrs.evolve(state.facts, values=values))
    detail = {"reasons": list(decision.reasons), "messages": list(decision.messages),
              "regressions": dict(decision.regressions), "next_phase": decision.next_phase,
              "dose_level": decision.dose_level or plan.level}
    store.finish_session(session, "complete", decision.action, detail)
    phase = state.phase
    regressed = {**state.regressed, **decision.regressions}
    level = decision.dose_level or plan.level
    if decision.action == "progress" and decision.next_phase:
        store.enter_phase(patient, protocol.id, decision.next_phase, "; ".join(decision.reasons))
        phase, regressed, level = decision.next_phase, {}, "low"
    next_plan = plan_session(protocol, phase, library, regressed, level)
    return RunOutcome(session, state.phase, False, screening.action, tuple(screening.messages()), decision, next_plan)


def _show_exercise(say: Callable[[str], None], number: int, total: int, item: Any, timer: bool) -> None:
    exercise, dose = item.exercise, item.dose
    say(f"[{number}/{total}] {exercise.name}: {item.dose_text}")
    if item.replaces:
        say(f"  (an easier exercise in place of {item.replaces})")
    for step_number, step in enumerate(exercise.steps, 1):
        say(f"  {step_number}. {step}")
    if not timer or dose is None:
        return
    sets = dose.sets.max if dose.sets else 1
    reps = dose.reps.max if dose.reps else 1
    hold = dose.hold_seconds.max if dose.hold_seconds else 0
    for set_number in range(1, sets + 1):
        for rep in range(1, reps + 1):
            say(f"  set {set_number}/{sets}, rep {rep}/{reps}" + (f": hold {hold} s" if hold else ""))
            for remaining in range(hold, 0, -1):
                say(f"    {remaining}")
                time.sleep(1)
