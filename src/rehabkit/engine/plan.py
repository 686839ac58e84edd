"""Today's session plan: the phase's exercises with their doses, after any regressions."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from ..model import Dose, Exercise, Phase, Protocol, Range

__all__ = ["DOSE_LEVELS", "PlannedExercise", "SessionPlan", "at_level", "plan_session"]

#: Where in each of a dose's ranges a session sits: the low end (start, after a reduction) or the high end.
DOSE_LEVELS = ("low", "high")
_COUNTS = ("sets", "reps", "hold_seconds", "times_per_day", "days_per_week", "duration_minutes")


def at_level(dose: Dose | None, level: str) -> Dose | None:
    """The dose with each range narrowed to its low or high end (rest periods keep their range)."""
    if dose is None:
        return None
    changes = {}
    for name in _COUNTS:
        value: Range | None = getattr(dose, name)
        if value is not None and value.min != value.max:
            end = value.min if level == "low" else value.max
            changes[name] = Range(min=end, max=end)
    return attrs.evolve(dose, **changes) if changes else dose


@attrs.frozen(slots=True)
class PlannedExercise:
    """One exercise of today's session, with its dose; ``replaces`` names the exercise it regresses from."""

    exercise: Exercise
    dose: Dose | None
    note: str | None = None
    replaces: str | None = None

    @property
    def dose_text(self) -> str:
        """The dose in plain words, or what to do when the protocol gives none."""
        return self.dose.describe() if self.dose else "as your clinician showed you"


@attrs.frozen(slots=True)
class SessionPlan:
    """What to do today: the phase, the supervision statement, and the exercises in order."""

    protocol: Protocol
    phase: Phase
    items: tuple[PlannedExercise, ...]
    #: ``low`` or ``high``: where in the protocol's dose ranges this session sits.
    level: str = "low"

    @property
    def statement(self) -> str:
        """The sentence shown before every plan: it assumes a prior clinical assessment."""
        return self.protocol.supervision.statement


def plan_session(
    protocol: Protocol,
    phase_id: str,
    library: Mapping[str, Exercise],
    regressed: Mapping[str, str] | None = None,
    level: str = "low",
) -> SessionPlan:
    """The plan for a session in ``phase_id``.

    ``library`` maps exercise ids to exercises (the protocol's own win);
    ``regressed`` maps an exercise id to the easier exercise used in its place
    after a regression decision, which then runs at its own default dose.
    ``level`` picks the low or high end of every dose range (the protocol's own
    numbers: a reps range of 8-10 gives 8 or 10). Raises ``LookupError`` for an
    unknown phase or exercise.
    """
    phase = protocol.phase(phase_id)
    exercises = {**library, **{e.id: e for e in protocol.exercises}}
    items: list[PlannedExercise] = []
    for ref in phase.exercises:
        if ref.exercise not in exercises:
            raise LookupError(f"exercise {ref.exercise!r} of phase {phase.id!r} is not installed; see 'rehabkit plugins'.")
        exercise = exercises[ref.exercise]
        replacement = (regressed or {}).get(ref.exercise)
        if replacement is not None and replacement in exercises:
            easier = exercises[replacement]
            items.append(PlannedExercise(easier, at_level(easier.dose, level), ref.note, replaces=exercise.id))
        else:
            items.append(PlannedExercise(exercise, at_level(ref.dose or exercise.dose, level), ref.note))
    return SessionPlan(protocol=protocol, phase=phase, items=tuple(items), level=level)
