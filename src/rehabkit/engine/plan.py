"""Today's session plan: the phase's exercises with their doses, after any regressions."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from ..model import Dose, Exercise, Phase, Protocol

__all__ = ["PlannedExercise", "SessionPlan", "plan_session"]


@attrs.frozen(slots=True)
class PlannedExercise:
    """One exercise of today's session, with its dose; ``replaces`` names the exercise it regresses from."""

    exercise: Exercise
    dose: Dose | None
    note: str | None = None
    replaces: str | None = None


@attrs.frozen(slots=True)
class SessionPlan:
    """What to do today: the phase, the supervision statement, and the exercises in order."""

    protocol: Protocol
    phase: Phase
    items: tuple[PlannedExercise, ...]

    @property
    def statement(self) -> str:
        """The sentence shown before every plan: it assumes a prior clinical assessment."""
        return self.protocol.supervision.statement


def plan_session(
    protocol: Protocol,
    phase_id: str,
    library: Mapping[str, Exercise],
    regressed: Mapping[str, str] | None = None,
) -> SessionPlan:
    """The plan for a session in ``phase_id``.

    ``library`` maps exercise ids to exercises (the protocol's own win);
    ``regressed`` maps an exercise id to the easier exercise used in its place
    after a regression decision, which then runs at its own default dose.
    Raises ``LookupError`` for an unknown phase or exercise.
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
            items.append(PlannedExercise(easier, easier.dose, ref.note, replaces=exercise.id))
        else:
            items.append(PlannedExercise(exercise, ref.dose or exercise.dose, ref.note))
    return SessionPlan(protocol=protocol, phase=phase, items=tuple(items))
