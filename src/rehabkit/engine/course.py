"""A patient's course through a protocol: a state worked out from dated records, never a bare list of sessions.

States: ``not-started`` (no phase entered yet), ``active`` (in a phase),
``paused`` (a screening stop, a stop or refer decision, or no improvement: nothing
runs until a clinician records a review), ``referred`` (a clinician referred the
patient on) and ``discharged``. Pauses and reviews concern the patient, whatever
the protocol: a red flag in one programme stops every programme. The state is
rebuilt from the records each time, so what the store holds is the only truth.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence

import attrs

from ..model import Phase, Precaution, Protocol
from .criteria import Facts
from .decision_record import read_decision_record
from .dose import DoseState
from .events import Approval, Review
from .progress import weeks_without_improvement
from .records import CourseEvent, MeasureRecord, NextDayRecord, PastSession
from .symptoms import Observation, Reason, evaluate, worst

__all__ = [
    "LATEST_NEEDED",
    "STOPPED_STATES",
    "Course",
    "active_precautions",
    "build_course",
    "counts",
    "current_entry",
    "morning_reasons",
    "pain_target",
    "stop_on",
    "weeks_stuck_with",
]

#: Course states in which no session runs.
STOPPED_STATES = frozenset({"paused", "referred", "discharged"})
_DONE = ("complete", "stopped")


def counts(session: PastSession) -> bool:
    """True when a session counts for what it says: finished (complete or stopped), or left unfinished with a record
    of pain over a limit (an incomplete session with a decision record)."""
    return session.status in _DONE or (session.status == "incomplete" and bool(session.detail))


@attrs.frozen(slots=True)
class Course:
    """Where a patient stands in a protocol on a given day, and why."""

    protocol: Protocol
    status: str
    phase: str
    #: The date the current phase was entered (``None`` before the course starts).
    entered: datetime.date | None
    facts: Facts
    regressions: Mapping[str, str] = attrs.field(factory=dict)
    removed: tuple[str, ...] = ()
    doses: Mapping[str, DoseState] = attrs.field(factory=dict)
    #: Exercises that had left the plan for pain and that a clinician's review since has brought back (one dose step
    #: lower than when they were stopped).
    returned: tuple[str, ...] = ()
    #: Exercises whose pain went above their own limit in a session on the day the course is worked out for (finished
    #: or not): stopped for the rest of that day.
    stopped_today: tuple[str, ...] = ()
    #: Next-morning rules that fired on the last session's report, most serious first; they act on the next plan.
    morning: tuple[Reason, ...] = ()
    weeks_without_improvement: float | None = None
    #: What the no-improvement clock reads (when the protocol has a no-improvement rule): when it started and the
    #: pain before each session since, oldest first (:func:`weeks_stuck_with`).
    improvement_clock: tuple[datetime.date, tuple[tuple[datetime.date, float], ...]] | None = None
    #: The event that stopped the course (a pause, or a review that referred or discharged), when stopped.
    stop: CourseEvent | None = None
    #: The date of the course's latest session (sessions are entered in date order).
    latest_date: datetime.date | None = None
    sessions: tuple[PastSession, ...] = ()
    #: The id of the last session before the current phase was entered.
    entered_after: int = 0
    #: Movements the last session's screening left out (a plan shown before screening leaves them out too).
    omitted_movements: frozenset[str] = frozenset()
    #: When the course stood stopped on the day it is worked out for but a review dated after that day lifted the
    #: stop: that review (a session dated inside a paused period is refused like any stopped course).
    lifted_later: CourseEvent | None = None

    @property
    def stint(self) -> tuple[PastSession, ...]:
        """The sessions since the current phase was entered."""
        if self.entered is None:
            return ()
        return tuple(s for s in self.sessions if s.id > self.entered_after and s.phase == self.phase)

    @property
    def stopped(self) -> bool:
        """True when no session may run until a clinician records a review."""
        return self.status in STOPPED_STATES

    @property
    def started(self) -> bool:
        """True once the first phase has been entered."""
        return self.entered is not None

    @property
    def gate(self) -> str:
        """The phase whose gate the patient stands at: the current one before it is entered, else the next."""
        if not self.started:
            return self.phase
        order = [p.id for p in self.protocol.phases]
        index = order.index(self.phase)
        return order[index + 1] if index + 1 < len(order) else self.phase

    @property
    def morning_action(self) -> str:
        """The most serious action of the next-morning rules that fired (``continue`` when none)."""
        return worst(self.morning)


def _pain_limits(phase: Phase) -> list[float]:
    """The phase's exit ``pain-at-rest`` limits, in the order written."""
    return [
        c.at_most
        for c in (phase.exit.all if phase.exit else ())
        if c.measure == "pain-at-rest" and c.at_most is not None
    ]


