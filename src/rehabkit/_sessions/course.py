"""A patient's course, read from the session store for the engine.

The engine is pure; this module turns what the store holds (dated sessions,
course events, next-morning reports, measures, the surgery date) into the
engine's records and asks :func:`rehabkit.engine.build_course` where the
patient stands.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from ..engine import Course, CourseEvent, MeasureRecord, NextDayRecord, PastSession, build_course
from ..model import Protocol
from .outcomes import OutcomeMeasure
from .store import Store

__all__ = ["load_course", "parse_date"]


def parse_date(text: str) -> datetime.date:
    """A stored ``YYYY-MM-DD`` (or timestamp) as a date."""
    return datetime.date.fromisoformat(text[:10])


def load_course(
    store: Store,
    patient: str,
    protocol: Protocol,
    measures: Mapping[str, OutcomeMeasure],
    today: datetime.date,
) -> Course:
    """The patient's course in ``protocol`` on ``today`` (not started when nothing is recorded yet)."""
    sessions = [
        PastSession(id=s.id, date=parse_date(s.date), phase=s.phase, status=s.status, pain_before=s.pain_before,
                    pain_after=s.pain_after, decision=s.decision, detail=s.decision_detail or {})
        for s in store.sessions(patient, protocol.id)
    ]
    events = [
        CourseEvent(id=e.id, kind=e.kind, date=parse_date(e.date), protocol=e.protocol, phase=e.phase, by=e.by,
                    after_session=e.after_session, detail=e.detail or {})
        for e in store.events(patient)
    ]
    next_days = [NextDayRecord(session, parse_date(day), pain, settled) for session, day, pain, settled in store.next_days(patient)]
    scored = [MeasureRecord(measure, value, parse_date(day)) for measure, value, day in store.measures(patient)]
    surgery = store.surgery_date(patient)
    return build_course(
        protocol, sessions, events, next_days, scored, today,
        surgery_date=parse_date(surgery) if surgery else None,
        measure_criteria={key: m.criterion for key, m in measures.items() if m.criterion},
    )
