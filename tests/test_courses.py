"""Whole courses over many days through the real command, with --date, as a clinic lives them."""

from __future__ import annotations

import copy
import datetime
import itertools
import json
from pathlib import Path

import yaml

from rehabkit.model import Range

START = datetime.date(2026, 9, 1)


def day(n: int) -> str:
    return (START + datetime.timedelta(days=n)).isoformat()


class Course:
    """One patient's course in one store file, driven through `rehabkit` in-process."""

    def __init__(self, cli, tmp_path: Path, protocol: str, patient: str = "P1") -> None:
        self.cli, self.tmp, self.protocol, self.patient = cli, tmp_path, protocol, patient
        self.db = str(tmp_path / "course.db")
        self.files = 0

    def answers(self, **overrides) -> str:
        data = {
            "screening": {"all": False},
            "pain_before": 2,
            "exercises": {"all": 1},
            "pain_after": 2,
            "new_symptom": False,
        }
        data.update(overrides)
        self.files += 1
        path = self.tmp / f"answers-{self.files}.yaml"
        path.write_text(yaml.safe_dump(data))
        return str(path)

    def run(self, n: int, *extra: str, **answers):
        result = self.cli(
            "run",
            self.protocol,
            "--patient",
            self.patient,
            "--db",
            self.db,
            "--answers",
            self.answers(**answers),
            "--date",
            day(n),
            "--format",
            "json",
            *extra,
        )
        out = json.loads(result.stdout) if result.stdout.strip().startswith("{") else None
        return result, out

    def plan(self, n: int):
        result = self.cli(
            "run",
            self.protocol,
            "--patient",
            self.patient,
            "--db",
            self.db,
            "--plan",
            "--date",
            day(n),
            "--format",
            "json",
        )
        return result, (json.loads(result.stdout) if result.stdout.strip().startswith("{") else None)

    def do(self, *args: str, n: int):
        return self.cli(*args, "--db", self.db, "--date", day(n))

    def approve(self, phase: str, n: int, *extra: str):
        result = self.do(
            "approve", self.patient, "--protocol", self.protocol, "--phase", phase, "--by", "PT-1", *extra, n=n
        )
        assert result.exit_code == 0, result.output
        return result

    def history(self):
        return json.loads(self.cli("history", self.patient, "--db", self.db, "--format", "json").stdout)


def _step(out: dict, exercise: str, plan: str = "next_plan") -> int:
    return next(e["step"] for e in out[plan]["exercises"] if e["id"] == exercise)


# --- gates -----------------------------------------------------------------------------


def test_post_surgical_course_opens_each_phase_only_on_time_and_its_own_clearance(cli, tmp_path) -> None:
    course = Course(cli, tmp_path, "post-surgical-lumbar")
    surgery = ("--surgery-date", day(-2))
    course.approve("acute", 0, "--kind", "surgeon-clearance", "--withdraw", *surgery)
    refused, _ = course.run(0)
    assert refused.exit_code == 7
    assert (
        "starts only when" in refused.stderr and "the surgeon's clearance: recorded as no, needs yes" in refused.stderr
    )
    assert (
        "rehabkit approve P1 --protocol post-surgical-lumbar --phase acute --kind surgeon-clearance" in refused.stderr
    )

    other = Course(cli, tmp_path, "post-surgical-lumbar", patient="P2")
    other.approve("acute", 0, "--kind", "surgeon-clearance")
    no_date, _ = other.run(0)
    assert (
        no_date.exit_code == 7
        and "weeks since surgery: not recorded yet" in no_date.stderr
        and "--surgery-date" in no_date.stderr
    )

    # Cleared for the first phase, and the physiotherapist's approval recorded before the same first session ...
    course.approve("acute", 0, "--kind", "surgeon-clearance")
    course.approve("acute", 0, "--kind", "clinician-approval")
    first, out = course.run(0)
    assert first.exit_code == 0, first.output
    assert out["phase"] == "acute"
    # ... opens the first gate only: weeks later the acute phase still waits for approval to start strengthening.
    for week in range(1, 7):
        result, out = course.run(7 * week, pain_before=2)
        assert result.exit_code == 0, result.output
    assert out["phase"] == "acute" and out["decision"]["action"] == "continue"
    still = [d["measure"] for d in out["decision"]["details"]]
    assert still == ["clinician-approval"]
    course.approve("recovery", 42, "--kind", "clinician-approval")
    result, out = course.run(43)
    assert out["decision"]["action"] == "hold"  # the recovery gate needs the surgeon's own clearance for it
    assert [d["measure"] for d in out["decision"]["details"]] == ["surgeon-clearance"]
    course.approve("recovery", 44, "--kind", "surgeon-clearance")
    result, out = course.run(45)
    assert (out["decision"]["action"], out["decision"]["next_phase"]) == ("progress", "recovery")
    result, out = course.run(46)
    assert out["phase"] == "recovery"


