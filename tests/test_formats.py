"""Document formats (issue 30): a protocol written for rehabkit 0.1 (no 'format') keeps working with deprecation
warnings for the rules added since, and a red flag of the clinic's minimum set it does not cover is asked from
rehabkit's shared red-flag set; the same protocol declaring the current format fails. Through the real commands."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from rehabkit._common.formats import CURRENT_FORMAT, ERROR_IN_RELEASE

REPO = Path(__file__).resolve().parent.parent
MINIMAL = REPO / "tests" / "corpus" / "good" / "minimal.yaml"
#: The example clinic's pack adds immunosuppression to the red-flag minimum set; the minimal protocol does not cover it.
CLINIC = ["example-clinic"]
DAY = "2026-11-02"


def _protocol(tmp_path: Path, name: str = "old.yaml", **changes: object) -> str:
    data = yaml.safe_load(MINIMAL.read_text())
    data["reviewed"] = str(data["reviewed"])
    del data["format"]  # written for 0.1: no format
    data.update(changes)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(path)


def _findings(rehabkit, path: str, code: str) -> list[dict]:
    result = rehabkit("validate", path, "--format", "json", packs=CLINIC)
    return [f for f in json.loads(result.stdout)["files"][0]["findings"] if f["code"] == code]


def _answers(tmp_path: Path, screening: dict[str, bool]) -> str:
    path = tmp_path / "answers.yaml"
    data = {"screening": screening, "pain_before": 2, "exercises": {"all": 1}, "pain_after": 2, "new_symptom": False}
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_an_old_protocol_missing_immunosuppression_validates_with_a_deprecation_warning(rehabkit, tmp_path) -> None:
    path = _protocol(tmp_path)
    result = rehabkit("validate", path, packs=CLINIC)
    assert result.returncode == 0, result.stdout + result.stderr
    (finding,) = _findings(rehabkit, path, "RK301")
    assert finding["severity"] == "warning"
    message = finding["message"]
    assert "immunosuppression" in message and "'shared-immunosuppression'" in message
    assert f"a warning until rehabkit {ERROR_IN_RELEASE}, where it becomes an error" in message
    assert f"then declare 'format: {CURRENT_FORMAT}'" in message


def test_the_same_protocol_declaring_the_current_format_fails_validate(rehabkit, tmp_path) -> None:
    path = _protocol(tmp_path, "current.yaml", format=CURRENT_FORMAT)
    result = rehabkit("validate", path, packs=CLINIC)
    assert result.returncode == 1, result.stdout
    (finding,) = _findings(rehabkit, path, "RK301")
    assert finding["severity"] == "error" and "Deprecated" not in finding["message"]


def _without_no_improvement(tmp_path: Path) -> str:
    """A 0.1 protocol whose questions leave a sign of rehabkit's own minimum set (no improvement) uncovered."""
    questions = yaml.safe_load(MINIMAL.read_text())["red_flags"]
    return _protocol(tmp_path, red_flags=[q for q in questions if "no-improvement" not in q["covers"]])


def test_run_asks_the_shared_question_and_a_yes_stops_the_session(rehabkit, tmp_path) -> None:
    path, db = _without_no_improvement(tmp_path), str(tmp_path / "s.db")
    stopped = rehabkit(
        "run", path, "--patient", "P-1", "--db", db, "--date", DAY, "--answers",
        _answers(tmp_path, {"all": False, "shared-no-improvement": True}),
    )  # fmt: skip
    assert stopped.returncode == 4, stopped.stdout + stopped.stderr
    assert "STOP: no exercise today." in stopped.stdout
    history = json.loads(rehabkit("history", "P-1", "--db", db, "--format", "json").stdout)
    (session,) = history["sessions"]
    assert session["decision"] == "stop-and-review"


