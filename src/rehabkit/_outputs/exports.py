"""What an export renderer is given: a whole protocol (kind ``protocol``) or a patient's whole course record
(kind ``patient-course``), for formats such as HL7 FHIR.

A handout is today's plan; an export is the record itself. A course is
exported whatever its state: a paused, referred or discharged course is still
a record a clinic may need. The content is read here (from the registry and
the session store); a renderer only writes it out.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from .content import TimelineEntry

if TYPE_CHECKING:  # annotations only: registering a renderer must not import the engine
    from .._sessions.store_api import SessionStore
    from ..engine import Course, PastSession
    from ..model import Exercise, Protocol

__all__ = [
    "CourseExport",
    "CourseMeasure",
    "ProtocolExport",
    "build_course_export",
    "build_protocol_export",
]


@attrs.frozen(slots=True)
class ProtocolExport:
    """A protocol with every exercise its phases name (kind ``protocol``)."""

    protocol: Protocol
    #: Every exercise the phases name, by id: the protocol's own, else the installed library's.
    exercises: Mapping[str, Exercise]
    #: The pack each library exercise comes from, by id (the protocol's own exercises are not in it).
    sources: Mapping[str, str]

    @property
    def kind(self) -> str:
        """``protocol``: what a renderer is asked to render."""
        return "protocol"


@attrs.frozen(slots=True)
class CourseMeasure:
    """A scored outcome measure (ODI, NDI, ...) with its unit and band."""

    measure: str
    name: str
    value: float
    unit: str
    band: str | None
    date: datetime.date


@attrs.frozen(slots=True)
class CourseExport:
    """A patient's whole course in one protocol (kind ``patient-course``), by the pseudonymous id only."""

    patient: str
    plan: ProtocolExport
    course: Course
    #: The day the export is made for.
    date: datetime.date
    #: Every session with every score and answer given in it (``pain_during``, ``screening``) and the next morning's
    #: pain (``next_morning``, ``next_morning_date``) where reported.
    sessions: tuple[PastSession, ...]
    measures: tuple[CourseMeasure, ...]
    events: tuple[TimelineEntry, ...]

    @property
    def kind(self) -> str:
        """``patient-course``: what a renderer is asked to render."""
        return "patient-course"

    @property
    def protocol(self) -> Protocol:
        """The protocol of the course."""
        return self.plan.protocol


def build_protocol_export(registry: Any, protocol: Protocol) -> ProtocolExport:
    """The protocol with the exercises its phases name, from the protocol itself and the installed library."""
    own = {e.id: e for e in protocol.exercises}
    named = {ref.exercise for phase in protocol.phases for ref in phase.exercises}
    exercises: dict[str, Exercise] = {}
    sources: dict[str, str] = {}
    for exercise_id in sorted(named):
        if exercise_id in own:
            exercises[exercise_id] = own[exercise_id]
        elif exercise_id in registry.exercises:
            exercises[exercise_id] = registry.exercises[exercise_id].item
            sources[exercise_id] = registry.exercises[exercise_id].pack
    for exercise in protocol.exercises:  # the protocol's own exercises travel with it even when no phase names them
        exercises.setdefault(exercise.id, exercise)
    return ProtocolExport(protocol, exercises, sources)


def build_course_export(
    store: SessionStore, registry: Any, patient: str, protocol: Protocol, today: datetime.date
) -> CourseExport:
    """The patient's course record in ``protocol`` up to ``today``, whatever the course's state."""
    from .._sessions.course import load_course, parse_date
    from .report import event_text

    definitions = {key: r.item for key, r in registry.outcome_measures.items()}
    course = load_course(store, patient, protocol, definitions, today)
    mornings = {session: (pain, parse_date(day)) for session, day, pain, _settled in store.next_days(patient)}
    sessions = []
    for record in store.sessions(patient, protocol.id):
        answers = store.answers(record.id)
        during = tuple(
            (key, float(value)) for kind, key, value in answers if kind == "pain-during" and value is not None
        )
        screening = tuple((key, bool(value)) for kind, key, value in answers if kind == "screening")
        morning = mornings.get(record.id)
        sessions.append(
            attrs.evolve(
                record,
                pain_during=during,
                screening=screening,
                next_morning=morning[0] if morning else None,
                next_morning_date=morning[1] if morning else None,
            )
        )
    measures = []
    for (measure_id, value, day), band in zip(store.measures(patient), store.measure_bands(patient), strict=True):
        definition = definitions.get(measure_id)
        measures.append(
            CourseMeasure(
                measure_id,
                definition.name if definition else measure_id,
                float(value),
                definition.unit if definition else "",
                band,  # as given when it was scored (a subscale may have decided it)
                parse_date(day),
            )
        )
    names = {p.id: p.name for p in protocol.phases}
    events = tuple(
        TimelineEntry(parse_date(e.date), e.kind, event_text(e, names, reasons=True))
        for e in store.events(patient)
        if e.protocol in (None, protocol.id) or e.kind in ("pause", "review")
    )
    return CourseExport(
        patient, build_protocol_export(registry, protocol), course, today, tuple(sessions), tuple(measures), events
    )
