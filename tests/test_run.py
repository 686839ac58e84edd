"""Single sessions through `rehabkit run` on a real store file: answers, plans, what the patient sees, interruptions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from rehabkit._sessions.store import Store

from conftest import CORPUS

DAY = "2026-11-02"


def _answers(tmp_path: Path, name: str = "a.yaml", **overrides) -> str:
    data = {
        "screening": {"all": False},
        "pain_before": 2,
        "exercises": {"all": 1},
        "pain_after": 2,
        "new_symptom": False,
    }
    data.update(overrides)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return str(path)


def _approve(cli, db: str, protocol: str = "neck-pain", patient: str = "P1") -> None:
    result = cli(
        "approve",
        patient,
        "--protocol",
        protocol,
        "--phase",
        "acute",
        "--by",
        "PT-1",
        "--date",
        "2026-11-01",
        "--db",
        db,
    )
    assert result.exit_code == 0, result.output


def test_a_session_shows_what_matters_before_each_exercise(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    _approve(cli, db)
    result = cli("run", "neck-pain", "--patient", "P1", "--db", db, "--answers", _answers(tmp_path), "--date", DAY)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("This plan assumes a clinician has examined you")
    assert "Cautions that apply to you now:" in out
    assert "[3/5] Chin nod lying down: 1 set x 10 reps, hold 5 s, 2 times a day, pain limit 3/10" in out
    assert "  You need: A thin folded towel under the head" in out
    assert "  Avoid if: Dizziness or a headache brought on by the exercise." in out
    assert "  Tip: Keep breathing normally." in out
    assert "Decision: carry on" in out
    assert "neck-pain" not in out.split("Decision:")[1]  # plain words, no ids, in what the patient reads


def test_the_phase_note_is_shown_with_its_exercise(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    _approve(cli, db, "low-back-pain-acute")
    result = cli(
        "run", "low-back-pain-acute", "--patient", "P1", "--db", db, "--answers", _answers(tmp_path), "--date", DAY
    )
    assert result.exit_code == 0, result.output
    assert "  Note: Short, frequent walks on level ground." in result.stdout


def test_a_red_flag_stops_with_its_exit_code_and_is_recorded(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    _approve(cli, db, "low-back-pain-acute")
    answers = _answers(tmp_path, screening={"all": False, "spreading-pain": True})
    result = cli("run", "low-back-pain-acute", "--patient", "P1", "--db", db, "--answers", answers, "--date", DAY)
    assert result.exit_code == 4
    assert "STOP: no exercise today." in result.stdout
    with Store(db) as store:
        (session,) = store.sessions("P1")
        assert (session.status, session.decision) == ("stopped", "stop-and-review")
        assert session.decision_detail["positives"] == ["spreading-pain"]
        assert ("screening", "spreading-pain", True) in store.answers(session.id)


def test_an_urgent_yes_ends_screening_at_once_with_the_emergency_message(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    _approve(cli, db, "low-back-pain-acute")
    path = tmp_path / "urgent.yaml"
    path.write_text(yaml.safe_dump({"screening": {"bladder-bowel-saddle": True}}))  # nothing else answered
    result = cli("run", "low-back-pain-acute", "--patient", "P1", "--db", db, "--answers", str(path), "--date", DAY)
    assert result.exit_code == 5, result.output
    assert "STOP: seek medical help now." in result.stdout
    assert "emergency department" in result.stdout
    with Store(db) as store:
        (session,) = store.sessions("P1")
        assert [key for kind, key, _ in store.answers(session.id)] == ["bladder-bowel-saddle"]


def test_a_missing_answer_names_the_key_and_keeps_the_answers_given(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    _approve(cli, db)
    path = tmp_path / "partial.yaml"
    path.write_text(yaml.safe_dump({"screening": {"all": False}, "pain_before": 3}))
    result = cli("run", "neck-pain", "--patient", "P1", "--db", db, "--answers", str(path), "--date", DAY)
    assert result.exit_code == 2
    assert "no answer for 'exercises.diaphragmatic-breathing'; add it to the answers file." in result.stderr
    with Store(db) as store:
        (session,) = store.sessions("P1")
        assert session.pain_before == 3
        assert session.status == "incomplete"  # at once, as when the patient stops; never left in progress


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (
            {"screening": {"all": False, "numbness-weaknes": True}},
            "names an unknown screening question 'numbness-weaknes'. Did you mean 'numbness-weakness'?",
        ),
        ({"screening": {"all": False}, "pain_befor": 2}, "unknown key 'pain_befor'. Did you mean 'pain_before'?"),
        (
            {"screening": {"all": False}, "exercises": {"all": 1, "chin-tuk": 6}},
            "names an unknown exercise 'chin-tuk'. Did you mean 'chin-tuck'?",
        ),
        ({"screening": "no"}, "'screening' must map each screening question id (or 'all') to an answer"),
        (["not", "a", "mapping"], "an answers file is a mapping with the keys screening, pain_before"),
    ],
)
def test_an_answers_file_is_strict_and_nothing_is_recorded(cli, tmp_path, data, words) -> None:
    db = str(tmp_path / "s.db")
    _approve(cli, db)
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(data))
    result = cli("run", "neck-pain", "--patient", "P1", "--db", db, "--answers", str(path), "--date", DAY)
    assert result.exit_code == 2, result.output
    assert words in result.stderr
    with Store(db) as store:
        assert store.sessions("P1") == []


def test_plan_shows_the_statement_and_records_nothing(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    _approve(cli, db)
    result = cli("run", "neck-pain", "--patient", "P1", "--db", db, "--plan")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("This plan assumes a clinician has examined you")
    assert "Today's plan: Neck pain without arm symptoms, phase Settle pain and keep the neck moving" in result.stdout
    new = cli("run", "neck-pain", "--patient", "NEW-1", "--db", db, "--plan")
    assert new.exit_code == 7  # the first phase's gate asks for the clinician's approval
    with Store(db) as store:
        assert store.sessions("P1") == [] and not store.has_patient("NEW-1")
        assert [e.kind for e in store.events("P1")] == ["approval"]
    recording = cli("run", "neck-pain", "--patient", "P1", "--db", db, "--plan", "--surgery-date", "2026-11-01")
    assert recording.exit_code == 2 and "--plan records nothing" in recording.stderr
    moved = cli("run", "neck-pain", "--patient", "P1", "--db", db, "--surgeon-cleared")
    assert moved.exit_code == 2 and "rehabkit approve" in moved.stderr  # approvals belong to approve


def test_unknown_protocol_bad_patient_id_and_future_dates(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    assert cli("run", "neck-pian", "--patient", "P1", "--db", db, "--plan").exit_code == 1
    result = cli("run", "neck-pain", "--patient", "Jane Doe", "--db", db, "--answers", _answers(tmp_path))
    assert result.exit_code == 2 and "never a name" in result.stderr
    future = cli(
        "run", "neck-pain", "--patient", "P1", "--db", db, "--answers", _answers(tmp_path), "--date", "2999-01-01"
    )
    assert future.exit_code == 2 and "is in the future" in future.stderr
    surgery = cli(
        "run",
        "post-surgical-lumbar",
        "--patient",
        "P1",
        "--db",
        db,
        "--answers",
        _answers(tmp_path),
        "--date",
        DAY,
        "--surgery-date",
        "2026-11-05",
    )
    assert surgery.exit_code == 2 and "a surgery date cannot be in the future" in surgery.stderr
    with Store(db) as store:
        assert not store.has_patient("P1")


def test_a_protocol_with_lint_errors_is_refused_but_an_author_can_preview_a_clean_file(cli, tmp_path) -> None:
    data = yaml.safe_load((CORPUS / "good" / "minimal.yaml").read_text())
    data["reviewed"] = str(data["reviewed"])
    clean = tmp_path / "mine.yaml"
    clean.write_text(yaml.safe_dump(data))
    db = str(tmp_path / "s.db")
    preview = cli("run", str(clean), "--patient", "T1", "--db", db, "--plan")
    assert preview.exit_code == 0, preview.output
    assert "Today's plan: Minimal test protocol, phase Acute" in preview.stdout
    ran = cli("run", str(clean), "--patient", "T1", "--db", db, "--answers", _answers(tmp_path), "--date", DAY)
    assert ran.exit_code == 0, ran.output
    assert cli("show", str(clean)).stdout.startswith(f"Minimal test protocol  (corpus-minimal 0.1.0, file {clean})")
    data["red_flags"] = data["red_flags"][:1]  # no longer screens for "no improvement" (RK301)
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(data))
    refused = cli("run", str(broken), "--patient", "T1", "--db", db, "--plan")
    assert refused.exit_code == 1
    assert "has lint errors, so it is not run for patients" in refused.stderr and "RK301" in refused.stderr
    shown = cli("show", str(broken))
    assert shown.exit_code == 0 and "RK301" in shown.stderr  # authors can still read it


def test_interactive_session_at_the_terminal(cli, tmp_path) -> None:
    from rehabkit._documents.loader import load_file

    from conftest import PROTOCOLS

    db = str(tmp_path / "s.db")
    _approve(cli, db)
    red_flags = len(load_file(str(PROTOCOLS / "neck" / "neck-pain.yaml")).data["red_flags"])
    typed = "n\n" * red_flags + "3\n" + "11\n2\n" + "2\n" * 4 + "3\n" + "n\n"  # 11 is refused and asked again
    result = cli("run", "neck-pain", "--patient", "P1", "--db", db, "--no-timer", "--date", DAY, input=typed)
    assert result.exit_code == 0, result.output
    assert "[1/5] Relaxed belly breathing: 1 set x 6 reps, 2 times a day, pain limit 2/10" in result.stdout
    assert "[5/5] Side-of-neck stretch" in result.stdout
    assert "Decision: carry on" in result.stdout
    assert "11 is more than 10: 10 is the worst pain imaginable. Please type a number from 0 to 10." in result.stderr
    with Store(db) as store:
        (session,) = store.sessions("P1")
        assert (session.status, session.pain_before, session.pain_after) == ("complete", 3, 3)
        assert session.date.isoformat() == DAY


def test_end_of_input_at_a_prompt_exits_130_and_keeps_the_answers(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    _approve(cli, db)
    result = cli("run", "neck-pain", "--patient", "P1", "--db", db, "--no-timer", "--date", DAY, input="n\nn\n")
    assert result.exit_code == 130
    assert "Your answers so far are saved; it is marked incomplete." in result.stderr
    with Store(db) as store:
        (session,) = store.sessions("P1")
        assert session.status == "incomplete"
        assert [key for _, key, _ in store.answers(session.id)] == ["numbness-weakness", "spreading-pain"]


def _spawn(args: list[str], tmp_path: Path):
    import sys

    import pexpect

    from conftest import REPO, SCREEN_WAIT, clean_env, ctrl_c_as_at_a_terminal

    return pexpect.spawn(
        sys.executable,
        ["-m", "rehabkit", *args],
        cwd=str(REPO),
        env=clean_env(COLUMNS="100"),
        encoding="utf-8",
        timeout=SCREEN_WAIT,
        preexec_fn=ctrl_c_as_at_a_terminal,
    )


def _interrupt(child, *, at_prompt: bool = True) -> None:
    """Ctrl-C in the terminal: the session says it kept the answers and exits with 130.

    At a prompt the test first waits until the process reads the terminal (see conftest); during a countdown the
    process never blocks in such a read (it waits on a timer), and a Ctrl-C there lands at once."""
    import pexpect

    from conftest import wait_until_reading_the_terminal

    if at_prompt:
        wait_until_reading_the_terminal(child.pid)
    child.sendintr()
    child.expect("marked incomplete")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130


def test_ctrl_c_in_a_real_terminal_keeps_the_answers(cli, tmp_path) -> None:
    db = tmp_path / "s.db"
    _approve(cli, str(db))
    child = _spawn(["run", "neck-pain", "--patient", "P1", "--db", str(db), "--date", DAY], tmp_path)
    child.expect("Red-flag screening")
    for _ in range(20):
        index = child.expect([r"\[y/n", r"Pain now, before exercise \(0-10\)"])
        if index == 1:
            break
        child.sendline("n")
    child.sendline("4")
    for exercise, pain in (("Relaxed belly breathing", "2"), ("Shoulder rolls", "3")):
        child.expect(r"Press Enter to start set 1/1")  # the screen waits for the patient before each set
        child.sendline("")
        child.expect(r"reps at your own pace, then press Enter")  # reps without a hold are the patient's pace
        child.sendline("")
        child.expect(rf"Pain during {exercise} \(0-10\)")
        child.sendline(pain)
    child.expect(r"Press Enter to start set 1/1")
    child.sendline("")
    child.expect(r"set 1/1 · rep 1/10 · hold 4 s")  # Chin nod lying down: a countdown runs
    _interrupt(child, at_prompt=False)
    with Store(db) as store:
        (session,) = store.sessions("P1")
        assert session.status == "incomplete" and session.pain_before == 4
        during = [(key, value) for kind, key, value in store.answers(session.id) if kind == "pain-during"]
        assert during == [("diaphragmatic-breathing", 2), ("shoulder-rolls", 3)]


def test_ctrl_c_at_a_screening_prompt_in_a_real_terminal(cli, tmp_path) -> None:
    db = tmp_path / "s.db"
    _approve(cli, str(db))
    child = _spawn(["run", "neck-pain", "--patient", "P1", "--db", str(db), "--date", DAY], tmp_path)
    child.expect(r"\[y/n")
    child.sendline("n")
    child.expect(r"\[y/n")
    _interrupt(child)
    with Store(db) as store:
        (session,) = store.sessions("P1")
        assert session.status == "incomplete"
        assert [key for _, key, _ in store.answers(session.id)] == ["numbness-weakness"]


def test_json_outcome_carries_ids_and_plain_reasons(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    _approve(cli, db)
    result = cli(
        "run",
        "neck-pain",
        "--patient",
        "P1",
        "--db",
        db,
        "--answers",
        _answers(tmp_path),
        "--date",
        DAY,
        "--format",
        "json",
    )
    out = json.loads(result.stdout)
    assert out["status"] == "active" and out["decision"]["action"] == "continue"
    detail = {d["measure"]: d for d in out["decision"]["details"]}
    assert detail["consecutive-sessions-within-limits"]["value"] == 1
    assert detail["weeks-in-phase"]["needs"] == "at least 1 week"
    assert out["next_plan"]["exercises"][0]["id"] == "diaphragmatic-breathing"


def test_an_installed_protocol_with_lint_errors_is_marked_and_never_runs(rehabkit, tmp_path) -> None:
    listed = rehabkit("list", packs=["lint-errors"])
    assert listed.returncode == 0
    assert "unsafe-neck (!)" in listed.stdout
    assert "unsafe-neck 0.1.0 has lint errors (RK301, RK302) and does not run for patients" in listed.stderr
    data = json.loads(rehabkit("list", "--format", "json", packs=["lint-errors"]).stdout)
    assert next(r for r in data if r["id"] == "unsafe-neck")["lint_errors"] == ["RK301", "RK302"]
    shown = rehabkit("show", "unsafe-neck", packs=["lint-errors"])  # shown in full, and marked as list marks it
    assert shown.returncode == 0 and "unsafe-neck" in shown.stdout
    assert "(!) unsafe-neck@0.1.0 has lint errors (RK301, RK302) and does not run for patients" in shown.stderr
    db = str(tmp_path / "s.db")
    for extra in (("--plan",), ("--answers", _answers(tmp_path))):
        refused = rehabkit("run", "unsafe-neck", "--patient", "P1", "--db", db, *extra, packs=["lint-errors"])
        assert refused.returncode == 1, refused.stderr
        assert (
            "unsafe-neck@0.1.0 (pack test-lint-errors) has lint errors, so it is not run for patients" in refused.stderr
        )
        assert "RK301" in refused.stderr
    assert not Path(db).exists() or not Store(db).has_patient("P1")


def test_odd_text_at_a_pain_prompt_is_refused_and_asked_again(cli, tmp_path) -> None:
    """Issue 29, finding 2: '²', 'nan', a 5,000-digit number or an escape sequence at the session's pain prompt
    is explained and asked again (exit 0 once a number is typed); an Arabic-Indic three is read as 3."""
    from rehabkit._documents.loader import load_file

    from conftest import PROTOCOLS

    db = str(tmp_path / "s.db")
    _approve(cli, db)
    red_flags = len(load_file(str(PROTOCOLS / "neck" / "neck-pain.yaml")).data["red_flags"])
    odd = ["\u00b2", "nan", "1e400", "9" * 5000, "\x1b[2J", "1_0"]
    typed = "n\n" * red_flags + "\n".join(odd) + "\n\u0663\n" + "2\n" * 5 + "3\n" + "n\n"
    result = cli("run", "neck-pain", "--patient", "P1", "--db", db, "--no-timer", "--date", DAY, input=typed)
    assert result.exit_code == 0, result.output
    told = "Please type a number from 0 (no pain) to 10 (the worst pain imaginable), for example 3."
    assert result.stderr.count(told) == 5
    assert "That is more than 10: 10 is the worst pain imaginable." in result.stderr  # 5,000 nines, not repeated
    with Store(db) as store:
        (session,) = store.sessions("P1")
        assert (session.status, session.pain_before) == ("complete", 3)
