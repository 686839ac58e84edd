"""The clinic overview: which patients need a clinician's attention, most urgent first.

Every patient's course is worked out by the engine (:func:`rehabkit.engine.build_course`)
from the whole store, read in one pass per table rather than a few queries per
patient, so that a clinic of a thousand patients is assessed in well under a
second. Each reason is decided by the protocol's own data, never by a constant
of rehabkit's (docs/postgres.md lists where each comes from):

* **paused** (urgent referral first, then for review): the course state;
* **worse pain**: pain at rest, before the latest session of the last seven
  days, above the last one before them by at least the protocol's meaningful
  change (the ``min_change`` of its ``no-improvement-weeks`` rule, else the
  ``above`` of its ``increase-over-baseline`` rule), or a next-morning rule
  that fired on the latest session; and no meaningful improvement for the
  phase's ``review_after_weeks``;
* **waiting for a clearance**: every criterion of the next gate holds but a
  surgeon's clearance or clinician's approval;
* **outcome measure due**: the phase's exit criteria name a score
  (``ndi-raw``, ``odi-percent``, ...) not recorded since the phase began, and
  the phase's review date has come or it is the only criterion left;
* **a session left unfinished with pain over a limit** (of the last ``staff.trust_event_days`` days): its answers
  count for what they say;
* **a long gap**: the latest gap without sessions in the current phase longer than its ``review_after_weeks``
  (ended within the last ``staff.trust_event_days`` days, or still going on);
* **no recent session**: more days without a session than the phase's least
  ``sessions_per_week`` allows (7 / min, rounded up);
* **check a record** (of the last ``staff.trust_event_days`` days, clinical-policy data): a surgeon's clearance
  transcribed from a letter rather than given by a surgeon, an urgent referral lifted, an approval or clearance
  given again after its withdrawal, a session entered more than ``course.late_entry_days`` after its own date;
* **referred**: referred on at a review (listed last, for follow-up).

A patient with a row rehabkit cannot read (a date that is not a date, text for
a pain score, a decision record or event detail that is not JSON, their own row
deleted while their sessions remain) is set aside: their course is not worked
out from what is left, and every damaged row is named in the assessment's
``damaged``, while every other patient is assessed as usual.
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import itertools
import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import attrs

from .._common.errors import DamagedRecord, DamagedRow
from .._common.vocabulary import CRITERION_MEASURES, SESSION_MEASURED
from ..engine import (
    Course,
    CourseEvent,
    MeasureRecord,
    NextDayRecord,
    PastSession,
    build_course,
    check_criteria,
)
from ..engine.criteria import APPROVAL_MEASURES
from ..engine.events import Approval, Pause, Review
from ..engine.outcomes import OutcomeMeasure
from ..engine.progress import weeks_after
from ..model import Protocol
from .readable import missing_patient_problem
from .store_api import Overview, SessionStore, parse_day

__all__ = [
    "KINDS",
    "Assessment",
    "Attention",
    "CourseAttention",
    "Page",
    "abandoned_over_limit",
    "assess",
    "entered_late",
    "long_gaps",
    "parts",
    "read_store",
]

#: Reasons for attention, most urgent first (a course is ranked by its most urgent reason).
KINDS = (
    "urgent-referral",
    "paused",
    "worse-pain",
    "abandoned-over-limit",
    "long-gap",
    "no-improvement",
    "waiting-for-clearance",
    "check-record",
    "measure-due",
    "no-recent-session",
    "referred",
)


@attrs.frozen(slots=True)
class Attention:
    """One reason a course needs attention: its kind (one of :data:`KINDS`), a sentence, and since when."""

    kind: str
    text: str
    since: str | None = None

    @property
    def rank(self) -> int:
        """The kind's place in :data:`KINDS` (0 is the most urgent)."""
        return KINDS.index(self.kind)


