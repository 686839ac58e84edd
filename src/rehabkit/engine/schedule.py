"""The weekly schedule of a phase: which days are exercise days and which exercise is due on which of them.

One schedule serves ``run`` (an exercise planned fewer days a week than there
are sessions is left out on its other days), the handout (the week at a
glance) and the calendar (the days its events repeat on). Weeks are seven-day
blocks counted from the schedule's first day (the day the phase was entered),
so the same day is always the same day of the schedule's week.

Session days: the phase's ``sessions_per_week`` (its lower bound, the least it
asks for, raised to the largest days-a-week count of its exercises); without
it, every day when an exercise has no days-a-week count, else the largest
count. An exercise with a days-a-week count (at the patient's step: the count
can grow with progression) is planned on that many of the session days, spread
over the week; one without is planned on every session day.

An exercise with a days-a-week count is due on a day when it has been done on
fewer days of this week than its plan has reached by that day: a planned day
missed can be caught up later in the same week, never more often than planned.
One without is due on any day, up to the phase's most sessions a week (the
upper bound of ``sessions_per_week``). Either is done once a day, or as many
times as its times-a-day count says. Pure: the sessions done are given, nothing
here reads the store.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping

import attrs

from ..model import Phase

__all__ = ["DAY_NAMES", "DoneDay", "WeekSchedule", "spread", "week_schedule"]

#: Weekday names, Monday first (``date.weekday()`` order).
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEK = tuple(range(7))


def spread(count: int, days: tuple[int, ...] = _WEEK) -> tuple[int, ...]:
    """``count`` of ``days`` (offsets from the week's first day, in order), spread over the week as evenly as they
    go: 3 of a whole week are its days 0, 2 and 4, and so are 3 of days 0-4; more than there are days gives them all.
    Each of the whole week's evenly spread days takes the nearest of ``days`` still free (the later on a tie)."""
    if count >= len(days):
        return days
    chosen: list[int] = []
    for target in (i * 7 // max(1, count) for i in range(max(1, count))):
        free = [d for d in days if d not in chosen]
        chosen.append(min(free, key=lambda d: (abs(d - target), -d)))
    return tuple(sorted(chosen))


@attrs.frozen(slots=True)
class DoneDay:
    """A session of the phase that counts: its date and the schedule keys done (``None``: a session recorded before
    rehabkit kept them, taken as every exercise done)."""

    date: datetime.date
    done: frozenset[str] | None


@attrs.frozen(slots=True)
class WeekSchedule:
    """The week of a phase from ``start``: the session days and each exercise's days, as offsets (0-6) from
    ``start``'s weekday; ``most``: the most sessions a week the phase allows (``None``: no limit)."""

    start: datetime.date
    session_days: tuple[int, ...]
    exercise_days: Mapping[str, tuple[int, ...]]
    most: int | None = None
    #: How many times a day each exercise with a times-a-day count above one is planned.
    per_day: Mapping[str, int] = attrs.field(factory=dict)

    def offset(self, day: datetime.date) -> int:
        """Which day of its schedule week ``day`` is (0 is the weekday of :attr:`start`)."""
        return (day - self.start).days % 7

    def week_of(self, day: datetime.date) -> datetime.date:
        """The first day of the schedule week holding ``day``."""
        return day - datetime.timedelta(days=self.offset(day))

    def days_of(self, key: str) -> tuple[int, ...]:
        """The offsets of the days exercise ``key`` is planned on (every session day when it has no count)."""
        return self.exercise_days.get(key, self.session_days)

    def weekday_names(self, offsets: Iterable[int]) -> tuple[str, ...]:
        """The weekday names of ``offsets``, Monday first."""
        weekdays = sorted({(self.start.weekday() + o) % 7 for o in offsets})
        return tuple(DAY_NAMES[w] for w in weekdays)

    def is_daily(self, key: str | None = None) -> bool:
        """True when exercise ``key`` (else every session) is planned for every day of the week."""
        return len(self.days_of(key) if key else self.session_days) == 7

    def due(self, key: str, day: datetime.date, done: Iterable[DoneDay]) -> bool:
        """True when exercise ``key`` may be done on ``day``. Done today already: while fewer times than its times a
        day. Else, one with a days-a-week count: while done on fewer days of this week than its plan has reached by
        ``day`` (a missed day caught up, never more often than planned); one without: on any day (the phase's most
        sessions a week are :meth:`sessions_left`'s)."""
        week = self.week_of(day)
        dates = [d.date for d in done if week <= d.date <= day and (d.done is None or key in d.done)]
        if day in dates:
            return dates.count(day) < self.per_day.get(key, 1)
        if key not in self.exercise_days:
            return True
        reached = sum(1 for o in self.exercise_days[key] if o <= self.offset(day))
        return len(set(dates)) < reached

    def sessions_left(self, day: datetime.date, done: Iterable[DoneDay]) -> bool:
        """False when the week holding ``day`` already has the most sessions the phase allows (a day counts once)."""
        if self.most is None:
            return True
        week = self.week_of(day)
        days = {d.date for d in done if week <= d.date <= day}
        return day in days or len(days) < self.most

    def next_week(self, day: datetime.date) -> datetime.date:
        """The first day of the schedule week after the one holding ``day``."""
        return self.week_of(day) + datetime.timedelta(days=7)

    def next_day(self, key: str, after: datetime.date) -> datetime.date:
        """The next day after ``after`` that exercise ``key`` may be done on: the next of its planned days for one with
        a days-a-week count, else the next day (as :meth:`due` allows it any day); ``key`` ``""``: the next session
        day."""
        if key and key not in self.exercise_days:
            return after + datetime.timedelta(days=1)
        planned = set(self.days_of(key))
        day = after + datetime.timedelta(days=1)
        while self.offset(day) not in planned:
            day += datetime.timedelta(days=1)
        return day


def _count(value: object) -> int | None:
    """A days-a-week count held to 1-7 (``None``: the exercise has none)."""
    low = getattr(value, "min", None)
    return None if low is None else max(1, min(7, int(low)))


def week_schedule(
    phase: Phase, counts: Mapping[str, object], start: datetime.date, per_day: Mapping[str, object] | None = None
) -> WeekSchedule:
    """The schedule of ``phase`` from ``start``; ``counts`` maps each exercise's schedule key to its days-a-week
    :class:`~rehabkit.model.Range` at today's step (its ``min``), or ``None`` when it has none; ``per_day`` to its
    times a day likewise."""
    given = {key: c for key, value in counts.items() if (c := _count(value)) is not None}
    most = max(given.values(), default=0)
    per_week = phase.sessions_per_week
    if per_week is not None:
        sessions = max(_count(per_week) or 1, most)
    else:
        sessions = 7 if len(given) < len(counts) or not counts else most
    session_days = spread(sessions)
    exercise_days = {key: spread(count, session_days) for key, count in given.items()}
    limit = None if per_week is None else max(per_week.max, sessions)
    times = {key: c for key, value in (per_day or {}).items() if (c := _count(value)) is not None and c > 1}
    return WeekSchedule(start, session_days, exercise_days, limit if limit is not None and limit < 7 else None, times)
