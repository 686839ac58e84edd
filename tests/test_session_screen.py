"""The session screen in a real terminal (pexpect): what a patient on the floor follows.

A short protocol (two-second holds) keeps the test quick: Enter before each
set and side, one updating countdown line per hold, a bell at its end, rest
timed between sets, a timed exercise counting minutes, colour for stops except
with NO_COLOR, and Ctrl-C still exit 130 with the answers kept.
"""

from __future__ import annotations

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
        {"exercise": "chin-tuck", "dose": {"sets": 2, "reps": 2, "hold_seconds": 2, "rest_seconds": 2, "side": "each"}},
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
        child.expect(r"\[y/n\]")
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
    child.expect(r"\[y/n\]")
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
    child.expect(r"\[y/n\]")
    child.sendline("y")
    child.expect(pexpect.EOF)
    child.close()
    lines = [
        line for line in child.before.replace("\r", "").split("\n") if line and not line.startswith(("Is your", "y"))
    ]
    assert lines and max(len(line) for line in lines) <= 60