def test_the_first_phase_gate_applies_at_every_session_and_a_withdrawal_closes_it(cli, tmp_path) -> None:
    course = Course(cli, tmp_path, "neck-pain")
    refused, _ = course.run(0)
    assert refused.exit_code == 7 and "your clinician's approval: not recorded yet" in refused.stderr
    assert "starts only when a clinician has assessed you" in refused.stderr  # the protocol's words, in a sentence
    course.approve("acute", 0)
    assert course.run(0)[0].exit_code == 0
    course.approve("acute", 1, "--withdraw")
    assert course.run(1)[0].exit_code == 7


# --- stops carry over ----------------------------------------------------------------------


def test_a_paused_course_runs_nothing_until_a_clinician_records_a_review(cli, tmp_path) -> None:
    course = Course(cli, tmp_path, "neck-pain")
    course.approve("acute", 0)
    assert course.run(0)[0].exit_code == 0
    stopped, _ = course.run(1, screening={"all": False, "spreading-pain": True})
    assert stopped.exit_code == 4
    for n in (2, 3):
        refused, _ = course.run(n)
        assert refused.exit_code == 6
        assert f"This course has been paused since {day(1)} because of a red-flag answer at screening" in refused.stderr
        assert "rehabkit review P1 --clinician ID" in refused.stderr
    assert course.plan(3)[0].exit_code == 6
    early = course.do("review", "P1", "--clinician", "PT-2", "--outcome", "resume", n=0)
    assert early.exit_code == 2 and "is before the stop it reviews" in early.stderr
    reviewed = course.do("review", "P1", "--clinician", "PT-2", "--outcome", "resume", "--note", "no nerve signs", n=4)
    assert reviewed.exit_code == 0, reviewed.output
    result, out = course.run(4)
    assert result.exit_code == 0 and out["phase"] == "acute"
    history = course.history()
    kinds = [
        (e["kind"], e["detail"].get("outcome") or e["detail"].get("action"))
        for e in history["events"]
        if e["kind"] != "approval"
    ]
    assert kinds == [("enter-phase", None), ("pause", "stop-and-review"), ("review", "resume")]
    assert history["events"][-1]["by"] == "PT-2" and history["events"][-1]["detail"]["note"] == "no nerve signs"


def test_an_urgent_referral_a_stop_decision_and_the_review_outcomes(cli, tmp_path) -> None:
    course = Course(cli, tmp_path, "low-back-pain-acute")
    course.approve("acute", 0)
    urgent, _ = course.run(0, screening={"all": False, "bladder-bowel-saddle": True})
    assert urgent.exit_code == 5
    assert course.run(1)[0].exit_code == 6
    refer = course.do("review", "P1", "--clinician", "PT-1", "--outcome", "refer", "--note", "to the spinal team", n=1)
    assert refer.exit_code == 0
    referred, _ = course.run(2)
    assert referred.exit_code == 6 and "referred on" in referred.stderr
    unexplained = course.do("review", "P1", "--clinician", "PT-1", "--outcome", "resume", n=9)
    assert unexplained.exit_code == 2 and "--note" in unexplained.stderr  # lifting an urgent referral needs a note
    seen = ("--note", "seen by the spinal team: no cauda equina syndrome")
    assert course.do("review", "P1", "--clinician", "PT-1", "--outcome", "resume", *seen, n=9).exit_code == 0
    decided, out = course.run(9, new_symptom=True)  # a new symptom: stop and review, decided after the session
    assert decided.exit_code == 4 and out["decision"]["action"] == "stop-and-review" and out["status"] == "paused"
    assert course.run(10)[0].exit_code == 6
    assert course.do("review", "P1", "--clinician", "PT-1", "--outcome", "discharge", n=10).exit_code == 0
    discharged, _ = course.run(11)
    assert discharged.exit_code == 6 and "discharged" in discharged.stderr


def test_review_can_send_the_patient_back_to_an_earlier_phase(cli, tmp_path) -> None:
    course = Course(cli, tmp_path, "neck-pain")
    course.approve("acute", 0)
    for n in range(0, 8):
        _result, out = course.run(n)
    assert out["decision"]["action"] == "progress"
    assert course.run(8, new_symptom=True)[0].exit_code == 4
    missing = course.do("review", "P1", "--clinician", "PT-1", "--outcome", "earlier-phase", n=9)
    assert missing.exit_code == 2 and "needs --phase" in missing.stderr
    assert (
        course.do(
            "review", "P1", "--clinician", "PT-1", "--outcome", "earlier-phase", "--phase", "acute", n=9
        ).exit_code
        == 0
    )
    _result, out = course.run(9)
    assert out["phase"] == "acute"
    assert (
        next(d["value"] for d in out["decision"]["details"] if d["measure"] == "consecutive-sessions-within-limits")
        == 1
    )


# --- calendar time -------------------------------------------------------------------------------