@attrs.frozen(slots=True)
class CourseAttention:
    """A patient's course in one protocol and why it needs attention, most urgent reason first."""

    patient: str
    protocol: str
    phase: str
    status: str
    last_session: str | None
    reasons: tuple[Attention, ...]
    clinician: str | None = None

    def sort_key(self) -> tuple[int, str, str, str]:
        """Most urgent reason first, then the oldest, then by patient id."""
        first = self.reasons[0]
        return first.rank, first.since or "9999", self.patient, self.protocol

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--format json``."""
        return {
            "patient": self.patient,
            "protocol": self.protocol,
            "phase": self.phase,
            "status": self.status,
            "last_session": self.last_session,
            "clinician": self.clinician,
            "reasons": [{"kind": r.kind, "text": r.text, "since": r.since} for r in self.reasons],
        }


@attrs.define
class _Patient:
    surgery: str | None = None
    sessions: dict[str, list[PastSession]] = attrs.Factory(dict)
    clinician: str | None = None
    events: list[CourseEvent] = attrs.Factory(list)
    next_days: list[NextDayRecord] = attrs.Factory(list)
    measures: list[MeasureRecord] = attrs.Factory(list)
    #: The day of the patient's latest record (``datetime.date.min``: none).
    latest: datetime.date = datetime.date.min


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while the whole store is read into records that are all kept: each collection
    would walk every record made so far and free none (about 0.03 s of 1,000 patients x 50 sessions)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


#: The tables whose rows name a patient (a row of a patient whose own row is gone is set aside).
_PATIENT_TABLES = ("sessions", "course_events", "next_day", "measures")


class Assessment(NamedTuple):
    """What :func:`assess` found: how many patients were considered, the courses that need attention (most urgent
    first), and the damaged rows of the patients set aside (by patient, then table and row)."""

    considered: int
    courses: list[CourseAttention]
    damaged: list[DamagedRow]


@attrs.frozen(slots=True)
class Page:
    """One page of the ranked courses: ``courses`` are those ranked ``first`` (1-based) onwards, of ``total``; page
    ``number`` of ``pages``."""

    courses: list[CourseAttention]
    number: int
    pages: int
    first: int
    total: int

    @classmethod
    def of(cls, courses: list[CourseAttention], limit: int | None, number: int = 1) -> Page:
        """Page ``number`` of ``limit`` courses (``None``: every course on one page). :class:`ValueError` for a page
        past the last, saying how many there are."""
        total = len(courses)
        size = limit or max(total, 1)
        pages = max(math.ceil(total / size), 1)
        if not 1 <= number <= pages:
            raise ValueError(f"there {'is' if pages == 1 else 'are'} {pages} page{'s' * (pages != 1)} of {size} "
                             f"courses ({total} in all): choose a page from 1 to {pages}.")  # fmt: skip
        start = (number - 1) * size
        return cls(courses[start : start + size], number, pages, start + 1, total)


#: Patients read at a time: the overview's memory grows with this, not with the store.
PART = 500


def read_store(
    store: SessionStore, between: tuple[str, str] | None = None
) -> tuple[dict[str, _Patient], list[DamagedRow]]:
    """Every patient's records (``between``: of the ids in that range, see
    :meth:`rehabkit._sessions.store_api.SessionStore.overview`), grouped by patient; and the damaged rows, whose
    patients are left out."""
    with _collector_paused():
        return _grouped(store.overview(between))


def parts(store: SessionStore, size: int | None = None) -> list[tuple[str, str]]:
    """The ranges of patient ids that cover the whole store, ``size`` (:data:`PART`) patients each (the last
    open-ended, the first from the empty id: rows naming no recorded patient fall in one of them too)."""
    size = size or PART
    starts = store.patient_ids()[size::size]
    bounds = ["", *starts, ""]
    return list(itertools.pairwise(bounds))


def _grouped(overview: Overview) -> tuple[dict[str, _Patient], list[DamagedRow]]:
    patients: dict[str, _Patient] = {row.id: _Patient(row.surgery_date) for row in overview.patients}
    orphans: dict[str, dict[str, int]] = {}  # rows of a patient whose own row is gone (deleted with foreign keys off)

    def orphan(patient: str, table: str) -> None:
        orphans.setdefault(patient, dict.fromkeys(_PATIENT_TABLES, 0))[table] += 1

    for session in overview.sessions:
        if (record := patients.get(session.patient)) is None:
            orphan(session.patient, "sessions")
            continue
        record.sessions.setdefault(session.protocol, []).append(session)
        if session.date > record.latest:
            record.latest = session.date
        if session.clinician:
            record.clinician = session.clinician
    for event in overview.events:
        if (record := patients.get(event.patient)) is None:
            orphan(event.patient, "course_events")
            continue
        course_event = event.course_event()
        record.events.append(course_event)
        record.latest = max(record.latest, course_event.date)
        record.clinician = event.clinician or event.by or record.clinician
    for report in overview.next_days:
        if (record := patients.get(report.patient)) is None:
            orphan(report.patient, "next_day")
            continue
        day = parse_day(report.date)
        record.next_days.append(NextDayRecord(int(report.session), day, report.pain, report.settled_hours))
        record.latest = max(record.latest, day)
    for scored in overview.measures:
        if (record := patients.get(scored.patient)) is None:
            orphan(scored.patient, "measures")
            continue
        day = parse_day(scored.date)
        record.measures.append(MeasureRecord(scored.measure, scored.value, day))
        record.latest = max(record.latest, day)
    damaged = [*overview.damaged]
    damaged += [DamagedRow("patients", p, p, missing_patient_problem(counts)) for p, counts in orphans.items()]
    for row in damaged:
        patients.pop(row.patient or "", None)
    return patients, damaged


def assess(
    store: SessionStore,
    find_protocol: Callable[[str], Protocol | None],
    measures: Mapping[str, OutcomeMeasure],
    today: datetime.date,
    since: datetime.date | None = None,
    trust_days: int = 28,
) -> Assessment:
    """How many patients were considered, the courses that need attention, most urgent first, and the damaged rows.

    ``find_protocol`` gives the installed protocol for an id (``None`` when it is not installed: such a course is
    listed as one rehabkit cannot assess). ``since`` leaves out patients with nothing recorded on or after it. A patient
    with a row that cannot be read is set aside, whatever ``since`` says, and counted among those considered.
    ``trust_days``: how far back records to check (:func:`records_to_check`) are listed.
    """
    criteria = {key: m.criterion for key, m in measures.items() if m.criterion}
    found: list[CourseAttention] = []
    damaged: list[DamagedRow] = []
    considered = 0
    for between in parts(store):  # a part at a time: memory stays that of one part, however large the store
        patients, set_aside = read_store(store, between)
        damaged += set_aside
        considered += len({row.patient for row in set_aside})
        for patient, record in patients.items():
            if since is not None and record.latest < since:
                continue
            considered += 1
            try:
                found += _attention(patient, record, find_protocol, today, criteria, trust_days)
            except DamagedRecord as exc:  # a record read when it was needed (an older session's decision record)
                damaged += exc.for_patient(patient).rows
    found.sort(key=CourseAttention.sort_key)
    damaged.sort(key=lambda r: (r.patient or "", r.table, str(r.row).rjust(20)))
    return Assessment(considered, found, damaged)


def _attention(
    patient: str,
    record: _Patient,
    find_protocol: Callable[[str], Protocol | None],
    today: datetime.date,
    criteria: Mapping[str, str],
    trust_days: int,
) -> list[CourseAttention]:
    """The patient's courses that need attention."""
    found = []
    protocols = list(record.sessions)
    protocols += [e.protocol for e in record.events if e.protocol and e.protocol not in protocols]
    for protocol_id in dict.fromkeys(protocols):
        protocol = find_protocol(protocol_id)
        sessions = record.sessions.get(protocol_id, [])
        if protocol is None:
            continue
        surgery = parse_day(record.surgery) if record.surgery else None
        course = build_course(
            protocol,
            sessions,
            record.events,
            record.next_days,
            record.measures,
            today,
            surgery_date=surgery,
            measure_criteria=criteria,
        )
        if course.status == "discharged":
            continue
        window = today - datetime.timedelta(days=trust_days)
        found_reasons = [*_reasons(course, protocol, sessions, record, today, criteria)]
        found_reasons += records_to_check(record.events, protocol_id, window)
        found_reasons += [*abandoned_over_limit(sessions, window), *entered_late(sessions, window, today)]
        if course.status == "active":
            found_reasons += long_gaps(course, protocol, today, window)
        reasons = sorted(found_reasons, key=lambda r: r.rank)
        if reasons:
            last = max((s.date for s in sessions), default=None)
            found.append(
                CourseAttention(
                    patient,
                    protocol_id,
                    course.phase,
                    course.status,
                    last.isoformat() if last else None,
                    tuple(reasons),
                    record.clinician,
                )
            )
    return found


