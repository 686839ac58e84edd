"""A session at the terminal or from an answers file: asks, shows, and leaves every change to the course service.

It asks through an :class:`AnswerSource` (the terminal, or a file of answers
for scripts and tests) and shows through a :class:`Display`; each answer goes to
the :class:`~rehabkit._sessions.service.SessionRun`, which records it as it is
given and asks the engine what follows. Before any exercise the service refuses
a stopped course and a closed gate; a red flag, a stop or refer decision, or no
improvement pauses the course until a clinician's review.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import attrs

from .._common.errors import RehabkitError, did_you_mean
from ..engine import PlannedExercise, SessionPlan
from ..model import Precaution
from .service import (
    URGENT,
    Actor,
    CourseContext,
    CourseStopped,
    DateOrderError,
    GateClosed,
    RunOutcome,
    SessionRun,
    admit,
    open_session,
)
from .store_api import SessionStore

__all__ = [
    "NOT_SURE",
    "NOT_SURE_WORDS",
    "WITHIN_LIMIT_WORDS",
    "AnswerSource",
    "AnswersFileError",
    "CourseStopped",
    "DateOrderError",
    "Display",
    "FileAnswers",
    "GateClosed",
    "Guide",
    "Paced",
    "RunOutcome",
    "SessionInterrupted",
    "above_limit_words",
    "run_session",
]

#: What the session says to a "not sure" red-flag answer.
NOT_SURE_WORDS = "Not sure counts as a yes, to be safe (it is recorded as 'not sure')."
#: What the session says to pain reported during an exercise within its limit.
WITHIN_LIMIT_WORDS = "That is within this exercise's limit: go on gently"


def above_limit_words(limit: float) -> str:
    """What the session says to pain during an exercise above its limit."""
    return (
        f"That is above this exercise's limit of {limit:g}/10: stop it for today. "
        "Your answers decide what changes after the session."
    )


ANSWER_KEYS = ("screening", "pain_before", "exercises", "pain_after", "new_symptom")
#: How an answers file says "not sure" to a red-flag question (taken as the cautious answer, yes).
NOT_SURE = ("not-sure", "not sure")


class AnswerSource(Protocol):
    """Where answers come from: the terminal or a file."""

    def yes_no(self, key: str, question: str) -> bool:
        """A yes/no answer."""

    def pain(self, key: str, prompt: str) -> float:
        """A pain score from 0 to 10."""


#: An answer source may also have ``red_flag(key, question) -> bool | None`` (``None``: not sure, taken as yes and
#: recorded as not sure); without it, red-flag questions are asked with ``yes_no``.


class AnswersFileError(RehabkitError, ValueError):
    """An answers file that lacks an answer, holds a wrong one or names something unknown; the message names the key."""


class FileAnswers:
    """Answers from a mapping (a YAML or JSON answers file), for scripts and tests.

    Form::

        screening: {spreading-pain: no, ...}   # or {all: no}, with named exceptions
        pain_before: 3
        exercises: {chin-tuck: 2, glute-bridge: 4}   # pain during each; {all: 2}
        pain_after: 3
        new_symptom: no

    The file is strict and checked whole before the session starts: an
    unknown key, question id or exercise id is an error naming it, with the
    closest known name; so is every answer of the wrong kind (a pain score
    outside 0-10, a yes/no answer that is neither) and a screening question
    left unanswered before the first yes, so that no session is left
    incomplete by the file.
    """

    def __init__(self, data: Any, source: str, show: Callable[[str], None] | None = None) -> None:
        self.data = data
        self.source = source
        #: Shows each question with the answer the file gives, so a scripted session reads like one at the terminal.
        self.show = show

    def check(self, question_ids: list[str], exercise_ids: list[str]) -> None:
        """Refuse anything the session would not ask for, and every answer it could not take, before the session
        starts (and before its gate is checked: a typo is never hidden behind a closed gate)."""
        self._check_names(question_ids, exercise_ids)
        self._check_values(question_ids)

    def _check_values(self, question_ids: list[str]) -> None:
        """Each answer given is of its kind: yes/no for screening and a new symptom, 0-10 for pain; every screening
        question up to the first yes is answered, and pain before the session is given unless screening stops it."""
        screening = self.data.get("screening")
        for key, value in (screening or {}).items():
            if not (isinstance(value, str) and value.strip().lower() in NOT_SURE):  # not sure: taken as yes
                self._yes_no_value(f"screening:{key}", value)
        for key in ("pain_before", "pain_after"):
            if self.data.get(key) is not None:
                self._pain_value(key, self.data[key])
        for key, value in (self.data.get("exercises") or {}).items():
            self._pain_value(f"exercises:{key}", value)
        if self.data.get("new_symptom") is not None:
            self._yes_no_value("new_symptom", self.data["new_symptom"])
        for question in question_ids:
            answer = self._get("screening", question)  # no answer: refused now, not half-way through
            if answer:
                return  # screening stops at a yes: nothing after it is asked
        self._get("pain_before", None)

    def _yes_no_value(self, key: str, value: Any) -> bool:
        if not isinstance(value, bool):
            words = "yes, no or not-sure" if key.startswith("screening") else "yes or no"
            raise AnswersFileError(f"{self.source}: {key!r} must be {words} (got {value!r}).")
        return value

    def _pain_value(self, key: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 10:
            raise AnswersFileError(f"{self.source}: {key!r} must be a pain score from 0 to 10 (got {value!r}).")
        return float(value)

    def _check_names(self, question_ids: list[str], exercise_ids: list[str]) -> None:
        """Every key, question id and exercise id is one the session knows."""
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

    def explicit_screening(self) -> dict[str, bool | None]:
        """The screening answers given by question id (not by ``all``); ``None``: not sure."""
        value = self.data.get("screening") if isinstance(self.data, Mapping) else None
        if not isinstance(value, Mapping):
            return {}
        given: dict[str, bool | None] = {}
        for key, answer in value.items():
            if key != "all" and isinstance(answer, bool):
                given[str(key)] = answer
            elif key != "all" and isinstance(answer, str) and answer.strip().lower() in NOT_SURE:
                given[str(key)] = None
        return given

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
        value = self._yes_no_value(key, self._get(section, item or None))
        if self.show is not None:
            self.show(f"{question} {'yes' if value else 'no'}")
        return value

    def red_flag(self, key: str, question: str) -> bool | None:
        """A red-flag answer: yes, no, or ``not-sure`` (``None``)."""
        section, _, item = key.partition(":")
        value = self._get(section, item or None)
        if isinstance(value, str) and value.strip().lower() in NOT_SURE:
            if self.show is not None:
                self.show(f"{question} not sure")
            return None
        return self.yes_no(key, question)

    def pain(self, key: str, prompt: str) -> float:
        section, _, item = key.partition(":")
        value = self._pain_value(key, self._get(section, item or None))
        if self.show is not None:
            self.show(f"{prompt}: {value:g}")
        return value


class SessionInterrupted(RehabkitError):
    """The patient stopped the session (Ctrl-C or end of input); answers so far are recorded."""

    def __init__(self, session: int) -> None:
        super().__init__(f"session {session} interrupted")
        self.session = session


@attrs.frozen(slots=True)
class Guide:
    """What a front end needs to guide one exercise: the exercise at today's dose, the seconds to relax between its
    holds (the dose's ``relax_seconds``, else the clinical policy's default), and ``hurt``, to call when the patient
    reports pain while it runs: it asks the pain, records it and says what follows; True when the pain is above the
    exercise's limit, so that the exercise stops for today."""

    item: PlannedExercise
    relax_seconds: int
    hurt: Callable[[], bool]


