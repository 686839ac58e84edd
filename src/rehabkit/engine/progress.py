"""Measures of progress over a course of sessions."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

__all__ = ["weeks_without_improvement"]


def weeks_without_improvement(
    pain_before: Sequence[tuple[datetime.date, float]], today: datetime.date, min_change: float
) -> float:
    """Weeks since pain before a session last fell by at least ``min_change`` points.

    ``pain_before`` lists (date, pain before the session) oldest first. The
    first session sets the mark; each later session at least ``min_change``
    below the mark counts as an improvement and moves the mark there. With no
    sessions the answer is 0.
    """
    if not pain_before:
        return 0.0
    mark_date, mark = pain_before[0]
    for date, pain in pain_before[1:]:
        if pain <= mark - min_change:
            mark_date, mark = date, pain
    return round((today - mark_date).days / 7, 1)
