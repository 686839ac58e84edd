"""A patient's course, read from the session store for the engine.

The engine is pure; this module reads what the store holds (dated sessions,
course events, next-morning reports, measures, the surgery date) as the
engine's records and asks :func:`rehabkit.engine.build_course` where the
patient stands.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from ..engine import Course, MeasureRecord, NextDayRecord, build_course, current_entry
from ..engine.outcomes import OutcomeMeasure
from ..model import Protocol
from .store_api import SessionStore

__all__ = ["load_course", "parse_date"]


def parse_date(text: str) -> datetime.date:
    """A stored ``YYYY-MM-DD`` (or timestamp) as a date."""
    return datetime.date.fromisoformat(text[:10])


def load_course(
    store: SessionStore,
    patient: str,
    protocol: Protocol,
    measures: Mapping[str, OutcomeMeasure],
    today: datetime.date,
) -> Course:
    """The patient's course in ``protocol`` on ``today`` (not started when nothing is recorded yet)."""
    events = [e.course_event() for e in store.events(patient)]
    entry = current_entry(protocol, events)
    sessions = store.course_sessions(patient, protocol.id, entry.after_session if entry else None)
    next_days = [
        NextDayRecord(session, parse_date(day), pain, settled)
        for session, day, pain, settled in store.next_days(patient, sessions=[s.id for s in sessions])
    ]
    scored = [MeasureRecord(measure, value, parse_date(day)) for measure, value, day in store.measures(patient)]
    surgery = store.surgery_date(patient)
    return build_course(
        protocol,
        sessions,
        events,
        next_days,
        scored,
        today,
        surgery_date=parse_date(surgery) if surgery else None,
        measure_criteria={key: m.criterion for key, m in measures.items() if m.criterion},
    )
