"""Today's session plan: the phase's exercises at the patient's own dose, after regressions and omissions."""

from __future__ import annotations

import datetime
from collections.abc import Collection, Mapping

import attrs

from ..model import Dose, Exercise, Phase, Protocol, Range

__all__ = ["STOPPED_TODAY", "LeftOut", "PlannedExercise", "SessionPlan", "at_step", "plan_session"]


#: Why an exercise is left out after a pain above its own limit earlier the same day.
STOPPED_TODAY = "pain during it went above its limit earlier today: it is stopped for the rest of the day"


def at_step(dose: Dose | None, steps: int) -> Dose | None:
    """The dose with each range narrowed to its count after ``steps`` earned steps (:meth:`Dose.counts_at`).

    A range starts at its ``min``; each step moves one count up by its own
    ``step``, the counts taking turns, never past ``max``. A range without a step
    stays at its ``min``: rehabkit invents no increment. Rest periods keep their range.
    """
    if dose is None:
        return None
    counts = dose.counts_at(steps)
    changes = {name: Range(min=count, max=count) for name, count in counts.items()}
    return dose.replace(**changes) if changes else dose


def top_step(dose: Dose | None) -> int:
    """How many steps take every range of the dose to its top (0: the dose cannot move)."""
    return dose.top_step() if dose is not None else 0


@attrs.frozen(slots=True)
class PlannedExercise:
    """One exercise of today's session at today's dose.

    ``prescribed`` is the phase's full dose (ranges and steps); ``step`` how
    many steps up its ranges today's dose is; ``replaces`` names the exercise it
    regresses from; ``note`` the phase's instructions for it.
    """

    exercise: Exercise
    dose: Dose | None
    note: str | None = None
    replaces: str | None = None
    prescribed: Dose | None = None
    step: int = 0
    #: The name of the exercise this one replaces, for people.
    replaces_name: str | None = None

    @property
    def dose_text(self) -> str:
        """The dose in plain words, or what to do when the protocol gives none."""
        return self.dose.describe() if self.dose else "as your clinician showed you"

    @property
    def schedule_key(self) -> str:
        """The phase's exercise this one is done for (the harder one a regression stands in for): the key the
        weekly schedule counts it by."""
        return self.replaces or self.exercise.id

    @property
    def at_top(self) -> bool:
        """True when the dose cannot move further up (it has reached the top, or has no steps)."""
        return self.step >= top_step(self.prescribed)


@attrs.frozen(slots=True)
class LeftOut:
    """An exercise of the phase that is not in today's session, and why in plain words."""

    exercise: str
    name: str
    why: str


@attrs.frozen(slots=True)
class SessionPlan:
    """What to do today: the phase, the supervision statement, the exercises in order, and what changed."""

    protocol: Protocol
    phase: Phase
    items: tuple[PlannedExercise, ...]
    left_out: tuple[LeftOut, ...] = ()
    #: Changes made to this plan before it was shown (a worse next morning), in plain words.
    adjustments: tuple[str, ...] = ()
    #: Every exercise the plan could draw on, by id (to name an easier version in a decision).
    library: Mapping[str, Exercise] = attrs.field(factory=dict, eq=False, repr=False)
    #: When the weekly schedule left every exercise out today (a rest day): the next day it plans one.
    rest_until: datetime.date | None = None

    @property
    def statement(self) -> str:
        """The sentence shown before every plan: it assumes a prior clinical assessment."""
        return self.protocol.supervision.statement


def plan_session(
    protocol: Protocol,
    phase_id: str,
    library: Mapping[str, Exercise],
    regressed: Mapping[str, str] | None = None,
    steps: Mapping[str, int] | None = None,
    *,
    removed: Collection[str] = (),
    omit_movements: Collection[str] = (),
    omit_reason: str = "",
    adjustments: tuple[str, ...] = (),
    stopped_today: Collection[str] = (),
) -> SessionPlan:
    """The plan for a session in ``phase_id``.

    ``library`` maps exercise ids to exercises (the protocol's own win);
    ``regressed`` maps a phase exercise to the easier exercise used in its place,
    which then runs at its own default dose; ``steps`` how many dose steps each
    exercise (by the id done) has earned. ``removed`` exercises left the plan
    (they hurt beyond their limit with nothing easier to fall back to);
    exercises involving a movement in ``omit_movements`` are left out today
    (``omit_reason`` says why); ``stopped_today`` exercises went above their own pain limit earlier the same day and
    stay out for the rest of it. No exercise appears twice: a regression to an
    exercise already in the session leaves the harder one out. Raises
    ``LookupError`` for an unknown phase or exercise.
    """
    phase = protocol.phase(phase_id)
    exercises = {**library, **{e.id: e for e in protocol.exercises}}
    regressed = regressed or {}
    steps = steps or {}
    items: list[PlannedExercise] = []
    left_out: list[LeftOut] = []
    in_session = {ref.exercise for ref in phase.exercises if ref.exercise not in regressed}
    for ref in phase.exercises:
        if ref.exercise not in exercises:
            raise LookupError(
                f"exercise {ref.exercise!r} of phase {phase.id!r} is not installed; see 'rehabkit plugins'."
            )
        exercise = exercises[ref.exercise]
        replacement = regressed.get(ref.exercise)
        if replacement not in exercises:
            replacement = None  # no easier version installed: the exercise itself is done
        why = _why_left_out(ref.exercise, replacement, exercises, removed, in_session)
        if why is None and (replacement or ref.exercise) in stopped_today:
            why = STOPPED_TODAY
        if why is not None:
            left_out.append(LeftOut(exercise.id, exercise.name, why))
            continue
        if replacement is not None:
            in_session.add(replacement)
            easier = exercises[replacement]
            item = _planned(easier, easier.dose, ref.note, steps, replaces=exercise)
        else:
            item = _planned(exercise, ref.dose or exercise.dose, ref.note, steps)
        if omit_movements and set(item.exercise.movements) & set(omit_movements):
            left_out.append(
                LeftOut(item.exercise.id, item.exercise.name, omit_reason or "left out today after screening")
            )
            continue
        items.append(item)
    return SessionPlan(
        protocol=protocol,
        phase=phase,
        items=tuple(items),
        left_out=tuple(left_out),
        adjustments=adjustments,
        library=exercises,
    )


def _why_left_out(
    exercise_id: str,
    replacement: str | None,
    exercises: Mapping[str, Exercise],
    removed: Collection[str],
    in_session: Collection[str],
) -> str | None:
    """Why a phase exercise, or the installed easier one it was regressed to (``replacement``), is not in today's
    session: it or its easier version was removed, or the easier one is already in the session. None: it is."""
    if exercise_id in removed:
        return "it hurt beyond its limit and has no easier version: leave it out until your clinician has reviewed it"
    if replacement is None:
        return None
    if replacement in removed:
        return "it and its easier version hurt beyond their limits: leave it out until your clinician has reviewed it"
    if replacement in in_session:
        return f"its easier version, {exercises[replacement].name}, is already in this session"
    return None


def _planned(
    exercise: Exercise, dose: Dose | None, note: str | None, steps: Mapping[str, int], replaces: Exercise | None = None
) -> PlannedExercise:
    """``exercise`` at the step of ``dose`` it has earned; ``replaces``: the phase's exercise it regresses from."""
    step = steps.get(exercise.id, 0)
    return PlannedExercise(
        exercise,
        at_step(dose, step),
        note,
        replaces=replaces.id if replaces is not None else None,
        prescribed=dose,
        step=step,
        replaces_name=replaces.name if replaces is not None else None,
    )