@attrs.frozen(slots=True)
class Paced:
    """How a guided exercise ended: done (``stopped_after`` None), or stopped part-way after ``stopped_after`` of
    ``sets`` sets, by the patient or (``for_pain``) by pain above its limit reported while it ran."""

    stopped_after: int | None = None
    sets: int = 1
    for_pain: bool = False


@attrs.frozen(slots=True)
class Display:
    """How a session is shown: ``say`` a line to the patient, ``warn`` a warning (by default through ``say``);
    ``pace`` guides the patient through an exercise's sets, holds and rests at a terminal (``None``: no guiding, as
    with an answers file); ``brief`` shows each exercise's name, dose and cautions without its steps and tips."""

    say: Callable[[str], None]
    warn: Callable[[str], None] | None = None
    pace: Callable[[Guide], Paced] | None = None
    brief: bool = False

    def caution(self, text: str) -> None:
        """A warning line."""
        (self.warn or self.say)(text)


def _explicit_yes(answers: AnswerSource) -> dict[str, bool | None]:
    """The questions an answers file answers yes (``True``) or not sure (``None``, taken as yes) by name: urgent ones
    act before anything else."""
    explicit = getattr(answers, "explicit_screening", None)
    given = explicit() if callable(explicit) else {}
    return {key: value for key, value in given.items() if value is not False}


