"""The session runner: the course's state and gates, screening, pain before, each exercise, pain after, the decision.

It asks through an :class:`AnswerSource` (the terminal, or a file of answers
for scripts and tests), records every answer in the store as it is given, and
leaves the decisions to the engine and the progression-policy hook. Before any
exercise it refuses a stopped course and a closed gate; a red flag, a stop or
refer decision, or no improvement pauses the course until a clinician's review.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import attrs

from .._common.clinical_policy import policy
from .._common.errors import RehabkitError, did_you_mean
from .._common.vocabulary import CRITERION_MEASURES, REVIEW_ACTIONS, SESSION_MEASURED
from ..engine import (
    Course,
    CriteriaResult,
    Decision,
    DoseState,
    Facts,
    PlannedExercise,
    SessionPlan,
    SessionResult,
    advance_doses,
    check_criteria,
    ends_screening,
    plan_session,
    screen,
    step_back,
    within_limits,
)
from ..engine.course import active_precautions
from ..engine.outcomes import OutcomeMeasure
from ..model import Exercise, Precaution, ScreeningQuestion
from ..model import Protocol as ProtocolModel
from .course import load_course
from .store_api import SessionStore

__all__ = [
    "NEW_SYMPTOM_QUESTION",
    "AnswerSource",
    "AnswersFileError",
    "CourseStopped",
    "DateOrderError",
    "FileAnswers",
    "GateClosed",
    "RunOutcome",
    "SessionInterrupted",
    "plan_for",
    "run_session",
]

#: Asked after every session; its wording is data (default_plugins/clinical_policy.json).
NEW_SYMPTOM_QUESTION: str = policy()["session"]["new_symptom_question"]
ANSWER_KEYS = ("screening", "pain_before", "exercises", "pain_after", "new_symptom")


class AnswerSource(Protocol):
    """Where answers come from: the terminal or a file."""

    def yes_no(self, key: str, question: str) -> bool:
        """A yes/no answer."""

    def pain(self, key: str, prompt: str) -> float:
        """A pain score from 0 to 10."""


class AnswersFileError(RehabkitError, ValueError):
    """An answers file that lacks an answer, holds a wrong one or names something unknown; the message names the key."""


class CourseStopped(RehabkitError, RuntimeError):
    """The course is paused, referred or discharged: nothing runs until a clinician records a review."""

    def __init__(self, course: Course) -> None:
        super().__init__(f"the course is {course.status}")
        self.course = course


class DateOrderError(RehabkitError, ValueError):
    """A session dated before what the course already holds: a course is recorded in date order."""


class GateClosed(RehabkitError, RuntimeError):
    """A criterion of the phase's gate does not hold, so no exercise may start."""

    def __init__(self, course: Course, phase: str, result: CriteriaResult) -> None:
        super().__init__(f"the gate of phase {phase!r} is closed")
        self.course = course
        self.phase = phase
        self.result = result


class FileAnswers:
    """Answers from a mapping (a YAML or JSON answers file), for scripts and tests.

    Form::

        screening: {spreading-pain: no, ...}   # or {all: no}, with named exceptions
        pain_before: 3
        exercises: {chin-tuck: 2, glute-bridge: 4}   # pain during each; {all: 2}
        pain_after: 3
        new_symptom: no

    The file is strict: an unknown key, question id or exercise id is an error
    naming it, with the closest known name.
    """

    def __init__(self, data: Any, source: str, show: Callable[[str], None] | None = None) -> None:
        self.data = data
        self.source = source
        #: Shows each question with the answer the file gives, so a scripted session reads like one at the terminal.
        self.show = show

    def check(self, question_ids: list[str], exercise_ids: list[str]) -> None:
        """Refuse anything the session would not ask for, before the session starts."""
        if not isinstance(self.data, Mapping):
            raise AnswersFileError(
                f"{self.source}: an answers file is a mapping with the keys {', '.join(ANSWER_KEYS)}."
            )
        for key in self.data:
            if key not in ANSWER_KEYS:
                raise AnswersFileError(
                    f"{self.source}: unknown key {key!r}."
                    + did_you_mean(str(key), ANSWER_KEYS, f" The keys are {', '.join(ANSWER_KEYS)}.")
                )
        for section, known, what in (
            ("screening", question_ids, "screening question"),
            ("exercises", exercise_ids, "exercise"),
        ):
            value = self.data.get(section)
            if value is None:
                continue
            if not isinstance(value, Mapping):
                raise AnswersFileError(f"{self.source}: '{section}' must map each {what} id (or 'all') to an answer.")
            for item in value:
                if item != "all" and item not in known:
                    raise AnswersFileError(
                        f"{self.source}: '{section}' names an unknown {what} {item!r}."
                        + did_you_mean(str(item), known, f" Known: {', '.join(known)}.")
                    )

    def explicit_screening(self) -> dict[str, bool]:
        """The screening answers given by question id (not by ``all``)."""
        value = self.data.get("screening") if isinstance(self.data, Mapping) else None
        if not isinstance(value, Mapping):
            return {}
        return {str(k): v for k, v in value.items() if k != "all" and isinstance(v, bool)}

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
        if self.show is not None:
            self.show(f"{question} {'yes' if value else 'no'}")
        return value

    def pain(self, key: str, prompt: str) -> float:
        section, _, item = key.partition(":")
        value = self._get(section, item or None)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 10:
            raise AnswersFileError(f"{self.source}: {key!r} must be a pain score from 0 to 10 (got {value!r}).")
        if self.show is not None:
            self.show(f"{prompt}: {value:g}")
        return float(value)


