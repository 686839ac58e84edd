"""A patient's plan as an iCalendar file (RFC 5545, VERSION:2.0), for a phone's or computer's calendar.

One all-day event repeats on the phase's sessions per week (its lower bound:
the least the phase asks for) until the next review, with a reminder in the
morning; one event marks the review, with a reminder the day before. UIDs are
made from the patient and protocol, so importing a newer file (after a phase
change too) updates the events instead of doubling them.
"""

from __future__ import annotations

import datetime

from .._common.text import visible
from ..engine.schedule import WeekSchedule
from ..engine.today import schedule_of
from .content import Handout

__all__ = ["render_calendar"]

_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _byday(start: datetime.date, offsets: tuple[int, ...]) -> tuple[str, ...]:
    """The RFC 5545 weekdays of a schedule's day ``offsets`` from ``start``, Monday first."""
    return tuple(_DAYS[w] for w in sorted({(start.weekday() + o) % 7 for o in offsets}))


def _text(value: str) -> str:
    """An RFC 5545 TEXT value: backslash, semicolon, comma and newline escaped, control characters shown."""
    value = visible(value, keep_newlines=True)
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """A content line folded at 75 octets (RFC 5545 3.1), never inside a UTF-8 character."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts, current, size, limit = [], "", 0, 75
    for character in line:
        width = len(character.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size, limit = "", 0, 74  # continuation lines start with a space
        current += character
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def _event(
    uid: str,
    stamp: str,
    sequence: int,
    day: datetime.date,
    summary: str,
    description: str,
    reminder: str,
    trigger: str,
    extra: tuple[str, ...] = (),
) -> list[str]:
    """An all-day event on ``day`` with a display reminder ``trigger`` from the start of the day
    (``PT9H``, ``-PT15H``)."""
    return [
        "BEGIN:VEVENT",
        f"UID:{uid}@rehabkit",
        f"DTSTAMP:{stamp}",
        f"SEQUENCE:{sequence}",
        f"DTSTART;VALUE=DATE:{day.strftime('%Y%m%d')}",
        f"DTEND;VALUE=DATE:{(day + datetime.timedelta(days=1)).strftime('%Y%m%d')}",
        *extra,
        f"SUMMARY:{_text(summary)}",
        f"DESCRIPTION:{_text(description)}",
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        f"DESCRIPTION:{_text(reminder)}",
        f"TRIGGER;RELATED=START:{trigger}",
        "END:VALARM",
        "END:VEVENT",
    ]


def _first_on_or_after(schedule: WeekSchedule, day: datetime.date) -> datetime.date:
    """The first of the schedule's session days on or after ``day``."""
    return day if schedule.offset(day) in schedule.session_days else schedule.next_day("", day)


def _days_text(handout: Handout) -> str:
    """Which exercises fall on which days, in words: one line an exercise with set days, else all of them."""
    if not handout.week:
        return "\n".join(f"- {card.name}: {card.dose}" for card in handout.cards)
    return "\n".join(
        f"- {card.name}: {card.dose}" + (f"; on {card.days}" if card.days else "") for card in handout.cards
    )


def render_calendar(handout: Handout) -> str:
    """The calendar of a patient's plan (a :class:`Handout` of kind ``patient-plan``).

    UIDs name the patient and protocol, not the phase, so a calendar made after the patient moves on replaces the
    earlier one's events; ``SEQUENCE`` and ``DTSTAMP`` (the time it was made) tell calendar programs it is newer.
    Sessions repeat until the review; when the review is already due, or the phase names none, they repeat for the
    log's days (the clinical policy's ``handout.log_days_without_review``) and the review is an event today.
    """
    from .._common.version import __version__

    today = handout.date or datetime.date.today()
    schedule = schedule_of(handout.plan, handout.week_start or today)
    start = _first_on_or_after(schedule, today)
    patient = handout.patient or "patient"
    uid = f"{patient}.{handout.protocol.id}"
    made = datetime.datetime.now(datetime.UTC)
    stamp = made.strftime("%Y%m%dT%H%M%SZ")
    sequence = int(made.timestamp()) // 60  # grows with every calendar made, as RFC 5545 asks of a revision
    per_week = len(schedule.session_days)
    exercises = _days_text(handout)
    note = handout.week_note or f"The plan has {per_week} exercise days a week."
    description = (
        f"{handout.statement}\n\nBefore each session, answer the warning-sign questions first.\n\n{exercises}\n\n"
        f"{note} {handout.source}, content reviewed {handout.reviewed}."
    )
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:-//rehabkit//rehabkit {__version__}//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_text(handout.protocol.title)}",
    ]
    review = handout.log.review if not handout.log.overdue else None
    last = (
        (review - datetime.timedelta(days=1))
        if review is not None
        else today + datetime.timedelta(days=len(handout.log.rows) - 1)
    )
    byday = _byday(schedule.start, schedule.session_days)
    rule = "FREQ=DAILY" if per_week >= 7 else f"FREQ=WEEKLY;BYDAY={','.join(byday)}"
    rule += f";UNTIL={last.strftime('%Y%m%d')}"
    lines += _event(
        f"{uid}.sessions",
        stamp,
        sequence,
        start,
        f"Exercises: {handout.protocol.title}, {handout.phase.name}",
        description,
        "Time for your exercises: warning-sign questions first",
        "PT9H",
        extra=(f"RRULE:{rule}", "TRANSP:TRANSPARENT"),
    )
    day = review or today  # a review already due, or none planned: ask for one now
    summary = "Review with your clinician" if review is not None else "Ask your clinician for a review"
    lines += _event(
        f"{uid}.review",
        stamp,
        sequence,
        day,
        f"{summary}: {handout.protocol.title}",
        "Bring your exercise log. Your clinician reviews your progress and the next phase.",
        summary,
        "-PT15H" if review is not None else "PT9H",
    )
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