def pain_target(protocol: Protocol, phase_id: str) -> float | None:
    """The phase's pain goal: its exit ``pain-at-rest`` limit, else the nearest earlier phase's (kept once reached)."""
    earlier = None
    for phase in protocol.phases:
        limits = _pain_limits(phase)
        if phase.id == phase_id:
            return limits[0] if limits else earlier
        if limits:
            earlier = limits[-1]
    return earlier


def morning_reasons(protocol: Protocol, session: PastSession, report: NextDayRecord | None) -> tuple[Reason, ...]:
    """The symptom rules a next-morning report fires for its session, most serious first."""
    if report is None:
        return ()
    observations = [Observation("pain-next-morning", report.pain)]
    if session.pain_before is not None:
        observations.append(Observation("next-morning-over-baseline", report.pain - session.pain_before))
    if report.settled_after_hours is not None:
        observations.append(Observation("not-settled-after-hours", report.settled_after_hours))
    return tuple(r for r in evaluate(protocol.symptom_rules, observations) if r.action != "continue")


def _within(protocol: Protocol, session: PastSession, report: NextDayRecord | None) -> bool:
    if session.status != "complete":
        return False
    detail = session.detail or {}
    if "within_limits" in detail:
        ok = bool(detail["within_limits"])
    else:
        ok = session.decision in ("continue", "progress")
    return ok and not morning_reasons(protocol, session, report)


def _stop_event(events: Sequence[CourseEvent], protocol_id: str) -> CourseEvent | None:
    """The pause or review that leaves the course stopped, if any (``events`` in the order recorded).

    Pauses and reviews concern the patient whatever the protocol; a discharge
    ends only its own protocol's course (for the others it is a review that
    lifts a pause).
    """
    stop = None
    for event in events:
        if event.kind == "pause":
            stop = event
        elif event.kind == "review":
            outcome = event.detail.outcome if isinstance(event.detail, Review) else None
            if outcome == "refer" or (outcome == "discharge" and event.protocol in (None, protocol_id)):
                stop = event
            else:
                stop = None
    return stop


def stop_on(events: Sequence[CourseEvent], protocol_id: str, day: datetime.date) -> CourseEvent | None:
    """The pause or review that left the course stopped on ``day``: the course as it stood that day, from the events
    dated on or before it (in the order recorded). A review dated after ``day`` does not lift a pause for ``day``."""
    return _stop_event([e for e in events if e.date <= day], protocol_id)


def _lifted_later(events: Sequence[CourseEvent], stop: CourseEvent) -> CourseEvent | None:
    """The first review recorded after ``stop`` (and dated after it) that lifted it."""
    later = (e for e in events if e.id > stop.id and e.kind == "review" and e.date > stop.date)
    return next((e for e in later if isinstance(e.detail, Review) and e.detail.outcome not in ("refer",)), None)


def _stopped_days(
    events: Sequence[CourseEvent], protocol_id: str, days: Iterable[datetime.date]
) -> frozenset[datetime.date]:
    """The days (of ``days``) on which the course stood stopped (:func:`stop_on`)."""
    stopping = [e for e in events if e.kind in ("pause", "review")]
    if not stopping:
        return frozenset()
    return frozenset(day for day in set(days) if stop_on(stopping, protocol_id, day) is not None)


def current_entry(protocol: Protocol, events: Iterable[CourseEvent]) -> CourseEvent | None:
    """The event by which the patient entered the phase of ``protocol`` they are in (``None``: not started)."""
    order = {p.id for p in protocol.phases}
    entry = None
    for event in events:
        if event.kind == "enter-phase" and event.protocol in (None, protocol.id) and event.phase in order:
            entry = event
    return entry


