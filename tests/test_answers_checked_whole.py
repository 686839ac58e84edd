"""An answers file is checked whole before anything runs (issue 26 item 7): a wrong value is refused before screening,
so no incomplete session is left, and a key typo is refused before the gate is checked (never hidden behind exit 7).
Through the real `rehabkit run --answers` command."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from rehabkit._sessions.store import Store

DAY = "2026-11-02"
CALM = {"screening": {"all": False}, "pain_before": 2, "exercises": {"all": 1}, "pain_after": 2, "new_symptom": False}


def _file(tmp_path: Path, data: dict) -> str:
    path = tmp_path / "answers.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def _approve(cli, db: str) -> None:
    result = cli("approve", "P1", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1", "--db", db)
    assert result.exit_code == 0, result.output


def _run(cli, db: str, path: str):
    return cli("run", "neck-pain", "--patient", "P1", "--db", db, "--answers", path, "--date", DAY)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"pain_before": 12}, "'pain_before' must be a pain score from 0 to 10 (got 12)"),
        ({"pain_after": -1}, "'pain_after' must be a pain score from 0 to 10 (got -1)"),
        ({"exercises": {"all": 11}}, "'exercises:all' must be a pain score from 0 to 10 (got 11)"),
        ({"exercises": {"all": 1, "chin-tuck": "bad"}}, "'exercises:chin-tuck' must be a pain score"),
        ({"new_symptom": "maybe"}, "'new_symptom' must be yes or no (got 'maybe')"),
        (
            {"screening": {"all": False, "spreading-pain": 3}},
            "'screening:spreading-pain' must be yes, no or not-sure (got 3)",
        ),
        ({"screening": {"spreading-pain": False}}, "no answer for 'screening.numbness-weakness'"),
        ({"pain_before": None}, "no answer for 'pain_before'"),
    ],
)
def test_a_wrong_answer_anywhere_in_the_file_is_refused_before_screening(cli, tmp_path, change, words) -> None:
    db = str(tmp_path / "s.db")
    _approve(cli, db)
    data = {**CALM, **change}
    result = _run(cli, db, _file(tmp_path, {k: v for k, v in data.items() if v is not None}))
    assert result.exit_code == 2, result.output
    assert words in result.stderr
    assert "Red-flag screening" not in result.stdout  # refused before the first question
    with Store(db) as store:
        assert store.sessions("P1") == []  # no incomplete session left behind
    history = cli("history", "P1", "--db", db)
    assert "incomplete" not in history.stdout


def test_a_file_that_stops_at_a_yes_needs_nothing_after_it(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    _approve(cli, db)
    result = _run(cli, db, _file(tmp_path, {"screening": {"all": False, "spreading-pain": True}}))
    assert result.exit_code == 4, result.output  # stopped for review: no pain or exercises were needed


def test_a_key_typo_is_refused_before_the_gate_is_checked(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    calm = _run(cli, db, _file(tmp_path, CALM))
    assert calm.exit_code == 7, calm.output  # neck-pain's first gate asks for the clinician's approval
    typo = _run(cli, db, _file(tmp_path, {**{k: v for k, v in CALM.items() if k != "pain_after"}, "pain_afterr": 2}))
    assert typo.exit_code == 2, typo.output  # the typo, never hidden behind exit 7
    assert "unknown key 'pain_afterr'" in typo.stderr and "pain_after" in typo.stderr
    out_of_range = _run(cli, db, _file(tmp_path, {**CALM, "pain_before": 12}))
    assert out_of_range.exit_code == 2 and "'pain_before' must be a pain score" in out_of_range.stderr


def test_a_good_file_still_runs_the_whole_session(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    _approve(cli, db)
    result = _run(cli, db, _file(tmp_path, CALM))
    assert result.exit_code == 0, result.output
    with Store(db) as store:
        assert [s.status for s in store.sessions("P1")] == ["complete"]