def _reasons(
    course: Course,
    protocol: Protocol,
    sessions: list[PastSession],
    record: _Patient,
    today: datetime.date,
    criteria: Mapping[str, str],
) -> Iterator[Attention]:
    stop = course.stop
    if course.status == "paused" and stop is not None and isinstance(stop.detail, Pause):
        action = stop.detail.action
        cause = {
            "screening": "a red-flag answer at screening",
            "no-improvement": "no meaningful improvement",
            "next-day": "the next-morning report",
            "empty-plan": "no exercise left in the plan",
        }.get(stop.detail.cause, "the session's decision")
        urgent = action == "refer-urgently"
        yield Attention(
            "urgent-referral" if urgent else "paused",
            f"paused since {stop.date.isoformat()} because of {cause}"
            + (": told to seek medical help urgently" if urgent else ": waiting for a clinician's review"),
            stop.date.isoformat(),
        )
        return
    if course.status == "referred" and stop is not None:
        by = f" by {stop.by}" if stop.by else ""
        yield Attention("referred", f"referred on at a review on {stop.date.isoformat()}{by}", stop.date.isoformat())
        return
    yield from _worse_pain(course, protocol, sessions, today)
    yield from _waiting_for_clearance(course, protocol)
    yield from _measures_due(course, protocol, record, today, criteria)
    yield from _no_recent_session(course, protocol, sessions, record, today)