def test_sessions_on_one_day_count_once_and_a_phase_takes_its_minimum_time(cli, tmp_path) -> None:
    course = Course(cli, tmp_path, "neck-pain")
    course.approve("acute", 0)
    _result, out = course.run(0)
    assert out["phase"] == "acute" and out["decision"]["action"] == "continue"
    counted = {d["measure"]: d["value"] for d in out["decision"]["details"]}
    assert counted["consecutive-sessions-within-limits"] == 1
    for _ in range(6):  # a second session the same day holds only the exercises planned more than once a day
        again, out = course.run(0)
        if out.get("status") == "rest-day":  # then today's exercises are done: nothing is recorded
            break
        assert again.exit_code == 0 and out["phase"] == "acute" and out["decision"]["action"] == "continue"
        assert {d["measure"]: d["value"] for d in out["decision"]["details"]}.get(
            "consecutive-sessions-within-limits", 1
        ) == 1  # the day counts once
        times = [Range.from_value(e["dose"]["times_per_day"]).min for e in out["plan"]["exercises"]]
        assert times and min(times) > 1
    assert out["status"] == "rest-day" and out["next_session"] == day(1)
    assert all("already done today" in left["why"] for left in out["left_out"])
    for n in range(1, 6):  # six days in a row within the limits, but less than a week in the phase
        _result, out = course.run(n)
    needs = {d["measure"] for d in out["decision"]["details"]}
    assert out["decision"]["action"] == "continue" and needs == {"weeks-in-phase"}
    _result, out = course.run(7)
    assert (out["decision"]["action"], out["decision"]["next_phase"]) == ("progress", "recovery")


def test_a_paper_session_can_be_entered_later_but_not_out_of_order(cli, tmp_path) -> None:
    course = Course(cli, tmp_path, "neck-pain")
    course.approve("acute", 0)
    assert course.run(3)[0].exit_code == 0
    older, _ = course.run(2)
    assert older.exit_code == 2 and "in date order" in older.stderr


def test_waiting_only_for_an_approval_keeps_the_count_of_days(cli, tmp_path) -> None:
    data = yaml.safe_load((Path(__file__).parent / "corpus" / "good" / "minimal.yaml").read_text())
    data["reviewed"] = str(data["reviewed"])
    first = data["phases"][0]
    first["exit"] = {
        "summary": "Three days in a row within the limits.",
        "all": [{"measure": "consecutive-sessions-within-limits", "at_least": 3}],
    }
    second = {
        **copy.deepcopy(first),
        "id": "strength",
        "name": "Strength",
        "entry": {
            "summary": "The clinician agrees.",
            "all": [
                {"measure": "phase-completed", "phase": "acute"},
                {"measure": "clinician-approval", "equals": True},
            ],
        },
        "exit": {"summary": "The clinician decides.", "all": [{"measure": "clinician-approval", "equals": True}]},
    }
    data["phases"].append(second)
    path = tmp_path / "gated.yaml"
    path.write_text(yaml.safe_dump(data))
    course = Course(cli, tmp_path, str(path))
    actions = [course.run(n)[1]["decision"]["action"] for n in range(6)]
    assert actions == ["continue", "continue", "hold", "hold", "hold", "hold"]  # ready after three days, waiting since
    course.approve("strength", 6)
    _result, out = course.run(6)
    assert (out["decision"]["action"], out["decision"]["next_phase"]) == ("progress", "strength")  # the count was kept


# --- pain acts ---------------------------------------------------------------------------------------


def test_doses_move_one_step_at_a_time_and_back_one_after_too_much_pain(cli, tmp_path) -> None:
    course = Course(cli, tmp_path, "neck-pain")
    course.approve("acute", 0)
    steps = []
    for n in range(0, 6):
        _result, out = course.run(n)
        steps.append(_step(out, "diaphragmatic-breathing"))
    assert steps[0] == 0  # one good session does not move the dose
    assert all(b - a in (0, 1) for a, b in itertools.pairwise(steps))  # never more than one step at a time
    assert steps[-1] >= 1
    first = next(e for e in out["next_plan"]["exercises"] if e["id"] == "diaphragmatic-breathing")
    assert first["dose_text"] != "1 set x 10 reps, 4 times a day, pain limit 2/10"  # not straight to the top
    before = steps[-1]
    _result, out = course.run(6, pain_before=2, pain_after=6)  # +4 over the pre-session level: reduce the load
    assert out["decision"]["action"] == "reduce-load"
    assert _step(out, "diaphragmatic-breathing") == before - 1


def test_a_worse_next_morning_lowers_the_very_next_plan(cli, tmp_path) -> None:
    course = Course(cli, tmp_path, "neck-pain")
    course.approve("acute", 0)
    for n in range(0, 6):
        _result, out = course.run(n)
    earned = _step(out, "diaphragmatic-breathing")
    assert earned >= 1
    morning = course.do("next-day", "P1", "--pain", "5", n=6)
    assert morning.exit_code == 0, morning.output
    assert "The next session's plan is one step lower." in morning.stdout
    _result, plan = course.plan(6)
    assert plan["adjustments"] and "one step lower" in plan["adjustments"][0]
    assert next(e["step"] for e in plan["exercises"] if e["id"] == "diaphragmatic-breathing") == earned - 1
    _result, out = course.run(6)
    assert next(e for e in course.history()["sessions"] if e["date"] == day(5))["next_morning"]["pain"] == 5
    assert out["decision"]["details"][0]["measure"] != "next-morning-over-baseline"  # acted on once, before the plan
    counted = {d["measure"]: d["value"] for d in out["decision"]["details"]}
    assert counted["consecutive-sessions-within-limits"] == 1  # the day before the bad morning no longer counts