class SessionInterrupted(RehabkitError):
    """The patient stopped the session (Ctrl-C or end of input); answers so far are recorded."""

    def __init__(self, session: int) -> None:
        super().__init__(f"session {session} interrupted")
        self.session = session


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


def _next_morning(course: Course) -> tuple[Mapping[str, DoseState], tuple[str, ...]]:
    """Today's dose states after the last session's next-morning report, and the reasons in plain words."""
    if not course.morning:
        return course.doses, ()
    words = "; ".join(reason.describe() for reason in course.morning)
    messages = " ".join(dict.fromkeys(reason.rule.message for reason in course.morning))
    action = course.morning_action
    if action == "reduce-load":
        lower = any(state.step > 0 for state in course.doses.values())
        change = "one step lower" if lower else "at the start of their ranges (they cannot go lower)"
        return step_back(course.doses), (f"Today's doses are {change}: {words}. {messages}",)
    # hold (and milder): keep the dose; the count of days within the limits starts again
    return {key: DoseState(state.step) for key, state in course.doses.items()}, (
        f"Today's doses stay as they were: {words}. {messages}",
    )


#: Why exercises are left out after a screening answer, in plain words.
OMITTED_TODAY = "left out today because of your screening answer"
OMITTED_LAST_TIME = "left out because of your last screening answer; you will be asked again before the session"


def plan_for(
    course: Course, library: Mapping[str, Exercise], omit: frozenset[str] | None = None, omit_reason: str = ""
) -> SessionPlan:
    """Today's plan for a course, after the next-morning report acted on it.

    ``omit``: movements left out after today's screening; by default those the
    last session's screening left out (a plan shown before screening).
    """
    if omit is None:
        omit, omit_reason = course.omitted_movements, OMITTED_LAST_TIME
    doses, adjustments = _next_morning(course)
    return plan_session(
        course.protocol,
        course.phase,
        library,
        course.regressions,
        {key: state.step for key, state in doses.items()},
        removed=course.removed,
        omit_movements=omit,
        omit_reason=omit_reason,
        adjustments=adjustments,
    )


def check_gate(course: Course, facts: Facts | None = None, *, session_measured: bool = False) -> CriteriaResult:
    """The entry criteria of the patient's phase: those known before a session, or (``session_measured``) those it asks."""
    phase = course.protocol.phase(course.phase)
    names = {p.id: p.name for p in course.protocol.phases}
    skip = set(CRITERION_MEASURES) - SESSION_MEASURED if session_measured else SESSION_MEASURED
    return check_criteria(phase.entry, facts or course.facts, phase.id, skip=skip, phase_names=names)


def _counted_today(course: Course, today: datetime.date, statuses: tuple[str, ...] = ("complete", "stopped")) -> bool:
    """True when the current phase already has a session of these statuses on ``today`` (a day counts once)."""
    return any(s.date == today and s.status in statuses for s in course.stint)