def test_run_without_a_yes_records_the_shared_answer(rehabkit, tmp_path) -> None:
    path, db = _without_no_improvement(tmp_path), str(tmp_path / "s.db")
    ran = rehabkit(
        "run", path, "--patient", "P-1", "--db", db, "--date", DAY, "--answers", _answers(tmp_path, {"all": False}),
    )  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr
    from rehabkit._sessions.store import Store

    with Store(db) as store:
        (session,) = store.sessions("P-1")
        assert ("screening", "shared-no-improvement", False) in store.answers(session.id)


def test_the_clinics_own_immunosuppression_question_is_asked_once(rehabkit, tmp_path) -> None:
    """The example clinic raises the minimum set with immunosuppression and asks its own question for it (covers:
    [immunosuppression]): the shared question for the sign is not asked as well; every question is asked once."""
    path, db = _protocol(tmp_path), str(tmp_path / "s.db")
    questions = [q["question"] for q in yaml.safe_load(MINIMAL.read_text())["red_flags"]]
    ran = rehabkit(
        "run", path, "--patient", "P-1", "--db", db, "--date", DAY, "--no-timer", packs=CLINIC,
        input="no\n" * 3 + "2\n1\n2\nno\n",
    )  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr
    clinic = "Have you started long-term steroid tablets, or any medicine or treatment that weakens the immune system"
    said = " ".join((ran.stdout + ran.stderr).split())  # the questions as asked (prompts on stderr), unwrapped
    for question in [*questions, clinic]:
        assert said.count(" ".join(question.split())) == 1, (question, ran.stdout)
    assert "immune system is weak" not in said  # the shared question's words
    from rehabkit._sessions.store import Store

    with Store(db) as store:
        (session,) = store.sessions("P-1")
        ids = [key for kind, key, _ in store.answers(session.id) if kind == "screening"]
    assert ids == ["worse", "no-better", "immune-or-steroid-treatment"]


def test_an_old_no_improvement_rule_with_its_own_above_is_a_deprecation_warning(rehabkit, tmp_path) -> None:
    data = yaml.safe_load(MINIMAL.read_text())
    rules = data["symptom_rules"]
    rules[2]["above"] = 4
    del data["phases"][0]["review_after_weeks"]
    old = _protocol(tmp_path, "old.yaml", symptom_rules=rules, phases=data["phases"])
    assert rehabkit("validate", old).returncode == 0
    (finding,) = [f for f in _findings(rehabkit, old, "RK302")]
    assert finding["severity"] == "warning"
    assert "It still acts in the phases without one (acute)" in finding["message"]
    assert "set 'review_after_weeks: 4' on each phase that has none and remove 'above'" in finding["message"]
    current = _protocol(tmp_path, "current.yaml", symptom_rules=rules, phases=data["phases"], format=CURRENT_FORMAT)
    assert rehabkit("validate", current).returncode == 1
    assert {f["severity"] for f in _findings(rehabkit, current, "RK302")} == {"error"}


def test_rules_explains_the_per_format_decision(rehabkit) -> None:
    for code in ("RK301", "RK302"):
        text = rehabkit("rules", code).stdout
        assert f"rehabkit {ERROR_IN_RELEASE}" in text and f"format: {CURRENT_FORMAT}" in text, (code, text)
    assert "every format" in rehabkit("rules", "RK205").stdout

    def unwrapped(code: str) -> str:  # the text as written, before wrapping (which breaks after a hyphen)
        return " ".join(rehabkit("rules", code).stdout.replace("-\n", "-").split())

    shared = unwrapped("RK301")
    assert "shared_red_flags: {minimum_set_from: rehabkit-red-flags}" in shared and "their 'covers' count" in shared
    assert "rehabkit's own is 'rehabkit-red-flags'" in unwrapped("RK110")


def test_the_schemas_know_the_current_format_and_refuse_a_newer_one(rehabkit, tmp_path) -> None:
    for name in ("protocol.schema.json", "exercise-library.schema.json"):
        schema = json.loads((REPO / "schemas" / name).read_text())
        assert schema["properties"]["format"]["maximum"] == CURRENT_FORMAT
    newer = _protocol(tmp_path, "newer.yaml", format=CURRENT_FORMAT + 1)
    result = rehabkit("validate", newer)
    assert result.returncode == 1 and "Traceback" not in result.stderr