#: Which sessions :func:`build_course` reads: every session after the current phase was entered, and before that
#: only the latest of each of these kinds (a store can give just those, however long the history): the latest
#: complete or stopped session with a pain score (pain at rest), the latest with a decision record (movements
#: screening left out), and the latest by date. (The latest complete session matters only within the phase.)
LATEST_NEEDED = ("done-with-pain", "done-with-record", "latest-date")


def build_course(
    protocol: Protocol,
    sessions: Iterable[PastSession],
    events: Iterable[CourseEvent],
    next_days: Iterable[NextDayRecord],
    measures: Iterable[MeasureRecord],
    today: datetime.date,
    *,
    surgery_date: datetime.date | None = None,
    measure_criteria: Mapping[str, str] | None = None,
) -> Course:
    """The patient's course in ``protocol`` on ``today``.

    ``sessions`` are the patient's sessions of this protocol and ``events``
    every course event of the patient (any protocol), both in the order
    recorded (of the sessions before the current phase was entered, only the
    latest of each kind in :data:`LATEST_NEEDED` are read); ``next_days`` the next-morning reports; ``measures`` the
    scored outcome measures, whose latest value up to ``today`` feeds the criterion
    named in ``measure_criteria`` (measure id -> criterion measure, e.g. odi -> odi-percent).
    """
    sessions = tuple(sessions)
    patient_events = tuple(events)  # pauses and reviews concern the patient in every protocol
    reports = {report.session: report for report in next_days}  # the latest report for a session wins
    order = [p.id for p in protocol.phases]
    entry = current_entry(protocol, patient_events)
    phase = entry.phase if entry and entry.phase else order[0]
    stint = tuple(s for s in sessions if entry is not None and s.id > entry.after_session and s.phase == phase)
    # Entered on the event's date, or on the stint's first session when that is dated earlier (sessions entered
    # from paper after a review recorded today): time in the phase is never negative.
    entered = min([entry.date, *(s.date for s in stint[:1])]) if entry else None
    reviews = [e for e in patient_events if e.kind == "review"]
    last_review = reviews[-1] if reviews else None
    stopped_days = _stopped_days(patient_events, protocol.id, (s.date for s in stint))
    values = _facts_values(protocol, sessions, stint, reports, today, entered, stopped_days)
    values.update(_dated_values(measures, today, surgery_date, measure_criteria or {}))
    carried = _carried(stint, sessions, last_review)
    # Stopped now, or on ``today`` as the course stood then (a pause before it, lifted by a review dated after it).
    stop = _stop_event(patient_events, protocol.id)
    then = stop_on(patient_events, protocol.id, today) if stop is None else None
    lifted = _lifted_later(patient_events, then) if then is not None else None
    dates = [s.date for s in sessions]  # sessions are entered in date order; events may be dated as they were recorded
    clock = _clock(protocol, stint, entered, last_review)
    return Course(
        protocol=protocol, status=_status(stop or then, entered), phase=phase, entered=entered,
        facts=Facts(values=values, completed_phases=frozenset(order[: order.index(phase)]),
                    approvals=_approvals(patient_events, protocol.id)),
        regressions=carried.regressions, removed=carried.removed, doses=carried.doses, returned=carried.returned,
        stopped_today=_stopped_today(stint, today),
        morning=_morning(protocol, sessions, stint, reports, last_review),
        improvement_clock=clock, weeks_without_improvement=_weeks_stuck(protocol, phase, clock, today),
        stop=stop or then, latest_date=max(dates) if dates else None, sessions=sessions,
        entered_after=entry.after_session if entry else 0, omitted_movements=carried.omitted, lifted_later=lifted,
    )  # fmt: skip


def _streak(
    protocol: Protocol, done: Sequence[PastSession], reports: Mapping[int, NextDayRecord],
    stopped_days: frozenset[datetime.date] = frozenset(),
) -> int:  # fmt: skip
    """Days in a row within the limits: a day counts once, and only if every session that day stayed within them
    (a session dated on a day the course stood stopped never does)."""
    by_day: dict[datetime.date, bool] = {}
    for session in done:
        ok = session.date not in stopped_days and _within(protocol, session, reports.get(session.id))
        by_day[session.date] = by_day.get(session.date, True) and ok
    streak = 0
    for day in sorted(by_day, reverse=True):
        if not by_day[day]:
            break
        streak += 1
    return streak


