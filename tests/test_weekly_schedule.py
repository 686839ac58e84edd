"""Issue 26, finding 13: one weekly schedule that run, the handout and the calendar share.

Through the real command over dated days: an exercise planned three days a week is offered on its days only (a
missed day made up later in the same week, never more often), a day with nothing planned records nothing and says
when the next exercise day is, and the handout's week and the calendar's days are the days run offers.
"""

from __future__ import annotations

import copy
import datetime
import re
from pathlib import Path

import yaml
from test_courses import START, Course, day

MINIMAL = Path(__file__).parent / "corpus" / "good" / "minimal.yaml"


def _protocol(tmp_path: Path, *, sessions_per_week=None, strength_days=3) -> str:
    """The corpus protocol with a stretch done every exercise day and a strength exercise on set days."""
    data = yaml.safe_load(MINIMAL.read_text())
    data["reviewed"] = str(data["reviewed"])
    strength = copy.deepcopy(data["exercises"][0])
    strength.update(id="wall-push", name="Wall push", component="core-and-spinal-strengthening")
    data["exercises"].append(strength)
    phase = data["phases"][0]
    phase["exercises"].append({"exercise": "wall-push", "dose": {"reps": 8, "days_per_week": strength_days}})
    if sessions_per_week is not None:
        phase["sessions_per_week"] = sessions_per_week
    path = tmp_path / "weekly.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def _done(out: dict) -> set[str]:
    return {e["id"] for e in out["plan"]["exercises"]}


def _sessions(course: Course) -> int:
    return len(course.history()["sessions"])


def test_an_exercise_planned_three_days_a_week_is_offered_on_three_days_only(cli, tmp_path) -> None:
    course = Course(cli, tmp_path, _protocol(tmp_path))
    offered = []
    for n in range(14):
        result, out = course.run(n)
        assert result.exit_code == 0, result.output
        offered.append("wall-push" in _done(out))
        assert "chin-tuck" in _done(out)  # the exercise without set days: every day
    assert offered == [True, False, True, False, True, False, False] * 2  # days 0, 2 and 4 of each week
    assert "wall-push" in _done(course.run(14)[1])
    _result, out = course.run(15)  # a day off its plan: left out, with its next day
    left = next(x for x in out["plan"]["left_out"] if x["id"] == "wall-push")
    assert (
        "planned 3 days a week" in left["why"] and (START + datetime.timedelta(days=16)).strftime("%A") in left["why"]
    )


def test_a_missed_day_is_made_up_later_the_same_week_never_more_often(cli, tmp_path) -> None:
    course = Course(cli, tmp_path, _protocol(tmp_path))
    offered = []
    for n in (0, 1, 3, 4, 5, 6):  # day 2, a planned day, is missed: day 3 makes it up
        result, out = course.run(n)
        assert result.exit_code == 0, result.output
        offered.append("wall-push" in _done(out))
    assert offered == [True, False, True, True, False, False]  # three in the week, as planned: never a fourth


def test_a_day_with_nothing_planned_records_nothing_and_says_when_the_next_is(cli, tmp_path) -> None:
    course = Course(cli, tmp_path, _protocol(tmp_path, sessions_per_week=3))
    for n in (0, 1, 2):  # three in a row: the week's three sessions are done
        assert course.run(n)[0].exit_code == 0
    before = _sessions(course)
    result, out = course.run(3)
    assert result.exit_code == 0 and out["status"] == "rest-day" and out["next_session"] == day(7)
    assert all("this week already has the 3 sessions" in x["why"] for x in out["left_out"])
    assert _sessions(course) == before
    text = course.cli(
        "run", course.protocol, "--patient", "P1", "--db", course.db, "--answers", course.answers(), "--date", day(3)
    )
    assert (
        text.exit_code == 0
        and "Nothing more is planned for today" in text.stdout
        and "Nothing was recorded" in text.stdout
    )
    planned = course.cli("run", course.protocol, "--patient", "P1", "--db", course.db, "--plan", "--date", day(3))
    assert planned.exit_code == 0 and "the next exercise day is" in planned.stdout
    assert _sessions(course) == before


