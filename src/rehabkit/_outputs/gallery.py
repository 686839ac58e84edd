"""The gallery of exercise figures: every installed exercise with its figure, for a clinician to review.

One self-contained HTML page (inline CSS and SVG, no script, nothing fetched): each exercise's name, id,
region and pack, its movement tags, where the figure is seen from, who reviewed the figures, and its steps.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

import attrs

from ..model import Exercise

__all__ = ["GalleryEntry", "gallery_entry", "render_gallery_html"]


@attrs.frozen(slots=True)
class GalleryEntry:
    """One exercise of the gallery, worked out for the page (strings unescaped: the template escapes them)."""

    id: str
    name: str
    region: str
    pack: str
    movements: tuple[str, ...]
    steps: tuple[str, ...]
    #: The still figure as SVG markup made by rehabkit (``""``: the exercise has none).
    figure_svg: str
    #: Where the reader looks from, in words (``the side``); who drew and reviewed the figures.
    seen: str
    review: str


def gallery_entry(exercise: Exercise, pack: str, review: str) -> GalleryEntry:
    """The gallery's entry for an exercise of ``pack``; ``review``: who reviewed its figure, in words."""
    from .figures import seen_from, still_svg

    return GalleryEntry(
        id=exercise.id,
        name=exercise.name,
        region=exercise.region,
        pack=pack,
        movements=exercise.movements,
        steps=exercise.steps,
        figure_svg=still_svg(exercise) if exercise.figure is not None else "",
        seen=seen_from(exercise),
        review=review,
    )


def render_gallery_html(entries: Sequence[GalleryEntry], day: datetime.date) -> str:
    """The gallery as one HTML document."""
    from .html import render_page

    footer = f"Exercise figures for review, {day.isoformat()} · made by rehabkit"
    return render_page("gallery.html.j2", footer, entries=entries, day=day)
