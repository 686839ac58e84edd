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
from .dose import DoseState
from .progress import weeks_without_improvement
from .records import CourseEvent, MeasureRecord, NextDayRecord, PastSession
from .symptoms import Observation, Reason, evaluate, worst

__all__ = [
    "LATEST_NEEDED",
    "STOPPED_STATES",
    "Course",
    "active_precautions",
    "build_course",
    "current_entry",
    "morning_reasons",
    "pain_target",
]

#: Course states in which no session runs.
STOPPED_STATES = frozenset({"paused", "referred", "discharged"})
_DONE = ("complete", "stopped")


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
    #: Next-morning rules that fired on the last session's report, most serious first; they act on the next plan.
    morning: tuple[Reason, ...] = ()
    weeks_without_improvement: float | None = None
    #: The event that stopped the course (a pause, or a review that referred or discharged), when stopped.
    stop: CourseEvent | None = None
    #: The date of the course's latest session (sessions are entered in date order).
    latest_date: datetime.date | None = None
    sessions: tuple[PastSession, ...] = ()
    #: The id of the last session before the current phase was entered.
    entered_after: int = 0
    #: Movements the last session's screening left out (a plan shown before screening leaves them out too).
    omitted_movements: frozenset[str] = frozenset()

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
            outcome = event.detail.get("outcome")
            if outcome == "refer" or (outcome == "discharge" and event.protocol in (None, protocol_id)):
                stop = event
            else:
                stop = None
    return stop


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
    latest of each kind in :data:`LATEST_NEEDED` are read); ``next_days`` the next-morning reports; ``measures`` the scored
    outcome measures, whose latest value up to ``today`` feeds the criterion
    named in ``measure_criteria`` (measure id -> criterion measure, e.g. odi -> odi-percent).
    """
    sessions = tuple(sessions)
    patient_events = tuple(events)  # pauses and reviews concern the patient in every protocol
    events = tuple(e for e in patient_events if e.protocol in (None, protocol.id))
    reports: dict[int, NextDayRecord] = {}
    for report in next_days:
        reports[report.session] = report  # the latest report for a session wins
    order = [p.id for p in protocol.phases]

    entry = current_entry(protocol, patient_events)
    phase = entry.phase if entry and entry.phase else order[0]
    stint = [s for s in sessions if entry is not None and s.id > entry.after_session and s.phase == phase]
    # Entered on the event's date, or on the stint's first session when that is dated earlier (sessions entered
    # from paper after a review recorded today): time in the phase is never negative.
    entered = min([entry.date, *(s.date for s in stint[:1])]) if entry else None
    done = [s for s in stint if s.status in _DONE]

    # Days in a row within the limits: a day counts once, and only if every session that day stayed within them.
    by_day: dict[datetime.date, bool] = {}
    for session in done:
        by_day[session.date] = by_day.get(session.date, True) and _within(protocol, session, reports.get(session.id))
    streak = 0
    for day in sorted(by_day, reverse=True):
        if not by_day[day]:
            break
        streak += 1
    completed_days = {s.date for s in done if s.status == "complete"}

    values: dict[str, float | bool] = {
        "consecutive-sessions-within-limits": streak,
        "sessions-completed": len(completed_days),
        "no-red-flags": True,  # the session runner screens before anything else
        "weeks-in-phase": round((today - entered).days / 7, 2) if entered else 0.0,
    }
    with_pain = [s for s in sessions if s.status in _DONE and s.pain_before is not None]
    if with_pain:
        values["pain-at-rest"] = float(with_pain[-1].pain_before)  # type: ignore[arg-type]
    if surgery_date is not None:
        days = (today - surgery_date).days
        values["days-since-surgery"] = days
        values["weeks-since-surgery"] = round(days / 7, 1)
    latest: dict[str, tuple[datetime.date, float]] = {}
    for record in measures:  # the latest score by date; a later-recorded one wins a tie
        if record.measure not in latest or record.date >= latest[record.measure][0]:
            latest[record.measure] = (record.date, record.value)
    for measure_id, (_, value) in latest.items():
        criterion = (measure_criteria or {}).get(measure_id)
        if criterion and criterion != "pain-at-rest":
            values[criterion] = value

    approvals: dict[str, dict[str, bool]] = {}
    for event in events:  # in the order recorded: a withdrawal recorded after an approval closes the gate again
        if event.kind == "approval" and event.phase:
            approvals.setdefault(event.phase, {})[str(event.detail.get("kind"))] = bool(event.detail.get("value"))

    # The state the last session of this stint left behind.
    regressions: dict[str, str] = {}
    removed: tuple[str, ...] = ()
    doses: dict[str, DoseState] = {}
    last = next((s for s in reversed(stint) if s.status in _DONE and s.detail and "doses" in s.detail), None)
    if last is not None:
        regressions = dict(last.detail.get("regressions", {}))
        removed = tuple(last.detail.get("removed", ()))
        doses = {key: DoseState.from_dict(value) for key, value in last.detail.get("doses", {}).items()}
    latest_done = next((s for s in reversed(sessions) if s.status in _DONE and s.detail), None)
    omitted = frozenset(latest_done.detail.get("omitted_movements", ())) if latest_done is not None else frozenset()
    reviews = [e for e in patient_events if e.kind == "review"]
    last_review = reviews[-1] if reviews else None
    if last_review is not None and last is not None and last_review.after_session >= last.id:
        removed = ()  # a clinician has reviewed the plan since those exercises left it

    latest_complete = next((s for s in reversed(sessions) if s.status == "complete"), None)
    morning: tuple[Reason, ...] = ()
    if latest_complete is not None and latest_complete in stint:
        latest_report = reports.get(latest_complete.id)
        if latest_report is not None and not (last_review is not None and last_review.date >= latest_report.date):
            morning = morning_reasons(
                protocol, latest_complete, latest_report
            )  # a later review has already taken it into account

    stuck = None
    rule = next((r for r in protocol.symptom_rules if r.measure == "no-improvement-weeks"), None)
    if rule is not None and entered is not None:
        # The clock starts when the phase was entered, or again after the last review (by the order recorded).
        since_review = [s for s in done if last_review is None or s.id > last_review.after_session]
        since = (
            entered
            if len(since_review) == len(done)
            else min([last_review.date, *(s.date for s in since_review[:1])])
            if last_review
            else entered
        )
        series = [(s.date, float(s.pain_before)) for s in since_review if s.pain_before is not None]
        stuck = weeks_without_improvement(series, today, rule.min_change or 0, pain_target(protocol, phase), since)

    stop = _stop_event(patient_events, protocol.id)
    if stop is not None:
        status = (
            "referred"
            if stop.kind == "review" and stop.detail.get("outcome") == "refer"
            else ("discharged" if stop.kind == "review" else "paused")
        )
    else:
        status = "active" if entered is not None else "not-started"

    dates = [s.date for s in sessions]  # sessions are entered in date order; events may be dated as they were recorded
    return Course(
        protocol=protocol,
        status=status,
        phase=phase,
        entered=entered,
        facts=Facts(values=values, completed_phases=frozenset(order[: order.index(phase)]), approvals=approvals),
        regressions=regressions,
        removed=removed,
        doses=doses,
        morning=morning,
        weeks_without_improvement=stuck,
        stop=stop,
        latest_date=max(dates) if dates else None,
        sessions=sessions,
        entered_after=entry.after_session if entry else 0,
        omitted_movements=omitted,
    )


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
