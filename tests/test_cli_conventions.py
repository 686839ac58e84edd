"""Conventions a user of ruff, pytest or pre-commit expects: colour where it helps and never where it hurts, -q / -v."""

from __future__ import annotations

import sys
from pathlib import Path

import pexpect
import pytest
import yaml

from conftest import CORPUS, REPO, SCREEN_WAIT, clean_env

GOOD = (CORPUS / "good" / "minimal.yaml").read_text()
BAD = GOOD.replace("reps: 10", "reps: 0")  # RK201, an error
WARNED = GOOD.replace("          hold_seconds: 5\n", "          hold_seconds: 5\n          pain_limit: 7\n")  # RK204

RED, YELLOW = "\x1b[31m", "\x1b[33m"


def _files(tmp_path: Path) -> tuple[str, str]:
    bad, warned = tmp_path / "bad.yaml", tmp_path / "warned.yaml"
    bad.write_text(BAD)
    warned.write_text(WARNED.replace("corpus-minimal", "corpus-warned"))
    return str(bad), str(warned)


def _in_a_terminal(args: list[str], **env: str) -> str:
    child = pexpect.spawn(
        sys.executable,
        ["-m", "rehabkit", *args],
        cwd=str(REPO),
        env=clean_env(**env),
        encoding="utf-8",
        timeout=SCREEN_WAIT,
        dimensions=(40, 200),
    )
    child.expect(pexpect.EOF)
    child.close()
    return child.before


def test_findings_are_coloured_on_a_terminal_by_severity(tmp_path) -> None:
    bad, warned = _files(tmp_path)
    text = _in_a_terminal(["validate", bad, warned])
    assert f"{RED}\x1b[1mRK201" in text and f"{YELLOW}\x1b[1mRK204" in text


@pytest.mark.parametrize(("args", "env"), [([], {"NO_COLOR": "1"}), (["--color", "never"], {}), ([], {"TERM": "dumb"})])
def test_no_colour_with_no_color_never_or_a_dumb_terminal(tmp_path, args, env) -> None:
    bad, warned = _files(tmp_path)
    text = _in_a_terminal([*args, "validate", bad, warned], **env)
    assert "RK201" in text and "\x1b[" not in text


def test_no_colour_off_a_terminal_unless_always(cli, tmp_path) -> None:
    bad, warned = _files(tmp_path)
    plain = cli("validate", bad, warned)
    assert "RK201" in plain.stdout and "\x1b[" not in plain.stdout + plain.stderr
    forced = cli("--color", "always", "validate", bad, warned)
    assert f"{RED}\x1b[1mRK201" in forced.stdout


def test_quiet_and_verbose_validate(cli, tmp_path) -> None:
    bad, _warned = _files(tmp_path)
    good = tmp_path / "good.yaml"
    good.write_text(GOOD.replace("corpus-minimal", "corpus-good"))
    quiet = cli("validate", "-q", bad, str(good))
    assert quiet.exit_code == 1 and quiet.stderr == "" and "RK201" in quiet.stdout
    verbose = cli("validate", "-v", bad, str(good))
    assert f"{good}: ok" in verbose.stdout and f"{bad}: ok" not in verbose.stdout
    assert "2 files checked" in verbose.stderr


