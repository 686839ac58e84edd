"""The session screen in a real terminal (pexpect): what a patient on the floor follows.

A short protocol (two-second holds) keeps the test quick: Enter before each
set and side, one updating countdown line per hold, a bell at its end, rest
timed between sets, a timed exercise counting minutes, colour for stops except
with NO_COLOR, and Ctrl-C still exit 130 with the answers kept.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest
import yaml

from rehabkit._sessions.store import Store

from conftest import CORPUS, REPO, SCREEN_WAIT, clean_env, ctrl_c_as_at_a_terminal, sign_in

DAY = "2026-11-02"


def _protocol(tmp_path: Path) -> Path:
    data = yaml.safe_load((CORPUS / "good" / "minimal.yaml").read_text(encoding="utf-8"))
    data["reviewed"] = str(data["reviewed"])
    data["exercises"].append(
        {
            "id": "walk",
            "name": "Easy walk {brisk}\u001b[2J",
            "component": "aerobic-conditioning",
            "region": "whole-spine",
            "steps": ["Walk at an easy pace."],
        }
    )
    data["phases"][0]["exercises"] = [
        {
            "exercise": "chin-tuck",
            "dose": {"sets": 2, "reps": 2, "hold_seconds": 2, "rest_seconds": 2, "relax_seconds": 1, "side": "each"},
        },
        {"exercise": "walk", "dose": {"duration_minutes": 1}},
    ]
    path = tmp_path / "screen.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _spawn(tmp_path: Path, protocol: Path, **env: str):
    sign_in(str(tmp_path / "s.db"))
    return pexpect.spawn(
        sys.executable,
        ["-m", "rehabkit", "run", str(protocol), "--patient", "P1", "--db", str(tmp_path / "s.db"), "--date", DAY],
        cwd=str(REPO),
        env=clean_env(COLUMNS="60", LINES="24", **env),
        encoding="utf-8",
        timeout=SCREEN_WAIT,
        preexec_fn=ctrl_c_as_at_a_terminal,
        dimensions=(24, 60),
    )


def test_holds_count_down_on_one_line_sets_wait_for_enter_and_rest_is_timed(tmp_path) -> None:
    protocol = _protocol(tmp_path)
    child = _spawn(tmp_path, protocol)
    for _ in range(2):
        child.expect(r"\[y/n")
        child.sendline("n")
    child.expect(r"Pain now, before exercise")
    child.sendline("1")
    child.expect(r"This plan assumes|Chin tuck")
    seen = ""
    for side in ("left side", "right side"):
        child.expect(rf"Press Enter to start set 1/2, {side}")
        child.sendline("")
        child.expect(rf"set 1/2, {side} · rep 2/2 · hold 0 s")
        seen += child.before + child.after
    child.expect(r"Rest 0 s before the next set")
    seen += child.before + child.after
    for side in ("left side", "right side"):
        child.expect(rf"Press Enter to start set 2/2, {side}")
        child.sendline("")
    child.expect(r"Done: Chin tuck")
    # One line per hold, rewritten in place each second: "\r" between the seconds, not a new line for each.
    assert "\r  set 1/2, right side · rep 1/2 · hold 1 s" in seen
    assert "hold 2 s\n" not in seen and "hold 1 s\n" not in seen
    assert "\a" in seen  # the bell at the end of a hold
    assert "\r  Rest 1 s before the next set" in seen
    child.expect(r"Pain during Chin tuck \(0-10\)")
    assert "\x1b[2J" not in child.before
    child.sendline("1")
    child.expect(r"Press Enter to start set 1/1")
    child.sendline("")
    # A timed exercise counts minutes and seconds; its name, pack text, is shown (braces and all), never sent raw.
    child.expect_exact("Easy walk {brisk}\\x1b[2J: 0:59 left")
    child.sendintr()
    child.expect("marked incomplete")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    with Store(tmp_path / "s.db") as store:
        (session,) = store.sessions("P1")
        assert session.status == "incomplete" and session.pain_before == 1


@pytest.mark.parametrize("no_color", [False, True])
def test_a_stop_is_in_colour_on_a_terminal_unless_no_color(tmp_path, no_color) -> None:
    protocol = _protocol(tmp_path)
    child = _spawn(tmp_path, protocol, **({"NO_COLOR": "1"} if no_color else {}))
    child.expect(r"\[y/n")
    child.sendline("y")  # the urgent question: the session stops
    child.expect(pexpect.EOF)
    child.close()
    text = child.before
    assert "STOP: seek medical help now" in text
    assert ("\x1b[31m" in text) is (not no_color)
    assert child.exitstatus == 5


def test_text_is_wrapped_to_the_terminal(tmp_path) -> None:
    protocol = _protocol(tmp_path)
    child = _spawn(tmp_path, protocol, NO_COLOR="1")
    child.expect(r"\[y/n")
    child.sendline("y")
    child.expect(pexpect.EOF)
    child.close()
    lines = [
        line for line in child.before.replace("\r", "").split("\n") if line and not line.startswith(("Is your", "y"))
    ]
    assert lines and max(len(line) for line in lines) <= 60


# --- issue 26: the patient's screen at a real terminal ---------------------------------------------------------


def _course(tmp_path: Path, exercises: list[dict], own: tuple[dict, ...] = (), **changes: object) -> Path:
    """The minimal protocol with ``exercises`` in its phase (and ``own`` exercises of its own), changed by
    ``changes`` (a key of the protocol -> its new value)."""
    data = yaml.safe_load((CORPUS / "good" / "minimal.yaml").read_text(encoding="utf-8"))
    data["reviewed"] = str(data["reviewed"])
    data["exercises"].extend(own)
    data["phases"][0]["exercises"] = exercises
    data.update(changes)
    path = tmp_path / "course.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _run(tmp_path: Path, protocol: Path, columns: int = 60):
    sign_in(str(tmp_path / "s.db"))
    return pexpect.spawn(
        sys.executable,
        ["-m", "rehabkit", "run", str(protocol), "--patient", "P1", "--db", str(tmp_path / "s.db"), "--date", DAY],
        cwd=str(REPO),
        env=clean_env(COLUMNS=str(columns), LINES="24", NO_COLOR="1"),
        encoding="utf-8",
        timeout=SCREEN_WAIT,
        preexec_fn=ctrl_c_as_at_a_terminal,
        dimensions=(24, columns),
    )


def _screened(child, pain: str = "1") -> None:
    """No to both red-flag questions, then pain before exercise."""
    for _ in range(2):
        child.expect(r"\[y/n")
        child.sendline("n")
    child.expect(r"Pain now, before exercise \(0-10\)")
    child.sendline(pain)


def _finish(child, status: int = 0) -> None:
    """Pain after, no new symptom, and the command's end."""
    child.expect(r"Pain now, after the session \(0-10\)")
    child.sendline("1")
    child.expect(r"\[y/n\]")
    child.sendline("n")
    child.expect("Decision")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == status