def test_a_next_morning_rule_that_asks_for_review_pauses_at_once(cli, tmp_path) -> None:
    data = yaml.safe_load((Path(__file__).parent / "corpus" / "good" / "minimal.yaml").read_text())
    data["reviewed"] = str(data["reviewed"])
    data["symptom_rules"].append(
        {
            "id": "bad-morning",
            "measure": "pain-next-morning",
            "above": 6,
            "action": "stop-and-review",
            "message": "See your clinician before the next session.",
        }
    )
    path = tmp_path / "morning.yaml"
    path.write_text(yaml.safe_dump(data))
    course = Course(cli, tmp_path, str(path))
    assert course.run(0)[0].exit_code == 0
    morning = course.do("next-day", "P1", "--pain", "8", "--protocol", str(path), n=1)
    assert morning.exit_code == 4
    assert "See your clinician before the next session." in morning.stdout
    assert course.run(1)[0].exit_code == 6
    # Without --protocol the report is kept, and the rule acts when the next session starts.
    other = Course(cli, tmp_path, str(path), patient="P2")
    assert other.run(0)[0].exit_code == 0
    assert other.do("next-day", "P2", "--pain", "8", n=1).exit_code == 0
    refused, _ = other.run(1)
    assert refused.exit_code == 6 and "because of the next-morning report" in refused.stderr


def test_an_exercise_with_no_easier_version_leaves_the_plan_and_regressions_never_duplicate(cli, tmp_path) -> None:
    course = Course(cli, tmp_path, "neck-pain")
    course.approve("acute", 0)
    _result, out = course.run(0, exercises={"all": 1, "diaphragmatic-breathing": 7})
    assert out["decision"]["action"] == "regress" and out["decision"]["removed"] == ["diaphragmatic-breathing"]
    assert (
        "has no easier version, so it leaves the plan; ask your clinician to review it" in out["decision"]["reasons"][0]
    )
    ids = [e["id"] for e in out["next_plan"]["exercises"]]
    assert "diaphragmatic-breathing" not in ids
    assert out["next_plan"]["left_out"][0]["id"] == "diaphragmatic-breathing"
    _result, out = course.run(
        1, exercises={"all": 1, "upper-trapezius-stretch": 7}
    )  # its easier version is shoulder rolls
    ids = [e["id"] for e in out["next_plan"]["exercises"]]
    assert ids.count("shoulder-rolls") == 1 and "upper-trapezius-stretch" not in ids
    assert "its easier version is already in it" in out["decision"]["reasons"][0]
    assert course.do("review", "P1", "--clinician", "PT-1", "--outcome", "resume", n=2).exit_code == 0
    _result, plan = course.plan(2)
    assert "diaphragmatic-breathing" in [
        e["id"] for e in plan["exercises"]
    ]  # a clinician reviewed it: back in the plan


def test_no_improvement_over_the_phase_review_period_pauses_but_not_at_the_pain_goal(cli, tmp_path) -> None:
    stuck = Course(cli, tmp_path, "low-back-pain-acute")
    stuck.approve("acute", 0)
    for n in range(0, 15, 2):
        result, out = stuck.run(n, pain_before=6, pain_after=6, exercises={"all": 2})
        if result.exit_code == 4:
            break
    assert out["decision"]["action"] == "stop-and-review" and out["status"] == "paused"
    assert "time without a meaningful improvement" in out["decision"]["reasons"][0]
    assert n == 14  # two weeks in the acute phase, its review period

    # At 2/10 the patient has reached the pain goal: weeks without a further 2-point fall are no reason for review.
    fine = Course(cli, tmp_path, "low-back-pain-acute", patient="P2")
    fine.approve("acute", 0)
    phases = set()
    for n in range(0, 50, 2):
        result, out = fine.run(n, pain_before=2, pain_after=2, exercises={"all": 1})
        assert result.exit_code == 0, out
        phases.add(out["phase"])
    assert phases == {"acute", "recovery"}  # recovery also waits for an Oswestry score, never recorded here


def test_a_course_entered_from_paper_goes_on_after_its_review_is_recorded_with_its_date(cli, tmp_path) -> None:
    """Sessions dated in the past, a clinician's approval recorded today (no --date): the course goes on once the
    review is recorded with the date it happened; a review dated today does not lift the pause for earlier days."""
    course = Course(cli, tmp_path, "neck-pain")
    assert (
        course.cli(
            "approve", "P1", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1", "--db", course.db
        ).exit_code
        == 0
    )
    assert course.run(0)[0].exit_code == 0
    assert course.run(1, screening={"all": False, "spreading-pain": True})[0].exit_code == 4
    assert (
        course.cli(
            "review", "P1", "--clinician", "PT-1", "--outcome", "earlier-phase", "--phase", "acute", "--db", course.db
        ).exit_code
        == 2
    )  # already in the first phase: nothing earlier
    assert course.cli("review", "P1", "--clinician", "PT-1", "--outcome", "resume", "--db", course.db).exit_code == 0
    inside, _ = course.run(2)  # dated before the review: inside the paused period (issue 26, finding 1)
    assert inside.exit_code == 6 and "judged by the course as it stood on its own date" in inside.stderr
    assert course.do("review", "P1", "--clinician", "PT-1", "--outcome", "resume", n=2).exit_code == 0
    for n in range(2, 10):
        result, out = course.run(n)
        assert result.exit_code == 0, result.output
    assert out["phase"] == "recovery"


