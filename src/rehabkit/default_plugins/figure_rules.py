"""Core lint rules on exercise figures and media: angles the body can make, a support under a lying or kneeling
body, and the licence and credit of every picture or video (RK601); a figure that shows the movements its
exercise is tagged with, and no untagged bending or arching of the spine (RK602)."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import attrs

from .._common.errors import Severity
from .._documents.lint import DOCUMENT_KINDS, LintContext, LintRule, Violation
from ..model import Figure, Pose


def figures_and_media(context: LintContext) -> Iterator[Violation]:
    """Each figure's angles lie in the body model's ranges and a lying or kneeling figure has a support; each
    media entry names its licence and credit."""
    for index, exercise in enumerate(context.own_exercises()):
        at: tuple[str | int, ...] = ("exercises", index)
        if exercise.figure is not None:
            for found in _figure_problems(exercise.id, exercise.position, exercise.figure):
                yield attrs.evolve(found, path=(*at, *found.path))
        for number, media in enumerate(exercise.media):
            missing = [name for name in ("licence", "credit") if getattr(media, name) is None]
            if missing:
                yield Violation(
                    f"exercise {exercise.id!r}: media {media.url!r} has no {' or '.join(missing)}: give the "
                    "licence the file is shared under and who made it (shown under the picture), or leave it out.",
                    (*at, "media", number),
                )


def _in_view(view: str) -> str:
    return "" if view == "side" else f" (seen from the {view})"


#: Figures checked, by what their findings depend on: a library's exercises are copied into many documents (and one
#: document is checked by many commands), and a figure's geometry is the same every time. Bounded, never stale: the
#: key holds everything the findings are made of (the body model is read once per process).
_CACHE_SIZE = 4096


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _figure_problems(exercise_id: str, position: str | None, figure: Figure) -> tuple[Violation, ...]:
    """RK601's findings for one figure, at paths below the exercise."""
    return tuple(_figure(exercise_id, position, figure, ("figure",)))


def _figure(exercise_id: str, position: str | None, figure: Figure, at: tuple[str | int, ...]) -> Iterator[Violation]:
    from .._outputs.figures import angle_problem, body_model

    poses = [(figure.start, (*at, "start")), *((pose, (*at, "poses", i)) for i, pose in enumerate(figure.poses))]
    for pose, where in poses:
        for name, value in pose.angles:
            problem = angle_problem(name, value, figure.view)
            if problem is not None:
                yield Violation(
                    f"exercise {exercise_id!r}: {problem}{_in_view(figure.view)}: draw an angle the body can make "
                    "(schemas/body-model.json gives each joint's range in each view).",
                    (*where, "angles", name),
                )
    rule = body_model()["needs_support"]
    lying = any(abs(dict(pose.angles).get("pelvis", 0)) >= rule["tilt"] for pose, _ in poses)
    if figure.support == "none" and (lying or position in rule["positions"]):
        yield Violation(
            f"exercise {exercise_id!r}: the figure lies or kneels on nothing: give its 'support' "
            "(floor, table, chair, wall or bar).",
            (*at, "support"),
        )


def figure_movements(context: LintContext) -> Iterator[Violation]:
    """A figure shows each spine movement its exercise is tagged with, and its exercise is tagged with each
    spine movement the figure shows (which angles show which tag: ``movements`` in the body model)."""
    for index, exercise in enumerate(context.own_exercises()):
        if exercise.figure is not None:
            key = (exercise.id, exercise.region, exercise.movements, exercise.figure)
            for found in _movement_problems(*key):
                yield attrs.evolve(found, path=("exercises", index, *found.path))


class _Tagged(NamedTuple):
    """What RK602 reads of an exercise besides its figure."""

    id: str
    region: str
    movements: tuple[str, ...]


@functools.cache
def _signs() -> Mapping[str, Sequence[Mapping[str, Any]]]:
    """Which angles show which movement tag (``movements`` in the body model), by tag."""
    from .._outputs.figures import body_model

    return {tag: rows for tag, rows in body_model()["movements"].items() if tag != "description"}


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _movement_problems(
    exercise_id: str, region: str, movements: tuple[str, ...], figure: Figure
) -> tuple[Violation, ...]:
    """RK602's findings for one figure of an exercise with this region and these movement tags."""
    exercise = _Tagged(exercise_id, region, movements)
    return tuple(found for tag, rows in _signs().items() for found in _tag_and_figure(exercise, figure, tag, rows, ()))


