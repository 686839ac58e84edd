"""Whole courses through `rehabkit run --answers` on a real store file."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import yaml

from rehabkit.store import Store


def _answers(tmp_path: Path, name: str = "a.yaml", **overrides) -> str:
    data = {"screening": {"all": False}, "pain_before": 2, "exercises": {"all": 1}, "pain_after": 2, "new_symptom": False}
    data.update(overrides)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return str(path)


def _run(cli, db: str, answers: str, protocol: str = "low-back-pain-acute", *extra: str):
    result = cli("run", protocol, "--patient", "P1", "--db", db, "--answers", answers, "--format", "json", *extra)
    return result, (json.loads(result.stdout) if result.stdout.strip().startswith("{") else None)


def test_an_improving_patient_moves_through_all_three_phases(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    calm = _answers(tmp_path)
    phases = []
    for _ in range(5):
        result, out = _run(cli, db, calm)
        assert result.exit_code == 0, result.output
        phases.append((out["phase"], out["decision"]["action"]))
    assert phases[:4] == [("acute", "continue")] * 4
    assert phases[4] == ("acute", "progress")
    assert out["decision"]["next_phase"] == "recovery"
    assert out["next_plan"]["phase"] == "recovery"
    # recovery also needs an Oswestry score of 20 % or less
    for _ in range(8):
        result, out = _run(cli, db, calm)
    assert (out["phase"], out["decision"]["action"]) == ("recovery", "continue")
    assert "odi-percent is not known yet; record it with 'rehabkit measure ID odi'" in out["decision"]["reasons"][0]
    scores = [arg for item in ("pain-intensity", "personal-care", "lifting", "walking", "sitting", "standing",
                               "sleeping", "sex-life", "social-life", "travelling") for arg in ("--score", f"{item}=1")]
    assert cli("measure", "P1", "odi", "--db", db, *scores).exit_code == 0  # 10 of 50: 20 %
    result, out = _run(cli, db, calm)
    assert (out["phase"], out["decision"]["action"], out["decision"]["next_phase"]) == ("recovery", "progress", "maintenance")
    history = json.loads(cli("history", "P1", "--db", db, "--format", "json").stdout)
    assert [s["phase"] for s in history["sessions"]].count("recovery") == 9
    assert all(s["status"] == "complete" for s in history["sessions"])


def test_a_pain_flare_regresses_to_the_easier_exercise(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    with Store(db) as store:
        store.enter_phase("P1", "low-back-pain-acute", "acute", "start")
        store.enter_phase("P1", "low-back-pain-acute", "recovery", "test: start in recovery")
    flare = _answers(tmp_path, exercises={"all": 1, "glute-bridge": 7})
    result, out = _run(cli, db, flare)
    assert out["decision"]["action"] == "regress"
    assert out["decision"]["regressions"] == {"glute-bridge": "pelvic-tilt"}
    assert out["decision"]["reasons"] == ["pain during Bridge 7/10 is above 5/10 (rule pain-during-too-high): regress to pelvic-tilt"]
    bridge = next(e for e in out["next_plan"]["exercises"] if e["replaces"] == "glute-bridge")
    assert bridge["id"] == "pelvic-tilt"
    plan = cli("run", "low-back-pain-acute", "--patient", "P1", "--db", db, "--plan")
    assert "Pelvic tilt: 1 set x 10 reps, hold 5 s, 2 times a day, pain limit 3/10 (in place of glute-bridge)" in plan.stdout


def test_a_red_flag_stops_with_its_exit_code_and_is_recorded(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    answers = _answers(tmp_path, screening={"all": False, "bladder-bowel-saddle": True})
    result = cli("run", "low-back-pain-acute", "--patient", "P1", "--db", db, "--answers", answers)
    assert result.exit_code == 4
    assert "STOP: no exercise today." in result.stdout
    assert "go to an emergency department now" in result.stdout
    with Store(db) as store:
        (session,) = store.sessions("P1")
        assert (session.status, session.decision) == ("stopped", "refer-urgently")
        assert session.decision_detail == {"positives": ["bladder-bowel-saddle"]}
        assert ("screening", "bladder-bowel-saddle", True) in store.answers(session.id)


def test_no_improvement_over_the_review_period_asks_for_review(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    stuck = _answers(tmp_path, pain_before=5, pain_after=5, exercises={"all": 2})
    for _ in range(3):
        _run(cli, db, stuck)
    connection = sqlite3.connect(db)  # the same sessions, as if held over the past four weeks
    for number, (session_id,) in enumerate(connection.execute("SELECT id FROM sessions ORDER BY id").fetchall()):
        connection.execute("UPDATE sessions SET started = datetime('now', ?) WHERE id = ?", (f"-{28 - number} days", session_id))
    connection.commit()
    connection.close()
    result, out = _run(cli, db, stuck)
    assert out["decision"]["action"] == "stop-and-review"
    assert out["decision"]["reasons"] == ["time without improvement 4 weeks is above 3 weeks (rule no-improvement): stop-and-review"]


def test_a_missing_answer_names_the_key_and_keeps_the_answers_given(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    path = tmp_path / "partial.yaml"
    path.write_text(yaml.safe_dump({"screening": {"all": False}, "pain_before": 3}))
    result = cli("run", "neck-pain", "--patient", "P1", "--db", db, "--answers", str(path))
    assert result.exit_code == 1
    assert "no answer for 'exercises.diaphragmatic-breathing'; add it to the answers file." in result.stderr
    with Store(db) as store:
        (session,) = store.sessions("P1")
        assert session.pain_before == 3
        store.mark_unfinished_incomplete("P1")
        assert store.sessions("P1")[0].status == "incomplete"


def test_plan_shows_the_statement_and_records_nothing(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    result = cli("run", "neck-pain", "--patient", "P1", "--db", db, "--plan")
    assert result.exit_code == 0
    assert result.stdout.startswith("This plan assumes a clinician has examined you")
    assert "Today's plan: Neck pain without arm symptoms, phase Settle pain and keep the neck moving (acute)" in result.stdout
    with Store(db) as store:
        assert store.sessions("P1") == []


def test_unknown_protocol_and_bad_patient_id(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    assert cli("run", "neck-pian", "--patient", "P1", "--db", db, "--plan").exit_code == 1
    result = cli("run", "neck-pain", "--patient", "Jane Doe", "--db", db, "--plan")
    assert result.exit_code == 2 and "never a name" in result.stderr


def test_interactive_session_at_the_terminal(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    red_flags = 8  # neck-pain's screening questions
    typed = "n\n" * red_flags + "3\n" + "11\n2\n" + "2\n" * 4 + "3\n" + "n\n"  # 11 is refused and asked again
    result = cli("run", "neck-pain", "--patient", "P1", "--db", db, "--no-timer", input=typed)
    assert result.exit_code == 0, result.output
    assert "[1/5] Relaxed belly breathing: 1 set x 6 reps" in result.stdout  # the low end of 6-10 at the start
    assert "[5/5] Side-of-neck stretch" in result.stdout
    assert "Decision: continue" in result.stdout
    assert "Error: 11.0 is not in the range 0<=x<=10." in result.stderr
    with Store(db) as store:
        (session,) = store.sessions("P1")
        assert (session.status, session.pain_before, session.pain_after) == ("complete", 3, 3)


def test_ctrl_c_in_a_real_terminal_keeps_the_answers(tmp_path) -> None:
    import os
    import sys

    import pexpect

    from conftest import REPO, clean_env

    db = tmp_path / "s.db"
    child = pexpect.spawn(sys.executable, ["-m", "rehabkit", "run", "neck-pain", "--patient", "P1", "--db", str(db)],
                          cwd=str(REPO), env=clean_env(COLUMNS="100"), encoding="utf-8", timeout=60)
    for _ in range(8):
        child.expect(r"\[y/n\]")
        child.sendline("n")
    child.expect(r"Pain now, before exercise \(0-10\)")
    child.sendline("4")
    child.expect(r"Pain during Relaxed belly breathing \(0-10\)")
    child.sendline("2")
    child.expect(r"Pain during Shoulder rolls \(0-10\)")
    child.sendline("3")
    child.expect(r"set 1/1, rep 1/10: hold 5 s")  # Chin nod lying down: a countdown runs
    child.expect(r"\n\s+4\r?\n")
    child.sendintr()
    child.expect("marked incomplete")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert os.path.exists(db)
    with Store(db) as store:
        (session,) = store.sessions("P1")
        assert session.status == "incomplete" and session.pain_before == 4
        during = [(key, value) for kind, key, value in store.answers(session.id) if kind == "pain-during"]
        assert during == [("diaphragmatic-breathing", 2), ("shoulder-rolls", 3)]


def test_doses_move_up_their_range_within_limits_and_back_down_on_overload(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    _, first = _run(cli, db, _answers(tmp_path), "neck-pain")
    assert first["next_plan"]["dose_level"] == "high"
    stretch = next(e for e in first["next_plan"]["exercises"] if e["id"] == "upper-trapezius-stretch")
    assert stretch["dose_text"].startswith("1 set x 3 reps, hold 20 s")  # hold 15-20 s: the top of the range
    overload = _answers(tmp_path, "over.yaml", pain_before=2, pain_after=6)  # +4 over the pre-session level
    _, second = _run(cli, db, overload, "neck-pain")
    assert second["decision"]["action"] == "reduce-load"
    assert second["next_plan"]["dose_level"] == "low"
    stretch = next(e for e in second["next_plan"]["exercises"] if e["id"] == "upper-trapezius-stretch")
    assert stretch["dose_text"].startswith("1 set x 3 reps, hold 15 s")