def test_when_pain_empties_the_plan_the_course_pauses_instead_of_counting_empty_days(cli, tmp_path) -> None:
    course = Course(cli, tmp_path, "neck-pain")
    course.approve("acute", 0)
    result, out = course.run(0, exercises={"all": 7})
    assert result.exit_code == 4 and out["decision"]["action"] == "stop-and-review" and out["status"] == "paused"
    assert "no exercise of this phase is left in the plan" in out["decision"]["reasons"][-1]
    assert course.run(1)[0].exit_code == 6


def test_pain_above_an_exercises_own_limit_never_counts_toward_moving_on(cli, tmp_path) -> None:
    course = Course(cli, tmp_path, "low-back-pain-acute")  # the rules allow up to 5/10; each exercise's limit is lower
    course.approve("acute", 0)
    for n in range(0, 10):
        _result, out = course.run(n, exercises={"all": 5})
        assert out["phase"] == "acute" and out["decision"]["action"] == "hold", out["decision"]
        assert out["decision"]["within_limits"] is False
    assert "above its limit of" in out["decision"]["reasons"][0]


def test_exercises_left_out_after_a_screening_yes_stay_out_of_the_next_plan(cli, tmp_path) -> None:
    course = Course(cli, tmp_path, "upper-back-posture")
    course.approve("acute", 0)
    result, out = course.run(0, screening={"all": False, "hanging-safety": True})
    assert result.exit_code == 0
    hanging = {"bar-hang", "half-hang-thoracic-stretch", "wall-bar-hang-facing"}
    assert not hanging & {e["id"] for e in out["next_plan"]["exercises"]}
    result, plan = course.plan(1)
    assert not hanging & {e["id"] for e in plan["exercises"]}


def test_an_urgent_yes_acts_even_when_the_rest_of_the_answers_file_is_wrong(cli, tmp_path) -> None:
    course = Course(cli, tmp_path, "neck-pain")  # not even approved: the emergency comes first
    result, _ = course.run(0, screening={"hand-clumsiness": True}, exercises={"chin-tuk": 3})
    assert result.exit_code == 5
    assert "STOP" not in result.stdout  # json on stdout; the outcome says it
    out = json.loads(result.stdout)
    assert out["screening"] == "refer-urgently" and out["status"] == "paused"
    assert course.run(1)[0].exit_code == 6


def test_not_sure_to_an_urgent_question_by_name_acts_first_and_is_recorded_as_not_sure(cli, tmp_path) -> None:
    """Issue 26: "not sure" to an urgent red flag in an answers file is taken as yes, at once, before the gate or
    the rest of the file; the store keeps that the patient was not sure."""
    from rehabkit._sessions.store import Store

    course = Course(cli, tmp_path, "neck-pain")  # not approved either
    result, out = course.run(0, screening={"hand-clumsiness": "not sure"}, exercises={"chin-tuk": 3})
    assert result.exit_code == 5 and out["screening"] == "refer-urgently"
    with Store(course.db) as store:
        (session,) = store.sessions("P1")
        assert store.answers(session.id) == [("screening", "hand-clumsiness", "not-sure")]


def test_withdrawing_the_surgeons_clearance_closes_the_current_phase(cli, tmp_path) -> None:
    course = Course(cli, tmp_path, "post-surgical-lumbar")
    course.approve("acute", 0, "--kind", "surgeon-clearance", "--surgery-date", day(-14))
    assert course.run(0)[0].exit_code == 0
    course.approve("acute", 1, "--kind", "surgeon-clearance", "--withdraw")
    withdrawn, _ = course.run(1)
    assert withdrawn.exit_code == 7
    changed = course.do(
        "approve", "P1", "--phase", "acute", "--kind", "surgeon-clearance", "--surgery-date", day(-10), n=2
    )
    assert changed.exit_code == 0 and f"changes from {day(-14)} to {day(-10)}" in changed.stderr
    named = course.do("approve", "P1", "--phase", "acute", "--by", "Dr Jones", n=2)
    assert named.exit_code == 2 and "never a name" in named.stderr


