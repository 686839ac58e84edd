"""A patient's course, read from the session store for the engine.

The engine is pure; this module turns what the store holds (dated sessions,
course events, next-morning reports, measures, the surgery date) into the
engine's records and asks :func:`rehabkit.engine.build_course` where the
patient stands.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from typing import Any

from .._common.lazy import LazyMapping
from ..engine import Course, CourseEvent, MeasureRecord, NextDayRecord, PastSession, build_course, current_entry
from ..engine.outcomes import OutcomeMeasure
from ..model import Protocol
from .store import Store

__all__ = ["load_course", "parse_date"]


def parse_date(text: str) -> datetime.date:
    """A stored ``YYYY-MM-DD`` (or timestamp) as a date."""
    return datetime.date.fromisoformat(text[:10])


def _stored_detail(text: str) -> LazyMapping[Any]:
    """A session's decision record, decoded from the store's JSON on first use: the engine reads those of the
    current phase and of the latest sessions only, so a long history costs a row each, not a document each."""
    return LazyMapping(lambda: _decision_record(text))


def _decision_record(text: str) -> dict[str, Any]:
    value = json.loads(text)
    return value if isinstance(value, dict) else {}


def load_course(
    store: Store,
    patient: str,
    protocol: Protocol,
    measures: Mapping[str, OutcomeMeasure],
    today: datetime.date,
) -> Course:
    """The patient's course in ``protocol`` on ``today`` (not started when nothing is recorded yet)."""
    events = [
        CourseEvent(
            id=e.id,
            kind=e.kind,
            date=parse_date(e.date),
            protocol=e.protocol,
            phase=e.phase,
            by=e.by,
            after_session=e.after_session,
            detail=e.detail or {},
        )
        for e in store.events(patient)
    ]
    entry = current_entry(protocol, events)
    sessions = [
        PastSession(
            id=id_,
            date=parse_date(day),
            phase=phase,
            status=status,
            pain_before=before,
            pain_after=after,
            decision=decision,
            detail=_stored_detail(detail) if detail else {},
        )
        for id_, day, phase, status, before, after, decision, detail in store.course_sessions(
            patient, protocol.id, entry.after_session if entry else None
        )
    ]
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