def _tag_and_figure(
    exercise: _Tagged, figure: Figure, tag: str, rows: Sequence[Mapping[str, Any]], at: tuple[str | int, ...]
) -> Iterator[Violation]:
    """A tagged movement the figure does not show; a movement the figure shows that is not tagged."""
    mine = [
        row
        for row in rows
        if figure.view in row["views"] and (exercise.region == "whole-spine" or exercise.region in row["regions"])
    ]
    met = [(row, shown) for row in mine if (shown := _meets(row, figure)) is not None]
    if tag in exercise.movements and mine and not met:
        wanted = "; ".join(_sign_words(row) for row in mine)
        yield Violation(
            f"exercise {exercise.id!r} is tagged {tag!r} but its figure does not show it "
            f"(no pose has {wanted}): draw the movement, or take {tag!r} out of its movements.",
            (*at, "figure"),
        )
    untagged = [(row, shown) for row, shown in met if row["needs_tag"]]
    if tag not in exercise.movements and untagged:
        row, shown = untagged[0]
        yield Violation(
            f"exercise {exercise.id!r}: its figure shows {row['shows']} ({shown}) but the exercise is not "
            f"tagged {tag!r}: add {tag!r} to its movements (precautions check them), or draw it without.",
            (*at, "movements") if exercise.movements else (*at, "figure"),
        )


def _meets(row: Mapping[str, Any], figure: Figure) -> str | None:
    """Where a figure meets a movement sign, in words (``lower-trunk 20 degrees in pose 'rounded'``), or None."""
    start = _sum(row["joints"], figure.start) if row.get("from_start") else 0.0
    labelled = [("the start pose", figure.start)] + [
        (f"pose {pose.label!r}" if pose.label else f"pose {i}", pose) for i, pose in enumerate(figure.poses, 1)
    ]
    for name, pose in labelled:
        value = _sum(row["joints"], pose) - start
        if row.get("either_side"):
            value = abs(value)
        if ("min" in row and value >= row["min"]) or ("max" in row and value <= row["max"]):
            change = " more than at the start" if row.get("from_start") else ""
            return f"{' + '.join(row['joints'])} {value:g} degrees{change} in {name}"
    return None


def _sum(joints: Sequence[str], pose: Pose) -> float:
    from .._outputs.figures import joint_angle

    return sum(joint_angle(pose, joint) for joint in joints)


def _sign_words(row: Mapping[str, Any]) -> str:
    limit = f"at least {row['min']}" if "min" in row else f"at most {row['max']}"
    if row.get("either_side"):
        limit += " either way"
    change = " more than at the start" if row.get("from_start") else ""
    return f"{row['shows']}: {' + '.join(row['joints'])} {limit} degrees{change}"


RULES = (
    LintRule(
        code="RK601",
        severity=Severity.ERROR,
        summary="a figure bends a joint past its range, or lies on nothing; a picture has no licence or credit",
        check=figures_and_media,
        applies_to=DOCUMENT_KINDS,
        explanation=(
            "An exercise figure is drawn from joint angles: each must lie within the body model's anatomical range "
            "(schemas/body-model.json), so that no figure shows a knee bent backwards or a neck turned past what "
            "a person can do. A figure lying, kneeling or on hands and knees needs the surface it rests on. "
            "Pictures and videos a pack supplies must say under which licence they are shared and who made them, "
            "so that the credit can be shown under the picture."
        ),
    ),
    LintRule(
        code="RK602",
        severity=Severity.ERROR,
        summary="a figure does not show a spine movement its exercise is tagged with, or shows one it is not",
        check=figure_movements,
        applies_to=DOCUMENT_KINDS,
        explanation=(
            "Precautions (no bending after lumbar surgery) are checked against an exercise's movements tags, so "
            "the tags and the figure must agree: an exercise tagged 'bend' has a figure that bends, and a figure "
            "that bends or arches the spine belongs to an exercise tagged so. Which joint angles show which tag is "
            "data ('movements' in schemas/body-model.json): for a lumbar exercise the lower back, for a thoracic "
            "one the upper back, for a cervical one the neck, for a whole-spine one any of them. Turning and "
            "side-bending are not checked (the body model has no joints for them)."
        ),
    ),
)