def test_run_and_approve_check_a_surgery_date_against_the_date_of_the_record(cli, tmp_path) -> None:
    # One check for both commands: a surgery after the day being recorded (--date) is refused, in the same words.
    # (approve used to compare with today's date, so an approval dated 2026-09-01 took a surgery on 2026-09-04.)
    course = Course(cli, tmp_path, "post-surgical-lumbar")
    late_run, _ = course.run(0, "--surgery-date", day(3))
    late_approval = course.do(
        "approve",
        "P1",
        "--protocol",
        "post-surgical-lumbar",
        "--phase",
        "acute",
        "--kind",
        "surgeon-clearance",
        "--by",
        "DR-1",
        "--surgery-date",
        day(3),
        n=0,
    )
    for refused in (late_run, late_approval):
        assert refused.exit_code == 2 and "Invalid value for '--surgery-date'" in refused.stderr
        assert (
            f"{day(3)} is after {day(0)}, the date this record is for (--date, default today); a surgery date "
            "cannot be in the future." in refused.stderr
        )
    assert cli("history", "P1", "--db", course.db).exit_code == 1  # neither created the patient
    for text in ("2026-13-01", "yesterday"):
        bad = course.do(
            "approve",
            "P1",
            "--protocol",
            "post-surgical-lumbar",
            "--phase",
            "acute",
            "--kind",
            "surgeon-clearance",
            "--by",
            "DR-1",
            "--surgery-date",
            text,
            n=0,
        )
        assert bad.exit_code == 2 and f"{text!r} is not a date: write YYYY-MM-DD." in bad.stderr
    # The record's own day, or any before it, is taken by both.
    course.approve("acute", 0, "--kind", "surgeon-clearance")
    assert course.run(0, "--surgery-date", day(0))[0].exit_code == 0
    earlier = course.do(
        "approve", "P1", "--phase", "acute", "--kind", "surgeon-clearance", "--surgery-date", day(-1), n=0
    )
    assert earlier.exit_code == 0 and course.history()["surgery_date"] == day(-1)


def test_a_draft_with_an_installed_id_and_version_cannot_mix_into_a_course(cli, tmp_path) -> None:
    from conftest import PROTOCOLS

    draft = tmp_path / "my-neck.yaml"
    draft.write_text((PROTOCOLS / "neck" / "neck-pain.yaml").read_text())
    result = cli("run", str(draft), "--patient", "P1", "--plan", "--db", str(tmp_path / "s.db"))
    assert result.exit_code == 2 and "Give your draft its own version" in result.stderr


def test_a_next_morning_report_is_for_the_morning_after(cli, tmp_path) -> None:
    course = Course(cli, tmp_path, "neck-pain")
    course.approve("acute", 0)
    assert course.run(0)[0].exit_code == 0
    late = course.do("next-day", "P1", "--pain", "4", n=3)
    assert late.exit_code == 2 and "is for the morning after a session" in late.stderr
    assert course.do("next-day", "P1", "--pain", "4", n=1).exit_code == 0


def test_a_newline_in_a_review_note_cannot_forge_a_line_of_history_or_of_a_refusal(cli, tmp_path) -> None:
    course = Course(cli, tmp_path, "low-back-pain-acute")
    course.approve("acute", 0)
    assert course.run(0, screening={"all": False, "bladder-bowel-saddle": True})[0].exit_code == 5
    forged = f"seen\n{day(1)}  low-back-pain-acute: surgeon-clearance given for phase recovery by DR-3"
    assert course.do("review", "P1", "--clinician", "PT-1", "--outcome", "refer", "--note", forged, n=1).exit_code == 0
    listed = cli("history", "P1", "--db", course.db).stdout.splitlines()
    assert forged.split("\n")[1] not in listed  # no line of its own
    assert any(line.endswith("refer: seen\\x0a" + forged.split("\n")[1]) for line in listed)  # shown, on one line
    refused, _ = course.run(2)
    assert refused.exit_code == 6 and "  Note: seen\\x0a" in refused.stderr


# --- issue 26: the course as it stood on a session's own date ----------------------------------------------------


def test_a_session_dated_inside_a_paused_period_is_refused_and_never_counts(cli, tmp_path) -> None:
    """Paused on day 5, reviewed on day 8: a session entered afterwards but dated day 6 is refused like any stopped
    course (exit 6), and the days in a row within the limits never count it."""
    course = Course(cli, tmp_path, "neck-pain")
    course.approve("acute", 0)
    for n in range(0, 5):
        assert course.run(n)[0].exit_code == 0
    assert course.run(5, screening={"all": False, "spreading-pain": True})[0].exit_code == 4
    review = ("review", "P1", "--clinician", "PT-1", "--outcome", "resume", "--note", "no nerve signs")
    assert course.do(*review, n=8).exit_code == 0
    inside, _ = course.run(6)
    assert inside.exit_code == 6, inside.output
    assert f"paused since {day(5)}" in inside.stderr and f"A review on {day(8)} lifted it" in inside.stderr
    assert course.plan(7)[0].exit_code == 6  # a plan for a day inside the pause is refused too
    assert [s["date"] for s in course.history()["sessions"]] == [day(n) for n in range(6)]
    # The review that happened on day 6, recorded with its own date, lifts the pause from that day on.
    assert course.do(*review, n=6).exit_code == 0
    result, out = course.run(6)
    assert result.exit_code == 0, result.output
    counted = {d["measure"]: d["value"] for d in out["decision"]["details"]}
    assert counted["consecutive-sessions-within-limits"] == 1  # the count starts again after the pause