def records_to_check(events: list[CourseEvent], protocol: str, since: datetime.date) -> Iterator[Attention]:
    """The course's records of trust to look at again, dated ``since`` or later: a surgeon's clearance transcribed
    from a letter, an approval or clearance given again after its withdrawal, an urgent referral lifted."""
    withdrawn: dict[tuple[str | None, str], datetime.date] = {}
    urgent: datetime.date | None = None
    for event in (e for e in events if e.protocol in (None, protocol)):
        detail, day, by = event.detail, event.date, event.by or "someone unnamed"
        if isinstance(detail, Approval):
            key = (event.phase, detail.kind)
            if not detail.value:
                withdrawn[key] = day
                continue
            before = withdrawn.pop(key, None)
            label = CRITERION_MEASURES[detail.kind].label if detail.kind in CRITERION_MEASURES else detail.kind
            if day >= since and detail.transcribed:
                yield Attention(
                    "check-record",
                    f"{label} for the phase {event.phase!r} transcribed by {by} on "
                    f"{day.isoformat()} from {detail.surgeon}'s letter ({detail.evidence})",
                    day.isoformat(),
                )
            if day >= since and before is not None:
                yield Attention(
                    "check-record",
                    f"{label} for the phase {event.phase!r} given again by {by} on "
                    f"{day.isoformat()}, after its withdrawal on {before.isoformat()}",
                    day.isoformat(),
                )
        elif isinstance(detail, Pause):
            urgent = day if detail.action == "refer-urgently" else None
        elif isinstance(detail, Review) and detail.outcome in ("resume", "earlier-phase") and urgent is not None:
            if day >= since:
                yield Attention("check-record", f"the urgent referral of {urgent.isoformat()} lifted by {by} on "
                                f"{day.isoformat()}: {detail.note or 'no note'}", day.isoformat())  # fmt: skip
            urgent = None