def _answers(tmp_path: Path) -> list[tuple[str, str, object]]:
    with Store(tmp_path / "s.db") as store:
        (session,) = store.sessions("P1")
        return store.answers(session.id)


def test_keys_pressed_during_a_rest_never_answer_a_later_prompt(tmp_path) -> None:
    """Issue 26, finding 9: Enter and q pressed during "Rest 30 s" once started and finished the next set by
    themselves. A count reads keys without echo and ignores any it does not know; s skips the rest; keys are
    discarded before each prompt, so the next set waits for the patient, who can stop the exercise there (x). The
    stop shows in history and earns the exercise no dose step (one calm session would have earned one)."""
    dose = {"sets": 2, "reps": {"min": 1, "max": 3, "step": 1}, "hold_seconds": 1, "rest_seconds": 30}
    dose["sessions_per_step"] = 1
    child = _run(tmp_path, _course(tmp_path, [{"exercise": "chin-tuck", "dose": dose}]))
    _screened(child)
    child.expect("Keys while a count runs: space pause")
    child.expect(r"Press Enter to start set 1/2")
    child.sendline("")
    child.expect(r"Rest 30 s before the next set")
    child.send("\rq\r")  # what the patient pressed while resting: never an answer
    child.send("s")  # skip the rest
    child.expect(r"\(skipped\)")
    child.expect(r"Press Enter to start set 2/2")
    # Had the Enter pressed during the rest answered this prompt, set 2 would be running and "x" would answer the
    # pain question instead of stopping the exercise here.
    child.sendline("x")
    child.expect(r"Stopped part-way: Chin tuck, after 1 of 2 sets\.")
    assert "rep 1/1 · hold" not in child.before
    child.expect(r"Pain during Chin tuck \(0-10\)")
    child.sendline("2")
    _finish(child)
    answers = _answers(tmp_path)
    assert ("stopped-part-way", "chin-tuck", {"sets_done": 1, "sets": 2}) in answers
    assert ("pain-during", "chin-tuck", 2) in answers
    db = str(tmp_path / "s.db")
    history = subprocess.run(
        [sys.executable, "-m", "rehabkit", "history", "P1", "--db", db], capture_output=True, text=True, env=clean_env()
    )
    assert "stopped part-way: chin-tuck, 1 of 2 sets done" in history.stdout, history.stdout + history.stderr
    plan = subprocess.run(
        [sys.executable, "-m", "rehabkit", "run", str(tmp_path / "course.yaml"), "--patient", "P1", "--db", db,
         "--plan", "--format", "json", "--date", "2026-11-03"],
        capture_output=True, text=True, env=clean_env(),
    )  # fmt: skip
    assert json.loads(plan.stdout)["exercises"][0]["step"] == 0, plan.stderr


