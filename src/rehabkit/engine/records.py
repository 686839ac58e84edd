"""What the engine reads about a patient's past: plain records, as the store keeps them.

The engine never opens the store: :mod:`rehabkit._sessions.course` reads these records
and hands them over, so that a course can be worked out (and tested) from data
alone. :class:`PastSession` is the one shape of a stored session for every part of
rehabkit (:mod:`rehabkit.engine.stored_session`, re-exported here).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping

import attrs

from .events import EventDetail, OtherDetail, event_detail
from .stored_session import PastSession, StoredDetail

__all__ = ["CourseEvent", "MeasureRecord", "NextDayRecord", "PastSession", "StoredDetail"]


@attrs.frozen(slots=True)
class CourseEvent:
    """A dated event of a patient's course.

    ``kind``: ``enter-phase`` (``phase`` entered; detail :class:`~rehabkit.engine.events.PhaseEntry`),
    ``pause`` (:class:`~rehabkit.engine.events.Pause`), ``review`` (:class:`~rehabkit.engine.events.Review`;
    ``by`` the clinician) or ``approval`` (:class:`~rehabkit.engine.events.Approval`; ``phase`` the gate it
    opens; ``by`` who gave it). ``after_session``
    is the id of the last session recorded before the event, which orders events
    among sessions. ``protocol`` is None for an event about the patient as a whole.
    """

    id: int
    kind: str
    date: datetime.date
    protocol: str | None = None
    phase: str | None = None
    by: str | None = None
    after_session: int = 0
    #: What the event says, typed by its kind (:mod:`rehabkit.engine.events`). A mapping in the stored form (as
    #: packs written for 0.1 pass it) is read into the typed detail of the event's kind.
    detail: EventDetail = attrs.field(factory=OtherDetail)

    def __attrs_post_init__(self) -> None:
        if isinstance(self.detail, Mapping):
            object.__setattr__(self, "detail", event_detail(self.kind, self.detail))


@attrs.frozen(slots=True)
class NextDayRecord:
    """Pain reported the morning after ``session``, and the hours pain took to settle where given."""

    session: int
    date: datetime.date
    pain: float
    settled_after_hours: float | None = None


@attrs.frozen(slots=True)
class MeasureRecord:
    """A scored outcome measure (``measure`` is its id, e.g. ``odi``) on a date."""

    measure: str
    value: float
    date: datetime.date