def test_quiet_run_leaves_out_the_steps_and_tips(cli, tmp_path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text(
        yaml.safe_dump(
            {
                "screening": {"all": False},
                "pain_before": 2,
                "exercises": {"all": 1},
                "pain_after": 2,
                "new_symptom": False,
            }
        )
    )
    protocol = tmp_path / "p.yaml"
    protocol.write_text(GOOD)
    base = ["run", str(protocol), "--patient", "P-1", "--answers", str(answers), "--date", "2026-11-02"]
    full = cli(*base, "--db", str(tmp_path / "a.db"))
    brief = cli(*base, "-q", "--db", str(tmp_path / "b.db"))
    assert full.exit_code == brief.exit_code == 0
    assert "  1. Glide the chin straight back" in full.stdout
    assert "Glide the chin" not in brief.stdout and "[1/1] Chin tuck: 10 reps, hold 5 s" in brief.stdout
    assert "Decision:" in brief.stdout  # the session itself is the same


def _complete(words: str, env: dict[str, str] | None = None) -> list[str]:
    import subprocess

    script = Path(sys.executable).parent / "rehabkit"
    cword = str(len(words.split()) - (0 if words.endswith(" ") else 1))
    result = subprocess.run(
        [str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_env(_REHABKIT_COMPLETE="bash_complete", COMP_WORDS=words, COMP_CWORD=cword, **(env or {})),
    )
    assert result.returncode == 0, result.stderr
    return [line.split(",", 1)[1] for line in result.stdout.splitlines() if line]  # "type,value"; none: an empty line


def test_shell_completion_offers_commands_protocols_patients_rules_and_measures(cli, tmp_path) -> None:
    assert "history" in _complete("rehabkit hist")
    assert _complete("rehabkit show neck") == ["neck-arm-pain", "neck-pain"]
    assert _complete("rehabkit show neck-pain@")[0].startswith("neck-pain@")
    assert "RK303" in _complete("rehabkit rules RK3") and "RK013" in _complete("rehabkit validate --ignore RK01")
    assert "ndi" in _complete("rehabkit measure P-1 n")
    assert "glute-bridge" in _complete("rehabkit exercises glute")
    db = str(tmp_path / "s.db")
    for patient in ("P-0042", "P-0043", "Q-1"):
        assert (
            cli("approve", patient, "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1", "--db", db).exit_code
            == 0
        )
    assert _complete("rehabkit history P-", {"REHABKIT_DB": db}) == ["P-0042", "P-0043"]
    assert _complete(f"rehabkit next-day --db {db} Q") == ["Q-1"]
    assert _complete("rehabkit run neck-pain --patient P-004", {"REHABKIT_DB": db}) == ["P-0042", "P-0043"]
    assert (
        _complete("rehabkit history P-", {"REHABKIT_DB": str(tmp_path / "none.db")}) == []
    )  # no store: nothing, no error
    assert not (tmp_path / "none.db").exists()  # and completion created none


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_are_generated_for_each_shell(shell) -> None:
    import subprocess

    script = Path(sys.executable).parent / "rehabkit"
    result = subprocess.run(
        [str(script)], capture_output=True, text=True, timeout=60, env=clean_env(_REHABKIT_COMPLETE=f"{shell}_source")
    )
    assert result.returncode == 0 and "_REHABKIT_COMPLETE" in result.stdout


def test_every_patient_command_takes_patient_as_an_option_too(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    assert (
        cli(
            "approve", "--patient", "P-1", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1", "--db", db
        ).exit_code
        == 0
    )
    assert cli("history", "--patient", "P-1", "--db", db).stdout == cli("history", "P-1", "--db", db).stdout
    scores = [
        f"--score={i}=1"
        for i in (
            "pain-intensity",
            "personal-care",
            "lifting",
            "reading",
            "headaches",
            "concentration",
            "work",
            "driving",
            "sleeping",
            "recreation",
        )
    ]
    by_option = cli("measure", "--patient", "P-1", "ndi", *scores, "--db", db, "--format", "json")
    assert by_option.exit_code == 0 and '"measure": "ndi"' in by_option.stdout
    assert cli("measure", "P-1", "ndi", *scores, "--db", db).exit_code == 0
    twice = cli("history", "P-1", "--patient", "P-2", "--db", db)
    assert twice.exit_code == 2 and "two patients given" in twice.output
    none = cli("history", "--db", db)
    assert none.exit_code == 2 and "name the patient" in none.output
    no_measure = cli("measure", "--patient", "P-1", "--db", db)
    assert no_measure.exit_code == 2 and "Missing argument 'MEASURE'" in no_measure.output