def run_session(
    store: SessionStore,
    context: CourseContext,
    patient: str,
    answers: AnswerSource,
    display: Display,
    *,
    actor: Actor,
    today: datetime.date | None = None,
) -> RunOutcome:
    """Run one session dated ``today`` through the course service, asking ``answers`` and showing ``display``.

    Raises :class:`CourseStopped` for a paused, referred or discharged course,
    :class:`GateClosed` when an entry criterion of the patient's phase does not
    hold, :class:`DateOrderError` for a date before the course's latest entry,
    :class:`AnswersFileError` for a wrong answers file, and
    :class:`SessionInterrupted` on Ctrl-C or end of input (the session is kept,
    incomplete), and :class:`~rehabkit._sessions.staff.NotPermitted` when ``actor`` may not run this patient's
    session.
    """
    today = today or datetime.date.today()
    urgent = _explicit_yes(answers)
    # An answers file is checked whole first (a typo is never hidden behind a closed gate, a wrong value never leaves
    # a session half done), unless it answers an urgent question yes by name: the emergency acts first, whatever
    # else the file holds, and the file is checked after it if the session goes on.
    emergency = any(q.action == URGENT and q.id in urgent for q in context.questions)
    if not emergency:
        _check_file(context, answers)
    not_sure = [key for key, value in urgent.items() if value is None]
    admitted = admit(store, context, patient, today, actor=actor, urgent=list(urgent), not_sure=not_sure)
    if isinstance(admitted, RunOutcome):
        return admitted
    if emergency:
        _check_file(context, answers)
    run = open_session(store, context, admitted, actor)
    try:
        ended = _before_exercise(run, answers, display)
        if isinstance(ended, RunOutcome):
            return ended
        _exercises(run, ended, answers, display)
        run.pain_after(answers.pain("pain_after", "Pain now, after the session (0-10)"))
        run.new_symptom(answers.yes_no("new_symptom", context.new_symptom_question))
    except KeyboardInterrupt:
        run.interrupt()
        raise SessionInterrupted(run.session) from None
    except AnswersFileError:
        run.interrupt()  # the answers given so far are kept; the session is incomplete, not left in progress
        raise
    return run.finish()


def _check_file(context: CourseContext, answers: AnswerSource) -> None:
    """An answers file's whole check (:meth:`FileAnswers.check`); answers typed at a terminal have none."""
    check = getattr(answers, "check", None)
    if check is not None:
        known = {e.id for e in context.protocol.exercises} | set(context.library)
        check([q.id for q in context.questions], sorted(known))


def _before_exercise(run: SessionRun, answers: AnswerSource, display: Display) -> SessionPlan | RunOutcome:
    """The statement, cautions, red-flag screening and pain before: today's plan, or how the session ended."""
    display.say(run.ctx.protocol.supervision.statement)
    _show_cautions(display.say, run.cautions)
    display.say("Red-flag screening: answer every question before exercise.")
    red_flag = getattr(answers, "red_flag", None)
    for question in run.ctx.questions:
        key = f"screening:{question.id}"
        answer = red_flag(key, question.question) if callable(red_flag) else answers.yes_no(key, question.question)
        if answer is None:
            display.caution(f"  {NOT_SURE_WORDS}")
        if run.answer_screening(question, answer):
            break
    screened = run.end_screening()
    if isinstance(screened, RunOutcome):
        return screened
    for message in screened:
        display.caution(message)
    planned = run.pain_before(answers.pain("pain_before", "Pain now, before exercise (0-10)"))
    plan = planned.plan if isinstance(planned, RunOutcome) else planned
    assert plan is not None
    for line in plan.adjustments:
        display.caution(line)
    for left in plan.left_out:
        display.caution(f"Not today: {left.name}: {left.why}.")
    return planned


def _exercises(run: SessionRun, plan: SessionPlan, answers: AnswerSource, display: Display) -> None:
    """Each exercise of today's plan, with the pain during it; a pain over its limit stops it for today."""
    for number, item in enumerate(plan.items, 1):
        _show_exercise(display.say, number, len(plan.items), item, display.brief)
        if display.pace is not None and _guide(run, item, answers, display).for_pain:
            continue  # pain above the limit was reported while it ran, recorded and acted on
        _pain_during(run, item, answers, display, f"Pain during {item.exercise.name} (0-10)")


def _pain_during(run: SessionRun, item: PlannedExercise, answers: AnswerSource, display: Display, prompt: str) -> bool:
    """Ask and record the pain during an exercise; True (and the patient told to stop) when it is above the limit."""
    exercise = item.exercise
    limit = run.pain_during(exercise.id, answers.pain(f"exercises:{exercise.id}", prompt))
    if limit is not None:
        display.caution(f"  {above_limit_words(limit)}")
    return limit is not None


def _guide(run: SessionRun, item: PlannedExercise, answers: AnswerSource, display: Display) -> Paced:
    """Guide an exercise at the terminal; pain reported while it runs is acted on at once, and a stop part-way is
    recorded."""
    assert display.pace is not None

    def hurt() -> bool:
        if _pain_during(run, item, answers, display, f"Pain now, during {item.exercise.name} (0-10)"):
            return True
        display.say(f"  {WITHIN_LIMIT_WORDS}, or press x to stop it.")
        return False

    dose = item.dose
    relax = dose.relax_seconds.min if dose is not None and dose.relax_seconds else run.ctx.relax_seconds
    paced = display.pace(Guide(item, relax, hurt))
    if paced.stopped_after is not None:
        run.stopped_part_way(item.exercise.id, paced.stopped_after, paced.sets)
    return paced


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