def test_space_pauses_a_hold_and_x_stops_the_exercise_part_way(tmp_path) -> None:
    """Issue 26, finding 9: the patient pauses a count and goes on, or stops an exercise part-way during a hold;
    the stop is recorded through the course service with how far the patient got."""
    dose = {"sets": 2, "reps": 2, "hold_seconds": 30, "relax_seconds": 1}
    child = _run(tmp_path, _course(tmp_path, [{"exercise": "chin-tuck", "dose": dose}]))
    _screened(child)
    child.expect(r"Press Enter to start set 1/2")
    child.sendline("")
    child.expect(r"set 1/2 · rep 1/2 · hold 30 s")
    child.send(" ")
    child.expect(r"Paused: press space to go on")
    child.send("\r")  # Enter does not end the pause
    child.send(" ")
    child.expect(r"set 1/2 · rep 1/2 · hold 2\d s")  # counting again from where it stood
    child.send("x")
    child.expect(r"Stopped part-way: Chin tuck, after 0 of 2 sets\.")
    child.expect(r"Pain during Chin tuck \(0-10\)")
    child.sendline("1")
    _finish(child)
    assert ("stopped-part-way", "chin-tuck", {"sets_done": 0, "sets": 2}) in _answers(tmp_path)


def test_holds_are_separated_by_a_relaxation_pause_from_the_clinical_policy(tmp_path) -> None:
    """Issue 26, finding 10: holds ran back to back with under a second between them although the steps say "then
    relax fully". Between the holds of a set the screen counts down a relaxation: the dose's relax_seconds, else
    the clinical policy's session.relax_seconds_between_holds (5 s)."""
    child = _run(tmp_path, _course(tmp_path, [{"exercise": "chin-tuck", "dose": {"reps": 2, "hold_seconds": 1}}]))
    _screened(child)
    child.expect(r"Press Enter to start set 1/1")
    child.sendline("")
    child.expect(r"rep 1/2 · hold 0 s")
    child.expect(r"Relax fully 5 s before the next hold")
    between = child.before + child.after
    child.expect(r"Relax fully 0 s before the next hold")
    between += child.before + child.after
    child.expect(r"rep 2/2 · hold 0 s")
    assert "\r  Relax fully 1 s before the next hold" in between and "rep 2/2" not in between
    child.expect(r"Done: Chin tuck")
    assert "Relax fully" not in child.before  # none after the last hold
    child.expect(r"Pain during Chin tuck \(0-10\)")
    child.sendline("1")
    _finish(child)


