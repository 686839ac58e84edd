"""rehabkit plugin pack: the shared spine exercise library.

Contributes the exercise-library documents in this package's ``exercises``
folder (a link to ``protocols/exercises/`` in the rehabkit repository, so that
each document exists once).
"""

from __future__ import annotations

from pathlib import Path

from rehabkit import RegisterExercise, hookimpl

#: Hook API version this pack was written for.
REHABKIT_HOOK_API = 1

EXERCISES = Path(__file__).parent / "exercises"


@hookimpl
def rehabkit_register_exercises(register: RegisterExercise) -> None:
    """Register every exercise of the shared library."""
    register(EXERCISES)