def _facts_values(
    protocol: Protocol, sessions: Sequence[PastSession], stint: Sequence[PastSession],
    reports: Mapping[int, NextDayRecord], today: datetime.date, entered: datetime.date | None,
    stopped_days: frozenset[datetime.date] = frozenset(),
) -> dict[str, float | bool]:  # fmt: skip
    """The facts the sessions give: days within the limits, sessions completed, weeks in phase, pain at rest."""
    done = [s for s in stint if s.status in _DONE]
    values: dict[str, float | bool] = {
        "consecutive-sessions-within-limits": _streak(protocol, [s for s in stint if counts(s)], reports, stopped_days),
        "sessions-completed": len({s.date for s in done if s.status == "complete"}),
        "no-red-flags": True,  # the session runner screens before anything else
        "weeks-in-phase": round((today - entered).days / 7, 2) if entered else 0.0,
    }
    with_pain = [s for s in sessions if s.status in _DONE and s.pain_before is not None]
    if with_pain:
        values["pain-at-rest"] = float(with_pain[-1].pain_before)  # type: ignore[arg-type]
    return values


def _dated_values(
    measures: Iterable[MeasureRecord], today: datetime.date, surgery_date: datetime.date | None,
    measure_criteria: Mapping[str, str],
) -> dict[str, float | bool]:  # fmt: skip
    """Time since surgery, and the latest score of each outcome measure as the criterion it feeds."""
    values: dict[str, float | bool] = {}
    if surgery_date is not None:
        days = (today - surgery_date).days
        values["days-since-surgery"] = days
        values["weeks-since-surgery"] = round(days / 7, 1)
    latest: dict[str, tuple[datetime.date, float]] = {}
    for record in measures:  # the latest score by date; a later-recorded one wins a tie
        if record.measure not in latest or record.date >= latest[record.measure][0]:
            latest[record.measure] = (record.date, record.value)
    for measure_id, (_, value) in latest.items():
        criterion = measure_criteria.get(measure_id)
        if criterion and criterion != "pain-at-rest":
            values[criterion] = value
    return values


def _approvals(events: Iterable[CourseEvent], protocol_id: str) -> dict[str, dict[str, bool]]:
    """Approvals per gate, in the order recorded: a withdrawal recorded after an approval closes the gate again."""
    approvals: dict[str, dict[str, bool]] = {}
    for event in events:
        if event.protocol in (None, protocol_id) and event.phase and isinstance(event.detail, Approval):
            approvals.setdefault(event.phase, {})[event.detail.kind] = event.detail.value
    return approvals


@attrs.frozen(slots=True)
class _Carried:
    """The state the last session of the stint left behind."""

    regressions: Mapping[str, str] = attrs.field(factory=dict)
    removed: tuple[str, ...] = ()
    doses: Mapping[str, DoseState] = attrs.field(factory=dict)
    omitted: frozenset[str] = frozenset()
    returned: tuple[str, ...] = ()


def _carried(stint: Sequence[PastSession], sessions: Sequence[PastSession], review: CourseEvent | None) -> _Carried:
    """Regressions, removed exercises and dose steps from the stint's last decided session; movements the latest
    session's screening left out. A review since that session brings removed exercises back."""
    latest = next((s for s in reversed(sessions) if s.status in _DONE and s.detail), None)
    omitted = frozenset(read_decision_record(latest.detail).omitted_movements) if latest is not None else frozenset()
    last = next((s for s in reversed(stint) if counts(s) and s.detail and "doses" in s.detail), None)
    if last is None:
        return _Carried(omitted=omitted)
    record = read_decision_record(last.detail)
    removed, returned = record.removed, ()
    if review is not None and review.after_session >= last.id:
        removed, returned = (), removed  # a clinician has reviewed the plan since those exercises left it
    return _Carried(record.regressions, removed, record.doses, omitted, returned)


def _stopped_today(stint: Sequence[PastSession], today: datetime.date) -> tuple[str, ...]:
    """The exercises stopped for the rest of ``today`` by a pain over their limit in a session that day."""
    stopped: list[str] = []
    for session in stint:
        if session.date == today and counts(session) and session.detail and "stopped_today" in session.detail:
            stopped += read_decision_record(session.detail).stopped_today
    return tuple(dict.fromkeys(stopped))