def _explicit_urgent(answers: AnswerSource, questions: tuple[ScreeningQuestion, ...]) -> list[ScreeningQuestion]:
    """Urgent questions an answers file answers yes by name: they act before anything else, whatever else is wrong."""
    explicit = getattr(answers, "explicit_screening", None)
    given = explicit() if callable(explicit) else {}
    return [q for q in questions if q.action == "refer-urgently" and given.get(q.id) is True]


def _urgent_stop(
    store: SessionStore,
    patient: str,
    protocol: ProtocolModel,
    course: Course,
    urgent: list[ScreeningQuestion],
    today: datetime.date,
) -> RunOutcome:
    session = store.start_session(patient, protocol.id, protocol.version, course.phase, today)
    for question in urgent:
        store.record_answer(session, "screening", question.id, True)
    messages = [q.message for q in urgent]
    store.finish_session(
        session,
        "stopped",
        "refer-urgently",
        {"positives": [q.id for q in urgent], "within_limits": False, "messages": messages},
    )
    store.add_event(
        patient,
        "pause",
        today,
        protocol=protocol.id,
        phase=course.phase,
        detail={
            "action": "refer-urgently",
            "cause": "screening",
            "session": session,
            "reasons": [q.question for q in urgent],
            "messages": messages,
        },
    )
    return RunOutcome(session, course.phase, True, "refer-urgently", tuple(messages), status="paused")