def _handout_week(course: Course, n: int, tmp_path: Path) -> dict[str, set[str]]:
    out = tmp_path / f"handout-{n}.md"
    result = course.cli(
        "handout", course.protocol, "--patient", "P1", "--db", course.db, "--date", day(n), "-o", str(out)
    )
    assert result.exit_code == 0, result.output
    rows = re.findall(r"^\| (\w+day) \| (.*) \|$", out.read_text(), flags=re.M)
    return {name: {e.replace("\\", "") for e in text.split(", ")} - {"Rest day"} for name, text in rows}


def test_the_handout_week_and_the_calendar_days_are_the_days_run_offers(cli, tmp_path) -> None:
    course = Course(cli, tmp_path, _protocol(tmp_path, sessions_per_week={"min": 5, "max": 7}))
    assert course.run(0)[0].exit_code == 0  # the phase is entered on day 0: its weeks start there
    week = _handout_week(course, 1, tmp_path)
    assert len(week) == 7
    for n in range(1, 8):
        _result, out = course.run(n)
        weekday = (START + datetime.timedelta(days=n)).strftime("%A")
        assert ("Wall push" in week[weekday]) == ("wall-push" in _done(out)), weekday
    ics = tmp_path / "plan.ics"
    result = course.cli(
        "calendar", "P1", "--protocol", course.protocol, "--db", course.db, "--date", day(8), "-o", str(ics)
    )
    assert result.exit_code == 0, result.output
    byday = re.search(r"BYDAY=([A-Z,]+)", ics.read_text()).group(1).split(",")
    planned = {name[:2].upper() for name, exercises in week.items() if exercises}
    assert set(byday) == planned and len(byday) == 5  # the phase's five planned days


def test_a_rerun_after_every_exercise_stopped_for_pain_today_is_nothing_more_today_not_a_pause(cli, tmp_path) -> None:
    """Every exercise stopped earlier the same day for pain above its own limit comes back tomorrow: a re-run that
    day says so and records nothing, rather than pausing the course with "nothing left in the plan"."""
    data = yaml.safe_load(MINIMAL.read_text())
    data["reviewed"] = str(data["reviewed"])
    data["phases"][0]["exercises"][0]["dose"]["pain_limit"] = 3
    data["phases"][0]["exercises"][0]["dose"]["times_per_day"] = 2
    path = tmp_path / "one.yaml"
    path.write_text(yaml.safe_dump(data))
    course = Course(cli, tmp_path, str(path))
    result, out = course.run(0, exercises={"all": 4})  # above the chin tuck's limit of 3
    assert result.exit_code == 0, result.output
    before = _sessions(course)
    again, out = course.run(0)  # planned twice a day, but stopped for the rest of this one
    assert again.exit_code == 0 and out["status"] == "rest-day" and out["next_session"] == day(1)
    assert "stopped for the rest of the day" in out["left_out"][0]["why"]
    assert _sessions(course) == before
    assert course.run(1)[0].exit_code == 0  # back the next day


def test_an_exercise_without_set_days_is_next_due_tomorrow_within_the_phases_most_sessions(cli, tmp_path) -> None:
    """Five to seven sessions a week plan five days (0, 1, 2, 4, 5), but the stretch without set days may be done any
    day up to seven: done today, it is next due tomorrow, even on day 3, which is not a planned day."""
    course = Course(cli, tmp_path, _protocol(tmp_path, sessions_per_week={"min": 5, "max": 7}))
    for n in range(3):
        assert course.run(n)[0].exit_code == 0
    _result, out = course.run(2)  # again on day 2: today's exercises are done
    assert out["status"] == "rest-day" and out["next_session"] == day(3)
    _result, out = course.run(3)
    assert "chin-tuck" in _done(out) and "wall-push" not in _done(out)