def _morning(
    protocol: Protocol, sessions: Sequence[PastSession], stint: Sequence[PastSession],
    reports: Mapping[int, NextDayRecord], review: CourseEvent | None,
) -> tuple[Reason, ...]:  # fmt: skip
    """The next-morning rules the latest complete session's report fired, unless a later review took them in."""
    latest = next((s for s in reversed(sessions) if s.status == "complete"), None)
    if latest is None or latest not in stint:
        return ()
    report = reports.get(latest.id)
    if report is None or (review is not None and review.date >= report.date):
        return ()
    return morning_reasons(protocol, latest, report)


def _clock(
    protocol: Protocol, stint: Sequence[PastSession], entered: datetime.date | None, review: CourseEvent | None
) -> tuple[datetime.date, tuple[tuple[datetime.date, float], ...]] | None:
    """When the no-improvement clock started and the pain before each session since (None: the protocol has no
    no-improvement rule, or the phase has not started)."""
    if entered is None or not any(r.measure == "no-improvement-weeks" for r in protocol.symptom_rules):
        return None
    done = [s for s in stint if s.status in _DONE]
    # The clock starts when the phase was entered, or again after the last review (by the order recorded).
    since_review = [s for s in done if review is None or s.id > review.after_session]
    since = entered
    if review is not None and len(since_review) != len(done):
        since = min([review.date, *(s.date for s in since_review[:1])])
    return since, tuple((s.date, float(s.pain_before)) for s in since_review if s.pain_before is not None)


def weeks_stuck_with(course: Course, today: datetime.date, pain_before: float | None = None) -> float | None:
    """Weeks without meaningful improvement of pain at rest on ``today``, counting the time sessions were done (a gap
    counts at most the clinical policy's ``course.gap_counted_days``), with today's ``pain_before`` when a session
    is being decided: a patient at or below the phase's pain goal today is never "not improving". None when the
    protocol has no no-improvement rule."""
    return _weeks_stuck(course.protocol, course.phase, course.improvement_clock, today, pain_before)


def _weeks_stuck(
    protocol: Protocol, phase: str, clock: tuple[datetime.date, tuple[tuple[datetime.date, float], ...]] | None,
    today: datetime.date, pain_before: float | None = None,
) -> float | None:  # fmt: skip
    from .._common.clinical_data import policy

    if clock is None:
        return None
    since, series = clock
    rule = next(r for r in protocol.symptom_rules if r.measure == "no-improvement-weeks")
    if pain_before is not None:
        series = (*series, (today, pain_before))
    gap = int(policy()["course"]["gap_counted_days"])
    return weeks_without_improvement(series, today, rule.min_change or 0, pain_target(protocol, phase), since, gap)


def _status(stop: CourseEvent | None, entered: datetime.date | None) -> str:
    """The course's state from the event that stopped it, if any."""
    if stop is None:
        return "active" if entered is not None else "not-started"
    if stop.kind != "review":
        return "paused"
    return "referred" if isinstance(stop.detail, Review) and stop.detail.outcome == "refer" else "discharged"


def active_precautions(course: Course) -> tuple[Precaution, ...]:
    """The protocol's precautions that apply to the patient today.

    A precaution lasts until its phase is reached, until its number of weeks
    after surgery has passed (while the surgery date is unknown it applies), and,
    with ``until_clearance``, until the surgeon has cleared a phase after the
    first; one with no limit applies throughout.
    """
    protocol = course.protocol
    order = [p.id for p in protocol.phases]
    weeks = course.facts.values.get("weeks-since-surgery")
    cleared_later = any(
        gate != order[0] and approvals.get("surgeon-clearance") for gate, approvals in course.facts.approvals.items()
    )
    active = []
    for precaution in protocol.precautions:
        limits = []
        if precaution.until_phase is not None:
            limits.append(
                order.index(course.phase) < order.index(precaution.until_phase)
                if precaution.until_phase in order
                else True
            )
        if precaution.until_weeks_after_surgery is not None:
            limits.append(weeks is None or float(weeks) < precaution.until_weeks_after_surgery)
        if precaution.until_clearance:
            limits.append(not cleared_later)
        if not limits or any(limits):
            active.append(precaution)
    return tuple(active)