def test_pain_above_the_limit_reported_during_the_sets_stops_the_exercise_at_once(tmp_path) -> None:
    """Issue 26, finding 10: pain during an exercise was asked only after it ended, so "stop it for today" came too
    late. h during a count asks the pain at once: within the limit, the count goes on; above it, the exercise stops
    for today, the pain and the stop are recorded, and the pain question is not asked again at its end."""
    exercises = [
        {"exercise": "chin-tuck", "dose": {"sets": 2, "reps": 2, "hold_seconds": 30, "pain_limit": 3}},
        {"exercise": "walk", "dose": {"duration_minutes": 1}},
    ]
    walk = {
        "id": "walk",
        "name": "Easy walk",
        "component": "aerobic-conditioning",
        "region": "whole-spine",
        "steps": ["Walk at an easy pace."],
    }
    child = _run(tmp_path, _course(tmp_path, exercises, (walk,)))
    _screened(child)
    child.expect(r"Press Enter to start set 1/2")
    child.sendline("")
    child.expect(r"set 1/2 · rep 1/2 · hold 30 s")
    child.send("h")
    child.expect(r"Pain now, during Chin tuck \(0-10\)")
    child.sendline("2")
    child.expect(r"within this exercise's limit: go on gently")
    child.expect(r"set 1/2 · rep 1/2 · hold \d+ s")  # the hold goes on
    child.send("h")
    child.expect(r"Pain now, during Chin tuck \(0-10\)")
    child.sendline("5")
    child.expect(r"That is above this exercise's limit of 3/10: stop it\s+for\s+today")
    child.expect(r"\[2/2\] Easy walk")  # straight on to the next exercise: no second pain question for Chin tuck
    assert "Pain during Chin tuck" not in child.before
    child.expect(r"Press Enter to start set 1/1")
    child.sendline("x")
    child.expect(r"Pain during Easy walk \(0-10\)")
    child.sendline("1")
    _finish(child)
    answers = _answers(tmp_path)
    assert [value for kind, key, value in answers if kind == "pain-during" and key == "chin-tuck"] == [2, 5]
    assert ("stopped-part-way", "chin-tuck", {"sets_done": 0, "sets": 2}) in answers
    with Store(tmp_path / "s.db") as store:
        (session,) = store.sessions("P1")
        assert session.status == "complete" and session.detail["within_limits"] is False


LONG_QUESTION = (
    "Have weeks of regular exercise brought no improvement at all, or does your physiotherapist not know yet "
    "whether the exercises have helped you?"
)


def test_questions_wrap_at_word_boundaries_and_wrong_answers_are_explained_in_patient_words(tmp_path) -> None:
    """Issue 26, finding 11: at 90 columns a question broke mid-word ("does not kn/ow yet"); "maybe" met
    "Error: invalid input" and 11 "Error: 11.0 is not in the range 0<=x<=10.". Questions wrap at word boundaries
    to the window, and an answer the screen cannot take is explained in words a patient reads."""
    data = yaml.safe_load((CORPUS / "good" / "minimal.yaml").read_text(encoding="utf-8"))
    flags = data["red_flags"]
    flags[1]["question"] = LONG_QUESTION
    child = _run(tmp_path, _course(tmp_path, data["phases"][0]["exercises"], red_flags=flags), columns=90)
    child.expect(r"\[y/n")
    child.sendline("n")
    child.expect(r"\[y/n, \? if not sure\] ")
    shown = [line for line in (child.before + child.after).replace("\r", "").split("\n") if line.strip()]
    question = shown[-2:] if len(shown) >= 2 else shown
    assert max(len(line) for line in question) < 90
    assert " ".join(line.strip() for line in question) == LONG_QUESTION + " [y/n, ? if not sure]"
    child.sendline("perhaps")
    child.expect(r"Please answer y for yes, n for no, or \? if you are not sure\.")
    child.sendline("n")
    child.expect(r"Pain now, before exercise \(0-10\)")
    for typed, told in (
        ("11", r"11 is more than 10: 10 is the worst pain imaginable\. Please type a number from 0 to 10\."),
        ("a lot", r"Please type a number from 0 \(no pain\) to 10 \(the worst pain imaginable\), for example 3\."),
        ("-1", r"Pain cannot be below 0 \(no pain\)\."),
    ):
        child.sendline(typed)
        child.expect(told)
    child.sendline("2")
    child.expect(r"Press Enter to start set 1/1")
    assert "Error" not in child.before
    child.sendline("x")
    child.expect(r"Pain during Chin tuck \(0-10\)")
    child.sendline("10.5")
    child.expect(r"10\.5 is more than 10")
    child.sendline("1")
    _finish(child)


def test_not_sure_to_a_red_flag_question_counts_as_yes_and_is_recorded_as_not_sure(tmp_path) -> None:
    """Issue 26, finding 11: "not sure" to a red-flag question is accepted, taken as the cautious answer (yes: this
    question stops the session for review) and recorded as not sure."""
    child = _run(tmp_path, _course(tmp_path, [{"exercise": "chin-tuck", "dose": {"reps": 2}}]))
    child.expect(r"\[y/n")
    child.sendline("n")
    child.expect(r"Have weeks of exercise brought no improvement\?\s+\[y/n, \? if not sure\]")
    child.sendline("not sure")
    child.expect(r"Not sure counts as a yes, to be safe")
    child.expect("STOP: no exercise today")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 4
    assert ("screening", "no-better", "not-sure") in _answers(tmp_path)


