"""A course read from its latest sessions is the course read from its whole history.

`load_course` reads only the sessions since the current phase was entered and the latest of each kind
`build_course` looks back for (issue 14: a 2,000-session history must cost what a 50-session one does).
These tests drive courses through the real command over many dated days, with phase changes, flares,
next-morning reports, pauses and reviews, and compare, on every day, the course worked out from the
bounded read with the one worked out from every recorded session.
"""

from __future__ import annotations

import datetime
import json

import attrs
import pytest
from test_courses import Course, day

from rehabkit._sessions.course import load_course, parse_date
from rehabkit._sessions.store import Store
from rehabkit.engine import CourseEvent, MeasureRecord, NextDayRecord, PastSession, build_course
from rehabkit.engine.events import event_detail


def _from_everything(store: Store, patient: str, protocol, today: datetime.date):
    sessions = [
        PastSession(
            id=s.id,
            date=s.date,
            phase=s.phase,
            status=s.status,
            pain_before=s.pain_before,
            pain_after=s.pain_after,
            decision=s.decision,
            detail=s.decision_detail or {},
        )
        for s in store.sessions(patient, protocol.id)
    ]
    events = [
        CourseEvent(
            id=e.id,
            kind=e.kind,
            date=parse_date(e.date),
            protocol=e.protocol,
            phase=e.phase,
            by=e.by,
            after_session=e.after_session,
            detail=event_detail(e.kind, e.detail),
        )
        for e in store.events(patient)
    ]
    mornings = [NextDayRecord(s, parse_date(d), p, h) for s, d, p, h in store.next_days(patient)]
    scored = [MeasureRecord(m, v, parse_date(d)) for m, v, d in store.measures(patient)]
    return build_course(protocol, sessions, events, mornings, scored, today)


def _same(bounded, everything) -> None:
    for field in attrs.fields(type(everything)):
        if field.name == "sessions":  # the bounded read holds fewer past sessions: everything else must agree
            continue
        assert getattr(bounded, field.name) == getattr(everything, field.name), field.name
    assert bounded.stint == everything.stint
    assert [dict(s.detail) for s in bounded.stint] == [dict(s.detail) for s in everything.stint]


def _protocol(name: str):
    from rehabkit._plugins.manager import PluginManager

    manager = PluginManager.from_environment(())
    manager.load()
    return manager.registry().find_protocol(name).item


@pytest.mark.parametrize("protocol", ["neck-pain", "low-back-pain-chronic", "disc-conservative"])
def test_the_bounded_read_gives_the_whole_course_every_day(cli, tmp_path, protocol) -> None:
    course = Course(cli, tmp_path, protocol)
    model = _protocol(protocol)
    course.approve(model.phases[0].id, 0)
    checked = 0
    for n in range(1, 85):
        pain = 7 if n % 17 == 0 else 2  # a flare now and then: a regression, a pause, a review
        result, _ = course.run(n, pain_before=pain, pain_after=pain)  # a rest day in the weekly schedule: no session
        if result.exit_code == 4:
            assert course.do("review", course.patient, "--clinician", "PT-1", "--outcome", "resume", n=n).exit_code == 0
        elif result.exit_code == 7:  # the next phase's gate: a clinician approves it
            gate = [p.id for p in model.phases]
            for phase in gate[1:]:
                course.do("approve", course.patient, "--protocol", protocol, "--phase", phase, "--by", "PT-1", n=n)
        if n % 3 == 0:
            course.do("next-day", course.patient, "--pain", "5" if n % 9 == 0 else "2", n=n + 1)
        with Store(course.db) as store:
            today = datetime.date.fromisoformat(day(n + 1))
            bounded = load_course(store, course.patient, model, {}, today)
            _same(bounded, _from_everything(store, course.patient, model, today))
            assert len(bounded.sessions) <= len(bounded.stint) + 3
            checked += 1
    history = course.history()
    assert len(history["sessions"]) > 55 and any(e["kind"] == "enter-phase" for e in history["events"])
    assert checked == 84

    # history lists the latest 50 sessions in text and says how many more there are; --all and JSON list every one
    total = len(history["sessions"])
    text = course.cli("history", course.patient, "--db", course.db).stdout
    rows = [line for line in text.splitlines() if line[:4].isdigit() and line.split()[1] == protocol]
    assert len(rows) == 50 and f"The latest 50 of {total} sessions" in text and f"{total - 50} earlier sessions" in text
    everything = course.cli("history", course.patient, "--db", course.db, "--all").stdout
    assert (
        len([line for line in everything.splitlines() if line[:4].isdigit() and line.split()[1] == protocol]) == total
    )
    assert "earlier session" not in everything
    five = course.cli("history", course.patient, "--db", course.db, "--last", "5").stdout
    assert [line[:10] for line in five.splitlines() if line[:4].isdigit() and line.split()[1] == protocol] == [
        s["date"] for s in history["sessions"][-5:]
    ]
    assert (
        len(
            json.loads(
                course.cli("history", course.patient, "--db", course.db, "--format", "json", "--last", "5").stdout
            )["sessions"]
        )
        == 5
    )
    assert course.cli("history", course.patient, "--db", course.db, "--all", "--last", "5").exit_code == 2