def test_an_old_rules_own_above_still_acts_where_a_phase_has_no_review_after_weeks() -> None:
    """The old form keeps its old meaning: with no phase limit the rule's own 'above' decides; a phase's
    review_after_weeks, where given, replaces it."""
    from rehabkit import SymptomRule
    from rehabkit.engine.symptoms import Observation, fires

    rule = SymptomRule.from_dict(
        {"id": "stuck", "measure": "no-improvement-weeks", "above": 3, "min_change": 2, "action": "stop-and-review",
         "message": "See your clinician."}
    )  # fmt: skip
    assert fires(rule, Observation("no-improvement-weeks", 3.5))
    assert not fires(rule, Observation("no-improvement-weeks", 2.5))
    assert not fires(rule, Observation("no-improvement-weeks", 3.5, limit=6))


#: Session days over four weeks (three a week), the same pain at rest each time: no improvement.
COURSE_DAYS = ["2026-11-02", "2026-11-04", "2026-11-06", "2026-11-09", "2026-11-11", "2026-11-13", "2026-11-16",
               "2026-11-18", "2026-11-20"]  # fmt: skip


def _stuck_course(cli, path: str, db: str, answers: str) -> list[tuple[str, int, str]]:
    """Run the course's days through the real command until one ends other than with 'carry on': (day, exit code,
    the reason's line) of each session run."""
    ran = []
    for day in COURSE_DAYS:
        result = cli("run", path, "--patient", "P-1", "--db", db, "--date", day, "--answers", answers)
        why = [line.strip() for line in result.stdout.splitlines() if line.strip().startswith("- ")]
        ran.append((day, result.exit_code, why[0] if why else ""))
        if result.exit_code != 0:
            break
    return ran


def test_an_old_rules_own_above_acts_over_a_weeks_long_course_and_after_upgrade_the_phases_limit(cli, tmp_path) -> None:
    """A 0.1 protocol whose no-improvement rule has its own 'above: 2' (weeks) and whose phase has no
    review_after_weeks: over dated sessions with the same pain the course stops for review once two weeks are passed
    without improvement, as in 0.1; after 'rehabkit upgrade' the phase's review_after_weeks (2) stops it once they are
    reached ("after N weeks"), which upgrade says: the session on day 14 is reviewed, one session earlier."""
    data = yaml.safe_load(MINIMAL.read_text())
    phases, rules = data["phases"], data["symptom_rules"]
    del phases[0]["review_after_weeks"]
    phases[0]["exit"]["all"] = [{"measure": "pain-at-rest", "at_most": 2}]  # not reached: the course goes on
    rules[2]["above"] = 2
    old = _protocol(tmp_path, "stuck.yaml", phases=phases, symptom_rules=rules)
    answers = tmp_path / "same.yaml"
    answers.write_text(yaml.safe_dump({"screening": {"all": False}, "pain_before": 5, "exercises": {"all": 3},
                                       "pain_after": 4, "new_symptom": False}))  # fmt: skip
    before = _stuck_course(cli, old, str(tmp_path / "old.db"), str(answers))
    assert [code for _, code, _ in before] == [0] * 7 + [4], before
    day, _, why = before[-1]
    assert day == "2026-11-18" and "the review point is 2 weeks" in why, before  # 16 days: past 2 weeks
    upgraded = cli("upgrade", old)
    assert upgraded.exit_code == 0 and "review_after_weeks: 2" in Path(old).read_text(), upgraded.output
    assert "a review now comes once 2 weeks without improvement are reached rather than passed" in upgraded.stdout
    assert "above: 2" not in Path(old).read_text().split("stuck")[1].split("message")[0]
    after = _stuck_course(cli, old, str(tmp_path / "new.db"), str(answers))
    assert [code for _, code, _ in after] == [0] * 6 + [4], after
    day, _, why = after[-1]
    assert day == "2026-11-16" and "2 weeks, the review point is 2 weeks" in why, after  # 14 days: reached