def run_session(
    *,
    store: SessionStore,
    patient: str,
    protocol: ProtocolModel,
    library: Mapping[str, Exercise],
    measures: Mapping[str, OutcomeMeasure],
    extra_screening: tuple[ScreeningQuestion, ...],
    answers: AnswerSource,
    decide: Callable[[SessionPlan, SessionResult, Facts], Decision],
    say: Callable[[str], None],
    pace: Callable[[PlannedExercise], None] | None = None,
    today: datetime.date | None = None,
    policy: Mapping[str, Any] | None = None,
    warn: Callable[[str], None] | None = None,
    brief: bool = False,
) -> RunOutcome:
    """Run one session dated ``today`` and record it.

    ``say`` shows a line to the patient and ``warn`` a warning (by default
    through ``say``); ``pace`` guides the patient through an exercise's sets,
    holds and rests at a terminal (``None``: no guiding, as with an answers file);
    ``brief`` shows each exercise's name, dose and cautions without its steps and tips.

    Raises :class:`CourseStopped` for a paused, referred or discharged course,
    :class:`GateClosed` when an entry criterion of the patient's phase does not
    hold, :class:`AnswersFileError` for a wrong answers file, and
    :class:`SessionInterrupted` on Ctrl-C or end of input (the session is kept,
    incomplete).
    """
    today = today or datetime.date.today()
    store.mark_unfinished_incomplete(patient)
    course = load_course(store, patient, protocol, measures, today)
    urgent = _explicit_urgent(answers, (*protocol.red_flags, *extra_screening))
    if urgent:
        return _urgent_stop(store, patient, protocol, course, urgent, today)
    if course.latest_date is not None and today < course.latest_date:
        raise DateOrderError(
            f"{today.isoformat()} is before the latest entry of this course ({course.latest_date.isoformat()}): a course is "
            "recorded in date order, so enter sessions done on paper oldest first, before any later ones."
        )
    if not course.stopped and course.morning_action in REVIEW_ACTIONS:
        # The next-morning report asks for review and nothing has paused the course yet (next-day could not check).
        store.add_event(
            patient,
            "pause",
            today,
            protocol=protocol.id,
            phase=course.phase,
            detail={
                "action": course.morning_action,
                "cause": "next-day",
                "reasons": [r.describe() for r in course.morning],
                "messages": [r.rule.message for r in course.morning],
            },
        )
        course = load_course(store, patient, protocol, measures, today)
    if course.stopped:
        raise CourseStopped(course)
    gate = check_gate(course)
    if not gate.met:
        raise GateClosed(course, course.phase, gate)
    questions = (*protocol.red_flags, *extra_screening)
    check = getattr(answers, "check", None)
    if check is not None:
        known = {e.id for e in protocol.exercises} | set(library)
        check([q.id for q in questions], sorted(known))
    doses, _ = _next_morning(course)

    if not course.started:
        store.add_event(
            patient,
            "enter-phase",
            today,
            protocol=protocol.id,
            phase=course.phase,
            detail={"reason": "start of the protocol"},
        )
    session = store.start_session(patient, protocol.id, protocol.version, course.phase, today)
    try:
        say(protocol.supervision.statement)
        _show_cautions(say, active_precautions(course))
        say("Red-flag screening: answer every question before exercise.")
        given: dict[str, bool] = {}
        for question in questions:
            given[question.id] = answers.yes_no(f"screening:{question.id}", question.question)
            store.record_answer(session, "screening", question.id, given[question.id])
            if ends_screening(question, given[question.id]):
                break
        screening = screen(questions, given)
        if screening.stops_session:
            detail = {
                "positives": [q.id for q in screening.positives],
                "within_limits": False,
                "messages": screening.messages(),
            }
            store.finish_session(session, "stopped", screening.action, detail)
            store.add_event(
                patient,
                "pause",
                today,
                protocol=protocol.id,
                phase=course.phase,
                detail={
                    "action": screening.action,
                    "cause": "screening",
                    "session": session,
                    "reasons": [q.question for q in screening.positives],
                    "messages": screening.messages(),
                },
            )
            return RunOutcome(
                session, course.phase, True, screening.action, tuple(screening.messages()), status="paused"
            )
        for message in screening.messages():
            (warn or say)(message)
        pain_before = answers.pain("pain_before", "Pain now, before exercise (0-10)")
        store.record_answer(session, "pain-before", "pain", pain_before)
        values = dict(course.facts.values, **{"pain-at-rest": pain_before})
        asked = check_gate(course, attrs.evolve(course.facts, values=values), session_measured=True)
        if not asked.met:
            store.finish_session(
                session, "stopped", "hold", {"gate": [u.to_dict() for u in asked.missing], "within_limits": False}
            )
            raise GateClosed(course, course.phase, asked)
        omitted = screening.omitted_movements
        plan = plan_for(course, library, omitted, OMITTED_TODAY)
        for line in plan.adjustments:
            (warn or say)(line)
        for left in plan.left_out:
            (warn or say)(f"Not today: {left.name}: {left.why}.")
        if not plan.items:
            reasons = ["no exercise of this phase is left to do today: every one has been left out"]
            store.finish_session(session, "stopped", "stop-and-review", {"within_limits": False, "reasons": reasons})
            store.add_event(
                patient,
                "pause",
                today,
                protocol=protocol.id,
                phase=course.phase,
                detail={"action": "stop-and-review", "cause": "empty-plan", "session": session, "reasons": reasons},
            )
            decision = Decision(action="stop-and-review", reasons=tuple(reasons), within_limits=False)
            return RunOutcome(
                session,
                course.phase,
                False,
                screening.action,
                tuple(screening.messages()),
                decision,
                None,
                plan,
                "paused",
            )
        during: dict[str, float] = {}
        for number, item in enumerate(plan.items, 1):
            _show_exercise(say, number, len(plan.items), item, brief)
            if pace is not None:
                pace(item)
            during[item.exercise.id] = answers.pain(
                f"exercises:{item.exercise.id}", f"Pain during {item.exercise.name} (0-10)"
            )
            store.record_answer(session, "pain-during", item.exercise.id, during[item.exercise.id])
            limit = item.dose.pain_limit if item.dose else None
            if limit is not None and during[item.exercise.id] > limit:
                (warn or say)(
                    f"  That is above this exercise's limit of {limit:g}/10: stop it for today. "
                    "Your answers decide what changes after the session."
                )
        pain_after = answers.pain("pain_after", "Pain now, after the session (0-10)")
        store.record_answer(session, "pain-after", "pain", pain_after)
        question = (policy or {}).get("session", {}).get("new_symptom_question", NEW_SYMPTOM_QUESTION)
        new_symptom = answers.yes_no("new_symptom", question)
        store.record_answer(session, "new-symptom", "new-symptom", new_symptom)
    except KeyboardInterrupt:
        store.finish_session(session, "incomplete")
        raise SessionInterrupted(session) from None

    result = SessionResult(
        pain_before=pain_before,
        pain_during=during,
        pain_after=pain_after,
        new_symptom=new_symptom,
        weeks_without_improvement=course.weeks_without_improvement,
    )
    streak = int(values.get("consecutive-sessions-within-limits", 0))
    completed = int(values.get("sessions-completed", 0))
    values["consecutive-sessions-within-limits"] = streak if _counted_today(course, today) else streak + 1
    values["sessions-completed"] = completed if _counted_today(course, today, ("complete",)) else completed + 1
    try:
        decision = decide(plan, result, attrs.evolve(course.facts, values=values))
    except BaseException:
        store.finish_session(session, "incomplete")  # no decision: the answers are kept, the session is not complete
        raise
    regressions = dict(course.regressions)
    for done, easier in decision.regressions.items():
        original = next((key for key, value in regressions.items() if value == done), done)
        regressions[original] = easier
    removed = tuple(dict.fromkeys((*course.removed, *decision.removed)))
    if decision.action not in REVIEW_ACTIONS and decision.action != "progress":
        if not plan_session(protocol, course.phase, library, regressions, removed=removed).items:
            # Nothing of the phase is left to do: the plan cannot go on without a clinician.
            decision = attrs.evolve(
                decision,
                action="stop-and-review",
                within_limits=False,
                reasons=(
                    *decision.reasons,
                    "no exercise of this phase is left in the plan: a clinician must review it before the next session",
                ),
            )
    new_doses = advance_doses(plan, result, decision, doses, today)
    detail = {
        "reasons": list(decision.reasons),
        "messages": list(decision.messages),
        "details": [dict(d) for d in decision.details],
        "regressions": regressions,
        "removed": list(removed),
        "next_phase": decision.next_phase,
        "within_limits": within_limits(decision),
        "doses": {key: state.to_dict() for key, state in new_doses.items()},
        "adjustments": list(plan.adjustments),
        "left_out": [left.exercise for left in plan.left_out],
        "omitted_movements": sorted(omitted),
    }
    store.finish_session(session, "complete", decision.action, detail)
    outcome_status = "active"
    next_plan = None
    if decision.action in REVIEW_ACTIONS:
        cause = (
            "no-improvement"
            if any(d.get("measure") == "no-improvement-weeks" for d in decision.details)
            else "decision"
        )
        store.add_event(
            patient,
            "pause",
            today,
            protocol=protocol.id,
            phase=course.phase,
            detail={
                "action": decision.action,
                "cause": cause,
                "session": session,
                "reasons": list(decision.reasons),
                "messages": list(decision.messages),
            },
        )
        outcome_status = "paused"
    else:
        phase, steps = course.phase, {key: state.step for key, state in new_doses.items()}
        if decision.action == "progress" and decision.next_phase:
            store.add_event(
                patient,
                "enter-phase",
                today,
                protocol=protocol.id,
                phase=decision.next_phase,
                detail={"reason": "; ".join(decision.reasons)},
            )
            phase, regressions, removed, steps = decision.next_phase, {}, (), {}
        next_plan = plan_session(
            protocol,
            phase,
            library,
            regressions,
            steps,
            removed=removed,
            omit_movements=omitted,
            omit_reason=OMITTED_LAST_TIME,
        )
    return RunOutcome(
        session,
        course.phase,
        False,
        screening.action,
        tuple(screening.messages()),
        decision,
        next_plan,
        plan,
        outcome_status,
    )


def _show_cautions(say: Callable[[str], None], precautions: tuple[Precaution, ...]) -> None:
    if not precautions:
        return
    say("Cautions that apply to you now:")
    for precaution in precautions:
        say(f"  - {precaution.description}" + (f" {precaution.limit}" if precaution.limit else ""))


def _show_exercise(
    say: Callable[[str], None], number: int, total: int, item: PlannedExercise, brief: bool = False
) -> None:
    exercise = item.exercise
    say(f"[{number}/{total}] {exercise.name}: {item.dose_text}")
    if item.replaces:
        say(f"  (an easier exercise in place of {item.replaces_name})")
    if item.note:
        say(f"  Note: {item.note}")
    if exercise.equipment:
        say(f"  You need: {', '.join(exercise.equipment)}")
    for item_text in exercise.contraindications:
        say(f"  Avoid if: {item_text}")
    if brief:
        return
    for step_number, step in enumerate(exercise.steps, 1):
        say(f"  {step_number}. {step}")
    for cue in exercise.cues:
        say(f"  Tip: {cue}")
