"""Measures of progress over a course of sessions."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Sequence

__all__ = ["weeks_without_improvement"]


def weeks_without_improvement(
    pain_before: Sequence[tuple[datetime.date, float]],
    today: datetime.date,
    min_change: float,
    target: float | None = None,
    since: datetime.date | None = None,
    longest_gap: int | None = None,
) -> float:
    """Weeks since pain before a session last improved meaningfully, counting the time sessions were done.

    ``pain_before`` lists (date, pain before the session) oldest first;
    ``since`` is when the clock started (the phase was entered, or a clinician
    last reviewed the course), else the first session. The first session sets the
    mark; a later session at least ``min_change`` below the mark is an
    improvement and moves the mark there. So is a session at or below ``target``
    (the phase's pain goal): a patient who has nothing left to gain is never
    counted as "not improving". ``longest_gap`` (days): a gap between sessions, or
    from the last one to ``today``, counts at most this long, so that time without
    sessions is never taken for a failure to improve (``None``: all time counts).
    """
    series = [(date, pain) for date, pain in pain_before if since is None or date >= since]
    if not series:
        return 0.0
    mark_date, mark = since or series[0][0], series[0][1]
    for date, pain in series:
        if (target is not None and pain <= target) or pain <= mark - min_change:
            mark_date, mark = date, pain
    days = [mark_date, *(date for date, _ in series if date > mark_date), max(today, mark_date)]
    counted = sum(_counted(later - earlier, longest_gap) for earlier, later in itertools.pairwise(days))
    return round(counted / 7, 1)


def _counted(gap: datetime.timedelta, longest_gap: int | None) -> int:
    return gap.days if longest_gap is None else min(gap.days, longest_gap)


def weeks_after(start: datetime.date, weeks: float) -> datetime.date | None:
    """The day ``weeks`` after ``start``; None past the calendar's end (year 9999), where a protocol's
    ``review_after_weeks: 1000000`` (the schema sets no maximum) would take it."""
    if weeks * 7 > (datetime.date.max - start).days:
        return None
    return start + datetime.timedelta(weeks=weeks)