def meaningful_change(protocol: Protocol) -> float | None:
    """The protocol's meaningful change in pain: its no-improvement rule's ``min_change``, else the lowest ``above`` of
    its increase-over-baseline rules (``None``: the protocol names none, and worse pain is not judged)."""
    changes = [r.min_change for r in protocol.symptom_rules if r.measure == "no-improvement-weeks" and r.min_change]
    if changes:
        return float(min(changes))
    rises = [r.above for r in protocol.symptom_rules if r.measure == "increase-over-baseline" and r.above is not None]
    return float(min(rises)) if rises else None


def _worse_pain(
    course: Course, protocol: Protocol, sessions: list[PastSession], today: datetime.date
) -> Iterator[Attention]:
    week_ago = today - datetime.timedelta(days=7)
    scored = [
        (s.date, float(s.pain_before))
        for s in sessions
        if s.status in ("complete", "stopped") and s.pain_before is not None and s.date <= today
    ]
    recent = [item for item in scored if item[0] > week_ago]
    earlier = [item for item in scored if item[0] <= week_ago]
    change = meaningful_change(protocol)
    if recent and change is not None:
        reference = earlier[-1] if earlier else recent[0]
        latest = recent[-1]
        if latest[1] - reference[1] >= change:
            yield Attention(
                "worse-pain",
                f"pain at rest rose from {reference[1]:g}/10 ({reference[0].isoformat()}) to "
                f"{latest[1]:g}/10 ({latest[0].isoformat()}), at least the protocol's meaningful change of "
                f"{change:g}",
                latest[0].isoformat(),
            )
    if course.morning:
        yield Attention(
            "worse-pain",
            "the next-morning report after the latest session: "
            + "; ".join(reason.describe() for reason in course.morning),
            None,
        )
    phase = protocol.phase(course.phase)
    stuck = course.weeks_without_improvement
    if stuck is not None and phase.review_after_weeks and stuck >= phase.review_after_weeks:
        yield Attention(
            "no-improvement",
            f"no meaningful improvement for {stuck:g} weeks (the phase's review period is "
            f"{phase.review_after_weeks} weeks)",
            None,
        )


def _waiting_for_clearance(course: Course, protocol: Protocol) -> Iterator[Attention]:
    order = [p.id for p in protocol.phases]
    if not course.started:
        missing = check_criteria(protocol.phases[0].entry, course.facts, order[0], skip=SESSION_MEASURED).missing
        gate = order[0]
    else:
        gate = course.gate
        if gate == course.phase:
            return  # the last phase: its end is the clinician's to decide
        leaving = check_criteria(protocol.phase(course.phase).exit, course.facts, gate).missing
        done = attrs.evolve(course.facts, completed_phases=course.facts.completed_phases | {course.phase})
        entering = check_criteria(protocol.phase(gate).entry, done, gate, skip=SESSION_MEASURED).missing
        missing = (*leaving, *entering)
    kinds = sorted({m.measure for m in missing})
    if missing and set(kinds) <= APPROVAL_MEASURES:
        words = " and ".join(CRITERION_MEASURES[k].label for k in kinds)
        name = protocol.phase(gate).name
        yield Attention("waiting-for-clearance", f"ready for the phase {name!r} ({gate}) but for {words}", None)


def _measures_due(
    course: Course, protocol: Protocol, record: _Patient, today: datetime.date, criteria: Mapping[str, str]
) -> Iterator[Attention]:
    if not course.started or course.entered is None:
        return
    phase = protocol.phase(course.phase)
    by_criterion = {criterion: measure for measure, criterion in criteria.items()}
    named = [
        c.measure
        for c in (phase.exit.all if phase.exit else ())
        if CRITERION_MEASURES.get(c.measure) and CRITERION_MEASURES[c.measure].recorded_by.startswith("outcome:")
    ]
    if not named:
        return
    weeks = phase.review_after_weeks or (phase.expected_weeks.min if phase.expected_weeks else None)
    review = weeks_after(course.entered, weeks) if weeks else None
    rest_met = check_criteria(phase.exit, course.facts, course.gate, skip=set(named)).met
    for criterion in named:
        measure = by_criterion.get(criterion, CRITERION_MEASURES[criterion].recorded_by.split(":", 1)[1])
        scored = [m.date for m in record.measures if m.measure == measure and m.date >= course.entered]
        if scored:
            continue
        if review is not None and today >= review:
            yield Attention(
                "measure-due",
                f"{measure} is due: the phase's review date was {review.isoformat()} and it "
                f"has not been scored since the phase began ({course.entered.isoformat()})",
                review.isoformat(),
            )
        elif rest_met:
            yield Attention(
                "measure-due",
                f"{measure} is due: every other criterion for leaving the phase holds, and it "
                f"has not been scored since the phase began ({course.entered.isoformat()})",
                None,
            )


