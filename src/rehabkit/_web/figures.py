"""An exercise's figure on the session's exercise page: the animated SVG of the handout's figure code
(:func:`rehabkit._outputs.figures.animated_svg`: CSS keyframes, still under ``prefers-reduced-motion``), inline, with
its text alternative (the SVG's title: what it shows, then the steps)."""

from __future__ import annotations

import re
from typing import Any

import attrs
import markupsafe

from .._outputs.figures import animated_svg

__all__ = ["Figure"]

_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)


@attrs.frozen(slots=True)
class Figure:
    """An exercise's figure as the page shows it: the SVG, and the text of its style elements (which the page's
    Content-Security-Policy allows by hash)."""

    svg: markupsafe.Markup
    styles: tuple[str, ...]

    @classmethod
    def of(cls, exercise: Any) -> Figure | None:
        """The exercise's figure; None where it has none."""
        if getattr(exercise, "figure", None) is None:
            return None
        svg = animated_svg(exercise)
        return cls(markupsafe.Markup(svg), tuple(_STYLE.findall(svg)))
