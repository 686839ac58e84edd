"""How commands end: an exception carrying its exit code (rehabkit.cli.exits), shown and turned into an exit by
click's main; refusals as a JSON object on stdout under --format json, their lines on stderr."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
import yaml

from rehabkit._common.exit_codes import ExitCode
from rehabkit.cli.exits import CommandExit, error_exit, exit_with

DAY = "2026-11-02"


@pytest.mark.parametrize("code", [code for code in ExitCode if code is not ExitCode.OK])
def test_every_exit_code_has_an_exception_click_exits_with(code: ExitCode) -> None:
    raised = exit_with(code, "a line")
    assert isinstance(raised, CommandExit) and isinstance(raised, click.ClickException)
    assert raised.exit_code == code and type(raised).exit_code == code
    assert str(error_exit(code, "what went wrong")) == "rehabkit: error: what went wrong"


def test_a_command_exit_says_stdout_first_then_its_lines_on_stderr_with_control_characters_shown(capsys) -> None:
    exit_with(ExitCode.COURSE_STOPPED, "first \x1b[2J", "  second", stdout='{"a": 1}').show()
    out, err = capsys.readouterr()
    assert out == '{"a": 1}\n'
    assert err == "first \\x1b[2J\n  second\n"
    exit_with(ExitCode.FAILURE, "as it is \x07", as_is=True).show()  # the group's own messages, printed as before
    assert capsys.readouterr().err == "as it is \x07\n"


def _answers(tmp_path: Path, **overrides: object) -> str:
    data = {"screening": {"all": False}, "pain_before": 2, "exercises": {"all": 1}, "pain_after": 2}
    data.update({"new_symptom": False, **overrides})
    path = tmp_path / f"answers-{len(list(tmp_path.glob('answers-*')))}.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_a_closed_gate_is_refused_as_a_json_object_on_stdout_and_its_lines_on_stderr(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    for args in (("--answers", _answers(tmp_path)), ("--plan",)):
        result = cli("run", "neck-pain", "--patient", "P1", "--db", db, "--date", DAY, "--format", "json", *args)
        assert result.exit_code == 7, result.output
        refusal = json.loads(result.stdout)
        assert set(refusal) == {"patient", "refused", "status", "message", "unmet", "phase"}
        assert refusal["patient"] == "P1" and refusal["refused"] == "gate-closed" and refusal["phase"] == "acute"
        assert refusal["unmet"] and all(isinstance(item, dict) for item in refusal["unmet"])
        assert result.stderr.splitlines() == refusal["message"]
        assert refusal["message"][0].startswith("Today's session cannot start: the phase")
        assert any(line.startswith("record it with: rehabkit approve P1") for line in refusal["message"])
        text = cli("run", "neck-pain", "--patient", "P1", "--db", db, "--date", DAY, *args)
        assert text.exit_code == 7 and text.stdout == "" and text.stderr == result.stderr


def test_a_stopped_course_is_refused_as_a_json_object_and_a_paused_session_exits_4_or_5(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    approve = cli("approve", "P1", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1", "--db", db)
    assert approve.exit_code == 0, approve.output
    urgent = _answers(tmp_path, screening={"all": True})
    paused = cli("run", "neck-pain", "--patient", "P1", "--db", db, "--answers", urgent, "--date", DAY)
    assert paused.exit_code == 5, paused.output
    for args in (("--answers", _answers(tmp_path)), ("--plan",)):
        result = cli("run", "neck-pain", "--patient", "P1", "--db", db, "--date", DAY, "--format", "json", *args)
        assert result.exit_code == 6, result.output
        refusal = json.loads(result.stdout)
        assert refusal == {
            "patient": "P1",
            "refused": "course-stopped",
            "status": "paused",
            "message": refusal["message"],
        }
        assert result.stderr.splitlines() == refusal["message"]
        assert refusal["message"][-1].startswith(
            "No session runs until a clinician records a review: rehabkit review P1"
        )


def test_an_exception_no_command_expected_is_an_internal_error_exit_3(cli, monkeypatch) -> None:
    import rehabkit._documents.schemas as schemas

    def broken(*args: object) -> str:
        raise ValueError("boom")

    monkeypatch.setattr(schemas, "schema_text", broken)
    result = cli("schema")
    assert result.exit_code == 3
    assert result.stderr == (
        "rehabkit: internal error: ValueError: boom\n"
        "This is a bug in rehabkit or a plugin pack; set REHABKIT_DEBUG=1 for the traceback and report it.\n"
    )
    with pytest.raises(ValueError, match="boom"):
        cli("schema", env={"REHABKIT_DEBUG": "1"})