def test_an_exercise_whose_steps_alternate_sides_is_not_asked_left_then_right(tmp_path) -> None:
    """Issue 26, finding 12: an exercise done on each side whose steps already alternate (sides: alternating) is
    guided once per set, its holds alternating left and right, rather than prompted left side then right side; an
    exercise without the field is still done one side, then the other."""
    reach = {
        "id": "alternate-reach",
        "name": "Alternate reach",
        "component": "core-and-spinal-strengthening",
        "region": "lumbar",
        "sides": "alternating",
        "steps": ["Reach one arm forward.", "Return and repeat with the other arm."],
    }
    march = {**reach, "id": "alternate-march", "name": "Alternate march", "steps": ["Lift one knee, then the other."]}
    exercises = [
        {"exercise": "alternate-reach", "dose": {"reps": 2, "hold_seconds": 1, "relax_seconds": 0, "side": "each"}},
        {"exercise": "alternate-march", "dose": {"reps": 4, "side": "each"}},
        {"exercise": "chin-tuck", "dose": {"reps": 3, "side": "each"}},
    ]
    child = _run(tmp_path, _course(tmp_path, exercises, (reach, march)))
    _screened(child)
    child.expect(r"Press Enter to start set 1/1")
    child.sendline("")
    seen = child.before + child.after
    for turn in ("rep 1/2 · left side", "rep 1/2 · right side", "rep 2/2 · left side", "rep 2/2 · right side"):
        child.expect(rf"set 1/1 · {turn} · hold 0 s")
        seen += child.before + child.after
    child.expect(r"Pain during Alternate reach")
    child.sendline("1")
    child.expect(r"Press Enter to start set 1/1")
    seen += child.before + child.after
    child.sendline("")
    child.expect(r"Do 4 reps on each side, changing sides each time,\s+then\s+press Enter")
    child.sendline("")
    child.expect(r"Pain during Alternate march")
    seen += child.before + child.after
    assert "start set 1/1, left side" not in seen and "start set 1/1, right side" not in seen
    child.sendline("1")
    for side in ("left side", "right side"):  # the default: separately, one side then the other
        child.expect(rf"Press Enter to start set 1/1, {side}")
        child.sendline("")
        child.expect(r"Do 3 reps at your own pace, then press Enter")
        child.sendline("")
    child.expect(r"Pain during Chin tuck")
    child.sendline("1")
    _finish(child)


def test_the_shipped_exercises_whose_steps_alternate_say_so() -> None:
    """Issue 26, finding 12: the library's exercises done on each side whose steps change sides each repetition."""
    data = yaml.safe_load((REPO / "protocols" / "exercises" / "spine-exercises.yaml").read_text(encoding="utf-8"))
    alternating = {e["id"] for e in data["exercises"] if e.get("sides") == "alternating"}
    assert alternating == {
        "dead-bug",
        "bird-dog",
        "chin-tuck-with-rotation",
        "neck-active-range",
        "lower-trunk-rotation",
        "heel-slides",
    }
    each = {e["id"] for e in data["exercises"] if (e.get("dose") or {}).get("side") == "each"}
    assert alternating <= each


def test_an_answers_file_may_say_not_sure_to_a_red_flag_question(cli, tmp_path) -> None:
    """Issue 26, finding 11: an answers file says `not-sure` as a patient at the terminal says "not sure": taken as
    yes (this question stops the session for review), recorded as not sure; any other word is refused, naming
    what the file may say."""
    protocol = _course(tmp_path, [{"exercise": "chin-tuck", "dose": {"reps": 2}}])
    db = str(tmp_path / "s.db")
    answers = tmp_path / "answers.yaml"
    answers.write_text("screening: {worse: no, no-better: maybe}\npain_before: 1\n", encoding="utf-8")
    refused = cli("run", str(protocol), "--patient", "P1", "--db", db, "--answers", str(answers), "--date", DAY)
    assert refused.exit_code == 2 and "must be yes, no or not-sure (got 'maybe')" in refused.stderr
    answers.write_text("screening: {worse: no, no-better: not-sure}\npain_before: 1\n", encoding="utf-8")
    stopped = cli("run", str(protocol), "--patient", "P1", "--db", db, "--answers", str(answers), "--date", DAY)
    assert stopped.exit_code == 4, stopped.output
    assert "Have weeks of exercise brought no improvement? not sure" in stopped.stdout
    assert "Not sure counts as a yes, to be safe" in stopped.stdout
    with Store(tmp_path / "s.db") as store:
        session = store.sessions("P1")[-1]
        assert ("screening", "no-better", "not-sure") in store.answers(session.id)
