"""Core lint rule on exercise figures and media (RK601): angles the body can make, a support under a lying or
kneeling body, and the licence and credit of every picture or video."""

from __future__ import annotations

from collections.abc import Iterator

from .._common.errors import Severity
from .._documents.lint import DOCUMENT_KINDS, LintContext, LintRule, Violation
from ..model import Exercise, Figure


def figures_and_media(context: LintContext) -> Iterator[Violation]:
    """Each figure's angles lie in the body model's ranges and a lying or kneeling figure has a support; each
    media entry names its licence and credit."""
    for index, exercise in enumerate(context.own_exercises()):
        at: tuple[str | int, ...] = ("exercises", index)
        if exercise.figure is not None:
            yield from _figure(exercise, exercise.figure, (*at, "figure"))
        for number, media in enumerate(exercise.media):
            missing = [name for name in ("licence", "credit") if getattr(media, name) is None]
            if missing:
                yield Violation(
                    f"exercise {exercise.id!r}: media {media.url!r} has no {' or '.join(missing)}: give the "
                    "licence the file is shared under and who made it (shown under the picture), or leave it out.",
                    (*at, "media", number),
                )


def _figure(exercise: Exercise, figure: Figure, at: tuple[str | int, ...]) -> Iterator[Violation]:
    from .._outputs.figures import angle_problems, body_model

    poses = [(figure.start, (*at, "start")), *((pose, (*at, "poses", i)) for i, pose in enumerate(figure.poses))]
    for pose, where in poses:
        for problem in angle_problems(pose):
            yield Violation(
                f"exercise {exercise.id!r}: {problem}: draw an angle the body can make "
                "(schemas/body-model.json gives each joint's range).",
                (*where, "angles"),
            )
    rule = body_model()["needs_support"]
    lying = any(abs(dict(pose.angles).get("pelvis", 0)) >= rule["tilt"] for pose, _ in poses)
    if figure.support == "none" and (lying or exercise.position in rule["positions"]):
        yield Violation(
            f"exercise {exercise.id!r}: the figure lies or kneels on nothing: give its 'support' "
            "(floor, table, chair, wall or bar).",
            (*at, "support"),
        )


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
)