def test_no_improvement_never_pauses_at_the_pain_goal_and_a_gap_is_not_a_failure_to_improve(cli, tmp_path) -> None:
    """Issue 26, finding 4: pain 3 against the acute phase's goal of at most 3 after a seven-week gap, and pain 6
    after the same gap, are neither of them "no meaningful improvement": the weeks count sessions actually done."""
    at_goal = Course(cli, tmp_path, "low-back-pain-acute")
    at_goal.approve("acute", 0)
    for n in (0, 2, 4):
        assert at_goal.run(n, pain_before=5, pain_after=5)[0].exit_code == 0
    result, out = at_goal.run(53, pain_before=3, pain_after=3)  # seven weeks later, at the phase's pain goal
    assert result.exit_code == 0, out
    assert out["decision"]["action"] != "stop-and-review" and out["status"] == "active"

    gap = Course(cli, tmp_path, "low-back-pain-acute", patient="P2")
    gap.approve("acute", 0)
    for n in (0, 2, 4):
        assert gap.run(n, pain_before=6, pain_after=6, exercises={"all": 2})[0].exit_code == 0
    result, out = gap.run(53, pain_before=6, pain_after=6, exercises={"all": 2})  # the gap counts one week at most
    assert result.exit_code == 0, out
    assert all(d.get("measure") != "no-improvement-weeks" for d in out["decision"]["details"])
    for n in (55, 57):  # two weeks of sessions done without improvement: now it is a reason for review
        result, out = gap.run(n, pain_before=6, pain_after=6, exercises={"all": 2})
    assert result.exit_code == 4 and "time without a meaningful improvement" in out["decision"]["reasons"][0]


def test_a_flare_lowers_every_dose_beside_an_exercise_stop_and_the_stopped_one_returns_lower(cli, tmp_path) -> None:
    """Issue 26, finding 3: an exercise 7/10 during and 7/10 after on low-back-pain-chronic fires 'stop the exercise'
    (its own) and 'pain-after > 5 -> reduce-load' (the session's): both act. After a review the stopped exercise
    comes back one step lower than when it was stopped; at the bottom of its range it stays there and says so. (The
    clinic met it with the Bridge; the stretch done every day earns its steps within the week.)"""
    course = Course(cli, tmp_path, "low-back-pain-chronic")
    course.approve("acute", 0)
    for n in range(0, 6):
        _result, out = course.run(n)
    before = {e["id"]: e["step"] for e in out["next_plan"]["exercises"]}
    assert before["hamstring-stretch-supine"] == 2 and before["walking-programme"] >= 1
    result, out = course.run(6, exercises={"all": 1, "hamstring-stretch-supine": 7}, pain_after=7)
    assert result.exit_code == 0, result.output
    decision = out["decision"]
    assert decision["action"] == "stop-exercise" and decision["removed"] == ["hamstring-stretch-supine"]
    assert {d["rule"] for d in decision["details"]} == {"red-pain", "high-after"}
    assert any("every dose is one step lower next time" in reason for reason in decision["reasons"])
    assert any("it comes back one dose step lower" in reason for reason in decision["reasons"])
    after = {e["id"]: e["step"] for e in out["next_plan"]["exercises"]}
    assert "hamstring-stretch-supine" not in after
    assert after["walking-programme"] == before["walking-programme"] - 1
    assert course.do("review", "P1", "--clinician", "PT-1", "--outcome", "resume", n=7).exit_code == 0
    _result, plan = course.plan(7)
    assert next(e["step"] for e in plan["exercises"] if e["id"] == "hamstring-stretch-supine") == 1  # not its 2
    assert (
        "Back-of-thigh stretch lying down is back after your clinician's review, one dose step lower than when it "
        "was stopped." in (plan["adjustments"])
    )

    bottom = Course(cli, tmp_path, "low-back-pain-chronic", patient="P2")
    bottom.approve("acute", 0)
    _result, out = bottom.run(0, exercises={"all": 1, "glute-bridge": 7}, pain_after=7)
    assert any("which is as low as it goes" in reason for reason in out["decision"]["reasons"])
    assert bottom.do("review", "P2", "--clinician", "PT-1", "--outcome", "resume", n=1).exit_code == 0
    _result, plan = bottom.plan(2)  # the Bridge's next day in its three a week
    assert next(e["step"] for e in plan["exercises"] if e["id"] == "glute-bridge") == 0
    assert any("at the start of its range: it cannot go lower" in line for line in plan["adjustments"])