def _no_recent_session(
    course: Course, protocol: Protocol, sessions: list[PastSession], record: _Patient, today: datetime.date
) -> Iterator[Attention]:
    phase = protocol.phase(course.phase)
    per_week = phase.sessions_per_week
    if per_week is None or per_week.min <= 0:
        return
    allowed = math.ceil(7 / per_week.min)
    last = max((s.date for s in sessions), default=None)
    if last is None:
        dates = [e.date for e in record.events if e.protocol in (None, protocol.id)]
        last = course.entered or (max(dates) if dates else None)
        what = "no session yet since"
    else:
        what = "no session since"
    if last is None:
        return
    days = (today - last).days
    if days > allowed:
        yield Attention(
            "no-recent-session",
            f"{what} {last.isoformat()} ({days} days; the phase asks for at least "
            f"{per_week.min} a week, " + ("one every day)" if allowed == 1 else f"one every {allowed} days or sooner)"),
            last.isoformat(),
        )


def abandoned_over_limit(sessions: list[PastSession], since: datetime.date) -> Iterator[Attention]:
    """Sessions left unfinished (dated ``since`` or later) whose pain went over a limit: they count for what they say
    (:func:`rehabkit.engine.conclude.interrupted` kept a record of it)."""
    for session in sessions:
        if session.status != "incomplete" or session.date < since or not session.detail:
            continue
        reasons = session.detail.get("reasons") or ["pain over a limit"]
        yield Attention(
            "abandoned-over-limit",
            f"a session left unfinished on {session.date.isoformat()}: " + "; ".join(str(r) for r in reasons),
            session.date.isoformat(),
        )


def entered_late(sessions: list[PastSession], since: datetime.date, today: datetime.date) -> Iterator[Attention]:
    """Sessions entered (their recorded start) more than the clinical policy's ``course.late_entry_days`` after their
    own date, entered from ``since`` to ``today``: what a patient recalls that late is less reliable."""
    from .._common.clinical_data import policy

    late = int(policy()["course"]["late_entry_days"])
    first, after = since.isoformat(), (today + datetime.timedelta(days=1)).isoformat()
    for session in sessions:
        if not first <= session.started < after:  # entered outside the window (or start not known): ISO text compares
            continue
        entered = parse_day(session.started)
        days = (entered - session.date).days
        if days > late and since <= entered <= today:
            yield Attention(
                "check-record",
                f"the session of {session.date.isoformat()} was entered on {entered.isoformat()}, {days} days after "
                f"its date (more than {late}): check what it records with the patient",
                entered.isoformat(),
            )


def long_gaps(course: Course, protocol: Protocol, today: datetime.date, since: datetime.date) -> Iterator[Attention]:
    """The latest gap without sessions in the current phase longer than its review period (``review_after_weeks``),
    ended ``since`` or later or still going on: a long gap is its own signal (time without sessions is not counted as
    time without improvement)."""
    weeks = protocol.phase(course.phase).review_after_weeks
    if not weeks or course.entered is None:
        return
    days = sorted({course.entered, *(s.date for s in course.stint if s.status != "in-progress"), today})
    gaps = [(a, b) for a, b in itertools.pairwise(days) if (b - a).days > weeks * 7 and b >= since]
    if gaps:
        start, end = gaps[-1]
        ongoing = end == today
        yield Attention(
            "long-gap",
            f"no session from {start.isoformat()} " + ("until today" if ongoing else f"to {end.isoformat()}")
            + f" ({(end - start).days} days), longer than the phase's review period of {weeks} weeks",
            start.isoformat(),
        )  # fmt: skip