def test_pain_over_a_limit_in_an_abandoned_session_counts_for_what_it_says(cli, tmp_path) -> None:
    """Issue 26, finding 2: chin nod 4/10 against its limit of 3 at the terminal, then the end of input (as Ctrl-C):
    a re-run the same day does not offer the chin nod, the day does not count as within the limits, and history and
    clinic show the 4/10."""
    from rehabkit._documents.loader import load_file

    from conftest import PROTOCOLS

    course = Course(cli, tmp_path, "neck-pain")
    course.approve("acute", 0)
    assert course.run(0)[0].exit_code == 0
    red_flags = len(load_file(str(PROTOCOLS / "neck" / "neck-pain.yaml")).data["red_flags"])
    typed = "n\n" * red_flags + "2\n" + "1\n1\n4\n"  # breathing 1, shoulder rolls 1, chin nod 4: then no more input
    args = ("run", "neck-pain", "--patient", "P1", "--db", course.db, "--no-timer", "--date", day(1))
    abandoned = cli(*args, input=typed)
    assert abandoned.exit_code == 130 and "stop it for today" in abandoned.stdout
    result, out = course.run(1)  # the same day again
    assert result.exit_code == 0, result.output
    assert "supine-chin-nod" not in [e["id"] for e in out["plan"]["exercises"]]
    left = {e["id"]: e["why"] for e in out["plan"]["left_out"]}
    assert "stopped for the rest of the day" in left["supine-chin-nod"]
    counted = {d["measure"]: d["value"] for d in out["decision"]["details"]}
    assert counted["consecutive-sessions-within-limits"] == 0  # day 0 counted, day 1 not
    result, out = course.run(2)
    assert "supine-chin-nod" in [e["id"] for e in out["plan"]["exercises"]]  # a new day: offered again
    assert {d["measure"]: d["value"] for d in out["decision"]["details"]}["consecutive-sessions-within-limits"] == 1
    listed = cli("history", "P1", "--db", course.db).stdout
    assert "pain during Chin nod lying down was 4/10, above its limit of 3/10, in a session left unfinished" in listed
    (session,) = [s for s in course.history()["sessions"] if s["status"] == "incomplete"]
    assert session["detail"]["within_limits"] is False and session["detail"]["stopped_today"] == ["supine-chin-nod"]


def test_a_next_morning_option_the_protocol_has_no_rule_for_is_never_silently_ignored(cli, tmp_path) -> None:
    """Issue 26, finding 5: neck-pain has no settling rule; a protocol with no next-morning rule at all ignores the
    pain too. next-day says so and what the clinician should do; lint warns (RK308) on the second."""
    course = Course(cli, tmp_path, "neck-pain")
    course.approve("acute", 0)
    assert course.run(0)[0].exit_code == 0
    morning = course.do("next-day", "P1", "--pain", "9", "--settled-after-hours", "30", n=1)
    assert morning.exit_code == 0, morning.output
    assert (
        "has no next-morning rule for the hours pain took to settle (--settled-after-hours 30): it is recorded, but "
        "nothing changes the plan because of it. A clinician should look at it and decide" in morning.stderr
    )
    assert "next-morning pain (9/10)" not in morning.stderr  # neck-pain does react to next-morning pain

    data = yaml.safe_load((Path(__file__).parent / "corpus" / "good" / "minimal.yaml").read_text())
    data["reviewed"] = str(data["reviewed"])
    data["symptom_rules"] = [r for r in data["symptom_rules"] if r["measure"] != "next-morning-over-baseline"]
    path = tmp_path / "no-mornings.yaml"
    path.write_text(yaml.safe_dump(data))
    linted = cli("validate", str(path))
    assert "RK308" in linted.output and "no symptom rule reacts to the next morning" in linted.output
    other = Course(cli, tmp_path, str(path), patient="P2")
    assert other.run(0)[0].exit_code == 0
    silent = other.do("next-day", "P2", "--pain", "9", "--protocol", str(path), n=1)
    assert silent.exit_code == 0, silent.output
    assert "has no next-morning rule for next-morning pain (9/10)" in silent.stderr


def test_a_session_killed_after_pain_over_a_limit_keeps_it_when_the_next_one_starts(cli, tmp_path) -> None:
    """Issue 26, finding 2, when nothing could mark the session (the terminal killed): the next run finds it in
    progress and records what its answers say before marking it incomplete."""
    import subprocess
    import sys
    import time

    from rehabkit._documents.loader import load_file
    from rehabkit._sessions.backends import open_store

    from conftest import PROTOCOLS, REPO, SCREEN_WAIT, clean_env

    course = Course(cli, tmp_path, "neck-pain")
    course.approve("acute", 0)
    assert course.run(0)[0].exit_code == 0
    red_flags = len(load_file(str(PROTOCOLS / "neck" / "neck-pain.yaml")).data["red_flags"])
    typed = "n\n" * red_flags + "2\n" + "1\n1\n4\n"  # chin nod 4/10 against its limit of 3; then it waits for more
    args = ["run", "neck-pain", "--patient", "P1", "--db", course.db, "--no-timer", "--date", day(1)]
    child = subprocess.Popen(
        [sys.executable, "-m", "rehabkit", *args], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, env=clean_env(), cwd=str(REPO), text=True,
    )  # fmt: skip
    assert child.stdin is not None
    child.stdin.write(typed)
    child.stdin.flush()
    deadline = time.monotonic() + SCREEN_WAIT
    while time.monotonic() < deadline:  # until the chin nod's answer is stored (never a fixed pause)
        with open_store(course.db) as store:
            sessions = store.sessions("P1")
            if len(sessions) == 2 and ("pain-during", "supine-chin-nod", 4) in store.answers(sessions[1].id):
                break
        time.sleep(0.05)
    child.kill()
    child.wait()
    assert [s["status"] for s in course.history()["sessions"]] == ["complete", "in-progress"]
    result, out = course.run(1)
    assert result.exit_code == 0, result.output
    assert "supine-chin-nod" in {e["id"] for e in out["plan"]["left_out"]}
    killed = course.history()["sessions"][1]
    assert killed["status"] == "incomplete" and killed["detail"]["stopped_today"] == ["supine-chin-nod"]
